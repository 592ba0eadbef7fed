//! Tags on the IAM resources other than users and roles (whose tag calls live with them):
//! customer managed policies (`TagPolicy`, `UntagPolicy`, `ListPolicyTags`; AWS managed
//! policies are not the account's to tag: `NoSuchEntity`), instance profiles and virtual
//! MFA devices, with the same rules as users' tags (at most 50, keys case-insensitive,
//! a tag with an existing key replaces it). Also `UpdateRoleDescription`, the older
//! single-field form of `UpdateRole`.

use crate::errors;
use crate::generated::*;
use crate::model::TagRec;
use crate::persist::{Change, Op};
use crate::render;
use crate::state::Iam;
use crate::validate::{self, Checker};
use nimbus_core::{AwsError, RequestContext};

fn without(tags: &mut Vec<TagRec>, keys: &[String]) {
    tags.retain(|t| !keys.iter().any(|k| k.eq_ignore_ascii_case(&t.key)));
}

type Page = (Vec<Tag>, Option<bool>, Option<String>);

fn page(tags: &[TagRec], marker: Option<&str>, max_items: Option<i32>) -> Page {
    render::page_indexed(render::tags(tags), marker, max_items)
}

pub(super) async fn tag_policy(
    iam: &Iam,
    ctx: &RequestContext,
    input: TagPolicyRequest,
) -> Result<(), AwsError> {
    let add = validate::new_tags(Some(input.tags), "TagsPerPolicy")?;
    let account = ctx.account_id().to_string();
    iam.mutate(ctx, |_, acct| {
        let mut p = super::policies::own(acct, &account, &input.policy_arn)?.clone();
        p.tags = validate::merge_tags(&p.tags, add, "TagsPerPolicy")?;
        Ok((Change::one(Op::PutPolicy(p)), ()))
    })
    .await
}

pub(super) async fn untag_policy(
    iam: &Iam,
    ctx: &RequestContext,
    input: UntagPolicyRequest,
) -> Result<(), AwsError> {
    Checker::new().tag_keys(&input.tag_keys).done()?;
    let account = ctx.account_id().to_string();
    iam.mutate(ctx, |_, acct| {
        let mut p = super::policies::own(acct, &account, &input.policy_arn)?.clone();
        without(&mut p.tags, &input.tag_keys);
        Ok((Change::one(Op::PutPolicy(p)), ()))
    })
    .await
}

pub(super) async fn list_policy_tags(
    iam: &Iam,
    ctx: &RequestContext,
    input: ListPolicyTagsRequest,
) -> Result<ListPolicyTagsResponse, AwsError> {
    Checker::new().max_items(input.max_items).done()?;
    let account = ctx.account_id().to_string();
    let (tags, is_truncated, marker) = iam.read(ctx, |_, acct| {
        super::policies::own(acct, &account, &input.policy_arn)
            .map(|p| page(&p.tags, input.marker.as_deref(), input.max_items))
    })?;
    Ok(ListPolicyTagsResponse {
        tags,
        is_truncated,
        marker,
    })
}

pub(super) async fn tag_instance_profile(
    iam: &Iam,
    ctx: &RequestContext,
    input: TagInstanceProfileRequest,
) -> Result<(), AwsError> {
    let add = validate::new_tags(Some(input.tags), "TagsPerInstanceProfile")?;
    iam.mutate(ctx, |_, acct| {
        let mut p = acct.profile(&input.instance_profile_name)?.clone();
        p.tags = validate::merge_tags(&p.tags, add, "TagsPerInstanceProfile")?;
        Ok((Change::one(Op::PutProfile(p)), ()))
    })
    .await
}

pub(super) async fn untag_instance_profile(
    iam: &Iam,
    ctx: &RequestContext,
    input: UntagInstanceProfileRequest,
) -> Result<(), AwsError> {
    Checker::new().tag_keys(&input.tag_keys).done()?;
    iam.mutate(ctx, |_, acct| {
        let mut p = acct.profile(&input.instance_profile_name)?.clone();
        without(&mut p.tags, &input.tag_keys);
        Ok((Change::one(Op::PutProfile(p)), ()))
    })
    .await
}

pub(super) async fn list_instance_profile_tags(
    iam: &Iam,
    ctx: &RequestContext,
    input: ListInstanceProfileTagsRequest,
) -> Result<ListInstanceProfileTagsResponse, AwsError> {
    Checker::new().max_items(input.max_items).done()?;
    let (tags, is_truncated, marker) = iam.read(ctx, |_, acct| {
        acct.profile(&input.instance_profile_name)
            .map(|p| page(&p.tags, input.marker.as_deref(), input.max_items))
    })?;
    Ok(ListInstanceProfileTagsResponse {
        tags,
        is_truncated,
        marker,
    })
}

pub(super) async fn tag_mfa_device(
    iam: &Iam,
    ctx: &RequestContext,
    input: TagMFADeviceRequest,
) -> Result<(), AwsError> {
    Checker::new().serial(&input.serial_number).done()?;
    let add = validate::new_tags(Some(input.tags), "TagsPerMFADevice")?;
    iam.mutate(ctx, |_, acct| {
        let mut m = acct
            .mfa_by_serial(&input.serial_number)
            .ok_or_else(|| errors::no_such_mfa(&input.serial_number))?
            .clone();
        m.tags = validate::merge_tags(&m.tags, add, "TagsPerMFADevice")?;
        Ok((Change::one(Op::PutMfa(m)), ()))
    })
    .await
}

pub(super) async fn untag_mfa_device(
    iam: &Iam,
    ctx: &RequestContext,
    input: UntagMFADeviceRequest,
) -> Result<(), AwsError> {
    Checker::new()
        .serial(&input.serial_number)
        .tag_keys(&input.tag_keys)
        .done()?;
    iam.mutate(ctx, |_, acct| {
        let mut m = acct
            .mfa_by_serial(&input.serial_number)
            .ok_or_else(|| errors::no_such_mfa(&input.serial_number))?
            .clone();
        without(&mut m.tags, &input.tag_keys);
        Ok((Change::one(Op::PutMfa(m)), ()))
    })
    .await
}

pub(super) async fn list_mfa_device_tags(
    iam: &Iam,
    ctx: &RequestContext,
    input: ListMFADeviceTagsRequest,
) -> Result<ListMFADeviceTagsResponse, AwsError> {
    Checker::new()
        .serial(&input.serial_number)
        .max_items(input.max_items)
        .done()?;
    let (tags, is_truncated, marker) = iam.read(ctx, |_, acct| {
        acct.mfa_by_serial(&input.serial_number)
            .map(|m| page(&m.tags, input.marker.as_deref(), input.max_items))
            .ok_or_else(|| errors::no_such_mfa(&input.serial_number))
    })?;
    Ok(ListMFADeviceTagsResponse {
        tags,
        is_truncated,
        marker,
    })
}

pub(super) async fn update_role_description(
    iam: &Iam,
    ctx: &RequestContext,
    input: UpdateRoleDescriptionRequest,
) -> Result<UpdateRoleDescriptionResponse, AwsError> {
    Checker::new()
        .name("roleName", &input.role_name, 64)
        .description(Some(&input.description))
        .done()?;
    iam.mutate(ctx, |_, acct| {
        let mut r = acct.role(&input.role_name)?.clone();
        super::service_linked::protected(&r)?;
        r.description = Some(input.description);
        let role = render::role(&r, true);
        Ok((
            Change::one(Op::PutRole(r)),
            UpdateRoleDescriptionResponse { role: Some(role) },
        ))
    })
    .await
}
