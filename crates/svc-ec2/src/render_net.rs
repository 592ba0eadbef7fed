//! Networking records to wire shapes: subnets, internet gateways, route tables, network
//! ACLs, DHCP options, Elastic IPs and network interfaces, with the fields AWS always shows
//! (false booleans, empty lists) filled in as `describe-*` prints them. No validation and
//! no state here.

use crate::cidr::Cidr;
use crate::generated::{BlockPublicAccessStates, PrivateDnsNameOptionsOnLaunch, Subnet};
use crate::network::SubnetRec;
use crate::tags;

/// Addresses AWS keeps in every subnet: the network address, the next three (router, DNS,
/// future use) and the broadcast address.
pub const RESERVED_PER_SUBNET: u64 = 5;

/// How many addresses of the subnet are still free.
pub fn available_ips(s: &SubnetRec) -> i32 {
    let size = Cidr::parse(&s.cidr_block).map_or(0, |c| c.size());
    size.saturating_sub(RESERVED_PER_SUBNET + s.taken.len() as u64) as i32
}

pub fn subnet_arn(region: &str, account: &str, id: &str) -> String {
    format!("arn:aws:ec2:{region}:{account}:subnet/{id}")
}

pub fn subnet(account: &str, region: &str, s: &SubnetRec) -> Subnet {
    Subnet {
        availability_zone_id: Some(s.az_id.clone()),
        map_customer_owned_ip_on_launch: Some(false),
        owner_id: Some(account.to_string()),
        assign_ipv6_address_on_creation: Some(false),
        ipv6_cidr_block_association_set: Some(Vec::new()),
        tags: tags::render(&s.tags),
        subnet_arn: Some(subnet_arn(region, account, &s.subnet_id)),
        enable_dns64: Some(false),
        ipv6_native: Some(false),
        private_dns_name_options_on_launch: Some(PrivateDnsNameOptionsOnLaunch {
            hostname_type: Some("ip-name".into()),
            enable_resource_name_dns_a_record: Some(false),
            enable_resource_name_dns_aaaa_record: Some(false),
        }),
        block_public_access_states: Some(BlockPublicAccessStates {
            internet_gateway_block_mode: Some("off".into()),
        }),
        subnet_id: Some(s.subnet_id.clone()),
        state: Some("available".into()),
        vpc_id: Some(s.vpc_id.clone()),
        cidr_block: Some(s.cidr_block.clone()),
        available_ip_address_count: Some(available_ips(s)),
        availability_zone: Some(s.az.clone()),
        default_for_az: Some(s.default_for_az),
        map_public_ip_on_launch: Some(s.map_public_ip_on_launch),
        ..Default::default()
    }
}
