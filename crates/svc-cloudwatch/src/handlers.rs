//! CloudWatch's metric operations (`PutMetricData`, `ListMetrics`, `GetMetricStatistics`):
//! validation with CloudWatch's own error codes and messages, durable writes through the
//! store (a put is answered only after its samples are committed, and they reach memory
//! only then), reads from memory.
//!
//! A reset holds the `gate` (puts take it shared, just to submit their batch) while the
//! store is wiped, so every put's batch is queued either before the wipe (and wiped) or
//! after it. The reset also bumps the memory's epoch, and a put whose batch was submitted
//! in an older epoch does not add its samples to memory: they were wiped from the store.

use crate::generated::{self as g, errors};
use crate::metrics::{aggregate, KeyRef, MetricKey, Repository, Sample, SeriesCodec, Unit};
use nimbus_core::{AwsError, Clock, RequestContext, Timestamp};
use nimbus_store::{Batch, Store, StoreError};
use nimbus_wire::ResetStep;
use std::sync::{Arc, Mutex};

const TABLE: &str = "cloudwatch.samples";
const RECORD_VERSION: u16 = 1;
/// CloudWatch accepts data up to two weeks old and two hours in the future.
const MAX_AGE_MS: i64 = 14 * 24 * 3600 * 1000;
const MAX_FUTURE_MS: i64 = 2 * 3600 * 1000;
const MAX_DATAPOINTS: i64 = 1440;
const LIST_PAGE: usize = 500;

#[derive(serde::Serialize, serde::Deserialize)]
struct StoredSample {
    key: MetricKey,
    sample: Sample,
}

pub struct CloudWatch {
    store: Store,
    clock: Arc<dyn Clock>,
    memory: Mutex<Memory>,
    seq: std::sync::atomic::AtomicU64,
    /// Held shared by a put while it submits its batch, exclusively by a reset.
    gate: tokio::sync::RwLock<()>,
}

/// The samples in memory, and which reset they are from.
struct Memory {
    samples: Repository,
    /// How many resets happened; read when a put submits, compared when it is durable.
    epoch: u64,
}

fn invalid(msg: impl Into<String>) -> AwsError {
    errors::invalid_parameter_value_exception(msg)
}

fn store_err(e: StoreError) -> AwsError {
    AwsError::new("InternalServiceError", 500, format!("storage failure: {e}"))
}

impl CloudWatch {
    pub fn load(store: Store, clock: Arc<dyn Clock>) -> Result<Self, StoreError> {
        let mut repo = Repository::default();
        let mut n = 0u64;
        for (_, v) in store.scan_prefix(TABLE, b"")? {
            let s: StoredSample = nimbus_store::decode_record(&v, RECORD_VERSION, |_, j| Ok(j))?;
            repo.insert(s.key, s.sample);
            n += 1;
        }
        Ok(CloudWatch {
            store,
            clock,
            memory: Mutex::new(Memory {
                samples: repo,
                epoch: 0,
            }),
            seq: std::sync::atomic::AtomicU64::new(n),
            gate: tokio::sync::RwLock::new(()),
        })
    }

    fn memory(&self) -> std::sync::MutexGuard<'_, Memory> {
        self.memory.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Resets CloudWatch together with `then` (the other services and the store wipe; see
    /// [`nimbus_wire::Service::reset`]): no put submits while `then` runs; if it succeeded,
    /// memory is emptied and puts submitted before it will not add their samples.
    pub fn reset_with<'a>(&'a self, then: ResetStep<'a>) -> ResetStep<'a> {
        Box::pin(async move {
            let _gate = self.gate.write().await;
            then.await?;
            let mut mem = self.memory();
            mem.samples.clear();
            mem.epoch += 1;
            Ok(())
        })
    }
}

fn sorted_dims(dims: Option<Vec<g::Dimension>>) -> Result<Vec<(String, String)>, AwsError> {
    let mut d: Vec<(String, String)> = dims
        .unwrap_or_default()
        .into_iter()
        .map(|d| (d.name, d.value))
        .collect();
    if d.len() > 30 {
        return Err(invalid(
            "The collection Dimensions must not have a size greater than 30.",
        ));
    }
    d.sort();
    if d.windows(2).any(|w| w[0].0 == w[1].0) {
        return Err(errors::invalid_parameter_combination_exception(
            "No duplicate dimension names are allowed.",
        ));
    }
    Ok(d)
}

fn validate_namespace(ns: &str) -> Result<(), AwsError> {
    if ns.is_empty() || ns.len() > 255 || ns.starts_with(':') {
        return Err(invalid(format!(
            "The value {ns} for parameter Namespace is invalid."
        )));
    }
    if ns.starts_with("AWS/") {
        return Err(invalid(format!(
            "The value {ns} for parameter Namespace is invalid."
        )));
    }
    Ok(())
}

/// Reduces one datum to a statistic set, enforcing CloudWatch's rules on which of Value,
/// Values/Counts and StatisticValues may appear together.
fn to_sample(d: &g::MetricDatum, now: Timestamp, i: usize) -> Result<Sample, AwsError> {
    let n = i + 1;
    let unit = Unit::new(d.unit.as_deref().unwrap_or("None"));
    let timestamp = d.timestamp.unwrap_or(now);
    if timestamp.0 < now.0 - MAX_AGE_MS || timestamp.0 > now.0 + MAX_FUTURE_MS {
        return Err(invalid(format!(
            "The parameter MetricData.member.{n}.Timestamp must specify a time no more than two weeks in the past and no more than two hours in the future."
        )));
    }
    let given = [
        d.value.is_some(),
        d.statistic_values.is_some(),
        d.values.is_some(),
    ];
    if given.iter().filter(|x| **x).count() > 1 {
        return Err(errors::invalid_parameter_combination_exception(format!(
            "The parameters MetricData.member.{n}.Value, MetricData.member.{n}.StatisticValues and MetricData.member.{n}.Values are mutually exclusive and you have specified more than one."
        )));
    }
    let finite = |v: f64| -> Result<f64, AwsError> {
        if v.is_finite() {
            Ok(v)
        } else {
            Err(invalid(format!(
                "The value for parameter MetricData.member.{n} must be a finite number."
            )))
        }
    };
    if let Some(v) = d.value {
        let v = finite(v)?;
        return Ok(Sample {
            timestamp,
            count: 1.0,
            sum: v,
            min: v,
            max: v,
            unit,
        });
    }
    if let Some(s) = &d.statistic_values {
        let (c, sum, min, max) = (
            finite(s.sample_count)?,
            finite(s.sum)?,
            finite(s.minimum)?,
            finite(s.maximum)?,
        );
        if c <= 0.0 || min > max {
            return Err(invalid(format!(
                "The parameter MetricData.member.{n}.StatisticValues is invalid."
            )));
        }
        return Ok(Sample {
            timestamp,
            count: c,
            sum,
            min,
            max,
            unit,
        });
    }
    if let Some(values) = &d.values {
        let counts = d.counts.clone().unwrap_or_else(|| vec![1.0; values.len()]);
        if counts.len() != values.len() {
            return Err(invalid(format!(
                "The parameters MetricData.member.{n}.Values and MetricData.member.{n}.Counts must be of the same size."
            )));
        }
        if values.is_empty() || values.len() > 150 {
            return Err(invalid(format!(
                "The parameter MetricData.member.{n}.Values must hold 1 to 150 values."
            )));
        }
        let mut s = Sample {
            timestamp,
            count: 0.0,
            sum: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            unit,
        };
        for (v, c) in values.iter().zip(&counts) {
            let (v, c) = (finite(*v)?, finite(*c)?);
            s.count += c;
            s.sum += v * c;
            s.min = s.min.min(v);
            s.max = s.max.max(v);
        }
        return Ok(s);
    }
    Err(errors::missing_required_parameter_exception(format!(
        "The parameter MetricData.member.{n}.Value is required."
    )))
}

/// One validated datum of a put: its metric name, sorted dimensions and statistic set.
struct Row {
    name: String,
    dimensions: Vec<(String, String)>,
    sample: Sample,
}

fn row_key<'a>(account: &'a str, region: &'a str, namespace: &'a str, r: &'a Row) -> KeyRef<'a> {
    KeyRef {
        account,
        region,
        namespace,
        name: &r.name,
        dimensions: &r.dimensions,
    }
}

/// `{storage key}\u{2}{timestamp ms, 20 digits}\u{2}{seq, 20 digits}`: a series' samples in
/// time order, `seq` keeping samples of the same millisecond apart.
fn store_key(codec: &SeriesCodec, t: Timestamp, seq: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(codec.store_prefix.len() + 2 * (1 + 20));
    k.extend_from_slice(codec.store_prefix.as_bytes());
    for n in [t.0.max(0).unsigned_abs(), seq] {
        k.push(2);
        push_padded_20(&mut k, n);
    }
    k
}

/// Appends `n` in decimal, zero-padded to 20 digits (`format!("{n:020}")`; a `u64` never
/// has more than 20).
fn push_padded_20(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [b'0'; 20];
    for d in digits.iter_mut().rev() {
        *d = b'0' + (n % 10) as u8;
        n /= 10;
    }
    out.extend_from_slice(&digits);
}

/// The stored record of a sample: what `nimbus_store::encode_record(RECORD_VERSION,
/// &StoredSample { key, sample })` writes, byte for byte (serde_json writes each number
/// and string), with the key's JSON taken from the series instead of encoded again, and a
/// number equal to the one before it (a single value's sum, min and max) copied.
fn encode_sample(codec: &SeriesCodec, sample: &Sample) -> Vec<u8> {
    fn json<T: serde::Serialize + ?Sized>(out: &mut Vec<u8>, v: &T) {
        // Numbers and strings always serialize.
        let _ = serde_json::to_writer(&mut *out, v);
    }
    let mut out = Vec::with_capacity(codec.key_json.len() + 160);
    out.push(nimbus_store::RECORD_TAG_JSON);
    out.extend_from_slice(&RECORD_VERSION.to_le_bytes());
    out.extend_from_slice(br#"{"key":"#);
    out.extend_from_slice(codec.key_json.as_bytes());
    out.extend_from_slice(br#","sample":{"timestamp":"#);
    json(&mut out, &sample.timestamp);
    let mut previous: Option<(u64, std::ops::Range<usize>)> = None;
    for (field, x) in [
        (&br#","count":"#[..], sample.count),
        (br#","sum":"#, sample.sum),
        (br#","min":"#, sample.min),
        (br#","max":"#, sample.max),
    ] {
        out.extend_from_slice(field);
        match previous {
            Some((bits, ref text)) if bits == x.to_bits() => out.extend_from_within(text.clone()),
            _ => {
                let at = out.len();
                json(&mut out, &x);
                previous = Some((x.to_bits(), at..out.len()));
            }
        }
    }
    out.extend_from_slice(br#","unit":"#);
    json(&mut out, sample.unit.as_str());
    out.extend_from_slice(b"}}");
    out
}

fn wildcard_free_match(filter: &[g::DimensionFilter], dims: &[(String, String)]) -> bool {
    filter.iter().all(|f| {
        dims.iter()
            .any(|(k, v)| *k == f.name && f.value.as_ref().is_none_or(|fv| fv == v))
    })
}

impl g::Handlers for CloudWatch {
    async fn put_metric_data(
        &self,
        ctx: &RequestContext,
        input: g::PutMetricDataInput,
    ) -> Result<(), AwsError> {
        validate_namespace(&input.namespace)?;
        let data = input.metric_data.unwrap_or_default();
        if data.is_empty() && input.entity_metric_data.is_none() {
            return Err(errors::missing_required_parameter_exception(
                "The parameter MetricData is required.",
            ));
        }
        if data.len() > 1000 {
            return Err(invalid(
                "The collection MetricData must not have a size greater than 1000.",
            ));
        }
        if input.entity_metric_data.is_some() {
            return Err(AwsError::not_implemented(
                "CloudWatch",
                "PutMetricData with EntityMetricData",
            ));
        }
        let now = self.clock.now();
        let account = ctx.account_id();
        let mut rows = Vec::with_capacity(data.len());
        for (i, d) in data.into_iter().enumerate() {
            if d.metric_name.is_empty() || d.metric_name.len() > 255 {
                return Err(invalid(format!(
                    "The parameter MetricData.member.{}.MetricName is invalid.",
                    i + 1
                )));
            }
            let sample = to_sample(&d, now, i)?;
            rows.push(Row {
                dimensions: sorted_dims(d.dimensions)?,
                name: d.metric_name,
                sample,
            });
        }
        let key = |r| row_key(account, &ctx.region, &input.namespace, r);
        // Every record of a series repeats its key: a known series lends its encoding, a new
        // one gets it made (once per put, however many of the put's data it has).
        let known: Vec<Option<Arc<SeriesCodec>>> = {
            let mem = self.memory();
            rows.iter().map(|r| mem.samples.codec(&key(r))).collect()
        };
        let mut codecs: Vec<Arc<SeriesCodec>> = Vec::with_capacity(rows.len());
        let mut batch = Batch::new();
        for (i, (r, known)) in rows.iter().zip(known).enumerate() {
            let codec = match (known, codecs.last()) {
                (Some(c), _) => c,
                (None, Some(prev)) if key(&rows[i - 1]) == key(r) => prev.clone(),
                (None, _) => Arc::new(SeriesCodec::new(&key(r))),
            };
            let seq = self.seq.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            batch.put(
                TABLE,
                store_key(&codec, r.sample.timestamp, seq),
                encode_sample(&codec, &r.sample),
            );
            codecs.push(codec);
        }
        let (durable, epoch) = {
            let _gate = self.gate.read().await;
            (self.store.submit(batch), self.memory().epoch)
        };
        durable.await.map_err(store_err)?;
        let mut mem = self.memory();
        // Otherwise a reset wiped these samples from the store after they landed.
        if mem.epoch == epoch {
            for (r, codec) in rows.iter().zip(codecs) {
                mem.samples.insert_ref(&key(r), r.sample.clone(), codec);
            }
        }
        Ok(())
    }

    async fn list_metrics(
        &self,
        ctx: &RequestContext,
        input: g::ListMetricsInput,
    ) -> Result<g::ListMetricsOutput, AwsError> {
        let filters = input.dimensions.unwrap_or_default();
        if filters.len() > 10 {
            return Err(invalid(
                "The collection Dimensions must not have a size greater than 10.",
            ));
        }
        let start: usize = match &input.next_token {
            Some(t) => t
                .parse()
                .map_err(|_| invalid("The parameter NextToken is invalid."))?,
            None => 0,
        };
        let recent_after = match input.recently_active.as_deref() {
            None => None,
            Some("PT3H") => Some(Timestamp(self.clock.now().0 - 3 * 3600 * 1000)),
            Some(o) => {
                return Err(invalid(format!(
                    "The value {o} for parameter RecentlyActive is invalid."
                )))
            }
        };
        let mem = self.memory();
        let matching: Vec<g::Metric> = mem
            .samples
            .list(ctx.account_id(), &ctx.region)
            .filter(|(k, _)| input.namespace.as_ref().is_none_or(|n| *n == k.namespace))
            .filter(|(k, _)| input.metric_name.as_ref().is_none_or(|n| *n == k.name))
            .filter(|(k, _)| wildcard_free_match(&filters, &k.dimensions))
            .filter(|(_, s)| {
                recent_after.is_none_or(|t| s.last().is_some_and(|l| l.timestamp >= t))
            })
            .skip(start)
            .take(LIST_PAGE + 1)
            .map(|(k, _)| g::Metric {
                namespace: Some(k.namespace.clone()),
                metric_name: Some(k.name.clone()),
                dimensions: Some(
                    k.dimensions
                        .iter()
                        .map(|(n, v)| g::Dimension {
                            name: n.clone(),
                            value: v.clone(),
                        })
                        .collect(),
                ),
            })
            .collect();
        let mut metrics = matching;
        let next_token = if metrics.len() > LIST_PAGE {
            metrics.truncate(LIST_PAGE);
            Some((start + LIST_PAGE).to_string())
        } else {
            None
        };
        Ok(g::ListMetricsOutput {
            metrics: Some(metrics),
            next_token,
            ..Default::default()
        })
    }

    async fn get_metric_statistics(
        &self,
        ctx: &RequestContext,
        input: g::GetMetricStatisticsInput,
    ) -> Result<g::GetMetricStatisticsOutput, AwsError> {
        validate_namespace(&input.namespace)?;
        if input.start_time >= input.end_time {
            return Err(invalid(
                "The parameter StartTime must be less than the parameter EndTime.",
            ));
        }
        let period = input.period as i64;
        if period < 1
            || (period >= 60 && period % 60 != 0)
            || (period < 60 && ![1, 5, 10, 30].contains(&period))
        {
            return Err(invalid(
                "The parameter Period must be 1, 5, 10, 30, or a multiple of 60.",
            ));
        }
        let stats = input.statistics.unwrap_or_default();
        if stats.is_empty()
            && input
                .extended_statistics
                .as_ref()
                .is_none_or(|e| e.is_empty())
        {
            return Err(errors::missing_required_parameter_exception(
                "Must specify either Statistics or ExtendedStatistics.",
            ));
        }
        if input
            .extended_statistics
            .as_ref()
            .is_some_and(|e| !e.is_empty())
        {
            return Err(AwsError::not_implemented(
                "CloudWatch",
                "GetMetricStatistics with ExtendedStatistics",
            ));
        }
        for s in &stats {
            if !["SampleCount", "Average", "Sum", "Minimum", "Maximum"].contains(&s.as_str()) {
                return Err(invalid(format!(
                    "The value {s} for parameter Statistics is invalid."
                )));
            }
        }
        // CloudWatch rounds a start time down to the minute for minute-multiple periods.
        let start = if period % 60 == 0 {
            Timestamp(input.start_time.0 - input.start_time.0.rem_euclid(60_000))
        } else {
            input.start_time
        };
        let span_secs = (input.end_time.0 - start.0 + 999) / 1000;
        let points = (span_secs + period - 1) / period;
        if points > MAX_DATAPOINTS {
            return Err(errors::invalid_parameter_combination_exception(format!(
                "You have requested up to {points} datapoints, which exceeds the limit of 1,440. You may reduce the datapoints requested by increasing Period, or decreasing the time range."
            )));
        }
        let dimensions = sorted_dims(input.dimensions)?;
        let key = KeyRef {
            account: ctx.account_id(),
            region: &ctx.region,
            namespace: &input.namespace,
            name: &input.metric_name,
            dimensions: &dimensions,
        };
        let mem = self.memory();
        let samples = mem.samples.get(&key).unwrap_or(&[]);
        let aggs = aggregate(
            samples,
            start,
            input.end_time,
            period,
            input.unit.as_deref(),
        );
        let want = |s: &str| stats.iter().any(|x| x == s);
        let datapoints = aggs
            .into_iter()
            .map(|a| g::Datapoint {
                timestamp: Some(a.start),
                sample_count: want("SampleCount").then_some(a.count),
                average: want("Average").then(|| a.average()),
                sum: want("Sum").then_some(a.sum),
                minimum: want("Minimum").then_some(a.min),
                maximum: want("Maximum").then_some(a.max),
                unit: Some(a.unit),
                extended_statistics: None,
            })
            .collect();
        Ok(g::GetMetricStatisticsOutput {
            label: Some(input.metric_name),
            datapoints: Some(datapoints),
        })
    }

    fn reset<'a>(&'a self, then: ResetStep<'a>) -> ResetStep<'a> {
        self.reset_with(then)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record written from the series' codec is byte for byte what the store's own
    /// encoder writes for the whole sample (and so what `load` decodes).
    #[test]
    fn encoded_samples_match_the_record_encoder() {
        let key = MetricKey {
            account: "000000000000".into(),
            region: "us-east-1".into(),
            namespace: "Ns \"q\" \\ é".into(),
            name: "Latency\n".into(),
            dimensions: vec![("A".into(), "1".into()), ("\u{1}".into(), "<&>".into())],
        };
        let codec = SeriesCodec::new(&key.as_key_ref());
        let floats = [
            0.0,
            -0.0,
            1.0,
            1.5,
            0.1,
            1e300,
            -2.5e-300,
            123456789.125,
            f64::MAX,
        ];
        for (i, &a) in floats.iter().enumerate() {
            for &b in &floats[i..] {
                let sample = Sample {
                    timestamp: Timestamp(1_795_601_122_123 + i as i64),
                    count: a,
                    sum: b,
                    min: b,
                    max: if i % 2 == 0 { a } else { b },
                    unit: Unit::new(if i % 3 == 0 {
                        "Milliseconds"
                    } else {
                        "odd \"unit\""
                    }),
                };
                let want = nimbus_store::encode_record(
                    RECORD_VERSION,
                    &StoredSample {
                        key: key.clone(),
                        sample: sample.clone(),
                    },
                );
                assert_eq!(encode_sample(&codec, &sample), want);
                let back: StoredSample =
                    nimbus_store::decode_record(&want, RECORD_VERSION, |_, j| Ok(j)).unwrap();
                assert_eq!((back.key, back.sample), (key.clone(), sample));
            }
        }
    }

    #[test]
    fn store_keys_pad_like_format() {
        let key = MetricKey {
            account: "a".into(),
            region: "r".into(),
            namespace: "n".into(),
            name: "m".into(),
            dimensions: vec![],
        };
        let codec = SeriesCodec::new(&key.as_key_ref());
        for (t, seq) in [
            (0, 0),
            (1_795_601_122_000, 7),
            (-5, u64::MAX),
            (i64::MAX, 12),
        ] {
            let want = format!("{}\u{2}{:020}\u{2}{:020}", key.storage_key(), t.max(0), seq);
            assert_eq!(store_key(&codec, Timestamp(t), seq), want.into_bytes());
        }
    }

    /// What a put leaves in memory is what a restart reads back from the store: new and
    /// known series, a new series repeated within one put, dimensions in any order.
    #[tokio::test]
    async fn memory_and_store_agree_after_puts() {
        use g::Handlers as _;
        let now = Timestamp(1_700_000_000_000);
        let clock: Arc<dyn Clock> = Arc::new(nimbus_core::ManualClock::new(now));
        let store = Store::in_memory();
        let cw = CloudWatch::load(store.clone(), clock.clone()).unwrap();
        let ctx = RequestContext {
            request_id: "r".into(),
            principal: nimbus_core::Principal::root("000000000000", "AK").into(),
            region: "us-east-1".into(),
            now,
            host: "h".into(),
        };
        let datum = |name: &str, v: f64, dims: &[(&str, &str)]| g::MetricDatum {
            metric_name: name.into(),
            value: Some(v),
            unit: (v > 2.0).then(|| "Count".to_string()),
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
            cw.put_metric_data(
                &ctx,
                g::PutMetricDataInput {
                    namespace: "N".into(),
                    metric_data: Some(data),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        }
        let snapshot = |cw: &CloudWatch| -> Vec<(MetricKey, Vec<Sample>)> {
            let mem = cw.memory();
            mem.samples
                .list("000000000000", "us-east-1")
                .map(|(k, s)| (k.clone(), s.to_vec()))
                .collect()
        };
        let live = snapshot(&cw);
        assert_eq!(live.len(), 4);
        assert_eq!(live.iter().map(|(_, s)| s.len()).sum::<usize>(), 7);
        let reloaded = CloudWatch::load(store, clock).unwrap();
        assert_eq!(snapshot(&reloaded), live);
        let mem = reloaded.memory();
        for (k, _) in &live {
            let codec = mem.samples.codec(&k.as_key_ref()).unwrap();
            assert_eq!(*codec, SeriesCodec::new(&k.as_key_ref()));
        }
    }
}
