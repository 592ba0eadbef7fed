//! The `alarm-evaluator` background worker: on the Nimbus clock, it evaluates each alarm
//! when it is due ([`Alarms::evaluate_due`]) and sleeps until the next one is (at most a
//! second of Nimbus time, so new alarms are picked up promptly). An evaluation that fails
//! (the store refused a write) is returned as an error, and the registry restarts the
//! worker after its backoff.

use super::Alarms;
use nimbus_workers::{RunFuture, Stop, Worker};
use std::sync::Arc;
use std::time::Duration;

pub struct AlarmEvaluator {
    pub alarms: Arc<Alarms>,
}

/// The longest the evaluator sleeps (Nimbus time) between looks at the alarms.
const MAX_SLEEP: Duration = Duration::from_secs(1);

impl Worker for AlarmEvaluator {
    fn name(&self) -> String {
        "alarm-evaluator".into()
    }

    fn run(self: Arc<Self>, mut stop: Stop) -> RunFuture {
        Box::pin(async move {
            loop {
                if stop.is_stopped() {
                    return Ok(());
                }
                self.alarms
                    .evaluate_due()
                    .await
                    .map_err(|e| anyhow::anyhow!("evaluating alarms: {e}"))?;
                let clock = self.alarms.clock.clone();
                let now = clock.now();
                let cap = nimbus_core::Timestamp(now.0 + MAX_SLEEP.as_millis() as i64);
                let until = self.alarms.next_due().map_or(cap, |t| t.min(cap).max(now));
                if !stop.sleep_until(clock.as_ref(), until).await {
                    return Ok(());
                }
            }
        })
    }
}
