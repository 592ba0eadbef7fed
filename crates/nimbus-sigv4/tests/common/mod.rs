//! Helpers shared by the integration tests: building header maps and request views.
#![allow(dead_code)]

use http::{HeaderMap, HeaderName, HeaderValue};
use nimbus_sigv4::RequestView;

pub fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in pairs {
        h.append(
            HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    h
}

pub fn view<'a>(
    method: &'a str,
    path: &'a str,
    query: &'a str,
    headers: &'a HeaderMap,
    body: &'a [u8],
) -> RequestView<'a> {
    RequestView {
        method,
        raw_path: path,
        raw_query: query,
        headers,
        body,
        authority: None,
    }
}
