//! Instance records as the wire shows them: `Instance` (with its network interface, groups,
//! block devices, placement, metadata options …), `Reservation`s grouping instances by the
//! call that launched them, `InstanceState`, and the volumes of `DescribeVolumes`. Group names
//! are looked up in the networking state at render time.

use crate::generated::*;
use crate::inst_records::*;
use crate::state::Ec2;
use crate::tags;
use std::sync::Arc;

pub fn state(name: &str) -> InstanceState {
    InstanceState {
        code: Some(state_code(name)),
        name: Some(name.to_string()),
    }
}

/// The groups with their names.
pub fn groups(ec2: &Ec2, rec: &InstanceRec) -> Vec<GroupIdentifier> {
    ec2.read_state(|st| {
        let scope = st.scope_of(&rec.account, &rec.region);
        rec.group_ids
            .iter()
            .map(|g| GroupIdentifier {
                group_id: Some(g.clone()),
                group_name: scope.and_then(|s| s.group(g)).map(|x| x.group_name.clone()),
            })
            .collect()
    })
}

pub fn block_devices(rec: &InstanceRec) -> Vec<InstanceBlockDeviceMapping> {
    rec.volumes
        .iter()
        .map(|v| InstanceBlockDeviceMapping {
            device_name: Some(v.device_name.clone()),
            ebs: Some(EbsInstanceBlockDevice {
                attach_time: Some(v.create_time),
                delete_on_termination: Some(v.delete_on_termination),
                status: Some(
                    if rec.is_terminated() {
                        "detached"
                    } else {
                        "attached"
                    }
                    .into(),
                ),
                volume_id: Some(v.volume_id.clone()),
                ..Default::default()
            }),
        })
        .collect()
}

pub fn instance(ec2: &Ec2, rec: &InstanceRec) -> Instance {
    let groups = groups(ec2, rec);
    let terminated = rec.is_terminated();
    let public_ip = rec.shown_public_ip().map(str::to_string);
    let public_dns = rec.public_dns();
    // An Elastic IP is the account's; an auto-assigned address is Amazon's.
    let ip_owner = if public_ip.is_some()
        && ec2.elastic_ip_of(&rec.account, &rec.region, &rec.eni_id) == public_ip
    {
        rec.account.clone()
    } else {
        "amazon".to_string()
    };
    let eni = (!terminated).then(|| InstanceNetworkInterface {
        association: public_ip
            .as_ref()
            .map(|ip| InstanceNetworkInterfaceAssociation {
                ip_owner_id: Some(ip_owner.clone()),
                public_dns_name: public_dns.clone(),
                public_ip: Some(ip.clone()),
                ..Default::default()
            }),
        attachment: Some(InstanceNetworkInterfaceAttachment {
            attach_time: Some(rec.launch_time),
            attachment_id: Some(rec.eni_attachment_id.clone()),
            delete_on_termination: Some(true),
            device_index: Some(0),
            status: Some("attached".into()),
            network_card_index: Some(0),
            ..Default::default()
        }),
        description: Some(String::new()),
        groups: Some(groups.clone()),
        ipv6_addresses: Some(Vec::new()),
        mac_address: Some(rec.mac.clone()),
        network_interface_id: Some(rec.eni_id.clone()),
        owner_id: Some(rec.account.clone()),
        private_dns_name: Some(rec.private_dns()),
        private_ip_address: Some(rec.private_ip.clone()),
        private_ip_addresses: Some(vec![InstancePrivateIpAddress {
            association: public_ip
                .as_ref()
                .map(|ip| InstanceNetworkInterfaceAssociation {
                    ip_owner_id: Some(ip_owner.clone()),
                    public_dns_name: public_dns.clone(),
                    public_ip: Some(ip.clone()),
                    ..Default::default()
                }),
            primary: Some(true),
            private_dns_name: Some(rec.private_dns()),
            private_ip_address: Some(rec.private_ip.clone()),
        }]),
        source_dest_check: Some(rec.source_dest_check),
        status: Some("in-use".into()),
        subnet_id: Some(rec.subnet_id.clone()),
        vpc_id: Some(rec.vpc_id.clone()),
        interface_type: Some("interface".into()),
        ..Default::default()
    });
    let t = crate::instance_types::lookup(&rec.instance_type);
    Instance {
        instance_id: Some(rec.instance_id.clone()),
        image_id: Some(rec.image_id.clone()),
        state: Some(state(&rec.state)),
        private_dns_name: Some(if terminated {
            String::new()
        } else {
            rec.private_dns()
        }),
        public_dns_name: Some(public_dns.unwrap_or_default()),
        state_transition_reason: Some(rec.state_transition_reason.clone()),
        key_name: rec.key_name.clone(),
        ami_launch_index: Some(rec.ami_launch_index),
        product_codes: Some(Vec::new()),
        instance_type: Some(rec.instance_type.clone()),
        launch_time: Some(rec.launch_time),
        placement: Some(Placement {
            availability_zone: Some(rec.az.clone()),
            group_name: Some(String::new()),
            tenancy: Some("default".into()),
            ..Default::default()
        }),
        monitoring: Some(Monitoring {
            state: Some(
                if rec.monitoring {
                    "enabled"
                } else {
                    "disabled"
                }
                .into(),
            ),
        }),
        subnet_id: (!terminated).then(|| rec.subnet_id.clone()),
        vpc_id: (!terminated).then(|| rec.vpc_id.clone()),
        private_ip_address: (!terminated).then(|| rec.private_ip.clone()),
        public_ip_address: public_ip,
        state_reason: rec.state_reason.as_ref().map(|(c, m)| StateReason {
            code: Some(c.clone()),
            message: Some(m.clone()),
        }),
        architecture: Some(rec.architecture.clone()),
        block_device_mappings: Some(if terminated {
            Vec::new()
        } else {
            block_devices(rec)
        }),
        client_token: Some(rec.client_token.clone().unwrap_or_default()),
        ebs_optimized: Some(rec.ebs_optimized),
        ena_support: Some(true),
        hypervisor: Some("xen".into()),
        iam_instance_profile: rec.profile.as_ref().map(|p| IamInstanceProfile {
            arn: Some(p.arn.clone()),
            id: Some(p.id.clone()),
        }),
        network_interfaces: Some(eni.into_iter().collect()),
        root_device_name: Some(rec.root_device_name.clone()),
        root_device_type: Some("ebs".into()),
        security_groups: Some(if terminated { Vec::new() } else { groups }),
        source_dest_check: (!terminated).then_some(rec.source_dest_check),
        tags: tags::render(&rec.tags),
        virtualization_type: Some("hvm".into()),
        cpu_options: t.map(|t| CpuOptions {
            core_count: t.cores,
            threads_per_core: t.threads_per_core,
            ..Default::default()
        }),
        capacity_reservation_specification: Some(CapacityReservationSpecificationResponse {
            capacity_reservation_preference: Some("open".into()),
            ..Default::default()
        }),
        hibernation_options: Some(HibernationOptions {
            configured: Some(false),
        }),
        metadata_options: Some(metadata(rec)),
        enclave_options: Some(EnclaveOptions {
            enabled: Some(false),
        }),
        boot_mode: Some("uefi-preferred".into()),
        platform_details: Some("Linux/UNIX".into()),
        usage_operation: Some("RunInstances".into()),
        usage_operation_update_time: Some(rec.launch_time),
        private_dns_name_options: Some(PrivateDnsNameOptionsResponse {
            hostname_type: Some("ip-name".into()),
            enable_resource_name_dns_a_record: Some(false),
            enable_resource_name_dns_aaaa_record: Some(false),
        }),
        maintenance_options: Some(InstanceMaintenanceOptions {
            auto_recovery: Some("default".into()),
            ..Default::default()
        }),
        current_instance_boot_mode: Some("legacy-bios".into()),
        ..Default::default()
    }
}

pub fn metadata(rec: &InstanceRec) -> InstanceMetadataOptionsResponse {
    InstanceMetadataOptionsResponse {
        state: Some("applied".into()),
        http_tokens: Some(rec.metadata.http_tokens.clone()),
        http_put_response_hop_limit: Some(rec.metadata.hop_limit),
        http_endpoint: Some(rec.metadata.endpoint.clone()),
        http_protocol_ipv6: Some(rec.metadata.protocol_ipv6.clone()),
        instance_metadata_tags: Some(rec.metadata.tags.clone()),
    }
}

/// Instances grouped by reservation, in the order first seen.
pub fn reservations(ec2: &Ec2, recs: &[Arc<InstanceRec>]) -> Vec<Reservation> {
    let mut out: Vec<(String, Vec<Arc<InstanceRec>>)> = Vec::new();
    for r in recs {
        match out.iter_mut().find(|(id, _)| *id == r.reservation_id) {
            Some((_, v)) => v.push(r.clone()),
            None => out.push((r.reservation_id.clone(), vec![r.clone()])),
        }
    }
    out.into_iter().map(|(_, v)| reservation(ec2, &v)).collect()
}

/// One reservation of instances (all of the same reservation).
pub fn reservation(ec2: &Ec2, recs: &[Arc<InstanceRec>]) -> Reservation {
    let first = recs.first();
    Reservation {
        reservation_id: first.map(|r| r.reservation_id.clone()),
        owner_id: first.map(|r| r.account.clone()),
        requester_id: first.and_then(|r| r.requester_id.clone()),
        groups: Some(Vec::new()),
        instances: Some(recs.iter().map(|r| instance(ec2, r)).collect()),
    }
}
