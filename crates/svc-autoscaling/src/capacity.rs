//! The wording and bookkeeping shared by every path that changes a group's desired
//! capacity (user requests, policies, scheduled actions) and by the reconciler's
//! activities: AWS's cause sentences ("At 2026-12-07T10:00:00Z a user request explicitly
//! set group desired capacity changing the desired capacity from 1 to 2."), the cooldown
//! check, and new [`ActivityRec`]s. Pure functions over records; nothing is stored here.

use crate::model::{ActivityRec, GroupRec};
use nimbus_core::Timestamp;

/// `2026-12-07T10:00:00Z`, as activity causes show times.
pub fn at(ms: i64) -> String {
    Timestamp(ms).to_iso8601_secs()
}

/// Sets the desired capacity to `new` for `reason` ("a user request explicitly set group
/// desired capacity") and records the cause sentence for the activities that follow. A
/// change to the same value records nothing.
pub fn set_desired(g: &mut GroupRec, new: i32, reason: &str, now: i64) {
    let old = g.desired;
    if old == new {
        return;
    }
    g.desired = new;
    g.cause = Some(format!(
        "At {} {reason} changing the desired capacity from {old} to {new}.",
        at(now)
    ));
    // A new target: launch at once, whatever the backoff of earlier failures.
    g.retry_at = None;
    g.launch_failures = 0;
}

/// The reason of an update of the group's constraints.
pub fn constraints_reason(who: &str, g: &GroupRec) -> String {
    format!(
        "{who} update of AutoScalingGroup constraints to min: {}, max: {}, desired: {}",
        g.min, g.max, g.desired
    )
}

/// Whether the group is cooling down at `now` (after a scaling activity, for `secs`).
pub fn in_cooldown(g: &GroupRec, now: i64) -> bool {
    match g.cooldown_from {
        Some(from) => now < from + i64::from(g.cooldown_secs) * 1000,
        None => false,
    }
}

/// Starts a cooldown of `secs` from `now`.
pub fn start_cooldown(g: &mut GroupRec, secs: i32, now: i64) {
    g.cooldown_from = Some(now);
    g.cooldown_secs = secs;
}

/// A new activity of group `g`, in progress.
/// `details` is AWS's JSON of the placement (`{"Subnet ID":…,"Availability Zone":…}`).
pub fn activity(
    g: &GroupRec,
    id: String,
    description: String,
    cause: String,
    details: String,
    now: i64,
) -> ActivityRec {
    ActivityRec {
        account: g.account.clone(),
        region: g.region.clone(),
        id,
        group: g.name.clone(),
        group_arn: g.arn(),
        description,
        cause,
        start: now,
        end: None,
        status: "InProgress".into(),
        message: None,
        progress: 0,
        details,
    }
}

/// Ends an activity.
pub fn finish(a: &mut ActivityRec, status: &str, message: Option<String>, now: i64) {
    a.status = status.to_string();
    a.message = message;
    a.end = Some(now);
    a.progress = 100;
}

/// The cause of an activity: the group's last capacity change (if any) followed by
/// `what`, two spaces apart as AWS joins them.
pub fn cause(g: &GroupRec, what: String) -> String {
    match &g.cause {
        Some(c) => format!("{c}  {what}"),
        None => what,
    }
}
