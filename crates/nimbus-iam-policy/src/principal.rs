//! Principals on both sides: [`Principal`] is who makes a request (root user, IAM user,
//! role session, federated user, service, web identity, anonymous), and [`PrincipalSet`] is
//! what a resource-based or trust policy's `Principal`/`NotPrincipal` names. This module
//! parses and validates the latter and decides how well one matches the other; it does not
//! know what a match means for the final decision (`evaluate`).
//!
//! A requester is matched through a chain of identities — a role session is the session
//! ARN, the role ARN and the account; an IAM user is the user ARN and the account — because
//! AWS treats naming any of them as naming the requester, with different force
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html#policy-eval-denyallow>):
//! a grant to the session or user itself ([`MatchLevel::Direct`]) is not limited by
//! identity policies or boundaries, a grant to the role (or to the IAM user who federated)
//! ([`MatchLevel::Entity`]) is still limited by boundaries and session policies, and a grant
//! to the account ([`MatchLevel::Account`]) only delegates to the account's own policies.
//!
//! `NotPrincipal` excludes a requester only when *every* identity of its chain is listed —
//! the documented pitfall of listing a user without its account
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html>).

use crate::error::PolicyError;
use crate::json::Json;

/// Who makes a request. Construct with [`Principal::root`], [`Principal::user`], ...
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    account: String,
    kind: PrincipalKind,
}

/// The kinds of requester IAM distinguishes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalKind {
    /// The account root user: full access in its own account unless explicitly denied.
    Root,
    User {
        arn: String,
        /// `AIDA...`; a trust policy whose user was deleted names this ID instead.
        unique_id: Option<String>,
    },
    /// Temporary credentials from `AssumeRole*`.
    RoleSession {
        /// `arn:aws:iam::ACCOUNT:role/PATH/NAME`.
        role_arn: String,
        /// `AROA...`.
        role_id: Option<String>,
        /// `arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION`.
        session_arn: String,
    },
    /// Temporary credentials from `GetFederationToken`.
    FederatedUser {
        /// `arn:aws:sts::ACCOUNT:federated-user/NAME`.
        session_arn: String,
        /// The IAM user (or root) that called `GetFederationToken`.
        federator_arn: String,
    },
    /// An AWS service principal such as `ec2.amazonaws.com` (assuming a service role).
    Service { name: String },
    /// An identity provider calling `AssumeRoleWithWebIdentity`/`AssumeRoleWithSAML`, named
    /// in trust policies as a `Federated` principal.
    WebIdentity { provider: String },
    /// An unsigned request.
    Anonymous,
}

impl Principal {
    pub fn root(account: &str) -> Principal {
        Principal::new(account, PrincipalKind::Root)
    }

    pub fn user(account: &str, arn: &str) -> Principal {
        Principal::new(
            account,
            PrincipalKind::User {
                arn: arn.to_owned(),
                unique_id: None,
            },
        )
    }

    pub fn role_session(account: &str, role_arn: &str, session_arn: &str) -> Principal {
        Principal::new(
            account,
            PrincipalKind::RoleSession {
                role_arn: role_arn.to_owned(),
                role_id: None,
                session_arn: session_arn.to_owned(),
            },
        )
    }

    pub fn federated_user(account: &str, session_arn: &str, federator_arn: &str) -> Principal {
        Principal::new(
            account,
            PrincipalKind::FederatedUser {
                session_arn: session_arn.to_owned(),
                federator_arn: federator_arn.to_owned(),
            },
        )
    }

    pub fn service(name: &str) -> Principal {
        Principal::new(
            "",
            PrincipalKind::Service {
                name: name.to_owned(),
            },
        )
    }

    pub fn web_identity(provider: &str) -> Principal {
        Principal::new(
            "",
            PrincipalKind::WebIdentity {
                provider: provider.to_owned(),
            },
        )
    }

    pub fn anonymous() -> Principal {
        Principal::new("", PrincipalKind::Anonymous)
    }

    fn new(account: &str, kind: PrincipalKind) -> Principal {
        Principal {
            account: account.to_owned(),
            kind,
        }
    }

    /// Sets the IAM unique ID of a user or of a session's role (ignored for other kinds).
    pub fn with_unique_id(mut self, id: &str) -> Principal {
        match &mut self.kind {
            PrincipalKind::User { unique_id, .. } => *unique_id = Some(id.to_owned()),
            PrincipalKind::RoleSession { role_id, .. } => *role_id = Some(id.to_owned()),
            _ => {}
        }
        self
    }

    /// The account the principal belongs to (empty for services, web identities, anonymous).
    pub fn account(&self) -> &str {
        &self.account
    }

    pub fn kind(&self) -> &PrincipalKind {
        &self.kind
    }

    /// The ARN AWS prints in access-denied messages (`User: ARN is not authorized...`).
    pub fn arn(&self) -> String {
        match &self.kind {
            PrincipalKind::Root => format!("arn:aws:iam::{}:root", self.account),
            PrincipalKind::User { arn, .. } => arn.clone(),
            PrincipalKind::RoleSession { session_arn, .. }
            | PrincipalKind::FederatedUser { session_arn, .. } => session_arn.clone(),
            PrincipalKind::Service { name } => name.clone(),
            PrincipalKind::WebIdentity { provider } => provider.clone(),
            PrincipalKind::Anonymous => "anonymous".to_owned(),
        }
    }

    /// Role sessions and federated users: the principals session policies apply to.
    pub fn is_session(&self) -> bool {
        matches!(
            self.kind,
            PrincipalKind::RoleSession { .. } | PrincipalKind::FederatedUser { .. }
        )
    }

    /// The identity chain, most specific first.
    fn identities(&self) -> Vec<Identity<'_>> {
        let acct = Identity {
            id: Id::Account(&self.account),
            level: MatchLevel::Account,
            in_not_principal_chain: true,
        };
        let direct = |id| Identity {
            id,
            level: MatchLevel::Direct,
            in_not_principal_chain: true,
        };
        match &self.kind {
            PrincipalKind::Root => vec![Identity {
                level: MatchLevel::Direct,
                ..acct
            }],
            PrincipalKind::User { arn, unique_id } => {
                vec![direct(Id::Aws(arn, unique_id.as_deref())), acct]
            }
            PrincipalKind::RoleSession {
                role_arn,
                role_id,
                session_arn,
            } => vec![
                direct(Id::Aws(session_arn, None)),
                Identity {
                    id: Id::Aws(role_arn, role_id.as_deref()),
                    level: MatchLevel::Entity,
                    in_not_principal_chain: true,
                },
                acct,
            ],
            PrincipalKind::FederatedUser {
                session_arn,
                federator_arn,
            } => vec![
                direct(Id::Aws(session_arn, None)),
                Identity {
                    id: Id::Aws(federator_arn, None),
                    level: MatchLevel::Entity,
                    in_not_principal_chain: false,
                },
                acct,
            ],
            PrincipalKind::Service { name } => vec![direct(Id::Service(name))],
            PrincipalKind::WebIdentity { provider } => vec![direct(Id::Federated(provider))],
            PrincipalKind::Anonymous => vec![direct(Id::Anonymous)],
        }
    }
}

/// How specifically a policy's `Principal` named the requester; ordered weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum MatchLevel {
    /// The requester's account (account ID or `:root` ARN): delegation only.
    Account,
    /// The role behind a session, or the IAM user behind a federated session.
    Entity,
    /// The requesting user, session, service or provider itself, or `*`.
    Direct,
}

#[derive(Debug, Clone, Copy)]
enum Id<'a> {
    /// An ARN and, optionally, the unique ID IAM may have stored instead of it.
    Aws(&'a str, Option<&'a str>),
    Account(&'a str),
    Service(&'a str),
    Federated(&'a str),
    Anonymous,
}

#[derive(Debug, Clone, Copy)]
struct Identity<'a> {
    id: Id<'a>,
    level: MatchLevel,
    in_not_principal_chain: bool,
}

/// The four principal types of the policy grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalType {
    Aws,
    Service,
    Federated,
    CanonicalUser,
}

impl PrincipalType {
    fn from_key(key: &str) -> Option<PrincipalType> {
        Some(match key {
            "AWS" => PrincipalType::Aws,
            "Service" => PrincipalType::Service,
            "Federated" => PrincipalType::Federated,
            "CanonicalUser" => PrincipalType::CanonicalUser,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalType::Aws => "AWS",
            PrincipalType::Service => "Service",
            PrincipalType::Federated => "Federated",
            PrincipalType::CanonicalUser => "CanonicalUser",
        }
    }
}

/// The value of a `Principal` or `NotPrincipal` element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalSet {
    /// `"*"`: everyone, including anonymous requesters.
    All,
    /// `{"AWS": [...], "Service": [...], ...}`.
    Listed(Vec<(PrincipalType, Vec<String>)>),
}

impl PrincipalSet {
    pub(crate) fn from_json(value: &Json) -> Result<PrincipalSet, PolicyError> {
        match value {
            Json::String(s) if s == "*" => Ok(PrincipalSet::All),
            Json::Object(members) => {
                let mut out = Vec::with_capacity(members.len());
                for (key, v) in members {
                    let values = string_list(v).ok_or(PolicyError::Syntax)?;
                    let Some(ty) = PrincipalType::from_key(key) else {
                        let shown = values.first().map(String::as_str).unwrap_or("");
                        return Err(PolicyError::InvalidPrincipal(format!(
                            "\"{key}\":\"{shown}\""
                        )));
                    };
                    for value in &values {
                        if !valid_principal_value(ty, value) {
                            return Err(PolicyError::InvalidPrincipal(format!(
                                "\"{}\":\"{value}\"",
                                ty.as_str()
                            )));
                        }
                    }
                    out.push((ty, values));
                }
                Ok(PrincipalSet::Listed(out))
            }
            _ => Err(PolicyError::Syntax),
        }
    }

    /// True when the element names nobody (`{}` or only empty lists).
    pub(crate) fn is_empty(&self) -> bool {
        match self {
            PrincipalSet::All => false,
            PrincipalSet::Listed(entries) => entries.iter().all(|(_, v)| v.is_empty()),
        }
    }

    /// For `Principal`: the strongest way this element names `p`, if it does.
    pub fn best_match(&self, p: &Principal) -> Option<MatchLevel> {
        if let PrincipalSet::All = self {
            return Some(MatchLevel::Direct);
        }
        p.identities()
            .into_iter()
            .filter(|i| self.lists(i.id))
            .map(|i| i.level)
            .max()
    }

    /// For `NotPrincipal`: true when the statement applies to `p`, i.e. some identity of
    /// its chain is not listed.
    pub fn excludes_not(&self, p: &Principal) -> bool {
        p.identities()
            .into_iter()
            .filter(|i| i.in_not_principal_chain)
            .any(|i| !self.lists(i.id))
    }

    fn lists(&self, id: Id<'_>) -> bool {
        let PrincipalSet::Listed(entries) = self else {
            return true;
        };
        entries.iter().any(|(ty, values)| {
            values.iter().any(|v| match (ty, id) {
                (PrincipalType::Aws, Id::Aws(..) | Id::Account(_) | Id::Anonymous) if v == "*" => {
                    true
                }
                (PrincipalType::Aws, Id::Aws(arn, unique)) => {
                    v == arn || unique == Some(v.as_str())
                }
                (PrincipalType::Aws, Id::Account(acct)) => names_account(v, acct),
                (PrincipalType::Service, Id::Service(name)) => {
                    v == "*" || v.eq_ignore_ascii_case(name)
                }
                (PrincipalType::Federated, Id::Federated(p)) => v == "*" || v == p,
                _ => false,
            })
        })
    }
}

/// `123456789012` or `arn:PARTITION:iam::123456789012:root`.
fn names_account(v: &str, account: &str) -> bool {
    if account.is_empty() {
        return false;
    }
    if v == account {
        return true;
    }
    let parts: Vec<&str> = v.splitn(6, ':').collect();
    matches!(parts.as_slice(), ["arn", _, "iam", "", acct, "root"] if *acct == account)
}

fn string_list(v: &Json) -> Option<Vec<String>> {
    match v {
        Json::String(s) => Some(vec![s.clone()]),
        Json::Array(items) => items
            .iter()
            .map(|i| match i {
                Json::String(s) => Some(s.clone()),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

/// What IAM accepts as a principal: "You cannot use a wildcard to match part of a principal
/// name or ARN" (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html>).
fn valid_principal_value(ty: PrincipalType, v: &str) -> bool {
    if v.is_empty() || v.contains(char::is_whitespace) {
        return false;
    }
    match ty {
        PrincipalType::Aws => {
            v == "*" || is_account_id(v) || is_unique_id(v) || is_principal_arn(v)
        }
        PrincipalType::Service | PrincipalType::Federated => v == "*" || !v.contains(['*', '?']),
        PrincipalType::CanonicalUser => !v.contains(['*', '?']),
    }
}

pub(crate) fn is_account_id(v: &str) -> bool {
    v.len() == 12 && v.bytes().all(|b| b.is_ascii_digit())
}

/// IAM unique IDs: `AIDA...` (user), `AROA...` (role), and the other `A???` prefixes.
fn is_unique_id(v: &str) -> bool {
    (16..=128).contains(&v.len())
        && v.starts_with('A')
        && v.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

fn is_principal_arn(v: &str) -> bool {
    if v.contains(['*', '?']) {
        return false;
    }
    let parts: Vec<&str> = v.splitn(6, ':').collect();
    let ["arn", partition, service, "", account, resource] = parts.as_slice() else {
        return false;
    };
    if !crate::matching::is_known_partition(partition) || !is_account_id(account) {
        return false;
    }
    match *service {
        "iam" => {
            *resource == "root"
                || resource
                    .strip_prefix("user/")
                    .is_some_and(|r| !r.is_empty())
                || resource
                    .strip_prefix("role/")
                    .is_some_and(|r| !r.is_empty())
        }
        "sts" => {
            resource
                .strip_prefix("assumed-role/")
                .is_some_and(|r| r.split('/').filter(|s| !s.is_empty()).count() >= 2)
                || resource
                    .strip_prefix("federated-user/")
                    .is_some_and(|r| !r.is_empty())
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principal_value_validation() {
        let ok = [
            "*",
            "123456789012",
            "arn:aws:iam::123456789012:root",
            "arn:aws:iam::123456789012:user/Bob",
            "arn:aws:iam::123456789012:role/path/app",
            "arn:aws:sts::123456789012:assumed-role/app/session",
            "arn:aws:sts::123456789012:federated-user/bob",
            "AIDAJQABLZS4A3QDU576Q",
        ];
        for v in ok {
            assert!(valid_principal_value(PrincipalType::Aws, v), "{v}");
        }
        let bad = [
            "",
            "12345",
            "arn:aws:iam::123456789012:user/*",
            "arn:aws:iam::*:root",
            "arn:aws:s3:::bucket",
            "arn:aws:sts::123456789012:assumed-role/app",
            "bob",
            "arn:aws:iam::123456789012:group/devs",
        ];
        for v in bad {
            assert!(!valid_principal_value(PrincipalType::Aws, v), "{v}");
        }
    }

    #[test]
    fn account_forms_are_equivalent() {
        assert!(names_account("123456789012", "123456789012"));
        assert!(names_account(
            "arn:aws:iam::123456789012:root",
            "123456789012"
        ));
        assert!(!names_account(
            "arn:aws:iam::123456789012:user/root",
            "123456789012"
        ));
        assert!(!names_account(
            "arn:aws:iam::999999999999:root",
            "123456789012"
        ));
    }
}
