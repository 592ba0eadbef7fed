//! Deciding an alarm's state from its datapoints, by AWS's documented rules ("Evaluating an
//! alarm", "Configuring how CloudWatch alarms treat missing data"), and wording the outcome
//! as AWS does (`StateReason`, `StateReasonData`). Pure: the caller gathers one value (or
//! none) per period over the evaluation range and gets back the state to be in.
//!
//! The rules:
//! * The evaluation range is the last `N + 2` complete periods (`N` = `EvaluationPeriods`;
//!   AWS retrieves more periods than `N` so that a few missing points do not decide alone;
//!   its documented example evaluates 5 periods for `N` = 3).
//! * `breaching` / `notBreaching`: the last `N` periods, missing ones counted as breaching /
//!   not breaching; ALARM when at least `M` (`DatapointsToAlarm`) breach, else OK.
//! * `missing` / `ignore`: no datapoint in the whole range → INSUFFICIENT_DATA (`missing`)
//!   or the current state (`ignore`). With at least `N` datapoints in the range, the most
//!   recent `N` of them decide; with fewer, all of them do (missing ones counting as not
//!   breaching). ALARM when at least `M` breach, else OK.

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

/// How many periods the evaluator reads for an alarm of `n` evaluation periods.
pub fn range_len(n: i64) -> i64 {
    n + 2
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

/// The state the rules decide, without wording anything or allocating (the same rules as
/// [`evaluate_from`]); `None` to stay as is.
pub fn decide(alarm: &Alarm, range: &[(Timestamp, Option<Point>)]) -> Option<&'static str> {
    let n = alarm.evaluation_periods.max(1) as usize;
    let m = alarm.m().max(1) as usize;
    let breach = |p: &Point| breaches(&alarm.comparison, p.value, alarm.threshold);
    let b = match alarm.treatment() {
        t @ ("breaching" | "notBreaching") => {
            let last = range.iter().rev().take(n);
            let shown = range.len().min(n);
            let mut b = 0;
            for (_, p) in last {
                match p {
                    Some(p) if breach(p) => b += 1,
                    None if t == "breaching" => b += 1,
                    _ => {}
                }
            }
            if t == "breaching" {
                b += n - shown;
            }
            b
        }
        t => {
            let mut seen = 0;
            let mut b = 0;
            for p in range.iter().rev().filter_map(|(_, p)| p.as_ref()).take(n) {
                seen += 1;
                if breach(p) {
                    b += 1;
                }
            }
            if seen == 0 {
                return if t == "ignore" {
                    None
                } else {
                    Some("INSUFFICIENT_DATA")
                };
            }
            b
        }
    };
    Some(if b >= m { "ALARM" } else { "OK" })
}

/// [`evaluate`], but when the state decided is `current` the reason is not worded (the
/// outcome's reason is empty): the evaluator's common case, kept cheap.
pub fn evaluate_from(
    alarm: &Alarm,
    range: &[(Timestamp, Option<Point>)],
    now: Timestamp,
    current: Option<&str>,
) -> Option<Outcome> {
    if let Some(cur) = current {
        match decide(alarm, range) {
            None => return None,
            Some(s) if s == cur => {
                return Some(Outcome {
                    state: s.into(),
                    reason: String::new(),
                    reason_data: None,
                })
            }
            Some(_) => {}
        }
    }
    let n = alarm.evaluation_periods.max(1) as usize;
    let m = alarm.m().max(1) as usize;
    let treatment = alarm.treatment();
    let is_breach = |p: &Point| breaches(&alarm.comparison, p.value, alarm.threshold);
    let existing: Vec<&Point> = range.iter().filter_map(|(_, p)| p.as_ref()).collect();
    // (decided points, most recent first; missing points counted as breaching; as not)
    let (decided, missing_breach, missing_ok): (Vec<&Point>, usize, usize) = match treatment {
        "breaching" | "notBreaching" => {
            let last: Vec<_> = range.iter().rev().take(n).collect();
            let pts: Vec<&Point> = last.iter().filter_map(|(_, p)| p.as_ref()).collect();
            let missing = last.len().saturating_sub(pts.len()) + n.saturating_sub(last.len());
            if treatment == "breaching" {
                (pts, missing, 0)
            } else {
                (pts, 0, missing)
            }
        }
        _ => {
            if existing.is_empty() {
                if treatment == "ignore" {
                    return None;
                }
                if current == Some("INSUFFICIENT_DATA") {
                    return Some(Outcome {
                        state: "INSUFFICIENT_DATA".into(),
                        reason: String::new(),
                        reason_data: None,
                    });
                }
                let unknown = n.min(range.len().max(1));
                return Some(Outcome {
                    state: "INSUFFICIENT_DATA".into(),
                    reason: format!(
                        "Insufficient Data: {} {} unknown.",
                        plural(unknown, "datapoint"),
                        if unknown == 1 { "was" } else { "were" }
                    ),
                    reason_data: Some(reason_data(alarm, range, &[], now)),
                });
            }
            let pts: Vec<&Point> = existing.iter().rev().take(n).copied().collect();
            let missing = n.saturating_sub(pts.len());
            (pts, 0, missing)
        }
    };
    let breaching: Vec<&Point> = decided.iter().copied().filter(|p| is_breach(p)).collect();
    let not_breaching: Vec<&Point> = decided.iter().copied().filter(|p| !is_breach(p)).collect();
    let b = breaching.len() + missing_breach;
    let decided_state = if b >= m { "ALARM" } else { "OK" };
    if current == Some(decided_state) {
        return Some(Outcome {
            state: decided_state.into(),
            reason: String::new(),
            reason_data: None,
        });
    }
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
    let (state, reason) = if b >= m {
        let shown = list(&breaching);
        let verb = if b == 1 { "was" } else { "were" };
        let reason = if n == 1 && missing_breach == 0 {
            format!(
                "Threshold Crossed: 1 datapoint [{shown}] was {words} the threshold ({threshold})."
            )
        } else if breaching.is_empty() {
            format!(
                "Threshold Crossed: no datapoints were received for {} and {} treated as [Breaching].",
                plural(missing_breach, "period"),
                plural(missing_breach, "missing datapoint")
            )
        } else {
            format!(
                "Threshold Crossed: {b} out of the last {n} datapoints [{shown}] {verb} {words} the threshold ({threshold}) (minimum {} for OK -> ALARM transition).{}",
                plural(m, "datapoint"),
                missing_note(missing_breach, "Breaching")
            )
        };
        ("ALARM", reason)
    } else {
        let ok = not_breaching.len() + missing_ok;
        let shown = list(&not_breaching);
        let verb = if ok == 1 { "was" } else { "were" };
        let reason = if n == 1 && missing_ok == 0 {
            format!("Threshold Crossed: 1 datapoint [{shown}] was not {words} the threshold ({threshold}).")
        } else if not_breaching.is_empty() {
            format!(
                "Threshold Crossed: no datapoints were received for {} and {} treated as [NonBreaching].",
                plural(missing_ok, "period"),
                plural(missing_ok, "missing datapoint")
            )
        } else {
            format!(
                "Threshold Crossed: {ok} out of the last {n} datapoints [{shown}] {verb} not {words} the threshold ({threshold}) (minimum 1 datapoint for ALARM -> OK transition).{}",
                missing_note(missing_ok, "NonBreaching")
            )
        };
        ("OK", reason)
    };
    Some(Outcome {
        state: state.into(),
        reason,
        reason_data: Some(reason_data(alarm, range, &decided, now)),
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
