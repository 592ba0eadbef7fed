//! Amazon CloudWatch: metrics (`PutMetricData`, `ListMetrics`, `GetMetricStatistics`) over
//! the service's three wire protocols (JSON, RPC v2 CBOR, query — the gateway picks).
//! `generated` holds the wire model, typed shapes and the `Handlers` trait produced by
//! `codegen/`; the metric repository is in [`metrics`], the operations in [`handlers`].

pub mod generated;
pub mod handlers;
pub mod metrics;

use nimbus_core::Clock;
use nimbus_store::{Store, StoreError};
use std::sync::Arc;

pub use handlers::CloudWatch;

/// Builds the CloudWatch service, loading stored metrics.
pub fn service(
    store: Store,
    clock: Arc<dyn Clock>,
) -> Result<Arc<dyn nimbus_wire::Service>, StoreError> {
    Ok(Arc::new(generated::Router(CloudWatch::load(store, clock)?)))
}
