//! Elastic IPs: `AllocateAddress` (`eipalloc-` ids, a public address from Nimbus's Elastic
//! IP range [`ELASTIC_IP_RANGE`], unique across every account and region; AWS's default
//! quota of five per region), `DescribeAddresses`, `ReleaseAddress` (refused while
//! associated), `DescribeAddressesAttribute` (`domain-name`: no reverse DNS records in
//! Nimbus), and `Associate/DisassociateAddress` with instances and network interfaces: the
//! address becomes the instance's public address, reachable on this host as its
//! auto-assigned one is (`inst_addresses`). Elastic IPs are loopback addresses
//! ([`ELASTIC_IP_RANGE`], decision 0008). See
//! <https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AllocateAddress.html>.

use super::{check_dry_run, check_ids};
use crate::cidr::{ip_text, Cidr};
use crate::errors;
use crate::filters::{self, Parsed};
use crate::generated::{
    AddressAttribute, AllocateAddressRequest, AllocateAddressResult, AssociateAddressRequest,
    AssociateAddressResult, DescribeAddressesAttributeRequest, DescribeAddressesAttributeResult,
    DescribeAddressesRequest, DescribeAddressesResult, DisassociateAddressRequest,
    ReleaseAddressRequest,
};
use crate::inst_errors;
use crate::inst_records::SHUTTING_DOWN;
use crate::network::{AddressRec, NetRec};
use crate::persist::Change;
use crate::render_net;
use crate::state::{scope_key, Ec2, Scope, State};
use crate::tags;
use nimbus_core::{AwsError, RequestContext};
use std::collections::HashSet;

/// Where Nimbus's Elastic IPs come from: 127.89.0.0/16, loopback addresses (on `lo`
/// already, never leaving the host), so an Elastic IP associated with an instance is
/// reachable here exactly as the instances' auto-assigned public addresses (127.88.0.0/16)
/// are. Picked at random among the free ones, so two Nimbus processes on one host rarely
/// hand out the same address (decision 0008).
pub const ELASTIC_IP_RANGE: &str = "127.89.0.0/16";

/// AWS's default quota of Elastic IPs per region.
const MAX_ADDRESSES_PER_REGION: usize = 5;

fn alloc_not_found(id: &str) -> AwsError {
    errors::id_not_found("InvalidAllocationID", "allocation", id)
}

fn address_not_found(ip: &str) -> AwsError {
    AwsError::client(
        "InvalidAddress.NotFound",
        format!("Address '{ip}' not found."),
    )
}

/// A random address of the range no account holds (neither the network address nor .1, and
/// no `.0`/`.255` host byte).
fn free_public_ip(state: &State, ids: &nimbus_core::Ids) -> Result<String, AwsError> {
    let range = Cidr::parse(ELASTIC_IP_RANGE).ok_or_else(|| AwsError::internal("bad range"))?;
    let used: HashSet<&str> = state
        .scopes
        .values()
        .flat_map(|s| s.net.addresses.values().map(|a| a.public_ip.as_str()))
        .collect();
    let span = range.last() - range.first();
    let ok = |n: u32| n > range.first() + 1 && n < range.last() && !matches!(n & 0xff, 0 | 255);
    (0..4096)
        .map(|_| range.first() + (ids.next_u64() % u64::from(span)) as u32)
        .chain(range.first() + 2..range.last())
        .filter(|n| ok(*n))
        .map(ip_text)
        .find(|ip| !used.contains(ip.as_str()))
        .ok_or_else(|| {
            AwsError::client(
                "InsufficientAddressCapacity",
                "There are no more Elastic IP addresses available.",
            )
        })
}

pub(super) async fn allocate(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: AllocateAddressRequest,
) -> Result<AllocateAddressResult, AwsError> {
    let tags = tags::from_specs(input.tag_specifications, "elastic-ip")?;
    check_dry_run(input.dry_run)?;
    match input.domain.as_deref() {
        None | Some("vpc") => {}
        Some(d) => {
            return Err(errors::invalid_parameter_value(format!(
                "Value ({d}) for parameter domain is invalid. Only 'vpc' is supported."
            )))
        }
    }
    if input.address.is_some()
        || input.ipam_pool_id.is_some()
        || input.customer_owned_ipv4_pool.is_some()
    {
        return Err(errors::invalid_parameter_value(
            "Nimbus allocates Elastic IPs from its own pool only",
        ));
    }
    if let Some(pool) = input.public_ipv4_pool.as_deref().filter(|p| *p != "amazon") {
        return Err(errors::invalid_parameter_value(format!(
            "The pool ID '{pool}' does not exist"
        )));
    }
    let key = scope_key(ctx);
    if let Some(g) = input
        .network_border_group
        .as_deref()
        .filter(|g| *g != key.1)
    {
        return Err(errors::invalid_parameter_value(format!(
            "Value ({g}) for parameter networkBorderGroup is invalid."
        )));
    }
    ec2.mutate(ctx, |st, scope| {
        if scope.net.addresses.len() >= MAX_ADDRESSES_PER_REGION {
            return Err(AwsError::client(
                "AddressLimitExceeded",
                "The maximum number of addresses has been reached.",
            ));
        }
        let a = AddressRec {
            allocation_id: ec2.ids.resource_id("eipalloc"),
            public_ip: free_public_ip(st, &ec2.ids)?,
            association: None,
            tags,
        };
        let out = AllocateAddressResult {
            allocation_id: Some(a.allocation_id.clone()),
            public_ipv4_pool: Some("amazon".into()),
            network_border_group: Some(key.1.clone()),
            domain: Some("vpc".into()),
            public_ip: Some(a.public_ip.clone()),
            ..Default::default()
        };
        Ok((Change::put_net(&key, NetRec::Address(a)), out))
    })
    .await
}

/// The address a request names by allocation id or public IP.
fn find<'a>(
    scope: &'a Scope,
    allocation_id: Option<&str>,
    public_ip: Option<&str>,
) -> Result<&'a AddressRec, AwsError> {
    match (
        allocation_id.filter(|s| !s.is_empty()),
        public_ip.filter(|s| !s.is_empty()),
    ) {
        (Some(id), _) => {
            check_ids(
                std::slice::from_ref(&id.to_string()),
                "eipalloc-",
                "InvalidAllocationID",
            )?;
            scope
                .net
                .addresses
                .get(id)
                .ok_or_else(|| alloc_not_found(id))
        }
        (None, Some(ip)) => scope
            .net
            .addresses
            .values()
            .find(|a| a.public_ip == ip)
            .ok_or_else(|| address_not_found(ip)),
        (None, None) => Err(errors::missing_parameter(
            "Either public IP or allocation id must be specified",
        )),
    }
}

pub(super) async fn release(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: ReleaseAddressRequest,
) -> Result<(), AwsError> {
    check_dry_run(input.dry_run)?;
    let key = scope_key(ctx);
    ec2.mutate(ctx, |_, scope| {
        let a = find(
            scope,
            input.allocation_id.as_deref(),
            input.public_ip.as_deref(),
        )?;
        if a.association.is_some() {
            return Err(AwsError::client(
                "InvalidIPAddress.InUse",
                format!("Address {} is in use.", a.public_ip),
            ));
        }
        let change = Change {
            delete_net: vec![(key.clone(), a.allocation_id.clone())],
            ..Default::default()
        };
        Ok((change, ()))
    })
    .await
}

pub(super) async fn associate(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: AssociateAddressRequest,
) -> Result<AssociateAddressResult, AwsError> {
    check_dry_run(input.dry_run)?;
    let key = scope_key(ctx);
    // An instance named: its (primary) network interface.
    let instance_eni = match input.instance_id.as_deref().filter(|s| !s.is_empty()) {
        Some(i) => {
            check_ids(
                std::slice::from_ref(&i.to_string()),
                "i-",
                "InvalidInstanceID",
            )?;
            let rec = ec2
                .instance_record(&key.0, &key.1, i)
                .filter(|r| !r.is_terminated())
                .ok_or_else(|| inst_errors::instance_not_found(&[i]))?;
            if rec.state == SHUTTING_DOWN {
                return Err(inst_errors::not_valid_for_operation(i));
            }
            Some(rec.eni_id.clone())
        }
        None => None,
    };
    let (out, eni_id, ip, moved_from) = ec2
        .mutate(ctx, |_, scope| {
            let a = find(scope, input.allocation_id.as_deref(), input.public_ip.as_deref())?;
            let eni_id = match (
                instance_eni.as_deref(),
                input.network_interface_id.as_deref().filter(|s| !s.is_empty()),
            ) {
                (Some(e), _) | (None, Some(e)) => e,
                (None, None) => {
                    return Err(errors::missing_parameter(
                        "Either instance ID or network interface ID must be specified",
                    ))
                }
            };
            let eni = scope.net.enis.get(eni_id).ok_or_else(|| {
                errors::id_not_found("InvalidNetworkInterfaceID", "networkInterface", eni_id)
            })?;
            if let Some(ip) = input.private_ip_address.as_deref() {
                if ip != eni.private_ip {
                    return Err(errors::invalid_parameter_value(format!(
                        "The private IP address {ip} is not associated with the network interface {eni_id}"
                    )));
                }
            }
            if scope.net.igw_of_vpc(&eni.vpc_id).is_none() {
                return Err(AwsError::client(
                    "Gateway.NotAttached",
                    format!("Network {} is not attached to any internet gateway", eni.vpc_id),
                ));
            }
            if let Some((_, assoc)) = &a.association {
                if input.allow_reassociation != Some(true) {
                    return Err(AwsError::client(
                        "Resource.AlreadyAssociated",
                        format!(
                            "resource {} is already associated with associate-id {assoc}",
                            a.allocation_id
                        ),
                    ));
                }
            }
            let mut change = Change::default();
            // The interface's previous Elastic IP (if any) and this address's previous
            // interface (if any) lose their association.
            for other in scope.net.addresses.values() {
                let was_here = other.association.as_ref().is_some_and(|x| x.0 == eni_id);
                if was_here && other.allocation_id != a.allocation_id {
                    let mut other = other.clone();
                    other.association = None;
                    change.put_net.push((key.clone(), NetRec::Address(other)));
                }
            }
            let mut moved_from = None;
            if let Some((old_eni, _)) = &a.association {
                if let Some(old) = scope.net.enis.get(old_eni).filter(|e| e.eni_id != eni_id) {
                    let mut old = old.clone();
                    old.public_ip = None;
                    moved_from = Some(old.eni_id.clone());
                    change.put_net.push((key.clone(), NetRec::NetworkInterface(old)));
                }
            }
            let assoc_id = ec2.ids.resource_id("eipassoc");
            let mut a = a.clone();
            a.association = Some((eni_id.to_string(), assoc_id.clone()));
            let mut eni = eni.clone();
            eni.public_ip = Some(a.public_ip.clone());
            let ip = a.public_ip.clone();
            change.put_net.push((key.clone(), NetRec::Address(a)));
            change.put_net.push((key.clone(), NetRec::NetworkInterface(eni)));
            let out = AssociateAddressResult {
                association_id: Some(assoc_id),
            };
            Ok((change, (out, eni_id.to_string(), ip, moved_from)))
        })
        .await?;
    // The instances behind the interfaces: the Elastic IP is now the public address of
    // the one it went to; the one it left gets its own back (or none).
    if let Some(i) = ec2.instance_of_eni(&key.0, &key.1, &eni_id) {
        ec2.elastic_ip_arrived(&key.0, &key.1, &i, &ip).await?;
    }
    if let Some(i) = moved_from.and_then(|e| ec2.instance_of_eni(&key.0, &key.1, &e)) {
        ec2.elastic_ip_left(&key.0, &key.1, &i).await?;
    }
    Ok(out)
}

pub(super) async fn disassociate(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: DisassociateAddressRequest,
) -> Result<(), AwsError> {
    check_dry_run(input.dry_run)?;
    let key = scope_key(ctx);
    let left = ec2
        .mutate(ctx, |_, scope| {
            let a = match (
                input.association_id.as_deref().filter(|s| !s.is_empty()),
                input.public_ip.as_deref().filter(|s| !s.is_empty()),
            ) {
                (Some(id), _) => scope
                    .net
                    .addresses
                    .values()
                    .find(|a| a.association.as_ref().is_some_and(|x| x.1 == id))
                    .ok_or_else(|| {
                        AwsError::client(
                            "InvalidAssociationID.NotFound",
                            format!("The association ID '{id}' does not exist"),
                        )
                    })?,
                (None, Some(ip)) => find(scope, None, Some(ip))?,
                (None, None) => {
                    return Err(errors::missing_parameter(
                        "Either public IP or association id must be specified",
                    ))
                }
            };
            let mut change = Change::default();
            let mut left = None;
            if let Some((eni_id, _)) = &a.association {
                if let Some(eni) = scope.net.enis.get(eni_id) {
                    let mut eni = eni.clone();
                    eni.public_ip = None;
                    left = Some(eni.eni_id.clone());
                    change
                        .put_net
                        .push((key.clone(), NetRec::NetworkInterface(eni)));
                }
            }
            let mut a = a.clone();
            a.association = None;
            change.put_net.push((key.clone(), NetRec::Address(a)));
            Ok((change, left))
        })
        .await?;
    if let Some(i) = left.and_then(|e| ec2.instance_of_eni(&key.0, &key.1, &e)) {
        ec2.elastic_ip_left(&key.0, &key.1, &i).await?;
    }
    Ok(())
}

const FILTERS: &[&str] = &[
    "allocation-id",
    "association-id",
    "domain",
    "instance-id",
    "network-border-group",
    "network-interface-id",
    "network-interface-owner-id",
    "private-ip-address",
    "public-ip",
];

fn matches(account: &str, region: &str, scope: &Scope, a: &AddressRec, f: &Parsed) -> bool {
    if let Some(m) = f.match_tags(&a.tags) {
        return m;
    }
    let eni = a
        .association
        .as_ref()
        .and_then(|(e, _)| scope.net.enis.get(e));
    match f.name.as_str() {
        "allocation-id" => f.matches(&a.allocation_id),
        "association-id" => a.association.as_ref().is_some_and(|x| f.matches(&x.1)),
        "domain" => f.matches("vpc"),
        "instance-id" => eni
            .and_then(|e| e.attachment.as_ref())
            .is_some_and(|x| f.matches(&x.0)),
        "network-border-group" => f.matches(region),
        "network-interface-id" => a.association.as_ref().is_some_and(|x| f.matches(&x.0)),
        "network-interface-owner-id" => a.association.is_some() && f.matches(account),
        "private-ip-address" => eni.is_some_and(|e| f.matches(&e.private_ip)),
        "public-ip" => f.matches(&a.public_ip),
        _ => false,
    }
}

pub(super) async fn describe(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: DescribeAddressesRequest,
) -> Result<DescribeAddressesResult, AwsError> {
    check_dry_run(input.dry_run)?;
    let filters = filters::parse(input.filters, FILTERS, true)?;
    let ids = input.allocation_ids.unwrap_or_default();
    check_ids(&ids, "eipalloc-", "InvalidAllocationID")?;
    let ips = input.public_ips.unwrap_or_default();
    let (account, region) = scope_key(ctx);
    let out = ec2
        .read(ctx, |_, scope| -> Result<_, AwsError> {
            if let Some(missing) = ids.iter().find(|id| !scope.net.addresses.contains_key(*id)) {
                return Err(alloc_not_found(missing));
            }
            if let Some(missing) = ips
                .iter()
                .find(|ip| !scope.net.addresses.values().any(|a| &a.public_ip == *ip))
            {
                return Err(address_not_found(missing));
            }
            Ok(scope
                .net
                .addresses
                .values()
                .filter(|a| ids.is_empty() || ids.contains(&a.allocation_id))
                .filter(|a| ips.is_empty() || ips.contains(&a.public_ip))
                .filter(|a| {
                    filters
                        .iter()
                        .all(|f| matches(&account, &region, scope, a, f))
                })
                .map(|a| render_net::address(&account, &region, a, scope))
                .collect::<Vec<_>>())
        })
        .await??;
    Ok(DescribeAddressesResult {
        addresses: Some(out),
    })
}

pub(super) async fn describe_attribute(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: DescribeAddressesAttributeRequest,
) -> Result<DescribeAddressesAttributeResult, AwsError> {
    check_dry_run(input.dry_run)?;
    if let Some(a) = input.attribute.as_deref().filter(|a| *a != "domain-name") {
        return Err(errors::invalid_parameter_value(format!(
            "Value ({a}) for parameter attribute is invalid. Valid values: domain-name"
        )));
    }
    filters::check_max_results(input.max_results, 1, 1000)?;
    let ids = input.allocation_ids.unwrap_or_default();
    check_ids(&ids, "eipalloc-", "InvalidAllocationID")?;
    let found = ec2
        .read(ctx, |_, scope| -> Result<Vec<AddressRec>, AwsError> {
            if let Some(missing) = ids.iter().find(|id| !scope.net.addresses.contains_key(*id)) {
                return Err(alloc_not_found(missing));
            }
            Ok(scope
                .net
                .addresses
                .values()
                .filter(|a| ids.is_empty() || ids.contains(&a.allocation_id))
                .cloned()
                .collect())
        })
        .await??;
    let (page, next_token) = filters::paginate(
        found,
        |a| a.allocation_id.as_str(),
        input.max_results,
        input.next_token.as_deref(),
    )?;
    Ok(DescribeAddressesAttributeResult {
        // No reverse DNS record is ever set in Nimbus, so none is shown.
        addresses: Some(
            page.into_iter()
                .map(|a| AddressAttribute {
                    public_ip: Some(a.public_ip),
                    allocation_id: Some(a.allocation_id),
                    ptr_record: None,
                    ptr_record_update: None,
                })
                .collect(),
        ),
        next_token,
    })
}
