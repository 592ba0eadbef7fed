//! Which EC2 resources `CreateTags` / `DeleteTags` / `DescribeTags` reach, dispatched by id
//! prefix: [`KINDS`] is the one table of taggable kinds, each saying how to find a
//! resource's tags in a scope, how to write them back as a [`Change`], how to list every
//! resource of the kind, and which error an unknown id of the kind gets. This module holds
//! no tag rules (those are in `tags`) and no wire shapes (those are in `handlers::tags_ops`).
//!
//! **Plug point.** A new taggable resource (key pairs `key-`, launch templates `lt-`, images
//! `ami-`, instances `i-`, …) becomes reachable by adding one [`TagKind`] to [`KINDS`]; the
//! three tag operations and `DescribeTags`' `resource-type` filter pick it up with no other
//! change. An id whose prefix no kind claims answers AWS's `InvalidID`.

use crate::errors;
use crate::model::TagRec;
use crate::network::NetRec;
use crate::persist::Change;
use crate::state::{is_resource_id, Scope, ScopeKey};
use nimbus_core::AwsError;
use std::sync::Arc;

/// Resource ids with their tags.
pub type Tagged = Vec<(String, Vec<TagRec>)>;

/// One taggable resource kind.
pub struct TagKind {
    /// The id prefix, dash included (`vpc-`); ids are the prefix + 8 or 17 hex digits.
    pub prefix: &'static str,
    /// AWS's resource type (`vpc`, `security-group`, …), as `DescribeTags` shows it.
    pub resource_type: &'static str,
    /// The error for a well-formed id of this kind that does not exist.
    pub not_found: fn(&str) -> AwsError,
    /// The resource's tags, `None` when it does not exist.
    pub get: fn(&Scope, &str) -> Option<Vec<TagRec>>,
    /// The change that stores the resource with `tags` instead of its own (`None` when
    /// it does not exist).
    pub set: fn(&Scope, &ScopeKey, &str, Vec<TagRec>) -> Option<Change>,
    /// Every resource of this kind in the scope with its tags.
    pub list: fn(&Scope) -> Tagged,
}

/// The kind `id` belongs to, by its prefix.
pub fn kind_of(id: &str) -> Option<&'static TagKind> {
    KINDS.iter().find(|k| is_resource_id(id, k.prefix))
}

/// `InvalidID`: an id no taggable kind claims.
pub fn invalid_id(id: &str) -> AwsError {
    AwsError::client("InvalidID", format!("The ID '{id}' is not valid"))
}

/// Defines get/set/list for a networking kind stored in one of `Net`'s maps.
macro_rules! net_kind {
    ($prefix:literal, $rtype:literal, $map:ident, $variant:ident, $nf:expr) => {
        TagKind {
            prefix: $prefix,
            resource_type: $rtype,
            not_found: $nf,
            get: |s, id| s.net.$map.get(id).map(|r| r.tags.clone()),
            set: |s, k, id, tags| {
                let mut r = s.net.$map.get(id)?.clone();
                r.tags = tags;
                Some(Change::put_net(k, NetRec::$variant(r)))
            },
            list: |s| {
                s.net
                    .$map
                    .iter()
                    .map(|(id, r)| (id.clone(), r.tags.clone()))
                    .collect()
            },
        }
    };
}

/// Every taggable kind. Add new kinds here (see the module docs).
pub static KINDS: &[TagKind] = &[
    TagKind {
        prefix: "vpc-",
        resource_type: "vpc",
        not_found: errors::vpc_not_found,
        get: |s, id| s.vpcs.get(id).map(|v| v.tags.clone()),
        set: |s, _, id, tags| {
            let mut v = s.vpcs.get(id)?.clone();
            v.tags = tags;
            Some(Change {
                put_vpcs: vec![v],
                ..Default::default()
            })
        },
        list: |s| {
            s.vpcs
                .iter()
                .map(|(id, v)| (id.clone(), v.tags.clone()))
                .collect()
        },
    },
    TagKind {
        prefix: "sg-",
        resource_type: "security-group",
        not_found: errors::group_not_found,
        get: |s, id| s.group(id).map(|g| g.tags.clone()),
        set: |s, _, id, tags| {
            let mut g = s.group(id)?.clone();
            g.tags = tags;
            Some(Change::put_group(g))
        },
        list: |s| {
            s.groups
                .iter()
                .map(|(id, g)| (id.clone(), g.tags.clone()))
                .collect()
        },
    },
    TagKind {
        prefix: "sgr-",
        resource_type: "security-group-rule",
        not_found: errors::rule_id_not_found,
        get: |s, id| {
            s.groups
                .values()
                .find_map(|g| g.rules.iter().find(|r| r.rule_id == id))
                .map(|r| r.tags.clone())
        },
        set: |s, _, id, tags| {
            let g: &Arc<_> = s
                .groups
                .values()
                .find(|g| g.rules.iter().any(|r| r.rule_id == id))?;
            let mut g = g.as_ref().clone();
            for r in g.rules.iter_mut().filter(|r| r.rule_id == id) {
                r.tags = tags.clone();
            }
            Some(Change::put_group(g))
        },
        list: |s| {
            s.groups
                .values()
                .flat_map(|g| g.rules.iter().map(|r| (r.rule_id.clone(), r.tags.clone())))
                .collect()
        },
    },
    net_kind!(
        "subnet-",
        "subnet",
        subnets,
        Subnet,
        errors::subnet_not_found
    ),
    net_kind!("igw-", "internet-gateway", igws, InternetGateway, |id| {
        errors::id_not_found("InvalidInternetGatewayID", "internetGateway", id)
    }),
    net_kind!("rtb-", "route-table", route_tables, RouteTable, |id| {
        errors::id_not_found("InvalidRouteTableID", "routeTable", id)
    }),
    net_kind!("acl-", "network-acl", acls, NetworkAcl, |id| {
        errors::id_not_found("InvalidNetworkAclID", "networkAcl", id)
    }),
    net_kind!("dopt-", "dhcp-options", dhcp_options, DhcpOptions, |id| {
        errors::id_not_found("InvalidDhcpOptionID", "dhcpOption", id)
    }),
    net_kind!("eipalloc-", "elastic-ip", addresses, Address, |id| {
        errors::id_not_found("InvalidAllocationID", "allocation", id)
    }),
    net_kind!("eni-", "network-interface", enis, NetworkInterface, |id| {
        errors::id_not_found("InvalidNetworkInterfaceID", "networkInterface", id)
    }),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_do_not_shadow_each_other() {
        assert_eq!(
            kind_of("sg-0123456789abcdef0").map(|k| k.resource_type),
            Some("security-group")
        );
        assert_eq!(
            kind_of("sgr-0123456789abcdef0").map(|k| k.resource_type),
            Some("security-group-rule")
        );
        assert_eq!(
            kind_of("vpc-12345678").map(|k| k.resource_type),
            Some("vpc")
        );
        assert!(kind_of("vpc-cidr-assoc-0123456789abcdef0").is_none());
        assert!(kind_of("i-0123456789abcdef0").is_none());
        let types: Vec<&str> = KINDS.iter().map(|k| k.resource_type).collect();
        let mut unique = types.clone();
        unique.dedup();
        assert_eq!(types.len(), unique.len());
    }
}
