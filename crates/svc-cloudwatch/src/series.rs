//! One metric's data in memory: the raw samples of recent puts (each still one store record)
//! and, per resolution tier, aggregated buckets (SampleCount, Sum, Minimum, Maximum per bucket
//! start and unit, each one store record too). It answers `GetMetricStatistics` and plans its
//! own compaction; it does not touch the store (`persist.rs` turns a [`Plan`] into a batch)
//! or decide when compaction runs (`compaction.rs`).
//!
//! Reads and compaction place every sample and bucket with the same rule,
//! [`retention::settle`] at the read's "now", so a read gives the same answer before and
//! after compaction; compaction only makes the data smaller. Raw samples are folded into
//! the buckets of their own resolution (that changes nothing a read can see, as a raw
//! sample is read at its bucket's start anyway), buckets move to coarser tiers as they age
//! and are dropped after 455 days. A series thus holds at most one bucket per unit and
//! interval of each tier, plus the raw samples of the last [`COMPACT_EVERY_MS`].
//!
//! Sums are added in a different order once rolled up, so a sum of fractional values may
//! differ in its last bit from the one computed from raw samples; counts, minimums and
//! maximums (and sums of integers) are exact.

use crate::metrics::{Aggregate, Sample, SeriesCodec, Unit};
use crate::retention::{settle, Resolution, Tier};
use nimbus_core::Timestamp;
use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

/// How long raw samples wait before they are folded into buckets, and how late a move to a
/// coarser tier may be carried out (reads apply it on time anyway): a series that keeps
/// receiving data is compacted about this often, not on every put.
pub const COMPACT_EVERY_MS: i64 = 10 * 60 * 1000;

/// The statistic set of a bucket (or of one sample).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stats {
    pub count: f64,
    pub sum: f64,
    pub min: f64,
    pub max: f64,
}

impl Stats {
    pub const EMPTY: Stats = Stats {
        count: 0.0,
        sum: 0.0,
        min: f64::INFINITY,
        max: f64::NEG_INFINITY,
    };

    pub fn of(s: &Sample) -> Stats {
        Stats {
            count: s.count,
            sum: s.sum,
            min: s.min,
            max: s.max,
        }
    }

    pub fn merge(&mut self, o: &Stats) {
        self.count += o.count;
        self.sum += o.sum;
        self.min = self.min.min(o.min);
        self.max = self.max.max(o.max);
    }
}

/// A sample as put, not yet folded into a bucket. `seq` completes its store key.
#[derive(Clone, Debug, PartialEq)]
pub struct RawSample {
    pub sample: Sample,
    pub resolution: Resolution,
    pub seq: u64,
}

impl RawSample {
    /// The bucket the sample belongs to while it is fresh.
    pub fn place(&self) -> (Tier, i64) {
        let tier = self.resolution.tier();
        (tier, tier.floor(self.sample.timestamp.0))
    }
}

/// One tier's buckets, by (start in epoch milliseconds, unit).
pub type Buckets = BTreeMap<(i64, Unit), Stats>;

/// The smallest unit, to start a range scan of [`Buckets`] at a time.
static LOWEST_UNIT: LazyLock<Unit> = LazyLock::new(|| Unit::new(""));

/// A compaction of one series, planned from memory and carried out only once its store
/// batch is durable ([`Series::apply`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// The moment it was planned for.
    pub now: Timestamp,
    /// Raw samples folded into buckets: (time stamp, sequence), which make their store keys.
    pub fold: Vec<(Timestamp, u64)>,
    /// Buckets that left their tier (rolled up or expired).
    pub drop: Vec<(Tier, i64, Unit)>,
    /// Buckets written with these totals (new, or grown by what was folded into them).
    pub put: Vec<(Tier, i64, Unit, Stats)>,
    /// The series' latest publish time, which every bucket record written carries so that a
    /// restart finds it again after the raw samples that had it are gone.
    pub published: Timestamp,
}

/// What `GetMetricStatistics` asks of a series.
#[derive(Clone, Copy, Debug)]
pub struct Query<'a> {
    /// Already rounded ([`crate::retention::round_start`]).
    pub start: Timestamp,
    pub end: Timestamp,
    pub period_secs: i64,
    pub unit: Option<&'a str>,
    pub now: Timestamp,
}

/// One metric's data and the encoding its store records share.
#[derive(Debug)]
pub struct Series {
    codec: Arc<SeriesCodec>,
    /// In time order.
    raw: Vec<RawSample>,
    tiers: [Buckets; 4],
    /// When data was last put (Nimbus time), for `ListMetrics`.
    last_published: Timestamp,
    /// When the oldest raw sample still held arrived (a lower bound), if there is one.
    raw_since: Option<Timestamp>,
}

impl Series {
    pub fn new(codec: Arc<SeriesCodec>) -> Series {
        Series {
            codec,
            raw: Vec::new(),
            tiers: Default::default(),
            last_published: Timestamp(i64::MIN),
            raw_since: None,
        }
    }

    pub fn codec(&self) -> &Arc<SeriesCodec> {
        &self.codec
    }

    pub fn raw(&self) -> &[RawSample] {
        &self.raw
    }

    pub fn buckets(&self, tier: Tier) -> &Buckets {
        &self.tiers[tier.index()]
    }

    pub fn last_published(&self) -> Timestamp {
        self.last_published
    }

    pub fn is_empty(&self) -> bool {
        self.raw.is_empty() && self.tiers.iter().all(BTreeMap::is_empty)
    }

    /// Adds a sample published at `received`, keeping time order (appends are the common
    /// case).
    pub fn push_raw(&mut self, raw: RawSample, received: Timestamp) {
        self.last_published = self.last_published.max(received);
        self.raw_since = Some(self.raw_since.map_or(received, |t| t.min(received)));
        let pos = self
            .raw
            .partition_point(|s| s.sample.timestamp <= raw.sample.timestamp);
        self.raw.insert(pos, raw);
    }

    /// Adds a stored bucket (when loading).
    pub fn push_bucket(
        &mut self,
        tier: Tier,
        start: i64,
        unit: Unit,
        stats: Stats,
        published: Timestamp,
    ) {
        self.last_published = self.last_published.max(published);
        self.tiers[tier.index()]
            .entry((start, unit))
            .or_insert(Stats::EMPTY)
            .merge(&stats);
    }

    /// Whether the series has raw samples waiting long enough, or buckets overdue for a
    /// coarser tier (or for expiry), to be worth compacting at `now`.
    pub fn due(&self, now: Timestamp) -> bool {
        let late = |t: i64| t.saturating_add(COMPACT_EVERY_MS) <= now.0;
        self.raw_since.is_some_and(|t| late(t.0))
            || Tier::ALL.into_iter().any(|tier| {
                self.tiers[tier.index()]
                    .keys()
                    .next()
                    .is_some_and(|(start, _)| late(tier.leaves_at(*start)))
            })
    }

    /// Plans folding every raw sample into its bucket and moving every bucket that is too
    /// old for its tier; `None` when there is nothing to do.
    pub fn plan(&self, now: Timestamp) -> Option<Plan> {
        let mut put: BTreeMap<(Tier, i64, Unit), Stats> = BTreeMap::new();
        let mut drop = Vec::new();
        for tier in Tier::ALL {
            for ((start, unit), stats) in &self.tiers[tier.index()] {
                // Buckets leave a tier oldest first.
                if tier.leaves_at(*start) > now.0 {
                    break;
                }
                drop.push((tier, *start, unit.clone()));
                self.merge_into(&mut put, tier, *start, unit, stats, now);
            }
        }
        let fold: Vec<(Timestamp, u64)> = self
            .raw
            .iter()
            .map(|r| {
                let (tier, start) = r.place();
                let stats = Stats::of(&r.sample);
                self.merge_into(&mut put, tier, start, &r.sample.unit, &stats, now);
                (r.sample.timestamp, r.seq)
            })
            .collect();
        if fold.is_empty() && drop.is_empty() {
            return None;
        }
        Some(Plan {
            now,
            fold,
            drop,
            put: put
                .into_iter()
                .map(|((tier, start, unit), stats)| (tier, start, unit, stats))
                .collect(),
            published: self.last_published,
        })
    }

    /// Adds `stats`, found in `tier` at `start`, to the bucket it belongs in at `now`, which
    /// starts from what that bucket already holds. That bucket never leaves its own tier at
    /// `now` (the same rule placed it), so it is not among the dropped ones.
    fn merge_into(
        &self,
        put: &mut BTreeMap<(Tier, i64, Unit), Stats>,
        tier: Tier,
        start: i64,
        unit: &Unit,
        stats: &Stats,
        now: Timestamp,
    ) {
        let Some((tier, start)) = settle(tier, start, now) else {
            return; // older than 455 days: gone
        };
        put.entry((tier, start, unit.clone()))
            .or_insert_with(|| {
                self.tiers[tier.index()]
                    .get(&(start, unit.clone()))
                    .copied()
                    .unwrap_or(Stats::EMPTY)
            })
            .merge(stats);
    }

    /// Carries out `plan`, made from this series (its batch is durable now). Raw samples put
    /// since the plan was made stay.
    pub fn apply(&mut self, plan: &Plan) {
        let mut folded: Vec<u64> = plan.fold.iter().map(|(_, seq)| *seq).collect();
        folded.sort_unstable();
        self.raw.retain(|r| folded.binary_search(&r.seq).is_err());
        for (tier, start, unit) in &plan.drop {
            self.tiers[tier.index()].remove(&(*start, unit.clone()));
        }
        for (tier, start, unit, stats) in &plan.put {
            self.tiers[tier.index()].insert((*start, unit.clone()), *stats);
        }
        // What is left arrived after the plan was made.
        self.raw_since = (!self.raw.is_empty()).then_some(plan.now);
    }

    /// Groups the data in `[start, end)` into `period` buckets that begin at `start`
    /// (CloudWatch reports each datapoint at the start of its period), every sample and
    /// bucket placed where it is at the query's `now`. `unit` filters; without it a datapoint
    /// names the (alphabetically first) unit of its data.
    pub fn aggregate(&self, q: &Query<'_>) -> Vec<Aggregate> {
        let period_ms = q.period_secs.max(1) * 1000;
        let mut out: BTreeMap<i64, (Stats, Unit)> = BTreeMap::new();
        let mut add = |tier: Tier, start: i64, unit: &Unit, stats: &Stats| {
            if q.unit.is_some_and(|u| u != unit.as_str()) {
                return;
            }
            let Some((_, at)) = settle(tier, start, q.now) else {
                return;
            };
            if at < q.start.0 || at >= q.end.0 {
                return;
            }
            let idx = (at - q.start.0) / period_ms;
            let e = out
                .entry(idx)
                .or_insert_with(|| (Stats::EMPTY, unit.clone()));
            e.0.merge(stats);
            if *unit < e.1 {
                e.1 = unit.clone();
            }
        };
        // Data is read at its bucket's start, which is never after it: anything at or past
        // `end` plus the longest bucket cannot count.
        let horizon = q.end.0.saturating_add(Tier::Hour.ms());
        let first = self.raw.partition_point(|r| r.sample.timestamp < q.start);
        for r in &self.raw[first..] {
            if r.sample.timestamp.0 >= horizon {
                break;
            }
            let (tier, start) = r.place();
            add(tier, start, &r.sample.unit, &Stats::of(&r.sample));
        }
        // (A range whose start is past its end would panic.)
        for tier in Tier::ALL.into_iter().filter(|_| q.start.0 < horizon) {
            let from = (q.start.0, LOWEST_UNIT.clone());
            let to = (horizon, LOWEST_UNIT.clone());
            for ((start, unit), stats) in self.tiers[tier.index()].range(from..to) {
                add(tier, *start, unit, stats);
            }
        }
        out.into_iter()
            .map(|(idx, (s, unit))| Aggregate {
                start: Timestamp(q.start.0 + idx * period_ms),
                count: s.count,
                sum: s.sum,
                min: s.min,
                max: s.max,
                unit: unit.as_str().to_string(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
