//! The registry's promises: workers run until stopped, failures and panics restart with
//! backoff and show in status, Nimbus-time sleeps wake on clock advances.

use super::*;
use nimbus_core::{ManualClock, Timestamp};
use std::sync::atomic::{AtomicU32, Ordering};

struct Counting {
    runs: AtomicU32,
    fail_first: u32,
    panic: bool,
}

impl Worker for Counting {
    fn name(&self) -> String {
        "counting".into()
    }

    fn run(self: Arc<Self>, mut stop: Stop) -> RunFuture {
        Box::pin(async move {
            let n = self.runs.fetch_add(1, Ordering::SeqCst) + 1;
            if n <= self.fail_first {
                if self.panic {
                    panic!("boom {n}");
                }
                anyhow::bail!("failure {n}");
            }
            stop.stopped().await;
            Ok(())
        })
    }
}

async fn wait_for(mut f: impl FnMut() -> bool) {
    for _ in 0..500 {
        if f() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("condition never held");
}

#[tokio::test]
async fn a_worker_runs_until_shutdown() {
    let workers = Workers::new();
    let w = Arc::new(Counting {
        runs: AtomicU32::new(0),
        fail_first: 0,
        panic: false,
    });
    workers.spawn(w.clone());
    wait_for(|| w.runs.load(Ordering::SeqCst) == 1).await;
    assert_eq!(workers.status()[0].state, State::Running);
    workers.shutdown(Duration::from_secs(5)).await;
    let s = &workers.status()[0];
    assert_eq!((s.state.clone(), s.restarts), (State::Stopped, 0));
}

#[tokio::test]
async fn failures_and_panics_restart_with_their_cause_reported() {
    for panic in [false, true] {
        let workers = Workers::new();
        let w = Arc::new(Counting {
            runs: AtomicU32::new(0),
            fail_first: 2,
            panic,
        });
        workers.spawn_with_backoff(w.clone(), Duration::from_millis(10));
        wait_for(|| w.runs.load(Ordering::SeqCst) == 3).await;
        let s = workers.status()[0].clone();
        assert_eq!(s.restarts, 2);
        let err = s.last_error.expect("last error kept");
        assert!(
            err.contains(if panic {
                "panicked: boom 2"
            } else {
                "failure 2"
            }),
            "{err}"
        );
        workers.shutdown(Duration::from_secs(5)).await;
    }
}

#[tokio::test]
async fn a_nimbus_time_sleep_wakes_on_an_advance_and_on_stop() {
    let clock = Arc::new(ManualClock::new(Timestamp::from_secs(1_800_000_000)));
    let (trigger, stop) = Stop::pair();
    let c = clock.clone();
    let mut s = stop.clone();
    let sleeper = tokio::spawn(async move { s.sleep(c.as_ref(), Duration::from_secs(3600)).await });
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert!(!sleeper.is_finished());
    clock.advance(Duration::from_secs(3600));
    assert!(tokio::time::timeout(Duration::from_secs(2), sleeper)
        .await
        .expect("woke")
        .expect("join"));

    let c = clock.clone();
    let mut s = stop.clone();
    let sleeper = tokio::spawn(async move { s.sleep(c.as_ref(), Duration::from_secs(3600)).await });
    trigger.trigger();
    assert!(!tokio::time::timeout(Duration::from_secs(2), sleeper)
        .await
        .expect("woke")
        .expect("join"));
}

#[tokio::test]
async fn workers_added_before_start_wait_for_it() {
    let workers = Workers::new();
    let w = Arc::new(Counting {
        runs: AtomicU32::new(0),
        fail_first: 0,
        panic: false,
    });
    workers.add(w.clone());
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(w.runs.load(Ordering::SeqCst), 0);
    assert!(workers.status().is_empty());
    workers.start();
    wait_for(|| w.runs.load(Ordering::SeqCst) == 1).await;
    let late = Arc::new(Counting {
        runs: AtomicU32::new(0),
        fail_first: 0,
        panic: false,
    });
    workers.add(late.clone());
    wait_for(|| late.runs.load(Ordering::SeqCst) == 1).await;
    assert_eq!(workers.status().len(), 2);
    workers.shutdown(Duration::from_secs(5)).await;
}
