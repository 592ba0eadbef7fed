//! AWS STS. `generated` holds the wire model, typed shapes and the `Handlers` trait that
//! `codegen/` produces from botocore; [`handlers`] implements it.

pub mod generated;
pub mod handlers;

use std::sync::Arc;

pub use handlers::Sts;

/// Builds the STS service.
pub fn service() -> Arc<dyn nimbus_wire::Service> {
    Arc::new(generated::Router(Sts))
}
