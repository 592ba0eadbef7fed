//! `AssumeRoleWithWebIdentity`: role credentials for the bearer of an OpenID Connect ID
//! token (<https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html>).
//! The call is unsigned on AWS (the gateway lets it through strict mode as an anonymous
//! caller, from the model's `authtype: none`): the token is the credential, so every check
//! is here, in this order:
//! 1. the model's constraints (one `ValidationError` naming all failures); `ProviderId`
//!    names an OAuth 2.0 provider (Login with Amazon, Facebook) Nimbus cannot reach, so it
//!    is refused with `InvalidParameterValue`;
//! 2. the token: a compact JWS signed `RS256` or `ES256` with `iss`, `sub`, `aud`, `exp`
//!    (`jwt`), else `InvalidIdentityToken`;
//! 3. the role's account must hold an OpenID Connect provider for the token's `iss`, and
//!    one of the token's audiences must be among the provider's client ids
//!    (`InvalidIdentityToken`);
//! 4. the signature, with the key set the issuer publishes (`oidc_keys`: loopback issuers
//!    only; `IDPCommunicationError` when it cannot be fetched, `InvalidIdentityToken` when
//!    no key fits or the signature is wrong);
//! 5. `exp` (and `nbf`) against the Nimbus clock: `ExpiredTokenException`;
//! 6. the role's trust policy must allow `sts:AssumeRoleWithWebIdentity` to the `Federated`
//!    provider ARN, with the token's claims as condition keys (`URL:aud`, `URL:sub`,
//!    `URL:amr`, `aws:FederatedProvider`): IAM decides through [`RoleDirectory`]; a missing
//!    role is refused the same way (`AccessDenied`);
//! 7. `DurationSeconds` (default 3,600) at most the role's `MaxSessionDuration`; session
//!    policies as for `AssumeRole`.
//!
//! Not here: session tags and a source identity carried in the token's
//! `https://aws.amazon.com/` claims.
//!
//! [`RoleDirectory`]: crate::directory::RoleDirectory

use crate::assume_role::{DEFAULT_DURATION, MAX_DURATION, MIN_DURATION};
use crate::credentials;
use crate::errors::StsError;
use crate::generated as g;
use crate::handlers::Core;
use crate::jwt::{JwtError, Token};
use crate::oidc_keys;
use crate::session::{SessionKind, SessionView};
use crate::validate::{self, Checker};
use nimbus_core::RequestContext;

/// What STS says of a token it cannot use (the model's wording for `InvalidIdentityToken`).
const NOT_VALIDATED: &str = "The web identity token that was passed could not be validated by \
                             AWS. Get a new identity token from the identity provider and then \
                             retry the request.";

fn invalid(why: impl std::fmt::Display) -> StsError {
    StsError::InvalidIdentityToken(format!("{NOT_VALIDATED} ({why})"))
}

fn not_authorized() -> StsError {
    StsError::AccessDenied("Not authorized to perform sts:AssumeRoleWithWebIdentity".into())
}

/// The account of a role ARN (`arn:aws:iam::ACCOUNT:role/...`).
fn role_account(arn: &str) -> Option<&str> {
    let rest = arn.strip_prefix("arn:aws:iam::")?;
    let (account, resource) = rest.split_once(':')?;
    resource.starts_with("role/").then_some(account)
}

pub(crate) async fn assume_role_with_web_identity(
    core: &Core,
    ctx: &RequestContext,
    input: g::AssumeRoleWithWebIdentityRequest,
) -> Result<g::AssumeRoleWithWebIdentityResponse, StsError> {
    let policy_arns = input.policy_arns.unwrap_or_default();
    Checker::new()
        .role_arn(&input.role_arn)
        .session_name("roleSessionName", &input.role_session_name)
        .web_identity_token(&input.web_identity_token)
        .opt_provider_id(input.provider_id.as_deref())
        .duration(input.duration_seconds, MIN_DURATION, MAX_DURATION)
        .opt_policy(input.policy.as_deref())
        .policy_arns(&policy_arns)
        .finish()?;
    if let Some(p) = &input.provider_id {
        return Err(StsError::InvalidParameterValue(format!(
            "ProviderId {p} names an OAuth 2.0 provider; Nimbus verifies only OpenID Connect \
             ID tokens, from providers registered with CreateOpenIDConnectProvider"
        )));
    }

    let token = Token::parse(&input.web_identity_token).map_err(|e| match e {
        JwtError::Algorithm(a) => invalid(format!("unsupported signing algorithm '{a}'")),
        JwtError::Malformed(why) => invalid(why),
        JwtError::NoKey | JwtError::BadSignature => invalid("bad signature"),
    })?;

    let account = role_account(&input.role_arn).ok_or_else(not_authorized)?;
    let url = token
        .iss
        .strip_prefix("https://")
        .map(|u| u.trim_end_matches('/'))
        .unwrap_or("");
    let provider = core
        .roles
        .oidc_provider(account, url)
        .filter(|_| !url.is_empty())
        .ok_or_else(|| {
            StsError::InvalidIdentityToken(format!(
                "No OpenIDConnect provider found in your account for {}",
                token.iss
            ))
        })?;
    let audience = token
        .aud
        .iter()
        .find(|a| provider.client_ids.contains(a))
        .cloned()
        .ok_or_else(|| StsError::InvalidIdentityToken("Incorrect token audience".into()))?;

    let jwks = oidc_keys::fetch_jwks(&token.iss).await?;
    token.verify(&jwks).map_err(|e| match e {
        JwtError::NoKey => StsError::InvalidIdentityToken(
            "Couldn't retrieve verification key from your identity provider, please reference \
             AssumeRoleWithWebIdentity documentation for requirements"
                .into(),
        ),
        _ => invalid("the signature does not verify with the provider's keys"),
    })?;

    let now = ctx.now.secs();
    if now >= token.exp {
        return Err(StsError::ExpiredIdentityToken(format!(
            "Token expired: current date/time {now} must be before the expiration date/time {}",
            token.exp
        )));
    }
    if token.nbf.is_some_and(|nbf| now < nbf) {
        return Err(invalid("the token is not valid yet (nbf)"));
    }

    let mut conditions = vec![
        (format!("{}:aud", provider.url), vec![audience.clone()]),
        (format!("{}:sub", provider.url), vec![token.sub.clone()]),
        (
            "aws:FederatedProvider".to_string(),
            vec![provider.arn.clone()],
        ),
        (
            "sts:RoleSessionName".to_string(),
            vec![input.role_session_name.clone()],
        ),
        (
            "aws:CurrentTime".to_string(),
            vec![ctx.now.to_iso8601_secs()],
        ),
        ("aws:EpochTime".to_string(), vec![now.to_string()]),
        ("aws:RequestedRegion".to_string(), vec![ctx.region.clone()]),
    ];
    if !token.amr.is_empty() {
        conditions.push((format!("{}:amr", provider.url), token.amr.clone()));
    }
    if let Some(ip) = ctx.source_ip {
        conditions.push(("aws:SourceIp".to_string(), vec![ip.to_string()]));
    }
    if !core
        .roles
        .web_identity_may_assume(&input.role_arn, &provider.arn, &conditions)
    {
        return Err(not_authorized());
    }
    let role = core
        .roles
        .role(&input.role_arn)
        .ok_or_else(not_authorized)?;

    let duration = input.duration_seconds.unwrap_or(DEFAULT_DURATION);
    if duration > role.max_session_duration {
        return Err(StsError::exceeds_max_session());
    }
    if let Some(doc) = &input.policy {
        validate::session_policy(doc)?;
    }
    let policy_arns: Vec<String> = policy_arns.into_iter().filter_map(|p| p.arn).collect();
    let packed = validate::packed_size(input.policy.as_deref(), &policy_arns, &[])?;
    let narrowed = input.policy.is_some() || !policy_arns.is_empty();

    let session_name = input.role_session_name;
    let arn = format!(
        "arn:aws:sts::{}:assumed-role/{}/{session_name}",
        role.account, role.name
    );
    let user_id = format!("{}:{session_name}", role.role_id);
    let ids = &core.ids;
    let issued = ctx.now;
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
                issued,
                expiration: credentials::expiration(issued, duration),
                policy: input.policy,
                policy_arns,
                tags: Vec::new(),
                transitive_tag_keys: Vec::new(),
                source_identity: None,
                mfa_authenticated: false,
                mfa_authenticated_at: None,
            },
            issued,
        )
        .await?;
    Ok(g::AssumeRoleWithWebIdentityResponse {
        credentials: Some(credentials::render(&session)),
        subject_from_web_identity_token: Some(token.sub),
        assumed_role_user: Some(g::AssumedRoleUser {
            assumed_role_id: user_id,
            arn,
        }),
        packed_policy_size: narrowed.then_some(packed),
        provider: Some(provider.arn),
        audience: Some(audience),
        source_identity: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_accounts() {
        assert_eq!(
            role_account("arn:aws:iam::123456789012:role/x/y"),
            Some("123456789012")
        );
        assert_eq!(role_account("arn:aws:iam::123456789012:user/x"), None);
        assert_eq!(role_account("nope"), None);
    }
}
