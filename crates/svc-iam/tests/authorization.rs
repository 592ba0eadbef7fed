//! What IAM's generated access functions ask the authorizer about request tags
//! (`codegen/authorization/iam.json`): the operations that attach tags carry one
//! `aws:RequestTag/<key>` condition per tag, valued by that tag, and `aws:TagKeys` with every
//! key (<https://docs.aws.amazon.com/IAM/latest/UserGuide/access_iam-tags.html>); without
//! tags, neither key is present.

use nimbus_core::Access;
use nimbus_wire::testing::context;
use svc_iam::generated::*;

fn tag(key: &str, value: &str) -> Tag {
    Tag {
        key: key.into(),
        value: value.into(),
    }
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// Asserts the request-tag conditions of the only access in `a`.
fn assert_tags(a: &[Access], action: &str, resource: &str) {
    assert_eq!(a.len(), 1, "{a:?}");
    assert_eq!(a[0].action, action);
    assert_eq!(a[0].resources, [resource]);
    assert_eq!(
        a[0].condition("aws:RequestTag/team"),
        Some(&strings(&["red"])[..])
    );
    assert_eq!(
        a[0].condition("aws:RequestTag/cost-center"),
        Some(&strings(&["42"])[..])
    );
    assert_eq!(
        a[0].condition("aws:TagKeys"),
        Some(&strings(&["team", "cost-center"])[..])
    );
}

fn no_tag_conditions(a: &[Access]) {
    assert!(
        a[0].conditions
            .iter()
            .all(|(k, _)| !k.starts_with("aws:RequestTag/") && k != "aws:TagKeys"),
        "{a:?}"
    );
}

#[test]
fn tagging_operations_carry_each_request_tag() {
    let ctx = context();
    let tags = || vec![tag("team", "red"), tag("cost-center", "42")];
    let user = "arn:aws:iam::123456789012:user/alice";
    let role = "arn:aws:iam::123456789012:role/deploy";

    let create_user = CreateUserRequest {
        user_name: "alice".into(),
        permissions_boundary: Some("arn:aws:iam::aws:policy/ReadOnlyAccess".into()),
        tags: Some(tags()),
        ..Default::default()
    };
    let a = access::create_user(&ctx, &create_user);
    assert_tags(&a, "iam:CreateUser", user);
    // The boundary key stays alongside the tag keys, in file order.
    assert_eq!(
        a[0].conditions.first().map(|(k, _)| k.as_ref()),
        Some("iam:PermissionsBoundary")
    );
    let untagged = CreateUserRequest {
        tags: None,
        ..create_user
    };
    no_tag_conditions(&access::create_user(&ctx, &untagged));

    let tag_user = TagUserRequest {
        user_name: "alice".into(),
        tags: tags(),
    };
    assert_tags(&access::tag_user(&ctx, &tag_user), "iam:TagUser", user);

    let create_role = CreateRoleRequest {
        role_name: "deploy".into(),
        assume_role_policy_document: "{}".into(),
        tags: Some(tags()),
        ..Default::default()
    };
    assert_tags(
        &access::create_role(&ctx, &create_role),
        "iam:CreateRole",
        role,
    );
    let empty = CreateRoleRequest {
        tags: Some(Vec::new()),
        ..create_role
    };
    no_tag_conditions(&access::create_role(&ctx, &empty));

    let tag_role = TagRoleRequest {
        role_name: "deploy".into(),
        tags: tags(),
    };
    assert_tags(&access::tag_role(&ctx, &tag_role), "iam:TagRole", role);

    let create_policy = CreatePolicyRequest {
        policy_name: "p".into(),
        policy_document: "{}".into(),
        tags: Some(tags()),
        ..Default::default()
    };
    assert_tags(
        &access::create_policy(&ctx, &create_policy),
        "iam:CreatePolicy",
        "arn:aws:iam::123456789012:policy/p",
    );
    no_tag_conditions(&access::create_policy(
        &ctx,
        &CreatePolicyRequest {
            tags: None,
            ..create_policy
        },
    ));
}
