//! `DescribeInstanceTypes` and `DescribeInstanceTypeOfferings` over the table in
//! `instance_types`: names (`InvalidInstanceType` for one Nimbus does not know), AWS's
//! filters, `MaxResults`/`NextToken` paging, and offerings per region, availability zone or
//! zone id (every type is offered in every zone of every region: Nimbus runs them all). See
//! <https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstanceTypes.html>.

use super::check_dry_run;
use crate::def_errors;
use crate::errors;
use crate::filters::{self, Parsed};
use crate::generated::{
    DescribeInstanceTypeOfferingsRequest, DescribeInstanceTypeOfferingsResult,
    DescribeInstanceTypesRequest, DescribeInstanceTypesResult, EbsInfo, InstanceTypeInfo,
    InstanceTypeOffering, MemoryInfo, NetworkCardInfo, NetworkInfo, PlacementGroupInfo,
    ProcessorInfo, VCpuInfo,
};
use crate::instance_types::{self, TypeSpec};
use crate::regions;
use nimbus_core::{AwsError, RequestContext};

const TYPE_FILTERS: &[&str] = &[
    "auto-recovery-supported",
    "bare-metal",
    "burstable-performance-supported",
    "current-generation",
    "dedicated-hosts-supported",
    "ebs-info.ebs-optimized-support",
    "ebs-info.encryption-support",
    "free-tier-eligible",
    "hibernation-supported",
    "hypervisor",
    "instance-storage-supported",
    "instance-type",
    "memory-info.size-in-mib",
    "network-info.ena-support",
    "network-info.ipv4-addresses-per-interface",
    "network-info.ipv6-addresses-per-interface",
    "network-info.ipv6-supported",
    "network-info.maximum-network-cards",
    "network-info.maximum-network-interfaces",
    "network-info.network-performance",
    "placement-group-info.supported-strategy",
    "processor-info.supported-architecture",
    "processor-info.sustained-clock-speed-in-ghz",
    "supported-root-device-type",
    "supported-usage-class",
    "supported-virtualization-type",
    "vcpu-info.default-cores",
    "vcpu-info.default-threads-per-core",
    "vcpu-info.default-vcpus",
    "vcpu-info.valid-cores",
    "vcpu-info.valid-threads-per-core",
];

fn b(v: bool) -> &'static str {
    if v {
        "true"
    } else {
        "false"
    }
}

fn type_matches(t: &TypeSpec, f: &Parsed) -> bool {
    let nums = |xs: &[i32]| xs.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let any = |xs: &[String]| f.matches_any(xs.iter().map(String::as_str));
    match f.name.as_str() {
        "auto-recovery-supported" => f.matches(b(t.auto_recovery)),
        "bare-metal" => f.matches(b(t.bare_metal)),
        "burstable-performance-supported" => f.matches(b(t.burstable)),
        "current-generation" => f.matches("true"),
        "dedicated-hosts-supported" => f.matches(b(t.dedicated_hosts)),
        "ebs-info.ebs-optimized-support" => f.matches(&t.ebs_optimized),
        "ebs-info.encryption-support" => f.matches("supported"),
        "free-tier-eligible" => f.matches(b(t.free_tier)),
        "hibernation-supported" => f.matches(b(t.hibernation)),
        "hypervisor" => t.hypervisor.as_deref().is_some_and(|h| f.matches(h)),
        "instance-storage-supported" => f.matches("false"),
        "instance-type" => f.matches(&t.name),
        "memory-info.size-in-mib" => f.matches(&t.memory_mib.to_string()),
        "network-info.ena-support" => f.matches(&t.ena),
        "network-info.ipv4-addresses-per-interface" => f.matches(&t.ipv4_per_interface.to_string()),
        "network-info.ipv6-addresses-per-interface" => f.matches(&t.ipv6_per_interface.to_string()),
        "network-info.ipv6-supported" => f.matches("true"),
        "network-info.maximum-network-cards" => f.matches("1"),
        "network-info.maximum-network-interfaces" => {
            f.matches(&t.max_network_interfaces.to_string())
        }
        "network-info.network-performance" => f.matches(&t.network_performance),
        "placement-group-info.supported-strategy" => any(&t.placement_strategies),
        "processor-info.supported-architecture" => any(&t.architectures),
        "processor-info.sustained-clock-speed-in-ghz" => f.matches(&t.clock_ghz.to_string()),
        "supported-root-device-type" => f.matches("ebs"),
        "supported-usage-class" => any(&t.usage_classes),
        "supported-virtualization-type" => f.matches("hvm"),
        "vcpu-info.default-cores" => t.cores.is_some_and(|c| f.matches(&c.to_string())),
        "vcpu-info.default-threads-per-core" => {
            t.threads_per_core.is_some_and(|c| f.matches(&c.to_string()))
        }
        "vcpu-info.default-vcpus" => f.matches(&t.vcpus.to_string()),
        "vcpu-info.valid-cores" => any(&nums(&t.valid_cores)),
        "vcpu-info.valid-threads-per-core" => any(&nums(&t.valid_threads_per_core)),
        _ => false,
    }
}

fn nonempty<T: Clone>(xs: &[T]) -> Option<Vec<T>> {
    (!xs.is_empty()).then(|| xs.to_vec())
}

fn render(t: &TypeSpec) -> InstanceTypeInfo {
    InstanceTypeInfo {
        instance_type: Some(t.name.clone()),
        current_generation: Some(true),
        free_tier_eligible: Some(t.free_tier),
        supported_usage_classes: Some(t.usage_classes.clone()),
        supported_root_device_types: Some(vec!["ebs".into()]),
        supported_virtualization_types: Some(vec!["hvm".into()]),
        bare_metal: Some(t.bare_metal),
        hypervisor: t.hypervisor.clone(),
        processor_info: Some(ProcessorInfo {
            supported_architectures: Some(t.architectures.clone()),
            sustained_clock_speed_in_ghz: Some(t.clock_ghz),
            ..Default::default()
        }),
        v_cpu_info: Some(VCpuInfo {
            default_v_cpus: Some(t.vcpus),
            default_cores: t.cores,
            default_threads_per_core: t.threads_per_core,
            valid_cores: nonempty(&t.valid_cores),
            valid_threads_per_core: nonempty(&t.valid_threads_per_core),
        }),
        memory_info: Some(MemoryInfo {
            size_in_mi_b: Some(t.memory_mib),
        }),
        instance_storage_supported: Some(false),
        ebs_info: Some(EbsInfo {
            ebs_optimized_support: Some(t.ebs_optimized.clone()),
            encryption_support: Some("supported".into()),
            ..Default::default()
        }),
        network_info: Some(NetworkInfo {
            network_performance: Some(t.network_performance.clone()),
            maximum_network_interfaces: Some(t.max_network_interfaces),
            maximum_network_cards: Some(1),
            default_network_card_index: Some(0),
            network_cards: Some(vec![NetworkCardInfo {
                network_card_index: Some(0),
                network_performance: Some(t.network_performance.clone()),
                maximum_network_interfaces: Some(t.max_network_interfaces),
                ..Default::default()
            }]),
            ipv4_addresses_per_interface: Some(t.ipv4_per_interface),
            ipv6_addresses_per_interface: Some(t.ipv6_per_interface),
            ipv6_supported: Some(true),
            ena_support: Some(t.ena.clone()),
            ..Default::default()
        }),
        placement_group_info: Some(PlacementGroupInfo {
            supported_strategies: Some(t.placement_strategies.clone()),
        }),
        hibernation_supported: Some(t.hibernation),
        burstable_performance_supported: Some(t.burstable),
        dedicated_hosts_supported: Some(t.dedicated_hosts),
        auto_recovery_supported: Some(t.auto_recovery),
        ..Default::default()
    }
}

pub(super) fn describe_types(
    _ctx: &RequestContext,
    input: DescribeInstanceTypesRequest,
) -> Result<DescribeInstanceTypesResult, AwsError> {
    let filters = filters::parse(input.filters, TYPE_FILTERS, false)?;
    filters::check_max_results(input.max_results, 5, 100)?;
    check_dry_run(input.dry_run)?;
    let names = input.instance_types.unwrap_or_default();
    let unknown: Vec<&str> = names
        .iter()
        .filter(|n| instance_types::lookup(n).is_none())
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        return Err(def_errors::instance_type_invalid(&unknown.join(", ")));
    }
    let mut picked: Vec<&TypeSpec> = instance_types::all()
        .iter()
        .filter(|t| names.is_empty() || names.contains(&t.name))
        .filter(|t| filters.iter().all(|f| type_matches(t, f)))
        .collect();
    picked.sort_by(|a, b| a.name.cmp(&b.name));
    let (page, next_token) = filters::paginate(
        picked,
        |t| t.name.as_str(),
        input.max_results,
        input.next_token.as_deref(),
    )?;
    Ok(DescribeInstanceTypesResult {
        instance_types: Some(page.into_iter().map(render).collect()),
        next_token,
    })
}

pub(super) fn describe_offerings(
    ctx: &RequestContext,
    input: DescribeInstanceTypeOfferingsRequest,
) -> Result<DescribeInstanceTypeOfferingsResult, AwsError> {
    let filters = filters::parse(input.filters, &["instance-type", "location"], false)?;
    filters::check_max_results(input.max_results, 5, 1000)?;
    check_dry_run(input.dry_run)?;
    let location_type = input.location_type.unwrap_or_else(|| "region".into());
    let locations: Vec<String> = match location_type.as_str() {
        "region" => vec![ctx.region.clone()],
        "availability-zone" => regions::zones(&ctx.region).into_iter().map(|z| z.0).collect(),
        "availability-zone-id" => regions::zones(&ctx.region).into_iter().map(|z| z.1).collect(),
        other => {
            return Err(errors::invalid_parameter_value(format!(
                "Value ({other}) for parameter locationType is invalid. Valid values are region, availability-zone, availability-zone-id, outpost."
            )))
        }
    };
    // (paging key, location, type), sorted by key.
    let mut rows: Vec<(String, String, &str)> = Vec::new();
    for loc in &locations {
        for t in instance_types::all() {
            let keep = filters.iter().all(|f| match f.name.as_str() {
                "instance-type" => f.matches(&t.name),
                "location" => f.matches(loc),
                _ => false,
            });
            if keep {
                rows.push((format!("{loc}/{}", t.name), loc.clone(), t.name.as_str()));
            }
        }
    }
    rows.sort();
    let (page, next_token) = filters::paginate(
        rows,
        |r| r.0.as_str(),
        input.max_results,
        input.next_token.as_deref(),
    )?;
    Ok(DescribeInstanceTypeOfferingsResult {
        instance_type_offerings: Some(
            page.into_iter()
                .map(|(_, loc, name)| InstanceTypeOffering {
                    instance_type: Some(name.to_string()),
                    location_type: Some(location_type.clone()),
                    location: Some(loc),
                })
                .collect(),
        ),
        next_token,
    })
}
