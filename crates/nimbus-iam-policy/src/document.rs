//! The parsed form of a policy document — [`Policy`], [`Statement`] and their elements —
//! and how one statement matches one request (action, resource, condition, principal).
//! Building these from JSON, with IAM's validation, is `parse`'s job; combining statement
//! results into a decision is `evaluate`'s.
//!
//! Elements: <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements.html>.

use crate::condition::ConditionBlock;
use crate::context::Context;
use crate::matching::{ActionPattern, ArnPattern};
use crate::principal::{MatchLevel, Principal, PrincipalSet};

/// Where a document is used; decides which elements it must and must not have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyKind {
    /// A customer managed policy (also what a permissions boundary is): must be
    /// `"Version": "2012-10-17"`, no principal.
    Managed,
    /// An inline user, group or role policy: no principal.
    Inline,
    /// A session policy passed to `AssumeRole*`/`GetFederationToken`: no principal.
    Session,
    /// A resource-based policy (bucket, queue, topic...): `Principal` or `NotPrincipal`
    /// required.
    Resource,
    /// A role trust policy: `Principal` required; `NotPrincipal`, `Resource` and
    /// `NotResource` prohibited.
    RoleTrust,
}

impl PolicyKind {
    /// Identity-based documents, which must not name a principal.
    pub fn is_identity(self) -> bool {
        matches!(
            self,
            PolicyKind::Managed | PolicyKind::Inline | PolicyKind::Session
        )
    }

    /// Documents IAM/STS validate with IAM's own `Sid` rules (alphanumeric, unique); other
    /// services' resource policies have their own rules.
    pub(crate) fn uses_iam_sid_rules(self) -> bool {
        self != PolicyKind::Resource
    }
}

/// The policy language version (the `Version` element, not a managed policy's version).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// `2008-10-17`, also assumed when `Version` is absent: no policy variables.
    V2008_10_17,
    /// `2012-10-17`: policy variables are substituted.
    V2012_10_17,
}

impl Version {
    pub fn as_str(self) -> &'static str {
        match self {
            Version::V2008_10_17 => "2008-10-17",
            Version::V2012_10_17 => "2012-10-17",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// A parsed, validated policy document.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub(crate) version: Version,
    pub(crate) version_given: bool,
    pub(crate) id: Option<String>,
    pub(crate) statements: Vec<Statement>,
}

impl Policy {
    /// A policy of `kind` that denies every action on everything (to everyone, for the kinds
    /// that name principals): what a stored document that no longer parses stands for, so
    /// that dropping it can never widen access.
    pub fn deny_all(kind: PolicyKind) -> Policy {
        let doc = match kind {
            PolicyKind::Managed | PolicyKind::Inline | PolicyKind::Session => {
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}"#
            }
            PolicyKind::Resource => {
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}]}"#
            }
            PolicyKind::RoleTrust => {
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"*"}]}"#
            }
        };
        Policy::parse(doc, kind).expect("a constant, valid policy")
    }

    /// The language version in force (`2008-10-17` when the document has none).
    pub fn version(&self) -> Version {
        self.version
    }

    /// Whether the document had a `Version` element at all.
    pub fn has_version(&self) -> bool {
        self.version_given
    }

    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    pub fn statements(&self) -> &[Statement] {
        &self.statements
    }
}

/// `Principal` or `NotPrincipal`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalElement {
    Principal(PrincipalSet),
    NotPrincipal(PrincipalSet),
}

/// `Action`/`NotAction` or `Resource`/`NotResource` entries as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entries {
    /// True for `NotAction` / `NotResource`.
    pub negated: bool,
    pub values: Vec<String>,
}

/// One statement of a policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub(crate) sid: Option<String>,
    pub(crate) effect: Effect,
    pub(crate) principal: Option<PrincipalElement>,
    pub(crate) actions: Entries,
    pub(crate) action_patterns: Vec<ActionPattern>,
    /// `None` in trust policies, which have no `Resource`.
    pub(crate) resources: Option<Entries>,
    pub(crate) resource_patterns: Vec<ArnPattern>,
    pub(crate) condition: ConditionBlock,
}

impl Statement {
    pub fn sid(&self) -> Option<&str> {
        self.sid.as_deref()
    }

    pub fn effect(&self) -> Effect {
        self.effect
    }

    pub fn principal(&self) -> Option<&PrincipalElement> {
        self.principal.as_ref()
    }

    pub fn actions(&self) -> &Entries {
        &self.actions
    }

    pub fn resources(&self) -> Option<&Entries> {
        self.resources.as_ref()
    }

    pub fn has_condition(&self) -> bool {
        !self.condition.is_empty()
    }

    /// True when the statement's action, resource and condition all cover the request.
    /// `action_lower` is the request action lower-cased; `resource` is its resource ARN
    /// (`"*"` for actions without resource-level permissions).
    pub(crate) fn covers(&self, action_lower: &str, resource: &str, ctx: &Context) -> bool {
        let named = self.action_patterns.iter().any(|p| p.matches(action_lower));
        if named == self.actions.negated {
            return false;
        }
        if let Some(res) = &self.resources {
            let named = self
                .resource_patterns
                .iter()
                .any(|p| p.matches(resource, ctx));
            if named == res.negated {
                return false;
            }
        }
        self.condition.matches(ctx)
    }

    /// How the statement's principal element names `p` (resource-based and trust policies).
    /// `NotPrincipal` that does not exclude `p` counts as naming it directly, like `"*"`.
    pub(crate) fn principal_match(&self, p: &Principal) -> Option<MatchLevel> {
        match &self.principal {
            None => None,
            Some(PrincipalElement::Principal(set)) => set.best_match(p),
            Some(PrincipalElement::NotPrincipal(set)) => {
                set.excludes_not(p).then_some(MatchLevel::Direct)
            }
        }
    }
}
