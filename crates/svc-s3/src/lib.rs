//! Nimbus's S3 (Amazon Simple Storage Service): buckets and objects, with object bytes
//! durable on disk. `generated` holds the wire model, typed shapes and the `Handlers`
//! trait that `codegen/` produces from botocore; the modules below implement the
//! operations' semantics. HTTP, XML, headers and status codes are the rest-xml protocol
//! crate's business, not this crate's.
//!
//! Layout: `state` (records, in-memory index, the write path), `blobs` (object bytes),
//! `buckets`, `objects` and `listing` (the operations), `conditions` (preconditions and
//! ranges), `checksums` (ETag and integrity checks), `streams` (object bytes streamed in
//! and out), `names` (naming rules), `policy`
//! (bucket policies and the [`BucketPolicies`] read API), `policy_check` and
//! `policy_actions` (what S3 accepts as a bucket policy), `faults` (S3's errors) and
//! `handlers` (the trait impl that delegates to them).

#[allow(clippy::all, dead_code, unused_imports, non_camel_case_types)]
pub mod generated;

mod blobs;
mod buckets;
mod checksums;
mod conditions;
mod faults;
mod handlers;
mod listing;
mod multipart;
mod names;
mod objects;
mod policy;
mod policy_actions;
mod policy_check;
mod state;
mod streams;

#[cfg(test)]
mod tests;

use nimbus_core::{Clock, Ids};
use nimbus_store::{Store, StoreError};
use std::path::PathBuf;
use std::sync::Arc;

pub use policy::{BucketPolicies, BucketPolicy};
pub use state::S3;

/// Builds the S3 service, loading every stored bucket, object and bucket-policy record and
/// deleting blob files that no record names (leftovers of a crash between writing bytes and
/// committing their record); also returns the read API over its bucket policies, for the
/// binary's authorizer.
///
/// `blob_dir`: where object bytes live (Some(<data-dir>/s3) normally; None = keep bytes in
/// memory, for `--data-dir :memory:` and tests).
pub fn build(
    store: Store,
    clock: Arc<dyn Clock>,
    ids: Arc<Ids>,
    blob_dir: Option<PathBuf>,
) -> Result<(Arc<dyn nimbus_wire::Service>, BucketPolicies), StoreError> {
    // S3 stamps objects and buckets with the request's time (`RequestContext::now`), which
    // the gateway reads from this same clock; the service itself needs no clock of its own.
    let _ = clock;
    let s3 = S3::load(store, ids, blob_dir)?;
    let policies = s3.policies();
    Ok((Arc::new(generated::Router(s3)), policies))
}

/// [`build`] without the bucket-policy read API.
pub fn service(
    store: Store,
    clock: Arc<dyn Clock>,
    ids: Arc<Ids>,
    blob_dir: Option<PathBuf>,
) -> Result<Arc<dyn nimbus_wire::Service>, StoreError> {
    build(store, clock, ids, blob_dir).map(|(service, _)| service)
}
