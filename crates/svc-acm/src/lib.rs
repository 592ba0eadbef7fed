//! AWS Certificate Manager over Nimbus's own certificate authority. `generated` holds the
//! wire model, typed shapes and the `Handlers` trait that `codegen/` produces from botocore;
//! `ca` makes the root CA and issues certificates; `x509` reads certificates and keys;
//! `model` is the stored records; [`Acm`] (`state`) holds them in memory over the store;
//! `handlers` implements the trait. [`Certificates`] is the read side the load balancers
//! terminate TLS with, and [`Users`] the trait through which they tell ACM who uses a
//! certificate (`InUseBy`, `ResourceInUseException`).
//!
//! Not here: private certificates (AWS Private CA), export, renewal, revocation, account
//! configuration changes, and validation records checked in a real DNS (validation
//! completes by itself).

pub mod ca;
pub mod generated;
mod handlers;
mod model;
mod state;
pub mod x509;

pub use state::{Acm, Certificates, Material, Users, WeakCertificates};

use nimbus_core::{Clock, Ids};
use nimbus_store::{Store, StoreError};
use std::sync::Arc;

/// The ACM service over `store`, and its read side for other services.
pub fn build(
    store: Store,
    clock: Arc<dyn Clock>,
    ids: Arc<Ids>,
) -> Result<(Arc<dyn nimbus_wire::Service>, Certificates), StoreError> {
    let acm = Acm::load(store, clock, ids)?;
    let certs = acm.certificates();
    Ok((Arc::new(generated::Router(acm)), certs))
}

#[cfg(test)]
mod tests;
