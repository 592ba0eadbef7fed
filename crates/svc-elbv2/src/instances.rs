//! What ELBv2 needs to know about EC2 instances to use them as targets, as a small trait
//! this crate owns ([`Instances`]): an instance's VPC, private address, zone, state and
//! security groups. `RegisterTargets` validates instance targets through it (they must
//! exist, be running and live in the target group's VPC), the snapshot routes to running
//! instances by their private address inside their VPC, `DescribeTargetHealth` reads a
//! stopped instance as `unused` / `Target.InvalidState`, and a terminated one is
//! deregistered (see `Elb::refresh`). The binary wires it to EC2; tests use a fake.

use std::net::Ipv4Addr;

/// An instance's lifecycle state, as EC2 names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InstanceState {
    Pending,
    Running,
    ShuttingDown,
    Terminated,
    Stopping,
    Stopped,
}

impl InstanceState {
    /// EC2's name of the state (`running`, `stopped`, …).
    pub fn name(self) -> &'static str {
        match self {
            InstanceState::Pending => "pending",
            InstanceState::Running => "running",
            InstanceState::ShuttingDown => "shutting-down",
            InstanceState::Terminated => "terminated",
            InstanceState::Stopping => "stopping",
            InstanceState::Stopped => "stopped",
        }
    }
}

/// An instance as a load balancer target sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstanceTarget {
    pub instance_id: String,
    pub vpc_id: String,
    pub subnet_id: String,
    /// Zone name (`us-east-1a`).
    pub zone: String,
    pub private_ip: Ipv4Addr,
    pub state: InstanceState,
    pub security_groups: Vec<String>,
}

/// EC2's instances, read-only.
pub trait Instances: Send + Sync + 'static {
    /// Instance `instance_id` of (account, region), if EC2 knows it (terminated instances
    /// may still be known for a while, with state `Terminated`).
    fn lookup(&self, account: &str, region: &str, instance_id: &str) -> Option<InstanceTarget>;
}
