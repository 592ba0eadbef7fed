//! A client-side SigV4 signer, the mirror image of `verify`: signs a request with an
//! `Authorization` header or presigns it into a query string, the way botocore does. It exists
//! so tests across the workspace (gateway, services, end-to-end) can build correctly signed
//! requests without an AWS SDK; it is deliberately simple and not used on the request path.

use crate::canonical::{
    canonical_headers, canonical_query, canonical_request, canonical_uri_candidates, uri_encode_str,
};
use crate::key::{derive_signing_key, sha256_hex, sign_hex};
use crate::verify::{string_to_sign, UNSIGNED_PAYLOAD};
use crate::{RequestView, ALGORITHM};
use http::{HeaderMap, HeaderValue};

/// Who signs, for which scope, at what time.
#[derive(Clone, Copy, Debug)]
pub struct SigningParams<'a> {
    pub access_key: &'a str,
    pub secret_access_key: &'a str,
    pub region: &'a str,
    pub service: &'a str,
    /// `YYYYMMDDTHHMMSSZ`.
    pub amz_date: &'a str,
    pub session_token: Option<&'a str>,
}

impl SigningParams<'_> {
    /// `date/region/service/aws4_request`.
    pub fn scope(&self) -> String {
        format!(
            "{}/{}/{}/aws4_request",
            self.amz_date.get(..8).unwrap_or(""),
            self.region,
            self.service
        )
    }

    /// The derived signing key.
    pub fn signing_key(&self) -> [u8; 32] {
        derive_signing_key(
            self.secret_access_key,
            self.amz_date.get(..8).unwrap_or(""),
            self.region,
            self.service,
        )
    }
}

/// Headers clients leave unsigned because proxies may rewrite them.
const UNSIGNED_HEADERS: [&str; 4] = ["authorization", "user-agent", "expect", "x-amzn-trace-id"];

// Internal plumbing shared by the two public signers; a struct would only rename the list.
#[allow(clippy::too_many_arguments)]
fn sign_with(
    method: &str,
    raw_path: &str,
    raw_query: &str,
    headers: &HeaderMap,
    signed: &[String],
    payload_hash: &str,
    p: &SigningParams<'_>,
    presigned: bool,
) -> String {
    let view = RequestView {
        method,
        raw_path,
        raw_query,
        headers,
        body: &[],
        authority: None,
    };
    let signed_list = crate::SignedHeaders::parse(&signed.join(";"));
    let (canon_headers, _) = canonical_headers(&view, &signed_list);
    let uri = canonical_uri_candidates(raw_path, p.service).swap_remove(0);
    let query = canonical_query(raw_query, presigned.then_some("X-Amz-Signature"));
    let creq = canonical_request(
        method,
        &uri,
        &query,
        &canon_headers,
        &signed.join(";"),
        payload_hash,
    );
    sign_hex(
        &p.signing_key(),
        &string_to_sign(p.amz_date, &p.scope(), &creq),
    )
}

/// Signs a request with an `Authorization` header, in place: adds `x-amz-date` (and
/// `x-amz-security-token`), signs every header present except `authorization`,
/// `user-agent`, `expect` and `x-amzn-trace-id`, and returns the signature (the seed
/// signature of an `aws-chunked` body). The payload hash is the `x-amz-content-sha256`
/// header when present, else SHA-256 of `body`. `headers` must contain `host`.
pub fn sign_request_for_tests(
    method: &str,
    raw_path: &str,
    raw_query: &str,
    headers: &mut HeaderMap,
    body: &[u8],
    p: &SigningParams<'_>,
) -> String {
    if let Ok(v) = HeaderValue::from_str(p.amz_date) {
        headers.insert("x-amz-date", v);
    }
    if let Some(t) = p.session_token.and_then(|t| HeaderValue::from_str(t).ok()) {
        headers.insert("x-amz-security-token", t);
    }
    headers.remove(http::header::AUTHORIZATION);
    let mut signed: Vec<String> = headers
        .keys()
        .map(|k| k.as_str().to_string())
        .filter(|k| !UNSIGNED_HEADERS.contains(&k.as_str()))
        .collect();
    signed.sort();
    signed.dedup();
    let payload_hash = headers
        .get("x-amz-content-sha256")
        .and_then(|v| v.to_str().ok())
        .map_or_else(|| sha256_hex(body), str::to_string);
    let signature = sign_with(
        method,
        raw_path,
        raw_query,
        headers,
        &signed,
        &payload_hash,
        p,
        false,
    );
    let auth = format!(
        "{ALGORITHM} Credential={}/{}, SignedHeaders={}, Signature={signature}",
        p.access_key,
        p.scope(),
        signed.join(";")
    );
    if let Ok(v) = HeaderValue::from_str(&auth) {
        headers.insert(http::header::AUTHORIZATION, v);
    }
    signature
}

/// Presigns a request: returns `raw_query` extended with the `X-Amz-*` parameters and the
/// signature. Signs only `host` (taken from `headers`), like SDK presigners do. The payload
/// hash is `UNSIGNED-PAYLOAD` for `s3`, else SHA-256 of `body`.
pub fn presign_for_tests(
    method: &str,
    raw_path: &str,
    raw_query: &str,
    headers: &HeaderMap,
    body: &[u8],
    expires_secs: u64,
    p: &SigningParams<'_>,
) -> String {
    let mut query = raw_query.to_string();
    let mut add = |k: &str, v: &str| {
        if !query.is_empty() {
            query.push('&');
        }
        query.push_str(k);
        query.push('=');
        query.push_str(&uri_encode_str(v.as_bytes()));
    };
    add("X-Amz-Algorithm", ALGORITHM);
    add(
        "X-Amz-Credential",
        &format!("{}/{}", p.access_key, p.scope()),
    );
    add("X-Amz-Date", p.amz_date);
    add("X-Amz-Expires", &expires_secs.to_string());
    if let Some(t) = p.session_token {
        add("X-Amz-Security-Token", t);
    }
    add("X-Amz-SignedHeaders", "host");
    let payload_hash = if p.service == "s3" {
        UNSIGNED_PAYLOAD.to_string()
    } else {
        sha256_hex(body)
    };
    let signature = sign_with(
        method,
        raw_path,
        &query,
        headers,
        &["host".to_string()],
        &payload_hash,
        p,
        true,
    );
    query.push_str("&X-Amz-Signature=");
    query.push_str(&signature);
    query
}
