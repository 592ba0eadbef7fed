//! The metric repository: time series keyed by (account, region, namespace, metric name,
//! dimensions); what one series holds (raw samples and rolled-up buckets) is in
//! `series.rs`. A series also keeps what every store record of it repeats
//! ([`SeriesCodec`]: its store-key prefix and its key's JSON), made once, so a put does not
//! encode the same key again for every datum. Series are found by a borrowed [`KeyRef`], so
//! looking one up allocates nothing. Pure data structures; persistence is in `persist.rs`,
//! the wire in `handlers.rs`.

use crate::series::{Plan, RawSample, Series};
use nimbus_core::Timestamp;
use serde::{Deserialize, Serialize};
use std::borrow::Borrow;
use std::cmp::Ordering;
use std::collections::btree_map::Entry;
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
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
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

/// All metrics of all accounts and regions.
#[derive(Default)]
pub struct Repository {
    series: BTreeMap<MetricKey, Series>,
}

impl Repository {
    pub fn clear(&mut self) {
        self.series.clear();
    }

    pub fn len(&self) -> usize {
        self.series.len()
    }

    pub fn is_empty(&self) -> bool {
        self.series.is_empty()
    }

    /// Adds a raw sample published at `received` to the series of `key`.
    pub fn insert(&mut self, key: MetricKey, raw: RawSample, received: Timestamp) {
        self.series_mut(key).push_raw(raw, received);
    }

    /// Adds `raw`, published at `received`, to the series of `key`, creating it (with
    /// `codec`, which must be the key's) when it is new. Returns whether the series is due
    /// for compaction ([`Series::due`] at `received`).
    pub fn insert_ref(
        &mut self,
        key: &KeyRef<'_>,
        raw: RawSample,
        received: Timestamp,
        codec: Arc<SeriesCodec>,
    ) -> bool {
        let series = match self.series.get_mut(key as &dyn AsKeyRef) {
            Some(s) => s,
            None => self
                .series
                .entry(key.to_owned_key())
                .or_insert_with(|| Series::new(codec)),
        };
        series.push_raw(raw, received);
        series.due(received)
    }

    /// The series of `key`, created empty if it is new.
    pub fn series_mut(&mut self, key: MetricKey) -> &mut Series {
        match self.series.entry(key) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => {
                let codec = Arc::new(SeriesCodec::new(&e.key().as_key_ref()));
                e.insert(Series::new(codec))
            }
        }
    }

    /// The codec of the series of `key`, if it exists.
    pub fn codec(&self, key: &KeyRef<'_>) -> Option<Arc<SeriesCodec>> {
        self.get(key).map(|s| s.codec().clone())
    }

    /// Metrics of (account, region), in key order.
    pub fn list<'a>(
        &'a self,
        account: &'a str,
        region: &'a str,
    ) -> impl Iterator<Item = (&'a MetricKey, &'a Series)> + 'a {
        self.series
            .iter()
            .filter(move |(k, _)| k.account == account && k.region == region)
    }

    pub fn get(&self, key: &KeyRef<'_>) -> Option<&Series> {
        self.series.get(key as &dyn AsKeyRef)
    }

    /// Every series, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&MetricKey, &Series)> {
        self.series.iter()
    }

    /// Up to `limit` series due for compaction at `now` ([`Series::due`]), in key order.
    pub fn due(&self, now: Timestamp, limit: usize) -> Vec<MetricKey> {
        self.series
            .iter()
            .filter(|(_, s)| s.due(now))
            .take(limit)
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// Carries out a compaction planned for the series of `key`; a series left with no data
    /// is forgotten.
    pub fn apply(&mut self, key: &MetricKey, plan: &Plan) {
        if let Some(s) = self.series.get_mut(key) {
            s.apply(plan);
            if s.is_empty() {
                self.series.remove(key);
            }
        }
    }
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

    fn raw(t: i64, v: f64) -> RawSample {
        RawSample {
            sample: sample(t, v),
            resolution: crate::retention::Resolution::Standard,
            seq: t as u64,
        }
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
        r.insert(k.clone(), raw(10, 1.0), Timestamp(7));
        r.insert(k.clone(), raw(5, 2.0), Timestamp(3));
        let series = r.get(&k.as_key_ref()).expect("series");
        let got: Vec<i64> = series.raw().iter().map(|s| s.sample.timestamp.0).collect();
        assert_eq!(got, vec![5000, 10_000]);
        assert_eq!(series.last_published(), Timestamp(7));
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
        r.insert(k1.clone(), raw(1, 1.0), Timestamp(0));
        r.insert(k2.clone(), raw(2, 2.0), Timestamp(0));
        r.insert(k1.clone(), raw(3, 3.0), Timestamp(0));
        assert_eq!(r.get(&k1.as_key_ref()).map(|s| s.raw().len()), Some(2));
        assert_eq!(r.get(&k2.as_key_ref()).map(|s| s.raw().len()), Some(1));
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
