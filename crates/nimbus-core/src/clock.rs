//! The Nimbus clock: the single source of "now" for every timestamp, expiry, timer and
//! period in Nimbus. It may run faster than real time (`--time-scale`) and may be advanced
//! (`POST /_nimbus/clock/advance`). This module is the only place in Nimbus that reads the
//! system clock; everything else receives an `Arc<dyn Clock>`.
//!
//! Two readings are offered: [`Clock::now`] (Nimbus time, what resources see) and
//! [`Clock::real_now`] (wall time). Only signature verification uses wall time: a client
//! signs with its own wall clock, so comparing its `X-Amz-Date` with an advanced Nimbus
//! clock would reject every request after an advance.
//!
//! Nimbus time never goes backwards, also across restarts: a [`NimbusClock`] can be
//! [resumed](NimbusClock::resume) from a [`ClockCheckpoint`] (which the binary keeps in the
//! store), at `max(wall time + every advance ever made, Nimbus time at the checkpoint)`.

use crate::time::Timestamp;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub trait Clock: Send + Sync {
    /// Nimbus time.
    fn now(&self) -> Timestamp;
    /// Wall-clock time, for checking client signatures only.
    fn real_now(&self) -> Timestamp;
    /// Moves Nimbus time forward by `by` (never backwards).
    fn advance(&self, by: Duration);
    /// How many Nimbus seconds pass per real second.
    fn scale(&self) -> f64;
    /// The real time to wait until Nimbus time reaches `t` (zero if already past).
    fn real_until(&self, t: Timestamp) -> Duration {
        let now = self.now();
        if t <= now {
            return Duration::ZERO;
        }
        let nimbus_ms = (t.0 - now.0) as f64;
        Duration::from_secs_f64(nimbus_ms / 1000.0 / self.scale().max(1e-9))
    }
}

fn system_now() -> Timestamp {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    Timestamp(d.as_millis() as i64)
}

/// What of a [`NimbusClock`] outlives the process: enough to resume it without Nimbus time
/// going backwards (see [`NimbusClock::resume`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ClockCheckpoint {
    /// Every advance ever made (over all runs), in milliseconds.
    pub advanced_ms: i64,
    /// Nimbus time when the checkpoint was taken.
    pub nimbus: Timestamp,
}

/// The production clock: starts at wall time (or where a checkpoint says), runs `scale`×
/// faster than real time, can be advanced.
pub struct NimbusClock {
    start_real: Instant,
    start_nimbus: Timestamp,
    scale: f64,
    advances: Mutex<Advances>,
}

#[derive(Clone, Copy)]
struct Advances {
    /// Advances made by this process (already part of Nimbus time since `start_real`).
    this_run_ms: i64,
    /// Advances made by every run, this one included.
    total_ms: i64,
}

impl NimbusClock {
    /// A clock starting at wall time, with nothing advanced.
    pub fn new(scale: f64) -> Self {
        Self::resume(scale, None)
    }

    /// A clock continuing from `saved`: Nimbus time starts at
    /// `max(wall time + saved.advanced_ms, saved.nimbus)`. The first term keeps every advance
    /// (at time scale 1 that is exactly the time the last run showed, plus the time it was
    /// down); the second keeps the clock from going back when it ran faster than real time
    /// (`--time-scale`) or the wall clock was set back. Without a checkpoint: wall time.
    pub fn resume(scale: f64, saved: Option<ClockCheckpoint>) -> Self {
        Self::resume_at(scale, saved, system_now())
    }

    fn resume_at(scale: f64, saved: Option<ClockCheckpoint>, wall: Timestamp) -> Self {
        let (start_nimbus, total_ms) = match saved {
            None => (wall, 0),
            Some(c) => (
                Timestamp(wall.0.saturating_add(c.advanced_ms).max(c.nimbus.0)),
                c.advanced_ms,
            ),
        };
        NimbusClock {
            start_real: Instant::now(),
            start_nimbus,
            scale: if scale.is_finite() && scale > 0.0 {
                scale
            } else {
                1.0
            },
            advances: Mutex::new(Advances {
                this_run_ms: 0,
                total_ms,
            }),
        }
    }

    fn advances(&self) -> std::sync::MutexGuard<'_, Advances> {
        self.advances.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn now_with(&self, a: Advances) -> Timestamp {
        let elapsed_ms = self.start_real.elapsed().as_secs_f64() * self.scale * 1000.0;
        // `as` saturates for floats; the sums saturate too, so no overflow can wrap time back.
        Timestamp(
            self.start_nimbus
                .0
                .saturating_add(elapsed_ms as i64)
                .saturating_add(a.this_run_ms),
        )
    }

    /// Puts Nimbus time back on wall time and forgets every advance (of every run): the
    /// one way Nimbus time goes backwards, for a clock advanced by mistake. It then runs on at
    /// its scale from there.
    pub fn back_to_wall(&self) {
        let mut a = self.advances();
        let unadvanced = self.now_with(Advances {
            this_run_ms: 0,
            total_ms: 0,
        });
        a.this_run_ms = system_now().0.saturating_sub(unadvanced.0);
        a.total_ms = 0;
    }

    /// The state to save so a later [`NimbusClock::resume`] continues from here.
    pub fn checkpoint(&self) -> ClockCheckpoint {
        let a = *self.advances();
        ClockCheckpoint {
            advanced_ms: a.total_ms,
            nimbus: self.now_with(a),
        }
    }
}

impl Clock for NimbusClock {
    fn now(&self) -> Timestamp {
        let a = *self.advances();
        self.now_with(a)
    }
    fn real_now(&self) -> Timestamp {
        system_now()
    }
    fn advance(&self, by: Duration) {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        let mut a = self.advances();
        a.this_run_ms = a.this_run_ms.saturating_add(ms);
        a.total_ms = a.total_ms.saturating_add(ms);
    }
    fn scale(&self) -> f64 {
        self.scale
    }
}

/// A clock that only moves when told to; for tests.
pub struct ManualClock {
    now: Mutex<Timestamp>,
    real: Mutex<Timestamp>,
}

impl ManualClock {
    pub fn new(start: Timestamp) -> Self {
        ManualClock {
            now: Mutex::new(start),
            real: Mutex::new(start),
        }
    }
    pub fn set_real(&self, t: Timestamp) {
        *self.real.lock().unwrap_or_else(|e| e.into_inner()) = t;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.now.lock().unwrap_or_else(|e| e.into_inner())
    }
    fn real_now(&self) -> Timestamp {
        *self.real.lock().unwrap_or_else(|e| e.into_inner())
    }
    fn advance(&self, by: Duration) {
        self.now.lock().unwrap_or_else(|e| e.into_inner()).0 += by.as_millis() as i64;
    }
    fn scale(&self) -> f64 {
        1.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advance_moves_nimbus_time_only() {
        let c = NimbusClock::new(1.0);
        let before = c.now();
        c.advance(Duration::from_secs(3600));
        let after = c.now();
        assert!(after.0 - before.0 >= 3_600_000);
        assert!((c.real_now().0 - before.0).abs() < 60_000);
    }

    const DAY_MS: i64 = 86_400_000;

    #[test]
    fn a_fresh_clock_starts_at_wall_time_with_nothing_advanced() {
        let c = NimbusClock::resume_at(1.0, None, Timestamp(1_000_000));
        let cp = c.checkpoint();
        assert_eq!(cp.advanced_ms, 0);
        assert!((cp.nimbus.0 - 1_000_000).abs() < 60_000);
    }

    #[test]
    fn checkpoint_counts_advances_of_every_run() {
        let wall = Timestamp(1_700_000_000_000);
        let first = NimbusClock::resume_at(1.0, None, wall);
        first.advance(Duration::from_secs(86_400));
        let cp = first.checkpoint();
        assert_eq!(cp.advanced_ms, DAY_MS);
        assert!(cp.nimbus.0 - wall.0 >= DAY_MS);

        // Restarted an hour later: the day is kept, the hour passed too.
        let later = Timestamp(wall.0 + 3_600_000);
        let second = NimbusClock::resume_at(1.0, Some(cp), later);
        let now = second.now().0;
        assert!(now >= later.0 + DAY_MS && now < later.0 + DAY_MS + 60_000);
        second.advance(Duration::from_secs(60));
        assert_eq!(second.checkpoint().advanced_ms, DAY_MS + 60_000);
    }

    #[test]
    fn resuming_never_goes_back_before_the_checkpoint() {
        // A fast clock (or a wall clock set back) left Nimbus time ahead of wall + advances.
        let wall = Timestamp(1_700_000_000_000);
        let saved = ClockCheckpoint {
            advanced_ms: DAY_MS,
            nimbus: Timestamp(wall.0 + 30 * DAY_MS),
        };
        let c = NimbusClock::resume_at(60.0, Some(saved), wall);
        assert!(c.now() >= saved.nimbus);
        assert!(c.checkpoint().nimbus >= saved.nimbus);
        assert_eq!(c.checkpoint().advanced_ms, DAY_MS);
    }

    #[test]
    fn huge_advances_saturate_instead_of_wrapping() {
        let c = NimbusClock::new(1.0);
        c.advance(Duration::MAX);
        c.advance(Duration::MAX);
        assert_eq!(c.checkpoint().advanced_ms, i64::MAX);
        assert!(c.now().0 > 0);
    }

    #[test]
    fn back_to_wall_forgets_every_advance() {
        let saved = ClockCheckpoint {
            advanced_ms: 86_400_000,
            nimbus: Timestamp(system_now().0 + 86_400_000),
        };
        let c = NimbusClock::resume(1.0, Some(saved));
        c.advance(Duration::from_secs(3600));
        assert!(c.now().0 - system_now().0 > 86_000_000);
        c.back_to_wall();
        assert!(
            (c.now().0 - system_now().0).abs() < 1000,
            "on wall time again"
        );
        let cp = c.checkpoint();
        assert_eq!(cp.advanced_ms, 0);
        let resumed = NimbusClock::resume(1.0, Some(cp));
        assert!(
            (resumed.now().0 - system_now().0).abs() < 1000,
            "and it stays there"
        );
    }

    #[test]
    fn manual_clock() {
        let c = ManualClock::new(Timestamp(1000));
        c.advance(Duration::from_millis(500));
        assert_eq!(c.now(), Timestamp(1500));
        assert_eq!(c.real_until(Timestamp(2500)), Duration::from_secs(1));
    }
}
