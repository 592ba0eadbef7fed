//! The [`Engine`] trait: the whole contract between Nimbus and a storage engine. It is kept
//! small on purpose (point lookup, ordered prefix scan, atomic durable multi-batch apply,
//! wipe of everything but the metadata table)
//! so engines can be swapped; [`crate::conformance`] is the executable version of this
//! contract and every engine must pass it. Grouping, versioning and typing live above it.

use crate::{Batch, StoreError};

/// (key, value) pairs in key order, as returned by a prefix scan.
pub type KvPairs = Vec<(Vec<u8>, Vec<u8>)>;

/// A sorted key/value store with named tables.
///
/// Tables spring into existence on first write; reading a table that was never written
/// behaves like reading an empty one. Keys are compared as raw bytes.
pub trait Engine: Send + Sync + 'static {
    /// The value stored under `key` in `table`, if any.
    fn get(&self, table: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;

    /// All (key, value) pairs of `table` whose key starts with `prefix`, in key order.
    /// An empty prefix returns the whole table.
    fn scan_prefix(&self, table: &str, prefix: &[u8]) -> Result<KvPairs, StoreError>;

    /// Applies all batches atomically and durably (one transaction, fsync'd before returning).
    /// Ops apply in order, batch after batch. On error nothing is applied. Invalid table names
    /// (see [`crate::validate_table_name`]) are an error.
    fn apply(&self, batches: &[Batch]) -> Result<(), StoreError>;

    /// Removes every table except [`crate::META_TABLE`] (store-wide metadata that a reset
    /// keeps: the format marker and the Nimbus clock), atomically and durably, for
    /// `POST /_nimbus/reset`.
    fn wipe(&self) -> Result<(), StoreError>;
}
