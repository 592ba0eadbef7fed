//! `GetAccountAuthorizationDetails`: one snapshot of the account's users, groups, roles and
//! managed policies with their relationships (group memberships, attachments, inline
//! documents, boundaries, instance profiles, every version of each customer managed
//! policy), documents URL-encoded as IAM sends them, filtered by `Filter` and paged over
//! the whole list in that order. AWS managed policies appear only when the account uses
//! them (attached or as a boundary): listing the whole catalogue is `ListPolicies`' job.

use super::common::usage;
use crate::generated::*;
use crate::managed;
use crate::model::InlineRec;
use crate::render;
use crate::state::{Account, Iam};
use crate::validate::{self, Checker};
use nimbus_core::{AwsError, RequestContext};
use std::collections::BTreeSet;

enum Item {
    User(UserDetail),
    Group(GroupDetail),
    Role(RoleDetail),
    Policy(ManagedPolicyDetail),
}

fn inline(list: &[InlineRec]) -> Option<Vec<PolicyDetail>> {
    Some(
        list.iter()
            .map(|p| PolicyDetail {
                policy_name: Some(p.name.clone()),
                policy_document: Some(render::document(&p.document)),
            })
            .collect(),
    )
}

fn attached(arns: &[String]) -> Option<Vec<AttachedPolicy>> {
    Some(
        arns.iter()
            .map(|arn| AttachedPolicy {
                policy_name: validate::policy_arn(arn).ok().map(|(_, _, n)| n),
                policy_arn: Some(arn.clone()),
            })
            .collect(),
    )
}

fn items(iam: &Iam, acct: &Account, want: &dyn Fn(&str) -> bool) -> Vec<Item> {
    let mut out = Vec::new();
    if want("User") {
        out.extend(acct.users.values().map(|u| {
            Item::User(UserDetail {
                path: Some(u.path.clone()),
                user_name: Some(u.name.clone()),
                user_id: Some(u.id.clone()),
                arn: Some(u.arn()),
                create_date: Some(render::ts(u.created)),
                user_policy_list: inline(&u.inline),
                group_list: Some(u.groups.clone()),
                attached_managed_policies: attached(&u.attached),
                permissions_boundary: render::boundary(&u.boundary),
                tags: Some(render::tags(&u.tags)),
            })
        }));
    }
    if want("Group") {
        out.extend(acct.groups.values().map(|g| {
            Item::Group(GroupDetail {
                path: Some(g.path.clone()),
                group_name: Some(g.name.clone()),
                group_id: Some(g.id.clone()),
                arn: Some(g.arn()),
                create_date: Some(render::ts(g.created)),
                group_policy_list: inline(&g.inline),
                attached_managed_policies: attached(&g.attached),
            })
        }));
    }
    if want("Role") {
        out.extend(acct.roles.values().map(|r| {
            let used = iam.shared.usage(|u| u.role(&r.id).cloned());
            Item::Role(RoleDetail {
                path: Some(r.path.clone()),
                role_name: Some(r.name.clone()),
                role_id: Some(r.id.clone()),
                arn: Some(r.arn()),
                create_date: Some(render::ts(r.created)),
                assume_role_policy_document: Some(render::document(&r.trust)),
                instance_profile_list: Some(
                    acct.profiles_of(&r.name)
                        .map(|(_, p)| super::instance_profiles::wire(p, acct))
                        .collect(),
                ),
                role_policy_list: inline(&r.inline),
                attached_managed_policies: attached(&r.attached),
                permissions_boundary: render::boundary(&r.boundary),
                tags: Some(render::tags(&r.tags)),
                role_last_used: Some(match used {
                    Some(u) => RoleLastUsed {
                        last_used_date: Some(render::ts(u.at)),
                        region: Some(u.region),
                    },
                    None => RoleLastUsed::default(),
                }),
            })
        }));
    }
    if want("LocalManagedPolicy") {
        out.extend(acct.policies.values().map(|p| {
            let arn = p.arn();
            let (att, bnd) = usage(acct, &arn);
            Item::Policy(ManagedPolicyDetail {
                policy_name: Some(p.name.clone()),
                policy_id: Some(p.id.clone()),
                arn: Some(arn),
                path: Some(p.path.clone()),
                default_version_id: Some(p.default_version.clone()),
                attachment_count: Some(att),
                permissions_boundary_usage_count: Some(bnd),
                is_attachable: Some(true),
                description: p.description.clone(),
                create_date: Some(render::ts(p.created)),
                update_date: Some(render::ts(p.updated)),
                policy_version_list: Some(
                    p.versions
                        .iter()
                        .rev()
                        .map(|v| PolicyVersion {
                            document: Some(render::document(&v.document)),
                            version_id: Some(v.id.clone()),
                            is_default_version: Some(v.id == p.default_version),
                            create_date: Some(render::ts(v.created)),
                        })
                        .collect(),
                ),
            })
        }));
    }
    if want("AWSManagedPolicy") {
        let used: BTreeSet<&String> = acct
            .users
            .values()
            .flat_map(|u| u.attached.iter().chain(u.boundary.iter()))
            .chain(acct.groups.values().flat_map(|g| g.attached.iter()))
            .chain(
                acct.roles
                    .values()
                    .flat_map(|r| r.attached.iter().chain(r.boundary.iter())),
            )
            .collect();
        out.extend(used.into_iter().filter_map(|arn| {
            let p = managed::by_arn(arn)?;
            let (att, bnd) = usage(acct, arn);
            Some(Item::Policy(ManagedPolicyDetail {
                policy_name: Some(p.name.to_string()),
                policy_id: Some(p.id()),
                arn: Some(arn.clone()),
                path: Some(p.path.to_string()),
                default_version_id: Some(p.version.to_string()),
                attachment_count: Some(att),
                permissions_boundary_usage_count: Some(bnd),
                is_attachable: Some(true),
                description: None,
                create_date: Some(render::ts(p.created_ms())),
                update_date: Some(render::ts(p.updated_ms())),
                policy_version_list: Some(vec![PolicyVersion {
                    document: Some(render::document(p.document)),
                    version_id: Some(p.version.to_string()),
                    is_default_version: Some(true),
                    create_date: Some(render::ts(p.updated_ms())),
                }]),
            }))
        }));
    }
    out
}

pub(super) async fn get_account_authorization_details(
    iam: &Iam,
    ctx: &RequestContext,
    input: GetAccountAuthorizationDetailsRequest,
) -> Result<GetAccountAuthorizationDetailsResponse, AwsError> {
    let mut c = Checker::new();
    c.max_items(input.max_items).marker(input.marker.as_deref());
    for f in input.filter.iter().flatten() {
        c.one_of(
            "filter",
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
    c.done()?;
    let filter = input.filter.clone().filter(|f| !f.is_empty());
    let want = |k: &str| filter.as_ref().is_none_or(|f| f.iter().any(|x| x == k));
    // Roles' last use is read under the usage lock, never under the state's: take a copy.
    let acct = iam.read(ctx, |_, acct| acct.clone());
    let all = items(iam, &acct, &want);
    let (page, is_truncated, marker) =
        render::page_indexed(all, input.marker.as_deref(), input.max_items);
    let mut out = GetAccountAuthorizationDetailsResponse {
        user_detail_list: Some(Vec::new()),
        group_detail_list: Some(Vec::new()),
        role_detail_list: Some(Vec::new()),
        policies: Some(Vec::new()),
        is_truncated,
        marker,
    };
    for i in page {
        match i {
            Item::User(u) => out.user_detail_list.get_or_insert_with(Vec::new).push(u),
            Item::Group(g) => out.group_detail_list.get_or_insert_with(Vec::new).push(g),
            Item::Role(r) => out.role_detail_list.get_or_insert_with(Vec::new).push(r),
            Item::Policy(p) => out.policies.get_or_insert_with(Vec::new).push(p),
        }
    }
    Ok(out)
}
