//! `gateway_request`: whole requests through `nimbus_gateway::handle_collected`, the
//! pipeline the server runs once a body is collected: admin routes, protocol family
//! detection, (permissive) authentication, aws-chunked decoding or gzip inflation, routing,
//! decoding, typed conversion, the real handlers, and rendering. Each input is a short
//! session of requests against the in-memory [`crate::world`] (reset first), so a request
//! can find what an earlier one created.
//!
//! The oracle: nothing panics, no reply is a 5xx other than 501 (not implemented), a
//! reply's `Content-Length` (when it sends one, HEAD aside) is its body's, and
//! every reply body reads back as its content type says (XML well-formed, JSON parses,
//! CBOR decodes) except a successful S3 reply's, which may be an object's own bytes.
//!
//! Layout: requests in the HTTP-like layout of [`crate::HttpInput`], separated by
//! [`SEPARATOR`] lines (at most [`MAX_REQUESTS`]). Like hyper, the harness makes a present
//! `Content-Length` match the body. The pseudo-header `x-fuzz-gzip` (any value) is removed
//! and makes the harness gzip the body and add `Content-Encoding: gzip` (unless the request
//! names an encoding itself), so inflated bodies are meaningful to the fuzzer.

use crate::check;
use crate::world::world;
use crate::HttpInput;
use bytes::Bytes;
use http::{HeaderValue, Request};
use http_body_util::BodyExt;
use std::io::Write;

/// The line between two requests of one input.
pub const SEPARATOR: &[u8] = b"\n~~~\n";

/// Most requests run per input.
pub const MAX_REQUESTS: usize = 8;

/// Splits an input into its requests.
pub fn split_requests(data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = data;
    while out.len() < MAX_REQUESTS {
        match rest.windows(SEPARATOR.len()).position(|w| w == SEPARATOR) {
            Some(i) => {
                out.push(&rest[..i]);
                rest = &rest[i + SEPARATOR.len()..];
            }
            None => {
                out.push(rest);
                break;
            }
        }
    }
    out
}

pub fn gzip(body: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(body).expect("gzip into memory");
    e.finish().expect("gzip into memory")
}

/// The request as hyper would hand it over; `None` when no HTTP request looks like this
/// (bad method, unparseable target).
pub fn build(req: HttpInput<'_>) -> Option<(http::request::Parts, Bytes)> {
    let method = http::Method::from_bytes(req.method.as_bytes()).ok()?;
    let path = if req.path.starts_with('/') {
        req.path.clone()
    } else {
        format!("/{}", req.path)
    };
    let query = if req.query.is_empty() {
        String::new()
    } else {
        format!("?{}", req.query)
    };
    let uri: http::Uri = match &req.authority {
        Some(a) => format!("http://{a}{path}{query}"),
        None => format!("{path}{query}"),
    }
    .parse()
    .ok()?;
    let mut headers = req.headers;
    let mut body = Bytes::copy_from_slice(req.body);
    if headers.remove("x-fuzz-gzip").is_some() {
        body = Bytes::from(gzip(&body));
        if !headers.contains_key(http::header::CONTENT_ENCODING) {
            headers.insert(
                http::header::CONTENT_ENCODING,
                HeaderValue::from_static("gzip"),
            );
        }
    }
    if headers.contains_key(http::header::CONTENT_LENGTH) {
        headers.insert(http::header::CONTENT_LENGTH, HeaderValue::from(body.len()));
    }
    let mut r = Request::new(());
    *r.method_mut() = method;
    *r.uri_mut() = uri;
    *r.headers_mut() = headers;
    Some((r.into_parts().0, body))
}

/// One reply of a session: the request (`METHOD uri`), the status and the body.
pub struct Exchange {
    pub request: String,
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

/// Runs the requests of `data` against the freshly reset world, in order; requests that no
/// HTTP client could send are skipped.
pub fn run_session(data: &[u8], mut each: impl FnMut(&Exchange)) {
    let w = world();
    let mut reset = false;
    for raw in split_requests(data) {
        let Some((parts, body)) = build(HttpInput::parse(raw)) else {
            continue;
        };
        if !reset {
            w.reset();
            reset = true;
        }
        let request = format!("{} {}", parts.method, parts.uri);
        let reply =
            w.rt.block_on(nimbus_gateway::handle_collected(&w.gw, parts, body, None));
        let (parts, body) = reply.into_parts();
        let body =
            w.rt.block_on(body.collect())
                .map(|c| c.to_bytes())
                .unwrap_or_default();
        each(&Exchange {
            request,
            status: parts.status.as_u16(),
            headers: parts.headers,
            body,
        });
    }
}

pub fn gateway_request(data: &[u8]) {
    run_session(data, |x| {
        assert!(
            x.status < 500 || x.status == 501,
            "{} answered {}: {}",
            x.request,
            x.status,
            String::from_utf8_lossy(&x.body)
        );
        // A Content-Length the server sends along with a body must be the body's (hyper
        // would otherwise cut or stall the reply). HEAD replies are exempt: their
        // Content-Length is the GET's, and hyper drops any body they carry (which is why a
        // non-S3 error rendered for a HEAD may have one).
        assert!(
            x.headers
                .get_all(http::header::CONTENT_LENGTH)
                .iter()
                .count()
                <= 1,
            "{} answered more than one Content-Length",
            x.request
        );
        let cl = x.headers.get(http::header::CONTENT_LENGTH);
        if let (Some(cl), false) = (cl, x.request.starts_with("HEAD ")) {
            assert_eq!(
                cl.to_str().ok().and_then(|v| v.parse::<usize>().ok()),
                Some(x.body.len()),
                "{} answered Content-Length {cl:?} with a body of {} bytes",
                x.request,
                x.body.len()
            );
        }
        // S3 marks its replies with x-amz-id-2; a successful one may be an object's bytes.
        let s3 = x.headers.contains_key("x-amz-id-2");
        if !(s3 && x.status < 300) {
            let ct = x
                .headers
                .get(http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            check::body_by_content_type(ct, &x.body);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_and_builds() {
        let input = b"GET /\n\n~~~\nPUT /b/k\ncontent-length: 99\nx-fuzz-gzip: 1\n\nhello";
        let reqs = split_requests(input);
        assert_eq!(reqs.len(), 2);
        let (parts, body) = build(HttpInput::parse(reqs[1])).unwrap();
        assert_eq!(parts.method, "PUT");
        assert_eq!(parts.uri.path(), "/b/k");
        assert_eq!(parts.headers["content-encoding"], "gzip");
        assert_eq!(
            parts.headers["content-length"],
            body.len().to_string().as_str()
        );
        assert!(!parts.headers.contains_key("x-fuzz-gzip"));
        assert!(body.starts_with(&[0x1f, 0x8b]));
        assert!(build(HttpInput::parse(b"B(D /x\n\n")).is_none());
    }
}
