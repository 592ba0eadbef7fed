//! `CreateTags`, `DeleteTags` and `DescribeTags` over every taggable kind in
//! `tagging::KINDS`: all named resources change or none does; each id is checked by its
//! prefix (`InvalidID` when no kind claims it, the kind's own `….NotFound` when it does
//! not exist); the tag rules of `tags` apply (no `aws:` keys, at most 50 per resource).
//! `DeleteTags` without tags removes them all; a tag given with a value is removed only
//! when the value matches. Key pairs (`key-`), the account's own images (`ami-`) and launch
//! templates (`lt-`) live in the definitions holder (`defs`): their ids are checked first,
//! the networking resources are changed as one step, then each of those (so a failure
//! among them leaves the networking change in place). See
//! <https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateTags.html>.

use super::check_dry_run;
use crate::errors;
use crate::filters::{self, Parsed};
use crate::generated::{
    CreateTagsRequest, DeleteTagsRequest, DescribeTagsRequest, DescribeTagsResult, Tag,
    TagDescription,
};
use crate::model::TagRec;
use crate::persist::Change;
use crate::state::{scope_key, Ec2, Scope, ScopeKey};
use crate::tagging::{self, TagKind};
use crate::tags;
use nimbus_core::{AwsError, RequestContext};

/// Whether `id` names a resource of the definitions holder (key pair, image, template).
fn is_def_id(id: &str) -> bool {
    ["key-", "ami-", "lt-", "i-", "vol-"]
        .iter()
        .any(|p| id.starts_with(p))
}

/// The not-found error of a definitions resource id.
fn def_not_found(id: &str) -> AwsError {
    if id.starts_with("key-") {
        crate::def_errors::key_pair_id_not_found(id)
    } else if id.starts_with("ami-") {
        crate::def_errors::ami_not_found(&[id])
    } else if id.starts_with("i-") {
        crate::inst_errors::instance_not_found(&[id])
    } else if id.starts_with("vol-") {
        crate::inst_errors::volume_not_found(&[id])
    } else {
        crate::def_errors::template_id_not_found(id)
    }
}

/// Splits a request's ids into definitions ids (checked to exist) and networking ids.
fn split_ids(
    ec2: &Ec2,
    ctx: &RequestContext,
    ids: &[String],
) -> Result<(Vec<String>, Vec<String>), AwsError> {
    if ids.is_empty() {
        return Err(errors::missing_parameter(
            "The request must contain the parameter resourceIdSet",
        ));
    }
    let (defs, net): (Vec<String>, Vec<String>) = ids.iter().cloned().partition(|i| is_def_id(i));
    if !defs.is_empty() {
        let known = ec2.def_resource_tags(ctx.account_id(), &ctx.region);
        if let Some(missing) = defs
            .iter()
            .find(|d| !known.iter().any(|(id, _, _)| id == *d))
        {
            return Err(def_not_found(missing));
        }
    }
    Ok((defs, net))
}

/// Applies `edit` to each definitions resource's tags, durably.
async fn retag_defs(
    ec2: &Ec2,
    ctx: &RequestContext,
    ids: &[String],
    edit: impl Fn(&str, &mut Vec<TagRec>) -> Result<(), AwsError>,
) -> Result<(), AwsError> {
    for id in ids {
        let found = ec2
            .retag_def_resource(ctx.account_id(), &ctx.region, id, |t| edit(id, t))
            .await?;
        if !found {
            return Err(def_not_found(id));
        }
    }
    Ok(())
}

/// Adds or replaces `wanted` in `current`, within the 50-tag limit.
fn add_tags(id: &str, current: &mut Vec<TagRec>, wanted: &[TagRec]) -> Result<(), AwsError> {
    for t in wanted {
        match current.iter_mut().find(|c| c.key == t.key) {
            Some(c) => c.value = t.value.clone(),
            None => current.push(t.clone()),
        }
    }
    if current.len() > tags::MAX_TAGS {
        return Err(AwsError::client(
            "TagLimitExceeded",
            format!("The maximum number of tags for resource {id} has been reached."),
        ));
    }
    Ok(())
}

/// Removes `given` from `current` (all tags when `given` is empty; a tag given with a
/// value only when the value matches).
fn remove_tags(current: &mut Vec<TagRec>, given: &[Tag]) {
    if given.is_empty() {
        current.clear();
        return;
    }
    current.retain(|c| {
        !given.iter().any(|t| {
            t.key.as_deref() == Some(c.key.as_str())
                && t.value.as_deref().is_none_or(|v| v == c.value)
        })
    });
}

/// A named resource, its kind and its tags.
type Target<'a> = (&'a str, &'static TagKind, Vec<TagRec>);

/// Finds each resource's kind and current tags, failing on the first unknown one.
fn resolve<'a>(scope: &Scope, ids: &'a [String]) -> Result<Vec<Target<'a>>, AwsError> {
    if ids.is_empty() {
        return Err(errors::missing_parameter(
            "The request must contain the parameter resourceIdSet",
        ));
    }
    ids.iter()
        .map(|id| {
            let kind = tagging::kind_of(id).ok_or_else(|| tagging::invalid_id(id))?;
            let current = (kind.get)(scope, id).ok_or_else(|| (kind.not_found)(id))?;
            Ok((id.as_str(), kind, current))
        })
        .collect()
}

/// Writes every resource's new tags as one change. Each step reads a working copy of the
/// scope that already has the steps before it, so two targets stored in one record (a
/// group and its rules, two rules of one group) keep both updates.
fn write_all(scope: &Scope, key: &ScopeKey, updated: Vec<Target<'_>>) -> Result<Change, AwsError> {
    let mut work = scope.clone();
    let mut change = Change::default();
    for (id, kind, new_tags) in updated {
        let c = (kind.set)(&work, key, id, new_tags).ok_or_else(|| (kind.not_found)(id))?;
        work.apply_local(&c);
        change.extend(c);
    }
    Ok(change)
}

pub(super) async fn create(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: CreateTagsRequest,
) -> Result<(), AwsError> {
    check_dry_run(input.dry_run)?;
    let wanted = tags::check_all(input.tags)?;
    let key = scope_key(ctx);
    let (defs, net) = split_ids(ec2, ctx, &input.resources)?;
    if !net.is_empty() {
        ec2.mutate(ctx, |_, scope| {
            let mut updated = resolve(scope, &net)?;
            // Two ids naming the same security group rule's group would each rewrite it;
            // apply tags per resource on its own current tags.
            for (id, _, current) in updated.iter_mut() {
                add_tags(id, current, &wanted)?;
            }
            Ok((write_all(scope, &key, updated)?, ()))
        })
        .await?;
    }
    retag_defs(ec2, ctx, &defs, |id, current| {
        add_tags(id, current, &wanted)
    })
    .await
}

pub(super) async fn delete(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: DeleteTagsRequest,
) -> Result<(), AwsError> {
    check_dry_run(input.dry_run)?;
    let given: Vec<Tag> = input.tags.unwrap_or_default();
    for t in &given {
        tags::check_key(t.key.as_deref().unwrap_or_default())?;
    }
    let key = scope_key(ctx);
    let (defs, net) = split_ids(ec2, ctx, &input.resources)?;
    if !net.is_empty() {
        ec2.mutate(ctx, |_, scope| {
            let mut updated = resolve(scope, &net)?;
            for (_, _, current) in updated.iter_mut() {
                remove_tags(current, &given);
            }
            Ok((write_all(scope, &key, updated)?, ()))
        })
        .await?;
    }
    retag_defs(ec2, ctx, &defs, |_, current| {
        remove_tags(current, &given);
        Ok(())
    })
    .await
}

const FILTERS: &[&str] = &["key", "resource-id", "resource-type", "value"];

fn matches(d: &TagDescription, f: &Parsed) -> bool {
    let field = match f.name.as_str() {
        "key" => &d.key,
        "resource-id" => &d.resource_id,
        "resource-type" => &d.resource_type,
        "value" => &d.value,
        // tag:<key>: the tag itself has that key and a matching value.
        name => {
            let k = name.strip_prefix("tag:").unwrap_or_default();
            return d.key.as_deref() == Some(k) && d.value.as_deref().is_some_and(|v| f.matches(v));
        }
    };
    field.as_deref().is_some_and(|v| f.matches(v))
}

pub(super) async fn describe(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: DescribeTagsRequest,
) -> Result<DescribeTagsResult, AwsError> {
    check_dry_run(input.dry_run)?;
    let parsed = filters::parse(input.filters, FILTERS, true)?;
    // DescribeTags knows tag:<key> but not tag-key / tag-value.
    if let Some(f) = parsed
        .iter()
        .find(|f| f.name == "tag-key" || f.name == "tag-value")
    {
        return Err(errors::invalid_filter(&f.name));
    }
    filters::check_max_results(input.max_results, 5, 1000)?;
    let all = ec2
        .read(ctx, |_, scope| {
            let mut out: Vec<(String, TagDescription)> = Vec::new();
            for kind in tagging::KINDS {
                for (id, tags) in (kind.list)(scope) {
                    for t in tags {
                        out.push((
                            format!("{id}\u{0}{}", t.key),
                            TagDescription {
                                key: Some(t.key),
                                resource_id: Some(id.clone()),
                                resource_type: Some(kind.resource_type.to_string()),
                                value: Some(t.value),
                            },
                        ));
                    }
                }
            }
            for (id, rtype, tags) in ec2.def_resource_tags(ctx.account_id(), &ctx.region) {
                for t in tags {
                    out.push((
                        format!("{id}\u{0}{}", t.key),
                        TagDescription {
                            key: Some(t.key),
                            resource_id: Some(id.clone()),
                            resource_type: Some(rtype.to_string()),
                            value: Some(t.value),
                        },
                    ));
                }
            }
            out.retain(|(_, d)| parsed.iter().all(|f| matches(d, f)));
            out.sort_by(|a, b| a.0.cmp(&b.0));
            out
        })
        .await?;
    let (page, next_token) = filters::paginate(
        all,
        |(k, _)| k.as_str(),
        input.max_results,
        input.next_token.as_deref(),
    )?;
    Ok(DescribeTagsResult {
        next_token,
        tags: Some(page.into_iter().map(|(_, d)| d).collect()),
    })
}
