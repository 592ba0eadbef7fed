//! The authorization question and who answers it: [`Access`] (one IAM action on some
//! resources, with the service condition keys the request carries), [`Authorizer`] (the
//! one decision point, asked once per call with *every* access the call needs) and
//! [`Denial`] (the refusal, in AWS's words). [`AllowAll`] is the answer before IAM
//! enforcement exists.
//!
//! What each operation needs is data, not code: `codegen/authorization/<service>.json`,
//! taken from AWS's Service Authorization Reference
//! (<https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html>),
//! turned by `nimbus-codegen` into one function per operation in each service's
//! `generated.rs`. This module owns only the vocabulary; it knows no policy language (see
//! `nimbus-iam-policy`) and no wire format (a [`Denial`] becomes the protocol's error in
//! `nimbus-wire`).

use crate::context::RequestContext;
use std::borrow::Cow;

/// One question for IAM: may the caller perform `action` on each of `resources`, given
/// `conditions`?
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Access {
    /// The IAM action, `<prefix>:<Name>` (`s3:ListBucket` for S3's `ListObjectsV2`).
    pub action: &'static str,
    /// Full ARNs, or `["*"]` for an action without resource-level permissions (or when the
    /// request names no resource the action can be scoped to). Never empty.
    pub resources: Vec<String>,
    /// Service-specific condition keys taken from the request's input, each with its
    /// values (`("s3:prefix", ["photos/"])`); a key the request does not set is absent.
    /// Most keys are fixed names, but request-tag keys carry the tag's own key
    /// (`aws:RequestTag/team`), so a key is borrowed when fixed and owned when built.
    /// Global keys (`aws:SourceIp`, `aws:CurrentTime`, ...) are the authorizer's to add.
    pub conditions: Vec<(Cow<'static, str>, Vec<String>)>,
}

impl Access {
    /// The values of condition `key`, if the request set it.
    pub fn condition(&self, key: &str) -> Option<&[String]> {
        self.conditions
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_slice())
    }
}

/// A refusal. `message` is AWS's wording ("User: arn:aws:iam::123456789012:user/bob is not
/// authorized to perform: s3:ListBucket on resource: arn:aws:s3:::photos because no
/// identity-based policy allows the s3:ListBucket action"); the protocol layer
/// (`nimbus_wire::access_denied`) wraps it in the service's own error code and status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Denial {
    pub message: String,
    /// How AWS words this refusal.
    pub kind: DenialKind,
    /// The sealed details of the refusal, for the services whose refusal carries them
    /// (EC2's "Encoded authorization failure message", which `sts:DecodeAuthorizationMessage`
    /// decodes).
    pub encoded: Option<String>,
}

/// The two ways AWS refuses an authenticated call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum DenialKind {
    /// No policy allows it (or one denies it): the service's access-denied error.
    #[default]
    AccessDenied,
    /// These credentials may not call this service at all (`GetSessionToken` credentials
    /// without MFA calling IAM): AWS answers as for an invalid token.
    TokenNotValidHere,
}

impl Denial {
    pub fn new(message: impl Into<String>) -> Self {
        Denial {
            message: message.into(),
            kind: DenialKind::AccessDenied,
            encoded: None,
        }
    }

    /// The same refusal, carrying its sealed details.
    pub fn with_encoded(mut self, encoded: String) -> Self {
        self.encoded = Some(encoded);
        self
    }

    /// A refusal AWS words as `InvalidClientTokenId` (see [`DenialKind::TokenNotValidHere`]).
    pub fn token_not_valid_here() -> Self {
        Denial {
            message: "The security token included in the request is invalid".into(),
            kind: DenialKind::TokenNotValidHere,
            encoded: None,
        }
    }
}

impl std::fmt::Display for Denial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Denial {}

/// Decides whether an authenticated call may run. Every operation's generated dispatch
/// asks exactly once, after the input is decoded and before the handler runs, with all the
/// accesses the call needs (`DeleteObjects` asks for one `s3:DeleteObject` per key at once).
/// An empty `access` means the operation needs no permission (`sts:GetCallerIdentity`); an
/// implementation must allow it.
pub trait Authorizer: Send + Sync + 'static {
    fn authorize(&self, ctx: &RequestContext, access: &[Access]) -> Result<(), Denial>;
}

/// Allows everything: the state before the IAM policy evaluator is wired in.
#[derive(Clone, Copy, Debug, Default)]
pub struct AllowAll;

impl Authorizer for AllowAll {
    fn authorize(&self, _ctx: &RequestContext, _access: &[Access]) -> Result<(), Denial> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Principal, Timestamp};

    #[test]
    fn allow_all_allows_and_conditions_are_found_by_key() {
        let ctx = RequestContext {
            request_id: "r".into(),
            principal: Principal::root("000000000000", "AKID").into(),
            region: "us-east-1".into(),
            now: Timestamp(0),
            host: "localhost".into(),
            source_ip: None,
        };
        let a = Access {
            action: "s3:ListBucket",
            resources: vec!["arn:aws:s3:::photos".into()],
            conditions: vec![
                ("s3:prefix".into(), vec!["2024/".into()]),
                (
                    Cow::Owned("aws:RequestTag/team".to_string()),
                    vec!["red".into()],
                ),
            ],
        };
        assert_eq!(AllowAll.authorize(&ctx, std::slice::from_ref(&a)), Ok(()));
        assert_eq!(AllowAll.authorize(&ctx, &[]), Ok(()));
        assert_eq!(a.condition("s3:prefix"), Some(&["2024/".to_string()][..]));
        assert_eq!(a.condition("s3:delimiter"), None);
        assert_eq!(
            a.condition("aws:RequestTag/team"),
            Some(&["red".to_string()][..])
        );
        assert_eq!(Denial::new("no").to_string(), "no");
    }
}
