//! What S3's generated `Router` asks the authorizer (from `codegen/authorization/s3.json`):
//! the IAM action each operation maps to, its bucket or object ARNs and its condition keys,
//! asked before any handler runs, with the actions AWS adds or swaps only for some
//! requests (ACL and tagging headers on `PutObject`, a `VersionId` on `GetObject`); and how
//! a refusal looks on the wire.

use nimbus_core::{Access, Ids, ManualClock, Timestamp};
use nimbus_store::Store;
use nimbus_wire::convert::IntoValue;
use nimbus_wire::testing::{context, poll_once, DenyAndRecord};
use nimbus_wire::Protocol;
use std::sync::Arc;
use svc_s3::generated::*;

/// Calls `op` through the real service with a refusing recorder; returns what it saw.
fn asked(op: &str, input: impl IntoValue) -> Vec<Access> {
    asked_value(op, input.into_value())
}

fn asked_value(op: &str, input: nimbus_wire::Value) -> Vec<Access> {
    let svc = svc_s3::service(
        Store::in_memory(),
        Arc::new(ManualClock::new(Timestamp(0))),
        Arc::new(Ids::from_seed(7)),
        None,
    )
    .unwrap();
    let authz = DenyAndRecord::default();
    let op = MODEL.operation(op).unwrap();
    let err =
        poll_once(svc.call(&context(), &authz, Protocol::RestXml, op, Some(input))).unwrap_err();
    assert_eq!((err.code.as_ref(), err.status), ("AccessDenied", 403));
    assert_eq!(
        err.message,
        "User: arn:aws:iam::123456789012:user/bob is not authorized"
    );
    authz.asked()
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn get_object_asks_for_the_object() {
    let a = asked(
        "GetObject",
        GetObjectRequest {
            bucket: "photos".into(),
            key: "2024/cat.jpg".into(),
            ..Default::default()
        },
    );
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].action, "s3:GetObject");
    assert_eq!(a[0].resources, ["arn:aws:s3:::photos/2024/cat.jpg"]);
    assert!(a[0].conditions.is_empty());
}

#[test]
fn list_objects_v2_is_list_bucket_with_the_prefix_conditions_it_sets() {
    let a = asked(
        "ListObjectsV2",
        ListObjectsV2Request {
            bucket: "photos".into(),
            prefix: Some("2024/".into()),
            max_keys: Some(10),
            ..Default::default()
        },
    );
    assert_eq!(a[0].action, "s3:ListBucket");
    assert_eq!(a[0].resources, ["arn:aws:s3:::photos"]);
    assert_eq!(
        a[0].conditions,
        [
            ("s3:prefix".into(), strings(&["2024/"])),
            ("s3:max-keys".into(), strings(&["10"]))
        ]
    );
}

#[test]
fn other_operations_map_to_their_iam_actions() {
    let ctx = context();
    let head = access::head_object(
        &ctx,
        &HeadObjectRequest {
            bucket: "b".into(),
            key: "k".into(),
            ..Default::default()
        },
    );
    assert_eq!(head[0].action, "s3:GetObject");
    assert_eq!(head[0].resources, ["arn:aws:s3:::b/k"]);
    let hb = access::head_bucket(
        &ctx,
        &HeadBucketRequest {
            bucket: "b".into(),
            ..Default::default()
        },
    );
    assert_eq!(hb[0].action, "s3:ListBucket");
    let lb = access::list_buckets(&ctx, &Default::default());
    assert_eq!(lb[0].action, "s3:ListAllMyBuckets");
    assert_eq!(lb[0].resources, ["*"]);
    let cb = access::create_bucket(
        &ctx,
        &CreateBucketRequest {
            bucket: "b".into(),
            create_bucket_configuration: Some(CreateBucketConfiguration {
                location_constraint: Some("eu-west-1".into()),
                ..Default::default()
            }),
            ..Default::default()
        },
    );
    assert_eq!(
        cb[0].condition("s3:LocationConstraint"),
        Some(&strings(&["eu-west-1"])[..])
    );
}

#[test]
fn delete_objects_asks_for_each_key() {
    let a = asked(
        "DeleteObjects",
        DeleteObjectsRequest {
            bucket: "b".into(),
            delete: Delete {
                objects: vec![
                    ObjectIdentifier {
                        key: "x".into(),
                        ..Default::default()
                    },
                    ObjectIdentifier {
                        key: "y/z".into(),
                        ..Default::default()
                    },
                ],
                ..Default::default()
            },
            ..Default::default()
        },
    );
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].action, "s3:DeleteObject");
    assert_eq!(a[0].resources, ["arn:aws:s3:::b/x", "arn:aws:s3:::b/y/z"]);
}

#[test]
fn bucket_policy_operations_ask_for_their_own_actions_on_the_bucket() {
    let bucket = || "photos".to_string();
    let cases: Vec<(&str, nimbus_wire::Value, &str)> = vec![
        (
            "PutBucketPolicy",
            PutBucketPolicyRequest {
                bucket: bucket(),
                policy: "{}".into(),
                ..Default::default()
            }
            .into_value(),
            "s3:PutBucketPolicy",
        ),
        (
            "GetBucketPolicy",
            GetBucketPolicyRequest {
                bucket: bucket(),
                ..Default::default()
            }
            .into_value(),
            "s3:GetBucketPolicy",
        ),
        (
            "DeleteBucketPolicy",
            DeleteBucketPolicyRequest {
                bucket: bucket(),
                ..Default::default()
            }
            .into_value(),
            "s3:DeleteBucketPolicy",
        ),
        (
            "GetBucketPolicyStatus",
            GetBucketPolicyStatusRequest {
                bucket: bucket(),
                ..Default::default()
            }
            .into_value(),
            "s3:GetBucketPolicyStatus",
        ),
    ];
    for (op, input, action) in cases {
        let a = asked_value(op, input);
        assert_eq!(a.len(), 1, "{op}");
        assert_eq!(a[0].action, action);
        assert_eq!(a[0].resources, ["arn:aws:s3:::photos"]);
        assert!(a[0].conditions.is_empty());
    }
}

fn actions(a: &[Access]) -> Vec<&'static str> {
    a.iter().map(|a| a.action).collect()
}

/// AWS: with a `versionId`, `s3:GetObjectVersion` is required and `s3:GetObject` is not
/// (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html>).
#[test]
fn get_object_of_a_version_asks_get_object_version_instead() {
    let a = asked(
        "GetObject",
        GetObjectRequest {
            bucket: "photos".into(),
            key: "cat.jpg".into(),
            version_id: Some("v1".into()),
            ..Default::default()
        },
    );
    assert_eq!(actions(&a), ["s3:GetObjectVersion"]);
    assert_eq!(a[0].resources, ["arn:aws:s3:::photos/cat.jpg"]);
    assert_eq!(a[0].condition("s3:versionid"), Some(&strings(&["v1"])[..]));
}

/// `PutObject` asks `s3:PutObjectAcl` when an ACL or grant header is sent and
/// `s3:PutObjectTagging` when `x-amz-tagging` is, each on the same object
/// (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html>).
#[test]
fn put_object_adds_acl_and_tagging_actions_only_when_those_headers_are_sent() {
    let put = |f: &dyn Fn(&mut PutObjectRequest)| {
        let mut r = PutObjectRequest {
            bucket: "b".into(),
            key: "k".into(),
            ..Default::default()
        };
        f(&mut r);
        asked("PutObject", r)
    };
    assert_eq!(actions(&put(&|_| {})), ["s3:PutObject"]);
    let tagged = put(&|r| r.tagging = Some("team=red".into()));
    assert_eq!(actions(&tagged), ["s3:PutObject", "s3:PutObjectTagging"]);
    assert_eq!(tagged[1].resources, ["arn:aws:s3:::b/k"]);
    let acl = put(&|r| r.acl = Some("public-read".into()));
    assert_eq!(actions(&acl), ["s3:PutObject", "s3:PutObjectAcl"]);
    assert_eq!(acl[1].resources, ["arn:aws:s3:::b/k"]);
    assert_eq!(
        acl[1].condition("s3:x-amz-acl"),
        Some(&strings(&["public-read"])[..])
    );
    let grant = put(&|r| r.grant_read = Some("id=abc".into()));
    assert_eq!(actions(&grant), ["s3:PutObject", "s3:PutObjectAcl"]);
    let both = put(&|r| {
        r.grant_full_control = Some("id=abc".into());
        r.acl = Some("private".into());
        r.tagging = Some("a=b".into());
    });
    assert_eq!(
        actions(&both),
        ["s3:PutObject", "s3:PutObjectAcl", "s3:PutObjectTagging"]
    );
}
