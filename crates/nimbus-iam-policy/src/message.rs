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
//!
//! [`authorization_failure_json`] is the document behind EC2's "Encoded authorization
//! failure message" (what `sts:DecodeAuthorizationMessage` returns): whether the request
//! was refused by an explicit deny, the deciding statement, the principal, the action, the
//! resource and the request's condition keys, in the shape AWS's decoded messages have
//! (`{"allowed":false,"explicitDeny":...,"matchedStatements":{"items":[...]},
//! "failures":{"items":[]},"context":{"principal":{"id","name","arn"},"action","resource",
//! "conditions":{"items":[{"key","values":{"items":[{"value"}]}}]}}}`). Sealing it is the
//! caller's business.

use crate::context::Context;
use crate::evaluate::{Decision, Evaluation, PolicyType};

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

/// Who asked what, for [`authorization_failure_json`].
#[derive(Debug, Clone, Copy)]
pub struct FailedRequest<'a> {
    /// The caller's unique id (`AIDA...`, `AROA...:session`, the account for a root).
    pub principal_id: &'a str,
    pub principal_arn: &'a str,
    pub action: &'a str,
    /// `*` for actions without resource-level permissions.
    pub resource: &'a str,
    pub context: &'a Context,
}

/// The decoded form of an authorization failure message for `e`, a refusal of `request`.
/// Condition keys are listed sorted, with the lower-case names the context keeps.
pub fn authorization_failure_json(request: &FailedRequest<'_>, e: &Evaluation) -> String {
    use serde_json::{json, Value};
    let explicit = e.decision == Decision::ExplicitDeny;
    let matched: Vec<Value> = e
        .statement
        .iter()
        .filter(|_| explicit)
        .map(|s| {
            json!({
                "statementId": s.sid.clone().unwrap_or_default(),
                "effect": "DENY",
                "policyId": s.policy_id,
            })
        })
        .collect();
    let mut keys: Vec<(&str, &[String])> = request.context.iter().collect();
    keys.sort_unstable_by(|a, b| a.0.cmp(b.0));
    let conditions: Vec<Value> = keys
        .into_iter()
        .map(|(k, vs)| {
            let values: Vec<Value> = vs.iter().map(|v| json!({ "value": v })).collect();
            json!({ "key": k, "values": { "items": values } })
        })
        .collect();
    let name = request
        .principal_arn
        .rsplit(['/', ':'])
        .next()
        .unwrap_or_default();
    json!({
        "allowed": false,
        "explicitDeny": explicit,
        "matchedStatements": { "items": matched },
        "failures": { "items": [] },
        "context": {
            "principal": {
                "id": request.principal_id,
                "name": name,
                "arn": request.principal_arn,
            },
            "action": request.action,
            "resource": request.resource,
            "conditions": { "items": conditions },
        },
    })
    .to_string()
}

#[cfg(test)]
mod failure_tests {
    use super::*;
    use crate::evaluate::StatementRef;

    #[test]
    fn the_decoded_message_has_awss_shape() {
        let mut context = Context::new();
        context.set("aws:RequestedRegion", "eu-west-1");
        context.set_multi("aws:TagKeys", ["a", "b"]);
        let request = FailedRequest {
            principal_id: "AIDAEXAMPLE",
            principal_arn: "arn:aws:iam::123456789012:user/team/bob",
            action: "ec2:RunInstances",
            resource: "arn:aws:ec2:eu-west-1:123456789012:instance/*",
            context: &context,
        };
        let deny = Evaluation {
            decision: Decision::ExplicitDeny,
            policy_type: Some(PolicyType::IdentityBased),
            statement: Some(StatementRef {
                policy_id: "p".into(),
                index: 0,
                sid: Some("NoRun".into()),
            }),
        };
        let v: serde_json::Value =
            serde_json::from_str(&authorization_failure_json(&request, &deny)).unwrap();
        assert_eq!(v["allowed"], false);
        assert_eq!(v["explicitDeny"], true);
        assert_eq!(v["matchedStatements"]["items"][0]["statementId"], "NoRun");
        assert_eq!(v["failures"]["items"], serde_json::json!([]));
        let ctx = &v["context"];
        assert_eq!(ctx["principal"]["name"], "bob");
        assert_eq!(ctx["principal"]["id"], "AIDAEXAMPLE");
        assert_eq!(ctx["action"], "ec2:RunInstances");
        let items = ctx["conditions"]["items"].as_array().unwrap();
        assert_eq!(items[0]["key"], "aws:requestedregion");
        assert_eq!(items[1]["key"], "aws:tagkeys");
        assert_eq!(items[1]["values"]["items"][1]["value"], "b");
        let implicit = Evaluation {
            decision: Decision::ImplicitDeny,
            policy_type: Some(PolicyType::IdentityBased),
            statement: None,
        };
        let v: serde_json::Value =
            serde_json::from_str(&authorization_failure_json(&request, &implicit)).unwrap();
        assert_eq!(v["explicitDeny"], false);
        assert_eq!(v["matchedStatements"]["items"], serde_json::json!([]));
    }
}
