//! SNS's durable state: topics, subscriptions, the email outbox and the http deliveries not
//! yet made, in memory and in four store tables (`sns.topics`, `sns.subscriptions`,
//! `sns.outbox`, `sns.deliveries`; one JSON record each, version 1). A publish is answered
//! once its deliveries are durable, so a restart still makes them. Every change is planned from memory under `write`, submitted as one batch,
//! and applied to memory once durable; a reset wipes the store under `gate` and bumps
//! `epoch`, so a change submitted before it leaves memory alone. The operations are in
//! `handlers.rs`, delivery in `delivery.rs`.

use nimbus_core::{Clock, Ids, Timestamp};
use nimbus_store::{Batch, Store, StoreError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

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
    pub epoch: u64,
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
    store: Store,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<Ids>,
    memory: Mutex<Memory>,
    write: tokio::sync::Mutex<()>,
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

impl State {
    pub fn load(store: Store, clock: Arc<dyn Clock>, ids: Arc<Ids>) -> Result<State, StoreError> {
        let mut mem = Memory::default();
        for (_, v) in store.scan_prefix(TOPICS, b"")? {
            let t: Topic = nimbus_store::decode_record(&v, VERSION, no_migration)?;
            mem.topics.insert(t.arn.clone(), t);
        }
        for (_, v) in store.scan_prefix(SUBSCRIPTIONS, b"")? {
            let s: Subscription = nimbus_store::decode_record(&v, VERSION, no_migration)?;
            mem.subscriptions.insert(s.arn.clone(), s);
        }
        let mut seq = 0;
        for (_, v) in store.scan_prefix(OUTBOX, b"")? {
            let m: Mail = nimbus_store::decode_record(&v, VERSION, no_migration)?;
            seq = seq.max(m.seq + 1);
            mem.outbox.push(m);
        }
        for (_, v) in store.scan_prefix(DELIVERIES, b"")? {
            let j: crate::delivery::Job = nimbus_store::decode_record(&v, VERSION, no_migration)?;
            mem.pending.insert(j.id.clone(), j);
        }
        Ok(State {
            store,
            clock,
            ids,
            memory: Mutex::new(mem),
            write: tokio::sync::Mutex::new(()),
            gate: tokio::sync::RwLock::new(()),
            mail_seq: std::sync::atomic::AtomicU64::new(seq),
        })
    }

    /// The stored signing key record, if one was made.
    pub fn load_signing(&self) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .store
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
            self.store.submit(batch)
        };
        durable.await
    }

    pub fn memory(&self) -> MutexGuard<'_, Memory> {
        self.memory.lock().unwrap_or_else(|e| e.into_inner())
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

    pub fn clear(&self) {
        let mut m = self.memory();
        m.topics.clear();
        m.subscriptions.clear();
        m.outbox.clear();
        m.pending.clear();
        m.epoch += 1;
    }

    /// Plans a change from memory with `plan`, makes it durable, applies it to memory.
    pub async fn change<T>(
        &self,
        plan: impl FnOnce(&Memory) -> Result<(Change, T), nimbus_core::AwsError>,
    ) -> Result<T, nimbus_core::AwsError> {
        let _one = self.write.lock().await;
        let (change, out, durable, epoch) = {
            let _gate = self.gate.read().await;
            let mem = self.memory();
            let (change, out) = plan(&mem)?;
            let mut batch = Batch::new();
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
            let epoch = mem.epoch;
            drop(mem);
            (change, out, self.store.submit(batch), epoch)
        };
        durable.await.map_err(crate::handlers::store_error)?;
        let mut mem = self.memory();
        if mem.epoch == epoch {
            for a in change.delete_topics {
                mem.topics.remove(&a);
            }
            for t in change.put_topics {
                mem.topics.insert(t.arn.clone(), t);
            }
            for a in change.delete_subscriptions {
                mem.subscriptions.remove(&a);
            }
            for s in change.put_subscriptions {
                mem.subscriptions.insert(s.arn.clone(), s);
            }
            mem.outbox.extend(change.mail);
            for id in change.delete_jobs {
                mem.pending.remove(&id);
            }
            for j in change.put_jobs {
                mem.pending.insert(j.id.clone(), j);
            }
        }
        Ok(out)
    }
}
