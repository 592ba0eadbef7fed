//! Amazon CloudWatch: metrics (`PutMetricData`, `ListMetrics`, `GetMetricStatistics`) over
//! the service's three wire protocols (JSON, RPC v2 CBOR, query — the gateway picks), with
//! AWS's retention: data is rolled up into coarser resolutions as it ages and dropped after
//! 455 days, in memory and in the store.
//!
//! Dashboards are in [`dashboards`]. Nimbus's own services publish through [`publish`]. `GetMetricData` (statistics and metric math) is in [`metric_data`] and [`math`].
//! Metric alarms (`PutMetricAlarm`, `DescribeAlarms`, …, their evaluation by the Nimbus
//! clock and their actions) are in [`alarms`].
//!
//! `generated` holds the wire model, typed shapes and the `Handlers` trait produced by
//! `codegen/`. The operations are in [`handlers`] (input checks in [`validate`], errors in
//! [`error`]); the service's state, loading, reset and compaction in [`state`]; AWS's time
//! rules in [`retention`]; the data of all metrics in [`metrics`], of one metric in
//! [`series`]; the stored form in [`persist`].

pub mod alarms;
pub mod dashboards;
pub mod error;
pub mod generated;
pub mod handlers;
pub mod math;
pub mod metric_data;
pub mod metrics;
pub mod persist;
pub mod publish;
pub mod retention;
pub mod series;
pub mod state;
pub mod validate;

use nimbus_core::Clock;
use nimbus_store::{Store, StoreError};
use std::sync::Arc;

pub use publish::{Datum, Publisher};
pub use state::CloudWatch;

/// Builds the CloudWatch service, loading stored metrics and alarms.
pub fn service(
    store: Store,
    clock: Arc<dyn Clock>,
) -> Result<Arc<dyn nimbus_wire::Service>, StoreError> {
    Ok(build(store, clock)?.0)
}

/// Builds the CloudWatch service and hands out its alarms, for the wiring: set their
/// actions ([`alarms::Alarms::set_actions`]) and run their evaluator
/// ([`alarms::worker::AlarmEvaluator`]).
pub fn build(
    store: Store,
    clock: Arc<dyn Clock>,
) -> Result<(Arc<dyn nimbus_wire::Service>, Arc<alarms::Alarms>), StoreError> {
    let (service, alarms, _) = build_with_publisher(store, clock)?;
    Ok((service, alarms))
}

/// The service, its alarms and its publisher.
pub type Built = (
    Arc<dyn nimbus_wire::Service>,
    Arc<alarms::Alarms>,
    Publisher,
);

/// [`build`], also handing out a [`Publisher`]: how Nimbus's own services (EC2's instance
/// metrics) put data into `AWS/…` namespaces.
pub fn build_with_publisher(store: Store, clock: Arc<dyn Clock>) -> Result<Built, StoreError> {
    let cw = CloudWatch::load(store, clock)?;
    let alarms = cw.alarms.clone();
    let publisher = Publisher::new(cw.clone());
    Ok((Arc::new(generated::Router(cw)), alarms, publisher))
}
