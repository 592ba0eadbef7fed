//! Moving a group's instances out of service without terminating them: `EnterStandby`
//! (InService → Standby, deregistered from the target groups, optionally lowering the
//! desired capacity; otherwise the reconciler launches a replacement), `ExitStandby`
//! (Standby → Pending → InService, raising the desired capacity) and `DetachInstances`
//! (the instance leaves the group and keeps running). Each records a successful activity
//! per instance. Lifecycle hooks are not implemented, so there is no `EnteringStandby` wait.

use super::common::live_group;
use crate::capacity::{self, at};
use crate::errors;
use crate::generated::*;
use crate::model::GroupRec;
use crate::persist::{Change, Op};
use crate::render;
use crate::state::AutoScaling;
use nimbus_core::{AwsError, RequestContext};

fn check_ids(g: &GroupRec, ids: &[String], state: &str) -> Result<(), AwsError> {
    if ids.is_empty() || ids.len() > 20 {
        return Err(errors::validation(
            "The number of instance ids that may be passed in is between 1 and 20.",
        ));
    }
    for id in ids {
        match g.instance(id) {
            None => {
                return Err(errors::validation(format!(
                    "The instance {id} is not part of Auto Scaling group {}.",
                    g.name
                )))
            }
            Some(i) if i.lifecycle != state => {
                return Err(errors::validation(format!(
                    "The instance {id} is not in {state}."
                )))
            }
            Some(_) => {}
        }
    }
    Ok(())
}

fn sizes_error(g: &GroupRec, what: &str, n: usize) -> AwsError {
    errors::validation(format!(
        "AutoScalingGroup {} has min-size={}, max-size={}, and desired-size={}. To {what} {n} instances, please update the AutoScalingGroup sizes appropriately.",
        g.name, g.min, g.max, g.desired
    ))
}

/// Which of the three moves.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Move {
    Enter,
    Exit,
    Detach,
}

async fn run(
    svc: &AutoScaling,
    ctx: &RequestContext,
    group: &str,
    ids: Vec<String>,
    decrement: bool,
    how: Move,
) -> Result<Vec<Activity>, AwsError> {
    let (account, region) = (ctx.account_id().to_string(), ctx.region.clone());
    let now = ctx.now.0;
    let (acts, tgs) = svc
        .mutate(&account, &region, |scope| {
            let mut g = live_group(scope, group)?;
            let from = if how == Move::Exit {
                "Standby"
            } else {
                "InService"
            };
            check_ids(&g, &ids, from)?;
            let n = ids.len() as i32;
            let old = g.desired;
            let new = match (how, decrement) {
                (Move::Exit, _) => old + n,
                (_, true) => old - n,
                (_, false) => old,
            };
            if new < g.min || new > g.max {
                let what = match how {
                    Move::Enter => "place into standby",
                    Move::Exit => "exit standby",
                    Move::Detach => "detach",
                };
                return Err(sizes_error(&g, what, ids.len()));
            }
            g.desired = new;
            let mut change = Change::default();
            let mut out = Vec::new();
            for id in &ids {
                let Some(i) = g.instance(id).cloned() else {
                    return Err(errors::internal_inconsistency());
                };
                let (description, verb) = match how {
                    Move::Enter => (
                        format!("Moving EC2 instance to Standby: {id}"),
                        "moved to standby",
                    ),
                    Move::Exit => (
                        format!("Moving EC2 instance out of Standby: {id}"),
                        "moved out of standby",
                    ),
                    Move::Detach => (format!("Detaching EC2 instance: {id}"), "detached"),
                };
                let capacity_part = if new != old {
                    format!(
                        ", {} the capacity from {old} to {new}",
                        if new > old { "increasing" } else { "shrinking" }
                    )
                } else {
                    String::new()
                };
                let cause = format!(
                    "At {} instance {id} was {verb} in response to a user request{capacity_part}.",
                    at(now)
                );
                let mut act = capacity::activity(
                    &g,
                    svc.uuid(),
                    description,
                    cause,
                    render::placement_details(&i),
                    now,
                );
                match how {
                    Move::Enter => {
                        capacity::finish(&mut act, "Successful", None, now);
                        if let Some(x) = g.instance_mut(id) {
                            x.lifecycle = "Standby".into();
                        }
                    }
                    Move::Detach => {
                        capacity::finish(&mut act, "Successful", None, now);
                        g.instances.retain(|x| x.id != *id);
                    }
                    Move::Exit => {
                        // Back through Pending: the reconciler puts it InService (and into
                        // its target groups) and ends the activity.
                        act.status = "PreInService".into();
                        act.progress = 30;
                        if let Some(x) = g.instance_mut(id) {
                            x.lifecycle = "Pending".into();
                            x.activity = Some(act.id.clone());
                        }
                    }
                }
                out.push(render::activity(&act));
                change.push(Op::PutActivity(act));
            }
            let tgs = g.balancers();
            change.push(Op::PutGroup(g));
            Ok((change, (out, tgs)))
        })
        .await?;
    if how != Move::Exit {
        for tg in &tgs {
            for id in &ids {
                svc.deps.target_groups.deregister(&account, &region, tg, id);
            }
        }
    }
    Ok(acts)
}

pub(super) async fn enter(
    svc: &AutoScaling,
    ctx: &RequestContext,
    input: EnterStandbyQuery,
) -> Result<EnterStandbyAnswer, AwsError> {
    let acts = run(
        svc,
        ctx,
        &input.auto_scaling_group_name,
        input.instance_ids.unwrap_or_default(),
        input.should_decrement_desired_capacity,
        Move::Enter,
    )
    .await?;
    Ok(EnterStandbyAnswer {
        activities: Some(acts),
    })
}

pub(super) async fn exit(
    svc: &AutoScaling,
    ctx: &RequestContext,
    input: ExitStandbyQuery,
) -> Result<ExitStandbyAnswer, AwsError> {
    let acts = run(
        svc,
        ctx,
        &input.auto_scaling_group_name,
        input.instance_ids.unwrap_or_default(),
        false,
        Move::Exit,
    )
    .await?;
    Ok(ExitStandbyAnswer {
        activities: Some(acts),
    })
}

pub(super) async fn detach(
    svc: &AutoScaling,
    ctx: &RequestContext,
    input: DetachInstancesQuery,
) -> Result<DetachInstancesAnswer, AwsError> {
    let acts = run(
        svc,
        ctx,
        &input.auto_scaling_group_name,
        input.instance_ids.unwrap_or_default(),
        input.should_decrement_desired_capacity,
        Move::Detach,
    )
    .await?;
    Ok(DetachInstancesAnswer {
        activities: Some(acts),
    })
}
