//! `GetFederationToken`: temporary credentials for a federated user, issued to an IAM user
//! (or the account root) with long-term keys, typically for a proxy that signs in users
//! from elsewhere
//! (<https://docs.aws.amazon.com/STS/latest/APIReference/API_GetFederationToken.html>).
//!
//! - The caller must use long-term credentials: session credentials are refused
//!   ("Cannot call GetFederationToken with session credentials", `AccessDenied`).
//! - `Name` is 2 to 32 characters of `[\w+=,.@-]`; the session is
//!   `arn:aws:sts::ACCOUNT:federated-user/NAME`, its `FederatedUserId` `ACCOUNT:NAME`.
//! - `DurationSeconds` 900 to 129,600 (36 hours), default 43,200; an account root's
//!   session lasts at most 3,600 seconds.
//! - Permissions: the intersection of the caller's identity policies and the session
//!   policies passed (`Policy`, `PolicyArns`); "If you do not pass a policy to this
//!   operation, the resulting temporary credentials have no effective permissions" — the
//!   binary's authorizer applies that (`crates/nimbus/src/access.rs`), as it applies "You
//!   cannot use these credentials to call any IAM API operations" and "any STS API
//!   operations except GetCallerIdentity".
//! - Session tags (`Tags`) are kept on the session; none are transitive here.

use crate::credentials;
use crate::errors::StsError;
use crate::generated as g;
use crate::handlers::Core;
use crate::session::{SessionKind, SessionView};
use crate::session_token::is_session;
use crate::validate::{self, Checker};
use nimbus_core::{PrincipalKind, RequestContext};

pub const MIN_DURATION: i32 = 900;
pub const MAX_DURATION: i32 = 129_600;
pub const DEFAULT_DURATION: i32 = 43_200;
/// The longest session an account root gets.
pub const ROOT_MAX_DURATION: i32 = 3_600;

pub(crate) async fn get_federation_token(
    core: &Core,
    ctx: &RequestContext,
    input: g::GetFederationTokenRequest,
) -> Result<g::GetFederationTokenResponse, StsError> {
    let policy_arns = input.policy_arns.unwrap_or_default();
    let passed_tags = input.tags.unwrap_or_default();
    Checker::new()
        .federated_name(&input.name)
        .duration(input.duration_seconds, MIN_DURATION, MAX_DURATION)
        .opt_policy(input.policy.as_deref())
        .policy_arns(&policy_arns)
        .tags(&passed_tags)
        .finish()?;
    if is_session(core, ctx) {
        return Err(StsError::AccessDenied(
            "Cannot call GetFederationToken with session credentials".into(),
        ));
    }
    let tags = validate::session_tags(&[], &passed_tags, &[])?;
    if let Some(doc) = &input.policy {
        validate::session_policy(doc)?;
    }
    let policy_arns: Vec<String> = policy_arns.into_iter().filter_map(|p| p.arn).collect();
    let packed = validate::packed_size(input.policy.as_deref(), &policy_arns, &tags)?;
    let narrowed = input.policy.is_some() || !policy_arns.is_empty() || !tags.is_empty();

    let p = ctx.principal.clone();
    let asked = input.duration_seconds.unwrap_or(DEFAULT_DURATION);
    let duration = match p.kind {
        PrincipalKind::Root => asked.min(ROOT_MAX_DURATION),
        _ => asked,
    };
    let name = input.name;
    let arn = format!("arn:aws:sts::{}:federated-user/{name}", p.account_id);
    let user_id = format!("{}:{name}", p.account_id);
    let ids = &core.ids;
    let now = ctx.now;
    let session = core
        .sessions
        .issue(
            || credentials::access_key_id(ids),
            |access_key_id| SessionView {
                access_key_id,
                secret: credentials::secret(ids),
                session_token: credentials::session_token(ids),
                account: p.account_id.clone(),
                kind: SessionKind::FederatedUser {
                    federator_arn: p.arn.clone(),
                    federator_id: p.user_id.clone(),
                    name: name.clone(),
                },
                arn: arn.clone(),
                user_id: user_id.clone(),
                issued: now,
                expiration: credentials::expiration(now, duration),
                policy: input.policy,
                policy_arns,
                tags,
                transitive_tag_keys: Vec::new(),
                source_identity: None,
                mfa_authenticated: false,
                mfa_authenticated_at: None,
            },
            now,
        )
        .await?;
    Ok(g::GetFederationTokenResponse {
        credentials: Some(credentials::render(&session)),
        federated_user: Some(g::FederatedUser {
            federated_user_id: user_id,
            arn,
        }),
        packed_policy_size: narrowed.then_some(packed),
    })
}
