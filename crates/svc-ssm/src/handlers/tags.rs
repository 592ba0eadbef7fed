//! `AddTagsToResource`, `ListTagsForResource` and `RemoveTagsFromResource` for
//! `ResourceType=Parameter` (at most 50 tags, `aws:` reserved). Nimbus has no other taggable
//! Systems Manager resource yet, so an id of any other valid type names nothing:
//! `InvalidResourceId`, as AWS answers for a resource that does not exist.

use crate::errors::{self, constraint};
use crate::generated as g;
use crate::model::ParamRec;
use crate::persist::Change;
use crate::state::{Scope, Ssm};
use crate::validate;
use nimbus_core::{AwsError, RequestContext};

const TYPES: &[&str] = &[
    "Document", "ManagedInstance", "MaintenanceWindow", "Parameter", "PatchBaseline", "OpsItem", "OpsMetadata",
    "Automation", "Association",
];

/// The parameter a tagging request names.
fn target<'s>(scope: &'s Scope, resource_type: &str, id: &str) -> Result<&'s ParamRec, AwsError> {
    if !TYPES.contains(&resource_type) {
        return Err(constraint(
            resource_type,
            "resourceType",
            "satisfy enum value set: [Document, ManagedInstance, MaintenanceWindow, Parameter, PatchBaseline, OpsItem, OpsMetadata, Automation, Association]",
        ));
    }
    if resource_type != "Parameter" {
        return Err(errors::invalid_resource_id());
    }
    scope.get(id.trim()).ok_or_else(errors::invalid_resource_id)
}

pub async fn add(ssm: &Ssm, ctx: &RequestContext, input: g::AddTagsToResourceRequest) -> Result<g::AddTagsToResourceResult, AwsError> {
    let tags: Vec<(String, String)> = input.tags.iter().map(|t| (t.key.clone(), t.value.clone())).collect();
    validate::tags(&tags)?;
    ssm.mutate(ctx, |scope| {
        let mut rec = target(scope, &input.resource_type, &input.resource_id)?.clone();
        for (k, v) in tags {
            match rec.tags.iter_mut().find(|(x, _)| *x == k) {
                Some(slot) => slot.1 = v,
                None => rec.tags.push((k, v)),
            }
        }
        if rec.tags.len() > validate::MAX_TAGS {
            return Err(errors::too_many_tags());
        }
        Ok((Change::put(rec), g::AddTagsToResourceResult {}))
    })
    .await
}

pub async fn remove(ssm: &Ssm, ctx: &RequestContext, input: g::RemoveTagsFromResourceRequest) -> Result<g::RemoveTagsFromResourceResult, AwsError> {
    ssm.mutate(ctx, |scope| {
        let mut rec = target(scope, &input.resource_type, &input.resource_id)?.clone();
        rec.tags.retain(|(k, _)| !input.tag_keys.contains(k));
        Ok((Change::put(rec), g::RemoveTagsFromResourceResult {}))
    })
    .await
}

pub fn list(ssm: &Ssm, ctx: &RequestContext, input: g::ListTagsForResourceRequest) -> Result<g::ListTagsForResourceResult, AwsError> {
    ssm.read(ctx, |scope| {
        let rec = target(scope, &input.resource_type, &input.resource_id)?;
        Ok(g::ListTagsForResourceResult {
            tag_list: Some(rec.tags.iter().map(|(k, v)| g::Tag { key: k.clone(), value: v.clone() }).collect()),
        })
    })
}
