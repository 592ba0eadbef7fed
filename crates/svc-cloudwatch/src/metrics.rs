//! The metric repository: time series keyed by (account, region, namespace, metric name,
//! dimensions), each a list of statistic sets (one per `PutMetricData` datum) ordered by
//! time, and the aggregation `GetMetricStatistics` performs over them. A series also keeps
//! what every store record of it repeats ([`SeriesCodec`]: its store-key prefix and its
//! key's JSON), made once, so a put does not encode the same key again for every datum.
//! Series are found by a borrowed [`KeyRef`], so looking one up allocates nothing. Pure
//! data structures; persistence and the wire live in `handlers.rs`.

use nimbus_core::Timestamp;
use serde::{Deserialize, Serialize};
use std::borrow::Borrow;
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

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
        self.as_key_ref().storage_key()
    }

    /// The key as borrowed parts.
    pub fn as_key_ref(&self) -> KeyRef<'_> {
        KeyRef {
            account: &self.account,
            region: &self.region,
            namespace: &self.namespace,
            name: &self.name,
            dimensions: &self.dimensions,
        }
    }
}

/// A [`MetricKey`] made of borrowed parts. It orders, compares and serializes exactly like
/// the owned key (same fields, same order, same names), so it finds a series in the
/// repository and writes the same JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct KeyRef<'a> {
    pub account: &'a str,
    pub region: &'a str,
    pub namespace: &'a str,
    pub name: &'a str,
    pub dimensions: &'a [(String, String)],
}

impl KeyRef<'_> {
    /// [`MetricKey::storage_key`].
    pub fn storage_key(&self) -> String {
        let dims: usize = self
            .dimensions
            .iter()
            .map(|(k, v)| k.len() + v.len() + 2)
            .sum();
        let mut s = String::with_capacity(
            self.account.len()
                + self.region.len()
                + self.namespace.len()
                + self.name.len()
                + 3
                + dims,
        );
        for part in [
            self.account,
            "\u{1}",
            self.region,
            "\u{1}",
            self.namespace,
            "\u{1}",
            self.name,
        ] {
            s.push_str(part);
        }
        for (k, v) in self.dimensions {
            s.push('\u{1}');
            s.push_str(k);
            s.push('=');
            s.push_str(v);
        }
        s
    }

    pub fn to_owned_key(&self) -> MetricKey {
        MetricKey {
            account: self.account.to_string(),
            region: self.region.to_string(),
            namespace: self.namespace.to_string(),
            name: self.name.to_string(),
            dimensions: self.dimensions.to_vec(),
        }
    }
}

/// Lets the repository's map, keyed by [`MetricKey`], be searched with a [`KeyRef`].
trait AsKeyRef {
    fn key_ref(&self) -> KeyRef<'_>;
}

impl AsKeyRef for MetricKey {
    fn key_ref(&self) -> KeyRef<'_> {
        self.as_key_ref()
    }
}

impl AsKeyRef for KeyRef<'_> {
    fn key_ref(&self) -> KeyRef<'_> {
        *self
    }
}

impl<'a> Borrow<dyn AsKeyRef + 'a> for MetricKey {
    fn borrow(&self) -> &(dyn AsKeyRef + 'a) {
        self
    }
}

impl PartialEq for dyn AsKeyRef + '_ {
    fn eq(&self, other: &Self) -> bool {
        self.key_ref() == other.key_ref()
    }
}

impl Eq for dyn AsKeyRef + '_ {}

impl PartialOrd for dyn AsKeyRef + '_ {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for dyn AsKeyRef + '_ {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key_ref().cmp(&other.key_ref())
    }
}

/// A sample's unit. The standard units (botocore's `StandardUnit`) are shared, so most
/// samples cost no allocation for their unit; any other text is kept as sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unit(Arc<str>);

static STANDARD_UNITS: LazyLock<Vec<Arc<str>>> = LazyLock::new(|| {
    let shape = crate::generated::MODEL
        .shapes
        .iter()
        .find(|s| s.name == "StandardUnit");
    match shape.map(|s| &s.kind) {
        Some(nimbus_wire::ShapeKind::String { enum_values }) => {
            enum_values.iter().map(|u| Arc::from(*u)).collect()
        }
        _ => Vec::new(),
    }
});

impl Unit {
    pub fn new(unit: &str) -> Unit {
        match STANDARD_UNITS.iter().find(|u| &***u == unit) {
            Some(u) => Unit(u.clone()),
            None => Unit(Arc::from(unit)),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Serialize for Unit {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Unit {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<'de, str>::deserialize(d)?;
        Ok(Unit::new(&s))
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
    pub unit: Unit,
}

/// What every store record of a series repeats, made once per series: the start of its
/// store keys ([`MetricKey::storage_key`]) and the JSON of its key as the record holds it.
#[derive(Debug, PartialEq, Eq)]
pub struct SeriesCodec {
    pub store_prefix: Box<str>,
    pub key_json: Box<str>,
}

impl SeriesCodec {
    pub fn new(key: &KeyRef<'_>) -> SeriesCodec {
        SeriesCodec {
            store_prefix: key.storage_key().into(),
            // A key is strings only: it always serializes.
            key_json: serde_json::to_string(key).unwrap_or_default().into(),
        }
    }
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

/// One metric's samples, in time order, and its codec.
struct Series {
    samples: Vec<Sample>,
    codec: Arc<SeriesCodec>,
}

/// All metrics of all accounts and regions.
#[derive(Default)]
pub struct Repository {
    series: BTreeMap<MetricKey, Series>,
}

impl Repository {
    pub fn clear(&mut self) {
        self.series.clear();
    }

    pub fn insert(&mut self, key: MetricKey, sample: Sample) {
        let codec = match self.codec(&key.as_key_ref()) {
            Some(c) => c,
            None => Arc::new(SeriesCodec::new(&key.as_key_ref())),
        };
        self.insert_ref(&key.as_key_ref(), sample, codec);
    }

    /// Adds `sample` to the series of `key`, creating it (with `codec`, which must be the
    /// key's) when it is new.
    pub fn insert_ref(&mut self, key: &KeyRef<'_>, sample: Sample, codec: Arc<SeriesCodec>) {
        let v = match self.series.get_mut(key as &dyn AsKeyRef) {
            Some(s) => &mut s.samples,
            None => {
                let s = self.series.entry(key.to_owned_key()).or_insert(Series {
                    samples: Vec::new(),
                    codec,
                });
                &mut s.samples
            }
        };
        // Keep each series ordered by time; appends are the common case.
        let pos = v.partition_point(|s| s.timestamp <= sample.timestamp);
        v.insert(pos, sample);
    }

    /// The codec of the series of `key`, if it exists.
    pub fn codec(&self, key: &KeyRef<'_>) -> Option<Arc<SeriesCodec>> {
        self.series
            .get(key as &dyn AsKeyRef)
            .map(|s| s.codec.clone())
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
            .map(|(k, v)| (k, v.samples.as_slice()))
    }

    pub fn get(&self, key: &KeyRef<'_>) -> Option<&[Sample]> {
        self.series
            .get(key as &dyn AsKeyRef)
            .map(|s| s.samples.as_slice())
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
        if unit.is_some_and(|u| u != s.unit.as_str()) {
            continue;
        }
        let idx = (s.timestamp.0 - start.0) / period_ms;
        let b = buckets.entry(idx).or_insert_with(|| Aggregate {
            start: Timestamp(start.0 + idx * period_ms),
            count: 0.0,
            sum: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            unit: s.unit.as_str().to_string(),
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
            unit: Unit::new("Percent"),
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
            .get(&k.as_key_ref())
            .unwrap_or_default()
            .iter()
            .map(|s| s.timestamp.0)
            .collect();
        assert_eq!(got, vec![5000, 10_000]);
    }

    fn key(ns: &str, name: &str, dims: &[(&str, &str)]) -> MetricKey {
        MetricKey {
            account: "000000000000".into(),
            region: "us-east-1".into(),
            namespace: ns.into(),
            name: name.into(),
            dimensions: dims
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    /// A borrowed key orders, compares and serializes exactly as the owned one, so it
    /// finds the same series and writes the same record bytes.
    #[test]
    fn key_ref_matches_the_owned_key() {
        let keys = [
            key("a", "m", &[]),
            key("a", "m", &[("A", "1")]),
            key("a", "m", &[("A", "1"), ("B", "")]),
            key("a", "m", &[("A", "2")]),
            key("a", "n\u{1}", &[]),
            key("a\u{1}n", "", &[]),
            key("b\"q\\", "é\n", &[("\u{0}", "<&>")]),
        ];
        for a in &keys {
            assert_eq!(
                serde_json::to_string(&a.as_key_ref()).unwrap(),
                serde_json::to_string(a).unwrap()
            );
            assert_eq!(a.as_key_ref().to_owned_key(), *a);
            let codec = SeriesCodec::new(&a.as_key_ref());
            assert_eq!(*codec.key_json, serde_json::to_string(a).unwrap());
            for b in &keys {
                assert_eq!(a.as_key_ref().cmp(&b.as_key_ref()), a.cmp(b), "{a:?} {b:?}");
            }
        }
        assert_eq!(
            key("ns", "m", &[("A", "1"), ("B", "2")]).storage_key(),
            "000000000000\u{1}us-east-1\u{1}ns\u{1}m\u{1}A=1\u{1}B=2"
        );
    }

    #[test]
    fn series_are_found_by_borrowed_keys() {
        let mut r = Repository::default();
        let k1 = key("n", "m", &[("A", "1")]);
        let k2 = key("n", "m", &[]);
        r.insert(k1.clone(), sample(1, 1.0));
        r.insert(k2.clone(), sample(2, 2.0));
        r.insert(k1.clone(), sample(3, 3.0));
        assert_eq!(r.get(&k1.as_key_ref()).map(<[Sample]>::len), Some(2));
        assert_eq!(r.get(&k2.as_key_ref()).map(<[Sample]>::len), Some(1));
        assert!(r.get(&key("n", "x", &[]).as_key_ref()).is_none());
        let listed: Vec<&MetricKey> = r
            .list("000000000000", "us-east-1")
            .map(|(k, _)| k)
            .collect();
        assert_eq!(listed, [&k2, &k1]);
        assert_eq!(
            r.codec(&k1.as_key_ref())
                .map(|c| c.store_prefix.to_string()),
            Some(k1.storage_key())
        );
    }

    #[test]
    fn units_are_shared_and_kept_as_sent() {
        let a = Unit::new("Milliseconds");
        let b = Unit::new("Milliseconds");
        assert!(Arc::ptr_eq(&a.0, &b.0));
        assert_eq!(Unit::new("None").as_str(), "None");
        assert_eq!(Unit::new("furlongs").as_str(), "furlongs");
        let s = sample(1, 2.0);
        let json = serde_json::to_string(&s).unwrap();
        assert!(json.ends_with(r#""unit":"Percent"}"#), "{json}");
        assert_eq!(serde_json::from_str::<Sample>(&json).unwrap(), s);
    }
}
