//! The calls that act on a live group's capacity and instances: `SetDesiredCapacity`
//! (with `HonorCooldown`), `SetInstanceProtection`, `SetInstanceHealth` (respecting the
//! grace period unless told not to) and `TerminateInstanceInAutoScalingGroup`. They change
//! records only; the reconciler does the launching and terminating.

use super::common::live_group;
use crate::capacity;
use crate::errors;
use crate::generated::*;
use crate::persist::{Change, Op};
use crate::render;
use crate::state::{AutoScaling, Scope};
use nimbus_core::{AwsError, RequestContext};

pub(super) async fn set_desired_capacity(
    svc: &AutoScaling,
    ctx: &RequestContext,
    input: SetDesiredCapacityType,
) -> Result<(), AwsError> {
    let (account, region) = (ctx.account_id().to_string(), ctx.region.clone());
    let now = ctx.now.0;
    let d = input.desired_capacity;
    svc.mutate(&account, &region, |scope| {
        let mut g = live_group(scope, &input.auto_scaling_group_name)?;
        if d > g.max {
            return Err(errors::validation(format!(
                "New SetDesiredCapacity value {d} is above max value {} for the AutoScalingGroup.",
                g.max
            )));
        }
        if d < g.min {
            return Err(errors::validation(format!(
                "New SetDesiredCapacity value {d} is below min value {} for the AutoScalingGroup.",
                g.min
            )));
        }
        if input.honor_cooldown.unwrap_or(false) && capacity::in_cooldown(&g, now) {
            return Err(crate::generated::errors::scaling_activity_in_progress_fault(
                "Scaling activity is in progress or the cooldown period is in effect; the desired capacity was not changed.",
            ));
        }
        if d == g.desired {
            return Ok((Change::default(), ()));
        }
        capacity::set_desired(
            &mut g,
            d,
            "a user request explicitly set group desired capacity",
            now,
        );
        let secs = g.default_cooldown;
        capacity::start_cooldown(&mut g, secs, now);
        Ok((Change::one(Op::PutGroup(g)), ()))
    })
    .await
}

pub(super) async fn set_instance_protection(
    svc: &AutoScaling,
    ctx: &RequestContext,
    input: SetInstanceProtectionQuery,
) -> Result<SetInstanceProtectionAnswer, AwsError> {
    let (account, region) = (ctx.account_id().to_string(), ctx.region.clone());
    if input.instance_ids.len() > 50 {
        return Err(errors::validation(
            "The number of instance ids that may be passed in is limited to 50.",
        ));
    }
    svc.mutate(&account, &region, |scope| {
        let mut g = live_group(scope, &input.auto_scaling_group_name)?;
        for id in &input.instance_ids {
            let Some(i) = g.instance_mut(id) else {
                return Err(errors::validation(format!(
                    "The instance {id} is not part of Auto Scaling group {}.",
                    input.auto_scaling_group_name
                )));
            };
            i.protected = input.protected_from_scale_in;
        }
        Ok((Change::one(Op::PutGroup(g)), SetInstanceProtectionAnswer {}))
    })
    .await
}

/// The group holding instance `id` in this scope.
fn group_of<'a>(scope: &'a Scope, id: &str) -> Option<&'a crate::model::GroupRec> {
    scope
        .groups
        .values()
        .find(|g| g.instances.iter().any(|i| i.id == id))
}

pub(super) async fn set_instance_health(
    svc: &AutoScaling,
    ctx: &RequestContext,
    input: SetInstanceHealthQuery,
) -> Result<(), AwsError> {
    let status = input.health_status.as_str();
    if status != "Healthy" && status != "Unhealthy" {
        return Err(errors::validation(format!(
            "Valid instance health states are: [Healthy, Unhealthy]. Value {status} is not valid."
        )));
    }
    let (account, region) = (ctx.account_id().to_string(), ctx.region.clone());
    let now = ctx.now.0;
    let respect = input.should_respect_grace_period.unwrap_or(true);
    svc.mutate(&account, &region, |scope| {
        let Some(g) = group_of(scope, &input.instance_id) else {
            return Err(errors::validation(format!(
                "Instance Id not found - No managed instance found for instance ID: {}",
                input.instance_id
            )));
        };
        let mut g = g.clone();
        let grace_ms = i64::from(g.grace) * 1000;
        let Some(i) = g.instance_mut(&input.instance_id) else {
            return Err(errors::internal_inconsistency());
        };
        // Within the grace period a report is ignored unless the caller says otherwise
        // (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_SetInstanceHealth.html).
        if respect && status == "Unhealthy" && now < i.launched + grace_ms {
            return Ok((Change::default(), ()));
        }
        i.health = status.to_string();
        i.unhealthy_reason = (status == "Unhealthy").then(|| "a user health-check".to_string());
        Ok((Change::one(Op::PutGroup(g)), ()))
    })
    .await
}

pub(super) async fn terminate_instance(
    svc: &AutoScaling,
    ctx: &RequestContext,
    input: TerminateInstanceInAutoScalingGroupType,
) -> Result<ActivityType, AwsError> {
    let (account, region) = (ctx.account_id().to_string(), ctx.region.clone());
    let now = ctx.now.0;
    let id = input.instance_id.clone();
    svc.mutate(&account, &region, |scope| {
        let Some(g) = group_of(scope, &id) else {
            return Err(errors::validation(format!(
                "Instance Id not found - No managed instance found for instance ID: {id}"
            )));
        };
        let mut g = g.clone();
        let old = g.desired;
        if input.should_decrement_desired_capacity {
            if g.desired <= g.min {
                return Err(errors::validation(format!(
                    "Currently, desiredSize equals minSize ({}). Terminating instance without replacement will violate group's min size constraint. Either set shouldDecrementDesiredCapacity flag to false or lower group's min size.",
                    g.min
                )));
            }
            g.desired -= 1;
        }
        let Some(i) = g.instance(&id).cloned() else {
            return Err(errors::internal_inconsistency());
        };
        if i.lifecycle.starts_with("Terminat") {
            return Err(errors::validation(format!(
                "The instance {id} is already being terminated."
            )));
        }
        let what = if input.should_decrement_desired_capacity {
            format!(
                "At {} instance {id} was taken out of service in response to a user request, shrinking the capacity from {old} to {}.",
                capacity::at(now),
                g.desired
            )
        } else {
            format!(
                "At {} instance {id} was taken out of service in response to a user request.",
                capacity::at(now)
            )
        };
        let act = capacity::activity(
            &g,
            svc.uuid(),
            format!("Terminating EC2 instance: {id}"),
            what.clone(),
            render::placement_details(&i),
            now,
        );
        let hook = g.hook_for(super::hooks::TERMINATING).cloned();
        let token = svc.uuid();
        if let Some(x) = g.instance_mut(&id) {
            // A termination hook holds it in Terminating:Wait first (the reconciler ends it).
            match hook {
                Some(h) => {
                    x.lifecycle = "Terminating:Wait".into();
                    x.hook = Some(crate::model::HookWait {
                        hook: h.name,
                        token,
                        started: now,
                        deadline: now + i64::from(h.heartbeat_timeout) * 1000,
                        result: None,
                    });
                }
                None => x.lifecycle = "Terminating".into(),
            }
            x.terminate_cause = Some(what);
            x.activity = Some(act.id.clone());
        }
        let out = ActivityType {
            activity: Some(render::activity(&act)),
        };
        let mut change = Change::one(Op::PutGroup(g));
        change.push(Op::PutActivity(act));
        Ok((change, out))
    })
    .await
}
