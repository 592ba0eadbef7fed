//! [`Service`]: the object-safe face every AWS service presents to the gateway. Generated
//! code implements it for a service's typed handlers (see each `svc-*` crate's
//! `generated.rs`): it converts the decoded [`Value`] into the typed input, calls the
//! handler, and converts the typed output back.

use crate::{Operation, Protocol, ServiceModel, Value};
use nimbus_core::{AwsError, RequestContext};
use std::future::Future;
use std::pin::Pin;

pub type BoxFut<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

pub trait Service: Send + Sync + 'static {
    fn model(&self) -> &'static ServiceModel;

    /// Runs `op`. `input` is the decoded input structure (`None` when the operation has no
    /// input shape); the result is the output structure (`None` when it has none).
    /// `protocol` is only used to phrase input-conversion errors the protocol's way.
    fn call<'a>(
        &'a self,
        ctx: &'a RequestContext,
        protocol: Protocol,
        op: &'static Operation,
        input: Option<Value>,
    ) -> BoxFut<'a, Result<Option<Value>, AwsError>>;

    /// Wipes all state (`POST /_nimbus/reset`).
    fn reset(&self) {}
}
