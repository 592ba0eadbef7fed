//! Access keys: `CreateAccessKey` (at most two per user, the secret returned only here),
//! `ListAccessKeys`, `UpdateAccessKey` (Active/Inactive), `DeleteAccessKey`,
//! `GetAccessKeyLastUsed`. Without `UserName` a call acts on the caller: an IAM user's own
//! keys, or the account root's (<https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateAccessKey.html>).
//! Key ids are `AKIA` + 16 characters, secrets 40 characters. Using keys to sign requests
//! is the gateway's business, through [`crate::Directory`].

use super::common::target_user;
use crate::errors;
use crate::generated::*;
use crate::model::KeyRec;
use crate::persist::{Change, Op};
use crate::render;
use crate::state::{Account, Iam, State};
use crate::validate::Checker;
use nimbus_core::{AwsError, RequestContext};

/// "Access keys assigned to an IAM user: 2" (the root user has the same limit).
pub(super) const MAX_KEYS: usize = 2;

/// The target user's name as stored (`None`: the root), after checking it exists.
fn owner(acct: &Account, user: &Option<String>) -> Result<Option<String>, AwsError> {
    match user {
        Some(n) => Ok(Some(acct.user(n)?.name.clone())),
        None => Ok(None),
    }
}

/// The key `id` if it belongs to `user` of `account`.
fn key_of<'a>(
    st: &'a State,
    account: &str,
    user: &Option<String>,
    id: &str,
) -> Result<&'a KeyRec, AwsError> {
    st.keys
        .get(id)
        .filter(|k| {
            k.account == account
                && match (&k.user, user) {
                    (None, None) => true,
                    (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
                    _ => false,
                }
        })
        .ok_or_else(|| errors::no_such_key(id))
}

/// The model's `accessKeyIdType`: 16 to 128 characters of `[\w]+`.
fn check_key_id(id: &str) -> Result<(), AwsError> {
    let field = "accessKeyId";
    let detail = if id.len() < 16 {
        "Member must have length greater than or equal to 16"
    } else if id.len() > 128 {
        "Member must have length less than or equal to 128"
    } else if !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        "Member must satisfy regular expression pattern: [\\w]+"
    } else {
        return Ok(());
    };
    Err(errors::validation(&[format!(
        "Value '{id}' at '{field}' failed to satisfy constraint: {detail}"
    )]))
}

pub(super) async fn create_access_key(
    iam: &Iam,
    ctx: &RequestContext,
    input: CreateAccessKeyRequest,
) -> Result<CreateAccessKeyResponse, AwsError> {
    let user = target_user(ctx, input.user_name)?;
    let now = iam.now_ms(ctx);
    let account = ctx.account_id().to_string();
    iam.mutate(ctx, |st, acct| {
        let user = owner(acct, &user)?;
        if st.keys_of(&account, user.as_deref()).len() >= MAX_KEYS {
            return Err(errors::quota("AccessKeysPerUser", MAX_KEYS));
        }
        let key = KeyRec {
            account: account.clone(),
            user: user.clone(),
            id: format!("AKIA{}", iam.ids.upper_alnum(16)),
            secret: iam.ids.secret(40),
            active: true,
            created: now,
            last_used: None,
        };
        let out = CreateAccessKeyResponse {
            access_key: AccessKey {
                user_name: user.unwrap_or_default(),
                access_key_id: key.id.clone(),
                status: "Active".into(),
                secret_access_key: key.secret.clone(),
                create_date: Some(render::ts(now)),
            },
        };
        Ok((Change::one(Op::PutKey(key)), out))
    })
    .await
}

fn status(k: &KeyRec) -> String {
    if k.active { "Active" } else { "Inactive" }.to_string()
}

pub(super) async fn list_access_keys(
    iam: &Iam,
    ctx: &RequestContext,
    input: ListAccessKeysRequest,
) -> Result<ListAccessKeysResponse, AwsError> {
    Checker::new().max_items(input.max_items).done()?;
    let user = target_user(ctx, input.user_name)?;
    let keys = iam.read(ctx, |st, acct| {
        let user = owner(acct, &user)?;
        Ok::<_, AwsError>(
            st.keys_of(ctx.account_id(), user.as_deref())
                .into_iter()
                .map(|k| AccessKeyMetadata {
                    user_name: k.user.clone(),
                    access_key_id: Some(k.id.clone()),
                    status: Some(status(k)),
                    create_date: Some(render::ts(k.created)),
                })
                .collect(),
        )
    })?;
    let (access_key_metadata, is_truncated, marker) =
        render::page_indexed(keys, input.marker.as_deref(), input.max_items);
    Ok(ListAccessKeysResponse {
        access_key_metadata,
        is_truncated,
        marker,
    })
}

pub(super) async fn update_access_key(
    iam: &Iam,
    ctx: &RequestContext,
    input: UpdateAccessKeyRequest,
) -> Result<(), AwsError> {
    check_key_id(&input.access_key_id)?;
    Checker::new()
        .one_of("status", &input.status, &["Active", "Inactive", "Expired"])
        .done()?;
    if input.status == "Expired" {
        return Err(errors::invalid_input(
            "Access keys can only be set to Active or Inactive.",
        ));
    }
    let user = target_user(ctx, input.user_name)?;
    iam.mutate(ctx, |st, acct| {
        let user = owner(acct, &user)?;
        let mut k = key_of(st, ctx.account_id(), &user, &input.access_key_id)?.clone();
        k.active = input.status == "Active";
        Ok((Change::one(Op::PutKey(k)), ()))
    })
    .await
}

pub(super) async fn delete_access_key(
    iam: &Iam,
    ctx: &RequestContext,
    input: DeleteAccessKeyRequest,
) -> Result<(), AwsError> {
    check_key_id(&input.access_key_id)?;
    let user = target_user(ctx, input.user_name)?;
    iam.mutate(ctx, |st, acct| {
        let user = owner(acct, &user)?;
        let k = key_of(st, ctx.account_id(), &user, &input.access_key_id)?;
        Ok((Change::one(Op::DeleteKey(k.id.clone())), ()))
    })
    .await
}

pub(super) async fn get_access_key_last_used(
    iam: &Iam,
    ctx: &RequestContext,
    input: GetAccessKeyLastUsedRequest,
) -> Result<GetAccessKeyLastUsedResponse, AwsError> {
    check_key_id(&input.access_key_id)?;
    let user = iam.read(ctx, |st, _| {
        st.keys
            .get(&input.access_key_id)
            .filter(|k| k.account == ctx.account_id())
            .map(|k| k.user.clone())
            .ok_or_else(|| errors::no_such_key(&input.access_key_id))
    })?;
    // A key never used reports "N/A" for service and region and no date.
    let last = match iam.shared.usage(|u| u.key(&input.access_key_id).cloned()) {
        Some(l) => AccessKeyLastUsed {
            last_used_date: Some(render::ts(l.at)),
            service_name: l.service,
            region: l.region,
        },
        None => AccessKeyLastUsed {
            last_used_date: None,
            service_name: "N/A".into(),
            region: "N/A".into(),
        },
    };
    Ok(GetAccessKeyLastUsedResponse {
        user_name: user,
        access_key_last_used: Some(last),
    })
}
