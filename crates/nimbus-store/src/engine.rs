//! The [`Engine`] trait: the whole contract between Nimbus and a storage engine. It is kept
//! small on purpose (point lookup, ordered prefix scan, atomic durable multi-batch apply,
//! wipe of everything but the metadata table)
//! so engines can be swapped; [`crate::conformance`] is the executable version of this
//! contract and every engine must pass it. Grouping, versioning and typing live above it;
//! an engine only says, through [`CommitMode`], whether grouping pays off for it.

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

    /// [`Engine::apply`] taking the batches by value. Same contract; an engine that keeps
    /// the bytes as they are (the memory engine) overrides it to move them instead of
    /// copying. [`crate::Store`] always writes through this method.
    fn apply_owned(&self, batches: Vec<Batch>) -> Result<(), StoreError> {
        self.apply(&batches)
    }

    /// Brings the engine back after a failed `apply` or `wipe` (an engine that poisons
    /// itself on an I/O error, as redb does, is reopened here). [`crate::Store`]'s writer
    /// calls it after every failure and before the next write while it keeps failing; it
    /// must not lose anything committed. The default does nothing.
    fn recover(&self) -> Result<(), StoreError> {
        Ok(())
    }

    /// How [`crate::Store`] should hand this engine its batches. The default,
    /// [`CommitMode::Grouped`], is right for any engine whose `apply` waits for the disk.
    fn commit_mode(&self) -> CommitMode {
        CommitMode::Grouped
    }
}

/// How [`crate::Store`] turns submitted batches into [`Engine::apply_owned`] calls. Either
/// way a later submit is applied after an earlier one, a commit is acknowledged only once
/// applied, and a wipe comes after every batch submitted before it; callers cannot tell
/// the two apart except by speed (and by who shares a failure, see below).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitMode {
    /// `apply` blocks on I/O (an fsync). Batches go to the `store-writer` thread, which
    /// merges those queued together into one `apply`, so concurrent writers share one fsync
    /// (a failure then fails the whole group).
    Grouped,
    /// `apply` is cheap and never waits for I/O. Each batch is applied in the submitting
    /// thread under the store's lock, so a write costs no thread hand-off (which would cost
    /// several times the apply itself) and there is no fsync to share.
    Inline,
}
