//! Object rules: put/get/head/delete, ETags and digests, stored headers and metadata,
//! ranges, preconditions, DeleteObjects, and blob files following overwrites and deletes.

use super::*;
use base64::Engine as _;
use md5::{Digest as _, Md5};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

fn md5_hex(data: &[u8]) -> String {
    hex::encode(Md5::digest(data))
}

fn head_req(bucket: &str, key: &str) -> g::HeadObjectRequest {
    g::HeadObjectRequest {
        bucket: bucket.into(),
        key: key.into(),
        ..Default::default()
    }
}

fn del_req(bucket: &str, key: &str) -> g::DeleteObjectRequest {
    g::DeleteObjectRequest {
        bucket: bucket.into(),
        key: key.into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn put_get_head_roundtrip() {
    let e = Env::new();
    let h = e.h();
    e.mb("bkt").await;
    let data: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let req = g::PutObjectRequest {
        content_type: Some("application/x-test".into()),
        metadata: Some(vec![("Color".into(), "blue".into())]),
        cache_control: Some("max-age=60".into()),
        content_disposition: Some("attachment".into()),
        content_encoding: Some("identity".into()),
        content_language: Some("en".into()),
        expires: Some("Wed, 25 Nov 2026 10:05:22 GMT".into()),
        ..put_req("bkt", "dir/a b.bin", &data)
    };
    let put = h.put_object(&ctx(), req).await.expect("put");
    let etag = format!("\"{}\"", md5_hex(&data));
    assert_eq!(put.e_tag.as_deref(), Some(etag.as_str()));

    let head = h
        .head_object(&ctx(), head_req("bkt", "dir/a b.bin"))
        .await
        .expect("head");
    assert_eq!(head.content_length, Some(data.len() as i64));
    assert_eq!(head.content_type.as_deref(), Some("application/x-test"));
    assert_eq!(
        head.metadata,
        Some(vec![("color".to_string(), "blue".to_string())])
    );
    assert_eq!(head.e_tag.as_deref(), Some(etag.as_str()));
    assert_eq!(head.last_modified, Some(T0));
    assert_eq!(head.accept_ranges.as_deref(), Some("bytes"));
    assert_eq!(head.cache_control.as_deref(), Some("max-age=60"));
    assert_eq!(head.content_disposition.as_deref(), Some("attachment"));
    assert_eq!(head.content_encoding.as_deref(), Some("identity"));
    assert_eq!(head.content_language.as_deref(), Some("en"));
    assert_eq!(
        head.expires.as_deref(),
        Some("Wed, 25 Nov 2026 10:05:22 GMT")
    );
    assert_eq!(head.storage_class, None);

    let got = e.get("bkt", "dir/a b.bin").await.expect("get");
    assert_eq!(got.body.as_deref(), Some(&data[..]));
    assert_eq!(got.content_length, Some(data.len() as i64));
    assert_eq!(got.content_range, None);

    // aws-chunked describes the upload's framing, not the object: it is not stored.
    let req = g::PutObjectRequest {
        content_encoding: Some("aws-chunked".into()),
        ..put_req("bkt", "c1", b"x")
    };
    h.put_object(&ctx(), req).await.expect("put");
    assert_eq!(
        e.get("bkt", "c1").await.expect("get").content_encoding,
        None
    );
    let req = g::PutObjectRequest {
        content_encoding: Some("aws-chunked,gzip".into()),
        ..put_req("bkt", "c2", b"x")
    };
    h.put_object(&ctx(), req).await.expect("put");
    assert_eq!(
        e.get("bkt", "c2")
            .await
            .expect("get")
            .content_encoding
            .as_deref(),
        Some("gzip")
    );

    // Defaults: binary/octet-stream, no metadata; empty bodies are objects too.
    e.put("bkt", "empty", b"").await;
    let got = e.get("bkt", "empty").await.expect("get empty");
    assert_eq!(got.content_type.as_deref(), Some("binary/octet-stream"));
    assert_eq!(got.body.as_deref(), Some(&b""[..]));
    assert_eq!(
        got.e_tag.as_deref(),
        Some("\"d41d8cd98f00b204e9800998ecf8427e\"")
    );
    assert_eq!(got.metadata, None);
}

#[tokio::test]
async fn missing_things() {
    let e = Env::new();
    let h = e.h();
    let err = assert_err(
        h.put_object(&ctx(), put_req("nope", "k", b"v")).await,
        "NoSuchBucket",
        404,
    );
    assert_eq!(extra(&err, "BucketName"), Some("nope"));
    assert_err(
        h.head_object(&ctx(), head_req("nope", "k")).await,
        "NoSuchBucket",
        404,
    );
    e.mb("bkt").await;
    let err = assert_err(e.get("bkt", "missing").await, "NoSuchKey", 404);
    assert_eq!(err.message, "The specified key does not exist.");
    assert_eq!(extra(&err, "Key"), Some("missing"));
    assert_err(
        h.head_object(&ctx(), head_req("bkt", "missing")).await,
        "NoSuchKey",
        404,
    );
    // Nothing was written for the refused put.
    assert!(e.blob_files().is_empty());
    let long = "k".repeat(1025);
    assert_err(
        h.put_object(&ctx(), put_req("bkt", &long, b"v")).await,
        "KeyTooLongError",
        400,
    );
    let vreq = g::GetObjectRequest {
        version_id: Some("3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY".into()),
        ..get_req("bkt", "x")
    };
    assert_err(h.get_object(&ctx(), vreq).await, "InvalidArgument", 400);
}

#[tokio::test]
async fn ranges() {
    let e = Env::new();
    let h = e.h();
    e.mb("bkt").await;
    let data: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
    e.put("bkt", "k", &data).await;
    let cases: &[(&str, usize, usize)] = &[
        ("bytes=10-19", 10, 19),
        ("bytes=990-", 990, 999),
        ("bytes=-5", 995, 999),
        ("bytes=900-5000", 900, 999),
    ];
    for (range, first, last) in cases {
        let got = h
            .get_object(
                &ctx(),
                g::GetObjectRequest {
                    range: Some(range.to_string()),
                    ..get_req("bkt", "k")
                },
            )
            .await
            .expect(range);
        assert_eq!(got.body.as_deref(), Some(&data[*first..=*last]), "{range}");
        assert_eq!(got.content_length, Some((last - first + 1) as i64));
        assert_eq!(
            got.content_range,
            Some(format!("bytes {first}-{last}/1000"))
        );
    }
    let err = assert_err(
        h.get_object(
            &ctx(),
            g::GetObjectRequest {
                range: Some("bytes=1000-".into()),
                ..get_req("bkt", "k")
            },
        )
        .await,
        "InvalidRange",
        416,
    );
    assert_eq!(extra(&err, "ActualObjectSize"), Some("1000"));
    // An unparsable range is ignored: the whole object.
    let got = h
        .get_object(
            &ctx(),
            g::GetObjectRequest {
                range: Some("bytes=9-1".into()),
                ..get_req("bkt", "k")
            },
        )
        .await
        .expect("whole");
    assert_eq!(got.body.map(|b| b.len()), Some(1000));
    assert_eq!(got.content_range, None);
    // HEAD with a range reports the range's size.
    let head = h
        .head_object(
            &ctx(),
            g::HeadObjectRequest {
                range: Some("bytes=0-9".into()),
                ..head_req("bkt", "k")
            },
        )
        .await
        .expect("head");
    assert_eq!(head.content_length, Some(10));
    assert_eq!(head.content_range.as_deref(), Some("bytes 0-9/1000"));
    // partNumber=1 of a single-part object is the object.
    let got = h
        .get_object(
            &ctx(),
            g::GetObjectRequest {
                part_number: Some(1),
                ..get_req("bkt", "k")
            },
        )
        .await
        .expect("part 1");
    assert_eq!(got.body.map(|b| b.len()), Some(1000));
    assert_err(
        h.get_object(
            &ctx(),
            g::GetObjectRequest {
                part_number: Some(2),
                ..get_req("bkt", "k")
            },
        )
        .await,
        "InvalidPartNumber",
        416,
    );
}

#[tokio::test]
async fn read_preconditions() {
    let e = Env::new();
    let h = e.h();
    e.mb("bkt").await;
    let etag = e.put("bkt", "k", b"hello").await.e_tag.expect("etag");
    let c = ctx();
    let get = |f: fn(&mut g::GetObjectRequest, &str)| {
        let mut r = get_req("bkt", "k");
        f(&mut r, &etag);
        h.get_object(&c, r)
    };
    get(|r, t| r.if_match = Some(t.into()))
        .await
        .expect("if-match holds");
    let err = assert_err(
        get(|r, _| r.if_match = Some("\"nope\"".into())).await,
        "PreconditionFailed",
        412,
    );
    assert_eq!(extra(&err, "Condition"), Some("If-Match"));
    assert_err(
        get(|r, t| r.if_none_match = Some(t.into())).await,
        "NotModified",
        304,
    );
    get(|r, _| r.if_none_match = Some("\"other\"".into()))
        .await
        .expect("changed");
    assert_err(
        get(|r, _| r.if_modified_since = Some(T0)).await,
        "NotModified",
        304,
    );
    get(|r, _| r.if_modified_since = Some(Timestamp(T0.0 - 1000)))
        .await
        .expect("modified since");
    assert_err(
        get(|r, _| r.if_unmodified_since = Some(Timestamp(T0.0 - 1000))).await,
        "PreconditionFailed",
        412,
    );
    let head = g::HeadObjectRequest {
        if_none_match: Some(etag.clone()),
        ..head_req("bkt", "k")
    };
    assert_err(h.head_object(&ctx(), head).await, "NotModified", 304);
}

#[tokio::test]
async fn conditional_put() {
    let e = Env::new();
    let h = e.h();
    e.mb("bkt").await;
    let once = |body: &'static [u8]| g::PutObjectRequest {
        if_none_match: Some("*".into()),
        ..put_req("bkt", "k", body)
    };
    h.put_object(&ctx(), once(b"first"))
        .await
        .expect("first write");
    assert_err(
        h.put_object(&ctx(), once(b"second")).await,
        "PreconditionFailed",
        412,
    );
    assert_eq!(
        e.get("bkt", "k").await.expect("get").body.as_deref(),
        Some(&b"first"[..])
    );
    let wrong = g::PutObjectRequest {
        if_match: Some("\"nope\"".into()),
        ..put_req("bkt", "k", b"x")
    };
    assert_err(h.put_object(&ctx(), wrong).await, "PreconditionFailed", 412);
    let absent = g::PutObjectRequest {
        if_match: Some("\"nope\"".into()),
        ..put_req("bkt", "other", b"x")
    };
    assert_err(h.put_object(&ctx(), absent).await, "NoSuchKey", 404);
    // Refused puts leave no blob behind: one object, one file.
    assert_eq!(e.blob_files().len(), 1);
}

#[tokio::test]
async fn digests_and_checksums() {
    let e = Env::new();
    let h = e.h();
    e.mb("bkt").await;
    let good = B64.encode(Md5::digest(b"data"));
    let req = g::PutObjectRequest {
        content_md5: Some(good.clone()),
        ..put_req("bkt", "k", b"data")
    };
    h.put_object(&ctx(), req).await.expect("matching md5");
    let req = g::PutObjectRequest {
        content_md5: Some(good),
        ..put_req("bkt", "k", b"tampered")
    };
    assert_err(h.put_object(&ctx(), req).await, "BadDigest", 400);
    let req = g::PutObjectRequest {
        content_md5: Some("zzz".into()),
        ..put_req("bkt", "k", b"data")
    };
    assert_err(h.put_object(&ctx(), req).await, "InvalidDigest", 400);
    assert_eq!(
        e.get("bkt", "k").await.expect("get").body.as_deref(),
        Some(&b"data"[..])
    );

    // CRC32 of "data", base64 of the big-endian value.
    let crc = crate::checksums::Algorithm::Crc32
        .compute(b"data")
        .expect("crc");
    let req = g::PutObjectRequest {
        checksum_crc32: Some(crc.clone()),
        ..put_req("bkt", "c", b"data")
    };
    let put = h.put_object(&ctx(), req).await.expect("crc put");
    assert_eq!(put.checksum_crc32.as_deref(), Some(crc.as_str()));
    let req = g::PutObjectRequest {
        checksum_crc32: Some(crc.clone()),
        ..put_req("bkt", "c", b"DATA")
    };
    assert_err(h.put_object(&ctx(), req).await, "BadDigest", 400);
    // The checksum comes back only when asked for, and not for a range.
    assert_eq!(e.get("bkt", "c").await.expect("get").checksum_crc32, None);
    let req = g::GetObjectRequest {
        checksum_mode: Some("ENABLED".into()),
        ..get_req("bkt", "c")
    };
    let got = h.get_object(&ctx(), req).await.expect("get");
    assert_eq!(got.checksum_crc32.as_deref(), Some(crc.as_str()));
    assert_eq!(got.checksum_type.as_deref(), Some("FULL_OBJECT"));
    let req = g::GetObjectRequest {
        checksum_mode: Some("ENABLED".into()),
        range: Some("bytes=0-1".into()),
        ..get_req("bkt", "c")
    };
    assert_eq!(
        h.get_object(&ctx(), req)
            .await
            .expect("range")
            .checksum_crc32,
        None
    );
    // Naming only the algorithm makes S3 compute it.
    let req = g::PutObjectRequest {
        checksum_algorithm: Some("CRC32".into()),
        ..put_req("bkt", "d", b"data")
    };
    assert_eq!(
        h.put_object(&ctx(), req)
            .await
            .expect("put")
            .checksum_crc32
            .as_deref(),
        Some(crc.as_str())
    );
}

#[tokio::test]
async fn unsupported_and_invalid_put_options() {
    let e = Env::new();
    let h = e.h();
    e.mb("bkt").await;
    let acl = g::PutObjectRequest {
        acl: Some("public-read".into()),
        ..put_req("bkt", "k", b"v")
    };
    assert_err(
        h.put_object(&ctx(), acl).await,
        "AccessControlListNotSupported",
        400,
    );
    let kms = g::PutObjectRequest {
        server_side_encryption: Some("aws:kms".into()),
        ..put_req("bkt", "k", b"v")
    };
    assert_err(h.put_object(&ctx(), kms).await, "NotImplemented", 501);
    let lock = g::PutObjectRequest {
        object_lock_mode: Some("GOVERNANCE".into()),
        ..put_req("bkt", "k", b"v")
    };
    assert_err(h.put_object(&ctx(), lock).await, "InvalidRequest", 400);
    let class = g::PutObjectRequest {
        storage_class: Some("FAST".into()),
        ..put_req("bkt", "k", b"v")
    };
    assert_err(
        h.put_object(&ctx(), class).await,
        "InvalidStorageClass",
        400,
    );
    let big_meta = g::PutObjectRequest {
        metadata: Some(vec![("k".into(), "v".repeat(2100))]),
        ..put_req("bkt", "k", b"v")
    };
    assert_err(
        h.put_object(&ctx(), big_meta).await,
        "MetadataTooLarge",
        400,
    );
    let glacier = g::PutObjectRequest {
        storage_class: Some("GLACIER".into()),
        ..put_req("bkt", "cold", b"v")
    };
    h.put_object(&ctx(), glacier).await.expect("glacier put");
    assert_err(e.get("bkt", "cold").await, "InvalidObjectState", 403);
    let head = h
        .head_object(&ctx(), head_req("bkt", "cold"))
        .await
        .expect("head works on archived objects");
    assert_eq!(head.storage_class.as_deref(), Some("GLACIER"));
    assert!(e.blob_files().len() == 1);
}

#[tokio::test]
async fn overwrite_and_delete_remove_old_blobs() {
    let e = Env::new();
    let h = e.h();
    e.mb("bkt").await;
    e.put("bkt", "k", b"one").await;
    let first = e.blob_files();
    assert_eq!(first.len(), 1);
    e.put("bkt", "k", b"two").await;
    let second = e.blob_files();
    assert_eq!(second.len(), 1);
    assert_ne!(first, second);
    assert_eq!(
        e.get("bkt", "k").await.expect("get").body.as_deref(),
        Some(&b"two"[..])
    );
    h.delete_object(&ctx(), del_req("bkt", "k"))
        .await
        .expect("delete");
    assert!(e.blob_files().is_empty());
    assert_err(e.get("bkt", "k").await, "NoSuchKey", 404);
    // Deleting what is not there succeeds (S3 answers 204 either way).
    h.delete_object(&ctx(), del_req("bkt", "k"))
        .await
        .expect("idempotent");
    assert_err(
        h.delete_object(&ctx(), del_req("nope", "k")).await,
        "NoSuchBucket",
        404,
    );
}

#[tokio::test]
async fn delete_objects() {
    let e = Env::new();
    let h = e.h();
    e.mb("bkt").await;
    e.put("bkt", "k", b"v").await;
    e.put("bkt", "j", b"v").await;
    let ids = |keys: &[&str]| {
        keys.iter()
            .map(|k| g::ObjectIdentifier {
                key: k.to_string(),
                ..Default::default()
            })
            .collect::<Vec<_>>()
    };
    let req = |keys: &[&str], quiet: Option<bool>| g::DeleteObjectsRequest {
        bucket: "bkt".into(),
        delete: g::Delete {
            objects: ids(keys),
            quiet,
        },
        ..Default::default()
    };
    let out = h
        .delete_objects(&ctx(), req(&["k", "missing"], None))
        .await
        .expect("delete");
    let mut keys: Vec<String> = out
        .deleted
        .unwrap_or_default()
        .into_iter()
        .filter_map(|d| d.key)
        .collect();
    keys.sort();
    assert_eq!(keys, ["k", "missing"]);
    assert_eq!(out.errors, None);
    assert_err(e.get("bkt", "k").await, "NoSuchKey", 404);

    let out = h
        .delete_objects(&ctx(), req(&["j"], Some(true)))
        .await
        .expect("quiet");
    assert_eq!(out.deleted, None);
    assert_eq!(out.errors, None);
    assert!(e.blob_files().is_empty());

    let many: Vec<String> = (0..1001).map(|i| format!("k{i}")).collect();
    let refs: Vec<&str> = many.iter().map(String::as_str).collect();
    assert_err(
        h.delete_objects(&ctx(), req(&refs, None)).await,
        "MalformedXML",
        400,
    );
    assert_err(
        h.delete_objects(&ctx(), req(&[], None)).await,
        "MalformedXML",
        400,
    );

    let bad = g::ObjectIdentifier {
        key: "x".into(),
        version_id: Some("v123".into()),
        ..Default::default()
    };
    let r = g::DeleteObjectsRequest {
        bucket: "bkt".into(),
        delete: g::Delete {
            objects: vec![bad],
            quiet: Some(true),
        },
        ..Default::default()
    };
    let out = h
        .delete_objects(&ctx(), r)
        .await
        .expect("errors are per key");
    assert_eq!(
        out.errors.expect("errors")[0].code.as_deref(),
        Some("InvalidArgument")
    );
}

#[tokio::test]
async fn response_overrides() {
    let e = Env::new();
    let h = e.h();
    e.mb("bkt").await;
    e.put("bkt", "k", b"v").await;
    let req = g::GetObjectRequest {
        response_content_type: Some("text/plain".into()),
        response_content_disposition: Some("inline".into()),
        response_expires: Some(T0),
        ..get_req("bkt", "k")
    };
    let got = h.get_object(&ctx(), req).await.expect("get");
    assert_eq!(got.content_type.as_deref(), Some("text/plain"));
    assert_eq!(got.content_disposition.as_deref(), Some("inline"));
    assert_eq!(
        got.expires.as_deref(),
        Some("Wed, 25 Nov 2026 10:05:22 GMT")
    );
}
