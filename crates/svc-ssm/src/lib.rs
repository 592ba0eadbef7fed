//! Nimbus's AWS Systems Manager Parameter Store. `generated` holds the wire model, typed
//! shapes and the `Handlers` trait that `codegen/` produces from botocore (awsJson1.1);
//! [`Ssm`] (`state`) holds every account's and region's own parameters in memory over the
//! durable store, `handlers` implements the trait, `public` serves the read-only
//! `/aws/service/…` parameters from the `nimbus_images` catalogue, and `authz` gives the
//! authorizer AWS's parameter ARNs. How values (SecureString included) are stored is
//! described in `model`. Not here: parameter policies (expiration/notification; answered
//! NotImplemented), the history of public parameters, and SSM's other features (documents,
//! Run Command, sessions).

mod authz;
mod errors;
pub mod generated;
mod handlers;
mod model;
mod persist;
mod public;
mod state;
mod validate;

pub use state::Ssm;

use nimbus_core::{Clock, Ids};
use nimbus_store::{Store, StoreError};
use std::sync::Arc;

/// The SSM service over `store`: loads every stored parameter, then serves reads from
/// memory and makes every mutation durable before answering. Timestamps come from each
/// request's Nimbus time; the clock is accepted for symmetry with the other services.
pub fn service(
    store: Store,
    clock: Arc<dyn Clock>,
    ids: Arc<Ids>,
) -> Result<Arc<dyn nimbus_wire::Service>, StoreError> {
    let _ = clock;
    Ok(Arc::new(authz::SsmService(generated::Router(Ssm::load(store, ids)?))))
}

#[cfg(test)]
mod tests;
