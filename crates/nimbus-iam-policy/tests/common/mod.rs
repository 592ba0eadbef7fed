//! Helpers shared by the integration tests: short constructors for principals and a
//! one-call evaluation of identity-based policies. Every test binary uses a different
//! subset, hence the `dead_code` allowance.
#![allow(dead_code)]

use nimbus_iam_policy::*;

pub const ACCOUNT: &str = "111122223333";
pub const OTHER_ACCOUNT: &str = "444455556666";

pub fn parse(kind: PolicyKind, json: &str) -> Policy {
    Policy::parse(json, kind).unwrap_or_else(|e| panic!("policy should parse: {e}\n{json}"))
}

pub fn identity(json: &str) -> Policy {
    parse(PolicyKind::Inline, json)
}

pub fn user(name: &str) -> Principal {
    Principal::user(ACCOUNT, &format!("arn:aws:iam::{ACCOUNT}:user/{name}"))
        .with_unique_id("AIDAEXAMPLEUSER00001")
}

pub fn role_session(role: &str, session: &str) -> Principal {
    Principal::role_session(
        ACCOUNT,
        &format!("arn:aws:iam::{ACCOUNT}:role/{role}"),
        &format!("arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{session}"),
    )
    .with_unique_id("AROAEXAMPLEROLE00001")
}

pub fn federated(name: &str, federator: &str) -> Principal {
    Principal::federated_user(
        ACCOUNT,
        &format!("arn:aws:sts::{ACCOUNT}:federated-user/{name}"),
        &format!("arn:aws:iam::{ACCOUNT}:user/{federator}"),
    )
}

/// Evaluates `action` on `resource` for `principal` with only identity-based policies.
pub fn decide(
    policies: &[&Policy],
    principal: &Principal,
    action: &str,
    resource: &str,
    ctx: &Context,
) -> Decision {
    let ids: Vec<String> = (0..policies.len()).map(|i| format!("policy{i}")).collect();
    let set = Policies {
        identity: policies
            .iter()
            .zip(&ids)
            .map(|(p, id)| PolicyRef { id, policy: p })
            .collect(),
        ..Policies::default()
    };
    let req = Request {
        principal,
        action,
        resource,
        resource_account: None,
        context: ctx,
    };
    evaluate(&req, &set).decision
}

pub const ALLOW_ALL_S3: &str = r#"{"Version":"2012-10-17","Statement":{"Sid":"AllS3","Effect":"Allow","Action":"s3:*","Resource":"*"}}"#;
pub const BUCKET: &str = "arn:aws:s3:::bucket";
pub const OBJECT: &str = "arn:aws:s3:::bucket/key";

/// A bucket policy granting (or denying) `s3:*` on `bucket` to `principal` (JSON).
pub fn bucket_policy(principal: &str, effect: &str) -> Policy {
    parse(
        PolicyKind::Resource,
        &format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"Bucket","Effect":"{effect}","Principal":{principal},"Action":"s3:*","Resource":["{BUCKET}","{BUCKET}/*"]}}]}}"#
        ),
    )
}

/// One request evaluated with every policy type; empty/`None` leaves a type out.
pub struct Case<'a> {
    pub principal: &'a Principal,
    pub action: &'a str,
    pub resource: &'a str,
    pub resource_account: Option<&'a str>,
    pub identity: Vec<&'a Policy>,
    pub boundary: Option<&'a Policy>,
    pub session: Vec<&'a Policy>,
    pub resource_policy: Option<(&'a Policy, ResourcePolicyKind)>,
}

impl<'a> Case<'a> {
    pub fn new(principal: &'a Principal, action: &'a str, resource: &'a str) -> Case<'a> {
        Case {
            principal,
            action,
            resource,
            resource_account: None,
            identity: Vec::new(),
            boundary: None,
            session: Vec::new(),
            resource_policy: None,
        }
    }

    pub fn run(&self) -> Evaluation {
        let ctx = Context::for_principal(self.principal);
        let policies = Policies {
            identity: self
                .identity
                .iter()
                .map(|p| PolicyRef {
                    id: "identity",
                    policy: p,
                })
                .collect(),
            permissions_boundary: self.boundary.map(|p| PolicyRef {
                id: "boundary",
                policy: p,
            }),
            session: self
                .session
                .iter()
                .map(|p| PolicyRef {
                    id: "session",
                    policy: p,
                })
                .collect(),
            resource: self.resource_policy.map(|(p, kind)| ResourcePolicy {
                id: "resource",
                policy: p,
                kind,
            }),
        };
        let req = Request {
            principal: self.principal,
            action: self.action,
            resource: self.resource,
            resource_account: self.resource_account,
            context: &ctx,
        };
        evaluate(&req, &policies)
    }
}
