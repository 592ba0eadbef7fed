//! Groups: `CreateAutoScalingGroup`, `UpdateAutoScalingGroup`, `DeleteAutoScalingGroup`.
//! A group launches from a launch template (by id or name, version `$Latest`, `$Default`
//! or a number, resolved through the EC2 [`crate::deps::Catalog`]) or a launch
//! configuration, in the zones of its subnets (`VPCZoneIdentifier`) or the zones named;
//! min ≤ desired ≤ max always holds, with AWS's `ValidationError` wording when a request
//! would break it. Deleting a group with instances needs `ForceDelete`, which drains it
//! (the reconciler terminates the instances, then the group goes). The capacity-changing
//! calls on a live group are in `capacity_ops`.

use super::common::{check_tag, live_group, MAX_TAGS};
use crate::capacity::{self, constraints_reason};
use crate::deps::TemplateError;
use crate::errors;
use crate::generated::*;
use crate::model::{GroupRec, TagRec, TemplateRef};
use crate::persist::{Change, Op};
use crate::state::{AutoScaling, Scope};
use nimbus_core::{AwsError, RequestContext};

/// "Auto Scaling groups per Region: 500".
pub const MAX_GROUPS: usize = 500;

pub const HEALTH_CHECK_TYPES: &[&str] = &["EC2", "ELB", "VPC_LATTICE", "EBS"];

pub const TERMINATION_POLICIES: &[&str] = &[
    "Default",
    "AllocationStrategy",
    "ClosestToNextInstanceHour",
    "NewestInstance",
    "OldestInstance",
    "OldestLaunchConfiguration",
    "OldestLaunchTemplate",
];

fn not_implemented(what: &str) -> AwsError {
    AwsError::new(
        "NotImplemented",
        501,
        format!("Nimbus does not implement {what} for Auto Scaling groups yet"),
    )
}

/// The target group ARNs of traffic sources: type `elbv2`, or no type and a target group
/// ARN (AWS infers the type); Classic Load Balancers and VPC Lattice are not built.
pub(crate) fn elbv2_sources(sources: &[TrafficSourceIdentifier]) -> Result<Vec<String>, AwsError> {
    sources
        .iter()
        .map(|s| {
            let kind = s
                .r#type
                .as_deref()
                .unwrap_or(if s.identifier.contains(":targetgroup/") {
                    "elbv2"
                } else {
                    "elb"
                });
            if kind == "elbv2" {
                Ok(s.identifier.clone())
            } else {
                Err(not_implemented(&format!(
                    "traffic sources of type '{kind}'"
                )))
            }
        })
        .collect()
}

/// Checks a launch template reference and resolves it (the group keeps the reference as
/// given; instances record the version number they were launched from).
pub(crate) fn check_template(
    svc: &AutoScaling,
    account: &str,
    region: &str,
    spec: &LaunchTemplateSpecification,
) -> Result<TemplateRef, AwsError> {
    let r = TemplateRef {
        id: spec.launch_template_id.clone(),
        name: spec.launch_template_name.clone(),
        version: spec.version.clone(),
    };
    match (&r.id, &r.name) {
        (Some(_), Some(_)) | (None, None) => {
            return Err(errors::validation(
                "You must use a valid fully-formed launch template. Specify either LaunchTemplateId or LaunchTemplateName, but not both.",
            ))
        }
        _ => {}
    }
    if let Some(v) = &r.version {
        let ok = v == "$Latest"
            || v == "$Default"
            || (!v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()));
        if !ok {
            return Err(errors::validation(format!(
                "You must use a valid fully-formed launch template. The launch template version '{v}' is not valid. Specify a version number, $Latest or $Default."
            )));
        }
    }
    let which = match (&r.id, &r.name) {
        (Some(id), _) => format!("template ID {id}"),
        (_, Some(n)) => format!("template name {n}"),
        _ => String::new(),
    };
    match svc.deps.catalog.template(account, region, &r) {
        Ok(_) => Ok(r),
        Err(TemplateError::NoSuchTemplate) => Err(errors::validation(format!(
            "You must use a valid fully-formed launch template. The specified launch template, with {which}, does not exist."
        ))),
        Err(TemplateError::NoSuchVersion) => Err(errors::validation(format!(
            "You must use a valid fully-formed launch template. The specified launch template, with {which}, does not have version {}.",
            r.version.as_deref().unwrap_or("$Default")
        ))),
    }
}

/// A group's zones, and its subnets with their zones.
type Placement = (Vec<String>, Vec<(String, String)>);

/// The zones and subnets of a group from `VPCZoneIdentifier` and/or `AvailabilityZones`.
pub(crate) fn placement(
    svc: &AutoScaling,
    account: &str,
    region: &str,
    vpc_zone_identifier: Option<&str>,
    zones: Option<&[String]>,
) -> Result<Placement, AwsError> {
    let mut subnets = Vec::new();
    if let Some(ids) = vpc_zone_identifier.filter(|s| !s.trim().is_empty()) {
        let mut vpc: Option<String> = None;
        for id in ids.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let Some(s) = svc.deps.catalog.subnet(account, region, id) else {
                return Err(errors::validation(format!(
                    "The subnet ID '{id}' does not exist"
                )));
            };
            match &vpc {
                Some(v) if *v != s.vpc_id => {
                    return Err(errors::validation(
                        "The subnets provided must all be in the same VPC.",
                    ))
                }
                _ => vpc = Some(s.vpc_id.clone()),
            }
            if !subnets.iter().any(|(i, _): &(String, String)| i == id) {
                subnets.push((id.to_string(), s.zone));
            }
        }
    }
    let known = svc.deps.catalog.zones(region);
    let mut out: Vec<String> = Vec::new();
    if subnets.is_empty() {
        for z in zones.unwrap_or_default() {
            if !known.contains(z) {
                return Err(errors::validation(format!(
                    "The availability zone {z} is not legal"
                )));
            }
            if !out.contains(z) {
                out.push(z.clone());
            }
        }
    } else {
        for (_, z) in &subnets {
            if !out.contains(z) {
                out.push(z.clone());
            }
        }
    }
    if out.is_empty() {
        return Err(errors::validation(
            "At least one Availability Zone or VPC Subnet is required.",
        ));
    }
    out.sort();
    Ok((out, subnets))
}

pub(crate) fn check_health_type(t: &str) -> Result<(), AwsError> {
    if HEALTH_CHECK_TYPES.contains(&t) {
        Ok(())
    } else {
        Err(errors::validation(format!(
            "Health check type {t} is not valid. Valid values: EC2, ELB, VPC_LATTICE, EBS."
        )))
    }
}

pub(crate) fn check_termination_policies(p: &[String]) -> Result<(), AwsError> {
    for t in p {
        if !TERMINATION_POLICIES.contains(&t.as_str()) && !t.starts_with("arn:aws:lambda:") {
            return Err(errors::validation(format!(
                "Termination policy {t} is not valid. Valid values: {}.",
                TERMINATION_POLICIES.join(", ")
            )));
        }
    }
    Ok(())
}

pub(crate) fn check_target_groups(
    svc: &AutoScaling,
    account: &str,
    region: &str,
    arns: &[String],
) -> Result<(), AwsError> {
    for arn in arns {
        if !svc.deps.target_groups.exists(account, region, arn) {
            return Err(errors::validation(format!(
                "Provided Target Groups may not be valid. Please ensure they exist and try again. Target group {arn} was not found."
            )));
        }
    }
    Ok(())
}

fn check_launch_config(scope: &Scope, name: &str) -> Result<(), AwsError> {
    if scope.launch_configs.contains_key(name) {
        Ok(())
    } else {
        Err(errors::validation(format!(
            "Launch configuration name not found - Launch configuration {name} not found"
        )))
    }
}

fn check_capacity(min: i32, max: i32, desired: i32) -> Result<(), AwsError> {
    if min < 0 || max < 0 || desired < 0 {
        return Err(errors::validation(
            "MinSize, MaxSize and DesiredCapacity must be greater than or equal to 0.",
        ));
    }
    if max < min {
        return Err(errors::max_below_min(max, min));
    }
    if desired < min || desired > max {
        return Err(errors::desired_out_of_range(desired, min, max));
    }
    Ok(())
}

pub(super) async fn create(
    svc: &AutoScaling,
    ctx: &RequestContext,
    input: CreateAutoScalingGroupType,
) -> Result<(), AwsError> {
    let name = input.auto_scaling_group_name.clone();
    if name.is_empty() || name.chars().count() > 255 {
        return Err(errors::validation(
            "1 validation error detected: Value at 'autoScalingGroupName' failed to satisfy constraint: Member must have length between 1 and 255",
        ));
    }
    let sources = [
        input.launch_configuration_name.is_some(),
        input.launch_template.is_some(),
        input.mixed_instances_policy.is_some(),
        input.instance_id.is_some(),
    ];
    if sources.iter().filter(|s| **s).count() != 1 {
        return Err(errors::validation(
            "Valid requests must contain either LaunchTemplate, LaunchConfigurationName, InstanceId or MixedInstancesPolicy parameter.",
        ));
    }
    if input.mixed_instances_policy.is_some() {
        return Err(not_implemented("MixedInstancesPolicy"));
    }
    if input.instance_id.is_some() {
        return Err(not_implemented("creation from an InstanceId"));
    }
    // Traffic sources of type elbv2 are target groups; other types are not built.
    let sources = elbv2_sources(input.traffic_sources.as_deref().unwrap_or_default())?;
    let load_balancers = input.load_balancer_names.clone().unwrap_or_default();
    let desired = input.desired_capacity.unwrap_or(input.min_size);
    check_capacity(input.min_size, input.max_size, desired)?;
    let health = input
        .health_check_type
        .clone()
        .unwrap_or_else(|| "EC2".into());
    check_health_type(&health)?;
    let termination = input
        .termination_policies
        .clone()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| vec!["Default".into()]);
    check_termination_policies(&termination)?;
    if let Some(c) = input.default_cooldown.filter(|c| *c < 0) {
        return Err(errors::validation(format!(
            "DefaultCooldown {c} is not valid. It must be greater than or equal to 0."
        )));
    }
    if let Some(g) = input.health_check_grace_period.filter(|g| *g < 0) {
        return Err(errors::validation(format!(
            "HealthCheckGracePeriod {g} is not valid. It must be greater than or equal to 0."
        )));
    }
    let (account, region) = (ctx.account_id().to_string(), ctx.region.clone());
    let template = match &input.launch_template {
        Some(t) => Some(check_template(svc, &account, &region, t)?),
        None => None,
    };
    let (zones, subnets) = placement(
        svc,
        &account,
        &region,
        input.vpc_zone_identifier.as_deref(),
        input.availability_zones.as_deref(),
    )?;
    let mut target_groups = input.target_group_ar_ns.clone().unwrap_or_default();
    for arn in sources {
        if !target_groups.contains(&arn) {
            target_groups.push(arn);
        }
    }
    check_target_groups(svc, &account, &region, &target_groups)?;
    super::classic::check_load_balancers(svc, &account, &region, &load_balancers)?;
    let mut tags: Vec<TagRec> = Vec::new();
    for t in input.tags.clone().unwrap_or_default() {
        if let Some(rt) = t
            .resource_type
            .as_deref()
            .filter(|r| *r != "auto-scaling-group")
        {
            return Err(errors::validation(format!(
                "Invalid resource type {rt}; the only valid value is auto-scaling-group"
            )));
        }
        if let Some(id) = t.resource_id.as_deref().filter(|id| *id != name) {
            return Err(errors::validation(format!(
                "Tag resource id {id} does not match the group name {name}"
            )));
        }
        let value = t.value.unwrap_or_default();
        check_tag(&t.key, &value)?;
        tags.retain(|x| x.key != t.key);
        tags.push(TagRec {
            key: t.key,
            value,
            propagate: t.propagate_at_launch.unwrap_or(false),
        });
    }
    if tags.len() > MAX_TAGS {
        return Err(errors::limit(format!(
            "The number of tags exceeds the limit of {MAX_TAGS} per Auto Scaling group."
        )));
    }
    tags.sort_by(|a, b| a.key.cmp(&b.key));
    let mut hooks = Vec::new();
    for h in input
        .lifecycle_hook_specification_list
        .clone()
        .unwrap_or_default()
    {
        let rec = super::hooks::hook_rec(
            h.lifecycle_hook_name,
            Some(h.lifecycle_transition),
            h.heartbeat_timeout,
            h.default_result,
            h.notification_target_arn,
            h.role_arn,
            h.notification_metadata,
            None,
        )?;
        hooks.retain(|x: &crate::model::HookRec| x.name != rec.name);
        hooks.push(rec);
    }
    let now = ctx.now.0;
    svc.mutate(&account, &region, |scope| {
        if scope.groups.contains_key(&name) {
            return Err(errors::group_exists(&name));
        }
        if let Some(lc) = &input.launch_configuration_name {
            check_launch_config(scope, lc)?;
        }
        if scope.groups.len() >= MAX_GROUPS {
            return Err(errors::limit(format!(
                "You have reached the limit on the number of Auto Scaling groups ({MAX_GROUPS}) in this Region."
            )));
        }
        let mut g = GroupRec {
            account: account.clone(),
            region: region.clone(),
            name: name.clone(),
            uuid: svc.uuid(),
            created: now,
            launch_config: input.launch_configuration_name.clone(),
            template,
            min: input.min_size,
            max: input.max_size,
            desired: 0,
            default_cooldown: input.default_cooldown.unwrap_or(300),
            zones,
            subnets,
            load_balancers,
            target_groups,
            health_check_type: health,
            grace: input.health_check_grace_period.unwrap_or(
                // AWS's default: 300 s when created from the console or with ELB checks;
                // the API's default is 0.
                0,
            ),
            termination_policies: termination,
            protect_new: input.new_instances_protected_from_scale_in.unwrap_or(false),
            tags,
            suspended: Vec::new(),
            notifications: Vec::new(),
            max_instance_lifetime: input.max_instance_lifetime,
            capacity_rebalance: input.capacity_rebalance.unwrap_or(false),
            default_instance_warmup: input.default_instance_warmup,
            service_linked_role: input.service_linked_role_arn.clone(),
            placement_group: input.placement_group.clone(),
            context: input.context.clone(),
            instances: Vec::new(),
            cooldown_from: None,
            cooldown_secs: 0,
            status: None,
            cause: None,
            launch_failures: 0,
            retry_at: None,
            hooks,
        };
        capacity::set_desired(&mut g, desired, "a user request created an AutoScalingGroup", now);
        Ok((Change::one(Op::PutGroup(g)), ()))
    })
    .await
}

pub(super) async fn update(
    svc: &AutoScaling,
    ctx: &RequestContext,
    input: UpdateAutoScalingGroupType,
) -> Result<(), AwsError> {
    if input.mixed_instances_policy.is_some() {
        return Err(not_implemented("MixedInstancesPolicy"));
    }
    if input.launch_configuration_name.is_some() && input.launch_template.is_some() {
        return Err(errors::validation(
            "Valid requests must contain either LaunchTemplate, LaunchConfigurationName or MixedInstancesPolicy parameter.",
        ));
    }
    if let Some(t) = &input.health_check_type {
        check_health_type(t)?;
    }
    if let Some(p) = input
        .termination_policies
        .as_ref()
        .filter(|p| !p.is_empty())
    {
        check_termination_policies(p)?;
    }
    let (account, region) = (ctx.account_id().to_string(), ctx.region.clone());
    let template = match &input.launch_template {
        Some(t) => Some(check_template(svc, &account, &region, t)?),
        None => None,
    };
    let placed = if input.vpc_zone_identifier.is_some() || input.availability_zones.is_some() {
        Some(placement(
            svc,
            &account,
            &region,
            input.vpc_zone_identifier.as_deref(),
            input.availability_zones.as_deref(),
        )?)
    } else {
        None
    };
    let now = ctx.now.0;
    svc.mutate(&account, &region, |scope| {
        let mut g = live_group(scope, &input.auto_scaling_group_name)?;
        if let Some(lc) = &input.launch_configuration_name {
            check_launch_config(scope, lc)?;
            g.launch_config = Some(lc.clone());
            g.template = None;
        }
        if let Some(t) = template {
            g.template = Some(t);
            g.launch_config = None;
        }
        let min = input.min_size.unwrap_or(g.min);
        let max = input.max_size.unwrap_or(g.max);
        if max < min {
            return Err(errors::max_below_min(max, min));
        }
        let desired = match input.desired_capacity {
            Some(d) => d,
            // A new min above, or max below, the current desired capacity moves it.
            None => g.desired.clamp(min, max),
        };
        check_capacity(min, max, desired)?;
        g.min = min;
        g.max = max;
        if let Some((zones, subnets)) = placed {
            g.zones = zones;
            g.subnets = subnets;
        }
        if let Some(v) = input.default_cooldown {
            g.default_cooldown = v;
        }
        if let Some(v) = input.health_check_type {
            g.health_check_type = v;
        }
        if let Some(v) = input.health_check_grace_period {
            g.grace = v;
        }
        if let Some(v) = input.termination_policies.filter(|p| !p.is_empty()) {
            g.termination_policies = v;
        }
        if let Some(v) = input.new_instances_protected_from_scale_in {
            g.protect_new = v;
        }
        if let Some(v) = input.max_instance_lifetime {
            g.max_instance_lifetime = Some(v);
        }
        if let Some(v) = input.capacity_rebalance {
            g.capacity_rebalance = v;
        }
        if let Some(v) = input.default_instance_warmup {
            g.default_instance_warmup = Some(v);
        }
        if let Some(v) = input.service_linked_role_arn {
            g.service_linked_role = Some(v);
        }
        if let Some(v) = input.placement_group {
            g.placement_group = Some(v);
        }
        if let Some(v) = input.context {
            g.context = Some(v);
        }
        let mut next = g.clone();
        next.desired = desired;
        let reason = constraints_reason("a user request", &next);
        capacity::set_desired(&mut g, desired, &reason, now);
        Ok((Change::one(Op::PutGroup(g)), ()))
    })
    .await
}

pub(super) async fn delete(
    svc: &AutoScaling,
    ctx: &RequestContext,
    input: DeleteAutoScalingGroupType,
) -> Result<(), AwsError> {
    let name = input.auto_scaling_group_name;
    let force = input.force_delete.unwrap_or(false);
    let (account, region) = (ctx.account_id().to_string(), ctx.region.clone());
    let now = ctx.now.0;
    let alarms = svc
        .mutate(&account, &region, |scope| {
            let Some(g) = scope.group(&name) else {
                return Err(errors::no_group(&name));
            };
            if g.status.is_some() {
                return Err(errors::group_deleting(&name));
            }
            let busy = scope
                .activities
                .values()
                .any(|a| a.group == name && a.end.is_none());
            if !force {
                if !g.instances.is_empty() {
                    return Err(errors::group_has_instances());
                }
                if busy {
                    return Err(errors::group_busy());
                }
            }
            let mut change = Change::default();
            let mut alarms = Vec::new();
            for p in scope.policies_of(&name) {
                if p.tracking.is_some() {
                    alarms.extend(p.alarms.iter().map(|(n, _)| n.clone()));
                }
                change.push(Op::DeletePolicy(
                    account.clone(),
                    region.clone(),
                    name.clone(),
                    p.name.clone(),
                ));
            }
            for s in scope.scheduled.values().filter(|s| s.group == name) {
                change.push(Op::DeleteScheduled(
                    account.clone(),
                    region.clone(),
                    name.clone(),
                    s.name.clone(),
                ));
            }
            if g.instances.is_empty() {
                change.push(Op::DeleteGroup(
                    account.clone(),
                    region.clone(),
                    name.clone(),
                ));
            } else {
                // Drain: the reconciler terminates every instance, then deletes the group.
                let mut g = g.clone();
                g.status = Some("Delete in progress".into());
                g.min = 0;
                g.max = 0;
                capacity::set_desired(
                    &mut g,
                    0,
                    "a user request deleted the AutoScalingGroup",
                    now,
                );
                change.push(Op::PutGroup(g));
            }
            Ok((change, alarms))
        })
        .await?;
    if !alarms.is_empty() {
        svc.deps.alarms.delete(&account, &region, &alarms).await;
    }
    Ok(())
}
