//! The topic operations (`CreateTopic`, `DeleteTopic`, `ListTopics`, `Get`/`SetTopicAttributes`,
//! tagging) and the `Handlers` implementation that routes every operation to its module.
//! Errors are SNS's: `InvalidParameter` ("Invalid parameter: …"), `NotFound` ("Topic does
//! not exist"), with AWS's statuses from the generated constructors.

use crate::errors::{self, invalid, topic_not_found};
use crate::generated as g;
use crate::state::{Change, Topic};
use crate::Sns;
use nimbus_core::{AwsError, RequestContext};
use nimbus_wire::ResetStep;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The gateway's view of SNS.
pub struct Service(pub Arc<Sns>);

const PAGE: usize = 100;

/// Attributes a user may set on a topic.
const SETTABLE: [&str; 9] = [
    "DisplayName",
    "Policy",
    "DeliveryPolicy",
    "KmsMasterKeyId",
    "TracingConfig",
    "SignatureVersion",
    "ContentBasedDeduplication",
    "FifoTopic",
    "ArchivePolicy",
];

fn valid_name(name: &str, fifo: bool) -> bool {
    let base = if fifo {
        match name.strip_suffix(".fifo") {
            Some(b) => b,
            None => return false,
        }
    } else {
        name
    };
    !base.is_empty()
        && name.len() <= 256
        && base
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// The policy AWS gives a new topic.
pub fn default_policy(arn: &str, account: &str) -> String {
    serde_json::json!({
        "Version": "2008-10-17",
        "Id": "__default_policy_ID",
        "Statement": [{
            "Sid": "__default_statement_ID",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": ["SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission",
                       "SNS:RemovePermission", "SNS:DeleteTopic", "SNS:Subscribe",
                       "SNS:ListSubscriptionsByTopic", "SNS:Publish"],
            "Resource": arn,
            "Condition": {"StringEquals": {"AWS:SourceOwner": account}},
        }],
    })
    .to_string()
}

/// SNS's default effective delivery policy for http.
pub const EFFECTIVE_DELIVERY_POLICY: &str = r#"{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"},"disableSubscriptionOverrides":false,"defaultRequestPolicy":{"headerContentType":"text/plain; charset=UTF-8"}}}"#;

fn check_attribute(name: &str, value: &str) -> Result<(), AwsError> {
    if !SETTABLE.contains(&name) {
        return Err(invalid("AttributeName"));
    }
    match name {
        "Policy" | "DeliveryPolicy" | "ArchivePolicy" if !value.is_empty() => {
            serde_json::from_str::<serde_json::Value>(value)
                .map_err(|_| invalid(format!("{name}: failed to parse JSON")))?;
        }
        "FifoTopic" | "ContentBasedDeduplication" if value != "true" && value != "false" => {
            return Err(invalid(format!("{name}: must be true or false")));
        }
        "SignatureVersion" if value != "1" && value != "2" => {
            return Err(invalid("SignatureVersion: must be 1 or 2"));
        }
        "DisplayName" if value.chars().count() > 100 => {
            return Err(invalid("DisplayName: must be at most 100 characters"));
        }
        _ => {}
    }
    Ok(())
}

fn check_tags(tags: &[g::Tag]) -> Result<(), AwsError> {
    for t in tags {
        if t.key.is_empty() || t.key.chars().count() > 128 || t.value.chars().count() > 256 {
            return Err(invalid("Tags"));
        }
    }
    Ok(())
}

impl Sns {
    pub(crate) fn topic_arn(region: &str, account: &str, name: &str) -> String {
        format!("arn:aws:sns:{region}:{account}:{name}")
    }

    async fn create_topic(
        &self,
        ctx: &RequestContext,
        input: g::CreateTopicInput,
    ) -> Result<g::CreateTopicResponse, AwsError> {
        let attributes: BTreeMap<String, String> =
            input.attributes.unwrap_or_default().into_iter().collect();
        for (k, v) in &attributes {
            check_attribute(k, v)?;
        }
        let fifo = attributes.get("FifoTopic").is_some_and(|v| v == "true");
        if !valid_name(&input.name, fifo) {
            return Err(invalid(if input.name.ends_with(".fifo") && !fifo {
                "Topic Name: FIFO topic names need the attribute FifoTopic=true"
            } else if fifo {
                "Fifo Topic names must end with .fifo and must be made up of only uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 and 256 characters long."
            } else {
                "Topic Name"
            }));
        }
        if !fifo && attributes.contains_key("ContentBasedDeduplication") {
            return Err(invalid(
                "ContentBasedDeduplication: only FIFO topics have content-based deduplication",
            ));
        }
        if input.data_protection_policy.is_some() {
            return Err(AwsError::not_implemented(
                "SNS",
                "CreateTopic with DataProtectionPolicy",
            ));
        }
        let tags = input.tags.unwrap_or_default();
        check_tags(&tags)?;
        let account = ctx.account_id().to_string();
        let arn = Self::topic_arn(&ctx.region, &account, &input.name);
        let now = self.state.clock.now();
        let tag_pairs: Vec<(String, String)> = tags.into_iter().map(|t| (t.key, t.value)).collect();
        self.state
            .change(|mem| {
                if let Some(t) = mem.topics.get(&arn) {
                    // Idempotent by name, as long as what is asked matches.
                    let differs = attributes
                        .iter()
                        .any(|(k, v)| t.attributes.get(k) != Some(v));
                    if differs {
                        return Err(invalid(
                            "Attributes Reason: Topic already exists with different attributes",
                        ));
                    }
                    if !tag_pairs.is_empty() && tag_pairs.iter().any(|p| !t.tags.contains(p)) {
                        return Err(invalid(
                            "Tags Reason: Topic already exists with different tags",
                        ));
                    }
                    return Ok((Change::default(), ()));
                }
                let count = mem.topics.values().filter(|t| t.account == account).count();
                if count >= 100_000 {
                    return Err(errors::topic_limit());
                }
                let topic = Topic {
                    arn: arn.clone(),
                    account: account.clone(),
                    region: ctx.region.clone(),
                    name: input.name.clone(),
                    attributes: attributes.clone(),
                    tags: tag_pairs.clone(),
                    deleted_subscriptions: 0,
                    created: now,
                };
                Ok((
                    Change {
                        put_topics: vec![topic],
                        ..Change::default()
                    },
                    (),
                ))
            })
            .await?;
        Ok(g::CreateTopicResponse {
            topic_arn: Some(arn),
        })
    }

    async fn delete_topic(&self, ctx: &RequestContext, arn: String) -> Result<(), AwsError> {
        self.owned_topic(ctx, &arn)?;
        self.state
            .change(|mem| {
                // Deleting a topic that is gone already succeeds, as in AWS.
                let subs = mem
                    .subscriptions
                    .values()
                    .filter(|s| s.topic_arn == arn)
                    .map(|s| s.arn.clone())
                    .collect();
                Ok((
                    Change {
                        delete_topics: vec![arn.clone()],
                        delete_subscriptions: subs,
                        ..Change::default()
                    },
                    (),
                ))
            })
            .await
    }

    /// Checks that `arn` is a topic ARN of the caller's account and region.
    pub(crate) fn owned_topic(&self, ctx: &RequestContext, arn: &str) -> Result<(), AwsError> {
        let parts: Vec<&str> = arn.split(':').collect();
        if parts.len() != 6 || parts[0] != "arn" || parts[2] != "sns" {
            return Err(invalid("TopicArn"));
        }
        if parts[3] != ctx.region || parts[4] != ctx.account_id() {
            return Err(topic_not_found());
        }
        Ok(())
    }

    pub(crate) fn topic(&self, ctx: &RequestContext, arn: &str) -> Result<Topic, AwsError> {
        self.owned_topic(ctx, arn)?;
        self.state
            .memory()
            .topics
            .get(arn)
            .cloned()
            .ok_or_else(topic_not_found)
    }

    fn list_topics(
        &self,
        ctx: &RequestContext,
        token: Option<String>,
    ) -> Result<g::ListTopicsResponse, AwsError> {
        let mem = self.state.memory();
        let prefix = format!("arn:aws:sns:{}:{}:", ctx.region, ctx.account_id());
        let mut topics: Vec<g::Topic> = mem
            .topics
            .range(token.clone().unwrap_or_else(|| prefix.clone())..)
            .take_while(|(a, _)| a.starts_with(&prefix))
            .take(PAGE + 1)
            .map(|(a, _)| g::Topic {
                topic_arn: Some(a.clone()),
            })
            .collect();
        let next_token = if topics.len() > PAGE {
            topics.pop().and_then(|t| t.topic_arn)
        } else {
            None
        };
        Ok(g::ListTopicsResponse {
            topics: Some(topics),
            next_token,
        })
    }

    fn topic_attributes(
        &self,
        ctx: &RequestContext,
        arn: &str,
    ) -> Result<Vec<(String, String)>, AwsError> {
        let t = self.topic(ctx, arn)?;
        let mem = self.state.memory();
        let subs: Vec<_> = mem
            .subscriptions
            .values()
            .filter(|s| s.topic_arn == arn)
            .collect();
        let confirmed = subs.iter().filter(|s| s.confirmed).count();
        let mut out: BTreeMap<String, String> = BTreeMap::new();
        out.insert("TopicArn".into(), t.arn.clone());
        out.insert("Owner".into(), t.account.clone());
        out.insert("Policy".into(), default_policy(&t.arn, &t.account));
        out.insert("DisplayName".into(), String::new());
        out.insert("SubscriptionsConfirmed".into(), confirmed.to_string());
        out.insert(
            "SubscriptionsPending".into(),
            (subs.len() - confirmed).to_string(),
        );
        out.insert(
            "SubscriptionsDeleted".into(),
            t.deleted_subscriptions.to_string(),
        );
        out.insert(
            "EffectiveDeliveryPolicy".into(),
            EFFECTIVE_DELIVERY_POLICY.into(),
        );
        for (k, v) in &t.attributes {
            out.insert(k.clone(), v.clone());
        }
        if t.is_fifo() && !out.contains_key("ContentBasedDeduplication") {
            out.insert("ContentBasedDeduplication".into(), "false".into());
        }
        Ok(out.into_iter().collect())
    }

    async fn set_topic_attribute(
        &self,
        ctx: &RequestContext,
        input: g::SetTopicAttributesInput,
    ) -> Result<(), AwsError> {
        let value = input.attribute_value.unwrap_or_default();
        check_attribute(&input.attribute_name, &value)?;
        if input.attribute_name == "FifoTopic" {
            return Err(invalid(
                "AttributeName: FifoTopic can only be set when the topic is created",
            ));
        }
        let mut t = self.topic(ctx, &input.topic_arn)?;
        if input.attribute_name == "ContentBasedDeduplication" && !t.is_fifo() {
            return Err(invalid(
                "ContentBasedDeduplication: only FIFO topics have content-based deduplication",
            ));
        }
        if value.is_empty() && input.attribute_name != "DisplayName" {
            t.attributes.remove(&input.attribute_name);
        } else {
            t.attributes.insert(input.attribute_name, value);
        }
        self.state
            .change(|mem| {
                if !mem.topics.contains_key(&t.arn) {
                    return Err(topic_not_found());
                }
                Ok((
                    Change {
                        put_topics: vec![t],
                        ..Change::default()
                    },
                    (),
                ))
            })
            .await
    }

    async fn retag(
        &self,
        ctx: &RequestContext,
        arn: &str,
        edit: impl FnOnce(&mut Vec<(String, String)>) -> Result<(), AwsError>,
    ) -> Result<(), AwsError> {
        let mut t = self
            .topic(ctx, arn)
            .map_err(|_| errors::resource_not_found())?;
        edit(&mut t.tags)?;
        if t.tags.len() > 50 {
            return Err(errors::tag_limit());
        }
        self.state
            .change(|_| {
                Ok((
                    Change {
                        put_topics: vec![t],
                        ..Change::default()
                    },
                    (),
                ))
            })
            .await
    }
}

impl g::Handlers for Service {
    async fn create_topic(
        &self,
        ctx: &RequestContext,
        input: g::CreateTopicInput,
    ) -> Result<g::CreateTopicResponse, AwsError> {
        self.0.create_topic(ctx, input).await
    }

    async fn delete_topic(
        &self,
        ctx: &RequestContext,
        input: g::DeleteTopicInput,
    ) -> Result<(), AwsError> {
        self.0.delete_topic(ctx, input.topic_arn).await
    }

    async fn list_topics(
        &self,
        ctx: &RequestContext,
        input: g::ListTopicsInput,
    ) -> Result<g::ListTopicsResponse, AwsError> {
        self.0.list_topics(ctx, input.next_token)
    }

    async fn get_topic_attributes(
        &self,
        ctx: &RequestContext,
        input: g::GetTopicAttributesInput,
    ) -> Result<g::GetTopicAttributesResponse, AwsError> {
        Ok(g::GetTopicAttributesResponse {
            attributes: Some(self.0.topic_attributes(ctx, &input.topic_arn)?),
        })
    }

    async fn set_topic_attributes(
        &self,
        ctx: &RequestContext,
        input: g::SetTopicAttributesInput,
    ) -> Result<(), AwsError> {
        self.0.set_topic_attribute(ctx, input).await
    }

    async fn subscribe(
        &self,
        ctx: &RequestContext,
        input: g::SubscribeInput,
    ) -> Result<g::SubscribeResponse, AwsError> {
        self.0.subscribe(ctx, input).await
    }

    async fn confirm_subscription(
        &self,
        ctx: &RequestContext,
        input: g::ConfirmSubscriptionInput,
    ) -> Result<g::ConfirmSubscriptionResponse, AwsError> {
        self.0.topic(ctx, &input.topic_arn)?;
        let arn = self.0.confirm(&input.topic_arn, &input.token).await?;
        Ok(g::ConfirmSubscriptionResponse {
            subscription_arn: Some(arn),
        })
    }

    async fn unsubscribe(
        &self,
        ctx: &RequestContext,
        input: g::UnsubscribeInput,
    ) -> Result<(), AwsError> {
        self.0.unsubscribe(ctx, &input.subscription_arn).await
    }

    async fn list_subscriptions(
        &self,
        ctx: &RequestContext,
        input: g::ListSubscriptionsInput,
    ) -> Result<g::ListSubscriptionsResponse, AwsError> {
        let (subscriptions, next_token) = self.0.list_subscriptions(ctx, None, input.next_token)?;
        Ok(g::ListSubscriptionsResponse {
            subscriptions: Some(subscriptions),
            next_token,
        })
    }

    async fn list_subscriptions_by_topic(
        &self,
        ctx: &RequestContext,
        input: g::ListSubscriptionsByTopicInput,
    ) -> Result<g::ListSubscriptionsByTopicResponse, AwsError> {
        self.0.topic(ctx, &input.topic_arn)?;
        let (subscriptions, next_token) =
            self.0
                .list_subscriptions(ctx, Some(&input.topic_arn), input.next_token)?;
        Ok(g::ListSubscriptionsByTopicResponse {
            subscriptions: Some(subscriptions),
            next_token,
        })
    }

    async fn get_subscription_attributes(
        &self,
        ctx: &RequestContext,
        input: g::GetSubscriptionAttributesInput,
    ) -> Result<g::GetSubscriptionAttributesResponse, AwsError> {
        Ok(g::GetSubscriptionAttributesResponse {
            attributes: Some(
                self.0
                    .subscription_attributes(ctx, &input.subscription_arn)?,
            ),
        })
    }

    async fn set_subscription_attributes(
        &self,
        ctx: &RequestContext,
        input: g::SetSubscriptionAttributesInput,
    ) -> Result<(), AwsError> {
        self.0.set_subscription_attribute(ctx, input).await
    }

    async fn publish(
        &self,
        ctx: &RequestContext,
        input: g::PublishInput,
    ) -> Result<g::PublishResponse, AwsError> {
        self.0.publish(ctx, input).await
    }

    async fn publish_batch(
        &self,
        ctx: &RequestContext,
        input: g::PublishBatchInput,
    ) -> Result<g::PublishBatchResponse, AwsError> {
        self.0.publish_batch(ctx, input).await
    }

    async fn tag_resource(
        &self,
        ctx: &RequestContext,
        input: g::TagResourceRequest,
    ) -> Result<g::TagResourceResponse, AwsError> {
        check_tags(&input.tags)?;
        self.0
            .retag(ctx, &input.resource_arn, |tags| {
                for t in input.tags {
                    match tags.iter_mut().find(|(k, _)| *k == t.key) {
                        Some(e) => e.1 = t.value,
                        None => tags.push((t.key, t.value)),
                    }
                }
                Ok(())
            })
            .await?;
        Ok(g::TagResourceResponse {})
    }

    async fn untag_resource(
        &self,
        ctx: &RequestContext,
        input: g::UntagResourceRequest,
    ) -> Result<g::UntagResourceResponse, AwsError> {
        self.0
            .retag(ctx, &input.resource_arn, |tags| {
                tags.retain(|(k, _)| !input.tag_keys.contains(k));
                Ok(())
            })
            .await?;
        Ok(g::UntagResourceResponse {})
    }

    async fn list_tags_for_resource(
        &self,
        ctx: &RequestContext,
        input: g::ListTagsForResourceRequest,
    ) -> Result<g::ListTagsForResourceResponse, AwsError> {
        let t = self
            .0
            .topic(ctx, &input.resource_arn)
            .map_err(|_| errors::resource_not_found())?;
        Ok(g::ListTagsForResourceResponse {
            tags: Some(
                t.tags
                    .into_iter()
                    .map(|(key, value)| g::Tag { key, value })
                    .collect(),
            ),
        })
    }

    fn reset<'a>(&'a self, then: ResetStep<'a>) -> ResetStep<'a> {
        Box::pin(async move {
            let _gate = self.0.state.gate.write().await;
            self.0.state.reset_with(then).await?;
            self.0.queue.clear();
            *self.0.signer.lock().await = None;
            Ok(())
        })
    }
}
