//! Users: `CreateUser`, `GetUser`, `ListUsers`, `UpdateUser`, `DeleteUser`, their tags and
//! permissions boundaries. Names are unique in the account case-insensitively; a user
//! cannot be deleted while it still has access keys, an MFA device, policies or group
//! memberships
//! (<https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteUser.html>). Keys,
//! inline policies, attachments and groups have their own modules.

use super::common::{check_boundary, target_user};
use crate::errors;
use crate::generated::*;
use crate::model::UserRec;
use crate::persist::{Change, Op};
use crate::render;
use crate::state::Iam;
use crate::validate::{self, path_or_root, Checker};
use nimbus_core::{AwsError, RequestContext, Timestamp};

/// "IAM users per AWS account: 5000".
pub(super) const MAX_USERS: usize = 5000;

pub(super) async fn create_user(
    iam: &Iam,
    ctx: &RequestContext,
    input: CreateUserRequest,
) -> Result<CreateUserResponse, AwsError> {
    Checker::new()
        .name("userName", &input.user_name, 64)
        .path("path", input.path.as_deref())
        .done()?;
    let tags = validate::new_tags(input.tags, "TagsPerUser")?;
    let now = iam.now_ms(ctx);
    let account = ctx.account_id().to_string();
    iam.mutate(ctx, |_, acct| {
        if acct
            .users
            .contains_key(&input.user_name.to_ascii_lowercase())
        {
            return Err(errors::already_exists("User", &input.user_name));
        }
        if let Some(b) = &input.permissions_boundary {
            check_boundary(acct, &account, b)?;
        }
        if acct.users.len() >= MAX_USERS {
            return Err(errors::quota("UsersPerAccount", MAX_USERS));
        }
        let u = UserRec {
            account: account.clone(),
            name: input.user_name,
            id: iam.unique_id("AIDA"),
            path: path_or_root(input.path),
            created: now,
            tags,
            boundary: input.permissions_boundary,
            attached: Vec::new(),
            inline: Vec::new(),
            groups: Vec::new(),
            login: None,
            ssh_keys: Vec::new(),
        };
        let out = CreateUserResponse {
            user: Some(render::user(&u, true)),
        };
        Ok((Change::one(Op::PutUser(u)), out))
    })
    .await
}

pub(super) async fn get_user(
    iam: &Iam,
    ctx: &RequestContext,
    input: GetUserRequest,
) -> Result<GetUserResponse, AwsError> {
    let Some(name) = target_user(ctx, input.user_name)? else {
        // The account root: its id is the account id, its ARN `...:root`, and it has no
        // user name or path.
        return Ok(GetUserResponse {
            user: User {
                user_id: ctx.account_id().to_string(),
                arn: ctx.principal.arn.clone(),
                create_date: Timestamp(0),
                ..Default::default()
            },
        });
    };
    iam.read(ctx, |_, acct| {
        Ok(GetUserResponse {
            user: render::user(acct.user(&name)?, true),
        })
    })
}

pub(super) async fn list_users(
    iam: &Iam,
    ctx: &RequestContext,
    input: ListUsersRequest,
) -> Result<ListUsersResponse, AwsError> {
    Checker::new()
        .path_prefix(input.path_prefix.as_deref())
        .marker(input.marker.as_deref())
        .max_items(input.max_items)
        .done()?;
    let prefix = input.path_prefix.unwrap_or_else(|| "/".into());
    let items = iam.read(ctx, |_, acct| {
        acct.users
            .iter()
            .filter(|(_, u)| u.path.starts_with(&prefix))
            .map(|(k, u)| (k.clone(), render::user(u, false)))
            .collect()
    });
    let (users, is_truncated, marker) =
        render::page(items, input.marker.as_deref(), input.max_items);
    Ok(ListUsersResponse {
        users,
        is_truncated,
        marker,
    })
}

pub(super) async fn update_user(
    iam: &Iam,
    ctx: &RequestContext,
    input: UpdateUserRequest,
) -> Result<(), AwsError> {
    let mut c = Checker::new();
    c.name("userName", &input.user_name, 128)
        .path("newPath", input.new_path.as_deref());
    if let Some(n) = &input.new_user_name {
        c.name("newUserName", n, 64);
    }
    c.done()?;
    iam.mutate(ctx, |st, acct| {
        let old = acct.user(&input.user_name)?;
        let mut u = old.clone();
        let mut change = Change::default();
        if let Some(new) = input.new_user_name.filter(|n| *n != old.name) {
            if !new.eq_ignore_ascii_case(&old.name)
                && acct.users.contains_key(&new.to_ascii_lowercase())
            {
                return Err(errors::already_exists("User", &new));
            }
            change.push(Op::DeleteUser(old.account.clone(), old.name.clone()));
            // Access keys name their user: they follow the rename in the same batch.
            for k in st.keys_of(&old.account, Some(&old.name)) {
                let mut k = k.clone();
                k.user = Some(new.clone());
                change.push(Op::PutKey(k));
            }
            // So do the MFA devices enabled for it.
            for d in acct.mfa_of(&old.name) {
                let mut d = d.clone();
                d.user = Some(new.clone());
                change.push(Op::PutMfa(d));
            }
            // And its signing certificates.
            for c in acct.signing_certs_of(Some(&old.name)) {
                let mut c = c.clone();
                c.user = Some(new.clone());
                change.push(Op::PutSigningCert(c));
            }
            u.name = new;
        }
        if let Some(p) = input.new_path {
            u.path = p;
        }
        change.push(Op::PutUser(u));
        Ok((change, ()))
    })
    .await
}

pub(super) async fn delete_user(
    iam: &Iam,
    ctx: &RequestContext,
    input: DeleteUserRequest,
) -> Result<(), AwsError> {
    Checker::new()
        .name("userName", &input.user_name, 128)
        .done()?;
    iam.mutate(ctx, |st, acct| {
        let u = acct.user(&input.user_name)?;
        if !st.keys_of(&u.account, Some(&u.name)).is_empty() {
            return Err(errors::delete_conflict(
                "Cannot delete entity, must delete access keys first.",
            ));
        }
        if u.login.is_some() {
            return Err(errors::delete_conflict(
                "Cannot delete entity, must delete login profile first.",
            ));
        }
        if !u.ssh_keys.is_empty() {
            return Err(errors::delete_conflict(
                "Cannot delete entity, must delete SSH public keys first.",
            ));
        }
        if !acct.signing_certs_of(Some(&u.name)).is_empty() {
            return Err(errors::delete_conflict(
                "Cannot delete entity, must delete signing certificates first.",
            ));
        }
        if acct.mfa_of(&u.name).next().is_some() {
            return Err(errors::delete_conflict(
                "Cannot delete entity, must delete MFA device first.",
            ));
        }
        errors::unless_policies_gone(&u.inline, &u.attached)?;
        if !u.groups.is_empty() {
            return Err(errors::delete_conflict(
                "Cannot delete entity, must remove user from all groups first.",
            ));
        }
        Ok((
            Change::one(Op::DeleteUser(u.account.clone(), u.name.clone())),
            (),
        ))
    })
    .await
}

pub(super) async fn tag_user(
    iam: &Iam,
    ctx: &RequestContext,
    input: TagUserRequest,
) -> Result<(), AwsError> {
    let add = validate::new_tags(Some(input.tags), "TagsPerUser")?;
    iam.mutate(ctx, |_, acct| {
        let mut u = acct.user(&input.user_name)?.clone();
        u.tags = validate::merge_tags(&u.tags, add, "TagsPerUser")?;
        Ok((Change::one(Op::PutUser(u)), ()))
    })
    .await
}

pub(super) async fn untag_user(
    iam: &Iam,
    ctx: &RequestContext,
    input: UntagUserRequest,
) -> Result<(), AwsError> {
    Checker::new().tag_keys(&input.tag_keys).done()?;
    iam.mutate(ctx, |_, acct| {
        let mut u = acct.user(&input.user_name)?.clone();
        u.tags.retain(|t| {
            !input
                .tag_keys
                .iter()
                .any(|k| k.eq_ignore_ascii_case(&t.key))
        });
        Ok((Change::one(Op::PutUser(u)), ()))
    })
    .await
}

pub(super) async fn list_user_tags(
    iam: &Iam,
    ctx: &RequestContext,
    input: ListUserTagsRequest,
) -> Result<ListUserTagsResponse, AwsError> {
    Checker::new().max_items(input.max_items).done()?;
    let tags = iam.read(ctx, |_, acct| {
        acct.user(&input.user_name).map(|u| render::tags(&u.tags))
    })?;
    let (tags, is_truncated, marker) =
        render::page_indexed(tags, input.marker.as_deref(), input.max_items);
    Ok(ListUserTagsResponse {
        tags,
        is_truncated,
        marker,
    })
}

pub(super) async fn put_user_permissions_boundary(
    iam: &Iam,
    ctx: &RequestContext,
    input: PutUserPermissionsBoundaryRequest,
) -> Result<(), AwsError> {
    let account = ctx.account_id().to_string();
    iam.mutate(ctx, |_, acct| {
        let mut u = acct.user(&input.user_name)?.clone();
        check_boundary(acct, &account, &input.permissions_boundary)?;
        u.boundary = Some(input.permissions_boundary);
        Ok((Change::one(Op::PutUser(u)), ()))
    })
    .await
}

pub(super) async fn delete_user_permissions_boundary(
    iam: &Iam,
    ctx: &RequestContext,
    input: DeleteUserPermissionsBoundaryRequest,
) -> Result<(), AwsError> {
    iam.mutate(ctx, |_, acct| {
        let mut u = acct.user(&input.user_name)?.clone();
        if u.boundary.take().is_none() {
            return Ok((Change::default(), ()));
        }
        Ok((Change::one(Op::PutUser(u)), ()))
    })
    .await
}
