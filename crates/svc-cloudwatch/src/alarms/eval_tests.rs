//! The evaluation rules as tables: AWS's documented example of how each `TreatMissingData`
//! decides (N = M = 3, five periods in the range; `0` not breaching, `X` breaching, `-`
//! missing, oldest first), M-out-of-N, and the wording of the reasons.

use super::*;
use crate::alarms::model::Alarm;

const T0: i64 = 1_796_637_600_000; // 2026-12-07T10:00:00Z

fn alarm(n: i64, m: Option<i64>, treatment: &str) -> Alarm {
    Alarm {
        account: "000000000000".into(),
        region: "us-east-1".into(),
        name: "a".into(),
        description: None,
        actions_enabled: true,
        ok_actions: vec![],
        alarm_actions: vec![],
        insufficient_data_actions: vec![],
        namespace: "Ns".into(),
        metric_name: "M".into(),
        dimensions: vec![],
        statistic: "Average".into(),
        period: 60,
        unit: None,
        evaluation_periods: n,
        datapoints_to_alarm: m,
        threshold: 40.0,
        comparison: "GreaterThanThreshold".into(),
        treat_missing_data: Some(treatment.into()),
        tags: vec![],
        metrics: vec![],
        rule: None,
        configuration_updated: Timestamp(T0),
        state: "INSUFFICIENT_DATA".into(),
        state_reason: String::new(),
        state_reason_data: None,
        state_updated: Timestamp(T0),
        state_transitioned: Timestamp(T0),
        next_evaluation: Timestamp(T0),
    }
}

/// `"0 - X - X"` → the range, X = 95, 0 = 10.
fn range(pattern: &str) -> Vec<(Timestamp, Option<Point>)> {
    pattern
        .split_whitespace()
        .enumerate()
        .map(|(i, c)| {
            let start = Timestamp(T0 + i as i64 * 60_000);
            let value = match c {
                "X" => Some(95.0),
                "0" => Some(10.0),
                _ => None,
            };
            (
                start,
                value.map(|value| Point {
                    start,
                    value,
                    sample_count: 1.0,
                }),
            )
        })
        .collect()
}

fn state(a: &Alarm, pattern: &str) -> String {
    let now = Timestamp(T0 + 5 * 60_000);
    let full = match evaluate(a, &range(pattern), now) {
        Some(o) => o.state,
        None => "(current)".into(),
    };
    // The evaluator's allocation-free fast path decides the same.
    let fast = decide(a, &range(pattern)).unwrap_or("(current)");
    assert_eq!(fast, full, "{pattern}");
    full
}

/// AWS's table for N = M = 3 with each missing-data treatment.
#[test]
fn the_documented_missing_data_table() {
    let rows = [
        // pattern, missing, ignore, breaching, notBreaching
        // Three datapoints in the range: they decide, the treatment is not needed.
        ("0 - X - X", "OK", "OK", "OK", "OK"),
        ("- - - - 0", "OK", "OK", "OK", "OK"),
        ("- - - - -", "INSUFFICIENT_DATA", "(current)", "ALARM", "OK"),
        ("0 X X - X", "ALARM", "ALARM", "ALARM", "ALARM"),
        // One breaching datapoint and no other: `missing` alarms, `ignore` keeps its state.
        ("- - X - -", "ALARM", "(current)", "ALARM", "OK"),
        ("- - - - X", "ALARM", "(current)", "ALARM", "OK"),
    ];
    for (pattern, missing, ignore, breaching, not_breaching) in rows {
        for (t, want) in [
            ("missing", missing),
            ("ignore", ignore),
            ("breaching", breaching),
            ("notBreaching", not_breaching),
        ] {
            assert_eq!(
                state(&alarm(3, None, t), pattern),
                want,
                "{pattern} with {t}"
            );
        }
    }
}

/// M out of N: 2 of the last 3.
#[test]
fn m_out_of_n() {
    let a = alarm(3, Some(2), "missing");
    assert_eq!(state(&a, "0 0 X 0 X"), "ALARM");
    assert_eq!(state(&a, "0 0 X 0 0"), "OK");
    assert_eq!(state(&a, "X X 0 0 X"), "OK");
    // Most recent existing datapoints: X, X (the gap is skipped), 0.
    assert_eq!(state(&a, "0 0 X X -"), "ALARM");
    let one = alarm(1, None, "missing");
    assert_eq!(state(&one, "- - 0"), "OK");
    assert_eq!(state(&one, "- - X"), "ALARM");
    // The range reaches back past N: an older point decides when the newest is missing.
    assert_eq!(state(&one, "- X -"), "ALARM");
}

#[test]
fn comparisons() {
    for (op, v, want) in [
        ("GreaterThanOrEqualToThreshold", 40.0, true),
        ("GreaterThanThreshold", 40.0, false),
        ("LessThanThreshold", 39.9, true),
        ("LessThanOrEqualToThreshold", 40.0, true),
        ("LessThanThreshold", 40.0, false),
    ] {
        assert_eq!(breaches(op, v, 40.0), want, "{op} {v}");
    }
}

#[test]
fn reasons_are_worded_as_aws_words_them() {
    let now = Timestamp(T0 + 3 * 60_000);
    let one = alarm(1, None, "missing");
    let r = vec![(
        Timestamp(T0),
        Some(Point {
            start: Timestamp(T0),
            value: 95.0,
            sample_count: 1.0,
        }),
    )];
    let o = evaluate(&one, &r, now).expect("decided");
    assert_eq!(o.state, "ALARM");
    assert_eq!(
        o.reason,
        "Threshold Crossed: 1 datapoint [95.0 (07/12/26 10:00:00)] was greater than the threshold (40.0)."
    );
    let data: serde_json::Value =
        serde_json::from_str(o.reason_data.as_deref().expect("data")).expect("json");
    assert_eq!(data["version"], "1.0");
    assert_eq!(data["statistic"], "Average");
    assert_eq!(data["period"], 60);
    assert_eq!(data["recentDatapoints"], serde_json::json!([95.0]));
    assert_eq!(
        data["evaluatedDatapoints"][0]["timestamp"],
        "2026-12-07T10:00:00.000+0000"
    );
    assert_eq!(data["queryDate"], "2026-12-07T10:03:00.000+0000");

    let three = alarm(3, None, "missing");
    let o = evaluate(&three, &range("- - X X X"), now).expect("decided");
    assert_eq!(
        o.reason,
        "Threshold Crossed: 3 out of the last 3 datapoints [95.0 (07/12/26 10:04:00), 95.0 (07/12/26 10:03:00), 95.0 (07/12/26 10:02:00)] were greater than the threshold (40.0) (minimum 3 datapoints for OK -> ALARM transition)."
    );
    let o = evaluate(&three, &range("- - - - -"), now).expect("decided");
    assert_eq!(o.reason, "Insufficient Data: 3 datapoints were unknown.");
    let o = evaluate(&alarm(1, None, "missing"), &range("- - -"), now).expect("decided");
    assert_eq!(o.reason, "Insufficient Data: 1 datapoint was unknown.");
}

/// Target tracking's alarms (1-minute period; AlarmHigh 3 of 3, AlarmLow 15 of 15) over EC2
/// basic monitoring's 5-minute datapoints: the range of a 1-minute alarm spans 10 minutes,
/// so one datapoint every 5 minutes is enough to decide, as on AWS.
#[test]
fn sparse_five_minute_data_decides_one_minute_alarms() {
    assert_eq!(range_len(3, 60), 10);
    assert_eq!(range_len(15, 60), 17);
    assert_eq!(range_len(1, 300), 3);
    assert_eq!(range_len(3, 10), 60);
    let high = alarm(3, None, "missing");
    assert_eq!(state(&high, "- - - - X - - - - -"), "ALARM");
    assert_eq!(state(&high, "0 - - - - X - - - -"), "OK");
    assert_eq!(state(&high, "X - - - - X - - - -"), "ALARM");
    let mut low = alarm(15, None, "missing");
    low.comparison = "LessThanThreshold".into();
    let quiet = "- 0 - - - - 0 - - - - 0 - - - - -";
    assert_eq!(state(&low, quiet), "ALARM");
    let busy_then_quiet = "- X - - - - 0 - - - - 0 - - - - -";
    assert_eq!(state(&low, busy_then_quiet), "OK");
    // The reason names the datapoints there were.
    let o = evaluate(
        &high,
        &range("- - - - X - - - - -"),
        Timestamp(T0 + 10 * 60_000),
    )
    .expect("decided");
    assert_eq!(
        o.reason,
        "Threshold Crossed: 1 out of the last 1 datapoints [95.0 (07/12/26 10:04:00)] was greater than the threshold (40.0) (minimum 3 datapoints for OK -> ALARM transition)."
    );
}
