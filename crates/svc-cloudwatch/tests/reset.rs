//! Reset: it empties memory and the store together, a failed one changes nothing, and puts
//! racing resets leave memory and the store (seen by a service loaded afresh) agreeing.

use nimbus_core::{ManualClock, Principal, RequestContext, Timestamp};
use nimbus_store::Store;
use nimbus_wire::{ResetError, ResetStep};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use svc_cloudwatch::generated::{self as g, Handlers};
use svc_cloudwatch::CloudWatch;

const NOW: Timestamp = Timestamp(1_700_000_000_000);

fn ctx() -> RequestContext {
    RequestContext {
        request_id: "req-1".into(),
        principal: Principal::root("000000000000", "AKIDEXAMPLE").into(),
        region: "us-east-1".into(),
        now: NOW,
        host: "localhost".into(),
        source_ip: None,
    }
}

fn load(store: &Store) -> CloudWatch {
    CloudWatch::load(store.clone(), Arc::new(ManualClock::new(NOW))).expect("load")
}

fn wipe(store: &Store) -> ResetStep<'_> {
    Box::pin(async move {
        store
            .wipe_async()
            .await
            .map_err(|e| ResetError(e.to_string()))
    })
}

async fn put(cw: &CloudWatch, name: &str) {
    cw.put_metric_data(
        &ctx(),
        g::PutMetricDataInput {
            namespace: "Reset".into(),
            metric_data: Some(vec![g::MetricDatum {
                metric_name: name.into(),
                value: Some(1.0),
                ..Default::default()
            }]),
            ..Default::default()
        },
    )
    .await
    .expect("put");
}

/// Every metric name the service lists, sorted.
async fn names(cw: &CloudWatch) -> Vec<String> {
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let page = cw
            .list_metrics(
                &ctx(),
                g::ListMetricsInput {
                    next_token: token,
                    ..Default::default()
                },
            )
            .await
            .expect("list");
        out.extend(
            page.metrics
                .unwrap_or_default()
                .into_iter()
                .filter_map(|m| m.metric_name),
        );
        token = page.next_token;
        if token.is_none() {
            break;
        }
    }
    out.sort();
    out
}

#[tokio::test]
async fn reset_empties_memory_and_store() {
    let store = Store::in_memory();
    let cw = load(&store);
    put(&cw, "before").await;
    cw.reset(wipe(&store)).await.expect("reset");
    assert!(names(&cw).await.is_empty());
    put(&cw, "after").await;
    assert_eq!(names(&cw).await, ["after"]);
    assert_eq!(names(&load(&store)).await, ["after"]);
}

#[tokio::test]
async fn a_failed_reset_keeps_everything() {
    let store = Store::in_memory();
    let cw = load(&store);
    put(&cw, "kept").await;
    let failing: ResetStep<'_> = Box::pin(async { Err(ResetError("disk on fire".into())) });
    assert!(cw.reset(failing).await.is_err());
    assert_eq!(names(&cw).await, ["kept"]);
    assert_eq!(names(&load(&store)).await, ["kept"]);
}

/// Puts racing resets: after every reset, once the puts in flight have finished, memory
/// holds exactly what the store holds. Before resets held the puts back, a put whose batch
/// landed just before the wipe added its samples to memory after the reset had cleared it:
/// memory showed metrics the store no longer had (and a restart lost them).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resets_racing_puts_leave_memory_and_store_agreeing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open_dir(dir.path()).expect("open store");
    let cw = Arc::new(load(&store));
    let stop = Arc::new(AtomicBool::new(false));
    // Puts hold it shared for their whole call; the checker takes it to let them finish.
    let gate = Arc::new(tokio::sync::RwLock::new(()));
    let putters: Vec<_> = (0..6)
        .map(|t| {
            let (cw, stop, gate) = (cw.clone(), stop.clone(), gate.clone());
            tokio::spawn(async move {
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    let _in_flight = gate.read().await;
                    put(&cw, &format!("m-{t}-{i}")).await;
                    i += 1;
                }
            })
        })
        .collect();
    for round in 0..100 {
        tokio::time::sleep(std::time::Duration::from_micros(500)).await;
        cw.reset(wipe(&store)).await.expect("reset");
        let _quiet = gate.write().await;
        assert_eq!(
            names(&cw).await,
            names(&load(&store)).await,
            "memory and store disagree after reset {round}"
        );
    }
    stop.store(true, Ordering::Relaxed);
    for p in putters {
        p.await.expect("putter");
    }
}
