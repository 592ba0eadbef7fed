//! `DescribeNetworkAcls` and `DescribeDhcpOptions`: the default network ACL of every VPC
//! (rule 100 allows all, `*` denies, associated with the VPC's subnets) and the region's
//! DHCP options set, by id, filter and page. Creating custom ACLs and option sets is not
//! implemented (those operations answer NotImplemented). See
//! <https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeNetworkAcls.html>.

use super::{check_dry_run, check_ids};
use crate::errors;
use crate::filters::{self, Parsed};
use crate::generated::{
    DescribeDhcpOptionsRequest, DescribeDhcpOptionsResult, DescribeNetworkAclsRequest,
    DescribeNetworkAclsResult,
};
use crate::network::{AclRec, DhcpRec};
use crate::render_net;
use crate::state::Ec2;
use nimbus_core::{AwsError, RequestContext};

const ACL_FILTERS: &[&str] = &[
    "association.association-id",
    "association.network-acl-id",
    "association.subnet-id",
    "default",
    "entry.cidr",
    "entry.egress",
    "entry.protocol",
    "entry.rule-action",
    "entry.rule-number",
    "network-acl-id",
    "owner-id",
    "vpc-id",
];

fn acl_matches(account: &str, a: &AclRec, f: &Parsed) -> bool {
    if let Some(m) = f.match_tags(&a.tags) {
        return m;
    }
    let bool_text = |b: bool| if b { "true" } else { "false" };
    match f.name.as_str() {
        "association.association-id" => {
            f.matches_any(a.associations.iter().map(|x| x.assoc_id.as_str()))
        }
        "association.network-acl-id" => !a.associations.is_empty() && f.matches(&a.acl_id),
        "association.subnet-id" => {
            f.matches_any(a.associations.iter().map(|x| x.subnet_id.as_str()))
        }
        "default" => f.matches(bool_text(a.is_default)),
        "entry.cidr" => f.matches_any(a.entries.iter().map(|e| e.cidr_block.as_str())),
        "entry.egress" => f.matches_any(a.entries.iter().map(|e| bool_text(e.egress))),
        "entry.protocol" => f.matches_any(a.entries.iter().map(|e| e.protocol.as_str())),
        "entry.rule-action" => {
            f.matches_any(
                a.entries
                    .iter()
                    .map(|e| if e.allow { "allow" } else { "deny" }),
            )
        }
        "entry.rule-number" => {
            let numbers: Vec<String> = a
                .entries
                .iter()
                .map(|e| e.rule_number.to_string())
                .collect();
            f.matches_any(numbers.iter().map(String::as_str))
        }
        "network-acl-id" => f.matches(&a.acl_id),
        "owner-id" => f.matches(account),
        "vpc-id" => f.matches(&a.vpc_id),
        _ => false,
    }
}

pub(super) async fn describe_network_acls(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: DescribeNetworkAclsRequest,
) -> Result<DescribeNetworkAclsResult, AwsError> {
    check_dry_run(input.dry_run)?;
    let filters = filters::parse(input.filters, ACL_FILTERS, true)?;
    filters::check_max_results(input.max_results, 5, 100)?;
    let ids = input.network_acl_ids.unwrap_or_default();
    check_ids(&ids, "acl-", "InvalidNetworkAclID")?;
    let account = ctx.account_id().to_string();
    let found = ec2
        .read(ctx, |_, scope| -> Result<Vec<AclRec>, AwsError> {
            if let Some(missing) = ids.iter().find(|id| !scope.net.acls.contains_key(*id)) {
                return Err(errors::id_not_found(
                    "InvalidNetworkAclID",
                    "networkAcl",
                    missing,
                ));
            }
            Ok(scope
                .net
                .acls
                .values()
                .filter(|a| ids.is_empty() || ids.contains(&a.acl_id))
                .filter(|a| filters.iter().all(|f| acl_matches(&account, a, f)))
                .cloned()
                .collect())
        })
        .await??;
    let (page, next_token) = filters::paginate(
        found,
        |a| a.acl_id.as_str(),
        input.max_results,
        input.next_token.as_deref(),
    )?;
    Ok(DescribeNetworkAclsResult {
        network_acls: Some(
            page.iter()
                .map(|a| render_net::network_acl(&account, a))
                .collect(),
        ),
        next_token,
    })
}

const DHCP_FILTERS: &[&str] = &["dhcp-options-id", "key", "value", "owner-id"];

fn dhcp_matches(account: &str, d: &DhcpRec, f: &Parsed) -> bool {
    if let Some(m) = f.match_tags(&d.tags) {
        return m;
    }
    match f.name.as_str() {
        "dhcp-options-id" => f.matches(&d.dopt_id),
        "key" => f.matches_any(d.configurations.iter().map(|(k, _)| k.as_str())),
        "value" => f.matches_any(
            d.configurations
                .iter()
                .flat_map(|(_, vs)| vs.iter().map(String::as_str)),
        ),
        "owner-id" => f.matches(account),
        _ => false,
    }
}

pub(super) async fn describe_dhcp_options(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: DescribeDhcpOptionsRequest,
) -> Result<DescribeDhcpOptionsResult, AwsError> {
    check_dry_run(input.dry_run)?;
    let filters = filters::parse(input.filters, DHCP_FILTERS, true)?;
    filters::check_max_results(input.max_results, 5, 1000)?;
    let ids = input.dhcp_options_ids.unwrap_or_default();
    check_ids(&ids, "dopt-", "InvalidDhcpOptionsID")?;
    let account = ctx.account_id().to_string();
    let found = ec2
        .read(ctx, |_, scope| -> Result<Vec<DhcpRec>, AwsError> {
            if let Some(missing) = ids
                .iter()
                .find(|id| !scope.net.dhcp_options.contains_key(*id))
            {
                return Err(errors::id_not_found(
                    "InvalidDhcpOptionID",
                    "dhcpOption",
                    missing,
                ));
            }
            Ok(scope
                .net
                .dhcp_options
                .values()
                .filter(|d| ids.is_empty() || ids.contains(&d.dopt_id))
                .filter(|d| filters.iter().all(|f| dhcp_matches(&account, d, f)))
                .cloned()
                .collect())
        })
        .await??;
    let (page, next_token) = filters::paginate(
        found,
        |d| d.dopt_id.as_str(),
        input.max_results,
        input.next_token.as_deref(),
    )?;
    Ok(DescribeDhcpOptionsResult {
        dhcp_options: Some(
            page.iter()
                .map(|d| render_net::dhcp_options(&account, d))
                .collect(),
        ),
        next_token,
    })
}
