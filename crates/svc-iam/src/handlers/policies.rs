//! Managed policies: customer managed ones (`CreatePolicy`, `DeletePolicy`) with their
//! versions (`CreatePolicyVersion` with `SetAsDefault`, at most five, never deleting the
//! default: <https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-versioning.html>),
//! and the read calls that also see the AWS managed catalogue (`GetPolicy`,
//! `GetPolicyVersion`, `ListPolicyVersions`, `ListPolicies` with `Scope`). Attaching is
//! `attachments`'.

use super::common::usage;
use crate::errors;
use crate::generated::*;
use crate::managed::{self, AwsPolicy};
use crate::model::{PolicyRec, VersionRec};
use crate::persist::{Change, Op};
use crate::render;
use crate::state::{Account, Iam};
use crate::validate::{self, path_or_root, Checker};
use nimbus_core::{AwsError, RequestContext};
use std::collections::HashMap;

/// "Customer managed policies in an AWS account: 1500".
pub(super) const MAX_POLICIES: usize = 1500;
/// "Versions of a managed policy that can be stored: 5".
pub(super) const MAX_VERSIONS: usize = 5;

fn customer(p: &PolicyRec, acct: &Account, full: bool) -> Policy {
    let arn = p.arn();
    customer_with(p, arn.clone(), usage(acct, &arn), full)
}

/// `(attachments, boundary uses)` of every policy the account uses, by ARN.
fn usage_counts(acct: &Account) -> HashMap<&str, (i32, i32)> {
    let mut m: HashMap<&str, (i32, i32)> = HashMap::new();
    let attached = acct
        .users
        .values()
        .map(|u| &u.attached)
        .chain(acct.groups.values().map(|g| &g.attached))
        .chain(acct.roles.values().map(|r| &r.attached));
    for arn in attached.flatten() {
        m.entry(arn.as_str()).or_default().0 += 1;
    }
    let bounds = acct
        .users
        .values()
        .filter_map(|u| u.boundary.as_deref())
        .chain(acct.roles.values().filter_map(|r| r.boundary.as_deref()));
    for arn in bounds {
        m.entry(arn).or_default().1 += 1;
    }
    m
}

fn customer_with(
    p: &PolicyRec,
    arn: String,
    (attached, bounded): (i32, i32),
    full: bool,
) -> Policy {
    Policy {
        policy_name: Some(p.name.clone()),
        policy_id: Some(p.id.clone()),
        arn: Some(arn),
        path: Some(p.path.clone()),
        default_version_id: Some(p.default_version.clone()),
        attachment_count: Some(attached),
        permissions_boundary_usage_count: Some(bounded),
        is_attachable: Some(true),
        description: if full { p.description.clone() } else { None },
        create_date: Some(render::ts(p.created)),
        update_date: Some(render::ts(p.updated)),
        tags: if full {
            render::opt_tags(&p.tags)
        } else {
            None
        },
    }
}

fn aws(p: &AwsPolicy, acct: &Account) -> Policy {
    let arn = p.arn();
    let counts = usage(acct, &arn);
    aws_with(p, arn, counts)
}

fn aws_with(p: &AwsPolicy, arn: String, (attached, bounded): (i32, i32)) -> Policy {
    Policy {
        policy_name: Some(p.name.to_string()),
        policy_id: Some(p.id()),
        arn: Some(arn),
        path: Some(p.path.to_string()),
        default_version_id: Some(p.version.to_string()),
        attachment_count: Some(attached),
        permissions_boundary_usage_count: Some(bounded),
        is_attachable: Some(true),
        // The catalogue carries no descriptions: none is better than an invented one.
        description: None,
        create_date: Some(render::ts(p.created_ms())),
        update_date: Some(render::ts(p.updated_ms())),
        tags: None,
    }
}

/// The caller's customer managed policy with this ARN (AWS managed ones cannot change).
pub(super) fn own<'a>(
    acct: &'a Account,
    account: &str,
    arn: &str,
) -> Result<&'a PolicyRec, AwsError> {
    let (owner, _, _) = validate::policy_arn(arn)?;
    if owner != account {
        return Err(errors::no_such_policy(arn));
    }
    acct.policy_by_arn(arn)
        .ok_or_else(|| errors::no_such_policy(arn))
}

fn check_version_id(v: &str) -> Result<(), AwsError> {
    let ok = v.strip_prefix('v').is_some_and(|rest| {
        let (num, suffix) = rest.split_once('.').unwrap_or((rest, ""));
        num.starts_with(|c: char| ('1'..='9').contains(&c))
            && num.bytes().all(|b| b.is_ascii_digit())
            && suffix
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    });
    if ok {
        Ok(())
    } else {
        Err(errors::validation(&[format!(
            "Value '{v}' at 'versionId' failed to satisfy constraint: Member must satisfy regular expression pattern: v[1-9][0-9]*(\\.[A-Za-z0-9-]*)?"
        )]))
    }
}

pub(super) async fn create_policy(
    iam: &Iam,
    ctx: &RequestContext,
    input: CreatePolicyRequest,
) -> Result<CreatePolicyResponse, AwsError> {
    Checker::new()
        .name("policyName", &input.policy_name, 128)
        .path("path", input.path.as_deref())
        .description(input.description.as_deref())
        .done()?;
    validate::managed_document(&input.policy_document)?;
    let tags = validate::new_tags(input.tags, "TagsPerPolicy")?;
    let now = iam.now_ms(ctx);
    let account = ctx.account_id().to_string();
    iam.mutate(ctx, |_, acct| {
        if acct
            .policies
            .contains_key(&input.policy_name.to_ascii_lowercase())
        {
            return Err(errors::policy_exists(&input.policy_name));
        }
        if acct.policies.len() >= MAX_POLICIES {
            return Err(errors::quota("PoliciesPerAccount", MAX_POLICIES));
        }
        let p = PolicyRec {
            account,
            name: input.policy_name,
            id: iam.unique_id("ANPA"),
            path: path_or_root(input.path),
            description: input.description,
            created: now,
            updated: now,
            default_version: "v1".into(),
            versions: vec![VersionRec {
                id: "v1".into(),
                document: input.policy_document,
                created: now,
            }],
            next_version: 2,
            tags,
        };
        let out = CreatePolicyResponse {
            policy: Some(customer(&p, acct, true)),
        };
        Ok((Change::one(Op::PutPolicy(p)), out))
    })
    .await
}

pub(super) async fn get_policy(
    iam: &Iam,
    ctx: &RequestContext,
    input: GetPolicyRequest,
) -> Result<GetPolicyResponse, AwsError> {
    let (owner, _, _) = validate::policy_arn(&input.policy_arn)?;
    let account = ctx.account_id().to_string();
    iam.read(ctx, |_, acct| {
        let policy = if owner == "aws" {
            managed::by_arn(&input.policy_arn).map(|p| aws(p, acct))
        } else if owner == account {
            acct.policy_by_arn(&input.policy_arn)
                .map(|p| customer(p, acct, true))
        } else {
            None
        };
        match policy {
            Some(p) => Ok(GetPolicyResponse { policy: Some(p) }),
            None => Err(errors::no_such_policy(&input.policy_arn)),
        }
    })
}

pub(super) async fn list_policies(
    iam: &Iam,
    ctx: &RequestContext,
    input: ListPoliciesRequest,
) -> Result<ListPoliciesResponse, AwsError> {
    let scope = input.scope.clone().unwrap_or_else(|| "All".into());
    let mut c = Checker::new();
    c.one_of("scope", &scope, &["All", "AWS", "Local"])
        .path_prefix(input.path_prefix.as_deref())
        .max_items(input.max_items);
    if let Some(f) = &input.policy_usage_filter {
        c.one_of(
            "policyUsageFilter",
            f,
            &["PermissionsPolicy", "PermissionsBoundary"],
        );
    }
    c.done()?;
    let prefix = input.path_prefix.clone().unwrap_or_else(|| "/".into());
    let only_attached = input.only_attached.unwrap_or(false);
    let usage_filter = input.policy_usage_filter.clone();
    let items = iam.read(ctx, |_, acct| {
        let counts = usage_counts(acct);
        let count = |arn: &str| counts.get(arn).copied().unwrap_or_default();
        let mut v: Vec<(String, Policy)> = Vec::new();
        if scope != "Local" {
            v.extend(managed::all().iter().map(|p| {
                let arn = p.arn();
                let c = count(&arn);
                (p.name.to_ascii_lowercase(), aws_with(p, arn, c))
            }));
        }
        if scope != "AWS" {
            v.extend(acct.policies.iter().map(|(k, p)| {
                let arn = p.arn();
                let c = count(&arn);
                (k.clone(), customer_with(p, arn, c, false))
            }));
        }
        v.retain(|(_, p)| {
            let (att, bnd) = (
                p.attachment_count.unwrap_or(0),
                p.permissions_boundary_usage_count.unwrap_or(0),
            );
            let used = match usage_filter.as_deref() {
                Some("PermissionsPolicy") => att > 0,
                Some("PermissionsBoundary") => bnd > 0,
                _ => att + bnd > 0,
            };
            p.path.as_deref().unwrap_or("/").starts_with(&prefix) && (!only_attached || used)
        });
        // A customer policy may share its name with an AWS one: the ARN breaks the tie (after
        // a space, which sorts before every character a name may hold and XML can carry).
        v.iter_mut()
            .for_each(|(k, p)| *k = format!("{k} {}", p.arn.as_deref().unwrap_or_default()));
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    });
    let (policies, is_truncated, marker) =
        render::page(items, input.marker.as_deref(), input.max_items);
    Ok(ListPoliciesResponse {
        policies: Some(policies),
        is_truncated,
        marker,
    })
}

pub(super) async fn delete_policy(
    iam: &Iam,
    ctx: &RequestContext,
    input: DeletePolicyRequest,
) -> Result<(), AwsError> {
    let account = ctx.account_id().to_string();
    iam.mutate(ctx, |_, acct| {
        let p = own(acct, &account, &input.policy_arn)?;
        let (attached, bounded) = usage(acct, &input.policy_arn);
        if attached + bounded > 0 {
            return Err(errors::delete_conflict(
                "Cannot delete a policy attached to entities.",
            ));
        }
        if p.versions.len() > 1 {
            return Err(errors::delete_conflict(
                "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.",
            ));
        }
        Ok((
            Change::one(Op::DeletePolicy(p.account.clone(), p.name.clone())),
            (),
        ))
    })
    .await
}

pub(super) async fn create_policy_version(
    iam: &Iam,
    ctx: &RequestContext,
    input: CreatePolicyVersionRequest,
) -> Result<CreatePolicyVersionResponse, AwsError> {
    validate::managed_document(&input.policy_document)?;
    let now = iam.now_ms(ctx);
    let account = ctx.account_id().to_string();
    iam.mutate(ctx, |_, acct| {
        let mut p = own(acct, &account, &input.policy_arn)?.clone();
        if p.versions.len() >= MAX_VERSIONS {
            return Err(errors::limit(
                "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.",
            ));
        }
        let id = format!("v{}", p.next_version);
        p.next_version += 1;
        p.versions.push(VersionRec {
            id: id.clone(),
            document: input.policy_document,
            created: now,
        });
        let default = input.set_as_default.unwrap_or(false);
        if default {
            p.default_version = id.clone();
            p.updated = now;
        }
        let out = CreatePolicyVersionResponse {
            policy_version: Some(PolicyVersion {
                document: None,
                version_id: Some(id),
                is_default_version: Some(default),
                create_date: Some(render::ts(now)),
            }),
        };
        Ok((Change::one(Op::PutPolicy(p)), out))
    })
    .await
}

/// `(version id, document, is default, created)` of every version, newest first.
fn versions_of(
    acct: &Account,
    account: &str,
    arn: &str,
) -> Result<Vec<(String, String, bool, i64)>, AwsError> {
    let (owner, _, _) = validate::policy_arn(arn)?;
    if owner == "aws" {
        let p = managed::by_arn(arn).ok_or_else(|| errors::no_such_policy(arn))?;
        return Ok(vec![(
            p.version.to_string(),
            p.document.to_string(),
            true,
            p.updated_ms(),
        )]);
    }
    let p = own(acct, account, arn)?;
    Ok(p.versions
        .iter()
        .rev()
        .map(|v| {
            (
                v.id.clone(),
                v.document.clone(),
                v.id == p.default_version,
                v.created,
            )
        })
        .collect())
}

pub(super) async fn get_policy_version(
    iam: &Iam,
    ctx: &RequestContext,
    input: GetPolicyVersionRequest,
) -> Result<GetPolicyVersionResponse, AwsError> {
    check_version_id(&input.version_id)?;
    let account = ctx.account_id().to_string();
    let versions = iam.read(ctx, |_, acct| {
        versions_of(acct, &account, &input.policy_arn)
    })?;
    let (id, doc, default, created) = versions
        .into_iter()
        .find(|v| v.0 == input.version_id)
        .ok_or_else(|| errors::no_such_version(&input.policy_arn, &input.version_id))?;
    Ok(GetPolicyVersionResponse {
        policy_version: Some(PolicyVersion {
            document: Some(render::document(&doc)),
            version_id: Some(id),
            is_default_version: Some(default),
            create_date: Some(render::ts(created)),
        }),
    })
}

pub(super) async fn list_policy_versions(
    iam: &Iam,
    ctx: &RequestContext,
    input: ListPolicyVersionsRequest,
) -> Result<ListPolicyVersionsResponse, AwsError> {
    Checker::new().max_items(input.max_items).done()?;
    let account = ctx.account_id().to_string();
    let versions = iam.read(ctx, |_, acct| {
        versions_of(acct, &account, &input.policy_arn)
    })?;
    let versions = versions
        .into_iter()
        .map(|(id, _, default, created)| PolicyVersion {
            document: None,
            version_id: Some(id),
            is_default_version: Some(default),
            create_date: Some(render::ts(created)),
        })
        .collect();
    let (versions, is_truncated, marker) =
        render::page_indexed(versions, input.marker.as_deref(), input.max_items);
    Ok(ListPolicyVersionsResponse {
        versions: Some(versions),
        is_truncated,
        marker,
    })
}

pub(super) async fn delete_policy_version(
    iam: &Iam,
    ctx: &RequestContext,
    input: DeletePolicyVersionRequest,
) -> Result<(), AwsError> {
    check_version_id(&input.version_id)?;
    let account = ctx.account_id().to_string();
    iam.mutate(ctx, |_, acct| {
        let mut p = own(acct, &account, &input.policy_arn)?.clone();
        if !p.versions.iter().any(|v| v.id == input.version_id) {
            return Err(errors::no_such_version(
                &input.policy_arn,
                &input.version_id,
            ));
        }
        if p.default_version == input.version_id {
            return Err(errors::delete_conflict(
                "Cannot delete the default version of a policy.",
            ));
        }
        p.versions.retain(|v| v.id != input.version_id);
        Ok((Change::one(Op::PutPolicy(p)), ()))
    })
    .await
}

pub(super) async fn set_default_policy_version(
    iam: &Iam,
    ctx: &RequestContext,
    input: SetDefaultPolicyVersionRequest,
) -> Result<(), AwsError> {
    check_version_id(&input.version_id)?;
    let now = iam.now_ms(ctx);
    let account = ctx.account_id().to_string();
    iam.mutate(ctx, |_, acct| {
        let mut p = own(acct, &account, &input.policy_arn)?.clone();
        if !p.versions.iter().any(|v| v.id == input.version_id) {
            return Err(errors::no_such_version(
                &input.policy_arn,
                &input.version_id,
            ));
        }
        p.default_version = input.version_id;
        p.updated = now;
        Ok((Change::one(Op::PutPolicy(p)), ()))
    })
    .await
}
