//! Resource-based and trust policies: how the principal they name changes the decision
//! within one account, cross-account access, role trust, the root user, anonymous callers
//! and NotPrincipal — per
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html#policy-eval-denyallow>
//! and <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html>.

mod common;

use common::*;
use nimbus_iam_policy::*;

#[test]
fn same_account_resource_policy_by_principal_kind() {
    // reference_policies_evaluation-logic.html: resource-based policies and implicit denies
    // in other policy types, within one account.
    let boundary_ec2 = parse(
        PolicyKind::Managed,
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ec2:*","Resource":"*"}}"#,
    );
    let session_ec2 = parse(
        PolicyKind::Session,
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ec2:*","Resource":"*"}}"#,
    );
    let bob = user("bob");
    let s = role_session("app", "alice");
    let f = federated("fed", "bob");

    // (requester, principal named in the bucket policy, boundary?, session policy?, expected)
    let rows: Vec<(&Principal, String, bool, bool, Decision)> = vec![
        // IAM user named directly: not limited by identity policies or the boundary.
        (&bob, bob.arn(), false, false, Decision::Allow),
        (&bob, bob.arn(), true, false, Decision::Allow),
        // Account named: delegation only, the (empty) identity policies decide.
        (
            &bob,
            ACCOUNT.to_string(),
            false,
            false,
            Decision::ImplicitDeny,
        ),
        (
            &bob,
            format!("arn:aws:iam::{ACCOUNT}:root"),
            false,
            false,
            Decision::ImplicitDeny,
        ),
        // Role session named directly: limited by nothing.
        (&s, s.arn(), true, true, Decision::Allow),
        // Role named: not limited by identity policies, limited by boundary and session policy.
        (
            &s,
            format!("arn:aws:iam::{ACCOUNT}:role/app"),
            false,
            false,
            Decision::Allow,
        ),
        (
            &s,
            format!("arn:aws:iam::{ACCOUNT}:role/app"),
            true,
            false,
            Decision::ImplicitDeny,
        ),
        (
            &s,
            format!("arn:aws:iam::{ACCOUNT}:role/app"),
            false,
            true,
            Decision::ImplicitDeny,
        ),
        // Role named by unique ID (what IAM stores once the role is gone).
        (
            &s,
            "AROAEXAMPLEROLE00001".to_string(),
            false,
            false,
            Decision::Allow,
        ),
        // Federated session named directly: limited by nothing.
        (&f, f.arn(), true, true, Decision::Allow),
        // The IAM user who federated named: limited by boundary and session policy (a
        // federated session without a session policy counts as limited).
        (&f, bob.arn(), false, true, Decision::ImplicitDeny),
        (&f, bob.arn(), false, false, Decision::ImplicitDeny),
        // Everyone: "For IAM users and role principals within your account, no other
        // permissions are required."
        (&bob, "*".to_string(), true, false, Decision::Allow),
    ];
    for (who, named, with_boundary, with_session, want) in rows {
        let principal = if named == "*" {
            "\"*\"".to_string()
        } else {
            format!(r#"{{"AWS":"{named}"}}"#)
        };
        let bucket = bucket_policy(&principal, "Allow");
        let mut c = Case::new(who, "s3:GetObject", OBJECT);
        c.resource_policy = Some((&bucket, ResourcePolicyKind::Resource));
        c.boundary = with_boundary.then_some(&boundary_ec2);
        if with_session {
            c.session = vec![&session_ec2];
        }
        let e = c.run();
        assert_eq!(
            e.decision,
            want,
            "{} named {named} (boundary {with_boundary}, session {with_session})",
            who.arn()
        );
        if want == Decision::Allow {
            assert_eq!(e.policy_type, Some(PolicyType::ResourceBased));
            assert_eq!(e.statement.unwrap().sid.as_deref(), Some("Bucket"));
        }
    }
}

#[test]
fn federated_session_allowed_through_federator_within_limits() {
    let session_s3 = parse(
        PolicyKind::Session,
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#,
    );
    let f = federated("fed", "bob");
    let bucket = bucket_policy(
        &format!(r#"{{"AWS":"arn:aws:iam::{ACCOUNT}:user/bob"}}"#),
        "Allow",
    );
    let mut c = Case::new(&f, "s3:GetObject", OBJECT);
    c.resource_policy = Some((&bucket, ResourcePolicyKind::Resource));
    c.session = vec![&session_s3];
    assert_eq!(c.run().decision, Decision::Allow);
}

#[test]
fn cross_account_needs_both_sides() {
    let alice = Principal::user(
        OTHER_ACCOUNT,
        &format!("arn:aws:iam::{OTHER_ACCOUNT}:user/alice"),
    );
    let her_policy = identity(ALLOW_ALL_S3);
    let to_alice = bucket_policy(&format!(r#"{{"AWS":"{}"}}"#, alice.arn()), "Allow");
    let to_account = bucket_policy(&format!(r#"{{"AWS":"{OTHER_ACCOUNT}"}}"#), "Allow");
    let to_someone_else = bucket_policy(r#"{"AWS":"999999999999"}"#, "Allow");
    let run = |identity: Vec<&Policy>, resource: Option<&Policy>| {
        let mut c = Case::new(&alice, "s3:GetObject", OBJECT);
        c.resource_account = Some(ACCOUNT);
        c.identity = identity;
        c.resource_policy = resource.map(|p| (p, ResourcePolicyKind::Resource));
        let e = c.run();
        (e.decision, e.policy_type)
    };
    assert_eq!(
        run(vec![&her_policy], Some(&to_alice)),
        (Decision::Allow, Some(PolicyType::IdentityBased))
    );
    assert_eq!(
        run(vec![&her_policy], Some(&to_account)),
        (Decision::Allow, Some(PolicyType::IdentityBased))
    );
    assert_eq!(
        run(vec![], Some(&to_alice)),
        (Decision::ImplicitDeny, Some(PolicyType::IdentityBased))
    );
    assert_eq!(
        run(vec![&her_policy], None),
        (Decision::ImplicitDeny, Some(PolicyType::ResourceBased))
    );
    assert_eq!(
        run(vec![&her_policy], Some(&to_someone_else)),
        (Decision::ImplicitDeny, Some(PolicyType::ResourceBased))
    );
    // Naming the owner's own account stated explicitly is same-account delegation: the
    // user still needs an identity-based allow; naming the user directly is enough.
    let bob = user("bob");
    let own_account = bucket_policy(&format!(r#"{{"AWS":"{ACCOUNT}"}}"#), "Allow");
    let to_bob = bucket_policy(&format!(r#"{{"AWS":"{}"}}"#, bob.arn()), "Allow");
    let mut c = Case::new(&bob, "s3:GetObject", OBJECT);
    c.resource_account = Some(ACCOUNT);
    c.resource_policy = Some((&own_account, ResourcePolicyKind::Resource));
    assert_eq!(c.run().decision, Decision::ImplicitDeny);
    c.resource_policy = Some((&to_bob, ResourcePolicyKind::Resource));
    assert_eq!(c.run().decision, Decision::Allow);
    // Across accounts, naming the user directly is not enough without her identity side.
    let mut c = Case::new(&alice, "s3:GetObject", OBJECT);
    c.resource_account = Some(ACCOUNT);
    c.resource_policy = Some((&to_alice, ResourcePolicyKind::Resource));
    assert_eq!(c.run().decision, Decision::ImplicitDeny);
}

#[test]
fn role_trust_policy_must_allow() {
    let role_arn = format!("arn:aws:iam::{ACCOUNT}:role/app");
    let bob = user("bob");
    let assume = identity(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}}"#,
    );
    let trust_account = parse(
        PolicyKind::RoleTrust,
        &format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:root"}},"Action":"sts:AssumeRole"}}}}"#
        ),
    );
    let trust_bob = parse(
        PolicyKind::RoleTrust,
        &format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Principal":{{"AWS":"{}"}},"Action":"sts:AssumeRole"}}}}"#,
            bob.arn()
        ),
    );
    let trust_ec2 = parse(
        PolicyKind::RoleTrust,
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}}"#,
    );
    let run = |who: &Principal, identity: Vec<&Policy>, trust: &Policy| {
        let mut c = Case::new(who, "sts:AssumeRole", &role_arn);
        c.identity = identity;
        c.resource_policy = Some((trust, ResourcePolicyKind::RoleTrust));
        let e = c.run();
        (e.decision, e.policy_type)
    };
    // Account trusted: the user also needs sts:AssumeRole in an identity policy.
    assert_eq!(
        run(&bob, vec![&assume], &trust_account),
        (Decision::Allow, Some(PolicyType::IdentityBased))
    );
    assert_eq!(
        run(&bob, vec![], &trust_account),
        (Decision::ImplicitDeny, Some(PolicyType::IdentityBased))
    );
    // User trusted by ARN: the trust policy alone is enough.
    assert_eq!(
        run(&bob, vec![], &trust_bob),
        (Decision::Allow, Some(PolicyType::RoleTrust))
    );
    // Not trusted: an identity allow is not enough.
    assert_eq!(
        run(&bob, vec![&assume], &trust_ec2),
        (Decision::ImplicitDeny, Some(PolicyType::RoleTrust))
    );
    // The EC2 service assuming its role.
    let ec2 = Principal::service("ec2.amazonaws.com");
    assert_eq!(
        run(&ec2, vec![], &trust_ec2),
        (Decision::Allow, Some(PolicyType::RoleTrust))
    );
    let lambda = Principal::service("lambda.amazonaws.com");
    assert_eq!(
        run(&lambda, vec![], &trust_ec2),
        (Decision::ImplicitDeny, Some(PolicyType::RoleTrust))
    );
    // Even the root user needs the trust policy.
    let root = Principal::root(ACCOUNT);
    assert_eq!(run(&root, vec![], &trust_ec2).0, Decision::ImplicitDeny);
    assert_eq!(run(&root, vec![], &trust_account).0, Decision::Allow);
}

#[test]
fn web_identity_trust() {
    let trust = parse(
        PolicyKind::RoleTrust,
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Federated":"accounts.google.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"accounts.google.com:aud":"my-app"}}}}"#,
    );
    let google = Principal::web_identity("accounts.google.com");
    let run = |aud: &str| {
        let ctx = Context::new().with("accounts.google.com:aud", aud);
        let policies = Policies {
            resource: Some(ResourcePolicy {
                id: "trust",
                policy: &trust,
                kind: ResourcePolicyKind::RoleTrust,
            }),
            ..Policies::default()
        };
        let req = Request {
            principal: &google,
            action: "sts:AssumeRoleWithWebIdentity",
            resource: "arn:aws:iam::111122223333:role/web",
            resource_account: Some(ACCOUNT),
            context: &ctx,
        };
        evaluate(&req, &policies).decision
    };
    assert_eq!(run("my-app"), Decision::Allow);
    assert_eq!(run("other-app"), Decision::ImplicitDeny);
}

#[test]
fn root_user() {
    let root = Principal::root(ACCOUNT);
    let c = Case::new(&root, "ec2:TerminateInstances", "*");
    let e = c.run();
    assert_eq!(
        (e.decision, e.policy_type, e.statement),
        (Decision::Allow, None, None)
    );
    // Identity policies cannot be attached to the root user; any passed are ignored.
    let deny_all = identity(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*"}}"#,
    );
    let mut c = Case::new(&root, "s3:GetObject", OBJECT);
    c.identity = vec![&deny_all];
    assert_eq!(c.run().decision, Decision::Allow);
    // A resource-based policy can still deny the root user explicitly.
    let deny_bucket = bucket_policy(r#""*""#, "Deny");
    c.resource_policy = Some((&deny_bucket, ResourcePolicyKind::Resource));
    assert_eq!(c.run().decision, Decision::ExplicitDeny);
    // Cross-account the root user needs the resource owner's allow.
    let mut c = Case::new(&root, "s3:GetObject", OBJECT);
    c.resource_account = Some(OTHER_ACCOUNT);
    assert_eq!(c.run().decision, Decision::ImplicitDeny);
    let to_account = bucket_policy(&format!(r#"{{"AWS":"{ACCOUNT}"}}"#), "Allow");
    c.resource_policy = Some((&to_account, ResourcePolicyKind::Resource));
    assert_eq!(c.run().decision, Decision::Allow);
}

#[test]
fn anonymous_requests() {
    let anon = Principal::anonymous();
    let public = bucket_policy(r#""*""#, "Allow");
    let public_aws_star = bucket_policy(r#"{"AWS":"*"}"#, "Allow");
    let account_only = bucket_policy(&format!(r#"{{"AWS":"{ACCOUNT}"}}"#), "Allow");
    for (policy, want) in [
        (&public, Decision::Allow),
        (&public_aws_star, Decision::Allow),
        (&account_only, Decision::ImplicitDeny),
    ] {
        let mut c = Case::new(&anon, "s3:GetObject", OBJECT);
        c.resource_account = Some(ACCOUNT);
        c.resource_policy = Some((policy, ResourcePolicyKind::Resource));
        assert_eq!(c.run().decision, want);
    }
    let c = Case::new(&anon, "s3:GetObject", OBJECT);
    assert_eq!(c.run().decision, Decision::ImplicitDeny);
}

#[test]
fn not_principal_with_deny() {
    // reference_policies_elements_notprincipal.html: list the user *and* its account.
    let bob = Principal::user(
        OTHER_ACCOUNT,
        &format!("arn:aws:iam::{OTHER_ACCOUNT}:user/Bob"),
    );
    let eve = Principal::user(
        OTHER_ACCOUNT,
        &format!("arn:aws:iam::{OTHER_ACCOUNT}:user/Eve"),
    );
    let both = format!(
        r#"{{"AWS":["arn:aws:iam::{OTHER_ACCOUNT}:user/Bob","arn:aws:iam::{OTHER_ACCOUNT}:root"]}}"#
    );
    let user_only = format!(r#"{{"AWS":["arn:aws:iam::{OTHER_ACCOUNT}:user/Bob"]}}"#);
    let policy = |not: &str| {
        parse(
            PolicyKind::Resource,
            &format!(
                r#"{{"Version":"2012-10-17","Statement":[
                    {{"Effect":"Allow","Principal":{{"AWS":"{OTHER_ACCOUNT}"}},"Action":"s3:*","Resource":"*"}},
                    {{"Effect":"Deny","NotPrincipal":{not},"Action":"s3:*","Resource":["arn:aws:s3:::BUCKETNAME","arn:aws:s3:::BUCKETNAME/*"]}}]}}"#
            ),
        )
    };
    let allow_s3 = identity(ALLOW_ALL_S3);
    let run = |who: &Principal, p: &Policy| {
        let mut c = Case::new(who, "s3:GetObject", "arn:aws:s3:::BUCKETNAME/x");
        c.resource_account = Some(ACCOUNT);
        c.identity = vec![&allow_s3];
        c.resource_policy = Some((p, ResourcePolicyKind::Resource));
        c.run().decision
    };
    let with_both = policy(&both);
    let with_user_only = policy(&user_only);
    assert_eq!(run(&bob, &with_both), Decision::Allow);
    assert_eq!(run(&eve, &with_both), Decision::ExplicitDeny);
    // Without the account ARN, Bob's account is denied and Bob with it.
    assert_eq!(run(&bob, &with_user_only), Decision::ExplicitDeny);

    // A role session must be listed with its role and account.
    let session = Principal::role_session(
        OTHER_ACCOUNT,
        &format!("arn:aws:iam::{OTHER_ACCOUNT}:role/cross-account-read-only-role"),
        &format!("arn:aws:sts::{OTHER_ACCOUNT}:assumed-role/cross-account-read-only-role/cross-account-audit-app"),
    );
    let chain = format!(
        r#"{{"AWS":["arn:aws:sts::{OTHER_ACCOUNT}:assumed-role/cross-account-read-only-role/cross-account-audit-app","arn:aws:iam::{OTHER_ACCOUNT}:role/cross-account-read-only-role","arn:aws:iam::{OTHER_ACCOUNT}:root"]}}"#
    );
    let no_role = format!(
        r#"{{"AWS":["arn:aws:sts::{OTHER_ACCOUNT}:assumed-role/cross-account-read-only-role/cross-account-audit-app","arn:aws:iam::{OTHER_ACCOUNT}:root"]}}"#
    );
    assert_eq!(run(&session, &policy(&chain)), Decision::Allow);
    assert_eq!(run(&session, &policy(&no_role)), Decision::ExplicitDeny);
}

#[test]
fn deny_in_resource_policy_by_principal_arn_condition() {
    // The documented replacement for NotPrincipal: Principal "*" with ArnNotEquals.
    let p = parse(
        PolicyKind::Resource,
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"UsePrincipalArnInsteadOfNotPrincipalWithDeny","Effect":"Deny","Action":"s3:*","Principal":"*",
            "Resource":["arn:aws:s3:::BUCKETNAME/*","arn:aws:s3:::BUCKETNAME"],
            "Condition":{"ArnNotEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:user/bob"}}}]}"#,
    );
    let admin = identity(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
    );
    for (who, want) in [
        (user("bob"), Decision::Allow),
        (user("eve"), Decision::ExplicitDeny),
    ] {
        let mut c = Case::new(&who, "s3:GetObject", "arn:aws:s3:::BUCKETNAME/x");
        c.identity = vec![&admin];
        c.resource_policy = Some((&p, ResourcePolicyKind::Resource));
        assert_eq!(c.run().decision, want, "{}", who.arn());
    }
}

fn principal_set(principal: &str) -> PrincipalSet {
    let p = parse(
        PolicyKind::Resource,
        &format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Principal":{principal},"Action":"s3:*","Resource":"*"}}}}"#
        ),
    );
    match p.statements()[0].principal() {
        Some(PrincipalElement::Principal(set)) => set.clone(),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn principal_match_levels() {
    use MatchLevel::*;
    let bob = user("bob");
    let s = role_session("app", "alice");
    let f = federated("fed", "bob");
    let ec2 = Principal::service("ec2.amazonaws.com");
    let google = Principal::web_identity("accounts.google.com");
    let anon = Principal::anonymous();
    let root = Principal::root(ACCOUNT);
    let rows: Vec<(&str, &Principal, Option<MatchLevel>)> = vec![
        (r#""*""#, &anon, Some(Direct)),
        (r#""*""#, &ec2, Some(Direct)),
        (r#"{"AWS":"*"}"#, &anon, Some(Direct)),
        (r#"{"AWS":"*"}"#, &bob, Some(Direct)),
        (r#"{"AWS":"*"}"#, &ec2, None),
        (
            r#"{"AWS":"arn:aws:iam::111122223333:user/bob"}"#,
            &bob,
            Some(Direct),
        ),
        // "the user name part of the ARN is case sensitive"
        (
            r#"{"AWS":"arn:aws:iam::111122223333:user/Bob"}"#,
            &bob,
            None,
        ),
        (r#"{"AWS":"AIDAEXAMPLEUSER00001"}"#, &bob, Some(Direct)),
        (r#"{"AWS":"111122223333"}"#, &bob, Some(Account)),
        (
            r#"{"AWS":["999999999999","arn:aws:iam::111122223333:root"]}"#,
            &bob,
            Some(Account),
        ),
        (r#"{"AWS":"999999999999"}"#, &bob, None),
        (
            r#"{"AWS":["111122223333","arn:aws:iam::111122223333:user/bob"]}"#,
            &bob,
            Some(Direct),
        ),
        (
            r#"{"AWS":"arn:aws:sts::111122223333:assumed-role/app/alice"}"#,
            &s,
            Some(Direct),
        ),
        (
            r#"{"AWS":"arn:aws:sts::111122223333:assumed-role/app/other"}"#,
            &s,
            None,
        ),
        (
            r#"{"AWS":"arn:aws:iam::111122223333:role/app"}"#,
            &s,
            Some(Entity),
        ),
        (
            r#"{"AWS":"arn:aws:sts::111122223333:federated-user/fed"}"#,
            &f,
            Some(Direct),
        ),
        (
            r#"{"AWS":"arn:aws:iam::111122223333:user/bob"}"#,
            &f,
            Some(Entity),
        ),
        (r#"{"AWS":"111122223333"}"#, &root, Some(Direct)),
        (r#"{"AWS":"111122223333"}"#, &anon, None),
        (r#"{"Service":"ec2.amazonaws.com"}"#, &ec2, Some(Direct)),
        (
            r#"{"Service":["lambda.amazonaws.com","EC2.amazonaws.com"]}"#,
            &ec2,
            Some(Direct),
        ),
        (r#"{"Service":"ec2.amazonaws.com"}"#, &bob, None),
        (
            r#"{"Federated":"accounts.google.com"}"#,
            &google,
            Some(Direct),
        ),
        (r#"{"Federated":"accounts.google.com"}"#, &ec2, None),
        (
            r#"{"CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}"#,
            &bob,
            None,
        ),
    ];
    for (json, who, want) in rows {
        assert_eq!(
            principal_set(json).best_match(who),
            want,
            "{json} vs {}",
            who.arn()
        );
    }
}

#[test]
fn boundaries_and_sessions_do_not_apply_to_root_or_services() {
    let deny_all = parse(
        PolicyKind::Managed,
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*"}}"#,
    );
    let root = Principal::root(ACCOUNT);
    let mut c = Case::new(&root, "s3:GetObject", OBJECT);
    c.boundary = Some(&deny_all);
    c.session = vec![&deny_all];
    assert_eq!(c.run().decision, Decision::Allow);

    let trust = parse(
        PolicyKind::RoleTrust,
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}}"#,
    );
    let ec2 = Principal::service("ec2.amazonaws.com");
    let mut c = Case::new(&ec2, "sts:AssumeRole", "arn:aws:iam::111122223333:role/r");
    c.identity = vec![&deny_all];
    c.boundary = Some(&deny_all);
    c.resource_policy = Some((&trust, ResourcePolicyKind::RoleTrust));
    assert_eq!(c.run().decision, Decision::Allow);
}

#[test]
fn deny_in_trust_policy_is_worded_for_trust() {
    let trust = parse(
        PolicyKind::RoleTrust,
        r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"},
            {"Sid":"NoEve","Effect":"Deny","Principal":{"AWS":"arn:aws:iam::111122223333:user/eve"},"Action":"sts:AssumeRole"}]}"#,
    );
    let eve = user("eve");
    let mut c = Case::new(&eve, "sts:AssumeRole", "arn:aws:iam::111122223333:role/r");
    c.resource_policy = Some((&trust, ResourcePolicyKind::RoleTrust));
    let e = c.run();
    assert_eq!(
        (e.decision, e.policy_type),
        (Decision::ExplicitDeny, Some(PolicyType::RoleTrust))
    );
    assert_eq!(
        e.statement.as_ref().and_then(|s| s.sid.as_deref()),
        Some("NoEve")
    );
    assert_eq!(
        e.denial_message(&eve.arn(), "sts:AssumeRole", Some("arn:aws:iam::111122223333:role/r")).unwrap(),
        "User: arn:aws:iam::111122223333:user/eve is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::111122223333:role/r with an explicit deny in the role trust policy"
    );
}
