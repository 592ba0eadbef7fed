//! Where object bytes live: one file per object version under the blob directory
//! (`<data-dir>/s3`), or a map in memory for `--data-dir :memory:` and tests. This module
//! owns only bytes; which blob belongs to which key is recorded by the metadata store.
//!
//! Durability protocol (see `objects.rs`): a new body is written to a fresh, uniquely named
//! file, which is fsynced together with its directory *before* the metadata record that
//! names it is committed. A blob is removed only after the record that stopped naming it is
//! committed. So a crash can leave unreferenced files but never a record without its bytes;
//! [`BlobStore::sweep`] deletes the leftovers at startup.
//!
//! Uploads that stream in are first written to a `*.upload` file and become a blob (a new
//! name, hard-linked) only once verified and fsynced (`streams.rs`); the sweep deletes
//! `*.upload` leftovers too.
//!
//! File I/O runs on tokio's blocking pool so large bodies never stall the async workers.

use bytes::Bytes;
use nimbus_core::Ids;
use std::collections::{HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

const SUFFIX: &str = ".blob";

pub(crate) enum BlobStore {
    Disk {
        dir: PathBuf,
        ids: Arc<Ids>,
    },
    Memory {
        blobs: Mutex<HashMap<String, Bytes>>,
        ids: Arc<Ids>,
    },
}

pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> io::Result<T> + Send + 'static,
) -> io::Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .unwrap_or_else(|e| Err(io::Error::other(format!("blob task failed: {e}"))))
}

impl BlobStore {
    /// Opens (creating it if needed) the blob directory, or an in-memory store for `None`.
    pub(crate) fn open(dir: Option<PathBuf>, ids: Arc<Ids>) -> io::Result<BlobStore> {
        match dir {
            Some(dir) => {
                std::fs::create_dir_all(&dir)?;
                std::fs::set_permissions(
                    &dir,
                    std::os::unix::fs::PermissionsExt::from_mode(0o700),
                )?;
                Ok(BlobStore::Disk { dir, ids })
            }
            None => Ok(BlobStore::Memory {
                blobs: Mutex::new(HashMap::new()),
                ids,
            }),
        }
    }

    /// The id generator blob names (and upload ids) are drawn from.
    pub(crate) fn ids(&self) -> &Ids {
        match self {
            BlobStore::Disk { ids, .. } | BlobStore::Memory { ids, .. } => ids,
        }
    }

    pub(crate) fn is_memory(&self) -> bool {
        matches!(self, BlobStore::Memory { .. })
    }

    /// Stores `body` under a new unique name and returns the name once the bytes are
    /// durable (file and directory fsynced).
    pub(crate) async fn write(&self, body: Bytes) -> io::Result<String> {
        match self {
            BlobStore::Memory { blobs, ids } => {
                let mut map = blobs.lock().unwrap_or_else(|e| e.into_inner());
                let mut name = new_name(ids);
                while map.contains_key(&name) {
                    name = new_name(ids);
                }
                map.insert(name.clone(), body);
                Ok(name)
            }
            BlobStore::Disk { dir, ids } => {
                let (dir, ids) = (dir.clone(), ids.clone());
                blocking(move || write_file(&dir, &ids, &body)).await
            }
        }
    }

    /// Stores the concatenation of blobs `parts` (a completed multipart upload) under a new
    /// unique name, durable like [`BlobStore::write`]. On disk the bytes are copied file to
    /// file in a blocking task, never held in memory whole. `NotFound` if a part is gone.
    pub(crate) async fn concat(&self, parts: Vec<String>) -> io::Result<String> {
        match self {
            BlobStore::Memory { blobs, ids } => {
                let mut map = blobs.lock().unwrap_or_else(|e| e.into_inner());
                let mut joined = Vec::new();
                for p in &parts {
                    let b = map
                        .get(p)
                        .ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))?;
                    joined.extend_from_slice(b);
                }
                let mut name = new_name(ids);
                while map.contains_key(&name) {
                    name = new_name(ids);
                }
                map.insert(name.clone(), Bytes::from(joined));
                Ok(name)
            }
            BlobStore::Disk { dir, ids } => {
                let (dir, ids) = (dir.clone(), ids.clone());
                blocking(move || {
                    let mut sources = Vec::with_capacity(parts.len());
                    for p in &parts {
                        sources.push(File::open(dir.join(p))?);
                    }
                    write_file_with(&dir, &ids, |out| {
                        for mut src in sources {
                            io::copy(&mut src, out)?;
                        }
                        Ok(())
                    })
                })
                .await
            }
        }
    }

    /// Reads `len` bytes starting at `start` of blob `name`. `NotFound` when the blob is
    /// gone (a concurrent overwrite or delete removed it after this reader chose it).
    pub(crate) async fn read(&self, name: &str, start: u64, len: u64) -> io::Result<Bytes> {
        match self {
            BlobStore::Memory { blobs, .. } => {
                let map = blobs.lock().unwrap_or_else(|e| e.into_inner());
                let blob = map
                    .get(name)
                    .ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))?;
                let end = start.saturating_add(len);
                if end > blob.len() as u64 {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "blob is shorter than its record",
                    ));
                }
                Ok(blob.slice(start as usize..end as usize))
            }
            BlobStore::Disk { dir, .. } => {
                let path = dir.join(name);
                blocking(move || read_file(&path, start, len)).await
            }
        }
    }

    /// Removes blobs no record names any more. Errors are ignored: a file left behind is
    /// collected by the next startup's sweep.
    pub(crate) async fn remove(&self, names: Vec<String>) {
        if names.is_empty() {
            return;
        }
        match self {
            BlobStore::Memory { blobs, .. } => {
                let mut map = blobs.lock().unwrap_or_else(|e| e.into_inner());
                for n in names {
                    map.remove(&n);
                }
            }
            BlobStore::Disk { dir, .. } => {
                let dir = dir.clone();
                let _ = blocking(move || {
                    for n in names {
                        let _ = std::fs::remove_file(dir.join(n));
                    }
                    Ok(())
                })
                .await;
            }
        }
    }

    /// Whether blob `name` exists (used at load time for in-memory stores).
    pub(crate) fn contains(&self, name: &str) -> bool {
        match self {
            BlobStore::Memory { blobs, .. } => blobs
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .contains_key(name),
            BlobStore::Disk { dir, .. } => dir.join(name).is_file(),
        }
    }

    /// Deletes every blob not in `keep` (crash leftovers). Returns how many were deleted.
    pub(crate) fn sweep(&self, keep: &HashSet<String>) -> io::Result<usize> {
        match self {
            BlobStore::Memory { blobs, .. } => {
                let mut map = blobs.lock().unwrap_or_else(|e| e.into_inner());
                let before = map.len();
                map.retain(|k, _| keep.contains(k));
                Ok(before - map.len())
            }
            BlobStore::Disk { dir, .. } => {
                let mut removed = 0;
                for entry in std::fs::read_dir(dir)? {
                    let entry = entry?;
                    let name = entry.file_name().to_string_lossy().into_owned();
                    let leftover = (name.ends_with(SUFFIX) && !keep.contains(&name))
                        || name.ends_with(crate::streams::TMP_SUFFIX);
                    if leftover && entry.file_type()?.is_file() {
                        std::fs::remove_file(entry.path())?;
                        removed += 1;
                    }
                }
                if removed > 0 {
                    sync_dir(dir)?;
                }
                Ok(removed)
            }
        }
    }
}

pub(crate) fn new_name(ids: &Ids) -> String {
    format!("{}{SUFFIX}", ids.hex(32))
}

pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

fn write_file(dir: &Path, ids: &Ids, body: &[u8]) -> io::Result<String> {
    write_file_with(dir, ids, |f| f.write_all(body))
}

/// Creates a fresh, uniquely named blob file, lets `fill` write it, then fsyncs it and the
/// directory; a failure removes the file.
pub(crate) fn write_file_with(
    dir: &Path,
    ids: &Ids,
    fill: impl FnOnce(&mut File) -> io::Result<()>,
) -> io::Result<String> {
    // `create_new` makes a name collision (e.g. a seeded id source replaying names after a
    // restart) impossible to turn into an overwrite: pick another name instead.
    let (name, mut file) = loop {
        let name = new_name(ids);
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(dir.join(&name))
        {
            Ok(f) => break (name, f),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    };
    let written = fill(&mut file)
        .and_then(|_| file.sync_all())
        .and_then(|_| sync_dir(dir));
    if let Err(e) = written {
        drop(file);
        let _ = std::fs::remove_file(dir.join(&name));
        return Err(e);
    }
    Ok(name)
}

fn read_file(path: &Path, start: u64, len: u64) -> io::Result<Bytes> {
    let mut file = File::open(path)?;
    file.seek(SeekFrom::Start(start))?;
    let len =
        usize::try_from(len).map_err(|_| io::Error::other("range too large for this host"))?;
    let mut buf = vec![0u8; len];
    file.read_exact(&mut buf)?;
    Ok(Bytes::from(buf))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn disk_blobs_roundtrip_and_sweep() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = BlobStore::open(Some(dir.path().to_path_buf()), Arc::new(Ids::from_seed(1)))
            .expect("open");
        let a = store
            .write(Bytes::from_static(b"hello world"))
            .await
            .expect("write");
        let b = store
            .write(Bytes::from_static(b"other"))
            .await
            .expect("write");
        assert_ne!(a, b);
        assert_eq!(&store.read(&a, 6, 5).await.expect("read")[..], b"world");
        std::fs::write(dir.path().join("not-ours.txt"), b"x").expect("write");
        let keep: HashSet<String> = [a.clone()].into_iter().collect();
        assert_eq!(store.sweep(&keep).expect("sweep"), 1);
        assert!(store.contains(&a) && !store.contains(&b));
        assert!(dir.path().join("not-ours.txt").exists());
        assert_eq!(
            store.read(&b, 0, 1).await.unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
        store.remove(vec![a.clone()]).await;
        assert!(!store.contains(&a));
    }

    #[tokio::test]
    async fn replayed_names_do_not_overwrite() {
        let dir = tempfile::tempdir().expect("tempdir");
        let one = BlobStore::open(Some(dir.path().to_path_buf()), Arc::new(Ids::from_seed(9)))
            .expect("open");
        let first = one
            .write(Bytes::from_static(b"first"))
            .await
            .expect("write");
        let two = BlobStore::open(Some(dir.path().to_path_buf()), Arc::new(Ids::from_seed(9)))
            .expect("open");
        let second = two
            .write(Bytes::from_static(b"second"))
            .await
            .expect("write");
        assert_ne!(first, second);
        assert_eq!(&one.read(&first, 0, 5).await.expect("read")[..], b"first");
    }

    #[tokio::test]
    async fn concatenation_on_disk_and_in_memory() {
        let dir = tempfile::tempdir().expect("tempdir");
        for store in [
            BlobStore::open(Some(dir.path().to_path_buf()), Arc::new(Ids::from_seed(3))),
            BlobStore::open(None, Arc::new(Ids::from_seed(3))),
        ] {
            let store = store.expect("open");
            let a = store.write(Bytes::from_static(b"hello ")).await.expect("a");
            let b = store.write(Bytes::from_static(b"world")).await.expect("b");
            let joined = store
                .concat(vec![a.clone(), b.clone()])
                .await
                .expect("concat");
            assert_eq!(
                &store.read(&joined, 0, 11).await.expect("read")[..],
                b"hello world"
            );
            assert!(store.contains(&a), "parts stay until their records go");
            store.remove(vec![b.clone()]).await;
            assert_eq!(
                store.concat(vec![a, b]).await.unwrap_err().kind(),
                io::ErrorKind::NotFound
            );
        }
    }

    #[tokio::test]
    async fn memory_blobs() {
        let store = BlobStore::open(None, Arc::new(Ids::from_seed(1))).expect("open");
        assert!(store.is_memory());
        let a = store
            .write(Bytes::from_static(b"abc"))
            .await
            .expect("write");
        assert_eq!(&store.read(&a, 1, 2).await.expect("read")[..], b"bc");
        assert!(store.read(&a, 2, 5).await.is_err());
        store.remove(vec![a.clone()]).await;
        assert!(!store.contains(&a));
    }
}
