//! Records to wire shapes: a group's rules grouped into `IpPermission`s by (protocol, from,
//! to) the way `DescribeSecurityGroups` shows them (every permission carries its four peer
//! lists, empty ones included, and protocol `-1` has no ports), the per-rule
//! `SecurityGroupRule` / `RevokedSecurityGroupRule` shapes (ports `-1` where the protocol has
//! none), and `Vpc`. No validation and no state here.

use crate::generated::{
    BlockPublicAccessStates, IpPermission, IpRange, Ipv6Range, PrefixListId,
    ReferencedSecurityGroup, RevokedSecurityGroupRule, SecurityGroup, SecurityGroupRule,
    UserIdGroupPair, Vpc, VpcCidrBlockAssociation, VpcCidrBlockState,
};
use crate::model::{GroupRec, Peer, RuleRec, VpcCidrRec, VpcRec};
use crate::permissions::RuleSpec;
use crate::tags;

/// The `IpPermissions` (or `IpPermissionsEgress`) view of `rules` in one direction.
pub fn ip_permissions<'a>(
    rules: impl IntoIterator<Item = &'a RuleRec>,
    egress: bool,
) -> Vec<IpPermission> {
    let mut perms: Vec<IpPermission> = Vec::new();
    for r in rules.into_iter().filter(|r| r.is_egress == egress) {
        let idx = match perms.iter().position(|p| {
            p.ip_protocol.as_deref() == Some(r.protocol.as_str())
                && p.from_port == r.from_port
                && p.to_port == r.to_port
        }) {
            Some(i) => i,
            None => {
                perms.push(empty_permission(&r.protocol, r.from_port, r.to_port));
                perms.len() - 1
            }
        };
        add_peer(&mut perms[idx], &r.peer, r.description.clone());
    }
    perms
}

fn empty_permission(protocol: &str, from: Option<i32>, to: Option<i32>) -> IpPermission {
    IpPermission {
        ip_protocol: Some(protocol.to_string()),
        from_port: from,
        to_port: to,
        user_id_group_pairs: Some(Vec::new()),
        ip_ranges: Some(Vec::new()),
        ipv6_ranges: Some(Vec::new()),
        prefix_list_ids: Some(Vec::new()),
    }
}

fn add_peer(p: &mut IpPermission, peer: &Peer, description: Option<String>) {
    match peer {
        Peer::Ipv4(c) => p.ip_ranges.get_or_insert_with(Vec::new).push(IpRange {
            cidr_ip: Some(c.clone()),
            description,
        }),
        Peer::Ipv6(c) => p.ipv6_ranges.get_or_insert_with(Vec::new).push(Ipv6Range {
            cidr_ipv6: Some(c.clone()),
            description,
        }),
        Peer::PrefixList(id) => p
            .prefix_list_ids
            .get_or_insert_with(Vec::new)
            .push(PrefixListId {
                prefix_list_id: Some(id.clone()),
                description,
            }),
        Peer::Group { group_id, user_id } => p
            .user_id_group_pairs
            .get_or_insert_with(Vec::new)
            .push(UserIdGroupPair {
                description,
                user_id: Some(user_id.clone()),
                group_id: Some(group_id.clone()),
                ..Default::default()
            }),
    }
}

/// A requested rule spec as an `IpPermission` (for `UnknownIpPermissions`).
pub fn spec_permission(spec: &RuleSpec) -> IpPermission {
    let mut p = empty_permission(&spec.protocol, spec.from_port, spec.to_port);
    add_peer(&mut p, &spec.peer, spec.description.clone());
    p
}

pub fn security_group(g: &GroupRec) -> SecurityGroup {
    SecurityGroup {
        group_id: Some(g.group_id.clone()),
        ip_permissions_egress: Some(ip_permissions(&g.rules, true)),
        tags: tags::render(&g.tags),
        vpc_id: Some(g.vpc_id.clone()),
        security_group_arn: Some(g.arn()),
        owner_id: Some(g.account.clone()),
        group_name: Some(g.group_name.clone()),
        description: Some(g.description.clone()),
        ip_permissions: Some(ip_permissions(&g.rules, false)),
    }
}

/// Ports as the per-rule shapes show them: `-1` where the protocol has none.
fn rule_ports(r: &RuleRec) -> (i32, i32) {
    (r.from_port.unwrap_or(-1), r.to_port.unwrap_or(-1))
}

pub fn rule(g: &GroupRec, r: &RuleRec) -> SecurityGroupRule {
    let (from, to) = rule_ports(r);
    let mut out = SecurityGroupRule {
        security_group_rule_id: Some(r.rule_id.clone()),
        group_id: Some(g.group_id.clone()),
        group_owner_id: Some(g.account.clone()),
        is_egress: Some(r.is_egress),
        ip_protocol: Some(r.protocol.clone()),
        from_port: Some(from),
        to_port: Some(to),
        description: r.description.clone(),
        tags: tags::render(&r.tags),
        security_group_rule_arn: Some(g.rule_arn(&r.rule_id)),
        ..Default::default()
    };
    match &r.peer {
        Peer::Ipv4(c) => out.cidr_ipv4 = Some(c.clone()),
        Peer::Ipv6(c) => out.cidr_ipv6 = Some(c.clone()),
        Peer::PrefixList(p) => out.prefix_list_id = Some(p.clone()),
        Peer::Group { group_id, user_id } => {
            out.referenced_group_info = Some(ReferencedSecurityGroup {
                group_id: Some(group_id.clone()),
                user_id: Some(user_id.clone()),
                ..Default::default()
            })
        }
    }
    out
}

pub fn revoked_rule(g: &GroupRec, r: &RuleRec) -> RevokedSecurityGroupRule {
    let (from, to) = rule_ports(r);
    let mut out = RevokedSecurityGroupRule {
        security_group_rule_id: Some(r.rule_id.clone()),
        group_id: Some(g.group_id.clone()),
        is_egress: Some(r.is_egress),
        ip_protocol: Some(r.protocol.clone()),
        from_port: Some(from),
        to_port: Some(to),
        description: r.description.clone(),
        ..Default::default()
    };
    match &r.peer {
        Peer::Ipv4(c) => out.cidr_ipv4 = Some(c.clone()),
        Peer::Ipv6(c) => out.cidr_ipv6 = Some(c.clone()),
        Peer::PrefixList(p) => out.prefix_list_id = Some(p.clone()),
        Peer::Group { group_id, .. } => out.referenced_group_id = Some(group_id.clone()),
    }
    out
}

pub fn vpc(v: &VpcRec) -> Vpc {
    vpc_in_state(v, "available")
}

fn cidr_association(assoc_id: &str, cidr: &str, state: &str) -> VpcCidrBlockAssociation {
    VpcCidrBlockAssociation {
        association_id: Some(assoc_id.to_string()),
        cidr_block: Some(cidr.to_string()),
        cidr_block_state: Some(VpcCidrBlockState {
            state: Some(state.into()),
            status_message: None,
        }),
    }
}

/// A secondary block's association in `state` (`associated`, `disassociated`, …).
pub fn vpc_cidr_association(c: &VpcCidrRec, state: &str) -> VpcCidrBlockAssociation {
    cidr_association(&c.assoc_id, &c.cidr_block, state)
}

/// The VPC as `state` (`CreateVpc` answers `pending`, as AWS does; describes say
/// `available`).
pub fn vpc_in_state(v: &VpcRec, state: &str) -> Vpc {
    let mut assocs = vec![cidr_association(
        &v.cidr_assoc_id,
        &v.cidr_block,
        "associated",
    )];
    assocs.extend(
        v.secondary_cidrs
            .iter()
            .map(|c| vpc_cidr_association(c, "associated")),
    );
    Vpc {
        owner_id: Some(v.account.clone()),
        instance_tenancy: Some(
            v.instance_tenancy
                .clone()
                .unwrap_or_else(|| "default".into()),
        ),
        cidr_block_association_set: Some(assocs),
        is_default: Some(v.is_default),
        tags: tags::render(&v.tags),
        block_public_access_states: Some(BlockPublicAccessStates {
            internet_gateway_block_mode: Some("off".into()),
        }),
        vpc_id: Some(v.vpc_id.clone()),
        state: Some(state.into()),
        cidr_block: Some(v.cidr_block.clone()),
        dhcp_options_id: Some(v.dhcp_options_id.clone()),
        ..Default::default()
    }
}
