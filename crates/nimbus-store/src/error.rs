//! The one error type of the store. It is `Clone` because a failed group commit hands the
//! same error to every caller whose batch was in the group; engine errors are therefore
//! carried as text (with context) rather than as the engine's own error type.

/// Everything that can go wrong reading, writing or decoding stored data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The storage engine failed (I/O, corruption detected by the engine, file locked...).
    #[error("storage engine error: {0}")]
    Engine(String),
    /// The store's writer has shut down; the write was not applied.
    #[error("store is closed")]
    Closed,
    /// A table name the engines refuse (empty, or too long).
    #[error("invalid table name {0:?}")]
    InvalidTable(String),
    /// The on-disk store was written by a newer Nimbus with a format this build cannot read.
    #[error(
        "store format {found} is newer than the newest this build supports ({supported}); \
         open it with a newer Nimbus or use a fresh data directory"
    )]
    FutureFormat { found: u32, supported: u32 },
    /// A stored record has a schema version newer than the reader's current version.
    #[error("record schema version {found} is newer than the supported version {supported}")]
    FutureVersion { found: u16, supported: u16 },
    /// Stored bytes are not a valid record (bad tag, truncated, bad JSON...).
    #[error("corrupt record: {0}")]
    Corrupt(String),
    /// A migration step refused or failed to upgrade a record.
    #[error("migrating record from schema version {from} failed: {reason}")]
    Migration { from: u16, reason: String },
    /// A value could not be serialized.
    #[error("cannot encode record: {0}")]
    Encode(String),
    /// A write failed and reloading a service's state from the store after it failed too
    /// ([`crate::Durable`]): memory may not match the store until a reload succeeds.
    #[error("{write}; reloading the state from the store failed too: {reload}")]
    Unrecovered { write: String, reload: String },
}

impl StoreError {
    /// Whether this is the engine failing (I/O, a full disk, a panic inside the engine): only
    /// such an error makes the store degraded and asks the engine to recover. A batch the
    /// engine refuses before writing anything (an invalid table name) is the caller's error.
    pub fn is_engine_failure(&self) -> bool {
        matches!(self, StoreError::Engine(_))
    }

    /// Shorthand for an engine error with context, e.g. `StoreError::engine("commit", e)`.
    pub fn engine(context: &str, err: impl std::fmt::Display) -> Self {
        StoreError::Engine(format!("{context}: {err}"))
    }
}
