//! What ELBv2 needs from EC2's networking, as a small trait this crate owns: a subnet's
//! VPC and availability zone, a security group's VPC and ingress rules (enforced on the
//! balancer's listeners), a VPC's default security group, and the network interface each
//! load balancer node holds in its subnet (so the nodes show in
//! `DescribeNetworkInterfaces`, as on AWS). The binary wires it to svc-ec2 (services never
//! import each other); tests use a fake.

use nimbus_core::AwsError;
use std::future::Future;
use std::pin::Pin;

/// What the interface calls return.
pub type NetFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, AwsError>> + Send + 'a>>;

/// The network interface of one load balancer node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeInterface {
    pub subnet_id: String,
    pub group_ids: Vec<String>,
    /// `ELB app/NAME/ID` (AWS's description of a balancer's interfaces).
    pub description: String,
    /// `interface` (ALB) or `network_load_balancer` (NLB).
    pub interface_type: String,
    /// Internet-facing nodes get a public address.
    pub public: bool,
}

/// A subnet as ELB sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubnetInfo {
    pub subnet_id: String,
    pub vpc_id: String,
    pub zone: String,
}

/// One ingress rule of a security group: a protocol, a port range and where traffic may
/// come from (rules naming a prefix list are not given).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IngressRule {
    /// `tcp`, `udp`, `icmp`, `-1` (everything) or a protocol number.
    pub protocol: String,
    pub from_port: Option<i32>,
    pub to_port: Option<i32>,
    pub source: RuleSource,
}

/// Where an ingress rule admits traffic from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RuleSource {
    /// An address range (`0.0.0.0/0`, `127.0.0.0/8`, `::/0` …).
    Cidr(String),
    /// Members of a security group (a balancer's own group, for its targets).
    Group(String),
}

/// EC2's networking, read-only.
pub trait Network: Send + Sync + 'static {
    fn subnet(&self, account: &str, region: &str, subnet_id: &str) -> Option<SubnetInfo>;
    /// The VPC of security group `group_id`, if it exists.
    fn security_group_vpc(&self, account: &str, region: &str, group_id: &str) -> Option<String>;
    /// The ingress rules of security group `group_id`, if it exists.
    fn security_group_ingress(
        &self,
        account: &str,
        region: &str,
        group_id: &str,
    ) -> Option<Vec<IngressRule>>;
    /// The id of `vpc_id`'s `default` security group.
    fn default_security_group(&self, account: &str, region: &str, vpc_id: &str) -> Option<String>;
    /// Whether VPC `vpc_id` exists.
    fn vpc_exists(&self, account: &str, region: &str, vpc_id: &str) -> bool;
    /// The default subnet of zone `zone` (in the default VPC), if there is one (Classic
    /// Load Balancers created with availability zones instead of subnets use it).
    fn default_subnet(&self, _account: &str, _region: &str, _zone: &str) -> Option<SubnetInfo> {
        None
    }
    /// Creates a node's interface; answers its id and private address.
    fn add_node_interface<'a>(
        &'a self,
        account: &'a str,
        region: &'a str,
        node: NodeInterface,
    ) -> NetFuture<'a, (String, String)>;
    /// Deletes a node's interface (no error if it is gone already).
    fn remove_node_interface<'a>(
        &'a self,
        account: &'a str,
        region: &'a str,
        eni_id: &'a str,
    ) -> NetFuture<'a, ()>;
}
