//! The bodies of Nimbus's fuzz targets, kept in a library so that the libFuzzer binaries in
//! `fuzz_targets/` are one-line wrappers and `tests/seeds.rs` can replay every seed and
//! regression input through exactly the same code with a plain `cargo test` (no sanitizer,
//! no libFuzzer). This crate owns only the mapping from raw fuzz bytes to calls of the
//! crates' public APIs, and the oracles that judge what comes back; the code under test
//! lives in its own crates.
//!
//! Four input layouts are used (documented in README.md):
//! * **Operation-selected** (`query_decode`, `ec2_decode`, `json_decode`, `cbor_decode`):
//!   `OperationName NUL payload` when the bytes before the first NUL name an implemented
//!   operation of one of the target's models (stable across model changes, used by the
//!   seeds), otherwise `selector payload`, where the first byte picks, modulo their count,
//!   one of the implemented operations (what the fuzzer mostly explores).
//!   `typed_convert` and `encode_output` do the same with keys `proto:OperationName`
//!   ([`select_keyed`]).
//! * **HTTP-like** (`restxml_decode`, `sigv4_parse`): a request line `METHOD target`, header
//!   lines `name: value`, an empty line, then the raw body (see [`HttpInput::parse`]).
//!   `gateway_request` reads several of them separated by [`gateway::SEPARATOR`].
//! * **Raw connection bytes** (`gateway_conn`): what a client sends on one connection,
//!   written in pieces split at [`gateway::SEPARATOR`] lines (see [`conn`]).
//!
//! The stateful targets (`typed_convert`, `gateway_request`, `gateway_conn`) run against one in-process
//! Nimbus per process ([`world`]), reset before every input.

pub mod check;
pub mod conn;
pub mod encode;
pub mod gateway;
pub mod gen;
pub mod typed;
pub mod world;

pub use conn::gateway_conn;
pub use encode::encode_output;
pub use gateway::gateway_request;
pub use typed::typed_convert;

use http::{HeaderMap, HeaderName, HeaderValue};
use nimbus_wire::{Operation, Protocol, ServiceModel, ShapeId};

/// Every generated model the targets decode against.
pub static MODELS: [&ServiceModel; 5] = [
    &svc_ec2::generated::MODEL,
    &svc_sts::generated::MODEL,
    &svc_cloudwatch::generated::MODEL,
    &svc_acm::generated::MODEL,
    &svc_s3::generated::MODEL,
];

/// The secret every `sigv4_parse` input is verified with; seeds are signed with it.
pub const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/// `now` for SigV4 checks when the request carries no parseable date (2026-11-25T10:00:00Z).
pub const FIXED_NOW: i64 = 1_795_600_800;

/// An implemented operation with an input shape, and the model it belongs to.
#[derive(Clone, Copy, Debug)]
pub struct Target {
    pub model: &'static ServiceModel,
    pub op: &'static Operation,
    pub input: ShapeId,
}

/// The implemented operations (with an input shape) of every model speaking `protocol`,
/// model by model in [`MODELS`] order, operations in the model's (name) order.
pub fn targets(protocol: Protocol) -> Vec<Target> {
    MODELS
        .iter()
        .filter(|m| m.protocols.contains(&protocol))
        .flat_map(|m| {
            m.operations
                .iter()
                .filter(|o| o.implemented)
                .filter_map(move |op| {
                    op.input.map(|input| Target {
                        model: m,
                        op,
                        input,
                    })
                })
        })
        .collect()
}

/// Splits an operation-selected input into the operation to decode against and the payload
/// (see the module docs). `None` only when no implemented operation speaks the protocol or
/// the input is empty.
pub fn select<'a>(targets: &[Target], data: &'a [u8]) -> Option<(Target, &'a [u8])> {
    if targets.is_empty() {
        return None;
    }
    if let Some(nul) = data.iter().position(|&b| b == 0) {
        if let Ok(name) = std::str::from_utf8(&data[..nul]) {
            if let Some(t) = targets.iter().find(|t| t.op.name == name) {
                return Some((*t, &data[nul + 1..]));
            }
        }
    }
    let (&sel, payload) = data.split_first()?;
    Some((targets[usize::from(sel) % targets.len()], payload))
}

/// The bytes that make `select` pick `op_name` by name: `op_name NUL payload`.
pub fn named(op_name: &str, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(op_name.len() + 1 + payload.len());
    v.extend_from_slice(op_name.as_bytes());
    v.push(0);
    v.extend_from_slice(payload);
    v
}

/// An entry of a keyed target table: `key` is what an input names it by.
#[derive(Clone, Debug)]
pub struct Keyed<T> {
    pub key: String,
    pub item: T,
}

/// [`select`] for keyed tables: `key NUL payload` when the bytes before the first NUL are
/// one of the keys, otherwise the first byte picks an entry modulo their count.
pub fn select_keyed<'a, T: Copy>(entries: &[Keyed<T>], data: &'a [u8]) -> Option<(T, &'a [u8])> {
    if entries.is_empty() {
        return None;
    }
    if let Some(nul) = data.iter().position(|&b| b == 0) {
        if let Ok(name) = std::str::from_utf8(&data[..nul]) {
            if let Some(e) = entries.iter().find(|e| e.key == name) {
                return Some((e.item, &data[nul + 1..]));
            }
        }
    }
    let (&sel, payload) = data.split_first()?;
    Some((entries[usize::from(sel) % entries.len()].item, payload))
}

/// The key prefix of a protocol in keyed layouts (`query:GetCallerIdentity`).
pub fn proto_key(p: Protocol) -> Option<&'static str> {
    Some(match p {
        Protocol::Query => "query",
        Protocol::Ec2 => "ec2",
        Protocol::Json => "json",
        Protocol::RpcV2Cbor => "cbor",
        Protocol::RestXml => "restxml",
        Protocol::RestJson => return None,
    })
}

/// Splits a query/ec2 payload into (URL query string, body) at the first `\n`; without one
/// the whole payload is the body.
pub fn split_query_body(payload: &[u8]) -> (String, &[u8]) {
    match payload.iter().position(|&b| b == b'\n') {
        Some(i) => (
            String::from_utf8_lossy(&payload[..i]).into_owned(),
            &payload[i + 1..],
        ),
        None => (String::new(), payload),
    }
}

/// A request read from the HTTP-like layout:
///
/// ```text
/// PUT /bucket/key?x-id=PutObject      <- request line: method, one space, target
/// host: bucket.s3.localhost           <- zero or more `name: value` header lines
/// content-type: text/plain
///                                     <- empty line
/// hello                               <- body: every remaining byte, verbatim
/// ```
///
/// Lines end in `\n` (a `\r` before it is dropped). Header lines that are not a valid
/// header name/value are skipped; repeated names are all kept. A target of the absolute
/// form `http://authority/path` also yields the authority.
#[derive(Debug)]
pub struct HttpInput<'a> {
    pub method: String,
    pub path: String,
    pub query: String,
    pub authority: Option<String>,
    pub headers: HeaderMap,
    pub body: &'a [u8],
}

impl<'a> HttpInput<'a> {
    pub fn parse(data: &'a [u8]) -> HttpInput<'a> {
        let mut rest = data;
        let mut next_line = || -> Option<&'a [u8]> {
            if rest.is_empty() {
                return None;
            }
            let (line, after) = match rest.iter().position(|&b| b == b'\n') {
                Some(i) => (&rest[..i], &rest[i + 1..]),
                None => (rest, &[][..]),
            };
            rest = after;
            Some(line.strip_suffix(b"\r").unwrap_or(line))
        };
        let request_line = String::from_utf8_lossy(next_line().unwrap_or_default()).into_owned();
        let (method, target) = match request_line.split_once(' ') {
            Some((m, t)) => (m.to_string(), t.trim().to_string()),
            None => (request_line.clone(), String::new()),
        };
        let mut authority = None;
        let mut target = target.as_str();
        if let Some(after_scheme) = target
            .strip_prefix("http://")
            .or_else(|| target.strip_prefix("https://"))
        {
            let end = after_scheme.find(['/', '?']).unwrap_or(after_scheme.len());
            authority = Some(after_scheme[..end].to_string());
            target = &after_scheme[end..];
        }
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let path = if path.is_empty() { "/" } else { path };
        let mut headers = HeaderMap::new();
        while let Some(line) = next_line() {
            if line.is_empty() {
                break;
            }
            let Some(colon) = line.iter().position(|&b| b == b':') else {
                continue;
            };
            let name = line[..colon].trim_ascii();
            let value = line[colon + 1..].trim_ascii_start();
            if let (Ok(n), Ok(v)) = (HeaderName::from_bytes(name), HeaderValue::from_bytes(value)) {
                headers.append(n, v);
            }
        }
        HttpInput {
            method,
            path: path.to_string(),
            query: query.to_string(),
            authority,
            headers,
            body: rest,
        }
    }

    /// Renders the layout back (for the seed generator): the inverse of [`HttpInput::parse`]
    /// for well-formed parts.
    pub fn render(method: &str, target: &str, headers: &HeaderMap, body: &[u8]) -> Vec<u8> {
        let mut out = format!("{method} {target}\n").into_bytes();
        for (name, value) in headers {
            out.extend_from_slice(name.as_str().as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value.as_bytes());
            out.push(b'\n');
        }
        out.push(b'\n');
        out.extend_from_slice(body);
        out
    }
}

/// `query_decode`: form decoding plus the `awsQuery` decoder (STS, CloudWatch).
pub fn query_decode(data: &[u8]) {
    use std::sync::OnceLock;
    static T: OnceLock<Vec<Target>> = OnceLock::new();
    let Some((t, payload)) = select(T.get_or_init(|| targets(Protocol::Query)), data) else {
        return;
    };
    let (query, body) = split_query_body(payload);
    if let Ok(params) = nimbus_proto_query::parse_params(&query, body) {
        let _ = nimbus_proto_query::query::decode_input(t.model, t.input, &params);
    }
}

/// `ec2_decode`: form decoding plus the `ec2Query` decoder (EC2).
pub fn ec2_decode(data: &[u8]) {
    use std::sync::OnceLock;
    static T: OnceLock<Vec<Target>> = OnceLock::new();
    let Some((t, payload)) = select(T.get_or_init(|| targets(Protocol::Ec2)), data) else {
        return;
    };
    let (query, body) = split_query_body(payload);
    if let Ok(params) = nimbus_proto_query::parse_params(&query, body) {
        let _ = nimbus_proto_query::ec2::decode_input(t.model, t.input, &params);
    }
}

/// `json_decode`: the `awsJson1_0`/`awsJson1_1` decoder (ACM, CloudWatch).
pub fn json_decode(data: &[u8]) {
    use std::sync::OnceLock;
    static T: OnceLock<Vec<Target>> = OnceLock::new();
    let Some((t, body)) = select(T.get_or_init(|| targets(Protocol::Json)), data) else {
        return;
    };
    let _ = nimbus_proto_json::json::decode_input(t.model, t.input, body);
}

/// `cbor_decode`: the generic CBOR codec (with a decode → encode → decode round-trip check)
/// and the Smithy RPC v2 CBOR decoder (CloudWatch).
pub fn cbor_decode(data: &[u8]) {
    use nimbus_proto_json::{cbor, rpcv2};
    use std::sync::OnceLock;
    static T: OnceLock<Vec<Target>> = OnceLock::new();
    let Some((t, body)) = select(T.get_or_init(|| targets(Protocol::RpcV2Cbor)), data) else {
        return;
    };
    if let Ok(v) = cbor::decode(body, rpcv2::MAX_DEPTH) {
        let bytes = cbor::encode(&v);
        match cbor::decode(&bytes, rpcv2::MAX_DEPTH) {
            Ok(back) => assert!(
                same_cbor(&v, &back),
                "CBOR round trip changed the value: {v:?} -> {back:?}"
            ),
            Err(e) => panic!("re-encoded CBOR does not decode ({e}): {v:?}"),
        }
    }
    let _ = rpcv2::decode_input(t.model, t.input, body);
}

/// Structural equality where a float equals itself bit for bit, and any NaN any NaN (the
/// encoder may canonicalise NaN payloads).
fn same_cbor(
    a: &nimbus_proto_json::cbor::CborValue,
    b: &nimbus_proto_json::cbor::CborValue,
) -> bool {
    use nimbus_proto_json::cbor::CborValue as C;
    match (a, b) {
        (C::Float(x), C::Float(y)) => (x.is_nan() && y.is_nan()) || x.to_bits() == y.to_bits(),
        (C::Array(x), C::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_cbor(x, y))
        }
        (C::Map(x), C::Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((xk, xv), (yk, yv))| same_cbor(xk, yk) && same_cbor(xv, yv))
        }
        (C::Tag(x, xv), C::Tag(y, yv)) => x == y && same_cbor(xv, yv),
        _ => a == b,
    }
}

/// The bucket of a virtual-hosted-style `Host: bucket.s3.anything`.
fn vhost_bucket(headers: &HeaderMap) -> Option<String> {
    let host = headers.get(http::header::HOST)?.to_str().ok()?;
    let (bucket, _) = host.split_once(".s3.")?;
    (!bucket.is_empty()).then(|| bucket.to_string())
}

/// `restxml_decode`: S3 routing (with and without headers) and the rest-xml decoder.
pub fn restxml_decode(data: &[u8]) {
    use nimbus_proto_restxml as rx;
    let req = HttpInput::parse(data);
    let model = &svc_s3::generated::MODEL;
    let vhost = vhost_bucket(&req.headers);
    let _ = rx::resolve(model, &req.method, &req.path, &req.query, vhost.as_deref());
    let Some(resolved) = rx::resolve_with_headers(
        model,
        &req.method,
        &req.path,
        &req.query,
        &req.headers,
        vhost.as_deref(),
    ) else {
        return;
    };
    let http_req = nimbus_wire::HttpRequest {
        method: &req.method,
        path: &req.path,
        query: &req.query,
        headers: &req.headers,
        body: req.body,
    };
    let _ = rx::decode_input(model, resolved.op, &http_req, &resolved);
}

/// `sigv4_parse`: SigV4 parsing (header and presigned forms), verification with
/// [`SECRET`] at the request's own time (so time checks pass and the signature check is
/// reached), verified and unverified aws-chunked decoding, the canonicalisation helpers, and
/// S3's SigV2 (`parse_s3`: header and query forms, verified the same way).
pub fn sigv4_parse(data: &[u8]) {
    use nimbus_sigv4 as s;
    let req = HttpInput::parse(data);
    let view = s::RequestView {
        method: &req.method,
        raw_path: &req.path,
        raw_query: &req.query,
        headers: &req.headers,
        body: req.body,
        authority: req.authority.as_deref(),
    };
    let vhost = vhost_bucket(&req.headers);
    let _ = s::canonical_query(&req.query, Some("X-Amz-Signature"));
    let _ = s::canonical_uri_candidates(&req.path, "s3");
    let _ = s::canonicalized_resource_candidates(&req.path, &req.query, vhost.as_deref());
    let header = |name: &str| req.headers.get(name).and_then(|v| v.to_str().ok());
    let http_date = header("date").and_then(s::parse_http_date);
    let report = |e: s::SigV4Error| {
        let _ = (e.code(), e.status(), e.s3_message(), e.is_time_skew());
    };
    match s::parse(&view) {
        Ok(Some(auth)) => {
            let _ = s::credential_scope(&auth);
            let now = s::parse_amz_date(&auth.amz_date).unwrap_or(FIXED_NOW);
            match s::verify(&view, &auth, SECRET, now) {
                Ok(verified) => {
                    let _ = s::decode_aws_chunked(req.body, verified.payload, &verified, &auth);
                }
                Err(e) => report(e),
            }
        }
        Ok(None) => {}
        Err(e) => report(e),
    }
    match s::parse_s3(&view) {
        Ok(Some(s::S3Auth::V2Header(h))) => {
            let now = header("x-amz-date")
                .and_then(|d| s::parse_amz_date(d).or_else(|| s::parse_http_date(d)))
                .or(http_date)
                .unwrap_or(FIXED_NOW);
            if let Err(e) = s::verify_v2_header_vhost(&view, &h, SECRET, now, vhost.as_deref()) {
                report(e);
            }
        }
        Ok(Some(s::S3Auth::V2Query(q))) => {
            let now = q.expires.min(FIXED_NOW);
            if let Err(e) = s::verify_v2_query_vhost(&view, &q, SECRET, now, vhost.as_deref()) {
                report(e);
            }
        }
        // SigV4 was verified above.
        Ok(Some(s::S3Auth::V4(_)) | None) => {}
        Err(e) => report(e),
    }
    let _ = s::decode_aws_chunked_unverified(req.body);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_protocol_has_targets() {
        for p in [
            Protocol::Query,
            Protocol::Ec2,
            Protocol::Json,
            Protocol::RpcV2Cbor,
        ] {
            assert!(!targets(p).is_empty(), "{p:?}");
        }
    }

    #[test]
    fn select_by_name_then_by_byte() {
        let ts = targets(Protocol::Ec2);
        let name = ts.last().unwrap().op.name;
        let input = named(name, b"x=1");
        let (t, payload) = select(&ts, &input).unwrap();
        assert_eq!((t.op.name, payload), (name, &b"x=1"[..]));
        let (t, payload) = select(&ts, b"\x00abc").unwrap();
        assert_eq!((t.op.name, payload), (ts[0].op.name, &b"abc"[..]));
        assert!(select(&ts, b"").is_none());
    }

    #[test]
    fn http_layout_round_trips() {
        let mut h = HeaderMap::new();
        h.insert("host", HeaderValue::from_static("b.s3.localhost"));
        h.append("x-amz-meta-a", HeaderValue::from_static("1"));
        let bytes = HttpInput::render("PUT", "/b/k%20x?x-id=PutObject", &h, b"body\n\nmore");
        let r = HttpInput::parse(&bytes);
        assert_eq!(r.method, "PUT");
        assert_eq!(r.path, "/b/k%20x");
        assert_eq!(r.query, "x-id=PutObject");
        assert_eq!(r.headers, h);
        assert_eq!(r.body, b"body\n\nmore");
        assert_eq!(vhost_bucket(&r.headers).as_deref(), Some("b"));
        let r = HttpInput::parse(b"GET http://h:1/p?q\r\n\r\n");
        assert_eq!(
            (r.authority.as_deref(), r.path.as_str(), r.query.as_str()),
            (Some("h:1"), "/p", "q")
        );
        let r = HttpInput::parse(b"");
        assert_eq!((r.method.as_str(), r.path.as_str()), ("", "/"));
    }
}
