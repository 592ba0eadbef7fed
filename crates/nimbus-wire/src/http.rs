//! The protocol-neutral view of one HTTP exchange that every codec reads from and writes
//! to. The gateway builds an [`HttpRequest`] from hyper's request (body already collected
//! and, for `aws-chunked`, already decoded) and turns an [`HttpResponse`] into hyper's.

use bytes::Bytes;
use std::borrow::Cow;

/// A fully received request.
#[derive(Debug)]
pub struct HttpRequest<'a> {
    pub method: &'a str,
    /// Raw (still percent-encoded) path, e.g. `/my-bucket/a%20b.txt`.
    pub path: &'a str,
    /// Raw query string without the `?` (may be empty).
    pub query: &'a str,
    pub headers: &'a http::HeaderMap,
    pub body: &'a [u8],
}

/// A response ready to be written.
#[derive(Debug, Default)]
pub struct HttpResponse {
    pub status: u16,
    /// Header names are lower-case; most are static, user-chosen ones (`x-amz-meta-*`) owned.
    pub headers: Vec<(Cow<'static, str>, String)>,
    pub body: Bytes,
}

impl HttpResponse {
    pub fn new(status: u16, content_type: &'static str, body: impl Into<Bytes>) -> Self {
        HttpResponse {
            status,
            headers: vec![(Cow::Borrowed("content-type"), content_type.to_string())],
            body: body.into(),
        }
    }
}

impl HttpResponse {
    /// Adds a header with a static name.
    pub fn header(&mut self, name: &'static str, value: impl Into<String>) {
        self.headers.push((Cow::Borrowed(name), value.into()));
    }
}
