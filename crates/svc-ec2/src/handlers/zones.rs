//! `DescribeAvailabilityZones` and `DescribeRegions`: static answers built from `regions`,
//! with their name/id selectors and filters. The caller's own region is always known, even
//! when it is not one of AWS's. No state is read or written. See
//! <https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeAvailabilityZones.html>.

use super::check_dry_run;
use crate::errors;
use crate::filters::{self, Parsed};
use crate::generated::{
    AvailabilityZone, DescribeAvailabilityZonesRequest, DescribeAvailabilityZonesResult,
    DescribeRegionsRequest, DescribeRegionsResult, Region,
};
use crate::regions::{self, DEFAULT_REGIONS, OPT_IN_REGIONS};
use nimbus_core::{AwsError, RequestContext};

const ZONE_FILTERS: &[&str] = &[
    "group-name",
    "message",
    "network-border-group",
    "opt-in-status",
    "region-name",
    "state",
    "zone-id",
    "zone-name",
    "zone-type",
];

fn zone_matches(z: &AvailabilityZone, f: &Parsed) -> bool {
    let field = match f.name.as_str() {
        "group-name" => &z.group_name,
        "network-border-group" => &z.network_border_group,
        "opt-in-status" => &z.opt_in_status,
        "region-name" => &z.region_name,
        "state" => &z.state,
        "zone-id" => &z.zone_id,
        "zone-name" => &z.zone_name,
        "zone-type" => &z.zone_type,
        // No zone carries a message.
        _ => return false,
    };
    field.as_deref().is_some_and(|v| f.matches(v))
}

fn zone(region: &str, name: String, id: String) -> AvailabilityZone {
    AvailabilityZone {
        opt_in_status: Some("opt-in-not-required".into()),
        messages: Some(Vec::new()),
        region_name: Some(region.to_string()),
        zone_name: Some(name),
        zone_id: Some(id),
        group_name: Some(region.to_string()),
        network_border_group: Some(region.to_string()),
        zone_type: Some("availability-zone".into()),
        state: Some("available".into()),
        ..Default::default()
    }
}

pub(super) fn describe_availability_zones(
    ctx: &RequestContext,
    input: DescribeAvailabilityZonesRequest,
) -> Result<DescribeAvailabilityZonesResult, AwsError> {
    check_dry_run(input.dry_run)?;
    let filters = filters::parse(input.filters, ZONE_FILTERS, false)?;
    let region = ctx.region.as_str();
    let all: Vec<AvailabilityZone> = regions::zones(region)
        .into_iter()
        .map(|(name, id)| zone(region, name, id))
        .collect();
    let names = input.zone_names.unwrap_or_default();
    let ids = input.zone_ids.unwrap_or_default();
    for n in &names {
        if !all.iter().any(|z| z.zone_name.as_deref() == Some(n)) {
            return Err(errors::invalid_parameter_value(format!(
                "Invalid availability zone: [{n}]"
            )));
        }
    }
    for i in &ids {
        if !all.iter().any(|z| z.zone_id.as_deref() == Some(i)) {
            return Err(errors::invalid_parameter_value(format!(
                "Invalid availability zone ID: [{i}]"
            )));
        }
    }
    let picked = all
        .into_iter()
        .filter(|z| {
            (names.is_empty() && ids.is_empty())
                || z.zone_name.as_ref().is_some_and(|n| names.contains(n))
                || z.zone_id.as_ref().is_some_and(|i| ids.contains(i))
        })
        .filter(|z| filters.iter().all(|f| zone_matches(z, f)))
        .collect();
    Ok(DescribeAvailabilityZonesResult {
        availability_zones: Some(picked),
    })
}

const REGION_FILTERS: &[&str] = &["endpoint", "opt-in-status", "region-name"];

fn region(name: &str, opt_in_status: &str) -> Region {
    Region {
        opt_in_status: Some(opt_in_status.into()),
        region_name: Some(name.to_string()),
        endpoint: Some(format!("ec2.{name}.amazonaws.com")),
        geography: None,
    }
}

fn region_matches(r: &Region, f: &Parsed) -> bool {
    let field = match f.name.as_str() {
        "endpoint" => &r.endpoint,
        "opt-in-status" => &r.opt_in_status,
        _ => &r.region_name,
    };
    field.as_deref().is_some_and(|v| f.matches(v))
}

pub(super) fn describe_regions(
    ctx: &RequestContext,
    input: DescribeRegionsRequest,
) -> Result<DescribeRegionsResult, AwsError> {
    check_dry_run(input.dry_run)?;
    let filters = filters::parse(input.filters, REGION_FILTERS, false)?;
    let mut known: Vec<Region> = DEFAULT_REGIONS
        .iter()
        .map(|r| region(r, "opt-in-not-required"))
        .collect();
    let own = ctx.region.as_str();
    if !own.is_empty() && !DEFAULT_REGIONS.contains(&own) && !OPT_IN_REGIONS.contains(&own) {
        known.push(region(own, "opt-in-not-required"));
    }
    let opt_in: Vec<Region> = OPT_IN_REGIONS
        .iter()
        .map(|r| {
            // The caller's own region is in use, so it counts as opted in.
            let status = if *r == own {
                "opted-in"
            } else {
                "not-opted-in"
            };
            region(r, status)
        })
        .collect();
    let names = input.region_names.unwrap_or_default();
    let mut pool: Vec<Region> = known;
    let include_opt_in = input.all_regions == Some(true) || !names.is_empty();
    if include_opt_in {
        pool.extend(opt_in);
    } else if let Some(r) = opt_in
        .into_iter()
        .find(|r| r.region_name.as_deref() == Some(own))
    {
        pool.push(r);
    }
    for n in &names {
        if !pool.iter().any(|r| r.region_name.as_deref() == Some(n)) {
            return Err(errors::invalid_parameter_value(format!(
                "Invalid region: {n}"
            )));
        }
    }
    let mut picked: Vec<Region> = pool
        .into_iter()
        .filter(|r| names.is_empty() || r.region_name.as_ref().is_some_and(|n| names.contains(n)))
        .filter(|r| filters.iter().all(|f| region_matches(r, f)))
        .collect();
    picked.sort_by(|a, b| a.region_name.cmp(&b.region_name));
    Ok(DescribeRegionsResult {
        regions: Some(picked),
    })
}
