//! Lifecycle hooks: `PutLifecycleHook` (create or update; transition, heartbeat timeout
//! 30–7200 s, default result), `DescribeLifecycleHooks`, `DeleteLifecycleHook`, and the
//! calls that end or extend a wait: `CompleteLifecycleAction` (by token or instance id,
//! `CONTINUE` or `ABANDON`) and `RecordLifecycleActionHeartbeat`. The waits themselves
//! (`Pending:Wait`, `Terminating:Wait`, timeouts) are the reconciler's. Notifying a hook's
//! target (SNS/SQS/EventBridge) is not implemented: the target is kept and shown.

use super::common::{group, live_group};
use crate::errors;
use crate::generated::*;
use crate::model::HookRec;
use crate::persist::{Change, Op};
use crate::state::AutoScaling;
use nimbus_core::{AwsError, RequestContext};

/// "Lifecycle hooks per Auto Scaling group: 50".
const MAX_HOOKS: usize = 50;

pub const LAUNCHING: &str = "autoscaling:EC2_INSTANCE_LAUNCHING";
pub const TERMINATING: &str = "autoscaling:EC2_INSTANCE_TERMINATING";

/// Builds a hook from a request's fields, over `old` (an update keeps what it does not
/// change). The transition is required for a new hook.
#[allow(clippy::too_many_arguments)]
pub(crate) fn hook_rec(
    name: String,
    transition: Option<String>,
    heartbeat: Option<i32>,
    default_result: Option<String>,
    target: Option<String>,
    role: Option<String>,
    metadata: Option<String>,
    old: Option<&HookRec>,
) -> Result<HookRec, AwsError> {
    let transition = match (transition, old) {
        (Some(t), _) => t,
        (None, Some(o)) => o.transition.clone(),
        (None, None) => {
            return Err(errors::validation(
                "LifecycleTransition is required when creating a lifecycle hook.",
            ))
        }
    };
    if transition != LAUNCHING && transition != TERMINATING {
        return Err(errors::validation(format!(
            "Invalid Lifecycle Transition: {transition}. Valid values: {LAUNCHING}, {TERMINATING}."
        )));
    }
    let heartbeat_timeout = heartbeat
        .or(old.map(|o| o.heartbeat_timeout))
        .unwrap_or(3600);
    if !(30..=7200).contains(&heartbeat_timeout) {
        return Err(errors::validation(format!(
            "Heartbeat timeout {heartbeat_timeout} is not valid. It must be between 30 and 7200 seconds."
        )));
    }
    let default_result = default_result
        .or(old.map(|o| o.default_result.clone()))
        .unwrap_or_else(|| "ABANDON".into());
    if default_result != "CONTINUE" && default_result != "ABANDON" {
        return Err(errors::validation(format!(
            "Invalid default result {default_result}. Valid values: CONTINUE, ABANDON."
        )));
    }
    if metadata.as_ref().is_some_and(|m| m.len() > 1023) {
        return Err(errors::validation(
            "NotificationMetadata must be at most 1023 characters long.",
        ));
    }
    Ok(HookRec {
        name,
        transition,
        heartbeat_timeout,
        default_result,
        notification_target: target.or(old.and_then(|o| o.notification_target.clone())),
        role_arn: role.or(old.and_then(|o| o.role_arn.clone())),
        metadata: metadata.or(old.and_then(|o| o.metadata.clone())),
    })
}

pub(super) async fn put(
    svc: &AutoScaling,
    ctx: &RequestContext,
    input: PutLifecycleHookType,
) -> Result<PutLifecycleHookAnswer, AwsError> {
    let (account, region) = (ctx.account_id().to_string(), ctx.region.clone());
    svc.mutate(&account, &region, |scope| {
        let mut g = live_group(scope, &input.auto_scaling_group_name)?;
        let old = g.hooks.iter().find(|h| h.name == input.lifecycle_hook_name);
        let rec = hook_rec(
            input.lifecycle_hook_name.clone(),
            input.lifecycle_transition.clone(),
            input.heartbeat_timeout,
            input.default_result.clone(),
            input.notification_target_arn.clone(),
            input.role_arn.clone(),
            input.notification_metadata.clone(),
            old,
        )?;
        if old.is_none() && g.hooks.len() >= MAX_HOOKS {
            return Err(errors::limit(format!(
                "You have reached the limit of {MAX_HOOKS} lifecycle hooks for this Auto Scaling group."
            )));
        }
        g.hooks.retain(|h| h.name != rec.name);
        g.hooks.push(rec);
        g.hooks.sort_by(|a, b| a.name.cmp(&b.name));
        Ok((Change::one(Op::PutGroup(g)), PutLifecycleHookAnswer {}))
    })
    .await
}

pub(super) async fn describe(
    svc: &AutoScaling,
    ctx: &RequestContext,
    input: DescribeLifecycleHooksType,
) -> Result<DescribeLifecycleHooksAnswer, AwsError> {
    let names = input.lifecycle_hook_names.unwrap_or_default();
    svc.read(ctx.account_id(), &ctx.region, |scope| {
        let g = group(scope, &input.auto_scaling_group_name)?;
        Ok(DescribeLifecycleHooksAnswer {
            lifecycle_hooks: Some(
                g.hooks
                    .iter()
                    .filter(|h| names.is_empty() || names.contains(&h.name))
                    .map(|h| LifecycleHook {
                        lifecycle_hook_name: Some(h.name.clone()),
                        auto_scaling_group_name: Some(g.name.clone()),
                        lifecycle_transition: Some(h.transition.clone()),
                        notification_target_arn: h.notification_target.clone(),
                        role_arn: h.role_arn.clone(),
                        notification_metadata: h.metadata.clone(),
                        heartbeat_timeout: Some(h.heartbeat_timeout),
                        global_timeout: Some(h.global_timeout()),
                        default_result: Some(h.default_result.clone()),
                    })
                    .collect(),
            ),
        })
    })
}

pub(super) async fn delete(
    svc: &AutoScaling,
    ctx: &RequestContext,
    input: DeleteLifecycleHookType,
) -> Result<DeleteLifecycleHookAnswer, AwsError> {
    let (account, region) = (ctx.account_id().to_string(), ctx.region.clone());
    svc.mutate(&account, &region, |scope| {
        let mut g = live_group(scope, &input.auto_scaling_group_name)?;
        if !g.hooks.iter().any(|h| h.name == input.lifecycle_hook_name) {
            return Err(errors::validation(format!(
                "No Lifecycle Hook found with name {} for group {}",
                input.lifecycle_hook_name, input.auto_scaling_group_name
            )));
        }
        g.hooks.retain(|h| h.name != input.lifecycle_hook_name);
        Ok((Change::one(Op::PutGroup(g)), DeleteLifecycleHookAnswer {}))
    })
    .await
}

/// Finds the waiting instance a lifecycle call names (by token or instance id) and lets
/// `f` change its wait.
async fn on_wait(
    svc: &AutoScaling,
    ctx: &RequestContext,
    group_name: &str,
    hook: &str,
    token: Option<&str>,
    instance: Option<&str>,
    f: impl FnOnce(&mut crate::model::HookWait, &HookRec, i64),
) -> Result<(), AwsError> {
    let (account, region) = (ctx.account_id().to_string(), ctx.region.clone());
    let now = ctx.now.0;
    svc.mutate(&account, &region, |scope| {
        let mut g = live_group(scope, group_name)?;
        let Some(h) = g.hooks.iter().find(|h| h.name == hook).cloned() else {
            return Err(errors::validation(format!(
                "No Lifecycle Hook found with name {hook} for group {group_name}"
            )));
        };
        let waiting = g.instances.iter_mut().find(|i| {
            i.hook.as_ref().is_some_and(|w| {
                w.hook == hook
                    && w.result.is_none()
                    && match (token, instance) {
                        (Some(t), _) => w.token == t,
                        (None, Some(id)) => i.id == id,
                        (None, None) => false,
                    }
            })
        });
        let Some(i) = waiting else {
            return Err(match (token, instance) {
                (Some(t), _) => {
                    errors::validation(format!("No active Lifecycle Action found with token {t}"))
                }
                (None, Some(id)) => errors::validation(format!(
                    "No active Lifecycle Action found with instance ID {id}"
                )),
                (None, None) => errors::validation(
                    "Either LifecycleActionToken or InstanceId must be specified.",
                ),
            });
        };
        if let Some(w) = i.hook.as_mut() {
            f(w, &h, now);
        }
        Ok((Change::one(Op::PutGroup(g)), ()))
    })
    .await
}

pub(super) async fn complete(
    svc: &AutoScaling,
    ctx: &RequestContext,
    input: CompleteLifecycleActionType,
) -> Result<CompleteLifecycleActionAnswer, AwsError> {
    let result = input.lifecycle_action_result.clone();
    if result != "CONTINUE" && result != "ABANDON" {
        return Err(errors::validation(format!(
            "Invalid lifecycle action result {result}. Valid values: CONTINUE, ABANDON."
        )));
    }
    on_wait(
        svc,
        ctx,
        &input.auto_scaling_group_name,
        &input.lifecycle_hook_name,
        input.lifecycle_action_token.as_deref(),
        input.instance_id.as_deref(),
        |w, _, _| w.result = Some(result),
    )
    .await?;
    Ok(CompleteLifecycleActionAnswer {})
}

pub(super) async fn heartbeat(
    svc: &AutoScaling,
    ctx: &RequestContext,
    input: RecordLifecycleActionHeartbeatType,
) -> Result<RecordLifecycleActionHeartbeatAnswer, AwsError> {
    on_wait(
        svc,
        ctx,
        &input.auto_scaling_group_name,
        &input.lifecycle_hook_name,
        input.lifecycle_action_token.as_deref(),
        input.instance_id.as_deref(),
        |w, h, now| {
            // Restarts the heartbeat timeout, never past the global timeout.
            let global = w.started + i64::from(h.global_timeout()) * 1000;
            w.deadline = (now + i64::from(h.heartbeat_timeout) * 1000).min(global);
        },
    )
    .await?;
    Ok(RecordLifecycleActionHeartbeatAnswer {})
}
