//! [`SessionView`]: one set of temporary credentials STS issued (`AssumeRole`,
//! `GetSessionToken`) and everything a later request signed with them needs: the secret
//! and token to check, the expiration, who the session acts as ([`SessionKind`], the ARN
//! and `UserId` to report), and what narrows it (session policies, session tags, source
//! identity). The same struct is the stored record (`persist`), so a session reads the
//! same before and after a restart. This module holds data only; issuing and looking up
//! sessions is `sessions`.

use nimbus_core::Timestamp;
use serde::{Deserialize, Serialize};

/// Who a session acts as.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum SessionKind {
    /// A role session from `AssumeRole`.
    AssumedRole {
        /// The role's IAM ARN (with its path): `arn:aws:iam::A:role/path/Name`.
        role_arn: String,
        role_name: String,
        /// `AROA...`
        role_id: String,
        session_name: String,
    },
    /// An IAM user's own session from `GetSessionToken`.
    UserSession { user_arn: String, user_id: String },
    /// The account root's session from `GetSessionToken`.
    RootSession,
    /// A federated user's session from `GetFederationToken`.
    FederatedUser {
        /// The IAM user (or account root) that called `GetFederationToken`.
        federator_arn: String,
        /// Its `AIDA...` id (the account id for a root).
        federator_id: String,
        /// The `Name` given.
        name: String,
    },
}

/// One session tag (`AssumeRole`'s `Tags`, or inherited as transitive).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionTag {
    pub key: String,
    pub value: String,
}

/// Temporary credentials and what they stand for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionView {
    /// `ASIA` and 16 more characters.
    pub access_key_id: String,
    /// The secret access key (40 characters).
    pub secret: String,
    /// The opaque token a request must carry in `X-Amz-Security-Token`.
    pub session_token: String,
    /// The account the session acts in (the role's account for a role session).
    pub account: String,
    pub kind: SessionKind,
    /// What `GetCallerIdentity` reports as `Arn`: the assumed-role ARN
    /// (`arn:aws:sts::A:assumed-role/Role/session`), the user's ARN, or the root ARN.
    pub arn: String,
    /// What `GetCallerIdentity` reports as `UserId`: `AROA...:session`, `AIDA...`, or the
    /// account id for the root.
    pub user_id: String,
    /// When it was issued (Nimbus time): `aws:TokenIssueTime`.
    pub issued: Timestamp,
    /// When it stops working (Nimbus time, whole seconds).
    pub expiration: Timestamp,
    /// The inline session policy, as passed (already validated).
    pub policy: Option<String>,
    /// Managed session policy ARNs, as passed.
    pub policy_arns: Vec<String>,
    /// Session tags: inherited transitive tags first, then the ones passed.
    pub tags: Vec<SessionTag>,
    /// Keys of `tags` that pass on to sessions this one assumes.
    pub transitive_tag_keys: Vec<String>,
    pub source_identity: Option<String>,
    /// Whether an MFA code authenticated the session (`aws:MultiFactorAuthPresent`):
    /// passed to this call, or inherited from the session that assumed this one.
    #[serde(default)]
    pub mfa_authenticated: bool,
    /// When that MFA code was checked (Nimbus time): `aws:MultiFactorAuthAge` counts
    /// from here.
    #[serde(default)]
    pub mfa_authenticated_at: Option<Timestamp>,
}

impl SessionView {
    /// Whether the credentials no longer work at `now` (AWS: `ExpiredToken`).
    pub fn is_expired_at(&self, now: Timestamp) -> bool {
        now >= self.expiration
    }

    /// Whether `token` is this session's token, compared in time independent of where
    /// the first difference is, so a signer cannot learn the token a byte at a time.
    pub fn token_matches(&self, token: &str) -> bool {
        let (a, b) = (self.session_token.as_bytes(), token.as_bytes());
        if a.len() != b.len() {
            return false;
        }
        a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }

    /// The tags that a session assumed with these credentials inherits.
    pub fn transitive_tags(&self) -> impl Iterator<Item = &SessionTag> {
        self.tags.iter().filter(|t| {
            self.transitive_tag_keys
                .iter()
                .any(|k| k.eq_ignore_ascii_case(&t.key))
        })
    }

    /// Whether this is a role session (assuming a role from it is role chaining).
    pub fn is_role_session(&self) -> bool {
        matches!(self.kind, SessionKind::AssumedRole { .. })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn sample(key: &str, expiration: Timestamp) -> SessionView {
        SessionView {
            access_key_id: key.into(),
            secret: "s".repeat(40),
            session_token: "token".into(),
            account: "123456789012".into(),
            kind: SessionKind::RootSession,
            arn: "arn:aws:iam::123456789012:root".into(),
            user_id: "123456789012".into(),
            issued: Timestamp(0),
            expiration,
            policy: None,
            policy_arns: Vec::new(),
            tags: vec![
                SessionTag {
                    key: "Project".into(),
                    value: "blue".into(),
                },
                SessionTag {
                    key: "Team".into(),
                    value: "red".into(),
                },
            ],
            transitive_tag_keys: vec!["project".into()],
            source_identity: None,
            mfa_authenticated: false,
            mfa_authenticated_at: None,
        }
    }

    #[test]
    fn expiry_is_inclusive_of_the_expiration_instant() {
        let s = sample("ASIA1", Timestamp::from_secs(100));
        assert!(!s.is_expired_at(Timestamp(99_999)));
        assert!(s.is_expired_at(Timestamp::from_secs(100)));
    }

    #[test]
    fn token_comparison() {
        let s = sample("ASIA1", Timestamp(0));
        assert!(s.token_matches("token"));
        assert!(!s.token_matches("tokem"));
        assert!(!s.token_matches("token2"));
        assert!(!s.token_matches(""));
    }

    #[test]
    fn records_from_before_mfa_read_as_without_mfa() {
        let mut v = serde_json::to_value(sample("ASIA1", Timestamp(5))).unwrap();
        let o = v.as_object_mut().unwrap();
        o.remove("mfa_authenticated");
        o.remove("mfa_authenticated_at");
        let s: SessionView = serde_json::from_value(v).unwrap();
        assert!(!s.mfa_authenticated);
        assert_eq!(s.mfa_authenticated_at, None);
    }

    #[test]
    fn transitive_keys_match_case_insensitively() {
        let s = sample("ASIA1", Timestamp(0));
        let t: Vec<&str> = s.transitive_tags().map(|t| t.key.as_str()).collect();
        assert_eq!(t, ["Project"]);
    }
}
