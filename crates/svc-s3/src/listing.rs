//! Listing a bucket: ListObjectsV2 and the original ListObjects. Both walk the bucket's
//! keys in UTF-8 byte order from a starting point (StartAfter / continuation token /
//! Marker), keep those under `Prefix`, roll keys that contain `Delimiter` after the prefix
//! into CommonPrefixes, and stop after `MaxKeys` entries (keys and common prefixes count
//! alike). With `EncodingType=url` key-like values in the reply are percent-encoded, which
//! the SDKs undo.
//!
//! References: <https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html>,
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjects.html>.

use crate::faults;
use crate::generated as g;
use crate::state::{owner_of, ObjectRecord, S3};
use base64::Engine as _;
use nimbus_core::{AwsError, RequestContext};
use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;

const DEFAULT_MAX_KEYS: i32 = 1000;
const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
const TOKEN_TAG: &str = "nimbus-list:";

/// One page of a listing.
#[derive(Debug, Default)]
pub(crate) struct Page {
    pub contents: Vec<Arc<ObjectRecord>>,
    pub prefixes: Vec<String>,
    pub truncated: bool,
    /// The last key or common prefix returned: where the next page resumes.
    pub last: Option<String>,
}

/// The common prefix `key` rolls into, if any.
fn common_prefix<'k>(key: &'k str, prefix: &str, delimiter: Option<&str>) -> Option<&'k str> {
    let d = delimiter?;
    let rest = key.get(prefix.len()..)?;
    rest.find(d).map(|i| &key[..prefix.len() + i + d.len()])
}

/// Walks `objects` for one page. `after` is exclusive; when it is itself a common prefix
/// (a previous page ended on it), the keys under it are skipped too, so a common prefix is
/// never returned twice across pages.
pub(crate) fn page(
    objects: &BTreeMap<String, Arc<ObjectRecord>>,
    prefix: &str,
    delimiter: Option<&str>,
    after: Option<&str>,
    max_keys: usize,
) -> Page {
    let delimiter = delimiter.filter(|d| !d.is_empty());
    let mut out = Page::default();
    if max_keys == 0 {
        return out;
    }
    let skip_under = after.filter(|a| common_prefix(a, prefix, delimiter) == Some(*a));
    let start = match after {
        Some(a) if a >= prefix => Bound::Excluded(a),
        _ => Bound::Included(prefix),
    };
    let mut count = 0usize;
    for (key, rec) in objects.range::<str, _>((start, Bound::Unbounded)) {
        if !key.starts_with(prefix) {
            break;
        }
        if skip_under.is_some_and(|s| key.starts_with(s)) {
            continue;
        }
        match common_prefix(key, prefix, delimiter) {
            Some(cp) => {
                if out.prefixes.last().is_some_and(|l| l == cp) {
                    continue;
                }
                if count == max_keys {
                    out.truncated = true;
                    break;
                }
                out.prefixes.push(cp.to_string());
                out.last = Some(cp.to_string());
            }
            None => {
                if count == max_keys {
                    out.truncated = true;
                    break;
                }
                out.contents.push(rec.clone());
                out.last = Some(key.clone());
            }
        }
        count += 1;
    }
    out
}

/// Percent-encodes everything but RFC 3986 unreserved characters and `/`, so that
/// `unquote_plus` (what botocore applies) gives the original back, `+` included.
pub(crate) fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn max_keys(requested: Option<i32>) -> Result<(i32, usize), AwsError> {
    match requested {
        None => Ok((DEFAULT_MAX_KEYS, DEFAULT_MAX_KEYS as usize)),
        Some(m) if m < 0 => Err(faults::invalid_argument(
            "Argument maxKeys must be an integer between 0 and 2147483647",
            "maxKeys",
            m.to_string(),
        )),
        // S3 never returns more than 1000 entries a page, whatever is asked.
        Some(m) => Ok((m, m.min(DEFAULT_MAX_KEYS) as usize)),
    }
}

fn check_encoding(encoding: Option<&str>) -> Result<bool, AwsError> {
    match encoding {
        None => Ok(false),
        Some(e) if e.eq_ignore_ascii_case("url") => Ok(true),
        Some(e) => Err(faults::invalid_argument(
            "Invalid Encoding Method specified in Request",
            "encoding-type",
            e,
        )),
    }
}

fn encode_token(last: &str) -> String {
    B64.encode(format!("{TOKEN_TAG}{last}"))
}

fn decode_token(token: &str) -> Result<String, AwsError> {
    B64.decode(token)
        .ok()
        .and_then(|raw| String::from_utf8(raw).ok())
        .and_then(|s| s.strip_prefix(TOKEN_TAG).map(str::to_string))
        .ok_or_else(|| {
            faults::invalid_argument(
                "The continuation token provided is incorrect",
                "continuation-token",
                token,
            )
        })
}

fn object_entry(
    rec: &ObjectRecord,
    with_owner: bool,
    encode: &dyn Fn(&str) -> String,
) -> g::ObjectShape {
    g::ObjectShape {
        key: Some(encode(&rec.key)),
        last_modified: Some(rec.last_modified),
        e_tag: Some(rec.etag()),
        checksum_algorithm: rec.checksum.as_ref().map(|(a, _)| vec![a.clone()]),
        checksum_type: rec.checksum.as_ref().map(|_| "FULL_OBJECT".to_string()),
        size: Some(rec.size as i64),
        storage_class: Some(rec.storage_class.clone()),
        owner: with_owner.then(|| owner_of(&rec.owner)),
        restore_status: None,
    }
}

fn nonempty<T>(v: Vec<T>) -> Option<Vec<T>> {
    (!v.is_empty()).then_some(v)
}

pub(crate) fn list_objects_v2(
    s3: &S3,
    ctx: &RequestContext,
    input: g::ListObjectsV2Request,
) -> Result<g::ListObjectsV2Output, AwsError> {
    let (echo_max, max) = max_keys(input.max_keys)?;
    let url = check_encoding(input.encoding_type.as_deref())?;
    let after = match &input.continuation_token {
        Some(t) => Some(decode_token(t)?),
        None => input.start_after.clone(),
    };
    let prefix = input.prefix.clone().unwrap_or_default();
    let index = s3.read();
    let b = s3.bucket(
        &index,
        ctx,
        &input.bucket,
        input.expected_bucket_owner.as_deref(),
    )?;
    let p = page(
        &b.objects,
        &prefix,
        input.delimiter.as_deref(),
        after.as_deref(),
        max,
    );
    drop(index);
    let enc = |s: &str| if url { url_encode(s) } else { s.to_string() };
    let with_owner = input.fetch_owner == Some(true);
    let key_count = (p.contents.len() + p.prefixes.len()) as i32;
    Ok(g::ListObjectsV2Output {
        is_truncated: Some(p.truncated),
        contents: nonempty(
            p.contents
                .iter()
                .map(|r| object_entry(r, with_owner, &enc))
                .collect(),
        ),
        name: Some(input.bucket),
        prefix: Some(enc(&prefix)),
        delimiter: input.delimiter.as_deref().map(enc),
        max_keys: Some(echo_max),
        common_prefixes: nonempty(
            p.prefixes
                .iter()
                .map(|c| g::CommonPrefix {
                    prefix: Some(enc(c)),
                })
                .collect(),
        ),
        encoding_type: url.then(|| "url".to_string()),
        key_count: Some(key_count),
        continuation_token: input.continuation_token,
        next_continuation_token: if p.truncated {
            p.last.as_deref().map(encode_token)
        } else {
            None
        },
        start_after: input.start_after.as_deref().map(enc),
        request_charged: None,
    })
}

pub(crate) fn list_objects(
    s3: &S3,
    ctx: &RequestContext,
    input: g::ListObjectsRequest,
) -> Result<g::ListObjectsOutput, AwsError> {
    let (echo_max, max) = max_keys(input.max_keys)?;
    let url = check_encoding(input.encoding_type.as_deref())?;
    let prefix = input.prefix.clone().unwrap_or_default();
    let index = s3.read();
    let b = s3.bucket(
        &index,
        ctx,
        &input.bucket,
        input.expected_bucket_owner.as_deref(),
    )?;
    let p = page(
        &b.objects,
        &prefix,
        input.delimiter.as_deref(),
        input.marker.as_deref(),
        max,
    );
    drop(index);
    let enc = |s: &str| if url { url_encode(s) } else { s.to_string() };
    let has_delimiter = input.delimiter.as_deref().is_some_and(|d| !d.is_empty());
    Ok(g::ListObjectsOutput {
        is_truncated: Some(p.truncated),
        marker: Some(enc(input.marker.as_deref().unwrap_or(""))),
        // S3 returns NextMarker only with a delimiter; without one the client resumes
        // from the last key it received.
        next_marker: if p.truncated && has_delimiter {
            p.last.as_deref().map(enc)
        } else {
            None
        },
        contents: nonempty(
            p.contents
                .iter()
                .map(|r| object_entry(r, true, &enc))
                .collect(),
        ),
        name: Some(input.bucket),
        prefix: Some(enc(&prefix)),
        delimiter: input.delimiter.as_deref().map(enc),
        max_keys: Some(echo_max),
        common_prefixes: nonempty(
            p.prefixes
                .iter()
                .map(|c| g::CommonPrefix {
                    prefix: Some(enc(c)),
                })
                .collect(),
        ),
        encoding_type: url.then(|| "url".to_string()),
        request_charged: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use nimbus_core::Timestamp;

    fn bucket(keys: &[&str]) -> BTreeMap<String, Arc<ObjectRecord>> {
        keys.iter()
            .map(|k| {
                let rec = ObjectRecord {
                    bucket: "b".into(),
                    key: k.to_string(),
                    size: 1,
                    md5: "00".into(),
                    content_type: "x".into(),
                    content_encoding: None,
                    cache_control: None,
                    content_disposition: None,
                    content_language: None,
                    expires: None,
                    website_redirect_location: None,
                    metadata: vec![],
                    checksum: None,
                    storage_class: "STANDARD".into(),
                    tag_count: 0,
                    owner: "1".into(),
                    last_modified: Timestamp(0),
                    blob: String::new(),
                };
                (k.to_string(), Arc::new(rec))
            })
            .collect()
    }

    fn keys(p: &Page) -> Vec<&str> {
        p.contents.iter().map(|r| r.key.as_str()).collect()
    }

    #[test]
    fn prefix_delimiter_and_pages() {
        let b = bucket(&["a/1", "a/2", "a/b/3", "c/4", "top"]);
        let p = page(&b, "", Some("/"), None, 1000);
        assert_eq!(p.prefixes, ["a/", "c/"]);
        assert_eq!(keys(&p), ["top"]);
        assert!(!p.truncated);
        let p = page(&b, "a/", None, None, 1000);
        assert_eq!(keys(&p), ["a/1", "a/2", "a/b/3"]);
        let p = page(&b, "a/", Some("/"), None, 1000);
        assert_eq!(keys(&p), ["a/1", "a/2"]);
        assert_eq!(p.prefixes, ["a/b/"]);

        // Pages of one with a delimiter: a/, c/, top — each exactly once.
        let mut after: Option<String> = None;
        let mut seen = Vec::new();
        loop {
            let p = page(&b, "", Some("/"), after.as_deref(), 1);
            seen.extend(p.prefixes.iter().cloned());
            seen.extend(keys(&p).iter().map(|s| s.to_string()));
            if !p.truncated {
                break;
            }
            after = p.last.clone();
        }
        assert_eq!(seen, ["a/", "c/", "top"]);
    }

    #[test]
    fn start_after_and_limits() {
        let b = bucket(&["a", "b", "c", "d"]);
        assert_eq!(keys(&page(&b, "", None, Some("b"), 1000)), ["c", "d"]);
        assert_eq!(
            keys(&page(&b, "", None, Some("0"), 1000)),
            ["a", "b", "c", "d"]
        );
        let p = page(&b, "", None, None, 2);
        assert_eq!(keys(&p), ["a", "b"]);
        assert!(p.truncated);
        assert_eq!(p.last.as_deref(), Some("b"));
        let p = page(&b, "", None, None, 0);
        assert!(p.contents.is_empty() && !p.truncated);
        let p = page(&b, "", None, None, 4);
        assert!(!p.truncated);
    }

    #[test]
    fn byte_order_and_encoding() {
        let b = bucket(&["é", "z", "Z", "a b+c"]);
        assert_eq!(
            keys(&page(&b, "", None, None, 10)),
            ["Z", "a b+c", "z", "é"]
        );
        assert_eq!(url_encode("dir/a b+c%é"), "dir/a%20b%2Bc%25%C3%A9");
    }

    #[test]
    fn tokens_roundtrip_and_reject_garbage() {
        assert_eq!(decode_token(&encode_token("a/b c")).expect("ok"), "a/b c");
        for bad in ["", "!!!", "bm90LW5pbWJ1cw=="] {
            let e = decode_token(bad).unwrap_err();
            assert_eq!(e.code, "InvalidArgument");
        }
    }
}
