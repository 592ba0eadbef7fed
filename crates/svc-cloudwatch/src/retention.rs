//! CloudWatch's time rules, as pure functions of "now": how long data stays at each
//! resolution before it is rolled up into the next coarser one (and when it is dropped), how
//! old a `PutMetricData` timestamp may be, which `GetMetricStatistics` periods still find
//! data for a start time of a given age, and how that start time is rounded. It owns no data:
//! the series in `series.rs` ask it where a sample or bucket belongs at a given moment, and
//! both the read path and compaction use the same answer, so what a read returns does not
//! depend on whether compaction already ran.
//!
//! AWS's rules (GetMetricStatistics,
//! <https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricStatistics.html>):
//! data with a period under 60 s (high resolution, `StorageResolution` 1) is available for
//! 3 hours, 60-second data for 15 days, 300-second data for 63 days and 3600-second data for
//! 455 days; older data stays readable, but only aggregated into the next coarser period
//! (one-minute data becomes five-minute data after 15 days, one-hour data after 63).
//!
//! Nimbus moves data on whole coarse buckets: the one-minute buckets of a five-minute
//! interval are rolled up together, once that whole interval is older than 15 days. Data is
//! therefore available at its finer resolution for *at least* the documented time (at most
//! one coarse period longer), and a coarse bucket is never half made.

use nimbus_core::Timestamp;

const SECOND_MS: i64 = 1000;
const MINUTE_MS: i64 = 60 * SECOND_MS;
const HOUR_MS: i64 = 60 * MINUTE_MS;
const DAY_MS: i64 = 24 * HOUR_MS;

/// `PutMetricData` accepts time stamps up to two weeks in the past and two hours in the
/// future (<https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html>).
pub const MAX_PAST_MS: i64 = 14 * DAY_MS;
pub const MAX_FUTURE_MS: i64 = 2 * HOUR_MS;
/// `ListMetrics` leaves out metrics that have not reported data for two weeks
/// (<https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_ListMetrics.html>).
pub const LISTED_FOR_MS: i64 = 14 * DAY_MS;
/// `ListMetrics` with `RecentlyActive=PT3H`: metrics with data published in the past three
/// hours.
pub const RECENTLY_ACTIVE_MS: i64 = 3 * HOUR_MS;

/// The resolutions CloudWatch keeps data at, finest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tier {
    /// High-resolution data (`StorageResolution` 1): one-second buckets, for 3 hours.
    Second,
    /// One-minute buckets, for 15 days.
    Minute,
    /// Five-minute buckets, for 63 days.
    FiveMinutes,
    /// One-hour buckets, for 455 days (15 months); then the data is gone.
    Hour,
}

impl Tier {
    pub const ALL: [Tier; 4] = [Tier::Second, Tier::Minute, Tier::FiveMinutes, Tier::Hour];

    /// Index into per-tier arrays.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The bucket length in seconds (also how the tier is named in stored records).
    pub fn secs(self) -> i64 {
        match self {
            Tier::Second => 1,
            Tier::Minute => 60,
            Tier::FiveMinutes => 300,
            Tier::Hour => 3600,
        }
    }

    pub fn ms(self) -> i64 {
        self.secs() * SECOND_MS
    }

    pub fn from_secs(secs: i64) -> Option<Tier> {
        Tier::ALL.into_iter().find(|t| t.secs() == secs)
    }

    /// How long data stays at this resolution.
    pub fn retention_ms(self) -> i64 {
        match self {
            Tier::Second => 3 * HOUR_MS,
            Tier::Minute => 15 * DAY_MS,
            Tier::FiveMinutes => 63 * DAY_MS,
            Tier::Hour => 455 * DAY_MS,
        }
    }

    /// Where data goes when it is too old for this tier; `None`: it is dropped.
    pub fn coarser(self) -> Option<Tier> {
        match self {
            Tier::Second => Some(Tier::Minute),
            Tier::Minute => Some(Tier::FiveMinutes),
            Tier::FiveMinutes => Some(Tier::Hour),
            Tier::Hour => None,
        }
    }

    /// The start of the bucket of this tier that holds `t` (epoch milliseconds).
    pub fn floor(self, t: i64) -> i64 {
        t - t.rem_euclid(self.ms())
    }

    /// When a bucket of this tier starting at `start` leaves it: once the whole coarser
    /// bucket holding it (for the last tier: the bucket itself) is older than the retention.
    pub fn leaves_at(self, start: i64) -> i64 {
        let group = self.coarser().unwrap_or(self);
        (group.floor(start) + group.ms()).saturating_add(self.retention_ms())
    }
}

/// A metric's storage resolution, from the datum's `StorageResolution` (1 or 60, default 60).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resolution {
    High,
    Standard,
}

impl Resolution {
    pub fn from_storage_resolution(v: Option<i32>) -> Option<Resolution> {
        match v {
            None | Some(60) => Some(Resolution::Standard),
            Some(1) => Some(Resolution::High),
            _ => None,
        }
    }

    pub fn storage_resolution(self) -> u8 {
        match self {
            Resolution::High => 1,
            Resolution::Standard => 60,
        }
    }

    /// The tier a fresh sample is kept at: CloudWatch stores standard-resolution data at
    /// one-minute resolution from the start (`MetricDatum.StorageResolution`).
    pub fn tier(self) -> Tier {
        match self {
            Resolution::High => Tier::Second,
            Resolution::Standard => Tier::Minute,
        }
    }
}

/// Where the data of a bucket of `tier` starting at `start` is at `now`: the same bucket,
/// the coarser bucket it was rolled up into, or nowhere (older than 455 days).
pub fn settle(tier: Tier, start: i64, now: Timestamp) -> Option<(Tier, i64)> {
    let (mut tier, mut start) = (tier, tier.floor(start));
    while tier.leaves_at(start) <= now.0 {
        tier = tier.coarser()?;
        start = tier.floor(start);
    }
    Some((tier, start))
}

/// The period a `GetMetricStatistics` start time of this age needs to find data
/// (`GetMetricStatistics.Period`): for a start time more than 3 hours ago, a multiple of 60
/// up to 15 days, of 300 up to 63 days, of 3600 beyond; with any other period AWS returns
/// no data points for the range. 1 means any valid period.
pub fn required_period_multiple(start: Timestamp, now: Timestamp) -> i64 {
    let age = now.0 - start.0;
    if age <= 3 * HOUR_MS {
        1
    } else if age <= 15 * DAY_MS {
        60
    } else if age <= 63 * DAY_MS {
        300
    } else {
        3600
    }
}

/// CloudWatch's rounding of a `GetMetricStatistics` start time (`GetMetricStatistics.StartTime`):
/// down to the whole minute when it is less than 15 days ago, to 5 minutes between 15 and 63
/// days, to the hour beyond; with a period under a minute (1, 5, 10, 20 or 30 s), down to a
/// multiple of the period.
pub fn round_start(start: Timestamp, period_secs: i64, now: Timestamp) -> Timestamp {
    let unit_ms = if period_secs < 60 {
        period_secs.max(1) * SECOND_MS
    } else {
        let age = now.0 - start.0;
        if age < 15 * DAY_MS {
            MINUTE_MS
        } else if age <= 63 * DAY_MS {
            5 * MINUTE_MS
        } else {
            HOUR_MS
        }
    };
    Timestamp(start.0 - start.0.rem_euclid(unit_ms))
}

/// Whether `Period` is one CloudWatch accepts (`GetMetricStatistics.Period`): 1, 5, 10, 20
/// or 30 seconds (high-resolution data), or a multiple of 60.
pub fn valid_period(period_secs: i64) -> bool {
    if period_secs >= 60 {
        period_secs % 60 == 0
    } else {
        [1, 5, 10, 20, 30].contains(&period_secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An hour boundary, so every bucket length divides it.
    const T: i64 = 1_700_002_800_000;
    const S: i64 = SECOND_MS;
    const M: i64 = MINUTE_MS;
    const H: i64 = HOUR_MS;
    const D: i64 = DAY_MS;

    #[test]
    fn data_moves_to_coarser_tiers_at_the_documented_ages() {
        use Tier::*;
        // (tier of the fresh data, its time, now, where it is then)
        type Row = (Tier, i64, i64, Option<(Tier, i64)>);
        let table: &[Row] = &[
            // High resolution: one-second buckets for 3 hours (until the minute is 3 h old).
            (Second, T + 17 * S, T + 17 * S, Some((Second, T + 17 * S))),
            (Second, T + 17 * S, T + 3 * H, Some((Second, T + 17 * S))),
            (
                Second,
                T + 17 * S,
                T + 3 * H + M - 1,
                Some((Second, T + 17 * S)),
            ),
            (Second, T + 17 * S, T + 3 * H + M, Some((Minute, T))),
            (Second, T + 1500, T, Some((Second, T + S))),
            // Minute data: 15 days, rolled up by whole five-minute intervals.
            (
                Minute,
                T + 4 * M,
                T + 15 * D + 5 * M - 1,
                Some((Minute, T + 4 * M)),
            ),
            (
                Minute,
                T + 4 * M,
                T + 15 * D + 5 * M,
                Some((FiveMinutes, T)),
            ),
            (
                Minute,
                T + 5 * M,
                T + 15 * D + 5 * M,
                Some((Minute, T + 5 * M)),
            ),
            // Five-minute data: 63 days, rolled up by whole hours.
            (
                FiveMinutes,
                T + 55 * M,
                T + 63 * D + H - 1,
                Some((FiveMinutes, T + 55 * M)),
            ),
            (FiveMinutes, T + 55 * M, T + 63 * D + H, Some((Hour, T))),
            // Hour data: 455 days, then gone.
            (Hour, T, T + 455 * D + H - 1, Some((Hour, T))),
            (Hour, T, T + 455 * D + H, None),
            // A long jump passes through every tier at once.
            (Second, T + 59 * M + 59 * S, T + 64 * D, Some((Hour, T))),
            (
                Second,
                T + 59 * M + 59 * S,
                T + 63 * D + 30 * M,
                Some((FiveMinutes, T + 55 * M)),
            ),
            (
                Second,
                T + 59 * M + 59 * S,
                T + 16 * D,
                Some((FiveMinutes, T + 55 * M)),
            ),
            (
                Second,
                T + 59 * M + 59 * S,
                T + 3 * D,
                Some((Minute, T + 59 * M)),
            ),
            (Minute, T, T + 500 * D, None),
        ];
        for &(tier, t, now, want) in table {
            assert_eq!(
                settle(tier, t, Timestamp(now)),
                want,
                "{tier:?} at +{}s, now +{}s",
                (t - T) / S,
                (now - T) / S
            );
        }
    }

    #[test]
    fn start_time_age_decides_the_period_needed() {
        let now = Timestamp(T + 500 * D);
        let table: &[(i64, i64)] = &[
            (0, 1),
            (3 * H, 1),
            (3 * H + 1, 60),
            (15 * D, 60),
            (15 * D + 1, 300),
            (63 * D, 300),
            (63 * D + 1, 3600),
            (455 * D, 3600),
        ];
        for &(age, want) in table {
            assert_eq!(
                required_period_multiple(Timestamp(now.0 - age), now),
                want,
                "age {age} ms"
            );
        }
    }

    #[test]
    fn start_times_round_like_cloudwatch() {
        let now = Timestamp(T + 500 * D);
        // 12:32:34.5 on some day, as in AWS's examples.
        let at = |age_days: i64| Timestamp(now.0 - age_days * D - 27 * M - 25 * S - 500);
        let table: &[(i64, i64, i64)] = &[
            // (age in days, period, rounded down to this many ms)
            (1, 60, M),
            (1, 3600, M),
            (14, 300, M),
            (20, 300, 5 * M),
            (62, 300, 5 * M),
            (63, 3600, H),
            (100, 3600, H),
            (0, 10, 10 * S),
            (0, 20, 20 * S),
            (0, 5, 5 * S),
            (0, 1, S),
        ];
        for &(age, period, unit) in table {
            let start = at(age);
            let r = round_start(start, period, now);
            assert_eq!(r.0 % unit, 0, "age {age} period {period}");
            assert!(
                r <= start && start.0 - r.0 < unit,
                "age {age} period {period}"
            );
        }
    }

    #[test]
    fn periods_cloudwatch_accepts() {
        for p in [1, 5, 10, 20, 30, 60, 120, 300, 3600, 86400] {
            assert!(valid_period(p), "{p}");
        }
        for p in [0, -60, 2, 15, 45, 59, 61, 90, 3601] {
            assert!(!valid_period(p), "{p}");
        }
    }

    #[test]
    fn storage_resolution_values() {
        assert_eq!(
            Resolution::from_storage_resolution(None),
            Some(Resolution::Standard)
        );
        assert_eq!(
            Resolution::from_storage_resolution(Some(60)),
            Some(Resolution::Standard)
        );
        assert_eq!(
            Resolution::from_storage_resolution(Some(1)),
            Some(Resolution::High)
        );
        for bad in [0, 5, 30, 300] {
            assert_eq!(Resolution::from_storage_resolution(Some(bad)), None);
        }
        for t in Tier::ALL {
            assert_eq!(Tier::from_secs(t.secs()), Some(t));
        }
    }
}
