//! Running a scaling policy against its group — for CloudWatch's alarm actions
//! ([`AutoScaling::on_alarm`], the entry point the binary wires to the alarm evaluator)
//! and for `ExecutePolicy`: simple scaling honours its cooldown (the policy's, else the
//! group's default), step scaling picks the step by the breach size, target tracking scales
//! proportionally toward its target (out on `AlarmHigh`, in on `AlarmLow` unless scale-in
//! is disabled). The new desired capacity stays within min/max, and the cause is worded as
//! AWS words it. The reconciler launches or terminates afterwards.

use crate::capacity;
use crate::errors;
use crate::model::{GroupRec, PolicyRec};
use crate::persist::{Change, Op};
use crate::scaling;
use crate::state::AutoScaling;
use nimbus_core::AwsError;

/// What set a policy off.
#[derive(Clone, Debug)]
pub(crate) enum Trigger {
    /// A CloudWatch alarm in state ALARM; `value` and `threshold` are the datapoint and
    /// threshold that breached (step scaling and target tracking size their change by them).
    Alarm {
        name: String,
        value: Option<f64>,
        threshold: Option<f64>,
    },
    /// `ExecutePolicy`.
    User {
        honor_cooldown: bool,
        value: Option<f64>,
        threshold: Option<f64>,
    },
}

/// Applies `p` to `g` at `now`: `Ok(Some((old, new)))` when the desired capacity changed,
/// `Ok(None)` when the policy had nothing to do (cooldown, no step matched, already there).
pub(crate) fn apply(
    g: &mut GroupRec,
    p: &PolicyRec,
    trigger: &Trigger,
    now: i64,
) -> Result<Option<(i32, i32)>, AwsError> {
    if !p.enabled {
        return Ok(None);
    }
    let current = g.desired;
    let kind = p.adjustment_type.as_deref().unwrap_or("ChangeInCapacity");
    let new = match p.kind.as_str() {
        "SimpleScaling" => {
            if capacity::in_cooldown(g, now) {
                match trigger {
                    Trigger::User {
                        honor_cooldown: true,
                        ..
                    } => {
                        return Err(crate::generated::errors::scaling_activity_in_progress_fault(
                            "Scaling activity is in progress or the cooldown period is in effect; the policy was not executed.",
                        ))
                    }
                    Trigger::Alarm { .. } => return Ok(None),
                    Trigger::User { .. } => {}
                }
            }
            let adj = p.scaling_adjustment.unwrap_or(0);
            let new = scaling::new_capacity(current, g.min, g.max, kind, adj, p.min_magnitude);
            if new != current {
                capacity::start_cooldown(g, p.cooldown.unwrap_or(g.default_cooldown), now);
            }
            new
        }
        "StepScaling" => {
            let (value, threshold) = match trigger {
                Trigger::Alarm {
                    value, threshold, ..
                }
                | Trigger::User {
                    value, threshold, ..
                } => (*value, *threshold),
            };
            let (Some(v), Some(t)) = (value, threshold) else {
                if matches!(trigger, Trigger::User { .. }) {
                    return Err(errors::validation(
                        "MetricValue and BreachThreshold are required when executing a step scaling policy.",
                    ));
                }
                return Ok(None);
            };
            let Some(step) = scaling::select_step(&p.steps, v - t) else {
                return Ok(None);
            };
            scaling::new_capacity(
                current,
                g.min,
                g.max,
                kind,
                step.adjustment,
                p.min_magnitude,
            )
        }
        "TargetTrackingScaling" => {
            let Trigger::Alarm { name, value, .. } = trigger else {
                return Err(errors::validation(
                    "ExecutePolicy is not supported for target tracking scaling policies.",
                ));
            };
            let Some(t) = &p.tracking else {
                return Ok(None);
            };
            let out = name.contains("-AlarmHigh-");
            if !out && (t.disable_scale_in || !name.contains("-AlarmLow-")) {
                return Ok(None);
            }
            if !out && warming_up(g, p, now) {
                // "Dynamic scaling becomes more conservative when demand decreases: it
                // blocks scale-in activities until new instances finish warming up."
                return Ok(None);
            }
            scaling::tracking_capacity(current, *value, t.target, out).clamp(g.min, g.max)
        }
        _ => return Ok(None),
    };
    if new == current {
        return Ok(None);
    }
    capacity::set_desired(g, new, &reason(p, trigger), now);
    Ok(Some((current, new)))
}

/// Whether an instance of `g` is still warming up for `p`: InService for less than the
/// policy's `EstimatedInstanceWarmup`, else the group's `DefaultInstanceWarmup`, else its
/// default cooldown (AWS's fallback for target tracking and step scaling), or still on its
/// way in (`Pending`).
pub(crate) fn warming_up(g: &GroupRec, p: &PolicyRec, now: i64) -> bool {
    let warmup = p
        .warmup
        .or(g.default_instance_warmup.filter(|w| *w >= 0))
        .unwrap_or(g.default_cooldown);
    let warmup_ms = i64::from(warmup.max(0)) * 1000;
    g.instances.iter().any(|i| {
        i.lifecycle.starts_with("Pending")
            || (i.lifecycle == "InService"
                && i.in_service_since.is_some_and(|t| now < t + warmup_ms))
    })
}

fn reason(p: &PolicyRec, trigger: &Trigger) -> String {
    match trigger {
        Trigger::Alarm { name, .. } => {
            format!(
                "a monitor alarm {name} in state ALARM triggered policy {}",
                p.name
            )
        }
        Trigger::User { .. } => format!("a user request executed policy {}", p.name),
    }
}

/// (account, region) of a policy ARN
/// (`arn:aws:autoscaling:REGION:ACCOUNT:scalingPolicy:…`).
fn scope_of(policy_arn: &str) -> Option<(String, String)> {
    let parts: Vec<&str> = policy_arn.splitn(7, ':').collect();
    if parts.len() < 7 || parts[2] != "autoscaling" || !parts[5].starts_with("scalingPolicy") {
        return None;
    }
    Some((parts[4].to_string(), parts[3].to_string()))
}

impl AutoScaling {
    /// Whether `policy_arn` names an existing scaling policy.
    pub fn policy_exists(&self, policy_arn: &str) -> bool {
        scope_of(policy_arn).is_some_and(|(account, region)| {
            self.read(&account, &region, |s| s.policy_by_arn(policy_arn).is_some())
        })
    }

    /// Runs the policy `policy_arn` because CloudWatch alarm `alarm_name` is in `state`
    /// (only `ALARM` acts). `value` and `threshold` are the breaching datapoint and the
    /// alarm's threshold. Returns the (old, new) desired capacity when it changed; an
    /// unknown policy, a suspended `AlarmNotification` process, a cooldown or a policy with
    /// nothing to do answer `Ok(None)`.
    pub async fn on_alarm(
        &self,
        policy_arn: &str,
        alarm_name: &str,
        state: &str,
        value: Option<f64>,
        threshold: Option<f64>,
    ) -> Result<Option<(i32, i32)>, AwsError> {
        if state != "ALARM" {
            return Ok(None);
        }
        let Some((account, region)) = scope_of(policy_arn) else {
            return Ok(None);
        };
        let now = self.now_ms();
        let trigger = Trigger::Alarm {
            name: alarm_name.to_string(),
            value,
            threshold,
        };
        self.mutate(&account, &region, |scope| {
            let Some(p) = scope.policy_by_arn(policy_arn) else {
                return Ok((Change::default(), None));
            };
            let Some(g) = scope.group(&p.group) else {
                return Ok((Change::default(), None));
            };
            if g.status.is_some() || g.is_suspended("AlarmNotification") {
                return Ok((Change::default(), None));
            }
            let mut change = Change::default();
            // The policy lists the alarms that run it.
            if p.tracking.is_none() && !p.alarms.iter().any(|(n, _)| n == alarm_name) {
                let mut p2 = p.clone();
                p2.alarms.push((
                    alarm_name.to_string(),
                    format!("arn:aws:cloudwatch:{region}:{account}:alarm:{alarm_name}"),
                ));
                change.push(Op::PutPolicy(p2));
            }
            let mut g = g.clone();
            let out = apply(&mut g, p, &trigger, now)?;
            if out.is_some() {
                change.push(Op::PutGroup(g));
            }
            Ok((change, out))
        })
        .await
    }
}
