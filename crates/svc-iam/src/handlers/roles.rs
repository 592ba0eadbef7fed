//! Roles: `CreateRole` (trust policy, `MaxSessionDuration` 3600–43200 s with 3600 by
//! default, description, path, tags, permissions boundary), `GetRole`, `ListRoles`,
//! `UpdateRole`, `UpdateAssumeRolePolicy`, `DeleteRole`, role tags and boundaries. See
//! <https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html>. Inline
//! policies and attachments have their own modules; assuming roles is STS's.

use super::common::check_boundary;
use crate::errors;
use crate::generated::*;
use crate::model::RoleRec;
use crate::persist::{Change, Op};
use crate::render;
use crate::state::Iam;
use crate::validate::{self, path_or_root, Checker};
use nimbus_core::{AwsError, RequestContext};

/// "Roles per AWS account: 1000".
pub(super) const MAX_ROLES: usize = 1000;
const MIN_SESSION: i32 = 3600;
const MAX_SESSION: i32 = 43200;

pub(super) async fn create_role(
    iam: &Iam,
    ctx: &RequestContext,
    input: CreateRoleRequest,
) -> Result<CreateRoleResponse, AwsError> {
    Checker::new()
        .name("roleName", &input.role_name, 64)
        .path("path", input.path.as_deref())
        .description(input.description.as_deref())
        .range(
            "maxSessionDuration",
            input.max_session_duration,
            MIN_SESSION,
            MAX_SESSION,
        )
        .done()?;
    validate::trust_document(&input.assume_role_policy_document)?;
    let tags = validate::new_tags(input.tags, "TagsPerRole")?;
    let now = iam.now_ms(ctx);
    let account = ctx.account_id().to_string();
    iam.mutate(ctx, |_, acct| {
        if acct
            .roles
            .contains_key(&input.role_name.to_ascii_lowercase())
        {
            return Err(errors::already_exists("Role", &input.role_name));
        }
        if let Some(b) = &input.permissions_boundary {
            check_boundary(acct, &account, b)?;
        }
        if acct.roles.len() >= MAX_ROLES {
            return Err(errors::quota("RolesPerAccount", MAX_ROLES));
        }
        let r = RoleRec {
            account: account.clone(),
            name: input.role_name,
            id: iam.unique_id("AROA"),
            path: path_or_root(input.path),
            created: now,
            trust: input.assume_role_policy_document,
            description: input.description,
            max_session: input.max_session_duration.unwrap_or(MIN_SESSION),
            tags,
            boundary: input.permissions_boundary,
            attached: Vec::new(),
            inline: Vec::new(),
        };
        let mut role = render::role(&r, true);
        // CreateRole's answer has no RoleLastUsed (the role has never been used).
        role.role_last_used = None;
        Ok((Change::one(Op::PutRole(r)), CreateRoleResponse { role }))
    })
    .await
}

pub(super) async fn get_role(
    iam: &Iam,
    ctx: &RequestContext,
    input: GetRoleRequest,
) -> Result<GetRoleResponse, AwsError> {
    Checker::new()
        .name("roleName", &input.role_name, 64)
        .done()?;
    let mut role = iam.read(ctx, |_, acct| {
        acct.role(&input.role_name).map(|r| render::role(r, true))
    })?;
    // Sessions' last use (time and region only, as AWS reports it); empty when unused.
    if let Some(used) = iam.shared.usage(|u| u.role(&role.role_id).cloned()) {
        role.role_last_used = Some(RoleLastUsed {
            last_used_date: Some(render::ts(used.at)),
            region: Some(used.region),
        });
    }
    Ok(GetRoleResponse { role })
}

pub(super) async fn list_roles(
    iam: &Iam,
    ctx: &RequestContext,
    input: ListRolesRequest,
) -> Result<ListRolesResponse, AwsError> {
    Checker::new()
        .path_prefix(input.path_prefix.as_deref())
        .max_items(input.max_items)
        .done()?;
    let prefix = input.path_prefix.unwrap_or_else(|| "/".into());
    let items = iam.read(ctx, |_, acct| {
        acct.roles
            .iter()
            .filter(|(_, r)| r.path.starts_with(&prefix))
            .map(|(k, r)| (k.clone(), render::role(r, false)))
            .collect()
    });
    let (roles, is_truncated, marker) =
        render::page(items, input.marker.as_deref(), input.max_items);
    Ok(ListRolesResponse {
        roles,
        is_truncated,
        marker,
    })
}

pub(super) async fn update_role(
    iam: &Iam,
    ctx: &RequestContext,
    input: UpdateRoleRequest,
) -> Result<UpdateRoleResponse, AwsError> {
    Checker::new()
        .name("roleName", &input.role_name, 64)
        .description(input.description.as_deref())
        .range(
            "maxSessionDuration",
            input.max_session_duration,
            MIN_SESSION,
            MAX_SESSION,
        )
        .done()?;
    iam.mutate(ctx, |_, acct| {
        let mut r = acct.role(&input.role_name)?.clone();
        if let Some(d) = input.description {
            r.description = Some(d);
        }
        if let Some(m) = input.max_session_duration {
            r.max_session = m;
        }
        Ok((Change::one(Op::PutRole(r)), UpdateRoleResponse {}))
    })
    .await
}

pub(super) async fn update_assume_role_policy(
    iam: &Iam,
    ctx: &RequestContext,
    input: UpdateAssumeRolePolicyRequest,
) -> Result<(), AwsError> {
    Checker::new()
        .name("roleName", &input.role_name, 64)
        .done()?;
    validate::trust_document(&input.policy_document)?;
    iam.mutate(ctx, |_, acct| {
        let mut r = acct.role(&input.role_name)?.clone();
        super::service_linked::protected(&r)?;
        r.trust = input.policy_document;
        Ok((Change::one(Op::PutRole(r)), ()))
    })
    .await
}

pub(super) async fn delete_role(
    iam: &Iam,
    ctx: &RequestContext,
    input: DeleteRoleRequest,
) -> Result<(), AwsError> {
    Checker::new()
        .name("roleName", &input.role_name, 64)
        .done()?;
    iam.mutate(ctx, |_, acct| {
        let r = acct.role(&input.role_name)?;
        super::service_linked::protected(r)?;
        // Instance profiles must let go of the role too
        // (<https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteRole.html>); which
        // conflict AWS reports first when there are several is not documented.
        if acct.profiles_of(&r.name).next().is_some() {
            return Err(errors::delete_conflict(
                super::instance_profiles::HOLDS_ROLE,
            ));
        }
        errors::unless_policies_gone(&r.inline, &r.attached)?;
        Ok((
            Change::one(Op::DeleteRole(r.account.clone(), r.name.clone())),
            (),
        ))
    })
    .await
}

pub(super) async fn tag_role(
    iam: &Iam,
    ctx: &RequestContext,
    input: TagRoleRequest,
) -> Result<(), AwsError> {
    let add = validate::new_tags(Some(input.tags), "TagsPerRole")?;
    iam.mutate(ctx, |_, acct| {
        let mut r = acct.role(&input.role_name)?.clone();
        r.tags = validate::merge_tags(&r.tags, add, "TagsPerRole")?;
        Ok((Change::one(Op::PutRole(r)), ()))
    })
    .await
}

pub(super) async fn untag_role(
    iam: &Iam,
    ctx: &RequestContext,
    input: UntagRoleRequest,
) -> Result<(), AwsError> {
    Checker::new().tag_keys(&input.tag_keys).done()?;
    iam.mutate(ctx, |_, acct| {
        let mut r = acct.role(&input.role_name)?.clone();
        r.tags.retain(|t| {
            !input
                .tag_keys
                .iter()
                .any(|k| k.eq_ignore_ascii_case(&t.key))
        });
        Ok((Change::one(Op::PutRole(r)), ()))
    })
    .await
}

pub(super) async fn list_role_tags(
    iam: &Iam,
    ctx: &RequestContext,
    input: ListRoleTagsRequest,
) -> Result<ListRoleTagsResponse, AwsError> {
    Checker::new().max_items(input.max_items).done()?;
    let tags = iam.read(ctx, |_, acct| {
        acct.role(&input.role_name).map(|r| render::tags(&r.tags))
    })?;
    let (tags, is_truncated, marker) =
        render::page_indexed(tags, input.marker.as_deref(), input.max_items);
    Ok(ListRoleTagsResponse {
        tags,
        is_truncated,
        marker,
    })
}

pub(super) async fn put_role_permissions_boundary(
    iam: &Iam,
    ctx: &RequestContext,
    input: PutRolePermissionsBoundaryRequest,
) -> Result<(), AwsError> {
    let account = ctx.account_id().to_string();
    iam.mutate(ctx, |_, acct| {
        let mut r = acct.role(&input.role_name)?.clone();
        check_boundary(acct, &account, &input.permissions_boundary)?;
        r.boundary = Some(input.permissions_boundary);
        Ok((Change::one(Op::PutRole(r)), ()))
    })
    .await
}

pub(super) async fn delete_role_permissions_boundary(
    iam: &Iam,
    ctx: &RequestContext,
    input: DeleteRolePermissionsBoundaryRequest,
) -> Result<(), AwsError> {
    iam.mutate(ctx, |_, acct| {
        let mut r = acct.role(&input.role_name)?.clone();
        if r.boundary.take().is_none() {
            return Ok((Change::default(), ()));
        }
        Ok((Change::one(Op::PutRole(r)), ()))
    })
    .await
}
