//! Security groups finished: the ARN in CreateSecurityGroup's answer, names scoped per VPC,
//! DescribeSecurityGroupRules (ids, filters, paging, errors), ModifySecurityGroupRules,
//! and a group held by a network interface refusing deletion.

mod common;

use common::*;
use svc_ec2::generated::*;
use svc_ec2::NewInterface;

#[tokio::test]
async fn create_answers_the_arn_and_names_are_per_vpc() {
    let ec2 = ec2();
    let ctx = ctx();
    let vpc = ec2
        .create_vpc(
            &ctx,
            CreateVpcRequest {
                cidr_block: Some("10.4.0.0/16".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .vpc
        .unwrap()
        .vpc_id
        .unwrap();
    let in_default = create(&ec2, &ctx, "web").await;
    let out = ec2
        .create_security_group(
            &ctx,
            CreateSecurityGroupRequest {
                group_name: "web".into(),
                description: "same name, other VPC".into(),
                vpc_id: Some(vpc.clone()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let in_vpc = out.group_id.clone().unwrap();
    assert_ne!(in_vpc, in_default);
    assert_eq!(
        out.security_group_arn,
        Some(format!(
            "arn:aws:ec2:us-east-1:{ACCOUNT}:security-group/{in_vpc}"
        ))
    );
    let dup = ec2
        .create_security_group(
            &ctx,
            CreateSecurityGroupRequest {
                group_name: "WEB".into(),
                description: "d".into(),
                vpc_id: Some(vpc.clone()),
                ..Default::default()
            },
        )
        .await;
    assert_eq!(err_code(dup), "InvalidGroup.Duplicate");
    // By name means the default VPC's group.
    let by_name = ec2
        .describe_security_groups(
            &ctx,
            DescribeSecurityGroupsRequest {
                group_names: Some(vec!["web".into()]),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .security_groups
        .unwrap();
    assert_eq!(by_name.len(), 1);
    assert_eq!(by_name[0].group_id.as_deref(), Some(in_default.as_str()));
}

#[tokio::test]
async fn describe_and_modify_rules_by_id() {
    let ec2 = ec2();
    let ctx = ctx();
    let gid = create(&ec2, &ctx, "rules").await;
    let added = ingress(
        &ec2,
        &ctx,
        &gid,
        vec![perm("tcp", Some(80), Some(80), &["0.0.0.0/0"])],
    )
    .await
    .unwrap()
    .security_group_rules
    .unwrap();
    let rule_id = added[0].security_group_rule_id.clone().unwrap();
    let of_group = ec2
        .describe_security_group_rules(
            &ctx,
            DescribeSecurityGroupRulesRequest {
                filters: Some(vec![filter("group-id", &[&gid])]),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .security_group_rules
        .unwrap();
    assert_eq!(
        of_group.len(),
        2,
        "the ingress rule and the default egress rule"
    );
    assert!(of_group
        .iter()
        .any(|r| r.is_egress == Some(true) && r.cidr_ipv4.as_deref() == Some("0.0.0.0/0")));
    let by_id = ec2
        .describe_security_group_rules(
            &ctx,
            DescribeSecurityGroupRulesRequest {
                security_group_rule_ids: Some(vec![rule_id.clone()]),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .security_group_rules
        .unwrap();
    assert_eq!(by_id.len(), 1);
    assert_eq!(by_id[0].from_port, Some(80));
    assert_eq!(
        by_id[0].security_group_rule_arn,
        Some(format!(
            "arn:aws:ec2:us-east-1:{ACCOUNT}:security-group-rule/{rule_id}"
        ))
    );
    for (id, code) in [
        (
            "sgr-0123456789abcdef0",
            "InvalidSecurityGroupRuleId.NotFound",
        ),
        ("rule-1", "InvalidSecurityGroupRuleId.Malformed"),
    ] {
        let r = ec2
            .describe_security_group_rules(
                &ctx,
                DescribeSecurityGroupRulesRequest {
                    security_group_rule_ids: Some(vec![id.into()]),
                    ..Default::default()
                },
            )
            .await;
        assert_eq!(err_code(r), code);
    }

    let update = |port: i32| ModifySecurityGroupRulesRequest {
        group_id: gid.clone(),
        security_group_rules: vec![SecurityGroupRuleUpdate {
            security_group_rule_id: rule_id.clone(),
            security_group_rule: Some(SecurityGroupRuleRequest {
                ip_protocol: Some("tcp".into()),
                from_port: Some(port),
                to_port: Some(port),
                cidr_ipv4: Some("10.0.0.0/8".into()),
                description: Some("internal".into()),
                ..Default::default()
            }),
        }],
        dry_run: None,
    };
    let out = ec2
        .modify_security_group_rules(&ctx, update(8080))
        .await
        .unwrap();
    assert_eq!(out.r#return, Some(true));
    let g = describe_one(&ec2, &ctx, &gid).await;
    let p = &g.ip_permissions.unwrap()[0];
    assert_eq!((p.from_port, p.to_port), (Some(8080), Some(8080)));
    assert_eq!(
        p.ip_ranges.as_ref().unwrap()[0].cidr_ip.as_deref(),
        Some("10.0.0.0/8")
    );
    // Same id afterwards.
    let again = ec2
        .describe_security_group_rules(
            &ctx,
            DescribeSecurityGroupRulesRequest {
                security_group_rule_ids: Some(vec![rule_id.clone()]),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .security_group_rules
        .unwrap();
    assert_eq!(again[0].description.as_deref(), Some("internal"));
    // A second rule that would become a copy of the first is refused.
    let second = ingress(
        &ec2,
        &ctx,
        &gid,
        vec![perm("tcp", Some(22), Some(22), &["10.0.0.0/8"])],
    )
    .await
    .unwrap()
    .security_group_rules
    .unwrap()[0]
        .security_group_rule_id
        .clone()
        .unwrap();
    let mut dup = update(8080);
    dup.security_group_rules[0].security_group_rule_id = second;
    assert_eq!(
        err_code(ec2.modify_security_group_rules(&ctx, dup).await),
        "InvalidPermission.Duplicate"
    );
    let mut bad_port = update(8080);
    if let Some(r) = bad_port.security_group_rules[0]
        .security_group_rule
        .as_mut()
    {
        r.from_port = Some(70000);
    }
    assert_eq!(
        err_code(ec2.modify_security_group_rules(&ctx, bad_port).await),
        "InvalidParameterValue"
    );
}

#[tokio::test]
async fn a_group_an_interface_uses_cannot_be_deleted() {
    let ec2 = ec2();
    let ctx = ctx();
    let gid = create(&ec2, &ctx, "held").await;
    let subnet = ec2.default_subnets(ACCOUNT, "us-east-1").await.unwrap()[0]
        .subnet_id
        .clone();
    let eni = ec2
        .add_network_interface(
            ACCOUNT,
            "us-east-1",
            NewInterface {
                subnet_id: subnet,
                group_ids: vec![gid.clone()],
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let delete = || DeleteSecurityGroupRequest {
        group_id: Some(gid.clone()),
        ..Default::default()
    };
    assert_eq!(
        err_code(ec2.delete_security_group(&ctx, delete()).await),
        "DependencyViolation"
    );
    ec2.remove_network_interface(ACCOUNT, "us-east-1", &eni.network_interface_id)
        .await
        .unwrap();
    ec2.delete_security_group(&ctx, delete()).await.unwrap();
}
