//! `GetSessionToken`: temporary credentials for the caller itself — an IAM user or the
//! account root — with the caller's own permissions, typically to prove MFA
//! (<https://docs.aws.amazon.com/STS/latest/APIReference/API_GetSessionToken.html>).
//!
//! - It must be called with long-term credentials: "Cannot call GetSessionToken with
//!   session credentials" (`AccessDenied`).
//! - `DurationSeconds` is 900 to 129,600 (36 hours), default 43,200 (12 hours); a root
//!   session is cut to 3,600 seconds whatever was asked ("If the duration is longer than
//!   one hour, the session for AWS account owners defaults to one hour").
//! - MFA (`SerialNumber`/`TokenCode`): checked against the caller's device (`mfa`); the
//!   session records that MFA authenticated it.
//! - It needs no permission (decision 0007), so nothing here asks the authorizer.

use crate::credentials;
use crate::errors::StsError;
use crate::generated as g;
use crate::handlers::Core;
use crate::mfa;
use crate::session::{SessionKind, SessionView};
use crate::validate::Checker;
use nimbus_core::{PrincipalKind, RequestContext};

pub const MIN_DURATION: i32 = 900;
pub const MAX_DURATION: i32 = 129_600;
pub const DEFAULT_DURATION: i32 = 43_200;
/// The longest (and so the default) session of an account root.
pub const ROOT_MAX_DURATION: i32 = 3_600;

/// Whether the caller signed with temporary credentials: a role session, or any key STS
/// issued (a `GetSessionToken` session acts as its user or root, so only its key tells).
pub(crate) fn is_session(core: &Core, ctx: &RequestContext) -> bool {
    let p = &ctx.principal;
    p.kind == PrincipalKind::AssumedRole || core.sessions.contains(&p.access_key_id)
}

pub(crate) async fn get_session_token(
    core: &Core,
    ctx: &RequestContext,
    input: g::GetSessionTokenRequest,
) -> Result<g::GetSessionTokenResponse, StsError> {
    Checker::new()
        .duration(input.duration_seconds, MIN_DURATION, MAX_DURATION)
        .mfa(input.serial_number.as_deref(), input.token_code.as_deref())
        .finish()?;
    if is_session(core, ctx) {
        return Err(StsError::session_token_with_session());
    }
    let mfa_at = mfa::check(
        core,
        ctx,
        input.serial_number.as_deref(),
        input.token_code.as_deref(),
    )?;
    let p = ctx.principal.clone();
    let asked = input.duration_seconds.unwrap_or(DEFAULT_DURATION);
    let (kind, duration) = match p.kind {
        PrincipalKind::Root => (SessionKind::RootSession, asked.min(ROOT_MAX_DURATION)),
        _ => (
            SessionKind::UserSession {
                user_arn: p.arn.clone(),
                user_id: p.user_id.clone(),
            },
            asked,
        ),
    };
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
                kind,
                arn: p.arn.clone(),
                user_id: p.user_id.clone(),
                issued: now,
                expiration: credentials::expiration(now, duration),
                policy: None,
                policy_arns: Vec::new(),
                tags: Vec::new(),
                transitive_tag_keys: Vec::new(),
                source_identity: None,
                mfa_authenticated: mfa_at.is_some(),
                mfa_authenticated_at: mfa_at,
            },
            now,
        )
        .await?;
    Ok(g::GetSessionTokenResponse {
        credentials: Some(credentials::render(&session)),
    })
}
