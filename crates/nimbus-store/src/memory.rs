//! [`MemoryEngine`]: the in-memory engine, a `BTreeMap` of `BTreeMap`s behind one lock. It
//! passes the same conformance suite as the disk engine except that nothing survives the
//! process; it is for tests and for running Nimbus without a data directory.

use std::collections::BTreeMap;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::batch::validate_batches;
use crate::{Batch, Engine, KvPairs, StoreError};

type Tables = BTreeMap<String, BTreeMap<Vec<u8>, Vec<u8>>>;

/// Non-durable engine; "durable" here means "visible to every later read".
#[derive(Debug)]
pub struct MemoryEngine {
    tables: RwLock<Tables>,
}

impl Default for MemoryEngine {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryEngine {
    /// An empty engine, already stamped with the current store format.
    pub fn new() -> Self {
        let mut tables = Tables::new();
        apply_ops(&mut tables, &[crate::meta::stamp_batch()]);
        Self {
            tables: RwLock::new(tables),
        }
    }

    // A panic while holding the lock cannot leave a half-applied batch (apply mutates only
    // after validation, and BTreeMap inserts do not panic), so a poisoned lock is still usable.
    fn read(&self) -> RwLockReadGuard<'_, Tables> {
        self.tables.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Tables> {
        self.tables.write().unwrap_or_else(|e| e.into_inner())
    }
}

impl Engine for MemoryEngine {
    fn get(&self, table: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.read().get(table).and_then(|t| t.get(key).cloned()))
    }

    fn scan_prefix(&self, table: &str, prefix: &[u8]) -> Result<KvPairs, StoreError> {
        let tables = self.read();
        let Some(t) = tables.get(table) else {
            return Ok(Vec::new());
        };
        Ok(t.range(prefix.to_vec()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect())
    }

    fn apply(&self, batches: &[Batch]) -> Result<(), StoreError> {
        validate_batches(batches)?;
        apply_ops(&mut self.write(), batches);
        Ok(())
    }

    fn wipe(&self) -> Result<(), StoreError> {
        self.write().retain(|name, _| name == crate::META_TABLE);
        Ok(())
    }
}

/// Applies already-validated batches; cannot fail.
fn apply_ops(tables: &mut Tables, batches: &[Batch]) {
    for op in batches.iter().flat_map(Batch::ops) {
        let table = tables.entry(op.table.clone()).or_default();
        match &op.value {
            Some(v) => {
                table.insert(op.key.clone(), v.clone());
            }
            None => {
                table.remove(&op.key);
            }
        }
    }
}
