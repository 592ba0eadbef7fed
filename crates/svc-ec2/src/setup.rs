//! What EC2 creates by itself: the default VPC of an (account, region) as a new AWS account
//! has it (172.31.0.0/16, a /20 default subnet per availability zone in zone order with
//! public addresses on launch, an attached internet gateway, a main route table with the
//! `local` route and `0.0.0.0/0 → igw`, the default network ACL associated with every
//! subnet, the region's DHCP options and the `default` security group), and the companions
//! every VPC gets when it is created (main route table, default ACL, default group). See
//! <https://docs.aws.amazon.com/vpc/latest/userguide/default-vpc.html>. Builders only: the
//! callers decide when, and submit the [`Change`].

use crate::model::{VpcRec, DEFAULT_VPC_CIDR};
use crate::network::{
    AclAssocRec, AclEntryRec, AclRec, DhcpRec, IgwRec, NetRec, RouteRec, RouteTableRec,
    RtbAssocRec, SubnetRec,
};
use crate::persist::Change;
use crate::regions;
use crate::state::{Ec2, Scope, ScopeKey};

/// The default subnets' prefix length.
const DEFAULT_SUBNET_LEN: u32 = 20;

/// The scope's missing defaults: everything when it has nothing; for a scope stored by an
/// older Nimbus (a default VPC and group but no networking), the networking around its
/// existing default VPC; and always the marker that they now exist.
pub fn defaults(ec2: &Ec2, key: &ScopeKey, scope: Option<&Scope>) -> Change {
    let (account, region) = key.clone();
    let mut change = Change::default();
    let existing = scope.and_then(Scope::default_vpc).cloned();
    let vpc = match existing {
        Some(v) => v,
        None => {
            let v = VpcRec {
                account: account.clone(),
                region: region.clone(),
                vpc_id: ec2.ids.resource_id("vpc"),
                cidr_block: DEFAULT_VPC_CIDR.to_string(),
                cidr_assoc_id: ec2.ids.resource_id("vpc-cidr-assoc"),
                dhcp_options_id: ec2.ids.resource_id("dopt"),
                is_default: true,
                ..Default::default()
            };
            change.put_vpcs.push(v.clone());
            v
        }
    };
    let has_group = scope.is_some_and(|s| s.group_by_name(&vpc.vpc_id, "default").is_some());
    if !has_group {
        change
            .put_groups
            .push(ec2.default_group(&account, &region, &vpc.vpc_id));
    }
    let has_net = scope.is_some_and(|s| s.net.main_route_table(&vpc.vpc_id).is_some());
    if !has_net {
        let dhcp = dhcp_options(&region, vpc.dhcp_options_id.clone());
        change
            .put_net
            .push((key.clone(), NetRec::DhcpOptions(dhcp)));
        let igw = IgwRec {
            igw_id: ec2.ids.resource_id("igw"),
            vpc_id: Some(vpc.vpc_id.clone()),
            tags: Vec::new(),
        };
        let mut rtb = main_route_table(ec2, &vpc);
        rtb.routes.push(RouteRec {
            destination: "0.0.0.0/0".into(),
            target: igw.igw_id.clone(),
            origin: "CreateRoute".into(),
        });
        let mut acl = default_acl(ec2, &vpc.vpc_id);
        let base = crate::cidr::Cidr::parse(DEFAULT_VPC_CIDR).map_or(0, |c| c.base);
        for (i, (az, az_id)) in regions::zones(&region).into_iter().enumerate() {
            let cidr = crate::cidr::Cidr {
                base: base + ((i as u32) << (32 - DEFAULT_SUBNET_LEN)),
                len: DEFAULT_SUBNET_LEN as u8,
            };
            let subnet = SubnetRec {
                subnet_id: ec2.ids.resource_id("subnet"),
                vpc_id: vpc.vpc_id.clone(),
                cidr_block: cidr.to_string(),
                az,
                az_id,
                map_public_ip_on_launch: true,
                default_for_az: true,
                tags: Vec::new(),
                taken: Default::default(),
            };
            acl.associations.push(AclAssocRec {
                assoc_id: ec2.ids.resource_id("aclassoc"),
                subnet_id: subnet.subnet_id.clone(),
            });
            change.put_net.push((key.clone(), NetRec::Subnet(subnet)));
        }
        change
            .put_net
            .push((key.clone(), NetRec::InternetGateway(igw)));
        change.put_net.push((key.clone(), NetRec::RouteTable(rtb)));
        change.put_net.push((key.clone(), NetRec::NetworkAcl(acl)));
    }
    change.put_net.push((key.clone(), NetRec::Defaults));
    change
}

/// The region's default DHCP options: AWS's domain name for the region and the Amazon DNS
/// server (<https://docs.aws.amazon.com/vpc/latest/userguide/DHCPOptionSet.html>).
pub fn dhcp_options(region: &str, dopt_id: String) -> DhcpRec {
    let domain = if region == "us-east-1" {
        "ec2.internal".to_string()
    } else {
        format!("{region}.compute.internal")
    };
    DhcpRec {
        dopt_id,
        configurations: vec![
            ("domain-name".into(), vec![domain]),
            (
                "domain-name-servers".into(),
                vec!["AmazonProvidedDNS".into()],
            ),
        ],
        tags: Vec::new(),
    }
}

/// A VPC's main route table: the `local` route of each of its blocks.
pub fn main_route_table(ec2: &Ec2, vpc: &VpcRec) -> RouteTableRec {
    RouteTableRec {
        rtb_id: ec2.ids.resource_id("rtb"),
        vpc_id: vpc.vpc_id.clone(),
        routes: vpc
            .cidrs()
            .map(|c| RouteRec {
                destination: c.to_string(),
                target: "local".into(),
                origin: "CreateRouteTable".into(),
            })
            .collect(),
        associations: vec![RtbAssocRec {
            assoc_id: ec2.ids.resource_id("rtbassoc"),
            subnet_id: None,
            main: true,
        }],
        tags: Vec::new(),
    }
}

/// A VPC's default network ACL: rule 100 allows all traffic each way, `*` (32767) denies.
pub fn default_acl(ec2: &Ec2, vpc_id: &str) -> AclRec {
    let entry = |rule_number, egress, allow| AclEntryRec {
        rule_number,
        egress,
        protocol: "-1".into(),
        allow,
        cidr_block: "0.0.0.0/0".into(),
        port_range: None,
    };
    AclRec {
        acl_id: ec2.ids.resource_id("acl"),
        vpc_id: vpc_id.to_string(),
        is_default: true,
        entries: vec![
            entry(100, true, true),
            entry(32767, true, false),
            entry(100, false, true),
            entry(32767, false, false),
        ],
        associations: Vec::new(),
        tags: Vec::new(),
    }
}

/// What a new (non-default) VPC gets besides itself: main route table, default ACL and
/// `default` security group.
pub fn vpc_companions(ec2: &Ec2, key: &ScopeKey, vpc: &VpcRec) -> Change {
    let (account, region) = key;
    Change {
        put_groups: vec![ec2.default_group(account, region, &vpc.vpc_id)],
        put_net: vec![
            (key.clone(), NetRec::RouteTable(main_route_table(ec2, vpc))),
            (
                key.clone(),
                NetRec::NetworkAcl(default_acl(ec2, &vpc.vpc_id)),
            ),
        ],
        ..Default::default()
    }
}
