//! CloudWatch metric alarms: their durable state ([`Alarms`], the `cloudwatch.alarms` and
//! `cloudwatch.alarm_history` tables), the evaluation pass the `alarm-evaluator` worker
//! runs each tick ([`Alarms::evaluate_due`]), and firing actions on transitions through
//! [`AlarmActions`], a trait the binary's wiring implements (SNS, Auto Scaling, EC2).
//!
//! Every change (create, update, state change, delete, tags, history) is planned from memory
//! under `write`, submitted as one store batch, and reaches memory only once durable; a reset
//! (which holds `gate` exclusively while the store is wiped) bumps `epoch` so that a change
//! submitted before it leaves memory alone. The alarm model is in [`model`], the evaluation
//! rules in [`eval`], the operations in [`ops`], the worker in [`worker`].

pub mod composite;
pub mod eval;
pub mod model;
pub mod ops;
pub mod worker;

use crate::error::CwError;
use crate::metrics::KeyRef;
use crate::series::Query;
use crate::state::Memory;
use eval::Point;
use model::{Alarm, HistoryItem};
use nimbus_core::{Clock, Timestamp};
use nimbus_store::{Batch, Store, StoreError};
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

pub const ALARMS: &str = "cloudwatch.alarms";
pub const ALARM_VERSION: u16 = 1;
pub const HISTORY: &str = "cloudwatch.alarm_history";
pub const HISTORY_VERSION: u16 = 1;
/// AWS keeps alarm history for 30 days.
pub const HISTORY_KEPT_MS: i64 = 30 * 86_400_000;

/// An alarm's identity: (account, region, name).
pub type AlarmKey = (String, String, String);

/// A state change, as actions receive it.
#[derive(Clone, Debug)]
pub struct AlarmTransition {
    /// The alarm after the change.
    pub alarm: Alarm,
    pub old_state: String,
    pub old_reason: String,
}

impl AlarmTransition {
    /// The alarm notification AWS publishes to SNS (its JSON message) and its subject.
    pub fn sns_notification(&self) -> (String, String) {
        let a = &self.alarm;
        let region_name = region_long_name(&a.region);
        let subject = format!("{}: \"{}\" in {}", a.state, a.name, region_name);
        if a.is_composite() {
            let message = serde_json::json!({
                "AlarmName": a.name,
                "AlarmDescription": a.description,
                "AWSAccountId": a.account,
                "NewStateValue": a.state,
                "NewStateReason": a.state_reason,
                "StateChangeTime": model::aws_json_time(a.state_updated),
                "Region": region_name,
                "AlarmArn": a.arn(),
                "OldStateValue": self.old_state,
                "AlarmRule": a.rule,
                "OKActions": a.ok_actions,
                "AlarmActions": a.alarm_actions,
                "InsufficientDataActions": a.insufficient_data_actions,
            });
            return (subject, message.to_string());
        }
        let mut trigger = serde_json::json!({
            "MetricName": a.metric_name,
            "Namespace": a.namespace,
            "StatisticType": "Statistic",
            "Statistic": a.statistic.to_ascii_uppercase(),
            "Unit": a.unit,
            "Dimensions": a.dimensions.iter().map(|(n, v)| serde_json::json!({"value": v, "name": n})).collect::<Vec<_>>(),
            "Period": a.period,
            "EvaluationPeriods": a.evaluation_periods,
            "ComparisonOperator": a.comparison,
            "Threshold": a.threshold,
            "TreatMissingData": a.treatment(),
            "EvaluateLowSampleCountPercentile": "",
        });
        if let Some(m) = a.datapoints_to_alarm {
            trigger["DatapointsToAlarm"] = m.into();
        }
        if !a.single() {
            if let Some(obj) = trigger.as_object_mut() {
                for k in [
                    "MetricName",
                    "Namespace",
                    "StatisticType",
                    "Statistic",
                    "Unit",
                    "Dimensions",
                    "Period",
                ] {
                    obj.remove(k);
                }
                let metrics: Vec<serde_json::Value> = a
                    .metrics
                    .iter()
                    .map(|q| {
                        let mut v = q.to_json();
                        // The notification capitalizes the keys of its metrics.
                        if let Some(o) = v.as_object_mut() {
                            *o = o
                                .iter()
                                .map(|(k, v)| {
                                    let mut c = k.chars();
                                    let cap = c
                                        .next()
                                        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                                        .unwrap_or_default();
                                    (cap, v.clone())
                                })
                                .collect();
                        }
                        v
                    })
                    .collect();
                obj.insert("Metrics".into(), metrics.into());
            }
        }
        let message = serde_json::json!({
            "AlarmName": a.name,
            "AlarmDescription": a.description,
            "AWSAccountId": a.account,
            "AlarmConfigurationUpdatedTimestamp": model::aws_json_time(a.configuration_updated),
            "NewStateValue": a.state,
            "NewStateReason": a.state_reason,
            "StateChangeTime": model::aws_json_time(a.state_updated),
            "Region": region_name,
            "AlarmArn": a.arn(),
            "OldStateValue": self.old_state,
            "OKActions": a.ok_actions,
            "AlarmActions": a.alarm_actions,
            "InsufficientDataActions": a.insufficient_data_actions,
            "Trigger": trigger,
        });
        (subject, message.to_string())
    }
}

fn is_autoscaling(arn: &str) -> bool {
    arn.split(':').nth(2) == Some("autoscaling")
}

/// A region's name as AWS's notifications write it.
pub fn region_long_name(region: &str) -> String {
    let name = match region {
        "us-east-1" => "US East (N. Virginia)",
        "us-east-2" => "US East (Ohio)",
        "us-west-1" => "US West (N. California)",
        "us-west-2" => "US West (Oregon)",
        "eu-west-1" => "EU (Ireland)",
        "eu-west-2" => "EU (London)",
        "eu-central-1" => "EU (Frankfurt)",
        "ap-northeast-1" => "Asia Pacific (Tokyo)",
        "ap-northeast-2" => "Asia Pacific (Seoul)",
        "ap-southeast-1" => "Asia Pacific (Singapore)",
        "ap-southeast-2" => "Asia Pacific (Sydney)",
        "ap-south-1" => "Asia Pacific (Mumbai)",
        "sa-east-1" => "South America (Sao Paulo)",
        "ca-central-1" => "Canada (Central)",
        other => other,
    };
    name.to_string()
}

/// What an action did: `Ok(detail)` (e.g. the published message id) or `Err(why)`.
pub type ActionResult = Result<String, String>;

/// Carries out alarm actions. Implemented by the binary's wiring: SNS topic ARNs publish the
/// notification; Auto Scaling policies and EC2 actions go to their services. An action that
/// cannot be carried out returns `Err` with the reason, which the alarm's history records as
/// a failed action (never a pretended success).
pub trait AlarmActions: Send + Sync + 'static {
    fn fire<'a>(
        &'a self,
        action_arn: &'a str,
        transition: &'a AlarmTransition,
    ) -> Pin<Box<dyn Future<Output = ActionResult> + Send + 'a>>;
}

/// The actions of a CloudWatch with nothing wired: every action fails, saying so.
pub struct Unwired;

impl AlarmActions for Unwired {
    fn fire<'a>(
        &'a self,
        action_arn: &'a str,
        _: &'a AlarmTransition,
    ) -> Pin<Box<dyn Future<Output = ActionResult> + Send + 'a>> {
        Box::pin(async move { Err(format!("no service is wired to carry out {action_arn}")) })
    }
}

/// Alarms and their history in memory.
#[derive(Default)]
pub(crate) struct Book {
    pub(crate) alarms: BTreeMap<AlarmKey, Alarm>,
    /// Per alarm key, oldest first.
    pub(crate) history: BTreeMap<AlarmKey, Vec<HistoryItem>>,
    /// Dashboards by (account, name) (`dashboards.rs`).
    pub(crate) dashboards: BTreeMap<(String, String), crate::dashboards::Dashboard>,
    pub(crate) epoch: u64,
}

/// One durable change to the book.
#[derive(Default)]
pub(crate) struct Change {
    pub(crate) put: Vec<Alarm>,
    pub(crate) delete: Vec<AlarmKey>,
    pub(crate) history: Vec<HistoryItem>,
    /// History items to forget (older than AWS keeps them).
    pub(crate) drop_history: Vec<HistoryItem>,
    pub(crate) put_dashboards: Vec<crate::dashboards::Dashboard>,
    pub(crate) delete_dashboards: Vec<(String, String)>,
}

pub struct Alarms {
    store: Store,
    pub(crate) clock: Arc<dyn Clock>,
    metrics: Arc<Mutex<Memory>>,
    book: Mutex<Book>,
    /// Serializes changes, so each is planned from the memory the previous one left.
    write: tokio::sync::Mutex<()>,
    /// Shared while a change submits; exclusive during a reset's wipe.
    pub(crate) gate: tokio::sync::RwLock<()>,
    actions: RwLock<Arc<dyn AlarmActions>>,
    seq: AtomicU64,
    /// When history older than [`HISTORY_KEPT_MS`] was last dropped (Nimbus time, ms).
    last_trim: std::sync::atomic::AtomicI64,
}

fn key_bytes(k: &AlarmKey) -> Vec<u8> {
    format!("{}\u{1}{}\u{1}{}", k.0, k.1, k.2).into_bytes()
}

fn history_key(h: &HistoryItem) -> Vec<u8> {
    format!(
        "{}\u{1}{}\u{1}{}\u{2}{:020}\u{2}{:020}",
        h.account,
        h.region,
        h.alarm_name,
        h.timestamp.0.max(0),
        h.seq
    )
    .into_bytes()
}

fn no_migration(from: u16, _: serde_json::Value) -> Result<serde_json::Value, StoreError> {
    Err(StoreError::Migration {
        from,
        reason: "alarm records have had one version only".into(),
    })
}

impl Alarms {
    pub(crate) fn load(
        store: Store,
        clock: Arc<dyn Clock>,
        metrics: Arc<Mutex<Memory>>,
    ) -> Result<Alarms, StoreError> {
        let mut book = Book::default();
        for (_, v) in store.scan_prefix(ALARMS, b"")? {
            let a: Alarm = nimbus_store::decode_record(&v, ALARM_VERSION, no_migration)?;
            book.alarms
                .insert((a.account.clone(), a.region.clone(), a.name.clone()), a);
        }
        let mut seq = 0;
        for (_, v) in store.scan_prefix(HISTORY, b"")? {
            let h: HistoryItem = nimbus_store::decode_record(&v, HISTORY_VERSION, no_migration)?;
            seq = seq.max(h.seq + 1);
            book.history
                .entry((h.account.clone(), h.region.clone(), h.alarm_name.clone()))
                .or_default()
                .push(h);
        }
        for (_, v) in store.scan_prefix(crate::dashboards::DASHBOARDS, b"")? {
            let d: crate::dashboards::Dashboard =
                nimbus_store::decode_record(&v, ALARM_VERSION, no_migration)?;
            book.dashboards
                .insert((d.account.clone(), d.name.clone()), d);
        }
        for items in book.history.values_mut() {
            items.sort_by_key(|h| (h.timestamp, h.seq));
        }
        Ok(Alarms {
            store,
            clock,
            metrics,
            book: Mutex::new(book),
            write: tokio::sync::Mutex::new(()),
            gate: tokio::sync::RwLock::new(()),
            actions: RwLock::new(Arc::new(Unwired)),
            seq: AtomicU64::new(seq),
            last_trim: std::sync::atomic::AtomicI64::new(i64::MIN),
        })
    }

    /// Wires the actions (the binary does, once every service is built).
    pub fn set_actions(&self, actions: Arc<dyn AlarmActions>) {
        *self.actions.write().unwrap_or_else(|e| e.into_inner()) = actions;
    }

    fn actions(&self) -> Arc<dyn AlarmActions> {
        self.actions
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub(crate) fn book(&self) -> MutexGuard<'_, Book> {
        self.book.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Forgets everything (after the store was wiped under `gate`).
    pub(crate) fn clear(&self) {
        let mut b = self.book();
        b.alarms.clear();
        b.history.clear();
        b.dashboards.clear();
        b.epoch += 1;
    }

    pub(crate) fn history_item(
        &self,
        a: &Alarm,
        at: Timestamp,
        kind: &str,
        summary: String,
        data: String,
    ) -> HistoryItem {
        HistoryItem {
            account: a.account.clone(),
            region: a.region.clone(),
            alarm_name: a.name.clone(),
            timestamp: at,
            kind: kind.into(),
            summary,
            data,
            seq: self.seq.fetch_add(1, Ordering::Relaxed),
            composite: a.is_composite(),
        }
    }

    /// Plans a change from memory with `plan` (under `write`), makes it durable, then applies
    /// it to memory. `plan` returns the change and a value for the caller.
    pub(crate) async fn change<T>(
        &self,
        plan: impl FnOnce(&Book) -> Result<(Change, T), CwError>,
    ) -> Result<T, CwError> {
        let _one = self.write.lock().await;
        let (change, out, durable, epoch) = {
            let _gate = self.gate.read().await;
            let book = self.book();
            let (change, out) = plan(&book)?;
            let mut batch = Batch::new();
            for a in &change.put {
                let k = (a.account.clone(), a.region.clone(), a.name.clone());
                batch.put(
                    ALARMS,
                    key_bytes(&k),
                    nimbus_store::encode_record(ALARM_VERSION, a),
                );
            }
            for k in &change.delete {
                batch.delete(ALARMS, key_bytes(k));
            }
            for h in &change.history {
                batch.put(
                    HISTORY,
                    history_key(h),
                    nimbus_store::encode_record(HISTORY_VERSION, h),
                );
            }
            for h in &change.drop_history {
                batch.delete(HISTORY, history_key(h));
            }
            for d in &change.put_dashboards {
                let k = format!("{}\u{1}{}", d.account, d.name);
                batch.put(
                    crate::dashboards::DASHBOARDS,
                    k,
                    nimbus_store::encode_record(ALARM_VERSION, d),
                );
            }
            for (account, name) in &change.delete_dashboards {
                batch.delete(
                    crate::dashboards::DASHBOARDS,
                    format!("{account}\u{1}{name}"),
                );
            }
            let epoch = book.epoch;
            drop(book);
            (change, out, self.store.submit(batch), epoch)
        };
        durable.await?;
        let mut book = self.book();
        if book.epoch == epoch {
            for k in change.delete {
                book.alarms.remove(&k);
            }
            for a in change.put {
                book.alarms
                    .insert((a.account.clone(), a.region.clone(), a.name.clone()), a);
            }
            if !change.drop_history.is_empty() {
                let cutoff = change.drop_history.iter().map(|h| h.timestamp).max();
                for items in book.history.values_mut() {
                    items.retain(|h| Some(h.timestamp) > cutoff);
                }
                book.history.retain(|_, v| !v.is_empty());
            }
            for k in change.delete_dashboards {
                book.dashboards.remove(&k);
            }
            for d in change.put_dashboards {
                book.dashboards
                    .insert((d.account.clone(), d.name.clone()), d);
            }
            for h in change.history {
                book.history
                    .entry((h.account.clone(), h.region.clone(), h.alarm_name.clone()))
                    .or_default()
                    .push(h);
            }
        }
        Ok(out)
    }

    /// The datapoints of `alarm`'s evaluation range ending at the last period boundary at or
    /// before `now` (oldest first), from the metric repository.
    fn range_of(&self, mem: &Memory, a: &Alarm, now: Timestamp) -> Vec<(Timestamp, Option<Point>)> {
        let period_ms = a.period * 1000;
        let end = now.0.div_euclid(period_ms) * period_ms;
        let len = eval::range_len(a.evaluation_periods, a.period);
        let start = end - len * period_ms;
        let key = KeyRef {
            account: &a.account,
            region: &a.region,
            namespace: &a.namespace,
            name: &a.metric_name,
            dimensions: &a.dimensions,
        };
        let mut out: Vec<(Timestamp, Option<Point>)> = (0..len)
            .map(|i| (Timestamp(start + i * period_ms), None))
            .collect();
        if !a.single() {
            // Metric math: every metric query's series over the range, then the returning
            // query. An expression that fails to evaluate leaves the range without data.
            let mut stats = std::collections::HashMap::new();
            let mut exprs = std::collections::HashMap::new();
            for q in &a.metrics {
                if let Some((ns, name, dims, stat, unit)) = &q.metric {
                    let key = KeyRef {
                        account: &a.account,
                        region: &a.region,
                        namespace: ns,
                        name,
                        dimensions: dims,
                    };
                    let p = q.period.unwrap_or(a.period);
                    let s = crate::metric_data::stat_series(
                        mem,
                        &key,
                        stat,
                        unit.as_deref(),
                        Timestamp(start),
                        Timestamp(end),
                        p,
                        now,
                    );
                    stats.insert(
                        q.id.clone(),
                        (q.label.clone().unwrap_or_else(|| name.clone()), s),
                    );
                } else if let Some(Ok(tree)) = q.expression.as_deref().map(crate::math::parse) {
                    exprs.insert(q.id.clone(), tree);
                }
            }
            let Some(ret) = a.metrics.iter().find(|q| q.return_data) else {
                return out;
            };
            let series = match stats.get(&ret.id) {
                Some((_, s)) => Some(s.clone()),
                None => match crate::metric_data::evaluate_expression(
                    &stats, &exprs, &ret.id, start, end, a.period,
                ) {
                    Ok(crate::math::Value::Series(s)) => Some(s),
                    Ok(crate::math::Value::Array(mut xs)) if xs.len() == 1 => {
                        xs.pop().map(|(_, s)| s)
                    }
                    _ => None,
                },
            };
            for (t, value) in series.unwrap_or_default() {
                let idx = (t - start).div_euclid(period_ms);
                if let Some(slot) = usize::try_from(idx).ok().and_then(|i| out.get_mut(i)) {
                    if value.is_finite() {
                        slot.1 = Some(Point {
                            start: Timestamp(t),
                            value,
                            sample_count: 1.0,
                        });
                    }
                }
            }
            return out;
        }
        if let Some(series) = mem.samples.get(&key) {
            let q = Query {
                start: Timestamp(start),
                end: Timestamp(end),
                period_secs: a.period,
                unit: a.unit.as_deref(),
                now,
            };
            for agg in series.aggregate(&q) {
                let idx = ((agg.start.0 - start) / period_ms) as usize;
                let value = match a.statistic.as_str() {
                    "SampleCount" => agg.count,
                    "Average" => agg.average(),
                    "Sum" => agg.sum,
                    "Minimum" => agg.min,
                    _ => agg.max,
                };
                if let Some(slot) = out.get_mut(idx) {
                    slot.1 = Some(Point {
                        start: agg.start,
                        value,
                        sample_count: agg.count,
                    });
                }
            }
        }
        out
    }

    /// Evaluates every alarm due at `now`, makes the new states durable, fires the actions of
    /// every transition (recording each outcome in the history), and returns the
    /// transitions. The evaluator worker calls this each tick; tests call it directly.
    pub async fn evaluate_due(&self) -> Result<Vec<AlarmTransition>, CwError> {
        let now = self.clock.now();
        self.trim_history(now).await?;
        let transitions = self
            .change(|book| {
                let mem = self.metrics.lock().unwrap_or_else(|e| e.into_inner());
                let mut change = Change::default();
                let mut transitions = Vec::new();
                let mut repeats = Vec::new();
                let mut updated: BTreeMap<AlarmKey, Alarm> = BTreeMap::new();
                for (k, a) in &book.alarms {
                    if a.next_evaluation > now || a.is_composite() {
                        continue;
                    }
                    let interval = a.interval_ms();
                    let next_at = Timestamp((now.0.div_euclid(interval) + 1) * interval);
                    let range = self.range_of(&mem, a, now);
                    if let Some(o) = eval::evaluate_from(a, &range, now, Some(&a.state)) {
                        if o.state != a.state {
                            let mut next = a.clone();
                            next.next_evaluation = next_at;
                            next.state = o.state;
                            next.state_reason = o.reason;
                            next.state_reason_data = o.reason_data;
                            next.state_updated = now;
                            next.state_transitioned = now;
                            change.history.push(self.state_history(a, &next, now));
                            transitions.push(AlarmTransition {
                                alarm: next.clone(),
                                old_state: a.state.clone(),
                                old_reason: a.state_reason.clone(),
                            });
                            updated.insert(k.clone(), next.clone());
                            change.put.push(next);
                        } else if a.actions_enabled
                            && a.actions_for(&a.state).iter().any(|x| is_autoscaling(x))
                        {
                            // Auto Scaling actions are invoked again every evaluation the
                            // alarm stays in the state (AWS's one exception to
                            // "actions fire on transitions only").
                            repeats.push(AlarmTransition {
                                alarm: a.clone(),
                                old_state: a.state.clone(),
                                old_reason: a.state_reason.clone(),
                            });
                        }
                    }
                }
                // Composite alarms follow the states their rules read.
                for (old, new) in composite::evaluate_all(&book.alarms, &mut updated, now) {
                    change.history.push(self.state_history(&old, &new, now));
                    transitions.push(AlarmTransition {
                        alarm: new.clone(),
                        old_state: old.state.clone(),
                        old_reason: old.state_reason.clone(),
                    });
                    change.put.push(new);
                }
                Ok((change, (transitions, repeats)))
            })
            .await?;
        let (transitions, repeats) = transitions;
        // Schedule the next evaluations (in memory only: a restart evaluates every alarm at
        // once, which is harmless).
        for a in self.book().alarms.values_mut() {
            if a.next_evaluation <= now {
                let interval = a.interval_ms();
                a.next_evaluation = Timestamp((now.0.div_euclid(interval) + 1) * interval);
            }
        }
        for t in &transitions {
            self.run_actions(t, false).await?;
        }
        for t in &repeats {
            self.run_actions(t, true).await?;
        }
        Ok(transitions)
    }

    /// Drops history older than AWS keeps it (30 days), at most once an hour of Nimbus time.
    async fn trim_history(&self, now: Timestamp) -> Result<(), CwError> {
        let last = self.last_trim.load(Ordering::Relaxed);
        if last != i64::MIN && now.0 - last < 3_600_000 {
            return Ok(());
        }
        self.last_trim.store(now.0, Ordering::Relaxed);
        let cutoff = now.0 - HISTORY_KEPT_MS;
        self.change(|book| {
            let old: Vec<HistoryItem> = book
                .history
                .values()
                .flat_map(|v| v.iter().take_while(|h| h.timestamp.0 < cutoff))
                .cloned()
                .collect();
            Ok((
                Change {
                    drop_history: old,
                    ..Change::default()
                },
                (),
            ))
        })
        .await
    }

    /// The earliest time any alarm is due (for the worker's sleep).
    pub fn next_due(&self) -> Option<Timestamp> {
        self.book().alarms.values().map(|a| a.next_evaluation).min()
    }

    pub(crate) fn state_history(&self, old: &Alarm, new: &Alarm, at: Timestamp) -> HistoryItem {
        let mut new_state = serde_json::json!({
            "stateValue": new.state,
            "stateReason": new.state_reason,
        });
        if let Some(d) = &new.state_reason_data {
            new_state["stateReasonData"] =
                serde_json::from_str(d).unwrap_or_else(|_| serde_json::Value::String(d.clone()));
        }
        let data = serde_json::json!({
            "version": "1.0",
            "oldState": {"stateValue": old.state, "stateReason": old.state_reason},
            "newState": new_state,
        });
        self.history_item(
            new,
            at,
            "StateUpdate",
            format!("Alarm updated from {} to {}", old.state, new.state),
            data.to_string(),
        )
    }

    /// Fires the actions of the transition's new state (when actions are enabled) and
    /// records each outcome as an `Action` history item.
    /// `autoscaling_only`: the repeated invocation of an alarm that stayed in its state.
    pub(crate) async fn run_actions(
        &self,
        t: &AlarmTransition,
        autoscaling_only: bool,
    ) -> Result<(), CwError> {
        let a = &t.alarm;
        if !a.actions_enabled {
            return Ok(());
        }
        let actions = self.actions();
        let mut items = Vec::new();
        for arn in a
            .actions_for(&a.state)
            .iter()
            .filter(|x| !autoscaling_only || is_autoscaling(x))
        {
            let result = actions.fire(arn, t).await;
            let at = self.clock.now();
            let (summary, data) = match result {
                Ok(detail) => (
                    format!("Successfully executed action {arn}"),
                    serde_json::json!({
                        "actionState": "Succeeded",
                        "stateUpdateTimestamp": a.state_updated.0,
                        "notificationResource": arn,
                        "publishedMessage": detail,
                    }),
                ),
                Err(why) => (
                    format!("Failed to execute action {arn}"),
                    serde_json::json!({
                        "actionState": "Failed",
                        "stateUpdateTimestamp": a.state_updated.0,
                        "error": why,
                    }),
                ),
            };
            items.push(self.history_item(a, at, "Action", summary, data.to_string()));
        }
        if items.is_empty() {
            return Ok(());
        }
        self.change(|_| {
            Ok((
                Change {
                    history: items,
                    ..Change::default()
                },
                (),
            ))
        })
        .await
    }
}

#[cfg(test)]
mod tests;
