//! `CreateSecurityGroup`, `DescribeSecurityGroups` and `DeleteSecurityGroup`: group
//! lifecycle, names unique per VPC (case-insensitively), the describe filters and paging,
//! and the delete guards (the `default` group, groups other groups' rules reference). Rule
//! changes live in `rules`. See
//! <https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html>.

use super::{check_dry_run, find_in_default_vpc, GroupRef};
use crate::errors;
use crate::filters::{self, Parsed};
use crate::generated::{
    CreateSecurityGroupRequest, CreateSecurityGroupResult, DeleteSecurityGroupRequest,
    DeleteSecurityGroupResult, DescribeSecurityGroupsRequest, DescribeSecurityGroupsResult,
};
use crate::model::{GroupRec, Peer, RuleRec};
use crate::permissions::allowed_text_char;
use crate::persist::Change;
use crate::render;
use crate::state::{check_group_id, Ec2, Scope};
use crate::tags;
use nimbus_core::{AwsError, RequestContext};
use std::sync::Arc;

const MAX_NAME: usize = 255;

fn check_name(name: &str) -> Result<(), AwsError> {
    if name.is_empty() {
        return Err(errors::invalid_parameter_value(
            "Value () for parameter GroupName is invalid. The value cannot be empty",
        ));
    }
    if name.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("sg-")) {
        return Err(errors::invalid_parameter_value(
            "Group names may not be in the format sg-*.",
        ));
    }
    check_text("GroupName", name)
}

/// Length and character rules shared by group names and descriptions.
fn check_text(param: &str, value: &str) -> Result<(), AwsError> {
    if !value.is_ascii() {
        return Err(errors::invalid_parameter_value(
            "Character sets beyond ASCII are not supported.",
        ));
    }
    if value.len() > MAX_NAME {
        return Err(errors::invalid_parameter_value(format!(
            "Value ({value}) for parameter {param} is invalid. Length exceeds maximum of {MAX_NAME} characters."
        )));
    }
    if let Some(c) = value.chars().find(|c| !allowed_text_char(*c)) {
        return Err(errors::invalid_parameter_value(format!(
            "Value ({value}) for parameter {param} is invalid. Character '{c}' is not allowed; valid characters are a-z, A-Z, 0-9, spaces, and ._-:/()#,@[]+=&;{{}}!$*"
        )));
    }
    Ok(())
}

pub(super) async fn create(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: CreateSecurityGroupRequest,
) -> Result<CreateSecurityGroupResult, AwsError> {
    check_dry_run(input.dry_run)?;
    check_name(&input.group_name)?;
    if input.description.is_empty() {
        return Err(errors::invalid_parameter_value(
            "Value () for parameter GroupDescription is invalid. The value cannot be empty",
        ));
    }
    check_text("GroupDescription", &input.description)?;
    let tags = tags::from_specs(input.tag_specifications, "security-group")?;
    let account = ctx.account_id().to_string();
    ec2.mutate(ctx, |_, scope| {
        let vpc_id = match input.vpc_id.filter(|v| !v.is_empty()) {
            Some(v) if scope.vpcs.contains_key(&v) => v,
            Some(v) => return Err(errors::vpc_not_found(&v)),
            None => match scope.default_vpc() {
                Some(v) => v.vpc_id.clone(),
                None => {
                    return Err(AwsError::client(
                        "VPCIdNotSpecified",
                        "No default VPC for this user",
                    ))
                }
            },
        };
        if scope.group_by_name(&vpc_id, &input.group_name).is_some() {
            return Err(errors::group_duplicate(&input.group_name, &vpc_id));
        }
        let group = GroupRec {
            account,
            region: ctx.region.clone(),
            group_id: ec2.ids.resource_id("sg"),
            group_name: input.group_name,
            description: input.description,
            vpc_id,
            tags,
            rules: vec![ec2.allow_all_egress()],
        };
        // The current API reference answers `groupId`, `securityGroupArn` and (when tags were
        // given) `tagSet`; the CLI reference's older example shows only the id.
        let out = CreateSecurityGroupResult {
            group_id: Some(group.group_id.clone()),
            tags: tags::render(&group.tags),
            security_group_arn: Some(group.arn()),
        };
        Ok((Change::put_group(group), out))
    })
    .await
}

/// The filter names `DescribeSecurityGroups` accepts (plus the tag filters).
const FILTERS: &[&str] = &[
    "description",
    "group-id",
    "group-name",
    "owner-id",
    "vpc-id",
    "ip-permission.cidr",
    "ip-permission.from-port",
    "ip-permission.group-id",
    "ip-permission.group-name",
    "ip-permission.ipv6-cidr",
    "ip-permission.prefix-list-id",
    "ip-permission.protocol",
    "ip-permission.to-port",
    "ip-permission.user-id",
    "egress.ip-permission.cidr",
    "egress.ip-permission.from-port",
    "egress.ip-permission.group-id",
    "egress.ip-permission.group-name",
    "egress.ip-permission.ipv6-cidr",
    "egress.ip-permission.prefix-list-id",
    "egress.ip-permission.protocol",
    "egress.ip-permission.to-port",
    "egress.ip-permission.user-id",
];

/// The IANA number of a protocol name, so `ip-permission.protocol=6` finds tcp rules.
fn protocol_number(p: &str) -> &str {
    match p {
        "tcp" => "6",
        "udp" => "17",
        "icmp" => "1",
        "icmpv6" => "58",
        other => other,
    }
}

fn rule_matches(f: &Parsed, field: &str, r: &RuleRec, scope: &Scope) -> bool {
    let port = |p: Option<i32>| p.map(|n| n.to_string());
    match (field, &r.peer) {
        ("protocol", _) => f.matches_any([r.protocol.as_str(), protocol_number(&r.protocol)]),
        ("from-port", _) => port(r.from_port).is_some_and(|p| f.matches(&p)),
        ("to-port", _) => port(r.to_port).is_some_and(|p| f.matches(&p)),
        ("cidr", Peer::Ipv4(c)) => f.matches(c),
        ("ipv6-cidr", Peer::Ipv6(c)) => f.matches(c),
        ("prefix-list-id", Peer::PrefixList(p)) => f.matches(p),
        ("group-id", Peer::Group { group_id, .. }) => f.matches(group_id),
        ("user-id", Peer::Group { user_id, .. }) => f.matches(user_id),
        ("group-name", Peer::Group { group_id, .. }) => scope
            .group(group_id)
            .is_some_and(|g| f.matches(&g.group_name)),
        _ => false,
    }
}

fn group_matches(g: &GroupRec, f: &Parsed, scope: &Scope) -> bool {
    if let Some(m) = f.match_tags(&g.tags) {
        return m;
    }
    let (egress, field) = if let Some(rest) = f.name.strip_prefix("egress.ip-permission.") {
        (true, rest)
    } else if let Some(rest) = f.name.strip_prefix("ip-permission.") {
        (false, rest)
    } else {
        return match f.name.as_str() {
            "description" => f.matches(&g.description),
            "group-id" => f.matches(&g.group_id),
            "group-name" => f.matches(&g.group_name),
            "owner-id" => f.matches(&g.account),
            "vpc-id" => f.matches(&g.vpc_id),
            _ => false,
        };
    };
    g.rules
        .iter()
        .filter(|r| r.is_egress == egress)
        .any(|r| rule_matches(f, field, r, scope))
}

pub(super) async fn describe(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: DescribeSecurityGroupsRequest,
) -> Result<DescribeSecurityGroupsResult, AwsError> {
    check_dry_run(input.dry_run)?;
    let filters = filters::parse(input.filters, FILTERS, true)?;
    filters::check_max_results(input.max_results, 5, 1000)?;
    let ids = input.group_ids.unwrap_or_default();
    let names = input.group_names.unwrap_or_default();
    if input.max_results.is_some() && !ids.is_empty() {
        return Err(errors::invalid_parameter_combination(
            "The parameter groupIds cannot be used with the parameter maxResults",
        ));
    }
    for id in &ids {
        check_group_id(id)?;
    }
    // The groups are shared with the state (`Arc`), not copied: only their rendering
    // allocates.
    let groups = ec2
        .read(ctx, |_, scope| -> Result<Vec<Arc<GroupRec>>, AwsError> {
            let mut picked: Vec<&Arc<GroupRec>> = Vec::new();
            for id in &ids {
                picked.push(
                    scope
                        .groups
                        .get(id)
                        .ok_or_else(|| errors::group_not_found(id))?,
                );
            }
            for name in &names {
                let g = find_in_default_vpc(scope, name)?;
                picked.extend(scope.groups.get(&g.group_id));
            }
            if ids.is_empty() && names.is_empty() {
                picked = scope.groups.values().collect();
            }
            picked.sort_by(|a, b| a.group_id.cmp(&b.group_id));
            picked.dedup_by(|a, b| a.group_id == b.group_id);
            Ok(picked
                .into_iter()
                .filter(|g| filters.iter().all(|f| group_matches(g, f, scope)))
                .cloned()
                .collect())
        })
        .await??;
    let (page, next_token) = filters::paginate(
        groups,
        |g| g.group_id.as_str(),
        input.max_results,
        input.next_token.as_deref(),
    )?;
    Ok(DescribeSecurityGroupsResult {
        next_token,
        security_groups: Some(page.iter().map(|g| render::security_group(g)).collect()),
    })
}

pub(super) async fn delete(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: DeleteSecurityGroupRequest,
) -> Result<DeleteSecurityGroupResult, AwsError> {
    check_dry_run(input.dry_run)?;
    let target = GroupRef::from_parts(input.group_id, input.group_name)?;
    ec2.mutate(ctx, |_, scope| {
        let g = target.find(scope)?;
        if g.is_default() {
            return Err(errors::cannot_delete_default(&g.group_id));
        }
        let referenced = scope
            .groups
            .values()
            .any(|other| other.group_id != g.group_id && other.references(&g.group_id));
        // Network interfaces (instances', load balancers') using the group hold it too.
        let in_use = scope
            .net
            .enis
            .values()
            .any(|e| e.group_ids.iter().any(|x| x == &g.group_id));
        if referenced || in_use {
            return Err(errors::dependency_violation(&g.group_id));
        }
        let change = Change {
            delete_groups: vec![(g.account.clone(), g.region.clone(), g.group_id.clone())],
            ..Default::default()
        };
        let out = DeleteSecurityGroupResult {
            r#return: Some(true),
            group_id: Some(g.group_id.clone()),
        };
        Ok((change, out))
    })
    .await
}
