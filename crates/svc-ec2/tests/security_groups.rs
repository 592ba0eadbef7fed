//! Security group lifecycle through the `Handlers` trait: create (the seed's exact output,
//! validation, tags), describe (ids, names, filters, wildcards, paging), delete (guards),
//! and DryRun on every operation.

mod common;

use common::*;
use svc_ec2::generated::*;

#[tokio::test]
async fn seed_create_returns_the_group_id_and_arn() {
    let ec2 = ec2();
    let out = ec2
        .create_security_group(
            &ctx(),
            CreateSecurityGroupRequest {
                group_name: "my-sg".into(),
                description: "My security group".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let gid = out.group_id.clone().unwrap();
    assert!(gid.starts_with("sg-") && gid.len() == 20, "{gid}");
    assert_eq!(
        out,
        CreateSecurityGroupResult {
            group_id: Some(gid.clone()),
            tags: None,
            security_group_arn: Some(format!(
                "arn:aws:ec2:us-east-1:{ACCOUNT}:security-group/{gid}"
            )),
        }
    );

    let g = describe_one(&ec2, &ctx(), &gid).await;
    assert_eq!(g.group_name.as_deref(), Some("my-sg"));
    assert_eq!(g.description.as_deref(), Some("My security group"));
    assert_eq!(g.owner_id.as_deref(), Some(ACCOUNT));
    assert_eq!(
        g.security_group_arn,
        Some(format!(
            "arn:aws:ec2:us-east-1:{ACCOUNT}:security-group/{gid}"
        ))
    );
    assert!(g.vpc_id.as_deref().unwrap().starts_with("vpc-"));
    assert_eq!(g.ip_permissions, Some(vec![]));
    assert_eq!(
        g.ip_permissions_egress,
        Some(vec![IpPermission {
            ip_protocol: Some("-1".into()),
            from_port: None,
            to_port: None,
            user_id_group_pairs: Some(vec![]),
            ip_ranges: Some(vec![IpRange {
                cidr_ip: Some("0.0.0.0/0".into()),
                description: None
            }]),
            ipv6_ranges: Some(vec![]),
            prefix_list_ids: Some(vec![]),
        }])
    );
    assert_eq!(g.tags, None);
}

#[tokio::test]
async fn create_validation_table() {
    let ec2 = ec2();
    create(&ec2, &ctx(), "taken").await;
    let long = "x".repeat(256);
    let cases: Vec<(&str, &str, Option<&str>, &str)> = vec![
        ("taken", "d", None, "InvalidGroup.Duplicate"),
        ("TAKEN", "d", None, "InvalidGroup.Duplicate"),
        ("sg-foo", "d", None, "InvalidParameterValue"),
        ("SG-foo", "d", None, "InvalidParameterValue"),
        (&long, "d", None, "InvalidParameterValue"),
        ("ok-name", &long, None, "InvalidParameterValue"),
        ("", "d", None, "InvalidParameterValue"),
        ("ok-name", "", None, "InvalidParameterValue"),
        ("caf\u{e9}", "d", None, "InvalidParameterValue"),
        ("ab\u{e9}", "d", None, "InvalidParameterValue"),
        ("\u{e9}\u{e9}", "d", None, "InvalidParameterValue"),
        ("bad<name>", "d", None, "InvalidParameterValue"),
        (
            "ok-name",
            "d",
            Some("vpc-00000000000000000"),
            "InvalidVpcID.NotFound",
        ),
    ];
    for (name, desc, vpc, want) in cases {
        let r = ec2
            .create_security_group(
                &ctx(),
                CreateSecurityGroupRequest {
                    group_name: name.into(),
                    description: desc.into(),
                    vpc_id: vpc.map(str::to_string),
                    ..Default::default()
                },
            )
            .await;
        assert_eq!(
            err_code(r),
            want,
            "name={name:.20} desc={desc:.20} vpc={vpc:?}"
        );
    }
    let e = ec2
        .create_security_group(
            &ctx(),
            CreateSecurityGroupRequest {
                group_name: "taken".into(),
                description: "d".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    let vpc = default_group(&ec2, &ctx()).await.vpc_id.unwrap();
    assert_eq!(
        e.message,
        format!("The security group 'taken' already exists for VPC '{vpc}'")
    );
    assert_eq!(e.status, 400);
}

#[tokio::test]
async fn create_in_explicit_default_vpc_and_with_tags() {
    let ec2 = ec2();
    let vpc = default_group(&ec2, &ctx()).await.vpc_id.unwrap();
    let out = ec2
        .create_security_group(
            &ctx(),
            CreateSecurityGroupRequest {
                group_name: "tagged".into(),
                description: "Tagged group".into(),
                vpc_id: Some(vpc.clone()),
                tag_specifications: Some(vec![TagSpecification {
                    resource_type: Some("security-group".into()),
                    tags: Some(vec![Tag {
                        key: Some("env".into()),
                        value: Some("prod".into()),
                    }]),
                }]),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let tags = vec![Tag {
        key: Some("env".into()),
        value: Some("prod".into()),
    }];
    assert_eq!(out.tags, Some(tags.clone()));
    let g = describe_one(&ec2, &ctx(), out.group_id.as_deref().unwrap()).await;
    assert_eq!(g.vpc_id, Some(vpc));
    assert_eq!(g.tags, Some(tags));

    for (rt, key) in [("instance", "a"), ("security-group", "aws:reserved")] {
        let r = ec2
            .create_security_group(
                &ctx(),
                CreateSecurityGroupRequest {
                    group_name: format!("bad-tags-{key}"),
                    description: "d".into(),
                    tag_specifications: Some(vec![TagSpecification {
                        resource_type: Some(rt.into()),
                        tags: Some(vec![Tag {
                            key: Some(key.into()),
                            value: Some("v".into()),
                        }]),
                    }]),
                    ..Default::default()
                },
            )
            .await;
        assert_eq!(err_code(r), "InvalidParameterValue", "{rt} {key}");
    }
}

#[tokio::test]
async fn describe_by_ids_names_and_errors() {
    let ec2 = ec2();
    let a = create(&ec2, &ctx(), "alpha").await;
    let b = create(&ec2, &ctx(), "beta").await;
    let got = describe_ids(&ec2, &ctx(), &[&b, &a, &a]).await.unwrap();
    let mut want = vec![a.clone(), b.clone()];
    want.sort();
    assert_eq!(
        got.iter()
            .map(|g| g.group_id.clone().unwrap())
            .collect::<Vec<_>>(),
        want
    );

    let by_name = ec2
        .describe_security_groups(
            &ctx(),
            DescribeSecurityGroupsRequest {
                group_names: Some(vec!["alpha".into(), "beta".into()]),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .security_groups
        .unwrap();
    assert_eq!(by_name.len(), 2);

    let e = describe_ids(&ec2, &ctx(), &["sg-00000000000000000"])
        .await
        .unwrap_err();
    assert_eq!(e.code, "InvalidGroup.NotFound");
    assert_eq!(
        e.message,
        "The security group 'sg-00000000000000000' does not exist"
    );
    for bad in ["not-an-id", "sg-xyz", "sg-123"] {
        let e = describe_ids(&ec2, &ctx(), &[bad]).await.unwrap_err();
        assert_eq!(e.code, "InvalidGroupId.Malformed", "{bad}");
    }
    let r = ec2
        .describe_security_groups(
            &ctx(),
            DescribeSecurityGroupsRequest {
                group_names: Some(vec!["nope".into()]),
                ..Default::default()
            },
        )
        .await;
    assert_eq!(err_code(r), "InvalidGroup.NotFound");
}

/// Names (sorted) of the groups `filters` select.
async fn names_matching(ec2: &svc_ec2::Ec2, filters: Vec<Filter>) -> Result<Vec<String>, String> {
    ec2.describe_security_groups(
        &ctx(),
        DescribeSecurityGroupsRequest {
            filters: Some(filters),
            ..Default::default()
        },
    )
    .await
    .map(|o| {
        let mut names: Vec<String> = o
            .security_groups
            .unwrap()
            .into_iter()
            .map(|g| g.group_name.unwrap())
            .collect();
        names.sort();
        names
    })
    .map_err(|e| format!("{}: {}", e.code, e.message))
}

#[tokio::test]
async fn describe_filters_table() {
    let ec2 = ec2();
    let web = create(&ec2, &ctx(), "web-1").await;
    let db = create(&ec2, &ctx(), "db-1").await;
    ingress(
        &ec2,
        &ctx(),
        &web,
        vec![perm("tcp", Some(80), Some(80), &["0.0.0.0/0"])],
    )
    .await
    .unwrap();
    ingress(
        &ec2,
        &ctx(),
        &db,
        vec![IpPermission {
            ip_protocol: Some("tcp".into()),
            from_port: Some(5432),
            to_port: Some(5432),
            user_id_group_pairs: Some(vec![UserIdGroupPair {
                group_id: Some(web.clone()),
                ..Default::default()
            }]),
            ..Default::default()
        }],
    )
    .await
    .unwrap();
    let vpc = default_group(&ec2, &ctx()).await.vpc_id.unwrap();

    let mut all = vec!["db-1", "default", "web-1"];
    all.sort();
    let cases: Vec<(Vec<Filter>, Vec<&str>)> = vec![
        (vec![filter("group-name", &["web-1"])], vec!["web-1"]),
        (vec![filter("group-name", &["web*"])], vec!["web-1"]),
        (vec![filter("group-name", &["???-1"])], vec!["web-1"]),
        (
            vec![filter("group-name", &["web-1", "db-1"])],
            vec!["db-1", "web-1"],
        ),
        (vec![filter("group-id", &[&db])], vec!["db-1"]),
        (vec![filter("description", &["web-1 group"])], vec!["web-1"]),
        (
            vec![filter("description", &["default VPC security group"])],
            vec!["default"],
        ),
        (vec![filter("vpc-id", &[&vpc])], all.clone()),
        (vec![filter("owner-id", &[ACCOUNT])], all.clone()),
        (vec![filter("owner-id", &["111111111111"])], vec![]),
        (
            vec![filter("ip-permission.from-port", &["80"])],
            vec!["web-1"],
        ),
        (
            vec![filter("ip-permission.to-port", &["5432"])],
            vec!["db-1"],
        ),
        (
            vec![filter("ip-permission.protocol", &["6"])],
            vec!["db-1", "web-1"],
        ),
        (
            vec![filter("ip-permission.cidr", &["0.0.0.0/0"])],
            vec!["web-1"],
        ),
        (
            vec![filter("ip-permission.group-id", &[&web])],
            vec!["db-1"],
        ),
        (
            vec![filter("ip-permission.group-name", &["web-1"])],
            vec!["db-1"],
        ),
        (
            vec![filter("ip-permission.user-id", &[ACCOUNT])],
            vec!["db-1", "default"],
        ),
        (
            vec![filter("egress.ip-permission.cidr", &["0.0.0.0/0"])],
            all.clone(),
        ),
        (
            vec![filter("egress.ip-permission.protocol", &["-1"])],
            all.clone(),
        ),
        (
            vec![
                filter("group-name", &["*-1"]),
                filter("ip-permission.from-port", &["80"]),
            ],
            vec!["web-1"],
        ),
        (vec![filter("tag-key", &["env"])], vec![]),
    ];
    for (filters, want) in cases {
        let label = format!("{filters:?}");
        assert_eq!(
            names_matching(&ec2, filters).await.unwrap(),
            want,
            "{label}"
        );
    }

    let err = names_matching(&ec2, vec![filter("colour", &["red"])])
        .await
        .unwrap_err();
    assert_eq!(err, "InvalidParameterValue: The filter 'colour' is invalid");
}

#[tokio::test]
async fn describe_filters_by_tag() {
    let ec2 = ec2();
    let out = ec2
        .create_security_group(
            &ctx(),
            CreateSecurityGroupRequest {
                group_name: "tagged".into(),
                description: "d".into(),
                tag_specifications: Some(vec![TagSpecification {
                    resource_type: Some("security-group".into()),
                    tags: Some(vec![Tag {
                        key: Some("team".into()),
                        value: Some("blue".into()),
                    }]),
                }]),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(out.group_id.is_some());
    create(&ec2, &ctx(), "plain").await;
    for f in [
        filter("tag:team", &["blue"]),
        filter("tag:team", &["bl*"]),
        filter("tag-key", &["team"]),
        filter("tag-value", &["blue"]),
    ] {
        let label = format!("{f:?}");
        assert_eq!(
            names_matching(&ec2, vec![f]).await.unwrap(),
            vec!["tagged"],
            "{label}"
        );
    }
    assert!(names_matching(&ec2, vec![filter("tag:team", &["red"])])
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn describe_pages() {
    let ec2 = ec2();
    for i in 0..11 {
        create(&ec2, &ctx(), &format!("page-{i:02}")).await;
    }
    let mut seen = Vec::new();
    let mut token = None;
    let mut pages = 0;
    loop {
        let out = ec2
            .describe_security_groups(
                &ctx(),
                DescribeSecurityGroupsRequest {
                    max_results: Some(5),
                    next_token: token.clone(),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        pages += 1;
        seen.extend(
            out.security_groups
                .unwrap()
                .into_iter()
                .map(|g| g.group_id.unwrap()),
        );
        token = out.next_token;
        if token.is_none() {
            break;
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 12);
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(seen, sorted);

    for (max, ids, want) in [
        (4, false, "InvalidParameterValue"),
        (1001, false, "InvalidParameterValue"),
        (5, true, "InvalidParameterCombination"),
    ] {
        let r = ec2
            .describe_security_groups(
                &ctx(),
                DescribeSecurityGroupsRequest {
                    max_results: Some(max),
                    group_ids: ids.then(|| vec![seen[0].clone()]),
                    ..Default::default()
                },
            )
            .await;
        assert_eq!(err_code(r), want, "{max} {ids}");
    }
    let r = ec2
        .describe_security_groups(
            &ctx(),
            DescribeSecurityGroupsRequest {
                next_token: Some("not-hex".into()),
                ..Default::default()
            },
        )
        .await;
    assert_eq!(err_code(r), "InvalidPaginationToken");
}

#[tokio::test]
async fn delete_by_id_and_name_and_guards() {
    let ec2 = ec2();
    let a = create(&ec2, &ctx(), "to-delete").await;
    let out = ec2
        .delete_security_group(
            &ctx(),
            DeleteSecurityGroupRequest {
                group_id: Some(a.clone()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(out.r#return, Some(true));
    assert_eq!(out.group_id.as_deref(), Some(a.as_str()));
    assert_eq!(
        describe_ids(&ec2, &ctx(), &[&a]).await.unwrap_err().code,
        "InvalidGroup.NotFound"
    );

    let b = create(&ec2, &ctx(), "by-name").await;
    let out = ec2
        .delete_security_group(
            &ctx(),
            DeleteSecurityGroupRequest {
                group_name: Some("by-name".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(out.group_id, Some(b));

    let default = default_group(&ec2, &ctx()).await.group_id.unwrap();
    let e = ec2
        .delete_security_group(
            &ctx(),
            DeleteSecurityGroupRequest {
                group_id: Some(default.clone()),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(e.code, "CannotDelete");
    assert!(e.message.contains(&default));

    // A group another group's rule references cannot go; a self-reference does not count.
    let src = create(&ec2, &ctx(), "src").await;
    let dst = create(&ec2, &ctx(), "dst").await;
    let pair = |id: &str| IpPermission {
        ip_protocol: Some("-1".into()),
        user_id_group_pairs: Some(vec![UserIdGroupPair {
            group_id: Some(id.into()),
            ..Default::default()
        }]),
        ..Default::default()
    };
    ingress(&ec2, &ctx(), &dst, vec![pair(&src)]).await.unwrap();
    ingress(&ec2, &ctx(), &src, vec![pair(&src)]).await.unwrap();
    let del = |id: String| DeleteSecurityGroupRequest {
        group_id: Some(id),
        ..Default::default()
    };
    let e = ec2
        .delete_security_group(&ctx(), del(src.clone()))
        .await
        .unwrap_err();
    assert_eq!(e.code, "DependencyViolation");
    assert_eq!(e.message, format!("resource {src} has a dependent object"));
    ec2.delete_security_group(&ctx(), del(dst)).await.unwrap();
    ec2.delete_security_group(&ctx(), del(src)).await.unwrap();

    let cases = [
        (Some("sg-00000000000000000"), None, "InvalidGroup.NotFound"),
        (Some("bogus"), None, "InvalidGroupId.Malformed"),
        (None, Some("missing"), "InvalidGroup.NotFound"),
        (None, None, "MissingParameter"),
    ];
    for (id, name, want) in cases {
        let r = ec2
            .delete_security_group(
                &ctx(),
                DeleteSecurityGroupRequest {
                    group_id: id.map(str::to_string),
                    group_name: name.map(str::to_string),
                    ..Default::default()
                },
            )
            .await;
        assert_eq!(err_code(r), want, "{id:?} {name:?}");
    }
}

#[tokio::test]
async fn dry_run_on_every_operation() {
    let ec2 = ec2();
    let gid = create(&ec2, &ctx(), "dry").await;
    let c = ctx();
    let dry = Some(true);
    let results = vec![
        ec2.create_security_group(
            &c,
            CreateSecurityGroupRequest {
                group_name: "x".into(),
                description: "x".into(),
                dry_run: dry,
                ..Default::default()
            },
        )
        .await
        .map(|_| ()),
        ec2.describe_security_groups(
            &c,
            DescribeSecurityGroupsRequest {
                dry_run: dry,
                ..Default::default()
            },
        )
        .await
        .map(|_| ()),
        ec2.delete_security_group(
            &c,
            DeleteSecurityGroupRequest {
                group_id: Some(gid.clone()),
                dry_run: dry,
                ..Default::default()
            },
        )
        .await
        .map(|_| ()),
        ec2.authorize_security_group_ingress(
            &c,
            AuthorizeSecurityGroupIngressRequest {
                dry_run: dry,
                ..legacy_ingress(&gid, "tcp", 22, "10.0.0.0/8")
            },
        )
        .await
        .map(|_| ()),
        ec2.authorize_security_group_egress(
            &c,
            AuthorizeSecurityGroupEgressRequest {
                group_id: gid.clone(),
                dry_run: dry,
                ..Default::default()
            },
        )
        .await
        .map(|_| ()),
        ec2.revoke_security_group_ingress(
            &c,
            RevokeSecurityGroupIngressRequest {
                group_id: Some(gid.clone()),
                dry_run: dry,
                ..Default::default()
            },
        )
        .await
        .map(|_| ()),
        ec2.revoke_security_group_egress(
            &c,
            RevokeSecurityGroupEgressRequest {
                group_id: gid.clone(),
                dry_run: dry,
                ..Default::default()
            },
        )
        .await
        .map(|_| ()),
        ec2.describe_vpcs(
            &c,
            DescribeVpcsRequest {
                dry_run: dry,
                ..Default::default()
            },
        )
        .await
        .map(|_| ()),
        ec2.describe_availability_zones(
            &c,
            DescribeAvailabilityZonesRequest {
                dry_run: dry,
                ..Default::default()
            },
        )
        .await
        .map(|_| ()),
        ec2.describe_regions(
            &c,
            DescribeRegionsRequest {
                dry_run: dry,
                ..Default::default()
            },
        )
        .await
        .map(|_| ()),
    ];
    for (i, r) in results.into_iter().enumerate() {
        let e = r.expect_err("dry run must not succeed");
        assert_eq!(
            (e.code.as_ref(), e.status),
            ("DryRunOperation", 412),
            "op #{i}"
        );
        assert_eq!(
            e.message,
            "Request would have succeeded, but DryRun flag is set."
        );
    }
    // Nothing changed.
    let g = describe_one(&ec2, &c, &gid).await;
    assert_eq!(g.ip_permissions, Some(vec![]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_creates_of_one_name_yield_one_group() {
    let ec2 = std::sync::Arc::new(ec2());
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let ec2 = ec2.clone();
        tasks.push(tokio::spawn(async move {
            ec2.create_security_group(
                &ctx(),
                CreateSecurityGroupRequest {
                    group_name: "race".into(),
                    description: "d".into(),
                    ..Default::default()
                },
            )
            .await
            .map(|o| o.group_id)
            .map_err(|e| e.code.to_string())
        }));
    }
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(code) => assert_eq!(code, "InvalidGroup.Duplicate"),
        }
    }
    assert_eq!(ok, 1);
    let names = names_matching(&ec2, vec![filter("group-name", &["race"])])
        .await
        .unwrap();
    assert_eq!(names, vec!["race"]);
}
