//! Nimbus's EC2 (Amazon Elastic Compute Cloud): VPC networking (VPCs, subnets, gateways,
//! route tables, network ACLs, DHCP options, addresses, network interfaces), security
//! groups and their rules, availability zones and regions. `generated` holds the wire
//! model, typed shapes and the `Handlers` trait that `codegen/` produces from botocore;
//! [`Ec2`] (`state`) holds every account's and region's resources in memory over the
//! durable store, `handlers` implements the trait, one module per resource, and `public`
//! is what other services may ask of EC2 (subnets, groups, private addresses).
//!
//! Instances: records in `inst_records` (kept by `defs`), the [`InstanceHost`] trait the
//! binary implements over the sandbox runtime (`host`), the state machine that drives the
//! host (`instances`), the API in `handlers::instances` / `handlers::instance_attrs`, and
//! [`Ec2::launch_instances`] / [`Ec2::terminate_instance`] for Auto Scaling.
//!
//! What instances are defined from lives beside that, with its own state holder (`defs`:
//! own lock, writer and store tables): key pairs (`keypairs` makes and reads the key
//! material), images over the built-in `nimbus-images` catalogue (`images`), instance types
//! (`instance_types`) and launch templates (`launch_templates`); their handlers sit with the
//! others. Read APIs for the rest of Nimbus: [`Ec2::key_pair_public_key`],
//! [`Ec2::image_base`], [`instance_types::lookup`], [`Ec2::launch_template_data`].

mod changes;
mod cidr;
mod def_errors;
pub mod def_records;
pub mod defs;
mod errors;
mod filters;
pub mod generated;
mod handlers;
pub mod host;
pub mod images;
mod inst_addresses;
pub mod inst_errors;
pub mod inst_records;
pub mod instance_types;
pub mod instances;
mod keypairs;
pub mod launch_templates;
pub mod managed_keys;
mod model;
mod network;
mod permissions;
mod persist;
mod public;
mod regions;
mod render;
mod render_net;
mod setup;
pub mod sg_firewall;
mod state;
mod tagging;
mod tags;

pub use handlers::instances::{LaunchOptions, LaunchedInstance};
pub use host::{HostSpec, HostState, InstanceHost, InstanceProfiles, TcpIngress};
pub use model::TagRec;
pub use public::{InterfaceInfo, NewInterface, SubnetInfo, AUTO_PUBLIC_IP_RANGE};
pub use sg_firewall::{PacketRule, PacketRules, PacketTraffic};
pub use state::Ec2;

use nimbus_core::{Clock, Ids};
use nimbus_store::{Store, StoreError};
use std::sync::Arc;

// Security group rules for the services that enforce them (load balancer listeners).
pub use public::{IngressPeer, IngressPermission};

/// The EC2 service over `store`: loads all stored EC2 state, then serves reads from memory
/// and makes every mutation durable before answering. The clock is Nimbus time for
/// instances (launch times, state transition reasons, terminated instances' hour).
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
    let ec2 = Ec2::load(store, ids)?;
    ec2.set_clock(clock);
    Ok((Arc::new(generated::Router(ec2.clone())), ec2))
}

/// [`service`] with Parameter Store's read side, which `resolve:ssm:` image ids in launch
/// templates resolve through (the account's own parameters as well as the public ones).
pub fn service_with_parameters(
    store: Store,
    clock: Arc<dyn Clock>,
    ids: Arc<Ids>,
    parameters: Arc<dyn launch_templates::ParameterLookup>,
) -> Result<Arc<dyn nimbus_wire::Service>, StoreError> {
    let (service, ec2) = build(store, clock, ids)?;
    ec2.with_parameters(parameters);
    Ok(service)
}

/// The availability zones of `region` as (zone name, zone id), in order — for services
/// that place resources in zones (Auto Scaling's `AvailabilityZones`).
pub fn availability_zones(region: &str) -> Vec<(String, String)> {
    regions::zones(region)
}
