//! Series: reads place data by age, compaction folds and rolls up without changing what a
//! read returns, and a series stays small.

use super::*;
use crate::retention::{required_period_multiple, round_start, valid_period};

const S: i64 = 1000;
const M: i64 = 60 * S;
const H: i64 = 60 * M;
const D: i64 = 24 * H;
/// An hour boundary.
const T0: i64 = 1_700_002_800_000;

fn codec() -> Arc<SeriesCodec> {
    let key = crate::metrics::MetricKey {
        account: "a".into(),
        region: "r".into(),
        namespace: "n".into(),
        name: "m".into(),
        dimensions: vec![],
    };
    Arc::new(SeriesCodec::new(&key.as_key_ref()))
}

fn raw(t: i64, v: f64, unit: &str, resolution: Resolution, seq: u64) -> RawSample {
    RawSample {
        sample: Sample {
            timestamp: Timestamp(t),
            count: 1.0,
            sum: v,
            min: v,
            max: v,
            unit: Unit::new(unit),
        },
        resolution,
        seq,
    }
}

fn query(start: i64, end: i64, period_secs: i64, now: i64) -> Query<'static> {
    Query {
        start: Timestamp(start),
        end: Timestamp(end),
        period_secs,
        unit: None,
        now: Timestamp(now),
    }
}

fn compact(s: &mut Series, now: i64) -> Option<Plan> {
    let plan = s.plan(Timestamp(now))?;
    s.apply(&plan);
    Some(plan)
}

#[test]
fn buckets_start_at_start_time() {
    let mut s = Series::new(codec());
    for (i, (t, v)) in [(0, 1.0), (59, 3.0), (60, 10.0), (200, 7.0)]
        .into_iter()
        .enumerate()
    {
        let r = raw(T0 + t * S, v, "Percent", Resolution::High, i as u64);
        s.push_raw(r, Timestamp(T0));
    }
    let a = s.aggregate(&query(T0, T0 + 180 * S, 60, T0 + 200 * S));
    assert_eq!(a.len(), 2);
    assert_eq!(a[0].start, Timestamp(T0));
    assert_eq!(
        (a[0].count, a[0].sum, a[0].min, a[0].max),
        (2.0, 4.0, 1.0, 3.0)
    );
    assert_eq!(a[0].average(), 2.0);
    assert_eq!(a[1].start, Timestamp(T0 + 60 * S));
    let counts = Query {
        unit: Some("Count"),
        ..query(T0, T0 + 180 * S, 60, T0 + 200 * S)
    };
    assert!(s.aggregate(&counts).is_empty());
}

/// Standard-resolution data is minute data from the start: a one-second period finds it
/// at the start of its minute.
#[test]
fn standard_resolution_reads_at_the_minute() {
    let mut s = Series::new(codec());
    s.push_raw(
        raw(T0 + 5 * S, 1.0, "Count", Resolution::Standard, 0),
        Timestamp(T0),
    );
    s.push_raw(
        raw(T0 + 45 * S, 2.0, "Count", Resolution::Standard, 1),
        Timestamp(T0),
    );
    s.push_raw(
        raw(T0 + 45 * S, 4.0, "Count", Resolution::High, 2),
        Timestamp(T0),
    );
    let a = s.aggregate(&query(T0, T0 + M, 1, T0 + M));
    let got: Vec<(i64, f64)> = a.iter().map(|a| (a.start.0 - T0, a.sum)).collect();
    assert_eq!(got, [(0, 3.0), (45 * S, 4.0)]);
}

/// A small deterministic generator, so the tables below do not need hand-written data.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

/// Two hours of data at high and standard resolution, in two units, integer values (so
/// sums are exact in any order).
fn data() -> Vec<RawSample> {
    let mut g = Lcg(7);
    (0..600u64)
        .map(|seq| {
            let t = T0 + (g.next(2 * 3600) as i64) * S + g.next(1000) as i64;
            let res = if g.next(3) == 0 {
                Resolution::High
            } else {
                Resolution::Standard
            };
            let unit = if g.next(5) == 0 { "Bytes" } else { "Count" };
            raw(t, g.next(1000) as f64 - 300.0, unit, res, seq)
        })
        .collect()
}

/// Every query a user could make at `now` over the data (start times of every age, every
/// period CloudWatch's rules allow at that age, with and without a unit).
fn queries(now: i64) -> Vec<Query<'static>> {
    let mut out = Vec::new();
    for start in [T0 - 3 * H, T0, T0 + 17 * S, T0 + 30 * M + 7 * S, T0 + H] {
        for period in [1, 5, 10, 20, 30, 60, 120, 300, 600, 900, 3600, 7200, 86400] {
            if !valid_period(period)
                || period % required_period_multiple(Timestamp(start), Timestamp(now)) != 0
            {
                continue;
            }
            let rounded = round_start(Timestamp(start), period, Timestamp(now));
            for unit in [None, Some("Count"), Some("Bytes")] {
                out.push(Query {
                    start: rounded,
                    end: Timestamp(T0 + 3 * H),
                    period_secs: period,
                    unit,
                    now: Timestamp(now),
                });
            }
        }
    }
    out
}

/// Compaction never changes an answer: a series compacted along the way answers every
/// query exactly as one that was never compacted, at every age of the data, and what it
/// keeps is what the retention rules say.
#[test]
fn rolled_up_data_answers_like_the_raw_data() {
    let mut raw_only = Series::new(codec());
    let mut compacted = Series::new(codec());
    for r in data() {
        raw_only.push_raw(r.clone(), Timestamp(T0));
        compacted.push_raw(r, Timestamp(T0));
    }
    let checkpoints = [
        T0 + 2 * H,
        T0 + 3 * H,
        T0 + 4 * H,
        T0 + 5 * H + 30 * M,
        T0 + 2 * D,
        T0 + 15 * D + H,
        T0 + 15 * D + 2 * H + 1,
        T0 + 40 * D,
        T0 + 63 * D + 2 * H,
        T0 + 63 * D + 3 * H,
        T0 + 300 * D,
        T0 + 455 * D + 2 * H,
        T0 + 455 * D + 3 * H,
    ];
    for now in checkpoints {
        compact(&mut compacted, now);
        assert!(compacted.raw().is_empty());
        for q in queries(now) {
            assert_eq!(
                compacted.aggregate(&q),
                raw_only.aggregate(&q),
                "now +{}s, {q:?}",
                (now - T0) / S
            );
        }
        // Nothing stays in a tier it should have left.
        for tier in Tier::ALL {
            for (start, _) in compacted.buckets(tier).keys() {
                assert!(tier.leaves_at(*start) > now, "{tier:?} +{}", start - T0);
            }
        }
    }
    // 455 days and an hour after the last hour of data, nothing is left.
    assert!(compacted.is_empty());
    assert!(raw_only
        .aggregate(&query(T0, T0 + 3 * H, 3600, T0 + 455 * D + 3 * H))
        .is_empty());
}

/// The statistics of a rolled-up bucket are those of the raw samples it holds.
#[test]
fn a_rolled_up_bucket_has_the_statistics_of_its_samples() {
    let samples = data();
    let mut s = Series::new(codec());
    for r in &samples {
        s.push_raw(r.clone(), Timestamp(T0));
    }
    // Table: (now, tier the data is in by then, its bucket length).
    let table = [
        (T0 + 6 * H, Tier::Minute, 60),
        (T0 + 20 * D, Tier::FiveMinutes, 300),
        (T0 + 100 * D, Tier::Hour, 3600),
    ];
    for (now, tier, secs) in table {
        compact(&mut s, now);
        for ((start, unit), got) in s.buckets(tier) {
            let mut want = Stats::EMPTY;
            for r in samples
                .iter()
                .filter(|r| r.sample.unit == *unit && tier.floor(r.sample.timestamp.0) == *start)
            {
                want.merge(&Stats::of(&r.sample));
            }
            assert_eq!(*got, want, "{tier:?} +{}s {unit:?}", (start - T0) / S);
            assert_eq!(start % (secs * S), 0);
        }
        let total: f64 = s.buckets(tier).values().map(|b| b.count).sum();
        assert_eq!(total, samples.len() as f64);
    }
}

/// A series keeps at most one bucket per interval and unit of each tier, however much is
/// put into it.
#[test]
fn a_busy_series_stays_small() {
    let mut s = Series::new(codec());
    let mut seq = 0;
    // A day of two samples a second (high resolution), compacted every ten minutes.
    let mut now = T0;
    while now < T0 + D {
        for i in 0..2 * 600 {
            let t = now + i * 500;
            s.push_raw(raw(t, 1.0, "Count", Resolution::High, seq), Timestamp(t));
            seq += 1;
        }
        now += 10 * M;
        compact(&mut s, now);
        assert!(s.raw().is_empty());
        let seconds = s.buckets(Tier::Second).len() as i64;
        assert!(seconds <= (3 * H + 2 * M) / S, "{seconds}");
        let minutes = s.buckets(Tier::Minute).len() as i64;
        assert!(minutes <= (now - T0) / M, "{minutes}");
    }
    let total: f64 = Tier::ALL
        .into_iter()
        .flat_map(|t| s.buckets(t).values())
        .map(|b| b.count)
        .sum();
    assert_eq!(total, seq as f64);
}

/// Samples put while a compaction's batch was being written are not part of it and stay.
#[test]
fn samples_put_after_planning_survive_the_plan() {
    let mut s = Series::new(codec());
    s.push_raw(
        raw(T0, 1.0, "Count", Resolution::Standard, 1),
        Timestamp(T0),
    );
    let plan = s.plan(Timestamp(T0 + 11 * M)).expect("plan");
    assert_eq!(plan.fold, [(Timestamp(T0), 1)]);
    s.push_raw(
        raw(T0 + M, 2.0, "Count", Resolution::Standard, 2),
        Timestamp(T0 + 11 * M),
    );
    s.apply(&plan);
    assert_eq!(s.raw().len(), 1);
    assert_eq!(s.raw()[0].seq, 2);
    assert_eq!(s.buckets(Tier::Minute).len(), 1);
    let a = s.aggregate(&query(T0, T0 + 2 * M, 120, T0 + 11 * M));
    assert_eq!(a[0].sum, 3.0);
}

#[test]
fn due_after_waiting_or_when_a_tier_is_overdue() {
    let mut s = Series::new(codec());
    assert!(!s.due(Timestamp(T0 + 1000 * D)));
    s.push_raw(
        raw(T0, 1.0, "Count", Resolution::High, 0),
        Timestamp(T0 + M),
    );
    // (now, due?)
    for (now, want) in [
        (T0 + M, false),
        (T0 + 11 * M - 1, false),
        (T0 + 11 * M, true),
    ] {
        assert_eq!(s.due(Timestamp(now)), want, "+{}", now - T0);
    }
    compact(&mut s, T0 + 11 * M);
    assert!(!s.due(Timestamp(T0 + 3 * H)));
    // The second bucket leaves at +3h01m; compaction may lag ten minutes behind.
    assert!(!s.due(Timestamp(T0 + 3 * H + 11 * M - 1)));
    assert!(s.due(Timestamp(T0 + 3 * H + 11 * M)));
    assert!(compact(&mut s, T0 + 456 * D).is_some());
    assert!(s.is_empty());
    assert!(s.plan(Timestamp(T0 + 457 * D)).is_none());
}

#[test]
fn without_a_unit_a_datapoint_names_the_first_unit() {
    let mut s = Series::new(codec());
    s.push_raw(raw(T0, 1.0, "Percent", Resolution::High, 0), Timestamp(T0));
    s.push_raw(
        raw(T0 + S, 1.0, "Count", Resolution::High, 1),
        Timestamp(T0),
    );
    let a = s.aggregate(&query(T0, T0 + M, 60, T0 + M));
    assert_eq!((a[0].unit.as_str(), a[0].count), ("Count", 2.0));
}
