//! [`FaultyEngine`]: an [`Engine`] wrapper that fails writes on demand, the way a real disk
//! does — for testing what sits above the engine (the store's degraded state and recovery,
//! services' rebuild-on-failure). Like redb after an I/O error, it stays *poisoned* once a
//! write failed: every later write fails too until [`Engine::recover`] is called with the
//! fault cleared. Reads keep working throughout.

use crate::{Batch, CommitMode, Engine, KvPairs, StoreError};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

/// What an armed fault looks like to the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// `ENOSPC`.
    DiskFull,
    /// `EIO`.
    Io,
}

/// Wraps `inner`; see the module doc.
pub struct FaultyEngine {
    inner: Arc<dyn Engine>,
    armed: std::sync::Mutex<Option<Fault>>,
    poisoned: AtomicBool,
    /// How many times `recover` was called.
    pub recoveries: AtomicU64,
}

impl FaultyEngine {
    pub fn new(inner: Arc<dyn Engine>) -> Self {
        FaultyEngine {
            inner,
            armed: std::sync::Mutex::new(None),
            poisoned: AtomicBool::new(false),
            recoveries: AtomicU64::new(0),
        }
    }

    /// Makes every write fail with `fault` until [`FaultyEngine::clear`].
    pub fn arm(&self, fault: Fault) {
        *self.armed.lock().unwrap_or_else(|e| e.into_inner()) = Some(fault);
    }

    /// The cause is gone (space freed); writes still fail until the engine recovers.
    pub fn clear(&self) {
        *self.armed.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    fn check(&self) -> Result<(), StoreError> {
        let armed = *self.armed.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(f) = armed {
            self.poisoned.store(true, Ordering::SeqCst);
            return Err(StoreError::Engine(match f {
                Fault::DiskFull => "commit: No space left on device (os error 28)".into(),
                Fault::Io => "commit: Input/output error (os error 5)".into(),
            }));
        }
        if self.poisoned.load(Ordering::SeqCst) {
            return Err(StoreError::Engine(
                "previous I/O error occurred; the database must be re-opened".into(),
            ));
        }
        Ok(())
    }
}

impl Engine for FaultyEngine {
    fn get(&self, table: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.get(table, key)
    }

    fn scan_prefix(&self, table: &str, prefix: &[u8]) -> Result<KvPairs, StoreError> {
        self.inner.scan_prefix(table, prefix)
    }

    fn apply(&self, batches: &[Batch]) -> Result<(), StoreError> {
        self.check()?;
        self.inner.apply(batches)
    }

    fn wipe(&self) -> Result<(), StoreError> {
        self.check()?;
        self.inner.wipe()
    }

    fn recover(&self) -> Result<(), StoreError> {
        self.recoveries.fetch_add(1, Ordering::SeqCst);
        let armed = self
            .armed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some();
        if !armed {
            self.poisoned.store(false, Ordering::SeqCst);
        }
        self.inner.recover()
    }

    fn commit_mode(&self) -> CommitMode {
        // Grouped, as a disk engine is: the failure path under test is the writer thread's.
        CommitMode::Grouped
    }
}
