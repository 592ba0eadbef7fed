//! The read calls over groups: `DescribeAutoScalingGroups` (names, the `tag-key`,
//! `tag-value` and `tag:<key>` filters, pagination), `DescribeAutoScalingInstances` and
//! `DescribeScalingActivities` (newest first, by group or ids, deleted groups on request).

use super::common::{max_records, page};
use crate::errors;
use crate::generated::*;
use crate::model::GroupRec;
use crate::render;
use crate::state::AutoScaling;
use nimbus_core::{AwsError, RequestContext};

/// Whether `g` passes every filter (values of one filter are alternatives).
fn matches(g: &GroupRec, filters: &[(String, Vec<String>)]) -> bool {
    filters.iter().all(|(name, values)| {
        if name == "tag-key" {
            g.tags.iter().any(|t| values.contains(&t.key))
        } else if name == "tag-value" {
            g.tags.iter().any(|t| values.contains(&t.value))
        } else if let Some(key) = name.strip_prefix("tag:") {
            g.tags
                .iter()
                .any(|t| t.key == key && values.contains(&t.value))
        } else {
            false
        }
    })
}

fn filters(input: Option<Vec<Filter>>) -> Result<Vec<(String, Vec<String>)>, AwsError> {
    let mut out = Vec::new();
    for f in input.unwrap_or_default() {
        let name = f.name.unwrap_or_default();
        if name != "tag-key" && name != "tag-value" && !name.starts_with("tag:") {
            return Err(errors::validation(format!(
                "Filter type {name} is not correct. Allowed Filter types are: tag-key, tag-value, tag:<key>"
            )));
        }
        out.push((name, f.values.unwrap_or_default()));
    }
    Ok(out)
}

pub(super) async fn groups(
    svc: &AutoScaling,
    ctx: &RequestContext,
    input: AutoScalingGroupNamesType,
) -> Result<AutoScalingGroupsType, AwsError> {
    let size = max_records(input.max_records, 50, 100)?;
    let filters = filters(input.filters)?;
    let names = input.auto_scaling_group_names.unwrap_or_default();
    let with_instances = input.include_instances.unwrap_or(true);
    let items = svc.read(ctx.account_id(), &ctx.region, |scope| {
        scope
            .groups
            .values()
            .filter(|g| names.is_empty() || names.contains(&g.name))
            .filter(|g| matches(g, &filters))
            .map(|g| (g.name.clone(), render::group(g, with_instances)))
            .collect()
    });
    let (auto_scaling_groups, next_token) = page(items, input.next_token.as_deref(), size)?;
    Ok(AutoScalingGroupsType {
        auto_scaling_groups,
        next_token,
    })
}

pub(super) async fn instances(
    svc: &AutoScaling,
    ctx: &RequestContext,
    input: DescribeAutoScalingInstancesType,
) -> Result<AutoScalingInstancesType, AwsError> {
    let size = max_records(input.max_records, 50, 50)?;
    let ids = input.instance_ids.unwrap_or_default();
    let items = svc.read(ctx.account_id(), &ctx.region, |scope| {
        let mut v: Vec<(String, AutoScalingInstanceDetails)> = scope
            .groups
            .values()
            .flat_map(|g| g.instances.iter().map(move |i| (g, i)))
            .filter(|(_, i)| ids.is_empty() || ids.contains(&i.id))
            .map(|(g, i)| (i.id.clone(), render::instance_details(g, i)))
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    });
    let (list, next_token) = page(items, input.next_token.as_deref(), size)?;
    Ok(AutoScalingInstancesType {
        auto_scaling_instances: Some(list),
        next_token,
    })
}

pub(super) async fn activities(
    svc: &AutoScaling,
    ctx: &RequestContext,
    input: DescribeScalingActivitiesType,
) -> Result<ActivitiesType, AwsError> {
    let size = max_records(input.max_records, 100, 100)?;
    if input.filters.as_ref().is_some_and(|f| !f.is_empty()) {
        return Err(AwsError::new(
            "NotImplemented",
            501,
            "Nimbus does not implement Filters for DescribeScalingActivities yet",
        ));
    }
    let ids = input.activity_ids.unwrap_or_default();
    let include_deleted = input.include_deleted_groups.unwrap_or(false);
    let group = input.auto_scaling_group_name;
    let items = svc.read(ctx.account_id(), &ctx.region, |scope| {
        let mut v: Vec<_> = scope
            .activities
            .values()
            .filter(|a| ids.is_empty() || ids.contains(&a.id))
            .filter(|a| group.as_deref().is_none_or(|g| a.group == g))
            .filter(|a| {
                include_deleted
                    || scope
                        .groups
                        .get(&a.group)
                        .is_some_and(|g| g.arn() == a.group_arn)
            })
            .collect();
        // Newest first; the key sorts the same way so tokens resume in order.
        v.sort_by(|a, b| (b.start, &b.id).cmp(&(a.start, &a.id)));
        v.iter()
            .enumerate()
            .map(|(n, a)| (format!("{n:010}"), render::activity(a)))
            .collect::<Vec<_>>()
    });
    let (activities, next_token) = page(items, input.next_token.as_deref(), size)?;
    Ok(ActivitiesType {
        activities,
        next_token,
    })
}
