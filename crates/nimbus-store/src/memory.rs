//! [`MemoryEngine`]: the in-memory engine, a `BTreeMap` of `BTreeMap`s behind one lock. It
//! passes the same conformance suite as the disk engine except that nothing survives the
//! process; it is for tests, fuzzing and running Nimbus without a data directory. Its
//! `apply` costs a few map inserts and no I/O, so it asks [`crate::Store`] to apply each
//! batch in the submitting thread ([`CommitMode::Inline`]) rather than through the writer
//! thread, and it moves the bytes of an owned batch into its maps instead of copying them.

use std::collections::BTreeMap;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::batch::validate_batches;
use crate::{Batch, CommitMode, Engine, KvPairs, Op, StoreError};

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
        apply_ops(&mut tables, crate::meta::stamp_batch().into_ops());
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
        // Borrowed batches must be copied into the maps; the store uses `apply_owned`.
        let ops = batches.iter().flat_map(Batch::ops).cloned();
        apply_ops(&mut self.write(), ops);
        Ok(())
    }

    fn apply_owned(&self, batches: Vec<Batch>) -> Result<(), StoreError> {
        validate_batches(&batches)?;
        apply_ops(
            &mut self.write(),
            batches.into_iter().flat_map(Batch::into_ops),
        );
        Ok(())
    }

    fn wipe(&self) -> Result<(), StoreError> {
        let wiped = {
            let mut tables = self.write();
            let meta = tables.remove_entry(crate::META_TABLE);
            let wiped = std::mem::take(&mut *tables);
            tables.extend(meta);
            wiped
        };
        // Freeing every record of a big store takes a while; readers need not wait for it.
        drop(wiped);
        Ok(())
    }

    fn commit_mode(&self) -> CommitMode {
        CommitMode::Inline
    }
}

/// Applies already-validated ops; cannot fail. Table names, keys and values are moved into
/// the maps (a table name only stays allocated when its table is new).
fn apply_ops(tables: &mut Tables, ops: impl IntoIterator<Item = Op>) {
    for Op { table, key, value } in ops {
        let table = tables.entry(table).or_default();
        match value {
            Some(v) => {
                table.insert(key, v);
            }
            None => {
                table.remove(&key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<Batch> {
        let mut a = Batch::new();
        a.put("t", "k", "1");
        a.put("u", "x", vec![0u8; 64]);
        a.delete("t", "gone");
        let mut b = Batch::new();
        b.put("t", "k", "2");
        b.delete("u", "x");
        b.put("t", "gone", "back");
        vec![a, b]
    }

    #[test]
    fn owned_and_borrowed_apply_agree() {
        let borrowed = MemoryEngine::new();
        let owned = MemoryEngine::new();
        borrowed.apply(&sample()).unwrap();
        owned.apply_owned(sample()).unwrap();
        for table in ["t", "u", crate::META_TABLE] {
            assert_eq!(
                owned.scan_prefix(table, b"").unwrap(),
                borrowed.scan_prefix(table, b"").unwrap(),
                "{table}"
            );
        }
        assert_eq!(owned.get("t", b"k").unwrap(), Some(b"2".to_vec()));
        assert_eq!(owned.get("t", b"gone").unwrap(), Some(b"back".to_vec()));
        assert_eq!(owned.get("u", b"x").unwrap(), None);
    }

    #[test]
    fn owned_apply_with_a_bad_table_applies_nothing() {
        let engine = MemoryEngine::new();
        let mut bad = sample();
        bad[1].put("", "k", "v");
        assert!(matches!(
            engine.apply_owned(bad),
            Err(StoreError::InvalidTable(_))
        ));
        assert!(engine.scan_prefix("t", b"").unwrap().is_empty());
    }

    #[test]
    fn memory_engine_asks_for_inline_commits() {
        assert_eq!(MemoryEngine::new().commit_mode(), CommitMode::Inline);
    }
}
