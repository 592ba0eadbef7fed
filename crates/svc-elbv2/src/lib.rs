//! Nimbus's Elastic Load Balancing (v2): the control plane of Application and Network Load
//! Balancers — load balancers, target groups and their targets, listeners, rules,
//! attributes and tags, durable in the store. `generated` holds the wire model, typed
//! shapes and the `Handlers` trait that `codegen/` produces from botocore; [`Elb`] (`state`)
//! holds the resources in memory over the store, and `handlers` implements the trait, one
//! module per resource. After every change `snapshot` turns the state into the data plane's
//! immutable configuration and publishes it to [`nimbus_lb::Plane`], which carries the
//! traffic and health-checks targets; `DescribeTargetHealth` reads the plane's health
//! board. Subnets and security groups are looked up through [`Network`], instances (for
//! instance targets) through [`Instances`], traits this crate owns and the binary wires to
//! EC2; `public` is what the binary wires into Auto Scaling.
//!
//! HTTPS and TLS listeners take ACM's issued certificates through [`Certificates`] (a
//! trait this crate owns, wired to svc-acm by the binary); the snapshot carries their PEM
//! material, resolved at every publish, and ACM asks [`Handle`] who uses a certificate.
//!
//! Not here yet: Gateway Load Balancers, Classic Load Balancers (`elb`), trust stores
//! (mutual TLS), Lambda and ALB targets.

pub mod attributes;
pub mod certs;
mod errors;
pub mod generated;
mod handlers;
pub mod instances;
mod model;
pub mod network;
mod persist;
mod public;
mod snapshot;
mod state;

pub use certs::{CertMaterial, Certificates, Handle, NoCertificates};
pub use handlers::health_words;
pub use handlers::{hosted_zone, ssl_policy, DEFAULT_SSL_POLICY};
pub use instances::{InstanceState, InstanceTarget, Instances};
pub use network::{IngressRule, NetFuture, Network, NodeInterface, RuleSource, SubnetInfo};
pub use snapshot::allow;
pub use state::{Elb, ElbInner};

use nimbus_core::{Clock, Ids};
use nimbus_lb::Plane;
use nimbus_store::{Store, StoreError};
use std::net::Ipv4Addr;
use std::sync::Arc;

/// The default node network (decision 0010): 127.80.0.0/16.
pub const NODE_NETWORK: (Ipv4Addr, u8) = (Ipv4Addr::new(127, 80, 0, 0), 16);

/// The ELBv2 service over `store`, publishing its configuration to `plane`; node addresses
/// are allocated from `node_net` (address, prefix length).
pub fn service(
    store: Store,
    clock: Arc<dyn Clock>,
    ids: Arc<Ids>,
    network: Arc<dyn Network>,
    plane: Arc<Plane>,
    node_net: (Ipv4Addr, u8),
) -> Result<Arc<dyn nimbus_wire::Service>, StoreError> {
    Ok(build(
        store,
        clock,
        ids,
        network,
        plane,
        node_net,
        Arc::new(NoCertificates),
    )?
    .0)
}

/// [`service`] with ACM's certificates for HTTPS and TLS listeners, and the handle the
/// binary wires into other services (Auto Scaling's target groups, ACM through
/// [`Elb::handle`]) and keeps up to date with EC2 ([`Elb::set_instances`],
/// [`ElbInner::refresh`]).
pub fn build(
    store: Store,
    clock: Arc<dyn Clock>,
    ids: Arc<Ids>,
    network: Arc<dyn Network>,
    plane: Arc<Plane>,
    node_net: (Ipv4Addr, u8),
    certs: Arc<dyn Certificates>,
) -> Result<(Arc<dyn nimbus_wire::Service>, Elb), StoreError> {
    let elb = Elb::load(store, clock, ids, network, plane, node_net, certs)?;
    Ok((Arc::new(generated::Router(elb.clone())), elb))
}
