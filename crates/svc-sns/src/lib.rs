//! Amazon SNS (query protocol): topics, subscriptions (http, email, email-json), publishing
//! and delivery. `generated` holds the wire model and the `Handlers` trait from botocore;
//! the operations are in [`handlers`] (topics) and [`subscriptions`], publishing in
//! [`publish`], subscription filter policies in [`filter`], AWS's errors in [`errors`], message signatures in
//! [`signing`], durable state in [`state`], http delivery and its worker in [`delivery`].
//!
//! Email is not sent anywhere: email and email-json messages land in a local outbox, which
//! [`Sns::outbox_json`] renders for `GET /_nimbus/sns/outbox`. Subscribers confirm at
//! `GET /_nimbus/sns/confirm?TopicArn=…&Token=…` ([`Sns::confirm_by_url`]), the
//! `SubscribeURL` their confirmation message carries, and unsubscribe at
//! `GET /_nimbus/sns/unsubscribe?SubscriptionArn=…` ([`Sns::unsubscribe_by_url`]), every
//! notification's `UnsubscribeURL`.

pub mod delivery;
pub mod errors;
pub mod filter;
pub mod generated;
pub mod handlers;
pub mod publish;
pub mod signing;
pub mod state;
pub mod subscriptions;

use nimbus_core::{AwsError, Clock, Ids};
use nimbus_store::{Store, StoreError};
use std::sync::Arc;

/// The SNS service's state and delivery queue.
pub struct Sns {
    pub state: state::State,
    pub queue: Arc<delivery::Queue>,
    /// Whether http endpoints off loopback are allowed (`--sns-egress`).
    pub egress: bool,
    /// FIFO deduplication: (topic, deduplication id) → (message id, sequence number, when).
    pub dedup: std::sync::Mutex<std::collections::HashMap<(String, String), Deduplicated>>,
    /// The message signer, made (or loaded) on first use.
    pub signer: tokio::sync::Mutex<Option<Arc<signing::Signer>>>,
}

impl Sns {
    /// The signer: loaded from the store, or generated (off the runtime) and stored. `None`
    /// if that failed: messages then go out unsigned rather than with a bad signature.
    pub async fn signer(&self) -> Option<Arc<signing::Signer>> {
        let mut slot = self.signer.lock().await;
        if let Some(s) = slot.as_ref() {
            return Some(s.clone());
        }
        let stored = self.state.load_signing().ok().flatten();
        let signer = match stored.and_then(|r| signing::Signer::from_record(&r).ok()) {
            Some(s) => s,
            None => {
                let now = self.state.clock.now().secs();
                let s = tokio::task::spawn_blocking(move || signing::Signer::generate(now))
                    .await
                    .ok()?
                    .ok()?;
                self.state.save_signing(s.to_record().ok()?).await.ok()?;
                s
            }
        };
        let signer = Arc::new(signer);
        *slot = Some(signer.clone());
        Some(signer)
    }
}

/// A FIFO message already published: (message id, sequence number, when, epoch ms).
pub type Deduplicated = (String, Option<String>, i64);

/// What [`build`] gives the wiring.
pub type Built = (
    Arc<dyn nimbus_wire::Service>,
    Handle,
    Arc<delivery::Delivery>,
);

/// A handle on SNS for the wiring: publishing on behalf of other services (CloudWatch alarm
/// notifications) and the admin endpoints.
#[derive(Clone)]
pub struct Handle(pub Arc<Sns>);

/// Builds SNS: the service for the gateway, a handle, and the delivery worker to register.
pub fn build(
    store: Store,
    clock: Arc<dyn Clock>,
    ids: Arc<Ids>,
    egress: bool,
) -> Result<Built, StoreError> {
    let queue = Arc::new(delivery::Queue::default());
    let state = state::State::load(store, clock.clone(), ids)?;
    // Deliveries a previous run had not made yet.
    for job in state.memory().pending.values() {
        queue.push(job.clone());
    }
    let sns = Arc::new(Sns {
        state,
        queue: queue.clone(),
        egress,
        dedup: Default::default(),
        signer: tokio::sync::Mutex::new(None),
    });
    let worker = Arc::new(delivery::Delivery {
        sns: sns.clone(),
        queue,
        clock,
    });
    Ok((
        Arc::new(generated::Router(handlers::Service(sns.clone()))),
        Handle(sns),
        worker,
    ))
}

impl Handle {
    /// Publishes `message` with `subject` to the topic `topic_arn` of `account` as a service
    /// would (CloudWatch alarm actions); the message id, or why not.
    pub async fn publish_as_service(
        &self,
        account: &str,
        topic_arn: &str,
        subject: &str,
        message: &str,
    ) -> Result<String, String> {
        let owner = topic_arn.split(':').nth(4).unwrap_or("");
        if owner != account {
            return Err(format!(
                "the topic {topic_arn} belongs to another account; Nimbus does not evaluate topic policies for cross-account publishing yet"
            ));
        }
        let msg = publish::Outgoing {
            subject: Some(subject.to_string()),
            message: message.to_string(),
            structure_json: false,
            attributes: Vec::new(),
            group_id: None,
            dedup_id: None,
        };
        self.0
            .publish_to(topic_arn, vec![msg])
            .await
            .map(|mut ids| ids.pop().map(|(id, _)| id).unwrap_or_default())
            .map_err(|e: AwsError| format!("{}: {}", e.code, e.message))
    }

    /// The outbox as JSON (`GET /_nimbus/sns/outbox`), optionally only mail to `to`.
    pub fn outbox_json(&self, to: Option<&str>) -> serde_json::Value {
        self.0.outbox_json(to)
    }

    /// The signing certificate (PEM) for `SigningCertURL`.
    pub async fn cert_pem(&self) -> Option<String> {
        self.0.signer().await.map(|s| s.cert_pem())
    }

    /// Unsubscribes from a notification's `UnsubscribeURL` query.
    pub async fn unsubscribe_by_url(&self, query: &str) -> (u16, serde_json::Value) {
        self.0.unsubscribe_by_url(query).await
    }

    /// Confirms a subscription from its `SubscribeURL`'s query.
    pub async fn confirm_by_url(&self, query: &str) -> (u16, serde_json::Value) {
        self.0.confirm_by_url(query).await
    }
}

#[cfg(test)]
mod tests;
