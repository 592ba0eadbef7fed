//! The read (and address-allocation) API EC2 offers the rest of Nimbus, for the binary to
//! wire into the services that stand on VPC networking (instances, load balancers, Auto
//! Scaling). It works on an [`Ec2`] handle (`Clone`, shared state) by (account, region),
//! without a request: look a subnet up ([`SubnetInfo`]), list a scope's default subnets,
//! find a security group's VPC, and take or give back a private IPv4 address of a subnet.
//! Taken addresses are durable like every EC2 write and lower the subnet's
//! `AvailableIpAddressCount`; a subnet holding addresses cannot be deleted. No wire types
//! here: callers answer their own API's errors, except where EC2's error is the one AWS
//! gives (an unknown subnet, a full subnet, an address in use).

use crate::cidr::{ip_text, Cidr};
use crate::errors;
use crate::network::{NetRec, SubnetRec};
use crate::persist::Change;
use crate::render_net::RESERVED_PER_SUBNET;
use crate::state::{Ec2, ScopeKey};
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
