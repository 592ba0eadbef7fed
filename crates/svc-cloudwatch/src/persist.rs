//! CloudWatch's durable form: two store tables, their keys and versioned records, the
//! migration of older records, loading the repository back, and turning a compaction
//! [`Plan`] into a store batch. It does not decide what to write or when (`handlers.rs`,
//! `compaction.rs`).
//!
//! * `cloudwatch.samples` — one record per `PutMetricData` datum not yet folded into a bucket,
//!   keyed `{series}\u{2}{time stamp ms, 20 digits}\u{2}{sequence, 20 digits}`. Version 2
//!   adds the datum's storage resolution and when it was published to version 1's
//!   `{key, sample}`; a version 1 record reads as standard resolution, published at its
//!   time stamp (the best guess: version 1 kept no publish time).
//! * `cloudwatch.buckets` — one record per rolled-up bucket, keyed
//!   `{series}\u{2}{tier seconds, 20 digits}\u{2}{start ms, 20 digits}\u{2}{unit}`.
//!
//! `{series}` is the series' [`MetricKey::storage_key`]; every record also holds the whole
//! key, so loading needs nothing else.

use crate::metrics::{KeyRef, MetricKey, Repository, Sample, SeriesCodec, Unit};
use crate::retention::{Resolution, Tier};
use crate::series::{Plan, RawSample, Stats};
use nimbus_core::Timestamp;
use nimbus_store::{Batch, Store, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub const SAMPLES: &str = "cloudwatch.samples";
pub const SAMPLE_VERSION: u16 = 2;
pub const BUCKETS: &str = "cloudwatch.buckets";
pub const BUCKET_VERSION: u16 = 1;

/// A `cloudwatch.samples` record (version 2).
#[derive(Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredSample {
    pub key: MetricKey,
    pub sample: Sample,
    /// `StorageResolution`: 1 or 60.
    pub storage_resolution: u8,
    /// When it was published (Nimbus time).
    pub received: Timestamp,
}

/// A `cloudwatch.buckets` record (version 1). `K` is an owned key when read, a borrowed one
/// when written.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredBucket<K> {
    pub key: K,
    /// The tier's bucket length in seconds: 1, 60, 300 or 3600.
    pub resolution: i64,
    pub start: Timestamp,
    pub unit: Unit,
    pub count: f64,
    pub sum: f64,
    pub min: f64,
    pub max: f64,
    /// The series' latest publish time when this record was written.
    pub published: Timestamp,
}

/// Upgrades a `cloudwatch.samples` body from version `from` to `from + 1`.
pub fn migrate_sample(from: u16, mut body: Value) -> Result<Value, StoreError> {
    let fail = |reason: &str| StoreError::Migration {
        from,
        reason: reason.into(),
    };
    match from {
        1 => {
            let published = body
                .pointer("/sample/timestamp")
                .cloned()
                .ok_or_else(|| fail("sample without a timestamp"))?;
            let obj = body
                .as_object_mut()
                .ok_or_else(|| fail("record is not an object"))?;
            obj.insert("storage_resolution".into(), Value::from(60));
            obj.insert("received".into(), published);
            Ok(body)
        }
        _ => Err(fail("no migration from this version")),
    }
}

fn no_migration(from: u16, _: Value) -> Result<Value, StoreError> {
    Err(StoreError::Migration {
        from,
        reason: "cloudwatch.buckets has had one version only".into(),
    })
}

/// `{storage key}\u{2}{timestamp ms, 20 digits}\u{2}{seq, 20 digits}`: a series' samples in
/// time order, `seq` keeping samples of the same millisecond apart.
pub fn sample_key(codec: &SeriesCodec, t: Timestamp, seq: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(codec.store_prefix.len() + 2 * (1 + 20));
    k.extend_from_slice(codec.store_prefix.as_bytes());
    for n in [t.0.max(0).unsigned_abs(), seq] {
        k.push(2);
        push_padded_20(&mut k, n);
    }
    k
}

/// The sequence number at the end of a [`sample_key`].
fn sample_seq(key: &[u8]) -> Option<u64> {
    let digits = key.get(key.len().checked_sub(20)?..)?;
    std::str::from_utf8(digits).ok()?.parse().ok()
}

pub fn bucket_key(codec: &SeriesCodec, tier: Tier, start: i64, unit: &Unit) -> Vec<u8> {
    let mut k = Vec::with_capacity(codec.store_prefix.len() + 2 * (1 + 20) + 1 + 16);
    k.extend_from_slice(codec.store_prefix.as_bytes());
    for n in [tier.secs(), start] {
        k.push(2);
        push_padded_20(&mut k, n.max(0).unsigned_abs());
    }
    k.push(2);
    k.extend_from_slice(unit.as_str().as_bytes());
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

/// The stored record of a raw sample: what `nimbus_store::encode_record(SAMPLE_VERSION,
/// &StoredSample { .. })` writes, byte for byte (serde_json writes each number and string),
/// with the key's JSON taken from the series instead of encoded again, and a number equal to
/// the one before it (a single value's sum, min and max) copied. This is the put path.
pub fn encode_sample(
    codec: &SeriesCodec,
    sample: &Sample,
    resolution: Resolution,
    received: Timestamp,
) -> Vec<u8> {
    fn json<T: serde::Serialize + ?Sized>(out: &mut Vec<u8>, v: &T) {
        // Numbers and strings always serialize.
        let _ = serde_json::to_writer(&mut *out, v);
    }
    let mut out = Vec::with_capacity(codec.key_json.len() + 200);
    out.push(nimbus_store::RECORD_TAG_JSON);
    out.extend_from_slice(&SAMPLE_VERSION.to_le_bytes());
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
    out.extend_from_slice(br#"},"storage_resolution":"#);
    json(&mut out, &resolution.storage_resolution());
    out.extend_from_slice(br#","received":"#);
    json(&mut out, &received);
    out.push(b'}');
    out
}

/// Adds to `batch` what carrying out `plan` on the series of `key` changes in the store:
/// folded samples and moved buckets deleted, grown or new buckets written.
pub fn write_plan(batch: &mut Batch, key: &MetricKey, codec: &SeriesCodec, plan: &Plan) {
    for (t, seq) in &plan.fold {
        batch.delete(SAMPLES, sample_key(codec, *t, *seq));
    }
    for (tier, start, unit) in &plan.drop {
        batch.delete(BUCKETS, bucket_key(codec, *tier, *start, unit));
    }
    for (tier, start, unit, s) in &plan.put {
        let record = StoredBucket {
            key: key.as_key_ref(),
            resolution: tier.secs(),
            start: Timestamp(*start),
            unit: unit.clone(),
            count: s.count,
            sum: s.sum,
            min: s.min,
            max: s.max,
            published: plan.published,
        };
        batch.put(
            BUCKETS,
            bucket_key(codec, *tier, *start, unit),
            nimbus_store::encode_record::<StoredBucket<KeyRef<'_>>>(BUCKET_VERSION, &record),
        );
    }
}

/// Everything stored, as a repository, and the next free sample sequence number.
pub fn load(store: &Store) -> Result<(Repository, u64), StoreError> {
    let mut repo = Repository::default();
    let mut next_seq = 0u64;
    for (k, v) in store.scan_prefix(SAMPLES, b"")? {
        let s: StoredSample = nimbus_store::decode_record(&v, SAMPLE_VERSION, migrate_sample)?;
        let seq = sample_seq(&k).ok_or_else(|| {
            StoreError::Corrupt("cloudwatch sample key without a sequence".into())
        })?;
        // Compaction deletes samples, so their count is no bound: new keys must not reuse
        // the sequence of a sample still stored.
        next_seq = next_seq.max(seq.saturating_add(1));
        let resolution = Resolution::from_storage_resolution(Some(s.storage_resolution.into()))
            .ok_or_else(|| {
                StoreError::Corrupt(format!(
                    "cloudwatch sample with storage resolution {}",
                    s.storage_resolution
                ))
            })?;
        let raw = RawSample {
            sample: s.sample,
            resolution,
            seq,
        };
        repo.insert(s.key, raw, s.received);
    }
    for (_, v) in store.scan_prefix(BUCKETS, b"")? {
        let b: StoredBucket<MetricKey> =
            nimbus_store::decode_record(&v, BUCKET_VERSION, no_migration)?;
        let tier = Tier::from_secs(b.resolution).ok_or_else(|| {
            StoreError::Corrupt(format!("cloudwatch bucket of {} s", b.resolution))
        })?;
        let stats = Stats {
            count: b.count,
            sum: b.sum,
            min: b.min,
            max: b.max,
        };
        repo.series_mut(b.key)
            .push_bucket(tier, b.start.0, b.unit, stats, b.published);
    }
    Ok((repo, next_seq))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> MetricKey {
        MetricKey {
            account: "000000000000".into(),
            region: "us-east-1".into(),
            namespace: "Ns \"q\" \\ é".into(),
            name: "Latency\n".into(),
            dimensions: vec![("A".into(), "1".into()), ("\u{1}".into(), "<&>".into())],
        }
    }

    /// A record written from the series' codec is byte for byte what the store's own
    /// encoder writes for the whole sample (and so what `load` decodes).
    #[test]
    fn encoded_samples_match_the_record_encoder() {
        let key = key();
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
                let resolution = if i % 2 == 0 {
                    Resolution::High
                } else {
                    Resolution::Standard
                };
                let record = StoredSample {
                    key: key.clone(),
                    sample: sample.clone(),
                    storage_resolution: resolution.storage_resolution(),
                    received: Timestamp(1_795_601_000_000 - i as i64),
                };
                let want = nimbus_store::encode_record(SAMPLE_VERSION, &record);
                assert_eq!(
                    encode_sample(&codec, &sample, resolution, record.received),
                    want
                );
                let back: StoredSample =
                    nimbus_store::decode_record(&want, SAMPLE_VERSION, migrate_sample).unwrap();
                assert_eq!(back, record);
            }
        }
    }

    /// Version 1 records (no storage resolution, no publish time) still load: as standard
    /// resolution, published at their time stamp.
    #[test]
    fn version_1_samples_migrate() {
        #[derive(Serialize)]
        struct V1 {
            key: MetricKey,
            sample: Sample,
        }
        let sample = Sample {
            timestamp: Timestamp(1_700_000_000_123),
            count: 2.0,
            sum: 3.0,
            min: 1.0,
            max: 2.0,
            unit: Unit::new("Count"),
        };
        let v1 = nimbus_store::encode_record(
            1,
            &V1 {
                key: key(),
                sample: sample.clone(),
            },
        );
        let got: StoredSample =
            nimbus_store::decode_record(&v1, SAMPLE_VERSION, migrate_sample).unwrap();
        assert_eq!(
            got,
            StoredSample {
                key: key(),
                sample,
                storage_resolution: 60,
                received: Timestamp(1_700_000_000_123),
            }
        );
        let broken = nimbus_store::encode_record(1, &serde_json::json!({"key": key()}));
        assert!(matches!(
            nimbus_store::decode_record::<StoredSample>(&broken, SAMPLE_VERSION, migrate_sample),
            Err(StoreError::Migration { from: 1, .. })
        ));
    }

    #[test]
    fn keys_pad_like_format() {
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
            let got = sample_key(&codec, Timestamp(t), seq);
            assert_eq!(got, want.into_bytes());
            assert_eq!(sample_seq(&got), Some(seq));
        }
        assert_eq!(
            bucket_key(
                &codec,
                Tier::FiveMinutes,
                1_700_000_100_000,
                &Unit::new("Count")
            ),
            format!(
                "{}\u{2}{:020}\u{2}{:020}\u{2}Count",
                key.storage_key(),
                300,
                1_700_000_100_000u64
            )
            .into_bytes()
        );
    }
}
