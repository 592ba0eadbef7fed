//! SNS in process, against an in-memory store and a clock the tests move: topics and
//! subscriptions survive a restart and vanish on reset, email lands in the outbox, message
//! validation gives SNS's errors, and an http subscriber on loopback really receives the
//! confirmation and, once confirmed, the notification (retried after a failure); a write
//! the disk refuses changes nothing.

use crate::generated::{self as g, Handlers as _};
use crate::handlers::Service;
use nimbus_core::{Clock, Ids, ManualClock, Principal, RequestContext, Timestamp};
use nimbus_store::Store;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

struct Env {
    store: Store,
    clock: Arc<ManualClock>,
    svc: Service,
    handle: crate::Handle,
    worker: Arc<crate::delivery::Delivery>,
}

fn env_on(store: Store, clock: Arc<ManualClock>) -> Env {
    let (_, handle, worker) = crate::build(
        store.clone(),
        clock.clone(),
        Arc::new(Ids::from_seed(3)),
        false,
    )
    .expect("build");
    Env {
        store,
        clock,
        svc: Service(handle.0.clone()),
        handle,
        worker,
    }
}

fn env() -> Env {
    env_on(
        Store::in_memory(),
        Arc::new(ManualClock::new(Timestamp::from_secs(1_796_637_600))),
    )
}

fn ctx(clock: &ManualClock) -> RequestContext {
    RequestContext {
        request_id: "r".into(),
        principal: Principal::root("000000000000", "AK").into(),
        region: "us-east-1".into(),
        now: clock.now(),
        host: "127.0.0.1:4566".into(),
        source_ip: None,
    }
}

async fn topic(e: &Env, name: &str) -> String {
    e.svc
        .create_topic(
            &ctx(&e.clock),
            g::CreateTopicInput {
                name: name.into(),
                attributes: None,
                tags: None,
                data_protection_policy: None,
            },
        )
        .await
        .expect("create")
        .topic_arn
        .expect("arn")
}

async fn publish(
    e: &Env,
    arn: &str,
    message: &str,
) -> Result<g::PublishResponse, nimbus_core::AwsError> {
    e.svc
        .publish(
            &ctx(&e.clock),
            g::PublishInput {
                topic_arn: Some(arn.into()),
                message: message.into(),
                ..Default::default()
            },
        )
        .await
}

#[tokio::test]
async fn email_outbox_durability_and_reset() {
    let e = env();
    let arn = topic(&e, "alerts").await;
    let c = ctx(&e.clock);
    e.svc
        .subscribe(
            &c,
            g::SubscribeInput {
                topic_arn: arn.clone(),
                protocol: "email".into(),
                endpoint: Some("ops@example.com".into()),
                attributes: None,
                return_subscription_arn: Some(true),
            },
        )
        .await
        .expect("subscribe");
    let token = e
        .handle
        .0
        .state
        .memory()
        .subscriptions
        .values()
        .next()
        .unwrap()
        .token
        .clone();
    // Not confirmed: nothing but the confirmation is mailed.
    publish(&e, &arn, "before").await.expect("publish");
    assert_eq!(
        e.handle.outbox_json(None)["messages"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    e.svc
        .confirm_subscription(
            &c,
            g::ConfirmSubscriptionInput {
                topic_arn: arn.clone(),
                token,
                authenticate_on_unsubscribe: None,
            },
        )
        .await
        .expect("confirm");
    publish(&e, &arn, "after").await.expect("publish");
    let out = e.handle.outbox_json(Some("ops@example.com"));
    let msgs = out["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[1]["subject"], "AWS Notification Message");
    assert!(msgs[1]["body"].as_str().unwrap().starts_with("after\n"));

    // A restart keeps topic, confirmed subscription and mail.
    let again = env_on(e.store.clone(), e.clock.clone());
    {
        let mem = again.handle.0.state.memory();
        assert_eq!(mem.topics.len(), 1);
        assert!(mem.subscriptions.values().all(|s| s.confirmed));
        assert_eq!(mem.outbox.len(), 2);
    }

    // A reset forgets everything.
    let store = e.store.clone();
    e.svc
        .reset(Box::pin(async move {
            store
                .wipe_async()
                .await
                .map_err(|x| nimbus_wire::ResetError(x.to_string()))
        }))
        .await
        .expect("reset");
    assert!(e.handle.0.state.memory().topics.is_empty());
    let again = env_on(e.store.clone(), e.clock.clone());
    assert!(again.handle.0.state.memory().outbox.is_empty());
}

#[tokio::test]
async fn publish_validation() {
    let e = env();
    let arn = topic(&e, "v").await;
    let code = |r: Result<g::PublishResponse, nimbus_core::AwsError>| r.expect_err("refused").code;
    assert_eq!(code(publish(&e, &arn, "").await), "InvalidParameter");
    assert_eq!(
        code(publish(&e, "arn:aws:sns:us-east-1:000000000000:none", "x").await),
        "NotFound"
    );
    let big = "x".repeat(256 * 1024 + 1);
    assert_eq!(code(publish(&e, &arn, &big).await), "InvalidParameter");
    let r = e
        .svc
        .publish(
            &ctx(&e.clock),
            g::PublishInput {
                topic_arn: Some(arn.clone()),
                message: "{\"http\":\"x\"}".into(),
                message_structure: Some("json".into()),
                ..Default::default()
            },
        )
        .await;
    let err = r.expect_err("no default");
    assert_eq!(
        err.message,
        "Invalid parameter: Message Structure - No default entry in JSON message body"
    );
    assert_eq!(
        e.handle
            .publish_as_service("111111111111", &arn, "s", "m")
            .await
            .expect_err("other account"),
        format!("the topic {arn} belongs to another account; Nimbus does not evaluate topic policies for cross-account publishing yet")
    );
}

/// Accepts one HTTP request on `listener`, answers `status`, returns the request's text.
async fn accept(listener: &tokio::net::TcpListener, status: u16) -> String {
    let (mut s, _) = listener.accept().await.expect("accept");
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = s.read(&mut chunk).await.expect("read");
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf).to_string();
        if let Some(i) = text.find("\r\n\r\n") {
            let len: usize = text
                .lines()
                .find_map(|l| l.strip_prefix("Content-Length: "))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            if buf.len() >= i + 4 + len {
                break;
            }
        }
        if n == 0 {
            break;
        }
    }
    let reply = format!("HTTP/1.1 {status} X\r\nContent-Length: 0\r\n\r\n");
    s.write_all(reply.as_bytes()).await.expect("write");
    String::from_utf8_lossy(&buf).to_string()
}

#[tokio::test]
async fn http_confirmation_notification_and_retry() {
    let e = env();
    let arn = topic(&e, "web").await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/in", listener.local_addr().unwrap());
    let c = ctx(&e.clock);
    let out = e
        .svc
        .subscribe(
            &c,
            g::SubscribeInput {
                topic_arn: arn.clone(),
                protocol: "http".into(),
                endpoint: Some(url),
                attributes: None,
                return_subscription_arn: None,
            },
        )
        .await
        .expect("subscribe");
    assert_eq!(
        out.subscription_arn.as_deref(),
        Some("pending confirmation")
    );
    e.worker.run_due().await;
    let req = accept(&listener, 200).await;
    assert!(req.starts_with("POST /in HTTP/1.1\r\n"), "{req}");
    assert!(req.contains("x-amz-sns-message-type: SubscriptionConfirmation\r\n"));
    let body: serde_json::Value =
        serde_json::from_str(&req[req.find("\r\n\r\n").unwrap() + 4..]).expect("json");
    let token = body["Token"].as_str().unwrap().to_string();
    assert_eq!(
        body["SubscribeURL"].as_str().unwrap(),
        format!(
            "http://127.0.0.1:4566/_nimbus/sns/confirm?Action=ConfirmSubscription&TopicArn={}&Token={token}",
            arn.replace(':', "%3A")
        )
    );
    let (status, _) = e
        .handle
        .confirm_by_url(&format!(
            "TopicArn={}&Token={token}",
            arn.replace(':', "%3A")
        ))
        .await;
    assert_eq!(status, 200);

    // The delivered confirmation leaves the pending deliveries once its outcome is stored.
    for _ in 0..100 {
        if e.handle.0.state.memory().pending.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(e.handle.0.state.memory().pending.is_empty());
    publish(&e, &arn, "hello").await.expect("publish");
    // The delivery is durable before the publish is answered: a restart would still make it.
    let restarted = env_on(e.store.clone(), e.clock.clone());
    assert_eq!(restarted.handle.0.state.memory().pending.len(), 1);
    drop(restarted);
    e.worker.run_due().await;
    let first = accept(&listener, 503).await;
    assert!(first.contains("\"Message\": \"hello\""), "{first}");
    // Let the failed attempt be requeued, then nothing is due until 20 s later.
    tokio::time::sleep(Duration::from_millis(100)).await;
    e.worker.run_due().await;
    e.clock.advance(Duration::from_secs(20));
    e.worker.run_due().await;
    let again = accept(&listener, 200).await;
    assert!(again.contains("x-amz-sns-message-type: Notification\r\n"));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let log = e.handle.outbox_json(None)["http_deliveries"].clone();
    let delivered: Vec<bool> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["delivered"].as_bool().unwrap())
        .collect();
    assert_eq!(delivered, [true, false, true]);
    // Delivered: no longer pending, in memory or in the store.
    for _ in 0..100 {
        if e.handle.0.state.memory().pending.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(e.handle.0.state.memory().pending.is_empty());
    assert!(env_on(e.store.clone(), e.clock.clone())
        .handle
        .0
        .state
        .memory()
        .pending
        .is_empty());
}

/// A change the disk refuses is answered with SNS's `InternalError` (500) and reaches
/// neither memory nor the store; the next one, once the disk is back, does.
#[tokio::test]
async fn a_refused_write_is_an_internal_error_and_changes_nothing() {
    use nimbus_store::{Fault, FaultyEngine, MemoryEngine};
    let faulty = Arc::new(FaultyEngine::new(Arc::new(MemoryEngine::new())));
    let e = env_on(
        Store::new(faulty.clone()),
        Arc::new(ManualClock::new(Timestamp::from_secs(1_796_637_600))),
    );
    topic(&e, "kept").await;
    faulty.arm(Fault::Io);
    let err = e
        .svc
        .create_topic(
            &ctx(&e.clock),
            g::CreateTopicInput {
                name: "lost".into(),
                attributes: None,
                tags: None,
                data_protection_policy: None,
            },
        )
        .await
        .expect_err("the disk refuses the write");
    assert_eq!((err.code.as_ref(), err.status), ("InternalError", 500));
    assert!(
        err.message.starts_with("storage failure: "),
        "{}",
        err.message
    );
    let names = |e: &Env| -> Vec<String> {
        let mem = e.handle.0.state.memory();
        mem.topics.values().map(|t| t.name.clone()).collect()
    };
    assert_eq!(names(&e), ["kept"], "not in memory");
    let restarted = env_on(e.store.clone(), e.clock.clone());
    assert_eq!(names(&restarted), ["kept"], "not in the store");
    faulty.clear();
    topic(&e, "lost").await;
    assert_eq!(names(&e), ["kept", "lost"]);
}
