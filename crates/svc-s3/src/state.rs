//! The S3 service object: durable records (one per bucket, one per object), the in-memory
//! index every read is served from, and the write path that keeps the two in step.
//!
//! All records are loaded at startup; reads take a short `std` read lock and never touch the
//! store. Writes are serialized by one async mutex around "commit the batch, then apply it to
//! the index", so the index always changes in commit order and a check made under the lock
//! (bucket empty? key present?) still holds when its batch lands. Bytes are not part of this
//! lock: they are written before it is taken (see `blobs.rs`).

use crate::blobs::BlobStore;
use crate::faults;
use nimbus_core::{AwsError, Ids, RequestContext, Timestamp};
use nimbus_store::{Batch, Store, StoreError};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

pub(crate) const BUCKETS: &str = "s3.buckets";
pub(crate) const OBJECTS: &str = "s3.objects";
const RECORD_VERSION: u16 = 1;

/// A bucket as stored.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub(crate) struct BucketRecord {
    pub name: String,
    /// The owning account id.
    pub owner: String,
    pub region: String,
    pub created: Timestamp,
}

/// An object's metadata as stored; its bytes are in blob `blob`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub(crate) struct ObjectRecord {
    pub bucket: String,
    pub key: String,
    pub size: u64,
    /// MD5 hex, without quotes.
    pub md5: String,
    pub content_type: String,
    pub content_encoding: Option<String>,
    pub cache_control: Option<String>,
    pub content_disposition: Option<String>,
    pub content_language: Option<String>,
    pub expires: Option<String>,
    pub website_redirect_location: Option<String>,
    /// `x-amz-meta-*`, keys lower-case, in the order received.
    pub metadata: Vec<(String, String)>,
    /// (algorithm name, base64 value) of the additional checksum, if any.
    pub checksum: Option<(String, String)>,
    pub storage_class: String,
    pub tag_count: u32,
    /// The account that uploaded it.
    pub owner: String,
    pub last_modified: Timestamp,
    pub blob: String,
}

impl ObjectRecord {
    pub(crate) fn etag(&self) -> String {
        format!("\"{}\"", self.md5)
    }
}

pub(crate) struct BucketState {
    pub rec: BucketRecord,
    /// Keys in UTF-8 byte order, which is `String`'s `Ord`.
    pub objects: BTreeMap<String, Arc<ObjectRecord>>,
}

#[derive(Default)]
pub(crate) struct Index {
    pub buckets: BTreeMap<String, BucketState>,
}

/// The S3 service.
pub struct S3 {
    pub(crate) store: Store,
    pub(crate) blobs: BlobStore,
    index: RwLock<Index>,
    writer: tokio::sync::Mutex<()>,
}

fn bucket_key(name: &str) -> Vec<u8> {
    name.as_bytes().to_vec()
}

/// Bucket names contain no `/`, so `bucket/key` is unambiguous and groups a bucket's keys.
fn object_key(bucket: &str, key: &str) -> Vec<u8> {
    format!("{bucket}/{key}").into_bytes()
}

pub(crate) fn store_err(e: StoreError) -> AwsError {
    faults::internal(format!("storage failure: {e}"))
}

/// The 64-hex canonical user id S3 shows as `Owner.ID`, derived from the account id so it
/// is stable across restarts and the same for every bucket of an account.
pub(crate) fn canonical_id(account: &str) -> String {
    hex::encode(Sha256::digest(
        format!("nimbus-canonical-user:{account}").as_bytes(),
    ))
}

pub(crate) fn owner_of(account: &str) -> crate::generated::Owner {
    crate::generated::Owner {
        id: Some(canonical_id(account)),
        display_name: Some(account.to_string()),
    }
}

/// One change to apply after its batch commits.
pub(crate) enum Change {
    PutBucket(BucketRecord),
    DeleteBucket(String),
    PutObject(Arc<ObjectRecord>),
    DeleteObject { bucket: String, key: String },
}

impl S3 {
    /// Loads every bucket and object record and deletes blob files no record names.
    pub fn load(store: Store, ids: Arc<Ids>, blob_dir: Option<PathBuf>) -> Result<S3, StoreError> {
        let blobs = BlobStore::open(blob_dir, ids).map_err(io_err)?;
        let mut index = Index::default();
        for (_, v) in store.scan_prefix(BUCKETS, b"")? {
            let rec: BucketRecord = nimbus_store::decode_record(&v, RECORD_VERSION, |_, j| Ok(j))?;
            index.buckets.insert(
                rec.name.clone(),
                BucketState {
                    rec,
                    objects: BTreeMap::new(),
                },
            );
        }
        let mut referenced = HashSet::new();
        for (_, v) in store.scan_prefix(OBJECTS, b"")? {
            let rec: ObjectRecord = nimbus_store::decode_record(&v, RECORD_VERSION, |_, j| Ok(j))?;
            // Bytes kept in memory do not survive a restart; a record whose bytes are gone
            // cannot be served, so it is not listed either.
            if blobs.is_memory() && !blobs.contains(&rec.blob) {
                continue;
            }
            if let Some(b) = index.buckets.get_mut(&rec.bucket) {
                referenced.insert(rec.blob.clone());
                b.objects.insert(rec.key.clone(), Arc::new(rec));
            }
        }
        blobs.sweep(&referenced).map_err(io_err)?;
        Ok(S3 {
            store,
            blobs,
            index: RwLock::new(index),
            writer: tokio::sync::Mutex::new(()),
        })
    }

    pub(crate) fn read(&self) -> RwLockReadGuard<'_, Index> {
        self.index.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write_index(&self) -> RwLockWriteGuard<'_, Index> {
        self.index.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Serializes writers; hold the guard across checks, [`S3::commit`] and nothing else slow.
    pub(crate) async fn lock_writes(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.writer.lock().await
    }

    /// Makes `changes` durable, then applies them to the index. Call with the write lock.
    pub(crate) async fn commit(&self, changes: Vec<Change>) -> Result<(), AwsError> {
        let mut batch = Batch::new();
        for c in &changes {
            match c {
                Change::PutBucket(r) => batch.put(
                    BUCKETS,
                    bucket_key(&r.name),
                    nimbus_store::encode_record(RECORD_VERSION, r),
                ),
                Change::DeleteBucket(name) => batch.delete(BUCKETS, bucket_key(name)),
                Change::PutObject(r) => batch.put(
                    OBJECTS,
                    object_key(&r.bucket, &r.key),
                    nimbus_store::encode_record(RECORD_VERSION, r.as_ref()),
                ),
                Change::DeleteObject { bucket, key } => {
                    batch.delete(OBJECTS, object_key(bucket, key))
                }
            }
        }
        self.store.commit(batch).await.map_err(store_err)?;
        let mut index = self.write_index();
        for c in changes {
            match c {
                Change::PutBucket(rec) => {
                    index.buckets.insert(
                        rec.name.clone(),
                        BucketState {
                            rec,
                            objects: BTreeMap::new(),
                        },
                    );
                }
                Change::DeleteBucket(name) => {
                    index.buckets.remove(&name);
                }
                Change::PutObject(rec) => {
                    if let Some(b) = index.buckets.get_mut(&rec.bucket) {
                        b.objects.insert(rec.key.clone(), rec);
                    }
                }
                Change::DeleteObject { bucket, key } => {
                    if let Some(b) = index.buckets.get_mut(&bucket) {
                        b.objects.remove(&key);
                    }
                }
            }
        }
        Ok(())
    }

    /// The bucket `name` if it exists and the caller may use it. Nimbus has no bucket
    /// policies or ACL grants yet, so only the owning account may.
    pub(crate) fn bucket<'a>(
        &self,
        index: &'a Index,
        ctx: &RequestContext,
        name: &str,
        expected_owner: Option<&str>,
    ) -> Result<&'a BucketState, AwsError> {
        let b = index
            .buckets
            .get(name)
            .ok_or_else(|| faults::no_such_bucket(name))?;
        if b.rec.owner != ctx.account_id() || expected_owner.is_some_and(|o| o != b.rec.owner) {
            return Err(faults::access_denied());
        }
        Ok(b)
    }

    /// Wipes the index and every blob (`POST /_nimbus/reset`); the gateway wipes the store.
    pub(crate) fn reset_all(&self) {
        *self.write_index() = Index::default();
        self.blobs.clear();
    }
}

fn io_err(e: std::io::Error) -> StoreError {
    StoreError::engine("S3 blob directory", e)
}
