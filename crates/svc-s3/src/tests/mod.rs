//! Handler-level tests: each calls the [`Handlers`](crate::generated::Handlers) impl
//! directly, over an in-memory store, a manual clock, seeded ids and a temporary blob
//! directory. The wire (XML, headers, status codes) is tested in the protocol crate; the
//! real-CLI behaviour in `tests/e2e/test_s3.py`.

mod buckets;
mod durability;
mod listing;
mod objects;
mod policy;

use crate::generated::{self as g, Handlers};
use crate::state::S3;
use bytes::Bytes;
use nimbus_core::{AwsError, Ids, Principal, RequestContext, Timestamp};
use nimbus_store::Store;
use std::sync::Arc;

pub(crate) const ACCOUNT: &str = "000000000000";
pub(crate) const OTHER: &str = "111111111111";
/// 2026-11-25T10:05:22Z.
pub(crate) const T0: Timestamp = Timestamp(1_795_601_122_000);

pub(crate) struct Env {
    pub svc: S3,
    pub store: Store,
    pub dir: tempfile::TempDir,
}

impl Env {
    pub fn new() -> Env {
        let store = Store::in_memory();
        let dir = tempfile::tempdir().expect("tempdir");
        let svc = S3::load(
            store.clone(),
            Arc::new(Ids::from_seed(7)),
            Some(dir.path().to_path_buf()),
        )
        .expect("load");
        Env { svc, store, dir }
    }

    /// A new service over the same store and blob directory, as after a process restart.
    pub fn restart(self) -> Env {
        let Env { svc, store, dir } = self;
        drop(svc);
        let svc = S3::load(
            store.clone(),
            Arc::new(Ids::from_seed(7)),
            Some(dir.path().to_path_buf()),
        )
        .expect("reload");
        Env { svc, store, dir }
    }

    /// `POST /_nimbus/reset` for this service alone: its reset around the store wipe.
    pub async fn reset(&self) {
        let wipe = Box::pin(async {
            self.store
                .wipe_async()
                .await
                .map_err(|e| nimbus_wire::ResetError(e.to_string()))
        });
        self.h().reset(wipe).await.expect("reset");
    }

    /// The service seen only through the generated trait, as the router sees it.
    pub fn h(&self) -> &impl Handlers {
        &self.svc
    }

    /// The blob files currently on disk.
    pub fn blob_files(&self) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(self.dir.path())
            .expect("read dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    pub async fn mb(&self, bucket: &str) {
        self.h()
            .create_bucket(
                &ctx(),
                g::CreateBucketRequest {
                    bucket: bucket.into(),
                    ..Default::default()
                },
            )
            .await
            .expect("create bucket");
    }

    pub async fn put(&self, bucket: &str, key: &str, body: &[u8]) -> g::PutObjectOutput {
        self.h()
            .put_object(&ctx(), put_req(bucket, key, body))
            .await
            .expect("put object")
    }

    pub async fn get(&self, bucket: &str, key: &str) -> Result<g::GetObjectOutput, AwsError> {
        self.h().get_object(&ctx(), get_req(bucket, key)).await
    }
}

pub(crate) fn ctx_as(account: &str, region: &str, now: Timestamp) -> RequestContext {
    RequestContext {
        request_id: "req-1".into(),
        principal: Principal::root(account, "AKIDEXAMPLE").into(),
        region: region.into(),
        now,
        host: "localhost:4566".into(),
        source_ip: None,
    }
}

pub(crate) fn ctx() -> RequestContext {
    ctx_as(ACCOUNT, "us-east-1", T0)
}

pub(crate) fn put_req(bucket: &str, key: &str, body: &[u8]) -> g::PutObjectRequest {
    g::PutObjectRequest {
        bucket: bucket.into(),
        key: key.into(),
        body: Some(Bytes::copy_from_slice(body)),
        ..Default::default()
    }
}

pub(crate) fn get_req(bucket: &str, key: &str) -> g::GetObjectRequest {
    g::GetObjectRequest {
        bucket: bucket.into(),
        key: key.into(),
        ..Default::default()
    }
}

/// Asserts an error's code and status.
#[track_caller]
pub(crate) fn assert_err<T: std::fmt::Debug>(
    r: Result<T, AwsError>,
    code: &str,
    status: u16,
) -> AwsError {
    let e = r.expect_err(code);
    assert_eq!((e.code.as_ref(), e.status), (code, status), "{e}");
    e
}

pub(crate) fn extra<'a>(e: &'a AwsError, name: &str) -> Option<&'a str> {
    e.extra
        .iter()
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.as_str())
}
