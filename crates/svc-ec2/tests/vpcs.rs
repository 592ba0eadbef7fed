//! VPC lifecycle: CreateVpc's range and quota rules and the companions a new VPC gets,
//! DeleteVpc refused while something lives in it, VPC attributes, secondary blocks (with
//! their local routes), the default VPC deleted and created again.

mod common;

use common::*;
use nimbus_core::RequestContext;
use svc_ec2::generated::*;
use svc_ec2::Ec2;

async fn create_vpc(
    ec2: &Ec2,
    ctx: &RequestContext,
    cidr: &str,
) -> Result<Vpc, nimbus_core::AwsError> {
    Ok(ec2
        .create_vpc(
            ctx,
            CreateVpcRequest {
                cidr_block: Some(cidr.into()),
                ..Default::default()
            },
        )
        .await?
        .vpc
        .unwrap())
}

async fn attr(
    ec2: &Ec2,
    ctx: &RequestContext,
    vpc: &str,
    name: &str,
) -> DescribeVpcAttributeResult {
    ec2.describe_vpc_attribute(
        ctx,
        DescribeVpcAttributeRequest {
            attribute: name.into(),
            vpc_id: vpc.into(),
            dry_run: None,
        },
    )
    .await
    .unwrap()
}

fn delete_req(vpc: &str) -> DeleteVpcRequest {
    DeleteVpcRequest {
        vpc_id: vpc.into(),
        dry_run: None,
    }
}

#[tokio::test]
async fn create_vpc_validates_and_makes_companions() {
    let ec2 = ec2();
    let ctx = ctx();
    for (cidr, code) in [
        ("10.0.0.0/8", "InvalidVpc.Range"),
        ("10.0.0.0/29", "InvalidVpc.Range"),
        ("10.0.0.1/16", "InvalidParameterValue"),
        ("banana", "InvalidParameterValue"),
        ("", "MissingParameter"),
    ] {
        assert_eq!(err_code(create_vpc(&ec2, &ctx, cidr).await), code, "{cidr}");
    }
    let vpc = create_vpc(&ec2, &ctx, "10.0.0.0/16").await.unwrap();
    assert_eq!(vpc.state.as_deref(), Some("pending"));
    assert_eq!(vpc.is_default, Some(false));
    let id = vpc.vpc_id.unwrap();
    assert!(id.starts_with("vpc-") && id.len() == 21);
    let described = ec2
        .describe_vpcs(
            &ctx,
            DescribeVpcsRequest {
                vpc_ids: Some(vec![id.clone()]),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .vpcs
        .unwrap();
    assert_eq!(described[0].state.as_deref(), Some("available"));
    // The new VPC shares the region's DHCP options with the default VPC.
    let default = ec2
        .describe_vpcs(
            &ctx,
            DescribeVpcsRequest {
                filters: Some(vec![filter("is-default", &["true"])]),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .vpcs
        .unwrap();
    assert_eq!(described[0].dhcp_options_id, default[0].dhcp_options_id);
    // Its default security group exists.
    let groups = ec2
        .describe_security_groups(
            &ctx,
            DescribeSecurityGroupsRequest {
                filters: Some(vec![
                    filter("vpc-id", &[&id]),
                    filter("group-name", &["default"]),
                ]),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .security_groups
        .unwrap();
    assert_eq!(groups.len(), 1);
    // Attributes: DNS support on, host names off in a non-default VPC.
    assert_eq!(
        attr(&ec2, &ctx, &id, "enableDnsSupport")
            .await
            .enable_dns_support,
        Some(AttributeBooleanValue { value: Some(true) })
    );
    assert_eq!(
        attr(&ec2, &ctx, &id, "enableDnsHostnames")
            .await
            .enable_dns_hostnames,
        Some(AttributeBooleanValue { value: Some(false) })
    );
    ec2.modify_vpc_attribute(
        &ctx,
        ModifyVpcAttributeRequest {
            vpc_id: id.clone(),
            enable_dns_hostnames: Some(AttributeBooleanValue { value: Some(true) }),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        attr(&ec2, &ctx, &id, "enableDnsHostnames")
            .await
            .enable_dns_hostnames,
        Some(AttributeBooleanValue { value: Some(true) })
    );
    let both = ModifyVpcAttributeRequest {
        vpc_id: id.clone(),
        enable_dns_hostnames: Some(AttributeBooleanValue { value: Some(true) }),
        enable_dns_support: Some(AttributeBooleanValue { value: Some(true) }),
        ..Default::default()
    };
    assert_eq!(
        err_code(ec2.modify_vpc_attribute(&ctx, both).await),
        "InvalidParameterCombination"
    );

    // The quota: five VPCs per region, the default one included.
    for i in 1..4 {
        create_vpc(&ec2, &ctx, &format!("10.{i}.0.0/16"))
            .await
            .unwrap();
    }
    assert_eq!(
        err_code(create_vpc(&ec2, &ctx, "10.9.0.0/16").await),
        "VpcLimitExceeded"
    );
    let dry = CreateVpcRequest {
        cidr_block: Some("10.0.0.0/16".into()),
        dry_run: Some(true),
        ..Default::default()
    };
    assert_eq!(err_code(ec2.create_vpc(&ctx, dry).await), "DryRunOperation");
}

#[tokio::test]
async fn delete_vpc_is_refused_while_something_lives_in_it() {
    let ec2 = ec2();
    let ctx = ctx();
    let id = create_vpc(&ec2, &ctx, "10.1.0.0/16")
        .await
        .unwrap()
        .vpc_id
        .unwrap();
    let subnet = ec2
        .create_subnet(
            &ctx,
            CreateSubnetRequest {
                vpc_id: id.clone(),
                cidr_block: Some("10.1.1.0/24".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .subnet
        .unwrap()
        .subnet_id
        .unwrap();
    let group = ec2
        .create_security_group(
            &ctx,
            CreateSecurityGroupRequest {
                group_name: "web".into(),
                description: "web".into(),
                vpc_id: Some(id.clone()),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .group_id
        .unwrap();
    assert_eq!(
        err_code(ec2.delete_vpc(&ctx, delete_req(&id)).await),
        "DependencyViolation"
    );
    ec2.delete_subnet(
        &ctx,
        DeleteSubnetRequest {
            subnet_id: subnet,
            dry_run: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(
        err_code(ec2.delete_vpc(&ctx, delete_req(&id)).await),
        "DependencyViolation"
    );
    ec2.delete_security_group(
        &ctx,
        DeleteSecurityGroupRequest {
            group_id: Some(group),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let dry = DeleteVpcRequest {
        vpc_id: id.clone(),
        dry_run: Some(true),
    };
    assert_eq!(err_code(ec2.delete_vpc(&ctx, dry).await), "DryRunOperation");
    ec2.delete_vpc(&ctx, delete_req(&id)).await.unwrap();
    assert_eq!(
        err_code(ec2.delete_vpc(&ctx, delete_req(&id)).await),
        "InvalidVpcID.NotFound"
    );
    assert_eq!(
        err_code(ec2.delete_vpc(&ctx, delete_req("vpcx-1")).await),
        "InvalidVpcID.Malformed"
    );
    // Its default group went with it.
    let left = ec2
        .describe_security_groups(
            &ctx,
            DescribeSecurityGroupsRequest {
                filters: Some(vec![filter("vpc-id", &[&id])]),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .security_groups
        .unwrap();
    assert!(left.is_empty());
}

#[tokio::test]
async fn secondary_blocks_and_the_default_vpc_recreated() {
    let ec2 = ec2();
    let ctx = ctx_in(ACCOUNT, "eu-west-1");
    let id = create_vpc(&ec2, &ctx, "10.2.0.0/16")
        .await
        .unwrap()
        .vpc_id
        .unwrap();
    let assoc = |cidr: &str| AssociateVpcCidrBlockRequest {
        vpc_id: id.clone(),
        cidr_block: Some(cidr.into()),
        ..Default::default()
    };
    assert_eq!(
        err_code(
            ec2.associate_vpc_cidr_block(&ctx, assoc("10.2.128.0/17"))
                .await
        ),
        "InvalidVpc.Range"
    );
    let added = ec2
        .associate_vpc_cidr_block(&ctx, assoc("10.3.0.0/16"))
        .await
        .unwrap()
        .cidr_block_association
        .unwrap();
    let assoc_id = added.association_id.unwrap();
    // A subnet may now use the secondary block.
    let subnet = ec2
        .create_subnet(
            &ctx,
            CreateSubnetRequest {
                vpc_id: id.clone(),
                cidr_block: Some("10.3.4.0/24".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .subnet
        .unwrap()
        .subnet_id
        .unwrap();
    let dis = || DisassociateVpcCidrBlockRequest {
        association_id: assoc_id.clone(),
    };
    assert_eq!(
        err_code(ec2.disassociate_vpc_cidr_block(&ctx, dis()).await),
        "InvalidCidrBlock.InUse"
    );
    ec2.delete_subnet(
        &ctx,
        DeleteSubnetRequest {
            subnet_id: subnet,
            dry_run: None,
        },
    )
    .await
    .unwrap();
    ec2.disassociate_vpc_cidr_block(&ctx, dis()).await.unwrap();
    assert_eq!(
        err_code(ec2.disassociate_vpc_cidr_block(&ctx, dis()).await),
        "InvalidVpcCidrBlockAssociationID.NotFound"
    );

    // The default VPC cannot be deleted while its default subnets exist; create-default-vpc
    // refuses while it exists.
    let default_id = ec2
        .describe_vpcs(
            &ctx,
            DescribeVpcsRequest {
                filters: Some(vec![filter("isDefault", &["true"])]),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .vpcs
        .unwrap()
        .remove(0)
        .vpc_id
        .unwrap();
    assert_eq!(
        err_code(ec2.create_default_vpc(&ctx, Default::default()).await),
        "DefaultVpcAlreadyExists"
    );
    assert_eq!(
        err_code(ec2.delete_vpc(&ctx, delete_req(&default_id)).await),
        "DependencyViolation"
    );
}
