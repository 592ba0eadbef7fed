//! Nimbus's long-running work that is not request/response — health checkers, the alarm
//! evaluator, group reconcilers, the instance supervisor, the DNS server — runs as named
//! [`Worker`]s owned by one [`Workers`] registry (DESIGN.md §6: never a bare
//! `tokio::spawn(loop {..})`).
//!
//! The registry starts each worker on the ambient tokio runtime, hands it a [`Stop`] signal,
//! and supervises it: a worker whose `run` returns an error, panics, or returns while Nimbus
//! is not stopping is logged and started again after a backoff (1 s, doubling to 60 s; reset
//! once a run has lasted a minute), never silently gone. [`Workers::status`] reports each
//! worker's state for `GET /_nimbus/health`; [`Workers::shutdown`] signals every worker and
//! waits (bounded) for them to return.
//!
//! Time: workers that wait "an interval" wait in *Nimbus* time with [`Stop::sleep`], which
//! wakes early when the clock is advanced or runs faster (`--time-scale`). It polls the clock
//! in short real-time slices instead of trusting one long timer, because an advance through
//! the admin endpoint moves Nimbus time without telling anyone.
//!
//! This crate owns no AWS knowledge and no service state.

use nimbus_core::Clock;
use serde::Serialize;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The future a worker's run returns.
pub type RunFuture = Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send + 'static>>;

/// A named background task.
pub trait Worker: Send + Sync + 'static {
    /// A short stable name (`alarm-evaluator`, `lb-health:app/my-alb/…`), unique in the registry.
    fn name(&self) -> String;

    /// Does the work until `stop` fires, then returns `Ok(())`. An `Err` (or a panic) is
    /// logged and the worker is run again after a backoff.
    fn run(self: Arc<Self>, stop: Stop) -> RunFuture;
}

/// The longest real-time slice [`Stop::sleep`] waits before looking at the clock again.
const POLL: Duration = Duration::from_millis(50);

/// The shutdown signal a worker receives. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Stop {
    rx: watch::Receiver<bool>,
}

impl Stop {
    /// A signal that never fires unless `trigger` is used (tests).
    pub fn pair() -> (StopTrigger, Stop) {
        let (tx, rx) = watch::channel(false);
        (StopTrigger { tx: Arc::new(tx) }, Stop { rx })
    }

    pub fn is_stopped(&self) -> bool {
        *self.rx.borrow()
    }

    /// Resolves once Nimbus is stopping.
    pub async fn stopped(&mut self) {
        // An error means every sender is gone: that is a stop too.
        let _ = self.rx.wait_for(|s| *s).await;
    }

    /// Waits `d` of Nimbus time on `clock`, waking early when the clock is advanced or
    /// scaled. Returns `false` if Nimbus started stopping meanwhile (the caller should return).
    pub async fn sleep(&mut self, clock: &dyn Clock, d: Duration) -> bool {
        let until = nimbus_core::Timestamp(
            clock
                .now()
                .0
                .saturating_add(d.as_millis().min(i64::MAX as u128) as i64),
        );
        self.sleep_until(clock, until).await
    }

    /// Waits until Nimbus time `t` (see [`Stop::sleep`]).
    pub async fn sleep_until(&mut self, clock: &dyn Clock, t: nimbus_core::Timestamp) -> bool {
        loop {
            if self.is_stopped() {
                return false;
            }
            if clock.now() >= t {
                return true;
            }
            let slice = clock.real_until(t).min(POLL).max(Duration::from_millis(1));
            tokio::select! {
                _ = tokio::time::sleep(slice) => {}
                _ = self.stopped() => return false,
            }
        }
    }
}

/// Fires a [`Stop`].
#[derive(Clone, Debug)]
pub struct StopTrigger {
    tx: Arc<watch::Sender<bool>>,
}

impl StopTrigger {
    pub fn trigger(&self) {
        let _ = self.tx.send(true);
    }
}

/// What a worker is doing, as health reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Running,
    /// Failed and waiting out its backoff before the next run.
    Restarting,
    Stopped,
}

/// One worker's line in `GET /_nimbus/health`.
#[derive(Clone, Debug, Serialize)]
pub struct Status {
    pub name: String,
    pub state: State,
    /// How many times it was started again after a failure.
    pub restarts: u64,
    pub last_error: Option<String>,
}

struct Entry {
    status: Arc<Mutex<Status>>,
    handle: JoinHandle<()>,
}

/// The registry of running workers.
pub struct Workers {
    trigger: StopTrigger,
    stop: Stop,
    entries: Mutex<Vec<Entry>>,
    /// Workers added before [`Workers::start`] (wiring happens before the runtime exists);
    /// `None` once started.
    pending: Mutex<Option<Vec<Arc<dyn Worker>>>>,
}

impl std::fmt::Debug for Workers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workers")
            .field("workers", &self.status())
            .finish()
    }
}

impl Default for Workers {
    fn default() -> Self {
        Self::new()
    }
}

const FIRST_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// A run that lasted this long before failing starts the backoff afresh.
const HEALTHY_RUN: Duration = Duration::from_secs(60);

impl Workers {
    pub fn new() -> Self {
        let (trigger, stop) = Stop::pair();
        Workers {
            trigger,
            stop,
            entries: Mutex::new(Vec::new()),
            pending: Mutex::new(Some(Vec::new())),
        }
    }

    /// Adds `worker`: queued until [`Workers::start`], started at once after it.
    pub fn add(&self, worker: Arc<dyn Worker>) {
        let mut pending = lock(&self.pending);
        match pending.as_mut() {
            Some(queue) => queue.push(worker),
            None => {
                drop(pending);
                self.spawn(worker);
            }
        }
    }

    /// Starts every queued worker on the current tokio runtime; later [`Workers::add`]s
    /// start at once. Idempotent.
    pub fn start(&self) {
        let queued = lock(&self.pending).take().unwrap_or_default();
        for w in queued {
            self.spawn(w);
        }
    }

    /// Starts `worker` on the current tokio runtime under supervision. Must be called from
    /// within a runtime.
    pub fn spawn(&self, worker: Arc<dyn Worker>) {
        self.spawn_with_backoff(worker, FIRST_BACKOFF);
    }

    fn spawn_with_backoff(&self, worker: Arc<dyn Worker>, first_backoff: Duration) {
        let status = Arc::new(Mutex::new(Status {
            name: worker.name(),
            state: State::Running,
            restarts: 0,
            last_error: None,
        }));
        let handle = tokio::spawn(supervise(
            worker,
            self.stop.clone(),
            status.clone(),
            first_backoff,
        ));
        lock(&self.entries).push(Entry { status, handle });
    }

    /// Every worker's state, in start order.
    pub fn status(&self) -> Vec<Status> {
        lock(&self.entries)
            .iter()
            .map(|e| lock(&e.status).clone())
            .collect()
    }

    /// The stop signal workers receive (for tasks that are not workers but should stop too).
    pub fn stop_signal(&self) -> Stop {
        self.stop.clone()
    }

    /// Signals every worker to stop and waits up to `grace` for them to return; the ones
    /// still running then are aborted. Idempotent.
    pub async fn shutdown(&self, grace: Duration) {
        self.trigger.trigger();
        lock(&self.pending).take();
        let handles: Vec<JoinHandle<()>> = lock(&self.entries)
            .iter_mut()
            .map(|e| std::mem::replace(&mut e.handle, tokio::spawn(async {})))
            .collect();
        let deadline = tokio::time::Instant::now() + grace;
        for mut h in handles {
            if tokio::time::timeout_at(deadline, &mut h).await.is_err() {
                h.abort();
            }
        }
        for e in lock(&self.entries).iter() {
            lock(&e.status).state = State::Stopped;
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

async fn supervise(
    worker: Arc<dyn Worker>,
    mut stop: Stop,
    status: Arc<Mutex<Status>>,
    first_backoff: Duration,
) {
    let name = worker.name();
    tracing::info!(target: "nimbus::worker", worker = %name, "worker started");
    let mut backoff = first_backoff;
    loop {
        lock(&status).state = State::Running;
        let started = Instant::now();
        // Run on its own task so a panic is caught as a JoinError instead of killing us.
        let outcome = tokio::spawn(worker.clone().run(stop.clone())).await;
        if stop.is_stopped() {
            if let Ok(Err(e)) = &outcome {
                tracing::error!(target: "nimbus::worker", worker = %name, error = %format!("{e:#}"), "worker failed while stopping");
            }
            break;
        }
        let why = match outcome {
            Ok(Ok(())) => "returned while Nimbus was not stopping".to_string(),
            Ok(Err(e)) => format!("{e:#}"),
            Err(e) if e.is_panic() => format!("panicked: {}", panic_message(e)),
            Err(e) => format!("was cancelled: {e}"),
        };
        if started.elapsed() >= HEALTHY_RUN {
            backoff = first_backoff;
        }
        tracing::error!(target: "nimbus::worker", worker = %name, cause = %why,
            restart_in_s = backoff.as_secs_f64(), "worker stopped unexpectedly; restarting");
        {
            let mut s = lock(&status);
            s.state = State::Restarting;
            s.restarts += 1;
            s.last_error = Some(why);
        }
        tokio::select! {
            _ = tokio::time::sleep(backoff) => {}
            _ = stop.stopped() => break,
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
    lock(&status).state = State::Stopped;
}

fn panic_message(e: tokio::task::JoinError) -> String {
    let p = e.into_panic();
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "(no message)".to_string()
    }
}

#[cfg(test)]
mod tests;
