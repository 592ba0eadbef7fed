//! Server-side AWS Signature Version 4: given a received request and the secret of the access
//! key it names, decide whether the signature is genuine and fresh. Owns parsing of both
//! SigV4 forms (the `Authorization` header and presigned query strings), the canonical
//! request, time checks, signing-key derivation (with a cache), and decoding of signed and
//! unsigned `aws-chunked` bodies; and, for S3 only, the legacy Signature Version 2 (`v2`:
//! `Authorization: AWS ..` and `?AWSAccessKeyId=..&Signature=..&Expires=..`). It does not look up credentials, pick per-service error
//! codes, or evaluate IAM policy: the gateway does, through [`SigV4Error::code`] and friends.
//!
//! Spec: <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv.html> and, for S3's
//! variants, <https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-authenticating-requests.html>.
//!
//! ```
//! # use nimbus_sigv4::*;
//! let mut headers = http::HeaderMap::new();
//! headers.insert("host", "sts.amazonaws.com".parse().unwrap());
//! let p = SigningParams {
//!     access_key: "AKIDEXAMPLE", secret_access_key: "secret", region: "us-east-1",
//!     service: "sts", amz_date: "20261125T100000Z", session_token: None,
//! };
//! let body = b"Action=GetCallerIdentity&Version=2011-06-15";
//! sign_request_for_tests("POST", "/", "", &mut headers, body, &p);
//! let req = RequestView { method: "POST", raw_path: "/", raw_query: "", headers: &headers, body, authority: None };
//! let auth = parse(&req).unwrap().unwrap();
//! let now = 1_795_600_800; // 2026-11-25T10:00:00Z
//! assert!(verify(&req, &auth, "secret", now).is_ok());
//! assert!(verify(&req, &auth, "wrong", now).is_err());
//! ```

mod canonical;
mod chunked;
mod chunked_stream;
mod error;
mod key;
mod parse;
mod signer;
mod time;
mod v2;
mod verify;

pub use canonical::{canonical_query, canonical_uri_candidates, uri_encode_str};
pub use chunked::{encode_aws_chunked, ChunkSigner};
pub use chunked_stream::ChunkedDecoder;
pub use error::{SigV4Error, SIGNATURE_MISMATCH_MESSAGE};
pub use key::{
    derive_signing_key, sha256_hex, sign_hex, signatures_equal, SigningKey, SigningKeyCache,
    EMPTY_SHA256,
};
pub use parse::MAX_PRESIGN_EXPIRES;
pub use signer::{presign_for_tests, sign_request_for_tests, SigningParams};
pub use time::{format_amz_date, parse_amz_date, parse_http_date};
pub use v2::{
    canonicalized_resource_candidates, parse_s3, parse_v2_header, parse_v2_query, sign_v2,
    verify_v2_header, verify_v2_header_vhost, verify_v2_query, verify_v2_query_vhost, ParsedV2,
    ParsedV2Header, S3Auth,
};
pub use verify::{credential_scope, string_to_sign};

/// The only algorithm accepted.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// Allowed distance between request time and server time (header auth), and how early a
/// presigned URL may be used: 15 minutes.
pub const MAX_SKEW_SECS: i64 = 15 * 60;

/// The parts of a received request that SigV4 covers.
#[derive(Clone, Copy, Debug)]
pub struct RequestView<'a> {
    pub method: &'a str,
    /// As received, percent-encoded, without the query.
    pub raw_path: &'a str,
    /// As received, without `?`; may be empty.
    pub raw_query: &'a str,
    pub headers: &'a http::HeaderMap,
    /// The body as received (before any aws-chunked decoding).
    pub body: &'a [u8],
    /// The request authority (`:authority` on HTTP/2, or the absolute-form URI's host), used
    /// for a signed `host` when no `Host` header came.
    pub authority: Option<&'a str>,
}

/// SigV4 credentials as read from a request, before any verification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedAuth {
    pub access_key: String,
    /// `yyyymmdd` from the credential scope.
    pub date: String,
    pub region: String,
    pub service: String,
    /// Lowercase, in the order the client listed them.
    pub signed_headers: SignedHeaders,
    /// Lowercase hex.
    pub signature: String,
    /// The request time in `YYYYMMDDTHHMMSSZ` form: `X-Amz-Date` (header or query), or the
    /// `Date` header converted to that form (kept verbatim when unparseable).
    pub amz_date: String,
    /// True for query-string (presigned URL) authentication.
    pub presigned: bool,
    /// `X-Amz-Expires` of a presigned URL.
    pub expires_secs: Option<u64>,
    /// `X-Amz-Security-Token` (header or query).
    pub session_token: Option<String>,
}

/// The `SignedHeaders` list of a request: lowercase names in the client's order, kept as the
/// one `;`-joined string that also goes, verbatim, into the canonical request (no string
/// per name). Blank entries and whitespace around names are dropped when parsing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SignedHeaders(String);

impl SignedHeaders {
    /// Parses a client's list (`content-type;host;x-amz-date`): trims each name, lowercases
    /// it and drops empty ones.
    pub fn parse(s: &str) -> Self {
        // Fast path: already canonical (what SDKs send) is copied as is.
        let canonical = !s.is_empty()
            && !s.starts_with(';')
            && !s.ends_with(';')
            && !s.contains(";;")
            && s.bytes()
                .all(|b| !b.is_ascii_uppercase() && !b.is_ascii_whitespace());
        if canonical {
            return SignedHeaders(s.to_string());
        }
        let mut out = String::with_capacity(s.len());
        for name in s.split(';').map(str::trim).filter(|n| !n.is_empty()) {
            if !out.is_empty() {
                out.push(';');
            }
            out.extend(name.chars().map(|c| c.to_ascii_lowercase()));
        }
        SignedHeaders(out)
    }

    /// The names, in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        self.0.split(';').filter(|n| !n.is_empty())
    }

    /// Whether `name` (lowercase) is signed.
    pub fn contains(&self, name: &str) -> bool {
        self.iter().any(|n| n == name)
    }

    /// The names joined with `;`, as they appear in the canonical request.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<S: AsRef<str>> PartialEq<[S]> for SignedHeaders {
    fn eq(&self, other: &[S]) -> bool {
        self.iter().eq(other.iter().map(AsRef::as_ref))
    }
}

impl<S: AsRef<str>, const N: usize> PartialEq<[S; N]> for SignedHeaders {
    fn eq(&self, other: &[S; N]) -> bool {
        self == &other[..]
    }
}

/// How the request payload is covered by the signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PayloadMode {
    /// The payload hash is in the signature (declared in `x-amz-content-sha256` or computed).
    Plain,
    /// `UNSIGNED-PAYLOAD` (and S3 presigned URLs).
    Unsigned,
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD(-TRAILER)`: aws-chunked with chunk signatures.
    StreamingSigned,
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`: aws-chunked without signatures, with trailers.
    StreamingUnsignedTrailer,
}

/// A request whose signature checked out.
#[derive(Clone, PartialEq, Eq)]
pub struct Verified {
    /// The derived signing key (needed to verify aws-chunked chunk signatures).
    pub signing_key: [u8; 32],
    /// The request's own signature, which seeds the chunk-signature chain.
    pub seed_signature: String,
    pub payload: PayloadMode,
    /// `x-amz-decoded-content-length`, when sent and numeric; aws-chunked decoding must
    /// produce exactly this many bytes.
    pub decoded_content_length: Option<u64>,
}

impl std::fmt::Debug for Verified {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verified")
            .field("signing_key", &"<redacted>")
            .field("seed_signature", &self.seed_signature)
            .field("payload", &self.payload)
            .field("decoded_content_length", &self.decoded_content_length)
            .finish()
    }
}

/// Reads SigV4 credentials from the request. `Ok(None)` when the request carries no SigV4
/// auth at all (no `Authorization` header, no `X-Amz-Algorithm` query parameter); an error
/// when it carries some that is malformed (including any non-SigV4 `Authorization` scheme).
/// S3 requests, which may also use SigV2, go through [`parse_s3`] instead.
pub fn parse(req: &RequestView<'_>) -> Result<Option<ParsedAuth>, SigV4Error> {
    parse::parse(req)
}

/// Verifies signature and time. `now_secs` is wall-clock unix seconds (injected).
pub fn verify(
    req: &RequestView<'_>,
    auth: &ParsedAuth,
    secret_access_key: &str,
    now_secs: i64,
) -> Result<Verified, SigV4Error> {
    verify::verify_with(req, auth, now_secs, || {
        SigningKey::new(derive_signing_key(
            secret_access_key,
            &auth.date,
            &auth.region,
            &auth.service,
        ))
    })
}

/// [`verify`], taking the signing key from `cache` (deriving and caching it on a miss).
pub fn verify_cached(
    req: &RequestView<'_>,
    auth: &ParsedAuth,
    secret_access_key: &str,
    now_secs: i64,
    cache: &SigningKeyCache,
) -> Result<Verified, SigV4Error> {
    verify::verify_with(req, auth, now_secs, || {
        cache.get(secret_access_key, &auth.date, &auth.region, &auth.service)
    })
}

/// [`verify_cached`] for a request whose body has not been read yet (it streams in after
/// authentication): the signature and time are checked as usual, but a declared hex
/// `x-amz-content-sha256` is only covered by the signature here — the caller must compare
/// it with the SHA-256 of the body as it arrives and refuse with
/// [`SigV4Error::ContentSha256Mismatch`]. Only for requests that carry the header (or are
/// presigned S3 requests): without it the payload hash is computed from `req.body`.
pub fn verify_cached_deferred(
    req: &RequestView<'_>,
    auth: &ParsedAuth,
    secret_access_key: &str,
    now_secs: i64,
    cache: &SigningKeyCache,
) -> Result<Verified, SigV4Error> {
    verify::verify_body_with(
        req,
        auth,
        now_secs,
        || cache.get(secret_access_key, &auth.date, &auth.region, &auth.service),
        false,
    )
}

/// Decodes an aws-chunked body, verifying each chunk signature (and the trailer signature,
/// when trailers are sent) in [`PayloadMode::StreamingSigned`] mode. Returns the payload and
/// the trailing headers (lowercase names, e.g. `x-amz-checksum-crc32`). In every other mode
/// the framing is decoded without signature checks. Malformed framing, a bad signature, or a
/// length different from `x-amz-decoded-content-length` is an error.
pub fn decode_aws_chunked(
    body: &[u8],
    mode: PayloadMode,
    verified: &Verified,
    auth: &ParsedAuth,
) -> Result<(bytes::Bytes, Vec<(String, String)>), SigV4Error> {
    chunked::decode_verified(body, mode, verified, auth)
}

/// Decodes aws-chunked framing without any signature or length check (for requests that
/// were not verified, e.g. in permissive auth mode). Chunk signatures, if present, are
/// ignored.
pub fn decode_aws_chunked_unverified(
    body: &[u8],
) -> Result<(bytes::Bytes, Vec<(String, String)>), SigV4Error> {
    chunked::decode_unverified(body)
}
