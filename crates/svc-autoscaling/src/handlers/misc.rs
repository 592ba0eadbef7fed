//! The smaller group settings and the fixed listings: target groups
//! (`Attach`/`Detach`/`DescribeLoadBalancerTargetGroups`, and as `elbv2` traffic sources
//! `Attach`/`Detach`/`DescribeTrafficSources`;
//! attaching registers the group's InService instances, detaching deregisters them; a
//! target group reads `InService` once one of the group's instances passed its ELB health
//! check), scaling processes (`Suspend`/`ResumeProcesses`, `DescribeScalingProcessTypes`), notification
//! configurations (`Put`/`Describe`/`DeleteNotificationConfiguration[s]`; delivery to SNS
//! waits for SNS), account limits and the type listings AWS publishes.

use super::common::{live_group, max_records, page};
use super::groups::check_target_groups;
use crate::capacity::at;
use crate::errors;
use crate::generated::*;
use crate::persist::{Change, Op};
use crate::state::AutoScaling;
use nimbus_core::{AwsError, RequestContext};

pub const PROCESSES: &[&str] = &[
    "AZRebalance",
    "AddToLoadBalancer",
    "AlarmNotification",
    "HealthCheck",
    "InstanceRefresh",
    "Launch",
    "ReplaceUnhealthy",
    "ScheduledActions",
    "Terminate",
];

pub const NOTIFICATION_TYPES: &[&str] = &[
    "autoscaling:EC2_INSTANCE_LAUNCH",
    "autoscaling:EC2_INSTANCE_LAUNCH_ERROR",
    "autoscaling:EC2_INSTANCE_TERMINATE",
    "autoscaling:EC2_INSTANCE_TERMINATE_ERROR",
    "autoscaling:TEST_NOTIFICATION",
];

/// Target groups per Auto Scaling group.
const MAX_TARGET_GROUPS: usize = 50;

pub(super) async fn attach_target_groups(
    svc: &AutoScaling,
    ctx: &RequestContext,
    input: AttachLoadBalancerTargetGroupsType,
) -> Result<AttachLoadBalancerTargetGroupsResultType, AwsError> {
    let (account, region) = (ctx.account_id().to_string(), ctx.region.clone());
    if input.target_group_ar_ns.len() > 10 {
        return Err(errors::validation(
            "You can attach up to 10 target groups per call.",
        ));
    }
    check_target_groups(svc, &account, &region, &input.target_group_ar_ns)?;
    attach_to_group(
        svc,
        &account,
        &region,
        &input.auto_scaling_group_name,
        &input.target_group_ar_ns,
        |g| &mut g.target_groups,
        MAX_TARGET_GROUPS,
        "target groups",
    )
    .await?;
    Ok(AttachLoadBalancerTargetGroupsResultType {})
}

/// `AttachTrafficSources`: target groups (`elbv2`) attach as with
/// `AttachLoadBalancerTargetGroups`.
pub(super) async fn attach_traffic_sources(
    svc: &AutoScaling,
    ctx: &RequestContext,
    input: AttachTrafficSourcesType,
) -> Result<AttachTrafficSourcesResultType, AwsError> {
    let arns = super::groups::elbv2_sources(&input.traffic_sources)?;
    attach_target_groups(
        svc,
        ctx,
        AttachLoadBalancerTargetGroupsType {
            auto_scaling_group_name: input.auto_scaling_group_name,
            target_group_ar_ns: arns,
        },
    )
    .await?;
    Ok(AttachTrafficSourcesResultType {})
}

/// `DetachTrafficSources`: target groups (`elbv2`) detach as with
/// `DetachLoadBalancerTargetGroups`.
pub(super) async fn detach_traffic_sources(
    svc: &AutoScaling,
    ctx: &RequestContext,
    input: DetachTrafficSourcesType,
) -> Result<DetachTrafficSourcesResultType, AwsError> {
    let arns = super::groups::elbv2_sources(&input.traffic_sources)?;
    detach_target_groups(
        svc,
        ctx,
        DetachLoadBalancerTargetGroupsType {
            auto_scaling_group_name: input.auto_scaling_group_name,
            target_group_ar_ns: arns,
        },
    )
    .await?;
    Ok(DetachTrafficSourcesResultType {})
}

pub(super) async fn detach_target_groups(
    svc: &AutoScaling,
    ctx: &RequestContext,
    input: DetachLoadBalancerTargetGroupsType,
) -> Result<DetachLoadBalancerTargetGroupsResultType, AwsError> {
    let (account, region) = (ctx.account_id().to_string(), ctx.region.clone());
    let (removed, ids) = svc
        .mutate(&account, &region, |scope| {
            let mut g = live_group(scope, &input.auto_scaling_group_name)?;
            let removed: Vec<String> = input
                .target_group_ar_ns
                .iter()
                .filter(|a| g.target_groups.contains(a))
                .cloned()
                .collect();
            g.target_groups.retain(|a| !removed.contains(a));
            let ids: Vec<String> = g.instances.iter().map(|i| i.id.clone()).collect();
            Ok((Change::one(Op::PutGroup(g)), (removed, ids)))
        })
        .await?;
    for arn in &removed {
        for id in &ids {
            svc.deps
                .target_groups
                .deregister(&account, &region, arn, id);
        }
    }
    Ok(DetachLoadBalancerTargetGroupsResultType {})
}

/// Each target group of group `name` with its state: `InService` once at least one of the
/// group's InService instances passed the group's ELB health check (as Elastic Load
/// Balancing reports it now), `Added` before.
fn target_group_states(
    svc: &AutoScaling,
    ctx: &RequestContext,
    name: &str,
) -> Result<Vec<(String, &'static str)>, AwsError> {
    let (account, region) = (ctx.account_id().to_string(), ctx.region.clone());
    let (tgs, serving) = svc.read(&account, &region, |scope| {
        let g = scope.group(name).ok_or_else(|| errors::no_group(name))?;
        let serving: Vec<String> = g
            .instances
            .iter()
            .filter(|i| i.lifecycle == "InService")
            .map(|i| i.id.clone())
            .collect();
        Ok::<_, AwsError>((g.target_groups.clone(), serving))
    })?;
    Ok(tgs
        .into_iter()
        .map(|arn| {
            let healthy = serving.iter().any(|id| {
                svc.deps.target_groups.health(&account, &region, &arn, id)
                    == crate::deps::TargetHealth::Healthy
            });
            (arn, if healthy { "InService" } else { "Added" })
        })
        .collect())
}

pub(super) async fn describe_target_groups(
    svc: &AutoScaling,
    ctx: &RequestContext,
    input: DescribeLoadBalancerTargetGroupsRequest,
) -> Result<DescribeLoadBalancerTargetGroupsResponse, AwsError> {
    let size = max_records(input.max_records, 100, 100)?;
    let items = target_group_states(svc, ctx, &input.auto_scaling_group_name)?
        .into_iter()
        .enumerate()
        .map(|(n, (arn, state))| {
            (
                format!("{n:06}"),
                LoadBalancerTargetGroupState {
                    load_balancer_target_group_arn: Some(arn),
                    state: Some(state.into()),
                },
            )
        })
        .collect();
    let (list, next_token) = page(items, input.next_token.as_deref(), size)?;
    Ok(DescribeLoadBalancerTargetGroupsResponse {
        load_balancer_target_groups: Some(list),
        next_token,
    })
}

/// `DescribeTrafficSources`: the group's target groups as `elbv2` traffic sources (the only
/// kind Nimbus attaches), with the same states.
pub(super) async fn describe_traffic_sources(
    svc: &AutoScaling,
    ctx: &RequestContext,
    input: DescribeTrafficSourcesRequest,
) -> Result<DescribeTrafficSourcesResponse, AwsError> {
    let size = max_records(input.max_records, 50, 50)?;
    let wanted = input
        .traffic_source_type
        .as_deref()
        .is_none_or(|t| t == "elbv2");
    let items = target_group_states(svc, ctx, &input.auto_scaling_group_name)?
        .into_iter()
        .filter(|_| wanted)
        .enumerate()
        .map(|(n, (arn, state))| {
            (
                format!("{n:06}"),
                TrafficSourceState {
                    traffic_source: Some(arn.clone()),
                    state: Some(state.into()),
                    identifier: Some(arn),
                    r#type: Some("elbv2".into()),
                },
            )
        })
        .collect();
    let (list, next_token) = page(items, input.next_token.as_deref(), size)?;
    Ok(DescribeTrafficSourcesResponse {
        traffic_sources: Some(list),
        next_token,
    })
}

fn check_processes(p: &[String]) -> Result<(), AwsError> {
    for name in p {
        if !PROCESSES.contains(&name.as_str()) {
            return Err(errors::validation(format!(
                "Process '{name}' is not a valid process name. Valid values: {}.",
                PROCESSES.join(", ")
            )));
        }
    }
    Ok(())
}

pub(super) async fn suspend(
    svc: &AutoScaling,
    ctx: &RequestContext,
    input: ScalingProcessQuery,
) -> Result<(), AwsError> {
    let procs = input
        .scaling_processes
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| PROCESSES.iter().map(|s| s.to_string()).collect());
    check_processes(&procs)?;
    let (account, region) = (ctx.account_id().to_string(), ctx.region.clone());
    let reason = format!("User suspended at {}", at(ctx.now.0));
    svc.mutate(&account, &region, |scope| {
        let mut g = live_group(scope, &input.auto_scaling_group_name)?;
        for p in procs {
            if !g.is_suspended(&p) {
                g.suspended.push((p, reason.clone()));
            }
        }
        g.suspended.sort();
        Ok((Change::one(Op::PutGroup(g)), ()))
    })
    .await
}

pub(super) async fn resume(
    svc: &AutoScaling,
    ctx: &RequestContext,
    input: ScalingProcessQuery,
) -> Result<(), AwsError> {
    let procs = input.scaling_processes.filter(|p| !p.is_empty());
    if let Some(p) = &procs {
        check_processes(p)?;
    }
    let (account, region) = (ctx.account_id().to_string(), ctx.region.clone());
    svc.mutate(&account, &region, |scope| {
        let mut g = live_group(scope, &input.auto_scaling_group_name)?;
        match &procs {
            Some(p) => g.suspended.retain(|(n, _)| !p.contains(n)),
            None => g.suspended.clear(),
        }
        Ok((Change::one(Op::PutGroup(g)), ()))
    })
    .await
}

pub(super) fn process_types() -> ProcessesType {
    ProcessesType {
        processes: Some(
            PROCESSES
                .iter()
                .map(|p| ProcessType {
                    process_name: p.to_string(),
                })
                .collect(),
        ),
    }
}

pub(super) async fn put_notification(
    svc: &AutoScaling,
    ctx: &RequestContext,
    input: PutNotificationConfigurationType,
) -> Result<(), AwsError> {
    for t in &input.notification_types {
        if !NOTIFICATION_TYPES.contains(&t.as_str()) {
            return Err(errors::validation(format!(
                "Notification type {t} is not valid. Valid values: {}.",
                NOTIFICATION_TYPES.join(", ")
            )));
        }
    }
    if !input.topic_arn.starts_with("arn:aws:sns:") {
        return Err(errors::validation(format!(
            "Topic ARN {} is not a valid SNS topic ARN.",
            input.topic_arn
        )));
    }
    let (account, region) = (ctx.account_id().to_string(), ctx.region.clone());
    let g = svc
        .mutate(&account, &region, |scope| {
            let mut g = live_group(scope, &input.auto_scaling_group_name)?;
            // A put replaces the topic's whole set of types.
            g.notifications.retain(|(t, _)| *t != input.topic_arn);
            for t in &input.notification_types {
                g.notifications.push((input.topic_arn.clone(), t.clone()));
            }
            g.notifications.sort();
            g.notifications.dedup();
            Ok((Change::one(Op::PutGroup(g.clone())), g))
        })
        .await?;
    // Auto Scaling confirms the configuration with a test notification to the topic.
    let (subject, message) = crate::notify::test_message(&g, &ctx.request_id, ctx.now.0);
    let _ = svc
        .deps
        .notifier
        .notify(&account, &input.topic_arn, &subject, &message)
        .await;
    Ok(())
}

pub(super) async fn delete_notification(
    svc: &AutoScaling,
    ctx: &RequestContext,
    input: DeleteNotificationConfigurationType,
) -> Result<(), AwsError> {
    let (account, region) = (ctx.account_id().to_string(), ctx.region.clone());
    svc.mutate(&account, &region, |scope| {
        let mut g = live_group(scope, &input.auto_scaling_group_name)?;
        if !g.notifications.iter().any(|(t, _)| *t == input.topic_arn) {
            return Err(errors::validation(format!(
                "No notification configuration found for topic {} on AutoScalingGroup {}.",
                input.topic_arn, input.auto_scaling_group_name
            )));
        }
        g.notifications.retain(|(t, _)| *t != input.topic_arn);
        Ok((Change::one(Op::PutGroup(g)), ()))
    })
    .await
}

pub(super) async fn describe_notifications(
    svc: &AutoScaling,
    ctx: &RequestContext,
    input: DescribeNotificationConfigurationsType,
) -> Result<DescribeNotificationConfigurationsAnswer, AwsError> {
    let size = max_records(input.max_records, 50, 100)?;
    let names = input.auto_scaling_group_names.unwrap_or_default();
    let items = svc.read(ctx.account_id(), &ctx.region, |scope| {
        let mut out = Vec::new();
        for g in scope.groups.values() {
            if !names.is_empty() && !names.contains(&g.name) {
                continue;
            }
            for (topic, kind) in &g.notifications {
                out.push((
                    format!("{}\t{topic}\t{kind}", g.name),
                    NotificationConfiguration {
                        auto_scaling_group_name: Some(g.name.clone()),
                        topic_arn: Some(topic.clone()),
                        notification_type: Some(kind.clone()),
                    },
                ));
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    });
    let (notification_configurations, next_token) = page(items, input.next_token.as_deref(), size)?;
    Ok(DescribeNotificationConfigurationsAnswer {
        notification_configurations,
        next_token,
    })
}

pub(super) fn account_limits(
    svc: &AutoScaling,
    ctx: &RequestContext,
) -> DescribeAccountLimitsAnswer {
    let (groups, lcs) = svc.read(ctx.account_id(), &ctx.region, |s| {
        (s.groups.len(), s.launch_configs.len())
    });
    DescribeAccountLimitsAnswer {
        max_number_of_auto_scaling_groups: Some(super::groups::MAX_GROUPS as i32),
        max_number_of_launch_configurations: Some(super::launch_configs::MAX_LAUNCH_CONFIGS as i32),
        number_of_auto_scaling_groups: Some(groups as i32),
        number_of_launch_configurations: Some(lcs as i32),
    }
}

pub(super) fn metric_collection_types() -> DescribeMetricCollectionTypesAnswer {
    const METRICS: &[&str] = &[
        "GroupMinSize",
        "GroupMaxSize",
        "GroupDesiredCapacity",
        "GroupInServiceInstances",
        "GroupInServiceCapacity",
        "GroupPendingInstances",
        "GroupPendingCapacity",
        "GroupTerminatingInstances",
        "GroupTerminatingCapacity",
        "GroupStandbyInstances",
        "GroupStandbyCapacity",
        "GroupTotalInstances",
        "GroupTotalCapacity",
        "WarmPoolDesiredCapacity",
        "WarmPoolWarmedCapacity",
        "WarmPoolPendingCapacity",
        "WarmPoolTerminatingCapacity",
        "WarmPoolTotalCapacity",
        "GroupAndWarmPoolDesiredCapacity",
        "GroupAndWarmPoolTotalCapacity",
    ];
    DescribeMetricCollectionTypesAnswer {
        metrics: Some(
            METRICS
                .iter()
                .map(|m| MetricCollectionType {
                    metric: Some(m.to_string()),
                })
                .collect(),
        ),
        granularities: Some(vec![MetricGranularityType {
            granularity: Some("1Minute".into()),
        }]),
    }
}

/// Adds `names` (target group ARNs, or Classic load balancer names) to the group's list that
/// `list` picks, refusing more than `max` in all, and registers the group's InService
/// instances with each one added. A failed registration leaves the instance out; the
/// reconciler's next pass registers it again.
#[allow(clippy::too_many_arguments)]
pub(super) async fn attach_to_group(
    svc: &AutoScaling,
    account: &str,
    region: &str,
    group: &str,
    names: &[String],
    list: fn(&mut crate::model::GroupRec) -> &mut Vec<String>,
    max: usize,
    noun: &str,
) -> Result<(), AwsError> {
    let (added, in_service) = svc
        .mutate(account, region, |scope| {
            let mut g = live_group(scope, group)?;
            let mut added = Vec::new();
            for n in names {
                if !list(&mut g).contains(n) {
                    list(&mut g).push(n.clone());
                    added.push(n.clone());
                }
            }
            if list(&mut g).len() > max {
                return Err(errors::limit(format!(
                    "You have reached the limit of {max} {noun} per Auto Scaling group."
                )));
            }
            let in_service: Vec<String> = g
                .instances
                .iter()
                .filter(|i| i.lifecycle == "InService")
                .map(|i| i.id.clone())
                .collect();
            Ok((Change::one(Op::PutGroup(g)), (added, in_service)))
        })
        .await?;
    for n in &added {
        for id in &in_service {
            let _ = svc.deps.target_groups.register(account, region, n, id);
        }
    }
    Ok(())
}
