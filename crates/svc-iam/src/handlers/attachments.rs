//! Managed-policy attachments for users, groups and roles (`Attach*Policy`,
//! `Detach*Policy`, `ListAttached*Policies`) and `ListEntitiesForPolicy`. At most ten
//! managed policies per entity by default
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html>);
//! attaching an attached policy again changes nothing. The policies themselves are
//! `policies`'.

use super::common::{policy_exists, Entity, Kind, MAX_ATTACHED};
use crate::errors;
use crate::generated::*;
use crate::persist::Change;
use crate::render;
use crate::state::Iam;
use crate::validate::{self, Checker};
use nimbus_core::{AwsError, RequestContext};

pub(super) async fn attach(
    iam: &Iam,
    ctx: &RequestContext,
    kind: Kind,
    name: String,
    arn: String,
) -> Result<(), AwsError> {
    Checker::new()
        .name(kind.field(), &name, kind.max_name())
        .done()?;
    validate::policy_arn(&arn)?;
    let account = ctx.account_id().to_string();
    iam.mutate(ctx, |_, acct| {
        let mut e = Entity::find_modifiable(acct, kind, &name)?;
        if !policy_exists(acct, &account, &arn)? {
            return Err(errors::not_attachable(&arn));
        }
        if e.attached().contains(&arn) {
            return Ok((Change::default(), ()));
        }
        if e.attached().len() >= MAX_ATTACHED {
            return Err(errors::quota(kind.attach_quota(), MAX_ATTACHED));
        }
        e.attached_mut().push(arn);
        Ok((Change::one(e.into_op()), ()))
    })
    .await
}

pub(super) async fn detach(
    iam: &Iam,
    ctx: &RequestContext,
    kind: Kind,
    name: String,
    arn: String,
) -> Result<(), AwsError> {
    Checker::new()
        .name(kind.field(), &name, kind.max_name())
        .done()?;
    validate::policy_arn(&arn)?;
    iam.mutate(ctx, |_, acct| {
        let mut e = Entity::find_modifiable(acct, kind, &name)?;
        if !e.attached().contains(&arn) {
            return Err(errors::not_attached(&arn));
        }
        e.attached_mut().retain(|a| *a != arn);
        Ok((Change::one(e.into_op()), ()))
    })
    .await
}

/// One page of an entity's attached policies (in attachment order), filtered by path.
pub(super) async fn list(
    iam: &Iam,
    ctx: &RequestContext,
    kind: Kind,
    name: String,
    path_prefix: Option<String>,
    marker: Option<String>,
    max_items: Option<i32>,
) -> Result<(Option<Vec<AttachedPolicy>>, Option<bool>, Option<String>), AwsError> {
    Checker::new()
        .name(kind.field(), &name, kind.max_name())
        .path_prefix(path_prefix.as_deref())
        .max_items(max_items)
        .done()?;
    let prefix = path_prefix.unwrap_or_else(|| "/".into());
    let arns = iam.read(ctx, |_, acct| {
        Entity::find(acct, kind, &name).map(|e| e.attached().clone())
    })?;
    let items: Vec<AttachedPolicy> = arns
        .into_iter()
        .filter_map(|arn| {
            let (_, path, pname) = validate::policy_arn(&arn).ok()?;
            path.starts_with(&prefix).then_some(AttachedPolicy {
                policy_name: Some(pname),
                policy_arn: Some(arn),
            })
        })
        .collect();
    let (page, truncated, next) = render::page_indexed(items, marker.as_deref(), max_items);
    Ok((Some(page), truncated, next))
}

/// One entity of `ListEntitiesForPolicy`'s answer.
enum Found {
    Group(PolicyGroup),
    User(PolicyUser),
    Role(PolicyRole),
}

pub(super) async fn list_entities_for_policy(
    iam: &Iam,
    ctx: &RequestContext,
    input: ListEntitiesForPolicyRequest,
) -> Result<ListEntitiesForPolicyResponse, AwsError> {
    let mut c = Checker::new();
    c.path_prefix(input.path_prefix.as_deref())
        .max_items(input.max_items);
    if let Some(f) = &input.entity_filter {
        c.one_of(
            "entityFilter",
            f,
            &[
                "User",
                "Role",
                "Group",
                "LocalManagedPolicy",
                "AWSManagedPolicy",
            ],
        );
    }
    if let Some(f) = &input.policy_usage_filter {
        c.one_of(
            "policyUsageFilter",
            f,
            &["PermissionsPolicy", "PermissionsBoundary"],
        );
    }
    c.done()?;
    let account = ctx.account_id().to_string();
    let arn = input.policy_arn.clone();
    let prefix = input.path_prefix.clone().unwrap_or_else(|| "/".into());
    let filter = input.entity_filter.clone();
    let usage = input.policy_usage_filter.clone();
    let found = iam.read(ctx, |_, acct| {
        if !policy_exists(acct, &account, &arn)? {
            return Err(errors::no_such_policy(&arn));
        }
        let want = |k: &str| filter.as_deref().is_none_or(|f| f == k);
        let uses = |attached: &Vec<String>, boundary: Option<&String>| {
            let a = attached.contains(&arn);
            let b = boundary == Some(&arn);
            match usage.as_deref() {
                Some("PermissionsPolicy") => a,
                Some("PermissionsBoundary") => b,
                _ => a || b,
            }
        };
        let mut out = Vec::new();
        if want("Group") {
            for g in acct.groups.values() {
                if g.path.starts_with(&prefix) && uses(&g.attached, None) {
                    out.push(Found::Group(PolicyGroup {
                        group_name: Some(g.name.clone()),
                        group_id: Some(g.id.clone()),
                    }));
                }
            }
        }
        if want("User") {
            for u in acct.users.values() {
                if u.path.starts_with(&prefix) && uses(&u.attached, u.boundary.as_ref()) {
                    out.push(Found::User(PolicyUser {
                        user_name: Some(u.name.clone()),
                        user_id: Some(u.id.clone()),
                    }));
                }
            }
        }
        if want("Role") {
            for r in acct.roles.values() {
                if r.path.starts_with(&prefix) && uses(&r.attached, r.boundary.as_ref()) {
                    out.push(Found::Role(PolicyRole {
                        role_name: Some(r.name.clone()),
                        role_id: Some(r.id.clone()),
                    }));
                }
            }
        }
        Ok(out)
    })?;
    let (page, is_truncated, marker) =
        render::page_indexed(found, input.marker.as_deref(), input.max_items);
    let (mut groups, mut users, mut roles) = (Vec::new(), Vec::new(), Vec::new());
    for f in page {
        match f {
            Found::Group(g) => groups.push(g),
            Found::User(u) => users.push(u),
            Found::Role(r) => roles.push(r),
        }
    }
    Ok(ListEntitiesForPolicyResponse {
        policy_groups: Some(groups),
        policy_users: Some(users),
        policy_roles: Some(roles),
        is_truncated,
        marker,
    })
}
