//! Scaling policy math, pure (no state, no time): how an adjustment turns into a new
//! desired capacity (`ChangeInCapacity`, `ExactCapacity`, `PercentChangeInCapacity` with
//! AWS's rounding and `MinAdjustmentMagnitude`, clamped to min/max), step adjustment
//! validation and selection by breach size, target tracking's proportional capacity, and
//! the CloudWatch alarms a target tracking policy owns
//! (<https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-scaling-simple-step.html>,
//! <https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-scaling-target-tracking.html>).

use crate::deps::AlarmSpec;
use crate::model::{StepRec, TargetTrackingRec, TrackedMetric};

pub const ADJUSTMENT_TYPES: &[&str] = &[
    "ChangeInCapacity",
    "ExactCapacity",
    "PercentChangeInCapacity",
];

/// The change a `PercentChangeInCapacity` adjustment of `percent` makes to `current`:
/// AWS rounds a result between 0 and 1 (or 0 and -1) away from zero to ±1, and any other
/// fractional result toward zero (12.7 → 12, -6.67 → -6).
pub fn percent_change(current: i32, percent: i32) -> i32 {
    let raw = f64::from(current) * f64::from(percent) / 100.0;
    if raw > 0.0 && raw < 1.0 {
        1
    } else if raw < 0.0 && raw > -1.0 {
        -1
    } else {
        raw.trunc() as i32
    }
}

/// The desired capacity after applying `adjustment` of `kind` to `current`, before
/// clamping; `min_magnitude` applies to percent changes only.
pub fn adjusted(current: i32, kind: &str, adjustment: i32, min_magnitude: Option<i32>) -> i32 {
    match kind {
        "ExactCapacity" => adjustment,
        "PercentChangeInCapacity" => {
            let mut delta = percent_change(current, adjustment);
            if let Some(m) = min_magnitude.filter(|m| *m > 0) {
                if delta != 0 && delta.abs() < m {
                    delta = m * delta.signum();
                }
            }
            current.saturating_add(delta)
        }
        _ => current.saturating_add(adjustment),
    }
}

/// `adjusted`, clamped to the group's limits.
pub fn new_capacity(
    current: i32,
    min: i32,
    max: i32,
    kind: &str,
    adjustment: i32,
    min_magnitude: Option<i32>,
) -> i32 {
    adjusted(current, kind, adjustment, min_magnitude).clamp(min, max)
}

/// Checks step adjustments as AWS does: bounds ordered, no overlap, no gap, at most one
/// open lower bound and one open upper bound. `Err` is the ValidationError message.
pub fn check_steps(steps: &[StepRec]) -> Result<(), String> {
    if steps.is_empty() {
        return Err("StepAdjustments must contain at least one step adjustment.".into());
    }
    for s in steps {
        if s.lower.is_none() && s.upper.is_none() {
            return Err(
                "A step adjustment must have a lower bound or an upper bound (or both).".into(),
            );
        }
        if let (Some(l), Some(u)) = (s.lower, s.upper) {
            if l >= u {
                return Err(format!(
                    "Step adjustment lower bound {l} must be less than its upper bound {u}."
                ));
            }
        }
    }
    if steps.iter().filter(|s| s.lower.is_none()).count() > 1 {
        return Err("There can be at most one step adjustment with a null lower bound.".into());
    }
    if steps.iter().filter(|s| s.upper.is_none()).count() > 1 {
        return Err("There can be at most one step adjustment with a null upper bound.".into());
    }
    let mut sorted: Vec<&StepRec> = steps.iter().collect();
    sorted.sort_by(|a, b| {
        let la = a.lower.unwrap_or(f64::NEG_INFINITY);
        let lb = b.lower.unwrap_or(f64::NEG_INFINITY);
        la.total_cmp(&lb)
    });
    for w in sorted.windows(2) {
        let upper = w[0].upper.unwrap_or(f64::INFINITY);
        let lower = w[1].lower.unwrap_or(f64::NEG_INFINITY);
        if upper > lower {
            return Err("Step adjustments must not overlap.".into());
        }
        if upper < lower {
            return Err("Step adjustments must not have gaps between them.".into());
        }
    }
    Ok(())
}

/// The step whose interval holds `breach` (metric value minus the alarm's threshold):
/// above the threshold the lower bound is inclusive and the upper exclusive, below it the
/// other way round.
pub fn select_step(steps: &[StepRec], breach: f64) -> Option<&StepRec> {
    steps.iter().find(|s| {
        let lo = s.lower.unwrap_or(f64::NEG_INFINITY);
        let hi = s.upper.unwrap_or(f64::INFINITY);
        if breach >= 0.0 {
            lo <= breach && breach < hi
        } else {
            lo < breach && breach <= hi
        }
    })
}

/// Target tracking's new capacity when the metric is at `value` for a target of `target`
/// with `current` instances: proportional (`ceil(current × value / target)`), at least one
/// more when scaling out and one fewer when scaling in; without a value, one step.
pub fn tracking_capacity(current: i32, value: Option<f64>, target: f64, scale_out: bool) -> i32 {
    let base = current.max(1);
    let proportional = value
        .filter(|v| v.is_finite() && target > 0.0)
        .map(|v| (f64::from(base) * v / target).ceil() as i32);
    if scale_out {
        proportional.map_or(current + 1, |p| p.max(current + 1))
    } else {
        proportional.map_or(current - 1, |p| p.min(current - 1))
    }
}

/// The predefined metric types of target tracking, with their CloudWatch metric and
/// statistic.
pub fn predefined_metric(kind: &str) -> Option<(&'static str, &'static str, &'static str)> {
    match kind {
        "ASGAverageCPUUtilization" => Some(("AWS/EC2", "CPUUtilization", "Average")),
        "ASGAverageNetworkIn" => Some(("AWS/EC2", "NetworkIn", "Average")),
        "ASGAverageNetworkOut" => Some(("AWS/EC2", "NetworkOut", "Average")),
        "ALBRequestCountPerTarget" => Some(("AWS/ApplicationELB", "RequestCountPerTarget", "Sum")),
        _ => None,
    }
}

/// Checks an `ALBRequestCountPerTarget` resource label:
/// `app/<load-balancer-name>/<id>/targetgroup/<target-group-name>/<id>`.
pub fn check_resource_label(label: &str) -> Result<(), String> {
    let parts: Vec<&str> = label.split('/').collect();
    let ok = parts.len() == 6
        && parts[0] == "app"
        && parts[3] == "targetgroup"
        && parts.iter().all(|p| !p.is_empty());
    if ok {
        Ok(())
    } else {
        Err(format!(
            "Invalid resource label {label}. Expected format: app/<load-balancer-name>/<load-balancer-id>/targetgroup/<target-group-name>/<target-group-id>"
        ))
    }
}

/// The alarms a target tracking policy owns, as AWS creates them: `AlarmHigh` (3 of 3
/// one-minute periods above the target) and, unless scale-in is disabled, `AlarmLow` (15
/// of 15 one-minute periods below 90 % of the target).
pub fn tracking_alarms(
    group: &str,
    policy_arn: &str,
    t: &TargetTrackingRec,
    uuids: (&str, &str),
) -> Vec<AlarmSpec> {
    let (namespace, metric_name, statistic, dimensions, unit) = match &t.metric {
        TrackedMetric::Predefined { kind, label } => {
            let (ns, name, stat) =
                predefined_metric(kind).unwrap_or(("AWS/EC2", "CPUUtilization", "Average"));
            let dims = match label {
                Some(l) if kind == "ALBRequestCountPerTarget" => {
                    // The label's target group part names the metric's TargetGroup dimension.
                    let tg = l
                        .split_once("/targetgroup/")
                        .map(|(_, t)| format!("targetgroup/{t}"));
                    vec![("TargetGroup".to_string(), tg.unwrap_or_default())]
                }
                _ => vec![("AutoScalingGroupName".to_string(), group.to_string())],
            };
            (
                ns.to_string(),
                name.to_string(),
                stat.to_string(),
                dims,
                None,
            )
        }
        TrackedMetric::Customized {
            namespace,
            name,
            dimensions,
            statistic,
            unit,
        } => (
            namespace.clone(),
            name.clone(),
            statistic.clone(),
            dimensions.clone(),
            unit.clone(),
        ),
    };
    let description =
        format!("DO NOT EDIT OR DELETE. For TargetTrackingScaling policy {policy_arn}.");
    let mut out = vec![AlarmSpec {
        name: format!("TargetTracking-{group}-AlarmHigh-{}", uuids.0),
        description: description.clone(),
        namespace: namespace.clone(),
        metric_name: metric_name.clone(),
        dimensions: dimensions.clone(),
        statistic: statistic.clone(),
        unit: unit.clone(),
        period: 60,
        evaluation_periods: 3,
        datapoints_to_alarm: 3,
        threshold: t.target,
        comparison: "GreaterThanThreshold".into(),
        actions: vec![policy_arn.to_string()],
    }];
    if !t.disable_scale_in {
        out.push(AlarmSpec {
            name: format!("TargetTracking-{group}-AlarmLow-{}", uuids.1),
            description,
            namespace,
            metric_name,
            dimensions,
            statistic,
            unit,
            period: 60,
            evaluation_periods: 15,
            datapoints_to_alarm: 15,
            threshold: t.target * 0.9,
            comparison: "LessThanThreshold".into(),
            actions: vec![policy_arn.to_string()],
        });
    }
    out
}

#[cfg(test)]
mod tests;
