//! The `Directory` side of instance-role credentials: an instance profile found by name or
//! ARN with its id and role, and whether a role's trust policy lets the EC2 service assume
//! it (decided by the evaluator that enforces, so conditions and denies count).

use nimbus_core::{Ids, ManualClock, Principal, RequestContext, Timestamp};
use nimbus_store::Store;
use std::sync::Arc;
use svc_iam::generated::*;
use svc_iam::Iam;

const ACCOUNT: &str = "123456789012";
const EC2_TRUST: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}}"#;
const LAMBDA_TRUST: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}}"#;
const DENY_EC2_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com"]},"Action":"sts:AssumeRole"},{"Effect":"Deny","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

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

fn iam() -> Iam {
    let clock = Arc::new(ManualClock::new(Timestamp::from_secs(1_700_000_000)));
    Iam::load(Store::in_memory(), clock, Arc::new(Ids::from_seed(3))).expect("load IAM")
}

async fn role(iam: &Iam, name: &str, path: Option<&str>, trust: &str) -> String {
    iam.create_role(
        &ctx(),
        CreateRoleRequest {
            role_name: name.into(),
            path: path.map(Into::into),
            assume_role_policy_document: trust.into(),
            ..Default::default()
        },
    )
    .await
    .expect("create role")
    .role
    .arn
}

#[tokio::test]
async fn instance_profiles_and_their_roles() {
    let iam = iam();
    let d = iam.directory();
    let role_arn = role(&iam, "web", Some("/apps/"), EC2_TRUST).await;
    let profile = iam
        .create_instance_profile(
            &ctx(),
            CreateInstanceProfileRequest {
                instance_profile_name: "web-profile".into(),
                path: Some("/team/".into()),
                ..Default::default()
            },
        )
        .await
        .expect("create profile")
        .instance_profile;
    assert_eq!(
        profile.arn,
        format!("arn:aws:iam::{ACCOUNT}:instance-profile/team/web-profile")
    );

    let empty = d
        .instance_profile_role(ACCOUNT, "web-profile")
        .expect("found by name");
    assert_eq!(empty.profile_arn, profile.arn);
    assert_eq!(empty.profile_id, profile.instance_profile_id);
    assert!(empty.profile_id.starts_with("AIPA"));
    assert_eq!(empty.role_arn, None);

    iam.add_role_to_instance_profile(
        &ctx(),
        AddRoleToInstanceProfileRequest {
            instance_profile_name: "web-profile".into(),
            role_name: "web".into(),
        },
    )
    .await
    .expect("add role");
    let by_arn = d
        .instance_profile_role(ACCOUNT, &profile.arn)
        .expect("found by ARN");
    assert_eq!(by_arn.role_arn.as_deref(), Some(role_arn.as_str()));
    // Another account, a wrong path, an unknown name: nothing.
    assert!(d
        .instance_profile_role("999999999999", "web-profile")
        .is_none());
    assert!(d
        .instance_profile_role(
            ACCOUNT,
            &format!("arn:aws:iam::{ACCOUNT}:instance-profile/web-profile")
        )
        .is_none());
    assert!(d.instance_profile_role(ACCOUNT, "nope").is_none());
}

#[tokio::test]
async fn trust_in_a_service_is_decided_by_the_evaluator() {
    let iam = iam();
    let d = iam.directory();
    let ec2 = role(&iam, "ec2-role", None, EC2_TRUST).await;
    let lambda = role(&iam, "lambda-role", None, LAMBDA_TRUST).await;
    let denied = role(&iam, "denied-role", None, DENY_EC2_TRUST).await;
    assert!(d.role_trusts_service(&ec2, "ec2.amazonaws.com"));
    assert!(!d.role_trusts_service(&lambda, "ec2.amazonaws.com"));
    assert!(d.role_trusts_service(&lambda, "lambda.amazonaws.com"));
    assert!(!d.role_trusts_service(&denied, "ec2.amazonaws.com"));
    assert!(!d.role_trusts_service(
        &format!("arn:aws:iam::{ACCOUNT}:role/missing"),
        "ec2.amazonaws.com"
    ));
}

/// What Access Advisor adds to every authorized request: recording the actions of a known
/// entity. Run with `--ignored --nocapture` to see the cost per call (debug builds
/// overstate it).
#[test]
#[ignore]
fn recording_actions_is_cheap() {
    let iam = iam();
    let d = iam.directory();
    let now = Timestamp::from_secs(1_700_000_000);
    d.record_actions("AIDAEXAMPLE", ["s3:GetObject"], "us-east-1", now);
    let n = 200_000;
    let t = std::time::Instant::now();
    for i in 0..n {
        let at = Timestamp::from_secs(1_700_000_000 + i / 1000);
        d.record_actions("AIDAEXAMPLE", ["s3:GetObject"], "us-east-1", at);
    }
    let per = t.elapsed() / n as u32;
    println!("record_actions: {per:?} per call");
    assert!(per < std::time::Duration::from_micros(50), "{per:?}");
}
