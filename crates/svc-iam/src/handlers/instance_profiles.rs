//! Instance profiles, how a role is handed to EC2 instances: `CreateInstanceProfile`,
//! `GetInstanceProfile`, `DeleteInstanceProfile`, `ListInstanceProfiles`,
//! `AddRoleToInstanceProfile`, `RemoveRoleFromInstanceProfile`,
//! `ListInstanceProfilesForRole`
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_switch-role-ec2_instance-profiles.html>).
//!
//! - A profile holds at most one role, a quota that cannot be raised
//!   (<https://docs.aws.amazon.com/IAM/latest/APIReference/API_AddRoleToInstanceProfile.html>);
//!   a second one is `LimitExceeded`.
//! - A profile is deleted only once it holds no role, and a role only once no profile
//!   holds it (`roles`), both `DeleteConflict`.
//! - The profile keeps the role's name; its answers show the role as it is now. EC2 finds
//!   a profile's role through [`crate::Directory::instance_profile`].

use crate::errors;
use crate::generated::*;
use crate::model::InstanceProfileRec;
use crate::persist::{Change, Op};
use crate::render;
use crate::state::{Account, Iam};
use crate::validate::{self, path_or_root, Checker};
use nimbus_core::{AwsError, RequestContext};

/// "Instance profiles per AWS account: 1000".
pub(super) const MAX_PROFILES: usize = 1000;
/// "Roles in an instance profile: 1".
const MAX_ROLES: usize = 1;

/// The conflict of deleting a profile that holds a role, or a role a profile holds.
pub(super) const HOLDS_ROLE: &str =
    "Cannot delete entity, must remove roles from instance profile first.";

pub(super) fn wire(p: &InstanceProfileRec, acct: &Account) -> InstanceProfile {
    InstanceProfile {
        path: p.path.clone(),
        instance_profile_name: p.name.clone(),
        instance_profile_id: p.id.clone(),
        arn: p.arn(),
        create_date: render::ts(p.created),
        roles: p
            .role
            .as_deref()
            .and_then(|r| acct.role(r).ok())
            .map(|r| render::role(r, false))
            .into_iter()
            .collect(),
        tags: render::opt_tags(&p.tags),
    }
}

pub(super) async fn create_instance_profile(
    iam: &Iam,
    ctx: &RequestContext,
    input: CreateInstanceProfileRequest,
) -> Result<CreateInstanceProfileResponse, AwsError> {
    Checker::new()
        .name("instanceProfileName", &input.instance_profile_name, 128)
        .path("path", input.path.as_deref())
        .done()?;
    let tags = validate::new_tags(input.tags, "TagsPerInstanceProfile")?;
    let now = iam.now_ms(ctx);
    let account = ctx.account_id().to_string();
    iam.mutate(ctx, |_, acct| {
        let name = &input.instance_profile_name;
        if acct.profiles.contains_key(&name.to_ascii_lowercase()) {
            return Err(errors::profile_exists(name));
        }
        if acct.profiles.len() >= MAX_PROFILES {
            return Err(errors::quota("InstanceProfilesPerAccount", MAX_PROFILES));
        }
        let p = InstanceProfileRec {
            account: account.clone(),
            name: name.clone(),
            id: iam.unique_id("AIPA"),
            path: path_or_root(input.path),
            created: now,
            tags,
            role: None,
        };
        let out = CreateInstanceProfileResponse {
            instance_profile: wire(&p, acct),
        };
        Ok((Change::one(Op::PutProfile(p)), out))
    })
    .await
}

pub(super) async fn get_instance_profile(
    iam: &Iam,
    ctx: &RequestContext,
    input: GetInstanceProfileRequest,
) -> Result<GetInstanceProfileResponse, AwsError> {
    Checker::new()
        .name("instanceProfileName", &input.instance_profile_name, 128)
        .done()?;
    iam.read(ctx, |_, acct| {
        Ok(GetInstanceProfileResponse {
            instance_profile: wire(acct.profile(&input.instance_profile_name)?, acct),
        })
    })
}

pub(super) async fn delete_instance_profile(
    iam: &Iam,
    ctx: &RequestContext,
    input: DeleteInstanceProfileRequest,
) -> Result<(), AwsError> {
    Checker::new()
        .name("instanceProfileName", &input.instance_profile_name, 128)
        .done()?;
    iam.mutate(ctx, |_, acct| {
        let p = acct.profile(&input.instance_profile_name)?;
        if p.role.is_some() {
            return Err(errors::delete_conflict(HOLDS_ROLE));
        }
        Ok((
            Change::one(Op::DeleteProfile(p.account.clone(), p.name.clone())),
            (),
        ))
    })
    .await
}

pub(super) async fn list_instance_profiles(
    iam: &Iam,
    ctx: &RequestContext,
    input: ListInstanceProfilesRequest,
) -> Result<ListInstanceProfilesResponse, AwsError> {
    Checker::new()
        .path_prefix(input.path_prefix.as_deref())
        .max_items(input.max_items)
        .done()?;
    let prefix = input.path_prefix.unwrap_or_else(|| "/".into());
    let items = iam.read(ctx, |_, acct| {
        acct.profiles
            .iter()
            .filter(|(_, p)| p.path.starts_with(&prefix))
            .map(|(k, p)| (k.clone(), wire(p, acct)))
            .collect()
    });
    let (instance_profiles, is_truncated, marker) =
        render::page(items, input.marker.as_deref(), input.max_items);
    Ok(ListInstanceProfilesResponse {
        instance_profiles,
        is_truncated,
        marker,
    })
}

pub(super) async fn add_role_to_instance_profile(
    iam: &Iam,
    ctx: &RequestContext,
    input: AddRoleToInstanceProfileRequest,
) -> Result<(), AwsError> {
    Checker::new()
        .name("instanceProfileName", &input.instance_profile_name, 128)
        .name("roleName", &input.role_name, 64)
        .done()?;
    iam.mutate(ctx, |_, acct| {
        let mut p = acct.profile(&input.instance_profile_name)?.clone();
        let role = acct.role(&input.role_name)?.name.clone();
        if p.role.is_some() {
            return Err(errors::quota(
                "InstanceSessionsPerInstanceProfile",
                MAX_ROLES,
            ));
        }
        p.role = Some(role);
        Ok((Change::one(Op::PutProfile(p)), ()))
    })
    .await
}

pub(super) async fn remove_role_from_instance_profile(
    iam: &Iam,
    ctx: &RequestContext,
    input: RemoveRoleFromInstanceProfileRequest,
) -> Result<(), AwsError> {
    Checker::new()
        .name("instanceProfileName", &input.instance_profile_name, 128)
        .name("roleName", &input.role_name, 64)
        .done()?;
    iam.mutate(ctx, |_, acct| {
        let mut p = acct.profile(&input.instance_profile_name)?.clone();
        let holds = p
            .role
            .as_deref()
            .is_some_and(|r| r.eq_ignore_ascii_case(&input.role_name));
        if !holds {
            // The role may exist but not be in this profile: either way it is not found here.
            return Err(errors::no_such_role(&input.role_name));
        }
        p.role = None;
        Ok((Change::one(Op::PutProfile(p)), ()))
    })
    .await
}

pub(super) async fn list_instance_profiles_for_role(
    iam: &Iam,
    ctx: &RequestContext,
    input: ListInstanceProfilesForRoleRequest,
) -> Result<ListInstanceProfilesForRoleResponse, AwsError> {
    Checker::new()
        .name("roleName", &input.role_name, 64)
        .max_items(input.max_items)
        .done()?;
    let items = iam.read(ctx, |_, acct| {
        let role = acct.role(&input.role_name)?;
        Ok::<_, AwsError>(
            acct.profiles_of(&role.name)
                .map(|(k, p)| (k.clone(), wire(p, acct)))
                .collect(),
        )
    })?;
    let (instance_profiles, is_truncated, marker) =
        render::page(items, input.marker.as_deref(), input.max_items);
    Ok(ListInstanceProfilesForRoleResponse {
        instance_profiles,
        is_truncated,
        marker,
    })
}
