//! Network ACLs beyond describing them: `CreateNetworkAcl` (a new ACL denies everything:
//! only the `*` rules), `DeleteNetworkAcl` (not the default one, not while subnets use it),
//! entries (`Create/Replace/DeleteNetworkAclEntry`: rule numbers 1–32766 per direction,
//! `NetworkAclEntryAlreadyExists`, `InvalidNetworkAclEntry.NotFound`; protocol names become
//! numbers; tcp/udp need a port range, icmp a type and code) and
//! `ReplaceNetworkAclAssociation` (moves a subnet to another ACL of its VPC). Entries are
//! recorded, not enforced: Nimbus has no packets to filter yet. See
//! <https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateNetworkAclEntry.html>.

use super::{check_dry_run, check_ids};
use crate::cidr::Cidr;
use crate::errors;
use crate::generated::{
    CreateNetworkAclEntryRequest, CreateNetworkAclRequest, CreateNetworkAclResult,
    DeleteNetworkAclEntryRequest, DeleteNetworkAclRequest, IcmpTypeCode, PortRange,
    ReplaceNetworkAclAssociationRequest, ReplaceNetworkAclAssociationResult,
    ReplaceNetworkAclEntryRequest,
};
use crate::network::{AclAssocRec, AclEntryRec, AclRec, NetRec};
use crate::persist::Change;
use crate::render_net;
use crate::setup;
use crate::state::{scope_key, Ec2, Scope, ScopeKey};
use crate::tags;
use nimbus_core::{AwsError, RequestContext};

fn find<'a>(scope: &'a Scope, id: &str) -> Result<&'a AclRec, AwsError> {
    check_ids(
        std::slice::from_ref(&id.to_string()),
        "acl-",
        "InvalidNetworkAclID",
    )?;
    scope
        .net
        .acls
        .get(id)
        .ok_or_else(|| errors::id_not_found("InvalidNetworkAclID", "networkAcl", id))
}

fn put(key: &ScopeKey, mut acl: AclRec) -> Change {
    // AWS lists egress entries first, each direction by rule number.
    acl.entries.sort_by(|a, b| {
        b.egress
            .cmp(&a.egress)
            .then(a.rule_number.cmp(&b.rule_number))
    });
    Change::put_net(key, NetRec::NetworkAcl(acl))
}

pub(super) async fn create(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: CreateNetworkAclRequest,
) -> Result<CreateNetworkAclResult, AwsError> {
    let tags = tags::from_specs(input.tag_specifications, "network-acl")?;
    check_dry_run(input.dry_run)?;
    let key = scope_key(ctx);
    ec2.mutate(ctx, |_, scope| {
        if !scope.vpcs.contains_key(&input.vpc_id) {
            return Err(errors::vpc_not_found(&input.vpc_id));
        }
        let mut acl = setup::default_acl(ec2, &input.vpc_id);
        acl.is_default = false;
        acl.entries.retain(|e| e.rule_number == 32767);
        acl.tags = tags;
        let out = CreateNetworkAclResult {
            network_acl: Some(render_net::network_acl(&key.0, &acl)),
            client_token: input.client_token.clone(),
        };
        Ok((put(&key, acl), out))
    })
    .await
}

pub(super) async fn delete(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: DeleteNetworkAclRequest,
) -> Result<(), AwsError> {
    check_dry_run(input.dry_run)?;
    let key = scope_key(ctx);
    ec2.mutate(ctx, |_, scope| {
        let acl = find(scope, &input.network_acl_id)?;
        if acl.is_default {
            return Err(errors::invalid_parameter_value(format!(
                "cannot delete default network ACL {}",
                acl.acl_id
            )));
        }
        if !acl.associations.is_empty() {
            return Err(errors::has_dependencies("networkAcl", &acl.acl_id));
        }
        let change = Change {
            delete_net: vec![(key.clone(), acl.acl_id.clone())],
            ..Default::default()
        };
        Ok((change, ()))
    })
    .await
}

/// One entry request, whichever operation it came in.
struct EntryRequest {
    rule_number: i32,
    protocol: String,
    rule_action: String,
    egress: bool,
    cidr_block: Option<String>,
    ipv6_cidr_block: Option<String>,
    icmp: Option<IcmpTypeCode>,
    ports: Option<PortRange>,
}

fn check_rule_number(n: i32) -> Result<(), AwsError> {
    if (1..=32766).contains(&n) {
        Ok(())
    } else {
        Err(errors::invalid_parameter_value(format!(
            "Value ({n}) for parameter ruleNumber is invalid. Rule number must be between 1 and 32766."
        )))
    }
}

impl EntryRequest {
    fn entry(self) -> Result<AclEntryRec, AwsError> {
        check_rule_number(self.rule_number)?;
        let protocol = match self.protocol.to_ascii_lowercase().as_str() {
            "-1" | "all" => "-1".to_string(),
            "tcp" | "6" => "6".into(),
            "udp" | "17" => "17".into(),
            "icmp" | "1" => "1".into(),
            other if other.parse::<u8>().is_ok() => other.to_string(),
            other => {
                return Err(errors::invalid_parameter_value(format!(
                    "Invalid value '{other}' for protocol. Must be a protocol number or -1"
                )))
            }
        };
        let allow = match self.rule_action.as_str() {
            "allow" => true,
            "deny" => false,
            other => {
                return Err(errors::invalid_parameter_value(format!(
                    "Value ({other}) for parameter ruleAction is invalid. Valid values: allow, deny"
                )))
            }
        };
        if self.ipv6_cidr_block.is_some() {
            return Err(errors::invalid_parameter_value(
                "Nimbus network ACL entries support IPv4 blocks only",
            ));
        }
        let cidr = self.cidr_block.filter(|c| !c.is_empty()).ok_or_else(|| {
            errors::missing_parameter(
                "The request must contain the parameter cidrBlock or ipv6CidrBlock",
            )
        })?;
        let cidr = Cidr::parse(&cidr)
            .ok_or_else(|| errors::invalid_cidr("cidrBlock", &cidr))?
            .to_string();
        let port_range = match protocol.as_str() {
            "6" | "17" => {
                let p = self.ports.ok_or_else(|| {
                    errors::missing_parameter("The request must contain the parameter portRange")
                })?;
                let (from, to) = (p.from.unwrap_or(-1), p.to.unwrap_or(-1));
                if !(0..=65535).contains(&from) || !(0..=65535).contains(&to) || from > to {
                    return Err(errors::invalid_parameter_value(format!(
                        "Invalid port range {from}-{to}"
                    )));
                }
                Some((from, to))
            }
            _ => None,
        };
        let icmp = match protocol.as_str() {
            "1" => {
                let i = self.icmp.ok_or_else(|| {
                    errors::missing_parameter("The request must contain the parameter icmpTypeCode")
                })?;
                Some((i.r#type.unwrap_or(-1), i.code.unwrap_or(-1)))
            }
            _ => None,
        };
        Ok(AclEntryRec {
            rule_number: self.rule_number,
            egress: self.egress,
            protocol,
            allow,
            cidr_block: cidr,
            port_range,
            icmp,
        })
    }
}

fn entry_not_found(n: i32) -> AwsError {
    AwsError::client(
        "InvalidNetworkAclEntry.NotFound",
        format!("The network acl entry identified by {n} does not exist."),
    )
}

/// Creates (`replace` false) or replaces an entry.
async fn upsert(
    ec2: &Ec2,
    ctx: &RequestContext,
    acl_id: String,
    req: EntryRequest,
    replace: bool,
) -> Result<(), AwsError> {
    let key = scope_key(ctx);
    let entry = req.entry()?;
    ec2.mutate(ctx, |_, scope| {
        let mut acl = find(scope, &acl_id)?.clone();
        let pos = acl
            .entries
            .iter()
            .position(|e| e.egress == entry.egress && e.rule_number == entry.rule_number);
        match (pos, replace) {
            (Some(_), false) => {
                return Err(AwsError::client(
                    "NetworkAclEntryAlreadyExists",
                    format!(
                        "The network acl entry identified by {} already exists.",
                        entry.rule_number
                    ),
                ))
            }
            (None, true) => return Err(entry_not_found(entry.rule_number)),
            (Some(i), true) => acl.entries[i] = entry,
            (None, false) => acl.entries.push(entry),
        }
        Ok((put(&key, acl), ()))
    })
    .await
}

pub(super) async fn create_entry(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: CreateNetworkAclEntryRequest,
) -> Result<(), AwsError> {
    check_dry_run(input.dry_run)?;
    let req = EntryRequest {
        rule_number: input.rule_number,
        protocol: input.protocol,
        rule_action: input.rule_action,
        egress: input.egress,
        cidr_block: input.cidr_block,
        ipv6_cidr_block: input.ipv6_cidr_block,
        icmp: input.icmp_type_code,
        ports: input.port_range,
    };
    upsert(ec2, ctx, input.network_acl_id, req, false).await
}

pub(super) async fn replace_entry(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: ReplaceNetworkAclEntryRequest,
) -> Result<(), AwsError> {
    check_dry_run(input.dry_run)?;
    let req = EntryRequest {
        rule_number: input.rule_number,
        protocol: input.protocol,
        rule_action: input.rule_action,
        egress: input.egress,
        cidr_block: input.cidr_block,
        ipv6_cidr_block: input.ipv6_cidr_block,
        icmp: input.icmp_type_code,
        ports: input.port_range,
    };
    upsert(ec2, ctx, input.network_acl_id, req, true).await
}

pub(super) async fn delete_entry(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: DeleteNetworkAclEntryRequest,
) -> Result<(), AwsError> {
    check_dry_run(input.dry_run)?;
    check_rule_number(input.rule_number)?;
    let key = scope_key(ctx);
    ec2.mutate(ctx, |_, scope| {
        let mut acl = find(scope, &input.network_acl_id)?.clone();
        let before = acl.entries.len();
        acl.entries
            .retain(|e| !(e.egress == input.egress && e.rule_number == input.rule_number));
        if acl.entries.len() == before {
            return Err(entry_not_found(input.rule_number));
        }
        Ok((put(&key, acl), ()))
    })
    .await
}

pub(super) async fn replace_association(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: ReplaceNetworkAclAssociationRequest,
) -> Result<ReplaceNetworkAclAssociationResult, AwsError> {
    check_dry_run(input.dry_run)?;
    let key = scope_key(ctx);
    let assoc_id = input.association_id;
    ec2.mutate(ctx, |_, scope| {
        let old = scope
            .net
            .acls
            .values()
            .find(|a| a.associations.iter().any(|x| x.assoc_id == assoc_id))
            .ok_or_else(|| {
                AwsError::client(
                    "InvalidAssociationID.NotFound",
                    format!("The association ID '{assoc_id}' does not exist"),
                )
            })?;
        let new = find(scope, &input.network_acl_id)?;
        if new.vpc_id != old.vpc_id {
            return Err(errors::invalid_parameter_value(format!(
                "Network ACL {} and association {assoc_id} belong to different networks",
                new.acl_id
            )));
        }
        let subnet_id = old
            .associations
            .iter()
            .find(|x| x.assoc_id == assoc_id)
            .map(|x| x.subnet_id.clone())
            .unwrap_or_default();
        let fresh = AclAssocRec {
            assoc_id: ec2.ids.resource_id("aclassoc"),
            subnet_id,
        };
        let out = ReplaceNetworkAclAssociationResult {
            new_association_id: Some(fresh.assoc_id.clone()),
        };
        let change = if new.acl_id == old.acl_id {
            let mut same = old.clone();
            for a in same
                .associations
                .iter_mut()
                .filter(|a| a.assoc_id == assoc_id)
            {
                a.assoc_id = fresh.assoc_id.clone();
            }
            put(&key, same)
        } else {
            let mut from = old.clone();
            from.associations.retain(|a| a.assoc_id != assoc_id);
            let mut to = new.clone();
            to.associations.push(fresh);
            let mut change = put(&key, from);
            change.extend(put(&key, to));
            change
        };
        Ok((change, out))
    })
    .await
}
