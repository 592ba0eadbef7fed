//! Access-denied wording, checked against the examples of
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html>, and
//! rendered from real evaluations.

mod common;

use common::*;
use nimbus_iam_policy::*;

const JOHN: &str = "arn:aws:iam::123456789012:user/JohnDoe";

#[test]
fn every_policy_type_and_both_kinds_of_deny() {
    let dg = Some("arn:aws:codedeploy:us-east-1:123456789012:deploymentgroup:*");
    let rows: Vec<(&str, Option<&str>, bool, PolicyType, &str)> = vec![
        ("codecommit:ListRepositories", None, false, PolicyType::IdentityBased,
         "User: arn:aws:iam::123456789012:user/JohnDoe is not authorized to perform: codecommit:ListRepositories because no identity-based policy allows the codecommit:ListRepositories action"),
        ("codedeploy:ListDeployments", dg, true, PolicyType::IdentityBased,
         "User: arn:aws:iam::123456789012:user/JohnDoe is not authorized to perform: codedeploy:ListDeployments on resource: arn:aws:codedeploy:us-east-1:123456789012:deploymentgroup:* with an explicit deny in an identity-based policy"),
        ("codedeploy:ListDeployments", dg, false, PolicyType::PermissionsBoundary,
         "User: arn:aws:iam::123456789012:user/JohnDoe is not authorized to perform: codedeploy:ListDeployments on resource: arn:aws:codedeploy:us-east-1:123456789012:deploymentgroup:* because no permissions boundary allows the codedeploy:ListDeployments action"),
        ("sagemaker:ListModels", None, true, PolicyType::PermissionsBoundary,
         "User: arn:aws:iam::123456789012:user/JohnDoe is not authorized to perform: sagemaker:ListModels with an explicit deny in a permissions boundary"),
        ("codecommit:ListRepositories", None, false, PolicyType::SessionPolicy,
         "User: arn:aws:iam::123456789012:user/JohnDoe is not authorized to perform: codecommit:ListRepositories because no session policy allows the codecommit:ListRepositories action"),
        ("codedeploy:ListDeployments", dg, true, PolicyType::SessionPolicy,
         "User: arn:aws:iam::123456789012:user/JohnDoe is not authorized to perform: codedeploy:ListDeployments on resource: arn:aws:codedeploy:us-east-1:123456789012:deploymentgroup:* with an explicit deny in a session policy"),
        ("secretsmanager:GetSecretValue", None, false, PolicyType::ResourceBased,
         "User: arn:aws:iam::123456789012:user/JohnDoe is not authorized to perform: secretsmanager:GetSecretValue because no resource-based policy allows the secretsmanager:GetSecretValue action"),
        ("secretsmanager:GetSecretValue", Some("arn:aws:secretsmanager:us-east-1:123456789012:secret:*"), true, PolicyType::ResourceBased,
         "User: arn:aws:iam::123456789012:user/JohnDoe is not authorized to perform: secretsmanager:GetSecretValue on resource: arn:aws:secretsmanager:us-east-1:123456789012:secret:* with an explicit deny in a resource-based policy"),
        ("sts:AssumeRole", None, false, PolicyType::RoleTrust,
         "User: arn:aws:iam::123456789012:user/JohnDoe is not authorized to perform: sts:AssumeRole because no role trust policy allows the sts:AssumeRole action"),
        ("sts:AssumeRole", None, true, PolicyType::RoleTrust,
         "User: arn:aws:iam::123456789012:user/JohnDoe is not authorized to perform: sts:AssumeRole with an explicit deny in the role trust policy"),
    ];
    for (action, resource, explicit, ty, want) in rows {
        assert_eq!(
            access_denied_message(JOHN, action, resource, explicit, ty),
            want
        );
    }
}

#[test]
fn rendered_from_an_evaluation() {
    let bob = user("bob");
    let p = identity(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:Describe*","Resource":"*"},
            {"Effect":"Deny","Action":"ec2:TerminateInstances","Resource":"*"}]}"#,
    );
    let ctx = Context::for_principal(&bob);
    let policies = Policies {
        identity: vec![PolicyRef {
            id: "p",
            policy: &p,
        }],
        ..Policies::default()
    };
    let instance = "arn:aws:ec2:us-east-1:111122223333:instance/*";
    let eval = |action| {
        evaluate(
            &Request {
                principal: &bob,
                action,
                resource: instance,
                resource_account: None,
                context: &ctx,
            },
            &policies,
        )
    };
    assert_eq!(
        eval("ec2:DescribeInstances").denial_message(
            &bob.arn(),
            "ec2:DescribeInstances",
            Some(instance)
        ),
        None
    );
    assert_eq!(
        eval("ec2:RunInstances").denial_message(&bob.arn(), "ec2:RunInstances", Some(instance)).unwrap(),
        "User: arn:aws:iam::111122223333:user/bob is not authorized to perform: ec2:RunInstances on resource: arn:aws:ec2:us-east-1:111122223333:instance/* because no identity-based policy allows the ec2:RunInstances action"
    );
    assert_eq!(
        eval("ec2:TerminateInstances").denial_message(&bob.arn(), "ec2:TerminateInstances", Some(instance)).unwrap(),
        "User: arn:aws:iam::111122223333:user/bob is not authorized to perform: ec2:TerminateInstances on resource: arn:aws:ec2:us-east-1:111122223333:instance/* with an explicit deny in an identity-based policy"
    );
}

#[test]
fn session_principals_are_named_by_session_arn() {
    let s = role_session("app", "alice");
    assert_eq!(s.arn(), "arn:aws:sts::111122223333:assumed-role/app/alice");
    assert_eq!(
        Principal::root("111122223333").arn(),
        "arn:aws:iam::111122223333:root"
    );
    let msg = access_denied_message(
        &s.arn(),
        "s3:ListAllMyBuckets",
        None,
        false,
        PolicyType::IdentityBased,
    );
    assert!(
        msg.starts_with("User: arn:aws:sts::111122223333:assumed-role/app/alice is not authorized")
    );
}
