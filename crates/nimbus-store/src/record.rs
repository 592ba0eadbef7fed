//! Versioned records. Every stored value is `[u8 format tag][u16 schema version, LE][body]`;
//! the only format today is [`RECORD_TAG_JSON`] (body = serde_json). The version lets a later
//! Nimbus read data written by an earlier one: [`decode_record`] walks a stored record up one
//! schema version at a time through the caller's migration function. [`Table`] bundles a table
//! name, its current version and its migration so services never handle raw bytes.
//!
//! Migration happens on read; old records stay in their old version on disk until they are
//! rewritten (any `put`, or [`Table::upgrade_all`]).

use std::marker::PhantomData;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::{Batch, Store, StoreError};

/// Format tag of a record whose body is JSON.
pub const RECORD_TAG_JSON: u8 = 1;
const HEADER_LEN: usize = 3;

/// Encodes `value` as schema `version`.
///
/// # Panics
/// If `T`'s `Serialize` impl fails (e.g. a map with non-string keys): that is a bug in the
/// record type, not a runtime condition. Use [`try_encode_record`] to get the error instead.
pub fn encode_record<T: Serialize>(version: u16, value: &T) -> Vec<u8> {
    match try_encode_record(version, value) {
        Ok(bytes) => bytes,
        Err(e) => panic!("record type cannot be stored as JSON: {e}"),
    }
}

/// Like [`encode_record`], returning serialization failures as [`StoreError::Encode`].
pub fn try_encode_record<T: Serialize>(version: u16, value: &T) -> Result<Vec<u8>, StoreError> {
    let mut out = Vec::with_capacity(128);
    out.push(RECORD_TAG_JSON);
    out.extend_from_slice(&version.to_le_bytes());
    serde_json::to_writer(&mut out, value).map_err(|e| StoreError::Encode(e.to_string()))?;
    Ok(out)
}

/// The schema version of a stored record, without decoding its body.
pub fn record_version(bytes: &[u8]) -> Result<u16, StoreError> {
    if bytes.len() < HEADER_LEN {
        return Err(StoreError::Corrupt(format!(
            "record of {} bytes is shorter than its header",
            bytes.len()
        )));
    }
    if bytes[0] != RECORD_TAG_JSON {
        return Err(StoreError::Corrupt(format!(
            "unknown record format tag {}",
            bytes[0]
        )));
    }
    Ok(u16::from_le_bytes([bytes[1], bytes[2]]))
}

/// Decodes a record into `T`, the shape of schema version `current`.
///
/// A record stored at an older version `v` is upgraded step by step: `migrate(v, body)` must
/// return the body as version `v + 1`, and is called for each `v` from the stored version up
/// to `current - 1`. A record newer than `current` is an error ([`StoreError::FutureVersion`]).
pub fn decode_record<T: DeserializeOwned>(
    bytes: &[u8],
    current: u16,
    migrate: impl Fn(u16, Value) -> Result<Value, StoreError>,
) -> Result<T, StoreError> {
    let stored = record_version(bytes)?;
    let body = &bytes[HEADER_LEN..];
    if stored > current {
        return Err(StoreError::FutureVersion {
            found: stored,
            supported: current,
        });
    }
    if stored == current {
        return serde_json::from_slice(body)
            .map_err(|e| StoreError::Corrupt(format!("v{current} body: {e}")));
    }
    let mut value: Value = serde_json::from_slice(body)
        .map_err(|e| StoreError::Corrupt(format!("v{stored} body: {e}")))?;
    for v in stored..current {
        value = migrate(v, value)?;
    }
    serde_json::from_value(value).map_err(|e| {
        StoreError::Corrupt(format!(
            "record migrated from v{stored} does not fit v{current}: {e}"
        ))
    })
}

/// A migration function: upgrades a body from the given version to the next one.
pub type MigrateFn = fn(u16, Value) -> Result<Value, StoreError>;

fn no_migration(from: u16, _: Value) -> Result<Value, StoreError> {
    Err(StoreError::Migration {
        from,
        reason: "this table has no migration for that version".into(),
    })
}

/// A typed table: name, current schema version and migration. Declare one per record type,
/// e.g. `const GROUPS: Table<SecurityGroup> = Table::new("ec2.security_groups", 1);`.
pub struct Table<T> {
    name: &'static str,
    version: u16,
    migrate: MigrateFn,
    _record: PhantomData<fn() -> T>,
}

impl<T> Clone for Table<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Table<T> {}

impl<T> std::fmt::Debug for Table<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Table")
            .field("name", &self.name)
            .field("version", &self.version)
            .finish()
    }
}

impl<T: Serialize + DeserializeOwned> Table<T> {
    /// A table whose records have only ever had schema `version` (older ones fail to decode).
    pub const fn new(name: &'static str, version: u16) -> Self {
        Self {
            name,
            version,
            migrate: no_migration,
            _record: PhantomData,
        }
    }

    /// A table at schema `version` that upgrades older records with `migrate`
    /// (one step per call, see [`decode_record`]).
    pub const fn with_migration(name: &'static str, version: u16, migrate: MigrateFn) -> Self {
        Self {
            name,
            version,
            migrate,
            _record: PhantomData,
        }
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    pub fn version(&self) -> u16 {
        self.version
    }

    /// Adds a put of `value` (encoded at the current version) to `batch`.
    pub fn put(&self, batch: &mut Batch, key: impl Into<Vec<u8>>, value: &T) {
        batch.put(self.name, key, encode_record(self.version, value));
    }

    /// Adds a delete of `key` to `batch`.
    pub fn delete(&self, batch: &mut Batch, key: impl Into<Vec<u8>>) {
        batch.delete(self.name, key);
    }

    /// Decodes stored bytes of this table.
    pub fn decode(&self, bytes: &[u8]) -> Result<T, StoreError> {
        decode_record(bytes, self.version, self.migrate)
    }

    pub fn get(&self, store: &Store, key: impl AsRef<[u8]>) -> Result<Option<T>, StoreError> {
        store
            .get(self.name, key.as_ref())?
            .map(|b| self.decode(&b))
            .transpose()
    }

    /// All records whose key starts with `prefix`, in key order.
    pub fn scan(
        &self,
        store: &Store,
        prefix: impl AsRef<[u8]>,
    ) -> Result<Vec<(Vec<u8>, T)>, StoreError> {
        store
            .scan_prefix(self.name, prefix.as_ref())?
            .into_iter()
            .map(|(k, v)| Ok((k, self.decode(&v)?)))
            .collect()
    }

    /// Rewrites every record stored at an older version at the current one, in one durable
    /// commit. Returns how many records were rewritten. Meant for startup, before requests are
    /// served: a write racing with it could be overwritten by the upgraded older copy.
    pub async fn upgrade_all(&self, store: &Store) -> Result<usize, StoreError> {
        let mut batch = Batch::new();
        for (key, bytes) in store.scan_prefix(self.name, b"")? {
            if record_version(&bytes)? < self.version {
                let value = self.decode(&bytes)?;
                self.put(&mut batch, key, &value);
            }
        }
        let n = batch.len();
        store.commit(batch).await?;
        Ok(n)
    }
}
