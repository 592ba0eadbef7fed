//! The server side of AWS's JSON-bodied RPC protocols: `awsJson1_0` / `awsJson1_1`
//! ([`json`]) and Smithy RPC v2 CBOR ([`rpcv2`], over the generic codec in [`cbor`]).
//! Each turns one operation's request body into a model-driven [`nimbus_wire::Value`]
//! and a result or [`nimbus_core::AwsError`] back into an [`nimbus_wire::HttpResponse`].
//!
//! Not here: routing (`X-Amz-Target`, the RPC v2 path is only parsed), authentication,
//! gzip request bodies (the gateway inflates them), and typed conversion (generated code
//! in each service). Both protocols share one shape walk (`walk`; JSON decodes in one pass
//! over the body but by the same rules, with its scalars going through the walk) and one
//! notion of error identity (`errors`), so they cannot drift apart on the rules they have
//! in common.
//!
//! The byte-level behaviour is pinned by fixtures captured from botocore 1.43.11
//! (`dev/capture_requests.py`) and checked against botocore's own response parsers
//! (`dev/check_responses.py`).

pub mod cbor;
mod errors;
pub mod json;
pub mod rpcv2;
mod walk;
