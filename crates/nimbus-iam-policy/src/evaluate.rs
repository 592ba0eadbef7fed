//! The decision: given who asks for which action on which resource, and every policy that
//! applies, is it allowed — and which statement, or which missing statement, decided. This
//! module owns the combination of policy types; whether a single statement covers a
//! request is `document`'s, and the wording of the refusal is `message`'s.
//!
//! The logic follows <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html>
//! ("Determining whether a request is allowed or denied within an account"), without the
//! Organizations steps (no SCPs/RCPs in Nimbus):
//! 1. an applicable `Deny` in any identity-based, resource-based, boundary or session policy
//!    is final;
//! 2. the root user is allowed in its own account;
//! 3. within one account, a resource-based policy that grants the requesting user or
//!    session itself is enough, even with no identity-based allow, boundary or session
//!    policy allow; one that grants the role behind a session (or the IAM user behind a
//!    federated session) is still limited by the boundary and the session policies; one
//!    that grants the account only delegates to the identity-based policies
//!    (<https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html#access_policies_boundaries-eval-logic>);
//! 4. otherwise an identity-based allow is needed, then the permissions boundary (if any)
//!    must allow, then, for sessions, the session policies (if any) must allow — a
//!    federated-user session without a session policy has no permissions of its own;
//! 5. across accounts both sides must allow: the requester's identity-based side (with its
//!    boundary and session policies) and the resource's policy
//!    (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html>);
//! 6. role trust policies (and, later, KMS key policies) must allow explicitly even within
//!    one account.
//!
//! Service principals, identity providers and anonymous callers have no identity-based
//! policies: only a resource-based policy can let them in.

use crate::context::Context;
use crate::document::{Effect, Policy};
use crate::principal::{MatchLevel, Principal, PrincipalKind};

/// A policy with the name it is reported under (a managed policy ARN, `user/bob/inline`...).
#[derive(Debug, Clone, Copy)]
pub struct PolicyRef<'a> {
    pub id: &'a str,
    pub policy: &'a Policy,
}

/// What a resource's policy is, which changes both logic and wording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourcePolicyKind {
    /// A bucket policy, queue policy...: an allow is sufficient but not required within an
    /// account.
    Resource,
    /// A role's trust policy, for `sts:AssumeRole*`: its allow is always required.
    RoleTrust,
}

/// The resource-based policy attached to the requested resource.
#[derive(Debug, Clone, Copy)]
pub struct ResourcePolicy<'a> {
    pub id: &'a str,
    pub policy: &'a Policy,
    pub kind: ResourcePolicyKind,
}

/// Every policy that applies to one request.
#[derive(Debug, Clone, Default)]
pub struct Policies<'a> {
    /// The principal's identity-based policies: for a user its own and its groups'
    /// (managed and inline); for a role session the role's; for a federated user the
    /// federating user's.
    pub identity: Vec<PolicyRef<'a>>,
    /// The permissions boundary of the user or role, if set.
    pub permissions_boundary: Option<PolicyRef<'a>>,
    /// Session policies passed when the session was created; empty when none were.
    pub session: Vec<PolicyRef<'a>>,
    /// The requested resource's resource-based policy, if it has one.
    pub resource: Option<ResourcePolicy<'a>>,
}

/// One authorization question.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub principal: &'a Principal,
    /// `service:Action`, any case.
    pub action: &'a str,
    /// The resource ARN, or `"*"` for actions without resource-level permissions.
    pub resource: &'a str,
    /// The account owning the resource; `None` means the principal's own account.
    pub resource_account: Option<&'a str>,
    pub context: &'a Context,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    ExplicitDeny,
    ImplicitDeny,
}

/// The policy types a decision can be attributed to (the `type` of AWS's messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyType {
    IdentityBased,
    ResourceBased,
    RoleTrust,
    PermissionsBoundary,
    SessionPolicy,
}

/// The statement that decided: the policy's id, the statement's position (0-based) and Sid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementRef {
    pub policy_id: String,
    pub index: usize,
    pub sid: Option<String>,
}

/// The outcome of [`evaluate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    pub decision: Decision,
    /// For a deny, the policy type AWS names in its message (the one that denied, or the one
    /// that failed to allow); for an allow, the type that granted (`None` for the root
    /// user's implicit full access).
    pub policy_type: Option<PolicyType>,
    /// The deciding statement for an allow or an explicit deny; `None` for implicit denies.
    pub statement: Option<StatementRef>,
}

impl Evaluation {
    pub fn is_allowed(&self) -> bool {
        self.decision == Decision::Allow
    }

    /// AWS's access-denied message for this outcome, or `None` when allowed. `resource` is
    /// left out of the message when `None` (actions without resources).
    pub fn denial_message(
        &self,
        principal_arn: &str,
        action: &str,
        resource: Option<&str>,
    ) -> Option<String> {
        if self.is_allowed() {
            return None;
        }
        Some(crate::message::access_denied_message(
            principal_arn,
            action,
            resource,
            self.decision == Decision::ExplicitDeny,
            self.policy_type.unwrap_or(PolicyType::IdentityBased),
        ))
    }

    fn allow(policy_type: Option<PolicyType>, statement: Option<StatementRef>) -> Evaluation {
        Evaluation {
            decision: Decision::Allow,
            policy_type,
            statement,
        }
    }

    fn explicit(policy_type: PolicyType, statement: StatementRef) -> Evaluation {
        Evaluation {
            decision: Decision::ExplicitDeny,
            policy_type: Some(policy_type),
            statement: Some(statement),
        }
    }

    fn implicit(policy_type: PolicyType) -> Evaluation {
        Evaluation {
            decision: Decision::ImplicitDeny,
            policy_type: Some(policy_type),
            statement: None,
        }
    }
}

impl ResourcePolicyKind {
    fn policy_type(self) -> PolicyType {
        match self {
            ResourcePolicyKind::Resource => PolicyType::ResourceBased,
            ResourcePolicyKind::RoleTrust => PolicyType::RoleTrust,
        }
    }
}

/// Decides one request. See the module documentation for the rules.
pub fn evaluate(req: &Request<'_>, policies: &Policies<'_>) -> Evaluation {
    let action = req.action.to_ascii_lowercase();
    let scan = Scan {
        action: &action,
        req,
    };
    let p = req.principal;
    let is_entity = matches!(
        p.kind(),
        PrincipalKind::User { .. }
            | PrincipalKind::RoleSession { .. }
            | PrincipalKind::FederatedUser { .. }
    );
    // Root, services, providers and anonymous callers cannot have identity-based policies,
    // boundaries or session policies; anything passed for them is ignored.
    let identity: &[PolicyRef<'_>] = if is_entity { &policies.identity } else { &[] };
    let boundary = policies.permissions_boundary.filter(|_| is_entity);
    let session: &[PolicyRef<'_>] = if p.is_session() {
        &policies.session
    } else {
        &[]
    };
    let resource_type = policies
        .resource
        .map_or(PolicyType::ResourceBased, |r| r.kind.policy_type());

    // 1. Explicit deny anywhere is final.
    if let Some(s) = scan.first(identity, Effect::Deny) {
        return Evaluation::explicit(PolicyType::IdentityBased, s);
    }
    if let Some((_, s)) = policies
        .resource
        .and_then(|r| scan.resource(&r, Effect::Deny))
    {
        return Evaluation::explicit(resource_type, s);
    }
    if let Some(s) = boundary.and_then(|b| scan.first(&[b], Effect::Deny)) {
        return Evaluation::explicit(PolicyType::PermissionsBoundary, s);
    }
    if let Some(s) = scan.first(session, Effect::Deny) {
        return Evaluation::explicit(PolicyType::SessionPolicy, s);
    }

    // 2. Allows.
    let resource_allow = policies
        .resource
        .and_then(|r| scan.resource(&r, Effect::Allow));
    let same_account = req.resource_account.is_none_or(|a| a == p.account());
    let trust_required = policies
        .resource
        .is_some_and(|r| r.kind == ResourcePolicyKind::RoleTrust);

    if !is_entity {
        if matches!(p.kind(), PrincipalKind::Root) && same_account && !trust_required {
            return Evaluation::allow(None, None);
        }
        return match resource_allow {
            Some((_, s)) => Evaluation::allow(Some(resource_type), Some(s)),
            None => Evaluation::implicit(resource_type),
        };
    }

    if trust_required && resource_allow.is_none() {
        return Evaluation::implicit(PolicyType::RoleTrust);
    }
    let limits = scan.limits(boundary, session, p);
    let identity_side = || match scan.first(identity, Effect::Allow) {
        None => Err(PolicyType::IdentityBased),
        Some(s) => limits.map(|()| s),
    };
    if same_account {
        match resource_allow {
            Some((MatchLevel::Direct, s)) => Evaluation::allow(Some(resource_type), Some(s)),
            Some((MatchLevel::Entity, s)) => match limits {
                Ok(()) => Evaluation::allow(Some(resource_type), Some(s)),
                Err(t) => Evaluation::implicit(t),
            },
            Some((MatchLevel::Account, _)) | None => match identity_side() {
                Ok(s) => Evaluation::allow(Some(PolicyType::IdentityBased), Some(s)),
                Err(t) => Evaluation::implicit(t),
            },
        }
    } else {
        match (identity_side(), resource_allow) {
            (Err(t), _) => Evaluation::implicit(t),
            (Ok(_), None) => Evaluation::implicit(resource_type),
            (Ok(s), Some(_)) => Evaluation::allow(Some(PolicyType::IdentityBased), Some(s)),
        }
    }
}

/// Decides a request that touches several resources (`ec2:RunInstances` checks the
/// instance, image, subnet, security groups...): allowed only when every part is. The
/// first explicit deny wins over any implicit deny; otherwise the first implicit deny is
/// reported. An empty list is an implicit deny.
pub fn evaluate_all<'a, I>(parts: I) -> Evaluation
where
    I: IntoIterator<Item = (Request<'a>, Policies<'a>)>,
{
    let mut first_implicit = None;
    let mut last_allow = None;
    for (req, policies) in parts {
        let e = evaluate(&req, &policies);
        match e.decision {
            Decision::ExplicitDeny => return e,
            Decision::ImplicitDeny => {
                first_implicit.get_or_insert(e);
            }
            Decision::Allow => last_allow = Some(e),
        }
    }
    first_implicit.or(last_allow).unwrap_or(Evaluation {
        decision: Decision::ImplicitDeny,
        policy_type: None,
        statement: None,
    })
}

/// Statement scanning for one request.
struct Scan<'r> {
    action: &'r str,
    req: &'r Request<'r>,
}

impl Scan<'_> {
    /// The first statement with `effect` covering the request, in policy order.
    fn first(&self, policies: &[PolicyRef<'_>], effect: Effect) -> Option<StatementRef> {
        policies.iter().find_map(|p| {
            p.policy
                .statements
                .iter()
                .enumerate()
                .find(|(_, s)| {
                    s.effect == effect && s.covers(self.action, self.req.resource, self.req.context)
                })
                .map(|(i, s)| statement_ref(p.id, i, s.sid.as_deref()))
        })
    }

    /// For a resource-based policy: the strongest principal match among covering
    /// statements with `effect` (the first such statement for ties).
    fn resource(
        &self,
        rp: &ResourcePolicy<'_>,
        effect: Effect,
    ) -> Option<(MatchLevel, StatementRef)> {
        let mut best: Option<(MatchLevel, StatementRef)> = None;
        for (i, s) in rp.policy.statements.iter().enumerate() {
            if s.effect != effect {
                continue;
            }
            let Some(level) = s.principal_match(self.req.principal) else {
                continue;
            };
            if best.as_ref().is_some_and(|(b, _)| *b >= level) {
                continue;
            }
            if s.covers(self.action, self.req.resource, self.req.context) {
                best = Some((level, statement_ref(rp.id, i, s.sid.as_deref())));
                if level == MatchLevel::Direct || effect == Effect::Deny {
                    break;
                }
            }
        }
        best
    }

    /// The limits on identity-based permissions: the boundary, then session policies.
    fn limits(
        &self,
        boundary: Option<PolicyRef<'_>>,
        session: &[PolicyRef<'_>],
        p: &Principal,
    ) -> Result<(), PolicyType> {
        if let Some(b) = boundary {
            if self.first(&[b], Effect::Allow).is_none() {
                return Err(PolicyType::PermissionsBoundary);
            }
        }
        if p.is_session() {
            if !session.is_empty() {
                if self.first(session, Effect::Allow).is_none() {
                    return Err(PolicyType::SessionPolicy);
                }
            } else if matches!(p.kind(), PrincipalKind::FederatedUser { .. }) {
                // "If there is no session policy, the code checks whether the principal is
                // a role session. [...] Otherwise, the request is implicitly denied."
                return Err(PolicyType::SessionPolicy);
            }
        }
        Ok(())
    }
}

fn statement_ref(policy_id: &str, index: usize, sid: Option<&str>) -> StatementRef {
    StatementRef {
        policy_id: policy_id.to_owned(),
        index,
        sid: sid.map(str::to_owned),
    }
}
