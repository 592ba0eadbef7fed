//! AWS's access-denied messages: "User: ARN is not authorized to perform: ACTION on
//! resource: RESOURCE because no identity-based policy allows the ACTION action", and the
//! "with an explicit deny in ..." form. This module only words a decision; it does not
//! choose the error code or HTTP status, which differ per service and protocol
//! (`AccessDenied`, `AccessDeniedException`, `UnauthorizedOperation`...).
//!
//! Wording: <https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html>
//! ("When a policy explicitly denies access [...] AWS includes the phrase `with an explicit
//! deny in a type policy` [...] When the policy implicitly denies access, then AWS includes
//! the phrase `because no type policy allows the action action`"), and its examples for
//! each policy type; the resource part is absent for actions without a resource.

use crate::evaluate::PolicyType;

/// Renders the message. `explicit` selects "with an explicit deny in ..." over
/// "because no ... allows ...".
///
/// ```
/// use nimbus_iam_policy::{access_denied_message, PolicyType};
/// assert_eq!(
///     access_denied_message(
///         "arn:aws:iam::123456789012:user/JohnDoe",
///         "codecommit:ListRepositories",
///         None,
///         false,
///         PolicyType::IdentityBased,
///     ),
///     "User: arn:aws:iam::123456789012:user/JohnDoe is not authorized to perform: \
///      codecommit:ListRepositories because no identity-based policy allows the \
///      codecommit:ListRepositories action"
/// );
/// ```
pub fn access_denied_message(
    principal_arn: &str,
    action: &str,
    resource: Option<&str>,
    explicit: bool,
    policy_type: PolicyType,
) -> String {
    let mut m = format!("User: {principal_arn} is not authorized to perform: {action}");
    if let Some(r) = resource {
        m.push_str(" on resource: ");
        m.push_str(r);
    }
    if explicit {
        m.push_str(" with an explicit deny in ");
        m.push_str(match policy_type {
            PolicyType::IdentityBased => "an identity-based policy",
            PolicyType::ResourceBased => "a resource-based policy",
            PolicyType::RoleTrust => "the role trust policy",
            PolicyType::PermissionsBoundary => "a permissions boundary",
            PolicyType::SessionPolicy => "a session policy",
        });
    } else {
        m.push_str(" because no ");
        m.push_str(match policy_type {
            PolicyType::IdentityBased => "identity-based policy",
            PolicyType::ResourceBased => "resource-based policy",
            PolicyType::RoleTrust => "role trust policy",
            PolicyType::PermissionsBoundary => "permissions boundary",
            PolicyType::SessionPolicy => "session policy",
        });
        m.push_str(" allows the ");
        m.push_str(action);
        m.push_str(" action");
    }
    m
}
