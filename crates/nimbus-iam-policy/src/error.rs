//! The one error type of policy parsing and validation, [`PolicyError`]. Each variant's
//! `Display` is the message AWS puts in its `MalformedPolicyDocument` error, so the IAM
//! service can render it unchanged. This module does not decide *when* an error is raised
//! (that is `parse`), nor render access-denied messages (that is `message`).
//!
//! The wording comes from what IAM actually answers (the messages users quote when their
//! `CreatePolicy` / `PutRolePolicy` / `CreateRole` calls fail); the grammar they enforce is
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html>.

use thiserror::Error;

/// Why a policy document was rejected. `to_string()` is AWS's message.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PolicyError {
    /// Not JSON, not an object, an unknown or duplicated element, a value of the wrong JSON
    /// type, a missing or unknown `Effect`, both `Action` and `NotAction`, an unknown
    /// condition operator, a bad `Version` value, or characters outside the allowed range.
    /// IAM answers all of these with the same terse message.
    #[error("Syntax errors in policy.")]
    Syntax,
    /// The document parsed as JSON but an old-grammar check failed: an `Effect` in the wrong
    /// case (`"allow"`), or a `Date*` condition value that is neither ISO 8601 nor epoch time.
    #[error("The policy failed legacy parsing")]
    LegacyParsing,
    /// Managed policies (and so permissions boundaries) must say `"Version": "2012-10-17"`.
    #[error("Policy document must be version 2012-10-17 or greater.")]
    VersionTooOld,
    /// An identity-based policy (managed, inline, boundary, session) named a principal.
    #[error("Policy document should not specify a principal.")]
    PrincipalNotAllowed,
    /// A role trust policy named a field it may not have (`Resource`, `NotResource`,
    /// `NotPrincipal`).
    #[error("Has prohibited field {0}")]
    ProhibitedField(&'static str),
    /// A resource-based policy statement without `Principal`/`NotPrincipal`.
    #[error("Missing required field Principal")]
    MissingPrincipal,
    /// A role trust policy statement without a principal; IAM leaks its internal exception
    /// text here, and clients match on it, so it is kept verbatim.
    #[error("Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: The passed in policy has a statement with no principals!")]
    TrustPolicyWithoutPrincipal,
    /// A principal value that is not `*`, an account ID, a principal ARN or a unique ID;
    /// the payload is `"Type":"value"` as IAM prints it.
    #[error("Invalid principal in policy: {0}")]
    InvalidPrincipal(String),
    #[error("Statement IDs (SID) in a single policy must be unique.")]
    DuplicateSid,
    #[error("Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*")]
    SidNotAlphanumeric,
    #[error("Policy statement must contain actions.")]
    MissingActions,
    #[error("Policy statement must contain resources.")]
    MissingResources,
    /// The payload is the offending `Resource` value.
    #[error("Resource {0} must be in ARN format or \"*\".")]
    ResourceNotArn(String),
    /// `(partition, normalised resource)`: IAM prints the ARN with absent segments as `*`.
    #[error("Partition \"{0}\" is not valid for resource \"{1}\".")]
    InvalidPartition(String, String),
    /// The service segment of a resource ARN is empty or has a wildcard.
    #[error("Resource vendor must be fully qualified and cannot contain regexes.")]
    ResourceVendorNotQualified,
    #[error("IAM resource {0} cannot contain region information.")]
    IamResourceWithRegion(String),
    #[error("Resource {0} can not contain region information.")]
    S3ResourceWithRegion(String),
    #[error("IAM resource path must either be \"*\" or start with user/, federated-user/, role/, group/, instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, oidc-provider/, report/, access-report/.")]
    IamResourcePath,
    #[error("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.")]
    ActionWithoutVendor,
    #[error("Actions/Condition can contain only one colon.")]
    ActionTooManyColons,
    /// The payload is the service prefix as written.
    #[error("Vendor {0} is not valid")]
    InvalidVendor(String),
}

impl PolicyError {
    /// The AWS error code IAM (and STS, for session policies) answers with.
    pub fn code(&self) -> &'static str {
        "MalformedPolicyDocument"
    }

    /// HTTP status of that error: always a client fault.
    pub fn http_status(&self) -> u16 {
        400
    }
}
