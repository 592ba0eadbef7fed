//! AWS Certificate Manager. `generated` holds the wire model, typed shapes and the
//! `Handlers` trait that `codegen/` produces from botocore; [`handlers`] implements it.

pub mod generated;
pub mod handlers;

use std::sync::Arc;

pub use handlers::Acm;

/// Builds the ACM service.
pub fn service() -> Arc<dyn nimbus_wire::Service> {
    Arc::new(generated::Router(Acm))
}
