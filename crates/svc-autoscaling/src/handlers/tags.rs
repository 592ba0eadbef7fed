//! Group tags: `CreateOrUpdateTags`, `DeleteTags`, `DescribeTags` (filters
//! `auto-scaling-group`, `key`, `value`, `propagate-at-launch`; pagination). Tags are
//! applied to instances at launch by the reconciler when `PropagateAtLaunch` is set.

use super::common::{check_tag, max_records, page, MAX_TAGS};
use crate::errors;
use crate::generated::*;
use crate::model::TagRec;
use crate::persist::{Change, Op};
use crate::render;
use crate::state::AutoScaling;
use nimbus_core::{AwsError, RequestContext};
use std::collections::BTreeMap;

fn target(t: &Tag) -> Result<String, AwsError> {
    if let Some(rt) = t
        .resource_type
        .as_deref()
        .filter(|r| *r != "auto-scaling-group")
    {
        return Err(errors::validation(format!(
            "Invalid resource type {rt}; the only valid value is auto-scaling-group"
        )));
    }
    t.resource_id
        .clone()
        .filter(|r| !r.is_empty())
        .ok_or_else(|| errors::validation("ResourceId is required for each tag."))
}

pub(super) async fn create_or_update(
    svc: &AutoScaling,
    ctx: &RequestContext,
    input: CreateOrUpdateTagsType,
) -> Result<(), AwsError> {
    let mut by_group: BTreeMap<String, Vec<TagRec>> = BTreeMap::new();
    for t in &input.tags {
        let g = target(t)?;
        let value = t.value.clone().unwrap_or_default();
        check_tag(&t.key, &value)?;
        by_group.entry(g).or_default().push(TagRec {
            key: t.key.clone(),
            value,
            propagate: t.propagate_at_launch.unwrap_or(false),
        });
    }
    let (account, region) = (ctx.account_id().to_string(), ctx.region.clone());
    svc.mutate(&account, &region, |scope| {
        let mut change = Change::default();
        for (name, tags) in by_group {
            let mut g = scope
                .group(&name)
                .cloned()
                .ok_or_else(|| errors::no_group(&name))?;
            for t in tags {
                g.tags.retain(|x| x.key != t.key);
                g.tags.push(t);
            }
            if g.tags.len() > MAX_TAGS {
                return Err(errors::limit(format!(
                    "The number of tags exceeds the limit of {MAX_TAGS} per Auto Scaling group."
                )));
            }
            g.tags.sort_by(|a, b| a.key.cmp(&b.key));
            change.push(Op::PutGroup(g));
        }
        Ok((change, ()))
    })
    .await
}

pub(super) async fn delete(
    svc: &AutoScaling,
    ctx: &RequestContext,
    input: DeleteTagsType,
) -> Result<(), AwsError> {
    let mut by_group: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for t in &input.tags {
        by_group.entry(target(t)?).or_default().push(t.key.clone());
    }
    let (account, region) = (ctx.account_id().to_string(), ctx.region.clone());
    svc.mutate(&account, &region, |scope| {
        let mut change = Change::default();
        for (name, keys) in by_group {
            let mut g = scope
                .group(&name)
                .cloned()
                .ok_or_else(|| errors::no_group(&name))?;
            g.tags.retain(|x| !keys.contains(&x.key));
            change.push(Op::PutGroup(g));
        }
        Ok((change, ()))
    })
    .await
}

pub(super) async fn describe(
    svc: &AutoScaling,
    ctx: &RequestContext,
    input: DescribeTagsType,
) -> Result<TagsType, AwsError> {
    let size = max_records(input.max_records, 50, 100)?;
    let mut filters: Vec<(String, Vec<String>)> = Vec::new();
    for f in input.filters.unwrap_or_default() {
        let name = f.name.unwrap_or_default();
        if !["auto-scaling-group", "key", "value", "propagate-at-launch"].contains(&name.as_str()) {
            return Err(errors::validation(format!(
                "Filter type {name} is not correct. Allowed Filter types are: auto-scaling-group key value propagate-at-launch"
            )));
        }
        filters.push((name, f.values.unwrap_or_default()));
    }
    let items = svc.read(ctx.account_id(), &ctx.region, |scope| {
        let mut out = Vec::new();
        for g in scope.groups.values() {
            for t in &g.tags {
                let ok = filters.iter().all(|(n, vals)| match n.as_str() {
                    "auto-scaling-group" => vals.contains(&g.name),
                    "key" => vals.contains(&t.key),
                    "value" => vals.contains(&t.value),
                    _ => vals
                        .iter()
                        .any(|v| v.eq_ignore_ascii_case(&t.propagate.to_string())),
                });
                if ok {
                    out.push((format!("{}\t{}", g.name, t.key), render::tag(&g.name, t)));
                }
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    });
    let (tags, next_token) = page(items, input.next_token.as_deref(), size)?;
    Ok(TagsType {
        tags: Some(tags),
        next_token,
    })
}
