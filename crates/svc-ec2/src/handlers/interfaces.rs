//! `DescribeNetworkInterfaces` (the interfaces instances and load balancer nodes get
//! through the public API in `public`, by id, filter and page) and
//! `DescribeAccountAttributes` (the account's EC2 limits and its default VPC, per region).
//! See <https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeNetworkInterfaces.html>.

use super::{check_dry_run, check_ids};
use crate::errors;
use crate::filters::{self, Parsed};
use crate::generated::{
    AccountAttribute, AccountAttributeValue, DescribeAccountAttributesRequest,
    DescribeAccountAttributesResult, DescribeNetworkInterfacesRequest,
    DescribeNetworkInterfacesResult,
};
use crate::network::EniRec;
use crate::render_net;
use crate::state::{scope_key, Ec2, Scope};
use nimbus_core::{AwsError, RequestContext};

const FILTERS: &[&str] = &[
    "addresses.private-ip-address",
    "addresses.primary",
    "association.allocation-id",
    "association.association-id",
    "association.ip-owner-id",
    "association.public-ip",
    "attachment.attachment-id",
    "attachment.device-index",
    "attachment.instance-id",
    "attachment.instance-owner-id",
    "attachment.status",
    "availability-zone",
    "description",
    "group-id",
    "group-name",
    "interface-type",
    "mac-address",
    "network-interface-id",
    "owner-id",
    "private-dns-name",
    "private-ip-address",
    "requester-id",
    "requester-managed",
    "source-dest-check",
    "status",
    "subnet-id",
    "vpc-id",
];

fn matches(account: &str, region: &str, scope: &Scope, e: &EniRec, f: &Parsed) -> bool {
    if let Some(m) = f.match_tags(&e.tags) {
        return m;
    }
    let eip = scope
        .net
        .addresses
        .values()
        .find(|a| a.association.as_ref().is_some_and(|x| x.0 == e.eni_id));
    let att = e.attachment.as_ref();
    match f.name.as_str() {
        "addresses.private-ip-address" | "private-ip-address" => f.matches(&e.private_ip),
        "addresses.primary" => f.matches("true"),
        "association.allocation-id" => eip.is_some_and(|a| f.matches(&a.allocation_id)),
        "association.association-id" => eip
            .and_then(|a| a.association.as_ref())
            .is_some_and(|x| f.matches(&x.1)),
        "association.ip-owner-id" => {
            e.public_ip.is_some() && f.matches(if eip.is_some() { account } else { "amazon" })
        }
        "association.public-ip" => e.public_ip.as_deref().is_some_and(|ip| f.matches(ip)),
        "attachment.attachment-id" => att.is_some_and(|a| f.matches(&a.1)),
        "attachment.device-index" => att.is_some_and(|a| f.matches(&a.2.to_string())),
        "attachment.instance-id" => att.is_some_and(|a| f.matches(&a.0)),
        "attachment.instance-owner-id" => att.is_some() && f.matches(account),
        "attachment.status" => att.is_some() && f.matches("attached"),
        "availability-zone" => f.matches(&e.az),
        "description" => f.matches(&e.description),
        "group-id" => f.matches_any(e.group_ids.iter().map(String::as_str)),
        "group-name" => f.matches_any(
            e.group_ids
                .iter()
                .filter_map(|g| scope.group(g).map(|g| g.group_name.as_str())),
        ),
        "interface-type" => f.matches(&e.interface_type),
        "mac-address" => f.matches(&e.mac),
        "network-interface-id" => f.matches(&e.eni_id),
        "owner-id" => f.matches(account),
        "private-dns-name" => f.matches(&render_net::private_dns_name(region, &e.private_ip)),
        "requester-id" => e.requester_id.as_deref().is_some_and(|r| f.matches(r)),
        "requester-managed" => f.matches(if e.requester_id.is_some() {
            "true"
        } else {
            "false"
        }),
        "source-dest-check" => f.matches("true"),
        "status" => f.matches(if att.is_some() { "in-use" } else { "available" }),
        "subnet-id" => f.matches(&e.subnet_id),
        "vpc-id" => f.matches(&e.vpc_id),
        _ => false,
    }
}

pub(super) async fn describe(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: DescribeNetworkInterfacesRequest,
) -> Result<DescribeNetworkInterfacesResult, AwsError> {
    check_dry_run(input.dry_run)?;
    let filters = filters::parse(input.filters, FILTERS, true)?;
    filters::check_max_results(input.max_results, 5, 1000)?;
    let ids = input.network_interface_ids.unwrap_or_default();
    check_ids(&ids, "eni-", "InvalidNetworkInterfaceID")?;
    let (account, region) = scope_key(ctx);
    let found = ec2
        .read(ctx, |_, scope| -> Result<_, AwsError> {
            if let Some(missing) = ids.iter().find(|id| !scope.net.enis.contains_key(*id)) {
                return Err(errors::id_not_found(
                    "InvalidNetworkInterfaceID",
                    "networkInterface",
                    missing,
                ));
            }
            Ok(scope
                .net
                .enis
                .values()
                .filter(|e| ids.is_empty() || ids.contains(&e.eni_id))
                .filter(|e| {
                    filters
                        .iter()
                        .all(|f| matches(&account, &region, scope, e, f))
                })
                .map(|e| {
                    (
                        e.eni_id.clone(),
                        render_net::network_interface(&account, &region, e, scope),
                    )
                })
                .collect::<Vec<_>>())
        })
        .await??;
    let (page, next_token) = filters::paginate(
        found,
        |(id, _)| id.as_str(),
        input.max_results,
        input.next_token.as_deref(),
    )?;
    Ok(DescribeNetworkInterfacesResult {
        network_interfaces: Some(page.into_iter().map(|(_, e)| e).collect()),
        next_token,
    })
}

/// The attributes `DescribeAccountAttributes` knows, in AWS's order, with Nimbus's values
/// (AWS's defaults for a new account; `default-vpc` is the region's default VPC or `none`).
const ATTRIBUTES: &[&str] = &[
    "supported-platforms",
    "vpc-max-security-groups-per-interface",
    "max-elastic-ips",
    "max-instances",
    "vpc-max-elastic-ips",
    "default-vpc",
];

pub(super) async fn describe_account_attributes(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: DescribeAccountAttributesRequest,
) -> Result<DescribeAccountAttributesResult, AwsError> {
    check_dry_run(input.dry_run)?;
    let names = input.attribute_names.unwrap_or_default();
    if let Some(bad) = names.iter().find(|n| !ATTRIBUTES.contains(&n.as_str())) {
        return Err(errors::invalid_parameter_value(format!(
            "Value ({bad}) for parameter attributeName is invalid. Unknown attribute."
        )));
    }
    let default_vpc = ec2
        .read(ctx, |_, scope| {
            scope
                .default_vpc()
                .map_or_else(|| "none".to_string(), |v| v.vpc_id.clone())
        })
        .await?;
    let attributes = ATTRIBUTES
        .iter()
        .filter(|a| names.is_empty() || names.iter().any(|n| n == *a))
        .map(|a| {
            let values: Vec<String> = match *a {
                "supported-platforms" => vec!["VPC".into()],
                "vpc-max-security-groups-per-interface" => vec!["5".into()],
                "max-elastic-ips" | "vpc-max-elastic-ips" => vec!["5".into()],
                "max-instances" => vec!["20".into()],
                _ => vec![default_vpc.clone()],
            };
            AccountAttribute {
                attribute_name: Some(a.to_string()),
                attribute_values: Some(
                    values
                        .into_iter()
                        .map(|v| AccountAttributeValue {
                            attribute_value: Some(v),
                        })
                        .collect(),
                ),
            }
        })
        .collect();
    Ok(DescribeAccountAttributesResult {
        account_attributes: Some(attributes),
    })
}
