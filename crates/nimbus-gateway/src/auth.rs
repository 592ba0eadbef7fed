//! Authentication: who signed this request. Looks the access key up through the small
//! [`CredentialStore`] trait (IAM will plug users, roles and session tokens in later),
//! verifies the SigV4 signature with `nimbus-sigv4`, and maps every failure to the error
//! the addressed service family returns (EC2 says `AuthFailure`, S3 `InvalidAccessKeyId`,
//! everyone else `InvalidClientTokenId`, ...).

use crate::route::Family;
use nimbus_core::{AwsError, Clock, Principal, Timestamp};
use nimbus_sigv4::{ParsedAuth, RequestView, S3Auth, SigV4Error, SigningKeyCache, Verified};
use std::collections::HashMap;
use std::sync::Arc;

/// A secret and the identity it stands for.
#[derive(Clone, Debug)]
pub struct Credential {
    pub secret_access_key: String,
    pub principal: Arc<Principal>,
    /// Temporary credentials carry a session token that must be presented.
    pub session_token: Option<String>,
    pub expiration: Option<Timestamp>,
}

pub trait CredentialStore: Send + Sync + 'static {
    fn lookup(&self, access_key_id: &str) -> Option<Arc<Credential>>;
}

/// A fixed set of keys (the account roots configured on the command line).
#[derive(Clone, Default)]
pub struct StaticCredentials {
    keys: HashMap<String, Arc<Credential>>,
}

impl StaticCredentials {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn add_root(&mut self, account_id: &str, access_key_id: &str, secret: &str) {
        self.keys.insert(
            access_key_id.to_string(),
            Arc::new(Credential {
                secret_access_key: secret.to_string(),
                principal: Arc::new(Principal::root(account_id, access_key_id)),
                session_token: None,
                expiration: None,
            }),
        );
    }
}

impl CredentialStore for StaticCredentials {
    fn lookup(&self, access_key_id: &str) -> Option<Arc<Credential>> {
        self.keys.get(access_key_id).cloned()
    }
}

/// How strictly requests are authenticated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthMode {
    /// Real SigV4 against known keys (the default).
    Strict,
    /// Any key, signed or not, is the root of an account: the key itself when it is 12
    /// digits (LocalStack's convention), otherwise `default_account` (moto's 123456789012).
    Permissive { default_account: String },
}

/// The outcome of authentication.
pub struct Authenticated {
    pub principal: Arc<Principal>,
    pub verified: Option<Verified>,
    pub parsed: Option<ParsedAuth>,
}

fn missing_token(family: Family) -> AwsError {
    match family {
        Family::S3 => AwsError::new(
            "AccessDenied",
            403,
            "Anonymous access is not allowed; sign the request with SigV4",
        ),
        Family::Ec2 => AwsError::new(
            "AuthFailure",
            401,
            "AWS was not able to validate the provided access credentials",
        ),
        _ => AwsError::new(
            "MissingAuthenticationToken",
            403,
            "Request is missing Authentication Token",
        ),
    }
}

fn unknown_key(family: Family) -> AwsError {
    match family {
        Family::S3 => AwsError::new(
            "InvalidAccessKeyId",
            403,
            "The AWS Access Key Id you provided does not exist in our records.",
        ),
        Family::Ec2 => AwsError::new(
            "AuthFailure",
            401,
            "AWS was not able to validate the provided access credentials",
        ),
        _ => AwsError::new(
            "InvalidClientTokenId",
            403,
            "The security token included in the request is invalid.",
        ),
    }
}

/// Maps a signature failure to the addressed family's error.
pub fn sigv4_error(e: &SigV4Error, family: Family) -> AwsError {
    let mut err = AwsError::new(e.code(), e.status(), e.to_string());
    if let SigV4Error::RequestTimeTooSkewed { .. } = e {
        err = match family {
            Family::S3 => AwsError::new("RequestTimeTooSkewed", 403, e.s3_message()),
            Family::Ec2 => AwsError::new("RequestExpired", 400, e.to_string()),
            _ => AwsError::new("SignatureDoesNotMatch", 403, e.to_string()),
        };
    }
    err
}

/// Authenticates one request. `sigv4` is `nimbus_sigv4::parse(view)`, already computed by
/// the caller (it needed the scope to classify the request). S3 also accepts Signature
/// Version 2 (boto3 still presigns S3 URLs with it by default); every other family is
/// SigV4 only.
pub fn authenticate(
    view: &RequestView<'_>,
    sigv4: Result<Option<ParsedAuth>, SigV4Error>,
    family: Family,
    mode: &AuthMode,
    creds: &dyn CredentialStore,
    clock: &dyn Clock,
    cache: &SigningKeyCache,
) -> Result<Authenticated, AwsError> {
    authenticate_body(view, sigv4, family, mode, creds, clock, cache, false, None)
}

/// [`authenticate`]; with `streamed_body` the body has not been read (`view.body` is
/// empty) and a declared `x-amz-content-sha256` digest is checked as it streams in
/// (`body.rs`) instead of here. `known` is the credential the server already looked up
/// for the key the request claims (to size the body it read): used when it is that of the
/// key the parsed signature names, so one request costs one credential lookup.
#[allow(clippy::too_many_arguments)]
pub(crate) fn authenticate_body(
    view: &RequestView<'_>,
    sigv4: Result<Option<ParsedAuth>, SigV4Error>,
    family: Family,
    mode: &AuthMode,
    creds: &dyn CredentialStore,
    clock: &dyn Clock,
    cache: &SigningKeyCache,
    streamed_body: bool,
    known: Option<Arc<Credential>>,
) -> Result<Authenticated, AwsError> {
    let claim = if family == Family::S3 {
        nimbus_sigv4::parse_s3(view)
    } else {
        sigv4.map(|p| p.map(S3Auth::V4))
    }
    .map_err(|e| sigv4_error(&e, family));
    match mode {
        AuthMode::Permissive { default_account } => {
            let claim = claim.ok().flatten();
            let key = claim
                .as_ref()
                .map_or("anonymous", |c| c.access_key())
                .to_string();
            let account = if key.len() == 12 && key.bytes().all(|b| b.is_ascii_digit()) {
                key.clone()
            } else {
                default_account.clone()
            };
            // A known key still maps to its own identity, unverified.
            let principal = creds
                .lookup(&key)
                .map(|c| c.principal.clone())
                .unwrap_or_else(|| Arc::new(Principal::root(&account, &key)));
            let parsed = match claim {
                Some(S3Auth::V4(p)) => Some(p),
                _ => None,
            };
            Ok(Authenticated {
                principal,
                verified: None,
                parsed,
            })
        }
        AuthMode::Strict => {
            let claim = claim?.ok_or_else(|| missing_token(family))?;
            let cred = match known {
                Some(c) if c.principal.access_key_id == claim.access_key() => c,
                _ => creds
                    .lookup(claim.access_key())
                    .ok_or_else(|| unknown_key(family))?,
            };
            if let Some(exp) = cred.expiration {
                if clock.now() >= exp {
                    return Err(AwsError::new(
                        "ExpiredToken",
                        403,
                        "The security token included in the request is expired",
                    ));
                }
            }
            if let Some(token) = &cred.session_token {
                if claim.session_token() != Some(token.as_str()) {
                    return Err(unknown_key(family));
                }
            }
            let now = clock.real_now().secs();
            // SigV2 signs the bucket of a virtual-hosted request; only it needs the Host.
            let vhost = || {
                let host = view
                    .headers
                    .get(http::header::HOST)
                    .and_then(|h| h.to_str().ok())
                    .or(view.authority)
                    .unwrap_or("");
                crate::route::s3_vhost_bucket(host)
            };
            let secret = &cred.secret_access_key;
            let (verified, parsed) = match claim {
                S3Auth::V4(p) => {
                    let v = if streamed_body {
                        nimbus_sigv4::verify_cached_deferred(view, &p, secret, now, cache)
                    } else {
                        nimbus_sigv4::verify_cached(view, &p, secret, now, cache)
                    }
                    .map_err(|e| sigv4_error(&e, family))?;
                    (Some(v), Some(p))
                }
                S3Auth::V2Query(p) => {
                    nimbus_sigv4::verify_v2_query_vhost(view, &p, secret, now, vhost().as_deref())
                        .map_err(|e| sigv4_error(&e, family))?;
                    (None, None)
                }
                S3Auth::V2Header(p) => {
                    nimbus_sigv4::verify_v2_header_vhost(view, &p, secret, now, vhost().as_deref())
                        .map_err(|e| sigv4_error(&e, family))?;
                    (None, None)
                }
            };
            Ok(Authenticated {
                principal: cred.principal.clone(),
                verified,
                parsed,
            })
        }
    }
}
