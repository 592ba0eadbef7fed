//! Checking a parsed SigV4 request: request time (15-minute skew window for header auth,
//! validity window for presigned URLs), credential-scope date, the payload-hash mode
//! (`x-amz-content-sha256`), and finally the signature over the canonical request, compared in
//! constant time. Produces [`Verified`], which carries what the aws-chunked decoder needs
//! (signing key, seed signature, payload mode). Looking up the secret is the caller's job.

use crate::canonical::{
    canonical_headers, canonical_query, canonical_uri_candidates, emit_canonical_request,
    X_AMZ_CONTENT_SHA256, X_AMZ_DECODED_CONTENT_LENGTH,
};
use crate::key::{
    hex32, push_sha256_hex, sha256_hex, sha256_streamed, signature_bytes_equal, SigningKey,
};
use crate::{
    time, ParsedAuth, PayloadMode, RequestView, SigV4Error, Verified, ALGORITHM, MAX_SKEW_SECS,
};
use sha2::{Digest, Sha256};

pub(crate) const STREAMING_SIGNED: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
pub(crate) const STREAMING_SIGNED_TRAILER: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
pub(crate) const STREAMING_UNSIGNED_TRAILER: &str = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";
pub(crate) const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// `date/region/service/aws4_request`.
pub fn credential_scope(auth: &ParsedAuth) -> String {
    const TERM: &str = "/aws4_request";
    let mut s = String::with_capacity(
        auth.date.len() + auth.region.len() + auth.service.len() + 2 + TERM.len(),
    );
    s.push_str(&auth.date);
    s.push('/');
    s.push_str(&auth.region);
    s.push('/');
    s.push_str(&auth.service);
    s.push_str(TERM);
    s
}

/// The SigV4 string to sign for a canonical request.
pub fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    let mut s = String::with_capacity(ALGORITHM.len() + amz_date.len() + scope.len() + 3 + 64);
    s.push_str(ALGORITHM);
    s.push('\n');
    s.push_str(amz_date);
    s.push('\n');
    s.push_str(scope);
    s.push('\n');
    push_sha256_hex(&mut s, canonical_request.as_bytes());
    s
}

/// The string to sign, piece by piece (see [`emit_canonical_request`]): the same text as
/// [`string_to_sign`] with the scope taken from `auth` and the canonical request's hash
/// already computed.
fn emit_string_to_sign(put: &mut dyn FnMut(&str), auth: &ParsedAuth, creq_hash_hex: &str) {
    put(ALGORITHM);
    put("\n");
    put(&auth.amz_date);
    put("\n");
    put(&auth.date);
    put("/");
    put(&auth.region);
    put("/");
    put(&auth.service);
    put("/aws4_request\n");
    put(creq_hash_hex);
}

/// The payload hash text of the canonical request.
enum PayloadHash<'a> {
    /// Sent by the client (or a fixed marker such as `UNSIGNED-PAYLOAD`).
    Given(&'a str),
    /// Computed here from the body: lowercase hex.
    Computed([u8; 64]),
}

impl PayloadHash<'_> {
    fn as_str(&self) -> &str {
        match self {
            PayloadHash::Given(s) => s,
            // Always ASCII hex, so the conversion cannot fail.
            PayloadHash::Computed(h) => std::str::from_utf8(h).unwrap_or_default(),
        }
    }
}

/// How the payload is covered, and the hash text that goes into the canonical request.
struct Payload<'a> {
    mode: PayloadMode,
    hash: PayloadHash<'a>,
    /// Set when the client declared a hex digest that must be checked against the body.
    declared_digest: bool,
}

fn payload<'a>(req: &RequestView<'a>, auth: &ParsedAuth) -> Result<Payload<'a>, SigV4Error> {
    let header = match req.headers.get(X_AMZ_CONTENT_SHA256) {
        None => None,
        Some(v) => Some(
            v.to_str()
                .map_err(|_| SigV4Error::InvalidContentSha256 {
                    value: String::from_utf8_lossy(v.as_bytes()).into_owned(),
                })?
                .trim(),
        ),
    };
    // S3 presigned URLs sign `UNSIGNED-PAYLOAD` unless the client chose to sign the header.
    let header = if auth.presigned && auth.service == "s3" {
        header.filter(|_| auth.signed_headers.contains("x-amz-content-sha256"))
    } else {
        header
    };
    let p = |mode, hash: &'a str| Payload {
        mode,
        hash: PayloadHash::Given(hash),
        declared_digest: false,
    };
    Ok(match header {
        Some(UNSIGNED_PAYLOAD) => p(PayloadMode::Unsigned, UNSIGNED_PAYLOAD),
        Some(h @ (STREAMING_SIGNED | STREAMING_SIGNED_TRAILER)) => {
            p(PayloadMode::StreamingSigned, h)
        }
        Some(STREAMING_UNSIGNED_TRAILER) => p(
            PayloadMode::StreamingUnsignedTrailer,
            STREAMING_UNSIGNED_TRAILER,
        ),
        Some(h) if h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()) => Payload {
            mode: PayloadMode::Plain,
            hash: PayloadHash::Given(h),
            declared_digest: true,
        },
        Some(h) => {
            return Err(SigV4Error::InvalidContentSha256 {
                value: h.to_string(),
            })
        }
        None if auth.presigned && auth.service == "s3" => {
            p(PayloadMode::Unsigned, UNSIGNED_PAYLOAD)
        }
        None => Payload {
            mode: PayloadMode::Plain,
            hash: PayloadHash::Computed(hex32(&Sha256::digest(req.body).into())),
            declared_digest: false,
        },
    })
}

fn check_time(auth: &ParsedAuth, request_secs: i64, now_secs: i64) -> Result<(), SigV4Error> {
    if auth.presigned {
        // Without X-Amz-Expires (allowed outside S3) the usual 15 minutes apply.
        let expires = auth
            .expires_secs
            .map_or(MAX_SKEW_SECS, |e| e.min(i64::MAX as u64) as i64);
        let valid_from = request_secs.saturating_sub(MAX_SKEW_SECS);
        let expires_at = request_secs.saturating_add(expires);
        if now_secs < valid_from {
            return Err(SigV4Error::PresignedNotYetValid {
                valid_from_secs: valid_from,
                server_secs: now_secs,
            });
        }
        if now_secs > expires_at {
            return Err(SigV4Error::PresignedExpired {
                expires_at_secs: expires_at,
                server_secs: now_secs,
            });
        }
    } else if now_secs.abs_diff(request_secs) > MAX_SKEW_SECS.unsigned_abs() {
        return Err(SigV4Error::RequestTimeTooSkewed {
            request_secs,
            server_secs: now_secs,
            amz_date: auth.amz_date.clone(),
            server_date: time::format_amz_date(now_secs),
        });
    }
    Ok(())
}

pub(crate) fn verify_with(
    req: &RequestView<'_>,
    auth: &ParsedAuth,
    now_secs: i64,
    signing_key: impl FnOnce() -> SigningKey,
) -> Result<Verified, SigV4Error> {
    verify_body_with(req, auth, now_secs, signing_key, true)
}

/// [`verify_with`]; `check_body: false` skips comparing the body with a declared
/// `x-amz-content-sha256` digest, for a caller that checks it as the body streams in.
pub(crate) fn verify_body_with(
    req: &RequestView<'_>,
    auth: &ParsedAuth,
    now_secs: i64,
    signing_key: impl FnOnce() -> SigningKey,
    check_body: bool,
) -> Result<Verified, SigV4Error> {
    let Some(request_secs) = time::parse_amz_date(&auth.amz_date) else {
        return Err(if auth.presigned {
            SigV4Error::query_params(format!(
                "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\", not '{}'",
                auth.amz_date
            ))
        } else {
            SigV4Error::InvalidDate {
                value: auth.amz_date.clone(),
            }
        });
    };
    let request_date = &auth.amz_date[..8];
    if auth.date != request_date {
        return Err(SigV4Error::ScopeDateMismatch {
            scope_date: auth.date.clone(),
            request_date: request_date.to_string(),
            amz_date: auth.amz_date.clone(),
        });
    }
    check_time(auth, request_secs, now_secs)?;
    if !auth.signed_headers.contains("host") && !auth.signed_headers.contains(":authority") {
        let msg = "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.";
        return Err(if auth.presigned {
            SigV4Error::query_params(msg)
        } else {
            SigV4Error::incomplete(msg)
        });
    }

    let payload = payload(req, auth)?;
    let (headers, missing_header) = canonical_headers(req, &auth.signed_headers);
    let query = canonical_query(req.raw_query, auth.presigned.then_some("X-Amz-Signature"));
    let key = signing_key();
    let payload_hash = payload.hash.as_str();

    // The root path (every query/JSON call) is its own only candidate; skip the allocation.
    let root = req.raw_path.is_empty() || req.raw_path == "/";
    let candidates = if root {
        Vec::new()
    } else {
        canonical_uri_candidates(req.raw_path, &auth.service)
    };
    let uris = root
        .then_some("/")
        .into_iter()
        .chain(candidates.iter().map(String::as_str));
    let mut first_uri = None;
    let mut matched = false;
    for uri in uris {
        first_uri.get_or_insert(uri);
        if missing_header.is_some() {
            break;
        }
        // Hash the canonical request and sign the string to sign as they are produced,
        // without assembling either; they are only rendered for a mismatch report.
        let creq_hash = hex32(&sha256_streamed(|put| {
            emit_canonical_request(
                put,
                req.method,
                uri,
                &query,
                &headers,
                &auth.signed_headers,
                payload_hash,
            )
        }));
        let creq_hash = std::str::from_utf8(&creq_hash).unwrap_or_default();
        let signature = hex32(&key.mac_streamed(|put| emit_string_to_sign(put, auth, creq_hash)));
        if signature_bytes_equal(&signature, auth.signature.as_bytes()) {
            matched = true;
            break;
        }
    }
    if !matched {
        let (canonical_request, string_to_sign) = match first_uri {
            Some(uri) => {
                let mut creq = String::new();
                emit_canonical_request(
                    &mut |p| creq.push_str(p),
                    req.method,
                    uri,
                    &query,
                    &headers,
                    &auth.signed_headers,
                    payload_hash,
                );
                let creq_hash = sha256_hex(creq.as_bytes());
                let mut sts = String::new();
                emit_string_to_sign(&mut |p| sts.push_str(p), auth, &creq_hash);
                (creq, sts)
            }
            None => Default::default(),
        };
        return Err(SigV4Error::SignatureDoesNotMatch {
            canonical_request,
            string_to_sign,
        });
    }

    // The signature covers the declared digest; now make sure the body is what was declared.
    if payload.declared_digest && check_body {
        let computed = sha256_hex(req.body);
        if !computed.eq_ignore_ascii_case(payload_hash) {
            return Err(SigV4Error::ContentSha256Mismatch {
                client: payload_hash.to_string(),
                computed,
            });
        }
    }

    let decoded_content_length = req
        .headers
        .get(X_AMZ_DECODED_CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    Ok(Verified {
        signing_key: key.key,
        seed_signature: auth.signature.clone(),
        payload: payload.mode,
        decoded_content_length,
    })
}
