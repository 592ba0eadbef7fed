//! The records EC2 keeps: VPCs and security groups (with their rules embedded), as serde
//! structs that are both the in-memory state and, versioned, the durable store's values.
//! They hold normalised facts (protocol names, port pairs, typed rule peers); turning them
//! into wire shapes is `render`'s job and parsing requests into them is `permissions`'.

use serde::{Deserialize, Serialize};

/// The CIDR block AWS gives every default VPC.
pub const DEFAULT_VPC_CIDR: &str = "172.31.0.0/16";

/// A key/value tag.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagRec {
    pub key: String,
    pub value: String,
}

/// One VPC of one (account, region).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct VpcRec {
    pub account: String,
    pub region: String,
    pub vpc_id: String,
    pub cidr_block: String,
    pub cidr_assoc_id: String,
    pub dhcp_options_id: String,
    pub is_default: bool,
    #[serde(default)]
    pub tags: Vec<TagRec>,
    /// Secondary IPv4 blocks (`AssociateVpcCidrBlock`), in association order.
    #[serde(default)]
    pub secondary_cidrs: Vec<VpcCidrRec>,
    /// `enableDnsSupport`; `None` means AWS's default, true.
    #[serde(default)]
    pub dns_support: Option<bool>,
    /// `enableDnsHostnames`; `None` means AWS's default: true in a default VPC only.
    #[serde(default)]
    pub dns_hostnames: Option<bool>,
    /// `enableNetworkAddressUsageMetrics`; `None` means false.
    #[serde(default)]
    pub nau_metrics: Option<bool>,
    /// `default` or `dedicated`; `None` means `default`.
    #[serde(default)]
    pub instance_tenancy: Option<String>,
}

/// A secondary IPv4 block of a VPC.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VpcCidrRec {
    pub assoc_id: String,
    pub cidr_block: String,
}

impl VpcRec {
    pub fn dns_support(&self) -> bool {
        self.dns_support.unwrap_or(true)
    }

    pub fn dns_hostnames(&self) -> bool {
        self.dns_hostnames.unwrap_or(self.is_default)
    }

    /// Every IPv4 block of the VPC, primary first.
    pub fn cidrs(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.cidr_block.as_str())
            .chain(self.secondary_cidrs.iter().map(|c| c.cidr_block.as_str()))
    }

    /// `arn:aws:ec2:{region}:{account}:vpc/{id}`.
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:ec2:{}:{}:vpc/{}",
            self.region, self.account, self.vpc_id
        )
    }
}

/// Who or what a rule allows traffic from (ingress) or to (egress).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Peer {
    Ipv4(String),
    Ipv6(String),
    PrefixList(String),
    /// Another (or the same) security group, possibly of another account.
    Group {
        group_id: String,
        user_id: String,
    },
}

impl Peer {
    /// The part of the peer that decides rule identity (a group pair is the same peer
    /// whatever owner id the caller spelled).
    pub fn identity(&self) -> (&'static str, &str) {
        match self {
            Peer::Ipv4(c) => ("4", c),
            Peer::Ipv6(c) => ("6", c),
            Peer::PrefixList(p) => ("pl", p),
            Peer::Group { group_id, .. } => ("sg", group_id),
        }
    }

    /// How AWS names the peer in its duplicate-rule message.
    pub fn label(&self) -> &str {
        self.identity().1
    }
}

/// One security group rule: a protocol, a port range (or ICMP type/code) and one peer.
/// AWS's `IpPermission` is a grouping of these by (protocol, from, to).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RuleRec {
    pub rule_id: String,
    pub is_egress: bool,
    /// `tcp`, `udp`, `icmp`, `icmpv6`, `-1`, or another protocol number as a string.
    pub protocol: String,
    /// Port range start (tcp/udp) or ICMP type; `None` where the protocol has no ports.
    pub from_port: Option<i32>,
    /// Port range end (tcp/udp) or ICMP code; `None` where the protocol has no ports.
    pub to_port: Option<i32>,
    pub peer: Peer,
    pub description: Option<String>,
    #[serde(default)]
    pub tags: Vec<TagRec>,
}

impl RuleRec {
    /// Two rules are the same rule when direction, protocol, ports and peer agree
    /// (descriptions and ids do not count).
    pub fn same_rule(&self, other: &RuleRec) -> bool {
        self.is_egress == other.is_egress
            && self.protocol == other.protocol
            && self.from_port == other.from_port
            && self.to_port == other.to_port
            && self.peer.identity() == other.peer.identity()
    }

    /// AWS's wording of a rule in `InvalidPermission.Duplicate`:
    /// `peer: 0.0.0.0/0, TCP, from port: 80, to port: 80, ALLOW`.
    pub fn describe(&self) -> String {
        let proto = match self.protocol.as_str() {
            "-1" => "ALL".to_string(),
            p => p.to_ascii_uppercase(),
        };
        let ports = match (self.protocol.as_str(), self.from_port, self.to_port) {
            ("tcp" | "udp", Some(f), Some(t)) => format!(", from port: {f}, to port: {t}"),
            ("icmp" | "icmpv6", Some(f), Some(t)) => format!(", type: {f}, code: {t}"),
            _ => String::new(),
        };
        format!("peer: {}, {proto}{ports}, ALLOW", self.peer.label())
    }
}

/// One security group of one (account, region).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupRec {
    pub account: String,
    pub region: String,
    pub group_id: String,
    pub group_name: String,
    pub description: String,
    pub vpc_id: String,
    #[serde(default)]
    pub tags: Vec<TagRec>,
    /// Ingress and egress rules in the order they were added.
    #[serde(default)]
    pub rules: Vec<RuleRec>,
}

impl GroupRec {
    pub fn is_default(&self) -> bool {
        self.group_name == "default"
    }

    /// `arn:aws:ec2:{region}:{account}:security-group/{group id}`.
    pub fn arn(&self) -> String {
        self.arn_of("security-group/", &self.group_id)
    }

    /// `arn:aws:ec2:{region}:{account}:security-group-rule/{rule id}`.
    pub fn rule_arn(&self, rule_id: &str) -> String {
        self.arn_of("security-group-rule/", rule_id)
    }

    /// Built by hand rather than with `format!`: every described group renders its ARN.
    fn arn_of(&self, kind: &str, id: &str) -> String {
        const PREFIX: &str = "arn:aws:ec2:";
        let mut s = String::with_capacity(
            PREFIX.len() + self.region.len() + self.account.len() + kind.len() + id.len() + 2,
        );
        for part in [PREFIX, &self.region, ":", &self.account, ":", kind, id] {
            s.push_str(part);
        }
        s
    }

    /// Whether any rule of this group names `group_id` as its peer.
    pub fn references(&self, group_id: &str) -> bool {
        self.rules
            .iter()
            .any(|r| matches!(&r.peer, Peer::Group { group_id: g, .. } if g == group_id))
    }
}
