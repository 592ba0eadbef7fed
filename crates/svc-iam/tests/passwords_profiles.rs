//! In-process tests of console passwords (the account password policy, login profiles,
//! `ChangePassword` with reuse prevention) and instance profiles (one role at most,
//! delete conflicts both ways, listing by role), their durability over the same store,
//! reset, and `Directory::instance_profile`.

use nimbus_core::{
    AwsError, Ids, ManualClock, Principal, PrincipalKind, RequestContext, Timestamp,
};
use nimbus_store::Store;
use nimbus_wire::ResetStep;
use std::sync::Arc;
use svc_iam::generated::*;
use svc_iam::Iam;

const ACCOUNT: &str = "123456789012";
const TRUST: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}}"#;

fn ctx() -> RequestContext {
    RequestContext {
        request_id: "req-1".into(),
        principal: Principal::root(ACCOUNT, "AKIDEXAMPLE").into(),
        region: "us-east-1".into(),
        now: Timestamp::from_secs(1_700_000_000),
        host: "localhost".into(),
        source_ip: None,
    }
}

fn as_user(u: &User) -> RequestContext {
    let mut c = ctx();
    c.principal = Arc::new(Principal {
        kind: PrincipalKind::User,
        account_id: ACCOUNT.into(),
        arn: u.arn.clone(),
        user_id: u.user_id.clone(),
        access_key_id: "AKIAEXAMPLE".into(),
    });
    c
}

fn iam_over(store: Store, seed: u64) -> Iam {
    let clock = Arc::new(ManualClock::new(Timestamp::from_secs(1_700_000_000)));
    Iam::load(store, clock, Arc::new(Ids::from_seed(seed))).expect("load IAM")
}

fn err<T: std::fmt::Debug>(r: Result<T, AwsError>) -> (String, String) {
    let e = r.expect_err("expected an error");
    (e.code.to_string(), e.message)
}

async fn user(iam: &Iam, name: &str) -> User {
    iam.create_user(
        &ctx(),
        CreateUserRequest {
            user_name: name.into(),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .user
    .unwrap()
}

async fn login(iam: &Iam, name: &str, pw: &str) -> Result<CreateLoginProfileResponse, AwsError> {
    iam.create_login_profile(
        &ctx(),
        CreateLoginProfileRequest {
            user_name: Some(name.into()),
            password: Some(pw.into()),
            password_reset_required: Some(true),
        },
    )
    .await
}

async fn strict_policy(iam: &Iam) {
    iam.update_account_password_policy(
        &ctx(),
        UpdateAccountPasswordPolicyRequest {
            minimum_password_length: Some(12),
            require_symbols: Some(true),
            require_numbers: Some(true),
            require_uppercase_characters: Some(true),
            require_lowercase_characters: Some(true),
            allow_users_to_change_password: Some(true),
            max_password_age: Some(90),
            password_reuse_prevention: Some(2),
            hard_expiry: None,
        },
    )
    .await
    .unwrap();
}

async fn change(iam: &Iam, u: &User, old: &str, new: &str) -> Result<(), AwsError> {
    iam.change_password(
        &as_user(u),
        ChangePasswordRequest {
            old_password: old.into(),
            new_password: new.into(),
        },
    )
    .await
}

#[tokio::test]
async fn password_policy_get_update_delete_with_ranges() {
    let iam = iam_over(Store::in_memory(), 1);
    assert_eq!(
        err(iam.get_account_password_policy(&ctx()).await),
        (
            "NoSuchEntity".into(),
            format!("The Password Policy with domain name {ACCOUNT} cannot be found.")
        )
    );
    assert_eq!(
        err(iam.delete_account_password_policy(&ctx()).await).0,
        "NoSuchEntity"
    );
    for bad in [
        UpdateAccountPasswordPolicyRequest {
            minimum_password_length: Some(5),
            ..Default::default()
        },
        UpdateAccountPasswordPolicyRequest {
            minimum_password_length: Some(129),
            ..Default::default()
        },
        UpdateAccountPasswordPolicyRequest {
            max_password_age: Some(1096),
            ..Default::default()
        },
        UpdateAccountPasswordPolicyRequest {
            password_reuse_prevention: Some(25),
            ..Default::default()
        },
    ] {
        assert_eq!(
            err(iam.update_account_password_policy(&ctx(), bad).await).0,
            "ValidationError"
        );
    }
    strict_policy(&iam).await;
    let p = iam
        .get_account_password_policy(&ctx())
        .await
        .unwrap()
        .password_policy;
    assert_eq!(p.minimum_password_length, Some(12));
    assert_eq!(p.expire_passwords, Some(true));
    assert_eq!(p.max_password_age, Some(90));
    assert_eq!(p.password_reuse_prevention, Some(2));
    assert_eq!(p.hard_expiry, Some(false));
    // An update replaces the whole policy: what is left out takes its default.
    iam.update_account_password_policy(
        &ctx(),
        UpdateAccountPasswordPolicyRequest {
            require_numbers: Some(true),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let p = iam
        .get_account_password_policy(&ctx())
        .await
        .unwrap()
        .password_policy;
    assert_eq!(p.minimum_password_length, Some(6));
    assert_eq!(p.require_symbols, Some(false));
    assert_eq!(p.require_numbers, Some(true));
    assert_eq!(p.expire_passwords, Some(false));
    assert_eq!(p.max_password_age, None);
    assert_eq!(p.password_reuse_prevention, None);
    iam.delete_account_password_policy(&ctx()).await.unwrap();
    assert_eq!(
        err(iam.get_account_password_policy(&ctx()).await).0,
        "NoSuchEntity"
    );
}

#[tokio::test]
async fn login_profiles_follow_the_policy_and_block_user_deletion() {
    let iam = iam_over(Store::in_memory(), 1);
    user(&iam, "alice").await;
    strict_policy(&iam).await;
    assert_eq!(
        err(login(&iam, "alice", "short").await),
        (
            "PasswordPolicyViolation".into(),
            "Password should have a minimum length of 12".into()
        )
    );
    assert_eq!(
        err(login(&iam, "alice", "longenough-1").await).1,
        "Password should have at least one uppercase letter"
    );
    assert_eq!(
        err(login(&iam, "nobody", "Good-Password-1").await).0,
        "NoSuchEntity"
    );
    let lp = login(&iam, "alice", "Good-Password-1")
        .await
        .unwrap()
        .login_profile;
    assert_eq!(lp.user_name, "alice");
    assert_eq!(lp.password_reset_required, Some(true));
    assert_eq!(
        err(login(&iam, "alice", "Good-Password-1").await).0,
        "EntityAlreadyExists"
    );
    let got = iam
        .get_login_profile(
            &ctx(),
            GetLoginProfileRequest {
                user_name: Some("ALICE".into()),
            },
        )
        .await
        .unwrap()
        .login_profile;
    assert_eq!(got.user_name, "alice");
    // The password is stored only as a salted hash.
    let stored = iam.read_state(|st| {
        st.account(ACCOUNT).unwrap().users["alice"]
            .login
            .clone()
            .unwrap()
    });
    assert!(!format!("{stored:?}").contains("Good-Password-1"));
    assert_eq!(stored.password.hash.len(), 64);
    assert_eq!(
        err(iam
            .delete_user(
                &ctx(),
                DeleteUserRequest {
                    user_name: "alice".into()
                }
            )
            .await),
        (
            "DeleteConflict".into(),
            "Cannot delete entity, must delete login profile first.".into()
        )
    );
    iam.update_login_profile(
        &ctx(),
        UpdateLoginProfileRequest {
            user_name: "alice".into(),
            password: None,
            password_reset_required: Some(false),
        },
    )
    .await
    .unwrap();
    assert_eq!(
        err(iam
            .update_login_profile(
                &ctx(),
                UpdateLoginProfileRequest {
                    user_name: "alice".into(),
                    password: Some("weak".into()),
                    password_reset_required: None,
                },
            )
            .await)
        .0,
        "PasswordPolicyViolation"
    );
    iam.delete_login_profile(
        &ctx(),
        DeleteLoginProfileRequest {
            user_name: Some("alice".into()),
        },
    )
    .await
    .unwrap();
    assert_eq!(
        err(iam
            .get_login_profile(
                &ctx(),
                GetLoginProfileRequest {
                    user_name: Some("alice".into())
                }
            )
            .await),
        (
            "NoSuchEntity".into(),
            "Login Profile for User alice cannot be found.".into()
        )
    );
    iam.delete_user(
        &ctx(),
        DeleteUserRequest {
            user_name: "alice".into(),
        },
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn default_policy_applies_without_a_custom_one() {
    let iam = iam_over(Store::in_memory(), 1);
    user(&iam, "bob").await;
    assert_eq!(
        err(login(&iam, "bob", "abcdefgh").await).0,
        "PasswordPolicyViolation"
    );
    login(&iam, "bob", "Abcdefg1").await.unwrap();
}

#[tokio::test]
async fn change_password_checks_old_policy_and_reuse() {
    let iam = iam_over(Store::in_memory(), 1);
    let u = user(&iam, "carol").await;
    strict_policy(&iam).await;
    assert_eq!(
        err(change(&iam, &u, "First-Pass-1", "Second-Pass-2").await),
        (
            "NoSuchEntity".into(),
            "Login Profile for User carol cannot be found.".into()
        )
    );
    login(&iam, "carol", "First-Pass-1").await.unwrap();
    assert_eq!(
        err(change(&iam, &u, "Wrong-Pass-1", "Second-Pass-2").await).0,
        "InvalidUserType"
    );
    assert_eq!(
        err(change(&iam, &u, "First-Pass-1", "weak").await).0,
        "PasswordPolicyViolation"
    );
    change(&iam, &u, "First-Pass-1", "Second-Pass-2")
        .await
        .unwrap();
    // Reset-required is cleared by the user's own change.
    let lp = iam
        .get_login_profile(&as_user(&u), GetLoginProfileRequest { user_name: None })
        .await
        .unwrap()
        .login_profile;
    assert_eq!(lp.password_reset_required, Some(false));
    // PasswordReusePrevention 2: neither the current nor the one before may come back.
    for again in ["Second-Pass-2", "First-Pass-1"] {
        assert_eq!(
            err(change(&iam, &u, "Second-Pass-2", again).await).0,
            "PasswordPolicyViolation"
        );
    }
    change(&iam, &u, "Second-Pass-2", "Third-Pass-33")
        .await
        .unwrap();
    change(&iam, &u, "Third-Pass-33", "Fourth-Pass-4")
        .await
        .unwrap();
    // Three passwords ago is beyond the window.
    change(&iam, &u, "Fourth-Pass-4", "Second-Pass-2")
        .await
        .unwrap();
    // The root (and role sessions) cannot use ChangePassword.
    assert_eq!(
        err(iam
            .change_password(
                &ctx(),
                ChangePasswordRequest {
                    old_password: "x".into(),
                    new_password: "y".into()
                }
            )
            .await)
        .0,
        "InvalidUserType"
    );
}

async fn role(iam: &Iam, name: &str) -> Role {
    iam.create_role(
        &ctx(),
        CreateRoleRequest {
            role_name: name.into(),
            assume_role_policy_document: TRUST.into(),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .role
}

async fn profile(iam: &Iam, name: &str, path: Option<&str>) -> InstanceProfile {
    iam.create_instance_profile(
        &ctx(),
        CreateInstanceProfileRequest {
            instance_profile_name: name.into(),
            path: path.map(Into::into),
            tags: None,
        },
    )
    .await
    .unwrap()
    .instance_profile
}

async fn add(iam: &Iam, p: &str, r: &str) -> Result<(), AwsError> {
    iam.add_role_to_instance_profile(
        &ctx(),
        AddRoleToInstanceProfileRequest {
            instance_profile_name: p.into(),
            role_name: r.into(),
        },
    )
    .await
}

async fn remove(iam: &Iam, r: &str) -> Result<(), AwsError> {
    iam.remove_role_from_instance_profile(
        &ctx(),
        RemoveRoleFromInstanceProfileRequest {
            instance_profile_name: "web-profile".into(),
            role_name: r.into(),
        },
    )
    .await
}

#[tokio::test]
async fn instance_profiles_hold_one_role_and_conflict_on_delete() {
    let iam = iam_over(Store::in_memory(), 1);
    let r = role(&iam, "web").await;
    role(&iam, "other").await;
    let p = profile(&iam, "web-profile", Some("/apps/")).await;
    assert!(p.instance_profile_id.starts_with("AIPA"));
    assert_eq!(p.instance_profile_id.len(), 21);
    assert_eq!(
        p.arn,
        format!("arn:aws:iam::{ACCOUNT}:instance-profile/apps/web-profile")
    );
    assert!(p.roles.is_empty());
    assert_eq!(
        err(iam
            .create_instance_profile(
                &ctx(),
                CreateInstanceProfileRequest {
                    instance_profile_name: "WEB-profile".into(),
                    ..Default::default()
                }
            )
            .await)
        .0,
        "EntityAlreadyExists"
    );
    assert_eq!(err(add(&iam, "nope", "web").await).0, "NoSuchEntity");
    assert_eq!(
        err(add(&iam, "web-profile", "nope").await).0,
        "NoSuchEntity"
    );
    add(&iam, "web-profile", "web").await.unwrap();
    assert_eq!(
        err(add(&iam, "web-profile", "other").await),
        (
            "LimitExceeded".into(),
            "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1".into()
        )
    );
    let got = iam
        .get_instance_profile(
            &ctx(),
            GetInstanceProfileRequest {
                instance_profile_name: "web-profile".into(),
            },
        )
        .await
        .unwrap()
        .instance_profile;
    assert_eq!(got.roles.len(), 1);
    assert_eq!(got.roles[0].arn, r.arn);
    let conflict = "Cannot delete entity, must remove roles from instance profile first.";
    assert_eq!(
        err(iam
            .delete_role(
                &ctx(),
                DeleteRoleRequest {
                    role_name: "web".into()
                }
            )
            .await),
        ("DeleteConflict".into(), conflict.into())
    );
    assert_eq!(
        err(iam
            .delete_instance_profile(
                &ctx(),
                DeleteInstanceProfileRequest {
                    instance_profile_name: "web-profile".into()
                }
            )
            .await)
        .0,
        "DeleteConflict"
    );
    let for_role = iam
        .list_instance_profiles_for_role(
            &ctx(),
            ListInstanceProfilesForRoleRequest {
                role_name: "web".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(for_role.instance_profiles.len(), 1);
    profile(&iam, "batch", None).await;
    let apps = iam
        .list_instance_profiles(
            &ctx(),
            ListInstanceProfilesRequest {
                path_prefix: Some("/apps/".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(apps.instance_profiles.len(), 1);
    let all = iam
        .list_instance_profiles(&ctx(), ListInstanceProfilesRequest::default())
        .await
        .unwrap();
    let names: Vec<_> = all
        .instance_profiles
        .iter()
        .map(|p| p.instance_profile_name.as_str())
        .collect();
    assert_eq!(names, ["batch", "web-profile"]);
    // The Directory finds the role by profile name or ARN.
    let dir = iam.directory();
    assert_eq!(
        dir.instance_profile(ACCOUNT, "web-profile"),
        Some((p.arn.clone(), Some(r.arn.clone())))
    );
    assert_eq!(
        dir.instance_profile(ACCOUNT, &p.arn),
        Some((p.arn.clone(), Some(r.arn.clone())))
    );
    assert_eq!(
        dir.instance_profile(
            ACCOUNT,
            &format!("arn:aws:iam::{ACCOUNT}:instance-profile/web-profile")
        ),
        None
    );
    assert_eq!(dir.instance_profile("999999999999", "web-profile"), None);
    assert_eq!(err(remove(&iam, "other").await).0, "NoSuchEntity");
    remove(&iam, "web").await.unwrap();
    assert_eq!(
        dir.instance_profile(ACCOUNT, "web-profile"),
        Some((p.arn.clone(), None))
    );
    iam.delete_role(
        &ctx(),
        DeleteRoleRequest {
            role_name: "web".into(),
        },
    )
    .await
    .unwrap();
    iam.delete_instance_profile(
        &ctx(),
        DeleteInstanceProfileRequest {
            instance_profile_name: "web-profile".into(),
        },
    )
    .await
    .unwrap();
    assert_eq!(dir.instance_profile(ACCOUNT, "web-profile"), None);
}

#[tokio::test]
async fn everything_survives_a_restart_and_reset_wipes_it() {
    let store = Store::in_memory();
    let first = iam_over(store.clone(), 1);
    let u = user(&first, "dave").await;
    strict_policy(&first).await;
    login(&first, "dave", "Dave-Password-1").await.unwrap();
    role(&first, "web").await;
    profile(&first, "web-profile", None).await;
    add(&first, "web-profile", "web").await.unwrap();
    drop(first);
    let second = iam_over(store.clone(), 2);
    assert_eq!(
        second
            .get_account_password_policy(&ctx())
            .await
            .unwrap()
            .password_policy
            .minimum_password_length,
        Some(12)
    );
    // The stored hash still verifies after the restart.
    change(&second, &u, "Dave-Password-1", "Dave-Password-2")
        .await
        .unwrap();
    assert!(second
        .directory()
        .instance_profile(ACCOUNT, "web-profile")
        .is_some_and(|(_, r)| r.is_some()));
    let wipe_store = store.clone();
    let then: ResetStep<'_> = Box::pin(async move {
        wipe_store
            .wipe_async()
            .await
            .map_err(|e| nimbus_wire::ResetError(e.to_string()))
    });
    second.reset(then).await.unwrap();
    assert_eq!(
        err(second.get_account_password_policy(&ctx()).await).0,
        "NoSuchEntity"
    );
    assert!(second
        .directory()
        .instance_profile(ACCOUNT, "web-profile")
        .is_none());
    let third = iam_over(store, 3);
    assert!(third
        .directory()
        .instance_profile(ACCOUNT, "web-profile")
        .is_none());
    assert_eq!(
        err(third.get_account_password_policy(&ctx()).await).0,
        "NoSuchEntity"
    );
}
