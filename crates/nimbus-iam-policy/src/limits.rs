//! The documented size quotas of policy documents, and how IAM counts them: characters,
//! not bytes, and white space does not count. This module only measures; whether a
//! document is over its quota, and the error that says so (`LimitExceeded`, not
//! `MalformedPolicyDocument`), is the IAM service's decision — the message helpers here
//! give it AWS's wording.
//!
//! Quotas: <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-entity-length>
//! ("IAM doesn't count white space when calculating the size of a policy").

/// A customer managed policy document (each version).
pub const MANAGED_POLICY_MAX_CHARS: usize = 6_144;
/// All inline policies of one user together.
pub const USER_INLINE_POLICIES_MAX_CHARS: usize = 2_048;
/// All inline policies of one role together.
pub const ROLE_INLINE_POLICIES_MAX_CHARS: usize = 10_240;
/// All inline policies of one group together.
pub const GROUP_INLINE_POLICIES_MAX_CHARS: usize = 5_120;
/// A role trust policy, by default (the quota can be raised to 4,096).
pub const ROLE_TRUST_POLICY_MAX_CHARS: usize = 2_048;
/// The raised maximum of the role trust policy quota.
pub const ROLE_TRUST_POLICY_MAX_CHARS_RAISED: usize = 4_096;
/// An inline session policy passed to `AssumeRole*`/`GetFederationToken`.
pub const SESSION_POLICY_MAX_CHARS: usize = 2_048;

/// The size IAM charges a document against its quota: its characters, white space not
/// counted.
pub fn policy_size(document: &str) -> usize {
    document.chars().filter(|c| !c.is_whitespace()).count()
}

/// AWS's `LimitExceeded` message for a managed policy over [`MANAGED_POLICY_MAX_CHARS`].
pub fn managed_policy_too_large_message() -> String {
    format!("Cannot exceed quota for PolicySize: {MANAGED_POLICY_MAX_CHARS}")
}

/// AWS's `LimitExceeded` message for inline policies over an entity's aggregate quota;
/// `entity` is `"user"`, `"role"` or `"group"`.
pub fn inline_policies_too_large_message(entity: &str, name: &str, limit: usize) -> String {
    format!("Maximum policy size of {limit} bytes exceeded for {entity} {name}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn white_space_is_not_counted() {
        let compact = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#;
        let pretty = "{\n  \"Version\": \"2012-10-17\",\n\t\"Statement\": {\"Effect\": \"Allow\", \"Action\": \"s3:*\", \"Resource\": \"*\"}\r\n}";
        assert_eq!(policy_size(compact), compact.len());
        assert_eq!(policy_size(pretty), policy_size(compact));
    }

    #[test]
    fn characters_not_bytes() {
        assert_eq!(policy_size("\"é\""), 3);
    }

    #[test]
    fn messages() {
        assert_eq!(
            managed_policy_too_large_message(),
            "Cannot exceed quota for PolicySize: 6144"
        );
        assert_eq!(
            inline_policies_too_large_message("user", "bob", USER_INLINE_POLICIES_MAX_CHARS),
            "Maximum policy size of 2048 bytes exceeded for user bob"
        );
    }
}
