//! Networking records to wire shapes: subnets, internet gateways, route tables, network
//! ACLs, DHCP options, Elastic IPs and network interfaces, with the fields AWS always shows
//! (false booleans, empty lists) filled in as `describe-*` prints them. No validation and
//! no state here.

use crate::cidr::Cidr;
use crate::generated::{
    Address, AttributeValue, BlockPublicAccessStates, DhcpConfiguration, DhcpOptions,
    GroupIdentifier, InternetGateway, InternetGatewayAttachment, NetworkAcl, NetworkAclAssociation,
    NetworkAclEntry, NetworkInterface, NetworkInterfaceAssociation, NetworkInterfaceAttachment,
    NetworkInterfacePrivateIpAddress, PortRange, PrivateDnsNameOptionsOnLaunch, Route, RouteTable,
    RouteTableAssociation, RouteTableAssociationState, Subnet,
};
use crate::network::{
    AclRec, AddressRec, DhcpRec, EniRec, IgwRec, Net, RouteRec, RouteTableRec, RtbAssocRec,
    SubnetRec,
};
use crate::state::Scope;
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

pub fn internet_gateway(account: &str, g: &IgwRec) -> InternetGateway {
    InternetGateway {
        attachments: Some(
            g.vpc_id
                .iter()
                .map(|v| InternetGatewayAttachment {
                    state: Some("available".into()),
                    vpc_id: Some(v.clone()),
                })
                .collect(),
        ),
        internet_gateway_id: Some(g.igw_id.clone()),
        owner_id: Some(account.to_string()),
        tags: tags::render(&g.tags),
    }
}

/// Whether a route's target is there to carry traffic (`active`) or gone (`blackhole`).
pub fn route_state(net: &Net, vpc_id: &str, r: &RouteRec) -> &'static str {
    let live = match r.target.as_str() {
        "local" => true,
        t if t.starts_with("igw-") => net
            .igws
            .get(t)
            .is_some_and(|g| g.vpc_id.as_deref() == Some(vpc_id)),
        t if t.starts_with("eni-") => net.enis.contains_key(t),
        _ => false,
    };
    if live {
        "active"
    } else {
        "blackhole"
    }
}

pub fn route(net: &Net, vpc_id: &str, r: &RouteRec) -> Route {
    let mut out = Route {
        destination_cidr_block: Some(r.destination.clone()),
        origin: Some(r.origin.clone()),
        state: Some(route_state(net, vpc_id, r).into()),
        ..Default::default()
    };
    let t = Some(r.target.clone());
    match r.target.split('-').next().unwrap_or_default() {
        "eni" => out.network_interface_id = t,
        "nat" => out.nat_gateway_id = t,
        "i" => out.instance_id = t,
        "pcx" => out.vpc_peering_connection_id = t,
        "tgw" => out.transit_gateway_id = t,
        _ => out.gateway_id = t,
    }
    out
}

pub fn route_table_association(rtb_id: &str, a: &RtbAssocRec) -> RouteTableAssociation {
    RouteTableAssociation {
        main: Some(a.main),
        route_table_association_id: Some(a.assoc_id.clone()),
        route_table_id: Some(rtb_id.to_string()),
        subnet_id: a.subnet_id.clone(),
        association_state: Some(associated()),
        ..Default::default()
    }
}

pub fn associated() -> RouteTableAssociationState {
    RouteTableAssociationState {
        state: Some("associated".into()),
        status_message: None,
    }
}

pub fn route_table(account: &str, net: &Net, r: &RouteTableRec) -> RouteTable {
    RouteTable {
        associations: Some(
            r.associations
                .iter()
                .map(|a| route_table_association(&r.rtb_id, a))
                .collect(),
        ),
        propagating_vgws: Some(Vec::new()),
        route_table_id: Some(r.rtb_id.clone()),
        routes: Some(r.routes.iter().map(|x| route(net, &r.vpc_id, x)).collect()),
        tags: Some(tags::render(&r.tags).unwrap_or_default()),
        vpc_id: Some(r.vpc_id.clone()),
        owner_id: Some(account.to_string()),
    }
}

pub fn network_acl(account: &str, a: &AclRec) -> NetworkAcl {
    NetworkAcl {
        associations: Some(
            a.associations
                .iter()
                .map(|x| NetworkAclAssociation {
                    network_acl_association_id: Some(x.assoc_id.clone()),
                    network_acl_id: Some(a.acl_id.clone()),
                    subnet_id: Some(x.subnet_id.clone()),
                })
                .collect(),
        ),
        entries: Some(
            a.entries
                .iter()
                .map(|e| NetworkAclEntry {
                    cidr_block: Some(e.cidr_block.clone()),
                    egress: Some(e.egress),
                    port_range: e.port_range.map(|(from, to)| PortRange {
                        from: Some(from),
                        to: Some(to),
                    }),
                    protocol: Some(e.protocol.clone()),
                    rule_action: Some(if e.allow { "allow" } else { "deny" }.into()),
                    rule_number: Some(e.rule_number),
                    ..Default::default()
                })
                .collect(),
        ),
        is_default: Some(a.is_default),
        network_acl_id: Some(a.acl_id.clone()),
        tags: Some(tags::render(&a.tags).unwrap_or_default()),
        vpc_id: Some(a.vpc_id.clone()),
        owner_id: Some(account.to_string()),
    }
}

pub fn dhcp_options(account: &str, d: &DhcpRec) -> DhcpOptions {
    DhcpOptions {
        owner_id: Some(account.to_string()),
        tags: Some(tags::render(&d.tags).unwrap_or_default()),
        dhcp_options_id: Some(d.dopt_id.clone()),
        dhcp_configurations: Some(
            d.configurations
                .iter()
                .map(|(k, vs)| DhcpConfiguration {
                    key: Some(k.clone()),
                    values: Some(
                        vs.iter()
                            .map(|v| AttributeValue {
                                value: Some(v.clone()),
                            })
                            .collect(),
                    ),
                })
                .collect(),
        ),
    }
}

pub fn address(account: &str, region: &str, a: &AddressRec, scope: &Scope) -> Address {
    let mut out = Address {
        allocation_id: Some(a.allocation_id.clone()),
        domain: Some("vpc".into()),
        tags: tags::render(&a.tags),
        public_ipv4_pool: Some("amazon".into()),
        network_border_group: Some(region.to_string()),
        public_ip: Some(a.public_ip.clone()),
        ..Default::default()
    };
    if let Some((eni_id, assoc_id)) = &a.association {
        out.association_id = Some(assoc_id.clone());
        out.network_interface_id = Some(eni_id.clone());
        out.network_interface_owner_id = Some(account.to_string());
        if let Some(eni) = scope.net.enis.get(eni_id) {
            out.private_ip_address = Some(eni.private_ip.clone());
            out.subnet_id = Some(eni.subnet_id.clone());
            out.instance_id = eni.attachment.as_ref().map(|a| a.0.clone());
        }
    }
    out
}

/// The EC2-internal host name of a private address (`ip-10-0-1-5.ec2.internal`).
pub fn private_dns_name(region: &str, ip: &str) -> String {
    let host = format!("ip-{}", ip.replace('.', "-"));
    if region == "us-east-1" {
        format!("{host}.ec2.internal")
    } else {
        format!("{host}.{region}.compute.internal")
    }
}

pub fn network_interface(
    account: &str,
    region: &str,
    e: &EniRec,
    scope: &Scope,
) -> NetworkInterface {
    let association = e.public_ip.as_ref().map(|ip| {
        let eip = scope
            .net
            .addresses
            .values()
            .find(|a| a.association.as_ref().is_some_and(|x| x.0 == e.eni_id));
        NetworkInterfaceAssociation {
            allocation_id: eip.map(|a| a.allocation_id.clone()),
            association_id: eip.and_then(|a| a.association.as_ref().map(|x| x.1.clone())),
            ip_owner_id: Some(if eip.is_some() { account } else { "amazon" }.to_string()),
            public_dns_name: Some(String::new()),
            public_ip: Some(ip.clone()),
            ..Default::default()
        }
    });
    let dns = private_dns_name(region, &e.private_ip);
    NetworkInterface {
        association: association.clone(),
        attachment: e.attachment.as_ref().map(|(instance, attachment, index)| {
            NetworkInterfaceAttachment {
                attachment_id: Some(attachment.clone()),
                delete_on_termination: Some(true),
                device_index: Some(*index),
                network_card_index: Some(0),
                instance_id: Some(instance.clone()),
                instance_owner_id: Some(account.to_string()),
                status: Some("attached".into()),
                ..Default::default()
            }
        }),
        availability_zone: Some(e.az.clone()),
        description: Some(e.description.clone()),
        groups: Some(
            e.group_ids
                .iter()
                .map(|g| GroupIdentifier {
                    group_id: Some(g.clone()),
                    group_name: scope.group(g).map(|x| x.group_name.clone()),
                })
                .collect(),
        ),
        interface_type: Some(e.interface_type.clone()),
        ipv6_addresses: Some(Vec::new()),
        mac_address: Some(e.mac.clone()),
        network_interface_id: Some(e.eni_id.clone()),
        owner_id: Some(account.to_string()),
        private_dns_name: Some(dns.clone()),
        private_ip_address: Some(e.private_ip.clone()),
        private_ip_addresses: Some(vec![NetworkInterfacePrivateIpAddress {
            association,
            primary: Some(true),
            private_dns_name: Some(dns),
            private_ip_address: Some(e.private_ip.clone()),
        }]),
        requester_id: e.requester_id.clone(),
        requester_managed: Some(e.requester_id.is_some()),
        source_dest_check: Some(true),
        status: Some(
            if e.attachment.is_some() {
                "in-use"
            } else {
                "available"
            }
            .into(),
        ),
        subnet_id: Some(e.subnet_id.clone()),
        tag_set: Some(tags::render(&e.tags).unwrap_or_default()),
        vpc_id: Some(e.vpc_id.clone()),
        deny_all_igw_traffic: None,
        ipv6_native: Some(false),
        availability_zone_id: scope.net.subnets.get(&e.subnet_id).map(|s| s.az_id.clone()),
        ..Default::default()
    }
}
