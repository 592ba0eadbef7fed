//! Deciding an alarm's state from its datapoints, by AWS's documented rules ("Evaluating an
//! alarm", "Configuring how CloudWatch alarms treat missing data"), and wording the outcome
//! as AWS does (`StateReason`, `StateReasonData`). Pure: the caller gathers one value (or
//! none) per period over the evaluation range and gets back the state to be in.
//!
//! The rules (AWS's "how alarm state is evaluated when data is missing"):
//! * The evaluation range is wider than `N` (`EvaluationPeriods`): the last `N + 2` complete
//!   periods (AWS's documented example reads 5 periods for `N` = 3), and for periods under
//!   5 minutes at least the last 10 minutes, so that standard 5-minute data (EC2 basic
//!   monitoring, published after its interval ends) always has a datapoint in the range of
//!   a 1-minute alarm. AWS does not publish its exact range ("depends on the length of the
//!   alarm period and whether it is based on a metric with standard resolution").
//! * At least `N` datapoints in the range: the most recent `N` of them decide, whatever
//!   `TreatMissingData` says. ALARM when at least `M` (`DatapointsToAlarm`) breach, else OK.
//! * None at all: `missing` → INSUFFICIENT_DATA, `ignore` → stay, `breaching` → ALARM,
//!   `notBreaching` → OK.
//! * Some, fewer than `N`: every datapoint in the range counts, and the `N - r` missing ones
//!   are filled as the treatment says: `breaching` / `notBreaching` count them as breaching /
//!   not; `missing` leaves them out and asks `M` of the datapoints there are, or all of
//!   them when there are fewer than `M` (the documented `- - X - -` → ALARM for 3 of 3: a
//!   lone breaching datapoint alarms), else OK; `ignore` decides only what the datapoints alone decide
//!   (ALARM with `M` breaching, OK with more than `N - M` not breaching) and otherwise
//!   keeps the current state (`- - X - -` → "retain current state").

use super::model::{aws_json_time, java_double, reason_time, Alarm};
use nimbus_core::Timestamp;

/// One period's datapoint.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    pub start: Timestamp,
    pub value: f64,
    pub sample_count: f64,
}

/// What an evaluation concluded.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    pub state: String,
    pub reason: String,
    pub reason_data: Option<String>,
}

pub fn breaches(comparison: &str, value: f64, threshold: f64) -> bool {
    match comparison {
        "GreaterThanOrEqualToThreshold" => value >= threshold,
        "GreaterThanThreshold" => value > threshold,
        "LessThanThreshold" => value < threshold,
        "LessThanOrEqualToThreshold" => value <= threshold,
        _ => false,
    }
}

fn comparison_words(comparison: &str) -> &'static str {
    match comparison {
        "GreaterThanOrEqualToThreshold" => "greater than or equal to",
        "GreaterThanThreshold" => "greater than",
        "LessThanThreshold" => "less than",
        _ => "less than or equal to",
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// How many periods the evaluator reads for an alarm of `n` evaluation periods of
/// `period` seconds.
pub fn range_len(n: i64, period: i64) -> i64 {
    let base = n.max(1) + 2;
    if period > 0 && period < 300 {
        base.max((600 + period - 1) / period)
    } else {
        base
    }
}

/// Evaluates `alarm` over `range` (oldest first, `range_len(N)` periods, `None` = no data),
/// at `now`. `None`: stay as it is (`ignore` with no data at all).
pub fn evaluate(
    alarm: &Alarm,
    range: &[(Timestamp, Option<Point>)],
    now: Timestamp,
) -> Option<Outcome> {
    evaluate_from(alarm, range, now, None)
}

/// The tally the rules decide on: the datapoints that count (most recent first), how many
/// of them breach, and how many missing datapoints are filled in as breaching / as not.
struct Tally<'a> {
    points: Vec<&'a Point>,
    breaching: usize,
    missing_breach: usize,
    missing_ok: usize,
}

/// What the rules say: `Ok(state)`, or `Err(())` to stay as is (`ignore` undecided).
fn rule<'a>(
    alarm: &Alarm,
    range: &'a [(Timestamp, Option<Point>)],
) -> (Result<&'static str, ()>, Tally<'a>) {
    let n = alarm.evaluation_periods.max(1) as usize;
    let m = (alarm.m().max(1) as usize).min(n);
    let breach = |p: &Point| breaches(&alarm.comparison, p.value, alarm.threshold);
    let points: Vec<&Point> = range
        .iter()
        .rev()
        .filter_map(|(_, p)| p.as_ref())
        .take(n)
        .collect();
    let r = points.len();
    let b = points.iter().filter(|p| breach(p)).count();
    let o = r - b;
    let mut tally = Tally {
        points,
        breaching: b,
        missing_breach: 0,
        missing_ok: 0,
    };
    let gap = n - r;
    let state = if r >= n {
        Ok(if b >= m { "ALARM" } else { "OK" })
    } else {
        match alarm.treatment() {
            "breaching" => {
                tally.missing_breach = gap;
                Ok(if b + gap >= m { "ALARM" } else { "OK" })
            }
            "notBreaching" => {
                tally.missing_ok = gap;
                Ok(if b >= m { "ALARM" } else { "OK" })
            }
            "ignore" => {
                if b >= m {
                    Ok("ALARM")
                } else if o > n - m {
                    Ok("OK")
                } else {
                    Err(())
                }
            }
            _ => {
                if r == 0 {
                    Ok("INSUFFICIENT_DATA")
                } else if b >= m.min(r) {
                    Ok("ALARM")
                } else {
                    Ok("OK")
                }
            }
        }
    };
    (state, tally)
}

/// The state the rules decide, without wording anything (the same rules as
/// [`evaluate_from`]); `None` to stay as is.
pub fn decide(alarm: &Alarm, range: &[(Timestamp, Option<Point>)]) -> Option<&'static str> {
    rule(alarm, range).0.ok()
}

/// [`evaluate`], but when the state decided is `current` the reason is not worded (the
/// outcome's reason is empty): the evaluator's common case, kept cheap.
pub fn evaluate_from(
    alarm: &Alarm,
    range: &[(Timestamp, Option<Point>)],
    now: Timestamp,
    current: Option<&str>,
) -> Option<Outcome> {
    let (decided, tally) = rule(alarm, range);
    let state = decided.ok()?;
    let same = |state: &str| Outcome {
        state: state.into(),
        reason: String::new(),
        reason_data: None,
    };
    if current == Some(state) {
        return Some(same(state));
    }
    let n = alarm.evaluation_periods.max(1) as usize;
    let m = (alarm.m().max(1) as usize).min(n);
    if state == "INSUFFICIENT_DATA" {
        let unknown = n.min(range.len().max(1));
        return Some(Outcome {
            state: state.into(),
            reason: format!(
                "Insufficient Data: {} {} unknown.",
                plural(unknown, "datapoint"),
                if unknown == 1 { "was" } else { "were" }
            ),
            reason_data: Some(reason_data(alarm, range, &[], now)),
        });
    }
    let is_breach = |p: &Point| breaches(&alarm.comparison, p.value, alarm.threshold);
    let decided_points = &tally.points;
    let breaching: Vec<&Point> = decided_points
        .iter()
        .copied()
        .filter(|p| is_breach(p))
        .collect();
    let not_breaching: Vec<&Point> = decided_points
        .iter()
        .copied()
        .filter(|p| !is_breach(p))
        .collect();
    let (missing_breach, missing_ok) = (tally.missing_breach, tally.missing_ok);
    let b = tally.breaching + missing_breach;
    let words = comparison_words(&alarm.comparison);
    let threshold = java_double(alarm.threshold);
    let list = |ps: &[&Point]| {
        ps.iter()
            .map(|p| format!("{} ({})", java_double(p.value), reason_time(p.start)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let missing_note = |count: usize, as_what: &str| match count {
        0 => String::new(),
        1 => format!(" 1 missing datapoint was treated as [{as_what}]."),
        c => format!(" {c} missing datapoints were treated as [{as_what}]."),
    };
    let reason = if state == "ALARM" {
        let shown = list(&breaching);
        let verb = if b == 1 { "was" } else { "were" };
        if n == 1 && missing_breach == 0 {
            format!(
                "Threshold Crossed: 1 datapoint [{shown}] was {words} the threshold ({threshold})."
            )
        } else if breaching.is_empty() {
            format!(
                "Threshold Crossed: no datapoints were received for {} and {} treated as [Breaching].",
                plural(missing_breach, "period"),
                plural(missing_breach, "missing datapoint")
            )
        } else if decided_points.len() < n && missing_breach == 0 {
            // `missing` with fewer than N datapoints: the ones there are decide.
            format!(
                "Threshold Crossed: {b} out of the last {} datapoints [{shown}] {verb} {words} the threshold ({threshold}) (minimum {} for OK -> ALARM transition).",
                decided_points.len(),
                plural(m, "datapoint"),
            )
        } else {
            format!(
                "Threshold Crossed: {b} out of the last {n} datapoints [{shown}] {verb} {words} the threshold ({threshold}) (minimum {} for OK -> ALARM transition).{}",
                plural(m, "datapoint"),
                missing_note(missing_breach, "Breaching")
            )
        }
    } else {
        let ok = not_breaching.len() + missing_ok;
        let shown = list(&not_breaching);
        let verb = if ok == 1 { "was" } else { "were" };
        let shown_of = if missing_ok == 0 && decided_points.len() < n {
            decided_points.len()
        } else {
            n
        };
        if n == 1 && missing_ok == 0 {
            format!("Threshold Crossed: 1 datapoint [{shown}] was not {words} the threshold ({threshold}).")
        } else if not_breaching.is_empty() {
            format!(
                "Threshold Crossed: no datapoints were received for {} and {} treated as [NonBreaching].",
                plural(missing_ok, "period"),
                plural(missing_ok, "missing datapoint")
            )
        } else {
            format!(
                "Threshold Crossed: {ok} out of the last {shown_of} datapoints [{shown}] {verb} not {words} the threshold ({threshold}) (minimum 1 datapoint for ALARM -> OK transition).{}",
                missing_note(missing_ok, "NonBreaching")
            )
        }
    };
    Some(Outcome {
        state: state.into(),
        reason,
        reason_data: Some(reason_data(alarm, range, decided_points, now)),
    })
}

/// `StateReasonData`: the query's dates, the statistic, period, threshold, the recent
/// datapoints (oldest first) and the evaluated ones.
fn reason_data(
    alarm: &Alarm,
    range: &[(Timestamp, Option<Point>)],
    evaluated: &[&Point],
    now: Timestamp,
) -> String {
    let start = range.first().map(|(t, _)| *t).unwrap_or(now);
    let recent: Vec<f64> = range
        .iter()
        .filter_map(|(_, p)| p.map(|p| p.value))
        .collect();
    let evaluated: Vec<serde_json::Value> = evaluated
        .iter()
        .map(|p| {
            serde_json::json!({
                "timestamp": aws_json_time(p.start),
                "sampleCount": p.sample_count,
                "value": p.value,
            })
        })
        .collect();
    let mut v = serde_json::json!({
        "version": "1.0",
        "queryDate": aws_json_time(now),
        "startDate": aws_json_time(start),
        "period": alarm.period,
        "recentDatapoints": recent,
        "threshold": alarm.threshold,
    });
    if alarm.single() {
        v["statistic"] = alarm.statistic.clone().into();
    }
    if let Some(unit) = &alarm.unit {
        v["unit"] = unit.clone().into();
    }
    if !evaluated.is_empty() {
        v["evaluatedDatapoints"] = evaluated.into();
    }
    v.to_string()
}

#[cfg(test)]
#[path = "eval_tests.rs"]
mod tests;
