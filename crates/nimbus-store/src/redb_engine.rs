//! [`RedbEngine`]: the on-disk engine, one redb database file `<dir>/nimbus.redb`. Each
//! [`Engine::apply`] is one redb write transaction committed with `Durability::Immediate`,
//! which fsyncs before `commit` returns; that is what lets the store acknowledge a write only
//! once it survives `kill -9` or power loss. Every Nimbus table is a redb table of
//! `&[u8] -> &[u8]`.
//!
//! After an I/O error (a full disk) redb refuses every later transaction until the database
//! is opened again; [`Engine::recover`] does that, so writes resume once the cause is gone
//! without a restart. A first start that cannot create the file (full disk) removes what it
//! left, and a file of nothing but zero bytes — what such a failed creation leaves — is
//! taken for what it is and created anew instead of refusing every later start.

use std::collections::hash_map::{Entry, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{RwLock, RwLockReadGuard};

use redb::{Database, Durability, TableDefinition, TableError, TableHandle};

use crate::batch::validate_batches;
use crate::{Batch, Engine, KvPairs, StoreError};

/// File name of the database inside the data directory.
pub const DB_FILE_NAME: &str = "nimbus.redb";

type Def<'a> = TableDefinition<'a, &'static [u8], &'static [u8]>;

fn def(name: &str) -> Def<'_> {
    TableDefinition::new(name)
}

/// Durable engine backed by a single redb file.
pub struct RedbEngine {
    /// `None` only while [`Engine::recover`] reopens it (or if reopening failed).
    db: RwLock<Option<Database>>,
    path: PathBuf,
}

impl std::fmt::Debug for RedbEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedbEngine")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// redb's page cache size (see [`RedbEngine::open`]).
const CACHE_BYTES: usize = 4 << 20;

impl RedbEngine {
    /// Opens (creating if needed) `<dir>/nimbus.redb` and checks the store format
    /// (see [`crate::ensure_format`]). Fails if another process has the file open.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir).map_err(|e| {
            StoreError::engine(&format!("create data directory {}", dir.display()), e)
        })?;
        let path = dir.join(DB_FILE_NAME);
        if only_zeros(&path) {
            // What a creation that failed for lack of space leaves: no data was ever in it.
            let _ = std::fs::remove_file(&path);
        }
        let is_new = !path.exists();
        if is_new {
            // The database holds secret keys and session tokens: readable by its owner only,
            // from its first byte (redb would create it with the umask's 0644).
            use std::os::unix::fs::OpenOptionsExt;
            std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(false)
                .mode(0o600)
                .open(&path)
                .map_err(|e| StoreError::engine(&format!("create {}", path.display()), e))?;
        }
        restrict(&path, 0o600)?;
        let opened = open_db(&path).and_then(|db| {
            let engine = Self {
                db: RwLock::new(Some(db)),
                path: path.clone(),
            };
            crate::meta::ensure_format(&engine)?;
            if is_new {
                // A new file's directory entry must itself be durable, or a crash could lose
                // the whole file together with the first acknowledged writes.
                sync_dir(dir)?;
            }
            Ok(engine)
        });
        if opened.is_err() && is_new {
            // Do not leave a half-made file for the next start to trip over.
            let _ = std::fs::remove_file(&path);
        }
        opened
    }

    fn db(&self) -> Result<RwLockReadGuard<'_, Option<Database>>, StoreError> {
        let guard = self.db.read().unwrap_or_else(|e| e.into_inner());
        if guard.is_none() {
            return Err(StoreError::Engine(format!(
                "{} is not open (reopening it after an error failed; it is retried on the next write)",
                self.path.display()
            )));
        }
        Ok(guard)
    }

    /// Path of the database file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Sets `path`'s mode (a data file written by an older Nimbus may be 0644).
fn restrict(path: &Path, mode: u32) -> Result<(), StoreError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|e| StoreError::engine(&format!("chmod {}", path.display()), e))
}

fn open_db(path: &Path) -> Result<Database, StoreError> {
    // Services keep their state in memory and read the store only when they start, so
    // redb's page cache (1 GiB by default) would mostly hold pages nobody reads again: a few
    // MiB keep commits fast without growing RSS with the database.
    Database::builder()
        .set_cache_size(CACHE_BYTES)
        .create(path)
        .map_err(|e| StoreError::engine(&format!("open {}", path.display()), e))
}

/// Whether `path` is a non-empty file of zero bytes only (at most 64 MiB are looked at; a
/// larger file is never taken for a failed creation).
fn only_zeros(path: &Path) -> bool {
    use std::io::Read;
    let Ok(meta) = std::fs::metadata(path) else {
        return false;
    };
    if meta.len() == 0 || meta.len() > 64 << 20 {
        return meta.len() == 0 && meta.is_file();
    }
    let Ok(mut f) = std::fs::File::open(path) else {
        return false;
    };
    let mut buf = vec![0u8; 1 << 16];
    loop {
        match f.read(&mut buf) {
            Ok(0) => return true,
            Ok(n) if buf[..n].iter().all(|b| *b == 0) => continue,
            _ => return false,
        }
    }
}

fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| StoreError::engine(&format!("fsync directory {}", dir.display()), e))
}

impl Engine for RedbEngine {
    fn get(&self, table: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let db = self.db()?;
        let txn = db
            .as_ref()
            .ok_or(StoreError::Closed)?
            .begin_read()
            .map_err(|e| StoreError::engine("begin read", e))?;
        let t = match txn.open_table(def(table)) {
            Ok(t) => t,
            Err(TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(StoreError::engine(&format!("open table {table}"), e)),
        };
        let v = t
            .get(key)
            .map_err(|e| StoreError::engine(&format!("get from {table}"), e))?;
        Ok(v.map(|g| g.value().to_vec()))
    }

    fn scan_prefix(&self, table: &str, prefix: &[u8]) -> Result<KvPairs, StoreError> {
        let db = self.db()?;
        let txn = db
            .as_ref()
            .ok_or(StoreError::Closed)?
            .begin_read()
            .map_err(|e| StoreError::engine("begin read", e))?;
        let t = match txn.open_table(def(table)) {
            Ok(t) => t,
            Err(TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
            Err(e) => return Err(StoreError::engine(&format!("open table {table}"), e)),
        };
        let scan_err = |e| StoreError::engine(&format!("scan {table}"), e);
        let mut out = Vec::new();
        for item in t.range::<&[u8]>(prefix..).map_err(scan_err)? {
            let (k, v) = item.map_err(scan_err)?;
            let k = k.value();
            if !k.starts_with(prefix) {
                break;
            }
            out.push((k.to_vec(), v.value().to_vec()));
        }
        Ok(out)
    }

    fn apply(&self, batches: &[Batch]) -> Result<(), StoreError> {
        validate_batches(batches)?;
        let db = self.db()?;
        let mut txn = db
            .as_ref()
            .ok_or(StoreError::Closed)?
            .begin_write()
            .map_err(|e| StoreError::engine("begin write", e))?;
        txn.set_durability(Durability::Immediate);
        {
            // redb refuses to open a table twice in one transaction, so keep each one open.
            let mut open: HashMap<&str, redb::Table<'_, &'static [u8], &'static [u8]>> =
                HashMap::new();
            for op in batches.iter().flat_map(Batch::ops) {
                let name = op.table.as_str();
                let table = match open.entry(name) {
                    Entry::Occupied(e) => e.into_mut(),
                    Entry::Vacant(e) => e.insert(
                        txn.open_table(def(name))
                            .map_err(|e| StoreError::engine(&format!("open table {name}"), e))?,
                    ),
                };
                let res = match &op.value {
                    Some(v) => table.insert(op.key.as_slice(), v.as_slice()).map(drop),
                    None => table.remove(op.key.as_slice()).map(drop),
                };
                // Returning early drops `txn` uncommitted, which aborts it: nothing is applied.
                res.map_err(|e| StoreError::engine(&format!("write to {name}"), e))?;
            }
        }
        txn.commit().map_err(|e| StoreError::engine("commit", e))
    }

    fn wipe(&self) -> Result<(), StoreError> {
        let db = self.db()?;
        let mut txn = db
            .as_ref()
            .ok_or(StoreError::Closed)?
            .begin_write()
            .map_err(|e| StoreError::engine("begin write", e))?;
        txn.set_durability(Durability::Immediate);
        let names: Vec<String> = txn
            .list_tables()
            .map_err(|e| StoreError::engine("list tables", e))?
            .map(|h| h.name().to_owned())
            .collect();
        for name in names.iter().filter(|n| *n != crate::META_TABLE) {
            txn.delete_table(def(name))
                .map_err(|e| StoreError::engine(&format!("delete table {name}"), e))?;
        }
        txn.commit()
            .map_err(|e| StoreError::engine("commit wipe", e))
    }

    fn recover(&self) -> Result<(), StoreError> {
        let mut guard = self.db.write().unwrap_or_else(|e| e.into_inner());
        // The old handle must be gone before the file can be opened again (redb locks it).
        drop(guard.take());
        *guard = Some(open_db(&self.path)?);
        Ok(())
    }
}
