//! Scheduled actions: `PutScheduledUpdateGroupAction` (one-off at `StartTime`/`Time`, or
//! recurring by a cron `Recurrence` in UTC between `StartTime` and `EndTime`),
//! `DescribeScheduledActions`, `DeleteScheduledAction`. The reconciler runs them by the
//! Nimbus clock (`reconciler::run_scheduled`). Time zones other than UTC are not
//! implemented and say so.

use super::common::{group, live_group, max_records, page};
use crate::cron::Cron;
use crate::errors;
use crate::generated::*;
use crate::model::ScheduledRec;
use crate::persist::{Change, Op};
use crate::state::AutoScaling;
use nimbus_core::{AwsError, RequestContext, Timestamp};

/// "Scheduled actions per Auto Scaling group: 125".
const MAX_SCHEDULED: usize = 125;

/// The next run of an action at or after `now`, or `None` when it has no more runs.
pub(crate) fn next_run(s: &ScheduledRec, now: i64) -> Option<i64> {
    match &s.recurrence {
        None => s.start,
        Some(expr) => {
            let cron = Cron::parse(expr).ok()?;
            let from = s.start.map_or(now, |st| st.max(now));
            let next = cron.next_after(from - 1)?;
            match s.end {
                Some(end) if next > end => None,
                _ => Some(next),
            }
        }
    }
}

pub(super) async fn put(
    svc: &AutoScaling,
    ctx: &RequestContext,
    input: PutScheduledUpdateGroupActionType,
) -> Result<(), AwsError> {
    if input.time.is_some() && input.start_time.is_some() {
        return Err(errors::validation(
            "Time and StartTime are aliases: specify only one of them.",
        ));
    }
    if input.min_size.is_none() && input.max_size.is_none() && input.desired_capacity.is_none() {
        return Err(errors::validation(
            "At least one of MinSize, MaxSize or DesiredCapacity must be specified.",
        ));
    }
    if let Some(tz) = input
        .time_zone
        .as_deref()
        .filter(|z| *z != "UTC" && *z != "Etc/UTC")
    {
        return Err(AwsError::new(
            "NotImplemented",
            501,
            format!("Nimbus runs scheduled actions in UTC only; the time zone {tz} is not implemented yet"),
        ));
    }
    let now = ctx.now.0;
    let start = input.start_time.or(input.time).map(|t| t.0);
    let end = input.end_time.map(|t| t.0);
    if let Some(r) = &input.recurrence {
        Cron::parse(r).map_err(|e| {
            errors::validation(format!("Given recurrence schedule is not valid: {r} ({e})"))
        })?;
    } else if start.is_none() {
        return Err(errors::validation(
            "A one-time scheduled action needs a StartTime (or Time); a recurring one needs a Recurrence.",
        ));
    }
    if let Some(s) = start.filter(|s| *s < now) {
        return Err(errors::validation(format!(
            "Given start time {} is in the past",
            Timestamp(s).to_iso8601_secs()
        )));
    }
    if let (Some(s), Some(e)) = (start, end) {
        if e <= s {
            return Err(errors::validation("End time must be after start time."));
        }
    }
    if let (Some(min), Some(max)) = (input.min_size, input.max_size) {
        if max < min {
            return Err(errors::max_below_min(max, min));
        }
    }
    let (account, region) = (ctx.account_id().to_string(), ctx.region.clone());
    svc.mutate(&account, &region, |scope| {
        live_group(scope, &input.auto_scaling_group_name)?;
        let key = (input.auto_scaling_group_name.clone(), input.scheduled_action_name.clone());
        let existing = scope.scheduled.get(&key);
        if existing.is_none()
            && scope
                .scheduled
                .values()
                .filter(|s| s.group == input.auto_scaling_group_name)
                .count()
                >= MAX_SCHEDULED
        {
            return Err(errors::limit(format!(
                "You have reached the limit of {MAX_SCHEDULED} scheduled actions for this Auto Scaling group."
            )));
        }
        let mut rec = ScheduledRec {
            account: account.clone(),
            region: region.clone(),
            group: input.auto_scaling_group_name.clone(),
            name: input.scheduled_action_name.clone(),
            uuid: existing.map_or_else(|| svc.uuid(), |e| e.uuid.clone()),
            start,
            end,
            recurrence: input.recurrence.clone(),
            min: input.min_size,
            max: input.max_size,
            desired: input.desired_capacity,
            time_zone: input.time_zone.clone(),
            next: None,
        };
        rec.next = next_run(&rec, now);
        Ok((Change::one(Op::PutScheduled(rec)), ()))
    })
    .await
}

fn render(s: &ScheduledRec) -> ScheduledUpdateGroupAction {
    let shown_start = if s.recurrence.is_some() {
        s.next.or(s.start)
    } else {
        s.start
    };
    ScheduledUpdateGroupAction {
        auto_scaling_group_name: Some(s.group.clone()),
        scheduled_action_name: Some(s.name.clone()),
        scheduled_action_arn: Some(s.arn()),
        time: shown_start.map(Timestamp),
        start_time: shown_start.map(Timestamp),
        end_time: s.end.map(Timestamp),
        recurrence: s.recurrence.clone(),
        min_size: s.min,
        max_size: s.max,
        desired_capacity: s.desired,
        time_zone: s.time_zone.clone(),
    }
}

pub(super) async fn describe(
    svc: &AutoScaling,
    ctx: &RequestContext,
    input: DescribeScheduledActionsType,
) -> Result<ScheduledActionsType, AwsError> {
    let size = max_records(input.max_records, 50, 100)?;
    let names = input.scheduled_action_names.unwrap_or_default();
    let (from, to) = (input.start_time.map(|t| t.0), input.end_time.map(|t| t.0));
    let items = svc.read(ctx.account_id(), &ctx.region, |scope| {
        if let Some(g) = &input.auto_scaling_group_name {
            group(scope, g)?;
        }
        Ok::<_, AwsError>(
            scope
                .scheduled
                .values()
                .filter(|s| {
                    input
                        .auto_scaling_group_name
                        .as_ref()
                        .is_none_or(|g| *g == s.group)
                })
                .filter(|s| names.is_empty() || names.contains(&s.name))
                .filter(|s| {
                    let t = s.next.or(s.start).unwrap_or(i64::MAX);
                    from.is_none_or(|f| t >= f) && to.is_none_or(|e| t <= e)
                })
                .map(|s| (format!("{}\t{}", s.group, s.name), render(s)))
                .collect::<Vec<_>>(),
        )
    })?;
    let (list, next_token) = page(items, input.next_token.as_deref(), size)?;
    Ok(ScheduledActionsType {
        scheduled_update_group_actions: Some(list),
        next_token,
    })
}

pub(super) async fn delete(
    svc: &AutoScaling,
    ctx: &RequestContext,
    input: DeleteScheduledActionType,
) -> Result<(), AwsError> {
    let (account, region) = (ctx.account_id().to_string(), ctx.region.clone());
    svc.mutate(&account, &region, |scope| {
        group(scope, &input.auto_scaling_group_name)?;
        let key = (input.auto_scaling_group_name.clone(), input.scheduled_action_name.clone());
        if !scope.scheduled.contains_key(&key) {
            return Err(errors::validation(format!(
                "Scheduled Update Group Action name not found - Could not find scheduled action {} for group {}",
                input.scheduled_action_name, input.auto_scaling_group_name
            )));
        }
        Ok((
            Change::one(Op::DeleteScheduled(account.clone(), region.clone(), key.0, key.1)),
            (),
        ))
    })
    .await
}
