//! Checks on the code `nimbus-codegen` generated for EC2: the operation table is sorted and
//! complete for the configured subset, shape references are in range, typed structs
//! round-trip through `Value`, and the `Router` dispatches to a `Handlers` implementation.

use nimbus_core::{AllowAll, AwsError, Principal, RequestContext, Timestamp};
use nimbus_wire::convert::{FromValue, IntoValue};
use nimbus_wire::model::ShapeKind;
use nimbus_wire::{Protocol, Service, Value, WireError};
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use svc_ec2::generated::*;

/// The operations `codegen/services.json` lists for EC2.
fn configured_ops() -> Vec<String> {
    let text = include_str!("../../../codegen/services.json");
    let config: serde_json::Value = serde_json::from_str(text).unwrap();
    let ec2 = config["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["model"] == "ec2")
        .unwrap();
    let mut ops: Vec<String> = ec2["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o.as_str().unwrap().to_string())
        .collect();
    ops.sort();
    ops
}

#[test]
fn operations_are_sorted_and_found_by_name() {
    let ops = MODEL.operations;
    assert!(
        ops.len() > 700,
        "every EC2 operation is listed, got {}",
        ops.len()
    );
    for w in ops.windows(2) {
        assert!(w[0].name < w[1].name, "{} !< {}", w[0].name, w[1].name);
    }
    for op in ops {
        assert_eq!(MODEL.operation(op.name).map(|o| o.name), Some(op.name));
    }
    assert!(MODEL.operation("NoSuchOperation").is_none());
}

#[test]
fn configured_operations_are_implemented_and_others_are_bare() {
    let configured = configured_ops();
    assert_eq!(IMPLEMENTED, configured.as_slice());
    for op in MODEL.operations {
        let listed = configured.iter().any(|c| c == op.name);
        assert_eq!(op.implemented, listed, "{}", op.name);
        if listed {
            // Some operations (DeleteSubnet, ModifyImageAttribute, …) have no output shape.
            assert!(op.input.is_some(), "{}", op.name);
        } else {
            assert!(op.input.is_none() && op.output.is_none() && op.errors.is_empty());
        }
    }
    let op = MODEL.operation("CreateSecurityGroup").unwrap();
    assert_eq!(
        MODEL.shape(op.input.unwrap()).name,
        "CreateSecurityGroupRequest"
    );
    assert_eq!(
        MODEL.shape(op.output.unwrap()).name,
        "CreateSecurityGroupResult"
    );
    assert_eq!(
        (op.http_method, op.request_uri, op.response_code),
        ("POST", "/", 200)
    );
}

#[test]
fn model_metadata_and_shape_references() {
    assert_eq!(
        (
            MODEL.name,
            MODEL.service_id,
            MODEL.signing_name,
            MODEL.iam_prefix
        ),
        ("ec2", "EC2", "ec2", "ec2")
    );
    assert_eq!(MODEL.protocols, &[Protocol::Ec2]);
    let n = MODEL.shapes.len();
    for w in MODEL.shapes.windows(2) {
        assert!(w[0].name < w[1].name);
    }
    for shape in MODEL.shapes {
        match &shape.kind {
            ShapeKind::Structure(s) => {
                for m in s.members {
                    assert!((m.shape.0 as usize) < n, "{}.{}", shape.name, m.name);
                }
            }
            ShapeKind::List(l) => assert!((l.member.0 as usize) < n),
            ShapeKind::Map(mp) => assert!((mp.key.0 as usize) < n && (mp.value.0 as usize) < n),
            _ => {}
        }
    }
    // EC2 query details the protocol relies on.
    let id = MODEL
        .operation("CreateSecurityGroup")
        .unwrap()
        .input
        .unwrap();
    let ShapeKind::Structure(s) = &MODEL.shape(id).kind else {
        panic!("not a structure")
    };
    let desc = &s.members[s.member_index("Description").unwrap()];
    assert_eq!(desc.location_name, Some("GroupDescription"));
    assert!(desc.required);
}

fn sample_request() -> CreateSecurityGroupRequest {
    CreateSecurityGroupRequest {
        description: "web servers".into(),
        group_name: "web".into(),
        vpc_id: Some("vpc-1234".into()),
        tag_specifications: Some(vec![TagSpecification {
            resource_type: Some("security-group".into()),
            tags: Some(vec![Tag {
                key: Some("Name".into()),
                value: Some("web".into()),
            }]),
        }]),
        dry_run: Some(false),
    }
}

#[test]
fn typed_struct_round_trips_through_value() {
    let req = sample_request();
    let v = req.clone().into_value();
    let Value::Struct(slots) = &v else {
        panic!("not a struct")
    };
    assert_eq!(slots.len(), 5);
    assert_eq!(slots[0], Some(Value::Str("web servers".into())));
    let back = CreateSecurityGroupRequest::from_value(v, "CreateSecurityGroupRequest").unwrap();
    assert_eq!(back, req);
}

#[test]
fn missing_required_member_is_reported_by_name() {
    let err = CreateSecurityGroupRequest::from_value(Value::empty_struct(5), "x").unwrap_err();
    assert_eq!(err, WireError::MissingParameter("Description".into()));
}

/// Handler methods the tests never call: each answers an internal error.
macro_rules! unused {
    ($($name:ident($req:ty) -> $out:ty;)*) => {
        $(
            async fn $name(&self, _: &RequestContext, _: $req) -> Result<$out, AwsError> {
                Err(AwsError::internal("unused"))
            }
        )*
    };
}

/// A handler that only knows how to create a group.
struct OnlyCreate;

impl Handlers for OnlyCreate {
    async fn create_security_group(
        &self,
        ctx: &RequestContext,
        input: CreateSecurityGroupRequest,
    ) -> Result<CreateSecurityGroupResult, AwsError> {
        Ok(CreateSecurityGroupResult {
            group_id: Some(format!("sg-{}-{}", ctx.region, input.group_name)),
            tags: None,
            security_group_arn: None,
        })
    }
    async fn authorize_security_group_egress(
        &self,
        _: &RequestContext,
        _: AuthorizeSecurityGroupEgressRequest,
    ) -> Result<AuthorizeSecurityGroupEgressResult, AwsError> {
        Err(AwsError::internal("unused"))
    }
    async fn authorize_security_group_ingress(
        &self,
        _: &RequestContext,
        _: AuthorizeSecurityGroupIngressRequest,
    ) -> Result<AuthorizeSecurityGroupIngressResult, AwsError> {
        Err(AwsError::internal("unused"))
    }
    async fn delete_security_group(
        &self,
        _: &RequestContext,
        _: DeleteSecurityGroupRequest,
    ) -> Result<DeleteSecurityGroupResult, AwsError> {
        Err(AwsError::internal("unused"))
    }
    async fn describe_availability_zones(
        &self,
        _: &RequestContext,
        _: DescribeAvailabilityZonesRequest,
    ) -> Result<DescribeAvailabilityZonesResult, AwsError> {
        Err(AwsError::internal("unused"))
    }
    async fn describe_regions(
        &self,
        _: &RequestContext,
        _: DescribeRegionsRequest,
    ) -> Result<DescribeRegionsResult, AwsError> {
        Err(AwsError::internal("unused"))
    }
    async fn describe_security_groups(
        &self,
        _: &RequestContext,
        _: DescribeSecurityGroupsRequest,
    ) -> Result<DescribeSecurityGroupsResult, AwsError> {
        Err(AwsError::internal("unused"))
    }
    async fn describe_vpcs(
        &self,
        _: &RequestContext,
        _: DescribeVpcsRequest,
    ) -> Result<DescribeVpcsResult, AwsError> {
        Err(AwsError::internal("unused"))
    }
    async fn revoke_security_group_egress(
        &self,
        _: &RequestContext,
        _: RevokeSecurityGroupEgressRequest,
    ) -> Result<RevokeSecurityGroupEgressResult, AwsError> {
        Err(AwsError::internal("unused"))
    }
    async fn revoke_security_group_ingress(
        &self,
        _: &RequestContext,
        _: RevokeSecurityGroupIngressRequest,
    ) -> Result<RevokeSecurityGroupIngressResult, AwsError> {
        Err(AwsError::internal("unused"))
    }

    // Networking operations (VPCs, subnets, gateways, route tables, addresses, tags).
    unused! {
        create_managed_prefix_list(CreateManagedPrefixListRequest) -> CreateManagedPrefixListResult;
        describe_managed_prefix_lists(DescribeManagedPrefixListsRequest) -> DescribeManagedPrefixListsResult;
        get_managed_prefix_list_entries(GetManagedPrefixListEntriesRequest) -> GetManagedPrefixListEntriesResult;
        modify_managed_prefix_list(ModifyManagedPrefixListRequest) -> ModifyManagedPrefixListResult;
        delete_managed_prefix_list(DeleteManagedPrefixListRequest) -> DeleteManagedPrefixListResult;
        create_dhcp_options(CreateDhcpOptionsRequest) -> CreateDhcpOptionsResult;
        associate_dhcp_options(AssociateDhcpOptionsRequest) -> ();
        delete_dhcp_options(DeleteDhcpOptionsRequest) -> ();
        create_network_acl(CreateNetworkAclRequest) -> CreateNetworkAclResult;
        delete_network_acl(DeleteNetworkAclRequest) -> ();
        create_network_acl_entry(CreateNetworkAclEntryRequest) -> ();
        replace_network_acl_entry(ReplaceNetworkAclEntryRequest) -> ();
        delete_network_acl_entry(DeleteNetworkAclEntryRequest) -> ();
        replace_network_acl_association(ReplaceNetworkAclAssociationRequest) -> ReplaceNetworkAclAssociationResult;
        create_network_interface(CreateNetworkInterfaceRequest) -> CreateNetworkInterfaceResult;
        delete_network_interface(DeleteNetworkInterfaceRequest) -> ();
        describe_security_group_rules(DescribeSecurityGroupRulesRequest) -> DescribeSecurityGroupRulesResult;
        modify_security_group_rules(ModifySecurityGroupRulesRequest) -> ModifySecurityGroupRulesResult;
        create_tags(CreateTagsRequest) -> ();
        delete_tags(DeleteTagsRequest) -> ();
        describe_tags(DescribeTagsRequest) -> DescribeTagsResult;
        allocate_address(AllocateAddressRequest) -> AllocateAddressResult;
        associate_address(AssociateAddressRequest) -> AssociateAddressResult;
        associate_route_table(AssociateRouteTableRequest) -> AssociateRouteTableResult;
        attach_internet_gateway(AttachInternetGatewayRequest) -> ();
        create_internet_gateway(CreateInternetGatewayRequest) -> CreateInternetGatewayResult;
        create_route(CreateRouteRequest) -> CreateRouteResult;
        create_route_table(CreateRouteTableRequest) -> CreateRouteTableResult;
        delete_internet_gateway(DeleteInternetGatewayRequest) -> ();
        delete_route(DeleteRouteRequest) -> ();
        delete_route_table(DeleteRouteTableRequest) -> ();
        describe_account_attributes(DescribeAccountAttributesRequest) -> DescribeAccountAttributesResult;
        describe_addresses(DescribeAddressesRequest) -> DescribeAddressesResult;
        describe_addresses_attribute(DescribeAddressesAttributeRequest) -> DescribeAddressesAttributeResult;
        describe_dhcp_options(DescribeDhcpOptionsRequest) -> DescribeDhcpOptionsResult;
        describe_internet_gateways(DescribeInternetGatewaysRequest) -> DescribeInternetGatewaysResult;
        describe_network_acls(DescribeNetworkAclsRequest) -> DescribeNetworkAclsResult;
        describe_network_interfaces(DescribeNetworkInterfacesRequest) -> DescribeNetworkInterfacesResult;
        describe_route_tables(DescribeRouteTablesRequest) -> DescribeRouteTablesResult;
        detach_internet_gateway(DetachInternetGatewayRequest) -> ();
        disassociate_address(DisassociateAddressRequest) -> ();
        disassociate_route_table(DisassociateRouteTableRequest) -> ();
        release_address(ReleaseAddressRequest) -> ();
        replace_route(ReplaceRouteRequest) -> ();
        replace_route_table_association(ReplaceRouteTableAssociationRequest) -> ReplaceRouteTableAssociationResult;
        create_subnet(CreateSubnetRequest) -> CreateSubnetResult;
        delete_subnet(DeleteSubnetRequest) -> ();
        describe_subnets(DescribeSubnetsRequest) -> DescribeSubnetsResult;
        modify_subnet_attribute(ModifySubnetAttributeRequest) -> ();
        associate_vpc_cidr_block(AssociateVpcCidrBlockRequest) -> AssociateVpcCidrBlockResult;
        create_default_vpc(CreateDefaultVpcRequest) -> CreateDefaultVpcResult;
        create_vpc(CreateVpcRequest) -> CreateVpcResult;
        delete_vpc(DeleteVpcRequest) -> ();
        describe_vpc_attribute(DescribeVpcAttributeRequest) -> DescribeVpcAttributeResult;
        disassociate_vpc_cidr_block(DisassociateVpcCidrBlockRequest) -> DisassociateVpcCidrBlockResult;
        modify_vpc_attribute(ModifyVpcAttributeRequest) -> ();
        copy_image(CopyImageRequest) -> CopyImageResult;
        create_key_pair(CreateKeyPairRequest) -> KeyPair;
        create_launch_template(CreateLaunchTemplateRequest) -> CreateLaunchTemplateResult;
        create_launch_template_version(CreateLaunchTemplateVersionRequest) -> CreateLaunchTemplateVersionResult;
        delete_key_pair(DeleteKeyPairRequest) -> DeleteKeyPairResult;
        delete_launch_template(DeleteLaunchTemplateRequest) -> DeleteLaunchTemplateResult;
        delete_launch_template_versions(DeleteLaunchTemplateVersionsRequest) -> DeleteLaunchTemplateVersionsResult;
        deregister_image(DeregisterImageRequest) -> DeregisterImageResult;
        describe_image_attribute(DescribeImageAttributeRequest) -> ImageAttribute;
        describe_images(DescribeImagesRequest) -> DescribeImagesResult;
        describe_instance_type_offerings(DescribeInstanceTypeOfferingsRequest) -> DescribeInstanceTypeOfferingsResult;
        describe_instance_types(DescribeInstanceTypesRequest) -> DescribeInstanceTypesResult;
        describe_key_pairs(DescribeKeyPairsRequest) -> DescribeKeyPairsResult;
        describe_launch_template_versions(DescribeLaunchTemplateVersionsRequest) -> DescribeLaunchTemplateVersionsResult;
        run_instances(RunInstancesRequest) -> Reservation;
        describe_instances(DescribeInstancesRequest) -> DescribeInstancesResult;
        describe_instance_status(DescribeInstanceStatusRequest) -> DescribeInstanceStatusResult;
        start_instances(StartInstancesRequest) -> StartInstancesResult;
        stop_instances(StopInstancesRequest) -> StopInstancesResult;
        reboot_instances(RebootInstancesRequest) -> ();
        terminate_instances(TerminateInstancesRequest) -> TerminateInstancesResult;
        describe_instance_attribute(DescribeInstanceAttributeRequest) -> InstanceAttribute;
        modify_instance_attribute(ModifyInstanceAttributeRequest) -> ();
        get_console_output(GetConsoleOutputRequest) -> GetConsoleOutputResult;
        describe_volumes(DescribeVolumesRequest) -> DescribeVolumesResult;
        delete_volume(DeleteVolumeRequest) -> ();
        modify_instance_metadata_options(ModifyInstanceMetadataOptionsRequest) -> ModifyInstanceMetadataOptionsResult;
        describe_instance_credit_specifications(DescribeInstanceCreditSpecificationsRequest) -> DescribeInstanceCreditSpecificationsResult;
        monitor_instances(MonitorInstancesRequest) -> MonitorInstancesResult;
        unmonitor_instances(UnmonitorInstancesRequest) -> UnmonitorInstancesResult;
        describe_iam_instance_profile_associations(DescribeIamInstanceProfileAssociationsRequest) -> DescribeIamInstanceProfileAssociationsResult;
        get_launch_template_data(GetLaunchTemplateDataRequest) -> GetLaunchTemplateDataResult;
        create_image(CreateImageRequest) -> CreateImageResult;
        associate_iam_instance_profile(AssociateIamInstanceProfileRequest) -> AssociateIamInstanceProfileResult;
        disassociate_iam_instance_profile(DisassociateIamInstanceProfileRequest) -> DisassociateIamInstanceProfileResult;
        replace_iam_instance_profile_association(ReplaceIamInstanceProfileAssociationRequest) -> ReplaceIamInstanceProfileAssociationResult;
        describe_launch_templates(DescribeLaunchTemplatesRequest) -> DescribeLaunchTemplatesResult;
        import_key_pair(ImportKeyPairRequest) -> ImportKeyPairResult;
        modify_image_attribute(ModifyImageAttributeRequest) -> ();
        modify_launch_template(ModifyLaunchTemplateRequest) -> ModifyLaunchTemplateResult;
        register_image(RegisterImageRequest) -> RegisterImageResult;
        reset_image_attribute(ResetImageAttributeRequest) -> ();
    }
}

/// The handlers above never await anything, so one poll finishes them.
fn poll_once<T>(fut: impl Future<Output = T>) -> T {
    let mut fut = pin!(fut);
    match fut.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("handler future was pending"),
    }
}

fn ctx() -> RequestContext {
    RequestContext {
        request_id: "req-1".into(),
        principal: Principal::root("000000000000", "AKIDEXAMPLE").into(),
        region: "us-east-1".into(),
        now: Timestamp(0),
        host: "localhost".into(),
        source_ip: None,
    }
}

#[test]
fn router_dispatches_converts_and_rejects() {
    let svc: Box<dyn Service> = Box::new(Router(OnlyCreate));
    let ctx = ctx();
    let op = MODEL.operation("CreateSecurityGroup").unwrap();
    let input = Some(sample_request().into_value());
    let out = poll_once(svc.call(&ctx, &AllowAll, Protocol::Ec2, op, input))
        .unwrap()
        .unwrap();
    let out = CreateSecurityGroupResult::from_value(out, "out").unwrap();
    assert_eq!(out.group_id.as_deref(), Some("sg-us-east-1-web"));

    // Missing required input: the protocol's own client error.
    let err = poll_once(svc.call(&ctx, &AllowAll, Protocol::Ec2, op, None)).unwrap_err();
    assert_eq!((err.code.as_ref(), err.status), ("MissingParameter", 400));

    // Modeled but not implemented.
    let op = MODEL.operation("CreateVolume").unwrap();
    let err = poll_once(svc.call(&ctx, &AllowAll, Protocol::Ec2, op, None)).unwrap_err();
    assert_eq!((err.code.as_ref(), err.status), ("NotImplemented", 501));
    assert!(err.message.contains("CreateVolume"), "{}", err.message);
}

/// Records what the router asks and refuses everything.
struct DenyAndRecord(std::sync::Mutex<Vec<nimbus_core::Access>>);

impl nimbus_core::Authorizer for DenyAndRecord {
    fn authorize(
        &self,
        _ctx: &RequestContext,
        access: &[nimbus_core::Access],
    ) -> Result<(), nimbus_core::Denial> {
        self.0.lock().unwrap().extend(access.iter().cloned());
        Err(nimbus_core::Denial::new(
            "User: arn:aws:iam::000000000000:user/bob is not authorized",
        ))
    }
}

#[test]
fn router_authorizes_before_the_handler() {
    let svc: Box<dyn Service> = Box::new(Router(OnlyCreate));
    let ctx = ctx();
    let authz = DenyAndRecord(Default::default());
    let op = MODEL.operation("DeleteSecurityGroup").unwrap();
    let input = DeleteSecurityGroupRequest {
        group_id: Some("sg-0123456789abcdef0".into()),
        ..Default::default()
    };
    // The handler would answer InternalFailure; the refusal comes first.
    let err =
        poll_once(svc.call(&ctx, &authz, Protocol::Ec2, op, Some(input.into_value()))).unwrap_err();
    assert_eq!(
        (err.code.as_ref(), err.status),
        ("UnauthorizedOperation", 403)
    );
    assert_eq!(
        err.message,
        "You are not authorized to perform this operation. \
         User: arn:aws:iam::000000000000:user/bob is not authorized"
    );
    let seen = authz.0.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].action, "ec2:DeleteSecurityGroup");
    assert_eq!(
        seen[0].resources,
        ["arn:aws:ec2:us-east-1:000000000000:security-group/sg-0123456789abcdef0"]
    );
    assert_eq!(
        seen[0].condition("ec2:SecurityGroupID"),
        Some(&["sg-0123456789abcdef0".to_string()][..])
    );
    assert_eq!(
        seen[0].condition("ec2:Region"),
        Some(&["us-east-1".to_string()][..])
    );
}

#[test]
fn access_facts_for_security_groups_and_describes() {
    let ctx = ctx();
    // Create: any new group, plus the VPC when one is named.
    let mut create = sample_request();
    create.vpc_id = Some("vpc-1".into());
    let a = access::create_security_group(&ctx, &create);
    assert_eq!(
        a[0].resources,
        [
            "arn:aws:ec2:us-east-1:000000000000:security-group/*",
            "arn:aws:ec2:us-east-1:000000000000:vpc/vpc-1"
        ]
    );
    create.vpc_id = None;
    let a = access::create_security_group(&ctx, &create);
    assert_eq!(
        a[0].resources,
        ["arn:aws:ec2:us-east-1:000000000000:security-group/*"]
    );
    assert_eq!(a[0].condition("ec2:Vpc"), None);
    // By name only: no id to scope to.
    let by_name = DeleteSecurityGroupRequest {
        group_name: Some("web".into()),
        ..Default::default()
    };
    assert_eq!(
        access::delete_security_group(&ctx, &by_name)[0].resources,
        ["*"]
    );
    let d = access::describe_security_groups(&ctx, &Default::default());
    assert_eq!(
        (d[0].action, d[0].resources.as_slice()),
        ("ec2:DescribeSecurityGroups", &["*".to_string()][..])
    );
}
