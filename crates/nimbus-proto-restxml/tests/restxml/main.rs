//! Integration tests of the rest-xml codec against hand-written S3-like models
//! ([`model`]): routing, request decoding (shaped like what botocore 1.43 sends) and
//! response/error rendering (shaped like what botocore's `RestXMLParser` reads).

mod decode;
mod encode;
mod model;
mod route;

use http::{HeaderMap, HeaderName, HeaderValue};

pub fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in pairs {
        h.append(
            HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_bytes(v.as_bytes()).unwrap(),
        );
    }
    h
}

/// When `NIMBUS_RESTXML_DUMP` names a directory, writes the response there as
/// `{op}-{n}.http` (status line, `name: value` header lines, a blank line, the body) so that
/// it can be fed to botocore's parser (see `encode.rs` in `src/`).
pub fn dump(op: &str, r: &nimbus_wire::HttpResponse) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    if let Ok(dir) = std::env::var("NIMBUS_RESTXML_DUMP") {
        let mut out = format!("{}\n", r.status).into_bytes();
        for (k, v) in &r.headers {
            out.extend_from_slice(format!("{k}: {v}\n").as_bytes());
        }
        out.push(b'\n');
        out.extend_from_slice(&r.body);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let _ = std::fs::write(
            std::path::Path::new(&dir).join(format!("{op}-{n}.http")),
            out,
        );
    }
}
