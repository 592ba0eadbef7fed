//! [`RequestContext`]: what the front door knows about one call when it reaches a service
//! handler: who is calling (already authenticated) and from which address, in which
//! account and region, with which request id, at which Nimbus time. Handlers read it; they never parse HTTP.

use crate::time::Timestamp;
use std::sync::Arc;

/// What kind of identity signed the request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PrincipalKind {
    Root,
    User,
    AssumedRole,
    /// A `GetFederationToken` session (`arn:aws:sts::A:federated-user/NAME`).
    FederatedUser,
    /// An unsigned request to one of the few operations AWS serves without a signature
    /// (`AssumeRoleWithWebIdentity`, `AssumeRoleWithSAML`: the token or assertion they
    /// carry is the credential). Belongs to no account; may do nothing else.
    Anonymous,
}

/// The authenticated caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub kind: PrincipalKind,
    pub account_id: String,
    /// `arn:aws:iam::000000000000:root`, `arn:aws:iam::...:user/alice`, ...
    pub arn: String,
    /// The `UserId` STS reports (the account id for root, `AIDA...` for users).
    pub user_id: String,
    pub access_key_id: String,
}

impl Principal {
    pub fn root(account_id: &str, access_key_id: &str) -> Self {
        Principal {
            kind: PrincipalKind::Root,
            account_id: account_id.to_string(),
            arn: format!("arn:aws:iam::{account_id}:root"),
            user_id: account_id.to_string(),
            access_key_id: access_key_id.to_string(),
        }
    }

    /// The caller of an unsigned request (see [`PrincipalKind::Anonymous`]).
    pub fn anonymous() -> Self {
        Principal {
            kind: PrincipalKind::Anonymous,
            account_id: String::new(),
            arn: "anonymous".to_string(),
            user_id: "anonymous".to_string(),
            access_key_id: String::new(),
        }
    }
}

/// One authenticated, routed API call.
#[derive(Clone, Debug)]
pub struct RequestContext {
    pub request_id: String,
    /// Shared with the credential store: no per-request copy of the identity.
    pub principal: Arc<Principal>,
    pub region: String,
    /// Nimbus time at which the request arrived.
    pub now: Timestamp,
    /// The `Host` the client addressed (S3 needs it for `Location`).
    pub host: String,
    /// The address of the connection's peer, the value of the global condition key
    /// `aws:SourceIp`
    /// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourceip>).
    /// `None` for calls that never crossed a socket (in-process tests, fuzzing, the
    /// hot-path measurement), where policies conditioned on it do not match.
    pub source_ip: Option<std::net::IpAddr>,
}

impl RequestContext {
    pub fn account_id(&self) -> &str {
        &self.principal.account_id
    }
}
