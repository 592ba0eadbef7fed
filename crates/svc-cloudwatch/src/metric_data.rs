//! `GetMetricData`: `MetricStat` queries read the repository exactly as
//! `GetMetricStatistics` does (same retention rules and period rounding), expressions are
//! evaluated by [`crate::math`], and the results are paged by `MaxDatapoints` in `ScanBy`
//! order. Percentile and other extended statistics are refused as not implemented (Nimbus
//! keeps statistic sets, which percentiles cannot be computed from).

use crate::error::CwError;
use crate::generated as g;
use crate::math::{self, Series, Value};
use crate::metrics::KeyRef;
use crate::retention;
use crate::series::Query;
use crate::state::CloudWatch;
use crate::validate;
use nimbus_core::{RequestContext, Timestamp};
use std::collections::HashMap;

const BASIC: [&str; 5] = ["SampleCount", "Average", "Sum", "Minimum", "Maximum"];
const MAX_DATAPOINTS: usize = 100_800;

fn invalid(m: impl Into<String>) -> CwError {
    CwError::InvalidValue(m.into())
}

/// One query's evaluated outcome.
struct Outcome {
    id: String,
    label: String,
    series: Series,
}

struct Ctx<'a> {
    stats: &'a HashMap<String, (String, Series)>,
    exprs: &'a HashMap<String, math::ExprTree>,
    start: i64,
    end: i64,
    period: i64,
    depth: usize,
}

impl math::Context for Ctx<'_> {
    fn query(&self, id: &str) -> Result<Value, String> {
        if let Some((_, s)) = self.stats.get(id) {
            return Ok(Value::Series(s.clone()));
        }
        let e = self
            .exprs
            .get(id)
            .ok_or_else(|| format!("Unknown metric id {id}"))?;
        if self.depth > 20 {
            return Err("Circular dependency between expressions".into());
        }
        e.eval(&Ctx {
            depth: self.depth + 1,
            ..*self
        })
    }
    fn metrics(&self) -> Vec<(String, Series)> {
        let mut v: Vec<_> = self.stats.values().cloned().collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    }
    fn grid(&self) -> Vec<i64> {
        let step = self.period * 1000;
        (0..)
            .map(|i| self.start + i * step)
            .take_while(|t| *t < self.end)
            .collect()
    }
    fn period_secs(&self) -> i64 {
        self.period
    }
}

/// The series of one statistic of one metric over `[start, end)` at `period`, read as
/// `GetMetricStatistics` reads it (`start` already rounded).
#[allow(clippy::too_many_arguments)]
pub(crate) fn stat_series(
    mem: &crate::state::Memory,
    key: &KeyRef<'_>,
    stat: &str,
    unit: Option<&str>,
    start: Timestamp,
    end: Timestamp,
    period: i64,
    now: Timestamp,
) -> Series {
    let mut series = Series::new();
    if let Some(s) = mem.samples.get(key) {
        let query = Query {
            start,
            end,
            period_secs: period,
            unit,
            now,
        };
        for a in s.aggregate(&query) {
            let v = match stat {
                "SampleCount" => a.count,
                "Average" => a.average(),
                "Sum" => a.sum,
                "Minimum" => a.min,
                _ => a.max,
            };
            series.insert(a.start.0, v);
        }
    }
    series
}

/// Evaluates the expression `id` over `stats` (the metric queries' labelled series) and
/// `exprs` (the other expressions), on the grid `[start, end)` at `period`.
pub(crate) fn evaluate_expression(
    stats: &HashMap<String, (String, Series)>,
    exprs: &HashMap<String, math::ExprTree>,
    id: &str,
    start: i64,
    end: i64,
    period: i64,
) -> Result<Value, String> {
    let c = Ctx {
        stats,
        exprs,
        start,
        end,
        period,
        depth: 0,
    };
    math::Context::query(&c, id)
}

fn valid_id(id: &str) -> bool {
    id.len() <= 255
        && id.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl CloudWatch {
    pub(crate) async fn metric_data(
        &self,
        ctx: &RequestContext,
        input: g::GetMetricDataInput,
    ) -> Result<g::GetMetricDataOutput, CwError> {
        let queries = input.metric_data_queries;
        if queries.is_empty() || queries.len() > 500 {
            return Err(invalid(
                "The collection MetricDataQueries must have between 1 and 500 members.",
            ));
        }
        if input.start_time >= input.end_time {
            return Err(invalid(
                "The parameter StartTime must be less than the parameter EndTime.",
            ));
        }
        let descending = match input.scan_by.as_deref() {
            None | Some("TimestampDescending") => true,
            Some("TimestampAscending") => false,
            Some(o) => {
                return Err(invalid(format!(
                    "The value {o} for parameter ScanBy is invalid."
                )))
            }
        };
        let max = match input.max_datapoints {
            None => MAX_DATAPOINTS,
            Some(n) if n > 0 => (n as usize).min(MAX_DATAPOINTS),
            Some(n) => {
                return Err(invalid(format!(
                    "The value {n} for parameter MaxDatapoints is invalid."
                )))
            }
        };
        let mut seen = std::collections::HashSet::new();
        for q in &queries {
            if !valid_id(&q.id) {
                return Err(invalid(format!(
                    "The value {} for parameter MetricDataQueries.member.Id is invalid: it must start with a lowercase letter and contain only letters, numbers and underscores.",
                    q.id
                )));
            }
            if !seen.insert(q.id.clone()) {
                return Err(invalid(format!(
                    "The values for parameter id in MetricDataQueries are not unique: {}",
                    q.id
                )));
            }
            if q.metric_stat.is_some() == q.expression.is_some() {
                return Err(CwError::InvalidCombination(format!(
                    "Exactly one of MetricStat and Expression must be set for the metric data query {}.",
                    q.id
                )));
            }
        }
        if !queries.iter().any(|q| q.return_data.unwrap_or(true)) {
            return Err(invalid(
                "At least one MetricDataQuery must have ReturnData set to true.",
            ));
        }
        self.upkeep(Vec::new()).await;
        let now = self.clock.now();
        let mut stats: HashMap<String, (String, Series)> = HashMap::new();
        let mut exprs: HashMap<String, math::ExprTree> = HashMap::new();
        let mut min_period = i64::MAX;
        {
            let mem = self.memory();
            for q in &queries {
                let Some(ms) = &q.metric_stat else { continue };
                let period = i64::from(ms.period);
                if !retention::valid_period(period) {
                    return Err(CwError::Period);
                }
                min_period = min_period.min(period);
                if !BASIC.contains(&ms.stat.as_str()) {
                    return Err(CwError::NotImplemented(
                        "GetMetricData with extended statistics (percentiles and trimmed statistics need raw values; Nimbus keeps statistic sets)",
                    ));
                }
                let namespace = ms.metric.namespace.clone().unwrap_or_default();
                let name = ms.metric.metric_name.clone().unwrap_or_default();
                validate::watched_namespace(&namespace)?;
                let dims = validate::sorted_dims(ms.metric.dimensions.clone())?;
                let key = KeyRef {
                    account: ctx.account_id(),
                    region: &ctx.region,
                    namespace: &namespace,
                    name: &name,
                    dimensions: &dims,
                };
                let start = retention::round_start(input.start_time, period, now);
                let series =
                    if period % retention::required_period_multiple(input.start_time, now) == 0 {
                        stat_series(
                            &mem,
                            &key,
                            &ms.stat,
                            ms.unit.as_deref(),
                            start,
                            input.end_time,
                            period,
                            now,
                        )
                    } else {
                        Series::new()
                    };
                let label = q.label.clone().unwrap_or_else(|| name.clone());
                stats.insert(q.id.clone(), (label, series));
            }
        }
        for q in &queries {
            if let Some(e) = &q.expression {
                let tree = math::parse(e)
                    .map_err(|why| invalid(format!("Error in expression {}: {why}", q.id)))?;
                exprs.insert(q.id.clone(), tree);
            }
        }
        let period = queries
            .iter()
            .filter_map(|q| q.period)
            .map(i64::from)
            .min()
            .unwrap_or(if min_period == i64::MAX {
                60
            } else {
                min_period
            });
        let start = retention::round_start(input.start_time, period, now).0;
        let mut outcomes: Vec<Outcome> = Vec::new();
        for q in queries.iter().filter(|q| q.return_data.unwrap_or(true)) {
            if let Some((label, s)) = stats.get(&q.id) {
                outcomes.push(Outcome {
                    id: q.id.clone(),
                    label: label.clone(),
                    series: s.clone(),
                });
                continue;
            }
            let value = evaluate_expression(&stats, &exprs, &q.id, start, input.end_time.0, period)
                .map_err(|why| invalid(format!("Error in expression {}: {why}", q.id)))?;
            match value {
                Value::Series(s) => outcomes.push(Outcome {
                    id: q.id.clone(),
                    label: q.label.clone().unwrap_or_else(|| q.id.clone()),
                    series: s,
                }),
                Value::Array(xs) => {
                    for (l, s) in xs {
                        outcomes.push(Outcome { id: q.id.clone(), label: q.label.clone().unwrap_or(l), series: s });
                    }
                }
                Value::Scalar(_) => {
                    return Err(invalid(format!(
                        "Error in expression {}: the expression must return a time series or an array of time series",
                        q.id
                    )))
                }
            }
        }
        page(outcomes, descending, max, input.next_token.as_deref())
    }
}

/// Pages the results by datapoints: `NextToken` is how many datapoints earlier pages held.
fn page(
    outcomes: Vec<Outcome>,
    descending: bool,
    max: usize,
    token: Option<&str>,
) -> Result<g::GetMetricDataOutput, CwError> {
    let skip: usize = match token {
        None => 0,
        Some(t) => t.parse().map_err(|_| CwError::InvalidNextToken)?,
    };
    let outcomes: Vec<Outcome> = outcomes
        .into_iter()
        .map(|mut o| {
            o.series.retain(|_, v| v.is_finite());
            o
        })
        .collect();
    let total: usize = outcomes.iter().map(|o| o.series.len()).sum();
    let mut offset = 0;
    let mut results = Vec::new();
    let mut budget = max;
    for o in outcomes {
        let mut pts: Vec<(i64, f64)> = o.series.into_iter().collect();
        if descending {
            pts.reverse();
        }
        let n = pts.len();
        let from = skip.saturating_sub(offset).min(n);
        let take = (n - from).min(budget);
        offset += n;
        if skip > 0 && from == n && n > 0 {
            continue;
        }
        budget -= take;
        let chosen = &pts[from..from + take];
        results.push(g::MetricDataResult {
            id: Some(o.id),
            label: Some(o.label),
            timestamps: Some(chosen.iter().map(|(t, _)| Timestamp(*t)).collect()),
            values: Some(chosen.iter().map(|(_, v)| *v).collect()),
            status_code: Some(
                if from + take < n {
                    "PartialData"
                } else {
                    "Complete"
                }
                .into(),
            ),
            messages: None,
        });
    }
    let shown = skip + (max - budget);
    Ok(g::GetMetricDataOutput {
        metric_data_results: Some(results),
        next_token: (shown < total).then(|| shown.to_string()),
        messages: Some(Vec::new()),
    })
}
