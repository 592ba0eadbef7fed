//! Combining identity-based policy types: explicit and implicit deny, statement order,
//! NotAction/NotResource, permissions boundaries, session policies and multi-resource
//! requests — with the scenarios and example policies of
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html>.

mod common;

use common::*;
use nimbus_iam_policy::*;

#[test]
fn implicit_deny_by_default() {
    let bob = user("bob");
    let e = Case::new(&bob, "s3:GetObject", OBJECT).run();
    assert_eq!(e.decision, Decision::ImplicitDeny);
    assert_eq!(e.policy_type, Some(PolicyType::IdentityBased));
    assert_eq!(e.statement, None);
}

#[test]
fn allow_reports_the_statement() {
    let bob = user("bob");
    let p = identity(ALLOW_ALL_S3);
    let mut c = Case::new(&bob, "S3:getobject", OBJECT);
    c.identity = vec![&p];
    let e = c.run();
    assert_eq!(e.decision, Decision::Allow);
    assert_eq!(e.policy_type, Some(PolicyType::IdentityBased));
    assert_eq!(
        e.statement,
        Some(StatementRef {
            policy_id: "identity".into(),
            index: 0,
            sid: Some("AllS3".into())
        })
    );
}

#[test]
fn carlos_example() {
    // "Example identity-based and resource-based policy evaluation".
    let carlos_policy = identity(
        r#"{"Version":"2012-10-17","Statement":[
            {"Sid":"AllowS3ListRead","Effect":"Allow","Action":["s3:GetBucketLocation","s3:GetAccountPublicAccessBlock","s3:ListAccessPoints","s3:ListAllMyBuckets"],"Resource":"arn:aws:s3:::*"},
            {"Sid":"AllowS3Self","Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::carlossalazar/*","arn:aws:s3:::carlossalazar"]},
            {"Sid":"DenyS3Logs","Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::*log*"}]}"#,
    );
    let bucket = parse(
        PolicyKind::Resource,
        &format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:user/carlossalazar"}},"Action":"s3:*","Resource":["arn:aws:s3:::carlossalazar/*","arn:aws:s3:::carlossalazar"]}}]}}"#
        ),
    );
    let carlos = user("carlossalazar");
    let mut logs = Case::new(
        &carlos,
        "s3:PutObject",
        "arn:aws:s3:::carlossalazar-logs/file",
    );
    logs.identity = vec![&carlos_policy];
    let e = logs.run();
    assert_eq!(e.decision, Decision::ExplicitDeny);
    assert_eq!(e.statement.unwrap().sid.as_deref(), Some("DenyS3Logs"));

    let mut own = Case::new(&carlos, "s3:PutObject", "arn:aws:s3:::carlossalazar/file");
    own.identity = vec![&carlos_policy];
    own.resource_policy = Some((&bucket, ResourcePolicyKind::Resource));
    assert_eq!(own.run().decision, Decision::Allow);
    // "If one of the policy types allows the request and the other doesn't, the request is
    // still allowed" — either alone suffices.
    own.identity = vec![];
    assert_eq!(own.run().decision, Decision::Allow);
    own.identity = vec![&carlos_policy];
    own.resource_policy = None;
    assert_eq!(own.run().decision, Decision::Allow);
}

#[test]
fn explicit_deny_beats_allows_everywhere() {
    let bob = user("bob");
    let allow = identity(ALLOW_ALL_S3);
    let deny = identity(
        r#"{"Version":"2012-10-17","Statement":{"Sid":"No","Effect":"Deny","Action":"s3:Get*","Resource":"*"}}"#,
    );
    let allow_bucket = bucket_policy(&format!(r#"{{"AWS":"{}"}}"#, bob.arn()), "Allow");
    let deny_bucket = bucket_policy(r#""*""#, "Deny");

    let mut c = Case::new(&bob, "s3:GetObject", OBJECT);
    c.identity = vec![&allow, &deny];
    c.resource_policy = Some((&allow_bucket, ResourcePolicyKind::Resource));
    let e = c.run();
    assert_eq!(
        (e.decision, e.policy_type),
        (Decision::ExplicitDeny, Some(PolicyType::IdentityBased))
    );

    c.identity = vec![&allow];
    c.resource_policy = Some((&deny_bucket, ResourcePolicyKind::Resource));
    let e = c.run();
    assert_eq!(
        (e.decision, e.policy_type),
        (Decision::ExplicitDeny, Some(PolicyType::ResourceBased))
    );

    c.resource_policy = None;
    c.boundary = Some(&deny);
    let e = c.run();
    assert_eq!(
        (e.decision, e.policy_type),
        (
            Decision::ExplicitDeny,
            Some(PolicyType::PermissionsBoundary)
        )
    );
}

#[test]
fn not_action_and_not_resource() {
    let bob = user("bob");
    // reference_policies_examples_s3_deny-except-bucket.html
    let p = identity(
        r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::bucket-name","arn:aws:s3:::bucket-name/*"]},
            {"Effect":"Deny","NotAction":"s3:*","NotResource":["arn:aws:s3:::bucket-name","arn:aws:s3:::bucket-name/*"]}]}"#,
    );
    let admin = identity(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
    );
    let run = |action: &str, resource: &str| {
        let mut c = Case::new(&bob, action, resource);
        c.identity = vec![&p, &admin];
        c.run().decision
    };
    assert_eq!(
        run("s3:GetObject", "arn:aws:s3:::bucket-name/x"),
        Decision::Allow
    );
    assert_eq!(
        run("s3:GetObject", "arn:aws:s3:::other/x"),
        Decision::Allow,
        "S3 elsewhere is not denied"
    );
    assert_eq!(
        run("ec2:RunInstances", "*"),
        Decision::ExplicitDeny,
        "non-S3 outside the bucket"
    );
    assert_eq!(
        run("sqs:SendMessage", "arn:aws:s3:::bucket-name"),
        Decision::Allow,
        "NotResource excludes"
    );

    // NotAction with Allow: everything except IAM.
    let not_iam = identity(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}}"#,
    );
    let run2 = |action: &str| {
        let mut c = Case::new(&bob, action, "*");
        c.identity = vec![&not_iam];
        c.run().decision
    };
    assert_eq!(run2("ec2:DescribeInstances"), Decision::Allow);
    assert_eq!(run2("iam:CreateUser"), Decision::ImplicitDeny);
    assert_eq!(
        run2("IAM:createuser"),
        Decision::ImplicitDeny,
        "NotAction is case-insensitive too"
    );
}

#[test]
fn region_restriction_example() {
    // reference_policies_examples_aws_deny-requested-region.html
    let deny = identity(
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"DenyAllOutsideRequestedRegions","Effect":"Deny",
            "NotAction":["cloudfront:*","iam:*","route53:*","support:*"],"Resource":"*",
            "Condition":{"StringNotEquals":{"aws:RequestedRegion":["eu-central-1","eu-west-1","eu-west-2","eu-west-3"]}}}]}"#,
    );
    let admin = identity(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
    );
    let bob = user("bob");
    let run = |action: &str, region: &str| {
        let ctx = Context::for_principal(&bob).with("aws:RequestedRegion", region);
        decide(&[&admin, &deny], &bob, action, "*", &ctx)
    };
    assert_eq!(run("ec2:RunInstances", "eu-west-1"), Decision::Allow);
    assert_eq!(run("ec2:RunInstances", "us-east-1"), Decision::ExplicitDeny);
    assert_eq!(run("iam:CreateUser", "us-east-1"), Decision::Allow);
}

#[test]
fn mfa_example() {
    // reference_policies_examples_ec2_require-mfa.html
    let p = identity(
        r#"{"Version":"2012-10-17","Statement":[
            {"Sid":"AllowAllActionsForEC2","Effect":"Allow","Action":"ec2:*","Resource":"*"},
            {"Sid":"DenyStopAndTerminateWhenMFAIsNotPresent","Effect":"Deny","Action":["ec2:StopInstances","ec2:TerminateInstances"],"Resource":"*",
             "Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":false}}}]}"#,
    );
    let bob = user("bob");
    let keys = Context::for_principal(&bob);
    let no_mfa = keys.clone().with("aws:MultiFactorAuthPresent", "false");
    let mfa = keys.clone().with("aws:MultiFactorAuthPresent", "true");
    assert_eq!(
        decide(&[&p], &bob, "ec2:StopInstances", "*", &keys),
        Decision::ExplicitDeny,
        "long-term keys carry no MFA key"
    );
    assert_eq!(
        decide(&[&p], &bob, "ec2:StopInstances", "*", &no_mfa),
        Decision::ExplicitDeny
    );
    assert_eq!(
        decide(&[&p], &bob, "ec2:StopInstances", "*", &mfa),
        Decision::Allow
    );
    assert_eq!(
        decide(&[&p], &bob, "ec2:DescribeInstances", "*", &keys),
        Decision::Allow
    );
}

#[test]
fn source_ip_example() {
    // reference_policies_examples_aws_deny-ip.html
    let deny = identity(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*",
            "Condition":{"NotIpAddress":{"aws:SourceIp":["192.0.2.0/24","203.0.113.0/24"]},"Bool":{"aws:ViaAWSService":"false"}}}}"#,
    );
    let admin = identity(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
    );
    let bob = user("bob");
    let ctx = |ip: &str, via: &str| {
        Context::for_principal(&bob)
            .with("aws:SourceIp", ip)
            .with("aws:ViaAWSService", via)
    };
    assert_eq!(
        decide(
            &[&admin, &deny],
            &bob,
            "s3:ListBucket",
            "*",
            &ctx("203.0.113.9", "false")
        ),
        Decision::Allow
    );
    assert_eq!(
        decide(
            &[&admin, &deny],
            &bob,
            "s3:ListBucket",
            "*",
            &ctx("198.51.100.9", "false")
        ),
        Decision::ExplicitDeny
    );
    assert_eq!(
        decide(
            &[&admin, &deny],
            &bob,
            "s3:ListBucket",
            "*",
            &ctx("198.51.100.9", "true")
        ),
        Decision::Allow
    );
}

#[test]
fn permissions_boundary_is_an_intersection() {
    let bob = user("bob");
    let admin = identity(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
    );
    let boundary = parse(
        PolicyKind::Managed,
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["s3:*","cloudwatch:*"],"Resource":"*"}}"#,
    );
    let run = |action: &str, identity_policies: Vec<&Policy>| {
        let mut c = Case::new(&bob, action, "*");
        c.identity = identity_policies;
        c.boundary = Some(&boundary);
        c.run()
    };
    assert_eq!(
        run("s3:ListAllMyBuckets", vec![&admin]).decision,
        Decision::Allow
    );
    let e = run("iam:CreateUser", vec![&admin]);
    assert_eq!(
        (e.decision, e.policy_type),
        (
            Decision::ImplicitDeny,
            Some(PolicyType::PermissionsBoundary)
        )
    );
    // The boundary grants nothing by itself.
    let e = run("s3:ListAllMyBuckets", vec![]);
    assert_eq!(
        (e.decision, e.policy_type),
        (Decision::ImplicitDeny, Some(PolicyType::IdentityBased))
    );
}

#[test]
fn session_policies_limit_sessions() {
    let admin = identity(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
    );
    let session_s3 = parse(
        PolicyKind::Session,
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#,
    );
    let s = role_session("admin", "alice");
    let run = |action: &str, session: Vec<&Policy>| {
        let mut c = Case::new(&s, action, "*");
        c.identity = vec![&admin];
        c.session = session;
        c.run()
    };
    assert_eq!(
        run("ec2:RunInstances", vec![]).decision,
        Decision::Allow,
        "role session without session policy"
    );
    assert_eq!(
        run("s3:ListAllMyBuckets", vec![&session_s3]).decision,
        Decision::Allow
    );
    let e = run("ec2:RunInstances", vec![&session_s3]);
    assert_eq!(
        (e.decision, e.policy_type),
        (Decision::ImplicitDeny, Some(PolicyType::SessionPolicy))
    );

    // Session policies are ignored for principals that are not sessions.
    let bob = user("bob");
    let mut c = Case::new(&bob, "ec2:RunInstances", "*");
    c.identity = vec![&admin];
    c.session = vec![&session_s3];
    assert_eq!(c.run().decision, Decision::Allow);

    // A federated user without a session policy has no permissions of its own.
    let f = federated("fed", "bob");
    let mut c = Case::new(&f, "ec2:RunInstances", "*");
    c.identity = vec![&admin];
    let e = c.run();
    assert_eq!(
        (e.decision, e.policy_type),
        (Decision::ImplicitDeny, Some(PolicyType::SessionPolicy))
    );
    c.session = vec![&session_s3];
    c.action = "s3:GetObject";
    assert_eq!(c.run().decision, Decision::Allow);
}

#[test]
fn statement_order_and_first_match() {
    let bob = user("bob");
    let p = identity(
        r#"{"Version":"2012-10-17","Statement":[
            {"Sid":"A","Effect":"Allow","Action":"ec2:Describe*","Resource":"*"},
            {"Sid":"B","Effect":"Allow","Action":"ec2:*","Resource":"*"},
            {"Sid":"C","Effect":"Deny","Action":"ec2:Terminate*","Resource":"*"},
            {"Sid":"D","Effect":"Deny","Action":"*","Resource":"arn:aws:ec2:*:*:instance/i-protected"}]}"#,
    );
    let run = |action: &str, resource: &str| {
        let mut c = Case::new(&bob, action, resource);
        c.identity = vec![&p];
        let e = c.run();
        (e.decision, e.statement.and_then(|s| s.sid))
    };
    assert_eq!(
        run("ec2:DescribeVpcs", "*"),
        (Decision::Allow, Some("A".into()))
    );
    assert_eq!(
        run("ec2:RunInstances", "*"),
        (Decision::Allow, Some("B".into()))
    );
    assert_eq!(
        run(
            "ec2:TerminateInstances",
            "arn:aws:ec2:us-east-1:1:instance/i-protected"
        ),
        (Decision::ExplicitDeny, Some("C".into()))
    );
    assert_eq!(
        run(
            "ec2:StopInstances",
            "arn:aws:ec2:us-east-1:1:instance/i-protected"
        ),
        (Decision::ExplicitDeny, Some("D".into()))
    );
    assert_eq!(
        run(
            "ec2:StopInstances",
            "arn:aws:ec2:us-east-1:1:instance/i-other"
        ),
        (Decision::Allow, Some("B".into()))
    );
}

#[test]
fn several_resources() {
    let bob = user("bob");
    let p = identity(
        r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"ec2:RunInstances","Resource":["arn:aws:ec2:*:*:instance/*","arn:aws:ec2:*::image/*"]},
            {"Effect":"Deny","Action":"ec2:RunInstances","Resource":"arn:aws:ec2:*:*:subnet/subnet-blocked"}]}"#,
    );
    let ctx = Context::for_principal(&bob);
    let part = |resource: &'static str| {
        (
            Request {
                principal: &bob,
                action: "ec2:RunInstances",
                resource,
                resource_account: None,
                context: &ctx,
            },
            Policies {
                identity: vec![PolicyRef {
                    id: "p",
                    policy: &p,
                }],
                ..Policies::default()
            },
        )
    };
    let instance = "arn:aws:ec2:us-east-1:111122223333:instance/*";
    let image = "arn:aws:ec2:us-east-1::image/ami-1";
    let subnet = "arn:aws:ec2:us-east-1:111122223333:subnet/subnet-1";
    let blocked = "arn:aws:ec2:us-east-1:111122223333:subnet/subnet-blocked";
    assert_eq!(
        evaluate_all([part(instance), part(image)]).decision,
        Decision::Allow
    );
    assert_eq!(
        evaluate_all([part(instance), part(subnet), part(image)]).decision,
        Decision::ImplicitDeny
    );
    assert_eq!(
        evaluate_all([part(subnet), part(blocked)]).decision,
        Decision::ExplicitDeny
    );
    assert_eq!(
        evaluate_all(Vec::<(Request<'_>, Policies<'_>)>::new()).decision,
        Decision::ImplicitDeny
    );
}
