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
    e.reset().await;
    assert!(e.blob_files().is_empty());
    let list = e
        .h()
        .list_buckets(&ctx(), Default::default())
        .await
        .expect("list");
    assert_eq!(list.buckets.map(|b| b.len()), Some(0));
    e.mb("bkt").await;
    // The store was wiped with memory: a restart sees only what came after the reset.
    let e = e.restart();
    assert_eq!(e.svc.read().buckets.keys().collect::<Vec<_>>(), ["bkt"]);
    assert_err(e.get("bkt", "k").await, "NoSuchKey", 404);
}

/// A failed store wipe fails the reset and changes nothing: memory still matches the store.
#[tokio::test]
async fn a_failed_reset_keeps_everything() {
    let e = Env::new();
    e.mb("bkt").await;
    e.put("bkt", "k", b"v").await;
    let failing = Box::pin(async { Err(nimbus_wire::ResetError("disk on fire".into())) });
    assert!(e.h().reset(failing).await.is_err());
    let got = e.get("bkt", "k").await.expect("still there");
    assert_eq!(got.body.as_deref(), Some(&b"v"[..]));
    assert_eq!(e.blob_files().len(), 1);
}

/// An upload whose bytes are written but whose record is not yet submitted when a reset
/// comes keeps its blob: it commits after the reset (into a bucket created after it) and
/// must be readable.
#[tokio::test]
async fn reset_leaves_blobs_of_uploads_in_flight() {
    let e = Env::new();
    e.mb("bkt").await;
    e.put("bkt", "old", b"old bytes").await;
    let in_flight = e
        .svc
        .blobs
        .write(Bytes::from_static(b"in flight"))
        .await
        .expect("write blob");
    e.reset().await;
    assert_eq!(e.blob_files(), [in_flight]);
}

/// What the index holds ("bucket" and "bucket/key" entries), what the store holds, and
/// the index's objects whose bytes are missing.
fn index_store_and_missing(e: &Env) -> (Vec<String>, Vec<String>, Vec<String>) {
    let index = e.svc.read();
    let mut mem = Vec::new();
    let mut missing = Vec::new();
    for (name, b) in &index.buckets {
        mem.push(name.clone());
        for (key, rec) in &b.objects {
            mem.push(format!("{name}/{key}"));
            if !e.svc.blobs.contains(&rec.blob) {
                missing.push(format!("{name}/{key}"));
            }
        }
    }
    let mut disk = Vec::new();
    for table in [crate::state::BUCKETS, crate::state::OBJECTS] {
        for (k, _) in e.store.scan_prefix(table, b"").expect("scan") {
            disk.push(String::from_utf8(k).expect("utf-8 key"));
        }
    }
    mem.sort();
    disk.sort();
    (mem, disk, missing)
}

/// Puts into one shared bucket (which the writers recreate after every reset) racing
/// resets: after every reset, once the writes in flight have finished, the index holds
/// exactly the store's records and every object's bytes exist. Before resets held the
/// writers back and removed only the blobs the index named, a reset removed the bytes of an
/// upload in flight, whose record then landed in the recreated bucket without them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resets_racing_puts_leave_index_store_and_blobs_agreeing() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let e = Arc::new(Env::new());
    let stop = Arc::new(AtomicBool::new(false));
    // Writers hold it shared for each call; the checker takes it to let them finish.
    let gate = Arc::new(tokio::sync::RwLock::new(()));
    let writers: Vec<_> = (0..4)
        .map(|t| {
            let (e, stop, gate) = (e.clone(), stop.clone(), gate.clone());
            tokio::spawn(async move {
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    let _in_flight = gate.read().await;
                    // Either may fail (the bucket exists already, or a reset removed it).
                    let _ = e
                        .h()
                        .create_bucket(
                            &ctx(),
                            g::CreateBucketRequest {
                                bucket: "race".into(),
                                ..Default::default()
                            },
                        )
                        .await;
                    let _ = e
                        .h()
                        .put_object(&ctx(), put_req("race", &format!("k{t}-{i}"), b"bytes"))
                        .await;
                    i += 1;
                }
            })
        })
        .collect();
    for round in 0..100 {
        tokio::time::sleep(std::time::Duration::from_micros(500)).await;
        e.reset().await;
        let _quiet = gate.write().await;
        let (mem, disk, missing) = index_store_and_missing(&e);
        assert_eq!(mem, disk, "index and store disagree after reset {round}");
        assert!(
            missing.is_empty(),
            "bytes missing after reset {round}: {missing:?}"
        );
    }
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.await.expect("writer");
    }
    let Ok(e) = Arc::try_unwrap(e) else {
        panic!("writers still hold the env")
    };
    let (mem, _, _) = index_store_and_missing(&e);
    let objects = mem.iter().filter(|m| m.contains('/')).count();
    let e = e.restart();
    assert_eq!(
        index_store_and_missing(&e).0,
        mem,
        "a restart sees the same"
    );
    assert_eq!(e.blob_files().len(), objects, "one blob per object");
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
