//! Policy variables in `Resource`, `NotResource` and condition values, with the examples of
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html>.

mod common;

use common::*;
use nimbus_iam_policy::*;

fn bob_ctx() -> Context {
    Context::for_principal(&user("bob"))
}

#[test]
fn username_in_resource() {
    let p = identity(
        r#"{"Version":"2012-10-17","Statement":[
            {"Action":["s3:ListBucket"],"Effect":"Allow","Resource":["arn:aws:s3:::mybucket"],
             "Condition":{"StringLike":{"s3:prefix":["${aws:username}/*"]}}},
            {"Action":["s3:GetObject","s3:PutObject"],"Effect":"Allow",
             "Resource":["arn:aws:s3:::mybucket/${aws:username}/*"]}]}"#,
    );
    let bob = user("bob");
    let ctx = bob_ctx();
    assert_eq!(
        decide(
            &[&p],
            &bob,
            "s3:GetObject",
            "arn:aws:s3:::mybucket/bob/a.txt",
            &ctx
        ),
        Decision::Allow
    );
    assert_eq!(
        decide(
            &[&p],
            &bob,
            "s3:PutObject",
            "arn:aws:s3:::mybucket/alice/a.txt",
            &ctx
        ),
        Decision::ImplicitDeny
    );
    let list = ctx.clone().with("s3:prefix", "bob/photos");
    assert_eq!(
        decide(&[&p], &bob, "s3:ListBucket", "arn:aws:s3:::mybucket", &list),
        Decision::Allow
    );
    let other = ctx.with("s3:prefix", "alice/");
    assert_eq!(
        decide(
            &[&p],
            &bob,
            "s3:ListBucket",
            "arn:aws:s3:::mybucket",
            &other
        ),
        Decision::ImplicitDeny
    );
}

#[test]
fn own_access_keys_only() {
    let p = identity(
        r#"{"Version":"2012-10-17","Statement":[{"Action":["iam:*AccessKey*"],"Effect":"Allow",
            "Resource":["arn:aws:iam::111122223333:user/${aws:username}"]}]}"#,
    );
    let ctx = bob_ctx();
    let bob = user("bob");
    assert_eq!(
        decide(
            &[&p],
            &bob,
            "iam:CreateAccessKey",
            "arn:aws:iam::111122223333:user/bob",
            &ctx
        ),
        Decision::Allow
    );
    assert_eq!(
        decide(
            &[&p],
            &bob,
            "iam:CreateAccessKey",
            "arn:aws:iam::111122223333:user/alice",
            &ctx
        ),
        Decision::ImplicitDeny
    );
}

#[test]
fn legacy_version_treats_variables_as_text() {
    // "If you don't include the Version element [...] variables like ${aws:username} are
    // treated as literal strings in the policy."
    let p = identity(
        r#"{"Statement":[{"Action":"s3:GetObject","Effect":"Allow","Resource":"arn:aws:s3:::mybucket/${aws:username}/*"}]}"#,
    );
    let ctx = bob_ctx();
    let bob = user("bob");
    assert_eq!(
        decide(
            &[&p],
            &bob,
            "s3:GetObject",
            "arn:aws:s3:::mybucket/bob/a",
            &ctx
        ),
        Decision::ImplicitDeny
    );
    assert_eq!(
        decide(
            &[&p],
            &bob,
            "s3:GetObject",
            "arn:aws:s3:::mybucket/${aws:username}/a",
            &ctx
        ),
        Decision::Allow
    );
}

#[test]
fn role_sessions_have_no_username() {
    // aws:username is present only for IAM users: for a role the variable has no value and
    // the resource matches nothing.
    let p = identity(
        r#"{"Version":"2012-10-17","Statement":{"Action":"s3:*","Effect":"Allow","Resource":"arn:aws:s3:::mybucket/${aws:username}/*"}}"#,
    );
    let s = role_session("app", "bob");
    let ctx = Context::for_principal(&s);
    assert_eq!(
        decide(
            &[&p],
            &s,
            "s3:GetObject",
            "arn:aws:s3:::mybucket/bob/a",
            &ctx
        ),
        Decision::ImplicitDeny
    );
    assert_eq!(
        decide(&[&p], &s, "s3:GetObject", "arn:aws:s3:::mybucket//a", &ctx),
        Decision::ImplicitDeny
    );
}

#[test]
fn userid_of_a_role_session() {
    let p = identity(
        r#"{"Version":"2012-10-17","Statement":{"Action":"s3:*","Effect":"Allow","Resource":"arn:aws:s3:::home/${aws:userid}/*"}}"#,
    );
    let s = role_session("app", "alice");
    let ctx = Context::for_principal(&s);
    assert_eq!(
        decide(
            &[&p],
            &s,
            "s3:GetObject",
            "arn:aws:s3:::home/AROAEXAMPLEROLE00001:alice/x",
            &ctx
        ),
        Decision::Allow
    );
}

#[test]
fn principal_tag_with_default() {
    // "Resource":"arn:aws:s3:::DOC-EXAMPLE-BUCKET-${aws:PrincipalTag/team, 'company-wide'}"
    let p = identity(
        r#"{"Version":"2012-10-17","Statement":{"Action":"s3:*","Effect":"Allow","Resource":"arn:aws:s3:::DOC-EXAMPLE-BUCKET-${aws:PrincipalTag/team, 'company-wide'}"}}"#,
    );
    let bob = user("bob");
    let yellow = bob_ctx().with("aws:PrincipalTag/team", "yellow");
    let untagged = bob_ctx();
    let r = |s: &str| format!("arn:aws:s3:::DOC-EXAMPLE-BUCKET-{s}");
    assert_eq!(
        decide(&[&p], &bob, "s3:ListBucket", &r("yellow"), &yellow),
        Decision::Allow
    );
    assert_eq!(
        decide(&[&p], &bob, "s3:ListBucket", &r("blue"), &yellow),
        Decision::ImplicitDeny
    );
    assert_eq!(
        decide(&[&p], &bob, "s3:ListBucket", &r("company-wide"), &yellow),
        Decision::ImplicitDeny
    );
    assert_eq!(
        decide(&[&p], &bob, "s3:ListBucket", &r("company-wide"), &untagged),
        Decision::Allow
    );
}

#[test]
fn tag_matching_between_principal_and_resource() {
    // reference_policies_examples_ec2-start-stop-match-tags.html
    let p = identity(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["ec2:startInstances","ec2:stopInstances"],"Resource":"*",
            "Condition":{"StringEquals":{"aws:ResourceTag/CostCenter":"${aws:PrincipalTag/CostCenter}"}}}}"#,
    );
    let bob = user("bob");
    let ctx = |principal: Option<&str>, resource: Option<&str>| {
        let mut c = bob_ctx();
        if let Some(v) = principal {
            c.set("aws:PrincipalTag/CostCenter", v);
        }
        if let Some(v) = resource {
            c.set("aws:ResourceTag/CostCenter", v);
        }
        c
    };
    assert_eq!(
        decide(
            &[&p],
            &bob,
            "ec2:StartInstances",
            "*",
            &ctx(Some("42"), Some("42"))
        ),
        Decision::Allow
    );
    assert_eq!(
        decide(
            &[&p],
            &bob,
            "ec2:StartInstances",
            "*",
            &ctx(Some("42"), Some("43"))
        ),
        Decision::ImplicitDeny
    );
    assert_eq!(
        decide(
            &[&p],
            &bob,
            "ec2:StartInstances",
            "*",
            &ctx(None, Some("42"))
        ),
        Decision::ImplicitDeny
    );
    assert_eq!(
        decide(
            &[&p],
            &bob,
            "ec2:StopInstances",
            "*",
            &ctx(Some("42"), None)
        ),
        Decision::ImplicitDeny
    );
}

#[test]
fn unresolved_variable_makes_negated_operators_match() {
    // "Inverted condition operators like StringNotEquals or StringNotLike do match against a
    // null value" — the documented Deny when aws:PrincipalTag/Team is not set.
    let p = identity(
        r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"s3:GetObject","Resource":"*"},
            {"Effect":"Deny","Action":"s3:GetObject","Resource":"*",
             "Condition":{"StringNotEquals":{"s3:ExistingObjectTag/Team":"${aws:PrincipalTag/Team}"}}}]}"#,
    );
    let bob = user("bob");
    let tagged = bob_ctx()
        .with("s3:ExistingObjectTag/Team", "red")
        .with("aws:PrincipalTag/Team", "red");
    let other = bob_ctx()
        .with("s3:ExistingObjectTag/Team", "red")
        .with("aws:PrincipalTag/Team", "blue");
    let untagged = bob_ctx().with("s3:ExistingObjectTag/Team", "red");
    assert_eq!(
        decide(&[&p], &bob, "s3:GetObject", "*", &tagged),
        Decision::Allow
    );
    assert_eq!(
        decide(&[&p], &bob, "s3:GetObject", "*", &other),
        Decision::ExplicitDeny
    );
    assert_eq!(
        decide(&[&p], &bob, "s3:GetObject", "*", &untagged),
        Decision::ExplicitDeny
    );
}

#[test]
fn unresolved_variable_in_not_resource() {
    // The NotResource entry with no value matches no resource, so every resource is "not"
    // it and the statement applies.
    let p = identity(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","NotResource":"arn:aws:s3:::private/${aws:username}/*"}}"#,
    );
    let s = role_session("app", "x");
    let ctx = Context::for_principal(&s);
    assert_eq!(
        decide(&[&p], &s, "s3:GetObject", "arn:aws:s3:::private/x/a", &ctx),
        Decision::Allow
    );
    let bob = user("bob");
    assert_eq!(
        decide(
            &[&p],
            &bob,
            "s3:GetObject",
            "arn:aws:s3:::private/bob/a",
            &bob_ctx()
        ),
        Decision::ImplicitDeny
    );
}

#[test]
fn escapes_are_literal_even_in_like() {
    let p = identity(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${*}${?}${$}/*",
            "Condition":{"StringLike":{"s3:prefix":"a${*}"}}}}"#,
    );
    let bob = user("bob");
    let star = bob_ctx().with("s3:prefix", "a*");
    let abc = bob_ctx().with("s3:prefix", "abc");
    assert_eq!(
        decide(&[&p], &bob, "s3:GetObject", "arn:aws:s3:::b/*?$/x", &star),
        Decision::Allow
    );
    assert_eq!(
        decide(&[&p], &bob, "s3:GetObject", "arn:aws:s3:::b/xy$/x", &star),
        Decision::ImplicitDeny
    );
    assert_eq!(
        decide(&[&p], &bob, "s3:GetObject", "arn:aws:s3:::b/*?$/x", &abc),
        Decision::ImplicitDeny
    );
}

#[test]
fn variable_values_are_literal_in_like() {
    // A substituted value never acts as a wildcard, even if it contains one.
    let p = identity(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*",
            "Condition":{"StringLike":{"s3:prefix":"${aws:PrincipalTag/p}/*"}}}}"#,
    );
    let bob = user("bob");
    let sneaky = bob_ctx()
        .with("aws:PrincipalTag/p", "*")
        .with("s3:prefix", "anything/x");
    let honest = bob_ctx()
        .with("aws:PrincipalTag/p", "*")
        .with("s3:prefix", "*/x");
    assert_eq!(
        decide(&[&p], &bob, "s3:GetObject", "*", &sneaky),
        Decision::ImplicitDeny
    );
    assert_eq!(
        decide(&[&p], &bob, "s3:GetObject", "*", &honest),
        Decision::Allow
    );
}

#[test]
fn variables_in_arn_conditions() {
    let p = identity(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sns:Publish","Resource":"*",
            "Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:*:${aws:username}-*"}}}}"#,
    );
    let bob = user("bob");
    let mine = bob_ctx().with("aws:SourceArn", "arn:aws:sns:us-east-1:1:bob-alerts");
    let theirs = bob_ctx().with("aws:SourceArn", "arn:aws:sns:us-east-1:1:eve-alerts");
    assert_eq!(
        decide(&[&p], &bob, "sns:Publish", "*", &mine),
        Decision::Allow
    );
    assert_eq!(
        decide(&[&p], &bob, "sns:Publish", "*", &theirs),
        Decision::ImplicitDeny
    );
}
