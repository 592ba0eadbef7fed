//! Listing through the handlers: the e2e scenario (prefix, delimiter, pages of two),
//! continuation tokens, StartAfter, MaxKeys, URL encoding, owners, and ListObjects (v1).

use super::*;
use md5::Digest as _;

const KEYS: [&str; 5] = ["a/1", "a/2", "a/b/3", "c/4", "top"];

async fn fixture() -> Env {
    let e = Env::new();
    e.mb("bkt").await;
    for k in KEYS {
        e.put("bkt", k, k.as_bytes()).await;
    }
    e
}

fn v2(f: impl FnOnce(&mut g::ListObjectsV2Request)) -> g::ListObjectsV2Request {
    let mut r = g::ListObjectsV2Request {
        bucket: "bkt".into(),
        ..Default::default()
    };
    f(&mut r);
    r
}

fn keys(c: &Option<Vec<g::ObjectShape>>) -> Vec<String> {
    c.iter().flatten().filter_map(|o| o.key.clone()).collect()
}

fn prefixes(c: &Option<Vec<g::CommonPrefix>>) -> Vec<String> {
    c.iter()
        .flatten()
        .filter_map(|p| p.prefix.clone())
        .collect()
}

#[tokio::test]
async fn v2_prefix_delimiter_and_details() {
    let e = fixture().await;
    let h = e.h();
    let out = h
        .list_objects_v2(&ctx(), v2(|r| r.delimiter = Some("/".into())))
        .await
        .expect("list");
    assert_eq!(prefixes(&out.common_prefixes), ["a/", "c/"]);
    assert_eq!(keys(&out.contents), ["top"]);
    assert_eq!(out.key_count, Some(3));
    assert_eq!(out.name.as_deref(), Some("bkt"));
    assert_eq!(out.prefix.as_deref(), Some(""));
    assert_eq!(out.delimiter.as_deref(), Some("/"));
    assert_eq!(out.max_keys, Some(1000));
    assert_eq!(out.is_truncated, Some(false));
    assert_eq!(out.next_continuation_token, None);

    let out = h
        .list_objects_v2(&ctx(), v2(|r| r.prefix = Some("a/".into())))
        .await
        .expect("list");
    assert_eq!(keys(&out.contents), ["a/1", "a/2", "a/b/3"]);
    assert_eq!(out.key_count, Some(3));

    let out = h
        .list_objects_v2(&ctx(), v2(|r| r.prefix = Some("top".into())))
        .await
        .expect("list");
    let o = &out.contents.expect("contents")[0];
    assert_eq!(o.size, Some(3));
    assert_eq!(o.storage_class.as_deref(), Some("STANDARD"));
    assert_eq!(o.last_modified, Some(T0));
    assert_eq!(
        o.e_tag,
        Some(format!("\"{}\"", hex::encode(md5::Md5::digest(b"top"))))
    );
    assert_eq!(o.owner, None);
    let out = h
        .list_objects_v2(&ctx(), v2(|r| r.fetch_owner = Some(true)))
        .await
        .expect("list");
    let owner = out.contents.expect("contents")[0]
        .owner
        .clone()
        .expect("owner");
    assert_eq!(owner.id, Some(crate::state::canonical_id(ACCOUNT)));

    assert_err(
        h.list_objects_v2(&ctx(), v2(|r| r.bucket = "nope".into()))
            .await,
        "NoSuchBucket",
        404,
    );
}

#[tokio::test]
async fn v2_pages() {
    let e = fixture().await;
    let h = e.h();
    let mut seen = Vec::new();
    let mut token = None;
    let mut pages = 0;
    loop {
        let t = token.clone();
        let out = h
            .list_objects_v2(
                &ctx(),
                v2(|r| {
                    r.max_keys = Some(2);
                    r.continuation_token = t;
                }),
            )
            .await
            .expect("page");
        pages += 1;
        assert!(out.key_count.unwrap_or(0) <= 2);
        assert_eq!(out.continuation_token, token);
        seen.extend(keys(&out.contents));
        if out.is_truncated != Some(true) {
            assert_eq!(out.next_continuation_token, None);
            break;
        }
        token = Some(out.next_continuation_token.expect("next token"));
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, KEYS);

    // Delimited pages never repeat a common prefix.
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let t = token.clone();
        let out = h
            .list_objects_v2(
                &ctx(),
                v2(|r| {
                    r.max_keys = Some(1);
                    r.delimiter = Some("/".into());
                    r.continuation_token = t;
                }),
            )
            .await
            .expect("page");
        seen.extend(prefixes(&out.common_prefixes));
        seen.extend(keys(&out.contents));
        match out.next_continuation_token {
            Some(n) => token = Some(n),
            None => break,
        }
    }
    assert_eq!(seen, ["a/", "c/", "top"]);

    let out = h
        .list_objects_v2(&ctx(), v2(|r| r.start_after = Some("a/b/3".into())))
        .await
        .expect("start after");
    assert_eq!(keys(&out.contents), ["c/4", "top"]);
    assert_eq!(out.start_after.as_deref(), Some("a/b/3"));

    let out = h
        .list_objects_v2(&ctx(), v2(|r| r.max_keys = Some(0)))
        .await
        .expect("zero");
    assert_eq!(
        (out.key_count, out.is_truncated, out.contents),
        (Some(0), Some(false), None)
    );

    let err = assert_err(
        h.list_objects_v2(&ctx(), v2(|r| r.continuation_token = Some("bogus".into())))
            .await,
        "InvalidArgument",
        400,
    );
    assert_eq!(extra(&err, "ArgumentName"), Some("continuation-token"));
    assert_err(
        h.list_objects_v2(&ctx(), v2(|r| r.max_keys = Some(-1)))
            .await,
        "InvalidArgument",
        400,
    );
    assert_err(
        h.list_objects_v2(&ctx(), v2(|r| r.encoding_type = Some("base64".into())))
            .await,
        "InvalidArgument",
        400,
    );
}

#[tokio::test]
async fn url_encoding() {
    let e = Env::new();
    let h = e.h();
    e.mb("bkt").await;
    e.put("bkt", "dir/a b+c.txt", b"x").await;
    let out = h
        .list_objects_v2(
            &ctx(),
            v2(|r| {
                r.encoding_type = Some("url".into());
                r.prefix = Some("dir/a b".into());
            }),
        )
        .await
        .expect("list");
    assert_eq!(keys(&out.contents), ["dir/a%20b%2Bc.txt"]);
    assert_eq!(out.prefix.as_deref(), Some("dir/a%20b"));
    assert_eq!(out.encoding_type.as_deref(), Some("url"));
}

#[tokio::test]
async fn v1_markers_and_owner() {
    let e = fixture().await;
    let h = e.h();
    let c = ctx();
    let v1 = |f: fn(&mut g::ListObjectsRequest)| {
        let mut r = g::ListObjectsRequest {
            bucket: "bkt".into(),
            ..Default::default()
        };
        f(&mut r);
        h.list_objects(&c, r)
    };
    let out = v1(|r| {
        r.prefix = Some("a/".into());
        r.delimiter = Some("/".into());
    })
    .await
    .expect("list");
    assert_eq!(keys(&out.contents), ["a/1", "a/2"]);
    assert_eq!(prefixes(&out.common_prefixes), ["a/b/"]);
    assert_eq!(out.marker.as_deref(), Some(""));
    assert!(out.contents.expect("contents")[0].owner.is_some());

    let out = v1(|r| r.max_keys = Some(2)).await.expect("page");
    assert_eq!(keys(&out.contents), ["a/1", "a/2"]);
    assert_eq!(out.is_truncated, Some(true));
    assert_eq!(out.next_marker, None, "NextMarker only with a delimiter");
    let out = v1(|r| {
        r.max_keys = Some(2);
        r.marker = Some("a/2".into());
    })
    .await
    .expect("page 2");
    assert_eq!(keys(&out.contents), ["a/b/3", "c/4"]);

    let out = v1(|r| {
        r.max_keys = Some(1);
        r.delimiter = Some("/".into());
    })
    .await
    .expect("delimited");
    assert_eq!(prefixes(&out.common_prefixes), ["a/"]);
    assert_eq!(out.next_marker.as_deref(), Some("a/"));
    let out = v1(|r| {
        r.max_keys = Some(1);
        r.delimiter = Some("/".into());
        r.marker = Some("a/".into());
    })
    .await
    .expect("after a/");
    assert_eq!(prefixes(&out.common_prefixes), ["c/"]);
}
