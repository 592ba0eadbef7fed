//! `DescribeVpcs`: the caller's VPCs (today the lazily created default VPC), by id, by
//! filter and paged. Creating and deleting VPCs is not implemented yet. See
//! <https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeVpcs.html>.

use super::check_dry_run;
use crate::errors;
use crate::filters::{self, Parsed};
use crate::generated::{DescribeVpcsRequest, DescribeVpcsResult};
use crate::model::VpcRec;
use crate::render;
use crate::state::Ec2;
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
        "cidr" | "cidr-block" | "cidr-block-association.cidr-block" => f.matches(&v.cidr_block),
        "cidr-block-association.association-id" => f.matches(&v.cidr_assoc_id),
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
