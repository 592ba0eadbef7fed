//! Bucket rules: lifecycle, global names with per-account ownership, regions and location
//! constraints, naming rules, emptiness on delete, ListBuckets.

use super::*;

fn create(bucket: &str, constraint: Option<&str>) -> g::CreateBucketRequest {
    g::CreateBucketRequest {
        bucket: bucket.into(),
        create_bucket_configuration: constraint.map(|c| g::CreateBucketConfiguration {
            location_constraint: Some(c.into()),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn head(bucket: &str) -> g::HeadBucketRequest {
    g::HeadBucketRequest {
        bucket: bucket.into(),
        ..Default::default()
    }
}

fn delete(bucket: &str) -> g::DeleteBucketRequest {
    g::DeleteBucketRequest {
        bucket: bucket.into(),
        ..Default::default()
    }
}

fn location(bucket: &str) -> g::GetBucketLocationRequest {
    g::GetBucketLocationRequest {
        bucket: bucket.into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn lifecycle() {
    let e = Env::new();
    let h = e.h();
    let out = h
        .create_bucket(&ctx(), create("my-bucket", None))
        .await
        .expect("create");
    assert_eq!(out.location.as_deref(), Some("/my-bucket"));

    let list = h
        .list_buckets(&ctx(), Default::default())
        .await
        .expect("list");
    let b = &list.buckets.expect("buckets")[0];
    assert_eq!(b.name.as_deref(), Some("my-bucket"));
    assert_eq!(b.creation_date, Some(T0));
    assert_eq!(b.bucket_region.as_deref(), Some("us-east-1"));
    let owner = list.owner.expect("owner");
    let id = owner.id.expect("id");
    assert_eq!(id.len(), 64);
    assert!(id.bytes().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(id, crate::state::canonical_id(ACCOUNT));
    assert_ne!(id, crate::state::canonical_id(OTHER));

    let hb = h
        .head_bucket(&ctx(), head("my-bucket"))
        .await
        .expect("head");
    assert_eq!(hb.bucket_region.as_deref(), Some("us-east-1"));
    let loc = h
        .get_bucket_location(&ctx(), location("my-bucket"))
        .await
        .expect("location");
    assert_eq!(loc.location_constraint, None);

    let again = assert_err(
        h.create_bucket(&ctx(), create("my-bucket", None)).await,
        "BucketAlreadyOwnedByYou",
        409,
    );
    assert_eq!(extra(&again, "BucketName"), Some("my-bucket"));

    h.delete_bucket(&ctx(), delete("my-bucket"))
        .await
        .expect("delete");
    let gone = assert_err(
        h.delete_bucket(&ctx(), delete("my-bucket")).await,
        "NoSuchBucket",
        404,
    );
    assert_eq!(gone.message, "The specified bucket does not exist");
    assert_eq!(extra(&gone, "BucketName"), Some("my-bucket"));
    assert_err(
        h.head_bucket(&ctx(), head("my-bucket")).await,
        "NoSuchBucket",
        404,
    );
    assert_err(
        h.get_bucket_location(&ctx(), location("my-bucket")).await,
        "NoSuchBucket",
        404,
    );
}

#[tokio::test]
async fn names_are_global_but_buckets_are_owned() {
    let e = Env::new();
    let h = e.h();
    e.mb("shared-name").await;
    let other = ctx_as(OTHER, "us-east-1", T0);
    let err = assert_err(
        h.create_bucket(&other, create("shared-name", None)).await,
        "BucketAlreadyExists",
        409,
    );
    assert_eq!(extra(&err, "BucketName"), Some("shared-name"));
    assert_err(
        h.head_bucket(&other, head("shared-name")).await,
        "AccessDenied",
        403,
    );
    assert_err(
        h.delete_bucket(&other, delete("shared-name")).await,
        "AccessDenied",
        403,
    );
    assert_err(
        h.put_object(&other, put_req("shared-name", "k", b"v"))
            .await,
        "AccessDenied",
        403,
    );
    let theirs = h
        .list_buckets(&other, Default::default())
        .await
        .expect("list");
    assert_eq!(theirs.buckets.unwrap_or_default().len(), 0);
    // ExpectedBucketOwner that is not the owner is refused too.
    let req = g::HeadBucketRequest {
        bucket: "shared-name".into(),
        expected_bucket_owner: Some(OTHER.into()),
    };
    assert_err(h.head_bucket(&ctx(), req).await, "AccessDenied", 403);
}

#[tokio::test]
async fn regions_and_location_constraints() {
    let e = Env::new();
    let h = e.h();
    let west = ctx_as(ACCOUNT, "us-west-2", T0);
    h.create_bucket(&west, create("west-bucket", Some("us-west-2")))
        .await
        .expect("create");
    let loc = h
        .get_bucket_location(&ctx(), location("west-bucket"))
        .await
        .expect("location");
    assert_eq!(loc.location_constraint.as_deref(), Some("us-west-2"));
    let hb = h
        .head_bucket(&ctx(), head("west-bucket"))
        .await
        .expect("head");
    assert_eq!(hb.bucket_region.as_deref(), Some("us-west-2"));

    let e1 = assert_err(
        h.create_bucket(&ctx(), create("b-east", Some("us-east-1")))
            .await,
        "InvalidLocationConstraint",
        400,
    );
    assert_eq!(extra(&e1, "LocationConstraint"), Some("us-east-1"));
    let e2 = assert_err(
        h.create_bucket(&ctx(), create("b-mismatch", Some("eu-west-1")))
            .await,
        "IllegalLocationConstraintException",
        400,
    );
    assert!(e2.message.contains("eu-west-1"), "{}", e2.message);
    let e3 = assert_err(
        h.create_bucket(&west, create("b-none", None)).await,
        "IllegalLocationConstraintException",
        400,
    );
    assert!(e3.message.contains("unspecified"), "{}", e3.message);
    // Nothing was created by the failures.
    let names: Vec<_> = h
        .list_buckets(&ctx(), Default::default())
        .await
        .expect("list")
        .buckets
        .unwrap_or_default();
    assert_eq!(names.len(), 1);
}

#[tokio::test]
async fn invalid_names_and_acls() {
    let e = Env::new();
    let h = e.h();
    for bad in ["Bad_Name", "ab", "192.168.1.1", "-x-bucket"] {
        let err = assert_err(
            h.create_bucket(&ctx(), create(bad, None)).await,
            "InvalidBucketName",
            400,
        );
        assert_eq!(extra(&err, "BucketName"), Some(bad));
    }
    let public = g::CreateBucketRequest {
        bucket: "acl-bucket".into(),
        acl: Some("public-read".into()),
        ..Default::default()
    };
    assert_err(
        h.create_bucket(&ctx(), public).await,
        "InvalidBucketAclWithObjectOwnership",
        400,
    );
    let private = g::CreateBucketRequest {
        bucket: "acl-bucket".into(),
        acl: Some("private".into()),
        ..Default::default()
    };
    h.create_bucket(&ctx(), private)
        .await
        .expect("private acl is the default");
}

#[tokio::test]
async fn delete_refuses_non_empty_buckets() {
    let e = Env::new();
    let h = e.h();
    e.mb("full").await;
    e.put("full", "k", b"v").await;
    let err = assert_err(
        h.delete_bucket(&ctx(), delete("full")).await,
        "BucketNotEmpty",
        409,
    );
    assert_eq!(extra(&err, "BucketName"), Some("full"));
    h.delete_object(
        &ctx(),
        g::DeleteObjectRequest {
            bucket: "full".into(),
            key: "k".into(),
            ..Default::default()
        },
    )
    .await
    .expect("delete object");
    h.delete_bucket(&ctx(), delete("full"))
        .await
        .expect("now empty");
}

#[tokio::test]
async fn list_buckets_filters_and_pages() {
    let e = Env::new();
    let h = e.h();
    for b in ["b-one", "b-two", "c-three", "b-four"] {
        e.mb(b).await;
    }
    let west = ctx_as(ACCOUNT, "us-west-2", T0);
    h.create_bucket(&west, create("b-west", Some("us-west-2")))
        .await
        .expect("create");

    let names = |o: &g::ListBucketsOutput| -> Vec<String> {
        o.buckets
            .iter()
            .flatten()
            .filter_map(|b| b.name.clone())
            .collect()
    };
    let all = h
        .list_buckets(&ctx(), Default::default())
        .await
        .expect("list");
    assert_eq!(
        names(&all),
        ["b-four", "b-one", "b-two", "b-west", "c-three"]
    );
    assert_eq!(all.continuation_token, None);

    let req = g::ListBucketsRequest {
        prefix: Some("b-".into()),
        max_buckets: Some(2),
        ..Default::default()
    };
    let p1 = h.list_buckets(&ctx(), req).await.expect("page 1");
    assert_eq!(names(&p1), ["b-four", "b-one"]);
    let token = p1.continuation_token.clone().expect("token");
    let req = g::ListBucketsRequest {
        prefix: Some("b-".into()),
        max_buckets: Some(2),
        continuation_token: Some(token),
        ..Default::default()
    };
    let p2 = h.list_buckets(&ctx(), req).await.expect("page 2");
    assert_eq!(names(&p2), ["b-two", "b-west"]);
    assert_eq!(p2.continuation_token, None);

    let req = g::ListBucketsRequest {
        bucket_region: Some("us-west-2".into()),
        ..Default::default()
    };
    assert_eq!(
        names(&h.list_buckets(&ctx(), req).await.expect("region")),
        ["b-west"]
    );

    let bad = g::ListBucketsRequest {
        continuation_token: Some("garbage".into()),
        ..Default::default()
    };
    assert_err(h.list_buckets(&ctx(), bad).await, "InvalidArgument", 400);
    let bad = g::ListBucketsRequest {
        max_buckets: Some(0),
        ..Default::default()
    };
    assert_err(h.list_buckets(&ctx(), bad).await, "InvalidArgument", 400);
}
