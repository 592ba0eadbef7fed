//! Internet gateways: `CreateInternetGateway`, `AttachInternetGateway` (one gateway per VPC,
//! one VPC per gateway: `Resource.AlreadyAssociated`), `DetachInternetGateway`
//! (`Gateway.NotAttached`), `DeleteInternetGateway` (`DependencyViolation` while attached)
//! and `DescribeInternetGateways` with its filters and paging. Routes through a detached
//! gateway turn `blackhole` (see `render_net::route_state`). See
//! <https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AttachInternetGateway.html>.

use super::{check_dry_run, check_ids};
use crate::errors;
use crate::filters::{self, Parsed};
use crate::generated::{
    AttachInternetGatewayRequest, CreateInternetGatewayRequest, CreateInternetGatewayResult,
    DeleteInternetGatewayRequest, DescribeInternetGatewaysRequest, DescribeInternetGatewaysResult,
    DetachInternetGatewayRequest,
};
use crate::network::{IgwRec, NetRec};
use crate::persist::Change;
use crate::render_net;
use crate::state::{scope_key, Ec2, Scope};
use crate::tags;
use nimbus_core::{AwsError, RequestContext};

pub(super) fn not_found(id: &str) -> AwsError {
    errors::id_not_found("InvalidInternetGatewayID", "internetGateway", id)
}

pub(super) fn find<'a>(scope: &'a Scope, id: &str) -> Result<&'a IgwRec, AwsError> {
    check_ids(
        std::slice::from_ref(&id.to_string()),
        "igw-",
        "InvalidInternetGatewayID",
    )?;
    scope.net.igws.get(id).ok_or_else(|| not_found(id))
}

pub(super) async fn create(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: CreateInternetGatewayRequest,
) -> Result<CreateInternetGatewayResult, AwsError> {
    let tags = tags::from_specs(input.tag_specifications, "internet-gateway")?;
    check_dry_run(input.dry_run)?;
    let key = scope_key(ctx);
    ec2.mutate(ctx, |_, _| {
        let g = IgwRec {
            igw_id: ec2.ids.resource_id("igw"),
            vpc_id: None,
            tags,
        };
        let out = CreateInternetGatewayResult {
            internet_gateway: Some(render_net::internet_gateway(&key.0, &g)),
        };
        Ok((Change::put_net(&key, NetRec::InternetGateway(g)), out))
    })
    .await
}

pub(super) async fn attach(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: AttachInternetGatewayRequest,
) -> Result<(), AwsError> {
    check_dry_run(input.dry_run)?;
    let key = scope_key(ctx);
    ec2.mutate(ctx, |_, scope| {
        let g = find(scope, &input.internet_gateway_id)?;
        if !scope.vpcs.contains_key(&input.vpc_id) {
            return Err(errors::vpc_not_found(&input.vpc_id));
        }
        if let Some(v) = &g.vpc_id {
            return Err(AwsError::client(
                "Resource.AlreadyAssociated",
                format!("resource {} is already attached to network {v}", g.igw_id),
            ));
        }
        if let Some(other) = scope.net.igw_of_vpc(&input.vpc_id) {
            return Err(AwsError::client(
                "Resource.AlreadyAssociated",
                format!(
                    "network {} already has an internet gateway attached ({})",
                    input.vpc_id, other.igw_id
                ),
            ));
        }
        let mut g = g.clone();
        g.vpc_id = Some(input.vpc_id.clone());
        Ok((Change::put_net(&key, NetRec::InternetGateway(g)), ()))
    })
    .await
}

pub(super) async fn detach(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: DetachInternetGatewayRequest,
) -> Result<(), AwsError> {
    check_dry_run(input.dry_run)?;
    let key = scope_key(ctx);
    ec2.mutate(ctx, |_, scope| {
        let g = find(scope, &input.internet_gateway_id)?;
        if !scope.vpcs.contains_key(&input.vpc_id) {
            return Err(errors::vpc_not_found(&input.vpc_id));
        }
        if g.vpc_id.as_deref() != Some(input.vpc_id.as_str()) {
            return Err(AwsError::client(
                "Gateway.NotAttached",
                format!(
                    "resource {} is not attached to network {}",
                    g.igw_id, input.vpc_id
                ),
            ));
        }
        // Public addresses mapped in the VPC need the gateway (AWS refuses the detach).
        let mapped = scope
            .net
            .enis
            .values()
            .any(|e| e.vpc_id == input.vpc_id && e.public_ip.is_some());
        if mapped {
            return Err(AwsError::client(
                "DependencyViolation",
                format!(
                    "Network {} has some mapped public address(es). Please unmap those public address(es) before detaching the gateway.",
                    input.vpc_id
                ),
            ));
        }
        let mut g = g.clone();
        g.vpc_id = None;
        Ok((Change::put_net(&key, NetRec::InternetGateway(g)), ()))
    })
    .await
}

pub(super) async fn delete(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: DeleteInternetGatewayRequest,
) -> Result<(), AwsError> {
    check_dry_run(input.dry_run)?;
    let key = scope_key(ctx);
    ec2.mutate(ctx, |_, scope| {
        let g = find(scope, &input.internet_gateway_id)?;
        if g.vpc_id.is_some() {
            return Err(errors::has_dependencies("internetGateway", &g.igw_id));
        }
        let change = Change {
            delete_net: vec![(key.clone(), g.igw_id.clone())],
            ..Default::default()
        };
        Ok((change, ()))
    })
    .await
}

const FILTERS: &[&str] = &[
    "attachment.state",
    "attachment.vpc-id",
    "internet-gateway-id",
    "owner-id",
];

fn matches(account: &str, g: &IgwRec, f: &Parsed) -> bool {
    if let Some(m) = f.match_tags(&g.tags) {
        return m;
    }
    match f.name.as_str() {
        "attachment.state" => g.vpc_id.is_some() && f.matches("available"),
        "attachment.vpc-id" => g.vpc_id.as_deref().is_some_and(|v| f.matches(v)),
        "internet-gateway-id" => f.matches(&g.igw_id),
        "owner-id" => f.matches(account),
        _ => false,
    }
}

pub(super) async fn describe(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: DescribeInternetGatewaysRequest,
) -> Result<DescribeInternetGatewaysResult, AwsError> {
    check_dry_run(input.dry_run)?;
    let filters = filters::parse(input.filters, FILTERS, true)?;
    filters::check_max_results(input.max_results, 5, 1000)?;
    let ids = input.internet_gateway_ids.unwrap_or_default();
    check_ids(&ids, "igw-", "InvalidInternetGatewayID")?;
    let account = ctx.account_id().to_string();
    let found = ec2
        .read(ctx, |_, scope| -> Result<Vec<IgwRec>, AwsError> {
            if let Some(missing) = ids.iter().find(|id| !scope.net.igws.contains_key(*id)) {
                return Err(not_found(missing));
            }
            Ok(scope
                .net
                .igws
                .values()
                .filter(|g| ids.is_empty() || ids.contains(&g.igw_id))
                .filter(|g| filters.iter().all(|f| matches(&account, g, f)))
                .cloned()
                .collect())
        })
        .await??;
    let (page, next_token) = filters::paginate(
        found,
        |g| g.igw_id.as_str(),
        input.max_results,
        input.next_token.as_deref(),
    )?;
    Ok(DescribeInternetGatewaysResult {
        internet_gateways: Some(
            page.iter()
                .map(|g| render_net::internet_gateway(&account, g))
                .collect(),
        ),
        next_token,
    })
}
