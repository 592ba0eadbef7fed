//! Bucket policies: put/get/delete and their errors, S3's `MalformedPolicy` wording,
//! GetBucketPolicyStatus, the `BucketPolicies` read API, durability across a restart,
//! reset, and deletion with the bucket.

use super::*;
use crate::policy_check::MAX_POLICY_BYTES;
use crate::state::{PolicyRecord, POLICIES};

const PUBLIC_READ: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "PublicRead", "Effect": "Allow", "Principal": "*",
     "Action": "s3:GetObject", "Resource": "arn:aws:s3:::pol/*"}
  ]
}"#;

const PUBLIC_READ_COMPACT: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::pol/*"}]}"#;

/// One statement of `pol`'s policy with the given principal, actions, resources and
/// optional condition (all JSON).
fn statement(principal: &str, action: &str, resource: &str, condition: Option<&str>) -> String {
    let cond = condition
        .map(|c| format!(r#","Condition":{c}"#))
        .unwrap_or_default();
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{principal},"Action":{action},"Resource":{resource}{cond}}}]}}"#
    )
}

fn put_req(bucket: &str, policy: &str) -> g::PutBucketPolicyRequest {
    g::PutBucketPolicyRequest {
        bucket: bucket.into(),
        policy: policy.into(),
        ..Default::default()
    }
}

impl Env {
    async fn put_policy(&self, bucket: &str, policy: &str) -> Result<(), AwsError> {
        self.h()
            .put_bucket_policy(&ctx(), put_req(bucket, policy))
            .await
    }

    async fn get_policy(&self, bucket: &str) -> Result<String, AwsError> {
        let out = self
            .h()
            .get_bucket_policy(
                &ctx(),
                g::GetBucketPolicyRequest {
                    bucket: bucket.into(),
                    ..Default::default()
                },
            )
            .await?;
        Ok(out.policy.expect("policy"))
    }

    async fn policy_public(&self, bucket: &str) -> Result<bool, AwsError> {
        let out = self
            .h()
            .get_bucket_policy_status(
                &ctx(),
                g::GetBucketPolicyStatusRequest {
                    bucket: bucket.into(),
                    ..Default::default()
                },
            )
            .await?;
        Ok(out
            .policy_status
            .and_then(|s| s.is_public)
            .expect("IsPublic"))
    }

    async fn delete_policy(&self, bucket: &str) -> Result<(), AwsError> {
        self.h()
            .delete_bucket_policy(
                &ctx(),
                g::DeleteBucketPolicyRequest {
                    bucket: bucket.into(),
                    ..Default::default()
                },
            )
            .await
    }
}

#[tokio::test]
async fn put_get_delete_round_trip() {
    let e = Env::new();
    e.mb("pol").await;
    let missing = assert_err(e.get_policy("pol").await, "NoSuchBucketPolicy", 404);
    assert_eq!(missing.message, "The bucket policy does not exist");
    assert_eq!(extra(&missing, "BucketName"), Some("pol"));
    assert_err(e.policy_public("pol").await, "NoSuchBucketPolicy", 404);

    e.put_policy("pol", PUBLIC_READ).await.expect("put");
    // Returned compacted: white space between tokens goes, strings stay as written.
    assert_eq!(e.get_policy("pol").await.unwrap(), PUBLIC_READ_COMPACT);
    assert!(e.policy_public("pol").await.unwrap());

    let read = e.svc.policies();
    let p = read.policy("pol").expect("read API sees the policy");
    assert_eq!(p.owner_account, ACCOUNT);
    assert_eq!(p.id, "arn:aws:s3:::pol#policy");
    assert_eq!(p.policy.statements().len(), 1);
    assert_eq!(p.policy.statements()[0].sid(), Some("PublicRead"));
    assert_eq!(read.bucket_owner("pol").as_deref(), Some(ACCOUNT));
    assert!(read.policy("other").is_none());

    // Replacing is a plain put.
    let private = statement(
        r#"{"AWS":"arn:aws:iam::111111111111:root"}"#,
        r#"["s3:GetObject","s3:ListBucket"]"#,
        r#"["arn:aws:s3:::pol","arn:aws:s3:::pol/*"]"#,
        None,
    );
    e.put_policy("pol", &private).await.expect("replace");
    assert_eq!(e.get_policy("pol").await.unwrap(), private);
    assert!(!e.policy_public("pol").await.unwrap());

    e.delete_policy("pol").await.expect("delete");
    assert_err(e.get_policy("pol").await, "NoSuchBucketPolicy", 404);
    assert!(read.policy("pol").is_none());
    // Deleting again (no policy) succeeds, as on AWS.
    e.delete_policy("pol").await.expect("delete again");
}

#[tokio::test]
async fn bucket_errors() {
    let e = Env::new();
    for r in [
        e.put_policy("nope", PUBLIC_READ).await,
        e.get_policy("nope").await.map(|_| ()),
        e.policy_public("nope").await.map(|_| ()),
        e.delete_policy("nope").await,
    ] {
        assert_err(r, "NoSuchBucket", 404);
    }
    e.mb("pol").await;
    // Another account that the authorizer let through: 405, as AWS answers.
    let other = ctx_as(OTHER, "us-east-1", T0);
    let r = e
        .h()
        .put_bucket_policy(&other, put_req("pol", PUBLIC_READ))
        .await;
    assert_err(r, "MethodNotAllowed", 405);
    let req = g::GetBucketPolicyRequest {
        bucket: "pol".into(),
        expected_bucket_owner: Some(OTHER.into()),
    };
    assert_err(
        e.h().get_bucket_policy(&ctx(), req).await,
        "AccessDenied",
        403,
    );
}

/// Each bad document and S3's message for it.
#[tokio::test]
async fn malformed_policies_use_s3_wording() {
    let e = Env::new();
    e.mb("pol").await;
    let obj = r#""arn:aws:s3:::pol/*""#;
    let get = r#""s3:GetObject""#;
    let cases: Vec<(String, &str)> = vec![
        ("policy.json".into(), "Policies must be valid JSON and the first byte must be '{'"),
        ("{\"Version\": ".into(), "This policy contains invalid Json"),
        (r#"{"Version":"2012-10-17"}"#.into(), "Missing required field Statement"),
        (
            r#"{"Version":"2012-10-17","Statement":[]}"#.into(),
            "Could not parse the policy: Statement is empty!",
        ),
        (
            r#"{"Statement":[{"Effect":"hello","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::pol/*"}]}"#.into(),
            "Invalid effect: hello",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::pol/*"}]}"#.into(),
            "Missing required field Principal",
        ),
        (statement(r#"{"AWS":"bob"}"#, get, obj, None), "Invalid principal in policy"),
        (statement(r#""*""#, get, r#""arn:aws:s3:::other/*""#, None), "Policy has invalid resource"),
        (statement(r#""*""#, get, r#""*""#, None), "Policy has invalid resource"),
        (statement(r#""*""#, get, r#""not-an-arn""#, None), "Policy has invalid resource"),
        (statement(r#""*""#, get, r#""arn:aws:sqs:::pol""#, None), "Policy has invalid resource"),
        (statement(r#""*""#, r#""iam:CreateUser""#, obj, None), "Policy has invalid action"),
        (statement(r#""*""#, r#""s3:NoSuchThing""#, obj, None), "Policy has invalid action"),
        (statement(r#""*""#, r#""GetObject""#, obj, None), "Policy has invalid action"),
        (
            statement(r#""*""#, r#""s3:ListBucket""#, obj, None),
            "Action does not apply to any resource(s) in statement",
        ),
        (
            statement(r#""*""#, r#"["s3:GetObject","s3:GetBucketAcl"]"#, obj, None),
            "Action does not apply to any resource(s) in statement",
        ),
        (
            statement(r#""*""#, r#""s3:ListAllMyBuckets""#, r#""arn:aws:s3:::pol""#, None),
            "Action does not apply to any resource(s) in statement",
        ),
    ];
    for (doc, message) in cases {
        let err = assert_err(e.put_policy("pol", &doc).await, "MalformedPolicy", 400);
        assert_eq!(err.message, message, "for {doc}");
    }
    assert_err(e.get_policy("pol").await, "NoSuchBucketPolicy", 404);
}

#[tokio::test]
async fn accepted_shapes() {
    let e = Env::new();
    e.mb("pol").await;
    let ok = [
        // `s3:*` on objects only: some S3 action applies.
        statement(r#""*""#, r#""s3:*""#, r#""arn:aws:s3:::pol/*""#, None),
        statement(r#""*""#, r#""*""#, r#""arn:aws:s3:::pol""#, None),
        statement(r#""*""#, r#""s3:Get*""#, r#""arn:aws:s3:::pol""#, None),
        // A wildcard bucket part that covers this bucket.
        statement(r#""*""#, r#""s3:GetObject""#, r#""arn:aws:s3:::po*""#, None),
        statement(r#""*""#, r#""s3:listbucket""#, r#""arn:aws:s3:::pol""#, None),
        // NotAction / NotPrincipal.
        r#"{"Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":"111111111111"},"NotAction":"s3:GetObject","Resource":"arn:aws:s3:::pol/*"}]}"#.to_string(),
    ];
    for doc in ok {
        e.put_policy("pol", &doc)
            .await
            .unwrap_or_else(|err| panic!("{doc}: {err}"));
    }
}

#[tokio::test]
async fn size_limit_is_20_kb_without_white_space() {
    let e = Env::new();
    e.mb("pol").await;
    let sids = |n: usize| {
        let one = r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::pol/*"}"#;
        format!(r#"{{"Statement":[{}]}}"#, vec![one; n].join(","))
    };
    let under = sids(200);
    assert!(under.len() < MAX_POLICY_BYTES);
    // Padding with white space does not count against the limit.
    let padded = under.replace(',', &format!(",{}", " ".repeat(100)));
    assert!(padded.len() > MAX_POLICY_BYTES);
    e.put_policy("pol", &padded)
        .await
        .expect("white space is free");
    let over = sids(300);
    assert!(over.len() > MAX_POLICY_BYTES);
    let err = assert_err(e.put_policy("pol", &over).await, "MalformedPolicy", 400);
    assert_eq!(
        err.message,
        "Policy exceeds the maximum allowed document size."
    );
}

#[tokio::test]
async fn public_status() {
    let e = Env::new();
    e.mb("pol").await;
    let obj = r#""arn:aws:s3:::pol/*""#;
    let get = r#""s3:GetObject""#;
    let cases = [
        (statement(r#""*""#, get, obj, None), true),
        (statement(r#"{"AWS":"*"}"#, get, obj, None), true),
        (statement(r#"{"AWS":["111111111111","*"]}"#, get, obj, None), true),
        (statement(r#"{"AWS":"111111111111"}"#, get, obj, None), false),
        (statement(r#"{"Service":"logging.s3.amazonaws.com"}"#, get, obj, None), false),
        (
            statement(r#""*""#, get, obj, Some(r#"{"StringEquals":{"aws:SourceAccount":"111111111111"}}"#)),
            false,
        ),
        (
            statement(r#""*""#, get, obj, Some(r#"{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#)),
            false,
        ),
        (
            statement(r#""*""#, get, obj, Some(r#"{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}"#)),
            true,
        ),
        (
            statement(r#""*""#, get, obj, Some(r#"{"ArnLike":{"aws:SourceArn":"arn:aws:cloudfront::*"}}"#)),
            true,
        ),
        (
            statement(r#""*""#, get, obj, Some(r#"{"StringEqualsIfExists":{"aws:SourceVpce":"vpce-1a2b3c4d"}}"#)),
            true,
        ),
        (
            statement(r#""*""#, get, obj, Some(r#"{"StringLike":{"aws:userid":"AROAEXAMPLEROLEID:*"}}"#)),
            false,
        ),
        (
            statement(r#""*""#, get, obj, Some(r#"{"Bool":{"aws:SecureTransport":"true"}}"#)),
            true,
        ),
        (
            r#"{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::pol/*"}]}"#.to_string(),
            false,
        ),
    ];
    for (doc, public) in cases {
        e.put_policy("pol", &doc)
            .await
            .unwrap_or_else(|err| panic!("{doc}: {err}"));
        assert_eq!(e.policy_public("pol").await.unwrap(), public, "for {doc}");
    }
}

#[tokio::test]
async fn policies_survive_restart_and_go_with_reset_and_bucket() {
    let e = Env::new();
    e.mb("pol").await;
    e.mb("keep").await;
    e.put_policy("pol", PUBLIC_READ).await.unwrap();
    let keep = statement(
        r#""*""#,
        r#""s3:ListBucket""#,
        r#""arn:aws:s3:::keep""#,
        None,
    );
    e.put_policy("keep", &keep).await.unwrap();

    let e = e.restart();
    assert_eq!(e.get_policy("pol").await.unwrap(), PUBLIC_READ_COMPACT);
    assert!(e.policy_public("pol").await.unwrap());
    let p = e.svc.policies().policy("keep").expect("loaded and parsed");
    assert_eq!(p.owner_account, ACCOUNT);

    // Deleting the bucket deletes its policy record too.
    e.h()
        .delete_bucket(
            &ctx(),
            g::DeleteBucketRequest {
                bucket: "pol".into(),
                ..Default::default()
            },
        )
        .await
        .expect("delete bucket");
    assert!(e.svc.policies().policy("pol").is_none());
    let keys: Vec<Vec<u8>> = e
        .store
        .scan_prefix(POLICIES, b"")
        .unwrap()
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(keys, vec![b"keep".to_vec()]);
    // A new bucket of the same name starts without one.
    e.mb("pol").await;
    assert_err(e.get_policy("pol").await, "NoSuchBucketPolicy", 404);

    let read = e.svc.policies();
    e.reset().await;
    assert!(read.policy("keep").is_none(), "the read API sees the reset");
    let e = e.restart();
    assert!(e.svc.policies().policy("keep").is_none());
    assert!(e.store.scan_prefix(POLICIES, b"").unwrap().is_empty());
}

/// A stored policy the current parser rejects stands as deny-all, and can be replaced.
#[tokio::test]
async fn unreadable_stored_policy_denies_everything() {
    let e = Env::new();
    e.mb("pol").await;
    let rec = PolicyRecord {
        bucket: "pol".into(),
        text: r#"{"Statement":"not a policy"}"#.into(),
    };
    let mut batch = nimbus_store::Batch::new();
    batch.put(
        POLICIES,
        b"pol".to_vec(),
        nimbus_store::encode_record(1, &rec),
    );
    e.store.submit(batch).await.expect("write");
    let e = e.restart();
    let p = e.svc.policies().policy("pol").expect("kept");
    let s = &p.policy.statements()[0];
    assert_eq!(s.effect(), nimbus_iam_policy::Effect::Deny);
    assert_eq!(s.actions().values, ["*"]);
    assert_eq!(e.get_policy("pol").await.unwrap(), rec.text);
    e.put_policy("pol", PUBLIC_READ).await.expect("replace");
    assert_eq!(
        e.svc.policies().policy("pol").unwrap().policy.statements()[0].effect(),
        nimbus_iam_policy::Effect::Allow
    );
}
