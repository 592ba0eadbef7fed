//! Nimbus's EC2 (Amazon Elastic Compute Cloud): VPC networking (VPCs, subnets, gateways,
//! route tables, network ACLs, DHCP options, addresses, network interfaces), security
//! groups and their rules, availability zones and regions. `generated` holds the wire
//! model, typed shapes and the `Handlers` trait that `codegen/` produces from botocore;
//! [`Ec2`] (`state`) holds every account's and region's resources in memory over the
//! durable store, `handlers` implements the trait, one module per resource, and `public`
//! is what other services may ask of EC2 (subnets, groups, private addresses). Instances
//! are not here yet.

mod cidr;
mod def_errors;
pub mod def_records;
pub mod defs;
mod errors;
mod filters;
pub mod generated;
mod handlers;
pub mod images;
pub mod instance_types;
mod keypairs;
pub mod launch_templates;
mod model;
mod network;
mod permissions;
mod persist;
mod public;
mod regions;
mod render;
mod render_net;
mod setup;
mod state;
mod tags;

pub use public::{InterfaceInfo, NewInterface, SubnetInfo, AUTO_PUBLIC_IP_RANGE};
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
    Ok(build(store, clock, ids)?.0)
}

/// [`service`], plus a handle on the same state for the services that need EC2's
/// networking (see [`Ec2::subnet`], [`Ec2::allocate_private_ip`], …).
pub fn build(
    store: Store,
    clock: Arc<dyn Clock>,
    ids: Arc<Ids>,
) -> Result<(Arc<dyn nimbus_wire::Service>, Ec2), StoreError> {
    let _ = clock;
    let ec2 = Ec2::load(store, ids)?;
    Ok((Arc::new(generated::Router(ec2.clone())), ec2))
}

/// The availability zones of `region` as (zone name, zone id), in order — for services
/// that place resources in zones (Auto Scaling's `AvailabilityZones`).
pub fn availability_zones(region: &str) -> Vec<(String, String)> {
    regions::zones(region)
}
