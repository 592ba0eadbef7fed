//! `CreateTags`, `DeleteTags` and `DescribeTags` over every taggable kind in
//! `tagging::KINDS`: all named resources change or none does; each id is checked by its
//! prefix (`InvalidID` when no kind claims it, the kind's own `….NotFound` when it does
//! not exist); the tag rules of `tags` apply (no `aws:` keys, at most 50 per resource).
//! `DeleteTags` without tags removes them all; a tag given with a value is removed only
//! when the value matches. See
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

/// Writes every resource's new tags as one change.
fn write_all(scope: &Scope, key: &ScopeKey, updated: Vec<Target<'_>>) -> Result<Change, AwsError> {
    let mut change = Change::default();
    for (id, kind, new_tags) in updated {
        let c = (kind.set)(scope, key, id, new_tags).ok_or_else(|| (kind.not_found)(id))?;
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
    ec2.mutate(ctx, |_, scope| {
        let mut updated = resolve(scope, &input.resources)?;
        // Two ids naming the same security group rule's group would each rewrite it; apply
        // tags per resource on its own current tags.
        for (id, _, current) in updated.iter_mut() {
            for t in &wanted {
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
        }
        Ok((write_all(scope, &key, updated)?, ()))
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
    ec2.mutate(ctx, |_, scope| {
        let mut updated = resolve(scope, &input.resources)?;
        for (_, _, current) in updated.iter_mut() {
            if given.is_empty() {
                current.clear();
                continue;
            }
            current.retain(|c| {
                !given.iter().any(|t| {
                    t.key.as_deref() == Some(c.key.as_str())
                        && t.value.as_deref().is_none_or(|v| v == c.value)
                })
            });
        }
        Ok((write_all(scope, &key, updated)?, ()))
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
