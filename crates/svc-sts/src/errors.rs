//! [`StsError`]: every way an STS call of this crate fails, each variant knowing its AWS
//! error code, HTTP status and fault side, so handlers name a condition and never spell a
//! code. The wording of each message is chosen where the error is raised (`validate`,
//! `assume_role`, `session_token`, `access_key_info`); the fixed phrases AWS uses are the
//! constructors below. Codes and statuses: the STS model's error shapes
//! (`generated::errors`) and the common errors of
//! <https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html>.

use nimbus_core::AwsError;

/// Why an STS call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StsError {
    /// Model constraints failed; each entry is one `Value '...' at '...' failed to satisfy
    /// constraint: ...` phrase. AWS names them all in one answer.
    #[error("{}", validation_summary(.0))]
    Validation(Vec<String>),
    /// A `ValidationError` with a message of its own (duration rules of `AssumeRole`).
    #[error("{0}")]
    ValidationMessage(String),
    /// `AccessDenied`, 403: root assuming a role, an unknown role, MFA that cannot be
    /// validated, `GetSessionToken` with session credentials.
    #[error("{0}")]
    AccessDenied(String),
    /// The inline session policy is not a valid policy (the policy library's wording).
    #[error("{0}")]
    MalformedPolicy(String),
    /// Session policies and tags do not fit in a session token.
    #[error("{0}")]
    PackedPolicyTooLarge(String),
    /// A parameter value that passes the model but not STS's rules (session tags).
    #[error("{0}")]
    InvalidParameterValue(String),
    /// `DecodeAuthorizationMessage` was given something Nimbus did not seal for the
    /// caller's account (edited, cut, another account's or another Nimbus's).
    #[error("{0}")]
    InvalidAuthorizationMessage(String),
    /// `AssumeRoleWithWebIdentity`: the token is not one STS accepts (malformed, wrong
    /// algorithm, bad signature, unknown issuer, wrong audience).
    #[error("{0}")]
    InvalidIdentityToken(String),
    /// `AssumeRoleWithWebIdentity`: the token's `exp` has passed (Nimbus time).
    #[error("{0}")]
    ExpiredIdentityToken(String),
    /// `AssumeRoleWithWebIdentity`: the provider's keys could not be fetched.
    #[error("{0}")]
    IdpCommunication(String),
    /// The durable store refused the session; nothing was issued.
    #[error("STS state could not be stored: {0}")]
    Store(String),
}

fn validation_summary(details: &[String]) -> String {
    let n = details.len();
    let s = if n == 1 { "" } else { "s" };
    format!("{n} validation error{s} detected: {}", details.join("; "))
}

impl StsError {
    /// The AWS error code.
    pub fn code(&self) -> &'static str {
        match self {
            StsError::Validation(_) | StsError::ValidationMessage(_) => "ValidationError",
            StsError::AccessDenied(_) => "AccessDenied",
            StsError::MalformedPolicy(_) => "MalformedPolicyDocument",
            StsError::PackedPolicyTooLarge(_) => "PackedPolicyTooLarge",
            StsError::InvalidParameterValue(_) => "InvalidParameterValue",
            StsError::InvalidAuthorizationMessage(_) => "InvalidAuthorizationMessageException",
            StsError::InvalidIdentityToken(_) => "InvalidIdentityToken",
            StsError::ExpiredIdentityToken(_) => "ExpiredTokenException",
            StsError::IdpCommunication(_) => "IDPCommunicationError",
            StsError::Store(_) => "InternalFailure",
        }
    }

    /// The HTTP status; 5xx means the fault is Nimbus's, not the caller's.
    pub fn status(&self) -> u16 {
        match self {
            StsError::AccessDenied(_) => 403,
            StsError::Store(_) => 500,
            _ => 400,
        }
    }

    /// `AccessDenied` with IAM's "not authorized" wording for `sts:AssumeRole`. AWS gives
    /// the same answer whether the role does not exist or its trust policy does not name
    /// the caller, so an unknown role reveals nothing.
    pub fn not_authorized_to_assume(caller_arn: &str, role_arn: &str) -> Self {
        StsError::AccessDenied(format!(
            "User: {caller_arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn}"
        ))
    }

    /// The account root may not assume roles (it must use an IAM user or role).
    pub fn root_cannot_assume() -> Self {
        StsError::AccessDenied("Roles may not be assumed by root accounts.".into())
    }

    /// An MFA serial number that names no device enabled for the caller (or a serial
    /// number without a code, or a code without one).
    pub fn mfa_not_validated() -> Self {
        StsError::AccessDenied(
            "MultiFactorAuthentication failed, unable to validate MFA code.  Please verify \
             your MFA serial number is valid and associated with this user."
                .into(),
        )
    }

    /// The caller's device, but not its current code (wrong, too old, or already used).
    /// AWS's message ends with a space.
    pub fn mfa_invalid_code() -> Self {
        StsError::AccessDenied(
            "MultiFactorAuthentication failed with invalid MFA one time pass code. ".into(),
        )
    }

    /// `GetSessionToken` must be called with long-term credentials.
    pub fn session_token_with_session() -> Self {
        StsError::AccessDenied("Cannot call GetSessionToken with session credentials".into())
    }

    /// `DurationSeconds` above the role's `MaxSessionDuration`.
    pub fn exceeds_max_session() -> Self {
        StsError::ValidationMessage(
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
                .into(),
        )
    }

    /// `DurationSeconds` above one hour when a role session assumes a role
    /// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles.html#iam-term-role-chaining>).
    pub fn exceeds_chaining_limit() -> Self {
        StsError::ValidationMessage(
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed \
             by role chaining."
                .into(),
        )
    }
}

impl From<StsError> for AwsError {
    fn from(e: StsError) -> Self {
        AwsError::new(e.code(), e.status(), e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_identity() {
        let e: AwsError = StsError::Validation(vec!["a".into(), "b".into()]).into();
        assert_eq!(e.code, "ValidationError");
        assert_eq!(e.status, 400);
        assert!(e.sender_fault);
        assert_eq!(e.message, "2 validation errors detected: a; b");

        let e: AwsError = StsError::root_cannot_assume().into();
        assert_eq!((e.code.as_ref(), e.status), ("AccessDenied", 403));
        assert_eq!(e.message, "Roles may not be assumed by root accounts.");

        let e: AwsError = StsError::Store("disk full".into()).into();
        assert_eq!((e.code.as_ref(), e.status), ("InternalFailure", 500));
        assert!(!e.sender_fault);
    }

    #[test]
    fn unknown_role_wording() {
        assert_eq!(
            StsError::not_authorized_to_assume(
                "arn:aws:iam::123456789012:user/bob",
                "arn:aws:iam::123456789012:role/nope"
            )
            .to_string(),
            "User: arn:aws:iam::123456789012:user/bob is not authorized to perform: \
             sts:AssumeRole on resource: arn:aws:iam::123456789012:role/nope"
        );
    }
}
