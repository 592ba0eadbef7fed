//! The metric repository: time series keyed by (account, region, namespace, metric name,
//! dimensions), each a list of statistic sets (one per `PutMetricData` datum), and the
//! aggregation `GetMetricStatistics` performs over them. Pure data structures; persistence
//! and the wire live in `handlers.rs`.

use nimbus_core::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Identity of one metric. Dimensions are kept sorted by name, as CloudWatch treats them as
/// a set.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct MetricKey {
    pub account: String,
    pub region: String,
    pub namespace: String,
    pub name: String,
    pub dimensions: Vec<(String, String)>,
}

impl MetricKey {
    /// A stable string form, used as the store key prefix.
    pub fn storage_key(&self) -> String {
        let mut s = format!(
            "{}\u{1}{}\u{1}{}\u{1}{}",
            self.account, self.region, self.namespace, self.name
        );
        for (k, v) in &self.dimensions {
            s.push('\u{1}');
            s.push_str(k);
            s.push('=');
            s.push_str(v);
        }
        s
    }
}

/// One datum's worth of samples, already reduced to a statistic set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    pub timestamp: Timestamp,
    pub count: f64,
    pub sum: f64,
    pub min: f64,
    pub max: f64,
    pub unit: String,
}

/// Aggregated statistics of one period.
#[derive(Clone, Debug, PartialEq)]
pub struct Aggregate {
    pub start: Timestamp,
    pub count: f64,
    pub sum: f64,
    pub min: f64,
    pub max: f64,
    pub unit: String,
}

impl Aggregate {
    pub fn average(&self) -> f64 {
        if self.count > 0.0 {
            self.sum / self.count
        } else {
            0.0
        }
    }
}

/// All metrics of all accounts and regions.
#[derive(Default)]
pub struct Repository {
    series: BTreeMap<MetricKey, Vec<Sample>>,
}

impl Repository {
    pub fn clear(&mut self) {
        self.series.clear();
    }

    pub fn insert(&mut self, key: MetricKey, sample: Sample) {
        let v = self.series.entry(key).or_default();
        // Keep each series ordered by time; appends are the common case.
        let pos = v.partition_point(|s| s.timestamp <= sample.timestamp);
        v.insert(pos, sample);
    }

    /// Metrics of (account, region), optionally narrowed, in key order.
    pub fn list<'a>(
        &'a self,
        account: &'a str,
        region: &'a str,
    ) -> impl Iterator<Item = (&'a MetricKey, &'a [Sample])> + 'a {
        self.series
            .iter()
            .filter(move |(k, _)| k.account == account && k.region == region)
            .map(|(k, v)| (k, v.as_slice()))
    }

    pub fn get(&self, key: &MetricKey) -> Option<&[Sample]> {
        self.series.get(key).map(Vec::as_slice)
    }
}

/// Groups samples in `[start, end)` into `period`-second buckets that begin at `start`
/// (CloudWatch reports each datapoint at the start of its period). `unit` filters samples.
pub fn aggregate(
    samples: &[Sample],
    start: Timestamp,
    end: Timestamp,
    period_secs: i64,
    unit: Option<&str>,
) -> Vec<Aggregate> {
    let period_ms = period_secs.max(1) * 1000;
    let mut buckets: BTreeMap<i64, Aggregate> = BTreeMap::new();
    let first = samples.partition_point(|s| s.timestamp < start);
    for s in &samples[first..] {
        if s.timestamp >= end {
            break;
        }
        if unit.is_some_and(|u| u != s.unit) {
            continue;
        }
        let idx = (s.timestamp.0 - start.0) / period_ms;
        let b = buckets.entry(idx).or_insert_with(|| Aggregate {
            start: Timestamp(start.0 + idx * period_ms),
            count: 0.0,
            sum: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            unit: s.unit.clone(),
        });
        b.count += s.count;
        b.sum += s.sum;
        b.min = b.min.min(s.min);
        b.max = b.max.max(s.max);
    }
    buckets.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(t: i64, v: f64) -> Sample {
        Sample {
            timestamp: Timestamp(t * 1000),
            count: 1.0,
            sum: v,
            min: v,
            max: v,
            unit: "Percent".into(),
        }
    }

    #[test]
    fn buckets_start_at_start_time() {
        let s = vec![
            sample(0, 1.0),
            sample(59, 3.0),
            sample(60, 10.0),
            sample(200, 7.0),
        ];
        let a = aggregate(&s, Timestamp(0), Timestamp(180_000), 60, None);
        assert_eq!(a.len(), 2);
        assert_eq!(a[0].start, Timestamp(0));
        assert_eq!(
            (a[0].count, a[0].sum, a[0].min, a[0].max),
            (2.0, 4.0, 1.0, 3.0)
        );
        assert_eq!(a[0].average(), 2.0);
        assert_eq!(a[1].start, Timestamp(60_000));
        assert!(aggregate(&s, Timestamp(0), Timestamp(180_000), 60, Some("Count")).is_empty());
    }

    #[test]
    fn insert_keeps_order() {
        let mut r = Repository::default();
        let k = MetricKey {
            account: "a".into(),
            region: "r".into(),
            namespace: "n".into(),
            name: "m".into(),
            dimensions: vec![],
        };
        r.insert(k.clone(), sample(10, 1.0));
        r.insert(k.clone(), sample(5, 2.0));
        let got: Vec<i64> = r
            .get(&k)
            .unwrap_or_default()
            .iter()
            .map(|s| s.timestamp.0)
            .collect();
        assert_eq!(got, vec![5000, 10_000]);
    }
}
