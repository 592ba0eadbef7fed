//! The read (and address-allocation) API EC2 offers the rest of Nimbus, for the binary to
//! wire into the services that stand on VPC networking (instances, load balancers, Auto
//! Scaling). It works on an [`Ec2`] handle (`Clone`, shared state) by (account, region),
//! without a request: look a subnet up ([`SubnetInfo`]), list a scope's default subnets,
//! find a security group's VPC and read its ingress rules ([`IngressPermission`]), take or
//! give back a private IPv4 address of a subnet, and
//! create, look up and delete network interfaces ([`NewInterface`], [`InterfaceInfo`];
//! they appear in `DescribeNetworkInterfaces` as instances' and load balancers' do on AWS).
//! Taken addresses are durable like every EC2 write and lower the subnet's
//! `AvailableIpAddressCount`; a subnet holding addresses cannot be deleted. No wire types
//! here: callers answer their own API's errors, except where EC2's error is the one AWS
//! gives (an unknown subnet, a full subnet, an address in use).

use crate::cidr::{ip_text, parse_ip, Cidr};
use crate::errors;
use crate::model::TagRec;
use crate::network::{EniRec, NetRec, SubnetRec};
use crate::persist::Change;
use crate::render_net::RESERVED_PER_SUBNET;
use crate::state::{Ec2, Scope, ScopeKey, State};
use nimbus_core::AwsError;
use std::net::Ipv4Addr;

/// What another service needs to know about a subnet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubnetInfo {
    pub subnet_id: String,
    pub vpc_id: String,
    /// Zone name (`us-east-1a`).
    pub availability_zone: String,
    /// Zone id (`use1-az1`).
    pub availability_zone_id: String,
    pub cidr_block: String,
    pub map_public_ip_on_launch: bool,
    pub default_for_az: bool,
    /// Free addresses left (AWS's `AvailableIpAddressCount`).
    pub available_ip_address_count: i32,
}

impl SubnetInfo {
    fn of(s: &SubnetRec) -> Self {
        SubnetInfo {
            subnet_id: s.subnet_id.clone(),
            vpc_id: s.vpc_id.clone(),
            availability_zone: s.az.clone(),
            availability_zone_id: s.az_id.clone(),
            cidr_block: s.cidr_block.clone(),
            map_public_ip_on_launch: s.map_public_ip_on_launch,
            default_for_az: s.default_for_az,
            available_ip_address_count: crate::render_net::available_ips(s),
        }
    }
}

/// One ingress rule of a security group, as another service applies it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IngressPermission {
    /// `tcp`, `udp`, `icmp`, `icmpv6`, `-1` (everything) or a protocol number.
    pub protocol: String,
    /// Port range (tcp/udp) or ICMP type/code; `None` where the protocol has no ports.
    pub from_port: Option<i32>,
    pub to_port: Option<i32>,
    pub peer: IngressPeer,
}

/// Where an ingress rule admits traffic from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IngressPeer {
    /// An IPv4 or IPv6 range (`0.0.0.0/0`, `::/0`).
    Cidr(String),
    /// Members of a security group.
    Group(String),
    /// A managed prefix list.
    PrefixList(String),
}

fn key(account: &str, region: &str) -> ScopeKey {
    (account.to_string(), region.to_string())
}

impl Ec2 {
    /// The subnet `subnet_id` of (account, region), if it exists.
    pub fn subnet(&self, account: &str, region: &str, subnet_id: &str) -> Option<SubnetInfo> {
        self.read_state(|st| {
            st.scope_of(account, region)
                .and_then(|s| s.net.subnets.get(subnet_id))
                .map(SubnetInfo::of)
        })
    }

    /// The default subnets of (account, region) in zone order (creating the scope's
    /// defaults first if nothing has touched it yet). Empty when the default VPC was
    /// deleted.
    pub async fn default_subnets(
        &self,
        account: &str,
        region: &str,
    ) -> Result<Vec<SubnetInfo>, AwsError> {
        self.mutate_scope(key(account, region), |_, scope| {
            let mut out: Vec<SubnetInfo> = scope
                .net
                .subnets
                .values()
                .filter(|s| s.default_for_az)
                .map(SubnetInfo::of)
                .collect();
            out.sort_by(|a, b| a.availability_zone.cmp(&b.availability_zone));
            Ok((Change::default(), out))
        })
        .await
    }

    /// The VPC of security group `group_id` of (account, region), if the group exists.
    pub fn security_group_vpc(
        &self,
        account: &str,
        region: &str,
        group_id: &str,
    ) -> Option<String> {
        self.read_state(|st| {
            st.scope_of(account, region)
                .and_then(|s| s.group(group_id))
                .map(|g| g.vpc_id.clone())
        })
    }

    /// The ingress rules of security group `group_id` of (account, region), one per
    /// (protocol, port range, peer), in the order they were added; `None` if the group
    /// does not exist.
    pub fn security_group_ingress(
        &self,
        account: &str,
        region: &str,
        group_id: &str,
    ) -> Option<Vec<IngressPermission>> {
        self.read_state(|st| {
            let g = st.scope_of(account, region)?.group(group_id)?;
            Some(
                g.rules
                    .iter()
                    .filter(|r| !r.is_egress)
                    .map(|r| IngressPermission {
                        protocol: r.protocol.clone(),
                        from_port: r.from_port,
                        to_port: r.to_port,
                        peer: match &r.peer {
                            crate::model::Peer::Ipv4(c) | crate::model::Peer::Ipv6(c) => {
                                IngressPeer::Cidr(c.clone())
                            }
                            crate::model::Peer::PrefixList(p) => IngressPeer::PrefixList(p.clone()),
                            crate::model::Peer::Group { group_id, .. } => {
                                IngressPeer::Group(group_id.clone())
                            }
                        },
                    })
                    .collect(),
            )
        })
    }

    /// Takes a private IPv4 address of `subnet_id` for `holder` (an ENI id, or any string
    /// naming who holds it, e.g. `elb/app/my-lb/…`): `wanted` if given, else the lowest free
    /// address after the four AWS reserves at the start of the subnet (never the last, the
    /// broadcast address). Durable before it returns. Errors are AWS's:
    /// `InvalidSubnetID.NotFound`, `InvalidParameterValue` for an address outside the
    /// subnet or reserved, `InvalidIPAddress.InUse`, `InsufficientFreeAddressesInSubnet`.
    pub async fn allocate_private_ip(
        &self,
        account: &str,
        region: &str,
        subnet_id: &str,
        holder: &str,
        wanted: Option<Ipv4Addr>,
    ) -> Result<Ipv4Addr, AwsError> {
        let k = key(account, region);
        self.mutate_scope(k.clone(), |_, scope| {
            let s = scope
                .net
                .subnets
                .get(subnet_id)
                .ok_or_else(|| errors::subnet_not_found(subnet_id))?;
            let ip = take_address(s, wanted.map(u32::from))?;
            let mut s = s.clone();
            s.taken.insert(ip, holder.to_string());
            Ok((Change::put_net(&k, NetRec::Subnet(s)), Ipv4Addr::from(ip)))
        })
        .await
    }

    /// Gives `ip` back to `subnet_id`; `Ok(false)` when it was not taken (or the subnet
    /// is gone). Durable before it returns.
    pub async fn release_private_ip(
        &self,
        account: &str,
        region: &str,
        subnet_id: &str,
        ip: Ipv4Addr,
    ) -> Result<bool, AwsError> {
        let k = key(account, region);
        self.mutate_scope(k.clone(), |_, scope| {
            let Some(s) = scope.net.subnets.get(subnet_id) else {
                return Ok((Change::default(), false));
            };
            if !s.taken.contains_key(&u32::from(ip)) {
                return Ok((Change::default(), false));
            }
            let mut s = s.clone();
            s.taken.remove(&u32::from(ip));
            Ok((Change::put_net(&k, NetRec::Subnet(s)), true))
        })
        .await
    }
}

/// The address to take in `s`: `wanted` checked, or the lowest free one.
pub(crate) fn take_address(s: &SubnetRec, wanted: Option<u32>) -> Result<u32, AwsError> {
    let cidr = Cidr::parse(&s.cidr_block)
        .ok_or_else(|| AwsError::internal("stored subnet block does not parse"))?;
    let (low, high) = (cidr.first() + 4, cidr.last() - 1);
    if let Some(ip) = wanted {
        if !cidr.contains_ip(ip) {
            return Err(errors::invalid_parameter_value(format!(
                "Address {} does not fall within the subnet's address range",
                ip_text(ip)
            )));
        }
        if ip < low || ip > high {
            return Err(errors::invalid_parameter_value(format!(
                "Address {} is in subnet's reserved address range",
                ip_text(ip)
            )));
        }
        if s.taken.contains_key(&ip) {
            return Err(AwsError::client(
                "InvalidIPAddress.InUse",
                format!("Address {} is in use.", ip_text(ip)),
            ));
        }
        return Ok(ip);
    }
    let free = cidr.size() - RESERVED_PER_SUBNET;
    if s.taken.len() as u64 >= free {
        return Err(full_subnet(&s.subnet_id));
    }
    // `taken` is ordered: the first gap from `low` on is the lowest free address.
    let mut next = low;
    for &ip in s.taken.keys() {
        if ip < next {
            continue;
        }
        if ip > next {
            break;
        }
        next += 1;
    }
    if next > high {
        return Err(full_subnet(&s.subnet_id));
    }
    Ok(next)
}

fn full_subnet(subnet_id: &str) -> AwsError {
    AwsError::client(
        "InsufficientFreeAddressesInSubnet",
        format!(
            "There are not enough free addresses in subnet '{subnet_id}' to satisfy the requested number of instances."
        ),
    )
}

/// Where the public addresses interfaces get on creation come from (see
/// [`NewInterface::assign_public_ip`]): 198.18.0.0/16, RFC 2544's never-routed benchmarking
/// block. (Instances' public addresses and Elastic IPs are loopback addresses: decision 0008.)
pub const AUTO_PUBLIC_IP_RANGE: &str = "198.18.0.0/16";

/// A network interface to create (for an instance or a load balancer node).
#[derive(Clone, Debug, Default)]
pub struct NewInterface {
    pub subnet_id: String,
    /// Security groups (of the subnet's VPC); empty means the VPC's `default` group.
    pub group_ids: Vec<String>,
    pub description: String,
    /// AWS's `InterfaceType`: `interface` for an instance's, `network_load_balancer`, …
    pub interface_type: String,
    /// Set for interfaces a service manages (`amazon-elb`), shown as `RequesterId` with
    /// `RequesterManaged: true`.
    pub requester_id: Option<String>,
    /// The private address to take; `None` picks the lowest free one.
    pub private_ip: Option<Ipv4Addr>,
    /// (instance id, device index) when it belongs to an instance.
    pub attachment: Option<(String, i32)>,
    /// Map a public address from [`AUTO_PUBLIC_IP_RANGE`] to it.
    pub assign_public_ip: bool,
}

/// What other services need to know about an interface.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InterfaceInfo {
    pub network_interface_id: String,
    pub subnet_id: String,
    pub vpc_id: String,
    pub availability_zone: String,
    pub private_ip: Ipv4Addr,
    pub public_ip: Option<Ipv4Addr>,
    pub mac_address: String,
    pub group_ids: Vec<String>,
}

impl InterfaceInfo {
    fn of(e: &EniRec) -> Self {
        InterfaceInfo {
            network_interface_id: e.eni_id.clone(),
            subnet_id: e.subnet_id.clone(),
            vpc_id: e.vpc_id.clone(),
            availability_zone: e.az.clone(),
            private_ip: e.private_ip.parse().unwrap_or(Ipv4Addr::UNSPECIFIED),
            public_ip: e.public_ip.as_deref().and_then(|p| p.parse().ok()),
            mac_address: e.mac.clone(),
            group_ids: e.group_ids.clone(),
        }
    }
}

impl Ec2 {
    /// Creates a network interface in `spec.subnet_id`, taking its private address (and,
    /// if asked, a public one) in the same durable change; it then shows in
    /// `DescribeNetworkInterfaces` and lowers the subnet's free address count. Errors are
    /// AWS's: unknown subnet or group, a group of another VPC, an address in use, a full
    /// subnet.
    pub async fn add_network_interface(
        &self,
        account: &str,
        region: &str,
        spec: NewInterface,
    ) -> Result<InterfaceInfo, AwsError> {
        let k = key(account, region);
        self.mutate_scope(k.clone(), |st, scope| {
            let (change, eni) = self.plan_interface(st, scope, &k, &spec, Vec::new())?;
            Ok((change, InterfaceInfo::of(&eni)))
        })
        .await
    }

    /// The change creating interface `spec` (with `tags`) and the interface record; shared
    /// by the public API and `CreateNetworkInterface`.
    pub(crate) fn plan_interface(
        &self,
        st: &State,
        scope: &Scope,
        k: &ScopeKey,
        spec: &NewInterface,
        tags: Vec<TagRec>,
    ) -> Result<(Change, EniRec), AwsError> {
        let s = scope
            .net
            .subnets
            .get(&spec.subnet_id)
            .ok_or_else(|| errors::subnet_not_found(&spec.subnet_id))?;
        let mut groups = spec.group_ids.clone();
        if groups.is_empty() {
            let default = scope
                .group_by_name(&s.vpc_id, "default")
                .ok_or_else(|| errors::group_not_found("default"))?;
            groups.push(default.group_id.clone());
        }
        for g in &groups {
            let rec = scope.group(g).ok_or_else(|| errors::group_not_found(g))?;
            if rec.vpc_id != s.vpc_id {
                return Err(errors::invalid_parameter_value(format!(
                    "Security group {g} and subnet {} belong to different networks.",
                    s.subnet_id
                )));
            }
        }
        let ip = take_address(s, spec.private_ip.map(u32::from))?;
        let eni_id = self.ids.resource_id("eni");
        let mut subnet = s.clone();
        subnet.taken.insert(ip, eni_id.clone());
        let public_ip = if spec.assign_public_ip {
            Some(free_auto_public_ip(st)?)
        } else {
            None
        };
        let hex = self.ids.hex(10);
        let mac = format!(
            "02:{}:{}:{}:{}:{}",
            &hex[0..2],
            &hex[2..4],
            &hex[4..6],
            &hex[6..8],
            &hex[8..10]
        );
        let eni = EniRec {
            eni_id,
            subnet_id: s.subnet_id.clone(),
            vpc_id: s.vpc_id.clone(),
            az: s.az.clone(),
            private_ip: ip_text(ip),
            mac,
            description: spec.description.clone(),
            group_ids: groups,
            interface_type: if spec.interface_type.is_empty() {
                "interface".into()
            } else {
                spec.interface_type.clone()
            },
            requester_id: spec.requester_id.clone(),
            attachment: spec
                .attachment
                .as_ref()
                .map(|(i, d)| (i.clone(), self.ids.resource_id("eni-attach"), *d)),
            public_ip,
            tags,
        };
        let mut change = Change::put_net(k, NetRec::Subnet(subnet));
        change
            .put_net
            .push((k.clone(), NetRec::NetworkInterface(eni.clone())));
        Ok((change, eni))
    }

    /// The interface `eni_id` of (account, region), if it exists.
    pub fn network_interface(
        &self,
        account: &str,
        region: &str,
        eni_id: &str,
    ) -> Option<InterfaceInfo> {
        self.read_state(|st| {
            st.scope_of(account, region)
                .and_then(|s| s.net.enis.get(eni_id))
                .map(InterfaceInfo::of)
        })
    }

    /// Deletes interface `eni_id`, giving its private address back to the subnet and
    /// disassociating any Elastic IP from it (the address stays allocated). `Ok(false)`
    /// when there was no such interface.
    pub async fn remove_network_interface(
        &self,
        account: &str,
        region: &str,
        eni_id: &str,
    ) -> Result<bool, AwsError> {
        let k = key(account, region);
        self.mutate_scope(k.clone(), |_, scope| {
            let Some(e) = scope.net.enis.get(eni_id) else {
                return Ok((Change::default(), false));
            };
            Ok((delete_interface_change(scope, &k, e), true))
        })
        .await
    }
}

/// The change deleting interface `e`: its record, its subnet address, any Elastic IP
/// association (the address stays allocated).
pub(crate) fn delete_interface_change(scope: &Scope, k: &ScopeKey, e: &EniRec) -> Change {
    let mut change = Change::default();
    change.delete_net.push((k.clone(), e.eni_id.clone()));
    if let (Some(s), Some(ip)) = (scope.net.subnets.get(&e.subnet_id), parse_ip(&e.private_ip)) {
        let mut s = s.clone();
        s.taken.remove(&ip);
        change.put_net.push((k.clone(), NetRec::Subnet(s)));
    }
    for a in scope.net.addresses.values() {
        if a.association.as_ref().is_some_and(|x| x.0 == e.eni_id) {
            let mut a = a.clone();
            a.association = None;
            change.put_net.push((k.clone(), NetRec::Address(a)));
        }
    }
    change
}

/// The lowest address of [`AUTO_PUBLIC_IP_RANGE`] no interface holds.
fn free_auto_public_ip(state: &State) -> Result<String, AwsError> {
    let range = Cidr::parse(AUTO_PUBLIC_IP_RANGE).ok_or_else(|| AwsError::internal("bad range"))?;
    let used: std::collections::HashSet<&str> = state
        .scopes
        .values()
        .flat_map(|s| s.net.enis.values().filter_map(|e| e.public_ip.as_deref()))
        .collect();
    (range.first() + 2..range.last())
        .map(ip_text)
        .find(|ip| !used.contains(ip.as_str()))
        .ok_or_else(|| {
            AwsError::client(
                "InsufficientAddressCapacity",
                "There are no more public IPv4 addresses available.",
            )
        })
}
