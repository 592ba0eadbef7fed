//! What a metric alarm is: its configuration as `PutMetricAlarm` validated it, its state,
//! and its history items, in the forms they are stored in and answered with. Validation of
//! `PutMetricAlarm`'s input (AWS's limits and combinations) is here too. No evaluation
//! (`eval.rs`), no store access (`book.rs`), no wire handling beyond building the answer
//! shapes.

use crate::error::CwError;
use crate::generated as g;
use crate::validate;
use nimbus_core::Timestamp;
use serde::{Deserialize, Serialize};

/// The basic statistics an alarm can evaluate.
pub const STATISTICS: [&str; 5] = ["SampleCount", "Average", "Sum", "Minimum", "Maximum"];

/// The comparison operators of static-threshold alarms.
pub const COMPARISONS: [&str; 4] = [
    "GreaterThanOrEqualToThreshold",
    "GreaterThanThreshold",
    "LessThanThreshold",
    "LessThanOrEqualToThreshold",
];

/// The comparison operators of anomaly-detection alarms (need a band from metric math).
pub const BAND_COMPARISONS: [&str; 3] = [
    "LessThanLowerOrGreaterThanUpperThreshold",
    "LessThanLowerThreshold",
    "GreaterThanUpperThreshold",
];

pub const TREATMENTS: [&str; 4] = ["missing", "ignore", "breaching", "notBreaching"];

pub const STATES: [&str; 3] = ["OK", "ALARM", "INSUFFICIENT_DATA"];

/// A `MetricStat`'s (namespace, metric name, sorted dimensions, statistic, unit).
pub type QueryMetric = (
    String,
    String,
    Vec<(String, String)>,
    String,
    Option<String>,
);

/// One query of a metric-math alarm (`Metrics`): a metric with a statistic and period, or
/// an expression over the others.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AlarmQuery {
    pub id: String,
    pub label: Option<String>,
    pub return_data: bool,
    pub expression: Option<String>,
    /// (namespace, metric name, sorted dimensions, statistic, unit) of a `MetricStat`.
    pub metric: Option<QueryMetric>,
    /// The `MetricStat`'s period, or the expression's `Period`.
    pub period: Option<i64>,
}

impl AlarmQuery {
    pub fn to_wire(&self) -> g::MetricDataQuery {
        g::MetricDataQuery {
            id: self.id.clone(),
            metric_stat: self
                .metric
                .as_ref()
                .map(|(ns, name, dims, stat, unit)| g::MetricStat {
                    metric: g::Metric {
                        namespace: Some(ns.clone()),
                        metric_name: Some(name.clone()),
                        dimensions: Some(
                            dims.iter()
                                .map(|(n, v)| g::Dimension {
                                    name: n.clone(),
                                    value: v.clone(),
                                })
                                .collect(),
                        ),
                    },
                    period: self.period.unwrap_or(60) as i32,
                    stat: stat.clone(),
                    unit: unit.clone(),
                }),
            expression: self.expression.clone(),
            label: self.label.clone(),
            return_data: Some(self.return_data),
            period: if self.metric.is_none() {
                self.period.map(|p| p as i32)
            } else {
                None
            },
            account_id: None,
        }
    }

    pub fn to_json(&self) -> serde_json::Value {
        let mut v = serde_json::json!({"id": self.id, "returnData": self.return_data});
        if let Some(e) = &self.expression {
            v["expression"] = e.clone().into();
        }
        if let Some(l) = &self.label {
            v["label"] = l.clone().into();
        }
        if let Some((ns, name, dims, stat, unit)) = &self.metric {
            v["metricStat"] = serde_json::json!({
                "metric": {"namespace": ns, "name": name,
                           "dimensions": dims.iter().map(|(n, v)| (n.clone(), serde_json::Value::from(v.clone()))).collect::<serde_json::Map<_, _>>()},
                "period": self.period,
                "stat": stat,
                "unit": unit,
            });
        }
        v
    }
}

fn alarm_queries(queries: Vec<g::MetricDataQuery>) -> Result<(Vec<AlarmQuery>, i64), CwError> {
    if queries.len() > 10 {
        return Err(invalid(
            "The collection Metrics must not have a size greater than 10.",
        ));
    }
    let returning = queries
        .iter()
        .filter(|q| q.return_data.unwrap_or(true))
        .count();
    if returning != 1 {
        return Err(invalid(
            "Exactly one element of the metrics list should return data.",
        ));
    }
    let mut out = Vec::new();
    let mut ids = std::collections::HashSet::new();
    for q in queries {
        if !ids.insert(q.id.clone()) || !q.id.starts_with(|c: char| c.is_ascii_lowercase()) {
            return Err(invalid(format!(
                "The value {} for parameter Metrics.member.Id is invalid.",
                q.id
            )));
        }
        if q.metric_stat.is_some() == q.expression.is_some() {
            return Err(CwError::InvalidCombination(format!(
                "Exactly one of MetricStat and Expression must be set for the metric {}.",
                q.id
            )));
        }
        if q.account_id.is_some() {
            return Err(CwError::NotImplemented(
                "PutMetricAlarm with cross-account Metrics (AccountId)",
            ));
        }
        let (metric, period) = match q.metric_stat {
            Some(ms) => {
                if !STATISTICS.contains(&ms.stat.as_str()) {
                    return Err(CwError::NotImplemented(
                        "PutMetricAlarm with an extended statistic (percentiles need the raw values, and Nimbus keeps statistic sets)",
                    ));
                }
                let p = i64::from(ms.period);
                if !(p == 10 || p == 20 || p == 30 || (p >= 60 && p % 60 == 0)) {
                    return Err(invalid(
                        "The parameter Period must be 10, 20, 30, or a multiple of 60.",
                    ));
                }
                let ns = ms.metric.namespace.unwrap_or_default();
                validate::watched_namespace(&ns)?;
                let name = ms.metric.metric_name.unwrap_or_default();
                if name.is_empty() {
                    return Err(CwError::Missing(
                        "The parameter MetricName is required.".into(),
                    ));
                }
                let dims = validate::sorted_dims(ms.metric.dimensions)?;
                (Some((ns, name, dims, ms.stat, ms.unit)), Some(p))
            }
            None => {
                let e = q.expression.clone().unwrap_or_default();
                if e.contains("ANOMALY_DETECTION_BAND")
                    || e.contains("SEARCH(")
                    || e.contains("SELECT ")
                {
                    return Err(CwError::NotImplemented(
                        "PutMetricAlarm on ANOMALY_DETECTION_BAND, SEARCH or Metrics Insights expressions",
                    ));
                }
                crate::math::parse(&e)
                    .map_err(|why| invalid(format!("Error in expression {}: {why}", q.id)))?;
                (None, q.period.map(i64::from))
            }
        };
        out.push(AlarmQuery {
            id: q.id,
            label: q.label,
            return_data: q.return_data.unwrap_or(true),
            expression: q.expression,
            metric,
            period,
        });
    }
    let min_stat = out
        .iter()
        .filter(|q| q.metric.is_some())
        .filter_map(|q| q.period)
        .min();
    let ret = out
        .iter()
        .find(|q| q.return_data)
        .and_then(|q| q.period)
        .or(min_stat)
        .unwrap_or(60);
    Ok((out, ret))
}

/// An alarm's configuration and state: one `cloudwatch.alarms` record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Alarm {
    pub account: String,
    pub region: String,
    pub name: String,
    pub description: Option<String>,
    pub actions_enabled: bool,
    pub ok_actions: Vec<String>,
    pub alarm_actions: Vec<String>,
    pub insufficient_data_actions: Vec<String>,
    pub namespace: String,
    pub metric_name: String,
    /// Sorted by name.
    pub dimensions: Vec<(String, String)>,
    pub statistic: String,
    pub period: i64,
    pub unit: Option<String>,
    pub evaluation_periods: i64,
    pub datapoints_to_alarm: Option<i64>,
    pub threshold: f64,
    pub comparison: String,
    pub treat_missing_data: Option<String>,
    pub tags: Vec<(String, String)>,
    /// The queries of a metric-math alarm (empty for an alarm on one metric, whose metric
    /// is `namespace`/`metric_name`/`dimensions`/`statistic`).
    #[serde(default)]
    pub metrics: Vec<AlarmQuery>,
    /// A composite alarm's rule (`None` for a metric alarm).
    #[serde(default)]
    pub rule: Option<String>,
    pub configuration_updated: Timestamp,
    pub state: String,
    pub state_reason: String,
    pub state_reason_data: Option<String>,
    pub state_updated: Timestamp,
    pub state_transitioned: Timestamp,
    /// When the evaluator next looks at the alarm (not on the wire).
    pub next_evaluation: Timestamp,
}

impl Alarm {
    /// Whether the alarm watches one metric (not metric math).
    pub fn single(&self) -> bool {
        self.metrics.is_empty()
    }

    pub fn arn(&self) -> String {
        alarm_arn(&self.region, &self.account, &self.name)
    }

    /// `DatapointsToAlarm`, defaulting to `EvaluationPeriods` as AWS does.
    pub fn m(&self) -> i64 {
        self.datapoints_to_alarm.unwrap_or(self.evaluation_periods)
    }

    /// How missing data is treated: as set (default `missing`), except that alarms on
    /// `AWS/DynamoDB` metrics always ignore missing data, as AWS documents.
    pub fn treatment(&self) -> &str {
        if self.namespace == "AWS/DynamoDB" {
            return "ignore";
        }
        self.treat_missing_data.as_deref().unwrap_or("missing")
    }

    /// How often the alarm is evaluated: every minute, or every period for the
    /// high-resolution periods (10, 20 and 30 seconds).
    pub fn interval_ms(&self) -> i64 {
        self.period.min(60) * 1000
    }

    /// The actions for a state.
    pub fn actions_for(&self, state: &str) -> &[String] {
        match state {
            "OK" => &self.ok_actions,
            "ALARM" => &self.alarm_actions,
            _ => &self.insufficient_data_actions,
        }
    }

    pub fn to_wire(&self) -> g::MetricAlarm {
        g::MetricAlarm {
            alarm_name: Some(self.name.clone()),
            alarm_arn: Some(self.arn()),
            alarm_description: self.description.clone(),
            alarm_configuration_updated_timestamp: Some(self.configuration_updated),
            actions_enabled: Some(self.actions_enabled),
            ok_actions: Some(self.ok_actions.clone()),
            alarm_actions: Some(self.alarm_actions.clone()),
            insufficient_data_actions: Some(self.insufficient_data_actions.clone()),
            state_value: Some(self.state.clone()),
            state_reason: Some(self.state_reason.clone()),
            state_reason_data: self.state_reason_data.clone(),
            state_updated_timestamp: Some(self.state_updated),
            metric_name: self.single().then(|| self.metric_name.clone()),
            namespace: self.single().then(|| self.namespace.clone()),
            statistic: self.single().then(|| self.statistic.clone()),
            extended_statistic: None,
            dimensions: self.single().then(|| {
                self.dimensions
                    .iter()
                    .map(|(n, v)| g::Dimension {
                        name: n.clone(),
                        value: v.clone(),
                    })
                    .collect()
            }),
            period: self.single().then_some(self.period as i32),
            unit: self.unit.clone(),
            evaluation_periods: Some(self.evaluation_periods as i32),
            datapoints_to_alarm: self.datapoints_to_alarm.map(|d| d as i32),
            threshold: Some(self.threshold),
            comparison_operator: Some(self.comparison.clone()),
            treat_missing_data: self.treat_missing_data.clone(),
            evaluate_low_sample_count_percentile: None,
            metrics: (!self.single())
                .then(|| self.metrics.iter().map(AlarmQuery::to_wire).collect()),
            threshold_metric_id: None,
            evaluation_state: None,
            state_transitioned_timestamp: Some(self.state_transitioned),
            evaluation_criteria: None,
            evaluation_interval: None,
        }
    }

    /// The configuration as the history's JSON shows it (`createdAlarm`, `updatedAlarm`).
    pub fn config_json(&self) -> serde_json::Value {
        let mut v = serde_json::json!({
            "timestamp": aws_json_time(self.configuration_updated),
            "metricName": self.metric_name,
            "namespace": self.namespace,
            "dimensions": self.dimensions.iter().map(|(n, v)| serde_json::json!({"name": n, "value": v})).collect::<Vec<_>>(),
            "statistic": self.statistic.to_ascii_uppercase(),
            "period": self.period,
            "evaluationPeriods": self.evaluation_periods,
            "threshold": self.threshold,
            "comparisonOperator": self.comparison,
            "actionsEnabled": self.actions_enabled,
            "alarmActions": self.alarm_actions,
            "okActions": self.ok_actions,
            "insufficientDataActions": self.insufficient_data_actions,
            "alarmName": self.name,
            "treatMissingData": self.treatment(),
        });
        if let Some(obj) = v.as_object_mut() {
            if !self.single() {
                for k in [
                    "metricName",
                    "namespace",
                    "dimensions",
                    "statistic",
                    "period",
                ] {
                    obj.remove(k);
                }
                obj.insert(
                    "metrics".into(),
                    self.metrics.iter().map(AlarmQuery::to_json).collect(),
                );
            }
            if let Some(d) = &self.description {
                obj.insert("alarmDescription".into(), d.clone().into());
            }
            if let Some(m) = self.datapoints_to_alarm {
                obj.insert("datapointsToAlarm".into(), m.into());
            }
            if let Some(u) = &self.unit {
                obj.insert("unit".into(), u.clone().into());
            }
        }
        v
    }
}

pub fn alarm_arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:cloudwatch:{region}:{account}:alarm:{name}")
}

/// `2026-12-07T10:00:00.000+0000`: how CloudWatch writes times inside its JSON documents
/// (state reason data, history data, notifications).
pub fn aws_json_time(t: Timestamp) -> String {
    let iso = t.to_iso8601();
    format!("{}+0000", iso.trim_end_matches('Z'))
}

/// `07/12/26 10:00:00` (day/month/year): how a state reason writes a datapoint's time.
pub fn reason_time(t: Timestamp) -> String {
    let iso = t.to_iso8601(); // 2026-12-07T10:00:00.000Z
    format!(
        "{}/{}/{} {}",
        &iso[8..10],
        &iso[5..7],
        &iso[2..4],
        &iso[11..19]
    )
}

/// A number as CloudWatch's (Java) messages write it: `95.0`, `0.5`, `1.0E7`.
pub fn java_double(x: f64) -> String {
    if !x.is_finite() {
        return if x.is_nan() {
            "NaN".into()
        } else if x > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        };
    }
    let a = x.abs();
    if a == 0.0 || (1e-3..1e7).contains(&a) {
        let s = format!("{x}");
        if s.contains('.') {
            s
        } else {
            format!("{s}.0")
        }
    } else {
        // Scientific: mantissa with at least one decimal, exponent without '+'.
        let s = format!("{x:e}"); // 1e7, 1.5e-5
        let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
        let m = if m.contains('.') {
            m.to_string()
        } else {
            format!("{m}.0")
        };
        format!("{m}E{e}")
    }
}

/// One alarm history item: one `cloudwatch.alarm_history` record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HistoryItem {
    pub account: String,
    pub region: String,
    pub alarm_name: String,
    pub timestamp: Timestamp,
    /// `ConfigurationUpdate`, `StateUpdate` or `Action`.
    pub kind: String,
    pub summary: String,
    pub data: String,
    /// Orders items of the same millisecond; part of the store key.
    pub seq: u64,
    /// Whether the alarm is a composite alarm.
    #[serde(default)]
    pub composite: bool,
}

impl HistoryItem {
    pub fn to_wire(&self) -> g::AlarmHistoryItem {
        g::AlarmHistoryItem {
            alarm_name: Some(self.alarm_name.clone()),
            alarm_contributor_id: None,
            alarm_type: Some(
                if self.composite {
                    "CompositeAlarm"
                } else {
                    "MetricAlarm"
                }
                .into(),
            ),
            timestamp: Some(self.timestamp),
            history_item_type: Some(self.kind.clone()),
            history_summary: Some(self.summary.clone()),
            history_data: Some(self.data.clone()),
            alarm_contributor_attributes: None,
        }
    }
}

fn invalid(m: impl Into<String>) -> CwError {
    CwError::InvalidValue(m.into())
}

fn check_actions(
    name: &str,
    actions: &Option<Vec<String>>,
    region: &str,
) -> Result<Vec<String>, CwError> {
    let list = actions.clone().unwrap_or_default();
    if list.len() > 5 {
        return Err(invalid(format!(
            "The collection {name} must not have a size greater than 5."
        )));
    }
    for a in &list {
        let parts: Vec<&str> = a.splitn(6, ':').collect();
        if parts.len() < 6 || parts[0] != "arn" || parts[1].is_empty() {
            return Err(invalid(format!("Invalid arn syntax: {a}")));
        }
        match parts[2] {
            "sns" | "autoscaling" | "lambda" | "ssm" | "ssm-incidents" => {}
            "automate" | "swf" => {
                if parts[3] != region || ec2_action(a).is_none() {
                    return Err(invalid(format!("Invalid arn syntax: {a}")));
                }
            }
            _ => return Err(invalid(format!("Invalid arn syntax: {a}"))),
        }
    }
    Ok(list)
}

/// Validates `PutMetricAlarm`'s input into a new alarm in `INSUFFICIENT_DATA` (the caller
/// keeps an existing alarm's state). Percentile statistics and metric-math alarms are
/// refused as not implemented: Nimbus keeps statistic sets, not the raw values percentiles
/// need, and has no `GetMetricData` math yet.
pub fn from_input(
    account: &str,
    region: &str,
    input: g::PutMetricAlarmInput,
    now: Timestamp,
) -> Result<Alarm, CwError> {
    if input.alarm_name.is_empty() || input.alarm_name.chars().count() > 255 {
        return Err(invalid(
            "The parameter AlarmName must be between 1 and 255 characters long.",
        ));
    }
    if input
        .alarm_description
        .as_ref()
        .is_some_and(|d| d.chars().count() > 1024)
    {
        return Err(invalid(
            "The parameter AlarmDescription must be no more than 1024 characters long.",
        ));
    }
    if input.metrics.as_ref().is_some_and(|m| !m.is_empty()) {
        return math_alarm(account, region, input, now);
    }
    if let Some(op) = &input.comparison_operator {
        if BAND_COMPARISONS.contains(&op.as_str()) {
            return Err(CwError::InvalidCombination(format!(
                "The comparison operator {op} is only valid for anomaly detection alarms, which need Metrics and ThresholdMetricId."
            )));
        }
    }
    if input.extended_statistic.is_some() {
        if input.statistic.is_some() {
            return Err(CwError::InvalidCombination(
                "Exactly one of Statistic or ExtendedStatistic must be set.".into(),
            ));
        }
        return Err(CwError::NotImplemented(
            "PutMetricAlarm with ExtendedStatistic (percentiles need the raw values, and Nimbus keeps statistic sets)",
        ));
    }
    let namespace = input
        .namespace
        .ok_or_else(|| CwError::Missing("The parameter Namespace is required.".into()))?;
    validate::watched_namespace(&namespace)?;
    let metric_name = input
        .metric_name
        .ok_or_else(|| CwError::Missing("The parameter MetricName is required.".into()))?;
    if metric_name.is_empty() || metric_name.len() > 255 {
        return Err(invalid("The parameter MetricName is invalid."));
    }
    let statistic = input.statistic.ok_or_else(|| {
        CwError::InvalidCombination(
            "Exactly one of Statistic or ExtendedStatistic must be set.".into(),
        )
    })?;
    if !STATISTICS.contains(&statistic.as_str()) {
        return Err(invalid(format!(
            "The value {statistic} for parameter Statistic is invalid."
        )));
    }
    let period = i64::from(
        input
            .period
            .ok_or_else(|| CwError::Missing("The parameter Period is required.".into()))?,
    );
    if !(period == 10 || period == 20 || period == 30 || (period >= 60 && period % 60 == 0)) {
        return Err(invalid(
            "The parameter Period must be 10, 20, 30, or a multiple of 60.",
        ));
    }
    let n =
        i64::from(input.evaluation_periods.ok_or_else(|| {
            CwError::Missing("The parameter EvaluationPeriods is required.".into())
        })?);
    if n < 1 {
        return Err(invalid(
            "The parameter EvaluationPeriods must be greater than or equal to 1.",
        ));
    }
    let limit = if period >= 3600 { 7 * 86_400 } else { 86_400 };
    if n.saturating_mul(period) > limit {
        return Err(invalid(format!(
            "The evaluation period of the alarm (Period × EvaluationPeriods) must not exceed {limit} seconds."
        )));
    }
    let m = input.datapoints_to_alarm.map(i64::from);
    if let Some(m) = m {
        if m < 1 || m > n {
            return Err(invalid(
                "DatapointsToAlarm must be between 1 and EvaluationPeriods.",
            ));
        }
    }
    let threshold = input
        .threshold
        .ok_or_else(|| CwError::Missing("The parameter Threshold is required.".into()))?;
    let comparison = input
        .comparison_operator
        .ok_or_else(|| CwError::Missing("The parameter ComparisonOperator is required.".into()))?;
    if !COMPARISONS.contains(&comparison.as_str()) {
        return Err(invalid(format!(
            "The value {comparison} for parameter ComparisonOperator is invalid."
        )));
    }
    if let Some(t) = &input.treat_missing_data {
        if !TREATMENTS.contains(&t.as_str()) {
            return Err(invalid(format!(
                "The value {t} for parameter TreatMissingData is invalid."
            )));
        }
    }
    if input.evaluate_low_sample_count_percentile.is_some() {
        return Err(CwError::InvalidCombination(
            "EvaluateLowSampleCountPercentile is only valid for percentile statistics.".into(),
        ));
    }
    if input.evaluation_criteria.is_some() || input.threshold_metric_id.is_some() {
        return Err(CwError::NotImplemented(
            "PutMetricAlarm with EvaluationCriteria or ThresholdMetricId",
        ));
    }
    let dimensions = validate::sorted_dims(input.dimensions)?;
    let tags = check_tags(input.tags.unwrap_or_default())?;
    Ok(Alarm {
        account: account.into(),
        region: region.into(),
        name: input.alarm_name,
        description: input.alarm_description,
        actions_enabled: input.actions_enabled.unwrap_or(true),
        ok_actions: check_actions("OKActions", &input.ok_actions, region)?,
        alarm_actions: check_actions("AlarmActions", &input.alarm_actions, region)?,
        insufficient_data_actions: check_actions(
            "InsufficientDataActions",
            &input.insufficient_data_actions,
            region,
        )?,
        namespace,
        metric_name,
        dimensions,
        statistic,
        period,
        unit: input.unit,
        evaluation_periods: n,
        datapoints_to_alarm: m,
        threshold,
        comparison,
        treat_missing_data: input.treat_missing_data,
        tags,
        metrics: Vec::new(),
        rule: None,
        configuration_updated: now,
        state: "INSUFFICIENT_DATA".into(),
        state_reason: "Unchecked: Initial alarm creation".into(),
        state_reason_data: None,
        state_updated: now,
        state_transitioned: now,
        next_evaluation: now,
    })
}

/// `PutMetricAlarm` with `Metrics`: a metric-math alarm.
fn math_alarm(
    account: &str,
    region: &str,
    input: g::PutMetricAlarmInput,
    now: Timestamp,
) -> Result<Alarm, CwError> {
    if input.metric_name.is_some()
        || input.namespace.is_some()
        || input.statistic.is_some()
        || input.extended_statistic.is_some()
        || input.dimensions.as_ref().is_some_and(|d| !d.is_empty())
        || input.period.is_some()
        || input.unit.is_some()
    {
        return Err(CwError::InvalidCombination(
            "Metrics list cannot be combined with MetricName, Namespace, Statistic, ExtendedStatistic, Dimensions, Period or Unit.".into(),
        ));
    }
    if input.threshold_metric_id.is_some() || input.evaluation_criteria.is_some() {
        return Err(CwError::NotImplemented(
            "PutMetricAlarm with ThresholdMetricId or EvaluationCriteria (anomaly detection)",
        ));
    }
    let (metrics, period) = alarm_queries(input.metrics.clone().unwrap_or_default())?;
    // Validate the rest as for a single-metric alarm, with a placeholder metric.
    let mut stand_in = input;
    stand_in.metrics = None;
    stand_in.namespace = Some("Nimbus/MetricMath".into());
    stand_in.metric_name = Some("expression".into());
    stand_in.statistic = Some("Average".into());
    stand_in.period = Some(period as i32);
    let mut alarm = from_input(account, region, stand_in, now)?;
    alarm.namespace = String::new();
    alarm.metric_name = String::new();
    alarm.statistic = String::new();
    alarm.metrics = metrics;
    Ok(alarm)
}

/// The EC2 action an action ARN names (`stop`, `terminate`, `reboot`, `recover`), in either
/// of AWS's forms: `arn:aws:automate:REGION:ec2:stop` or
/// `arn:aws:swf:REGION:ACCOUNT:action/actions/AWS_EC2.InstanceId.Stop/1.0`.
pub fn ec2_action(arn: &str) -> Option<&'static str> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    if parts.len() < 6 || parts[0] != "arn" {
        return None;
    }
    let named = |w: &str| match w {
        "stop" | "Stop" => Some("stop"),
        "terminate" | "Terminate" => Some("terminate"),
        "reboot" | "Reboot" => Some("reboot"),
        "recover" | "Recover" => Some("recover"),
        _ => None,
    };
    match parts[2] {
        "automate" if parts[4] == "ec2" => named(parts[5]),
        "swf" => parts[5]
            .strip_prefix("action/actions/AWS_EC2.InstanceId.")
            .and_then(|r| r.strip_suffix("/1.0"))
            .and_then(named),
        _ => None,
    }
}

/// The instance an alarm watches: the `InstanceId` dimension of its metric (of one of its
/// metric queries for a metric-math alarm).
pub fn watched_instance(a: &Alarm) -> Option<&str> {
    fn of(dims: &[(String, String)]) -> Option<&str> {
        dims.iter()
            .find(|(k, _)| k == "InstanceId")
            .map(|(_, v)| v.as_str())
    }
    of(&a.dimensions).or_else(|| {
        a.metrics
            .iter()
            .filter_map(|q| q.metric.as_ref())
            .find_map(|m| of(&m.2))
    })
}

/// EC2 actions (`arn:aws:automate:REGION:ec2:…`) are for alarms that watch an instance.
pub fn check_ec2_actions(a: &Alarm) -> Result<(), CwError> {
    let ec2 = a
        .ok_actions
        .iter()
        .chain(&a.alarm_actions)
        .chain(&a.insufficient_data_actions)
        .any(|x| ec2_action(x).is_some());
    if ec2 && watched_instance(a).is_none() {
        return Err(CwError::Validation(
            "Invalid use of EC2 action. An EC2 action can only be used if the alarm is monitoring an EC2 instance.".into(),
        ));
    }
    Ok(())
}

/// Checks tags (AWS's limits: key 1–128, value 0–256 characters, no `aws:` keys, 50 tags).
pub fn check_tags(tags: Vec<g::Tag>) -> Result<Vec<(String, String)>, CwError> {
    let mut out: Vec<(String, String)> = Vec::new();
    for t in tags {
        if t.key.is_empty() || t.key.chars().count() > 128 {
            return Err(invalid(
                "Tag keys must be between 1 and 128 characters long.",
            ));
        }
        if t.value.chars().count() > 256 {
            return Err(invalid(
                "Tag values must be no more than 256 characters long.",
            ));
        }
        if t.key.to_ascii_lowercase().starts_with("aws:") {
            return Err(invalid(
                "Tag keys starting with 'aws:' are reserved for AWS use.",
            ));
        }
        match out.iter_mut().find(|(k, _)| *k == t.key) {
            Some(e) => e.1 = t.value,
            None => out.push((t.key, t.value)),
        }
    }
    if out.len() > 50 {
        return Err(CwError::LimitExceeded(
            "An alarm can have at most 50 tags.".into(),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_times_as_cloudwatch_writes_them() {
        assert_eq!(java_double(95.0), "95.0");
        assert_eq!(java_double(40.0), "40.0");
        assert_eq!(java_double(0.5), "0.5");
        assert_eq!(java_double(-3.25), "-3.25");
        assert_eq!(java_double(1e7), "1.0E7");
        assert_eq!(java_double(0.0), "0.0");
        let t = Timestamp::from_secs(1_796_637_600); // 2026-12-07T10:00:00Z
        assert_eq!(reason_time(t), "07/12/26 10:00:00");
        assert_eq!(aws_json_time(t), "2026-12-07T10:00:00.000+0000");
    }
}
