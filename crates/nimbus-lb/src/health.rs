//! Target health: the consecutive-threshold state machine of one target ([`Tracker`]), the
//! status a target shows to `DescribeTargetHealth` ([`Status`]), and the [`Board`] the
//! health checker writes and the request path reads. Results go into a mutex-guarded table
//! (written only by the checker); after each change the checker publishes an immutable
//! [`View`] that the request path loads without locking. Probing targets lives in `checker`.

use crate::config::{Target, TargetGroup};
use arc_swap::ArcSwap;
use nimbus_core::Timestamp;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

/// Why one health check failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// No answer within the health check timeout.
    Timeout,
    /// An answer whose status the matcher does not accept.
    Code(u16),
    /// The connection failed or the answer was not HTTP.
    Connect,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Initial,
    Healthy,
    Unhealthy,
}

/// One target's consecutive-threshold state machine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tracker {
    pub state: State,
    /// Checks completed so far.
    pub checks: u64,
    successes: u32,
    failures: u32,
    pub last_failure: Option<Failure>,
}

impl Default for Tracker {
    fn default() -> Self {
        Tracker {
            state: State::Initial,
            checks: 0,
            successes: 0,
            failures: 0,
            last_failure: None,
        }
    }
}

impl Tracker {
    /// Feeds one check's result; returns whether the state changed. A run of
    /// `healthy_threshold` consecutive successes makes the target healthy, a run of
    /// `unhealthy_threshold` consecutive failures unhealthy; a result of the other kind
    /// breaks the run.
    pub fn record(&mut self, result: Result<(), Failure>, healthy: u32, unhealthy: u32) -> bool {
        self.checks += 1;
        let before = self.state;
        match result {
            Ok(()) => {
                self.failures = 0;
                self.successes = self.successes.saturating_add(1);
                if self.successes >= healthy {
                    self.state = State::Healthy;
                    self.last_failure = None;
                }
            }
            Err(f) => {
                self.successes = 0;
                self.failures = self.failures.saturating_add(1);
                self.last_failure = Some(f);
                if self.failures >= unhealthy {
                    self.state = State::Unhealthy;
                }
            }
        }
        before != self.state
    }
}

/// What `DescribeTargetHealth` shows for a target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// Registered, no check finished yet.
    Registering,
    /// Checks running, thresholds not reached yet.
    InitialChecking,
    Healthy,
    Unhealthy(Failure),
    /// The target group receives no traffic from any load balancer.
    NotInUse,
    /// Deregistered, draining until the delay ends.
    Draining,
    /// Health checks are disabled for the group.
    HealthCheckDisabled,
}

/// The request path's view: target group ARN → state of each target address.
pub type View = HashMap<String, HashMap<SocketAddr, State>>;

/// Health results shared by the checker (writer), the request path and the control plane.
#[derive(Default)]
pub struct Board {
    table: Mutex<HashMap<(String, SocketAddr), Tracker>>,
    view: ArcSwap<View>,
}

impl std::fmt::Debug for Board {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Board").finish_non_exhaustive()
    }
}

impl Board {
    /// The current view (lock-free).
    pub fn view(&self) -> Arc<View> {
        self.view.load_full()
    }

    /// Records a check's result and republishes the view if a state changed.
    pub fn record(&self, group: &TargetGroup, addr: SocketAddr, result: Result<(), Failure>) {
        let mut t = self.table.lock().unwrap_or_else(|p| p.into_inner());
        let tr = t.entry((group.arn.clone(), addr)).or_default();
        let changed = tr.record(
            result,
            group.health.healthy_threshold,
            group.health.unhealthy_threshold,
        );
        if changed || tr.checks == 1 {
            self.republish(&t);
        }
    }

    /// Forgets every target not in `keep` (target group ARN, address).
    pub fn retain(&self, keep: impl Fn(&str, SocketAddr) -> bool) {
        let mut t = self.table.lock().unwrap_or_else(|p| p.into_inner());
        let before = t.len();
        t.retain(|(g, a), _| keep(g, *a));
        if t.len() != before {
            self.republish(&t);
        }
    }

    fn republish(&self, t: &HashMap<(String, SocketAddr), Tracker>) {
        let mut v: View = HashMap::new();
        for ((g, a), tr) in t {
            v.entry(g.clone()).or_default().insert(*a, tr.state);
        }
        self.view.store(Arc::new(v));
    }

    /// The tracker of one target, if it was ever checked.
    pub fn tracker(&self, group: &str, addr: SocketAddr) -> Option<Tracker> {
        let t = self.table.lock().unwrap_or_else(|p| p.into_inner());
        t.get(&(group.to_string(), addr)).cloned()
    }

    /// The status `DescribeTargetHealth` reports for `target` of `group` at `now`.
    pub fn status(&self, group: &TargetGroup, target: &Target, now: Timestamp) -> Status {
        if target.draining_until.is_some_and(|t| t > now) {
            return Status::Draining;
        }
        if !group.in_use {
            return Status::NotInUse;
        }
        if !group.health.enabled {
            return Status::HealthCheckDisabled;
        }
        match self.tracker(&group.arn, target.addr()) {
            None => Status::Registering,
            Some(tr) => match tr.state {
                State::Healthy => Status::Healthy,
                State::Unhealthy => Status::Unhealthy(tr.last_failure.unwrap_or(Failure::Connect)),
                State::Initial if tr.checks == 0 => Status::Registering,
                State::Initial => Status::InitialChecking,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_are_consecutive() {
        let mut t = Tracker::default();
        assert!(!t.record(Ok(()), 3, 2));
        assert!(!t.record(Err(Failure::Timeout), 3, 2));
        assert_eq!(
            t.state,
            State::Initial,
            "one failure breaks the success run"
        );
        assert!(t.record(Err(Failure::Code(500)), 3, 2));
        assert_eq!(t.state, State::Unhealthy);
        assert_eq!(t.last_failure, Some(Failure::Code(500)));
        t.record(Ok(()), 3, 2);
        t.record(Ok(()), 3, 2);
        assert_eq!(t.state, State::Unhealthy);
        assert!(t.record(Ok(()), 3, 2));
        assert_eq!(t.state, State::Healthy);
        assert_eq!(t.last_failure, None);
        assert!(!t.record(Err(Failure::Connect), 3, 2));
        assert_eq!(
            t.state,
            State::Healthy,
            "one failure is below the threshold"
        );
        assert!(t.record(Err(Failure::Connect), 3, 2));
        assert_eq!(t.state, State::Unhealthy);
    }

    #[test]
    fn a_threshold_of_two_needs_two_in_a_row() {
        let mut t = Tracker::default();
        for r in [Ok(()), Err(Failure::Connect), Ok(()), Err(Failure::Connect)] {
            t.record(r, 2, 2);
        }
        assert_eq!(t.state, State::Initial);
        assert_eq!(t.checks, 4);
    }
}
