//! Amazon SNS (query protocol): topics, subscriptions (http, email, email-json), publishing
//! and delivery. `generated` holds the wire model and the `Handlers` trait from botocore;
//! the operations are in [`handlers`] (topics) and [`subscriptions`], publishing in
//! [`publish`], durable state in [`state`], http delivery and its worker in [`delivery`].
//!
//! Email is not sent anywhere: email and email-json messages land in a local outbox, which
//! [`Sns::outbox_json`] renders for `GET /_nimbus/sns/outbox`. Subscribers confirm at
//! `GET /_nimbus/sns/confirm?TopicArn=…&Token=…` ([`Sns::confirm_by_url`]), the
//! `SubscribeURL` their confirmation message carries.

pub mod delivery;
pub mod generated;
pub mod handlers;
pub mod publish;
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
}

/// A FIFO message already published: (message id, sequence number, when, epoch ms).
pub type Deduplicated = (String, Option<String>, i64);

/// What [`build`] gives the wiring.
pub type Built = (Arc<dyn nimbus_wire::Service>, Handle, Arc<delivery::Delivery>);

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
    });
    let worker = Arc::new(delivery::Delivery { sns: sns.clone(), queue, clock });
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

    /// Confirms a subscription from its `SubscribeURL`'s query.
    pub async fn confirm_by_url(&self, query: &str) -> (u16, serde_json::Value) {
        self.0.confirm_by_url(query).await
    }
}

#[cfg(test)]
mod tests;
