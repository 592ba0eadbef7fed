//! Checking a parsed SigV4 request: request time (15-minute skew window for header auth,
//! validity window for presigned URLs), credential-scope date, the payload-hash mode
//! (`x-amz-content-sha256`), and finally the signature over the canonical request, compared in
//! constant time. Produces [`Verified`], which carries what the aws-chunked decoder needs
//! (signing key, seed signature, payload mode). Looking up the secret is the caller's job.

use crate::canonical::{
    canonical_headers, canonical_query, canonical_request, canonical_uri_candidates,
};
use crate::key::{sha256_hex, sign_hex, signatures_equal};
use crate::{
    time, ParsedAuth, PayloadMode, RequestView, SigV4Error, Verified, ALGORITHM, MAX_SKEW_SECS,
};

pub(crate) const STREAMING_SIGNED: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
pub(crate) const STREAMING_SIGNED_TRAILER: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
pub(crate) const STREAMING_UNSIGNED_TRAILER: &str = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";
pub(crate) const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// `date/region/service/aws4_request`.
pub fn credential_scope(auth: &ParsedAuth) -> String {
    format!(
        "{}/{}/{}/aws4_request",
        auth.date, auth.region, auth.service
    )
}

/// The SigV4 string to sign for a canonical request.
pub fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        sha256_hex(canonical_request.as_bytes())
    )
}

/// How the payload is covered, and the hash text that goes into the canonical request.
struct Payload {
    mode: PayloadMode,
    hash: String,
    /// Set when the client declared a hex digest that must be checked against the body.
    declared_digest: bool,
}

fn payload(req: &RequestView<'_>, auth: &ParsedAuth) -> Result<Payload, SigV4Error> {
    let header = match req.headers.get("x-amz-content-sha256") {
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
        header.filter(|_| {
            auth.signed_headers
                .iter()
                .any(|h| h == "x-amz-content-sha256")
        })
    } else {
        header
    };
    let p = |mode, hash: &str| Payload {
        mode,
        hash: hash.to_string(),
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
            hash: h.to_string(),
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
        None => p(PayloadMode::Plain, &sha256_hex(req.body)),
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
    signing_key: impl FnOnce() -> [u8; 32],
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
    if !auth
        .signed_headers
        .iter()
        .any(|h| h == "host" || h == ":authority")
    {
        let msg = "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.";
        return Err(if auth.presigned {
            SigV4Error::query_params(msg)
        } else {
            SigV4Error::incomplete(msg)
        });
    }

    let payload = payload(req, auth)?;
    let (headers, missing_header) = canonical_headers(req, &auth.signed_headers);
    let signed_headers = auth.signed_headers.join(";");
    let query = canonical_query(req.raw_query, auth.presigned.then_some("X-Amz-Signature"));
    let scope = credential_scope(auth);
    let key = signing_key();

    let mut first: Option<(String, String)> = None;
    let mut matched = false;
    for uri in canonical_uri_candidates(req.raw_path, &auth.service) {
        let creq = canonical_request(
            req.method,
            &uri,
            &query,
            &headers,
            &signed_headers,
            &payload.hash,
        );
        let sts = string_to_sign(&auth.amz_date, &scope, &creq);
        if missing_header.is_none() && signatures_equal(&sign_hex(&key, &sts), &auth.signature) {
            matched = true;
            break;
        }
        first.get_or_insert((creq, sts));
    }
    if !matched {
        let (canonical_request, string_to_sign) = first.unwrap_or_default();
        return Err(SigV4Error::SignatureDoesNotMatch {
            canonical_request,
            string_to_sign,
        });
    }

    // The signature covers the declared digest; now make sure the body is what was declared.
    if payload.declared_digest {
        let computed = sha256_hex(req.body);
        if !computed.eq_ignore_ascii_case(&payload.hash) {
            return Err(SigV4Error::ContentSha256Mismatch {
                client: payload.hash,
                computed,
            });
        }
    }

    let decoded_content_length = req
        .headers
        .get("x-amz-decoded-content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    Ok(Verified {
        signing_key: key,
        seed_signature: auth.signature.clone(),
        payload: payload.mode,
        decoded_content_length,
    })
}
