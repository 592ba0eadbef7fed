//! What ELBv2 needs from EC2's networking, as a small trait this crate owns: a subnet's
//! VPC and availability zone, a security group's VPC, and a VPC's default security group.
//! The binary wires it to svc-ec2 (services never import each other); tests use a fake.

/// A subnet as ELB sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubnetInfo {
    pub subnet_id: String,
    pub vpc_id: String,
    pub zone: String,
}

/// EC2's networking, read-only.
pub trait Network: Send + Sync + 'static {
    fn subnet(&self, account: &str, region: &str, subnet_id: &str) -> Option<SubnetInfo>;
    /// The VPC of security group `group_id`, if it exists.
    fn security_group_vpc(&self, account: &str, region: &str, group_id: &str) -> Option<String>;
    /// The id of `vpc_id`'s `default` security group.
    fn default_security_group(&self, account: &str, region: &str, vpc_id: &str) -> Option<String>;
    /// Whether VPC `vpc_id` exists.
    fn vpc_exists(&self, account: &str, region: &str, vpc_id: &str) -> bool;
}
