//! Instance-role credentials: what an instance's metadata service hands out at
//! `iam/security-credentials/<role>` — real STS role sessions for the role of the instance
//! profile an instance was launched with, which Nimbus then authenticates and authorizes
//! exactly like `AssumeRole` sessions (decision 0007).
//!
//! [`InstanceRoles::instance_credentials`] is called by the binary (no request, no caller
//! to authorize). AWS's rules, as documented for IAM roles for EC2
//! (<https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/iam-roles-for-amazon-ec2.html>,
//! `instance-metadata-security-credentials.html`):
//! - the session is `arn:aws:sts::ACCOUNT:assumed-role/ROLE/INSTANCE-ID`, user id
//!   `AROA...:INSTANCE-ID`;
//! - the role's trust policy must let the service principal `ec2.amazonaws.com` perform
//!   `sts:AssumeRole` (EC2 assumes it on the instance's behalf), decided by the evaluator
//!   that enforces; otherwise no credentials (code `AssumeRoleUnauthorizedAccess`);
//! - the role's `MaxSessionDuration` does not apply ("Amazon EC2 IAM role credentials are
//!   not subject to maximum session durations configured in the role"): Nimbus's last
//!   [`INSTANCE_SESSION_SECS`] (6 hours, as AWS's in practice);
//! - credentials rotate automatically, new ones "available at least five minutes before the
//!   expiration of the old": Nimbus keeps handing out the same session per instance until
//!   it is within [`REISSUE_BEFORE_SECS`] of its expiry (Nimbus clock), then issues anew.
//!
//! The cache is memory only: after a restart the first request issues a new session (the
//! old one stays valid until it expires, like any session). A cached session is dropped
//! when STS no longer knows it (a reset), or when the profile's role changed.

use crate::credentials;
use crate::directory::{ProfileView, RoleDirectory};
use crate::session::{SessionKind, SessionView};
use crate::sessions::Sessions;
use nimbus_core::{Clock, Ids, Timestamp};
use std::collections::HashMap;
use std::sync::Arc;

/// How long instance-role credentials last.
pub const INSTANCE_SESSION_SECS: i32 = 6 * 3600;
/// How close to its expiry a cached session is replaced.
pub const REISSUE_BEFORE_SECS: i64 = 15 * 60;
/// The service principal that assumes instance roles.
pub const EC2_SERVICE: &str = "ec2.amazonaws.com";

/// Credentials for an instance's role, with what the metadata service shows beside them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleCredentials {
    /// The role's name (the key under `iam/security-credentials/`).
    pub role_name: String,
    pub role_arn: String,
    /// `iam/info`'s `InstanceProfileArn` and `InstanceProfileId`.
    pub instance_profile_arn: String,
    pub instance_profile_id: String,
    /// `ASIA...`
    pub access_key_id: String,
    pub secret_access_key: String,
    pub token: String,
    /// When the credentials stop working (Nimbus time, whole seconds).
    pub expiration: Timestamp,
    /// When they were issued (`LastUpdated`).
    pub last_updated: Timestamp,
}

/// Why an instance gets no role credentials. [`InstanceCredentialsError::code`] is the
/// `Code` the metadata service reports in `iam/info`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InstanceCredentialsError {
    #[error("Instance profile {0} does not exist.")]
    ProfileNotFound(String),
    #[error("Instance profile {0} contains no role.")]
    NoRole(String),
    #[error("EC2 cannot assume the role {0}: its trust policy does not allow ec2.amazonaws.com to perform sts:AssumeRole.")]
    NotTrusted(String),
    #[error("The credentials could not be stored: {0}")]
    Store(String),
}

impl InstanceCredentialsError {
    /// The metadata service's `Code`.
    pub fn code(&self) -> &'static str {
        match self {
            InstanceCredentialsError::ProfileNotFound(_) => "InstanceProfileNotFound",
            InstanceCredentialsError::NoRole(_) => "InstanceProfileHasNoRole",
            InstanceCredentialsError::NotTrusted(_) => "AssumeRoleUnauthorizedAccess",
            InstanceCredentialsError::Store(_) => "InternalError",
        }
    }
}

impl From<InstanceCredentialsError> for String {
    fn from(e: InstanceCredentialsError) -> String {
        e.to_string()
    }
}

struct Cached {
    role_arn: String,
    role_id: String,
    session: Arc<SessionView>,
}

/// Issues and caches instance-role credentials. Cheap to clone.
#[derive(Clone)]
pub struct InstanceRoles {
    sessions: Sessions,
    roles: Arc<dyn RoleDirectory>,
    ids: Arc<Ids>,
    clock: Arc<dyn Clock>,
    /// (account, instance id) → the session handed out. One async lock: two requests of
    /// the same instance at once get the same session, and issuing is rare.
    cache: Arc<tokio::sync::Mutex<HashMap<(String, String), Cached>>>,
}

impl std::fmt::Debug for InstanceRoles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InstanceRoles").finish_non_exhaustive()
    }
}

impl InstanceRoles {
    /// Instance roles over STS's `sessions` and IAM as STS sees it.
    pub fn new(
        sessions: Sessions,
        roles: Arc<dyn RoleDirectory>,
        ids: Arc<Ids>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        InstanceRoles {
            sessions,
            roles,
            ids,
            clock,
            cache: Arc::default(),
        }
    }

    /// The current credentials of instance `instance_id` of `account`, launched with
    /// instance profile `instance_profile` (its name or ARN): the cached session while it
    /// has more than [`REISSUE_BEFORE_SECS`] left and the profile still holds the same
    /// role, else a new one (durable before it is returned).
    pub async fn instance_credentials(
        &self,
        account: &str,
        instance_profile: &str,
        instance_id: &str,
    ) -> Result<RoleCredentials, InstanceCredentialsError> {
        let profile = self
            .roles
            .instance_profile(account, instance_profile)
            .ok_or_else(|| InstanceCredentialsError::ProfileNotFound(instance_profile.into()))?;
        let role_arn = profile
            .role_arn
            .clone()
            .ok_or_else(|| InstanceCredentialsError::NoRole(profile.arn.clone()))?;
        let role = self
            .roles
            .role(&role_arn)
            .ok_or_else(|| InstanceCredentialsError::NoRole(profile.arn.clone()))?;
        if !self.roles.service_may_assume(&role_arn, EC2_SERVICE) {
            return Err(InstanceCredentialsError::NotTrusted(role_arn));
        }
        let key = (account.to_string(), instance_id.to_string());
        let mut cache = self.cache.lock().await;
        let now = self.clock.now();
        if let Some(c) = cache.get(&key) {
            let fresh = c.role_arn == role_arn
                && c.role_id == role.role_id
                && now.secs() < c.session.expiration.secs() - REISSUE_BEFORE_SECS
                && self
                    .sessions
                    .lookup_at(&c.session.access_key_id, now)
                    .is_some_and(|s| s.session_token == c.session.session_token);
            if fresh {
                return Ok(render(&role.name, &role_arn, &profile, &c.session));
            }
        }
        let arn = format!(
            "arn:aws:sts::{}:assumed-role/{}/{instance_id}",
            role.account, role.name
        );
        let ids = &self.ids;
        let session = self
            .sessions
            .issue(
                || credentials::access_key_id(ids),
                |access_key_id| SessionView {
                    access_key_id,
                    secret: credentials::secret(ids),
                    session_token: credentials::session_token(ids),
                    account: role.account.clone(),
                    kind: SessionKind::AssumedRole {
                        role_arn: role_arn.clone(),
                        role_name: role.name.clone(),
                        role_id: role.role_id.clone(),
                        session_name: instance_id.to_string(),
                    },
                    arn,
                    user_id: format!("{}:{instance_id}", role.role_id),
                    issued: Timestamp::from_secs(now.secs()),
                    expiration: credentials::expiration(now, INSTANCE_SESSION_SECS),
                    policy: None,
                    policy_arns: Vec::new(),
                    tags: Vec::new(),
                    transitive_tag_keys: Vec::new(),
                    source_identity: None,
                    mfa_authenticated: false,
                    mfa_authenticated_at: None,
                },
                now,
            )
            .await
            .map_err(|e| InstanceCredentialsError::Store(e.to_string()))?;
        let out = render(&role.name, &role_arn, &profile, &session);
        cache.insert(
            key,
            Cached {
                role_arn,
                role_id: role.role_id,
                session,
            },
        );
        Ok(out)
    }

    /// Forgets the instance's cached credentials (the instance terminated, or its profile
    /// was disassociated); the session itself runs out at its expiration.
    pub async fn forget(&self, account: &str, instance_id: &str) {
        self.cache
            .lock()
            .await
            .remove(&(account.to_string(), instance_id.to_string()));
    }
}

fn render(role_name: &str, role_arn: &str, p: &ProfileView, s: &SessionView) -> RoleCredentials {
    RoleCredentials {
        role_name: role_name.to_string(),
        role_arn: role_arn.to_string(),
        instance_profile_arn: p.arn.clone(),
        instance_profile_id: p.id.clone(),
        access_key_id: s.access_key_id.clone(),
        secret_access_key: s.secret.clone(),
        token: s.session_token.clone(),
        expiration: s.expiration,
        last_updated: s.issued,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::RoleView;
    use nimbus_core::ManualClock;
    use nimbus_store::Store;
    use std::sync::Mutex;
    use std::time::Duration;

    const ACCOUNT: &str = "123456789012";
    const PROFILE_ARN: &str = "arn:aws:iam::123456789012:instance-profile/web";
    const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/app/web-role";

    /// One profile whose role and trust the test changes.
    struct Fake {
        role: Mutex<Option<(String, String)>>, // (arn, role id)
        trusted: Mutex<bool>,
    }

    impl RoleDirectory for Fake {
        fn role(&self, arn: &str) -> Option<RoleView> {
            let r = self.role.lock().unwrap().clone()?;
            (r.0 == arn).then(|| RoleView {
                account: ACCOUNT.into(),
                name: arn.rsplit('/').next().unwrap().into(),
                role_id: r.1,
                max_session_duration: 3600,
            })
        }
        fn key_account(&self, _: &str) -> Option<String> {
            None
        }
        fn instance_profile(&self, account: &str, name_or_arn: &str) -> Option<ProfileView> {
            (account == ACCOUNT && (name_or_arn == "web" || name_or_arn == PROFILE_ARN)).then(
                || ProfileView {
                    arn: PROFILE_ARN.into(),
                    id: "AIPAEXAMPLE".into(),
                    role_arn: self.role.lock().unwrap().as_ref().map(|r| r.0.clone()),
                },
            )
        }
        fn service_may_assume(&self, role_arn: &str, service: &str) -> bool {
            *self.trusted.lock().unwrap() && service == EC2_SERVICE && role_arn == ROLE_ARN
        }
    }

    fn setup() -> (Arc<Fake>, Arc<ManualClock>, Sessions, InstanceRoles) {
        let clock = Arc::new(ManualClock::new(Timestamp::from_secs(1_700_000_000)));
        let sessions = Sessions::load(Store::in_memory(), clock.clone()).unwrap();
        let fake = Arc::new(Fake {
            role: Mutex::new(Some((ROLE_ARN.into(), "AROAWEB".into()))),
            trusted: Mutex::new(true),
        });
        let roles = InstanceRoles::new(
            sessions.clone(),
            fake.clone(),
            Arc::new(Ids::from_seed(5)),
            clock.clone(),
        );
        (fake, clock, sessions, roles)
    }

    #[tokio::test]
    async fn a_role_session_named_after_the_instance_lasting_six_hours() {
        let (_fake, clock, sessions, roles) = setup();
        let c = roles
            .instance_credentials(ACCOUNT, "web", "i-0123456789abcdef0")
            .await
            .expect("credentials");
        assert_eq!(c.role_name, "web-role");
        assert_eq!(c.role_arn, ROLE_ARN);
        assert_eq!(c.instance_profile_arn, PROFILE_ARN);
        assert_eq!(c.instance_profile_id, "AIPAEXAMPLE");
        assert!(c.access_key_id.starts_with("ASIA") && c.access_key_id.len() == 20);
        assert_eq!(c.secret_access_key.len(), 40);
        assert_eq!(c.last_updated, Timestamp::from_secs(1_700_000_000));
        assert_eq!(c.expiration, Timestamp::from_secs(1_700_000_000 + 21_600));
        // STS knows the key: the gateway authenticates it as the role's session.
        let s = sessions.lookup(&c.access_key_id).expect("issued");
        assert_eq!(
            s.arn,
            "arn:aws:sts::123456789012:assumed-role/web-role/i-0123456789abcdef0"
        );
        assert_eq!(s.user_id, "AROAWEB:i-0123456789abcdef0");
        assert_eq!(s.session_token, c.token);
        assert!(matches!(
            &s.kind,
            SessionKind::AssumedRole { role_arn, session_name, .. }
                if role_arn == ROLE_ARN && session_name == "i-0123456789abcdef0"
        ));
        assert!(!s.is_expired_at(clock.now()));
    }

    #[tokio::test]
    async fn cached_per_instance_until_fifteen_minutes_before_expiry() {
        let (_fake, clock, sessions, roles) = setup();
        let first = roles
            .instance_credentials(ACCOUNT, PROFILE_ARN, "i-1")
            .await
            .unwrap();
        let again = roles
            .instance_credentials(ACCOUNT, "web", "i-1")
            .await
            .unwrap();
        assert_eq!(first, again);
        let other = roles
            .instance_credentials(ACCOUNT, "web", "i-2")
            .await
            .unwrap();
        assert_ne!(other.access_key_id, first.access_key_id);
        // 5h44m59s later: still the same; at 5h45m: new credentials.
        clock.advance(Duration::from_secs(21_600 - 900 - 1));
        let late = roles
            .instance_credentials(ACCOUNT, "web", "i-1")
            .await
            .unwrap();
        assert_eq!(late.access_key_id, first.access_key_id);
        clock.advance(Duration::from_secs(1));
        let rotated = roles
            .instance_credentials(ACCOUNT, "web", "i-1")
            .await
            .unwrap();
        assert_ne!(rotated.access_key_id, first.access_key_id);
        assert_eq!(rotated.last_updated, clock.now());
        assert!(rotated.expiration > first.expiration);
        // The old credentials keep working until they expire.
        let old = sessions.lookup(&first.access_key_id).unwrap();
        assert!(!old.is_expired_at(clock.now()));
        assert_eq!(sessions.count(), 3);
    }

    #[tokio::test]
    async fn refused_without_a_profile_a_role_or_ec2_trust() {
        let (fake, _clock, sessions, roles) = setup();
        let e = roles
            .instance_credentials(ACCOUNT, "nope", "i-1")
            .await
            .unwrap_err();
        assert_eq!(e.code(), "InstanceProfileNotFound");
        let e = roles
            .instance_credentials("999999999999", "web", "i-1")
            .await
            .unwrap_err();
        assert_eq!(e, InstanceCredentialsError::ProfileNotFound("web".into()));
        *fake.trusted.lock().unwrap() = false;
        let e = roles
            .instance_credentials(ACCOUNT, "web", "i-1")
            .await
            .unwrap_err();
        assert_eq!(e.code(), "AssumeRoleUnauthorizedAccess");
        assert!(e.to_string().contains(ROLE_ARN), "{e}");
        *fake.role.lock().unwrap() = None;
        let e = roles
            .instance_credentials(ACCOUNT, "web", "i-1")
            .await
            .unwrap_err();
        assert_eq!(e, InstanceCredentialsError::NoRole(PROFILE_ARN.into()));
        assert_eq!(sessions.count(), 0, "nothing issued");
    }

    #[tokio::test]
    async fn a_new_role_or_a_reset_issues_anew() {
        let (fake, _clock, sessions, roles) = setup();
        let first = roles
            .instance_credentials(ACCOUNT, "web", "i-1")
            .await
            .unwrap();
        // The role deleted and created again under the same name: a new role id.
        *fake.role.lock().unwrap() = Some((ROLE_ARN.into(), "AROAWEB2".into()));
        let second = roles
            .instance_credentials(ACCOUNT, "web", "i-1")
            .await
            .unwrap();
        assert_ne!(second.access_key_id, first.access_key_id);
        assert_eq!(
            sessions.lookup(&second.access_key_id).unwrap().user_id,
            "AROAWEB2:i-1"
        );
        // A reset empties STS: the cached session is gone, so a new one is issued.
        sessions
            .reset_with(Box::pin(async { Ok(()) }))
            .await
            .unwrap();
        let third = roles
            .instance_credentials(ACCOUNT, "web", "i-1")
            .await
            .unwrap();
        assert_ne!(third.access_key_id, second.access_key_id);
        assert!(sessions.lookup(&third.access_key_id).is_some());
        roles.forget(ACCOUNT, "i-1").await;
        let fourth = roles
            .instance_credentials(ACCOUNT, "web", "i-1")
            .await
            .unwrap();
        assert_ne!(fourth.access_key_id, third.access_key_id);
    }
}
