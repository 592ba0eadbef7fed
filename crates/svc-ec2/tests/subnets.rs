//! Subnets: the default subnets of a fresh (account, region), CreateSubnet's range, conflict
//! and zone rules, filters and paging, ModifySubnetAttribute, DeleteSubnet's guard, and the
//! public address API other services use (allocate/release, the subnet and group lookups).

mod common;

use common::*;
use std::net::Ipv4Addr;
use svc_ec2::generated::*;
use svc_ec2::Ec2;

async fn subnets(
    ec2: &Ec2,
    ctx: &nimbus_core::RequestContext,
    filters: Vec<Filter>,
) -> Vec<Subnet> {
    ec2.describe_subnets(
        ctx,
        DescribeSubnetsRequest {
            filters: Some(filters),
            ..Default::default()
        },
    )
    .await
    .expect("describe subnets")
    .subnets
    .unwrap_or_default()
}

async fn default_vpc_id(ec2: &Ec2, ctx: &nimbus_core::RequestContext) -> String {
    ec2.describe_vpcs(ctx, Default::default())
        .await
        .unwrap()
        .vpcs
        .unwrap()
        .into_iter()
        .find(|v| v.is_default == Some(true))
        .and_then(|v| v.vpc_id)
        .unwrap()
}

fn create_req(vpc: &str, cidr: &str, az: Option<&str>) -> CreateSubnetRequest {
    CreateSubnetRequest {
        vpc_id: vpc.into(),
        cidr_block: Some(cidr.into()),
        availability_zone: az.map(Into::into),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_fresh_region_has_one_default_subnet_per_zone() {
    let ec2 = ec2();
    for (region, zones) in [("us-east-1", 6), ("eu-west-3", 3)] {
        let ctx = ctx_in(ACCOUNT, region);
        let vpc = default_vpc_id(&ec2, &ctx).await;
        let mut all = subnets(&ec2, &ctx, vec![]).await;
        all.sort_by(|a, b| a.availability_zone.cmp(&b.availability_zone));
        assert_eq!(all.len(), zones);
        for (i, s) in all.iter().enumerate() {
            let letter = char::from(b'a' + i as u8);
            assert_eq!(
                s.availability_zone.as_deref(),
                Some(format!("{region}{letter}").as_str())
            );
            assert_eq!(
                s.cidr_block.as_deref(),
                Some(format!("172.31.{}.0/20", 16 * i).as_str())
            );
            assert_eq!(s.default_for_az, Some(true));
            assert_eq!(s.map_public_ip_on_launch, Some(true));
            assert_eq!(s.available_ip_address_count, Some(4091));
            assert_eq!(s.vpc_id.as_deref(), Some(vpc.as_str()));
            let id = s.subnet_id.as_deref().unwrap();
            assert!(id.starts_with("subnet-") && id.len() == 24, "{id}");
        }
        let defaults = subnets(&ec2, &ctx, vec![filter("default-for-az", &["true"])]).await;
        assert_eq!(defaults.len(), zones);
    }
}

#[tokio::test]
async fn create_subnet_checks_range_conflict_and_zone() {
    let ec2 = ec2();
    let ctx = ctx();
    let vpc = default_vpc_id(&ec2, &ctx).await;
    // 172.31.0.0/20 .. 172.31.80.0/20 are the default subnets of us-east-1's six zones.
    let made = ec2
        .create_subnet(&ctx, create_req(&vpc, "172.31.96.0/24", Some("us-east-1b")))
        .await
        .unwrap()
        .subnet
        .unwrap();
    assert_eq!(made.availability_zone.as_deref(), Some("us-east-1b"));
    assert_eq!(made.availability_zone_id.as_deref(), Some("use1-az2"));
    assert_eq!(made.available_ip_address_count, Some(251));
    assert_eq!(made.default_for_az, Some(false));
    assert_eq!(made.map_public_ip_on_launch, Some(false));
    let by_id = CreateSubnetRequest {
        availability_zone_id: Some("use1-az3".into()),
        ..create_req(&vpc, "172.31.97.0/28", None)
    };
    let s = ec2
        .create_subnet(&ctx, by_id)
        .await
        .unwrap()
        .subnet
        .unwrap();
    assert_eq!(s.availability_zone.as_deref(), Some("us-east-1c"));
    assert_eq!(s.available_ip_address_count, Some(11));

    let cases = [
        (
            "172.31.96.128/25",
            Some("us-east-1a"),
            "InvalidSubnet.Conflict",
        ),
        ("172.31.0.0/24", None, "InvalidSubnet.Conflict"),
        ("10.0.0.0/24", None, "InvalidSubnet.Range"),
        ("172.31.98.0/29", None, "InvalidSubnet.Range"),
        ("172.31.98.1/24", None, "InvalidParameterValue"),
        (
            "172.31.98.0/24",
            Some("us-east-1z"),
            "InvalidParameterValue",
        ),
    ];
    for (cidr, az, code) in cases {
        let r = ec2.create_subnet(&ctx, create_req(&vpc, cidr, az)).await;
        assert_eq!(err_code(r), code, "{cidr}");
    }
    let r = ec2
        .create_subnet(
            &ctx,
            create_req("vpc-0123456789abcdef0", "10.0.0.0/24", None),
        )
        .await;
    assert_eq!(err_code(r), "InvalidVpcID.NotFound");
    let dry = CreateSubnetRequest {
        dry_run: Some(true),
        ..create_req(&vpc, "172.31.99.0/24", None)
    };
    assert_eq!(
        err_code(ec2.create_subnet(&ctx, dry).await),
        "DryRunOperation"
    );
    assert_eq!(subnets(&ec2, &ctx, vec![]).await.len(), 8);
}

#[tokio::test]
async fn filters_tags_paging_modify_and_delete() {
    let ec2 = ec2();
    let ctx = ctx();
    let vpc = default_vpc_id(&ec2, &ctx).await;
    let tagged = CreateSubnetRequest {
        tag_specifications: Some(vec![TagSpecification {
            resource_type: Some("subnet".into()),
            tags: Some(vec![Tag {
                key: Some("Name".into()),
                value: Some("web-a".into()),
            }]),
        }]),
        ..create_req(&vpc, "172.31.200.0/24", Some("us-east-1a"))
    };
    let id = ec2
        .create_subnet(&ctx, tagged)
        .await
        .unwrap()
        .subnet
        .unwrap()
        .subnet_id
        .unwrap();
    let hit = subnets(&ec2, &ctx, vec![filter("tag:Name", &["web-*"])]).await;
    assert_eq!(hit.len(), 1);
    assert_eq!(hit[0].subnet_id.as_deref(), Some(id.as_str()));
    let zone_a = subnets(
        &ec2,
        &ctx,
        vec![
            filter("availability-zone", &["us-east-1a"]),
            filter("vpc-id", &[&vpc]),
        ],
    )
    .await;
    assert_eq!(zone_a.len(), 2);
    let bad = ec2
        .describe_subnets(
            &ctx,
            DescribeSubnetsRequest {
                filters: Some(vec![filter("no-such-filter", &["x"])]),
                ..Default::default()
            },
        )
        .await;
    assert_eq!(err_code(bad), "InvalidParameterValue");

    // Paging: 7 subnets in pages of 5.
    let page1 = ec2
        .describe_subnets(
            &ctx,
            DescribeSubnetsRequest {
                max_results: Some(5),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(page1.subnets.as_ref().unwrap().len(), 5);
    let page2 = ec2
        .describe_subnets(
            &ctx,
            DescribeSubnetsRequest {
                max_results: Some(5),
                next_token: page1.next_token.clone(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(page2.subnets.unwrap().len(), 2);
    assert!(page2.next_token.is_none());

    ec2.modify_subnet_attribute(
        &ctx,
        ModifySubnetAttributeRequest {
            subnet_id: id.clone(),
            map_public_ip_on_launch: Some(AttributeBooleanValue { value: Some(true) }),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let public = subnets(
        &ec2,
        &ctx,
        vec![filter("map-public-ip-on-launch", &["true"])],
    )
    .await;
    assert!(public
        .iter()
        .any(|s| s.subnet_id.as_deref() == Some(id.as_str())));

    // An address taken through the public API blocks the delete until it is released.
    let ip = ec2
        .allocate_private_ip(ACCOUNT, "us-east-1", &id, "test-holder", None)
        .await
        .unwrap();
    let del = || DeleteSubnetRequest {
        subnet_id: id.clone(),
        dry_run: None,
    };
    assert_eq!(
        err_code(ec2.delete_subnet(&ctx, del()).await),
        "DependencyViolation"
    );
    assert!(ec2
        .release_private_ip(ACCOUNT, "us-east-1", &id, ip)
        .await
        .unwrap());
    ec2.delete_subnet(&ctx, del()).await.unwrap();
    assert_eq!(
        err_code(ec2.delete_subnet(&ctx, del()).await),
        "InvalidSubnetID.NotFound"
    );
    let malformed = DeleteSubnetRequest {
        subnet_id: "sub-1".into(),
        dry_run: None,
    };
    assert_eq!(
        err_code(ec2.delete_subnet(&ctx, malformed).await),
        "InvalidSubnetID.Malformed"
    );
}

#[tokio::test]
async fn public_api_allocates_the_lowest_free_address_and_counts_it() {
    let ec2 = ec2();
    let ctx = ctx();
    let vpc = default_vpc_id(&ec2, &ctx).await;
    let s = ec2
        .create_subnet(&ctx, create_req(&vpc, "172.31.128.0/28", None))
        .await
        .unwrap()
        .subnet
        .unwrap();
    let id = s.subnet_id.unwrap();
    let info = ec2.subnet(ACCOUNT, "us-east-1", &id).unwrap();
    assert_eq!(info.vpc_id, vpc);
    assert_eq!(info.cidr_block, "172.31.128.0/28");
    assert_eq!(info.available_ip_address_count, 11);
    assert!(ec2.subnet("111111111111", "us-east-1", &id).is_none());
    assert!(ec2.subnet(ACCOUNT, "us-west-2", &id).is_none());

    let take = |wanted: Option<Ipv4Addr>| {
        let ec2 = ec2.clone();
        let id = id.clone();
        async move {
            ec2.allocate_private_ip(ACCOUNT, "us-east-1", &id, "eni-test", wanted)
                .await
        }
    };
    // The first four addresses are AWS's; the first free one is .4.
    assert_eq!(take(None).await.unwrap(), Ipv4Addr::new(172, 31, 128, 4));
    assert_eq!(
        take(Some(Ipv4Addr::new(172, 31, 128, 6))).await.unwrap(),
        Ipv4Addr::new(172, 31, 128, 6)
    );
    assert_eq!(take(None).await.unwrap(), Ipv4Addr::new(172, 31, 128, 5));
    assert_eq!(take(None).await.unwrap(), Ipv4Addr::new(172, 31, 128, 7));
    assert_eq!(
        err_code(take(Some(Ipv4Addr::new(172, 31, 128, 6))).await),
        "InvalidIPAddress.InUse"
    );
    for reserved in [1, 15] {
        assert_eq!(
            err_code(take(Some(Ipv4Addr::new(172, 31, 128, reserved))).await),
            "InvalidParameterValue"
        );
    }
    assert_eq!(
        err_code(take(Some(Ipv4Addr::new(10, 0, 0, 5))).await),
        "InvalidParameterValue"
    );
    let count = |ec2: &Ec2| {
        ec2.subnet(ACCOUNT, "us-east-1", &id)
            .unwrap()
            .available_ip_address_count
    };
    assert_eq!(count(&ec2), 7);
    // .8 to .14 are the last seven usable addresses.
    for _ in 0..7 {
        take(None).await.unwrap();
    }
    assert_eq!(count(&ec2), 0);
    assert_eq!(
        err_code(take(None).await),
        "InsufficientFreeAddressesInSubnet"
    );
    assert!(ec2
        .release_private_ip(ACCOUNT, "us-east-1", &id, Ipv4Addr::new(172, 31, 128, 5))
        .await
        .unwrap());
    assert!(!ec2
        .release_private_ip(ACCOUNT, "us-east-1", &id, Ipv4Addr::new(172, 31, 128, 5))
        .await
        .unwrap());
    assert_eq!(take(None).await.unwrap(), Ipv4Addr::new(172, 31, 128, 5));
    let described = subnets(&ec2, &ctx, vec![filter("subnet-id", &[&id])]).await;
    assert_eq!(described[0].available_ip_address_count, Some(0));
    assert_eq!(
        err_code(
            ec2.allocate_private_ip(ACCOUNT, "us-east-1", "subnet-0123456789abcdef0", "x", None)
                .await
        ),
        "InvalidSubnetID.NotFound"
    );

    // Security group → VPC.
    let gid = create(&ec2, &ctx, "lookup").await;
    assert_eq!(
        ec2.security_group_vpc(ACCOUNT, "us-east-1", &gid),
        Some(vpc)
    );
    assert_eq!(ec2.security_group_vpc(ACCOUNT, "eu-west-1", &gid), None);

    // Default subnets of a region nobody touched yet.
    let defaults = ec2
        .default_subnets(ACCOUNT, "ap-northeast-2")
        .await
        .unwrap();
    assert_eq!(
        defaults
            .iter()
            .map(|s| s.availability_zone.as_str())
            .collect::<Vec<_>>(),
        ["ap-northeast-2a", "ap-northeast-2b", "ap-northeast-2c"]
    );
}
