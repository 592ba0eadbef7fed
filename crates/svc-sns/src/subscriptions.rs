//! Subscriptions: `Subscribe` (http sends a real `SubscriptionConfirmation` POST; email and
//! email-json put the confirmation in the outbox), `ConfirmSubscription` (by the API or by
//! visiting the `SubscribeURL`), `Unsubscribe`, the two list operations, and subscription
//! attributes (`RawMessageDelivery`, `FilterPolicy`, `FilterPolicyScope`, `DeliveryPolicy`).

use crate::delivery::{self, Job};
use crate::errors::{invalid, subscription_not_found as sub_not_found, topic_not_found};
use crate::generated as g;
use crate::handlers::EFFECTIVE_DELIVERY_POLICY;
use crate::signing::Signer;
use crate::state::{Change, Mail, Subscription};
use crate::Sns;
use nimbus_core::{AwsError, RequestContext};
use std::collections::BTreeMap;

const PAGE: usize = 100;
const PROTOCOLS: [&str; 4] = ["http", "https", "email", "email-json"];
const OTHER_PROTOCOLS: [&str; 5] = ["sqs", "lambda", "sms", "application", "firehose"];

fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn unpercent(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                match u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz"), 16)
                {
                    Ok(v) => {
                        out.push(v);
                        i += 3;
                        continue;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl Subscription {
    pub fn subscribe_url(&self) -> String {
        format!(
            "{}/_nimbus/sns/confirm?Action=ConfirmSubscription&TopicArn={}&Token={}",
            self.base_url,
            percent(&self.topic_arn),
            self.token
        )
    }

    pub fn unsubscribe_url(&self) -> String {
        format!(
            "{}/_nimbus/sns/unsubscribe?Action=Unsubscribe&SubscriptionArn={}",
            self.base_url,
            percent(&self.arn)
        )
    }

    pub fn raw(&self) -> bool {
        self.attributes
            .get("RawMessageDelivery")
            .is_some_and(|v| v == "true")
    }
}

impl Sns {
    pub(crate) async fn subscribe(
        &self,
        ctx: &RequestContext,
        input: g::SubscribeInput,
    ) -> Result<g::SubscribeResponse, AwsError> {
        let topic = self.topic(ctx, &input.topic_arn)?;
        let protocol = input.protocol.as_str();
        if OTHER_PROTOCOLS.contains(&protocol) {
            return Err(AwsError::not_implemented(
                "SNS",
                "Subscribe with protocols other than http, https, email and email-json",
            ));
        }
        if !PROTOCOLS.contains(&protocol) {
            return Err(invalid(format!("Invalid protocol type: {protocol}")));
        }
        if topic.is_fifo() {
            return Err(invalid(format!(
                "Invalid protocol type: {protocol} (FIFO topics deliver to SQS FIFO queues only)"
            )));
        }
        let endpoint = input.endpoint.unwrap_or_default();
        let http_target = match protocol {
            "http" | "https" => Some(
                delivery::parse_endpoint(protocol, &endpoint, self.egress)
                    .map_err(|why| invalid(format!("Endpoint: {why}")))?,
            ),
            _ => {
                let ok = endpoint
                    .split_once('@')
                    .is_some_and(|(u, d)| !u.is_empty() && d.contains('.'));
                if !ok {
                    return Err(invalid("Email address"));
                }
                None
            }
        };
        let mut attributes: BTreeMap<String, String> = BTreeMap::new();
        for (k, v) in input.attributes.unwrap_or_default() {
            check_sub_attribute(&k, &v, protocol)?;
            attributes.insert(k, v);
        }
        let now = self.state.clock.now();
        let arn = format!("{}:{}", topic.arn, self.state.uuid());
        let token = self.state.ids.hex(64);
        let base_url = format!("http://{}", ctx.host);
        let want_arn = input.return_subscription_arn.unwrap_or(false);
        let signer = self.signer().await;
        let version = topic
            .attributes
            .get("SignatureVersion")
            .cloned()
            .unwrap_or_else(|| "1".into());
        let (sub, queued) = self
            .state
            .change(|mem| {
                if let Some(s) = mem.subscriptions.values().find(|s| {
                    s.topic_arn == topic.arn && s.protocol == protocol && s.endpoint == endpoint
                }) {
                    return Ok((Change::default(), (s.clone(), None)));
                }
                if !mem.topics.contains_key(&topic.arn) {
                    return Err(topic_not_found());
                }
                let sub = Subscription {
                    arn: arn.clone(),
                    topic_arn: topic.arn.clone(),
                    account: ctx.account_id().to_string(),
                    protocol: protocol.to_string(),
                    endpoint: endpoint.clone(),
                    confirmed: false,
                    token: token.clone(),
                    attributes: attributes.clone(),
                    created: now,
                    base_url: base_url.clone(),
                };
                let mut change = Change {
                    put_subscriptions: vec![sub.clone()],
                    ..Change::default()
                };
                match &http_target {
                    None => {
                        change
                            .mail
                            .push(self.confirmation_mail(&sub, signer.as_deref(), &version))
                    }
                    Some(target) => {
                        let (headers, body) =
                            self.confirmation_message(&sub, signer.as_deref(), &version);
                        change.put_jobs.push(Job {
                            id: self.state.uuid(),
                            endpoint: target.clone(),
                            headers,
                            body,
                            attempts: 0,
                            not_before: now,
                        });
                    }
                }
                let job = change.put_jobs.first().cloned();
                Ok((change, (sub, job)))
            })
            .await?;
        if let Some(job) = queued {
            self.queue.push(job);
        }
        let shown = if sub.confirmed || want_arn {
            sub.arn
        } else {
            "pending confirmation".to_string()
        };
        Ok(g::SubscribeResponse {
            subscription_arn: Some(shown),
        })
    }

    fn confirmation_text(sub: &Subscription) -> String {
        format!(
            "You have chosen to subscribe to the topic {}.\nTo confirm the subscription, visit the SubscribeURL included in this message.",
            sub.topic_arn
        )
    }

    /// The `SubscriptionConfirmation` document, signed when a signer is at hand.
    fn confirmation_doc(
        &self,
        sub: &Subscription,
        id: &str,
        signer: Option<&Signer>,
        version: &str,
    ) -> serde_json::Value {
        let message = Self::confirmation_text(sub);
        let url = sub.subscribe_url();
        let ts = self.state.clock.now().to_iso8601();
        let mut doc = serde_json::json!({
            "Type": "SubscriptionConfirmation",
            "MessageId": id,
            "Token": sub.token,
            "TopicArn": sub.topic_arn,
            "Message": message,
            "SubscribeURL": url,
            "Timestamp": ts,
        });
        if let Some(signer) = signer {
            let sig = signer.sign(
                version,
                &[
                    ("Message", Some(&message)),
                    ("MessageId", Some(id)),
                    ("SubscribeURL", Some(&url)),
                    ("Timestamp", Some(&ts)),
                    ("Token", Some(&sub.token)),
                    ("TopicArn", Some(&sub.topic_arn)),
                    ("Type", Some("SubscriptionConfirmation")),
                ],
            );
            doc["SignatureVersion"] = version.into();
            doc["Signature"] = sig.into();
            doc["SigningCertURL"] = format!("{}{}", sub.base_url, crate::signing::CERT_PATH).into();
        }
        doc
    }

    /// The http `SubscriptionConfirmation` POST: headers and JSON body.
    fn confirmation_message(
        &self,
        sub: &Subscription,
        signer: Option<&Signer>,
        version: &str,
    ) -> (Vec<(String, String)>, String) {
        let id = self.state.uuid();
        let body = self.confirmation_doc(sub, &id, signer, version);
        let headers = vec![
            (
                "x-amz-sns-message-type".into(),
                "SubscriptionConfirmation".into(),
            ),
            ("x-amz-sns-message-id".into(), id),
            ("x-amz-sns-topic-arn".into(), sub.topic_arn.clone()),
            ("Content-Type".into(), "text/plain; charset=UTF-8".into()),
            (
                "User-Agent".into(),
                "Amazon Simple Notification Service Agent".into(),
            ),
        ];
        (
            headers,
            serde_json::to_string_pretty(&body).unwrap_or_default(),
        )
    }

    fn confirmation_mail(
        &self,
        sub: &Subscription,
        signer: Option<&Signer>,
        version: &str,
    ) -> Mail {
        let body = if sub.protocol == "email-json" {
            self.confirmation_doc(sub, &self.state.uuid(), signer, version)
                .to_string()
        } else {
            format!(
                "You have chosen to subscribe to the topic: \n{}\n\nTo confirm this subscription, click or visit the link below (If this was in error no action is necessary): \nConfirm subscription: {}\n\nPlease do not reply directly to this email. If you wish to remove yourself from receiving all future SNS subscription confirmation requests please send an email to sns-opt-out\n",
                sub.topic_arn,
                sub.subscribe_url()
            )
        };
        Mail {
            id: self.state.uuid(),
            timestamp: self.state.clock.now(),
            to: sub.endpoint.clone(),
            subject: "AWS Notification - Subscription Confirmation".into(),
            body,
            content_type: if sub.protocol == "email-json" {
                "application/json"
            } else {
                "text/plain"
            }
            .into(),
            topic_arn: sub.topic_arn.clone(),
            subscription_arn: sub.arn.clone(),
            kind: "SubscriptionConfirmation".into(),
            seq: self.state.next_mail_seq(),
        }
    }

    /// Confirms the subscription of `topic_arn` whose token is `token`; its ARN.
    pub(crate) async fn confirm(&self, topic_arn: &str, token: &str) -> Result<String, AwsError> {
        self.state
            .change(|mem| {
                let sub = mem
                    .subscriptions
                    .values()
                    .find(|s| s.topic_arn == topic_arn && s.token == token)
                    .ok_or_else(|| invalid("Token"))?;
                let mut sub = sub.clone();
                let arn = sub.arn.clone();
                if sub.confirmed {
                    return Ok((Change::default(), arn));
                }
                sub.confirmed = true;
                Ok((
                    Change {
                        put_subscriptions: vec![sub],
                        ..Change::default()
                    },
                    arn,
                ))
            })
            .await
    }

    /// `GET /_nimbus/sns/confirm?…&TopicArn=…&Token=…`.
    pub(crate) async fn confirm_by_url(&self, query: &str) -> (u16, serde_json::Value) {
        let mut topic = None;
        let mut token = None;
        for pair in query.split('&') {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            match k {
                "TopicArn" => topic = Some(unpercent(v)),
                "Token" => token = Some(unpercent(v)),
                _ => {}
            }
        }
        let (Some(topic), Some(token)) = (topic, token) else {
            return (
                400,
                serde_json::json!({"error": "TopicArn and Token are required"}),
            );
        };
        match self.confirm(&topic, &token).await {
            Ok(arn) => (
                200,
                serde_json::json!({"ConfirmSubscriptionResult": {"SubscriptionArn": arn}}),
            ),
            Err(e) => (
                e.status,
                serde_json::json!({"error": e.code, "message": e.message}),
            ),
        }
    }

    /// `GET /_nimbus/sns/unsubscribe?…&SubscriptionArn=…` (a notification's `UnsubscribeURL`).
    pub(crate) async fn unsubscribe_by_url(&self, query: &str) -> (u16, serde_json::Value) {
        let arn = query
            .split('&')
            .find_map(|p| p.strip_prefix("SubscriptionArn="))
            .map(unpercent);
        let Some(arn) = arn else {
            return (
                400,
                serde_json::json!({"error": "SubscriptionArn is required"}),
            );
        };
        let result = self
            .state
            .change(|mem| {
                let Some(sub) = mem.subscriptions.get(&arn) else {
                    return Err(sub_not_found());
                };
                let mut change = Change {
                    delete_subscriptions: vec![arn.clone()],
                    ..Change::default()
                };
                if let Some(t) = mem.topics.get(&sub.topic_arn) {
                    let mut t = t.clone();
                    t.deleted_subscriptions += 1;
                    change.put_topics.push(t);
                }
                Ok((change, ()))
            })
            .await;
        match result {
            Ok(()) => (
                200,
                serde_json::json!({"UnsubscribeResult": {"SubscriptionArn": arn}}),
            ),
            Err(e) => (
                e.status,
                serde_json::json!({"error": e.code, "message": e.message}),
            ),
        }
    }

    pub(crate) async fn unsubscribe(
        &self,
        ctx: &RequestContext,
        arn: &str,
    ) -> Result<(), AwsError> {
        let parts: Vec<&str> = arn.split(':').collect();
        if parts.len() != 7 || parts[0] != "arn" || parts[2] != "sns" {
            return Err(invalid("SubscriptionArn"));
        }
        if parts[3] != ctx.region || parts[4] != ctx.account_id() {
            return Err(sub_not_found());
        }
        self.state
            .change(|mem| {
                let Some(sub) = mem.subscriptions.get(arn) else {
                    return Ok((Change::default(), ()));
                };
                let mut change = Change {
                    delete_subscriptions: vec![arn.to_string()],
                    ..Change::default()
                };
                if let Some(t) = mem.topics.get(&sub.topic_arn) {
                    let mut t = t.clone();
                    t.deleted_subscriptions += 1;
                    change.put_topics.push(t);
                }
                Ok((change, ()))
            })
            .await
    }

    pub(crate) fn list_subscriptions(
        &self,
        ctx: &RequestContext,
        topic: Option<&str>,
        token: Option<String>,
    ) -> Result<(Vec<g::Subscription>, Option<String>), AwsError> {
        let mem = self.state.memory();
        let prefix = format!("arn:aws:sns:{}:{}:", ctx.region, ctx.account_id());
        let start = token.unwrap_or_else(|| prefix.clone());
        let mut subs: Vec<&Subscription> = mem
            .subscriptions
            .range(start..)
            .take_while(|(a, _)| a.starts_with(&prefix))
            .map(|(_, s)| s)
            .filter(|s| topic.is_none_or(|t| s.topic_arn == t))
            .take(PAGE + 1)
            .collect();
        let next = if subs.len() > PAGE {
            subs.pop().map(|s| s.arn.clone())
        } else {
            None
        };
        let out = subs
            .into_iter()
            .map(|s| g::Subscription {
                subscription_arn: Some(if s.confirmed {
                    s.arn.clone()
                } else {
                    "PendingConfirmation".into()
                }),
                owner: Some(s.account.clone()),
                protocol: Some(s.protocol.clone()),
                endpoint: Some(s.endpoint.clone()),
                topic_arn: Some(s.topic_arn.clone()),
            })
            .collect();
        Ok((out, next))
    }

    fn owned_subscription(
        &self,
        ctx: &RequestContext,
        arn: &str,
    ) -> Result<Subscription, AwsError> {
        let parts: Vec<&str> = arn.split(':').collect();
        if parts.len() != 7 || parts[0] != "arn" || parts[2] != "sns" {
            return Err(invalid("SubscriptionArn"));
        }
        if parts[3] != ctx.region || parts[4] != ctx.account_id() {
            return Err(sub_not_found());
        }
        self.state
            .memory()
            .subscriptions
            .get(arn)
            .cloned()
            .ok_or_else(sub_not_found)
    }

    pub(crate) fn subscription_attributes(
        &self,
        ctx: &RequestContext,
        arn: &str,
    ) -> Result<Vec<(String, String)>, AwsError> {
        let s = self.owned_subscription(ctx, arn)?;
        let mut out: BTreeMap<String, String> = BTreeMap::new();
        out.insert("SubscriptionArn".into(), s.arn.clone());
        out.insert("TopicArn".into(), s.topic_arn.clone());
        out.insert("Owner".into(), s.account.clone());
        out.insert("Protocol".into(), s.protocol.clone());
        out.insert("Endpoint".into(), s.endpoint.clone());
        out.insert(
            "ConfirmationWasAuthenticated".into(),
            s.confirmed.to_string(),
        );
        out.insert("PendingConfirmation".into(), (!s.confirmed).to_string());
        out.insert("RawMessageDelivery".into(), s.raw().to_string());
        out.insert(
            "SubscriptionPrincipal".into(),
            format!("arn:aws:iam::{}:root", s.account),
        );
        if s.protocol.starts_with("http") {
            out.insert(
                "EffectiveDeliveryPolicy".into(),
                EFFECTIVE_DELIVERY_POLICY.into(),
            );
        }
        for (k, v) in &s.attributes {
            out.insert(k.clone(), v.clone());
        }
        if out.get("FilterPolicy").is_some_and(|p| !p.is_empty())
            && !out.contains_key("FilterPolicyScope")
        {
            out.insert("FilterPolicyScope".into(), "MessageAttributes".into());
        }
        Ok(out.into_iter().collect())
    }

    pub(crate) async fn set_subscription_attribute(
        &self,
        ctx: &RequestContext,
        input: g::SetSubscriptionAttributesInput,
    ) -> Result<(), AwsError> {
        let mut s = self.owned_subscription(ctx, &input.subscription_arn)?;
        let value = input.attribute_value.unwrap_or_default();
        check_sub_attribute(&input.attribute_name, &value, &s.protocol)?;
        s.attributes.insert(input.attribute_name, value);
        self.state
            .change(|mem| {
                if !mem.subscriptions.contains_key(&s.arn) {
                    return Err(sub_not_found());
                }
                Ok((
                    Change {
                        put_subscriptions: vec![s],
                        ..Change::default()
                    },
                    (),
                ))
            })
            .await
    }
}

fn check_sub_attribute(name: &str, value: &str, protocol: &str) -> Result<(), AwsError> {
    match name {
        "RawMessageDelivery" => {
            if value != "true" && value != "false" {
                return Err(invalid("RawMessageDelivery: must be true or false"));
            }
            if value == "true" && protocol.starts_with("email") {
                return Err(invalid("Delivery protocol [email] does not support raw message delivery."));
            }
            Ok(())
        }
        "DeliveryPolicy" => serde_json::from_str::<serde_json::Value>(value)
            .map(|_| ())
            .map_err(|_| invalid("DeliveryPolicy: failed to parse JSON")),
        "FilterPolicy" => {
            if value.is_empty() {
                return Ok(());
            }
            crate::filter::validate(value).map_err(|why| invalid(format!("FilterPolicy: {why}")))
        }
        "FilterPolicyScope" => match value {
            "MessageAttributes" | "MessageBody" => Ok(()),
            _ => Err(invalid(format!(
                "FilterPolicyScope: Invalid value [{value}]. Please use either MessageBody or MessageAttributes"
            ))),
        },
        "RedrivePolicy" | "SubscriptionRoleArn" | "ReplayPolicy" => Err(AwsError::not_implemented(
            "SNS",
            "subscription attribute RedrivePolicy, SubscriptionRoleArn or ReplayPolicy",
        )),
        _ => Err(invalid("AttributeName")),
    }
}
