//! `AuthorizeSecurityGroupIngress/Egress` and `RevokeSecurityGroupIngress/Egress`: adding
//! and removing a group's rules. Requests are normalised by `permissions` into rule specs;
//! this module resolves referenced groups, refuses duplicates (`InvalidPermission.Duplicate`,
//! the whole request or nothing), enforces the per-direction rule limit, and revokes by rule
//! properties or by `SecurityGroupRuleIds`. A revoke naming rules that do not exist follows
//! the API reference: in a default VPC the unknown rules come back in
//! `UnknownIpPermissions` (and `Return` is false) without an error; in any other VPC the call
//! fails with `InvalidPermission.NotFound` and revokes nothing. See
//! <https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RevokeSecurityGroupIngress.html>.

use super::{check_dry_run, find_in_default_vpc, GroupRef};
use crate::errors;
use crate::generated::{
    AuthorizeSecurityGroupEgressRequest, AuthorizeSecurityGroupEgressResult,
    AuthorizeSecurityGroupIngressRequest, AuthorizeSecurityGroupIngressResult, IpPermission,
    RevokeSecurityGroupEgressRequest, RevokeSecurityGroupEgressResult,
    RevokeSecurityGroupIngressRequest, RevokeSecurityGroupIngressResult, RevokedSecurityGroupRule,
    SecurityGroupRule, TagSpecification, UserIdGroupPair,
};
use crate::model::{Peer, RuleRec};
use crate::permissions::{specs_from_request, Legacy, RuleSpec};
use crate::persist::Change;
use crate::render;
use crate::state::{check_group_id, is_resource_id, Ec2, Scope, State};
use crate::tags;
use nimbus_core::{AwsError, RequestContext};

/// AWS's default quota of rules per direction per security group.
const MAX_RULES_PER_DIRECTION: usize = 60;

/// One authorize or revoke request, whichever direction it came in.
struct RuleRequest {
    target: GroupRef,
    egress: bool,
    permissions: Option<Vec<IpPermission>>,
    legacy: Legacy,
    tag_specs: Option<Vec<TagSpecification>>,
    rule_ids: Vec<String>,
}

impl RuleRequest {
    fn has_rule_properties(&self) -> bool {
        self.permissions.as_ref().is_some_and(|p| !p.is_empty()) || !self.legacy.is_empty()
    }
}

/// Resolves a referenced group (by id, or by name in the owner's default VPC) to a peer.
pub(super) fn resolve_pair(
    state: &State,
    account: &str,
    region: &str,
    pair: &UserIdGroupPair,
) -> Result<Peer, AwsError> {
    let owner = pair
        .user_id
        .as_deref()
        .filter(|s| !s.is_empty())
        .unwrap_or(account);
    let scope = state.scope_of(owner, region);
    if let Some(id) = pair.group_id.as_deref().filter(|s| !s.is_empty()) {
        check_group_id(id)?;
        if !scope.is_some_and(|s| s.groups.contains_key(id)) {
            return Err(errors::group_not_found(id));
        }
        return Ok(Peer::Group {
            group_id: id.to_string(),
            user_id: owner.to_string(),
        });
    }
    if let Some(name) = pair.group_name.as_deref().filter(|s| !s.is_empty()) {
        let scope = scope.ok_or_else(|| errors::group_not_found(name))?;
        let g = find_in_default_vpc(scope, name)?;
        return Ok(Peer::Group {
            group_id: g.group_id.clone(),
            user_id: owner.to_string(),
        });
    }
    Err(errors::missing_parameter(
        "A UserIdGroupPair must contain the parameter GroupId or GroupName",
    ))
}

fn specs(
    req: &mut RuleRequest,
    state: &State,
    ctx: &RequestContext,
) -> Result<Vec<RuleSpec>, AwsError> {
    let account = ctx.account_id();
    let region = ctx.region.as_str();
    let resolve = |pair: &UserIdGroupPair| resolve_pair(state, account, region, pair);
    specs_from_request(
        req.permissions.take(),
        std::mem::take(&mut req.legacy),
        &resolve,
    )
}

fn rule_from_spec(rule_id: String, egress: bool, spec: RuleSpec) -> RuleRec {
    RuleRec {
        rule_id,
        is_egress: egress,
        protocol: spec.protocol,
        from_port: spec.from_port,
        to_port: spec.to_port,
        peer: spec.peer,
        description: spec.description,
        tags: Vec::new(),
    }
}

async fn authorize(
    ec2: &Ec2,
    ctx: &RequestContext,
    mut req: RuleRequest,
) -> Result<Vec<SecurityGroupRule>, AwsError> {
    let rule_tags = tags::from_specs(req.tag_specs.take(), "security-group-rule")?;
    ec2.mutate(ctx, |state, scope| {
        let mut group = req.target.find(scope)?.clone();
        let mut added = Vec::new();
        for spec in specs(&mut req, state, ctx)? {
            let mut rule = rule_from_spec(ec2.ids.resource_id("sgr"), req.egress, spec);
            rule.tags = rule_tags.clone();
            if group.rules.iter().any(|r| r.same_rule(&rule)) {
                return Err(errors::permission_duplicate(&rule.describe()));
            }
            group.rules.push(rule.clone());
            added.push(rule);
        }
        let count = group
            .rules
            .iter()
            .filter(|r| r.is_egress == req.egress)
            .count();
        if count > MAX_RULES_PER_DIRECTION {
            return Err(AwsError::client(
                "RulesPerSecurityGroupLimitExceeded",
                "The maximum number of rules per security group has been reached.",
            ));
        }
        let out = added.iter().map(|r| render::rule(&group, r)).collect();
        Ok((Change::put_group(group), out))
    })
    .await
}

/// What a revoke did: whether every named rule existed, the ones that did not, and the
/// rules removed.
struct Revoked {
    all_known: bool,
    unknown: Option<Vec<IpPermission>>,
    revoked: Option<Vec<RevokedSecurityGroupRule>>,
}

fn vpc_is_default(scope: &Scope, vpc_id: &str) -> bool {
    scope.vpcs.get(vpc_id).is_some_and(|v| v.is_default)
}

async fn revoke(
    ec2: &Ec2,
    ctx: &RequestContext,
    mut req: RuleRequest,
) -> Result<Revoked, AwsError> {
    if !req.has_rule_properties() && req.rule_ids.is_empty() {
        return Err(errors::missing_parameter(
            "The request must contain the parameter ipPermissions or securityGroupRuleIds",
        ));
    }
    for id in &req.rule_ids {
        if !is_resource_id(id, "sgr-") {
            return Err(errors::rule_id_malformed(id));
        }
    }
    ec2.mutate(ctx, |state, scope| {
        let mut group = req.target.find(scope)?.clone();
        let mut removed: Vec<RuleRec> = Vec::new();
        for id in &req.rule_ids {
            let pos = group
                .rules
                .iter()
                .position(|r| &r.rule_id == id && r.is_egress == req.egress)
                .ok_or_else(|| errors::rule_id_not_found(id))?;
            removed.push(group.rules.remove(pos));
        }
        let specs = if req.has_rule_properties() {
            specs(&mut req, state, ctx)?
        } else {
            Vec::new()
        };
        let mut unknown = Vec::new();
        for spec in specs {
            let probe = rule_from_spec(String::new(), req.egress, spec.clone());
            match group.rules.iter().position(|r| r.same_rule(&probe)) {
                Some(pos) => removed.push(group.rules.remove(pos)),
                None => unknown.push(spec),
            }
        }
        if !unknown.is_empty() && !vpc_is_default(scope, &group.vpc_id) {
            return Err(errors::permission_not_found());
        }
        let out = Revoked {
            all_known: unknown.is_empty(),
            unknown: (!unknown.is_empty())
                .then(|| unknown.iter().map(render::spec_permission).collect()),
            revoked: (!removed.is_empty()).then(|| {
                removed
                    .iter()
                    .map(|r| render::revoked_rule(&group, r))
                    .collect()
            }),
        };
        let change = if removed.is_empty() {
            Change::default()
        } else {
            Change::put_group(group)
        };
        Ok((change, out))
    })
    .await
}

pub(super) async fn authorize_ingress(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: AuthorizeSecurityGroupIngressRequest,
) -> Result<AuthorizeSecurityGroupIngressResult, AwsError> {
    check_dry_run(input.dry_run)?;
    let req = RuleRequest {
        target: GroupRef::from_parts(input.group_id, input.group_name)?,
        egress: false,
        permissions: input.ip_permissions,
        legacy: Legacy {
            ip_protocol: input.ip_protocol,
            from_port: input.from_port,
            to_port: input.to_port,
            cidr_ip: input.cidr_ip,
            source_group_name: input.source_security_group_name,
            source_group_owner_id: input.source_security_group_owner_id,
        },
        tag_specs: input.tag_specifications,
        rule_ids: Vec::new(),
    };
    let rules = authorize(ec2, ctx, req).await?;
    Ok(AuthorizeSecurityGroupIngressResult {
        r#return: Some(true),
        security_group_rules: Some(rules),
    })
}

pub(super) async fn authorize_egress(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: AuthorizeSecurityGroupEgressRequest,
) -> Result<AuthorizeSecurityGroupEgressResult, AwsError> {
    check_dry_run(input.dry_run)?;
    let req = RuleRequest {
        target: GroupRef::from_parts(Some(input.group_id), None)?,
        egress: true,
        permissions: input.ip_permissions,
        legacy: Legacy {
            ip_protocol: input.ip_protocol,
            from_port: input.from_port,
            to_port: input.to_port,
            cidr_ip: input.cidr_ip,
            source_group_name: input.source_security_group_name,
            source_group_owner_id: input.source_security_group_owner_id,
        },
        tag_specs: input.tag_specifications,
        rule_ids: Vec::new(),
    };
    let rules = authorize(ec2, ctx, req).await?;
    Ok(AuthorizeSecurityGroupEgressResult {
        r#return: Some(true),
        security_group_rules: Some(rules),
    })
}

pub(super) async fn revoke_ingress(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: RevokeSecurityGroupIngressRequest,
) -> Result<RevokeSecurityGroupIngressResult, AwsError> {
    check_dry_run(input.dry_run)?;
    let req = RuleRequest {
        target: GroupRef::from_parts(input.group_id, input.group_name)?,
        egress: false,
        permissions: input.ip_permissions,
        legacy: Legacy {
            ip_protocol: input.ip_protocol,
            from_port: input.from_port,
            to_port: input.to_port,
            cidr_ip: input.cidr_ip,
            source_group_name: input.source_security_group_name,
            source_group_owner_id: input.source_security_group_owner_id,
        },
        tag_specs: None,
        rule_ids: input.security_group_rule_ids.unwrap_or_default(),
    };
    let r = revoke(ec2, ctx, req).await?;
    Ok(RevokeSecurityGroupIngressResult {
        r#return: Some(r.all_known),
        unknown_ip_permissions: r.unknown,
        revoked_security_group_rules: r.revoked,
    })
}

pub(super) async fn revoke_egress(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: RevokeSecurityGroupEgressRequest,
) -> Result<RevokeSecurityGroupEgressResult, AwsError> {
    check_dry_run(input.dry_run)?;
    let req = RuleRequest {
        target: GroupRef::from_parts(Some(input.group_id), None)?,
        egress: true,
        permissions: input.ip_permissions,
        legacy: Legacy {
            ip_protocol: input.ip_protocol,
            from_port: input.from_port,
            to_port: input.to_port,
            cidr_ip: input.cidr_ip,
            source_group_name: input.source_security_group_name,
            source_group_owner_id: input.source_security_group_owner_id,
        },
        tag_specs: None,
        rule_ids: input.security_group_rule_ids.unwrap_or_default(),
    };
    let r = revoke(ec2, ctx, req).await?;
    Ok(RevokeSecurityGroupEgressResult {
        r#return: Some(r.all_known),
        unknown_ip_permissions: r.unknown,
        revoked_security_group_rules: r.revoked,
    })
}
