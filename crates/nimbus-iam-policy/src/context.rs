//! The request context's condition keys: a map from key name to the values the request
//! carries for it (`aws:SourceIp`, `aws:PrincipalTag/team`, `ec2:InstanceType`,
//! `aws:TagKeys`...). Key names are case-insensitive, values are kept as given; a key with
//! several values is a *multivalued* key in IAM's sense. This module does not decide which
//! keys a request has — the gateway and each service fill it, reading the Nimbus clock for
//! `aws:CurrentTime`/`aws:EpochTime` so evaluation stays deterministic — except for the
//! principal keys, which [`Context::for_principal`] derives as AWS documents them.
//!
//! Keys: <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html>;
//! single- vs multivalued:
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_single-vs-multi-valued-condition-keys.html>.

use std::collections::HashMap;

use crate::principal::{Principal, PrincipalKind};

/// Condition keys of one request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    keys: HashMap<String, Vec<String>>,
}

impl Context {
    pub fn new() -> Context {
        Context::default()
    }

    /// Sets a single-valued key, replacing any previous values.
    pub fn set(&mut self, key: &str, value: impl Into<String>) -> &mut Context {
        self.keys
            .insert(key.to_ascii_lowercase(), vec![value.into()]);
        self
    }

    /// Sets a multivalued key (`aws:TagKeys`, `dynamodb:Attributes`...). An empty list is
    /// kept: IAM treats it like an absent key for every operator, and so does evaluation.
    pub fn set_multi<I, S>(&mut self, key: &str, values: I) -> &mut Context
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.keys.insert(
            key.to_ascii_lowercase(),
            values.into_iter().map(Into::into).collect(),
        );
        self
    }

    /// Builder form of [`Context::set`].
    pub fn with(mut self, key: &str, value: impl Into<String>) -> Context {
        self.set(key, value);
        self
    }

    /// Builder form of [`Context::set_multi`].
    pub fn with_multi<I, S>(mut self, key: &str, values: I) -> Context
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.set_multi(key, values);
        self
    }

    pub fn remove(&mut self, key: &str) -> Option<Vec<String>> {
        self.keys.remove(&key.to_ascii_lowercase())
    }

    /// The values of `key` (any case), or `None` when the request does not carry it.
    pub fn get(&self, key: &str) -> Option<&[String]> {
        let found = match self.keys.get(key) {
            Some(v) => Some(v),
            None if key.bytes().any(|b| b.is_ascii_uppercase()) => {
                self.keys.get(&key.to_ascii_lowercase())
            }
            None => None,
        };
        found.map(Vec::as_slice)
    }

    /// Every key (lower case) and its values, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.keys.iter().map(|(k, v)| (k.as_str(), v.as_slice()))
    }

    /// Adds every key of `other`, replacing keys both have.
    pub fn extend(&mut self, other: &Context) {
        for (k, v) in &other.keys {
            self.keys.insert(k.clone(), v.clone());
        }
    }

    /// The principal keys AWS puts in every request context: `aws:PrincipalArn`,
    /// `aws:PrincipalAccount`, `aws:PrincipalType`, `aws:userid` and (IAM users only)
    /// `aws:username`, with the values from the "Principal key values" table of
    /// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#principaltable>:
    ///
    /// | principal      | aws:username | aws:userid                  | aws:PrincipalType |
    /// |----------------|--------------|-----------------------------|-------------------|
    /// | root user      | —            | account ID                  | `Account`         |
    /// | IAM user       | user name    | unique ID (`AIDA...`)       | `User`            |
    /// | role session   | —            | `role-id:session-name`      | `AssumedRole`     |
    /// | federated user | —            | `account:caller-given-name` | `FederatedUser`   |
    /// | anonymous      | —            | `anonymous`                 | `Anonymous`       |
    ///
    /// `aws:PrincipalArn` is the role ARN (not the session ARN) for role sessions, and is
    /// absent for anonymous requests.
    pub fn for_principal(principal: &Principal) -> Context {
        let mut c = Context::new();
        let account = principal.account();
        match principal.kind() {
            PrincipalKind::Root => {
                c.set("aws:PrincipalArn", principal.arn());
                c.set("aws:PrincipalAccount", account);
                c.set("aws:PrincipalType", "Account");
                c.set("aws:userid", account);
            }
            PrincipalKind::User { arn, unique_id } => {
                c.set("aws:PrincipalArn", arn.as_str());
                c.set("aws:PrincipalAccount", account);
                c.set("aws:PrincipalType", "User");
                c.set("aws:username", last_path_segment(arn));
                if let Some(id) = unique_id {
                    c.set("aws:userid", id.as_str());
                }
            }
            PrincipalKind::RoleSession {
                role_arn,
                role_id,
                session_arn,
            } => {
                c.set("aws:PrincipalArn", role_arn.as_str());
                c.set("aws:PrincipalAccount", account);
                c.set("aws:PrincipalType", "AssumedRole");
                if let Some(id) = role_id {
                    c.set(
                        "aws:userid",
                        format!("{id}:{}", last_path_segment(session_arn)),
                    );
                }
            }
            PrincipalKind::FederatedUser { session_arn, .. } => {
                c.set("aws:PrincipalArn", session_arn.as_str());
                c.set("aws:PrincipalAccount", account);
                c.set("aws:PrincipalType", "FederatedUser");
                c.set(
                    "aws:userid",
                    format!("{account}:{}", last_path_segment(session_arn)),
                );
            }
            PrincipalKind::Anonymous => {
                c.set("aws:PrincipalType", "Anonymous");
                c.set("aws:userid", "anonymous");
            }
            PrincipalKind::Service { .. } | PrincipalKind::WebIdentity { .. } => {}
        }
        c
    }
}

fn last_path_segment(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_case_insensitive_values_are_not() {
        let c = Context::new()
            .with("AWS:SourceIp", "10.0.0.1")
            .with("aws:username", "Bob");
        assert_eq!(c.get("aws:sourceip"), Some(&["10.0.0.1".to_string()][..]));
        assert_eq!(c.get("Aws:SourceIP"), Some(&["10.0.0.1".to_string()][..]));
        assert_eq!(c.get("aws:username").unwrap()[0], "Bob");
        assert_eq!(c.get("aws:missing"), None);
    }

    #[test]
    fn principal_keys_follow_the_doc_table() {
        let u = Principal::user("111122223333", "arn:aws:iam::111122223333:user/div/bob")
            .with_unique_id("AIDAEXAMPLE");
        let c = Context::for_principal(&u);
        assert_eq!(c.get("aws:username").unwrap()[0], "bob");
        assert_eq!(c.get("aws:userid").unwrap()[0], "AIDAEXAMPLE");
        assert_eq!(c.get("aws:PrincipalType").unwrap()[0], "User");

        let r = Principal::role_session(
            "111122223333",
            "arn:aws:iam::111122223333:role/ops/admin",
            "arn:aws:sts::111122223333:assumed-role/admin/alice",
        )
        .with_unique_id("AROAEXAMPLE");
        let c = Context::for_principal(&r);
        assert_eq!(c.get("aws:username"), None);
        assert_eq!(c.get("aws:userid").unwrap()[0], "AROAEXAMPLE:alice");
        assert_eq!(
            c.get("aws:PrincipalArn").unwrap()[0],
            "arn:aws:iam::111122223333:role/ops/admin"
        );
        assert_eq!(c.get("aws:PrincipalType").unwrap()[0], "AssumedRole");

        let root = Context::for_principal(&Principal::root("111122223333"));
        assert_eq!(root.get("aws:userid").unwrap()[0], "111122223333");
        assert_eq!(root.get("aws:PrincipalType").unwrap()[0], "Account");

        let anon = Context::for_principal(&Principal::anonymous());
        assert_eq!(anon.get("aws:PrincipalArn"), None);
        assert_eq!(anon.get("aws:userid").unwrap()[0], "anonymous");
    }
}
