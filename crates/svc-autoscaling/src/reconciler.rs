//! The group reconciler: a named worker (`autoscaling-reconciler`) that, every second of
//! Nimbus time, runs due scheduled actions and drives each group toward its desired
//! capacity through the [`crate::deps`] traits. One pass over a group
//! ([`AutoScaling::reconcile_group`]):
//! 1. observes its instances (Pending → InService once running, registering them with the
//!    group's target groups; EC2 and, for `ELB` groups, target-group health after the grace
//!    period);
//! 2. takes unhealthy instances out of service (unless `ReplaceUnhealthy` is suspended);
//! 3. launches (AZ-balanced, one subnet of the emptiest zone, the template version
//!    resolved, tags propagated: `launch`) or picks instances to terminate by the
//!    termination policies (`termination`), never scale-in-protected ones; lifecycle hooks
//!    hold launches in `Pending:Wait` and terminations in `Terminating:Wait`;
//! 4. deregisters terminating instances, waits out the draining delay, then terminates them;
//! 5. records every launch and termination as an activity with AWS's wording.
//!
//! Side effects (fleet, target groups) happen outside the state lock on a snapshot; the
//! result is merged into whatever the group became meanwhile (a user's protection, health
//! or termination request wins). Failed launches back off (10 s doubling to 5 min).

use crate::capacity::{self, at};
use crate::deps::{Observed, TargetHealth};
use crate::model::{ActivityRec, GroupRec, HookWait, InstanceRec, LaunchConfigRec};
use crate::persist::{Change, Op};
use crate::render;
use crate::state::AutoScaling;
use nimbus_core::{AwsError, Clock};
use nimbus_workers::{RunFuture, Stop, Worker};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// How often (Nimbus time) the reconciler passes over every group.
pub const INTERVAL: Duration = Duration::from_secs(1);

/// How long finished activities are kept: AWS keeps six weeks of scaling history.
pub const ACTIVITY_KEPT_MS: i64 = 42 * 86_400_000;

/// The worker.
pub struct Reconciler {
    pub svc: AutoScaling,
}

impl Worker for Reconciler {
    fn name(&self) -> String {
        "autoscaling-reconciler".into()
    }

    fn run(self: Arc<Self>, mut stop: Stop) -> RunFuture {
        Box::pin(async move {
            let clock: Arc<dyn Clock> = self.svc.clock.clone();
            loop {
                self.svc
                    .reconcile_all()
                    .await
                    .map_err(|e| anyhow::anyhow!("reconciling Auto Scaling groups: {e}"))?;
                if !stop.sleep(clock.as_ref(), INTERVAL).await {
                    return Ok(());
                }
            }
        })
    }
}

pub(crate) fn backoff_ms(failures: u32) -> i64 {
    let secs = 10i64.saturating_mul(1i64 << failures.saturating_sub(1).min(10));
    secs.min(300) * 1000
}

/// What one pass has to write besides the group.
pub(crate) struct Pass {
    pub(crate) g: GroupRec,
    pub(crate) activities: BTreeMap<String, ActivityRec>,
    pub(crate) now: i64,
}

impl Pass {
    pub(crate) fn activity_mut(&mut self, id: &Option<String>) -> Option<&mut ActivityRec> {
        id.as_ref().and_then(|id| self.activities.get_mut(id))
    }
}

impl AutoScaling {
    /// One pass over every group of every scope (scheduled actions first), then drops
    /// activities past AWS's six weeks of history.
    pub async fn reconcile_all(&self) -> Result<(), AwsError> {
        self.prune_activities().await?;
        for (account, region) in self.scopes_with_groups() {
            self.run_scheduled(&account, &region).await?;
            let names: Vec<String> =
                self.read(&account, &region, |s| s.groups.keys().cloned().collect());
            for name in names {
                self.reconcile_group(&account, &region, &name).await?;
            }
        }
        Ok(())
    }

    /// Deletes finished activities that ended more than [`ACTIVITY_KEPT_MS`] ago.
    async fn prune_activities(&self) -> Result<(), AwsError> {
        use std::sync::atomic::Ordering;
        // Once a minute of Nimbus time is enough for a six-week horizon.
        let now = self.now_ms();
        let last = self.shared.last_prune.load(Ordering::Relaxed);
        if now.saturating_sub(last) < 60_000 {
            return Ok(());
        }
        self.shared.last_prune.store(now, Ordering::Relaxed);
        let cutoff = now - ACTIVITY_KEPT_MS;
        let stale: Vec<(String, String)> = {
            let st = self.shared.state.read();
            st.scopes
                .iter()
                .filter(|(_, s)| {
                    s.activities
                        .values()
                        .any(|a| a.end.is_some_and(|e| e < cutoff))
                })
                .map(|(k, _)| k.clone())
                .collect()
        };
        for (account, region) in stale {
            self.mutate(&account, &region, |scope| {
                let mut change = Change::default();
                for a in scope
                    .activities
                    .values()
                    .filter(|a| a.end.is_some_and(|e| e < cutoff))
                {
                    change.push(Op::DeleteActivity(
                        a.account.clone(),
                        a.region.clone(),
                        a.id.clone(),
                    ));
                }
                Ok((change, ()))
            })
            .await?;
        }
        Ok(())
    }

    /// Runs the scheduled actions of a scope that are due.
    pub async fn run_scheduled(&self, account: &str, region: &str) -> Result<(), AwsError> {
        let now = self.now_ms();
        let due = self.read(account, region, |s| {
            s.scheduled
                .values()
                .any(|a| a.next.is_some_and(|n| n <= now))
        });
        if !due {
            return Ok(());
        }
        self.mutate(account, region, |scope| {
            let mut change = Change::default();
            for a in scope
                .scheduled
                .values()
                .filter(|a| a.next.is_some_and(|n| n <= now))
            {
                let mut a = a.clone();
                let at_ms = a.next.unwrap_or(now);
                if let Some(g) = scope.group(&a.group).filter(|g| g.status.is_none()) {
                    if !g.is_suspended("ScheduledActions") {
                        let mut g = g.clone();
                        let min = a.min.unwrap_or(g.min);
                        let max = a.max.unwrap_or(g.max);
                        if min <= max {
                            g.min = min;
                            g.max = max;
                            let desired = a.desired.unwrap_or(g.desired).clamp(min, max);
                            let mut shown = g.clone();
                            shown.desired = desired;
                            let reason = capacity::constraints_reason("a scheduled action", &shown);
                            capacity::set_desired(&mut g, desired, &reason, at_ms);
                            change.push(Op::PutGroup(g));
                        }
                    }
                }
                // One-off actions are deleted once run; recurring ones move to their next run.
                a.next = match &a.recurrence {
                    Some(_) => crate::handlers::scheduled_next(&a, at_ms + 1),
                    None => None,
                };
                if a.next.is_none() {
                    change.push(Op::DeleteScheduled(
                        a.account.clone(),
                        a.region.clone(),
                        a.group.clone(),
                        a.name.clone(),
                    ));
                } else {
                    change.push(Op::PutScheduled(a));
                }
            }
            Ok((change, ()))
        })
        .await
    }

    /// One reconciling pass over group `name` (see the module docs).
    pub async fn reconcile_group(
        &self,
        account: &str,
        region: &str,
        name: &str,
    ) -> Result<(), AwsError> {
        let now = self.now_ms();
        let Some((snap, activities, lc)) = self.read(account, region, |s| {
            let g = s.group(name)?.clone();
            let acts: BTreeMap<String, ActivityRec> = g
                .instances
                .iter()
                .filter_map(|i| i.activity.as_ref())
                .filter_map(|id| s.activities.get(id).map(|a| (id.clone(), a.clone())))
                .collect();
            let lc = g
                .launch_config
                .as_ref()
                .and_then(|n| s.launch_configs.get(n).cloned());
            Some((g, acts, lc))
        }) else {
            return Ok(());
        };
        let mut pass = Pass {
            g: snap.clone(),
            activities,
            now,
        };
        let before = pass.activities.clone();
        self.observe(&mut pass);
        self.advance_hooks(&mut pass);
        self.replace_unhealthy(&mut pass);
        self.scale(&mut pass, lc.as_ref());
        self.terminate(&mut pass);
        if pass.g == snap && pass.activities == before {
            return Ok(());
        }
        let changed: Vec<ActivityRec> = pass
            .activities
            .values()
            .filter(|a| before.get(&a.id) != Some(*a))
            .cloned()
            .collect();
        let ours = pass.g;
        let notify = changed.clone();
        self.mutate(account, region, |scope| {
            let mut change = Change::default();
            for a in changed {
                change.push(Op::PutActivity(a));
            }
            let Some(current) = scope.group(name).filter(|c| c.uuid == snap.uuid) else {
                return Ok((change, ()));
            };
            let merged = merge(&snap, &ours, current);
            if merged.status.is_some() && merged.instances.is_empty() {
                change.push(Op::DeleteGroup(
                    merged.account.clone(),
                    merged.region.clone(),
                    merged.name.clone(),
                ));
            } else if merged != *current {
                change.push(Op::PutGroup(merged));
            }
            Ok((change, ()))
        })
        .await?;
        self.notify_activities(&ours, &notify).await;
        Ok(())
    }

    fn observe(&self, p: &mut Pass) {
        let (account, region) = (p.g.account.clone(), p.g.region.clone());
        let health_suspended = p.g.is_suspended("HealthCheck");
        let add_to_lb = !p.g.is_suspended("AddToLoadBalancer");
        let grace_ms = i64::from(p.g.grace) * 1000;
        let elb = p.g.health_check_type == "ELB";
        let tgs = p.g.balancers();
        let now = p.now;
        let launch_hook = p.g.hook_for(crate::handlers::LAUNCHING).cloned();
        let mut gone = Vec::new();
        let mut finished = Vec::new();
        for i in p.g.instances.iter_mut() {
            if !i.lifecycle.starts_with("Pending") && i.lifecycle != "InService" {
                continue;
            }
            let obs = self.deps.fleet.observe(&account, &region, &i.id);
            let past_grace = now >= i.launched + grace_ms;
            let lifecycle = i.lifecycle.clone();
            match (lifecycle.as_str(), obs) {
                ("Pending", Observed::Running { .. }) => match &launch_hook {
                    // A launch hook holds the instance in Pending:Wait until it is
                    // completed or times out (see `advance_hooks`).
                    Some(h) => {
                        i.lifecycle = "Pending:Wait".into();
                        i.hook = Some(HookWait {
                            hook: h.name.clone(),
                            token: self.uuid(),
                            started: now,
                            deadline: now + i64::from(h.heartbeat_timeout) * 1000,
                            result: None,
                        });
                    }
                    None => {
                        self.put_in_service(&account, &region, i, &tgs, add_to_lb, now);
                        finished.push((i.activity.clone(), "Successful", None));
                    }
                },
                (l, Observed::Gone) if l.starts_with("Pending") => {
                    gone.push(i.id.clone());
                    finished.push((
                        i.activity.clone(),
                        "Failed",
                        Some(format!(
                            "Instance {} stopped or terminated before it became InService.",
                            i.id
                        )),
                    ));
                }
                ("InService", Observed::Gone) if !health_suspended => {
                    i.health = "Unhealthy".into();
                    i.unhealthy_reason = Some(
                        "an EC2 health check indicating it has been terminated or stopped".into(),
                    );
                }
                ("InService", Observed::Running { healthy: false })
                    if !health_suspended && past_grace =>
                {
                    i.health = "Unhealthy".into();
                    i.unhealthy_reason = Some("an EC2 instance status check failure".into());
                }
                _ => {}
            }
            if elb
                && !health_suspended
                && past_grace
                && i.lifecycle == "InService"
                && i.health == "Healthy"
            {
                let bad = tgs.iter().any(|tg| {
                    self.deps.target_groups.health(&account, &region, tg, &i.id)
                        == TargetHealth::Unhealthy
                });
                if bad {
                    i.health = "Unhealthy".into();
                    i.unhealthy_reason = Some("an ELB system health check failure".into());
                }
            }
        }
        p.g.instances.retain(|i| !gone.contains(&i.id));
        for (id, status, msg) in finished {
            if let Some(a) = p.activity_mut(&id) {
                capacity::finish(a, status, msg, now);
            }
        }
    }

    /// Pending → InService: registered with the target groups (unless `AddToLoadBalancer`
    /// is suspended).
    #[allow(clippy::too_many_arguments)]
    fn put_in_service(
        &self,
        account: &str,
        region: &str,
        i: &mut InstanceRec,
        tgs: &[String],
        add_to_lb: bool,
        now: i64,
    ) {
        i.lifecycle = "InService".into();
        i.in_service_since = Some(now);
        i.hook = None;
        if add_to_lb {
            for tg in tgs {
                let _ = self.deps.target_groups.register(account, region, tg, &i.id);
            }
        }
    }

    /// Ends lifecycle waits that were completed or timed out: a launch continues to
    /// InService or, abandoned, is terminated; a termination proceeds either way.
    fn advance_hooks(&self, p: &mut Pass) {
        let (account, region) = (p.g.account.clone(), p.g.region.clone());
        let add_to_lb = !p.g.is_suspended("AddToLoadBalancer");
        let tgs = p.g.balancers();
        let now = p.now;
        let defaults: Vec<(String, String)> =
            p.g.hooks
                .iter()
                .map(|h| (h.name.clone(), h.default_result.clone()))
                .collect();
        let mut launched = Vec::new();
        let mut abandoned = Vec::new();
        for i in p.g.instances.iter_mut() {
            let Some(w) = &i.hook else { continue };
            let result = w.result.clone().or_else(|| {
                (now >= w.deadline).then(|| {
                    defaults
                        .iter()
                        .find(|(n, _)| *n == w.hook)
                        .map_or_else(|| "ABANDON".to_string(), |(_, r)| r.clone())
                })
            });
            let Some(result) = result else { continue };
            match (i.lifecycle.as_str(), result.as_str()) {
                ("Pending:Wait", "CONTINUE") => {
                    self.put_in_service(&account, &region, i, &tgs, add_to_lb, now);
                    launched.push(i.activity.clone());
                }
                ("Pending:Wait", _) => {
                    i.hook = None;
                    abandoned.push((i.id.clone(), ()));
                }
                ("Terminating:Wait", _) => {
                    i.lifecycle = "Terminating:Proceed".into();
                    i.hook = None;
                }
                _ => i.hook = None,
            }
        }
        for act in launched {
            if let Some(a) = p.activity_mut(&act) {
                capacity::finish(a, "Successful", None, now);
            }
        }
        for (id, _) in abandoned {
            let launch = p.g.instance(&id).and_then(|i| i.activity.clone());
            if let Some(a) = p.activity_mut(&launch) {
                capacity::finish(
                    a,
                    "Cancelled",
                    Some(format!("Instance {id} was abandoned by a lifecycle hook.")),
                    now,
                );
            }
            if let Some(i) = p.g.instance_mut(&id) {
                // Straight to termination: the launch was abandoned, not scaled in.
                i.lifecycle = "Terminating:Proceed".into();
            }
            let cause = format!(
                "At {} an instance was taken out of service in response to a lifecycle hook abandoning its launch.",
                at(now)
            );
            self.record_termination(p, &id, cause);
        }
    }

    fn replace_unhealthy(&self, p: &mut Pass) {
        if p.g.is_suspended("ReplaceUnhealthy") {
            return;
        }
        let ids: Vec<String> = p
            .g
            .instances
            .iter()
            .filter(|i| {
                i.health == "Unhealthy" && (i.lifecycle == "InService" || i.lifecycle == "Pending")
            })
            .map(|i| i.id.clone())
            .collect();
        for id in ids {
            let reason =
                p.g.instance(&id)
                    .and_then(|i| i.unhealthy_reason.clone())
                    .unwrap_or_else(|| "a health check failure".into());
            let cause = format!(
                "At {} an instance was taken out of service in response to {reason}.",
                at(p.now)
            );
            self.begin_termination(p, &id, cause);
        }
    }

    fn begin_termination(&self, p: &mut Pass, id: &str, cause: String) {
        let Some(i) = p.g.instance(id).cloned() else {
            return;
        };
        // A launch still in progress ends here.
        if i.lifecycle.starts_with("Pending") {
            let now = p.now;
            if let Some(a) = p.activity_mut(&i.activity) {
                capacity::finish(
                    a,
                    "Cancelled",
                    Some(format!(
                        "Instance {id} was taken out of service before it became InService."
                    )),
                    now,
                );
            }
        }
        let hook = p.g.hook_for(crate::handlers::TERMINATING).cloned();
        let now = p.now;
        if let Some(x) = p.g.instance_mut(id) {
            match hook {
                // A termination hook holds it in Terminating:Wait first.
                Some(h) => {
                    x.lifecycle = "Terminating:Wait".into();
                    x.hook = Some(HookWait {
                        hook: h.name.clone(),
                        token: self.uuid(),
                        started: now,
                        deadline: now + i64::from(h.heartbeat_timeout) * 1000,
                        result: None,
                    });
                }
                None => {
                    x.lifecycle = "Terminating".into();
                    x.hook = None;
                }
            }
        }
        self.record_termination(p, id, cause);
    }

    /// The termination activity of instance `id`.
    fn record_termination(&self, p: &mut Pass, id: &str, cause: String) {
        let Some(i) = p.g.instance(id).cloned() else {
            return;
        };
        let act = capacity::activity(
            &p.g,
            self.uuid(),
            format!("Terminating EC2 instance: {id}"),
            cause.clone(),
            render::placement_details(&i),
            p.now,
        );
        if let Some(x) = p.g.instance_mut(id) {
            x.terminate_cause = Some(cause);
            x.activity = Some(act.id.clone());
        }
        p.activities.insert(act.id.clone(), act);
    }

    fn scale(&self, p: &mut Pass, lc: Option<&LaunchConfigRec>) {
        let live = p.g.live().count() as i32;
        let desired = p.g.desired;
        if live == desired {
            if !p.g.instances.iter().any(|i| i.lifecycle == "Pending") {
                // Steady: later activities (replacements) are not caused by the last change.
                p.g.cause = None;
            }
            return;
        }
        if live > desired {
            let deleting = p.g.status.is_some();
            if p.g.is_suspended("Terminate") && !deleting {
                return;
            }
            let mut count = live;
            while count > desired {
                let Some(id) = crate::termination::choose(&p.g, p.now, deleting) else {
                    break;
                };
                let what = format!(
                    "At {t} an instance was taken out of service in response to a difference between desired and actual capacity, shrinking the capacity from {count} to {}.  At {t} instance {id} was selected for termination.",
                    count - 1,
                    t = at(p.now)
                );
                let cause = capacity::cause(&p.g, what);
                self.begin_termination(p, &id, cause);
                count -= 1;
            }
            return;
        }
        if p.g.is_suspended("Launch") || p.g.status.is_some() {
            return;
        }
        if p.g.retry_at.is_some_and(|t| p.now < t) {
            return;
        }
        let mut count = live;
        while count < desired {
            if !self.launch_one(p, lc, count) {
                break;
            }
            count += 1;
        }
    }

    fn terminate(&self, p: &mut Pass) {
        let (account, region) = (p.g.account.clone(), p.g.region.clone());
        let now = p.now;
        let tgs = p.g.balancers();
        let mut done = Vec::new();
        for i in
            p.g.instances
                .iter_mut()
                .filter(|i| i.lifecycle == "Terminating" || i.lifecycle == "Terminating:Proceed")
        {
            if i.terminate_after.is_none() {
                let delay = tgs
                    .iter()
                    .map(|tg| {
                        self.deps
                            .target_groups
                            .deregister(&account, &region, tg, &i.id)
                    })
                    .max()
                    .unwrap_or(0);
                i.terminate_after = Some(now + i64::from(delay) * 1000);
            }
            if i.terminate_after.is_some_and(|t| now >= t)
                && self.deps.fleet.terminate(&account, &region, &i.id).is_ok()
            {
                done.push((i.id.clone(), i.activity.clone()));
            }
        }
        for (id, act) in done {
            p.g.instances.retain(|i| i.id != id);
            if let Some(a) = p.activity_mut(&act) {
                capacity::finish(a, "Successful", None, now);
            }
        }
    }
}

/// `ours` (this pass's result from `snap`) merged into `current` (the group now): the
/// group's settings are current's; the instances are ours, with the user's changes made
/// meanwhile kept (protection, a reported bad health, a termination request).
fn merge(snap: &GroupRec, ours: &GroupRec, current: &GroupRec) -> GroupRec {
    let mut out = current.clone();
    out.instances = ours
        .instances
        .iter()
        .map(|i| {
            let mut i = i.clone();
            let (Some(c), Some(s)) = (current.instance(&i.id), snap.instance(&i.id)) else {
                return i;
            };
            i.protected = c.protected;
            if c.health != s.health {
                i.health = c.health.clone();
                i.unhealthy_reason = c.unhealthy_reason.clone();
            }
            let terminating = |l: &str| l.starts_with("Terminating");
            if terminating(&c.lifecycle) && !terminating(&s.lifecycle) && !terminating(&i.lifecycle)
            {
                i.lifecycle = c.lifecycle.clone();
                i.terminate_cause = c.terminate_cause.clone();
                i.activity = c.activity.clone();
                i.hook = c.hook.clone();
            }
            // A lifecycle action completed or heartbeated meanwhile.
            if c.hook != s.hook && c.lifecycle == i.lifecycle {
                i.hook = c.hook.clone();
            }
            i
        })
        .collect();
    if current.cause == snap.cause {
        out.cause = ours.cause.clone();
    }
    if current.retry_at == snap.retry_at && current.launch_failures == snap.launch_failures {
        out.retry_at = ours.retry_at;
        out.launch_failures = ours.launch_failures;
    }
    out
}
