//! Authorize and revoke, ingress and egress: the CLI's `--protocol/--port/--cidr` shapes
//! (legacy and IpPermissions), the returned rule objects, grouping in describe output,
//! validation tables, duplicates, group references, and revoke by properties or rule id.

mod common;

use common::*;
use svc_ec2::generated::*;

#[tokio::test]
async fn authorize_legacy_params_returns_rule_objects() {
    let ec2 = ec2();
    let gid = create(&ec2, &ctx(), "web").await;
    let out = ec2
        .authorize_security_group_ingress(&ctx(), legacy_ingress(&gid, "tcp", 80, "0.0.0.0/0"))
        .await
        .unwrap();
    assert_eq!(out.r#return, Some(true));
    let rules = out.security_group_rules.unwrap();
    assert_eq!(rules.len(), 1);
    let r = &rules[0];
    let rid = r.security_group_rule_id.clone().unwrap();
    assert!(rid.starts_with("sgr-") && rid.len() == 21, "{rid}");
    assert_eq!(
        r,
        &SecurityGroupRule {
            security_group_rule_id: Some(rid.clone()),
            group_id: Some(gid.clone()),
            group_owner_id: Some(ACCOUNT.into()),
            is_egress: Some(false),
            ip_protocol: Some("tcp".into()),
            from_port: Some(80),
            to_port: Some(80),
            cidr_ipv4: Some("0.0.0.0/0".into()),
            security_group_rule_arn: Some(format!(
                "arn:aws:ec2:us-east-1:{ACCOUNT}:security-group-rule/{rid}"
            )),
            ..Default::default()
        }
    );
    let g = describe_one(&ec2, &ctx(), &gid).await;
    assert_eq!(
        g.ip_permissions,
        Some(vec![IpPermission {
            ip_protocol: Some("tcp".into()),
            from_port: Some(80),
            to_port: Some(80),
            ip_ranges: Some(vec![IpRange {
                cidr_ip: Some("0.0.0.0/0".into()),
                description: None
            }]),
            ipv6_ranges: Some(vec![]),
            prefix_list_ids: Some(vec![]),
            user_id_group_pairs: Some(vec![]),
        }])
    );
}

#[tokio::test]
async fn describe_groups_rules_by_protocol_and_ports() {
    let ec2 = ec2();
    let gid = create(&ec2, &ctx(), "grouped").await;
    ingress(
        &ec2,
        &ctx(),
        &gid,
        vec![perm("tcp", Some(22), Some(22), &["10.0.0.0/8"])],
    )
    .await
    .unwrap();
    ingress(
        &ec2,
        &ctx(),
        &gid,
        vec![
            perm("6", Some(22), Some(22), &["192.168.0.0/16"]),
            perm("udp", Some(53), Some(53), &["10.0.0.2/32"]),
            perm("icmp", Some(8), Some(-1), &["0.0.0.0/0"]),
            perm("all", None, None, &["172.16.0.0/12"]),
        ],
    )
    .await
    .unwrap();
    let perms = describe_one(&ec2, &ctx(), &gid)
        .await
        .ip_permissions
        .unwrap();
    type Summary = (String, Option<i32>, Option<i32>, Vec<String>);
    let summary: Vec<Summary> = perms
        .iter()
        .map(|p| {
            (
                p.ip_protocol.clone().unwrap(),
                p.from_port,
                p.to_port,
                p.ip_ranges
                    .clone()
                    .unwrap()
                    .into_iter()
                    .map(|r| r.cidr_ip.unwrap())
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                "tcp".into(),
                Some(22),
                Some(22),
                vec!["10.0.0.0/8".into(), "192.168.0.0/16".into()]
            ),
            ("udp".into(), Some(53), Some(53), vec!["10.0.0.2/32".into()]),
            ("icmp".into(), Some(8), Some(-1), vec!["0.0.0.0/0".into()]),
            ("-1".into(), None, None, vec!["172.16.0.0/12".into()]),
        ]
    );
}

#[tokio::test]
async fn authorize_validation_table() {
    let ec2 = ec2();
    let gid = create(&ec2, &ctx(), "validate").await;
    let cases: Vec<(IpPermission, &str, &str)> = vec![
        (
            perm("tcp", Some(90), Some(80), &["0.0.0.0/0"]),
            "InvalidParameterValue",
            "port range",
        ),
        (
            perm("tcp", Some(0), Some(70000), &["0.0.0.0/0"]),
            "InvalidParameterValue",
            "port range",
        ),
        (
            perm("udp", Some(-5), Some(10), &["0.0.0.0/0"]),
            "InvalidParameterValue",
            "port range",
        ),
        (
            perm("tcp", Some(80), None, &["0.0.0.0/0"]),
            "InvalidParameterValue",
            "portRange",
        ),
        (
            perm("icmp", Some(300), Some(0), &["0.0.0.0/0"]),
            "InvalidParameterValue",
            "ICMP",
        ),
        (
            perm("bogus", None, None, &["0.0.0.0/0"]),
            "InvalidParameterValue",
            "Unknown protocol",
        ),
        (
            perm("300", None, None, &["0.0.0.0/0"]),
            "InvalidParameterValue",
            "Unknown protocol",
        ),
        (
            perm("tcp", Some(80), Some(80), &["0.0.0.0/33"]),
            "InvalidParameterValue",
            "CIDR block 0.0.0.0/33 is malformed",
        ),
        (
            perm("tcp", Some(80), Some(80), &["10.0.0/8"]),
            "InvalidParameterValue",
            "CIDR block 10.0.0/8 is malformed",
        ),
        (
            perm("tcp", Some(80), Some(80), &[]),
            "InvalidParameterValue",
            "at least one",
        ),
        (
            IpPermission {
                ip_protocol: Some("tcp".into()),
                from_port: Some(1),
                to_port: Some(1),
                ipv6_ranges: Some(vec![Ipv6Range {
                    cidr_ipv6: Some("2001:db8::/200".into()),
                    description: None,
                }]),
                ..Default::default()
            },
            "InvalidParameterValue",
            "is malformed",
        ),
        (
            IpPermission {
                ip_protocol: None,
                ..perm("tcp", Some(1), Some(1), &["0.0.0.0/0"])
            },
            "MissingParameter",
            "ipProtocol",
        ),
        (
            IpPermission {
                ip_protocol: Some("tcp".into()),
                from_port: Some(1),
                to_port: Some(1),
                user_id_group_pairs: Some(vec![UserIdGroupPair {
                    group_id: Some("sg-00000000000000000".into()),
                    ..Default::default()
                }]),
                ..Default::default()
            },
            "InvalidGroup.NotFound",
            "sg-00000000000000000",
        ),
        (
            IpPermission {
                ip_protocol: Some("tcp".into()),
                from_port: Some(1),
                to_port: Some(1),
                ip_ranges: Some(vec![IpRange {
                    cidr_ip: Some("1.2.3.4/32".into()),
                    description: Some("bad<desc>".into()),
                }]),
                ..Default::default()
            },
            "InvalidParameterValue",
            "rule description",
        ),
    ];
    for (p, code, needle) in cases {
        let label = format!("{p:?}");
        let e = ingress(&ec2, &ctx(), &gid, vec![p]).await.unwrap_err();
        assert_eq!(e.code, code, "{label}");
        assert!(e.message.contains(needle), "{label}: {}", e.message);
    }
    // Nothing was added by any failed request.
    assert_eq!(
        describe_one(&ec2, &ctx(), &gid).await.ip_permissions,
        Some(vec![])
    );

    let missing = ec2
        .authorize_security_group_ingress(
            &ctx(),
            AuthorizeSecurityGroupIngressRequest {
                group_id: Some(gid.clone()),
                ..Default::default()
            },
        )
        .await;
    assert_eq!(err_code(missing), "MissingParameter");
    let unknown_group = ec2
        .authorize_security_group_ingress(
            &ctx(),
            legacy_ingress("sg-00000000000000000", "tcp", 1, "0.0.0.0/0"),
        )
        .await;
    assert_eq!(err_code(unknown_group), "InvalidGroup.NotFound");
}

#[tokio::test]
async fn tcp_without_ports_means_all_ports() {
    let ec2 = ec2();
    let gid = create(&ec2, &ctx(), "allports").await;
    let out = ingress(
        &ec2,
        &ctx(),
        &gid,
        vec![perm("tcp", None, None, &["10.0.0.0/8"])],
    )
    .await
    .unwrap();
    let r = &out.security_group_rules.unwrap()[0];
    assert_eq!((r.from_port, r.to_port), (Some(0), Some(65535)));
    let out = ingress(
        &ec2,
        &ctx(),
        &gid,
        vec![perm("-1", None, None, &["10.0.0.0/8"])],
    )
    .await
    .unwrap();
    let r = &out.security_group_rules.unwrap()[0];
    assert_eq!((r.from_port, r.to_port), (Some(-1), Some(-1)));
}

#[tokio::test]
async fn duplicates_are_refused_with_aws_wording() {
    let ec2 = ec2();
    let gid = create(&ec2, &ctx(), "dup").await;
    ec2.authorize_security_group_ingress(&ctx(), legacy_ingress(&gid, "tcp", 80, "0.0.0.0/0"))
        .await
        .unwrap();
    let e = ec2
        .authorize_security_group_ingress(&ctx(), legacy_ingress(&gid, "6", 80, "0.0.0.0/0"))
        .await
        .unwrap_err();
    assert_eq!(e.code, "InvalidPermission.Duplicate");
    assert_eq!(
        e.message,
        "the specified rule \"peer: 0.0.0.0/0, TCP, from port: 80, to port: 80, ALLOW\" already exists"
    );
    // A request with one new and one existing rule adds nothing.
    let e = ingress(
        &ec2,
        &ctx(),
        &gid,
        vec![
            perm("tcp", Some(443), Some(443), &["0.0.0.0/0"]),
            perm("tcp", Some(80), Some(80), &["0.0.0.0/0"]),
        ],
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, "InvalidPermission.Duplicate");
    assert_eq!(
        describe_one(&ec2, &ctx(), &gid)
            .await
            .ip_permissions
            .unwrap()
            .len(),
        1
    );
    // The default egress rule is a rule like any other.
    let e = ec2
        .authorize_security_group_egress(
            &ctx(),
            AuthorizeSecurityGroupEgressRequest {
                group_id: gid.clone(),
                ip_permissions: Some(vec![perm("-1", None, None, &["0.0.0.0/0"])]),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        e.message,
        "the specified rule \"peer: 0.0.0.0/0, ALL, ALLOW\" already exists"
    );
}

#[tokio::test]
async fn group_pairs_by_id_and_name_and_egress() {
    let ec2 = ec2();
    let a = create(&ec2, &ctx(), "a").await;
    let b = create(&ec2, &ctx(), "b").await;
    let out = ingress(
        &ec2,
        &ctx(),
        &a,
        vec![IpPermission {
            ip_protocol: Some("tcp".into()),
            from_port: Some(22),
            to_port: Some(22),
            ip_ranges: Some(vec![IpRange {
                cidr_ip: Some("10.0.0.0/8".into()),
                description: Some("ssh".into()),
            }]),
            user_id_group_pairs: Some(vec![UserIdGroupPair {
                group_id: Some(b.clone()),
                ..Default::default()
            }]),
            ..Default::default()
        }],
    )
    .await
    .unwrap();
    let rules = out.security_group_rules.unwrap();
    assert_eq!(rules.len(), 2);
    assert_eq!(rules[0].description.as_deref(), Some("ssh"));
    assert_eq!(
        rules[1].referenced_group_info,
        Some(ReferencedSecurityGroup {
            group_id: Some(b.clone()),
            user_id: Some(ACCOUNT.into()),
            ..Default::default()
        })
    );
    ec2.authorize_security_group_egress(
        &ctx(),
        AuthorizeSecurityGroupEgressRequest {
            group_id: a.clone(),
            ip_permissions: Some(vec![perm("udp", Some(53), Some(53), &["10.0.0.2/32"])]),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let g = describe_one(&ec2, &ctx(), &a).await;
    let ing = &g.ip_permissions.as_ref().unwrap()[0];
    assert_eq!(
        ing.ip_ranges,
        Some(vec![IpRange {
            cidr_ip: Some("10.0.0.0/8".into()),
            description: Some("ssh".into())
        }])
    );
    let pair = &ing.user_id_group_pairs.as_ref().unwrap()[0];
    assert_eq!(pair.group_id.as_deref(), Some(b.as_str()));
    assert_eq!(pair.user_id.as_deref(), Some(ACCOUNT));
    assert_eq!(g.ip_permissions_egress.unwrap().len(), 2);

    // Legacy SourceSecurityGroupName grants full ICMP, TCP and UDP access from that group,
    // and the target may be named by GroupName.
    let out = ec2
        .authorize_security_group_ingress(
            &ctx(),
            AuthorizeSecurityGroupIngressRequest {
                group_name: Some("b".into()),
                source_security_group_name: Some("a".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let protos: Vec<_> = out
        .security_group_rules
        .unwrap()
        .into_iter()
        .map(|r| {
            (
                r.ip_protocol.unwrap(),
                r.from_port.unwrap(),
                r.to_port.unwrap(),
            )
        })
        .collect();
    assert_eq!(
        protos,
        vec![
            ("icmp".to_string(), -1, -1),
            ("tcp".to_string(), 0, 65535),
            ("udp".to_string(), 0, 65535)
        ]
    );
    let r = ec2
        .authorize_security_group_ingress(
            &ctx(),
            AuthorizeSecurityGroupIngressRequest {
                group_id: Some(b.clone()),
                source_security_group_name: Some("nope".into()),
                ..Default::default()
            },
        )
        .await;
    assert_eq!(err_code(r), "InvalidGroup.NotFound");
}

#[tokio::test]
async fn default_group_rules() {
    let ec2 = ec2();
    let g = default_group(&ec2, &ctx()).await;
    let gid = g.group_id.clone().unwrap();
    assert_eq!(g.description.as_deref(), Some("default VPC security group"));
    let ing = g.ip_permissions.unwrap();
    assert_eq!(ing.len(), 1);
    assert_eq!(ing[0].ip_protocol.as_deref(), Some("-1"));
    assert_eq!((ing[0].from_port, ing[0].to_port), (None, None));
    assert_eq!(
        ing[0].user_id_group_pairs,
        Some(vec![UserIdGroupPair {
            group_id: Some(gid),
            user_id: Some(ACCOUNT.into()),
            ..Default::default()
        }])
    );
    let eg = g.ip_permissions_egress.unwrap();
    assert_eq!(eg.len(), 1);
    assert_eq!(
        eg[0].ip_ranges.as_ref().unwrap()[0].cidr_ip.as_deref(),
        Some("0.0.0.0/0")
    );
}

fn revoke_legacy(gid: &str, port: i32, cidr: &str) -> RevokeSecurityGroupIngressRequest {
    RevokeSecurityGroupIngressRequest {
        group_id: Some(gid.into()),
        ip_protocol: Some("tcp".into()),
        from_port: Some(port),
        to_port: Some(port),
        cidr_ip: Some(cidr.into()),
        ..Default::default()
    }
}

#[tokio::test]
async fn revoke_by_properties() {
    let ec2 = ec2();
    let gid = create(&ec2, &ctx(), "rev").await;
    let added = ec2
        .authorize_security_group_ingress(&ctx(), legacy_ingress(&gid, "tcp", 80, "0.0.0.0/0"))
        .await
        .unwrap()
        .security_group_rules
        .unwrap();
    let out = ec2
        .revoke_security_group_ingress(&ctx(), revoke_legacy(&gid, 80, "0.0.0.0/0"))
        .await
        .unwrap();
    assert_eq!(out.r#return, Some(true));
    assert_eq!(out.unknown_ip_permissions, None);
    let revoked = out.revoked_security_group_rules.unwrap();
    assert_eq!(
        revoked[0].security_group_rule_id,
        added[0].security_group_rule_id
    );
    assert_eq!(revoked[0].cidr_ipv4.as_deref(), Some("0.0.0.0/0"));
    assert_eq!(
        describe_one(&ec2, &ctx(), &gid).await.ip_permissions,
        Some(vec![])
    );

    // In a default VPC a rule that does not exist is reported, not refused (API reference).
    let out = ec2
        .revoke_security_group_ingress(&ctx(), revoke_legacy(&gid, 80, "0.0.0.0/0"))
        .await
        .unwrap();
    assert_eq!(out.r#return, Some(false));
    assert_eq!(out.revoked_security_group_rules, None);
    let unknown = out.unknown_ip_permissions.unwrap();
    assert_eq!(unknown.len(), 1);
    assert_eq!(unknown[0].from_port, Some(80));

    // Egress: the default rule can be revoked with IpPermissions.
    let out = ec2
        .revoke_security_group_egress(
            &ctx(),
            RevokeSecurityGroupEgressRequest {
                group_id: gid.clone(),
                ip_permissions: Some(vec![perm("-1", None, None, &["0.0.0.0/0"])]),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(out.r#return, Some(true));
    assert_eq!(
        describe_one(&ec2, &ctx(), &gid).await.ip_permissions_egress,
        Some(vec![])
    );

    let r = ec2
        .revoke_security_group_ingress(
            &ctx(),
            RevokeSecurityGroupIngressRequest {
                group_id: Some(gid.clone()),
                ..Default::default()
            },
        )
        .await;
    assert_eq!(err_code(r), "MissingParameter");
}

#[tokio::test]
async fn revoke_by_rule_ids() {
    let ec2 = ec2();
    let gid = create(&ec2, &ctx(), "by-id").await;
    let rules = ingress(
        &ec2,
        &ctx(),
        &gid,
        vec![perm("tcp", Some(1), Some(2), &["1.1.1.1/32", "2.2.2.2/32"])],
    )
    .await
    .unwrap()
    .security_group_rules
    .unwrap();
    let first = rules[0].security_group_rule_id.clone().unwrap();
    let out = ec2
        .revoke_security_group_ingress(
            &ctx(),
            RevokeSecurityGroupIngressRequest {
                group_id: Some(gid.clone()),
                security_group_rule_ids: Some(vec![first.clone()]),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(out.r#return, Some(true));
    let left = describe_one(&ec2, &ctx(), &gid)
        .await
        .ip_permissions
        .unwrap();
    assert_eq!(left[0].ip_ranges.as_ref().unwrap().len(), 1);

    for (id, want) in [
        (first.as_str(), "InvalidSecurityGroupRuleId.NotFound"),
        ("sgr-0123", "InvalidSecurityGroupRuleId.Malformed"),
    ] {
        let r = ec2
            .revoke_security_group_ingress(
                &ctx(),
                RevokeSecurityGroupIngressRequest {
                    group_id: Some(gid.clone()),
                    security_group_rule_ids: Some(vec![id.into()]),
                    ..Default::default()
                },
            )
            .await;
        assert_eq!(err_code(r), want, "{id}");
    }
    // An ingress rule id is not an egress rule.
    let second = rules[1].security_group_rule_id.clone().unwrap();
    let r = ec2
        .revoke_security_group_egress(
            &ctx(),
            RevokeSecurityGroupEgressRequest {
                group_id: gid.clone(),
                security_group_rule_ids: Some(vec![second]),
                ..Default::default()
            },
        )
        .await;
    assert_eq!(err_code(r), "InvalidSecurityGroupRuleId.NotFound");
}

#[tokio::test]
async fn rule_limit_per_direction() {
    let ec2 = ec2();
    let gid = create(&ec2, &ctx(), "full").await;
    let cidrs: Vec<String> = (0..60).map(|i| format!("10.0.{i}.0/24")).collect();
    let refs: Vec<&str> = cidrs.iter().map(String::as_str).collect();
    ingress(
        &ec2,
        &ctx(),
        &gid,
        vec![perm("tcp", Some(80), Some(80), &refs)],
    )
    .await
    .unwrap();
    let r = ingress(
        &ec2,
        &ctx(),
        &gid,
        vec![perm("tcp", Some(81), Some(81), &["10.1.0.0/16"])],
    )
    .await;
    assert_eq!(err_code(r), "RulesPerSecurityGroupLimitExceeded");
}
