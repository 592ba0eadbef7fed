//! Scaling policies: `PutScalingPolicy` (simple, step and target tracking, validated as
//! AWS does; a target tracking policy creates and owns its `TargetTracking-…-AlarmHigh/
//! AlarmLow` alarms through [`crate::deps::Alarms`]), `DescribePolicies` (with the alarms),
//! `DeletePolicy` (deleting the alarms it owns) and `ExecutePolicy` (see `apply`).
//! Predictive scaling is not implemented and says so.

use super::common::{group, live_group, max_records, page};
use crate::apply::{self, Trigger};
use crate::errors;
use crate::generated::*;
use crate::model::{PolicyRec, StepRec, TargetTrackingRec, TrackedMetric};
use crate::persist::{Change, Op};
use crate::scaling::{self, ADJUSTMENT_TYPES};
use crate::state::{AutoScaling, Scope};
use nimbus_core::{AwsError, RequestContext};

/// "Scaling policies per Auto Scaling group: 50".
const MAX_POLICIES: usize = 50;

const POLICY_TYPES: &[&str] = &[
    "SimpleScaling",
    "StepScaling",
    "TargetTrackingScaling",
    "PredictiveScaling",
];

fn step_recs(steps: &[StepAdjustment]) -> Vec<StepRec> {
    steps
        .iter()
        .map(|s| StepRec {
            lower: s.metric_interval_lower_bound,
            upper: s.metric_interval_upper_bound,
            adjustment: s.scaling_adjustment,
        })
        .collect()
}

fn tracking(c: &TargetTrackingConfiguration) -> Result<TargetTrackingRec, AwsError> {
    let metric = match (&c.predefined_metric_specification, &c.customized_metric_specification) {
        (Some(p), None) => {
            if scaling::predefined_metric(&p.predefined_metric_type).is_none() {
                return Err(errors::validation(format!(
                    "Predefined metric type {} is not valid. Valid values: ASGAverageCPUUtilization, ASGAverageNetworkIn, ASGAverageNetworkOut, ALBRequestCountPerTarget.",
                    p.predefined_metric_type
                )));
            }
            let alb = p.predefined_metric_type == "ALBRequestCountPerTarget";
            match (&p.resource_label, alb) {
                (None, true) => {
                    return Err(errors::validation(
                        "A resource label is required for the predefined metric type ALBRequestCountPerTarget.",
                    ))
                }
                (Some(l), true) => scaling::check_resource_label(l).map_err(errors::validation)?,
                (Some(_), false) => {
                    return Err(errors::validation(format!(
                        "A resource label can only be specified for the predefined metric type ALBRequestCountPerTarget, not {}.",
                        p.predefined_metric_type
                    )))
                }
                (None, false) => {}
            }
            TrackedMetric::Predefined {
                kind: p.predefined_metric_type.clone(),
                label: p.resource_label.clone(),
            }
        }
        (None, Some(m)) => {
            if m.metrics.as_ref().is_some_and(|q| !q.is_empty()) {
                return Err(AwsError::new(
                    "NotImplemented",
                    501,
                    "Nimbus does not implement metric math (Metrics) in customized target tracking metrics yet",
                ));
            }
            let (Some(name), Some(namespace), Some(statistic)) =
                (m.metric_name.clone(), m.namespace.clone(), m.statistic.clone())
            else {
                return Err(errors::validation(
                    "A customized metric specification needs MetricName, Namespace and Statistic.",
                ));
            };
            const STATS: &[&str] = &["Average", "Minimum", "Maximum", "SampleCount", "Sum"];
            if !STATS.contains(&statistic.as_str()) {
                return Err(errors::validation(format!(
                    "Statistic {statistic} is not valid. Valid values: {}.",
                    STATS.join(", ")
                )));
            }
            TrackedMetric::Customized {
                namespace,
                name,
                dimensions: m
                    .dimensions
                    .clone()
                    .unwrap_or_default()
                    .into_iter()
                    .map(|d| (d.name, d.value))
                    .collect(),
                statistic,
                unit: m.unit.clone(),
            }
        }
        _ => {
            return Err(errors::validation(
                "Exactly one of PredefinedMetricSpecification and CustomizedMetricSpecification must be specified.",
            ))
        }
    };
    if !c.target_value.is_finite() || c.target_value <= 0.0 {
        return Err(errors::validation(format!(
            "TargetValue {} is not valid. It must be greater than 0.",
            c.target_value
        )));
    }
    Ok(TargetTrackingRec {
        metric,
        target: c.target_value,
        disable_scale_in: c.disable_scale_in.unwrap_or(false),
    })
}

/// Builds the policy record from the request (everything but the id and alarms).
fn policy_of(
    input: &PutScalingPolicyType,
    account: &str,
    region: &str,
) -> Result<PolicyRec, AwsError> {
    let kind = input
        .policy_type
        .clone()
        .unwrap_or_else(|| "SimpleScaling".into());
    if !POLICY_TYPES.contains(&kind.as_str()) {
        return Err(errors::validation(format!(
            "Policy type {kind} is not valid. Valid values: {}.",
            POLICY_TYPES.join(", ")
        )));
    }
    if kind == "PredictiveScaling" {
        return Err(AwsError::new(
            "NotImplemented",
            501,
            "Nimbus does not implement predictive scaling policies yet",
        ));
    }
    if let Some(t) = &input.adjustment_type {
        if !ADJUSTMENT_TYPES.contains(&t.as_str()) {
            return Err(errors::validation(format!(
                "Adjustment type {t} is not valid. Valid values: {}.",
                ADJUSTMENT_TYPES.join(", ")
            )));
        }
    }
    let magnitude = input.min_adjustment_magnitude.or(input.min_adjustment_step);
    if magnitude.is_some() && input.adjustment_type.as_deref() != Some("PercentChangeInCapacity") {
        return Err(errors::validation(
            "MinAdjustmentMagnitude is only supported with the adjustment type PercentChangeInCapacity.",
        ));
    }
    if magnitude.is_some_and(|m| m < 1) {
        return Err(errors::validation(
            "MinAdjustmentMagnitude must be at least 1.",
        ));
    }
    let not_for = |field: &str, present: bool| -> Result<(), AwsError> {
        if present {
            Err(errors::validation(format!(
                "{field} is not supported for policy type {kind}."
            )))
        } else {
            Ok(())
        }
    };
    let mut rec = PolicyRec {
        account: account.to_string(),
        region: region.to_string(),
        group: input.auto_scaling_group_name.clone(),
        name: input.policy_name.clone(),
        uuid: String::new(),
        kind: kind.clone(),
        adjustment_type: input.adjustment_type.clone(),
        scaling_adjustment: input.scaling_adjustment,
        min_magnitude: magnitude,
        cooldown: input.cooldown,
        aggregation: None,
        steps: Vec::new(),
        warmup: input.estimated_instance_warmup,
        tracking: None,
        enabled: input.enabled.unwrap_or(true),
        alarms: Vec::new(),
    };
    match kind.as_str() {
        "SimpleScaling" => {
            if input.adjustment_type.is_none() {
                return Err(errors::validation(
                    "AdjustmentType is required for policy type SimpleScaling.",
                ));
            }
            if input.scaling_adjustment.is_none() {
                return Err(errors::validation(
                    "ScalingAdjustment is required for policy type SimpleScaling.",
                ));
            }
            not_for("StepAdjustments", input.step_adjustments.is_some())?;
            not_for(
                "TargetTrackingConfiguration",
                input.target_tracking_configuration.is_some(),
            )?;
            not_for(
                "EstimatedInstanceWarmup",
                input.estimated_instance_warmup.is_some(),
            )?;
            not_for(
                "MetricAggregationType",
                input.metric_aggregation_type.is_some(),
            )?;
        }
        "StepScaling" => {
            if input.adjustment_type.is_none() {
                return Err(errors::validation(
                    "AdjustmentType is required for policy type StepScaling.",
                ));
            }
            not_for("ScalingAdjustment", input.scaling_adjustment.is_some())?;
            not_for("Cooldown", input.cooldown.is_some())?;
            not_for(
                "TargetTrackingConfiguration",
                input.target_tracking_configuration.is_some(),
            )?;
            let steps = step_recs(input.step_adjustments.as_deref().unwrap_or_default());
            scaling::check_steps(&steps).map_err(errors::validation)?;
            let agg = input
                .metric_aggregation_type
                .clone()
                .unwrap_or_else(|| "Average".into());
            if !["Average", "Minimum", "Maximum"].contains(&agg.as_str()) {
                return Err(errors::validation(format!(
                    "MetricAggregationType {agg} is not valid. Valid values: Minimum, Maximum, Average."
                )));
            }
            rec.steps = steps;
            rec.aggregation = Some(agg);
        }
        _ => {
            not_for("AdjustmentType", input.adjustment_type.is_some())?;
            not_for("ScalingAdjustment", input.scaling_adjustment.is_some())?;
            not_for("Cooldown", input.cooldown.is_some())?;
            not_for("StepAdjustments", input.step_adjustments.is_some())?;
            not_for("MinAdjustmentMagnitude", magnitude.is_some())?;
            let Some(c) = &input.target_tracking_configuration else {
                return Err(errors::validation(
                    "TargetTrackingConfiguration is required for policy type TargetTrackingScaling.",
                ));
            };
            rec.tracking = Some(tracking(c)?);
        }
    }
    Ok(rec)
}

pub(super) async fn put(
    svc: &AutoScaling,
    ctx: &RequestContext,
    input: PutScalingPolicyType,
) -> Result<PolicyARNType, AwsError> {
    let (account, region) = (ctx.account_id().to_string(), ctx.region.clone());
    let mut rec = policy_of(&input, &account, &region)?;
    // Same name: an update in place (same ARN, same alarm names).
    let existing = svc.read(&account, &region, |scope| {
        live_group(scope, &rec.group)?;
        let key = (rec.group.clone(), rec.name.clone());
        if !scope.policies.contains_key(&key) && scope.policies_of(&rec.group).count() >= MAX_POLICIES {
            return Err(errors::limit(format!(
                "You have reached the limit of {MAX_POLICIES} scaling policies for this Auto Scaling group."
            )));
        }
        Ok(scope.policies.get(&key).cloned())
    })?;
    rec.uuid = existing
        .as_ref()
        .map_or_else(|| svc.uuid(), |p| p.uuid.clone());
    let old_alarms: Vec<String> = existing
        .as_ref()
        .filter(|p| p.tracking.is_some())
        .map(|p| p.alarms.iter().map(|(n, _)| n.clone()).collect())
        .unwrap_or_default();
    if let Some(t) = &rec.tracking {
        let id_of = |kind: &str| {
            old_alarms
                .iter()
                .find_map(|n| {
                    n.split_once(&format!("-{kind}-"))
                        .map(|(_, id)| id.to_string())
                })
                .unwrap_or_else(|| svc.uuid())
        };
        let (high, low) = (id_of("AlarmHigh"), id_of("AlarmLow"));
        let specs = scaling::tracking_alarms(&rec.group, &rec.arn(), t, (&high, &low));
        for spec in &specs {
            let arn = svc.deps.alarms.put(&account, &region, spec).await?;
            rec.alarms.push((spec.name.clone(), arn));
        }
        // Alarms the new shape no longer has (scale-in disabled now): gone.
        let stale: Vec<String> = old_alarms
            .into_iter()
            .filter(|n| !rec.alarms.iter().any(|(m, _)| m == n))
            .collect();
        if !stale.is_empty() {
            svc.deps.alarms.delete(&account, &region, &stale).await;
        }
    } else {
        if !old_alarms.is_empty() {
            svc.deps.alarms.delete(&account, &region, &old_alarms).await;
        }
        if let Some(p) = &existing {
            if p.tracking.is_none() {
                rec.alarms = p.alarms.clone();
            }
        }
    }
    let out = PolicyARNType {
        policy_arn: Some(rec.arn()),
        alarms: Some(render_alarms(&rec)),
    };
    svc.mutate(&account, &region, |scope| {
        live_group(scope, &rec.group)?;
        Ok((Change::one(Op::PutPolicy(rec)), out))
    })
    .await
}

fn render_alarms(p: &PolicyRec) -> Vec<Alarm> {
    p.alarms
        .iter()
        .map(|(n, a)| Alarm {
            alarm_name: Some(n.clone()),
            alarm_arn: Some(a.clone()),
        })
        .collect()
}

fn render(p: &PolicyRec) -> ScalingPolicy {
    ScalingPolicy {
        auto_scaling_group_name: Some(p.group.clone()),
        policy_name: Some(p.name.clone()),
        policy_arn: Some(p.arn()),
        policy_type: Some(p.kind.clone()),
        adjustment_type: p.adjustment_type.clone(),
        min_adjustment_step: p.min_magnitude,
        min_adjustment_magnitude: p.min_magnitude,
        scaling_adjustment: p.scaling_adjustment,
        cooldown: p.cooldown,
        step_adjustments: Some(
            p.steps
                .iter()
                .map(|s| StepAdjustment {
                    metric_interval_lower_bound: s.lower,
                    metric_interval_upper_bound: s.upper,
                    scaling_adjustment: s.adjustment,
                })
                .collect(),
        ),
        metric_aggregation_type: p.aggregation.clone(),
        estimated_instance_warmup: p.warmup,
        alarms: Some(render_alarms(p)),
        target_tracking_configuration: p.tracking.as_ref().map(|t| TargetTrackingConfiguration {
            predefined_metric_specification: match &t.metric {
                TrackedMetric::Predefined { kind, label } => Some(PredefinedMetricSpecification {
                    predefined_metric_type: kind.clone(),
                    resource_label: label.clone(),
                }),
                TrackedMetric::Customized { .. } => None,
            },
            customized_metric_specification: match &t.metric {
                TrackedMetric::Customized {
                    namespace,
                    name,
                    dimensions,
                    statistic,
                    unit,
                } => Some(CustomizedMetricSpecification {
                    metric_name: Some(name.clone()),
                    namespace: Some(namespace.clone()),
                    dimensions: Some(
                        dimensions
                            .iter()
                            .map(|(n, v)| MetricDimension {
                                name: n.clone(),
                                value: v.clone(),
                            })
                            .collect(),
                    ),
                    statistic: Some(statistic.clone()),
                    unit: unit.clone(),
                    ..Default::default()
                }),
                TrackedMetric::Predefined { .. } => None,
            },
            target_value: t.target,
            disable_scale_in: Some(t.disable_scale_in),
        }),
        enabled: Some(p.enabled),
        ..Default::default()
    }
}

pub(super) async fn describe(
    svc: &AutoScaling,
    ctx: &RequestContext,
    input: DescribePoliciesType,
) -> Result<PoliciesType, AwsError> {
    let size = max_records(input.max_records, 50, 100)?;
    let names = input.policy_names.unwrap_or_default();
    let types = input.policy_types.unwrap_or_default();
    let items = svc.read(ctx.account_id(), &ctx.region, |scope| {
        if let Some(g) = &input.auto_scaling_group_name {
            group(scope, g)?;
        }
        Ok::<_, AwsError>(
            scope
                .policies
                .values()
                .filter(|p| {
                    input
                        .auto_scaling_group_name
                        .as_ref()
                        .is_none_or(|g| *g == p.group)
                })
                .filter(|p| names.is_empty() || names.contains(&p.name) || names.contains(&p.arn()))
                .filter(|p| types.is_empty() || types.contains(&p.kind))
                .map(|p| (format!("{}\t{}", p.group, p.name), render(p)))
                .collect::<Vec<_>>(),
        )
    })?;
    let (list, next_token) = page(items, input.next_token.as_deref(), size)?;
    Ok(PoliciesType {
        scaling_policies: Some(list),
        next_token,
    })
}

/// The policy named by `name` (a name within `group`, or an ARN).
fn find<'a>(scope: &'a Scope, group: Option<&str>, name: &str) -> Result<&'a PolicyRec, AwsError> {
    if name.starts_with("arn:") {
        return scope
            .policy_by_arn(name)
            .ok_or_else(|| errors::no_policy(name));
    }
    let Some(g) = group else {
        return Err(errors::validation(
            "AutoScalingGroupName is required when PolicyName is not an ARN.",
        ));
    };
    super::common::group(scope, g)?;
    scope
        .policies
        .get(&(g.to_string(), name.to_string()))
        .ok_or_else(|| errors::no_policy(name))
}

pub(super) async fn delete(
    svc: &AutoScaling,
    ctx: &RequestContext,
    input: DeletePolicyType,
) -> Result<(), AwsError> {
    let (account, region) = (ctx.account_id().to_string(), ctx.region.clone());
    let alarms = svc
        .mutate(&account, &region, |scope| {
            let p = find(
                scope,
                input.auto_scaling_group_name.as_deref(),
                &input.policy_name,
            )?;
            let alarms: Vec<String> = if p.tracking.is_some() {
                p.alarms.iter().map(|(n, _)| n.clone()).collect()
            } else {
                Vec::new()
            };
            Ok((
                Change::one(Op::DeletePolicy(
                    account.clone(),
                    region.clone(),
                    p.group.clone(),
                    p.name.clone(),
                )),
                alarms,
            ))
        })
        .await?;
    if !alarms.is_empty() {
        svc.deps.alarms.delete(&account, &region, &alarms).await;
    }
    Ok(())
}

pub(super) async fn execute(
    svc: &AutoScaling,
    ctx: &RequestContext,
    input: ExecutePolicyType,
) -> Result<(), AwsError> {
    let (account, region) = (ctx.account_id().to_string(), ctx.region.clone());
    let now = ctx.now.0;
    let trigger = Trigger::User {
        honor_cooldown: input.honor_cooldown.unwrap_or(false),
        value: input.metric_value,
        threshold: input.breach_threshold,
    };
    svc.mutate(&account, &region, |scope| {
        let p = find(
            scope,
            input.auto_scaling_group_name.as_deref(),
            &input.policy_name,
        )?;
        let mut g = live_group(scope, &p.group)?;
        if p.kind != "StepScaling"
            && (input.metric_value.is_some() || input.breach_threshold.is_some())
        {
            return Err(errors::validation(
                "MetricValue and BreachThreshold are only supported for step scaling policies.",
            ));
        }
        match apply::apply(&mut g, p, &trigger, now)? {
            Some(_) => Ok((Change::one(Op::PutGroup(g)), ())),
            None => Ok((Change::default(), ())),
        }
    })
    .await
}
