//! The generated `Handlers` trait implemented for [`Ec2`]: one thin method per operation,
//! delegating to the module that owns the resource (security groups, their rules, VPCs,
//! subnets, gateways, route tables, ACLs and DHCP options, addresses, interfaces, zones
//! and regions, instances), plus the id checks and group lookups those modules share. Nothing here validates
//! or stores anything itself.

mod acls_dhcp;
mod addresses;
mod gateways;
mod group_rules;
mod images;
mod inst_images;
mod inst_lifecycle;
mod inst_profiles;
pub(crate) mod inst_render;
mod instance_attrs;
mod instance_types;
pub(crate) mod instances;
mod interfaces;
mod key_pairs;
mod launch_templates;
mod network_acls;
mod prefix_lists;
mod route_tables;
mod rules;
mod security_groups;
mod subnets;
mod tags_ops;
mod volumes;
mod vpcs;
mod zones;

use crate::errors;
use crate::generated::*;
use crate::model::GroupRec;
use crate::state::{check_group_id, is_resource_id, Ec2, Scope};
use nimbus_core::{AwsError, RequestContext};

/// Handler methods that only delegate to `module::function(self, ctx, input)`.
macro_rules! delegate {
    ($($name:ident($req:ty) -> $out:ty => $($path:ident)::+;)*) => {
        $(
            async fn $name(&self, ctx: &RequestContext, input: $req) -> Result<$out, AwsError> {
                $($path)::+(self, ctx, input).await
            }
        )*
    };
}

impl Handlers for Ec2 {
    async fn allocate_address(
        &self,
        ctx: &RequestContext,
        input: AllocateAddressRequest,
    ) -> Result<AllocateAddressResult, AwsError> {
        addresses::allocate(self, ctx, input).await
    }

    async fn associate_address(
        &self,
        ctx: &RequestContext,
        input: AssociateAddressRequest,
    ) -> Result<AssociateAddressResult, AwsError> {
        addresses::associate(self, ctx, input).await
    }

    async fn associate_dhcp_options(
        &self,
        ctx: &RequestContext,
        input: AssociateDhcpOptionsRequest,
    ) -> Result<(), AwsError> {
        acls_dhcp::associate_dhcp_options(self, ctx, input).await
    }

    async fn associate_route_table(
        &self,
        ctx: &RequestContext,
        input: AssociateRouteTableRequest,
    ) -> Result<AssociateRouteTableResult, AwsError> {
        route_tables::associate(self, ctx, input).await
    }

    async fn associate_vpc_cidr_block(
        &self,
        ctx: &RequestContext,
        input: AssociateVpcCidrBlockRequest,
    ) -> Result<AssociateVpcCidrBlockResult, AwsError> {
        vpcs::associate_cidr(self, ctx, input).await
    }

    async fn attach_internet_gateway(
        &self,
        ctx: &RequestContext,
        input: AttachInternetGatewayRequest,
    ) -> Result<(), AwsError> {
        gateways::attach(self, ctx, input).await
    }

    async fn authorize_security_group_egress(
        &self,
        ctx: &RequestContext,
        input: AuthorizeSecurityGroupEgressRequest,
    ) -> Result<AuthorizeSecurityGroupEgressResult, AwsError> {
        rules::authorize_egress(self, ctx, input).await
    }

    async fn authorize_security_group_ingress(
        &self,
        ctx: &RequestContext,
        input: AuthorizeSecurityGroupIngressRequest,
    ) -> Result<AuthorizeSecurityGroupIngressResult, AwsError> {
        rules::authorize_ingress(self, ctx, input).await
    }

    async fn create_default_vpc(
        &self,
        ctx: &RequestContext,
        input: CreateDefaultVpcRequest,
    ) -> Result<CreateDefaultVpcResult, AwsError> {
        vpcs::create_default(self, ctx, input).await
    }

    async fn create_dhcp_options(
        &self,
        ctx: &RequestContext,
        input: CreateDhcpOptionsRequest,
    ) -> Result<CreateDhcpOptionsResult, AwsError> {
        acls_dhcp::create_dhcp_options(self, ctx, input).await
    }

    async fn create_internet_gateway(
        &self,
        ctx: &RequestContext,
        input: CreateInternetGatewayRequest,
    ) -> Result<CreateInternetGatewayResult, AwsError> {
        gateways::create(self, ctx, input).await
    }

    async fn create_managed_prefix_list(
        &self,
        ctx: &RequestContext,
        input: CreateManagedPrefixListRequest,
    ) -> Result<CreateManagedPrefixListResult, AwsError> {
        prefix_lists::create(self, ctx, input).await
    }

    async fn create_network_acl(
        &self,
        ctx: &RequestContext,
        input: CreateNetworkAclRequest,
    ) -> Result<CreateNetworkAclResult, AwsError> {
        network_acls::create(self, ctx, input).await
    }

    async fn create_network_acl_entry(
        &self,
        ctx: &RequestContext,
        input: CreateNetworkAclEntryRequest,
    ) -> Result<(), AwsError> {
        network_acls::create_entry(self, ctx, input).await
    }

    async fn create_network_interface(
        &self,
        ctx: &RequestContext,
        input: CreateNetworkInterfaceRequest,
    ) -> Result<CreateNetworkInterfaceResult, AwsError> {
        interfaces::create(self, ctx, input).await
    }

    async fn create_route(
        &self,
        ctx: &RequestContext,
        input: CreateRouteRequest,
    ) -> Result<CreateRouteResult, AwsError> {
        route_tables::create_route(self, ctx, input).await
    }

    async fn create_route_table(
        &self,
        ctx: &RequestContext,
        input: CreateRouteTableRequest,
    ) -> Result<CreateRouteTableResult, AwsError> {
        route_tables::create(self, ctx, input).await
    }

    async fn create_security_group(
        &self,
        ctx: &RequestContext,
        input: CreateSecurityGroupRequest,
    ) -> Result<CreateSecurityGroupResult, AwsError> {
        security_groups::create(self, ctx, input).await
    }

    async fn create_subnet(
        &self,
        ctx: &RequestContext,
        input: CreateSubnetRequest,
    ) -> Result<CreateSubnetResult, AwsError> {
        subnets::create(self, ctx, input).await
    }

    async fn create_tags(
        &self,
        ctx: &RequestContext,
        input: CreateTagsRequest,
    ) -> Result<(), AwsError> {
        tags_ops::create(self, ctx, input).await
    }

    async fn create_vpc(
        &self,
        ctx: &RequestContext,
        input: CreateVpcRequest,
    ) -> Result<CreateVpcResult, AwsError> {
        vpcs::create(self, ctx, input).await
    }

    async fn delete_dhcp_options(
        &self,
        ctx: &RequestContext,
        input: DeleteDhcpOptionsRequest,
    ) -> Result<(), AwsError> {
        acls_dhcp::delete_dhcp_options(self, ctx, input).await
    }

    async fn delete_internet_gateway(
        &self,
        ctx: &RequestContext,
        input: DeleteInternetGatewayRequest,
    ) -> Result<(), AwsError> {
        gateways::delete(self, ctx, input).await
    }

    async fn delete_managed_prefix_list(
        &self,
        ctx: &RequestContext,
        input: DeleteManagedPrefixListRequest,
    ) -> Result<DeleteManagedPrefixListResult, AwsError> {
        prefix_lists::delete(self, ctx, input).await
    }

    async fn delete_network_acl(
        &self,
        ctx: &RequestContext,
        input: DeleteNetworkAclRequest,
    ) -> Result<(), AwsError> {
        network_acls::delete(self, ctx, input).await
    }

    async fn delete_network_acl_entry(
        &self,
        ctx: &RequestContext,
        input: DeleteNetworkAclEntryRequest,
    ) -> Result<(), AwsError> {
        network_acls::delete_entry(self, ctx, input).await
    }

    async fn delete_network_interface(
        &self,
        ctx: &RequestContext,
        input: DeleteNetworkInterfaceRequest,
    ) -> Result<(), AwsError> {
        interfaces::delete(self, ctx, input).await
    }

    async fn delete_route(
        &self,
        ctx: &RequestContext,
        input: DeleteRouteRequest,
    ) -> Result<(), AwsError> {
        route_tables::delete_route(self, ctx, input).await
    }

    async fn delete_route_table(
        &self,
        ctx: &RequestContext,
        input: DeleteRouteTableRequest,
    ) -> Result<(), AwsError> {
        route_tables::delete(self, ctx, input).await
    }

    async fn delete_security_group(
        &self,
        ctx: &RequestContext,
        input: DeleteSecurityGroupRequest,
    ) -> Result<DeleteSecurityGroupResult, AwsError> {
        security_groups::delete(self, ctx, input).await
    }

    async fn delete_subnet(
        &self,
        ctx: &RequestContext,
        input: DeleteSubnetRequest,
    ) -> Result<(), AwsError> {
        subnets::delete(self, ctx, input).await
    }

    async fn delete_tags(
        &self,
        ctx: &RequestContext,
        input: DeleteTagsRequest,
    ) -> Result<(), AwsError> {
        tags_ops::delete(self, ctx, input).await
    }

    async fn delete_vpc(
        &self,
        ctx: &RequestContext,
        input: DeleteVpcRequest,
    ) -> Result<(), AwsError> {
        vpcs::delete(self, ctx, input).await
    }

    async fn describe_account_attributes(
        &self,
        ctx: &RequestContext,
        input: DescribeAccountAttributesRequest,
    ) -> Result<DescribeAccountAttributesResult, AwsError> {
        interfaces::describe_account_attributes(self, ctx, input).await
    }

    async fn describe_addresses(
        &self,
        ctx: &RequestContext,
        input: DescribeAddressesRequest,
    ) -> Result<DescribeAddressesResult, AwsError> {
        addresses::describe(self, ctx, input).await
    }

    async fn describe_addresses_attribute(
        &self,
        ctx: &RequestContext,
        input: DescribeAddressesAttributeRequest,
    ) -> Result<DescribeAddressesAttributeResult, AwsError> {
        addresses::describe_attribute(self, ctx, input).await
    }

    async fn describe_availability_zones(
        &self,
        ctx: &RequestContext,
        input: DescribeAvailabilityZonesRequest,
    ) -> Result<DescribeAvailabilityZonesResult, AwsError> {
        zones::describe_availability_zones(ctx, input)
    }

    async fn describe_dhcp_options(
        &self,
        ctx: &RequestContext,
        input: DescribeDhcpOptionsRequest,
    ) -> Result<DescribeDhcpOptionsResult, AwsError> {
        acls_dhcp::describe_dhcp_options(self, ctx, input).await
    }

    async fn describe_internet_gateways(
        &self,
        ctx: &RequestContext,
        input: DescribeInternetGatewaysRequest,
    ) -> Result<DescribeInternetGatewaysResult, AwsError> {
        gateways::describe(self, ctx, input).await
    }

    async fn describe_managed_prefix_lists(
        &self,
        ctx: &RequestContext,
        input: DescribeManagedPrefixListsRequest,
    ) -> Result<DescribeManagedPrefixListsResult, AwsError> {
        prefix_lists::describe(self, ctx, input).await
    }

    async fn describe_network_acls(
        &self,
        ctx: &RequestContext,
        input: DescribeNetworkAclsRequest,
    ) -> Result<DescribeNetworkAclsResult, AwsError> {
        acls_dhcp::describe_network_acls(self, ctx, input).await
    }

    async fn describe_network_interfaces(
        &self,
        ctx: &RequestContext,
        input: DescribeNetworkInterfacesRequest,
    ) -> Result<DescribeNetworkInterfacesResult, AwsError> {
        interfaces::describe(self, ctx, input).await
    }

    async fn describe_regions(
        &self,
        ctx: &RequestContext,
        input: DescribeRegionsRequest,
    ) -> Result<DescribeRegionsResult, AwsError> {
        zones::describe_regions(ctx, input)
    }

    async fn describe_route_tables(
        &self,
        ctx: &RequestContext,
        input: DescribeRouteTablesRequest,
    ) -> Result<DescribeRouteTablesResult, AwsError> {
        route_tables::describe(self, ctx, input).await
    }

    async fn describe_security_group_rules(
        &self,
        ctx: &RequestContext,
        input: DescribeSecurityGroupRulesRequest,
    ) -> Result<DescribeSecurityGroupRulesResult, AwsError> {
        group_rules::describe(self, ctx, input).await
    }

    async fn describe_security_groups(
        &self,
        ctx: &RequestContext,
        input: DescribeSecurityGroupsRequest,
    ) -> Result<DescribeSecurityGroupsResult, AwsError> {
        security_groups::describe(self, ctx, input).await
    }

    async fn describe_subnets(
        &self,
        ctx: &RequestContext,
        input: DescribeSubnetsRequest,
    ) -> Result<DescribeSubnetsResult, AwsError> {
        subnets::describe(self, ctx, input).await
    }

    async fn describe_tags(
        &self,
        ctx: &RequestContext,
        input: DescribeTagsRequest,
    ) -> Result<DescribeTagsResult, AwsError> {
        tags_ops::describe(self, ctx, input).await
    }

    async fn describe_vpc_attribute(
        &self,
        ctx: &RequestContext,
        input: DescribeVpcAttributeRequest,
    ) -> Result<DescribeVpcAttributeResult, AwsError> {
        vpcs::describe_attribute(self, ctx, input).await
    }

    async fn describe_vpcs(
        &self,
        ctx: &RequestContext,
        input: DescribeVpcsRequest,
    ) -> Result<DescribeVpcsResult, AwsError> {
        vpcs::describe(self, ctx, input).await
    }

    async fn detach_internet_gateway(
        &self,
        ctx: &RequestContext,
        input: DetachInternetGatewayRequest,
    ) -> Result<(), AwsError> {
        gateways::detach(self, ctx, input).await
    }

    async fn disassociate_address(
        &self,
        ctx: &RequestContext,
        input: DisassociateAddressRequest,
    ) -> Result<(), AwsError> {
        addresses::disassociate(self, ctx, input).await
    }

    async fn disassociate_route_table(
        &self,
        ctx: &RequestContext,
        input: DisassociateRouteTableRequest,
    ) -> Result<(), AwsError> {
        route_tables::disassociate(self, ctx, input).await
    }

    async fn disassociate_vpc_cidr_block(
        &self,
        ctx: &RequestContext,
        input: DisassociateVpcCidrBlockRequest,
    ) -> Result<DisassociateVpcCidrBlockResult, AwsError> {
        vpcs::disassociate_cidr(self, ctx, input).await
    }

    async fn get_managed_prefix_list_entries(
        &self,
        ctx: &RequestContext,
        input: GetManagedPrefixListEntriesRequest,
    ) -> Result<GetManagedPrefixListEntriesResult, AwsError> {
        prefix_lists::entries(self, ctx, input).await
    }

    async fn modify_managed_prefix_list(
        &self,
        ctx: &RequestContext,
        input: ModifyManagedPrefixListRequest,
    ) -> Result<ModifyManagedPrefixListResult, AwsError> {
        prefix_lists::modify(self, ctx, input).await
    }

    async fn modify_security_group_rules(
        &self,
        ctx: &RequestContext,
        input: ModifySecurityGroupRulesRequest,
    ) -> Result<ModifySecurityGroupRulesResult, AwsError> {
        group_rules::modify(self, ctx, input).await
    }

    async fn modify_subnet_attribute(
        &self,
        ctx: &RequestContext,
        input: ModifySubnetAttributeRequest,
    ) -> Result<(), AwsError> {
        subnets::modify_attribute(self, ctx, input).await
    }

    async fn modify_vpc_attribute(
        &self,
        ctx: &RequestContext,
        input: ModifyVpcAttributeRequest,
    ) -> Result<(), AwsError> {
        vpcs::modify_attribute(self, ctx, input).await
    }

    async fn release_address(
        &self,
        ctx: &RequestContext,
        input: ReleaseAddressRequest,
    ) -> Result<(), AwsError> {
        addresses::release(self, ctx, input).await
    }

    async fn replace_network_acl_association(
        &self,
        ctx: &RequestContext,
        input: ReplaceNetworkAclAssociationRequest,
    ) -> Result<ReplaceNetworkAclAssociationResult, AwsError> {
        network_acls::replace_association(self, ctx, input).await
    }

    async fn replace_network_acl_entry(
        &self,
        ctx: &RequestContext,
        input: ReplaceNetworkAclEntryRequest,
    ) -> Result<(), AwsError> {
        network_acls::replace_entry(self, ctx, input).await
    }

    async fn replace_route(
        &self,
        ctx: &RequestContext,
        input: ReplaceRouteRequest,
    ) -> Result<(), AwsError> {
        route_tables::replace_route(self, ctx, input).await
    }

    async fn replace_route_table_association(
        &self,
        ctx: &RequestContext,
        input: ReplaceRouteTableAssociationRequest,
    ) -> Result<ReplaceRouteTableAssociationResult, AwsError> {
        route_tables::replace_association(self, ctx, input).await
    }

    async fn revoke_security_group_egress(
        &self,
        ctx: &RequestContext,
        input: RevokeSecurityGroupEgressRequest,
    ) -> Result<RevokeSecurityGroupEgressResult, AwsError> {
        rules::revoke_egress(self, ctx, input).await
    }

    async fn revoke_security_group_ingress(
        &self,
        ctx: &RequestContext,
        input: RevokeSecurityGroupIngressRequest,
    ) -> Result<RevokeSecurityGroupIngressResult, AwsError> {
        rules::revoke_ingress(self, ctx, input).await
    }

    async fn copy_image(
        &self,
        ctx: &RequestContext,
        input: CopyImageRequest,
    ) -> Result<CopyImageResult, AwsError> {
        images::copy(self, ctx, input).await
    }

    async fn create_key_pair(
        &self,
        ctx: &RequestContext,
        input: CreateKeyPairRequest,
    ) -> Result<KeyPair, AwsError> {
        key_pairs::create(self, ctx, input).await
    }

    async fn create_launch_template(
        &self,
        ctx: &RequestContext,
        input: CreateLaunchTemplateRequest,
    ) -> Result<CreateLaunchTemplateResult, AwsError> {
        launch_templates::create(self, ctx, input).await
    }

    async fn create_launch_template_version(
        &self,
        ctx: &RequestContext,
        input: CreateLaunchTemplateVersionRequest,
    ) -> Result<CreateLaunchTemplateVersionResult, AwsError> {
        launch_templates::create_version(self, ctx, input).await
    }

    async fn delete_key_pair(
        &self,
        ctx: &RequestContext,
        input: DeleteKeyPairRequest,
    ) -> Result<DeleteKeyPairResult, AwsError> {
        key_pairs::delete(self, ctx, input).await
    }

    async fn delete_launch_template(
        &self,
        ctx: &RequestContext,
        input: DeleteLaunchTemplateRequest,
    ) -> Result<DeleteLaunchTemplateResult, AwsError> {
        launch_templates::delete(self, ctx, input).await
    }

    async fn delete_launch_template_versions(
        &self,
        ctx: &RequestContext,
        input: DeleteLaunchTemplateVersionsRequest,
    ) -> Result<DeleteLaunchTemplateVersionsResult, AwsError> {
        launch_templates::delete_versions(self, ctx, input).await
    }

    async fn deregister_image(
        &self,
        ctx: &RequestContext,
        input: DeregisterImageRequest,
    ) -> Result<DeregisterImageResult, AwsError> {
        images::deregister(self, ctx, input).await
    }

    async fn describe_image_attribute(
        &self,
        ctx: &RequestContext,
        input: DescribeImageAttributeRequest,
    ) -> Result<ImageAttribute, AwsError> {
        images::describe_attribute(self, ctx, input).await
    }

    async fn describe_images(
        &self,
        ctx: &RequestContext,
        input: DescribeImagesRequest,
    ) -> Result<DescribeImagesResult, AwsError> {
        images::describe(self, ctx, input).await
    }

    async fn describe_instance_type_offerings(
        &self,
        ctx: &RequestContext,
        input: DescribeInstanceTypeOfferingsRequest,
    ) -> Result<DescribeInstanceTypeOfferingsResult, AwsError> {
        instance_types::describe_offerings(ctx, input)
    }

    async fn describe_instance_types(
        &self,
        ctx: &RequestContext,
        input: DescribeInstanceTypesRequest,
    ) -> Result<DescribeInstanceTypesResult, AwsError> {
        instance_types::describe_types(ctx, input)
    }

    async fn describe_key_pairs(
        &self,
        ctx: &RequestContext,
        input: DescribeKeyPairsRequest,
    ) -> Result<DescribeKeyPairsResult, AwsError> {
        key_pairs::describe(self, ctx, input).await
    }

    async fn describe_launch_template_versions(
        &self,
        ctx: &RequestContext,
        input: DescribeLaunchTemplateVersionsRequest,
    ) -> Result<DescribeLaunchTemplateVersionsResult, AwsError> {
        launch_templates::describe_versions(self, ctx, input).await
    }

    async fn describe_launch_templates(
        &self,
        ctx: &RequestContext,
        input: DescribeLaunchTemplatesRequest,
    ) -> Result<DescribeLaunchTemplatesResult, AwsError> {
        launch_templates::describe(self, ctx, input).await
    }

    async fn import_key_pair(
        &self,
        ctx: &RequestContext,
        input: ImportKeyPairRequest,
    ) -> Result<ImportKeyPairResult, AwsError> {
        key_pairs::import(self, ctx, input).await
    }

    async fn modify_image_attribute(
        &self,
        ctx: &RequestContext,
        input: ModifyImageAttributeRequest,
    ) -> Result<(), AwsError> {
        images::modify_attribute(self, ctx, input).await
    }

    async fn modify_launch_template(
        &self,
        ctx: &RequestContext,
        input: ModifyLaunchTemplateRequest,
    ) -> Result<ModifyLaunchTemplateResult, AwsError> {
        launch_templates::modify(self, ctx, input).await
    }

    async fn register_image(
        &self,
        ctx: &RequestContext,
        input: RegisterImageRequest,
    ) -> Result<RegisterImageResult, AwsError> {
        images::register(self, ctx, input).await
    }

    async fn reset_image_attribute(
        &self,
        ctx: &RequestContext,
        input: ResetImageAttributeRequest,
    ) -> Result<(), AwsError> {
        images::reset_attribute(self, ctx, input).await
    }

    // Instances: one line each, delegating to the instance modules.
    delegate! {
        run_instances(RunInstancesRequest) -> Reservation => instances::run;
        describe_instances(DescribeInstancesRequest) -> DescribeInstancesResult => inst_lifecycle::describe;
        describe_instance_status(DescribeInstanceStatusRequest) -> DescribeInstanceStatusResult => inst_lifecycle::status;
        start_instances(StartInstancesRequest) -> StartInstancesResult => inst_lifecycle::start;
        stop_instances(StopInstancesRequest) -> StopInstancesResult => inst_lifecycle::stop;
        reboot_instances(RebootInstancesRequest) -> () => inst_lifecycle::reboot;
        terminate_instances(TerminateInstancesRequest) -> TerminateInstancesResult => inst_lifecycle::terminate;
        describe_instance_attribute(DescribeInstanceAttributeRequest) -> InstanceAttribute => instance_attrs::describe_attribute;
        modify_instance_attribute(ModifyInstanceAttributeRequest) -> () => instance_attrs::modify_attribute;
        get_console_output(GetConsoleOutputRequest) -> GetConsoleOutputResult => instance_attrs::console_output;
        describe_volumes(DescribeVolumesRequest) -> DescribeVolumesResult => instance_attrs::describe_volumes;
        delete_volume(DeleteVolumeRequest) -> () => volumes::delete;
        modify_instance_metadata_options(ModifyInstanceMetadataOptionsRequest) -> ModifyInstanceMetadataOptionsResult => instance_attrs::modify_metadata_options;
        describe_instance_credit_specifications(DescribeInstanceCreditSpecificationsRequest) -> DescribeInstanceCreditSpecificationsResult => instance_attrs::credit_specifications;
        describe_iam_instance_profile_associations(DescribeIamInstanceProfileAssociationsRequest) -> DescribeIamInstanceProfileAssociationsResult => instance_attrs::profile_associations;
        get_launch_template_data(GetLaunchTemplateDataRequest) -> GetLaunchTemplateDataResult => instance_attrs::launch_template_data;
        create_image(CreateImageRequest) -> CreateImageResult => inst_images::create;
        associate_iam_instance_profile(AssociateIamInstanceProfileRequest) -> AssociateIamInstanceProfileResult => inst_profiles::associate;
        disassociate_iam_instance_profile(DisassociateIamInstanceProfileRequest) -> DisassociateIamInstanceProfileResult => inst_profiles::disassociate;
        replace_iam_instance_profile_association(ReplaceIamInstanceProfileAssociationRequest) -> ReplaceIamInstanceProfileAssociationResult => inst_profiles::replace;
    }

    async fn monitor_instances(
        &self,
        ctx: &RequestContext,
        input: MonitorInstancesRequest,
    ) -> Result<MonitorInstancesResult, AwsError> {
        let m = instance_attrs::set_monitoring(self, ctx, input.instance_ids, input.dry_run, true);
        Ok(MonitorInstancesResult {
            instance_monitorings: Some(m.await?),
        })
    }

    async fn unmonitor_instances(
        &self,
        ctx: &RequestContext,
        input: UnmonitorInstancesRequest,
    ) -> Result<UnmonitorInstancesResult, AwsError> {
        let m = instance_attrs::set_monitoring(self, ctx, input.instance_ids, input.dry_run, false);
        Ok(UnmonitorInstancesResult {
            instance_monitorings: Some(m.await?),
        })
    }

    fn reset<'a>(&'a self, then: nimbus_wire::ResetStep<'a>) -> nimbus_wire::ResetStep<'a> {
        self.reset_with(then)
    }
}

/// Refuses a `DryRun=true` call the way EC2 does when the caller would have been allowed.
fn check_dry_run(dry_run: Option<bool>) -> Result<(), AwsError> {
    if dry_run == Some(true) {
        Err(errors::dry_run())
    } else {
        Ok(())
    }
}

/// Checks that every id has the form `{prefix}` + 8 or 17 hex digits, answering
/// `{code}.Malformed` for the first that does not.
fn check_ids(ids: &[String], prefix: &str, code: &str) -> Result<(), AwsError> {
    match ids.iter().find(|id| !is_resource_id(id, prefix)) {
        Some(bad) => Err(errors::id_malformed(code, bad, prefix)),
        None => Ok(()),
    }
}

/// How a request names its target group.
#[derive(Clone, Debug)]
enum GroupRef {
    Id(String),
    /// By name, in the default VPC.
    Name(String),
}

impl GroupRef {
    /// From a request's `GroupId` / `GroupName` pair (the id wins when both are given).
    fn from_parts(group_id: Option<String>, group_name: Option<String>) -> Result<Self, AwsError> {
        match (
            group_id.filter(|s| !s.is_empty()),
            group_name.filter(|s| !s.is_empty()),
        ) {
            (Some(id), _) => {
                check_group_id(&id)?;
                Ok(GroupRef::Id(id))
            }
            (None, Some(name)) => Ok(GroupRef::Name(name)),
            (None, None) => Err(errors::missing_parameter(
                "The request must contain the parameter groupName or groupId",
            )),
        }
    }

    fn find<'a>(&self, scope: &'a Scope) -> Result<&'a GroupRec, AwsError> {
        match self {
            GroupRef::Id(id) => scope.group(id).ok_or_else(|| errors::group_not_found(id)),
            GroupRef::Name(name) => find_in_default_vpc(scope, name),
        }
    }
}

/// The group named `name` in the scope's default VPC.
fn find_in_default_vpc<'a>(scope: &'a Scope, name: &str) -> Result<&'a GroupRec, AwsError> {
    let vpc = scope
        .default_vpc()
        .ok_or_else(|| errors::group_not_found(name))?;
    scope
        .group_by_name(&vpc.vpc_id, name)
        .ok_or_else(|| errors::group_name_not_found_in_default_vpc(name, &vpc.vpc_id))
}
