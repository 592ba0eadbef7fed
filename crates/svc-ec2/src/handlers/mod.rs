//! The generated `Handlers` trait implemented for [`Ec2`]: one thin method per operation,
//! delegating to the module that owns the resource (security groups, their rules, VPCs,
//! zones and regions), plus the group lookups those modules share. Nothing here validates
//! or stores anything itself.

mod rules;
mod security_groups;
mod subnets;
mod vpcs;
mod zones;

use crate::errors;
use crate::generated::*;
use crate::model::GroupRec;
use crate::state::{check_group_id, is_resource_id, Ec2, Scope};
use nimbus_core::{AwsError, RequestContext};

impl Handlers for Ec2 {
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

    async fn describe_availability_zones(
        &self,
        ctx: &RequestContext,
        input: DescribeAvailabilityZonesRequest,
    ) -> Result<DescribeAvailabilityZonesResult, AwsError> {
        zones::describe_availability_zones(ctx, input)
    }

    async fn describe_regions(
        &self,
        ctx: &RequestContext,
        input: DescribeRegionsRequest,
    ) -> Result<DescribeRegionsResult, AwsError> {
        zones::describe_regions(ctx, input)
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

    async fn describe_vpcs(
        &self,
        ctx: &RequestContext,
        input: DescribeVpcsRequest,
    ) -> Result<DescribeVpcsResult, AwsError> {
        vpcs::describe(self, ctx, input).await
    }

    async fn modify_subnet_attribute(
        &self,
        ctx: &RequestContext,
        input: ModifySubnetAttributeRequest,
    ) -> Result<(), AwsError> {
        subnets::modify_attribute(self, ctx, input).await
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
