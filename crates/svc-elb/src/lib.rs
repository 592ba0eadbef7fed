//! Elastic Load Balancing's Classic Load Balancers (`elb`, API 2012-06-01), on the same
//! data plane as ELBv2 (`nimbus-lb`, decision 0010). `generated` holds the wire model,
//! typed shapes and the `Handlers` trait that `codegen/` produces from botocore; `handlers`
//! implements it (balancers and listeners, instances and health, policies) over the
//! durable records in `state`; [`Classic`] (`classic`) holds them with EC2's networking
//! and instances and publishes the data plane's part `"elb"` after every change
//! (`snapshot`); `errors` words AWS's errors (decision 0012). EC2 and ACM are reached
//! through the traits svc-elbv2 owns for the same purpose ([`svc_elbv2::Network`],
//! [`svc_elbv2::Instances`], [`svc_elbv2::Certificates`]), so the binary wires one adapter
//! of each to both; `public` is what the binary wires into Auto Scaling.
//!
//! Not here yet: backend (instance) HTTPS/SSL, proxy protocol and other
//! `CreateLoadBalancerPolicy` policies, access logs written to S3, ACM's `InUseBy` for
//! Classic listeners, `ApplySecurityGroupsToLoadBalancer`, attaching subnets and zones
//! after creation.

mod classic;
pub mod errors;
pub mod generated;
mod handlers;
mod public;
pub mod snapshot;
pub mod state;

pub use classic::{Classic, PART};
pub use public::InstanceHealth;

use nimbus_core::{Clock, Ids};
use nimbus_store::{Durable, Store, StoreError};
use std::sync::Arc;

/// Builds the Classic Load Balancer service over `store`, publishing to `plane` with node
/// addresses from `node_net`; answers the wire service and the handle the binary wires
/// into EC2's refresh and Auto Scaling.
pub fn build(
    store: Store,
    clock: Arc<dyn Clock>,
    ids: Arc<Ids>,
    network: Arc<dyn svc_elbv2::Network>,
    plane: Arc<nimbus_lb::Plane>,
    node_net: (std::net::Ipv4Addr, u8),
    certs: Arc<dyn svc_elbv2::Certificates>,
) -> Result<(Arc<dyn nimbus_wire::Service>, Classic), StoreError> {
    let state = Durable::load("elb", store)?;
    let c = Classic::new(state, clock, ids, network, plane, node_net, certs);
    Ok((Arc::new(generated::Router(c.clone())), c))
}
