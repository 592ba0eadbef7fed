//! [`Store`]: the handle services use, and the two ways it hands batches to its engine,
//! picked once from [`Engine::commit_mode`] so that callers never know which one they have.
//!
//! Reads go straight to the engine. For an engine whose `apply` waits for the disk
//! ([`CommitMode::Grouped`], redb), writes go to one named OS thread, `store-writer`, over a
//! channel: it takes the first queued batch, drains whatever else is already queued (up to
//! [`MAX_GROUP_BATCHES`] batches or [`MAX_GROUP_BYTES`] bytes), applies the whole group as one
//! engine transaction (one fsync), then answers every waiter with the same result. No timer
//! is involved: while one group's fsync runs, the next group forms by itself, so a lone
//! writer pays one fsync per commit and 32 concurrent writers share them. The writer is an
//! OS thread rather than a tokio task because `apply` blocks on fsync; async callers wait on
//! a `tokio::sync::oneshot` and never block the runtime.
//!
//! For an engine whose `apply` is cheap ([`CommitMode::Inline`], the memory engine), there
//! is nothing to share and the hand-off to another thread would cost several times the
//! apply, so each batch is applied in the submitting thread under the store's lock before
//! `submit` returns; the future it returns is already resolved. The lock's order is the
//! submission order, and a wipe or shutdown takes the same lock, so the guarantees below
//! hold in both modes.
//!
//! A failed engine write (a full disk, an I/O error) is answered with the error, never
//! acknowledged; the store is then *degraded* ([`Store::degraded`]) and calls
//! [`Engine::recover`] after that failure and before each later write until one succeeds,
//! so writes resume by themselves once the cause is gone. Only the engine failing does
//! that ([`StoreError::is_engine_failure`]): a batch refused for what it holds (an invalid
//! table name) fails its own callers and leaves the store healthy.
//!
//! Guarantees: a caller is answered only after [`Engine::apply_owned`] returned (for redb:
//! after the data is durable); a batch submitted after another one returned from `submit`
//! is applied after it; a wipe comes after every batch submitted before it; after
//! [`Store::shutdown`] returns, nothing more is applied.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;

use tokio::sync::oneshot;

use crate::{Batch, CommitMode, Engine, KvPairs, MemoryEngine, RedbEngine, StoreError};

/// Most batches merged into one engine transaction.
pub const MAX_GROUP_BATCHES: usize = 1024;
/// Approximate payload bound of one group (a group may exceed it by its last batch).
pub const MAX_GROUP_BYTES: usize = 8 * 1024 * 1024;

type Outcome = Result<(), StoreError>;

enum Reply {
    Async(oneshot::Sender<Outcome>),
    Blocking(mpsc::SyncSender<Outcome>),
}

impl Reply {
    fn send(self, outcome: Outcome) {
        // The waiter may have gone away (dropped future); its write is still applied.
        let _ = match self {
            Reply::Async(tx) => tx.send(outcome).map_err(drop),
            Reply::Blocking(tx) => tx.send(outcome).map_err(drop),
        };
    }
}

enum Msg {
    Commit(Batch, Reply),
    Wipe(Reply),
    Shutdown,
}

/// A write request, before it is known whether it runs here or on the writer.
enum Job {
    Commit(Batch),
    Wipe,
}

/// What a caller waits on: the outcome itself (inline, or refused before queueing) or the
/// receiving end of the writer's reply.
enum Ack<W> {
    Done(Outcome),
    Queued(W),
}

impl Ack<oneshot::Receiver<Outcome>> {
    async fn outcome(self) -> Outcome {
        match self {
            Ack::Done(outcome) => outcome,
            // The writer dropped the reply unanswered: it stopped before reaching this job.
            Ack::Queued(rx) => rx.await.map_err(|_| StoreError::Closed)?,
        }
    }
}

impl Ack<mpsc::Receiver<Outcome>> {
    fn outcome(self) -> Outcome {
        match self {
            Ack::Done(outcome) => outcome,
            Ack::Queued(rx) => rx.recv().map_err(|_| StoreError::Closed)?,
        }
    }
}

fn async_reply() -> (Reply, oneshot::Receiver<Outcome>) {
    let (tx, rx) = oneshot::channel();
    (Reply::Async(tx), rx)
}

fn blocking_reply() -> (Reply, mpsc::Receiver<Outcome>) {
    let (tx, rx) = mpsc::sync_channel(1);
    (Reply::Blocking(tx), rx)
}

/// Counters of the store's writes, for status pages and benchmarks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreStats {
    /// Engine transactions attempted (each one fsync on a durable engine; one per batch
    /// when the engine applies inline).
    pub groups: u64,
    /// Batches committed successfully.
    pub batches: u64,
    /// Groups whose apply failed (every batch in them got the error).
    pub failed_groups: u64,
    /// Largest group seen, in batches.
    pub max_group: u64,
    /// Requests sent to the writer and not yet picked up by it (queue depth; always 0 when
    /// the engine applies inline).
    pub pending: u64,
    /// Total time spent inside engine calls (apply and wipe), in microseconds.
    pub engine_micros: u64,
}

#[derive(Default)]
struct Counters {
    /// The last engine write failed, and this is why; cleared by the next success.
    failing: Mutex<Option<String>>,
    groups: AtomicU64,
    batches: AtomicU64,
    failed_groups: AtomicU64,
    max_group: AtomicU64,
    pending: AtomicU64,
    engine_nanos: AtomicU64,
}

impl Counters {
    /// Before a write: while degraded, gives the engine another chance to recover (the
    /// cause may be gone since the last failure). A failure here shows in the write itself.
    fn prepare(&self, engine: &dyn Engine) {
        if lock(&self.failing).is_some() {
            let _ = guarded(|| engine.recover());
        }
    }

    /// Notes the outcome of an engine write; after a failure, asks the engine to recover.
    /// `stores_data`: the write put bytes (or wiped); only such a success proves the store
    /// healthy again — a delete-only write (the barrier services submit after a failure to
    /// rebuild their memory) can succeed on a full disk.
    fn settle(&self, engine: &dyn Engine, outcome: &Outcome, stores_data: bool) {
        match outcome {
            Ok(()) if !stores_data => {}
            Ok(()) => {
                let mut failing = lock(&self.failing);
                if failing.take().is_some() {
                    tracing::warn!(target: "nimbus::store", "store writes succeed again");
                }
            }
            // A batch refused before anything was written (an invalid table name: the
            // caller's mistake) says nothing about the disk; only the caller hears of it.
            Err(e) if !e.is_engine_failure() => {}
            Err(e) => {
                let first = lock(&self.failing).replace(e.to_string()).is_none();
                if first {
                    tracing::error!(target: "nimbus::store", error = %e,
                        "store write failed; degraded until a write succeeds");
                }
                if let Err(r) = guarded(|| engine.recover()) {
                    *lock(&self.failing) = Some(format!("{e}; recovering failed too: {r}"));
                }
            }
        }
    }

    /// Records one engine transaction of `n` batches.
    fn group(&self, n: u64, outcome: &Outcome) {
        self.groups.fetch_add(1, Ordering::Relaxed);
        self.max_group.fetch_max(n, Ordering::Relaxed);
        match outcome {
            Ok(()) => self.batches.fetch_add(n, Ordering::Relaxed),
            Err(_) => self.failed_groups.fetch_add(1, Ordering::Relaxed),
        };
    }
}

/// How writes reach the engine; chosen by [`Store::new`] from [`Engine::commit_mode`].
enum Writes {
    /// [`CommitMode::Grouped`]: through the `store-writer` thread.
    Writer {
        tx: mpsc::Sender<Msg>,
        thread: Mutex<Option<JoinHandle<()>>>,
    },
    /// [`CommitMode::Inline`]: in the caller's thread. The lock serializes applies and
    /// wipes (its order is the submission order) and holds whether the store is still open,
    /// so `shutdown` waits for an apply in progress and every later one sees it closed.
    Inline { open: Mutex<bool> },
}

struct Inner {
    engine: Arc<dyn Engine>,
    writes: Writes,
    counters: Arc<Counters>,
}

impl Inner {
    /// Runs `job` now, in this thread ([`Writes::Inline`] only).
    fn run_inline(&self, open: &Mutex<bool>, job: Job) -> Outcome {
        // Held until the job is done, so a shutdown cannot return while an apply runs.
        let open = lock(open);
        if !*open {
            return Err(StoreError::Closed);
        }
        match job {
            Job::Commit(batch) => {
                self.counters.prepare(&*self.engine);
                let puts = stores_data(std::slice::from_ref(&batch));
                let outcome = timed(&self.counters, || self.engine.apply_owned(vec![batch]));
                self.counters.group(1, &outcome);
                self.counters.settle(&*self.engine, &outcome, puts);
                outcome
            }
            Job::Wipe => {
                self.counters.prepare(&*self.engine);
                let outcome = timed(&self.counters, || self.engine.wipe());
                self.counters.settle(&*self.engine, &outcome, true);
                outcome
            }
        }
    }

    /// Hands `job` to the engine: applied at once (inline), or queued for the writer with a
    /// reply made by `reply`.
    fn dispatch<W>(&self, job: Job, reply: fn() -> (Reply, W)) -> Ack<W> {
        match &self.writes {
            Writes::Inline { open } => Ack::Done(self.run_inline(open, job)),
            Writes::Writer { tx, .. } => {
                let (reply, waiter) = reply();
                let msg = match job {
                    Job::Commit(batch) => Msg::Commit(batch, reply),
                    Job::Wipe => Msg::Wipe(reply),
                };
                match self.send(tx, msg) {
                    Ok(()) => Ack::Queued(waiter),
                    Err(e) => Ack::Done(Err(e)),
                }
            }
        }
    }

    fn send(&self, tx: &mpsc::Sender<Msg>, msg: Msg) -> Result<(), StoreError> {
        let pending = &self.counters.pending;
        pending.fetch_add(1, Ordering::Relaxed);
        tx.send(msg).map_err(|_| {
            pending.fetch_sub(1, Ordering::Relaxed);
            StoreError::Closed
        })
    }

    /// Stops accepting writes once everything submitted before is applied.
    fn close(&self) {
        match &self.writes {
            Writes::Inline { open } => *lock(open) = false,
            Writes::Writer { tx, thread } => {
                // A send error means the writer is gone already: nothing to stop.
                let _ = self.send(tx, Msg::Shutdown);
                let handle = lock(thread).take();
                if let Some(handle) = handle {
                    // The writer catches engine panics, so join only fails on a bug in the
                    // loop itself; there is nobody left to report it to.
                    let _ = handle.join();
                }
            }
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Joining releases the writer's reference to the engine, so the database file is
        // closed (and can be reopened) once the last Store handle is gone.
        self.close();
    }
}

/// A lock whose data stays valid if a holder panicked: the engine calls made under these
/// locks are caught by [`guarded`], and the rest cannot leave the data half-changed.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The durable store handle. Cheap to clone; all clones share one engine (and its writer
/// thread, if it has one).
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Wraps an opened engine; starts the `store-writer` thread if the engine asks for
    /// grouped commits ([`Engine::commit_mode`]). The engine is expected to have checked its
    /// store format already ([`RedbEngine::open`] and [`MemoryEngine::new`] do).
    ///
    /// # Panics
    /// If the OS refuses to start a thread.
    pub fn new(engine: Arc<dyn Engine>) -> Self {
        let counters = Arc::new(Counters::default());
        let writes = match engine.commit_mode() {
            CommitMode::Inline => Writes::Inline {
                open: Mutex::new(true),
            },
            CommitMode::Grouped => {
                let (tx, rx) = mpsc::channel();
                let thread = {
                    let engine = Arc::clone(&engine);
                    let counters = Arc::clone(&counters);
                    std::thread::Builder::new()
                        .name("store-writer".into())
                        .spawn(move || run_writer(&*engine, &rx, &counters))
                        .unwrap_or_else(|e| panic!("cannot start the store-writer thread: {e}"))
                };
                Writes::Writer {
                    tx,
                    thread: Mutex::new(Some(thread)),
                }
            }
        };
        let inner = Arc::new(Inner {
            engine,
            writes,
            counters,
        });
        Self { inner }
    }

    /// Opens (or creates) the redb store in `dir`.
    pub fn open_dir(dir: &Path) -> Result<Self, StoreError> {
        Ok(Self::new(Arc::new(RedbEngine::open(dir)?)))
    }

    /// A store that lives in memory only.
    pub fn in_memory() -> Self {
        Self::new(Arc::new(MemoryEngine::new()))
    }

    /// The engine behind this store (reads bypass the writer anyway).
    pub fn engine(&self) -> &Arc<dyn Engine> {
        &self.inner.engine
    }

    pub fn get(&self, table: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.engine.get(table, key)
    }

    pub fn scan_prefix(&self, table: &str, prefix: &[u8]) -> Result<KvPairs, StoreError> {
        self.inner.engine.scan_prefix(table, prefix)
    }

    /// Durable commit; resolves only after the batch is applied (on a durable engine: fsync'd,
    /// in one transaction shared by concurrent callers). Dropping the future after it started
    /// does not cancel the write.
    pub async fn commit(&self, batch: Batch) -> Result<(), StoreError> {
        self.submit(batch).await
    }

    /// Hands `batch` to the store *now* (before returning) and gives back a future that
    /// resolves once it is durable (at once for an inline engine, which has applied it
    /// already). Batches submitted in some order are applied in that order, so a service can
    /// plan and submit a change under its own lock, release the lock, and only then wait for
    /// the fsync: concurrent writers then share one group commit instead of queueing behind
    /// each other's fsync.
    pub fn submit(
        &self,
        batch: Batch,
    ) -> impl std::future::Future<Output = Result<(), StoreError>> + Send + 'static {
        let ack = if batch.is_empty() {
            Ack::Done(Ok(()))
        } else {
            self.inner.dispatch(Job::Commit(batch), async_reply)
        };
        ack.outcome()
    }

    /// [`Store::commit`] for synchronous callers; blocks the current thread until durable.
    /// Do not call it on an async runtime worker (use `commit` there).
    pub fn commit_blocking(&self, batch: Batch) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        self.inner
            .dispatch(Job::Commit(batch), blocking_reply)
            .outcome()
    }

    /// Removes all data but the metadata table (see [`Engine::wipe`]), atomically and
    /// durably, after every commit submitted before it: a batch submitted earlier is applied
    /// and then wiped, one submitted later survives. Blocks the calling thread; from async
    /// code prefer [`Store::wipe_async`].
    pub fn wipe(&self) -> Result<(), StoreError> {
        self.inner.dispatch(Job::Wipe, blocking_reply).outcome()
    }

    /// [`Store::wipe`] without blocking the runtime.
    pub async fn wipe_async(&self) -> Result<(), StoreError> {
        self.inner.dispatch(Job::Wipe, async_reply).outcome().await
    }

    /// Stops writing after everything submitted before this call is applied; later commits
    /// and wipes fail with [`StoreError::Closed`]. Reads keep working. Blocks until the
    /// writer has exited (or, inline, until an apply in progress has finished). Idempotent;
    /// also done when the last handle is dropped.
    pub fn shutdown(&self) {
        self.inner.close();
    }

    /// `Some(why)` while the store is degraded: its last write failed (and was refused to
    /// its callers); cleared by the next write that succeeds.
    pub fn degraded(&self) -> Option<String> {
        lock(&self.inner.counters.failing).clone()
    }

    pub fn stats(&self) -> StoreStats {
        let c = &self.inner.counters;
        StoreStats {
            groups: c.groups.load(Ordering::Relaxed),
            batches: c.batches.load(Ordering::Relaxed),
            failed_groups: c.failed_groups.load(Ordering::Relaxed),
            max_group: c.max_group.load(Ordering::Relaxed),
            pending: c.pending.load(Ordering::Relaxed),
            engine_micros: c.engine_nanos.load(Ordering::Relaxed) / 1000,
        }
    }
}

/// The writer loop. Returns on `Shutdown` or when every sender is gone; messages still queued
/// then are dropped, which answers their waiters with `Closed`.
fn run_writer(engine: &dyn Engine, rx: &mpsc::Receiver<Msg>, counters: &Counters) {
    // A non-commit message met while draining a group; handled right after that group.
    let mut held: Option<Msg> = None;
    loop {
        let msg = match held.take() {
            Some(msg) => msg,
            None => match rx.recv() {
                Ok(msg) => {
                    counters.pending.fetch_sub(1, Ordering::Relaxed);
                    msg
                }
                Err(mpsc::RecvError) => return,
            },
        };
        match msg {
            Msg::Shutdown => return,
            Msg::Wipe(reply) => {
                counters.prepare(engine);
                let outcome = timed(counters, || engine.wipe());
                counters.settle(engine, &outcome, true);
                reply.send(outcome);
            }
            Msg::Commit(batch, reply) => {
                let mut bytes = batch.approx_bytes();
                let mut batches = vec![batch];
                let mut replies = vec![reply];
                while batches.len() < MAX_GROUP_BATCHES && bytes < MAX_GROUP_BYTES {
                    let next = rx.try_recv();
                    if next.is_ok() {
                        counters.pending.fetch_sub(1, Ordering::Relaxed);
                    }
                    match next {
                        Ok(Msg::Commit(batch, reply)) => {
                            bytes += batch.approx_bytes();
                            batches.push(batch);
                            replies.push(reply);
                        }
                        Ok(other) => {
                            held = Some(other);
                            break;
                        }
                        Err(_) => break,
                    }
                }
                let n = batches.len() as u64;
                counters.prepare(engine);
                let puts = stores_data(&batches);
                let outcome = timed(counters, || engine.apply_owned(batches));
                counters.group(n, &outcome);
                counters.settle(engine, &outcome, puts);
                for reply in replies {
                    reply.send(outcome.clone());
                }
            }
        }
    }
}

/// Whether any of `batches` puts a value (see [`Counters::settle`]).
fn stores_data(batches: &[Batch]) -> bool {
    batches
        .iter()
        .any(|b| b.ops().iter().any(|op| op.value.is_some()))
}

/// Runs an engine call through [`guarded`], adding its duration to the counters.
fn timed(counters: &Counters, f: impl FnOnce() -> Outcome) -> Outcome {
    let start = std::time::Instant::now();
    let outcome = guarded(f);
    // Nanoseconds, not microseconds: an inline apply takes about one, which would round to 0.
    let nanos = u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
    counters.engine_nanos.fetch_add(nanos, Ordering::Relaxed);
    outcome
}

/// Runs an engine call, turning a panic into an error so one bad call does not kill the
/// writer and leave every later caller waiting on a dead channel.
fn guarded(f: impl FnOnce() -> Outcome) -> Outcome {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        Err(StoreError::Engine(format!("engine panicked: {what}")))
    })
}
