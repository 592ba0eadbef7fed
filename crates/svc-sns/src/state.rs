//! SNS's durable state: topics, subscriptions, the email outbox and the http deliveries not
//! yet made, in memory and in four store tables (`sns.topics`, `sns.subscriptions`,
//! `sns.outbox`, `sns.deliveries`; one JSON record each, version 1), held by a
//! [`Durable`] (decision 0011). A publish is answered once its deliveries are durable, so a
//! restart still makes them. Every change is planned from memory, submitted as one batch,
//! and applied to memory once durable; a failed commit reloads memory from the store. A
//! reset wipes the store with no change in flight (and, under `gate`, no signing key being
//! saved). The operations are in `handlers.rs`, delivery in `delivery.rs`.

use nimbus_core::{Clock, Ids, Timestamp};
use nimbus_store::{Batch, Durable, Persisted, Store, StoreError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::{Arc, RwLockReadGuard};

pub const TOPICS: &str = "sns.topics";
pub const SUBSCRIPTIONS: &str = "sns.subscriptions";
pub const OUTBOX: &str = "sns.outbox";
pub const DELIVERIES: &str = "sns.deliveries";
const VERSION: u16 = 1;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Topic {
    pub arn: String,
    pub account: String,
    pub region: String,
    pub name: String,
    /// Attributes set by the user (DisplayName, Policy, DeliveryPolicy, FifoTopic, …).
    pub attributes: BTreeMap<String, String>,
    pub tags: Vec<(String, String)>,
    /// How many of its subscriptions were deleted (`SubscriptionsDeleted`).
    pub deleted_subscriptions: u64,
    pub created: Timestamp,
}

impl Topic {
    pub fn is_fifo(&self) -> bool {
        self.attributes
            .get("FifoTopic")
            .is_some_and(|v| v == "true")
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Subscription {
    pub arn: String,
    pub topic_arn: String,
    pub account: String,
    pub protocol: String,
    pub endpoint: String,
    pub confirmed: bool,
    /// The confirmation token (sent in the `SubscriptionConfirmation` message).
    pub token: String,
    pub attributes: BTreeMap<String, String>,
    pub created: Timestamp,
    /// The Nimbus endpoint the subscriber was told to confirm and unsubscribe at.
    pub base_url: String,
}

/// One email (or email-json) message in the local outbox.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Mail {
    pub id: String,
    pub timestamp: Timestamp,
    pub to: String,
    pub subject: String,
    pub body: String,
    pub content_type: String,
    pub topic_arn: String,
    pub subscription_arn: String,
    /// `SubscriptionConfirmation` or `Notification`.
    pub kind: String,
    /// Orders mail of the same millisecond; part of the store key.
    pub seq: u64,
}

#[derive(Default)]
pub struct Memory {
    /// By ARN.
    pub topics: BTreeMap<String, Topic>,
    /// By ARN.
    pub subscriptions: BTreeMap<String, Subscription>,
    pub outbox: Vec<Mail>,
    /// http deliveries not yet made (or still to be retried), by id.
    pub pending: BTreeMap<String, crate::delivery::Job>,
}

/// One durable change.
#[derive(Default)]
pub struct Change {
    pub put_topics: Vec<Topic>,
    pub delete_topics: Vec<String>,
    pub put_subscriptions: Vec<Subscription>,
    pub delete_subscriptions: Vec<String>,
    pub mail: Vec<Mail>,
    pub put_jobs: Vec<crate::delivery::Job>,
    pub delete_jobs: Vec<String>,
}

pub struct State {
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<Ids>,
    memory: Durable<Memory>,
    /// Held shared while the signing key is saved, exclusively by a reset.
    pub gate: tokio::sync::RwLock<()>,
    mail_seq: std::sync::atomic::AtomicU64,
}

fn no_migration(from: u16, _: serde_json::Value) -> Result<serde_json::Value, StoreError> {
    Err(StoreError::Migration {
        from,
        reason: "SNS records have had one version only".into(),
    })
}

fn mail_key(m: &Mail) -> Vec<u8> {
    format!("{:020}\u{2}{:020}", m.timestamp.0.max(0), m.seq).into_bytes()
}

impl Persisted for Memory {
    type Change = Change;

    fn load(store: &Store) -> Result<Self, StoreError> {
        let mut mem = Memory::default();
        for (_, v) in store.scan_prefix(TOPICS, b"")? {
            let t: Topic = nimbus_store::decode_record(&v, VERSION, no_migration)?;
            mem.topics.insert(t.arn.clone(), t);
        }
        for (_, v) in store.scan_prefix(SUBSCRIPTIONS, b"")? {
            let s: Subscription = nimbus_store::decode_record(&v, VERSION, no_migration)?;
            mem.subscriptions.insert(s.arn.clone(), s);
        }
        for (_, v) in store.scan_prefix(OUTBOX, b"")? {
            let m: Mail = nimbus_store::decode_record(&v, VERSION, no_migration)?;
            mem.outbox.push(m);
        }
        for (_, v) in store.scan_prefix(DELIVERIES, b"")? {
            let j: crate::delivery::Job = nimbus_store::decode_record(&v, VERSION, no_migration)?;
            mem.pending.insert(j.id.clone(), j);
        }
        Ok(mem)
    }

    fn write(change: &Change, batch: &mut Batch) {
        for t in &change.put_topics {
            batch.put(
                TOPICS,
                t.arn.as_bytes(),
                nimbus_store::encode_record(VERSION, t),
            );
        }
        for a in &change.delete_topics {
            batch.delete(TOPICS, a.as_bytes());
        }
        for s in &change.put_subscriptions {
            batch.put(
                SUBSCRIPTIONS,
                s.arn.as_bytes(),
                nimbus_store::encode_record(VERSION, s),
            );
        }
        for a in &change.delete_subscriptions {
            batch.delete(SUBSCRIPTIONS, a.as_bytes());
        }
        for m in &change.mail {
            batch.put(OUTBOX, mail_key(m), nimbus_store::encode_record(VERSION, m));
        }
        for j in &change.put_jobs {
            batch.put(
                DELIVERIES,
                j.id.as_bytes(),
                nimbus_store::encode_record(VERSION, j),
            );
        }
        for id in &change.delete_jobs {
            batch.delete(DELIVERIES, id.as_bytes());
        }
    }

    fn apply(&mut self, change: Change) {
        for a in change.delete_topics {
            self.topics.remove(&a);
        }
        for t in change.put_topics {
            self.topics.insert(t.arn.clone(), t);
        }
        for a in change.delete_subscriptions {
            self.subscriptions.remove(&a);
        }
        for s in change.put_subscriptions {
            self.subscriptions.insert(s.arn.clone(), s);
        }
        self.outbox.extend(change.mail);
        for id in change.delete_jobs {
            self.pending.remove(&id);
        }
        for j in change.put_jobs {
            self.pending.insert(j.id.clone(), j);
        }
    }
}

impl State {
    pub fn load(store: Store, clock: Arc<dyn Clock>, ids: Arc<Ids>) -> Result<State, StoreError> {
        let memory = Durable::<Memory>::load("sns", store)?;
        let seq = memory
            .read()
            .outbox
            .iter()
            .map(|m| m.seq + 1)
            .max()
            .unwrap_or(0);
        Ok(State {
            clock,
            ids,
            memory,
            gate: tokio::sync::RwLock::new(()),
            mail_seq: std::sync::atomic::AtomicU64::new(seq),
        })
    }

    /// The stored signing key record, if one was made.
    pub fn load_signing(&self) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .memory
            .store()
            .scan_prefix(crate::signing::SIGNING, b"key")?
            .into_iter()
            .next()
            .map(|(_, v)| v))
    }

    /// Stores the signing key record durably.
    pub async fn save_signing(&self, record: Vec<u8>) -> Result<(), StoreError> {
        let durable = {
            let _gate = self.gate.read().await;
            let mut batch = Batch::new();
            batch.put(crate::signing::SIGNING, b"key".to_vec(), record);
            self.memory.store().submit(batch)
        };
        durable.await
    }

    /// The current state, read-locked; do not hold it across an `.await`.
    pub fn memory(&self) -> RwLockReadGuard<'_, Memory> {
        self.memory.read()
    }

    pub fn next_mail_seq(&self) -> u64 {
        self.mail_seq
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    }

    /// A fresh UUID (message ids, subscription ids).
    pub fn uuid(&self) -> String {
        let h = self.ids.hex(32);
        format!(
            "{}-{}-{}-{}-{}",
            &h[0..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..32]
        )
    }

    /// Runs `then` (the store's wipe) with no change in flight, then empties memory.
    pub async fn reset_with<T, E>(
        &self,
        then: impl std::future::Future<Output = Result<T, E>>,
    ) -> Result<T, E> {
        self.memory.reset_with(then).await
    }

    /// Plans a change from memory with `plan`, makes it durable, applies it to memory.
    pub async fn change<T>(
        &self,
        plan: impl FnOnce(&Memory) -> Result<(Change, T), nimbus_core::AwsError>,
    ) -> Result<T, nimbus_core::AwsError> {
        self.memory
            .mutate(plan)
            .await
            .map_err(|e| e.or_store(crate::errors::store_failure))
    }
}
