//! VPCs: `CreateVpc` (/16–/28 blocks, `InvalidVpc.Range`, the region's VPC quota; a new
//! VPC gets its main route table, default network ACL and default security group),
//! `CreateDefaultVpc`, `DescribeVpcs` (ids, filters, paging), `DeleteVpc` (refused with
//! `DependencyViolation` while subnets, gateways, extra route tables or ACLs, or
//! non-default groups live in it), `Describe/ModifyVpcAttribute` (DNS support and host
//! names, address usage metrics) and secondary IPv4 blocks (`Associate/DisassociateVpcCidrBlock`,
//! each with its `local` route). See
//! <https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateVpc.html>.

use super::{check_dry_run, check_ids};
use crate::cidr::Cidr;
use crate::errors;
use crate::filters::{self, Parsed};
use crate::generated::{
    AssociateVpcCidrBlockRequest, AssociateVpcCidrBlockResult, AttributeBooleanValue,
    CreateDefaultVpcRequest, CreateDefaultVpcResult, CreateVpcRequest, CreateVpcResult,
    DeleteVpcRequest, DescribeVpcAttributeRequest, DescribeVpcAttributeResult, DescribeVpcsRequest,
    DescribeVpcsResult, DisassociateVpcCidrBlockRequest, DisassociateVpcCidrBlockResult,
    ModifyVpcAttributeRequest,
};
use crate::model::{VpcCidrRec, VpcRec};
use crate::network::{NetRec, RouteRec};
use crate::persist::Change;
use crate::render;
use crate::setup;
use crate::state::{scope_key, Ec2, Scope, ScopeKey};
use crate::tags;
use nimbus_core::{AwsError, RequestContext};

const FILTERS: &[&str] = &[
    "cidr",
    "cidr-block",
    "cidr-block-association.cidr-block",
    "cidr-block-association.association-id",
    "cidr-block-association.state",
    "dhcp-options-id",
    "is-default",
    "isDefault",
    "owner-id",
    "state",
    "vpc-id",
];

fn vpc_matches(v: &VpcRec, f: &Parsed) -> bool {
    if let Some(m) = f.match_tags(&v.tags) {
        return m;
    }
    match f.name.as_str() {
        "cidr" | "cidr-block" => f.matches(&v.cidr_block),
        "cidr-block-association.cidr-block" => f.matches_any(v.cidrs()),
        "cidr-block-association.association-id" => f.matches_any(
            std::iter::once(v.cidr_assoc_id.as_str())
                .chain(v.secondary_cidrs.iter().map(|c| c.assoc_id.as_str())),
        ),
        "cidr-block-association.state" => f.matches("associated"),
        "dhcp-options-id" => f.matches(&v.dhcp_options_id),
        "is-default" | "isDefault" => f.matches(if v.is_default { "true" } else { "false" }),
        "owner-id" => f.matches(&v.account),
        "state" => f.matches("available"),
        "vpc-id" => f.matches(&v.vpc_id),
        _ => false,
    }
}

pub(super) async fn describe(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: DescribeVpcsRequest,
) -> Result<DescribeVpcsResult, AwsError> {
    check_dry_run(input.dry_run)?;
    let filters = filters::parse(input.filters, FILTERS, true)?;
    filters::check_max_results(input.max_results, 5, 1000)?;
    let ids = input.vpc_ids.unwrap_or_default();
    check_ids(&ids, "vpc-", "InvalidVpcID")?;
    let vpcs = ec2
        .read(ctx, |_, scope| -> Result<Vec<VpcRec>, AwsError> {
            for id in &ids {
                if !scope.vpcs.contains_key(id) {
                    return Err(errors::vpc_not_found(id));
                }
            }
            Ok(scope
                .vpcs
                .values()
                .filter(|v| ids.is_empty() || ids.contains(&v.vpc_id))
                .filter(|v| filters.iter().all(|f| vpc_matches(v, f)))
                .cloned()
                .collect())
        })
        .await??;
    let (page, next_token) = filters::paginate(
        vpcs,
        |v| v.vpc_id.as_str(),
        input.max_results,
        input.next_token.as_deref(),
    )?;
    Ok(DescribeVpcsResult {
        next_token,
        vpcs: Some(page.iter().map(render::vpc).collect()),
    })
}

/// AWS's default quota of VPCs per region (the default VPC counts).
const MAX_VPCS_PER_REGION: usize = 5;

fn invalid_range(cidr: &str) -> AwsError {
    AwsError::client("InvalidVpc.Range", format!("The CIDR '{cidr}' is invalid."))
}

/// A VPC block: `a.b.c.d/n` with n in 16..=28.
fn parse_vpc_cidr(text: Option<&str>) -> Result<Cidr, AwsError> {
    let text = text.filter(|s| !s.is_empty()).ok_or_else(|| {
        errors::missing_parameter("Either 'cidrBlock' or 'ipv4IpamPoolId' should be provided.")
    })?;
    let cidr = Cidr::parse(text).ok_or_else(|| errors::invalid_cidr("cidrBlock", text))?;
    if !(16..=28).contains(&cidr.len) {
        return Err(invalid_range(text));
    }
    Ok(cidr)
}

fn find<'a>(scope: &'a Scope, id: &str) -> Result<&'a VpcRec, AwsError> {
    check_ids(
        std::slice::from_ref(&id.to_string()),
        "vpc-",
        "InvalidVpcID",
    )?;
    scope.vpcs.get(id).ok_or_else(|| errors::vpc_not_found(id))
}

/// The DHCP options a new VPC starts with: the region's default set (the default VPC's),
/// else any set the scope has.
fn region_dhcp_options(scope: &Scope) -> Option<String> {
    scope
        .default_vpc()
        .map(|v| v.dhcp_options_id.clone())
        .or_else(|| scope.net.dhcp_options.keys().next().cloned())
}

pub(super) async fn create(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: CreateVpcRequest,
) -> Result<CreateVpcResult, AwsError> {
    let tags = tags::from_specs(input.tag_specifications, "vpc")?;
    check_dry_run(input.dry_run)?;
    if input.amazon_provided_ipv6_cidr_block == Some(true)
        || input.ipv6_cidr_block.is_some()
        || input.ipv4_ipam_pool_id.is_some()
        || input.ipv6_ipam_pool_id.is_some()
    {
        return Err(errors::invalid_parameter_value(
            "IPv6 blocks and IPAM pools are not supported by Nimbus yet",
        ));
    }
    let cidr = parse_vpc_cidr(input.cidr_block.as_deref())?;
    let tenancy = match input.instance_tenancy.as_deref() {
        None | Some("default") => None,
        Some("dedicated") => Some("dedicated".to_string()),
        Some(other) => {
            return Err(errors::invalid_parameter_value(format!(
                "Value ({other}) for parameter instanceTenancy is invalid."
            )))
        }
    };
    let key = scope_key(ctx);
    ec2.mutate(ctx, |_, scope| {
        if scope.vpcs.len() >= MAX_VPCS_PER_REGION {
            return Err(AwsError::client(
                "VpcLimitExceeded",
                "The maximum number of VPCs has been reached.",
            ));
        }
        let mut change = Change::default();
        let dopt = match region_dhcp_options(scope) {
            Some(d) => d,
            None => {
                let d = setup::dhcp_options(&key.1, ec2.ids.resource_id("dopt"));
                let id = d.dopt_id.clone();
                change.put_net.push((key.clone(), NetRec::DhcpOptions(d)));
                id
            }
        };
        let vpc = VpcRec {
            account: key.0.clone(),
            region: key.1.clone(),
            vpc_id: ec2.ids.resource_id("vpc"),
            cidr_block: cidr.to_string(),
            cidr_assoc_id: ec2.ids.resource_id("vpc-cidr-assoc"),
            dhcp_options_id: dopt,
            is_default: false,
            tags,
            instance_tenancy: tenancy,
            ..Default::default()
        };
        change.extend(setup::vpc_companions(ec2, &key, &vpc));
        change.put_vpcs.push(vpc.clone());
        let out = CreateVpcResult {
            vpc: Some(render::vpc_in_state(&vpc, "pending")),
        };
        Ok((change, out))
    })
    .await
}

pub(super) async fn create_default(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: CreateDefaultVpcRequest,
) -> Result<CreateDefaultVpcResult, AwsError> {
    check_dry_run(input.dry_run)?;
    let key = scope_key(ctx);
    ec2.mutate(ctx, |_, scope| {
        if scope.default_vpc().is_some() {
            return Err(AwsError::client(
                "DefaultVpcAlreadyExists",
                "A Default VPC already exists for this account in this region.",
            ));
        }
        if scope.vpcs.len() >= MAX_VPCS_PER_REGION {
            return Err(AwsError::client(
                "VpcLimitExceeded",
                "The maximum number of VPCs has been reached.",
            ));
        }
        let change = setup::defaults(ec2, &key, Some(scope));
        let vpc = change
            .put_vpcs
            .first()
            .ok_or_else(|| AwsError::internal("default VPC plan made no VPC"))?;
        let out = CreateDefaultVpcResult {
            vpc: Some(render::vpc_in_state(vpc, "pending")),
        };
        Ok((change, out))
    })
    .await
}

pub(super) async fn delete(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: DeleteVpcRequest,
) -> Result<(), AwsError> {
    check_dry_run(input.dry_run)?;
    let key = scope_key(ctx);
    ec2.mutate(ctx, |_, scope| {
        let vpc = find(scope, &input.vpc_id)?;
        let id = vpc.vpc_id.as_str();
        let net = &scope.net;
        let busy = net.subnets.values().any(|s| s.vpc_id == id)
            || net.enis.values().any(|e| e.vpc_id == id)
            || net.igw_of_vpc(id).is_some()
            || net
                .route_tables
                .values()
                .any(|r| r.vpc_id == id && !r.is_main())
            || net.acls.values().any(|a| a.vpc_id == id && !a.is_default)
            || scope
                .groups
                .values()
                .any(|g| g.vpc_id == id && !g.is_default());
        if busy {
            return Err(errors::has_dependencies("vpc", id));
        }
        let mut change = Change::default();
        change
            .delete_vpcs
            .push((key.0.clone(), key.1.clone(), id.to_string()));
        for g in scope.groups.values().filter(|g| g.vpc_id == id) {
            change
                .delete_groups
                .push((key.0.clone(), key.1.clone(), g.group_id.clone()));
        }
        for r in net.route_tables.values().filter(|r| r.vpc_id == id) {
            change.delete_net.push((key.clone(), r.rtb_id.clone()));
        }
        for a in net.acls.values().filter(|a| a.vpc_id == id) {
            change.delete_net.push((key.clone(), a.acl_id.clone()));
        }
        Ok((change, ()))
    })
    .await
}

pub(super) async fn describe_attribute(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: DescribeVpcAttributeRequest,
) -> Result<DescribeVpcAttributeResult, AwsError> {
    check_dry_run(input.dry_run)?;
    let vpc = ec2
        .read(ctx, |_, scope| find(scope, &input.vpc_id).cloned())
        .await??;
    let value = |v: bool| Some(AttributeBooleanValue { value: Some(v) });
    let mut out = DescribeVpcAttributeResult {
        vpc_id: Some(vpc.vpc_id.clone()),
        ..Default::default()
    };
    match input.attribute.as_str() {
        "enableDnsSupport" => out.enable_dns_support = value(vpc.dns_support()),
        "enableDnsHostnames" => out.enable_dns_hostnames = value(vpc.dns_hostnames()),
        "enableNetworkAddressUsageMetrics" => {
            out.enable_network_address_usage_metrics = value(vpc.nau_metrics.unwrap_or(false))
        }
        other => {
            return Err(errors::invalid_parameter_value(format!(
                "Value ({other}) for parameter attribute is invalid. Unknown attribute."
            )))
        }
    }
    Ok(out)
}

pub(super) async fn modify_attribute(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: ModifyVpcAttributeRequest,
) -> Result<(), AwsError> {
    let support = input.enable_dns_support.map(|v| v.value);
    let hostnames = input.enable_dns_hostnames.map(|v| v.value);
    let metrics = input.enable_network_address_usage_metrics.map(|v| v.value);
    let given = [support.is_some(), hostnames.is_some(), metrics.is_some()]
        .iter()
        .filter(|b| **b)
        .count();
    ec2.mutate(ctx, |_, scope| {
        let mut vpc = find(scope, &input.vpc_id)?.clone();
        match given {
            0 => {
                return Err(errors::missing_parameter(
                    "The request must contain the parameter EnableDnsSupport, EnableDnsHostnames or EnableNetworkAddressUsageMetrics",
                ))
            }
            1 => {}
            _ => {
                return Err(errors::invalid_parameter_combination(
                    "Fields for multiple attribute types specified: enableDnsSupport, enableDnsHostnames, enableNetworkAddressUsageMetrics",
                ))
            }
        }
        let flag = |v: Option<bool>, name: &str| {
            v.ok_or_else(|| {
                errors::missing_parameter(format!("The request must contain the parameter {name}.Value"))
            })
        };
        if let Some(v) = support {
            vpc.dns_support = Some(flag(v, "EnableDnsSupport")?);
        }
        if let Some(v) = hostnames {
            let on = flag(v, "EnableDnsHostnames")?;
            if on && !vpc.dns_support() {
                return Err(errors::invalid_parameter_value(
                    "enableDnsHostnames cannot be true while enableDnsSupport is false",
                ));
            }
            vpc.dns_hostnames = Some(on);
        }
        if let Some(v) = metrics {
            vpc.nau_metrics = Some(flag(v, "EnableNetworkAddressUsageMetrics")?);
        }
        Ok((
            Change {
                put_vpcs: vec![vpc],
                ..Default::default()
            },
            (),
        ))
    })
    .await
}

/// Adds (or drops) a VPC block's `local` route in every route table of the VPC.
fn local_routes(scope: &Scope, key: &ScopeKey, vpc_id: &str, cidr: &str, add: bool) -> Change {
    let mut change = Change::default();
    for rtb in scope
        .net
        .route_tables
        .values()
        .filter(|r| r.vpc_id == vpc_id)
    {
        let mut rtb = rtb.clone();
        rtb.routes.retain(|r| r.destination != cidr);
        if add {
            rtb.routes.push(RouteRec {
                destination: cidr.to_string(),
                target: "local".into(),
                origin: "CreateRouteTable".into(),
            });
        }
        change.put_net.push((key.clone(), NetRec::RouteTable(rtb)));
    }
    change
}

/// AWS's limit of IPv4 blocks per VPC (primary included).
const MAX_CIDRS_PER_VPC: usize = 5;

pub(super) async fn associate_cidr(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: AssociateVpcCidrBlockRequest,
) -> Result<AssociateVpcCidrBlockResult, AwsError> {
    if input.amazon_provided_ipv6_cidr_block == Some(true) || input.ipv6_cidr_block.is_some() {
        return Err(errors::invalid_parameter_value(
            "IPv6 blocks are not supported by Nimbus yet",
        ));
    }
    let cidr = parse_vpc_cidr(input.cidr_block.as_deref())?;
    let key = scope_key(ctx);
    ec2.mutate(ctx, |_, scope| {
        let mut vpc = find(scope, &input.vpc_id)?.clone();
        if vpc
            .cidrs()
            .filter_map(Cidr::parse)
            .any(|c| c.overlaps(&cidr))
        {
            return Err(AwsError::client(
                "InvalidVpc.Range",
                format!(
                    "The CIDR '{cidr}' conflicts with a CIDR block already associated with the VPC."
                ),
            ));
        }
        if vpc.cidrs().count() >= MAX_CIDRS_PER_VPC {
            return Err(AwsError::client(
                "CidrLimitExceeded",
                format!(
                    "This network '{}' has met its maximum number of allowed CIDRs: {MAX_CIDRS_PER_VPC}",
                    vpc.vpc_id
                ),
            ));
        }
        let rec = VpcCidrRec {
            assoc_id: ec2.ids.resource_id("vpc-cidr-assoc"),
            cidr_block: cidr.to_string(),
        };
        vpc.secondary_cidrs.push(rec.clone());
        let mut change = local_routes(scope, &key, &vpc.vpc_id, &rec.cidr_block, true);
        let out = AssociateVpcCidrBlockResult {
            cidr_block_association: Some(render::vpc_cidr_association(&rec, "associating")),
            vpc_id: Some(vpc.vpc_id.clone()),
            ipv6_cidr_block_association: None,
        };
        change.put_vpcs.push(vpc);
        Ok((change, out))
    })
    .await
}

pub(super) async fn disassociate_cidr(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: DisassociateVpcCidrBlockRequest,
) -> Result<DisassociateVpcCidrBlockResult, AwsError> {
    let key = scope_key(ctx);
    let assoc = input.association_id;
    ec2.mutate(ctx, |_, scope| {
        if let Some(v) = scope.vpcs.values().find(|v| v.cidr_assoc_id == assoc) {
            return Err(AwsError::client(
                "OperationNotPermitted",
                format!(
                    "The vpc CIDR block with association ID {assoc} may not be disassociated. It is the primary IPv4 CIDR block of the VPC {}",
                    v.vpc_id
                ),
            ));
        }
        let (vpc, rec) = scope
            .vpcs
            .values()
            .find_map(|v| {
                v.secondary_cidrs
                    .iter()
                    .find(|c| c.assoc_id == assoc)
                    .map(|c| (v, c.clone()))
            })
            .ok_or_else(|| {
                AwsError::client(
                    "InvalidVpcCidrBlockAssociationID.NotFound",
                    format!("The vpc CIDR block association ID '{assoc}' does not exist"),
                )
            })?;
        let block = Cidr::parse(&rec.cidr_block);
        let used = scope.net.subnets.values().any(|s| {
            s.vpc_id == vpc.vpc_id
                && Cidr::parse(&s.cidr_block)
                    .zip(block)
                    .is_some_and(|(s, b)| b.contains(&s))
        });
        if used {
            return Err(AwsError::client(
                "InvalidCidrBlock.InUse",
                format!(
                    "The vpc {} currently has a subnet within CIDR block {}",
                    vpc.vpc_id, rec.cidr_block
                ),
            ));
        }
        let mut vpc = vpc.clone();
        vpc.secondary_cidrs.retain(|c| c.assoc_id != assoc);
        let mut change = local_routes(scope, &key, &vpc.vpc_id, &rec.cidr_block, false);
        let out = DisassociateVpcCidrBlockResult {
            cidr_block_association: Some(render::vpc_cidr_association(&rec, "disassociating")),
            vpc_id: Some(vpc.vpc_id.clone()),
            ipv6_cidr_block_association: None,
        };
        change.put_vpcs.push(vpc);
        Ok((change, out))
    })
    .await
}
