//! Inline policies of users, groups and roles: `Put*Policy` (create or replace),
//! `Get*Policy` (document URL-encoded, as IAM returns it), `Delete*Policy`,
//! `List*Policies`. Each document is validated as an identity policy, and all inline
//! policies of one entity together must fit its quota (2,048 characters for a user, 5,120
//! for a group, 10,240 for a role, white space not counted:
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html>).

use super::common::{Entity, Kind};
use crate::errors;
use crate::model::InlineRec;
use crate::persist::Change;
use crate::render;
use crate::state::Iam;
use crate::validate::{self, Checker};
use nimbus_core::{AwsError, RequestContext};
use nimbus_iam_policy::{limits, PolicyKind};

fn check(kind: Kind, entity: &str, policy: &str) -> Result<(), AwsError> {
    Checker::new()
        .name(kind.field(), entity, kind.max_name())
        .name("policyName", policy, 128)
        .done()
}

pub(super) async fn put(
    iam: &Iam,
    ctx: &RequestContext,
    kind: Kind,
    entity: String,
    name: String,
    document: String,
) -> Result<(), AwsError> {
    check(kind, &entity, &name)?;
    Checker::new()
        .document("policyDocument", &document)
        .done()?;
    validate::policy(&document, PolicyKind::Inline)?;
    iam.mutate(ctx, |_, acct| {
        let mut e = Entity::find_modifiable(acct, kind, &entity)?;
        let others: usize = e
            .inline()
            .iter()
            .filter(|p| p.name != name)
            .map(|p| limits::policy_size(&p.document))
            .sum();
        if others + limits::policy_size(&document) > kind.inline_limit() {
            return Err(errors::limit(limits::inline_policies_too_large_message(
                kind.word(),
                e.name(),
                kind.inline_limit(),
            )));
        }
        let list = e.inline_mut();
        match list.iter_mut().find(|p| p.name == name) {
            Some(p) => p.document = document,
            None => list.push(InlineRec { name, document }),
        }
        Ok((Change::one(e.into_op()), ()))
    })
    .await
}

/// `(entity name as stored, policy name, URL-encoded document)`.
pub(super) async fn get(
    iam: &Iam,
    ctx: &RequestContext,
    kind: Kind,
    entity: String,
    name: String,
) -> Result<(String, String, String), AwsError> {
    check(kind, &entity, &name)?;
    iam.read(ctx, |_, acct| {
        let e = Entity::find(acct, kind, &entity)?;
        let p = e
            .inline()
            .iter()
            .find(|p| p.name == name)
            .ok_or_else(|| errors::no_such_inline(kind.word(), &name))?;
        Ok((
            e.name().to_string(),
            p.name.clone(),
            render::document(&p.document),
        ))
    })
}

pub(super) async fn delete(
    iam: &Iam,
    ctx: &RequestContext,
    kind: Kind,
    entity: String,
    name: String,
) -> Result<(), AwsError> {
    check(kind, &entity, &name)?;
    iam.mutate(ctx, |_, acct| {
        let mut e = Entity::find_modifiable(acct, kind, &entity)?;
        if !e.inline().iter().any(|p| p.name == name) {
            return Err(errors::no_such_inline(kind.word(), &name));
        }
        e.inline_mut().retain(|p| p.name != name);
        Ok((Change::one(e.into_op()), ()))
    })
    .await
}

/// One page of an entity's inline policy names, in name order.
pub(super) async fn list(
    iam: &Iam,
    ctx: &RequestContext,
    kind: Kind,
    entity: String,
    marker: Option<String>,
    max_items: Option<i32>,
) -> Result<(Vec<String>, Option<bool>, Option<String>), AwsError> {
    Checker::new()
        .name(kind.field(), &entity, kind.max_name())
        .max_items(max_items)
        .done()?;
    let mut names = iam.read(ctx, |_, acct| {
        Entity::find(acct, kind, &entity).map(|e| {
            e.inline()
                .iter()
                .map(|p| p.name.clone())
                .collect::<Vec<_>>()
        })
    })?;
    names.sort();
    let keyed = names.into_iter().map(|n| (n.clone(), n)).collect();
    Ok(render::page(keyed, marker.as_deref(), max_items))
}
