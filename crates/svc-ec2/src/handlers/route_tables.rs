//! Route tables: `CreateRouteTable` (with the VPC's `local` routes), `DeleteRouteTable`
//! (`DependencyViolation` for the main table or one with subnets), `DescribeRouteTables`,
//! routes (`CreateRoute` / `ReplaceRoute` / `DeleteRoute`: one target each, checked to exist
//! in the table's VPC; `RouteAlreadyExists`, `InvalidRoute.NotFound`, the local route kept)
//! and associations (`AssociateRouteTable`, `DisassociateRouteTable`,
//! `ReplaceRouteTableAssociation`, which also moves the main association). Targets Nimbus
//! does not have yet (NAT gateways, peering, transit gateways, instances) answer AWS's
//! not-found error for their id. See
//! <https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateRoute.html>.

use super::{check_dry_run, check_ids};
use crate::cidr::Cidr;
use crate::errors;
use crate::filters::{self, Parsed};
use crate::generated::{
    AssociateRouteTableRequest, AssociateRouteTableResult, CreateRouteRequest, CreateRouteResult,
    CreateRouteTableRequest, CreateRouteTableResult, DeleteRouteRequest, DeleteRouteTableRequest,
    DescribeRouteTablesRequest, DescribeRouteTablesResult, DisassociateRouteTableRequest,
    ReplaceRouteRequest, ReplaceRouteTableAssociationRequest, ReplaceRouteTableAssociationResult,
};
use crate::network::{NetRec, RouteRec, RouteTableRec, RtbAssocRec};
use crate::persist::Change;
use crate::render_net;
use crate::state::{scope_key, Ec2, Scope};
use crate::tags;
use nimbus_core::{AwsError, RequestContext};

fn not_found(id: &str) -> AwsError {
    errors::id_not_found("InvalidRouteTableID", "routeTable", id)
}

fn find<'a>(scope: &'a Scope, id: &str) -> Result<&'a RouteTableRec, AwsError> {
    check_ids(
        std::slice::from_ref(&id.to_string()),
        "rtb-",
        "InvalidRouteTableID",
    )?;
    scope.net.route_tables.get(id).ok_or_else(|| not_found(id))
}

fn put(scope_key: &(String, String), rtb: RouteTableRec) -> Change {
    Change::put_net(scope_key, NetRec::RouteTable(rtb))
}

pub(super) async fn create(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: CreateRouteTableRequest,
) -> Result<CreateRouteTableResult, AwsError> {
    let tags = tags::from_specs(input.tag_specifications, "route-table")?;
    check_dry_run(input.dry_run)?;
    let key = scope_key(ctx);
    ec2.mutate(ctx, |_, scope| {
        let vpc = scope
            .vpcs
            .get(&input.vpc_id)
            .ok_or_else(|| errors::vpc_not_found(&input.vpc_id))?;
        let mut rtb = crate::setup::main_route_table(ec2, vpc);
        rtb.associations.clear();
        rtb.tags = tags;
        let out = CreateRouteTableResult {
            route_table: Some(render_net::route_table(&key.0, &scope.net, &rtb)),
            client_token: input.client_token.clone(),
        };
        Ok((put(&key, rtb), out))
    })
    .await
}

pub(super) async fn delete(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: DeleteRouteTableRequest,
) -> Result<(), AwsError> {
    check_dry_run(input.dry_run)?;
    let key = scope_key(ctx);
    ec2.mutate(ctx, |_, scope| {
        let rtb = find(scope, &input.route_table_id)?;
        if !rtb.associations.is_empty() {
            return Err(errors::has_dependencies("routeTable", &rtb.rtb_id));
        }
        let change = Change {
            delete_net: vec![(key.clone(), rtb.rtb_id.clone())],
            ..Default::default()
        };
        Ok((change, ()))
    })
    .await
}

/// The one target a route request names, checked against what exists in `vpc_id`.
struct Target<'a> {
    gateway: Option<&'a str>,
    nat: Option<&'a str>,
    eni: Option<&'a str>,
    instance: Option<&'a str>,
    peering: Option<&'a str>,
    transit: Option<&'a str>,
    other: Option<&'a str>,
}

impl Target<'_> {
    fn resolve(&self, scope: &Scope, rtb: &RouteTableRec) -> Result<String, AwsError> {
        let given: Vec<&str> = [
            self.gateway,
            self.nat,
            self.eni,
            self.instance,
            self.peering,
            self.transit,
            self.other,
        ]
        .into_iter()
        .flatten()
        .filter(|s| !s.is_empty())
        .collect();
        let id = match given.as_slice() {
            [] => {
                return Err(errors::missing_parameter(
                    "The request must contain exactly one of gatewayId, natGatewayId, networkInterfaceId, vpcPeeringConnectionId, transitGatewayId or instanceId",
                ))
            }
            [one] => *one,
            _ => {
                return Err(errors::invalid_parameter_combination(
                    "The request must contain exactly one of gatewayId, natGatewayId, networkInterfaceId, vpcPeeringConnectionId, transitGatewayId or instanceId",
                ))
            }
        };
        let nf = |code: &str, noun: &str| Err(errors::id_not_found(code, noun, id));
        if self.other.is_some() {
            return Err(errors::invalid_parameter_value(
                "Nimbus routes support internet gateways and network interfaces as targets",
            ));
        }
        if self.gateway.is_some() {
            if id.starts_with("igw-") {
                let g = scope
                    .net
                    .igws
                    .get(id)
                    .ok_or_else(|| super::gateways::not_found(id))?;
                if g.vpc_id.as_deref() != Some(rtb.vpc_id.as_str()) {
                    return Err(errors::invalid_parameter_value(format!(
                        "route table {} and network gateway {id} belong to different networks",
                        rtb.rtb_id
                    )));
                }
                return Ok(id.to_string());
            }
            if id.starts_with("vgw-") {
                return nf("InvalidVpnGatewayID", "vpnGateway");
            }
            return nf("InvalidGatewayID", "gateway");
        }
        if self.eni.is_some() {
            let e = scope.net.enis.get(id).ok_or_else(|| {
                errors::id_not_found("InvalidNetworkInterfaceID", "networkInterface", id)
            })?;
            if e.vpc_id != rtb.vpc_id {
                return Err(errors::invalid_parameter_value(format!(
                    "route table {} and interface {id} belong to different networks",
                    rtb.rtb_id
                )));
            }
            return Ok(id.to_string());
        }
        if self.nat.is_some() {
            return nf("InvalidNatGatewayID", "natGateway");
        }
        if self.instance.is_some() {
            return nf("InvalidInstanceID", "instance");
        }
        if self.peering.is_some() {
            return nf("InvalidVpcPeeringConnectionID", "vpcPeeringConnection");
        }
        nf("InvalidTransitGatewayID", "transitGateway")
    }
}

/// The IPv4 destination of a route request.
fn destination(
    cidr: Option<&str>,
    ipv6: Option<&str>,
    prefix_list: Option<&str>,
) -> Result<String, AwsError> {
    if ipv6.is_some() || prefix_list.is_some() {
        return Err(errors::invalid_parameter_value(
            "Nimbus routes support IPv4 destinations only",
        ));
    }
    let text = cidr.filter(|s| !s.is_empty()).ok_or_else(|| {
        errors::missing_parameter(
            "The request must contain the parameter destinationCidrBlock or destinationIpv6CidrBlock or destinationPrefixListId",
        )
    })?;
    Cidr::parse(text)
        .map(|c| c.to_string())
        .ok_or_else(|| errors::invalid_cidr("destinationCidrBlock", text))
}

pub(super) async fn create_route(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: CreateRouteRequest,
) -> Result<CreateRouteResult, AwsError> {
    check_dry_run(input.dry_run)?;
    let dest = destination(
        input.destination_cidr_block.as_deref(),
        input.destination_ipv6_cidr_block.as_deref(),
        input.destination_prefix_list_id.as_deref(),
    )?;
    let key = scope_key(ctx);
    ec2.mutate(ctx, |_, scope| {
        let rtb = find(scope, &input.route_table_id)?;
        let target = Target {
            gateway: input.gateway_id.as_deref(),
            nat: input.nat_gateway_id.as_deref(),
            eni: input.network_interface_id.as_deref(),
            instance: input.instance_id.as_deref(),
            peering: input.vpc_peering_connection_id.as_deref(),
            transit: input.transit_gateway_id.as_deref(),
            other: input
                .egress_only_internet_gateway_id
                .as_deref()
                .or(input.local_gateway_id.as_deref())
                .or(input.carrier_gateway_id.as_deref())
                .or(input.vpc_endpoint_id.as_deref())
                .or(input.core_network_arn.as_deref()),
        }
        .resolve(scope, rtb)?;
        if rtb.routes.iter().any(|r| r.destination == dest) {
            return Err(AwsError::client(
                "RouteAlreadyExists",
                format!("The route identified by {dest} already exists."),
            ));
        }
        let mut rtb = rtb.clone();
        rtb.routes.push(RouteRec {
            destination: dest.clone(),
            target,
            origin: "CreateRoute".into(),
        });
        Ok((
            put(&key, rtb),
            CreateRouteResult {
                r#return: Some(true),
            },
        ))
    })
    .await
}

fn route_not_found(dest: &str, rtb: &str) -> AwsError {
    AwsError::client(
        "InvalidRoute.NotFound",
        format!("no route with destination-cidr-block {dest} in route table {rtb}"),
    )
}

pub(super) async fn replace_route(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: ReplaceRouteRequest,
) -> Result<(), AwsError> {
    check_dry_run(input.dry_run)?;
    let dest = destination(
        input.destination_cidr_block.as_deref(),
        input.destination_ipv6_cidr_block.as_deref(),
        input.destination_prefix_list_id.as_deref(),
    )?;
    let key = scope_key(ctx);
    ec2.mutate(ctx, |_, scope| {
        let rtb = find(scope, &input.route_table_id)?;
        let pos = rtb
            .routes
            .iter()
            .position(|r| r.destination == dest)
            .ok_or_else(|| route_not_found(&dest, &rtb.rtb_id))?;
        if rtb.routes[pos].target == "local" {
            return Err(errors::invalid_parameter_value(format!(
                "cannot replace local route {dest} in route table {}",
                rtb.rtb_id
            )));
        }
        let target = Target {
            gateway: input.gateway_id.as_deref(),
            nat: input.nat_gateway_id.as_deref(),
            eni: input.network_interface_id.as_deref(),
            instance: input.instance_id.as_deref(),
            peering: input.vpc_peering_connection_id.as_deref(),
            transit: input.transit_gateway_id.as_deref(),
            other: input
                .egress_only_internet_gateway_id
                .as_deref()
                .or(input.local_gateway_id.as_deref())
                .or(input.carrier_gateway_id.as_deref())
                .or(input.vpc_endpoint_id.as_deref())
                .or(input.core_network_arn.as_deref())
                .or(input.local_target.filter(|b| *b).map(|_| "local")),
        }
        .resolve(scope, rtb)?;
        let mut rtb = rtb.clone();
        rtb.routes[pos].target = target;
        rtb.routes[pos].origin = "CreateRoute".into();
        Ok((put(&key, rtb), ()))
    })
    .await
}

pub(super) async fn delete_route(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: DeleteRouteRequest,
) -> Result<(), AwsError> {
    check_dry_run(input.dry_run)?;
    let dest = destination(
        input.destination_cidr_block.as_deref(),
        input.destination_ipv6_cidr_block.as_deref(),
        input.destination_prefix_list_id.as_deref(),
    )?;
    let key = scope_key(ctx);
    ec2.mutate(ctx, |_, scope| {
        let rtb = find(scope, &input.route_table_id)?;
        let pos = rtb
            .routes
            .iter()
            .position(|r| r.destination == dest)
            .ok_or_else(|| route_not_found(&dest, &rtb.rtb_id))?;
        if rtb.routes[pos].target == "local" {
            return Err(errors::invalid_parameter_value(format!(
                "cannot remove local route {dest} in route table {}",
                rtb.rtb_id
            )));
        }
        let mut rtb = rtb.clone();
        rtb.routes.remove(pos);
        Ok((put(&key, rtb), ()))
    })
    .await
}

pub(super) async fn associate(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: AssociateRouteTableRequest,
) -> Result<AssociateRouteTableResult, AwsError> {
    check_dry_run(input.dry_run)?;
    let key = scope_key(ctx);
    ec2.mutate(ctx, |_, scope| {
        let rtb = find(scope, &input.route_table_id)?;
        if input.gateway_id.is_some() || input.public_ipv4_pool.is_some() {
            return Err(errors::invalid_parameter_value(
                "Nimbus associates route tables with subnets only",
            ));
        }
        let subnet_id = input
            .subnet_id
            .as_deref()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| errors::missing_parameter("The request must contain the parameter subnetId or gatewayId"))?;
        let subnet = scope
            .net
            .subnets
            .get(subnet_id)
            .ok_or_else(|| errors::subnet_not_found(subnet_id))?;
        if subnet.vpc_id != rtb.vpc_id {
            return Err(errors::invalid_parameter_value(format!(
                "Route table {} and subnet {subnet_id} belong to different networks",
                rtb.rtb_id
            )));
        }
        if let Some(other) = scope.net.route_table_of_subnet(subnet_id) {
            return Err(AwsError::client(
                "Resource.AlreadyAssociated",
                format!(
                    "the specified association for route table {} conflicts with an existing association",
                    other.rtb_id
                ),
            ));
        }
        let assoc = RtbAssocRec {
            assoc_id: ec2.ids.resource_id("rtbassoc"),
            subnet_id: Some(subnet_id.to_string()),
            main: false,
        };
        let out = AssociateRouteTableResult {
            association_id: Some(assoc.assoc_id.clone()),
            association_state: Some(render_net::associated()),
        };
        let mut rtb = rtb.clone();
        rtb.associations.push(assoc);
        Ok((put(&key, rtb), out))
    })
    .await
}

/// The table holding association `id`.
fn table_of_association<'a>(scope: &'a Scope, id: &str) -> Result<&'a RouteTableRec, AwsError> {
    scope
        .net
        .route_tables
        .values()
        .find(|r| r.associations.iter().any(|a| a.assoc_id == id))
        .ok_or_else(|| {
            AwsError::client(
                "InvalidAssociationID.NotFound",
                format!("The association ID '{id}' does not exist"),
            )
        })
}

pub(super) async fn disassociate(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: DisassociateRouteTableRequest,
) -> Result<(), AwsError> {
    check_dry_run(input.dry_run)?;
    let key = scope_key(ctx);
    let id = input.association_id;
    ec2.mutate(ctx, |_, scope| {
        let rtb = table_of_association(scope, &id)?;
        if rtb.associations.iter().any(|a| a.assoc_id == id && a.main) {
            return Err(errors::invalid_parameter_value(format!(
                "cannot disassociate the main route table association {id}"
            )));
        }
        let mut rtb = rtb.clone();
        rtb.associations.retain(|a| a.assoc_id != id);
        Ok((put(&key, rtb), ()))
    })
    .await
}

pub(super) async fn replace_association(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: ReplaceRouteTableAssociationRequest,
) -> Result<ReplaceRouteTableAssociationResult, AwsError> {
    check_dry_run(input.dry_run)?;
    let key = scope_key(ctx);
    let id = input.association_id;
    ec2.mutate(ctx, |_, scope| {
        let old = table_of_association(scope, &id)?;
        let new = find(scope, &input.route_table_id)?;
        if new.vpc_id != old.vpc_id {
            return Err(errors::invalid_parameter_value(format!(
                "Route table {} and association {id} belong to different networks",
                new.rtb_id
            )));
        }
        let moving = old
            .associations
            .iter()
            .find(|a| a.assoc_id == id)
            .cloned()
            .ok_or_else(|| AwsError::internal("association vanished"))?;
        let assoc = RtbAssocRec {
            assoc_id: ec2.ids.resource_id("rtbassoc"),
            ..moving
        };
        let out = ReplaceRouteTableAssociationResult {
            new_association_id: Some(assoc.assoc_id.clone()),
            association_state: Some(render_net::associated()),
        };
        let change = if new.rtb_id == old.rtb_id {
            let mut same = old.clone();
            for a in same.associations.iter_mut().filter(|a| a.assoc_id == id) {
                a.assoc_id = assoc.assoc_id.clone();
            }
            put(&key, same)
        } else {
            let mut from = old.clone();
            from.associations.retain(|a| a.assoc_id != id);
            let mut to = new.clone();
            to.associations.push(assoc);
            let mut change = put(&key, from);
            change.put_net.push((key.clone(), NetRec::RouteTable(to)));
            change
        };
        Ok((change, out))
    })
    .await
}

const FILTERS: &[&str] = &[
    "association.gateway-id",
    "association.main",
    "association.route-table-association-id",
    "association.route-table-id",
    "association.subnet-id",
    "owner-id",
    "route-table-id",
    "route.destination-cidr-block",
    "route.gateway-id",
    "route.instance-id",
    "route.nat-gateway-id",
    "route.network-interface-id",
    "route.origin",
    "route.state",
    "route.vpc-peering-connection-id",
    "vpc-id",
];

fn matches(account: &str, scope: &Scope, r: &RouteTableRec, f: &Parsed) -> bool {
    if let Some(m) = f.match_tags(&r.tags) {
        return m;
    }
    let assocs = || r.associations.iter();
    let targets = |prefix: &'static str| {
        r.routes
            .iter()
            .filter(move |x| {
                x.target.starts_with(prefix) || (prefix == "igw-" && x.target == "local")
            })
            .map(|x| x.target.as_str())
    };
    match f.name.as_str() {
        "association.gateway-id" => false,
        "association.main" => {
            let main = r.is_main();
            f.matches(if main { "true" } else { "false" })
        }
        "association.route-table-association-id" => {
            f.matches_any(assocs().map(|a| a.assoc_id.as_str()))
        }
        "association.route-table-id" => !r.associations.is_empty() && f.matches(&r.rtb_id),
        "association.subnet-id" => f.matches_any(assocs().filter_map(|a| a.subnet_id.as_deref())),
        "owner-id" => f.matches(account),
        "route-table-id" => f.matches(&r.rtb_id),
        "route.destination-cidr-block" => {
            f.matches_any(r.routes.iter().map(|x| x.destination.as_str()))
        }
        "route.gateway-id" => f.matches_any(targets("igw-")),
        "route.instance-id" => f.matches_any(targets("i-")),
        "route.nat-gateway-id" => f.matches_any(targets("nat-")),
        "route.network-interface-id" => f.matches_any(targets("eni-")),
        "route.origin" => f.matches_any(r.routes.iter().map(|x| x.origin.as_str())),
        "route.state" => f.matches_any(
            r.routes
                .iter()
                .map(|x| render_net::route_state(&scope.net, &r.vpc_id, x)),
        ),
        "route.vpc-peering-connection-id" => f.matches_any(targets("pcx-")),
        "vpc-id" => f.matches(&r.vpc_id),
        _ => false,
    }
}

pub(super) async fn describe(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: DescribeRouteTablesRequest,
) -> Result<DescribeRouteTablesResult, AwsError> {
    check_dry_run(input.dry_run)?;
    let filters = filters::parse(input.filters, FILTERS, true)?;
    filters::check_max_results(input.max_results, 5, 100)?;
    let ids = input.route_table_ids.unwrap_or_default();
    check_ids(&ids, "rtb-", "InvalidRouteTableID")?;
    let account = ctx.account_id().to_string();
    let tables = ec2
        .read(ctx, |_, scope| -> Result<_, AwsError> {
            if let Some(missing) = ids
                .iter()
                .find(|id| !scope.net.route_tables.contains_key(*id))
            {
                return Err(not_found(missing));
            }
            Ok(scope
                .net
                .route_tables
                .values()
                .filter(|r| ids.is_empty() || ids.contains(&r.rtb_id))
                .filter(|r| filters.iter().all(|f| matches(&account, scope, r, f)))
                .map(|r| {
                    (
                        r.rtb_id.clone(),
                        render_net::route_table(&account, &scope.net, r),
                    )
                })
                .collect::<Vec<_>>())
        })
        .await??;
    let (page, next_token) = filters::paginate(
        tables,
        |(id, _)| id.as_str(),
        input.max_results,
        input.next_token.as_deref(),
    )?;
    Ok(DescribeRouteTablesResult {
        route_tables: Some(page.into_iter().map(|(_, r)| r).collect()),
        next_token,
    })
}
