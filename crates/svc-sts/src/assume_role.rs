//! `AssumeRole`: temporary credentials for a role session
//! (<https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html>).
//!
//! Whether the caller may assume the role is decided before this runs: the binary's
//! authorizer evaluates `sts:AssumeRole` with the role's trust policy as the resource
//! policy (decision 0007). What is left here, in AWS's order of checks:
//! 1. the model's constraints (one `ValidationError` naming all failures);
//! 2. the account root may not assume roles ("Roles may not be assumed by root accounts."),
//!    unless the binary's permissive mode says so (`RoleDirectory::root_may_assume`);
//! 3. MFA: a serial number and code must be the caller's device and its current code
//!    (`mfa`); a session assumed from an MFA-authenticated session stays MFA-authenticated
//!    (from the original check's time), as role chaining from `GetSessionToken`
//!    credentials obtained with MFA relies on;
//! 4. the role must exist; if not, the same `AccessDenied` a trust policy refusal gives,
//!    so a caller learns nothing about which roles exist;
//! 5. `DurationSeconds` (default 3,600): at most one hour when a role session assumes a
//!    role (role chaining), and at most the role's `MaxSessionDuration`;
//! 6. session tags: the caller's transitive tags are inherited and cannot be overridden
//!    (<https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html#id_session-tags_role-chaining>);
//! 7. the inline session policy's grammar, then the packed size of policies and tags;
//! 8. a source identity, once set in a role chain, cannot change
//!    (<https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_monitor.html>).
//!
//! `ExternalId` is validated and otherwise only matters to the trust policy
//! (`sts:ExternalId`), which the authorizer has already checked.

use crate::credentials;
use crate::errors::StsError;
use crate::generated as g;
use crate::handlers::Core;
use crate::mfa;
use crate::session::{SessionKind, SessionTag, SessionView};
use crate::validate::{self, Checker};
use nimbus_core::{PrincipalKind, RequestContext};

pub const MIN_DURATION: i32 = 900;
/// The model's upper bound; a role's `MaxSessionDuration` is the real one.
pub const MAX_DURATION: i32 = 43_200;
pub const DEFAULT_DURATION: i32 = 3_600;
/// The longest session role chaining may ask for.
pub const CHAINING_MAX_DURATION: i32 = 3_600;

pub(crate) async fn assume_role(
    core: &Core,
    ctx: &RequestContext,
    input: g::AssumeRoleRequest,
) -> Result<g::AssumeRoleResponse, StsError> {
    let policy_arns = input.policy_arns.unwrap_or_default();
    let passed_tags = input.tags.unwrap_or_default();
    let transitive = input.transitive_tag_keys.unwrap_or_default();
    Checker::new()
        .role_arn(&input.role_arn)
        .session_name("roleSessionName", &input.role_session_name)
        .duration(input.duration_seconds, MIN_DURATION, MAX_DURATION)
        .opt_policy(input.policy.as_deref())
        .policy_arns(&policy_arns)
        .tags(&passed_tags)
        .transitive_tag_keys(&transitive)
        .opt_external_id(input.external_id.as_deref())
        .mfa(input.serial_number.as_deref(), input.token_code.as_deref())
        .opt_source_identity(input.source_identity.as_deref())
        .finish()?;

    let caller = &ctx.principal;
    if caller.kind == PrincipalKind::Root && !core.roles.root_may_assume() {
        return Err(StsError::root_cannot_assume());
    }
    let mfa_now = mfa::check(
        core,
        ctx,
        input.serial_number.as_deref(),
        input.token_code.as_deref(),
    )?;
    let role = core
        .roles
        .role(&input.role_arn)
        .ok_or_else(|| StsError::not_authorized_to_assume(&caller.arn, &input.role_arn))?;

    let duration = input.duration_seconds.unwrap_or(DEFAULT_DURATION);
    let chaining = caller.kind == PrincipalKind::AssumedRole;
    if chaining && duration > CHAINING_MAX_DURATION {
        return Err(StsError::exceeds_chaining_limit());
    }
    if duration > role.max_session_duration {
        return Err(StsError::exceeds_max_session());
    }

    // What the calling session hands down: MFA from any session, tags and source
    // identity only from a role session.
    let caller_session = core.sessions.lookup_at(&caller.access_key_id, ctx.now);
    let inherited_mfa = caller_session
        .as_deref()
        .filter(|s| s.mfa_authenticated)
        .map(|s| s.mfa_authenticated_at.unwrap_or(s.issued));
    let mfa_at = mfa_now.or(inherited_mfa);
    let calling = caller_session.filter(|s| s.is_role_session());
    let inherited: Vec<SessionTag> = calling
        .as_deref()
        .map(|s| s.transitive_tags().cloned().collect())
        .unwrap_or_default();
    let tags = validate::session_tags(&inherited, &passed_tags, &transitive)?;
    let mut transitive_tag_keys: Vec<String> = inherited.iter().map(|t| t.key.clone()).collect();
    transitive_tag_keys.extend(transitive);

    if let Some(doc) = &input.policy {
        validate::session_policy(doc)?;
    }
    let policy_arns: Vec<String> = policy_arns.into_iter().filter_map(|p| p.arn).collect();
    let packed = validate::packed_size(input.policy.as_deref(), &policy_arns, &tags)?;
    let narrowed = input.policy.is_some() || !policy_arns.is_empty() || !tags.is_empty();

    let inherited_identity = calling.as_deref().and_then(|s| s.source_identity.clone());
    let source_identity = match (inherited_identity, input.source_identity) {
        (Some(had), Some(asked)) if had != asked => {
            return Err(StsError::AccessDenied(format!(
                "The source identity {had} of the calling session cannot be changed to {asked}."
            )));
        }
        (had, asked) => had.or(asked),
    };

    let session_name = input.role_session_name;
    let arn = format!(
        "arn:aws:sts::{}:assumed-role/{}/{session_name}",
        role.account, role.name
    );
    let user_id = format!("{}:{session_name}", role.role_id);
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
                account: role.account.clone(),
                kind: SessionKind::AssumedRole {
                    role_arn: input.role_arn.clone(),
                    role_name: role.name.clone(),
                    role_id: role.role_id.clone(),
                    session_name,
                },
                arn: arn.clone(),
                user_id: user_id.clone(),
                issued: now,
                expiration: credentials::expiration(now, duration),
                policy: input.policy,
                policy_arns,
                tags,
                transitive_tag_keys,
                source_identity: source_identity.clone(),
                mfa_authenticated: mfa_at.is_some(),
                mfa_authenticated_at: mfa_at,
            },
            now,
        )
        .await?;
    Ok(g::AssumeRoleResponse {
        credentials: Some(credentials::render(&session)),
        assumed_role_user: Some(g::AssumedRoleUser {
            assumed_role_id: user_id,
            arn,
        }),
        packed_policy_size: narrowed.then_some(packed),
        source_identity,
    })
}
