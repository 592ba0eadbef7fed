//! Nimbus's EC2 (Amazon Elastic Compute Cloud): security groups and their rules, the
//! default VPC, availability zones and regions. `generated` holds the wire model, typed
//! shapes and the `Handlers` trait that `codegen/` produces from botocore; [`Ec2`]
//! (`state`) holds every account's and region's resources in memory over the durable
//! store, and `handlers` implements the trait, one module per resource. Instances,
//! subnets and VPC creation are not here yet.

mod errors;
mod filters;
pub mod generated;
mod handlers;
mod model;
mod permissions;
mod persist;
mod regions;
mod render;
mod state;
mod tags;

pub use state::Ec2;

use nimbus_core::{Clock, Ids};
use nimbus_store::{Store, StoreError};
use std::sync::Arc;

/// The EC2 service over `store`: loads all stored EC2 state, then serves reads from memory
/// and makes every mutation durable before answering. The clock is accepted for symmetry
/// with the other services; nothing in EC2's current resources is time-dependent.
pub fn service(
    store: Store,
    clock: Arc<dyn Clock>,
    ids: Arc<Ids>,
) -> Result<Arc<dyn nimbus_wire::Service>, StoreError> {
    let _ = clock;
    Ok(Arc::new(generated::Router(Ec2::load(store, ids)?)))
}

/// The availability zones of `region` as (zone name, zone id), in order — for services
/// that place resources in zones (Auto Scaling's `AvailabilityZones`).
pub fn availability_zones(region: &str) -> Vec<(String, String)> {
    regions::zones(region)
}
