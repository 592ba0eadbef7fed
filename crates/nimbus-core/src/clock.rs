//! The Nimbus clock: the single source of "now" for every timestamp, expiry, timer and
//! period in Nimbus. It may run faster than real time (`--time-scale`) and may be advanced
//! (`POST /_nimbus/clock/advance`). This module is the only place in Nimbus that reads the
//! system clock; everything else receives an `Arc<dyn Clock>`.
//!
//! Two readings are offered: [`Clock::now`] (Nimbus time, what resources see) and
//! [`Clock::real_now`] (wall time). Only signature verification uses wall time: a client
//! signs with its own wall clock, so comparing its `X-Amz-Date` with an advanced Nimbus
//! clock would reject every request after an advance.

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

/// The production clock: starts at wall time, runs `scale`× faster, can be advanced.
pub struct NimbusClock {
    start_real: Instant,
    start_nimbus: Timestamp,
    scale: f64,
    offset_ms: Mutex<i64>,
}

impl NimbusClock {
    pub fn new(scale: f64) -> Self {
        NimbusClock {
            start_real: Instant::now(),
            start_nimbus: system_now(),
            scale: if scale.is_finite() && scale > 0.0 {
                scale
            } else {
                1.0
            },
            offset_ms: Mutex::new(0),
        }
    }
}

impl Clock for NimbusClock {
    fn now(&self) -> Timestamp {
        let elapsed = self.start_real.elapsed().as_secs_f64() * self.scale;
        let offset = *self.offset_ms.lock().unwrap_or_else(|e| e.into_inner());
        Timestamp(self.start_nimbus.0 + (elapsed * 1000.0) as i64 + offset)
    }
    fn real_now(&self) -> Timestamp {
        system_now()
    }
    fn advance(&self, by: Duration) {
        *self.offset_ms.lock().unwrap_or_else(|e| e.into_inner()) += by.as_millis() as i64;
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

    #[test]
    fn manual_clock() {
        let c = ManualClock::new(Timestamp(1000));
        c.advance(Duration::from_millis(500));
        assert_eq!(c.now(), Timestamp(1500));
        assert_eq!(c.real_until(Timestamp(2500)), Duration::from_secs(1));
    }
}
