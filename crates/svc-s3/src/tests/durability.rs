//! Durability: a new service over the same store and blob directory sees every bucket,
//! object and byte; blob files no record names (a crash between writing bytes and
//! committing their record) are deleted at startup; in-memory bytes; reset.

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
