//! [`Durable`]: a service's in-memory state held over the store, the one place that owns the
//! write discipline every service needs (decision 0011). Reads are served from memory under
//! a read lock. A write goes through [`Durable::mutate`]: one writer at a time plans a
//! change against the current memory, its store writes ([`Persisted::write`]) are submitted
//! as one [`Batch`], and the change reaches memory ([`Persisted::apply`]) only once that
//! batch is durable, so a reader never sees what a crash could still take back. If the
//! store refuses the batch, memory is reloaded from the store ([`Persisted::load`]); if the
//! reload fails too, both errors are returned and logged, and memory is marked stale, so
//! the next write first tries the reload again and refuses to plan until it succeeds.
//! [`Durable::reset_with`] empties memory after the store's wipe, with no write in flight.
//!
//! What it does not own: the service's tables, keys and record types (the service's
//! [`Persisted`] impl), and its errors ([`MutateError`] carries the plan's own error or the
//! store's, for the service to map onto its AWS error).
//!
//! Once a batch is submitted, waiting for it and applying the change run in a task of their
//! own: a request dropped mid-write (the client went away) cannot leave the store ahead of
//! memory. Writers of one `Durable` therefore wait for each other's commits; batches of
//! different services (and the store's other writers) still share a group commit.
//!
//! ```
//! use nimbus_store::{Batch, Durable, MutateError, Persisted, Store, StoreError, Table};
//! use std::collections::BTreeMap;
//!
//! #[derive(Clone, serde::Serialize, serde::Deserialize)]
//! struct Topic { name: String }
//! const TOPICS: Table<Topic> = Table::new("demo.topics", 1);
//!
//! #[derive(Default)]
//! struct State { topics: BTreeMap<String, Topic> }
//! enum Change { Put(Topic) }
//!
//! impl Persisted for State {
//!     type Change = Change;
//!     fn load(store: &Store) -> Result<Self, StoreError> {
//!         let topics = TOPICS.scan(store, b"")?.into_iter().map(|(_, t)| (t.name.clone(), t));
//!         Ok(State { topics: topics.collect() })
//!     }
//!     fn write(change: &Change, batch: &mut Batch) {
//!         let Change::Put(t) = change;
//!         TOPICS.put(batch, t.name.as_bytes(), t);
//!     }
//!     fn apply(&mut self, change: Change) {
//!         let Change::Put(t) = change;
//!         self.topics.insert(t.name.clone(), t);
//!     }
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let store = Store::in_memory();
//! let state = Durable::<State>::load("demo", store.clone())?;
//! let create = |name: &'static str| state.mutate(move |st| {
//!     if st.topics.contains_key(name) {
//!         return Err(format!("{name} exists"));        // refused: nothing is written
//!     }
//!     Ok((Change::Put(Topic { name: name.into() }), name.len()))
//! });
//! assert_eq!(create("alerts").await, Ok(6));           // durable, then in memory
//! assert_eq!(create("alerts").await, Err(MutateError::Refused("alerts exists".into())));
//! assert!(state.read().topics.contains_key("alerts"));
//! assert_eq!(Durable::<State>::load("again", store)?.read().topics.len(), 1);
//! # Ok::<(), StoreError>(()) }).unwrap();
//! ```

use crate::{Batch, Store, StoreError};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// A service's state as [`Durable`] holds it: how it loads from the store, how a change is
/// written to the store, and how a change is applied to memory.
pub trait Persisted: Default + Send + Sync + 'static {
    /// Everything one mutation changes, as planned against the current state.
    type Change: Send + 'static;

    /// The whole state as the store has it (at startup, and after a failed write).
    fn load(store: &Store) -> Result<Self, StoreError>;

    /// Adds the store writes that make `change` durable to `batch`. A change that writes
    /// nothing is applied to memory at once.
    fn write(change: &Self::Change, batch: &mut Batch);

    /// Applies `change` to memory; called only once its writes are durable.
    fn apply(&mut self, change: Self::Change);
}

/// Why [`Durable::mutate`] did not apply a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MutateError<E> {
    /// The plan refused (a validation error, a missing resource...): nothing was written.
    Refused(E),
    /// The store did not make the change durable (memory was reloaded from the store, or,
    /// if that failed as well, the error says so).
    Store(StoreError),
}

impl<E> MutateError<E> {
    /// The plan's error as it is, or the store's error mapped by `store` (the service's
    /// own internal-error wording).
    pub fn or_store(self, store: impl FnOnce(StoreError) -> E) -> E {
        match self {
            MutateError::Refused(e) => e,
            MutateError::Store(e) => store(e),
        }
    }
}

/// The read side of a [`Durable`] for whoever else needs to look (another service's
/// adapter, a worker): cheap to clone, never writes.
pub struct View<S>(Arc<RwLock<S>>);

impl<S> Clone for View<S> {
    fn clone(&self) -> Self {
        View(Arc::clone(&self.0))
    }
}

impl<S> std::fmt::Debug for View<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("View").finish_non_exhaustive()
    }
}

impl<S> View<S> {
    /// The current (durable) state, read-locked.
    pub fn read(&self) -> RwLockReadGuard<'_, S> {
        self.0.read().unwrap_or_else(|e| e.into_inner())
    }
}

/// The writer's own state, kept under the writer lock.
#[derive(Default)]
struct Writer {
    /// A failed write's reload failed: memory may differ from the store.
    stale: bool,
}

/// In-memory state of type `S` kept equal to what the store holds; see the module doc.
pub struct Durable<S> {
    /// Names the state in logs (`"ssm"`, `"sns"`).
    name: &'static str,
    store: Store,
    state: Arc<RwLock<S>>,
    writer: Arc<tokio::sync::Mutex<Writer>>,
}

impl<S> std::fmt::Debug for Durable<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Durable")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl<S: Persisted> Durable<S> {
    /// Loads the state from `store`. `name` names it in log lines.
    pub fn load(name: &'static str, store: Store) -> Result<Self, StoreError> {
        let state = S::load(&store)?;
        Ok(Durable {
            name,
            store,
            state: Arc::new(RwLock::new(state)),
            writer: Arc::new(tokio::sync::Mutex::new(Writer::default())),
        })
    }

    /// The store underneath (for writes outside the state, e.g. a key made once).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The current state, read-locked. Do not hold it across an `.await`.
    pub fn read(&self) -> RwLockReadGuard<'_, S> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    /// A read-only handle on the state for others.
    pub fn view(&self) -> View<S> {
        View(Arc::clone(&self.state))
    }

    fn write_memory(state: &RwLock<S>) -> RwLockWriteGuard<'_, S> {
        state.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Plans a change with `plan` against the current state, makes it durable, applies it
    /// to memory and returns the plan's answer. Plans run one at a time, each seeing every
    /// change made before it. Must run on a tokio runtime (the commit wait is a task).
    pub async fn mutate<R, E>(
        &self,
        plan: impl FnOnce(&S) -> Result<(S::Change, R), E>,
    ) -> Result<R, MutateError<E>> {
        let mut writer = Arc::clone(&self.writer).lock_owned().await;
        if writer.stale {
            self.reload_locked(&mut writer)
                .map_err(MutateError::Store)?;
        }
        let (change, answer) = plan(&self.read()).map_err(MutateError::Refused)?;
        let mut batch = Batch::new();
        S::write(&change, &mut batch);
        if batch.is_empty() {
            Self::write_memory(&self.state).apply(change);
            return Ok(answer);
        }
        let durable = self.store.submit(batch);
        let state = Arc::clone(&self.state);
        let store = self.store.clone();
        let name = self.name;
        // The wait and the apply (or the reload) finish even if this caller is dropped.
        let settled = tokio::spawn(async move {
            match durable.await {
                Ok(()) => {
                    let applied = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        Self::write_memory(&state).apply(change)
                    }));
                    match applied {
                        Ok(()) => Ok(()),
                        // The service's `apply` panicked half-way: memory is whatever it left,
                        // so it is rebuilt from the store (which has the change).
                        Err(_) => Err(recover(
                            name,
                            &store,
                            &state,
                            &mut writer,
                            StoreError::Engine(format!(
                                "{name} state: applying a durable change to memory panicked"
                            )),
                        )),
                    }
                }
                Err(e) => Err(recover(name, &store, &state, &mut writer, e)),
            }
        });
        match settled.await {
            Ok(Ok(())) => Ok(answer),
            Ok(Err(e)) => Err(MutateError::Store(e)),
            // The runtime is shutting down and cancelled the task.
            Err(e) => Err(MutateError::Store(StoreError::Engine(format!(
                "{name} state: the commit wait did not finish: {e}"
            )))),
        }
    }

    /// Reloads memory from the store (under the writer lock, so no write is in flight).
    pub async fn reload(&self) -> Result<(), StoreError> {
        let mut writer = self.writer.lock().await;
        self.reload_locked(&mut writer)
    }

    fn reload_locked(&self, writer: &mut Writer) -> Result<(), StoreError> {
        match S::load(&self.store) {
            Ok(state) => {
                *Self::write_memory(&self.state) = state;
                writer.stale = false;
                Ok(())
            }
            Err(e) => {
                writer.stale = true;
                tracing::error!(target: "nimbus::store", state = self.name, error = %e,
                    "reloading state from the store failed; writes are refused until it succeeds");
                Err(StoreError::Unrecovered {
                    write: "an earlier write failed".into(),
                    reload: e.to_string(),
                })
            }
        }
    }

    /// Runs `then` (the store's wipe, as `nimbus_wire::reset_all` passes it) with no write
    /// in flight or starting, and empties memory if it succeeded.
    pub async fn reset_with<T, E>(
        &self,
        then: impl std::future::Future<Output = Result<T, E>>,
    ) -> Result<T, E> {
        let mut writer = self.writer.lock().await;
        let out = then.await?;
        *Self::write_memory(&self.state) = S::default();
        writer.stale = false;
        Ok(out)
    }
}

/// After a refused batch (or a panic applying a durable one): memory back to what the store
/// has, or, if even reading fails, an error naming both failures (memory is then marked
/// stale).
fn recover<S: Persisted>(
    name: &str,
    store: &Store,
    state: &RwLock<S>,
    writer: &mut Writer,
    failed: StoreError,
) -> StoreError {
    match S::load(store) {
        Ok(loaded) => {
            *state.write().unwrap_or_else(|e| e.into_inner()) = loaded;
            writer.stale = false;
            tracing::warn!(target: "nimbus::store", state = name, error = %failed,
                "a change did not reach memory as planned; memory reloaded from the store");
            failed
        }
        Err(reload) => {
            writer.stale = true;
            tracing::error!(target: "nimbus::store", state = name, error = %failed,
                reload_error = %reload,
                "a write failed and reloading state from the store failed too; writes are refused until a reload succeeds");
            StoreError::Unrecovered {
                write: failed.to_string(),
                reload: reload.to_string(),
            }
        }
    }
}
