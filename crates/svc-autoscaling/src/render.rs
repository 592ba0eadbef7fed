//! Records to wire shapes: groups (with instances, tags, suspended processes), instances,
//! activities, tags. Formatting only.

use crate::generated::*;
use crate::model::{ActivityRec, GroupRec, InstanceRec, TagRec, TemplateRef};
use nimbus_core::Timestamp;

pub fn template(t: &TemplateRef) -> LaunchTemplateSpecification {
    LaunchTemplateSpecification {
        launch_template_id: t.id.clone(),
        launch_template_name: t.name.clone(),
        version: t.version.clone(),
    }
}

pub fn tag(group: &str, t: &TagRec) -> TagDescription {
    TagDescription {
        resource_id: Some(group.to_string()),
        resource_type: Some("auto-scaling-group".into()),
        key: Some(t.key.clone()),
        value: Some(t.value.clone()),
        propagate_at_launch: Some(t.propagate),
    }
}

pub fn instance(i: &InstanceRec) -> Instance {
    Instance {
        instance_id: i.id.clone(),
        instance_type: i.instance_type.clone(),
        availability_zone: i.az.clone(),
        lifecycle_state: i.lifecycle.clone(),
        health_status: i.health.clone(),
        launch_configuration_name: i.launch_config.clone(),
        launch_template: i.template.as_ref().map(template),
        image_id: i.image_id.clone(),
        protected_from_scale_in: i.protected,
        ..Default::default()
    }
}

pub fn instance_details(g: &GroupRec, i: &InstanceRec) -> AutoScalingInstanceDetails {
    AutoScalingInstanceDetails {
        instance_id: i.id.clone(),
        instance_type: i.instance_type.clone(),
        auto_scaling_group_name: g.name.clone(),
        availability_zone: i.az.clone(),
        // This call reports health in upper case (`HEALTHY`), unlike DescribeAutoScalingGroups.
        lifecycle_state: i.lifecycle.clone(),
        health_status: i.health.to_ascii_uppercase(),
        launch_configuration_name: i.launch_config.clone(),
        launch_template: i.template.as_ref().map(template),
        image_id: i.image_id.clone(),
        protected_from_scale_in: i.protected,
        ..Default::default()
    }
}

pub fn group(g: &GroupRec, with_instances: bool) -> AutoScalingGroup {
    AutoScalingGroup {
        auto_scaling_group_name: g.name.clone(),
        auto_scaling_group_arn: Some(g.arn()),
        launch_configuration_name: g.launch_config.clone(),
        launch_template: g.template.as_ref().map(template),
        min_size: g.min,
        max_size: g.max,
        desired_capacity: g.desired,
        default_cooldown: g.default_cooldown,
        availability_zones: g.zones.clone(),
        load_balancer_names: Some(g.load_balancers.clone()),
        target_group_ar_ns: Some(g.target_groups.clone()),
        health_check_type: g.health_check_type.clone(),
        health_check_grace_period: Some(g.grace),
        instances: Some(if with_instances {
            g.instances.iter().map(instance).collect()
        } else {
            Vec::new()
        }),
        created_time: Timestamp(g.created),
        suspended_processes: Some(
            g.suspended
                .iter()
                .map(|(p, r)| SuspendedProcess {
                    process_name: Some(p.clone()),
                    suspension_reason: Some(r.clone()),
                })
                .collect(),
        ),
        placement_group: g.placement_group.clone(),
        vpc_zone_identifier: (!g.subnets.is_empty()).then(|| {
            g.subnets
                .iter()
                .map(|(s, _)| s.as_str())
                .collect::<Vec<_>>()
                .join(",")
        }),
        enabled_metrics: Some(Vec::new()),
        status: g.status.clone(),
        tags: Some(g.tags.iter().map(|t| tag(&g.name, t)).collect()),
        termination_policies: Some(g.termination_policies.clone()),
        new_instances_protected_from_scale_in: Some(g.protect_new),
        service_linked_role_arn: Some(g.service_linked_role.clone().unwrap_or_else(|| {
            format!(
                "arn:aws:iam::{}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling",
                g.account
            )
        })),
        max_instance_lifetime: g.max_instance_lifetime,
        capacity_rebalance: Some(g.capacity_rebalance),
        context: g.context.clone(),
        default_instance_warmup: g.default_instance_warmup,
        traffic_sources: Some(
            g.target_groups
                .iter()
                .map(|arn| TrafficSourceIdentifier {
                    identifier: arn.clone(),
                    r#type: Some("elbv2".into()),
                })
                .collect(),
        ),
        ..Default::default()
    }
}

/// AWS's activity `Details`: where the instance was placed.
pub fn placement_details(i: &InstanceRec) -> String {
    match &i.subnet {
        Some(s) => format!(
            "{{\"Subnet ID\":\"{s}\",\"Availability Zone\":\"{}\"}}",
            i.az
        ),
        None => format!("{{\"Availability Zone\":\"{}\"}}", i.az),
    }
}

pub fn activity(a: &ActivityRec) -> Activity {
    Activity {
        activity_id: a.id.clone(),
        auto_scaling_group_name: a.group.clone(),
        description: Some(a.description.clone()),
        cause: a.cause.clone(),
        start_time: Timestamp(a.start),
        end_time: a.end.map(Timestamp),
        status_code: a.status.clone(),
        status_message: a.message.clone(),
        progress: Some(a.progress),
        details: Some(a.details.clone()),
        auto_scaling_group_arn: Some(a.group_arn.clone()),
        ..Default::default()
    }
}
