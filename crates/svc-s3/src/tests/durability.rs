//! Durability: a new service over the same store and blob directory sees every bucket,
//! object and byte; blob files no record names (a crash between writing bytes and
//! committing their record) are deleted at startup; in-memory bytes; reset; concurrent
//! writers sharing group commits; a failed commit; reads racing blob removal.

use super::*;
use crate::state::S3;

#[tokio::test]
async fn restart_sees_buckets_objects_and_bytes() {
    let e = Env::new();
    let west = ctx_as(ACCOUNT, "us-west-2", T0);
    e.mb("durable").await;
    let cfg = g::CreateBucketConfiguration {
        location_constraint: Some("us-west-2".into()),
        ..Default::default()
    };
    e.h()
        .create_bucket(
            &west,
            g::CreateBucketRequest {
                bucket: "west".into(),
                create_bucket_configuration: Some(cfg),
                ..Default::default()
            },
        )
        .await
        .expect("create");
    let payload: Vec<u8> = (0..300_000u32).map(|i| (i % 253) as u8).collect();
    let req = g::PutObjectRequest {
        content_type: Some("application/x-test".into()),
        metadata: Some(vec![("color".into(), "blue".into())]),
        ..put_req("durable", "blob", &payload)
    };
    let put = e.h().put_object(&ctx(), req).await.expect("put");
    e.put("durable", "gone", b"soon deleted").await;
    e.h()
        .delete_object(
            &ctx(),
            g::DeleteObjectRequest {
                bucket: "durable".into(),
                key: "gone".into(),
                ..Default::default()
            },
        )
        .await
        .expect("delete");

    let e = e.restart();
    let got = e.get("durable", "blob").await.expect("get after restart");
    assert_eq!(got.body.as_deref(), Some(&payload[..]));
    assert_eq!(got.e_tag, put.e_tag);
    assert_eq!(got.content_type.as_deref(), Some("application/x-test"));
    assert_eq!(
        got.metadata,
        Some(vec![("color".to_string(), "blue".to_string())])
    );
    assert_eq!(got.last_modified, Some(T0));
    assert_err(e.get("durable", "gone").await, "NoSuchKey", 404);
    let loc = e
        .h()
        .get_bucket_location(
            &ctx(),
            g::GetBucketLocationRequest {
                bucket: "west".into(),
                ..Default::default()
            },
        )
        .await
        .expect("location");
    assert_eq!(loc.location_constraint.as_deref(), Some("us-west-2"));
    let list = e
        .h()
        .list_buckets(&ctx(), Default::default())
        .await
        .expect("list");
    assert_eq!(list.buckets.map(|b| b.len()), Some(2));
    assert_eq!(e.blob_files().len(), 1);
    // Writes after a restart do not collide with existing blobs (same id seed).
    e.put("durable", "next", b"after restart").await;
    assert_eq!(
        e.get("durable", "blob").await.expect("get").body.as_deref(),
        Some(&payload[..])
    );
    assert_eq!(
        e.get("durable", "next").await.expect("get").body.as_deref(),
        Some(&b"after restart"[..])
    );
}

#[tokio::test]
async fn orphan_blobs_are_removed_at_startup() {
    let e = Env::new();
    e.mb("bkt").await;
    e.put("bkt", "kept", b"kept bytes").await;
    let kept = e.blob_files();
    // What a crash leaves between fsyncing the bytes and committing their record.
    std::fs::write(
        e.dir.path().join("0123456789abcdef0123456789abcdef.blob"),
        b"orphan",
    )
    .expect("write");
    // Files that are not blobs are not ours to delete.
    std::fs::write(e.dir.path().join("README"), b"hands off").expect("write");
    let e = e.restart();
    let mut want = kept.clone();
    want.insert(0, "README".to_string());
    assert_eq!(e.blob_files(), want);
    assert_eq!(
        e.get("bkt", "kept").await.expect("get").body.as_deref(),
        Some(&b"kept bytes"[..])
    );
}

#[tokio::test]
async fn bytes_in_memory() {
    let store = Store::in_memory();
    let svc = S3::load(store.clone(), Arc::new(Ids::from_seed(3)), None).expect("load");
    Handlers::create_bucket(
        &svc,
        &ctx(),
        g::CreateBucketRequest {
            bucket: "mem".into(),
            ..Default::default()
        },
    )
    .await
    .expect("create");
    Handlers::put_object(&svc, &ctx(), put_req("mem", "k", b"in memory"))
        .await
        .expect("put");
    let got = Handlers::get_object(&svc, &ctx(), get_req("mem", "k"))
        .await
        .expect("get");
    assert_eq!(got.body.as_deref(), Some(&b"in memory"[..]));
    Handlers::put_object(&svc, &ctx(), put_req("mem", "k", b"replaced"))
        .await
        .expect("put");
    let got = Handlers::get_object(&svc, &ctx(), get_req("mem", "k"))
        .await
        .expect("get");
    assert_eq!(got.body.as_deref(), Some(&b"replaced"[..]));
    // A restart with bytes in memory keeps the bucket but cannot serve lost bytes.
    let again = S3::load(store, Arc::new(Ids::from_seed(3)), None).expect("reload");
    assert_err(
        Handlers::get_object(&again, &ctx(), get_req("mem", "k")).await,
        "NoSuchKey",
        404,
    );
    Handlers::head_bucket(
        &again,
        &ctx(),
        g::HeadBucketRequest {
            bucket: "mem".into(),
            ..Default::default()
        },
    )
    .await
    .expect("bucket survives");
}

#[tokio::test]
async fn reset_forgets_everything() {
    let e = Env::new();
    e.mb("bkt").await;
    e.put("bkt", "k", b"v").await;
    e.h().reset();
    assert!(e.blob_files().is_empty());
    let list = e
        .h()
        .list_buckets(&ctx(), Default::default())
        .await
        .expect("list");
    assert_eq!(list.buckets.map(|b| b.len()), Some(0));
    e.mb("bkt").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_puts_to_one_key_leave_one_blob() {
    let e = Arc::new(Env::new());
    e.mb("bkt").await;
    let mut tasks = Vec::new();
    for i in 0..16u8 {
        let e = e.clone();
        tasks.push(tokio::spawn(async move {
            let body = vec![i; 1000 + i as usize];
            e.h()
                .put_object(&ctx(), put_req("bkt", "k", &body))
                .await
                .expect("put");
            let got = e.get("bkt", "k").await.expect("get");
            let b = got.body.expect("body");
            // Whatever version is read, it is whole: its bytes match its own length.
            assert!(b.iter().all(|&x| b.len() == 1000 + x as usize));
        }));
    }
    for t in tasks {
        t.await.expect("task");
    }
    assert_eq!(e.blob_files().len(), 1);
}

/// 32 concurrent PutObjects on distinct keys over an on-disk store: every one succeeds and
/// is readable, and their metadata records shared group commits (fewer fsyncs than puts),
/// because no writer holds the service's lock across the store's fsync.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_puts_share_group_commits() {
    const PUTS: usize = 32;
    let db = tempfile::tempdir().expect("tempdir");
    let blobs = tempfile::tempdir().expect("tempdir");
    let store = Store::open_dir(db.path()).expect("open store");
    let svc = Arc::new(
        S3::load(
            store.clone(),
            Arc::new(Ids::from_seed(11)),
            Some(blobs.path().to_path_buf()),
        )
        .expect("load"),
    );
    Handlers::create_bucket(
        &*svc,
        &ctx(),
        g::CreateBucketRequest {
            bucket: "grouped".into(),
            ..Default::default()
        },
    )
    .await
    .expect("create");
    let before = store.stats();
    let started = std::time::Instant::now();
    let tasks: Vec<_> = (0..PUTS)
        .map(|i| {
            let svc = svc.clone();
            tokio::spawn(async move {
                let body = format!("body of object {i}").into_bytes();
                Handlers::put_object(&*svc, &ctx(), put_req("grouped", &format!("k{i}"), &body))
                    .await
                    .map(|_| ())
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("task").expect("put");
    }
    let elapsed = started.elapsed();
    let after = store.stats();
    let (groups, batches) = (after.groups - before.groups, after.batches - before.batches);
    eprintln!(
        "{PUTS} concurrent puts: {groups} groups for {batches} batches, max group {}, {elapsed:?}",
        after.max_group
    );
    assert_eq!(batches, PUTS as u64);
    assert!(
        batches > groups,
        "puts did not share commits: {groups} groups for {batches} batches"
    );
    for i in 0..PUTS {
        let got = Handlers::get_object(&*svc, &ctx(), get_req("grouped", &format!("k{i}")))
            .await
            .expect("get");
        assert_eq!(
            got.body.as_deref(),
            Some(format!("body of object {i}").as_bytes())
        );
    }
    assert_eq!(std::fs::read_dir(blobs.path()).expect("dir").count(), PUTS);
}

/// An engine that fails every `apply` while `failing` is set.
struct Flaky {
    inner: nimbus_store::MemoryEngine,
    failing: std::sync::atomic::AtomicBool,
}

impl nimbus_store::Engine for Flaky {
    fn get(&self, table: &str, key: &[u8]) -> Result<Option<Vec<u8>>, nimbus_store::StoreError> {
        self.inner.get(table, key)
    }
    fn scan_prefix(
        &self,
        table: &str,
        prefix: &[u8],
    ) -> Result<nimbus_store::KvPairs, nimbus_store::StoreError> {
        self.inner.scan_prefix(table, prefix)
    }
    fn apply(&self, batches: &[nimbus_store::Batch]) -> Result<(), nimbus_store::StoreError> {
        if self.failing.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(nimbus_store::StoreError::Engine("disk on fire".into()));
        }
        self.inner.apply(batches)
    }
    fn wipe(&self) -> Result<(), nimbus_store::StoreError> {
        self.inner.wipe()
    }
}

/// A commit the store fails: the caller gets InternalError, the index is rebuilt from the
/// store (the old object is back, with its bytes), the new blob is removed and the old one
/// kept; a failed delete keeps the object too.
#[tokio::test]
async fn failed_commit_rebuilds_the_index_and_keeps_the_old_blob() {
    let engine = Arc::new(Flaky {
        inner: nimbus_store::MemoryEngine::new(),
        failing: std::sync::atomic::AtomicBool::new(false),
    });
    let store = Store::new(engine.clone());
    let dir = tempfile::tempdir().expect("tempdir");
    let e = Env {
        svc: S3::load(
            store.clone(),
            Arc::new(Ids::from_seed(5)),
            Some(dir.path().to_path_buf()),
        )
        .expect("load"),
        store,
        dir,
    };
    e.mb("bkt").await;
    e.put("bkt", "k", b"old bytes").await;
    let old_files = e.blob_files();
    engine
        .failing
        .store(true, std::sync::atomic::Ordering::SeqCst);
    assert_err(
        e.h()
            .put_object(&ctx(), put_req("bkt", "k", b"new bytes"))
            .await,
        "InternalError",
        500,
    );
    assert_err(
        e.h()
            .delete_object(
                &ctx(),
                g::DeleteObjectRequest {
                    bucket: "bkt".into(),
                    key: "k".into(),
                    ..Default::default()
                },
            )
            .await,
        "InternalError",
        500,
    );
    assert_eq!(e.blob_files(), old_files);
    assert_eq!(
        e.get("bkt", "k").await.expect("get").body.as_deref(),
        Some(&b"old bytes"[..])
    );
    engine
        .failing
        .store(false, std::sync::atomic::Ordering::SeqCst);
    e.put("bkt", "k", b"new bytes").await;
    assert_eq!(
        e.get("bkt", "k").await.expect("get").body.as_deref(),
        Some(&b"new bytes"[..])
    );
    assert_eq!(e.blob_files().len(), 1);
    assert_ne!(e.blob_files(), old_files);
}

/// Readers of a key under constant overwrite (each overwrite removes the blob it replaced)
/// always get a whole version, never a server fault from a blob removed under them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_survive_concurrent_overwrites() {
    let e = Arc::new(Env::new());
    e.mb("bkt").await;
    e.put("bkt", "hot", &[0u8; 100]).await;
    let writer = {
        let e = e.clone();
        tokio::spawn(async move {
            for i in 1..=60u8 {
                e.put("bkt", "hot", &vec![i; 100 + i as usize]).await;
            }
        })
    };
    let readers: Vec<_> = (0..4)
        .map(|_| {
            let e = e.clone();
            tokio::spawn(async move {
                for _ in 0..60 {
                    let b = e.get("bkt", "hot").await.expect("get").body.expect("body");
                    assert!(b.iter().all(|&x| b.len() == 100 + x as usize));
                }
            })
        })
        .collect();
    writer.await.expect("writer");
    for r in readers {
        r.await.expect("reader");
    }
    assert_eq!(e.blob_files().len(), 1);
}
