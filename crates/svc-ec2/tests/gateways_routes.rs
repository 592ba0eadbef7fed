//! Internet gateways, route tables, network ACLs, DHCP options, Elastic IPs, network
//! interfaces and account attributes: the default VPC's as a new account has them, a VPC
//! built by hand (gateway attached, routes, associations), the errors AWS gives, and the
//! interface API other services use.

mod common;

use common::*;
use nimbus_core::RequestContext;
use std::net::Ipv4Addr;
use svc_ec2::generated::*;
use svc_ec2::{Ec2, NewInterface};

async fn new_vpc(ec2: &Ec2, ctx: &RequestContext, cidr: &str) -> String {
    ec2.create_vpc(
        ctx,
        CreateVpcRequest {
            cidr_block: Some(cidr.into()),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .vpc
    .unwrap()
    .vpc_id
    .unwrap()
}

async fn new_subnet(ec2: &Ec2, ctx: &RequestContext, vpc: &str, cidr: &str) -> String {
    ec2.create_subnet(
        ctx,
        CreateSubnetRequest {
            vpc_id: vpc.into(),
            cidr_block: Some(cidr.into()),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .subnet
    .unwrap()
    .subnet_id
    .unwrap()
}

async fn tables(ec2: &Ec2, ctx: &RequestContext, filters: Vec<Filter>) -> Vec<RouteTable> {
    ec2.describe_route_tables(
        ctx,
        DescribeRouteTablesRequest {
            filters: Some(filters),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .route_tables
    .unwrap()
}

fn igw_req(igw: &str, vpc: &str) -> AttachInternetGatewayRequest {
    AttachInternetGatewayRequest {
        internet_gateway_id: igw.into(),
        vpc_id: vpc.into(),
        dry_run: None,
    }
}

fn detach_req(igw: &str, vpc: &str) -> DetachInternetGatewayRequest {
    DetachInternetGatewayRequest {
        internet_gateway_id: igw.into(),
        vpc_id: vpc.into(),
        dry_run: None,
    }
}

#[tokio::test]
async fn the_default_vpc_has_gateway_main_table_acl_and_dhcp_options() {
    let ec2 = ec2();
    let ctx = ctx_in(ACCOUNT, "us-west-2");
    let igws = ec2
        .describe_internet_gateways(&ctx, Default::default())
        .await
        .unwrap()
        .internet_gateways
        .unwrap();
    assert_eq!(igws.len(), 1);
    let att = &igws[0].attachments.as_ref().unwrap()[0];
    assert_eq!(att.state.as_deref(), Some("available"));
    let vpc = att.vpc_id.clone().unwrap();
    let igw = igws[0].internet_gateway_id.clone().unwrap();

    let main = tables(&ec2, &ctx, vec![filter("association.main", &["true"])]).await;
    assert_eq!(main.len(), 1);
    let routes = main[0].routes.as_ref().unwrap();
    assert_eq!(routes.len(), 2);
    assert_eq!(
        routes[0].destination_cidr_block.as_deref(),
        Some("172.31.0.0/16")
    );
    assert_eq!(routes[0].gateway_id.as_deref(), Some("local"));
    assert_eq!(routes[0].origin.as_deref(), Some("CreateRouteTable"));
    assert_eq!(
        routes[1].destination_cidr_block.as_deref(),
        Some("0.0.0.0/0")
    );
    assert_eq!(routes[1].gateway_id.as_deref(), Some(igw.as_str()));
    assert_eq!(routes[1].state.as_deref(), Some("active"));

    let acls = ec2
        .describe_network_acls(&ctx, Default::default())
        .await
        .unwrap()
        .network_acls
        .unwrap();
    assert_eq!(acls.len(), 1);
    assert_eq!(acls[0].is_default, Some(true));
    assert_eq!(acls[0].vpc_id.as_deref(), Some(vpc.as_str()));
    assert_eq!(
        acls[0].associations.as_ref().unwrap().len(),
        4,
        "one per default subnet"
    );
    let entries = acls[0].entries.as_ref().unwrap();
    assert_eq!(
        entries
            .iter()
            .map(|e| (e.rule_number.unwrap(), e.rule_action.clone().unwrap()))
            .collect::<Vec<_>>(),
        [
            (100, "allow".to_string()),
            (32767, "deny".into()),
            (100, "allow".into()),
            (32767, "deny".into())
        ]
    );

    let dopts = ec2
        .describe_dhcp_options(&ctx, Default::default())
        .await
        .unwrap()
        .dhcp_options
        .unwrap();
    assert_eq!(dopts.len(), 1);
    let conf = dopts[0].dhcp_configurations.as_ref().unwrap();
    assert_eq!(conf[0].key.as_deref(), Some("domain-name"));
    assert_eq!(
        conf[0].values.as_ref().unwrap()[0].value.as_deref(),
        Some("us-west-2.compute.internal")
    );

    let attrs = ec2
        .describe_account_attributes(
            &ctx,
            DescribeAccountAttributesRequest {
                attribute_names: Some(vec!["default-vpc".into()]),
                dry_run: None,
            },
        )
        .await
        .unwrap()
        .account_attributes
        .unwrap();
    assert_eq!(
        attrs[0].attribute_values.as_ref().unwrap()[0]
            .attribute_value
            .as_deref(),
        Some(vpc.as_str())
    );
}

#[tokio::test]
async fn a_hand_built_vpc_with_gateway_routes_and_associations() {
    let ec2 = ec2();
    let ctx = ctx();
    let vpc = new_vpc(&ec2, &ctx, "10.0.0.0/16").await;
    let a = new_subnet(&ec2, &ctx, &vpc, "10.0.1.0/24").await;
    let igw = ec2
        .create_internet_gateway(&ctx, Default::default())
        .await
        .unwrap()
        .internet_gateway
        .unwrap()
        .internet_gateway_id
        .unwrap();
    assert!(igw.starts_with("igw-") && igw.len() == 21);
    assert_eq!(
        err_code(
            ec2.detach_internet_gateway(&ctx, detach_req(&igw, &vpc))
                .await
        ),
        "Gateway.NotAttached"
    );
    ec2.attach_internet_gateway(&ctx, igw_req(&igw, &vpc))
        .await
        .unwrap();
    assert_eq!(
        err_code(ec2.attach_internet_gateway(&ctx, igw_req(&igw, &vpc)).await),
        "Resource.AlreadyAssociated"
    );
    let del_igw = || DeleteInternetGatewayRequest {
        internet_gateway_id: igw.clone(),
        dry_run: None,
    };
    assert_eq!(
        err_code(ec2.delete_internet_gateway(&ctx, del_igw()).await),
        "DependencyViolation"
    );

    let rtb = ec2
        .create_route_table(
            &ctx,
            CreateRouteTableRequest {
                vpc_id: vpc.clone(),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .route_table
        .unwrap()
        .route_table_id
        .unwrap();
    let route = |dest: &str, gw: Option<&str>| CreateRouteRequest {
        route_table_id: rtb.clone(),
        destination_cidr_block: Some(dest.into()),
        gateway_id: gw.map(Into::into),
        ..Default::default()
    };
    ec2.create_route(&ctx, route("0.0.0.0/0", Some(&igw)))
        .await
        .unwrap();
    assert_eq!(
        err_code(ec2.create_route(&ctx, route("0.0.0.0/0", Some(&igw))).await),
        "RouteAlreadyExists"
    );
    assert_eq!(
        err_code(ec2.create_route(&ctx, route("10.10.0.0/16", None)).await),
        "MissingParameter"
    );
    assert_eq!(
        err_code(
            ec2.create_route(&ctx, route("10.10.0.0/16", Some("igw-0123456789abcdef0")))
                .await
        ),
        "InvalidInternetGatewayID.NotFound"
    );
    let nat = CreateRouteRequest {
        nat_gateway_id: Some("nat-0123456789abcdef0".into()),
        ..route("10.10.0.0/16", None)
    };
    assert_eq!(
        err_code(ec2.create_route(&ctx, nat).await),
        "InvalidNatGatewayID.NotFound"
    );
    let del_route = |dest: &str| DeleteRouteRequest {
        route_table_id: rtb.clone(),
        destination_cidr_block: Some(dest.into()),
        ..Default::default()
    };
    assert_eq!(
        err_code(ec2.delete_route(&ctx, del_route("10.0.0.0/16")).await),
        "InvalidParameterValue",
        "the local route stays"
    );
    assert_eq!(
        err_code(ec2.delete_route(&ctx, del_route("10.99.0.0/16")).await),
        "InvalidRoute.NotFound"
    );

    // Associate the subnet; a second association of the same subnet is refused.
    let assoc = ec2
        .associate_route_table(
            &ctx,
            AssociateRouteTableRequest {
                route_table_id: rtb.clone(),
                subnet_id: Some(a.clone()),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .association_id
        .unwrap();
    assert!(assoc.starts_with("rtbassoc-"));
    let again = AssociateRouteTableRequest {
        route_table_id: rtb.clone(),
        subnet_id: Some(a.clone()),
        ..Default::default()
    };
    assert_eq!(
        err_code(ec2.associate_route_table(&ctx, again).await),
        "Resource.AlreadyAssociated"
    );
    let by_subnet = tables(&ec2, &ctx, vec![filter("association.subnet-id", &[&a])]).await;
    assert_eq!(by_subnet[0].route_table_id.as_deref(), Some(rtb.as_str()));
    let del_rtb = || DeleteRouteTableRequest {
        route_table_id: rtb.clone(),
        dry_run: None,
    };
    assert_eq!(
        err_code(ec2.delete_route_table(&ctx, del_rtb()).await),
        "DependencyViolation"
    );

    // A detached gateway turns its routes into blackholes.
    let main_assoc = tables(
        &ec2,
        &ctx,
        vec![
            filter("vpc-id", &[&vpc]),
            filter("association.main", &["true"]),
        ],
    )
    .await[0]
        .associations
        .as_ref()
        .unwrap()[0]
        .route_table_association_id
        .clone()
        .unwrap();
    ec2.detach_internet_gateway(&ctx, detach_req(&igw, &vpc))
        .await
        .unwrap();
    let black = tables(&ec2, &ctx, vec![filter("route.state", &["blackhole"])]).await;
    assert_eq!(black.len(), 1);
    ec2.delete_internet_gateway(&ctx, del_igw()).await.unwrap();

    // The main association moves to the new table; the old main table can then go.
    let new_main = ec2
        .replace_route_table_association(
            &ctx,
            ReplaceRouteTableAssociationRequest {
                association_id: main_assoc.clone(),
                route_table_id: rtb.clone(),
                dry_run: None,
            },
        )
        .await
        .unwrap()
        .new_association_id
        .unwrap();
    let mains = tables(
        &ec2,
        &ctx,
        vec![
            filter("vpc-id", &[&vpc]),
            filter("association.main", &["true"]),
        ],
    )
    .await;
    assert_eq!(mains.len(), 1);
    assert_eq!(mains[0].route_table_id.as_deref(), Some(rtb.as_str()));
    assert_eq!(
        err_code(
            ec2.disassociate_route_table(
                &ctx,
                DisassociateRouteTableRequest {
                    association_id: new_main,
                    dry_run: None
                }
            )
            .await
        ),
        "InvalidParameterValue"
    );
    ec2.disassociate_route_table(
        &ctx,
        DisassociateRouteTableRequest {
            association_id: assoc.clone(),
            dry_run: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(
        err_code(
            ec2.disassociate_route_table(
                &ctx,
                DisassociateRouteTableRequest {
                    association_id: assoc,
                    dry_run: None
                }
            )
            .await
        ),
        "InvalidAssociationID.NotFound"
    );
}

#[tokio::test]
async fn elastic_ips_and_interfaces() {
    let ec2 = ec2();
    let ctx = ctx_in(ACCOUNT, "eu-central-1");
    let other = ctx_in("111111111111", "eu-central-1");
    let a = ec2
        .allocate_address(&ctx, Default::default())
        .await
        .unwrap();
    let b = ec2
        .allocate_address(&other, Default::default())
        .await
        .unwrap();
    let alloc = a.allocation_id.clone().unwrap();
    assert!(alloc.starts_with("eipalloc-") && alloc.len() == 26);
    assert_eq!(a.domain.as_deref(), Some("vpc"));
    assert!(a.public_ip.as_deref().unwrap().starts_with("127.89."));
    assert_ne!(
        a.public_ip, b.public_ip,
        "public addresses are unique across accounts"
    );

    let default_subnet = ec2.default_subnets(ACCOUNT, "eu-central-1").await.unwrap()[0].clone();
    let eni = ec2
        .add_network_interface(
            ACCOUNT,
            "eu-central-1",
            NewInterface {
                subnet_id: default_subnet.subnet_id.clone(),
                description: "test node".into(),
                requester_id: Some("amazon-elb".into()),
                interface_type: "interface".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(eni.private_ip, Ipv4Addr::new(172, 31, 0, 4));
    assert!(eni.network_interface_id.starts_with("eni-"));
    assert_eq!(eni.group_ids.len(), 1, "the VPC's default group");
    assert_eq!(
        ec2.subnet(ACCOUNT, "eu-central-1", &default_subnet.subnet_id)
            .unwrap()
            .available_ip_address_count,
        4090
    );
    let described = ec2
        .describe_network_interfaces(
            &ctx,
            DescribeNetworkInterfacesRequest {
                filters: Some(vec![filter("requester-managed", &["true"])]),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .network_interfaces
        .unwrap();
    assert_eq!(described.len(), 1);
    assert_eq!(
        described[0].private_ip_address.as_deref(),
        Some("172.31.0.4")
    );
    assert_eq!(
        described[0].private_dns_name.as_deref(),
        Some("ip-172-31-0-4.eu-central-1.compute.internal")
    );
    assert_eq!(described[0].status.as_deref(), Some("available"));

    // Associate with an instance that does not exist: AWS's error.
    let assoc_instance = AssociateAddressRequest {
        allocation_id: Some(alloc.clone()),
        instance_id: Some("i-0123456789abcdef0".into()),
        ..Default::default()
    };
    assert_eq!(
        err_code(ec2.associate_address(&ctx, assoc_instance).await),
        "InvalidInstanceID.NotFound"
    );
    let assoc_id = ec2
        .associate_address(
            &ctx,
            AssociateAddressRequest {
                allocation_id: Some(alloc.clone()),
                network_interface_id: Some(eni.network_interface_id.clone()),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .association_id
        .unwrap();
    let addr = ec2
        .describe_addresses(
            &ctx,
            DescribeAddressesRequest {
                allocation_ids: Some(vec![alloc.clone()]),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .addresses
        .unwrap()
        .remove(0);
    assert_eq!(addr.association_id.as_deref(), Some(assoc_id.as_str()));
    assert_eq!(addr.private_ip_address.as_deref(), Some("172.31.0.4"));
    let release = || ReleaseAddressRequest {
        allocation_id: Some(alloc.clone()),
        ..Default::default()
    };
    assert_eq!(
        err_code(ec2.release_address(&ctx, release()).await),
        "InvalidIPAddress.InUse"
    );
    let info = ec2
        .network_interface(ACCOUNT, "eu-central-1", &eni.network_interface_id)
        .unwrap();
    assert_eq!(
        info.public_ip,
        a.public_ip.as_deref().map(|p| p.parse().unwrap())
    );
    ec2.disassociate_address(
        &ctx,
        DisassociateAddressRequest {
            association_id: Some(assoc_id),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    ec2.release_address(&ctx, release()).await.unwrap();
    assert_eq!(
        err_code(ec2.release_address(&ctx, release()).await),
        "InvalidAllocationID.NotFound"
    );
    assert!(ec2
        .remove_network_interface(ACCOUNT, "eu-central-1", &eni.network_interface_id)
        .await
        .unwrap());
    assert_eq!(
        ec2.subnet(ACCOUNT, "eu-central-1", &default_subnet.subnet_id)
            .unwrap()
            .available_ip_address_count,
        4091
    );
    // The quota: five Elastic IPs per region.
    for _ in 0..5 {
        ec2.allocate_address(&ctx, Default::default())
            .await
            .unwrap();
    }
    assert_eq!(
        err_code(ec2.allocate_address(&ctx, Default::default()).await),
        "AddressLimitExceeded"
    );
}

#[tokio::test]
async fn the_default_vpc_can_be_taken_apart_and_recreated() {
    let ec2 = ec2();
    let ctx = ctx_in(ACCOUNT, "ap-south-1");
    let vpc = ec2
        .describe_vpcs(&ctx, Default::default())
        .await
        .unwrap()
        .vpcs
        .unwrap()[0]
        .vpc_id
        .clone()
        .unwrap();
    for s in ec2.default_subnets(ACCOUNT, "ap-south-1").await.unwrap() {
        ec2.delete_subnet(
            &ctx,
            DeleteSubnetRequest {
                subnet_id: s.subnet_id,
                dry_run: None,
            },
        )
        .await
        .unwrap();
    }
    let igw = ec2
        .describe_internet_gateways(&ctx, Default::default())
        .await
        .unwrap()
        .internet_gateways
        .unwrap()[0]
        .internet_gateway_id
        .clone()
        .unwrap();
    assert_eq!(
        err_code(
            ec2.delete_vpc(
                &ctx,
                DeleteVpcRequest {
                    vpc_id: vpc.clone(),
                    dry_run: None
                }
            )
            .await
        ),
        "DependencyViolation"
    );
    ec2.detach_internet_gateway(&ctx, detach_req(&igw, &vpc))
        .await
        .unwrap();
    ec2.delete_vpc(
        &ctx,
        DeleteVpcRequest {
            vpc_id: vpc.clone(),
            dry_run: None,
        },
    )
    .await
    .unwrap();
    // Gone for good: describing does not bring it back.
    assert!(ec2
        .describe_vpcs(&ctx, Default::default())
        .await
        .unwrap()
        .vpcs
        .unwrap()
        .is_empty());
    let made = ec2
        .create_default_vpc(&ctx, Default::default())
        .await
        .unwrap()
        .vpc
        .unwrap();
    assert_eq!(made.is_default, Some(true));
    assert_eq!(made.cidr_block.as_deref(), Some("172.31.0.0/16"));
    assert_eq!(
        ec2.default_subnets(ACCOUNT, "ap-south-1")
            .await
            .unwrap()
            .len(),
        3
    );
}
