//! [`Req`]: an HTTP request as a client sends it (method, path, query, headers, body), and
//! [`Signer`], which signs it with SigV4 the way botocore does (through
//! `nimbus_sigv4::sign_request_for_tests`). A request is handed to the gateway in process
//! as `(Parts, Bytes)` ([`Req::into_parts`]) or written to a socket ([`Req::to_http1`]).

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue};
use nimbus_core::Timestamp;
use nimbus_sigv4::SigningParams;

/// A request being built; see the module doc.
#[derive(Clone, Debug)]
pub struct Req {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Req {
    /// A request to `path` (with an optional `?query`), with `host: localhost:4566`.
    pub fn new(method: &str, path_and_query: &str) -> Self {
        let (path, query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::HOST,
            HeaderValue::from_static("localhost:4566"),
        );
        Req {
            method: method.into(),
            path: path.into(),
            query: query.into(),
            headers,
            body: Bytes::new(),
        }
    }

    pub fn post(path_and_query: &str) -> Self {
        Self::new("POST", path_and_query)
    }

    pub fn get(path_and_query: &str) -> Self {
        Self::new("GET", path_and_query)
    }

    /// A JSON-protocol call: `X-Amz-Target: {target}` with a JSON 1.0 body.
    pub fn json(target: &str, body: &str) -> Self {
        Self::post("/")
            .header("x-amz-target", target)
            .header("content-type", "application/x-amz-json-1.0")
            .body(body.to_string())
    }

    /// A query-protocol call: a form body `Action={action}&Version={version}` plus `extra`.
    pub fn query(action: &str, version: &str, extra: &str) -> Self {
        let mut form = format!("Action={action}&Version={version}");
        if !extra.is_empty() {
            form.push('&');
            form.push_str(extra);
        }
        Self::post("/")
            .header(
                "content-type",
                "application/x-www-form-urlencoded; charset=utf-8",
            )
            .body(form)
    }

    /// Sets (replaces) a header.
    ///
    /// # Panics
    /// If the name or value is not valid in HTTP (a test's own mistake).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        let name = HeaderName::from_bytes(name.as_bytes())
            .unwrap_or_else(|e| panic!("header name {name:?}: {e}"));
        let value =
            HeaderValue::from_str(value).unwrap_or_else(|e| panic!("header value {value:?}: {e}"));
        self.headers.insert(name, value);
        self
    }

    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// Signs the request as `signer` says (see [`Signer::sign`]).
    pub fn signed(mut self, signer: &Signer) -> Self {
        signer.sign(&mut self);
        self
    }

    /// The request as the gateway's in-process entry takes it.
    ///
    /// # Panics
    /// If the method or target is not valid HTTP.
    pub fn into_parts(self) -> (http::request::Parts, Bytes) {
        let target = if self.query.is_empty() {
            self.path.clone()
        } else {
            format!("{}?{}", self.path, self.query)
        };
        let mut builder = http::Request::builder()
            .method(self.method.as_str())
            .uri(target);
        if let Some(h) = builder.headers_mut() {
            *h = self.headers;
        }
        let (parts, ()) = builder
            .body(())
            .unwrap_or_else(|e| panic!("not an HTTP request: {e}"))
            .into_parts();
        (parts, self.body)
    }

    /// The request as HTTP/1.1 bytes with `Content-Length` and `Connection: close`.
    pub fn to_http1(&self) -> Vec<u8> {
        let target = if self.query.is_empty() {
            self.path.clone()
        } else {
            format!("{}?{}", self.path, self.query)
        };
        let mut out = format!("{} {target} HTTP/1.1\r\n", self.method).into_bytes();
        for (k, v) in &self.headers {
            if k == http::header::CONTENT_LENGTH || k == http::header::CONNECTION {
                continue;
            }
            out.extend_from_slice(k.as_str().as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(v.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(
            format!(
                "content-length: {}\r\nconnection: close\r\n\r\n",
                self.body.len()
            )
            .as_bytes(),
        );
        out.extend_from_slice(&self.body);
        out
    }
}

/// Who signs a [`Req`], for which region and service, and at what time.
#[derive(Clone, Debug)]
pub struct Signer {
    pub access_key: String,
    pub secret: String,
    pub region: String,
    pub service: String,
    pub at: Timestamp,
    pub session_token: Option<String>,
}

impl Signer {
    /// Signs for `service` in `us-east-1` at `at` with the given key pair.
    pub fn new(access_key: &str, secret: &str, service: &str, at: Timestamp) -> Self {
        Signer {
            access_key: access_key.into(),
            secret: secret.into(),
            region: "us-east-1".into(),
            service: service.into(),
            at,
            session_token: None,
        }
    }

    /// The same signer at another time (an expired or future-dated request).
    pub fn at(mut self, at: Timestamp) -> Self {
        self.at = at;
        self
    }

    /// The same signer with another secret (a signature the server cannot reproduce).
    pub fn secret(mut self, secret: &str) -> Self {
        self.secret = secret.into();
        self
    }

    /// Adds `x-amz-date` and `Authorization` to `req` (signing every header present but
    /// the ones clients leave unsigned), replacing an earlier signature.
    pub fn sign(&self, req: &mut Req) {
        let amz_date = self.at.to_amz_date();
        let params = SigningParams {
            access_key: &self.access_key,
            secret_access_key: &self.secret,
            region: &self.region,
            service: &self.service,
            amz_date: &amz_date,
            session_token: self.session_token.as_deref(),
        };
        nimbus_sigv4::sign_request_for_tests(
            &req.method,
            &req.path,
            &req.query,
            &mut req.headers,
            &req.body,
            &params,
        );
    }
}
