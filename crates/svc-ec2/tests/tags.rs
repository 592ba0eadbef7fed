//! CreateTags / DeleteTags / DescribeTags across every taggable kind: dispatch by id prefix,
//! all-or-nothing, AWS's errors for unknown and malformed ids, the `aws:` prefix, the
//! 50-tag limit, DeleteTags' value matching, DescribeTags' filters and paging, and the
//! tags showing in each resource's own describe and `tag:` filters.

mod common;

use common::*;
use nimbus_core::RequestContext;
use svc_ec2::generated::*;
use svc_ec2::Ec2;

fn tag(k: &str, v: &str) -> Tag {
    Tag {
        key: Some(k.into()),
        value: Some(v.into()),
    }
}

async fn create_tags(
    ec2: &Ec2,
    ctx: &RequestContext,
    ids: &[&str],
    tags: Vec<Tag>,
) -> Result<(), nimbus_core::AwsError> {
    ec2.create_tags(
        ctx,
        CreateTagsRequest {
            dry_run: None,
            resources: ids.iter().map(|s| s.to_string()).collect(),
            tags,
        },
    )
    .await
}

async fn describe_tags(
    ec2: &Ec2,
    ctx: &RequestContext,
    filters: Vec<Filter>,
) -> Vec<TagDescription> {
    ec2.describe_tags(
        ctx,
        DescribeTagsRequest {
            filters: Some(filters),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .tags
    .unwrap()
}

#[tokio::test]
async fn tags_reach_every_kind_and_show_in_describes() {
    let ec2 = ec2();
    let ctx = ctx();
    let vpc = ec2
        .describe_vpcs(&ctx, Default::default())
        .await
        .unwrap()
        .vpcs
        .unwrap()[0]
        .vpc_id
        .clone()
        .unwrap();
    let subnet = ec2
        .describe_subnets(&ctx, Default::default())
        .await
        .unwrap()
        .subnets
        .unwrap()[0]
        .subnet_id
        .clone()
        .unwrap();
    let igw = ec2
        .describe_internet_gateways(&ctx, Default::default())
        .await
        .unwrap()
        .internet_gateways
        .unwrap()[0]
        .internet_gateway_id
        .clone()
        .unwrap();
    let rtb = ec2
        .describe_route_tables(&ctx, Default::default())
        .await
        .unwrap()
        .route_tables
        .unwrap()[0]
        .route_table_id
        .clone()
        .unwrap();
    let sg = create(&ec2, &ctx, "tagged").await;
    let eip = ec2
        .allocate_address(&ctx, Default::default())
        .await
        .unwrap()
        .allocation_id
        .unwrap();
    let ids = [
        vpc.as_str(),
        subnet.as_str(),
        igw.as_str(),
        rtb.as_str(),
        sg.as_str(),
        eip.as_str(),
    ];
    create_tags(&ec2, &ctx, &ids, vec![tag("env", "lab"), tag("Name", "x")])
        .await
        .unwrap();
    let all = describe_tags(&ec2, &ctx, vec![filter("key", &["env"])]).await;
    let mut types: Vec<String> = all
        .iter()
        .map(|d| d.resource_type.clone().unwrap())
        .collect();
    types.sort();
    assert_eq!(
        types,
        [
            "elastic-ip",
            "internet-gateway",
            "route-table",
            "security-group",
            "subnet",
            "vpc"
        ]
    );
    let subnets = describe_tags(&ec2, &ctx, vec![filter("resource-type", &["subnet"])]).await;
    assert_eq!(subnets.len(), 2);
    assert!(subnets
        .iter()
        .all(|d| d.resource_id.as_deref() == Some(subnet.as_str())));
    let by_tag = describe_tags(
        &ec2,
        &ctx,
        vec![filter("tag:env", &["lab"]), filter("resource-id", &[&vpc])],
    )
    .await;
    assert_eq!(by_tag.len(), 1);

    // Each resource's own describe shows them and filters on them.
    let found = ec2
        .describe_subnets(
            &ctx,
            DescribeSubnetsRequest {
                filters: Some(vec![filter("tag:env", &["lab"])]),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .subnets
        .unwrap();
    assert_eq!(found.len(), 1);
    let igws = ec2
        .describe_internet_gateways(
            &ctx,
            DescribeInternetGatewaysRequest {
                filters: Some(vec![filter("tag-key", &["env"])]),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .internet_gateways
        .unwrap();
    assert_eq!(igws[0].tags.as_ref().unwrap().len(), 2);
    let addrs = ec2
        .describe_addresses(
            &ctx,
            DescribeAddressesRequest {
                filters: Some(vec![filter("tag-value", &["lab"])]),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .addresses
        .unwrap();
    assert_eq!(addrs.len(), 1);

    // Overwrite one value; delete by key+value (no match keeps it) and by key.
    create_tags(&ec2, &ctx, &[&vpc], vec![tag("env", "prod")])
        .await
        .unwrap();
    let delete = |tags: Option<Vec<Tag>>| DeleteTagsRequest {
        dry_run: None,
        resources: vec![vpc.clone()],
        tags,
    };
    ec2.delete_tags(&ctx, delete(Some(vec![tag("env", "lab")])))
        .await
        .unwrap();
    let left = describe_tags(&ec2, &ctx, vec![filter("resource-id", &[&vpc])]).await;
    assert_eq!(left.len(), 2);
    ec2.delete_tags(
        &ctx,
        delete(Some(vec![Tag {
            key: Some("env".into()),
            value: None,
        }])),
    )
    .await
    .unwrap();
    let left = describe_tags(&ec2, &ctx, vec![filter("resource-id", &[&vpc])]).await;
    assert_eq!(
        left.iter()
            .map(|d| d.key.clone().unwrap())
            .collect::<Vec<_>>(),
        ["Name"]
    );
    ec2.delete_tags(&ctx, delete(None)).await.unwrap();
    assert!(
        describe_tags(&ec2, &ctx, vec![filter("resource-id", &[&vpc])])
            .await
            .is_empty()
    );

    // Paging through all tags (5 resources x 2 tags).
    let page = ec2
        .describe_tags(
            &ctx,
            DescribeTagsRequest {
                max_results: Some(5),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(page.tags.unwrap().len(), 5);
    let rest = ec2
        .describe_tags(
            &ctx,
            DescribeTagsRequest {
                max_results: Some(5),
                next_token: page.next_token,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(rest.tags.unwrap().len(), 5);
    assert!(rest.next_token.is_none());
}

#[tokio::test]
async fn tag_errors() {
    let ec2 = ec2();
    let ctx = ctx();
    let sg = create(&ec2, &ctx, "errs").await;
    let cases: Vec<(Vec<&str>, Vec<Tag>, &str)> = vec![
        (vec!["banana-123"], vec![tag("a", "b")], "InvalidID"),
        (
            vec!["vpc-0123456789abcdef0"],
            vec![tag("a", "b")],
            "InvalidVpcID.NotFound",
        ),
        (
            vec!["subnet-0123456789abcdef0"],
            vec![tag("a", "b")],
            "InvalidSubnetID.NotFound",
        ),
        (
            vec![&sg],
            vec![tag("aws:owner", "me")],
            "InvalidParameterValue",
        ),
        (vec![&sg], vec![], "MissingParameter"),
        (vec![], vec![tag("a", "b")], "MissingParameter"),
    ];
    for (ids, tags, code) in cases {
        assert_eq!(
            err_code(create_tags(&ec2, &ctx, &ids, tags).await),
            code,
            "{ids:?}"
        );
    }
    // All or nothing: a good id next to a missing one is not tagged.
    let r = create_tags(
        &ec2,
        &ctx,
        &[&sg, "sg-0123456789abcdef0"],
        vec![tag("k", "v")],
    )
    .await;
    assert_eq!(err_code(r), "InvalidGroup.NotFound");
    assert!(
        describe_tags(&ec2, &ctx, vec![filter("resource-id", &[&sg])])
            .await
            .is_empty()
    );
    // 50 tags per resource.
    let fifty: Vec<Tag> = (0..50).map(|i| tag(&format!("k{i}"), "v")).collect();
    create_tags(&ec2, &ctx, &[&sg], fifty).await.unwrap();
    assert_eq!(
        err_code(create_tags(&ec2, &ctx, &[&sg], vec![tag("one-more", "v")]).await),
        "TagLimitExceeded"
    );
    create_tags(&ec2, &ctx, &[&sg], vec![tag("k7", "replaced")])
        .await
        .unwrap();
    let dry = CreateTagsRequest {
        dry_run: Some(true),
        resources: vec![sg.clone()],
        tags: vec![tag("a", "b")],
    };
    assert_eq!(
        err_code(ec2.create_tags(&ctx, dry).await),
        "DryRunOperation"
    );
    let bad_filter = ec2
        .describe_tags(
            &ctx,
            DescribeTagsRequest {
                filters: Some(vec![filter("tag-key", &["x"])]),
                ..Default::default()
            },
        )
        .await;
    assert_eq!(err_code(bad_filter), "InvalidParameterValue");
}
