//! The account as a whole: `GetAccountSummary` (every count and quota of AWS's
//! `SummaryMap`, counted from real state; the quotas are the ones this crate enforces,
//! which are AWS's defaults) and the account alias (`CreateAccountAlias`,
//! `DeleteAccountAlias`, `ListAccountAliases`: at most one per account, unique across the
//! accounts Nimbus holds, as aliases are unique across AWS).

use super::{
    access_keys, common, groups, instance_profiles, policies, roles, server_certs, signing_certs,
    users,
};
use crate::errors;
use crate::generated::*;
use crate::model::AliasRec;
use crate::persist::{Change, Op};
use crate::state::{Account, Iam, State};
use crate::validate::Checker;
use nimbus_core::{AwsError, RequestContext};
use nimbus_iam_policy::limits;
use std::collections::BTreeSet;

/// "Aliases per AWS account: 1".
const MAX_ALIASES: usize = 1;

fn n(v: usize) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

/// The summary map of `acct` (account id `account`), in the model's key order.
fn summary(st: &State, acct: &Account, account: &str) -> Vec<(String, i32)> {
    let root_keys = st.keys_of(account, None).len();
    let assigned = acct.mfa.values().filter(|m| m.user.is_some()).count();
    // Versions in use: every stored version of the account's customer managed policies,
    // plus the default version of each AWS managed policy the account attaches.
    let aws_attached: BTreeSet<&String> = acct
        .users
        .values()
        .flat_map(|u| u.attached.iter().chain(u.boundary.iter()))
        .chain(acct.groups.values().flat_map(|g| g.attached.iter()))
        .chain(
            acct.roles
                .values()
                .flat_map(|r| r.attached.iter().chain(r.boundary.iter())),
        )
        .filter(|a| a.starts_with("arn:aws:iam::aws:policy/"))
        .collect();
    let versions: usize = acct
        .policies
        .values()
        .map(|p| p.versions.len())
        .sum::<usize>()
        + aws_attached.len();
    let entries: [(&str, usize); 34] = [
        ("Users", acct.users.len()),
        ("UsersQuota", users::MAX_USERS),
        ("Groups", acct.groups.len()),
        ("GroupsQuota", groups::MAX_GROUPS),
        ("ServerCertificates", acct.server_certs.len()),
        ("ServerCertificatesQuota", server_certs::MAX_SERVER_CERTS),
        (
            "UserPolicySizeQuota",
            limits::USER_INLINE_POLICIES_MAX_CHARS,
        ),
        (
            "GroupPolicySizeQuota",
            limits::GROUP_INLINE_POLICIES_MAX_CHARS,
        ),
        ("GroupsPerUserQuota", groups::MAX_GROUPS_PER_USER),
        (
            "SigningCertificatesPerUserQuota",
            signing_certs::MAX_SIGNING_CERTS,
        ),
        ("AccessKeysPerUserQuota", access_keys::MAX_KEYS),
        ("MFADevices", acct.mfa.len()),
        ("MFADevicesInUse", assigned),
        // Nimbus has no root MFA or root console password.
        ("AccountMFAEnabled", 0),
        ("AccountAccessKeysPresent", usize::from(root_keys > 0)),
        ("AccountPasswordPresent", 0),
        (
            "AccountSigningCertificatesPresent",
            usize::from(!acct.signing_certs_of(None).is_empty()),
        ),
        ("AttachedPoliciesPerGroupQuota", common::MAX_ATTACHED),
        ("AttachedPoliciesPerRoleQuota", common::MAX_ATTACHED),
        ("AttachedPoliciesPerUserQuota", common::MAX_ATTACHED),
        ("Policies", acct.policies.len()),
        ("PoliciesQuota", policies::MAX_POLICIES),
        ("PolicySizeQuota", limits::MANAGED_POLICY_MAX_CHARS),
        ("PolicyVersionsInUse", versions),
        ("PolicyVersionsInUseQuota", 10_000),
        ("VersionsPerPolicyQuota", policies::MAX_VERSIONS),
        ("GlobalEndpointTokenVersion", 1),
        (
            "AssumeRolePolicySizeQuota",
            limits::ROLE_TRUST_POLICY_MAX_CHARS,
        ),
        ("InstanceProfiles", acct.profiles.len()),
        ("InstanceProfilesQuota", instance_profiles::MAX_PROFILES),
        ("Providers", acct.oidc.len()),
        (
            "RolePolicySizeQuota",
            limits::ROLE_INLINE_POLICIES_MAX_CHARS,
        ),
        ("Roles", acct.roles.len()),
        ("RolesQuota", roles::MAX_ROLES),
    ];
    entries
        .iter()
        .map(|(k, v)| (k.to_string(), n(*v)))
        .collect()
}

pub(super) async fn get_account_summary(
    iam: &Iam,
    ctx: &RequestContext,
) -> Result<GetAccountSummaryResponse, AwsError> {
    let account = ctx.account_id().to_string();
    Ok(GetAccountSummaryResponse {
        summary_map: Some(iam.read(ctx, |st, acct| summary(st, acct, &account))),
    })
}

/// `^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$`: 3 to 63 lower-case letters, digits and
/// single hyphens, neither first nor last.
fn check_alias(alias: &str) -> Result<(), AwsError> {
    let b = alias.as_bytes();
    let ok = (3..=63).contains(&b.len())
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
        && !alias.contains("--");
    if ok {
        return Ok(());
    }
    Err(errors::validation(&[format!(
        "Value '{alias}' at 'accountAlias' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-z0-9]([a-z0-9]|-(?!-)){{1,61}}[a-z0-9]$"
    )]))
}

pub(super) async fn create_account_alias(
    iam: &Iam,
    ctx: &RequestContext,
    input: CreateAccountAliasRequest,
) -> Result<(), AwsError> {
    check_alias(&input.account_alias)?;
    let account = ctx.account_id().to_string();
    iam.mutate(ctx, |st, acct| {
        if acct.alias.as_deref() == Some(input.account_alias.as_str()) {
            return Ok((Change::default(), ()));
        }
        let taken = st.accounts.iter().any(|(id, a)| {
            *id != account && a.alias.as_deref() == Some(input.account_alias.as_str())
        });
        if taken {
            return Err(errors::already_exists_message(format!(
                "The account alias {} already exists.",
                input.account_alias
            )));
        }
        if acct.alias.is_some() {
            return Err(errors::quota("AccountAliasesPerAccount", MAX_ALIASES));
        }
        let rec = AliasRec {
            account: account.clone(),
            alias: input.account_alias,
        };
        Ok((Change::one(Op::PutAlias(rec)), ()))
    })
    .await
}

pub(super) async fn delete_account_alias(
    iam: &Iam,
    ctx: &RequestContext,
    input: DeleteAccountAliasRequest,
) -> Result<(), AwsError> {
    check_alias(&input.account_alias)?;
    let account = ctx.account_id().to_string();
    iam.mutate(ctx, |_, acct| {
        if acct.alias.as_deref() != Some(input.account_alias.as_str()) {
            return Err(errors::no_such_entity(format!(
                "The account alias {} cannot be found.",
                input.account_alias
            )));
        }
        Ok((Change::one(Op::DeleteAlias(account)), ()))
    })
    .await
}

pub(super) async fn list_account_aliases(
    iam: &Iam,
    ctx: &RequestContext,
    input: ListAccountAliasesRequest,
) -> Result<ListAccountAliasesResponse, AwsError> {
    Checker::new()
        .max_items(input.max_items)
        .marker(input.marker.as_deref())
        .done()?;
    let aliases = iam.read(ctx, |_, acct| acct.alias.iter().cloned().collect());
    Ok(ListAccountAliasesResponse {
        account_aliases: aliases,
        is_truncated: Some(false),
        marker: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_follow_the_model_pattern() {
        for ok in ["abc", "my-team-1", "a1b", &"a".repeat(63)] {
            assert!(check_alias(ok).is_ok(), "{ok}");
        }
        for bad in ["ab", "-abc", "abc-", "a--b", "ABC", "a_b", &"a".repeat(64)] {
            assert!(check_alias(bad).is_err(), "{bad}");
        }
    }
}
