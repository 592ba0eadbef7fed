//! What SNS's generated `Router` asks the authorizer (from `codegen/authorization/sns.json`):
//! each operation's `sns:` action on the topic it names, and a refusal before anything
//! changes.

use nimbus_core::{Ids, ManualClock, Timestamp};
use nimbus_store::Store;
use nimbus_wire::convert::IntoValue;
use nimbus_wire::testing::{context, poll_once, DenyAndRecord};
use nimbus_wire::Protocol;
use std::sync::Arc;
use svc_sns::generated::*;

#[test]
fn operations_name_their_topics() {
    let ctx = context();
    let topic = format!("arn:aws:sns:{}:{}:orders", ctx.region, ctx.account_id());
    let create = access::create_topic(
        &ctx,
        &CreateTopicInput {
            name: "orders".into(),
            tags: Some(vec![Tag {
                key: "team".into(),
                value: "shop".into(),
            }]),
            ..Default::default()
        },
    );
    assert_eq!(
        (create[0].action, create[0].resources.as_slice()),
        ("sns:CreateTopic", &[topic.clone()][..])
    );
    assert_eq!(create[1].action, "sns:TagResource");
    let publish = access::publish(
        &ctx,
        &PublishInput {
            topic_arn: Some(topic.clone()),
            message: "m".into(),
            ..Default::default()
        },
    );
    assert_eq!(
        (publish[0].action, publish[0].resources.as_slice()),
        ("sns:Publish", &[topic.clone()][..])
    );
    let sub = access::subscribe(
        &ctx,
        &SubscribeInput {
            topic_arn: topic.clone(),
            protocol: "http".into(),
            endpoint: Some("http://127.0.0.1/".into()),
            ..Default::default()
        },
    );
    assert_eq!(sub[0].action, "sns:Subscribe");
    assert!(sub[0]
        .conditions
        .contains(&("sns:Protocol".into(), vec!["http".to_string()])));
    let list = access::list_topics(&ctx, &Default::default());
    assert_eq!(
        (list[0].action, list[0].resources.as_slice()),
        ("sns:ListTopics", &["*".to_string()][..])
    );
}

#[test]
fn a_refused_create_creates_nothing() {
    let clock = Arc::new(ManualClock::new(Timestamp(0)));
    let (svc, handle, _) = svc_sns::build(
        Store::in_memory(),
        clock,
        Arc::new(Ids::from_seed(1)),
        false,
    )
    .unwrap();
    let authz = DenyAndRecord::default();
    let op = MODEL.operation("CreateTopic").unwrap();
    let input = CreateTopicInput {
        name: "t".into(),
        ..Default::default()
    };
    let err = poll_once(svc.call(
        &context(),
        &authz,
        Protocol::Query,
        op,
        Some(input.into_value()),
    ))
    .unwrap_err();
    assert_eq!((err.code.as_ref(), err.status), ("AuthorizationError", 403));
    assert!(handle.0.state.memory().topics.is_empty());
}
