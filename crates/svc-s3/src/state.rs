//! The S3 service object: durable records (one per bucket, one per object), the in-memory
//! index every read is served from, and the write path that keeps the two in step.
//!
//! All records are loaded at startup; reads take a short `std` read lock and never touch the
//! store. Writes go through [`S3::mutate`] (decision 0004, "Durable writes without a lock
//! across the fsync"): under one async writer lock a write plans its change against the
//! index (bucket empty? key present? preconditions?), submits the batch to the store's
//! ordered writer queue and applies it to the index; then, with the lock released, it waits
//! until the batch is durable before answering. The store applies batches in submission
//! order, so the index changes in the same order as the disk and a check made under the
//! lock still holds when its batch lands; concurrent writers share one group commit (one
//! fsync). A reader may see a change up to one fsync before it is durable. If the store
//! fails a commit, the index is rebuilt from what the store holds, so memory never keeps
//! what the disk does not.
//!
//! Bytes are not part of this lock: they are written and fsynced before it is taken, so the
//! index never names a blob that does not exist yet, and a replaced blob is removed only
//! once the change that stopped naming it is durable (see `blobs.rs`, `objects.rs`).
//!
//! Bucket policies are records of their own (`s3.bucket-policies`, one per bucket, the
//! compacted text), so bucket records need no migration; the index keeps each one parsed
//! next to its bucket, and the index is shared (`Arc`) with [`BucketPolicies`], the read
//! API the binary's authorizer uses. Deleting a bucket deletes its policy in the same batch.
//!
//! A reset ([`S3::reset_with`]) holds the writer lock while the store is wiped, then empties
//! the index and removes the blobs it named. Blobs of uploads still in flight are named by
//! no record yet and are left alone: their upload either commits after the reset (and
//! needs them) or fails and removes them itself.

use crate::blobs::BlobStore;
use crate::faults;
use crate::policy::{BucketPolicies, StoredPolicy};
use nimbus_core::{AwsError, Ids, RequestContext, Timestamp};
use nimbus_store::{Batch, Store, StoreError};
use nimbus_wire::ResetStep;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

pub(crate) const BUCKETS: &str = "s3.buckets";
pub(crate) const OBJECTS: &str = "s3.objects";
pub(crate) const POLICIES: &str = "s3.bucket-policies";
/// Multipart uploads in progress (`bucket/upload id`) and their parts
/// (`bucket/upload id/part number`, zero-padded so a scan lists them in order).
pub(crate) const UPLOADS: &str = "s3.uploads";
pub(crate) const PARTS: &str = "s3.parts";
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

/// A bucket policy as stored: the document as GetBucketPolicy returns it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub(crate) struct PolicyRecord {
    pub bucket: String,
    pub text: String,
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

/// A multipart upload in progress: what CreateMultipartUpload fixed for the object to be.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub(crate) struct UploadRecord {
    pub bucket: String,
    pub key: String,
    pub upload_id: String,
    pub initiated: Timestamp,
    /// The account that started it.
    pub owner: String,
    pub content_type: Option<String>,
    pub content_encoding: Option<String>,
    pub cache_control: Option<String>,
    pub content_disposition: Option<String>,
    pub content_language: Option<String>,
    pub expires: Option<String>,
    pub website_redirect_location: Option<String>,
    pub metadata: Vec<(String, String)>,
    pub storage_class: String,
    pub tag_count: u32,
    /// The checksum algorithm the upload declared (`x-amz-checksum-algorithm`), if any.
    pub checksum_algorithm: Option<String>,
}

/// One uploaded part; its bytes are in blob `blob`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub(crate) struct PartRecord {
    pub bucket: String,
    pub upload_id: String,
    pub number: u32,
    pub size: u64,
    /// MD5 hex of the part (its ETag, unquoted).
    pub md5: String,
    pub checksum: Option<(String, String)>,
    pub last_modified: Timestamp,
    pub blob: String,
}

/// An upload and its parts, by part number.
#[derive(Clone)]
pub(crate) struct UploadState {
    pub rec: Arc<UploadRecord>,
    pub parts: BTreeMap<u32, Arc<PartRecord>>,
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
    /// The bucket policy, parsed once when put or loaded.
    pub policy: Option<Arc<StoredPolicy>>,
    /// Multipart uploads in progress, by upload id.
    pub uploads: BTreeMap<String, UploadState>,
}

impl BucketState {
    fn new(rec: BucketRecord) -> Self {
        BucketState {
            rec,
            objects: BTreeMap::new(),
            policy: None,
            uploads: BTreeMap::new(),
        }
    }

    /// Every blob this bucket's records name (objects and uploaded parts).
    pub(crate) fn blobs(&self) -> impl Iterator<Item = &String> {
        self.objects.values().map(|o| &o.blob).chain(
            self.uploads
                .values()
                .flat_map(|u| u.parts.values().map(|p| &p.blob)),
        )
    }
}

#[derive(Default)]
pub(crate) struct Index {
    pub buckets: BTreeMap<String, BucketState>,
}

/// The S3 service.
pub struct S3 {
    pub(crate) store: Store,
    pub(crate) blobs: BlobStore,
    index: Arc<RwLock<Index>>,
    writer: tokio::sync::Mutex<()>,
}

fn bucket_key(name: &str) -> Vec<u8> {
    name.as_bytes().to_vec()
}

/// Bucket names contain no `/`, so `bucket/key` is unambiguous and groups a bucket's keys.
fn object_key(bucket: &str, key: &str) -> Vec<u8> {
    format!("{bucket}/{key}").into_bytes()
}

fn upload_key(bucket: &str, upload_id: &str) -> Vec<u8> {
    format!("{bucket}/{upload_id}").into_bytes()
}

fn part_key(bucket: &str, upload_id: &str, number: u32) -> Vec<u8> {
    format!("{bucket}/{upload_id}/{number:05}").into_bytes()
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

/// One change: a record to write or delete, applied to the index when it is submitted.
pub(crate) enum Change {
    PutBucket(BucketRecord),
    DeleteBucket(String),
    PutObject(Arc<ObjectRecord>),
    DeleteObject {
        bucket: String,
        key: String,
    },
    PutPolicy(Arc<StoredPolicy>),
    DeletePolicy(String),
    PutUpload(Arc<UploadRecord>),
    PutPart(Arc<PartRecord>),
    /// The upload record and the records of these parts.
    DeleteUpload {
        bucket: String,
        upload_id: String,
        parts: Vec<u32>,
    },
}

impl S3 {
    /// Loads every bucket and object record and deletes blob files no record names.
    pub fn load(store: Store, ids: Arc<Ids>, blob_dir: Option<PathBuf>) -> Result<S3, StoreError> {
        let blobs = BlobStore::open(blob_dir, ids).map_err(io_err)?;
        let (index, referenced) = build_index(&store, &blobs)?;
        blobs.sweep(&referenced).map_err(io_err)?;
        Ok(S3 {
            store,
            blobs,
            index: Arc::new(RwLock::new(index)),
            writer: tokio::sync::Mutex::new(()),
        })
    }

    /// The read API over this service's bucket policies (shares the index).
    pub fn policies(&self) -> BucketPolicies {
        BucketPolicies::new(self.index.clone())
    }

    pub(crate) fn read(&self) -> RwLockReadGuard<'_, Index> {
        self.index.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write_index(&self) -> RwLockWriteGuard<'_, Index> {
        self.index.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs one write: `plan` sees the index (with every earlier write applied) and returns
    /// the changes to make and the caller's answer, or an error (nothing is written). The
    /// changes are submitted to the store and applied to the index under the writer lock;
    /// the answer is returned once they are durable. On a store failure the index has been
    /// rebuilt from the store and the caller gets an internal error.
    pub(crate) async fn mutate<R>(
        &self,
        plan: impl FnOnce(&Index) -> Result<(Vec<Change>, R), AwsError>,
    ) -> Result<R, AwsError> {
        let (durable, out) = {
            let _w = self.writer.lock().await;
            let (changes, out) = plan(&self.read())?;
            (self.submit_and_apply(changes), out)
        };
        self.settle(durable).await?;
        Ok(out)
    }

    /// Queues `changes` for the store's writer and applies them to the index; the caller
    /// holds the writer lock, so the index changes in submission (= commit) order. The
    /// returned future resolves when the batch is durable; it needs no lock.
    fn submit_and_apply(
        &self,
        changes: Vec<Change>,
    ) -> impl std::future::Future<Output = Result<(), StoreError>> + Send + 'static {
        let durable = self.store.submit(batch_of(&changes));
        apply(&mut self.write_index(), changes);
        durable
    }

    /// Waits for durability. If the store failed, the index (which already shows the change
    /// and maybe later ones) is rebuilt from what the store really holds.
    async fn settle(
        &self,
        durable: impl std::future::Future<Output = Result<(), StoreError>>,
    ) -> Result<(), AwsError> {
        let Err(e) = durable.await else {
            return Ok(());
        };
        // No new submissions while rebuilding; and a barrier batch, applied after every
        // batch submitted before it, makes sure the store has settled all of them, so the
        // rebuilt index neither misses a later write that did land nor keeps one that failed.
        let _w = self.writer.lock().await;
        let mut barrier = Batch::new();
        barrier.delete(OBJECTS, BARRIER_KEY.to_vec());
        let _ = self.store.submit(barrier).await;
        // Blobs are not swept here: writes in flight have files no record names yet.
        if let Ok((index, _)) = build_index(&self.store, &self.blobs) {
            *self.write_index() = index;
        }
        Err(store_err(e))
    }

    /// The bucket `name` if it exists and the caller may use it. Bucket policies are
    /// stored but not yet consulted here (cross-account grants are the authorizer's to
    /// evaluate), and Nimbus has no ACL grants, so only the owning account may.
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

    /// Resets S3 together with `then` (the other services and the store wipe; see
    /// [`nimbus_wire::Service::reset`]): no write plans or submits while `then` runs; if it
    /// succeeded, the index is emptied and the blobs it named are removed (a file whose
    /// removal fails is swept at the next start, as no record names it).
    pub fn reset_with<'a>(&'a self, then: ResetStep<'a>) -> ResetStep<'a> {
        Box::pin(async move {
            let _w = self.writer.lock().await;
            then.await?;
            let old = std::mem::take(&mut *self.write_index());
            let named = old
                .buckets
                .values()
                .flat_map(|b| b.blobs().cloned())
                .collect();
            self.blobs.remove(named).await;
            Ok(())
        })
    }
}

/// A key no object record can have (bucket names contain no NUL), deleted by the barrier
/// batch [`S3::settle`] submits.
const BARRIER_KEY: &[u8] = b"\0nimbus-s3-barrier";

/// The index the store's records describe, and the blobs those records name. With bytes in
/// memory, records whose bytes are gone (a restart) are left out: they cannot be served.
fn build_index(store: &Store, blobs: &BlobStore) -> Result<(Index, HashSet<String>), StoreError> {
    let mut index = Index::default();
    for (_, v) in store.scan_prefix(BUCKETS, b"")? {
        let rec: BucketRecord = nimbus_store::decode_record(&v, RECORD_VERSION, |_, j| Ok(j))?;
        index
            .buckets
            .insert(rec.name.clone(), BucketState::new(rec));
    }
    for (_, v) in store.scan_prefix(POLICIES, b"")? {
        let rec: PolicyRecord = nimbus_store::decode_record(&v, RECORD_VERSION, |_, j| Ok(j))?;
        if let Some(b) = index.buckets.get_mut(&rec.bucket) {
            b.policy = Some(Arc::new(StoredPolicy::load(&b.rec.owner, rec)));
        }
    }
    let mut referenced = HashSet::new();
    for (_, v) in store.scan_prefix(OBJECTS, b"")? {
        let rec: ObjectRecord = nimbus_store::decode_record(&v, RECORD_VERSION, |_, j| Ok(j))?;
        if blobs.is_memory() && !blobs.contains(&rec.blob) {
            continue;
        }
        if let Some(b) = index.buckets.get_mut(&rec.bucket) {
            referenced.insert(rec.blob.clone());
            b.objects.insert(rec.key.clone(), Arc::new(rec));
        }
    }
    for (_, v) in store.scan_prefix(UPLOADS, b"")? {
        let rec: UploadRecord = nimbus_store::decode_record(&v, RECORD_VERSION, |_, j| Ok(j))?;
        if let Some(b) = index.buckets.get_mut(&rec.bucket) {
            b.uploads.insert(
                rec.upload_id.clone(),
                UploadState {
                    rec: Arc::new(rec),
                    parts: BTreeMap::new(),
                },
            );
        }
    }
    for (_, v) in store.scan_prefix(PARTS, b"")? {
        let rec: PartRecord = nimbus_store::decode_record(&v, RECORD_VERSION, |_, j| Ok(j))?;
        if blobs.is_memory() && !blobs.contains(&rec.blob) {
            continue;
        }
        let upload = index
            .buckets
            .get_mut(&rec.bucket)
            .and_then(|b| b.uploads.get_mut(&rec.upload_id));
        if let Some(u) = upload {
            referenced.insert(rec.blob.clone());
            u.parts.insert(rec.number, Arc::new(rec));
        }
    }
    Ok((index, referenced))
}

fn batch_of(changes: &[Change]) -> Batch {
    let mut batch = Batch::new();
    for c in changes {
        match c {
            Change::PutBucket(r) => batch.put(
                BUCKETS,
                bucket_key(&r.name),
                nimbus_store::encode_record(RECORD_VERSION, r),
            ),
            Change::DeleteBucket(name) => {
                batch.delete(BUCKETS, bucket_key(name));
                batch.delete(POLICIES, bucket_key(name));
            }
            Change::PutObject(r) => batch.put(
                OBJECTS,
                object_key(&r.bucket, &r.key),
                nimbus_store::encode_record(RECORD_VERSION, r.as_ref()),
            ),
            Change::DeleteObject { bucket, key } => batch.delete(OBJECTS, object_key(bucket, key)),
            Change::PutPolicy(p) => batch.put(
                POLICIES,
                bucket_key(&p.record.bucket),
                nimbus_store::encode_record(RECORD_VERSION, &p.record),
            ),
            Change::DeletePolicy(name) => batch.delete(POLICIES, bucket_key(name)),
            Change::PutUpload(u) => batch.put(
                UPLOADS,
                upload_key(&u.bucket, &u.upload_id),
                nimbus_store::encode_record(RECORD_VERSION, u.as_ref()),
            ),
            Change::PutPart(p) => batch.put(
                PARTS,
                part_key(&p.bucket, &p.upload_id, p.number),
                nimbus_store::encode_record(RECORD_VERSION, p.as_ref()),
            ),
            Change::DeleteUpload {
                bucket,
                upload_id,
                parts,
            } => {
                batch.delete(UPLOADS, upload_key(bucket, upload_id));
                for n in parts {
                    batch.delete(PARTS, part_key(bucket, upload_id, *n));
                }
            }
        }
    }
    batch
}

fn apply(index: &mut Index, changes: Vec<Change>) {
    for c in changes {
        match c {
            Change::PutBucket(rec) => {
                index
                    .buckets
                    .insert(rec.name.clone(), BucketState::new(rec));
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
            Change::PutPolicy(p) => {
                if let Some(b) = index.buckets.get_mut(&p.record.bucket) {
                    b.policy = Some(p);
                }
            }
            Change::DeletePolicy(name) => {
                if let Some(b) = index.buckets.get_mut(&name) {
                    b.policy = None;
                }
            }
            Change::PutUpload(rec) => {
                if let Some(b) = index.buckets.get_mut(&rec.bucket) {
                    b.uploads.insert(
                        rec.upload_id.clone(),
                        UploadState {
                            rec,
                            parts: BTreeMap::new(),
                        },
                    );
                }
            }
            Change::PutPart(rec) => {
                let upload = index
                    .buckets
                    .get_mut(&rec.bucket)
                    .and_then(|b| b.uploads.get_mut(&rec.upload_id));
                if let Some(u) = upload {
                    u.parts.insert(rec.number, rec);
                }
            }
            Change::DeleteUpload {
                bucket, upload_id, ..
            } => {
                if let Some(b) = index.buckets.get_mut(&bucket) {
                    b.uploads.remove(&upload_id);
                }
            }
        }
    }
}

fn io_err(e: std::io::Error) -> StoreError {
    StoreError::engine("S3 blob directory", e)
}
