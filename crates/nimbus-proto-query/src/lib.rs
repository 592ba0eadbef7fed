//! The AWS `query` protocol (STS, IAM, ELBv2, Auto Scaling, SNS, CloudWatch's legacy
//! protocol) and its `ec2` variant, server side: a form-encoded request (body and/or URL
//! query string) becomes a [`Value`](nimbus_wire::Value) tree, and a value tree becomes the
//! XML body botocore's `QueryParser` / `EC2QueryParser` read.
//!
//! This crate owns the flat-key naming rules of both protocols (`Tags.member.1.Key`,
//! `Filter.1.Value.2`, `Attributes.entry.1.key`), the XML response envelopes and the XML
//! error bodies. It does not resolve the operation (`Action`), check signatures, or convert
//! values into typed inputs; those belong to the gateway and to generated code. The two
//! dialects share one decoder (`decode`) and one XML writer (`encode`), parameterised by a
//! `Dialect`; [`query`] and [`ec2`] are the thin public faces.
//!
//! The rules mirror what botocore's `QuerySerializer`/`EC2Serializer` send and what its
//! `QueryParser`/`EC2QueryParser` accept; see `dev/` for the scripts that captured the test
//! vectors and that check our XML against botocore's parser.

mod decode;
mod dialect;
mod encode;
mod form;

pub mod ec2;
pub mod query;

pub use form::parse_params;

pub(crate) use dialect::Dialect;
