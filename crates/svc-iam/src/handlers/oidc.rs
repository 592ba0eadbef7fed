//! OpenID Connect identity providers (`CreateOpenIDConnectProvider`,
//! `GetOpenIDConnectProvider`, `ListOpenIDConnectProviders`, `DeleteOpenIDConnectProvider`,
//! `AddClientIDToOpenIDConnectProvider`, `RemoveClientIDFromOpenIDConnectProvider`,
//! `UpdateOpenIDConnectProviderThumbprint`), as IAM keeps them
//! (<https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateOpenIDConnectProvider.html>):
//! - the URL must begin with `https://`; the provider is
//!   `arn:aws:iam::ACCOUNT:oidc-provider/HOST/PATH` (the URL without its scheme), one per
//!   URL per account (`EntityAlreadyExists`), at most 100 per account;
//! - at most 100 client ids (audiences), each 1 to 255 characters, added idempotently;
//! - at most five thumbprints, each 40 hex characters (the SHA-1 of the provider's
//!   certificate); AWS fetches one when none is given, Nimbus (no egress) keeps none;
//! - tags (at creation, `TagOpenIDConnectProvider`, `UntagOpenIDConnectProvider`,
//!   `ListOpenIDConnectProviderTags`) follow the rules of users' tags.
//!
//! STS's `AssumeRoleWithWebIdentity` reads providers through `Directory::oidc_provider` and
//! asks `Directory::role_trusts_web_identity` for the role's trust decision.

use crate::errors;
use crate::generated::*;
use crate::model::OidcRec;
use crate::persist::{Change, Op};
use crate::render;
use crate::state::{Account, Iam};
use crate::validate::{self, Checker};
use nimbus_core::{AwsError, RequestContext};

pub const MAX_PROVIDERS: usize = 100;
pub const MAX_CLIENT_IDS: usize = 100;
pub const MAX_THUMBPRINTS: usize = 5;
const TAG_QUOTA: &str = "TagsPerOpenIdConnectProvider";

fn check_thumbprints(list: &[String]) -> Result<(), AwsError> {
    if list.len() > MAX_THUMBPRINTS {
        return Err(errors::limit(format!(
            "Thumbprint list must contain fewer than {} entries.",
            MAX_THUMBPRINTS + 1
        )));
    }
    for t in list {
        if t.len() != 40 || !t.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(errors::invalid_input(format!(
                "Thumbprint {t} must be 40 hexadecimal characters."
            )));
        }
    }
    Ok(())
}

fn check_client_id(id: &str) -> Result<(), AwsError> {
    if id.is_empty() || id.chars().count() > 255 {
        return Err(errors::validation(&[format!(
            "Value '{id}' at 'clientID' failed to satisfy constraint: Member must have length \
             between 1 and 255"
        )]));
    }
    Ok(())
}

/// The provider `arn` names in `acct`.
fn provider<'a>(acct: &'a Account, account: &str, arn: &str) -> Result<&'a OidcRec, AwsError> {
    let prefix = format!("arn:aws:iam::{account}:oidc-provider/");
    let Some(url) = arn.strip_prefix(&prefix) else {
        return Err(errors::invalid_input(format!("ARN {arn} is not valid.")));
    };
    acct.oidc.get(url).ok_or_else(|| {
        errors::no_such_entity(format!("OpenIDConnect Provider not found for arn {arn}"))
    })
}

pub(super) async fn create_open_id_connect_provider(
    iam: &Iam,
    ctx: &RequestContext,
    input: CreateOpenIDConnectProviderRequest,
) -> Result<CreateOpenIDConnectProviderResponse, AwsError> {
    let Some(url) = input.url.strip_prefix("https://").map(str::to_string) else {
        return Err(errors::invalid_input(
            "Invalid URL: the OpenID Connect provider URL must begin with https://",
        ));
    };
    let url = url.trim_end_matches('/').to_string();
    if url.is_empty() {
        return Err(errors::invalid_input("Invalid URL: no host"));
    }
    let client_ids = input.client_id_list.unwrap_or_default();
    if client_ids.len() > MAX_CLIENT_IDS {
        return Err(errors::quota(
            "ClientIDsPerOpenIdConnectProvider",
            MAX_CLIENT_IDS,
        ));
    }
    for c in &client_ids {
        check_client_id(c)?;
    }
    let thumbprints: Vec<String> = input
        .thumbprint_list
        .unwrap_or_default()
        .into_iter()
        .map(|t| t.to_ascii_lowercase())
        .collect();
    check_thumbprints(&thumbprints)?;
    let tags = validate::new_tags(input.tags, TAG_QUOTA)?;
    let account = ctx.account_id().to_string();
    let now = iam.now_ms(ctx);
    iam.mutate(ctx, |_, acct| {
        if acct.oidc.contains_key(&url) {
            return Err(errors::already_exists_message(format!(
                "Provider with url https://{url} already exists."
            )));
        }
        if acct.oidc.len() >= MAX_PROVIDERS {
            return Err(errors::quota(
                "OpenIdConnectProvidersPerAccount",
                MAX_PROVIDERS,
            ));
        }
        let mut ids: Vec<String> = Vec::new();
        for c in client_ids {
            if !ids.contains(&c) {
                ids.push(c);
            }
        }
        let rec = OidcRec {
            account: account.clone(),
            url: url.clone(),
            client_ids: ids,
            thumbprints,
            created: now,
            tags,
        };
        let out = CreateOpenIDConnectProviderResponse {
            open_id_connect_provider_arn: Some(rec.arn()),
            tags: render::opt_tags(&rec.tags),
        };
        Ok((Change::one(Op::PutOidc(rec)), out))
    })
    .await
}

pub(super) async fn get_open_id_connect_provider(
    iam: &Iam,
    ctx: &RequestContext,
    input: GetOpenIDConnectProviderRequest,
) -> Result<GetOpenIDConnectProviderResponse, AwsError> {
    let account = ctx.account_id().to_string();
    iam.read(ctx, |_, acct| {
        let p = provider(acct, &account, &input.open_id_connect_provider_arn)?;
        Ok(GetOpenIDConnectProviderResponse {
            url: Some(p.url.clone()),
            client_id_list: Some(p.client_ids.clone()),
            thumbprint_list: Some(p.thumbprints.clone()),
            create_date: Some(render::ts(p.created)),
            tags: Some(render::tags(&p.tags)),
        })
    })
}

pub(super) async fn list_open_id_connect_providers(
    iam: &Iam,
    ctx: &RequestContext,
) -> Result<ListOpenIDConnectProvidersResponse, AwsError> {
    iam.read(ctx, |_, acct| {
        Ok(ListOpenIDConnectProvidersResponse {
            open_id_connect_provider_list: Some(
                acct.oidc
                    .values()
                    .map(|p| OpenIDConnectProviderListEntry { arn: Some(p.arn()) })
                    .collect(),
            ),
        })
    })
}

/// Applies `change` to the provider `arn` names.
async fn update(
    iam: &Iam,
    ctx: &RequestContext,
    arn: &str,
    change: impl FnOnce(&mut OidcRec) -> Result<(), AwsError>,
) -> Result<(), AwsError> {
    let account = ctx.account_id().to_string();
    iam.mutate(ctx, |_, acct| {
        let mut p = provider(acct, &account, arn)?.clone();
        change(&mut p)?;
        Ok((Change::one(Op::PutOidc(p)), ()))
    })
    .await
}

pub(super) async fn delete_open_id_connect_provider(
    iam: &Iam,
    ctx: &RequestContext,
    input: DeleteOpenIDConnectProviderRequest,
) -> Result<(), AwsError> {
    let account = ctx.account_id().to_string();
    iam.mutate(ctx, |_, acct| {
        let p = provider(acct, &account, &input.open_id_connect_provider_arn)?;
        Ok((
            Change::one(Op::DeleteOidc(account.clone(), p.url.clone())),
            (),
        ))
    })
    .await
}

pub(super) async fn add_client_id(
    iam: &Iam,
    ctx: &RequestContext,
    input: AddClientIDToOpenIDConnectProviderRequest,
) -> Result<(), AwsError> {
    check_client_id(&input.client_id)?;
    let id = input.client_id;
    update(iam, ctx, &input.open_id_connect_provider_arn, |p| {
        if !p.client_ids.contains(&id) {
            if p.client_ids.len() >= MAX_CLIENT_IDS {
                return Err(errors::quota(
                    "ClientIDsPerOpenIdConnectProvider",
                    MAX_CLIENT_IDS,
                ));
            }
            p.client_ids.push(id);
        }
        Ok(())
    })
    .await
}

pub(super) async fn remove_client_id(
    iam: &Iam,
    ctx: &RequestContext,
    input: RemoveClientIDFromOpenIDConnectProviderRequest,
) -> Result<(), AwsError> {
    check_client_id(&input.client_id)?;
    let id = input.client_id;
    update(iam, ctx, &input.open_id_connect_provider_arn, |p| {
        p.client_ids.retain(|c| *c != id);
        Ok(())
    })
    .await
}

pub(super) async fn update_thumbprint(
    iam: &Iam,
    ctx: &RequestContext,
    input: UpdateOpenIDConnectProviderThumbprintRequest,
) -> Result<(), AwsError> {
    let list: Vec<String> = input
        .thumbprint_list
        .into_iter()
        .map(|t| t.to_ascii_lowercase())
        .collect();
    check_thumbprints(&list)?;
    update(iam, ctx, &input.open_id_connect_provider_arn, |p| {
        p.thumbprints = list;
        Ok(())
    })
    .await
}

pub(super) async fn tag_provider(
    iam: &Iam,
    ctx: &RequestContext,
    input: TagOpenIDConnectProviderRequest,
) -> Result<(), AwsError> {
    let add = validate::new_tags(Some(input.tags), TAG_QUOTA)?;
    update(iam, ctx, &input.open_id_connect_provider_arn, |p| {
        p.tags = validate::merge_tags(&p.tags, add, TAG_QUOTA)?;
        Ok(())
    })
    .await
}

pub(super) async fn untag_provider(
    iam: &Iam,
    ctx: &RequestContext,
    input: UntagOpenIDConnectProviderRequest,
) -> Result<(), AwsError> {
    Checker::new().tag_keys(&input.tag_keys).done()?;
    let keys = input.tag_keys;
    update(iam, ctx, &input.open_id_connect_provider_arn, |p| {
        p.tags
            .retain(|t| !keys.iter().any(|k| k.eq_ignore_ascii_case(&t.key)));
        Ok(())
    })
    .await
}

pub(super) async fn list_provider_tags(
    iam: &Iam,
    ctx: &RequestContext,
    input: ListOpenIDConnectProviderTagsRequest,
) -> Result<ListOpenIDConnectProviderTagsResponse, AwsError> {
    let account = ctx.account_id().to_string();
    iam.read(ctx, |_, acct| {
        let p = provider(acct, &account, &input.open_id_connect_provider_arn)?;
        let (tags, is_truncated, marker) = render::page_indexed(
            render::tags(&p.tags),
            input.marker.as_deref(),
            input.max_items,
        );
        Ok(ListOpenIDConnectProviderTagsResponse {
            tags,
            is_truncated,
            marker,
        })
    })
}
