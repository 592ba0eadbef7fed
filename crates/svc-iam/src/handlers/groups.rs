//! Groups and membership: `CreateGroup`, `GetGroup` (with its users), `ListGroups`,
//! `UpdateGroup`, `DeleteGroup`, `AddUserToGroup`, `RemoveUserFromGroup`,
//! `ListGroupsForUser`. Membership is kept in the user's record by group name, so a
//! rename rewrites the members in the same batch. A group cannot be deleted while it has
//! members or policies (<https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteGroup.html>).

use crate::errors;
use crate::generated::*;
use crate::model::GroupRec;
use crate::persist::{Change, Op};
use crate::render;
use crate::state::Iam;
use crate::validate::{path_or_root, Checker};
use nimbus_core::{AwsError, RequestContext};

/// "Groups per AWS account: 300".
pub(super) const MAX_GROUPS: usize = 300;
/// "IAM groups an IAM user can be a member of: 10".
pub(super) const MAX_GROUPS_PER_USER: usize = 10;

pub(super) async fn create_group(
    iam: &Iam,
    ctx: &RequestContext,
    input: CreateGroupRequest,
) -> Result<CreateGroupResponse, AwsError> {
    Checker::new()
        .name("groupName", &input.group_name, 128)
        .path("path", input.path.as_deref())
        .done()?;
    let now = iam.now_ms(ctx);
    let account = ctx.account_id().to_string();
    iam.mutate(ctx, |_, acct| {
        if acct
            .groups
            .contains_key(&input.group_name.to_ascii_lowercase())
        {
            return Err(errors::already_exists("Group", &input.group_name));
        }
        if acct.groups.len() >= MAX_GROUPS {
            return Err(errors::quota("GroupsPerAccount", MAX_GROUPS));
        }
        let g = GroupRec {
            account,
            name: input.group_name,
            id: iam.unique_id("AGPA"),
            path: path_or_root(input.path),
            created: now,
            attached: Vec::new(),
            inline: Vec::new(),
        };
        let out = CreateGroupResponse {
            group: render::group(&g),
        };
        Ok((Change::one(Op::PutGroup(g)), out))
    })
    .await
}

pub(super) async fn get_group(
    iam: &Iam,
    ctx: &RequestContext,
    input: GetGroupRequest,
) -> Result<GetGroupResponse, AwsError> {
    Checker::new()
        .name("groupName", &input.group_name, 128)
        .max_items(input.max_items)
        .done()?;
    let (group, users) = iam.read(ctx, |_, acct| {
        let g = acct.group(&input.group_name)?;
        let users: Vec<(String, User)> = acct
            .members(&g.name)
            .map(|u| (u.name.to_ascii_lowercase(), render::user(u, false)))
            .collect();
        Ok::<_, AwsError>((render::group(g), users))
    })?;
    let (users, is_truncated, marker) =
        render::page(users, input.marker.as_deref(), input.max_items);
    Ok(GetGroupResponse {
        group,
        users,
        is_truncated,
        marker,
    })
}

pub(super) async fn list_groups(
    iam: &Iam,
    ctx: &RequestContext,
    input: ListGroupsRequest,
) -> Result<ListGroupsResponse, AwsError> {
    Checker::new()
        .path_prefix(input.path_prefix.as_deref())
        .max_items(input.max_items)
        .done()?;
    let prefix = input.path_prefix.unwrap_or_else(|| "/".into());
    let items = iam.read(ctx, |_, acct| {
        acct.groups
            .iter()
            .filter(|(_, g)| g.path.starts_with(&prefix))
            .map(|(k, g)| (k.clone(), render::group(g)))
            .collect()
    });
    let (groups, is_truncated, marker) =
        render::page(items, input.marker.as_deref(), input.max_items);
    Ok(ListGroupsResponse {
        groups,
        is_truncated,
        marker,
    })
}

pub(super) async fn update_group(
    iam: &Iam,
    ctx: &RequestContext,
    input: UpdateGroupRequest,
) -> Result<(), AwsError> {
    let mut c = Checker::new();
    c.name("groupName", &input.group_name, 128)
        .path("newPath", input.new_path.as_deref());
    if let Some(n) = &input.new_group_name {
        c.name("newGroupName", n, 128);
    }
    c.done()?;
    iam.mutate(ctx, |_, acct| {
        let old = acct.group(&input.group_name)?;
        let mut g = old.clone();
        let mut change = Change::default();
        if let Some(new) = input.new_group_name.filter(|n| *n != old.name) {
            if !new.eq_ignore_ascii_case(&old.name)
                && acct.groups.contains_key(&new.to_ascii_lowercase())
            {
                return Err(errors::already_exists("Group", &new));
            }
            change.push(Op::DeleteGroup(old.account.clone(), old.name.clone()));
            for u in acct.members(&old.name) {
                let mut u = u.clone();
                for m in u.groups.iter_mut().filter(|m| **m == old.name) {
                    *m = new.clone();
                }
                change.push(Op::PutUser(u));
            }
            g.name = new;
        }
        if let Some(p) = input.new_path {
            g.path = p;
        }
        change.push(Op::PutGroup(g));
        Ok((change, ()))
    })
    .await
}

pub(super) async fn delete_group(
    iam: &Iam,
    ctx: &RequestContext,
    input: DeleteGroupRequest,
) -> Result<(), AwsError> {
    Checker::new()
        .name("groupName", &input.group_name, 128)
        .done()?;
    iam.mutate(ctx, |_, acct| {
        let g = acct.group(&input.group_name)?;
        if acct.members(&g.name).next().is_some() {
            return Err(errors::delete_conflict(
                "Cannot delete entity, must remove users from group first.",
            ));
        }
        errors::unless_policies_gone(&g.inline, &g.attached)?;
        Ok((
            Change::one(Op::DeleteGroup(g.account.clone(), g.name.clone())),
            (),
        ))
    })
    .await
}

pub(super) async fn add_user_to_group(
    iam: &Iam,
    ctx: &RequestContext,
    input: AddUserToGroupRequest,
) -> Result<(), AwsError> {
    Checker::new()
        .name("groupName", &input.group_name, 128)
        .name("userName", &input.user_name, 64)
        .done()?;
    iam.mutate(ctx, |_, acct| {
        let g = acct.group(&input.group_name)?;
        let mut u = acct.user(&input.user_name)?.clone();
        if u.groups.contains(&g.name) {
            return Ok((Change::default(), ()));
        }
        if u.groups.len() >= MAX_GROUPS_PER_USER {
            return Err(errors::quota("GroupsPerUser", MAX_GROUPS_PER_USER));
        }
        u.groups.push(g.name.clone());
        Ok((Change::one(Op::PutUser(u)), ()))
    })
    .await
}

pub(super) async fn remove_user_from_group(
    iam: &Iam,
    ctx: &RequestContext,
    input: RemoveUserFromGroupRequest,
) -> Result<(), AwsError> {
    iam.mutate(ctx, |_, acct| {
        let g = acct.group(&input.group_name)?;
        let mut u = acct.user(&input.user_name)?.clone();
        let before = u.groups.len();
        u.groups.retain(|m| *m != g.name);
        if u.groups.len() == before {
            return Err(errors::no_such_user(&input.user_name));
        }
        Ok((Change::one(Op::PutUser(u)), ()))
    })
    .await
}

pub(super) async fn list_groups_for_user(
    iam: &Iam,
    ctx: &RequestContext,
    input: ListGroupsForUserRequest,
) -> Result<ListGroupsForUserResponse, AwsError> {
    Checker::new().max_items(input.max_items).done()?;
    let items = iam.read(ctx, |_, acct| {
        let u = acct.user(&input.user_name)?;
        let mut v: Vec<(String, Group)> = u
            .groups
            .iter()
            .filter_map(|n| acct.groups.get(&n.to_ascii_lowercase()))
            .map(|g| (g.name.to_ascii_lowercase(), render::group(g)))
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        Ok::<_, AwsError>(v)
    })?;
    let (groups, is_truncated, marker) =
        render::page(items, input.marker.as_deref(), input.max_items);
    Ok(ListGroupsForUserResponse {
        groups,
        is_truncated,
        marker,
    })
}
