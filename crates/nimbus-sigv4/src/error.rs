//! [`SigV4Error`]: every way a SigV4- (or S3 SigV2-) authenticated request can be refused, with the AWS error
//! code, HTTP status and message AWS itself uses. This module owns the wire identity of
//! signature failures only; choosing a different code per service family (S3 says
//! `RequestTimeTooSkewed`, EC2 `RequestExpired`, query services `SignatureDoesNotMatch`) is the
//! gateway's job, which is why the skew variant carries both times instead of a fixed text.

use thiserror::Error;

/// The message AWS returns with `SignatureDoesNotMatch`.
pub const SIGNATURE_MISMATCH_MESSAGE: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

/// Why a request's SigV4 authentication was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SigV4Error {
    /// The `Authorization` header is malformed or lacks a component (also: unsupported
    /// algorithm, malformed credential scope, missing date).
    #[error("{message}")]
    IncompleteSignature { message: String },

    /// Presigned-URL query parameters are missing or invalid (S3's
    /// `AuthorizationQueryParametersError`).
    #[error("{message}")]
    AuthorizationQueryParametersError { message: String },

    /// S3's `AccessDenied` for malformed SigV2 credentials (incomplete query-string
    /// authentication, a non-numeric `Expires`, no usable `Date`).
    #[error("{message}")]
    AccessDenied { message: String },

    /// S3's `InvalidArgument` for a malformed SigV2 `Authorization: AWS ..` header.
    #[error("{message}")]
    InvalidArgument { message: String },

    /// The request carries both an `Authorization` header and `X-Amz-Algorithm` query auth.
    #[error("Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified")]
    MultipleAuthMechanisms,

    /// The computed signature differs from the one provided. The canonical request and the
    /// string to sign are kept so the gateway can include them (AWS does, for query services).
    #[error("{}", SIGNATURE_MISMATCH_MESSAGE)]
    SignatureDoesNotMatch {
        canonical_request: String,
        string_to_sign: String,
    },

    /// The date in the credential scope is not the date of `X-Amz-Date`.
    #[error("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{scope_date}' != '{request_date}', from '{amz_date}'.")]
    ScopeDateMismatch {
        scope_date: String,
        request_date: String,
        amz_date: String,
    },

    /// `X-Amz-Date` (or `Date`) could not be parsed.
    #[error("Date must be in ISO-8601 'basic format'. Got '{value}'. See http://en.wikipedia.org/wiki/ISO_8601")]
    InvalidDate { value: String },

    /// The request time is more than 15 minutes away from the server time (header auth).
    /// Times are unix seconds; `amz_date`/`server_date` are the `YYYYMMDDTHHMMSSZ` renderings.
    /// The message follows AWS's query-service wording, which differs for a request dated in
    /// the past ("Signature expired") and in the future ("Signature not yet current").
    #[error("{}", skew_message(*request_secs, *server_secs, amz_date, server_date))]
    RequestTimeTooSkewed {
        request_secs: i64,
        server_secs: i64,
        amz_date: String,
        server_date: String,
    },

    /// A presigned URL used after `X-Amz-Date + X-Amz-Expires`.
    #[error("Request has expired")]
    PresignedExpired {
        expires_at_secs: i64,
        server_secs: i64,
    },

    /// A presigned URL used more than 15 minutes before its `X-Amz-Date`.
    #[error("Request is not valid yet")]
    PresignedNotYetValid {
        valid_from_secs: i64,
        server_secs: i64,
    },

    /// `x-amz-content-sha256` is a hash that does not match the body.
    #[error("The provided 'x-amz-content-sha256' header does not match what was computed.")]
    ContentSha256Mismatch { client: String, computed: String },

    /// `x-amz-content-sha256` is neither a known literal nor a SHA-256 hex digest.
    #[error("x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value.")]
    InvalidContentSha256 { value: String },

    /// The `aws-chunked` body is not well formed.
    #[error("Malformed aws-chunked body: {reason}")]
    MalformedChunkedBody { reason: String },

    /// The decoded `aws-chunked` length differs from `x-amz-decoded-content-length`.
    #[error("You did not provide the number of bytes specified by the x-amz-decoded-content-length HTTP header (expected {expected}, got {actual})")]
    DecodedLengthMismatch { expected: u64, actual: u64 },

    /// A chunk (or trailer) signature in a signed `aws-chunked` body is wrong.
    #[error("{}", SIGNATURE_MISMATCH_MESSAGE)]
    ChunkSignatureDoesNotMatch {
        chunk_index: usize,
        string_to_sign: String,
    },
}

impl SigV4Error {
    /// The AWS error code.
    pub fn code(&self) -> &'static str {
        match self {
            SigV4Error::IncompleteSignature { .. } | SigV4Error::InvalidDate { .. } => {
                "IncompleteSignature"
            }
            SigV4Error::AuthorizationQueryParametersError { .. } => {
                "AuthorizationQueryParametersError"
            }
            SigV4Error::MultipleAuthMechanisms
            | SigV4Error::InvalidContentSha256 { .. }
            | SigV4Error::InvalidArgument { .. } => "InvalidArgument",
            SigV4Error::SignatureDoesNotMatch { .. }
            | SigV4Error::ScopeDateMismatch { .. }
            | SigV4Error::ChunkSignatureDoesNotMatch { .. } => "SignatureDoesNotMatch",
            SigV4Error::RequestTimeTooSkewed { .. } => "RequestTimeTooSkewed",
            SigV4Error::PresignedExpired { .. }
            | SigV4Error::PresignedNotYetValid { .. }
            | SigV4Error::AccessDenied { .. } => "AccessDenied",
            SigV4Error::ContentSha256Mismatch { .. } => "XAmzContentSHA256Mismatch",
            SigV4Error::MalformedChunkedBody { .. } => "InvalidRequest",
            SigV4Error::DecodedLengthMismatch { .. } => "IncompleteBody",
        }
    }

    /// The HTTP status AWS answers with.
    pub fn status(&self) -> u16 {
        match self {
            SigV4Error::IncompleteSignature { .. }
            | SigV4Error::InvalidDate { .. }
            | SigV4Error::AuthorizationQueryParametersError { .. }
            | SigV4Error::MultipleAuthMechanisms
            | SigV4Error::InvalidArgument { .. }
            | SigV4Error::InvalidContentSha256 { .. }
            | SigV4Error::ContentSha256Mismatch { .. }
            | SigV4Error::MalformedChunkedBody { .. }
            | SigV4Error::DecodedLengthMismatch { .. } => 400,
            SigV4Error::SignatureDoesNotMatch { .. }
            | SigV4Error::ScopeDateMismatch { .. }
            | SigV4Error::ChunkSignatureDoesNotMatch { .. }
            | SigV4Error::RequestTimeTooSkewed { .. }
            | SigV4Error::PresignedExpired { .. }
            | SigV4Error::PresignedNotYetValid { .. }
            | SigV4Error::AccessDenied { .. } => 403,
        }
    }

    /// True for the clock-skew error (the gateway picks a per-service code for it).
    pub fn is_time_skew(&self) -> bool {
        matches!(self, SigV4Error::RequestTimeTooSkewed { .. })
    }

    /// S3's wording for clock skew ("The difference between the request time and the current
    /// time is too large."), for gateways that render S3 errors.
    pub fn s3_message(&self) -> String {
        if self.is_time_skew() {
            "The difference between the request time and the current time is too large.".to_string()
        } else {
            self.to_string()
        }
    }

    pub(crate) fn incomplete(message: impl Into<String>) -> Self {
        SigV4Error::IncompleteSignature {
            message: message.into(),
        }
    }

    pub(crate) fn query_params(message: impl Into<String>) -> Self {
        SigV4Error::AuthorizationQueryParametersError {
            message: message.into(),
        }
    }

    pub(crate) fn access_denied(message: impl Into<String>) -> Self {
        SigV4Error::AccessDenied {
            message: message.into(),
        }
    }

    pub(crate) fn invalid_argument(message: impl Into<String>) -> Self {
        SigV4Error::InvalidArgument {
            message: message.into(),
        }
    }

    pub(crate) fn chunked(reason: impl Into<String>) -> Self {
        SigV4Error::MalformedChunkedBody {
            reason: reason.into(),
        }
    }
}

fn skew_message(request_secs: i64, server_secs: i64, amz_date: &str, server_date: &str) -> String {
    if request_secs < server_secs {
        let earliest =
            crate::time::format_amz_date(server_secs.saturating_sub(crate::MAX_SKEW_SECS));
        format!("Signature expired: {amz_date} is now earlier than {earliest} ({server_date} - 15 min.)")
    } else {
        let latest = crate::time::format_amz_date(server_secs.saturating_add(crate::MAX_SKEW_SECS));
        format!("Signature not yet current: {amz_date} is still later than {latest} ({server_date} + 15 min.)")
    }
}
