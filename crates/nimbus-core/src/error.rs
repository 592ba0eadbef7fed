//! [`AwsError`]: the one error type a service handler returns. It carries everything the
//! protocol layer needs to render AWS's own error shape (code, HTTP status, sender/receiver
//! fault, message, and extra fields such as S3's `BucketName`). Services never render errors.

use std::borrow::Cow;
use std::fmt;

/// An error with its AWS wire identity.
#[derive(Clone, Debug, PartialEq)]
pub struct AwsError {
    /// AWS error code, e.g. `InvalidGroup.NotFound`.
    pub code: Cow<'static, str>,
    /// Human readable message.
    pub message: String,
    /// HTTP status code.
    pub status: u16,
    /// `true` when the caller is at fault (`Sender`), `false` for `Receiver`.
    pub sender_fault: bool,
    /// Extra top-level fields of the error body (S3 puts `BucketName`, `Key`, ... there).
    pub extra: Vec<(&'static str, String)>,
}

impl AwsError {
    pub fn new(
        code: impl Into<Cow<'static, str>>,
        status: u16,
        message: impl Into<String>,
    ) -> Self {
        AwsError {
            code: code.into(),
            message: message.into(),
            status,
            sender_fault: status < 500,
            extra: Vec::new(),
        }
    }

    /// A 400 client error with the given code.
    pub fn client(code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        Self::new(code, 400, message)
    }

    /// An internal failure (500, receiver fault).
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new("InternalFailure", 500, message)
    }

    /// The answer for an operation that exists in AWS's model but that Nimbus does not
    /// implement yet: HTTP 501, code `NotImplemented`, naming service and operation.
    pub fn not_implemented(service: &str, operation: &str) -> Self {
        Self::new(
            "NotImplemented",
            501,
            format!("Nimbus does not implement {service}:{operation} yet"),
        )
    }

    pub fn with_extra(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.extra.push((name, value.into()));
        self
    }
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.code, self.status, self.message)
    }
}

impl std::error::Error for AwsError {}
