//! The canonical request: how a received request is rewritten into the exact text the client
//! signed. Owns URI encoding with AWS's unreserved set, the canonical URI (S3's single-encoded
//! path vs. every other service's normalized, double-encoded path), the sorted canonical query
//! and the canonical header block. It reads only the request; it never hashes or signs.
//!
//! Spec: <https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html>.

use crate::{RequestView, SignedHeaders};
use percent_encoding::percent_decode;
use std::borrow::Cow;

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// URI-encodes `input` the SigV4 way: every byte except `A-Z a-z 0-9 - _ . ~` becomes `%XX`
/// (uppercase hex). Used for query keys/values and path segments (the caller splits on `/`).
pub fn uri_encode(input: &[u8], out: &mut String) {
    for &b in input {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX_UPPER[usize::from(b >> 4)] as char);
            out.push(HEX_UPPER[usize::from(b & 0xf)] as char);
        }
    }
}

/// `uri_encode` into a new string.
pub fn uri_encode_str(input: &[u8]) -> String {
    let mut s = String::with_capacity(input.len());
    uri_encode(input, &mut s);
    s
}

/// Percent-decodes leniently: a `%` not followed by two hex digits stays literal. `+` is a
/// literal plus (SigV4 clients encode spaces as `%20`).
pub fn uri_decode(input: &str) -> Cow<'_, [u8]> {
    percent_decode(input.as_bytes()).into()
}

/// Candidate canonical URIs for this request, most likely first. More than one is tried
/// only when the client's own encoding may legitimately differ from the canonical one.
///
/// * `s3`: each segment decoded then encoded once, so `$` sent raw and `%24` both canonicalize
///   to `%24`, and an encoded slash inside a key (`%2F`) stays `%2F` instead of becoming a
///   path separator. No dot-segment or `//` normalization (keys may contain them). The path
///   exactly as received is the fallback for clients that sign their literal path.
/// * everything else: `.`/`..` removed, empty segments collapsed, then each segment encoded
///   twice (the client encodes its already-encoded path once more); the fallback encodes the
///   received segments once more without decoding first.
pub fn canonical_uri_candidates(raw_path: &str, service: &str) -> Vec<String> {
    let path = if raw_path.is_empty() { "/" } else { raw_path };
    // The root path (every query/JSON protocol call) canonicalizes to itself under both
    // rules; skip the general machinery on the hot path.
    if path == "/" {
        return vec![String::from("/")];
    }
    let mut out: Vec<String> = Vec::with_capacity(2);
    if service == "s3" {
        out.push(encode_segments(path.split('/'), 1));
        if path.starts_with('/') {
            out.push(path.to_string());
        }
    } else {
        let segs = normalize_segments(path);
        let trailing = path.ends_with('/') && !segs.is_empty();
        let build = |encoded: String| if trailing { encoded + "/" } else { encoded };
        let primary = build(format!("/{}", encode_segments(segs.iter().copied(), 2)));
        let fallback = {
            let mut s = String::from("/");
            for (i, seg) in segs.iter().enumerate() {
                if i > 0 {
                    s.push('/');
                }
                uri_encode(seg.as_bytes(), &mut s);
            }
            build(s)
        };
        out.push(primary);
        out.push(fallback);
    }
    out.dedup();
    out
}

fn encode_segments<'a>(segs: impl Iterator<Item = &'a str>, times: usize) -> String {
    let mut out = String::new();
    for (i, seg) in segs.enumerate() {
        if i > 0 {
            out.push('/');
        }
        let mut cur = uri_encode_str(&uri_decode(seg));
        for _ in 1..times {
            cur = uri_encode_str(cur.as_bytes());
        }
        out.push_str(&cur);
    }
    out
}

/// RFC 3986 dot-segment removal, with empty segments (`//`) dropped as AWS requires.
fn normalize_segments(path: &str) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            s => out.push(s),
        }
    }
    out
}

/// The canonical query string: every parameter (except `exclude`, the presigned signature)
/// decoded and re-encoded with the unreserved set, sorted by key then value. A parameter
/// without `=` has an empty value.
pub fn canonical_query(raw_query: &str, exclude: Option<&str>) -> String {
    if raw_query.is_empty() {
        return String::new();
    }
    let mut pairs: Vec<(String, String)> = Vec::new();
    for part in raw_query.split('&') {
        if part.is_empty() {
            continue;
        }
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        let key = uri_decode(k);
        if exclude.is_some_and(|ex| key.eq_ignore_ascii_case(ex.as_bytes())) {
            continue;
        }
        pairs.push((uri_encode_str(&key), uri_encode_str(&uri_decode(v))));
    }
    pairs.sort();
    let mut out = String::with_capacity(raw_query.len() + 8);
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

/// Decoded query parameters, in order (for reading `X-Amz-*` presign parameters).
pub fn query_pairs(raw_query: &str) -> Vec<(String, String)> {
    raw_query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (
                String::from_utf8_lossy(&uri_decode(k)).into_owned(),
                String::from_utf8_lossy(&uri_decode(v)).into_owned(),
            )
        })
        .collect()
}

/// Trims and collapses inner whitespace runs to one space, as SigV4 canonical headers do.
pub fn canonical_header_value(raw: &[u8], out: &mut String) {
    // Fast path: a value that is already canonical (no leading/trailing whitespace, no
    // whitespace other than single spaces) is copied as is.
    if let Ok(v) = std::str::from_utf8(raw) {
        // Clean: every whitespace byte is a single space between two non-space bytes.
        let mut prev_space = true;
        let clean = !v.is_empty()
            && v.bytes().all(|c| {
                if c == b' ' {
                    let ok = !prev_space;
                    prev_space = true;
                    ok
                } else {
                    prev_space = false;
                    !c.is_ascii_whitespace()
                }
            })
            && !prev_space;
        if clean {
            out.push_str(v);
            return;
        }
    }
    let s = String::from_utf8_lossy(raw);
    let mut first = true;
    for word in s.split_ascii_whitespace() {
        if !first {
            out.push(' ');
        }
        out.push_str(word);
        first = false;
    }
}

/// The canonical header block (`name:value\n` per signed header, in the client's order) and
/// the name of the first signed header missing from the request (rendered with an empty
/// value). `host` falls back to the request's authority (HTTP/2 `:authority`) when no `Host`
/// header came.
pub fn canonical_headers(
    req: &RequestView<'_>,
    signed: &SignedHeaders,
) -> (String, Option<String>) {
    let mut out = String::with_capacity(64 * 4);
    let mut missing = None;
    for name in signed.iter() {
        out.push_str(name);
        out.push(':');
        let mut any = false;
        // A name that is not a valid header name cannot be present in the map. The names
        // nearly every client signs are matched to pre-built ones (no parse, no allocation).
        let known = known_header_name(name);
        let parsed;
        let hn = match known {
            Some(hn) => Some(hn),
            None => {
                parsed = http::header::HeaderName::from_bytes(name.as_bytes()).ok();
                parsed.as_ref()
            }
        };
        if let Some(hn) = hn {
            for v in req.headers.get_all(hn) {
                if any {
                    out.push(',');
                }
                canonical_header_value(v.as_bytes(), &mut out);
                any = true;
            }
        }
        if !any {
            match (name, req.authority) {
                ("host" | ":authority", Some(a)) => canonical_header_value(a.as_bytes(), &mut out),
                _ => {
                    missing.get_or_insert_with(|| name.to_string());
                }
            }
        }
        out.push('\n');
    }
    (out, missing)
}

pub(crate) const X_AMZ_DATE: http::header::HeaderName =
    http::header::HeaderName::from_static("x-amz-date");
pub(crate) const X_AMZ_CONTENT_SHA256: http::header::HeaderName =
    http::header::HeaderName::from_static("x-amz-content-sha256");
pub(crate) const X_AMZ_SECURITY_TOKEN: http::header::HeaderName =
    http::header::HeaderName::from_static("x-amz-security-token");
pub(crate) const X_AMZ_DECODED_CONTENT_LENGTH: http::header::HeaderName =
    http::header::HeaderName::from_static("x-amz-decoded-content-length");
const X_AMZ_TARGET: http::header::HeaderName =
    http::header::HeaderName::from_static("x-amz-target");
const X_AMZ_USER_AGENT: http::header::HeaderName =
    http::header::HeaderName::from_static("x-amz-user-agent");
const AMZ_SDK_INVOCATION_ID: http::header::HeaderName =
    http::header::HeaderName::from_static("amz-sdk-invocation-id");
const AMZ_SDK_REQUEST: http::header::HeaderName =
    http::header::HeaderName::from_static("amz-sdk-request");

/// Pre-built header names for the names clients commonly sign.
fn known_header_name(name: &str) -> Option<&'static http::header::HeaderName> {
    use http::header;
    static HOST: header::HeaderName = header::HOST;
    static CONTENT_TYPE: header::HeaderName = header::CONTENT_TYPE;
    static CONTENT_LENGTH: header::HeaderName = header::CONTENT_LENGTH;
    static CONTENT_MD5: header::HeaderName = header::HeaderName::from_static("content-md5");
    static DATE: header::HeaderName = header::DATE;
    static AMZ_DATE: header::HeaderName = X_AMZ_DATE;
    static CONTENT_SHA: header::HeaderName = X_AMZ_CONTENT_SHA256;
    static TOKEN: header::HeaderName = X_AMZ_SECURITY_TOKEN;
    static DECODED: header::HeaderName = X_AMZ_DECODED_CONTENT_LENGTH;
    static TARGET: header::HeaderName = X_AMZ_TARGET;
    static UA: header::HeaderName = X_AMZ_USER_AGENT;
    static INVOCATION: header::HeaderName = AMZ_SDK_INVOCATION_ID;
    static SDK_REQUEST: header::HeaderName = AMZ_SDK_REQUEST;
    Some(match name {
        "host" => &HOST,
        "content-type" => &CONTENT_TYPE,
        "content-length" => &CONTENT_LENGTH,
        "content-md5" => &CONTENT_MD5,
        "date" => &DATE,
        "x-amz-date" => &AMZ_DATE,
        "x-amz-content-sha256" => &CONTENT_SHA,
        "x-amz-security-token" => &TOKEN,
        "x-amz-decoded-content-length" => &DECODED,
        "x-amz-target" => &TARGET,
        "x-amz-user-agent" => &UA,
        "amz-sdk-invocation-id" => &INVOCATION,
        "amz-sdk-request" => &SDK_REQUEST,
        _ => return None,
    })
}

/// Produces the canonical request text piece by piece through `put`, so it can be hashed
/// without being assembled (the request path) or appended to a `String` (error reports).
pub(crate) fn emit_canonical_request(
    put: &mut dyn FnMut(&str),
    method: &str,
    canonical_uri: &str,
    canonical_query: &str,
    canonical_headers: &str,
    signed_headers: &SignedHeaders,
    payload_hash: &str,
) {
    put(method);
    put("\n");
    put(canonical_uri);
    put("\n");
    put(canonical_query);
    put("\n");
    put(canonical_headers);
    put("\n");
    put(signed_headers.as_str());
    put("\n");
    put(payload_hash);
}

/// Assembles the canonical request text.
pub fn canonical_request(
    method: &str,
    canonical_uri: &str,
    canonical_query: &str,
    canonical_headers: &str,
    signed_headers: &str,
    payload_hash: &str,
) -> String {
    let mut s = String::with_capacity(
        method.len()
            + canonical_uri.len()
            + canonical_query.len()
            + canonical_headers.len()
            + signed_headers.len()
            + 72,
    );
    s.push_str(method);
    s.push('\n');
    s.push_str(canonical_uri);
    s.push('\n');
    s.push_str(canonical_query);
    s.push('\n');
    s.push_str(canonical_headers);
    s.push('\n');
    s.push_str(signed_headers);
    s.push('\n');
    s.push_str(payload_hash);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_unreserved_set() {
        assert_eq!(uri_encode_str(b"AZaz09-_.~"), "AZaz09-_.~");
        assert_eq!(uri_encode_str(b"a b+c/d=e*$"), "a%20b%2Bc%2Fd%3De%2A%24");
        assert_eq!(uri_encode_str("é".as_bytes()), "%C3%A9");
    }

    #[test]
    fn s3_uri_is_encoded_once_from_decoded() {
        let c = canonical_uri_candidates("/test$file.text", "s3");
        assert_eq!(c[0], "/test%24file.text");
        assert_eq!(c[1], "/test$file.text");
        assert_eq!(
            canonical_uri_candidates("/b/a%2Fb/./c//d", "s3")[0],
            "/b/a%2Fb/./c//d"
        );
        assert_eq!(canonical_uri_candidates("/b/k%7e%2f", "s3")[0], "/b/k~%2F");
        assert_eq!(canonical_uri_candidates("", "s3"), vec!["/".to_string()]);
    }

    #[test]
    fn other_services_normalize_and_double_encode() {
        assert_eq!(canonical_uri_candidates("", "iam")[0], "/");
        assert_eq!(canonical_uri_candidates("/", "iam")[0], "/");
        assert_eq!(
            canonical_uri_candidates("/a/./b/../c//d/", "lambda")[0],
            "/a/c/d/"
        );
        assert_eq!(
            canonical_uri_candidates("/a b/%24x", "lambda")[0],
            "/a%2520b/%2524x"
        );
        assert_eq!(canonical_uri_candidates("/../..", "iam")[0], "/");
    }

    #[test]
    fn query_sorted_and_reencoded() {
        assert_eq!(
            canonical_query("Version=2010-05-08&Action=ListUsers", None),
            "Action=ListUsers&Version=2010-05-08"
        );
        assert_eq!(canonical_query("lifecycle", None), "lifecycle=");
        assert_eq!(canonical_query("b=2&a=2&a=1&&c", None), "a=1&a=2&b=2&c=");
        assert_eq!(canonical_query("k=a+b%2fc%7E", None), "k=a%2Bb%2Fc~");
        assert_eq!(
            canonical_query("X-Amz-Signature=abc&x=1", Some("X-Amz-Signature")),
            "x=1"
        );
    }

    #[test]
    fn header_values_trimmed_and_collapsed() {
        let mut s = String::new();
        canonical_header_value(b"  a   b \t c  ", &mut s);
        assert_eq!(s, "a b c");
        for (raw, want) in [
            ("a b", "a b"),
            ("ab", "ab"),
            ("a\tb", "a b"),
            ("a  b", "a b"),
            (" a", "a"),
            ("a ", "a"),
            ("", ""),
            ("x-amz-date:20150830T123600Z", "x-amz-date:20150830T123600Z"),
        ] {
            let mut s = String::new();
            canonical_header_value(raw.as_bytes(), &mut s);
            assert_eq!(s, want, "{raw:?}");
        }
    }
}
