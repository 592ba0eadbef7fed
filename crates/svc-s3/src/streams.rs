//! Object bytes that never pass through memory whole: an upload streamed from the network
//! into the blob directory ([`BlobStore::stage`] then [`BlobStore::commit`]), an object or
//! range streamed out of its blob ([`BlobStore::open_range`]), and a part copied from
//! another object file to file ([`BlobStore::copy_range`]).
//!
//! A streamed upload is written to a fresh `<hex>.upload` file in batches of
//! [`WRITE_BATCH`] bytes, hashed and written by one blocking task per upload, so an upload
//! holds at most three batches in memory whatever its size. A streamed reply is read by one
//! blocking task per reply, one [`READ_PIECE`] ahead of the connection. (One task per
//! transfer rather than one per piece: per-piece tasks made the blocking pool grow to
//! hundreds of threads under 40 parallel transfers, each thread with its own allocator
//! heap.) Only once the whole body has arrived and
//! its digests check out (the caller's job, between `stage` and `commit`) is the file
//! fsynced and given a blob name (a hard link, so an existing name is never replaced),
//! with the directory fsynced after: a refused or abandoned upload leaves nothing behind
//! (its [`Staged`] removes the file when dropped, and the startup sweep removes what a
//! crash left). With bytes in memory (`:memory:`) the body is collected instead.

use crate::blobs::{blocking, new_name, sync_dir, write_file_with, BlobStore};
use crate::checksums::{self, Hashing, Requested, Verified};
use crate::faults;
use bytes::{Bytes, BytesMut};
use md5::{Digest as _, Md5};
use nimbus_core::AwsError;
use nimbus_wire::BodyStream;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
use std::task::{Context, Poll};

/// The suffix of an upload still being received.
pub(crate) const TMP_SUFFIX: &str = ".upload";
/// Bytes gathered before one write (and hash) on the blocking pool.
pub(crate) const WRITE_BATCH: usize = 128 << 10;
/// Bytes read from a blob per piece of a streamed reply.
pub(crate) const READ_PIECE: usize = 64 << 10;

/// A received upload, not yet a blob.
pub(crate) struct Staged {
    inner: Inner,
    pub(crate) size: u64,
}

enum Inner {
    Memory(Bytes),
    Disk {
        dir: PathBuf,
        /// The `*.upload` file; `None` once committed (or removed).
        tmp: Option<PathBuf>,
        file: Option<File>,
    },
}

impl Drop for Staged {
    fn drop(&mut self) {
        if let Inner::Disk { tmp: Some(p), .. } = &self.inner {
            let _ = std::fs::remove_file(p);
        }
    }
}

impl BlobStore {
    /// Receives `body` (at most `max` bytes, else S3's `EntityTooLarge`), feeding every
    /// byte to `hashing`. An error the stream yields (a bad payload hash or chunk
    /// signature, a broken connection) is returned as is; nothing is kept either way until
    /// [`BlobStore::commit`].
    pub(crate) async fn stage(
        &self,
        body: &mut dyn BodyStream,
        mut hashing: Hashing,
        max: u64,
    ) -> Result<(Staged, Hashing), AwsError> {
        if let Some(n) = body.len_hint().filter(|n| *n > max) {
            return Err(faults::entity_too_large(n, max));
        }
        let (dir, ids) = match self {
            BlobStore::Memory { .. } => {
                let mut buf = BytesMut::new();
                while let Some(piece) = body.chunk().await {
                    let piece = piece?;
                    let size = buf.len() as u64 + piece.len() as u64;
                    if size > max {
                        return Err(faults::entity_too_large(size, max));
                    }
                    hashing.update(&piece);
                    buf.extend_from_slice(&piece);
                }
                let size = buf.len() as u64;
                let staged = Staged {
                    inner: Inner::Memory(buf.freeze()),
                    size,
                };
                return Ok((staged, hashing));
            }
            BlobStore::Disk { dir, ids } => (dir.clone(), ids.clone()),
        };
        let open_dir = dir.clone();
        let (tmp, file) = blocking(move || loop {
            let path = open_dir.join(format!("{}{TMP_SUFFIX}", ids.hex(32)));
            match OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)
            {
                Ok(f) => return Ok((path, f)),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        })
        .await
        .map_err(|e| faults::internal(format!("creating an upload file: {e}")))?;
        let mut staged = Staged {
            inner: Inner::Disk {
                dir,
                tmp: Some(tmp),
                file: None,
            },
            size: 0,
        };
        // One blocking task per upload hashes and writes the batches this loop gathers; the
        // channel holds one batch, so an upload has at most three in memory (one being
        // gathered, one queued, one being written) however slowly the disk goes.
        let (batches, mut queued) = tokio::sync::mpsc::channel::<Vec<u8>>(1);
        let writer = tokio::task::spawn_blocking(move || {
            let (mut file, mut hashing) = (file, hashing);
            while let Some(batch) = queued.blocking_recv() {
                hashing.update(&batch);
                file.write_all(&batch)?;
            }
            Ok::<_, io::Error>((file, hashing))
        });
        let mut batch: Vec<u8> = Vec::with_capacity(WRITE_BATCH);
        let mut size = 0u64;
        'receive: loop {
            let piece = body.chunk().await.transpose()?;
            let end = piece.is_none();
            let mut rest: &[u8] = piece.as_deref().unwrap_or_default();
            size += rest.len() as u64;
            if size > max {
                return Err(faults::entity_too_large(size, max));
            }
            // Batches are exactly WRITE_BATCH bytes (the last may be shorter): a piece is
            // split rather than letting a batch grow past its capacity.
            while !rest.is_empty() || (end && !batch.is_empty()) {
                let take = rest.len().min(WRITE_BATCH - batch.len());
                batch.extend_from_slice(&rest[..take]);
                rest = &rest[take..];
                if batch.len() == WRITE_BATCH || (end && rest.is_empty()) {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(WRITE_BATCH));
                    if batches.send(full).await.is_err() {
                        // The writer stopped: its error says why.
                        break 'receive;
                    }
                }
            }
            if end {
                break;
            }
        }
        drop(batches);
        let (file, hashing) = writer
            .await
            .map_err(faults::internal)?
            .map_err(|e| faults::internal(format!("writing an upload: {e}")))?;
        let file = Some(file);
        if let Inner::Disk { file: slot, .. } = &mut staged.inner {
            *slot = file;
        }
        staged.size = size;
        Ok((staged, hashing))
    }

    /// Makes a verified upload a blob: fsyncs it, gives it a new blob name and fsyncs the
    /// directory. Returns the name once the bytes are durable.
    pub(crate) async fn commit(&self, mut staged: Staged) -> io::Result<String> {
        let (dir, tmp, file) = match &mut staged.inner {
            Inner::Memory(b) => return self.write(b.clone()).await,
            Inner::Disk { dir, tmp, file } => (dir.clone(), tmp.clone(), file.take()),
        };
        let tmp = tmp.ok_or_else(|| io::Error::other("upload already committed"))?;
        let ids = match self {
            BlobStore::Disk { ids, .. } | BlobStore::Memory { ids, .. } => ids.clone(),
        };
        let name = blocking(move || {
            match file {
                Some(f) => f.sync_all()?,
                None => File::open(&tmp)?.sync_all()?,
            }
            let name = loop {
                let name = new_name(&ids);
                match std::fs::hard_link(&tmp, dir.join(&name)) {
                    Ok(()) => break name,
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                    Err(e) => return Err(e),
                }
            };
            std::fs::remove_file(&tmp)?;
            sync_dir(&dir)?;
            Ok(name)
        })
        .await?;
        // The upload file is gone (now the blob): nothing left for `Drop` to remove.
        if let Inner::Disk { tmp, .. } = &mut staged.inner {
            *tmp = None;
        }
        Ok(name)
    }

    /// A reader of `len` bytes of blob `name` from `start`, for a streamed reply; `None`
    /// when bytes live in memory (they are sliced without a copy there). `NotFound` when
    /// the blob is gone (see `BlobStore::read`); once open, a removal cannot disturb it.
    pub(crate) async fn open_range(
        &self,
        name: &str,
        start: u64,
        len: u64,
    ) -> io::Result<Option<RangeReader>> {
        let BlobStore::Disk { dir, .. } = self else {
            return Ok(None);
        };
        let path = dir.join(name);
        let mut file = blocking(move || {
            let mut f = File::open(path)?;
            f.seek(SeekFrom::Start(start))?;
            Ok(f)
        })
        .await?;
        let (pieces, received) = tokio::sync::mpsc::channel::<io::Result<Bytes>>(1);
        tokio::task::spawn_blocking(move || {
            let mut left = len;
            while left > 0 {
                let mut buf = vec![0u8; (left as usize).min(READ_PIECE)];
                let read = file.read_exact(&mut buf).map(|()| Bytes::from(buf));
                let failed = read.is_err();
                left -= read.as_ref().map_or(0, |b| b.len() as u64);
                // The reply went away (the client hung up): stop reading.
                if pieces.blocking_send(read).is_err() || failed {
                    return;
                }
            }
        });
        Ok(Some(RangeReader { received, len }))
    }

    /// Copies `len` bytes of blob `source` from `start` into a new durable blob, file to
    /// file in pieces; returns its name and the hex MD5 of the bytes. `NotFound` when the
    /// source blob is gone.
    pub(crate) async fn copy_range(
        &self,
        source: &str,
        start: u64,
        len: u64,
    ) -> io::Result<(String, String)> {
        match self {
            BlobStore::Memory { .. } => {
                let bytes = self.read(source, start, len).await?;
                let md5 = hex::encode(Md5::digest(&bytes));
                Ok((self.write(bytes).await?, md5))
            }
            BlobStore::Disk { dir, ids } => {
                let (dir, ids, src) = (dir.clone(), ids.clone(), dir.join(source));
                blocking(move || {
                    let mut from = File::open(src)?;
                    from.seek(SeekFrom::Start(start))?;
                    let mut md5 = Md5::new();
                    let name = write_file_with(&dir, &ids, |out| {
                        let mut buf = vec![0u8; READ_PIECE];
                        let mut left = len;
                        while left > 0 {
                            let n = (left as usize).min(buf.len());
                            from.read_exact(&mut buf[..n])?;
                            md5.update(&buf[..n]);
                            out.write_all(&buf[..n])?;
                            left -= n as u64;
                        }
                        Ok(())
                    })?;
                    Ok((name, hex::encode(md5.finalize())))
                })
                .await
            }
        }
    }
}

/// An upload's bytes, verified and durable as a blob.
pub(crate) struct Received {
    pub blob: String,
    pub size: u64,
    pub verified: Verified,
}

/// Bodies up to this size that arrive whole are hashed on the async worker.
const INLINE_HASH_BYTES: usize = 256 * 1024;

/// Receives the body of a PutObject or UploadPart into a new durable blob, at most `max`
/// bytes, checking it against `requested` (`Content-MD5`, `x-amz-checksum-*` headers, and
/// checksums sent as trailers). The body is `given` when the input carried it whole (an
/// in-process call), else the request's stream (`nimbus_wire::stream`). Nothing is stored
/// when any check fails.
pub(crate) async fn receive(
    blobs: &BlobStore,
    given: Option<Bytes>,
    requested: Requested,
    max: u64,
) -> Result<Received, AwsError> {
    let stream = match given {
        None => nimbus_wire::stream::take_request_body(),
        Some(_) => None,
    };
    let Some(mut stream) = stream else {
        let body = given.unwrap_or_default();
        if body.len() as u64 > max {
            return Err(faults::entity_too_large(body.len() as u64, max));
        }
        let verified = if body.len() <= INLINE_HASH_BYTES {
            checksums::verify(&requested, &body)?
        } else {
            let b = body.clone();
            tokio::task::spawn_blocking(move || checksums::verify(&requested, &b))
                .await
                .map_err(faults::internal)??
        };
        let size = body.len() as u64;
        let blob = blobs.write(body).await.map_err(faults::internal)?;
        return Ok(Received {
            blob,
            size,
            verified,
        });
    };
    let hashing = Hashing::new(&requested, stream.announced_trailers());
    let (staged, hashing) = blobs.stage(&mut *stream, hashing, max).await?;
    // A refused body's `staged` is dropped here, which removes its file.
    let verified = hashing.finish(&requested, stream.trailers())?;
    let size = staged.size;
    let blob = blobs
        .commit(staged)
        .await
        .map_err(|e| faults::internal(format!("storing an upload: {e}")))?;
    Ok(Received {
        blob,
        size,
        verified,
    })
}

/// A blob range on its way out: the pieces its reading task sends (see the module doc).
pub(crate) struct RangeReader {
    received: tokio::sync::mpsc::Receiver<io::Result<Bytes>>,
    len: u64,
}

impl BodyStream for RangeReader {
    fn poll_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, AwsError>>> {
        self.received.poll_recv(cx).map(|piece| {
            piece.map(|r| r.map_err(|e| faults::internal(format!("reading object data: {e}"))))
        })
    }

    fn len_hint(&self) -> Option<u64> {
        Some(self.len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nimbus_core::Ids;
    use nimbus_wire::stream::InMemory;
    use std::sync::Arc;

    fn body(data: &[u8], piece: usize) -> InMemory {
        InMemory::new(
            data.chunks(piece)
                .map(Bytes::copy_from_slice)
                .collect::<Vec<_>>(),
            Vec::new(),
        )
    }

    fn uploads_left(dir: &std::path::Path) -> usize {
        std::fs::read_dir(dir)
            .expect("dir")
            .filter(|e| {
                e.as_ref()
                    .is_ok_and(|e| e.file_name().to_string_lossy().ends_with(TMP_SUFFIX))
            })
            .count()
    }

    #[tokio::test]
    async fn staged_uploads_become_blobs_only_when_committed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = BlobStore::open(Some(dir.path().to_path_buf()), Arc::new(Ids::from_seed(5)))
            .expect("open");
        let data: Vec<u8> = (0..(WRITE_BATCH * 4 + 123)).map(|i| i as u8).collect();
        let req = Requested::default();
        let (staged, h) = store
            .stage(&mut body(&data, 10_000), Hashing::new(&req, &[]), 1 << 30)
            .await
            .expect("staged");
        assert_eq!(staged.size, data.len() as u64);
        assert_eq!(uploads_left(dir.path()), 1);
        let md5 = h.finish(&req, &[]).expect("verified").md5_hex;
        assert_eq!(md5, hex::encode(Md5::digest(&data)));
        let name = store.commit(staged).await.expect("commit");
        assert_eq!(uploads_left(dir.path()), 0);
        assert_eq!(
            &store.read(&name, 0, data.len() as u64).await.expect("read")[..],
            &data[..]
        );

        // Dropped without a commit (refused, or the client went away): nothing remains.
        let (staged, _) = store
            .stage(&mut body(&data, 777), Hashing::new(&req, &[]), 1 << 30)
            .await
            .expect("staged");
        drop(staged);
        assert_eq!(uploads_left(dir.path()), 0);

        // Over the limit: refused, nothing remains.
        let e = store
            .stage(&mut body(&data, 4096), Hashing::new(&req, &[]), 1000)
            .await
            .err()
            .expect("too large");
        assert_eq!(e.code, "EntityTooLarge");
        assert_eq!(uploads_left(dir.path()), 0);

        // Ranges stream out in pieces; copies land file to file.
        let mut r = store
            .open_range(&name, 5, data.len() as u64 - 10)
            .await
            .expect("open")
            .expect("on disk");
        let mut got = Vec::new();
        let r: &mut dyn BodyStream = &mut r;
        while let Some(p) = r.chunk().await {
            got.extend_from_slice(&p.expect("piece"));
        }
        assert_eq!(&got[..], &data[5..data.len() - 5]);
        let (copy, md5) = store.copy_range(&name, 3, 300_000).await.expect("copy");
        assert_eq!(md5, hex::encode(Md5::digest(&data[3..300_003])));
        assert_eq!(
            &store.read(&copy, 0, 300_000).await.expect("read")[..],
            &data[3..300_003]
        );
    }
}
