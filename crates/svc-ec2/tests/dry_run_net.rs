//! `DryRun=true` on every mutating networking and tagging operation answers
//! `DryRunOperation` (the authorizer has already allowed the call by then) and changes
//! nothing; and a store written before networking existed (a default VPC and group only)
//! gets its default VPC's subnets, gateway, route table, ACL and DHCP options on first use.

mod common;

use common::*;
use nimbus_store::{Store, Table};
use svc_ec2::generated::*;

const X: &str = "0123456789abcdef0";

#[tokio::test]
async fn dry_run_on_every_networking_operation() {
    let ec2 = ec2();
    let ctx = ctx();
    let before = ec2.describe_tags(&ctx, Default::default()).await.unwrap();
    let snapshot = |ec2: &svc_ec2::Ec2| {
        ec2.read_state(|st| {
            format!(
                "{:?}",
                st.scopes
                    .values()
                    .map(|s| (&s.vpcs, &s.groups))
                    .collect::<Vec<_>>()
            )
        })
    };
    let state_before = snapshot(&ec2);
    let d = Some(true);
    let id = |p: &str| format!("{p}-{X}");
    let results = vec![
        ec2.create_vpc(
            &ctx,
            CreateVpcRequest {
                cidr_block: Some("10.0.0.0/16".into()),
                dry_run: d,
                ..Default::default()
            },
        )
        .await
        .map(|_| ()),
        ec2.delete_vpc(
            &ctx,
            DeleteVpcRequest {
                vpc_id: id("vpc"),
                dry_run: d,
            },
        )
        .await,
        ec2.create_default_vpc(&ctx, CreateDefaultVpcRequest { dry_run: d })
            .await
            .map(|_| ()),
        ec2.create_subnet(
            &ctx,
            CreateSubnetRequest {
                vpc_id: id("vpc"),
                cidr_block: Some("10.0.0.0/24".into()),
                dry_run: d,
                ..Default::default()
            },
        )
        .await
        .map(|_| ()),
        ec2.delete_subnet(
            &ctx,
            DeleteSubnetRequest {
                subnet_id: id("subnet"),
                dry_run: d,
            },
        )
        .await,
        ec2.create_internet_gateway(
            &ctx,
            CreateInternetGatewayRequest {
                dry_run: d,
                ..Default::default()
            },
        )
        .await
        .map(|_| ()),
        ec2.attach_internet_gateway(
            &ctx,
            AttachInternetGatewayRequest {
                internet_gateway_id: id("igw"),
                vpc_id: id("vpc"),
                dry_run: d,
            },
        )
        .await,
        ec2.detach_internet_gateway(
            &ctx,
            DetachInternetGatewayRequest {
                internet_gateway_id: id("igw"),
                vpc_id: id("vpc"),
                dry_run: d,
            },
        )
        .await,
        ec2.delete_internet_gateway(
            &ctx,
            DeleteInternetGatewayRequest {
                internet_gateway_id: id("igw"),
                dry_run: d,
            },
        )
        .await,
        ec2.create_route_table(
            &ctx,
            CreateRouteTableRequest {
                vpc_id: id("vpc"),
                dry_run: d,
                ..Default::default()
            },
        )
        .await
        .map(|_| ()),
        ec2.delete_route_table(
            &ctx,
            DeleteRouteTableRequest {
                route_table_id: id("rtb"),
                dry_run: d,
            },
        )
        .await,
        ec2.create_route(
            &ctx,
            CreateRouteRequest {
                route_table_id: id("rtb"),
                destination_cidr_block: Some("0.0.0.0/0".into()),
                gateway_id: Some(id("igw")),
                dry_run: d,
                ..Default::default()
            },
        )
        .await
        .map(|_| ()),
        ec2.replace_route(
            &ctx,
            ReplaceRouteRequest {
                route_table_id: id("rtb"),
                destination_cidr_block: Some("0.0.0.0/0".into()),
                gateway_id: Some(id("igw")),
                dry_run: d,
                ..Default::default()
            },
        )
        .await,
        ec2.delete_route(
            &ctx,
            DeleteRouteRequest {
                route_table_id: id("rtb"),
                destination_cidr_block: Some("0.0.0.0/0".into()),
                dry_run: d,
                ..Default::default()
            },
        )
        .await,
        ec2.associate_route_table(
            &ctx,
            AssociateRouteTableRequest {
                route_table_id: id("rtb"),
                subnet_id: Some(id("subnet")),
                dry_run: d,
                ..Default::default()
            },
        )
        .await
        .map(|_| ()),
        ec2.disassociate_route_table(
            &ctx,
            DisassociateRouteTableRequest {
                association_id: id("rtbassoc"),
                dry_run: d,
            },
        )
        .await,
        ec2.replace_route_table_association(
            &ctx,
            ReplaceRouteTableAssociationRequest {
                association_id: id("rtbassoc"),
                route_table_id: id("rtb"),
                dry_run: d,
            },
        )
        .await
        .map(|_| ()),
        ec2.allocate_address(
            &ctx,
            AllocateAddressRequest {
                dry_run: d,
                ..Default::default()
            },
        )
        .await
        .map(|_| ()),
        ec2.release_address(
            &ctx,
            ReleaseAddressRequest {
                allocation_id: Some(id("eipalloc")),
                dry_run: d,
                ..Default::default()
            },
        )
        .await,
        ec2.associate_address(
            &ctx,
            AssociateAddressRequest {
                allocation_id: Some(id("eipalloc")),
                network_interface_id: Some(id("eni")),
                dry_run: d,
                ..Default::default()
            },
        )
        .await
        .map(|_| ()),
        ec2.disassociate_address(
            &ctx,
            DisassociateAddressRequest {
                association_id: Some(id("eipassoc")),
                dry_run: d,
                ..Default::default()
            },
        )
        .await,
        ec2.create_tags(
            &ctx,
            CreateTagsRequest {
                resources: vec![id("vpc")],
                tags: vec![Tag {
                    key: Some("k".into()),
                    value: Some("v".into()),
                }],
                dry_run: d,
            },
        )
        .await,
        ec2.delete_tags(
            &ctx,
            DeleteTagsRequest {
                resources: vec![id("vpc")],
                tags: None,
                dry_run: d,
            },
        )
        .await,
        ec2.modify_security_group_rules(
            &ctx,
            ModifySecurityGroupRulesRequest {
                group_id: id("sg"),
                security_group_rules: vec![],
                dry_run: d,
            },
        )
        .await
        .map(|_| ()),
        ec2.create_network_interface(
            &ctx,
            CreateNetworkInterfaceRequest {
                subnet_id: id("subnet"),
                dry_run: d,
                ..Default::default()
            },
        )
        .await
        .map(|_| ()),
        ec2.delete_network_interface(
            &ctx,
            DeleteNetworkInterfaceRequest {
                network_interface_id: id("eni"),
                dry_run: d,
            },
        )
        .await,
    ];
    for (i, r) in results.into_iter().enumerate() {
        assert_eq!(err_code(r), "DryRunOperation", "operation #{i}");
    }
    assert_eq!(snapshot(&ec2), state_before);
    assert_eq!(
        ec2.describe_tags(&ctx, Default::default()).await.unwrap(),
        before
    );
}

/// The VPC record as an older Nimbus stored it (no networking fields).
#[derive(serde::Serialize, serde::Deserialize)]
struct OldVpc {
    account: String,
    region: String,
    vpc_id: String,
    cidr_block: String,
    cidr_assoc_id: String,
    dhcp_options_id: String,
    is_default: bool,
}

#[tokio::test]
async fn a_store_from_before_networking_gets_its_default_network() {
    let store = Store::in_memory();
    let vpcs: Table<OldVpc> = Table::new("ec2.vpcs", 1);
    let mut batch = nimbus_store::Batch::new();
    let old = OldVpc {
        account: ACCOUNT.into(),
        region: "us-east-1".into(),
        vpc_id: "vpc-0aaaaaaaaaaaaaaaa".into(),
        cidr_block: "172.31.0.0/16".into(),
        cidr_assoc_id: "vpc-cidr-assoc-0aaaaaaaaaaaaaaaa".into(),
        dhcp_options_id: "dopt-0aaaaaaaaaaaaaaaa".into(),
        is_default: true,
    };
    vpcs.put(
        &mut batch,
        format!("{ACCOUNT}/us-east-1/{}", old.vpc_id).into_bytes(),
        &old,
    );
    store.submit(batch).await.unwrap();
    let ec2 = ec2_over(store, 5);
    let ctx = ctx();
    let all = ec2
        .describe_vpcs(&ctx, Default::default())
        .await
        .unwrap()
        .vpcs
        .unwrap();
    assert_eq!(all.len(), 1, "the stored default VPC is kept, not replaced");
    assert_eq!(all[0].vpc_id.as_deref(), Some("vpc-0aaaaaaaaaaaaaaaa"));
    let subnets = ec2
        .describe_subnets(&ctx, Default::default())
        .await
        .unwrap()
        .subnets
        .unwrap();
    assert_eq!(subnets.len(), 6);
    assert!(subnets
        .iter()
        .all(|s| s.vpc_id.as_deref() == Some("vpc-0aaaaaaaaaaaaaaaa")));
    let dopts = ec2
        .describe_dhcp_options(&ctx, Default::default())
        .await
        .unwrap()
        .dhcp_options
        .unwrap();
    assert_eq!(
        dopts[0].dhcp_options_id.as_deref(),
        Some("dopt-0aaaaaaaaaaaaaaaa")
    );
    let groups = ec2
        .describe_security_groups(
            &ctx,
            DescribeSecurityGroupsRequest {
                group_names: Some(vec!["default".into()]),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .security_groups
        .unwrap();
    assert_eq!(groups.len(), 1);
}
