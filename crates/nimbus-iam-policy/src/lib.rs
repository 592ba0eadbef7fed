//! The IAM policy language as a pure library: parse and validate policy documents the way
//! IAM does ([`Policy::parse`], errors worded as AWS's `MalformedPolicyDocument`), and
//! decide requests against them the way AWS's enforcement code does ([`evaluate`]), with
//! the statement that decided and AWS's access-denied wording
//! ([`Evaluation::denial_message`]). It owns no state, reads no clock and does no I/O:
//! the IAM service stores documents and resolves which apply to a principal, the gateway
//! builds the [`Request`] and its [`Context`] (including `aws:CurrentTime` from the Nimbus
//! clock), and each service names its actions and resource ARNs.
//!
//! Covered: identity-based policies (managed, inline, group), resource-based policies with
//! `Principal`/`NotPrincipal`, role trust policies, permissions boundaries, session
//! policies, same-account and cross-account rules, every documented condition operator
//! with `...IfExists` and the `ForAllValues:`/`ForAnyValue:` qualifiers, wildcards, and
//! policy variables (`${aws:username}`, `${aws:PrincipalTag/x, 'default'}`, `${*}`...).
//!
//! Out of scope: AWS Organizations service and resource control policies (SCPs/RCPs) —
//! Nimbus has no Organizations, so the evaluation steps that consult them are absent —
//! and VPC endpoint policies. Which condition keys a request carries, and whether a key is
//! single- or multivalued, is the caller's knowledge, not this crate's.
//!
//! ```
//! use nimbus_iam_policy::*;
//! let policy = Policy::parse(r#"{
//!   "Version": "2012-10-17",
//!   "Statement": [{"Effect": "Allow", "Action": "s3:*",
//!                  "Resource": "arn:aws:s3:::bucket/home/${aws:username}/*"}]
//! }"#, PolicyKind::Inline).unwrap();
//! let bob = Principal::user("123456789012", "arn:aws:iam::123456789012:user/bob");
//! let ctx = Context::for_principal(&bob);
//! let policies = Policies {
//!     identity: vec![PolicyRef { id: "user/bob/home", policy: &policy }],
//!     ..Policies::default()
//! };
//! let request = |resource| Request {
//!     principal: &bob, action: "s3:GetObject", resource,
//!     resource_account: None, context: &ctx,
//! };
//! assert!(evaluate(&request("arn:aws:s3:::bucket/home/bob/a.txt"), &policies).is_allowed());
//! let denied = evaluate(&request("arn:aws:s3:::bucket/home/eve/a.txt"), &policies);
//! assert_eq!(
//!     denied.denial_message(&bob.arn(), "s3:GetObject", Some("arn:aws:s3:::bucket/home/eve/a.txt")).unwrap(),
//!     "User: arn:aws:iam::123456789012:user/bob is not authorized to perform: s3:GetObject \
//!      on resource: arn:aws:s3:::bucket/home/eve/a.txt because no identity-based policy \
//!      allows the s3:GetObject action"
//! );
//! ```

mod condition;
mod context;
mod document;
mod error;
mod evaluate;
mod glob;
mod json;
pub mod limits;
mod matching;
mod message;
mod parse;
mod principal;
mod values;
mod variables;

pub use condition::{Operator, SetQualifier};
pub use context::Context;
pub use document::{Effect, Entries, Policy, PolicyKind, PrincipalElement, Statement, Version};
pub use error::PolicyError;
pub use evaluate::{
    evaluate, evaluate_all, Decision, Evaluation, Policies, PolicyRef, PolicyType, Request,
    ResourcePolicy, ResourcePolicyKind, StatementRef,
};
pub use message::{access_denied_message, authorization_failure_json, FailedRequest};
pub use parse::parse_policy;
pub use principal::{MatchLevel, Principal, PrincipalKind, PrincipalSet, PrincipalType};
