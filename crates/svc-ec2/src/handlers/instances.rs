//! `RunInstances`: a request (or a launch template version plus the request's overrides)
//! checked the way EC2 checks it — image, instance type, key pair, subnet (the default subnet
//! of the asked zone, or the first one, when none is named), security groups of the subnet's
//! VPC, private address, metadata options, user data, tag specifications, block device
//! mappings — then, for each instance, a network interface through the ENI API (its private
//! address from the subnet; a public loopback address when the subnet or request says so),
//! the records in state `pending` with their volumes, and a drive that boots them on the host
//! (`instances`). The answer comes at once, as on AWS. [`Ec2::launch_instances`] is the same
//! for Auto Scaling, with tags AWS itself puts (`aws:autoscaling:groupName`).

use super::check_dry_run;
use crate::def_errors;
use crate::def_records::{BlockDeviceRec, LaunchData, NetworkInterfaceRec};
use crate::defs::DefChange;
use crate::errors;
use crate::generated::*;
use crate::inst_records::*;
use crate::model::TagRec;
use crate::network::NetRec;
use crate::public::NewInterface;
use crate::state::{scope_key, Ec2};
use crate::tags;
use base64::Engine;
use nimbus_core::{AwsError, RequestContext};
use std::net::Ipv4Addr;

/// How a launch differs when a service makes it.
#[derive(Clone, Debug, Default)]
pub struct LaunchOptions {
    /// Shown as the reservation's `RequesterId`.
    pub requester_id: Option<String>,
    /// Tags AWS itself puts on the instances (`aws:` keys callers may not set).
    pub system_tags: Vec<TagRec>,
}

/// What a launch made, per instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LaunchedInstance {
    pub instance_id: String,
    pub instance_type: String,
    pub image_id: String,
}

pub(super) async fn run(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: RunInstancesRequest,
) -> Result<Reservation, AwsError> {
    let (account, region) = scope_key(ctx);
    ec2.run_instances_in(&account, &region, input, LaunchOptions::default())
        .await
}

fn refuse(param: &str) -> AwsError {
    AwsError::client(
        "UnsupportedOperation",
        format!("Nimbus instances do not support the parameter {param} yet."),
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

/// The launch template's data under the request's own parameters.
fn overlay(req: &RunInstancesRequest, lt: LaunchData) -> Result<LaunchData, AwsError> {
    let mut d = lt;
    if let Some(v) = &req.image_id {
        d.image_id = Some(v.clone());
    }
    if let Some(v) = &req.instance_type {
        d.instance_type = Some(v.clone());
    }
    if let Some(v) = &req.key_name {
        d.key_name = Some(v.clone());
    }
    if let Some(v) = req.security_group_ids.clone().filter(|v| !v.is_empty()) {
        d.security_group_ids = v;
    }
    if let Some(v) = req.security_groups.clone().filter(|v| !v.is_empty()) {
        d.security_groups = v;
    }
    if let Some(nis) = req.network_interfaces.clone().filter(|v| !v.is_empty()) {
        d.network_interfaces = nis
            .into_iter()
            .map(|n| NetworkInterfaceRec {
                device_index: n.device_index,
                associate_public_ip_address: n.associate_public_ip_address,
                delete_on_termination: n.delete_on_termination,
                description: n.description,
                subnet_id: n.subnet_id,
                network_interface_id: n.network_interface_id,
                private_ip_address: n.private_ip_address,
                groups: n.groups.unwrap_or_default(),
            })
            .collect();
    }
    if let Some(bdms) = req.block_device_mappings.clone().filter(|v| !v.is_empty()) {
        d.block_devices = bdms
            .into_iter()
            .map(|b| BlockDeviceRec {
                device_name: b.device_name,
                virtual_name: b.virtual_name,
                no_device: b.no_device,
                ebs: b.ebs.map(|e| crate::def_records::EbsRec {
                    snapshot_id: e.snapshot_id,
                    volume_size: e.volume_size,
                    volume_type: e.volume_type,
                    delete_on_termination: e.delete_on_termination,
                    encrypted: e.encrypted,
                    iops: e.iops,
                    throughput: e.throughput,
                    kms_key_id: e.kms_key_id,
                }),
            })
            .collect();
    }
    if let Some(p) = &req.iam_instance_profile {
        d.iam_instance_profile_arn = p.arn.clone();
        d.iam_instance_profile_name = p.name.clone();
    }
    if let Some(m) = &req.metadata_options {
        d.metadata = Some(crate::def_records::MetadataRec {
            http_tokens: m.http_tokens.clone(),
            http_put_response_hop_limit: m.http_put_response_hop_limit,
            http_endpoint: m.http_endpoint.clone(),
            http_protocol_ipv6: m.http_protocol_ipv6.clone(),
            instance_metadata_tags: m.instance_metadata_tags.clone(),
        });
    }
    if let Some(u) = &req.user_data {
        d.user_data = Some(u.clone());
    }
    if let Some(c) = req
        .credit_specification
        .as_ref()
        .map(|c| c.cpu_credits.clone())
    {
        d.cpu_credits = Some(c);
    }
    if let Some(m) = req.monitoring.as_ref() {
        d.monitoring = Some(m.enabled);
    }
    if let Some(v) = req.disable_api_termination {
        d.disable_api_termination = Some(v);
    }
    if let Some(v) = req.disable_api_stop {
        d.disable_api_stop = Some(v);
    }
    if let Some(v) = &req.instance_initiated_shutdown_behavior {
        d.shutdown_behavior = Some(v.clone());
    }
    if let Some(v) = req.ebs_optimized {
        d.ebs_optimized = Some(v);
    }
    if let Some(z) = req
        .placement
        .as_ref()
        .and_then(|p| p.availability_zone.clone())
    {
        d.availability_zone = Some(z);
    }
    Ok(d)
}

/// The tags of each resource type the request and template name (the request's replace
/// the template's for the same type).
fn tag_sets(
    req: Option<Vec<TagSpecification>>,
    lt: &[(String, Vec<TagRec>)],
) -> Result<Vec<(String, Vec<TagRec>)>, AwsError> {
    let mut out: Vec<(String, Vec<TagRec>)> = lt.to_vec();
    let specs = req.unwrap_or_default();
    for rt in ["instance", "volume", "network-interface"] {
        let mine: Vec<TagSpecification> = specs
            .iter()
            .filter(|s| s.resource_type.as_deref() == Some(rt))
            .cloned()
            .collect();
        if mine.is_empty() {
            continue;
        }
        let t = tags::from_specs(Some(mine), rt)?;
        out.retain(|(r, _)| r != rt);
        out.push((rt.to_string(), t));
    }
    if let Some(bad) = specs.iter().find(|s| {
        !matches!(
            s.resource_type.as_deref(),
            Some("instance" | "volume" | "network-interface")
        )
    }) {
        return Err(errors::invalid_parameter_value(format!(
            "'{}' is not a valid taggable resource type for this operation.",
            bad.resource_type.clone().unwrap_or_default()
        )));
    }
    Ok(out)
}

fn tags_for(sets: &[(String, Vec<TagRec>)], rt: &str) -> Vec<TagRec> {
    sets.iter()
        .filter(|(r, _)| r == rt)
        .flat_map(|(_, t)| t.clone())
        .collect()
}

impl Ec2 {
    /// `RunInstances` for (account, region) without a request (Auto Scaling's launches).
    pub async fn launch_instances(
        &self,
        account: &str,
        region: &str,
        input: RunInstancesRequest,
        opts: LaunchOptions,
    ) -> Result<Vec<LaunchedInstance>, AwsError> {
        let r = self.run_instances_in(account, region, input, opts).await?;
        Ok(r.instances
            .unwrap_or_default()
            .into_iter()
            .map(|i| LaunchedInstance {
                instance_id: i.instance_id.unwrap_or_default(),
                instance_type: i.instance_type.unwrap_or_default(),
                image_id: i.image_id.unwrap_or_default(),
            })
            .collect())
    }

    pub(crate) async fn run_instances_in(
        &self,
        account: &str,
        region: &str,
        req: RunInstancesRequest,
        opts: LaunchOptions,
    ) -> Result<Reservation, AwsError> {
        let unsupported: [(&str, bool); 11] = [
            (
                "Ipv6Addresses",
                req.ipv6_address_count.unwrap_or(0) > 0
                    || req.ipv6_addresses.as_ref().is_some_and(|v| !v.is_empty()),
            ),
            (
                "ElasticGpuSpecification",
                req.elastic_gpu_specification.is_some(),
            ),
            (
                "ElasticInferenceAccelerators",
                req.elastic_inference_accelerators.is_some(),
            ),
            (
                "InstanceMarketOptions",
                req.instance_market_options.is_some(),
            ),
            ("CpuOptions", req.cpu_options.is_some()),
            (
                "CapacityReservationSpecification",
                req.capacity_reservation_specification.is_some(),
            ),
            (
                "HibernationOptions",
                req.hibernation_options
                    .as_ref()
                    .is_some_and(|h| h.configured == Some(true)),
            ),
            (
                "LicenseSpecifications",
                req.license_specifications.is_some(),
            ),
            (
                "EnclaveOptions",
                req.enclave_options
                    .as_ref()
                    .is_some_and(|e| e.enabled == Some(true)),
            ),
            (
                "KernelId",
                req.kernel_id.is_some() || req.ramdisk_id.is_some(),
            ),
            ("SecondaryInterfaces", req.secondary_interfaces.is_some()),
        ];
        if let Some((name, _)) = unsupported.iter().find(|(_, set)| *set) {
            return Err(refuse(name));
        }
        if req.min_count < 1 {
            return Err(errors::invalid_parameter_value(format!(
                "Value ({}) for parameter minCount is invalid. Expected a value greater than 0.",
                req.min_count
            )));
        }
        if req.max_count < req.min_count {
            return Err(errors::invalid_parameter_value(format!(
                "Value ({}) for parameter maxCount is invalid. Expected a value greater than or equal to minCount ({}).",
                req.max_count, req.min_count
            )));
        }
        // Idempotency: the same client token answers the reservation it made.
        if let Some(token) = req.client_token.as_deref().filter(|t| !t.is_empty()) {
            let earlier: Vec<std::sync::Arc<InstanceRec>> = self.defs.read(|st| {
                st.instances_of(account, region)
                    .into_iter()
                    .flat_map(|m| m.values())
                    .filter(|i| i.client_token.as_deref() == Some(token))
                    .cloned()
                    .collect()
            });
            if !earlier.is_empty() {
                return Ok(crate::handlers::inst_render::reservation(self, &earlier));
            }
        }
        // The template version, then the request's overrides.
        let lt_data = match &req.launch_template {
            Some(spec) => {
                let which = spec
                    .launch_template_id
                    .as_deref()
                    .or(spec.launch_template_name.as_deref())
                    .ok_or_else(|| {
                        errors::missing_parameter(
                            "The request must contain the parameter launchTemplateId or launchTemplateName",
                        )
                    })?;
                self.launch_template_data(account, region, which, spec.version.as_deref())?
                    .2
            }
            None => LaunchData::default(),
        };
        let lt_tags = lt_data.tag_specifications.clone();
        let d = overlay(&req, lt_data)?;
        let tag_sets = tag_sets(req.tag_specifications.clone(), &lt_tags)?;
        let mut instance_tags = tags_for(&tag_sets, "instance");
        for t in &opts.system_tags {
            instance_tags.retain(|x| x.key != t.key);
            instance_tags.push(t.clone());
        }
        let volume_tags = tags_for(&tag_sets, "volume");
        let eni_tags = tags_for(&tag_sets, "network-interface");

        // Image and type.
        let image_id = d.image_id.clone().ok_or_else(|| {
            errors::missing_parameter("The request must contain the parameter ImageId")
        })?;
        let image_id = if image_id.starts_with(crate::launch_templates::SSM_PREFIX) {
            self.resolve_ssm(account, region, &image_id)?
        } else {
            image_id
        };
        if !crate::images::is_image_id(&image_id) {
            return Err(def_errors::ami_malformed(&image_id));
        }
        let image = self
            .defs
            .read(|st| crate::images::find(st, region, account, &image_id))
            .ok_or_else(|| def_errors::ami_not_found(&[&image_id]))?;
        let personality = image
            .base_image()
            .and_then(|name| nimbus_images::image_by_name(region, name))
            .map(|i| i.personality.as_str().to_string())
            .ok_or_else(|| {
                errors::invalid_parameter_value(format!(
                    "The image {image_id} has no guest Nimbus can boot."
                ))
            })?;
        let captured = match &image {
            crate::images::ImageView::Owned(r) if r.captured => Some(r.image_id.clone()),
            _ => None,
        };
        let instance_type = d.instance_type.clone().unwrap_or_else(|| "m1.small".into());
        let itype = crate::instance_types::lookup(&instance_type)
            .ok_or_else(|| def_errors::instance_type_invalid(&instance_type))?;
        if !itype
            .architectures
            .iter()
            .any(|a| a == image.architecture())
        {
            return Err(errors::invalid_parameter_value(format!(
                "The architecture '{}' of the specified instance type does not match the architecture '{}' of the specified AMI. Specify an instance type and an AMI that have matching architectures, and try again. You can use 'describe-instance-types' or 'describe-images' to discover the architecture of the instance type or AMI.",
                itype.architectures.join(", "),
                image.architecture()
            )));
        }
        if let Some(k) = &d.key_name {
            if self.key_pair_public_key(account, region, k).is_none() {
                return Err(def_errors::key_pair_not_found(k));
            }
        }

        // Options.
        let mut metadata = MetadataOpts::default();
        if let Some(m) = &d.metadata {
            if let Some(t) = &m.http_tokens {
                one_of("HttpTokens", t, &["optional", "required"])?;
                metadata.http_tokens = t.clone();
            }
            if let Some(h) = m.http_put_response_hop_limit {
                if !(1..=64).contains(&h) {
                    return Err(errors::invalid_parameter_value(format!(
                        "Value ({h}) for parameter HttpPutResponseHopLimit is invalid. Valid values are between 1 and 64."
                    )));
                }
                metadata.hop_limit = h;
            }
            if let Some(e) = &m.http_endpoint {
                one_of("HttpEndpoint", e, &["enabled", "disabled"])?;
                metadata.endpoint = e.clone();
            }
            if let Some(e) = &m.http_protocol_ipv6 {
                one_of("HttpProtocolIpv6", e, &["enabled", "disabled"])?;
                metadata.protocol_ipv6 = e.clone();
            }
            if let Some(e) = &m.instance_metadata_tags {
                one_of("InstanceMetadataTags", e, &["enabled", "disabled"])?;
                metadata.tags = e.clone();
            }
        }
        let shutdown_behavior = d.shutdown_behavior.clone().unwrap_or_else(|| "stop".into());
        one_of(
            "InstanceInitiatedShutdownBehavior",
            &shutdown_behavior,
            &["stop", "terminate"],
        )?;
        let cpu_credits = if itype.burstable {
            let c = d.cpu_credits.clone().unwrap_or_else(|| {
                if instance_type.starts_with("t2.") {
                    "standard".into()
                } else {
                    "unlimited".into()
                }
            });
            one_of("CpuCredits", &c, &["standard", "unlimited"])?;
            Some(c)
        } else {
            if d.cpu_credits.is_some() {
                return Err(errors::invalid_parameter_combination(
                    "The parameter CreditSpecification is not supported for the instance type.",
                ));
            }
            None
        };
        if let Some(u) = &d.user_data {
            let raw = base64::engine::general_purpose::STANDARD
                .decode(u.trim())
                .map_err(|_| {
                    errors::invalid_parameter_value("Invalid BASE64 encoding of user data.")
                })?;
            if raw.len() > 16 * 1024 {
                return Err(errors::invalid_parameter_value(
                    "User data is limited to 16384 bytes",
                ));
            }
        }
        let profile = self.check_profile(
            account,
            d.iam_instance_profile_arn.as_deref(),
            d.iam_instance_profile_name.as_deref(),
        )?;

        // Network placement.
        if d.network_interfaces.len() > 1 {
            return Err(refuse("NetworkInterfaces (more than one)"));
        }
        let ni = d.network_interfaces.first().cloned().unwrap_or_default();
        if ni.network_interface_id.is_some() {
            return Err(refuse("NetworkInterfaces.NetworkInterfaceId"));
        }
        if !d.network_interfaces.is_empty()
            && (!d.security_group_ids.is_empty() || !d.security_groups.is_empty())
        {
            return Err(errors::invalid_parameter_combination(
                "Network interfaces and an instance-level security groups may not be specified on the same request",
            ));
        }
        let subnet_id = req.subnet_id.clone().or(ni.subnet_id.clone());
        let subnet = match subnet_id {
            Some(id) => self
                .subnet(account, region, &id)
                .ok_or_else(|| errors::subnet_not_found(&id))?,
            None => {
                let defaults = self.default_subnets(account, region).await?;
                let pick = match &d.availability_zone {
                    Some(z) => defaults.into_iter().find(|s| &s.availability_zone == z),
                    None => defaults.into_iter().next(),
                };
                pick.ok_or_else(|| {
                    AwsError::client("VPCIdNotSpecified", "No default VPC for this user")
                })?
            }
        };
        if let Some(z) = &d.availability_zone {
            if z != &subnet.availability_zone {
                return Err(errors::invalid_parameter_value(format!(
                    "Value ({z}) for parameter availabilityZone is invalid. Subnet '{}' is in the availability zone {}",
                    subnet.subnet_id, subnet.availability_zone
                )));
            }
        }
        let (vpc_cidr, mut group_ids) = self.read_state(|st| {
            let scope = st.scope_of(account, region);
            let cidr = scope
                .and_then(|s| s.vpcs.get(&subnet.vpc_id))
                .map(|v| v.cidr_block.clone())
                .unwrap_or_default();
            (cidr, Vec::<String>::new())
        });
        let mut wanted_groups: Vec<String> = if ni.groups.is_empty() {
            d.security_group_ids.clone()
        } else {
            ni.groups.clone()
        };
        for name in &d.security_groups {
            let found = self.read_state(|st| {
                st.scope_of(account, region)
                    .and_then(|s| s.group_by_name(&subnet.vpc_id, name))
                    .map(|g| g.group_id.clone())
            });
            match found {
                Some(id) => wanted_groups.push(id),
                None => {
                    return Err(AwsError::client(
                        "InvalidGroup.NotFound",
                        format!(
                            "The security group '{name}' does not exist in VPC '{}'",
                            subnet.vpc_id
                        ),
                    ))
                }
            }
        }
        wanted_groups.dedup();
        group_ids.append(&mut wanted_groups);
        let private_ip = match req
            .private_ip_address
            .clone()
            .or(ni.private_ip_address.clone())
        {
            Some(ip) => {
                if req.max_count > 1 {
                    return Err(errors::invalid_parameter_combination(
                        "Cannot specify a private IP address when launching more than one instance.",
                    ));
                }
                Some(ip.parse::<Ipv4Addr>().map_err(|_| {
                    errors::invalid_parameter_value(format!("Invalid private IP address {ip}"))
                })?)
            }
            None => None,
        };
        let public = ni
            .associate_public_ip_address
            .unwrap_or(subnet.map_public_ip_on_launch);
        let subnet_prefix: u8 = subnet
            .cidr_block
            .split('/')
            .nth(1)
            .and_then(|p| p.parse().ok())
            .unwrap_or(24);

        // Volumes: the image's mappings, the request's replacing them by device name.
        let mut devices = image.block_devices();
        for b in &d.block_devices {
            let name = b.device_name.clone();
            devices.retain(|x| x.device_name != name);
            if b.no_device.is_none() {
                devices.push(b.clone());
            }
        }
        let root_device_name = image.root_device_name().to_string();

        // Only now: can this Nimbus run them at all?
        self.host()?;
        check_dry_run(req.dry_run)?;

        let mut count = req.max_count.min(20);
        if count < req.min_count {
            return Err(AwsError::client(
                "InstanceLimitExceeded",
                format!(
                    "Your quota allows for 20 more running instance(s). You requested at least {}",
                    req.min_count
                ),
            ));
        }
        // The vCPU quota: as many as fit, at least MinCount.
        if crate::instance_types::standard_bucket(&instance_type) {
            if let Some((fit, limit)) = self.vcpu_headroom(account, region, itype.vcpus) {
                if fit < req.min_count {
                    return Err(crate::inst_errors::vcpu_limit_exceeded(limit));
                }
                count = count.min(fit);
            }
        }
        let now = self.now();
        let reservation_id = self.ids.resource_id("r");
        let mut recs = Vec::new();
        let mut taken_public = Vec::new();
        for index in 0..count {
            let instance_id = self.ids.resource_id("i");
            let public_ip = if public {
                let ip = self.free_public_ip(&taken_public)?;
                taken_public.push(ip);
                Some(ip)
            } else {
                None
            };
            let spec = NewInterface {
                subnet_id: subnet.subnet_id.clone(),
                group_ids: group_ids.clone(),
                description: ni.description.clone().unwrap_or_default(),
                interface_type: "interface".into(),
                requester_id: None,
                private_ip,
                attachment: Some((instance_id.clone(), 0)),
                assign_public_ip: false,
            };
            let eni = match self
                .add_instance_interface(account, region, spec, public_ip, eni_tags.clone())
                .await
            {
                Ok(e) => e,
                Err(e) => {
                    for r in &recs {
                        let r: &InstanceRec = r;
                        let _ = self
                            .remove_network_interface(account, region, &r.eni_id)
                            .await;
                    }
                    return Err(e);
                }
            };
            let volumes = devices
                .iter()
                .filter_map(|b| {
                    let e = b.ebs.as_ref()?;
                    Some(VolumeRec {
                        volume_id: self.ids.resource_id("vol"),
                        device_name: b.device_name.clone().unwrap_or_default(),
                        size_gib: e.volume_size.unwrap_or(8),
                        volume_type: e.volume_type.clone().unwrap_or_else(|| "gp2".into()),
                        iops: e.iops,
                        throughput: e.throughput,
                        encrypted: e.encrypted.unwrap_or(false),
                        delete_on_termination: e.delete_on_termination.unwrap_or(true),
                        snapshot_id: e.snapshot_id.clone(),
                        create_time: now,
                        tags: volume_tags.clone(),
                    })
                })
                .collect();
            recs.push(InstanceRec {
                account: account.to_string(),
                region: region.to_string(),
                instance_id: instance_id.clone(),
                reservation_id: reservation_id.clone(),
                requester_id: opts.requester_id.clone(),
                image_id: image_id.clone(),
                personality: personality.clone(),
                architecture: image.architecture().to_string(),
                instance_type: instance_type.clone(),
                key_name: d.key_name.clone(),
                launch_time: now,
                ami_launch_index: index,
                state: PENDING.into(),
                state_reason: Some(("pending".into(), "pending".into())),
                state_transition_reason: String::new(),
                az: subnet.availability_zone.clone(),
                subnet_id: subnet.subnet_id.clone(),
                vpc_id: subnet.vpc_id.clone(),
                vpc_cidr: vpc_cidr.clone(),
                subnet_prefix,
                eni_id: eni.eni_id.clone(),
                eni_attachment_id: eni
                    .attachment
                    .as_ref()
                    .map(|a| a.1.clone())
                    .unwrap_or_default(),
                mac: eni.mac.clone(),
                private_ip: eni.private_ip.clone(),
                public_ip: eni.public_ip.clone(),
                group_ids: eni.group_ids.clone(),
                user_data: d.user_data.clone(),
                profile: profile.as_ref().map(|arn| ProfileRec {
                    arn: arn.clone(),
                    id: format!("AIPA{}", self.ids.upper_alnum(17)),
                    association_id: self.ids.resource_id("iip-assoc"),
                    associated_at: now,
                }),
                metadata: metadata.clone(),
                monitoring: d.monitoring.unwrap_or(false),
                disable_api_termination: d.disable_api_termination.unwrap_or(false),
                disable_api_stop: d.disable_api_stop.unwrap_or(false),
                shutdown_behavior: shutdown_behavior.clone(),
                ebs_optimized: d.ebs_optimized.unwrap_or(false),
                cpu_credits: cpu_credits.clone(),
                source_dest_check: true,
                root_device_name: root_device_name.clone(),
                volumes,
                client_token: req.client_token.clone().filter(|t| !t.is_empty()),
                tags: instance_tags.clone(),
                running_since: None,
                impaired_since: None,
                terminated_at: None,
                captured_image: captured.clone(),
                auto_public_ip: Some(eni.public_ip.is_some()),
            });
        }
        let stored = self
            .defs
            .mutate(|_| {
                Ok((
                    DefChange {
                        put_instances: recs.clone(),
                        ..Default::default()
                    },
                    (),
                ))
            })
            .await;
        if let Err(e) = stored {
            for r in &recs {
                let _ = self
                    .remove_network_interface(account, region, &r.eni_id)
                    .await;
            }
            return Err(e);
        }
        for r in &recs {
            self.spawn_drive(account, region, &r.instance_id);
        }
        let arcs: Vec<std::sync::Arc<InstanceRec>> =
            recs.into_iter().map(std::sync::Arc::new).collect();
        Ok(crate::handlers::inst_render::reservation(self, &arcs))
    }

    /// Creates an instance's interface with `public_ip` mapped to it.
    async fn add_instance_interface(
        &self,
        account: &str,
        region: &str,
        spec: NewInterface,
        public_ip: Option<Ipv4Addr>,
        tags: Vec<TagRec>,
    ) -> Result<crate::network::EniRec, AwsError> {
        let k = (account.to_string(), region.to_string());
        self.mutate_scope(k.clone(), |st, scope| {
            let (mut change, mut eni) = self.plan_interface(st, scope, &k, &spec, tags)?;
            eni.public_ip = public_ip.map(|p| p.to_string());
            for (_, rec) in change.put_net.iter_mut() {
                if let NetRec::NetworkInterface(e) = rec {
                    e.public_ip = eni.public_ip.clone();
                }
            }
            Ok((change, eni))
        })
        .await
    }
}
