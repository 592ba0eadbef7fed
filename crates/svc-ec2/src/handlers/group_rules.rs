//! Security group rules by their `sgr-` ids: `DescribeSecurityGroupRules` (by id, by the
//! `group-id` / `security-group-rule-id` / tag filters, paged) and
//! `ModifySecurityGroupRules` (replaces what a rule allows, keeping its id, direction and
//! tags; the same validation as authorize, and `InvalidPermission.Duplicate` when the new
//! rule equals another of the group's). Adding and revoking rules lives in `rules`. See
//! <https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifySecurityGroupRules.html>.

use super::{check_dry_run, check_ids};
use crate::errors;
use crate::filters::{self, Parsed};
use crate::generated::{
    DescribeSecurityGroupRulesRequest, DescribeSecurityGroupRulesResult, IpPermission, IpRange,
    Ipv6Range, ModifySecurityGroupRulesRequest, ModifySecurityGroupRulesResult, PrefixListId,
    SecurityGroupRuleRequest, UserIdGroupPair,
};
use crate::model::{GroupRec, RuleRec};
use crate::permissions::{specs_from_request, Legacy};
use crate::persist::Change;
use crate::render;
use crate::state::{check_group_id, scope_key, Ec2};
use nimbus_core::{AwsError, RequestContext};

const FILTERS: &[&str] = &["group-id", "security-group-rule-id"];

fn matches(g: &GroupRec, r: &RuleRec, f: &Parsed) -> bool {
    if let Some(m) = f.match_tags(&r.tags) {
        return m;
    }
    match f.name.as_str() {
        "group-id" => f.matches(&g.group_id),
        "security-group-rule-id" => f.matches(&r.rule_id),
        _ => false,
    }
}

pub(super) async fn describe(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: DescribeSecurityGroupRulesRequest,
) -> Result<DescribeSecurityGroupRulesResult, AwsError> {
    check_dry_run(input.dry_run)?;
    let filters = filters::parse(input.filters, FILTERS, true)?;
    filters::check_max_results(input.max_results, 5, 1000)?;
    let ids = input.security_group_rule_ids.unwrap_or_default();
    if let Some(bad) = ids
        .iter()
        .find(|id| !crate::state::is_resource_id(id, "sgr-"))
    {
        return Err(errors::rule_id_malformed(bad));
    }
    let rules = ec2
        .read(ctx, |_, scope| -> Result<_, AwsError> {
            let mut out = Vec::new();
            for g in scope.groups.values() {
                for r in &g.rules {
                    let picked = ids.is_empty() || ids.contains(&r.rule_id);
                    if picked && filters.iter().all(|f| matches(g, r, f)) {
                        out.push((r.rule_id.clone(), render::rule(g, r)));
                    }
                }
            }
            if let Some(missing) = ids.iter().find(|id| {
                !scope
                    .groups
                    .values()
                    .any(|g| g.rules.iter().any(|r| &r.rule_id == *id))
            }) {
                return Err(errors::rule_id_not_found(missing));
            }
            out.sort_by(|a, b| a.0.cmp(&b.0));
            Ok(out)
        })
        .await??;
    let (page, next_token) = filters::paginate(
        rules,
        |(id, _)| id.as_str(),
        input.max_results,
        input.next_token.as_deref(),
    )?;
    Ok(DescribeSecurityGroupRulesResult {
        security_group_rules: Some(page.into_iter().map(|(_, r)| r).collect()),
        next_token,
    })
}

/// A rule request as the one-peer `IpPermission` authorize would take.
fn as_permission(r: SecurityGroupRuleRequest) -> IpPermission {
    let description = r.description;
    IpPermission {
        ip_protocol: r.ip_protocol,
        from_port: r.from_port,
        to_port: r.to_port,
        ip_ranges: r.cidr_ipv4.map(|c| {
            vec![IpRange {
                cidr_ip: Some(c),
                description: description.clone(),
            }]
        }),
        ipv6_ranges: r.cidr_ipv6.map(|c| {
            vec![Ipv6Range {
                cidr_ipv6: Some(c),
                description: description.clone(),
            }]
        }),
        prefix_list_ids: r.prefix_list_id.map(|p| {
            vec![PrefixListId {
                prefix_list_id: Some(p),
                description: description.clone(),
            }]
        }),
        user_id_group_pairs: r.referenced_group_id.map(|g| {
            vec![UserIdGroupPair {
                group_id: Some(g),
                description: description.clone(),
                ..Default::default()
            }]
        }),
    }
}

pub(super) async fn modify(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: ModifySecurityGroupRulesRequest,
) -> Result<ModifySecurityGroupRulesResult, AwsError> {
    check_dry_run(input.dry_run)?;
    check_group_id(&input.group_id)?;
    let ids: Vec<String> = input
        .security_group_rules
        .iter()
        .map(|u| u.security_group_rule_id.clone())
        .collect();
    if ids.is_empty() {
        return Err(errors::missing_parameter(
            "The request must contain the parameter SecurityGroupRules",
        ));
    }
    check_ids(&ids, "sgr-", "InvalidSecurityGroupRuleId")?;
    let (account, region) = scope_key(ctx);
    ec2.mutate(ctx, |st, scope| {
        let mut g = scope
            .group(&input.group_id)
            .ok_or_else(|| errors::group_not_found(&input.group_id))?
            .clone();
        let resolve = |pair: &UserIdGroupPair| super::rules::resolve_pair(st, &account, &region, pair);
        for update in &input.security_group_rules {
            let id = &update.security_group_rule_id;
            let pos = g
                .rules
                .iter()
                .position(|r| &r.rule_id == id)
                .ok_or_else(|| errors::rule_id_not_found(id))?;
            let request = update.security_group_rule.clone().ok_or_else(|| {
                errors::missing_parameter("The request must contain the parameter SecurityGroupRule")
            })?;
            let specs = specs_from_request(Some(vec![as_permission(request)]), Legacy::default(), &resolve)?;
            let [spec] = <[_; 1]>::try_from(specs).map_err(|_| {
                errors::invalid_parameter_value(
                    "A security group rule must name exactly one of CidrIpv4, CidrIpv6, PrefixListId and ReferencedGroupId",
                )
            })?;
            let old = &g.rules[pos];
            let new = RuleRec {
                rule_id: old.rule_id.clone(),
                is_egress: old.is_egress,
                protocol: spec.protocol,
                from_port: spec.from_port,
                to_port: spec.to_port,
                peer: spec.peer,
                description: spec.description,
                tags: old.tags.clone(),
            };
            if g.rules.iter().any(|r| r.rule_id != new.rule_id && r.same_rule(&new)) {
                return Err(errors::permission_duplicate(&new.describe()));
            }
            g.rules[pos] = new;
        }
        Ok((
            Change::put_group(g),
            ModifySecurityGroupRulesResult {
                r#return: Some(true),
            },
        ))
    })
    .await
}
