//! `CreateSubnet`, `DescribeSubnets`, `DeleteSubnet` and `ModifySubnetAttribute`: a subnet's
//! block must lie inside one of its VPC's blocks, be /16–/28 and overlap no other subnet
//! (`InvalidSubnet.Range`, `InvalidSubnet.Conflict`); its zone is named by `AvailabilityZone`
//! or `AvailabilityZoneId` (or chosen: the VPC's least used zone). A new subnet joins its
//! VPC's default network ACL and uses the main route table implicitly. Deleting one that
//! still holds addresses is a `DependencyViolation`. See
//! <https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSubnet.html>.

use super::{check_dry_run, check_ids};
use crate::cidr::Cidr;
use crate::errors;
use crate::filters::{self, Parsed};
use crate::generated::{
    CreateSubnetRequest, CreateSubnetResult, DeleteSubnetRequest, DescribeSubnetsRequest,
    DescribeSubnetsResult, ModifySubnetAttributeRequest,
};
use crate::network::{AclAssocRec, NetRec, SubnetRec};
use crate::persist::Change;
use crate::regions;
use crate::render_net::{self, available_ips};
use crate::state::{scope_key, Ec2, Scope};
use crate::tags;
use nimbus_core::{AwsError, RequestContext};

const FILTERS: &[&str] = &[
    "availability-zone",
    "availabilityZone",
    "availability-zone-id",
    "availabilityZoneId",
    "available-ip-address-count",
    "cidr",
    "cidr-block",
    "cidrBlock",
    "default-for-az",
    "defaultForAz",
    "ipv6-native",
    "map-public-ip-on-launch",
    "owner-id",
    "state",
    "subnet-arn",
    "subnet-id",
    "vpc-id",
];

fn subnet_matches(account: &str, region: &str, s: &SubnetRec, f: &Parsed) -> bool {
    if let Some(m) = f.match_tags(&s.tags) {
        return m;
    }
    let bool_text = |b: bool| if b { "true" } else { "false" };
    match f.name.as_str() {
        "availability-zone" | "availabilityZone" => f.matches(&s.az),
        "availability-zone-id" | "availabilityZoneId" => f.matches(&s.az_id),
        "available-ip-address-count" => f.matches(&available_ips(s).to_string()),
        "cidr" | "cidr-block" | "cidrBlock" => f.matches(&s.cidr_block),
        "default-for-az" | "defaultForAz" => f.matches(bool_text(s.default_for_az)),
        "ipv6-native" => f.matches("false"),
        "map-public-ip-on-launch" => f.matches(bool_text(s.map_public_ip_on_launch)),
        "owner-id" => f.matches(account),
        "state" => f.matches("available"),
        "subnet-arn" => f.matches(&render_net::subnet_arn(region, account, &s.subnet_id)),
        "subnet-id" => f.matches(&s.subnet_id),
        "vpc-id" => f.matches(&s.vpc_id),
        _ => false,
    }
}

pub(super) async fn describe(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: DescribeSubnetsRequest,
) -> Result<DescribeSubnetsResult, AwsError> {
    check_dry_run(input.dry_run)?;
    let filters = filters::parse(input.filters, FILTERS, true)?;
    filters::check_max_results(input.max_results, 5, 1000)?;
    let ids = input.subnet_ids.unwrap_or_default();
    check_ids(&ids, "subnet-", "InvalidSubnetID")?;
    let account = ctx.account_id().to_string();
    let subnets = ec2
        .read(ctx, |_, scope| -> Result<Vec<SubnetRec>, AwsError> {
            if let Some(missing) = ids.iter().find(|id| !scope.net.subnets.contains_key(*id)) {
                return Err(errors::subnet_not_found(missing));
            }
            Ok(scope
                .net
                .subnets
                .values()
                .filter(|s| ids.is_empty() || ids.contains(&s.subnet_id))
                .filter(|s| {
                    filters
                        .iter()
                        .all(|f| subnet_matches(&account, &ctx.region, s, f))
                })
                .cloned()
                .collect())
        })
        .await??;
    let (page, next_token) = filters::paginate(
        subnets,
        |s| s.subnet_id.as_str(),
        input.max_results,
        input.next_token.as_deref(),
    )?;
    Ok(DescribeSubnetsResult {
        next_token,
        subnets: Some(
            page.iter()
                .map(|s| render_net::subnet(&account, &ctx.region, s))
                .collect(),
        ),
    })
}

/// The zone a new subnet goes to: the named one, or the VPC's least used zone.
fn pick_zone(
    region: &str,
    scope: &Scope,
    vpc_id: &str,
    name: Option<&str>,
    id: Option<&str>,
) -> Result<(String, String), AwsError> {
    let zones = regions::zones(region);
    let list = |pick: fn(&(String, String)) -> &String| {
        zones
            .iter()
            .map(pick)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ")
    };
    match (name, id) {
        (Some(_), Some(_)) => Err(errors::invalid_parameter_combination(
            "The parameters 'availabilityZone' and 'availabilityZoneId' cannot be used together",
        )),
        (Some(n), None) => zones.iter().find(|z| z.0 == n).cloned().ok_or_else(|| {
            errors::invalid_parameter_value(format!(
                "Value ({n}) for parameter availabilityZone is invalid. Subnets can currently only be created in the following availability zones: {}.",
                list(|z| &z.0)
            ))
        }),
        (None, Some(i)) => zones.iter().find(|z| z.1 == i).cloned().ok_or_else(|| {
            errors::invalid_parameter_value(format!(
                "Value ({i}) for parameter availabilityZoneId is invalid. Subnets can currently only be created in the following availability zone ids: {}.",
                list(|z| &z.1)
            ))
        }),
        (None, None) => zones
            .iter()
            .min_by_key(|z| {
                scope
                    .net
                    .subnets
                    .values()
                    .filter(|s| s.vpc_id == vpc_id && s.az == z.0)
                    .count()
            })
            .cloned()
            .ok_or_else(|| errors::invalid_parameter_value("No availability zone in this region")),
    }
}

pub(super) async fn create(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: CreateSubnetRequest,
) -> Result<CreateSubnetResult, AwsError> {
    let tags = tags::from_specs(input.tag_specifications, "subnet")?;
    check_dry_run(input.dry_run)?;
    if input.ipv6_cidr_block.is_some() || input.ipv6_native == Some(true) {
        return Err(errors::invalid_parameter_value(
            "IPv6 subnets are not supported by Nimbus yet",
        ));
    }
    if input.ipv4_ipam_pool_id.is_some() {
        return Err(errors::invalid_parameter_value(
            "IPAM pools are not supported by Nimbus yet",
        ));
    }
    let cidr_text = input.cidr_block.clone().unwrap_or_default();
    if cidr_text.is_empty() {
        return Err(errors::missing_parameter(
            "Either 'cidrBlock' or 'ipv4IpamPoolId' should be provided.",
        ));
    }
    let cidr =
        Cidr::parse(&cidr_text).ok_or_else(|| errors::invalid_cidr("cidrBlock", &cidr_text))?;
    let key = scope_key(ctx);
    let account = key.0.clone();
    ec2.mutate(ctx, |_, scope| {
        let vpc = scope
            .vpcs
            .get(&input.vpc_id)
            .ok_or_else(|| errors::vpc_not_found(&input.vpc_id))?;
        let inside = vpc
            .cidrs()
            .filter_map(Cidr::parse)
            .any(|v| v.contains(&cidr));
        if !inside || !(16..=28).contains(&cidr.len) {
            return Err(AwsError::client(
                "InvalidSubnet.Range",
                format!("The CIDR '{cidr_text}' is invalid."),
            ));
        }
        let conflict = scope.net.subnets.values().any(|s| {
            s.vpc_id == vpc.vpc_id && Cidr::parse(&s.cidr_block).is_some_and(|c| c.overlaps(&cidr))
        });
        if conflict {
            return Err(AwsError::client(
                "InvalidSubnet.Conflict",
                format!("The CIDR '{cidr_text}' conflicts with another subnet"),
            ));
        }
        let (az, az_id) = pick_zone(
            &ctx.region,
            scope,
            &vpc.vpc_id,
            input.availability_zone.as_deref().filter(|s| !s.is_empty()),
            input
                .availability_zone_id
                .as_deref()
                .filter(|s| !s.is_empty()),
        )?;
        let subnet = SubnetRec {
            subnet_id: ec2.ids.resource_id("subnet"),
            vpc_id: vpc.vpc_id.clone(),
            cidr_block: cidr.to_string(),
            az,
            az_id,
            map_public_ip_on_launch: false,
            default_for_az: false,
            tags,
            taken: Default::default(),
        };
        let mut change = Change::put_net(&key, NetRec::Subnet(subnet.clone()));
        if let Some(acl) = scope.net.default_acl(&vpc.vpc_id) {
            let mut acl = acl.clone();
            acl.associations.push(AclAssocRec {
                assoc_id: ec2.ids.resource_id("aclassoc"),
                subnet_id: subnet.subnet_id.clone(),
            });
            change.put_net.push((key.clone(), NetRec::NetworkAcl(acl)));
        }
        let out = CreateSubnetResult {
            subnet: Some(render_net::subnet(&account, &ctx.region, &subnet)),
        };
        Ok((change, out))
    })
    .await
}

/// Checks a subnet id's form and finds it.
fn find<'a>(scope: &'a Scope, id: &str) -> Result<&'a SubnetRec, AwsError> {
    check_ids(
        std::slice::from_ref(&id.to_string()),
        "subnet-",
        "InvalidSubnetID",
    )?;
    scope
        .net
        .subnets
        .get(id)
        .ok_or_else(|| errors::subnet_not_found(id))
}

pub(super) async fn delete(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: DeleteSubnetRequest,
) -> Result<(), AwsError> {
    check_dry_run(input.dry_run)?;
    let key = scope_key(ctx);
    ec2.mutate(ctx, |_, scope| {
        let s = find(scope, &input.subnet_id)?;
        let in_use =
            !s.taken.is_empty() || scope.net.enis.values().any(|e| e.subnet_id == s.subnet_id);
        if in_use {
            return Err(errors::has_dependencies("subnet", &s.subnet_id));
        }
        let mut change = Change::default();
        change.delete_net.push((key.clone(), s.subnet_id.clone()));
        if let Some(acl) = scope.net.acl_of_subnet(&s.subnet_id) {
            let mut acl = acl.clone();
            acl.associations.retain(|a| a.subnet_id != s.subnet_id);
            change.put_net.push((key.clone(), NetRec::NetworkAcl(acl)));
        }
        if let Some(rtb) = scope.net.route_table_of_subnet(&s.subnet_id) {
            let mut rtb = rtb.clone();
            rtb.associations
                .retain(|a| a.subnet_id.as_deref() != Some(s.subnet_id.as_str()));
            change.put_net.push((key.clone(), NetRec::RouteTable(rtb)));
        }
        Ok((change, ()))
    })
    .await
}

pub(super) async fn modify_attribute(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: ModifySubnetAttributeRequest,
) -> Result<(), AwsError> {
    let key = scope_key(ctx);
    let unsupported = input.assign_ipv6_address_on_creation.is_some()
        || input.map_customer_owned_ip_on_launch.is_some()
        || input.customer_owned_ipv4_pool.is_some()
        || input.enable_dns64.is_some()
        || input.private_dns_hostname_type_on_launch.is_some()
        || input.enable_resource_name_dns_a_record_on_launch.is_some()
        || input
            .enable_resource_name_dns_aaaa_record_on_launch
            .is_some()
        || input.enable_lni_at_device_index.is_some()
        || input.disable_lni_at_device_index.is_some();
    let map_public = input.map_public_ip_on_launch.and_then(|v| v.value);
    ec2.mutate(ctx, |_, scope| {
        let s = find(scope, &input.subnet_id)?;
        if unsupported {
            return Err(errors::invalid_parameter_value(
                "Nimbus supports only the MapPublicIpOnLaunch subnet attribute",
            ));
        }
        let Some(map_public) = map_public else {
            return Err(errors::missing_parameter(
                "The request must contain exactly one subnet attribute to modify",
            ));
        };
        let mut s = s.clone();
        s.map_public_ip_on_launch = map_public;
        Ok((Change::put_net(&key, NetRec::Subnet(s)), ()))
    })
    .await
}
