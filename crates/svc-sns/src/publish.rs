//! `Publish` and `PublishBatch`: validating a message (size, subject, `MessageStructure=json`,
//! message attributes, FIFO group and deduplication ids), then fanning it out to the topic's
//! confirmed subscriptions: email and email-json land in the outbox (durably, before the
//! answer), http gets AWS's `Notification` JSON (or the raw message) queued for the
//! `sns-delivery` worker. Also the outbox's JSON view.

use crate::delivery::{self, Job};
use crate::errors::{self, invalid, topic_not_found};
use crate::generated as g;
use crate::state::{Change, Mail, Subscription};
use crate::Sns;
use base64::Engine as _;
use nimbus_core::{AwsError, RequestContext};
use sha2::Digest;

const MAX_MESSAGE: usize = 256 * 1024;
/// FIFO topics' deduplication interval.
const DEDUP_WINDOW_MS: i64 = 5 * 60 * 1000;

/// One message to publish, validated.
#[derive(Clone, Debug)]
pub struct Outgoing {
    pub subject: Option<String>,
    pub message: String,
    pub structure_json: bool,
    /// (name, type, value as the notification shows it)
    pub attributes: Vec<(String, String, String)>,
    pub group_id: Option<String>,
    pub dedup_id: Option<String>,
}

impl Outgoing {
    /// The message a subscription of `protocol` receives.
    fn body_for(&self, protocol: &str) -> String {
        if !self.structure_json {
            return self.message.clone();
        }
        let v: serde_json::Value = serde_json::from_str(&self.message).unwrap_or_default();
        let pick = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
        pick(protocol)
            .or_else(|| pick("default"))
            .unwrap_or_default()
    }
}

fn check(
    message: String,
    subject: Option<String>,
    structure: Option<String>,
    attributes: Option<Vec<(String, g::MessageAttributeValue)>>,
    group_id: Option<String>,
    dedup_id: Option<String>,
) -> Result<Outgoing, AwsError> {
    if message.is_empty() {
        return Err(invalid("Empty message"));
    }
    if message.len() > MAX_MESSAGE {
        return Err(invalid("Message too long"));
    }
    if let Some(s) = &subject {
        if s.is_empty()
            || s.chars().count() > 100
            || s.chars().any(|c| c.is_control() || !c.is_ascii())
        {
            return Err(invalid("Subject"));
        }
    }
    let structure_json = match structure.as_deref() {
        None => false,
        Some("json") => {
            let v: serde_json::Value = serde_json::from_str(&message)
                .map_err(|_| invalid("Message Structure - JSON message body failed to parse"))?;
            if !v.get("default").is_some_and(|d| d.is_string()) {
                return Err(invalid(
                    "Message Structure - No default entry in JSON message body",
                ));
            }
            true
        }
        Some(_) => return Err(invalid("MessageStructure")),
    };
    let attrs = attributes.unwrap_or_default();
    if attrs.len() > 10 {
        return Err(invalid(
            "MessageAttributes: too many message attributes (at most 10)",
        ));
    }
    let mut out = Vec::new();
    for (name, v) in attrs {
        let base = v.data_type.split('.').next().unwrap_or("");
        let value = match base {
            "String" | "Number" => v.string_value.clone().ok_or_else(|| {
                invalid(format!("The message attribute '{name}' must contain non-empty message attribute value for message attribute type '{}'.", v.data_type))
            })?,
            "Binary" => {
                let b = v.binary_value.clone().ok_or_else(|| {
                    invalid(format!("The message attribute '{name}' must contain non-empty message attribute value for message attribute type 'Binary'."))
                })?;
                base64::engine::general_purpose::STANDARD.encode(b)
            }
            _ => {
                return Err(invalid(format!(
                    "The message attribute '{name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String."
                )))
            }
        };
        if base == "Number" && value.parse::<f64>().is_err() {
            return Err(invalid(format!(
                "Could not cast message attribute '{name}' value to number."
            )));
        }
        let shown_type = if v.data_type == "String.Array" {
            "String.Array".to_string()
        } else {
            base.to_string()
        };
        out.push((name, shown_type, value));
    }
    Ok(Outgoing {
        subject,
        message,
        structure_json,
        attributes: out,
        group_id,
        dedup_id,
    })
}

impl Sns {
    pub(crate) async fn publish(
        &self,
        ctx: &RequestContext,
        input: g::PublishInput,
    ) -> Result<g::PublishResponse, AwsError> {
        if input.phone_number.is_some() {
            return Err(AwsError::not_implemented(
                "SNS",
                "Publish to a PhoneNumber (SMS)",
            ));
        }
        let arn = match (&input.topic_arn, &input.target_arn) {
            (Some(a), None) | (None, Some(a)) => a.clone(),
            (Some(_), Some(_)) => {
                return Err(invalid("TopicArn or TargetArn Reason: both were given"))
            }
            (None, None) => {
                return Err(invalid(
                    "TopicArn or TargetArn Reason: no value for required parameter",
                ))
            }
        };
        if arn
            .split(':')
            .nth(5)
            .is_some_and(|r| r.starts_with("endpoint/"))
        {
            return Err(AwsError::not_implemented(
                "SNS",
                "Publish to a platform endpoint",
            ));
        }
        self.topic(ctx, &arn)?;
        let msg = check(
            input.message,
            input.subject,
            input.message_structure,
            input.message_attributes,
            input.message_group_id,
            input.message_deduplication_id,
        )?;
        let mut ids = self.publish_to(&arn, vec![msg]).await?;
        let (id, seq) = ids.pop().unwrap_or_default();
        Ok(g::PublishResponse {
            message_id: Some(id),
            sequence_number: seq,
        })
    }

    pub(crate) async fn publish_batch(
        &self,
        ctx: &RequestContext,
        input: g::PublishBatchInput,
    ) -> Result<g::PublishBatchResponse, AwsError> {
        self.topic(ctx, &input.topic_arn)?;
        let entries = input.publish_batch_request_entries;
        if entries.is_empty() {
            return Err(errors::empty_batch());
        }
        if entries.len() > 10 {
            return Err(errors::too_many_entries());
        }
        let mut seen = std::collections::HashSet::new();
        for e in &entries {
            if e.id.is_empty()
                || e.id.len() > 80
                || !e
                    .id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(errors::invalid_batch_entry_id());
            }
            if !seen.insert(e.id.clone()) {
                return Err(errors::batch_ids_not_distinct());
            }
        }
        let total: usize = entries.iter().map(|e| e.message.len()).sum();
        if total > MAX_MESSAGE {
            return Err(errors::batch_too_long());
        }
        let mut ok_ids = Vec::new();
        let mut msgs = Vec::new();
        let mut failed = Vec::new();
        for e in entries {
            match check(
                e.message,
                e.subject,
                e.message_structure,
                e.message_attributes,
                e.message_group_id,
                e.message_deduplication_id,
            ) {
                Ok(m) => {
                    ok_ids.push(e.id);
                    msgs.push(m);
                }
                Err(err) => failed.push(g::BatchResultErrorEntry {
                    id: e.id,
                    code: err.code.to_string(),
                    message: Some(err.message.clone()),
                    sender_fault: err.sender_fault,
                }),
            }
        }
        let published = if msgs.is_empty() {
            Vec::new()
        } else {
            self.publish_to(&input.topic_arn, msgs).await?
        };
        Ok(g::PublishBatchResponse {
            successful: Some(
                ok_ids
                    .into_iter()
                    .zip(published)
                    .map(|(id, (mid, seq))| g::PublishBatchResultEntry {
                        id: Some(id),
                        message_id: Some(mid),
                        sequence_number: seq,
                    })
                    .collect(),
            ),
            failed: Some(failed),
        })
    }

    /// Fans `msgs` out to the topic's confirmed subscriptions; each message's id (and FIFO
    /// sequence number).
    pub(crate) async fn publish_to(
        &self,
        topic_arn: &str,
        msgs: Vec<Outgoing>,
    ) -> Result<Vec<(String, Option<String>)>, AwsError> {
        let (topic, subs) = {
            let mem = self.state.memory();
            let topic = mem
                .topics
                .get(topic_arn)
                .cloned()
                .ok_or_else(topic_not_found)?;
            let subs: Vec<Subscription> = mem
                .subscriptions
                .values()
                .filter(|s| s.topic_arn == topic_arn && s.confirmed)
                .cloned()
                .collect();
            (topic, subs)
        };
        let fifo = topic.is_fifo();
        let signer = self.signer().await;
        let version = topic
            .attributes
            .get("SignatureVersion")
            .cloned()
            .unwrap_or_else(|| "1".into());
        let content_dedup = topic
            .attributes
            .get("ContentBasedDeduplication")
            .is_some_and(|v| v == "true");
        let now = self.state.clock.now();
        let mut ids = Vec::new();
        let mut mail = Vec::new();
        let mut jobs = Vec::new();
        for (i, m) in msgs.iter().enumerate() {
            if fifo {
                if m.group_id.is_none() {
                    return Err(invalid(
                        "The MessageGroupId parameter is required for FIFO topics",
                    ));
                }
                if m.dedup_id.is_none() && !content_dedup {
                    return Err(invalid("The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly"));
                }
            } else if m.group_id.is_some() || m.dedup_id.is_some() {
                // Standard topics accept a group id since 2024 for SQS fair queues; a
                // deduplication id is for FIFO topics only.
                if m.dedup_id.is_some() {
                    return Err(invalid("MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type"));
                }
            }
            let id = self.state.uuid();
            let seq = fifo.then(|| format!("{:020}", now.0 as u64 * 1000 + i as u64));
            if fifo {
                // FIFO deduplication: a message with the id (explicit, or the SHA-256 of the
                // body) of one published in the last five minutes is accepted but not sent
                // again, and answers with the first one's ids.
                let dedup = m
                    .dedup_id
                    .clone()
                    .unwrap_or_else(|| hex::encode(sha2::Sha256::digest(m.message.as_bytes())));
                let mut seen = self.dedup.lock().unwrap_or_else(|e| e.into_inner());
                seen.retain(|_, (_, _, at)| now.0 - *at < DEDUP_WINDOW_MS);
                let k = (topic_arn.to_string(), dedup);
                if let Some((first, first_seq, _)) = seen.get(&k) {
                    ids.push((first.clone(), first_seq.clone()));
                    continue;
                }
                seen.insert(k, (id.clone(), seq.clone(), now.0));
            }
            for s in &subs {
                let body = m.body_for(&s.protocol);
                if let Some(policy) = s.attributes.get("FilterPolicy").filter(|p| !p.is_empty()) {
                    let on_body = s
                        .attributes
                        .get("FilterPolicyScope")
                        .is_some_and(|v| v == "MessageBody");
                    if !crate::filter::matches(policy, on_body, &m.attributes, &body) {
                        continue;
                    }
                }
                let doc = notification(
                    &id,
                    topic_arn,
                    m,
                    &body,
                    now,
                    s,
                    signer.as_deref(),
                    &version,
                );
                match s.protocol.as_str() {
                    "email" | "email-json" => mail.push(Mail {
                        id: self.state.uuid(),
                        timestamp: now,
                        to: s.endpoint.clone(),
                        subject: m.subject.clone().unwrap_or_else(|| "AWS Notification Message".into()),
                        body: if s.protocol == "email-json" {
                            doc.to_string()
                        } else {
                            format!(
                                "{body}\n\n--\nIf you wish to stop receiving notifications from this topic, please click or visit the link below to unsubscribe:\n{}\n\nPlease do not reply directly to this email.\n",
                                s.unsubscribe_url()
                            )
                        },
                        content_type: if s.protocol == "email-json" { "application/json" } else { "text/plain" }.into(),
                        topic_arn: topic_arn.into(),
                        subscription_arn: s.arn.clone(),
                        kind: "Notification".into(),
                        seq: self.state.next_mail_seq(),
                    }),
                    _ => {
                        let Ok(endpoint) = delivery::parse_endpoint(&s.protocol, &s.endpoint, self.egress) else {
                            continue;
                        };
                        let mut headers = vec![
                            ("x-amz-sns-message-type".to_string(), "Notification".to_string()),
                            ("x-amz-sns-message-id".into(), id.clone()),
                            ("x-amz-sns-topic-arn".into(), topic_arn.to_string()),
                            ("x-amz-sns-subscription-arn".into(), s.arn.clone()),
                            ("Content-Type".into(), "text/plain; charset=UTF-8".into()),
                            ("User-Agent".into(), "Amazon Simple Notification Service Agent".into()),
                        ];
                        let payload = if s.raw() {
                            headers.push(("x-amz-sns-rawdelivery".into(), "true".into()));
                            body
                        } else {
                            serde_json::to_string_pretty(&doc).unwrap_or_default()
                        };
                        jobs.push(Job {
                            id: self.state.uuid(),
                            endpoint,
                            headers,
                            body: payload,
                            attempts: 0,
                            not_before: now,
                        });
                    }
                }
            }
            ids.push((id, seq));
        }
        if !mail.is_empty() || !jobs.is_empty() {
            let put_jobs = jobs.clone();
            self.state
                .change(|_| {
                    Ok((
                        Change {
                            mail,
                            put_jobs,
                            ..Change::default()
                        },
                        (),
                    ))
                })
                .await?;
        }
        for j in jobs {
            self.queue.push(j);
        }
        Ok(ids)
    }

    pub(crate) fn outbox_json(&self, to: Option<&str>) -> serde_json::Value {
        let mem = self.state.memory();
        let mut mail: Vec<&Mail> = mem
            .outbox
            .iter()
            .filter(|m| to.is_none_or(|t| m.to == t))
            .collect();
        mail.sort_by_key(|m| (m.timestamp, m.seq));
        let deliveries: Vec<serde_json::Value> = self
            .queue
            .log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .cloned()
            .collect();
        serde_json::json!({
            "messages": mail.iter().map(|m| serde_json::json!({
                "id": m.id,
                "timestamp": m.timestamp.to_iso8601(),
                "to": m.to,
                "subject": m.subject,
                "body": m.body,
                "content_type": m.content_type,
                "topic_arn": m.topic_arn,
                "subscription_arn": m.subscription_arn,
                "type": m.kind,
            })).collect::<Vec<_>>(),
            "http_deliveries": deliveries,
        })
    }
}

/// AWS's `Notification` document, signed when a signer is at hand.
#[allow(clippy::too_many_arguments)]
fn notification(
    id: &str,
    topic_arn: &str,
    m: &Outgoing,
    body: &str,
    now: nimbus_core::Timestamp,
    s: &Subscription,
    signer: Option<&crate::signing::Signer>,
    version: &str,
) -> serde_json::Value {
    let mut doc = serde_json::Map::new();
    doc.insert("Type".into(), "Notification".into());
    doc.insert("MessageId".into(), id.into());
    doc.insert("TopicArn".into(), topic_arn.into());
    if let Some(subj) = &m.subject {
        doc.insert("Subject".into(), subj.clone().into());
    }
    doc.insert("Message".into(), body.into());
    let ts = now.to_iso8601();
    doc.insert("Timestamp".into(), ts.clone().into());
    if let Some(signer) = signer {
        let sig = signer.sign(
            version,
            &[
                ("Message", Some(body)),
                ("MessageId", Some(id)),
                ("Subject", m.subject.as_deref()),
                ("Timestamp", Some(&ts)),
                ("TopicArn", Some(topic_arn)),
                ("Type", Some("Notification")),
            ],
        );
        doc.insert("SignatureVersion".into(), version.into());
        doc.insert("Signature".into(), sig.into());
        doc.insert(
            "SigningCertURL".into(),
            format!("{}{}", s.base_url, crate::signing::CERT_PATH).into(),
        );
    }
    doc.insert("UnsubscribeURL".into(), s.unsubscribe_url().into());
    if !m.attributes.is_empty() {
        let attrs: serde_json::Map<String, serde_json::Value> = m
            .attributes
            .iter()
            .map(|(n, t, v)| (n.clone(), serde_json::json!({"Type": t, "Value": v})))
            .collect();
        doc.insert("MessageAttributes".into(), attrs.into());
    }
    serde_json::Value::Object(doc)
}
