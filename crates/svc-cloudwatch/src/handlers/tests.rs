//! The operations against an in-memory store and a clock the tests move: retention at each
//! boundary, the period rules, which metrics are listed, the put window, and that what a
//! restart loads (after compaction, from older record versions) is what memory held.

use super::*;
use crate::generated::Handlers as _;
use crate::persist::{BUCKETS, SAMPLES};
use nimbus_core::{AwsError, Clock, ManualClock, Principal, Timestamp};
use nimbus_store::Store;
use std::time::Duration;

const S: i64 = 1000;
const M: i64 = 60 * S;
const H: i64 = 60 * M;
const D: i64 = 24 * H;
/// An hour boundary: where the tests' data starts.
const T0: i64 = 1_700_002_800_000;
const ACCOUNT: &str = "000000000000";

struct Env {
    store: Store,
    clock: Arc<ManualClock>,
    cw: CloudWatch,
}

/// A datapoint as (offset from T0 in seconds, SampleCount, Sum, Minimum, Maximum).
type Point = (i64, f64, f64, f64, f64);

impl Env {
    /// A fresh CloudWatch whose clock reads `T0 + at`.
    fn new(at: i64) -> Env {
        let store = Store::in_memory();
        let clock = Arc::new(ManualClock::new(Timestamp(T0 + at)));
        let cw = CloudWatch::load(store.clone(), clock.clone()).expect("load");
        Env { store, clock, cw }
    }

    fn ctx(&self) -> RequestContext {
        RequestContext {
            request_id: "r".into(),
            principal: Principal::root(ACCOUNT, "AK").into(),
            region: "us-east-1".into(),
            now: self.clock.now(),
            host: "h".into(),
            source_ip: None,
        }
    }

    fn advance_to(&self, at: i64) {
        let by = T0 + at - self.clock.now().0;
        assert!(by >= 0, "the clock only goes forward");
        self.clock.advance(Duration::from_millis(by as u64));
    }

    /// A CloudWatch loaded afresh from the same store (a restart).
    fn reload(&self) -> CloudWatch {
        CloudWatch::load(self.store.clone(), self.clock.clone()).expect("reload")
    }

    fn records(&self, table: &str) -> usize {
        self.store.scan_prefix(table, b"").expect("scan").len()
    }

    async fn put(&self, data: Vec<g::MetricDatum>) -> Result<(), AwsError> {
        let input = g::PutMetricDataInput {
            namespace: "N".into(),
            metric_data: Some(data),
            ..Default::default()
        };
        self.cw.put_metric_data(&self.ctx(), input).await
    }

    async fn stats_of(
        &self,
        cw: &CloudWatch,
        name: &str,
        start: i64,
        period: i32,
    ) -> Result<Vec<Point>, AwsError> {
        let input = g::GetMetricStatisticsInput {
            namespace: "N".into(),
            metric_name: name.into(),
            start_time: Timestamp(T0 + start),
            // As many datapoints as one request may ask for.
            end_time: Timestamp(T0 + start + i64::from(period) * 1439 * S),
            period,
            statistics: Some(STATISTICS.iter().map(|s| s.to_string()).collect()),
            ..Default::default()
        };
        let out = cw.get_metric_statistics(&self.ctx(), input).await?;
        Ok(out
            .datapoints
            .unwrap_or_default()
            .into_iter()
            .map(|d| {
                let at = (d.timestamp.unwrap_or_default().0 - T0) / S;
                let get = |v: Option<f64>| v.unwrap_or(f64::NAN);
                (
                    at,
                    get(d.sample_count),
                    get(d.sum),
                    get(d.minimum),
                    get(d.maximum),
                )
            })
            .collect())
    }

    async fn stats(&self, name: &str, start: i64, period: i32) -> Result<Vec<Point>, AwsError> {
        self.stats_of(&self.cw, name, start, period).await
    }

    async fn names(&self, recently_active: bool) -> Vec<String> {
        let input = g::ListMetricsInput {
            recently_active: recently_active.then(|| "PT3H".to_string()),
            ..Default::default()
        };
        let out = self
            .cw
            .list_metrics(&self.ctx(), input)
            .await
            .expect("list");
        out.metrics
            .unwrap_or_default()
            .into_iter()
            .filter_map(|m| m.metric_name)
            .collect()
    }

    /// Compacts every series now (as the upkeep of requests eventually does).
    async fn compact_all(&self) {
        let keys: Vec<MetricKey> = self
            .cw
            .memory()
            .samples
            .iter()
            .map(|(k, _)| k.clone())
            .collect();
        self.cw.compact(keys).await.expect("compact");
    }
}

fn datum(name: &str, at: i64, v: f64, high_resolution: bool) -> g::MetricDatum {
    g::MetricDatum {
        metric_name: name.into(),
        timestamp: Some(Timestamp(T0 + at)),
        value: Some(v),
        unit: Some("Count".into()),
        storage_resolution: high_resolution.then_some(1),
        ..Default::default()
    }
}

fn points(p: &[(i64, f64, f64)]) -> Vec<Point> {
    // Every test value is the sample's own value, so min and max come from the sums:
    // counted separately where it matters.
    p.iter()
        .map(|&(at, n, sum)| (at, n, sum, f64::NAN, f64::NAN))
        .collect()
}

/// Compares datapoints on time, count and sum.
fn same(got: &[Point], want: &[Point]) -> bool {
    got.len() == want.len()
        && got
            .iter()
            .zip(want)
            .all(|(g, w)| (g.0, g.1, g.2) == (w.0, w.1, w.2))
}

/// The retention boundaries through the API, each checked on the running service and on a
/// restart of it after compaction: high-resolution data is readable at one second for
/// 3 hours, all data at one minute for 15 days, at five minutes for 63 days and at one hour
/// for 455 days; a start time older than each limit needs the coarser period (or gets no
/// data points); compaction empties the store as the data expires.
#[tokio::test]
async fn retention_boundaries_with_restarts() {
    let env = Env::new(2 * H);
    env.put(vec![
        datum("Hi", 0, 1.0, true),
        datum("Hi", 10 * S, 2.0, true),
        datum("Hi", 20 * S, 3.0, true),
        datum("Hi", 70 * S, 4.0, true),
        datum("Hi", 400 * S, 5.0, true),
        datum("Std", 5 * S, 10.0, false),
        datum("Std", 30 * S, 20.0, false),
        datum("Std", 65 * S, 30.0, false),
        datum("Std", 400 * S, 40.0, false),
    ])
    .await
    .expect("put");
    let hi_10s = points(&[
        (0, 1.0, 1.0),
        (10, 1.0, 2.0),
        (20, 1.0, 3.0),
        (70, 1.0, 4.0),
        (400, 1.0, 5.0),
    ]);
    // Standard resolution is minute data: a 10-second period finds it at its minute.
    let std_10s = points(&[(0, 2.0, 30.0), (60, 1.0, 30.0), (360, 1.0, 40.0)]);
    let hi_1m = points(&[(0, 3.0, 6.0), (60, 1.0, 4.0), (360, 1.0, 5.0)]);
    let std_1m = std_10s.clone();
    let hi_5m = points(&[(0, 4.0, 10.0), (300, 1.0, 5.0)]);
    let std_5m = points(&[(0, 3.0, 60.0), (300, 1.0, 40.0)]);
    let hi_1h = points(&[(0, 5.0, 15.0)]);
    let std_1h = points(&[(0, 4.0, 100.0)]);
    let none: Vec<Point> = Vec::new();
    // (now, period, what Hi and Std answer for StartTime T0)
    let table: Vec<(i64, i32, &Vec<Point>, &Vec<Point>)> = vec![
        (2 * H, 10, &hi_10s, &std_10s),
        (2 * H, 60, &hi_1m, &std_1m),
        (3 * H - M, 10, &hi_10s, &std_10s),
        (3 * H + 10 * M, 10, &none, &none),
        (3 * H + 10 * M, 60, &hi_1m, &std_1m),
        (3 * H + 10 * M, 300, &hi_5m, &std_5m),
        (15 * D - H, 60, &hi_1m, &std_1m),
        (15 * D + 20 * M, 60, &none, &none),
        (15 * D + 20 * M, 300, &hi_5m, &std_5m),
        (63 * D - H, 300, &hi_5m, &std_5m),
        (63 * D + 2 * H, 300, &none, &none),
        (63 * D + 2 * H, 3600, &hi_1h, &std_1h),
        (455 * D - H, 3600, &hi_1h, &std_1h),
        (455 * D + 2 * H, 3600, &none, &none),
    ];
    for (now, period, hi, std) in table {
        env.advance_to(now);
        let when = format!("at +{}s with period {period}", now / S);
        let got_hi = env.stats("Hi", 0, period).await.expect("stats");
        let got_std = env.stats("Std", 0, period).await.expect("stats");
        assert!(same(&got_hi, hi), "Hi {when}: {got_hi:?}");
        assert!(same(&got_std, std), "Std {when}: {got_std:?}");
        // A restart after compaction holds exactly the same and answers the same.
        env.compact_all().await;
        let restarted = env.reload();
        assert_eq!(restarted.snapshot(), env.cw.snapshot(), "{when}");
        let again = env
            .stats_of(&restarted, "Hi", 0, period)
            .await
            .expect("stats");
        assert_eq!(format!("{again:?}"), format!("{got_hi:?}"), "{when}");
    }
    // Minimum and maximum survive the roll-ups.
    let env = Env::new(2 * H);
    env.put(vec![
        datum("Hi", 0, 7.0, true),
        datum("Hi", 3 * M, -2.0, true),
    ])
    .await
    .expect("put");
    env.advance_to(100 * D);
    assert_eq!(
        env.stats("Hi", 0, 3600).await.expect("stats"),
        [(0, 2.0, 5.0, -2.0, 7.0)]
    );
}

/// What the store holds follows the data: raw samples become buckets once they have
/// waited, buckets become fewer as they roll up, and nothing is left after 455 days.
#[tokio::test]
async fn the_store_shrinks_as_data_ages() {
    let env = Env::new(2 * H);
    let data: Vec<_> = (0..120)
        .map(|i| datum("Busy", i * 30 * S, 1.0, i % 2 == 0))
        .collect();
    env.put(data).await.expect("put");
    assert_eq!((env.records(SAMPLES), env.records(BUCKETS)), (120, 0));
    // (now, bucket records expected after a request's upkeep)
    let table = [
        (2 * H + 11 * M, 60 + 60),
        (6 * H, 60),
        (20 * D, 12),
        (100 * D, 1),
        (456 * D, 0),
    ];
    for (now, buckets) in table {
        env.advance_to(now);
        env.stats("Busy", 0, 3600).await.expect("stats");
        assert_eq!(env.records(SAMPLES), 0, "+{}s", now / S);
        assert_eq!(env.records(BUCKETS), buckets, "+{}s", now / S);
    }
    assert!(env.cw.memory().samples.is_empty());
}

/// Series nobody reads or writes any more are compacted by the sweep a request starts.
#[tokio::test]
async fn a_sweep_compacts_untouched_series() {
    let env = Env::new(2 * H);
    env.put(vec![datum("A", 0, 1.0, false), datum("B", 0, 1.0, false)])
        .await
        .expect("put");
    env.advance_to(2 * H + 11 * M);
    env.names(false).await;
    assert_eq!((env.records(SAMPLES), env.records(BUCKETS)), (0, 2));
}

/// An engine whose writes fail once told to (reads and the first writes go to a memory
/// engine).
struct Flaky {
    inner: nimbus_store::MemoryEngine,
    failing: std::sync::atomic::AtomicBool,
}

impl nimbus_store::Engine for Flaky {
    fn get(&self, table: &str, key: &[u8]) -> Result<Option<Vec<u8>>, nimbus_store::StoreError> {
        self.inner.get(table, key)
    }
    fn scan_prefix(
        &self,
        table: &str,
        prefix: &[u8],
    ) -> Result<nimbus_store::KvPairs, nimbus_store::StoreError> {
        self.inner.scan_prefix(table, prefix)
    }
    fn apply(&self, batches: &[Batch]) -> Result<(), nimbus_store::StoreError> {
        if self.failing.load(Ordering::Relaxed) {
            return Err(nimbus_store::StoreError::engine("test", "disk full"));
        }
        self.inner.apply(batches)
    }
    fn wipe(&self) -> Result<(), nimbus_store::StoreError> {
        self.inner.wipe()
    }
}

/// A compaction whose batch fails changes nothing (memory still mirrors the store), reads
/// stay right, and the next request after the store recovers compacts.
#[tokio::test]
async fn a_failed_compaction_changes_nothing() {
    let engine = Arc::new(Flaky {
        inner: nimbus_store::MemoryEngine::new(),
        failing: false.into(),
    });
    let store = Store::new(engine.clone());
    let clock = Arc::new(ManualClock::new(Timestamp(T0 + 2 * H)));
    let env = Env {
        cw: CloudWatch::load(store.clone(), clock.clone()).expect("load"),
        store,
        clock,
    };
    env.put(vec![datum("A", 0, 1.0, true), datum("A", S, 2.0, true)])
        .await
        .expect("put");
    let before = env.cw.snapshot();
    env.advance_to(4 * H);
    engine.failing.store(true, Ordering::Relaxed);
    let keys: Vec<MetricKey> = env
        .cw
        .memory()
        .samples
        .iter()
        .map(|(k, _)| k.clone())
        .collect();
    assert!(env.cw.compact(keys).await.is_err());
    assert_eq!(env.cw.snapshot(), before);
    assert_eq!(env.reload().snapshot(), before);
    let want = points(&[(0, 2.0, 3.0)]);
    let got = env.stats("A", 0, 60).await.expect("stats");
    assert!(same(&got, &want), "{got:?}");
    engine.failing.store(false, Ordering::Relaxed);
    env.stats("A", 0, 60).await.expect("stats");
    assert_eq!((env.records(SAMPLES), env.records(BUCKETS)), (0, 1));
    assert_eq!(env.reload().snapshot(), env.cw.snapshot());
}

/// Version 1 sample records (before storage resolution and publish time) load; those old
/// enough are folded into buckets at load, which rewrites them in the current format.
#[tokio::test]
async fn version_1_records_load_and_are_compacted() {
    let store = Store::in_memory();
    let key = |name: &str| MetricKey {
        account: ACCOUNT.into(),
        region: "us-east-1".into(),
        namespace: "N".into(),
        name: name.into(),
        dimensions: vec![],
    };
    let mut batch = Batch::new();
    for (seq, name, at) in [
        (0u64, "Old", 0),
        (1, "Old", 30 * S),
        (2, "Recent", 2 * H - M),
    ] {
        let v1 = serde_json::json!({
            "key": key(name),
            "sample": {"timestamp": T0 + at, "count": 1.0, "sum": 2.0, "min": 2.0, "max": 2.0,
                       "unit": "Count"},
        });
        let codec = SeriesCodec::new(&key(name).as_key_ref());
        batch.put(
            SAMPLES,
            persist::sample_key(&codec, Timestamp(T0 + at), seq),
            nimbus_store::encode_record(1, &v1),
        );
    }
    store.commit(batch).await.expect("commit");
    let clock = Arc::new(ManualClock::new(Timestamp(T0 + 2 * H)));
    let env = Env {
        cw: CloudWatch::load(store.clone(), clock.clone()).expect("load"),
        store,
        clock,
    };
    // The two older ones (published, as far as version 1 knows, at their time stamps) were
    // folded into one minute bucket at load; the recent one waits, still in version 1.
    assert_eq!((env.records(SAMPLES), env.records(BUCKETS)), (1, 1));
    let got = env.stats("Old", 0, 60).await.expect("stats");
    assert!(same(&got, &points(&[(0, 2.0, 4.0)])), "{got:?}");
    let got = env.stats("Recent", 0, 60).await.expect("stats");
    assert!(same(&got, &points(&[(7140, 1.0, 2.0)])), "{got:?}");
    assert_eq!(env.names(false).await, ["Old", "Recent"]);
    // A new sample of the same millisecond does not reuse the stored one's sequence.
    env.put(vec![datum("Recent", 2 * H - M, 1.0, false)])
        .await
        .expect("put");
    assert_eq!(env.records(SAMPLES), 2);
    let got = env.stats("Recent", 0, 60).await.expect("stats");
    assert!(same(&got, &points(&[(7140, 2.0, 3.0)])), "{got:?}");
}

/// `ListMetrics` goes by when data was published, not by its time stamps: two weeks, or
/// three hours with `RecentlyActive=PT3H`. Data of a metric no longer listed can still be
/// read.
#[tokio::test]
async fn listing_follows_publish_time() {
    let env = Env::new(14 * D);
    env.put(vec![datum("Late", M, 1.0, false)])
        .await
        .expect("put");
    env.put(vec![datum("Fresh", 14 * D - M, 1.0, false)])
        .await
        .expect("put");
    // (now, listed, listed with RecentlyActive)
    let table: &[(i64, &[&str], &[&str])] = &[
        (14 * D, &["Fresh", "Late"], &["Fresh", "Late"]),
        (14 * D + 3 * H, &["Fresh", "Late"], &["Fresh", "Late"]),
        (14 * D + 3 * H + 1, &["Fresh", "Late"], &[]),
        (28 * D, &["Fresh", "Late"], &[]),
        (28 * D + 1, &[], &[]),
    ];
    for &(now, listed, recent) in table {
        env.advance_to(now);
        assert_eq!(env.names(false).await, listed, "+{}s", now / S);
        assert_eq!(env.names(true).await, recent, "+{}s", now / S);
    }
    let got = env.stats("Late", 0, 300).await.expect("stats");
    assert!(same(&got, &points(&[(0, 1.0, 1.0)])), "{got:?}");
}

#[tokio::test]
async fn period_rules() {
    let env = Env::new(5 * H);
    env.put(vec![
        datum("P", 4 * H, 1.0, true),
        datum("P", 4 * H + 25 * S, 2.0, true),
    ])
    .await
    .expect("put");
    // (start, period, datapoint times, or the error code)
    type Row = (i64, i32, Result<&'static [i64], &'static str>);
    let table: &[Row] = &[
        (4 * H, 20, Ok(&[4 * 3600, 4 * 3600 + 20])),
        // Rounded down to a multiple of the period.
        (4 * H + 5 * S, 20, Ok(&[4 * 3600, 4 * 3600 + 20])),
        (4 * H + 21 * S, 20, Ok(&[4 * 3600 + 20])),
        (4 * H, 60, Ok(&[4 * 3600])),
        (4 * H, 7, Err("InvalidParameterValue")),
        (4 * H, 90, Err("InvalidParameterValue")),
        (4 * H, 0, Err("InvalidParameterValue")),
        // Start time more than 3 hours ago: sub-minute periods find nothing.
        (H + 59 * M, 10, Ok(&[])),
        (H + 59 * M, 60, Ok(&[4 * 3600])),
    ];
    for &(start, period, want) in table {
        let got = env.stats("P", start, period).await;
        match (got, want) {
            (Ok(p), Ok(times)) => {
                let got: Vec<i64> = p.iter().map(|p| p.0).collect();
                assert_eq!(got, times, "start +{start} period {period}");
            }
            (Err(e), Err(code)) => assert_eq!(e.code, code, "{e}"),
            (got, _) => panic!("start +{start} period {period}: {got:?}"),
        }
    }
}

#[tokio::test]
async fn put_window_and_storage_resolution() {
    let env = Env::new(20 * D);
    let old = |i| datum("W", 20 * D - 14 * D - i, 1.0, false);
    let e = env
        .put(vec![old(M), datum("W", 20 * D, 1.0, false), old(H)])
        .await
        .unwrap_err();
    assert_eq!(e.code, "InvalidParameterValue");
    assert_eq!(
        e.message,
        "The parameter MetricData.member.1.Timestamp must specify a time within the past two weeks.\n\
         The parameter MetricData.member.3.Timestamp must specify a time within the past two weeks."
    );
    let e = env
        .put(vec![datum("W", 20 * D + 2 * H + S, 1.0, false)])
        .await
        .unwrap_err();
    assert_eq!(e.code, "InvalidParameterValue");
    let bad = g::MetricDatum {
        storage_resolution: Some(5),
        ..datum("W", 20 * D, 1.0, false)
    };
    let e = env.put(vec![bad]).await.unwrap_err();
    assert_eq!(
        (e.code.as_ref(), e.message.as_str()),
        (
            "InvalidParameterValue",
            "The parameter MetricData.member.1.StorageResolution must be a value in the set [ 1, 60 ]."
        )
    );
    // The edges of the window are accepted; nothing was stored by the failed puts.
    env.put(vec![old(0), datum("W", 20 * D + 2 * H, 1.0, false)])
        .await
        .expect("put");
    assert_eq!(env.records(SAMPLES), 2);
}

/// What a put leaves in memory is what a restart reads back from the store: new and
/// known series, a new series repeated within one put, dimensions in any order.
#[tokio::test]
async fn memory_and_store_agree_after_puts() {
    let env = Env::new(0);
    let datum = |name: &str, v: f64, dims: &[(&str, &str)]| g::MetricDatum {
        metric_name: name.into(),
        value: Some(v),
        unit: (v > 2.0).then(|| "Count".to_string()),
        storage_resolution: (v == 4.0).then_some(1),
        dimensions: Some(
            dims.iter()
                .map(|(n, v)| g::Dimension {
                    name: n.to_string(),
                    value: v.to_string(),
                })
                .collect(),
        ),
        ..Default::default()
    };
    for data in [
        vec![
            datum("a", 1.0, &[]),
            datum("a", 2.0, &[]),
            datum("b", 3.0, &[("X", "1")]),
        ],
        vec![
            datum("a", 4.0, &[]),
            datum("b", 5.0, &[("Y", "2"), ("X", "1")]),
        ],
        vec![
            datum("b", 6.0, &[("X", "1"), ("Y", "2")]),
            datum("c", 0.5, &[]),
        ],
    ] {
        env.put(data).await.expect("put");
    }
    let live = env.cw.snapshot();
    assert_eq!(live.len(), 4);
    assert_eq!(env.records(SAMPLES), 7);
    let reloaded = env.reload();
    assert_eq!(reloaded.snapshot(), live);
    let mem = reloaded.memory();
    for (k, _) in &live {
        let codec = mem.samples.codec(&k.as_key_ref()).expect("codec");
        assert_eq!(*codec, SeriesCodec::new(&k.as_key_ref()));
    }
}
