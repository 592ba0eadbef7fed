//! Per-request counters the data plane keeps for CloudWatch: for each (balancer, target
//! group, node zone) a [`Meter`] of plain atomics — requests, target answers by status class,
//! the balancer's own 4XX/5XX answers, and the targets' response time — bumped on the
//! request path (one lock-free map lookup, a few relaxed adds) and drained by the binary's
//! metrics worker once a period ([`Meters::take`]), which publishes them in AWS's
//! namespaces. Nothing here knows CloudWatch.

use arc_swap::ArcSwap;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// One (balancer, group, zone)'s counters since the last drain.
#[derive(Debug, Default)]
pub struct Meter {
    pub requests: AtomicU64,
    /// Target answers by status class: 2XX, 3XX, 4XX, 5XX.
    pub target: [AtomicU64; 4],
    /// The balancer's own answers: 4XX, 5XX.
    pub elb_4xx: AtomicU64,
    pub elb_5xx: AtomicU64,
    /// Sum (µs) and count of target response times.
    pub time_us: AtomicU64,
    pub timed: AtomicU64,
}

/// What a drained [`Meter`] held.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub requests: u64,
    pub target: [u64; 4],
    pub elb_4xx: u64,
    pub elb_5xx: u64,
    pub time_us: u64,
    pub timed: u64,
}

impl Meter {
    /// Counts a request the balancer answered itself with `status`.
    pub fn elb(&self, status: u16) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        match status {
            400..=499 => self.elb_4xx.fetch_add(1, Ordering::Relaxed),
            500..=599 => self.elb_5xx.fetch_add(1, Ordering::Relaxed),
            _ => 0,
        };
    }

    /// Counts a request a target answered with `status` after `took`.
    pub fn target(&self, status: u16, took: Duration) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        if (200..600).contains(&status) {
            self.target[usize::from(status / 100 - 2)].fetch_add(1, Ordering::Relaxed);
        }
        self.time_us
            .fetch_add(took.as_micros() as u64, Ordering::Relaxed);
        self.timed.fetch_add(1, Ordering::Relaxed);
    }

    fn take(&self) -> Counts {
        let t = |a: &AtomicU64| a.swap(0, Ordering::Relaxed);
        Counts {
            requests: t(&self.requests),
            target: [
                t(&self.target[0]),
                t(&self.target[1]),
                t(&self.target[2]),
                t(&self.target[3]),
            ],
            elb_4xx: t(&self.elb_4xx),
            elb_5xx: t(&self.elb_5xx),
            time_us: t(&self.time_us),
            timed: t(&self.timed),
        }
    }
}

/// (balancer ARN, target group key — empty when no group was chosen —, node zone).
pub type Key = (String, String, String);

/// Every meter, by [`Key`].
#[derive(Default)]
pub struct Meters {
    map: ArcSwap<HashMap<Key, Arc<Meter>>>,
}

impl std::fmt::Debug for Meters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Meters").finish_non_exhaustive()
    }
}

impl Meters {
    /// The meter of (balancer, group, zone), made on first use.
    pub fn get(&self, lb: &str, group: &str, zone: &str) -> Arc<Meter> {
        let key = (lb.to_string(), group.to_string(), zone.to_string());
        if let Some(m) = self.map.load().get(&key) {
            return m.clone();
        }
        self.map.rcu(|m| {
            let mut m = HashMap::clone(m);
            m.entry(key.clone()).or_default();
            m
        });
        self.map.load().get(&key).cloned().unwrap_or_default()
    }

    /// Drains every meter: what each counted since the last drain (meters that counted
    /// nothing are left out).
    pub fn take(&self) -> Vec<(Key, Counts)> {
        let map = self.map.load_full();
        let mut out: Vec<(Key, Counts)> = map
            .iter()
            .map(|(k, m)| (k.clone(), m.take()))
            .filter(|(_, c)| *c != Counts::default())
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// Forgets the meters of balancers `live` does not hold.
    pub fn retain(&self, live: impl Fn(&str) -> bool) {
        if self.map.load().keys().any(|k| !live(&k.0)) {
            self.map.rcu(|m| {
                let mut m = HashMap::clone(m);
                m.retain(|k, _| live(&k.0));
                m
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meters_count_by_class_and_drain_to_zero() {
        let ms = Meters::default();
        let m = ms.get("lb", "tg", "z1");
        m.target(200, Duration::from_millis(2));
        m.target(404, Duration::from_millis(4));
        m.elb(503);
        ms.get("lb", "", "z1").elb(502);
        let got = ms.take();
        assert_eq!(got.len(), 2);
        let tg = &got.iter().find(|(k, _)| k.1 == "tg").unwrap().1;
        assert_eq!(tg.requests, 3);
        assert_eq!(tg.target, [1, 0, 1, 0]);
        assert_eq!(tg.elb_5xx, 1);
        assert_eq!((tg.time_us, tg.timed), (6000, 2));
        assert!(ms.take().is_empty(), "a drain resets every meter");
    }
}
