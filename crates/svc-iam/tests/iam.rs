//! In-process tests of the IAM handlers: users, keys, groups, managed policies with
//! versions and attachments, inline policies, roles, AWS's limits and errors, durability
//! over the same store, reset, and the `Directory` read API.

use nimbus_core::{
    AwsError, Ids, ManualClock, Principal, PrincipalKind, RequestContext, Timestamp,
};
use nimbus_store::Store;
use nimbus_wire::ResetStep;
use std::sync::Arc;
use svc_iam::generated::*;
use svc_iam::Iam;

const ACCOUNT: &str = "123456789012";
const DOC: &str =
    r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#;
const TRUST: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}}"#;

fn ctx_in(region: &str) -> RequestContext {
    RequestContext {
        request_id: "req-1".into(),
        principal: Principal::root(ACCOUNT, "AKIDEXAMPLE").into(),
        region: region.into(),
        now: Timestamp::from_secs(1_700_000_000),
        host: "localhost".into(),
        source_ip: None,
    }
}

fn ctx() -> RequestContext {
    ctx_in("us-east-1")
}

fn iam_over(store: Store, seed: u64) -> Iam {
    let clock = Arc::new(ManualClock::new(Timestamp::from_secs(1_700_000_000)));
    Iam::load(store, clock, Arc::new(Ids::from_seed(seed))).expect("load IAM")
}

fn iam() -> Iam {
    iam_over(Store::in_memory(), 1)
}

fn code<T: std::fmt::Debug>(r: Result<T, AwsError>) -> String {
    r.expect_err("expected an error").code.to_string()
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
    .expect("create user")
    .user
    .expect("user")
}

async fn policy(iam: &Iam, name: &str) -> String {
    iam.create_policy(
        &ctx(),
        CreatePolicyRequest {
            policy_name: name.into(),
            policy_document: DOC.into(),
            ..Default::default()
        },
    )
    .await
    .expect("create policy")
    .policy
    .and_then(|p| p.arn)
    .expect("arn")
}

#[tokio::test]
async fn users_are_unique_case_insensitively_and_global() {
    let iam = iam();
    let u = user(&iam, "Alice").await;
    assert!(u.user_id.starts_with("AIDA") && u.user_id.len() == 21);
    assert_eq!(u.arn, format!("arn:aws:iam::{ACCOUNT}:user/Alice"));
    let dup = iam
        .create_user(
            &ctx_in("eu-west-1"),
            CreateUserRequest {
                user_name: "alice".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(dup.code, "EntityAlreadyExists");
    assert_eq!(dup.message, "User with name alice already exists.");
    // Any region sees the same user.
    let got = iam
        .get_user(
            &ctx_in("ap-northeast-2"),
            GetUserRequest {
                user_name: Some("ALICE".into()),
            },
        )
        .await
        .unwrap();
    assert_eq!(got.user.user_name, "Alice");
    let missing = iam
        .get_user(
            &ctx(),
            GetUserRequest {
                user_name: Some("bob".into()),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        (missing.code.as_ref(), missing.message.as_str()),
        ("NoSuchEntity", "The user with name bob cannot be found.")
    );
    let bad = iam
        .create_user(
            &ctx(),
            CreateUserRequest {
                user_name: "has space".into(),
                path: Some("nopath".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(bad.code, "ValidationError");
    assert!(bad.message.starts_with("2 validation errors detected"));
}

#[tokio::test]
async fn list_users_pages_with_markers() {
    let iam = iam();
    for n in ["d", "a", "c", "b", "e"] {
        user(&iam, n).await;
    }
    let mut seen = Vec::new();
    let mut marker = None;
    loop {
        let page = iam
            .list_users(
                &ctx(),
                ListUsersRequest {
                    marker: marker.clone(),
                    max_items: Some(2),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        seen.extend(page.users.into_iter().map(|u| u.user_name));
        if page.is_truncated != Some(true) {
            break;
        }
        marker = page.marker;
    }
    assert_eq!(seen, ["a", "b", "c", "d", "e"]);
}

#[tokio::test]
async fn access_keys_two_per_user_and_delete_conflicts() {
    let iam = iam();
    user(&iam, "bob").await;
    let c = ctx();
    let mk = || {
        iam.create_access_key(
            &c,
            CreateAccessKeyRequest {
                user_name: Some("bob".into()),
            },
        )
    };
    let k1 = mk().await.unwrap().access_key;
    assert!(k1.access_key_id.starts_with("AKIA") && k1.access_key_id.len() == 20);
    assert_eq!(k1.secret_access_key.len(), 40);
    mk().await.unwrap();
    let third = mk().await.unwrap_err();
    assert_eq!(third.code, "LimitExceeded");
    assert_eq!(
        third.message,
        "Cannot exceed quota for AccessKeysPerUser: 2"
    );
    let del = iam
        .delete_user(
            &ctx(),
            DeleteUserRequest {
                user_name: "bob".into(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(del.code, "DeleteConflict");
    iam.update_access_key(
        &ctx(),
        UpdateAccessKeyRequest {
            user_name: Some("bob".into()),
            access_key_id: k1.access_key_id.clone(),
            status: "Inactive".into(),
        },
    )
    .await
    .unwrap();
    let d = iam.directory();
    let who = d.access_key(&k1.access_key_id).unwrap();
    assert_eq!(who.user_name.as_deref(), Some("bob"));
    assert_eq!(who.arn, format!("arn:aws:iam::{ACCOUNT}:user/bob"));
    assert_eq!(who.secret, k1.secret_access_key);
    assert!(!who.active);
    let last = iam
        .get_access_key_last_used(
            &ctx(),
            GetAccessKeyLastUsedRequest {
                access_key_id: k1.access_key_id.clone(),
            },
        )
        .await
        .unwrap();
    assert_eq!(last.access_key_last_used.unwrap().service_name, "N/A");
    // Without UserName, the root acts on its own keys.
    let root_key = iam
        .create_access_key(&ctx(), CreateAccessKeyRequest { user_name: None })
        .await
        .unwrap();
    let root = d.access_key(&root_key.access_key.access_key_id).unwrap();
    assert_eq!(root.arn, format!("arn:aws:iam::{ACCOUNT}:root"));
    assert_eq!(root.user_id, ACCOUNT);
}

#[tokio::test]
async fn a_user_lists_its_own_keys_without_a_name() {
    let iam = iam();
    let u = user(&iam, "carol").await;
    let mut c = ctx();
    c.principal = Arc::new(Principal {
        kind: PrincipalKind::User,
        account_id: ACCOUNT.into(),
        arn: u.arn.clone(),
        user_id: u.user_id.clone(),
        access_key_id: "AKIAEXAMPLE".into(),
    });
    iam.create_access_key(&c, CreateAccessKeyRequest { user_name: None })
        .await
        .unwrap();
    let keys = iam
        .list_access_keys(&c, ListAccessKeysRequest::default())
        .await
        .unwrap();
    assert_eq!(keys.access_key_metadata.len(), 1);
    assert_eq!(
        keys.access_key_metadata[0].user_name.as_deref(),
        Some("carol")
    );
}

#[tokio::test]
async fn policy_versions_limits_and_delete_rules() {
    let iam = iam();
    let arn = policy(&iam, "P").await;
    for _ in 0..4 {
        iam.create_policy_version(
            &ctx(),
            CreatePolicyVersionRequest {
                policy_arn: arn.clone(),
                policy_document: DOC.into(),
                set_as_default: Some(true),
            },
        )
        .await
        .unwrap();
    }
    let sixth = iam
        .create_policy_version(
            &ctx(),
            CreatePolicyVersionRequest {
                policy_arn: arn.clone(),
                policy_document: DOC.into(),
                set_as_default: None,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(sixth.code, "LimitExceeded");
    let got = iam
        .get_policy(
            &ctx(),
            GetPolicyRequest {
                policy_arn: arn.clone(),
            },
        )
        .await
        .unwrap()
        .policy
        .unwrap();
    assert_eq!(got.default_version_id.as_deref(), Some("v5"));
    let e = iam
        .delete_policy_version(
            &ctx(),
            DeletePolicyVersionRequest {
                policy_arn: arn.clone(),
                version_id: "v5".into(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(e.message, "Cannot delete the default version of a policy.");
    assert_eq!(
        code(
            iam.delete_policy(
                &ctx(),
                DeletePolicyRequest {
                    policy_arn: arn.clone()
                }
            )
            .await
        ),
        "DeleteConflict"
    );
    for v in ["v1", "v2", "v3", "v4"] {
        iam.delete_policy_version(
            &ctx(),
            DeletePolicyVersionRequest {
                policy_arn: arn.clone(),
                version_id: v.into(),
            },
        )
        .await
        .unwrap();
    }
    // A new version after deletions keeps counting: ids are never reused.
    let v6 = iam
        .create_policy_version(
            &ctx(),
            CreatePolicyVersionRequest {
                policy_arn: arn.clone(),
                policy_document: DOC.into(),
                set_as_default: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(v6.policy_version.unwrap().version_id.as_deref(), Some("v6"));
    let bad = iam
        .create_policy(
            &ctx(),
            CreatePolicyRequest {
                policy_name: "Bad".into(),
                policy_document: r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}}"#.into(),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(bad.code, "MalformedPolicyDocument");
    assert_eq!(
        bad.message,
        "Policy document should not specify a principal."
    );
}

#[tokio::test]
async fn attachments_cap_at_ten_and_block_deletes() {
    let iam = iam();
    user(&iam, "dave").await;
    let mut arns = Vec::new();
    for i in 0..11 {
        arns.push(policy(&iam, &format!("P{i}")).await);
    }
    for a in &arns[..10] {
        iam.attach_user_policy(
            &ctx(),
            AttachUserPolicyRequest {
                user_name: "dave".into(),
                policy_arn: a.clone(),
            },
        )
        .await
        .unwrap();
    }
    let e = iam
        .attach_user_policy(
            &ctx(),
            AttachUserPolicyRequest {
                user_name: "dave".into(),
                policy_arn: arns[10].clone(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(e.message, "Cannot exceed quota for PoliciesPerUser: 10");
    let e = iam
        .delete_policy(
            &ctx(),
            DeletePolicyRequest {
                policy_arn: arns[0].clone(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(e.message, "Cannot delete a policy attached to entities.");
    let e = iam
        .attach_user_policy(
            &ctx(),
            AttachUserPolicyRequest {
                user_name: "dave".into(),
                policy_arn: "arn:aws:iam::aws:policy/NoSuchThing".into(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(e.code, "NoSuchEntity");
    let ents = iam
        .list_entities_for_policy(
            &ctx(),
            ListEntitiesForPolicyRequest {
                policy_arn: arns[0].clone(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        ents.policy_users.unwrap()[0].user_name.as_deref(),
        Some("dave")
    );
}

#[tokio::test]
async fn inline_policies_have_aggregate_size_limits() {
    let iam = iam();
    user(&iam, "erin").await;
    let actions: Vec<String> = (0..60).map(|i| format!("\"s3:GetObject{i:02}\"")).collect();
    let big = format!(
        r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":[{}],"Resource":"*"}}}}"#,
        actions.join(",")
    );
    let c = ctx();
    let put = |name: &str| {
        iam.put_user_policy(
            &c,
            PutUserPolicyRequest {
                user_name: "erin".into(),
                policy_name: name.into(),
                policy_document: big.clone(),
            },
        )
    };
    put("one").await.unwrap();
    put("one").await.unwrap(); // replacing does not double-count
    let e = put("two").await.unwrap_err();
    assert_eq!(e.code, "LimitExceeded");
    assert_eq!(
        e.message,
        "Maximum policy size of 2048 bytes exceeded for user erin"
    );
    let got = iam
        .get_user_policy(
            &ctx(),
            GetUserPolicyRequest {
                user_name: "erin".into(),
                policy_name: "one".into(),
            },
        )
        .await
        .unwrap();
    assert!(got.policy_document.starts_with("%7B%22Version%22"));
    let e = iam
        .get_user_policy(
            &ctx(),
            GetUserPolicyRequest {
                user_name: "erin".into(),
                policy_name: "nope".into(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(e.message, "The user policy with name nope cannot be found.");
}

#[tokio::test]
async fn roles_session_duration_and_trust() {
    let iam = iam();
    let r = iam
        .create_role(
            &ctx(),
            CreateRoleRequest {
                role_name: "app".into(),
                assume_role_policy_document: TRUST.into(),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .role;
    assert!(r.role_id.starts_with("AROA"));
    assert_eq!(r.max_session_duration, Some(3600));
    let e = iam
        .create_role(
            &ctx(),
            CreateRoleRequest {
                role_name: "app2".into(),
                assume_role_policy_document: TRUST.into(),
                max_session_duration: Some(50_000),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(e.code, "ValidationError");
    let e = iam
        .create_role(
            &ctx(),
            CreateRoleRequest {
                role_name: "app3".into(),
                assume_role_policy_document: DOC.into(),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(e.code, "MalformedPolicyDocument");
    iam.attach_role_policy(
        &ctx(),
        AttachRolePolicyRequest {
            role_name: "app".into(),
            policy_arn: "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess".into(),
        },
    )
    .await
    .unwrap();
    iam.put_role_permissions_boundary(
        &ctx(),
        PutRolePermissionsBoundaryRequest {
            role_name: "app".into(),
            permissions_boundary: "arn:aws:iam::aws:policy/PowerUserAccess".into(),
        },
    )
    .await
    .unwrap();
    let info = iam.directory().role_by_arn(&r.arn).unwrap();
    assert_eq!(info.role_id, r.role_id);
    assert_eq!(info.max_session_duration, 3600);
    assert_eq!(info.policies.len(), 1);
    assert!(info.trust.policy.statements().len() == 1);
    assert_eq!(
        info.boundary.as_ref().unwrap().source,
        "arn:aws:iam::aws:policy/PowerUserAccess"
    );
    assert_eq!(
        code(
            iam.delete_role(
                &ctx(),
                DeleteRoleRequest {
                    role_name: "app".into()
                }
            )
            .await
        ),
        "DeleteConflict"
    );
}

#[tokio::test]
async fn directory_gathers_user_and_group_policies() {
    let iam = iam();
    user(&iam, "frank").await;
    iam.create_group(
        &ctx(),
        CreateGroupRequest {
            group_name: "devs".into(),
            path: None,
        },
    )
    .await
    .unwrap();
    iam.add_user_to_group(
        &ctx(),
        AddUserToGroupRequest {
            group_name: "DEVS".into(),
            user_name: "frank".into(),
        },
    )
    .await
    .unwrap();
    let own = policy(&iam, "Own").await;
    iam.attach_user_policy(
        &ctx(),
        AttachUserPolicyRequest {
            user_name: "frank".into(),
            policy_arn: own.clone(),
        },
    )
    .await
    .unwrap();
    iam.attach_group_policy(
        &ctx(),
        AttachGroupPolicyRequest {
            group_name: "devs".into(),
            policy_arn: "arn:aws:iam::aws:policy/IAMReadOnlyAccess".into(),
        },
    )
    .await
    .unwrap();
    iam.put_group_policy(
        &ctx(),
        PutGroupPolicyRequest {
            group_name: "devs".into(),
            policy_name: "inl".into(),
            policy_document: DOC.into(),
        },
    )
    .await
    .unwrap();
    let p = iam.directory().user_policies(ACCOUNT, "frank").unwrap();
    let sources: Vec<&str> = p.identity.iter().map(|n| n.source.as_str()).collect();
    assert_eq!(
        sources,
        [
            own.as_str(),
            "arn:aws:iam::aws:policy/IAMReadOnlyAccess",
            &format!("arn:aws:iam::{ACCOUNT}:group/devs#inline/inl"),
        ]
    );
    assert!(p.boundary.is_none());
    assert!(iam.directory().user_policies(ACCOUNT, "nobody").is_none());
    assert_eq!(
        code(
            iam.delete_group(
                &ctx(),
                DeleteGroupRequest {
                    group_name: "devs".into()
                }
            )
            .await
        ),
        "DeleteConflict"
    );
}

#[tokio::test]
async fn state_survives_a_new_service_and_reset_wipes_it() {
    let store = Store::in_memory();
    let first = iam_over(store.clone(), 1);
    let u = user(&first, "gina").await;
    let arn = policy(&first, "Keep").await;
    first
        .attach_user_policy(
            &ctx(),
            AttachUserPolicyRequest {
                user_name: "gina".into(),
                policy_arn: arn.clone(),
            },
        )
        .await
        .unwrap();
    let key = first
        .create_access_key(
            &ctx(),
            CreateAccessKeyRequest {
                user_name: Some("gina".into()),
            },
        )
        .await
        .unwrap()
        .access_key;
    drop(first);
    let second = iam_over(store.clone(), 2);
    let got = second
        .get_user(
            &ctx(),
            GetUserRequest {
                user_name: Some("gina".into()),
            },
        )
        .await
        .unwrap();
    assert_eq!(got.user.user_id, u.user_id);
    assert_eq!(
        second
            .directory()
            .access_key(&key.access_key_id)
            .unwrap()
            .secret,
        key.secret_access_key
    );
    let attached = second
        .list_attached_user_policies(
            &ctx(),
            ListAttachedUserPoliciesRequest {
                user_name: "gina".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        attached.attached_policies.unwrap()[0].policy_arn.as_deref(),
        Some(arn.as_str())
    );
    let wipe_store = store.clone();
    let then: ResetStep<'_> = Box::pin(async move {
        wipe_store
            .wipe_async()
            .await
            .map_err(|e| nimbus_wire::ResetError(e.to_string()))
    });
    second.reset(then).await.unwrap();
    assert_eq!(
        code(
            second
                .get_user(
                    &ctx(),
                    GetUserRequest {
                        user_name: Some("gina".into()),
                    },
                )
                .await
        ),
        "NoSuchEntity"
    );
    assert!(second.directory().access_key(&key.access_key_id).is_none());
    let third = iam_over(store, 3);
    assert!(third.directory().user_policies(ACCOUNT, "gina").is_none());
}

/// The directory hands out the same parsed policies until IAM changes, and fresh ones after
/// any change that could matter: a new version of a group's customer policy, a detach, a
/// role's trust policy, the password policy. (No document is parsed per request.)
#[tokio::test]
async fn the_directory_caches_parsed_policies_until_a_change() {
    let iam = iam();
    let d = iam.directory();
    user(&iam, "cache").await;
    iam.create_group(
        &ctx(),
        CreateGroupRequest {
            group_name: "g".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    iam.add_user_to_group(
        &ctx(),
        AddUserToGroupRequest {
            group_name: "g".into(),
            user_name: "cache".into(),
        },
    )
    .await
    .unwrap();
    let arn = iam
        .create_policy(
            &ctx(),
            CreatePolicyRequest {
                policy_name: "p".into(),
                policy_document: DOC.into(),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .policy
        .unwrap()
        .arn
        .unwrap();
    iam.attach_group_policy(
        &ctx(),
        AttachGroupPolicyRequest {
            group_name: "g".into(),
            policy_arn: arn.clone(),
        },
    )
    .await
    .unwrap();
    let read_only = "arn:aws:iam::aws:policy/ReadOnlyAccess".to_string();
    iam.attach_user_policy(
        &ctx(),
        AttachUserPolicyRequest {
            user_name: "cache".into(),
            policy_arn: read_only.clone(),
        },
    )
    .await
    .unwrap();

    let first = d.user_policies(ACCOUNT, "cache").unwrap();
    let again = d.user_policies(ACCOUNT, "cache").unwrap();
    assert!(
        Arc::ptr_eq(&first, &again),
        "an unchanged user is served from the cache"
    );
    let actions = |p: &svc_iam::PrincipalPolicies, i: usize| {
        format!("{:?}", p.identity[i].policy.statements()[0])
    };
    assert!(actions(&first, 1).contains("s3:*"));
    assert!(!first.may_change_password);

    // A new default version of the group's policy is seen at once.
    let ec2 = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ec2:*","Resource":"*"}}"#;
    iam.create_policy_version(
        &ctx(),
        CreatePolicyVersionRequest {
            policy_arn: arn.clone(),
            policy_document: ec2.into(),
            set_as_default: Some(true),
        },
    )
    .await
    .unwrap();
    let after = d.user_policies(ACCOUNT, "cache").unwrap();
    assert!(!Arc::ptr_eq(&first, &after));
    assert!(actions(&after, 1).contains("ec2:*") && !actions(&after, 1).contains("s3:*"));
    // The AWS managed policy's parse is shared between the two builds (parsed once ever).
    assert!(Arc::ptr_eq(
        &first.identity[0].policy,
        &after.identity[0].policy
    ));

    // Detaching drops it; the password policy's change-your-password grant appears.
    iam.detach_user_policy(
        &ctx(),
        DetachUserPolicyRequest {
            user_name: "cache".into(),
            policy_arn: read_only,
        },
    )
    .await
    .unwrap();
    iam.update_account_password_policy(
        &ctx(),
        UpdateAccountPasswordPolicyRequest {
            allow_users_to_change_password: Some(true),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let last = d.user_policies(ACCOUNT, "cache").unwrap();
    assert_eq!(last.identity.len(), 1);
    assert!(last.may_change_password);

    // Roles too: a new trust policy replaces the cached one.
    let role = iam
        .create_role(
            &ctx(),
            CreateRoleRequest {
                role_name: "r".into(),
                assume_role_policy_document: TRUST.into(),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .role
        .arn;
    let r1 = d.role_by_arn(&role).unwrap();
    assert!(Arc::ptr_eq(&r1, &d.role_by_arn(&role).unwrap()));
    let lambda = TRUST.replace("ec2.amazonaws.com", "lambda.amazonaws.com");
    iam.update_assume_role_policy(
        &ctx(),
        UpdateAssumeRolePolicyRequest {
            role_name: "r".into(),
            policy_document: lambda,
        },
    )
    .await
    .unwrap();
    let r2 = d.role_by_arn(&role).unwrap();
    assert!(!Arc::ptr_eq(&r1, &r2));
    assert!(format!("{:?}", r2.trust.policy).contains("lambda.amazonaws.com"));
    // And a deleted user is gone, not served stale.
    iam.remove_user_from_group(
        &ctx(),
        RemoveUserFromGroupRequest {
            group_name: "g".into(),
            user_name: "cache".into(),
        },
    )
    .await
    .unwrap();
    iam.delete_user(
        &ctx(),
        DeleteUserRequest {
            user_name: "cache".into(),
        },
    )
    .await
    .unwrap();
    assert!(d.user_policies(ACCOUNT, "cache").is_none());
}
