//! Launch template data: reading a request's `LaunchTemplateData` into a [`LaunchData`]
//! record with EC2's checks (image id shape or `resolve:ssm:` of a public parameter Nimbus
//! knows, base64 user data of at most 16 KB, metadata options, credit specification, EBS
//! volume types and sizes, tag specification resource types), the warnings EC2 returns for a
//! template that would not launch (instance-level security groups beside network
//! interfaces), layering a new version's data over its source version's, and rendering a
//! version's data as `ResponseLaunchTemplateData`. Parameters Nimbus does not keep yet are
//! refused by name instead of being dropped.

use crate::def_records::{BlockDeviceRec, EbsRec, LaunchData, MetadataRec, NetworkInterfaceRec};
use crate::errors;
use crate::generated::*;
use crate::model::TagRec;
use crate::tags;
use base64::Engine;
use nimbus_core::AwsError;

/// The `ImageId` prefix that names a Systems Manager parameter instead of an AMI.
pub const SSM_PREFIX: &str = "resolve:ssm:";

/// Resolves `resolve:ssm:<name>` to the AMI it names in `region` (the built-in public
/// parameters only; an account's own parameters live in Systems Manager).
pub fn resolve_ssm(region: &str, image_id: &str) -> Result<String, AwsError> {
    let name = image_id.strip_prefix(SSM_PREFIX).unwrap_or(image_id);
    // A version or label selector (`name:3`, `name:label`) may follow the name.
    let bare = match name.rsplit_once(':') {
        Some((n, _)) if n.starts_with('/') => n,
        _ => name,
    };
    nimbus_images::resolve_parameter(region, bare)
        .map(|(_, image)| image.id)
        .ok_or_else(|| {
            AwsError::client(
                "SsmInvalidParameter",
                format!("The parameter {name} does not exist or is not accessible, or it does not have the data type aws:ec2:image."),
            )
        })
}

fn refuse(param: &str) -> AwsError {
    AwsError::client(
        "UnsupportedOperation",
        format!("Nimbus launch templates do not support the parameter {param} yet."),
    )
}

fn one_of(param: &str, value: &str, allowed: &[&str]) -> Result<(), AwsError> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(errors::invalid_parameter_value(format!(
            "Value ({value}) for parameter {param} is invalid. Valid values: {}",
            allowed.join(", ")
        )))
    }
}

/// Reads and checks a request's launch template data. `region` resolves `resolve:ssm:`.
pub fn from_request(region: &str, d: RequestLaunchTemplateData) -> Result<LaunchData, AwsError> {
    let unsupported: [(&str, bool); 14] = [
        ("ElasticGpuSpecifications", d.elastic_gpu_specifications.is_some()),
        ("ElasticInferenceAccelerators", d.elastic_inference_accelerators.is_some()),
        ("InstanceMarketOptions", d.instance_market_options.is_some()),
        ("CpuOptions", d.cpu_options.is_some()),
        ("CapacityReservationSpecification", d.capacity_reservation_specification.is_some()),
        ("LicenseSpecifications", d.license_specifications.is_some()),
        ("HibernationOptions", d.hibernation_options.is_some()),
        ("EnclaveOptions", d.enclave_options.is_some()),
        ("InstanceRequirements", d.instance_requirements.is_some()),
        ("PrivateDnsNameOptions", d.private_dns_name_options.is_some()),
        ("MaintenanceOptions", d.maintenance_options.is_some()),
        ("Operator", d.operator.is_some()),
        ("NetworkPerformanceOptions", d.network_performance_options.is_some()),
        ("SecondaryInterfaces", d.secondary_interfaces.is_some()),
    ];
    if let Some((name, _)) = unsupported.iter().find(|(_, set)| *set) {
        return Err(refuse(name));
    }
    if d.kernel_id.is_some() || d.ram_disk_id.is_some() {
        return Err(refuse("KernelId/RamDiskId"));
    }
    if let Some(image) = d.image_id.as_deref() {
        if image.starts_with(SSM_PREFIX) {
            resolve_ssm(region, image)?;
        } else if !crate::images::is_image_id(image) {
            return Err(crate::def_errors::ami_malformed(image));
        }
    }
    if let Some(u) = d.user_data.as_deref() {
        let raw = base64::engine::general_purpose::STANDARD
            .decode(u.trim())
            .map_err(|_| {
                AwsError::client("InvalidUserData.Malformed", "Invalid BASE64 encoding of user data.")
            })?;
        if raw.len() > 16 * 1024 {
            return Err(AwsError::client(
                "InvalidParameterValue",
                "User data is limited to 16384 bytes",
            ));
        }
    }
    if let Some(b) = d.instance_initiated_shutdown_behavior.as_deref() {
        one_of("InstanceInitiatedShutdownBehavior", b, &["stop", "terminate"])?;
    }
    let metadata = match d.metadata_options {
        None => None,
        Some(m) => {
            if let Some(v) = m.http_tokens.as_deref() {
                one_of("HttpTokens", v, &["optional", "required"])?;
            }
            if let Some(v) = m.http_endpoint.as_deref() {
                one_of("HttpEndpoint", v, &["enabled", "disabled"])?;
            }
            if let Some(v) = m.http_protocol_ipv6.as_deref() {
                one_of("HttpProtocolIpv6", v, &["enabled", "disabled"])?;
            }
            if let Some(v) = m.instance_metadata_tags.as_deref() {
                one_of("InstanceMetadataTags", v, &["enabled", "disabled"])?;
            }
            if let Some(h) = m.http_put_response_hop_limit {
                if !(1..=64).contains(&h) {
                    return Err(errors::invalid_parameter_value(format!(
                        "Value ({h}) for parameter HttpPutResponseHopLimit is invalid. Valid values are 1 through 64."
                    )));
                }
            }
            Some(MetadataRec {
                http_tokens: m.http_tokens,
                http_put_response_hop_limit: m.http_put_response_hop_limit,
                http_endpoint: m.http_endpoint,
                http_protocol_ipv6: m.http_protocol_ipv6,
                instance_metadata_tags: m.instance_metadata_tags,
            })
        }
    };
    let cpu_credits = match d.credit_specification {
        None => None,
        Some(c) => {
            let v = c.cpu_credits.to_ascii_lowercase();
            one_of("CpuCredits", &v, &["standard", "unlimited"])?;
            Some(v)
        }
    };
    let mut block_devices = Vec::new();
    for b in d.block_device_mappings.unwrap_or_default() {
        block_devices.push(block_device(b)?);
    }
    let mut network_interfaces = Vec::new();
    for n in d.network_interfaces.unwrap_or_default() {
        network_interfaces.push(network_interface(n)?);
    }
    let mut tag_specifications = Vec::new();
    for spec in d.tag_specifications.unwrap_or_default() {
        let rt = spec.resource_type.clone().unwrap_or_default();
        one_of(
            "ResourceType",
            &rt,
            &["instance", "volume", "network-interface", "spot-instances-request"],
        )?;
        let tags = tags::from_specs(
            Some(vec![TagSpecification {
                resource_type: Some(rt.clone()),
                tags: spec.tags,
            }]),
            &rt,
        )?;
        tag_specifications.push((rt, tags));
    }
    let (availability_zone, tenancy, placement_group) = match d.placement {
        None => (None, None, None),
        Some(p) => {
            if let Some(t) = p.tenancy.as_deref() {
                one_of("Tenancy", t, &["default", "dedicated", "host"])?;
            }
            (p.availability_zone, p.tenancy, p.group_name)
        }
    };
    Ok(LaunchData {
        image_id: d.image_id,
        instance_type: d.instance_type,
        key_name: d.key_name,
        security_group_ids: d.security_group_ids.unwrap_or_default(),
        security_groups: d.security_groups.unwrap_or_default(),
        network_interfaces,
        block_devices,
        iam_instance_profile_arn: d.iam_instance_profile.as_ref().and_then(|p| p.arn.clone()),
        iam_instance_profile_name: d.iam_instance_profile.and_then(|p| p.name),
        metadata,
        user_data: d.user_data,
        tag_specifications,
        cpu_credits,
        monitoring: d.monitoring.and_then(|m| m.enabled),
        disable_api_termination: d.disable_api_termination,
        disable_api_stop: d.disable_api_stop,
        shutdown_behavior: d.instance_initiated_shutdown_behavior,
        ebs_optimized: d.ebs_optimized,
        availability_zone,
        tenancy,
        placement_group,
    })
}

fn block_device(b: LaunchTemplateBlockDeviceMappingRequest) -> Result<BlockDeviceRec, AwsError> {
    let ebs = match b.ebs {
        None => None,
        Some(e) => {
            let vt = e.volume_type.clone().unwrap_or_else(|| "gp2".into());
            one_of("VolumeType", &vt, &["standard", "io1", "io2", "gp2", "gp3", "sc1", "st1"])?;
            if let Some(size) = e.volume_size {
                let (min, max) = match vt.as_str() {
                    "gp2" | "gp3" => (1, 16384),
                    "io1" => (4, 16384),
                    "io2" => (4, 65536),
                    "st1" | "sc1" => (125, 16384),
                    _ => (1, 1024),
                };
                if size < min || size > max {
                    return Err(errors::invalid_parameter_value(format!(
                        "Volume size {size} is invalid for {vt} volumes; valid sizes are {min} to {max} GiB."
                    )));
                }
            }
            if matches!(vt.as_str(), "io1" | "io2") && e.iops.is_none() {
                return Err(errors::invalid_parameter_combination(format!(
                    "The parameter iops must be specified for {vt} volumes."
                )));
            }
            if e.throughput.is_some() && vt != "gp3" {
                return Err(errors::invalid_parameter_combination(
                    "Throughput can only be specified for gp3 volumes.",
                ));
            }
            Some(EbsRec {
                snapshot_id: e.snapshot_id,
                volume_size: e.volume_size,
                volume_type: e.volume_type,
                delete_on_termination: e.delete_on_termination,
                encrypted: e.encrypted,
                iops: e.iops,
                throughput: e.throughput,
                kms_key_id: e.kms_key_id,
            })
        }
    };
    Ok(BlockDeviceRec {
        device_name: b.device_name,
        virtual_name: b.virtual_name,
        no_device: b.no_device,
        ebs,
    })
}

fn network_interface(
    n: LaunchTemplateInstanceNetworkInterfaceSpecificationRequest,
) -> Result<NetworkInterfaceRec, AwsError> {
    let extra = n.ipv6_address_count.is_some()
        || n.ipv6_addresses.is_some()
        || n.private_ip_addresses.is_some()
        || n.secondary_private_ip_address_count.is_some()
        || n.ipv4_prefixes.is_some()
        || n.ipv4_prefix_count.is_some()
        || n.ipv6_prefixes.is_some()
        || n.ipv6_prefix_count.is_some()
        || n.interface_type.is_some()
        || n.network_card_index.is_some()
        || n.ena_srd_specification.is_some()
        || n.connection_tracking_specification.is_some()
        || n.associate_carrier_ip_address.is_some()
        || n.primary_ipv6.is_some()
        || n.ena_queue_count.is_some();
    if extra {
        return Err(refuse(
            "NetworkInterfaces (only DeviceIndex, AssociatePublicIpAddress, DeleteOnTermination, Description, Groups, SubnetId, NetworkInterfaceId and PrivateIpAddress are kept)",
        ));
    }
    Ok(NetworkInterfaceRec {
        device_index: n.device_index,
        associate_public_ip_address: n.associate_public_ip_address,
        delete_on_termination: n.delete_on_termination,
        description: n.description,
        subnet_id: n.subnet_id,
        network_interface_id: n.network_interface_id,
        private_ip_address: n.private_ip_address,
        groups: n.groups.unwrap_or_default(),
    })
}

/// The warnings EC2 returns with a template that will not launch as it stands.
pub fn warnings(d: &LaunchData) -> Option<ValidationWarning> {
    let mut errors = Vec::new();
    if !d.network_interfaces.is_empty()
        && (!d.security_group_ids.is_empty() || !d.security_groups.is_empty())
    {
        errors.push(ValidationError {
            code: Some("InvalidParameterCombination".into()),
            message: Some(
                "Network interfaces and an instance-level security groups may not be specified on the same request"
                    .into(),
            ),
        });
    }
    (!errors.is_empty()).then_some(ValidationWarning {
        errors: Some(errors),
    })
}

/// `over` layered onto `base`: every parameter the new version names replaces the source
/// version's; the others are inherited.
pub fn layered(base: &LaunchData, over: LaunchData) -> LaunchData {
    fn pick<T>(o: Option<T>, b: &Option<T>) -> Option<T>
    where
        T: Clone,
    {
        o.or_else(|| b.clone())
    }
    fn list<T: Clone>(o: Vec<T>, b: &[T]) -> Vec<T> {
        if o.is_empty() {
            b.to_vec()
        } else {
            o
        }
    }
    let profile_given =
        over.iam_instance_profile_arn.is_some() || over.iam_instance_profile_name.is_some();
    LaunchData {
        image_id: pick(over.image_id, &base.image_id),
        instance_type: pick(over.instance_type, &base.instance_type),
        key_name: pick(over.key_name, &base.key_name),
        security_group_ids: list(over.security_group_ids, &base.security_group_ids),
        security_groups: list(over.security_groups, &base.security_groups),
        network_interfaces: list(over.network_interfaces, &base.network_interfaces),
        block_devices: list(over.block_devices, &base.block_devices),
        iam_instance_profile_arn: if profile_given {
            over.iam_instance_profile_arn
        } else {
            base.iam_instance_profile_arn.clone()
        },
        iam_instance_profile_name: if profile_given {
            over.iam_instance_profile_name
        } else {
            base.iam_instance_profile_name.clone()
        },
        metadata: pick(over.metadata, &base.metadata),
        user_data: pick(over.user_data, &base.user_data),
        tag_specifications: list(over.tag_specifications, &base.tag_specifications),
        cpu_credits: pick(over.cpu_credits, &base.cpu_credits),
        monitoring: pick(over.monitoring, &base.monitoring),
        disable_api_termination: pick(over.disable_api_termination, &base.disable_api_termination),
        disable_api_stop: pick(over.disable_api_stop, &base.disable_api_stop),
        shutdown_behavior: pick(over.shutdown_behavior, &base.shutdown_behavior),
        ebs_optimized: pick(over.ebs_optimized, &base.ebs_optimized),
        availability_zone: pick(over.availability_zone, &base.availability_zone),
        tenancy: pick(over.tenancy, &base.tenancy),
        placement_group: pick(over.placement_group, &base.placement_group),
    }
}

fn nonempty<T>(v: Vec<T>) -> Option<Vec<T>> {
    (!v.is_empty()).then_some(v)
}

fn render_tags(tags: &[TagRec]) -> Option<Vec<Tag>> {
    Some(tags::render(tags).unwrap_or_default())
}

/// A version's data as `DescribeLaunchTemplateVersions` shows it; `image_id` is what to show
/// for `ImageId` (the parameter, or the AMI it resolves to when the caller asked).
pub fn render(d: &LaunchData, image_id: Option<String>) -> ResponseLaunchTemplateData {
    ResponseLaunchTemplateData {
        ebs_optimized: d.ebs_optimized,
        iam_instance_profile: (d.iam_instance_profile_arn.is_some()
            || d.iam_instance_profile_name.is_some())
        .then(|| LaunchTemplateIamInstanceProfileSpecification {
            arn: d.iam_instance_profile_arn.clone(),
            name: d.iam_instance_profile_name.clone(),
        }),
        block_device_mappings: nonempty(
            d.block_devices
                .iter()
                .map(|b| LaunchTemplateBlockDeviceMapping {
                    device_name: b.device_name.clone(),
                    virtual_name: b.virtual_name.clone(),
                    no_device: b.no_device.clone(),
                    ebs: b.ebs.as_ref().map(|e| LaunchTemplateEbsBlockDevice {
                        encrypted: e.encrypted,
                        delete_on_termination: e.delete_on_termination,
                        iops: e.iops,
                        kms_key_id: e.kms_key_id.clone(),
                        snapshot_id: e.snapshot_id.clone(),
                        volume_size: e.volume_size,
                        volume_type: e.volume_type.clone(),
                        throughput: e.throughput,
                        ..Default::default()
                    }),
                })
                .collect(),
        ),
        network_interfaces: nonempty(
            d.network_interfaces
                .iter()
                .map(|n| LaunchTemplateInstanceNetworkInterfaceSpecification {
                    associate_public_ip_address: n.associate_public_ip_address,
                    delete_on_termination: n.delete_on_termination,
                    description: n.description.clone(),
                    device_index: n.device_index,
                    groups: nonempty(n.groups.clone()),
                    network_interface_id: n.network_interface_id.clone(),
                    private_ip_address: n.private_ip_address.clone(),
                    subnet_id: n.subnet_id.clone(),
                    ..Default::default()
                })
                .collect(),
        ),
        image_id,
        instance_type: d.instance_type.clone(),
        key_name: d.key_name.clone(),
        monitoring: d.monitoring.map(|e| LaunchTemplatesMonitoring { enabled: Some(e) }),
        placement: (d.availability_zone.is_some()
            || d.tenancy.is_some()
            || d.placement_group.is_some())
        .then(|| LaunchTemplatePlacement {
            availability_zone: d.availability_zone.clone(),
            tenancy: d.tenancy.clone(),
            group_name: d.placement_group.clone(),
            ..Default::default()
        }),
        disable_api_termination: d.disable_api_termination,
        instance_initiated_shutdown_behavior: d.shutdown_behavior.clone(),
        user_data: d.user_data.clone(),
        tag_specifications: nonempty(
            d.tag_specifications
                .iter()
                .map(|(rt, tags)| LaunchTemplateTagSpecification {
                    resource_type: Some(rt.clone()),
                    tags: render_tags(tags),
                })
                .collect(),
        ),
        security_group_ids: nonempty(d.security_group_ids.clone()),
        security_groups: nonempty(d.security_groups.clone()),
        credit_specification: d.cpu_credits.as_ref().map(|c| CreditSpecification {
            cpu_credits: Some(c.clone()),
        }),
        metadata_options: d.metadata.as_ref().map(|m| LaunchTemplateInstanceMetadataOptions {
            http_tokens: m.http_tokens.clone(),
            http_put_response_hop_limit: m.http_put_response_hop_limit,
            http_endpoint: m.http_endpoint.clone(),
            http_protocol_ipv6: m.http_protocol_ipv6.clone(),
            instance_metadata_tags: m.instance_metadata_tags.clone(),
            state: None,
        }),
        disable_api_stop: d.disable_api_stop,
        ..Default::default()
    }
}
