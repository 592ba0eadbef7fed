//! The default VPC (shape, per account and region, filters), availability zones and
//! regions.

mod common;

use common::*;
use svc_ec2::generated::*;

async fn vpcs(
    ec2: &svc_ec2::Ec2,
    c: &nimbus_core::RequestContext,
    req: DescribeVpcsRequest,
) -> Vec<Vpc> {
    ec2.describe_vpcs(c, req).await.unwrap().vpcs.unwrap()
}

#[tokio::test]
async fn default_vpc_shape() {
    let ec2 = ec2();
    let all = vpcs(&ec2, &ctx(), DescribeVpcsRequest::default()).await;
    assert_eq!(all.len(), 1);
    let v = &all[0];
    let id = v.vpc_id.clone().unwrap();
    assert!(id.starts_with("vpc-") && id.len() == 21, "{id}");
    assert_eq!(v.cidr_block.as_deref(), Some("172.31.0.0/16"));
    assert_eq!(v.is_default, Some(true));
    assert_eq!(v.state.as_deref(), Some("available"));
    assert_eq!(v.instance_tenancy.as_deref(), Some("default"));
    assert_eq!(v.owner_id.as_deref(), Some(ACCOUNT));
    assert!(v.dhcp_options_id.as_deref().unwrap().starts_with("dopt-"));
    let assoc = &v.cidr_block_association_set.as_ref().unwrap()[0];
    assert!(assoc
        .association_id
        .as_deref()
        .unwrap()
        .starts_with("vpc-cidr-assoc-"));
    assert_eq!(assoc.cidr_block.as_deref(), Some("172.31.0.0/16"));
    assert_eq!(
        assoc.cidr_block_state.as_ref().unwrap().state.as_deref(),
        Some("associated")
    );
    // The default group lives in it.
    assert_eq!(default_group(&ec2, &ctx()).await.vpc_id, Some(id));
}

#[tokio::test]
async fn defaults_are_per_account_and_region() {
    let ec2 = ec2();
    let east = vpcs(&ec2, &ctx(), DescribeVpcsRequest::default()).await;
    let west_ctx = ctx_in(ACCOUNT, "us-west-2");
    let west = vpcs(&ec2, &west_ctx, DescribeVpcsRequest::default()).await;
    let other_ctx = ctx_in("111122223333", "us-east-1");
    let other = vpcs(&ec2, &other_ctx, DescribeVpcsRequest::default()).await;
    assert_eq!((east.len(), west.len(), other.len()), (1, 1, 1));
    assert_ne!(east[0].vpc_id, west[0].vpc_id);
    assert_ne!(east[0].vpc_id, other[0].vpc_id);
    assert_eq!(other[0].owner_id.as_deref(), Some("111122223333"));
    // Stable: asking again does not make another.
    assert_eq!(
        vpcs(&ec2, &ctx(), DescribeVpcsRequest::default()).await,
        east
    );
    // Groups are scoped too.
    let gid = create(&ec2, &ctx(), "east-only").await;
    assert_eq!(
        describe_ids(&ec2, &west_ctx, &[&gid])
            .await
            .unwrap_err()
            .code,
        "InvalidGroup.NotFound"
    );
    let west_default = default_group(&ec2, &west_ctx).await;
    assert_eq!(west_default.vpc_id, west[0].vpc_id);
    assert!(west_default
        .security_group_arn
        .unwrap()
        .starts_with("arn:aws:ec2:us-west-2:"));
}

#[tokio::test]
async fn describe_vpcs_filters_and_ids() {
    let ec2 = ec2();
    let id = vpcs(&ec2, &ctx(), DescribeVpcsRequest::default()).await[0]
        .vpc_id
        .clone()
        .unwrap();
    let cases: Vec<(Filter, usize)> = vec![
        (filter("is-default", &["true"]), 1),
        (filter("is-default", &["false"]), 0),
        (filter("vpc-id", &[&id]), 1),
        (filter("cidr", &["172.31.0.0/16"]), 1),
        (
            filter("cidr-block-association.cidr-block", &["172.31.*"]),
            1,
        ),
        (filter("state", &["available"]), 1),
        (filter("state", &["pending"]), 0),
        (filter("owner-id", &[ACCOUNT]), 1),
        (filter("tag:Name", &["x"]), 0),
    ];
    for (f, n) in cases {
        let label = format!("{f:?}");
        let got = vpcs(
            &ec2,
            &ctx(),
            DescribeVpcsRequest {
                filters: Some(vec![f]),
                ..Default::default()
            },
        )
        .await;
        assert_eq!(got.len(), n, "{label}");
    }
    let got = vpcs(
        &ec2,
        &ctx(),
        DescribeVpcsRequest {
            vpc_ids: Some(vec![id]),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(got.len(), 1);
    let e = ec2
        .describe_vpcs(
            &ctx(),
            DescribeVpcsRequest {
                vpc_ids: Some(vec!["vpc-00000000000000000".into()]),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(e.code, "InvalidVpcID.NotFound");
    assert_eq!(
        e.message,
        "The vpc ID 'vpc-00000000000000000' does not exist"
    );
    let r = ec2
        .describe_vpcs(
            &ctx(),
            DescribeVpcsRequest {
                filters: Some(vec![filter("colour", &["x"])]),
                ..Default::default()
            },
        )
        .await;
    assert_eq!(err_code(r), "InvalidParameterValue");
}

async fn zones(
    region: &str,
    req: DescribeAvailabilityZonesRequest,
) -> Result<Vec<AvailabilityZone>, String> {
    ec2()
        .describe_availability_zones(&ctx_in(ACCOUNT, region), req)
        .await
        .map(|o| o.availability_zones.unwrap())
        .map_err(|e| e.code.to_string())
}

#[tokio::test]
async fn availability_zones_per_region() {
    let cases = [
        ("us-east-1", 6, "use1"),
        ("us-west-2", 4, "usw2"),
        ("eu-central-1", 3, "euc1"),
        ("ap-northeast-2", 3, "apne2"),
    ];
    for (region, n, abbr) in cases {
        let zs = zones(region, Default::default()).await.unwrap();
        assert_eq!(zs.len(), n, "{region}");
        for (i, z) in zs.iter().enumerate() {
            let letter = char::from(b'a' + i as u8);
            assert_eq!(z.zone_name, Some(format!("{region}{letter}")));
            assert_eq!(z.zone_id, Some(format!("{abbr}-az{}", i + 1)));
            assert_eq!(z.state.as_deref(), Some("available"));
            assert_eq!(z.opt_in_status.as_deref(), Some("opt-in-not-required"));
            assert_eq!(z.region_name.as_deref(), Some(region));
            assert_eq!(z.group_name.as_deref(), Some(region));
            assert_eq!(z.network_border_group.as_deref(), Some(region));
            assert_eq!(z.zone_type.as_deref(), Some("availability-zone"));
            assert_eq!(z.messages, Some(vec![]));
        }
    }
}

#[tokio::test]
async fn availability_zone_selectors() {
    let by_name = zones(
        "us-west-2",
        DescribeAvailabilityZonesRequest {
            zone_names: Some(vec!["us-west-2b".into()]),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(by_name.len(), 1);
    assert_eq!(by_name[0].zone_id.as_deref(), Some("usw2-az2"));
    let by_id = zones(
        "us-west-2",
        DescribeAvailabilityZonesRequest {
            zone_ids: Some(vec!["usw2-az3".into()]),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(by_id[0].zone_name.as_deref(), Some("us-west-2c"));
    let cases: Vec<(Filter, Result<usize, &str>)> = vec![
        (filter("zone-name", &["us-west-2a", "us-west-2d"]), Ok(2)),
        (filter("zone-id", &["usw2-*"]), Ok(4)),
        (filter("region-name", &["us-west-2"]), Ok(4)),
        (filter("region-name", &["us-east-1"]), Ok(0)),
        (filter("state", &["available"]), Ok(4)),
        (filter("colour", &["x"]), Err("InvalidParameterValue")),
    ];
    for (f, want) in cases {
        let label = format!("{f:?}");
        let got = zones(
            "us-west-2",
            DescribeAvailabilityZonesRequest {
                filters: Some(vec![f]),
                ..Default::default()
            },
        )
        .await
        .map(|z| z.len());
        assert_eq!(got, want.map_err(str::to_string), "{label}");
    }
    let bad = zones(
        "us-west-2",
        DescribeAvailabilityZonesRequest {
            zone_names: Some(vec!["us-west-2z".into()]),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(bad.unwrap_err(), "InvalidParameterValue");
}

async fn regions(region: &str, req: DescribeRegionsRequest) -> Result<Vec<Region>, String> {
    ec2()
        .describe_regions(&ctx_in(ACCOUNT, region), req)
        .await
        .map(|o| o.regions.unwrap())
        .map_err(|e| e.code.to_string())
}

fn names(rs: &[Region]) -> Vec<String> {
    rs.iter().map(|r| r.region_name.clone().unwrap()).collect()
}

#[tokio::test]
async fn describe_regions() {
    let all = regions("us-east-1", Default::default()).await.unwrap();
    let got = names(&all);
    for r in [
        "us-east-1",
        "us-east-2",
        "us-west-1",
        "us-west-2",
        "ca-central-1",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "eu-central-1",
        "eu-north-1",
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-northeast-3",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-south-1",
        "sa-east-1",
    ] {
        assert!(got.contains(&r.to_string()), "{r}");
    }
    assert_eq!(all.len(), 17);
    for r in &all {
        let name = r.region_name.clone().unwrap();
        assert_eq!(r.endpoint, Some(format!("ec2.{name}.amazonaws.com")));
        assert_eq!(r.opt_in_status.as_deref(), Some("opt-in-not-required"));
    }
    let picked = regions(
        "us-east-1",
        DescribeRegionsRequest {
            region_names: Some(vec!["eu-west-1".into(), "us-west-2".into()]),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(names(&picked), vec!["eu-west-1", "us-west-2"]);
    let bad = regions(
        "us-east-1",
        DescribeRegionsRequest {
            region_names: Some(vec!["mars-north-1".into()]),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(bad.unwrap_err(), "InvalidParameterValue");
    let filtered = regions(
        "us-east-1",
        DescribeRegionsRequest {
            filters: Some(vec![filter("region-name", &["us-*"])]),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        names(&filtered),
        vec!["us-east-1", "us-east-2", "us-west-1", "us-west-2"]
    );
    let with_opt_in = regions(
        "us-east-1",
        DescribeRegionsRequest {
            all_regions: Some(true),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let af = with_opt_in
        .iter()
        .find(|r| r.region_name.as_deref() == Some("af-south-1"))
        .unwrap();
    assert_eq!(af.opt_in_status.as_deref(), Some("not-opted-in"));
    // A non-standard region the caller uses is listed too.
    let local = regions("nimbus-local-1", Default::default()).await.unwrap();
    assert!(names(&local).contains(&"nimbus-local-1".to_string()));
}
