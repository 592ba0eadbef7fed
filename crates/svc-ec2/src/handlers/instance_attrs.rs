//! The read-back and settings calls on one instance: `DescribeInstanceAttribute` (every
//! attribute AWS names, `disableApiStop` included), `ModifyInstanceAttribute` (type and user
//! data only while stopped, groups of the instance's VPC — also on its interface — and the
//! flags), `GetConsoleOutput` (base64 of the host's console log), `DescribeVolumes` (each
//! instance's volumes), `ModifyInstanceMetadataOptions`,
//! `DescribeInstanceCreditSpecifications` (burstable types), `Monitor`/`UnmonitorInstances`,
//! `DescribeIamInstanceProfileAssociations` and `GetLaunchTemplateData`.

use super::check_dry_run;
use super::inst_lifecycle::{check_instance_ids, named, visible};
use super::inst_render;
use crate::errors;
use crate::filters;
use crate::generated::*;
use crate::inst_errors;
use crate::inst_records::*;
use crate::network::NetRec;
use crate::persist::Change;
use crate::state::{is_resource_id, scope_key, Ec2};
use base64::Engine;
use nimbus_core::{AwsError, RequestContext};
use std::sync::Arc;

fn one(ec2: &Ec2, ctx: &RequestContext, id: &str) -> Result<Arc<InstanceRec>, AwsError> {
    Ok(named(ec2, ctx, &[id.to_string()])?.remove(0))
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn boolean(v: bool) -> Option<AttributeBooleanValue> {
    Some(AttributeBooleanValue { value: Some(v) })
}

fn text(v: impl Into<String>) -> Option<AttributeValue> {
    Some(AttributeValue {
        value: Some(v.into()),
    })
}

pub(super) async fn describe_attribute(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: DescribeInstanceAttributeRequest,
) -> Result<InstanceAttribute, AwsError> {
    let i = one(ec2, ctx, &input.instance_id)?;
    check_dry_run(input.dry_run)?;
    let mut out = InstanceAttribute {
        instance_id: Some(i.instance_id.clone()),
        ..Default::default()
    };
    match input.attribute.as_str() {
        "instanceType" => out.instance_type = text(&i.instance_type),
        "kernel" => out.kernel_id = Some(AttributeValue::default()),
        "ramdisk" => out.ramdisk_id = Some(AttributeValue::default()),
        "userData" => {
            out.user_data = Some(AttributeValue {
                value: i.user_data.clone(),
            })
        }
        "disableApiTermination" => out.disable_api_termination = boolean(i.disable_api_termination),
        "disableApiStop" => out.disable_api_stop = boolean(i.disable_api_stop),
        "instanceInitiatedShutdownBehavior" => {
            out.instance_initiated_shutdown_behavior = text(&i.shutdown_behavior)
        }
        "rootDeviceName" => out.root_device_name = text(&i.root_device_name),
        "blockDeviceMapping" => out.block_device_mappings = Some(inst_render::block_devices(&i)),
        "productCodes" => out.product_codes = Some(Vec::new()),
        "sourceDestCheck" => out.source_dest_check = boolean(i.source_dest_check),
        "groupSet" => out.groups = Some(inst_render::groups(ec2, &i)),
        "ebsOptimized" => out.ebs_optimized = boolean(i.ebs_optimized),
        "sriovNetSupport" => out.sriov_net_support = text("simple"),
        "enaSupport" => out.ena_support = boolean(true),
        "enclaveOptions" => {
            out.enclave_options = Some(EnclaveOptions {
                enabled: Some(false),
            })
        }
        other => {
            return Err(errors::invalid_parameter_value(format!(
                "Value ({other}) for parameter attribute is invalid. Unknown attribute."
            )))
        }
    }
    Ok(out)
}

pub(super) async fn modify_attribute(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: ModifyInstanceAttributeRequest,
) -> Result<(), AwsError> {
    let i = one(ec2, ctx, &input.instance_id)?;
    let (account, region) = scope_key(ctx);
    // The `Attribute` + `Value` form names one attribute by name.
    let mut instance_type = input.instance_type.and_then(|v| v.value);
    let mut shutdown = input
        .instance_initiated_shutdown_behavior
        .and_then(|v| v.value);
    let flag = |_name: &str, v: &Option<AttributeBooleanValue>| -> Option<bool> {
        v.as_ref().and_then(|b| b.value)
    };
    let mut disable_term = flag("disableApiTermination", &input.disable_api_termination);
    let mut disable_stop = flag("disableApiStop", &input.disable_api_stop);
    let source_dest = flag("sourceDestCheck", &input.source_dest_check);
    let ebs_opt = flag("ebsOptimized", &input.ebs_optimized);
    if let (Some(attr), Some(value)) = (input.attribute.as_deref(), input.value.as_deref()) {
        let as_bool = || value.eq_ignore_ascii_case("true");
        match attr {
            "instanceType" => instance_type = Some(value.to_string()),
            "instanceInitiatedShutdownBehavior" => shutdown = Some(value.to_string()),
            "disableApiTermination" => disable_term = Some(as_bool()),
            "disableApiStop" => disable_stop = Some(as_bool()),
            other => {
                return Err(errors::invalid_parameter_value(format!(
                    "Value ({other}) for parameter attribute is invalid. Unknown attribute."
                )))
            }
        }
    }
    let user_data = input.user_data.and_then(|u| u.value).map(|b| {
        // The CLI sends the file's bytes; a caller that already base64-encoded them (as the
        // API reference asks) is taken as is.
        let s = String::from_utf8_lossy(&b).trim().to_string();
        match base64::engine::general_purpose::STANDARD.decode(&s) {
            Ok(_) => s,
            Err(_) => b64(&b),
        }
    });
    let stopped_only = instance_type.is_some() || user_data.is_some();
    if stopped_only && i.state != STOPPED {
        return Err(inst_errors::not_in_state(&i.instance_id, STOPPED));
    }
    if let Some(t) = &instance_type {
        if crate::instance_types::lookup(t).is_none() {
            return Err(crate::def_errors::instance_type_invalid(t));
        }
    }
    if let Some(s) = &shutdown {
        if s != "stop" && s != "terminate" {
            return Err(errors::invalid_parameter_value(format!(
                "Value ({s}) for parameter instanceInitiatedShutdownBehavior is invalid. Valid values: stop, terminate"
            )));
        }
    }
    let groups = input.groups.filter(|g| !g.is_empty());
    if let Some(gs) = &groups {
        for g in gs {
            crate::state::check_group_id(g)?;
            match ec2.security_group_vpc(&account, &region, g) {
                None => return Err(errors::group_not_found(g)),
                Some(v) if v != i.vpc_id => {
                    return Err(errors::invalid_parameter_value(format!(
                        "Security group {g} and instance {} belong to different networks.",
                        i.instance_id
                    )))
                }
                Some(_) => {}
            }
        }
    }
    check_dry_run(input.dry_run)?;
    if let Some(gs) = &groups {
        let k = (account.clone(), region.clone());
        let eni_id = i.eni_id.clone();
        let gs2 = gs.clone();
        ec2.mutate_scope(k.clone(), |_, scope| {
            let Some(e) = scope.net.enis.get(&eni_id) else {
                return Ok((Change::default(), ()));
            };
            let mut e = e.clone();
            e.group_ids = gs2;
            Ok((Change::put_net(&k, NetRec::NetworkInterface(e)), ()))
        })
        .await?;
    }
    ec2.update_instance(&account, &region, &i.instance_id, |r| {
        if let Some(t) = instance_type {
            r.instance_type = t;
        }
        if let Some(u) = user_data {
            r.user_data = Some(u);
        }
        if let Some(s) = shutdown {
            r.shutdown_behavior = s;
        }
        if let Some(v) = disable_term {
            r.disable_api_termination = v;
        }
        if let Some(v) = disable_stop {
            r.disable_api_stop = v;
        }
        if let Some(v) = source_dest {
            r.source_dest_check = v;
        }
        if let Some(v) = ebs_opt {
            r.ebs_optimized = v;
        }
        if let Some(g) = groups {
            r.group_ids = g;
        }
        true
    })
    .await?;
    Ok(())
}

pub(super) async fn console_output(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: GetConsoleOutputRequest,
) -> Result<GetConsoleOutputResult, AwsError> {
    let i = one(ec2, ctx, &input.instance_id)?;
    check_dry_run(input.dry_run)?;
    let host = ec2.host()?;
    let id = i.instance_id.clone();
    let text = tokio::task::spawn_blocking(move || host.console_output(&id))
        .await
        .ok()
        .flatten();
    // AWS keeps the last 64 KB.
    let output = text.map(|t| {
        let b = t.as_bytes();
        let from = b.len().saturating_sub(64 * 1024);
        b64(&b[from..])
    });
    Ok(GetConsoleOutputResult {
        instance_id: Some(i.instance_id.clone()),
        timestamp: Some(ec2.now()),
        output,
    })
}

const VOLUME_FILTERS: &[&str] = &[
    "volume-id",
    "attachment.instance-id",
    "attachment.device",
    "attachment.status",
    "attachment.delete-on-termination",
    "availability-zone",
    "size",
    "status",
    "volume-type",
    "encrypted",
    "snapshot-id",
];

pub(super) async fn describe_volumes(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: DescribeVolumesRequest,
) -> Result<DescribeVolumesResult, AwsError> {
    check_dry_run(input.dry_run)?;
    let ids = input.volume_ids.unwrap_or_default();
    if let Some(bad) = ids.iter().find(|v| !is_resource_id(v, "vol-")) {
        return Err(inst_errors::volume_malformed(bad));
    }
    // "between 5 and 500; if you specify a value larger than 500, only 500 items are
    // returned" (the aws CLI asks for 1000 when nothing narrows the listing).
    filters::check_max_results(input.max_results, 5, i32::MAX)?;
    let max_results = input.max_results.map(|n| n.min(500));
    let fs = filters::parse(input.filters, VOLUME_FILTERS, true)?;
    let mut rows: Vec<(String, Volume)> = Vec::new();
    let mut consider = |v: &VolumeRec, az: &str, instance: Option<&str>| {
        let keep = fs.iter().all(|f| {
            if let Some(m) = f.match_tags(&v.tags) {
                return m;
            }
            match f.name.as_str() {
                "volume-id" => f.matches(&v.volume_id),
                "attachment.instance-id" => instance.is_some_and(|i| f.matches(i)),
                "attachment.device" => instance.is_some() && f.matches(&v.device_name),
                "attachment.status" => instance.is_some() && f.matches("attached"),
                "attachment.delete-on-termination" => {
                    instance.is_some() && f.matches(&v.delete_on_termination.to_string())
                }
                "availability-zone" => f.matches(az),
                "size" => f.matches(&v.size_gib.to_string()),
                "status" => f.matches(if instance.is_some() {
                    "in-use"
                } else {
                    "available"
                }),
                "volume-type" => f.matches(&v.volume_type),
                "encrypted" => f.matches(&v.encrypted.to_string()),
                "snapshot-id" => v.snapshot_id.as_deref().is_some_and(|s| f.matches(s)),
                _ => false,
            }
        });
        if keep && (ids.is_empty() || ids.contains(&v.volume_id)) {
            rows.push((v.volume_id.clone(), volume_view(v, az, instance)));
        }
    };
    for i in visible(ec2, ctx).iter().filter(|i| !i.is_terminated()) {
        for v in &i.volumes {
            consider(v, &i.az, Some(&i.instance_id));
        }
    }
    // Volumes that outlived their instances (DeleteOnTermination=false).
    let (account, region) = scope_key(ctx);
    let detached: Vec<Arc<DetachedVolumeRec>> = ec2.defs.read(|st| {
        st.volumes
            .get(&(account, region))
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default()
    });
    for d in &detached {
        consider(&d.volume, &d.az, None);
    }
    if let Some(missing) = ids.iter().find(|id| !rows.iter().any(|r| &r.0 == *id)) {
        return Err(inst_errors::volume_not_found(&[missing]));
    }
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    let (page, next) = filters::paginate(
        rows,
        |r| r.0.as_str(),
        max_results,
        input.next_token.as_deref(),
    )?;
    Ok(DescribeVolumesResult {
        volumes: Some(page.into_iter().map(|r| r.1).collect()),
        next_token: next,
    })
}

/// A volume as `DescribeVolumes` shows it: `in-use` and attached to `instance`, or
/// `available`.
fn volume_view(v: &VolumeRec, az: &str, instance: Option<&str>) -> Volume {
    Volume {
        attachments: Some(
            instance
                .map(|i| VolumeAttachment {
                    attach_time: Some(v.create_time),
                    device: Some(v.device_name.clone()),
                    instance_id: Some(i.to_string()),
                    state: Some("attached".into()),
                    volume_id: Some(v.volume_id.clone()),
                    delete_on_termination: Some(v.delete_on_termination),
                    ..Default::default()
                })
                .into_iter()
                .collect(),
        ),
        availability_zone: Some(az.to_string()),
        create_time: Some(v.create_time),
        encrypted: Some(v.encrypted),
        size: Some(v.size_gib),
        snapshot_id: Some(v.snapshot_id.clone().unwrap_or_default()),
        state: Some(
            if instance.is_some() {
                "in-use"
            } else {
                "available"
            }
            .into(),
        ),
        volume_id: Some(v.volume_id.clone()),
        iops: v.iops.or(Some(if v.volume_type == "gp3" {
            3000
        } else {
            (v.size_gib * 3).clamp(100, 16000)
        })),
        throughput: v.throughput.or((v.volume_type == "gp3").then_some(125)),
        tags: crate::tags::render(&v.tags),
        volume_type: Some(v.volume_type.clone()),
        multi_attach_enabled: Some(false),
        ..Default::default()
    }
}

pub(super) async fn modify_metadata_options(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: ModifyInstanceMetadataOptionsRequest,
) -> Result<ModifyInstanceMetadataOptionsResult, AwsError> {
    let i = one(ec2, ctx, &input.instance_id)?;
    let check = |param: &str, v: &Option<String>, ok: &[&str]| -> Result<(), AwsError> {
        match v {
            Some(x) if !ok.contains(&x.as_str()) => Err(errors::invalid_parameter_value(format!(
                "Value ({x}) for parameter {param} is invalid. Valid values: {}",
                ok.join(", ")
            ))),
            _ => Ok(()),
        }
    };
    check("HttpTokens", &input.http_tokens, &["optional", "required"])?;
    check(
        "HttpEndpoint",
        &input.http_endpoint,
        &["enabled", "disabled"],
    )?;
    check(
        "HttpProtocolIpv6",
        &input.http_protocol_ipv6,
        &["enabled", "disabled"],
    )?;
    check(
        "InstanceMetadataTags",
        &input.instance_metadata_tags,
        &["enabled", "disabled"],
    )?;
    if let Some(h) = input.http_put_response_hop_limit {
        if !(1..=64).contains(&h) {
            return Err(errors::invalid_parameter_value(format!(
                "Value ({h}) for parameter HttpPutResponseHopLimit is invalid. Valid values are between 1 and 64."
            )));
        }
    }
    if i.is_terminated() {
        return Err(inst_errors::cannot_from_state(&i.instance_id, "modified"));
    }
    check_dry_run(input.dry_run)?;
    let (a, r) = scope_key(ctx);
    let updated = ec2
        .update_instance(&a, &r, &i.instance_id, |x| {
            let m = &mut x.metadata;
            if let Some(v) = input.http_tokens {
                m.http_tokens = v;
            }
            if let Some(v) = input.http_put_response_hop_limit {
                m.hop_limit = v;
            }
            if let Some(v) = input.http_endpoint {
                m.endpoint = v;
            }
            if let Some(v) = input.http_protocol_ipv6 {
                m.protocol_ipv6 = v;
            }
            if let Some(v) = input.instance_metadata_tags {
                m.tags = v;
            }
            true
        })
        .await?
        .unwrap_or_else(|| (*i).clone());
    let mut opts = inst_render::metadata(&updated);
    opts.state = Some("pending".into());
    Ok(ModifyInstanceMetadataOptionsResult {
        instance_id: Some(updated.instance_id.clone()),
        instance_metadata_options: Some(opts),
    })
}

pub(super) async fn credit_specifications(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: DescribeInstanceCreditSpecificationsRequest,
) -> Result<DescribeInstanceCreditSpecificationsResult, AwsError> {
    check_dry_run(input.dry_run)?;
    filters::check_max_results(input.max_results, 5, 1000)?;
    let fs = filters::parse(input.filters, &["instance-id"], false)?;
    let ids = input.instance_ids.unwrap_or_default();
    let base = if ids.is_empty() {
        visible(ec2, ctx)
    } else {
        named(ec2, ctx, &ids)?
    };
    let mut rows: Vec<InstanceCreditSpecification> = base
        .iter()
        .filter(|i| !i.is_terminated())
        .filter(|i| fs.iter().all(|f| f.matches(&i.instance_id)))
        .filter_map(|i| {
            Some(InstanceCreditSpecification {
                instance_id: Some(i.instance_id.clone()),
                cpu_credits: Some(i.cpu_credits.clone()?),
            })
        })
        .collect();
    rows.sort_by(|a, b| a.instance_id.cmp(&b.instance_id));
    let (page, next) = filters::paginate(
        rows,
        |r| r.instance_id.as_deref().unwrap_or_default(),
        input.max_results,
        input.next_token.as_deref(),
    )?;
    Ok(DescribeInstanceCreditSpecificationsResult {
        instance_credit_specifications: Some(page),
        next_token: next,
    })
}

pub(super) async fn set_monitoring(
    ec2: &Ec2,
    ctx: &RequestContext,
    ids: Vec<String>,
    dry_run: Option<bool>,
    on: bool,
) -> Result<Vec<InstanceMonitoring>, AwsError> {
    let recs = named(ec2, ctx, &ids)?;
    if let Some(t) = recs.iter().find(|i| i.is_terminated()) {
        return Err(inst_errors::cannot_from_state(&t.instance_id, "monitored"));
    }
    check_dry_run(dry_run)?;
    let (a, r) = scope_key(ctx);
    let mut out = Vec::new();
    for i in recs {
        ec2.update_instance(&a, &r, &i.instance_id, |x| {
            x.monitoring = on;
            true
        })
        .await?;
        out.push(InstanceMonitoring {
            instance_id: Some(i.instance_id.clone()),
            monitoring: Some(Monitoring {
                state: Some(if on { "pending" } else { "disabling" }.into()),
            }),
        });
    }
    Ok(out)
}

pub(super) async fn profile_associations(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: DescribeIamInstanceProfileAssociationsRequest,
) -> Result<DescribeIamInstanceProfileAssociationsResult, AwsError> {
    filters::check_max_results(input.max_results, 5, 1000)?;
    let fs = filters::parse(input.filters, &["instance-id", "state"], false)?;
    let ids = input.association_ids.unwrap_or_default();
    let mut rows: Vec<IamInstanceProfileAssociation> = visible(ec2, ctx)
        .iter()
        .filter(|i| !i.is_terminated())
        .filter_map(|i| {
            let p = i.profile.as_ref()?;
            let keep = fs.iter().all(|f| match f.name.as_str() {
                "instance-id" => f.matches(&i.instance_id),
                _ => f.matches("associated"),
            }) && (ids.is_empty() || ids.contains(&p.association_id));
            keep.then(|| IamInstanceProfileAssociation {
                association_id: Some(p.association_id.clone()),
                instance_id: Some(i.instance_id.clone()),
                iam_instance_profile: Some(IamInstanceProfile {
                    arn: Some(p.arn.clone()),
                    id: Some(p.id.clone()),
                }),
                state: Some("associated".into()),
                timestamp: Some(p.associated_at),
            })
        })
        .collect();
    if let Some(missing) = ids
        .iter()
        .find(|a| !rows.iter().any(|r| r.association_id.as_ref() == Some(*a)))
    {
        return Err(AwsError::client(
            "InvalidAssociationID.NotFound",
            format!("An association ID '{missing}' does not exist"),
        ));
    }
    rows.sort_by(|a, b| a.association_id.cmp(&b.association_id));
    let (page, next) = filters::paginate(
        rows,
        |r| r.association_id.as_deref().unwrap_or_default(),
        input.max_results,
        input.next_token.as_deref(),
    )?;
    Ok(DescribeIamInstanceProfileAssociationsResult {
        iam_instance_profile_associations: Some(page),
        next_token: next,
    })
}

pub(super) async fn launch_template_data(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: GetLaunchTemplateDataRequest,
) -> Result<GetLaunchTemplateDataResult, AwsError> {
    check_instance_ids(std::slice::from_ref(&input.instance_id))?;
    let i = one(ec2, ctx, &input.instance_id)?;
    check_dry_run(input.dry_run)?;
    let d = crate::def_records::LaunchData {
        image_id: Some(i.image_id.clone()),
        instance_type: Some(i.instance_type.clone()),
        key_name: i.key_name.clone(),
        network_interfaces: vec![crate::def_records::NetworkInterfaceRec {
            device_index: Some(0),
            associate_public_ip_address: Some(i.public_ip.is_some()),
            delete_on_termination: Some(true),
            subnet_id: Some(i.subnet_id.clone()),
            network_interface_id: Some(i.eni_id.clone()),
            private_ip_address: Some(i.private_ip.clone()),
            groups: i.group_ids.clone(),
            description: Some(String::new()),
        }],
        block_devices: i
            .volumes
            .iter()
            .map(|v| crate::def_records::BlockDeviceRec {
                device_name: Some(v.device_name.clone()),
                ebs: Some(crate::def_records::EbsRec {
                    volume_size: Some(v.size_gib),
                    volume_type: Some(v.volume_type.clone()),
                    delete_on_termination: Some(v.delete_on_termination),
                    encrypted: Some(v.encrypted),
                    snapshot_id: v.snapshot_id.clone(),
                    iops: v.iops,
                    throughput: v.throughput,
                    kms_key_id: None,
                }),
                ..Default::default()
            })
            .collect(),
        iam_instance_profile_arn: i.profile.as_ref().map(|p| p.arn.clone()),
        metadata: Some(crate::def_records::MetadataRec {
            http_tokens: Some(i.metadata.http_tokens.clone()),
            http_put_response_hop_limit: Some(i.metadata.hop_limit),
            http_endpoint: Some(i.metadata.endpoint.clone()),
            http_protocol_ipv6: Some(i.metadata.protocol_ipv6.clone()),
            instance_metadata_tags: Some(i.metadata.tags.clone()),
        }),
        user_data: i.user_data.clone(),
        tag_specifications: if i.tags.is_empty() {
            Vec::new()
        } else {
            vec![("instance".into(), i.tags.clone())]
        },
        cpu_credits: i.cpu_credits.clone(),
        monitoring: Some(i.monitoring),
        disable_api_termination: Some(i.disable_api_termination),
        disable_api_stop: Some(i.disable_api_stop),
        shutdown_behavior: Some(i.shutdown_behavior.clone()),
        ebs_optimized: Some(i.ebs_optimized),
        availability_zone: Some(i.az.clone()),
        tenancy: Some("default".into()),
        ..Default::default()
    };
    Ok(GetLaunchTemplateDataResult {
        launch_template_data: Some(crate::launch_templates::render(&d, d.image_id.clone())),
    })
}
