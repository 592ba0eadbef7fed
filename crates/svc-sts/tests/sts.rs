//! In-process tests of the STS handlers over a fake IAM (`RoleDirectory`): `AssumeRole`
//! (credentials' shape, durations, root, unknown roles, role chaining with transitive tags
//! and source identity, session policies, MFA), `GetSessionToken` (user and root, session
//! callers), `GetAccessKeyInfo`, expiry on the Nimbus clock, durability across a reopen of
//! an on-disk store, reset.

use nimbus_core::{
    AwsError, Clock, Ids, ManualClock, Principal, PrincipalKind, RequestContext, Timestamp,
};
use nimbus_store::Store;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use svc_sts::generated::*;
use svc_sts::{MfaCheck, RoleDirectory, RoleView, SessionKind, SessionView, Sessions, Sts};

const ACCOUNT: &str = "123456789012";
const OTHER: &str = "210987654321";
const T0: i64 = 1_700_000_000;
const ROLE: &str = "arn:aws:iam::123456789012:role/app/Deployer";
const LONG_ROLE: &str = "arn:aws:iam::123456789012:role/Long";
const FOREIGN_ROLE: &str = "arn:aws:iam::210987654321:role/Auditor";
const ALICE: &str = "arn:aws:iam::123456789012:user/alice";
const ALICE_MFA: &str = "arn:aws:iam::123456789012:mfa/alice";
const GOOD_CODE: &str = "424242";
const DOC: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}"#;

/// IAM as a fixed table.
struct FakeIam {
    roles: HashMap<&'static str, RoleView>,
    keys: HashMap<&'static str, &'static str>,
}

impl RoleDirectory for FakeIam {
    fn role(&self, arn: &str) -> Option<RoleView> {
        self.roles.get(arn).cloned()
    }

    fn key_account(&self, access_key_id: &str) -> Option<String> {
        self.keys.get(access_key_id).map(|a| a.to_string())
    }

    /// Alice has one device, whose good code is always `GOOD_CODE`.
    fn verify_mfa(
        &self,
        account: &str,
        user_name: &str,
        serial: &str,
        code: &str,
        _now: Timestamp,
    ) -> MfaCheck {
        if (account, user_name, serial) != (ACCOUNT, "alice", ALICE_MFA) {
            MfaCheck::NotAssigned
        } else if code == GOOD_CODE {
            MfaCheck::Valid
        } else {
            MfaCheck::InvalidCode
        }
    }
}

fn fake_iam() -> Arc<dyn RoleDirectory> {
    let role = |account: &str, name: &str, id: &str, max| RoleView {
        account: account.into(),
        name: name.into(),
        role_id: id.into(),
        max_session_duration: max,
    };
    Arc::new(FakeIam {
        roles: HashMap::from([
            (
                ROLE,
                role(ACCOUNT, "Deployer", "AROAEXAMPLEDEPLOYER01", 3600),
            ),
            (
                LONG_ROLE,
                role(ACCOUNT, "Long", "AROAEXAMPLELONGROLE01", 43_200),
            ),
            (
                FOREIGN_ROLE,
                role(OTHER, "Auditor", "AROAEXAMPLEAUDITOR001", 7200),
            ),
        ]),
        keys: HashMap::from([("AKIAALICEEXAMPLE0001", ACCOUNT)]),
    })
}

struct World {
    sts: Sts,
    clock: Arc<ManualClock>,
}

impl World {
    fn over(store: Store, clock: Arc<ManualClock>) -> Self {
        let sts = Sts::load(
            store,
            clock.clone(),
            Arc::new(Ids::from_seed(9)),
            fake_iam(),
        )
        .expect("load STS");
        World { sts, clock }
    }

    fn new() -> Self {
        let clock = Arc::new(ManualClock::new(Timestamp::from_secs(T0)));
        Self::over(Store::in_memory(), clock)
    }

    fn sessions(&self) -> &Sessions {
        self.sts.sessions()
    }

    fn ctx(&self, principal: Principal) -> RequestContext {
        RequestContext {
            request_id: "req-1".into(),
            principal: principal.into(),
            region: "us-east-1".into(),
            now: self.clock.now(),
            host: "localhost".into(),
            source_ip: None,
        }
    }

    fn alice(&self) -> RequestContext {
        self.ctx(Principal {
            kind: PrincipalKind::User,
            account_id: ACCOUNT.into(),
            arn: ALICE.into(),
            user_id: "AIDAEXAMPLEALICE00001".into(),
            access_key_id: "AKIAALICEEXAMPLE0001".into(),
        })
    }

    fn root(&self) -> RequestContext {
        self.ctx(Principal::root(ACCOUNT, "AKIDROOTEXAMPLE01"))
    }

    /// The context of a request signed with `s`'s credentials, as the binary builds it.
    fn signed_by(&self, s: &SessionView) -> RequestContext {
        let kind = match s.kind {
            SessionKind::AssumedRole { .. } => PrincipalKind::AssumedRole,
            SessionKind::UserSession { .. } => PrincipalKind::User,
            SessionKind::RootSession => PrincipalKind::Root,
            SessionKind::FederatedUser { .. } => PrincipalKind::FederatedUser,
        };
        self.ctx(Principal {
            kind,
            account_id: s.account.clone(),
            arn: s.arn.clone(),
            user_id: s.user_id.clone(),
            access_key_id: s.access_key_id.clone(),
        })
    }

    async fn assume(
        &self,
        ctx: &RequestContext,
        req: AssumeRoleRequest,
    ) -> Result<AssumeRoleResponse, AwsError> {
        self.sts.assume_role(ctx, req).await
    }

    fn session_of(&self, creds: &Option<Credentials>) -> Arc<SessionView> {
        let id = &creds.as_ref().expect("credentials").access_key_id;
        self.sessions().lookup(id).expect("session known")
    }
}

fn req(role: &str, session: &str) -> AssumeRoleRequest {
    AssumeRoleRequest {
        role_arn: role.into(),
        role_session_name: session.into(),
        ..Default::default()
    }
}

fn err<T: std::fmt::Debug>(r: Result<T, AwsError>) -> (String, u16, String) {
    let e = r.expect_err("expected an error");
    (e.code.to_string(), e.status, e.message)
}

#[tokio::test]
async fn assume_role_issues_working_credentials() {
    let w = World::new();
    let out = w
        .assume(&w.alice(), req(ROLE, "deploy-1"))
        .await
        .expect("assume");
    let c = out.credentials.as_ref().expect("credentials");
    assert!(c.access_key_id.starts_with("ASIA") && c.access_key_id.len() == 20);
    assert_eq!(c.secret_access_key.len(), 40);
    assert!(c.session_token.len() >= 300);
    assert_eq!(c.expiration, Timestamp::from_secs(T0 + 3600));
    let user = out.assumed_role_user.expect("assumed role user");
    assert_eq!(user.assumed_role_id, "AROAEXAMPLEDEPLOYER01:deploy-1");
    // The role's path is not part of the assumed-role ARN.
    assert_eq!(
        user.arn,
        "arn:aws:sts::123456789012:assumed-role/Deployer/deploy-1"
    );
    assert_eq!(out.packed_policy_size, None);
    assert_eq!(out.source_identity, None);

    let s = w.session_of(&out.credentials);
    assert_eq!(s.secret, c.secret_access_key);
    assert!(s.token_matches(&c.session_token));
    assert_eq!(s.account, ACCOUNT);
    assert_eq!(s.arn, user.arn);
    assert_eq!(s.user_id, user.assumed_role_id);
    assert_eq!(s.issued, Timestamp::from_secs(T0));
    assert_eq!(
        s.kind,
        SessionKind::AssumedRole {
            role_arn: ROLE.into(),
            role_name: "Deployer".into(),
            role_id: "AROAEXAMPLEDEPLOYER01".into(),
            session_name: "deploy-1".into(),
        }
    );

    // GetCallerIdentity with the session reports the session.
    let me = w
        .sts
        .get_caller_identity(&w.signed_by(&s), GetCallerIdentityRequest {})
        .await
        .expect("identity");
    assert_eq!(me.arn.as_deref(), Some(user.arn.as_str()));
    assert_eq!(
        me.user_id.as_deref(),
        Some("AROAEXAMPLEDEPLOYER01:deploy-1")
    );
}

#[tokio::test]
async fn a_cross_account_session_belongs_to_the_roles_account() {
    let w = World::new();
    let out = w
        .assume(&w.alice(), req(FOREIGN_ROLE, "audit"))
        .await
        .expect("assume");
    let s = w.session_of(&out.credentials);
    assert_eq!(s.account, OTHER);
    assert_eq!(
        s.arn,
        "arn:aws:sts::210987654321:assumed-role/Auditor/audit"
    );
}

#[tokio::test]
async fn durations_follow_the_model_and_the_role() {
    let w = World::new();
    let with = |role: &str, d: i32| AssumeRoleRequest {
        duration_seconds: Some(d),
        ..req(role, "s1")
    };
    let out = w
        .assume(&w.alice(), with(ROLE, 900))
        .await
        .expect("15 minutes");
    assert_eq!(
        out.credentials.expect("c").expiration,
        Timestamp::from_secs(T0 + 900)
    );
    assert_eq!(
        err(w.assume(&w.alice(), with(ROLE, 899)).await),
        (
            "ValidationError".into(),
            400,
            "1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy \
             constraint: Member must have value greater than or equal to 900"
                .into()
        )
    );
    assert_eq!(
        err(w.assume(&w.alice(), with(LONG_ROLE, 43_201)).await).2,
        "1 validation error detected: Value '43201' at 'durationSeconds' failed to satisfy \
         constraint: Member must have value less than or equal to 43200"
    );
    assert_eq!(
        err(w.assume(&w.alice(), with(ROLE, 3601)).await),
        (
            "ValidationError".into(),
            400,
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
                .into()
        )
    );
    let out = w
        .assume(&w.alice(), with(LONG_ROLE, 43_200))
        .await
        .expect("12 hours");
    assert_eq!(
        out.credentials.expect("c").expiration,
        Timestamp::from_secs(T0 + 43_200)
    );
}

#[tokio::test]
async fn session_names_are_validated() {
    let w = World::new();
    assert_eq!(
        err(w.assume(&w.alice(), req(ROLE, "a")).await).2,
        "1 validation error detected: Value 'a' at 'roleSessionName' failed to satisfy \
         constraint: Member must have length greater than or equal to 2"
    );
    assert_eq!(
        err(w.assume(&w.alice(), req(ROLE, "alice/laptop")).await).2,
        "1 validation error detected: Value 'alice/laptop' at 'roleSessionName' failed to \
         satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*"
    );
    let out = w
        .assume(&w.alice(), req(ROLE, "alice@example.com"))
        .await
        .expect("ok");
    assert!(out
        .assumed_role_user
        .expect("u")
        .arn
        .ends_with("/alice@example.com"));
}

#[tokio::test]
async fn root_may_not_assume_roles() {
    let w = World::new();
    assert_eq!(
        err(w.assume(&w.root(), req(ROLE, "root-session")).await),
        (
            "AccessDenied".into(),
            403,
            "Roles may not be assumed by root accounts.".into()
        )
    );
}

#[tokio::test]
async fn an_unknown_role_is_refused_like_an_untrusting_one() {
    let w = World::new();
    let missing = "arn:aws:iam::123456789012:role/Nope";
    assert_eq!(
        err(w.assume(&w.alice(), req(missing, "s1")).await),
        (
            "AccessDenied".into(),
            403,
            format!(
                "User: {ALICE} is not authorized to perform: sts:AssumeRole on resource: {missing}"
            )
        )
    );
    assert_eq!(w.sessions().count(), 0);
}

#[tokio::test]
async fn mfa_codes_are_checked_against_the_callers_device() {
    let w = World::new();
    let with = |serial: &str, code: &str| AssumeRoleRequest {
        serial_number: Some(serial.into()),
        token_code: Some(code.into()),
        ..req(ROLE, "s1")
    };
    // The caller's device, a wrong code: AWS's "invalid one time pass code".
    let (code, status, message) = err(w.assume(&w.alice(), with(ALICE_MFA, "000000")).await);
    assert_eq!((code.as_str(), status), ("AccessDenied", 403));
    assert_eq!(
        message,
        "MultiFactorAuthentication failed with invalid MFA one time pass code. "
    );
    // Someone else's device, or a serial without a code: "unable to validate".
    let other = "arn:aws:iam::123456789012:mfa/bob";
    let (_, _, message) = err(w.assume(&w.alice(), with(other, GOOD_CODE)).await);
    assert!(message.contains("unable to validate MFA code"), "{message}");
    let half = AssumeRoleRequest {
        serial_number: Some(ALICE_MFA.into()),
        ..req(ROLE, "s1")
    };
    assert_eq!(err(w.assume(&w.alice(), half).await).0, "AccessDenied");
    let bad = AssumeRoleRequest {
        token_code: Some("12345".into()),
        ..req(ROLE, "s1")
    };
    assert_eq!(err(w.assume(&w.alice(), bad).await).0, "ValidationError");
    // The root has no IAM-managed device.
    let gst = |serial: &str, code: &str| GetSessionTokenRequest {
        serial_number: Some(serial.into()),
        token_code: Some(code.into()),
        ..Default::default()
    };
    let (_, _, message) = err(w
        .sts
        .get_session_token(&w.root(), gst(ALICE_MFA, GOOD_CODE))
        .await);
    assert!(message.contains("unable to validate MFA code"), "{message}");
    let (_, _, message) = err(w
        .sts
        .get_session_token(&w.alice(), gst(ALICE_MFA, "111111"))
        .await);
    assert!(
        message.contains("invalid MFA one time pass code"),
        "{message}"
    );
    assert_eq!(w.sessions().count(), 0);

    // A good code: the session records MFA and its time.
    let out = w
        .sts
        .get_session_token(&w.alice(), gst(ALICE_MFA, GOOD_CODE))
        .await
        .expect("session with MFA");
    let user_session = w.session_of(&out.credentials);
    assert!(user_session.mfa_authenticated);
    assert_eq!(
        user_session.mfa_authenticated_at,
        Some(Timestamp::from_secs(T0))
    );
    let plain = w
        .sts
        .get_session_token(&w.alice(), GetSessionTokenRequest::default())
        .await
        .unwrap();
    assert!(!w.session_of(&plain.credentials).mfa_authenticated);

    // A role assumed with those credentials stays MFA-authenticated, from the original
    // check; one assumed with a code of its own is authenticated now.
    w.clock.advance(Duration::from_secs(60));
    let chained = w
        .assume(&w.signed_by(&user_session), req(ROLE, "via-session"))
        .await
        .unwrap();
    let s = w.session_of(&chained.credentials);
    assert!(s.mfa_authenticated);
    assert_eq!(s.mfa_authenticated_at, Some(Timestamp::from_secs(T0)));
    let direct = w
        .assume(&w.alice(), with(ALICE_MFA, GOOD_CODE))
        .await
        .unwrap();
    let s = w.session_of(&direct.credentials);
    assert_eq!(s.mfa_authenticated_at, Some(Timestamp::from_secs(T0 + 60)));
    let none = w.assume(&w.alice(), req(ROLE, "no-mfa")).await.unwrap();
    assert!(!w.session_of(&none.credentials).mfa_authenticated);
}

#[tokio::test]
async fn role_chaining_is_limited_to_one_hour_and_carries_transitive_tags() {
    let w = World::new();
    let first = AssumeRoleRequest {
        tags: Some(vec![
            Tag {
                key: "Project".into(),
                value: "blue".into(),
            },
            Tag {
                key: "Cost".into(),
                value: "42".into(),
            },
        ]),
        transitive_tag_keys: Some(vec!["Project".into()]),
        source_identity: Some("alice".into()),
        ..req(LONG_ROLE, "first")
    };
    let out = w.assume(&w.alice(), first).await.expect("first");
    assert!(out.packed_policy_size.is_some());
    assert_eq!(out.source_identity.as_deref(), Some("alice"));
    let s1 = w.session_of(&out.credentials);
    let chained = w.signed_by(&s1);

    let long = AssumeRoleRequest {
        duration_seconds: Some(3601),
        ..req(LONG_ROLE, "second")
    };
    assert_eq!(
        err(w.assume(&chained, long).await),
        (
            "ValidationError".into(),
            400,
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed \
             by role chaining."
                .into()
        )
    );

    let out = w
        .assume(&chained, req(ROLE, "second"))
        .await
        .expect("chained");
    let s2 = w.session_of(&out.credentials);
    let keys: Vec<&str> = s2.tags.iter().map(|t| t.key.as_str()).collect();
    assert_eq!(keys, ["Project"], "only transitive tags pass on");
    assert_eq!(s2.transitive_tag_keys, ["Project"]);
    assert_eq!(s2.source_identity.as_deref(), Some("alice"));
    assert_eq!(out.source_identity.as_deref(), Some("alice"));
    assert!(out.packed_policy_size.is_some());

    let override_tag = AssumeRoleRequest {
        tags: Some(vec![Tag {
            key: "project".into(),
            value: "red".into(),
        }]),
        ..req(ROLE, "third")
    };
    assert_eq!(
        err(w.assume(&chained, override_tag).await).0,
        "InvalidParameterValue"
    );
    let other_identity = AssumeRoleRequest {
        source_identity: Some("mallory".into()),
        ..req(ROLE, "third")
    };
    assert_eq!(
        err(w.assume(&chained, other_identity).await).0,
        "AccessDenied"
    );
}

#[tokio::test]
async fn session_policies_are_validated_and_kept() {
    let w = World::new();
    let bad = AssumeRoleRequest {
        policy: Some(r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow"}}"#.into()),
        ..req(ROLE, "s1")
    };
    let (code, status, _) = err(w.assume(&w.alice(), bad).await);
    assert_eq!((code.as_str(), status), ("MalformedPolicyDocument", 400));
    let too_long = AssumeRoleRequest {
        policy: Some(format!("{DOC}{}", " ".repeat(2049 - DOC.len() + 1))),
        ..req(ROLE, "s1")
    };
    assert_eq!(
        err(w.assume(&w.alice(), too_long).await).0,
        "ValidationError"
    );

    let good = AssumeRoleRequest {
        policy: Some(DOC.into()),
        policy_arns: Some(vec![PolicyDescriptorType {
            arn: Some("arn:aws:iam::aws:policy/ReadOnlyAccess".into()),
        }]),
        ..req(ROLE, "s1")
    };
    let out = w.assume(&w.alice(), good).await.expect("assume");
    let size = out.packed_policy_size.expect("packed size reported");
    assert!((1..=100).contains(&size), "{size}");
    let s = w.session_of(&out.credentials);
    assert_eq!(s.policy.as_deref(), Some(DOC));
    assert_eq!(s.policy_arns, ["arn:aws:iam::aws:policy/ReadOnlyAccess"]);

    let eleven = AssumeRoleRequest {
        policy_arns: Some(
            (0..11)
                .map(|i| PolicyDescriptorType {
                    arn: Some(format!("arn:aws:iam::123456789012:policy/p{i}")),
                })
                .collect(),
        ),
        ..req(ROLE, "s1")
    };
    assert_eq!(err(w.assume(&w.alice(), eleven).await).0, "ValidationError");
}

#[tokio::test]
async fn get_session_token_for_users_and_root() {
    let w = World::new();
    let out = w
        .sts
        .get_session_token(&w.alice(), GetSessionTokenRequest::default())
        .await
        .expect("user session");
    let c = out.credentials.as_ref().expect("credentials");
    assert_eq!(c.expiration, Timestamp::from_secs(T0 + 43_200));
    let s = w.session_of(&out.credentials);
    assert_eq!(s.arn, ALICE);
    assert_eq!(s.user_id, "AIDAEXAMPLEALICE00001");
    assert_eq!(
        s.kind,
        SessionKind::UserSession {
            user_arn: ALICE.into(),
            user_id: "AIDAEXAMPLEALICE00001".into()
        }
    );

    // Session credentials cannot make another session token...
    let (code, status, message) = err(w
        .sts
        .get_session_token(&w.signed_by(&s), GetSessionTokenRequest::default())
        .await);
    assert_eq!((code.as_str(), status), ("AccessDenied", 403));
    assert_eq!(
        message,
        "Cannot call GetSessionToken with session credentials"
    );
    // ...but may assume a role (that is not role chaining: no one-hour limit).
    let long = AssumeRoleRequest {
        duration_seconds: Some(7200),
        ..req(LONG_ROLE, "from-user-session")
    };
    w.assume(&w.signed_by(&s), long)
        .await
        .expect("assume from a user session");

    let root = GetSessionTokenRequest {
        duration_seconds: Some(7200),
        ..Default::default()
    };
    let out = w
        .sts
        .get_session_token(&w.root(), root)
        .await
        .expect("root session");
    assert_eq!(
        out.credentials.as_ref().expect("c").expiration,
        Timestamp::from_secs(T0 + 3600),
        "a root session is cut to one hour"
    );
    let s = w.session_of(&out.credentials);
    assert_eq!(s.kind, SessionKind::RootSession);
    assert_eq!(s.arn, "arn:aws:iam::123456789012:root");
    assert_eq!(s.user_id, ACCOUNT);
    assert_eq!(
        err(w.assume(&w.signed_by(&s), req(ROLE, "root-session")).await).2,
        "Roles may not be assumed by root accounts."
    );

    let too_long = GetSessionTokenRequest {
        duration_seconds: Some(129_601),
        ..Default::default()
    };
    assert_eq!(
        err(w.sts.get_session_token(&w.alice(), too_long).await).0,
        "ValidationError"
    );
}

#[tokio::test]
async fn get_access_key_info_names_the_owning_account() {
    let w = World::new();
    let info = |ctx: RequestContext, id: &str| {
        let sts = &w.sts;
        let id = id.to_string();
        async move {
            sts.get_access_key_info(&ctx, GetAccessKeyInfoRequest { access_key_id: id })
                .await
                .map(|r| r.account.expect("account"))
        }
    };
    let out = w
        .assume(&w.alice(), req(FOREIGN_ROLE, "audit"))
        .await
        .expect("assume");
    let key = out.credentials.expect("c").access_key_id;
    assert_eq!(info(w.alice(), &key).await.expect("session key"), OTHER);
    assert_eq!(
        info(w.root(), "AKIAALICEEXAMPLE0001")
            .await
            .expect("iam key"),
        ACCOUNT
    );
    assert_eq!(
        info(w.root(), "AKIDROOTEXAMPLE01")
            .await
            .expect("own root key"),
        ACCOUNT
    );
    let (code, status, _) = err(info(w.root(), "AKIAUNKNOWNKEY000000").await);
    assert_eq!((code.as_str(), status), ("InvalidParameterValue", 400));
    assert_eq!(err(info(w.root(), "AKIA-short").await).0, "ValidationError");
}

#[tokio::test]
async fn sessions_expire_on_the_nimbus_clock() {
    let w = World::new();
    let out = w.assume(&w.alice(), req(ROLE, "s1")).await.expect("assume");
    let id = out.credentials.expect("c").access_key_id;
    let s = w.sessions().lookup(&id).expect("live");
    assert!(!s.is_expired_at(w.clock.now()));
    w.clock.advance(Duration::from_secs(3599));
    assert!(!w
        .sessions()
        .lookup(&id)
        .expect("live")
        .is_expired_at(w.clock.now()));
    w.clock.advance(Duration::from_secs(1));
    let s = w.sessions().lookup(&id).expect("known, expired");
    assert!(s.is_expired_at(w.clock.now()));
    w.clock
        .advance(Duration::from_secs(svc_sts::EXPIRED_RETENTION_SECS as u64));
    assert!(w.sessions().lookup(&id).is_none());
}

#[tokio::test]
async fn sessions_survive_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = Arc::new(ManualClock::new(Timestamp::from_secs(T0)));
    let (id, before) = {
        let store = Store::open_dir(dir.path()).expect("open");
        let w = World::over(store.clone(), clock.clone());
        let out = w.assume(&w.alice(), req(ROLE, "s1")).await.expect("assume");
        let id = out.credentials.expect("c").access_key_id;
        let before = w.sessions().lookup(&id).expect("known");
        store.shutdown();
        (id, before)
    };
    let store = Store::open_dir(dir.path()).expect("reopen");
    let w = World::over(store.clone(), clock);
    assert_eq!(w.sessions().lookup(&id).as_deref(), Some(&*before));
    store.shutdown();
}

#[tokio::test]
async fn build_loads_stored_sessions_and_reset_wipes_them() {
    let store = Store::in_memory();
    let clock = Arc::new(ManualClock::new(Timestamp::from_secs(T0)));
    let w = World::over(store.clone(), clock.clone());
    let out = w.assume(&w.alice(), req(ROLE, "s1")).await.expect("assume");
    let id = out.credentials.expect("c").access_key_id;

    // What the binary builds over the same store sees the session.
    let (_service, sessions) = svc_sts::build(
        store.clone(),
        clock.clone(),
        Arc::new(Ids::from_seed(1)),
        fake_iam(),
    )
    .expect("build");
    assert!(sessions.lookup(&id).is_some());

    let wipe = store.clone();
    w.sts
        .reset(Box::pin(async move {
            wipe.wipe_async()
                .await
                .map_err(|e| nimbus_wire::ResetError(e.to_string()))
        }))
        .await
        .expect("reset");
    assert!(w.sessions().lookup(&id).is_none());
    assert_eq!(w.sessions().count(), 0);
    assert_eq!(Sessions::load(store, clock).expect("load").count(), 0);
}
