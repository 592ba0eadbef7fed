//! [`Store`]: the handle services use, and the group-commit writer behind it.
//!
//! Reads go straight to the engine. Writes go to one named OS thread, `store-writer`, over a
//! channel: it takes the first queued batch, drains whatever else is already queued (up to
//! [`MAX_GROUP_BATCHES`] batches or [`MAX_GROUP_BYTES`] bytes), applies the whole group as one
//! engine transaction (one fsync), then answers every waiter with the same result. No timer
//! is involved: while one group's fsync runs, the next group forms by itself, so a lone
//! writer pays one fsync per commit and 32 concurrent writers share them.
//!
//! A caller is answered only after [`Engine::apply`] returned, i.e. after the data is
//! durable. The writer is an OS thread rather than a tokio task because `apply` blocks on
//! fsync; async callers wait on a `tokio::sync::oneshot` and never block the runtime.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread::JoinHandle;

use tokio::sync::oneshot;

use crate::{Batch, Engine, KvPairs, MemoryEngine, RedbEngine, StoreError};

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

/// Counters of the writer, for status pages and benchmarks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreStats {
    /// Engine transactions attempted by the writer (each one fsync).
    pub groups: u64,
    /// Batches committed successfully.
    pub batches: u64,
    /// Groups whose apply failed (every batch in them got the error).
    pub failed_groups: u64,
    /// Largest group seen, in batches.
    pub max_group: u64,
    /// Requests sent to the writer and not yet picked up by it (queue depth).
    pub pending: u64,
    /// Total time the writer spent inside engine calls (apply and wipe), in microseconds.
    pub engine_micros: u64,
}

#[derive(Default)]
struct Counters {
    groups: AtomicU64,
    batches: AtomicU64,
    failed_groups: AtomicU64,
    max_group: AtomicU64,
    pending: AtomicU64,
    engine_micros: AtomicU64,
}

struct Inner {
    engine: Arc<dyn Engine>,
    tx: mpsc::Sender<Msg>,
    writer: Mutex<Option<JoinHandle<()>>>,
    counters: Arc<Counters>,
}

impl Inner {
    fn stop_writer(&self) {
        self.counters.pending.fetch_add(1, Ordering::Relaxed);
        if self.tx.send(Msg::Shutdown).is_err() {
            self.counters.pending.fetch_sub(1, Ordering::Relaxed);
        }
        let handle = self.writer.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(handle) = handle {
            // The writer catches engine panics, so join only fails on a bug in the loop itself;
            // there is nobody left to report it to.
            let _ = handle.join();
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Joining releases the writer's reference to the engine, so the database file is
        // closed (and can be reopened) once the last Store handle is gone.
        self.stop_writer();
    }
}

/// The durable store handle. Cheap to clone; all clones share one writer.
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
    /// Wraps an opened engine and starts the `store-writer` thread. The engine is expected to
    /// have checked its store format already ([`RedbEngine::open`] and [`MemoryEngine::new`] do).
    ///
    /// # Panics
    /// If the OS refuses to start a thread.
    pub fn new(engine: Arc<dyn Engine>) -> Self {
        let (tx, rx) = mpsc::channel();
        let counters = Arc::new(Counters::default());
        let writer = {
            let engine = Arc::clone(&engine);
            let counters = Arc::clone(&counters);
            std::thread::Builder::new()
                .name("store-writer".into())
                .spawn(move || run_writer(&*engine, &rx, &counters))
                .unwrap_or_else(|e| panic!("cannot start the store-writer thread: {e}"))
        };
        Self {
            inner: Arc::new(Inner {
                engine,
                tx,
                writer: Mutex::new(Some(writer)),
                counters,
            }),
        }
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

    /// Durable commit; resolves only after the batch is fsync'd. Many concurrent callers share
    /// one transaction. Dropping the future after it started does not cancel the write.
    pub async fn commit(&self, batch: Batch) -> Result<(), StoreError> {
        self.submit(batch).await
    }

    /// Queues `batch` for the writer *now* (before returning) and gives back a future that
    /// resolves once it is durable. Batches submitted in some order are applied in that
    /// order, so a service can plan and submit a change under its own lock, release the
    /// lock, and only then wait for the fsync: concurrent writers then share one group
    /// commit instead of queueing behind each other's fsync.
    pub fn submit(
        &self,
        batch: Batch,
    ) -> impl std::future::Future<Output = Result<(), StoreError>> + Send + 'static {
        let queued = if batch.is_empty() {
            Ok(None)
        } else {
            let (tx, rx) = oneshot::channel();
            self.send(Msg::Commit(batch, Reply::Async(tx)))
                .map(|()| Some(rx))
        };
        async move {
            match queued? {
                None => Ok(()),
                Some(rx) => rx.await.map_err(|_| StoreError::Closed)?,
            }
        }
    }

    /// [`Store::commit`] for synchronous callers; blocks the current thread until durable.
    /// Do not call it on an async runtime worker (use `commit` there).
    pub fn commit_blocking(&self, batch: Batch) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        let (tx, rx) = mpsc::sync_channel(1);
        self.send(Msg::Commit(batch, Reply::Blocking(tx)))?;
        rx.recv().map_err(|_| StoreError::Closed)?
    }

    /// Removes all data but the metadata table (see [`Engine::wipe`]), atomically and
    /// durably, after every commit queued before it: a batch submitted earlier is applied
    /// and then wiped, one submitted later survives. Blocks the calling thread; from async
    /// code prefer [`Store::wipe_async`].
    pub fn wipe(&self) -> Result<(), StoreError> {
        let (tx, rx) = mpsc::sync_channel(1);
        self.send(Msg::Wipe(Reply::Blocking(tx)))?;
        rx.recv().map_err(|_| StoreError::Closed)?
    }

    /// [`Store::wipe`] without blocking the runtime.
    pub async fn wipe_async(&self) -> Result<(), StoreError> {
        let (tx, rx) = oneshot::channel();
        self.send(Msg::Wipe(Reply::Async(tx)))?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// Stops the writer after it has applied everything queued before this call; later
    /// commits fail with [`StoreError::Closed`]. Reads keep working. Blocks until the writer
    /// has exited. Idempotent; also done when the last handle is dropped.
    pub fn shutdown(&self) {
        self.inner.stop_writer();
    }

    pub fn stats(&self) -> StoreStats {
        let c = &self.inner.counters;
        StoreStats {
            groups: c.groups.load(Ordering::Relaxed),
            batches: c.batches.load(Ordering::Relaxed),
            failed_groups: c.failed_groups.load(Ordering::Relaxed),
            max_group: c.max_group.load(Ordering::Relaxed),
            pending: c.pending.load(Ordering::Relaxed),
            engine_micros: c.engine_micros.load(Ordering::Relaxed),
        }
    }

    fn send(&self, msg: Msg) -> Result<(), StoreError> {
        let pending = &self.inner.counters.pending;
        pending.fetch_add(1, Ordering::Relaxed);
        self.inner.tx.send(msg).map_err(|_| {
            pending.fetch_sub(1, Ordering::Relaxed);
            StoreError::Closed
        })
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
            Msg::Wipe(reply) => reply.send(timed(counters, || engine.wipe())),
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
                let outcome = timed(counters, || engine.apply(&batches));
                let n = batches.len() as u64;
                counters.groups.fetch_add(1, Ordering::Relaxed);
                counters.max_group.fetch_max(n, Ordering::Relaxed);
                match &outcome {
                    Ok(()) => counters.batches.fetch_add(n, Ordering::Relaxed),
                    Err(_) => counters.failed_groups.fetch_add(1, Ordering::Relaxed),
                };
                for reply in replies {
                    reply.send(outcome.clone());
                }
            }
        }
    }
}

/// Runs an engine call through [`guarded`], adding its duration to the counters.
fn timed(counters: &Counters, f: impl FnOnce() -> Outcome) -> Outcome {
    let start = std::time::Instant::now();
    let outcome = guarded(f);
    let micros = u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX);
    counters.engine_micros.fetch_add(micros, Ordering::Relaxed);
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
