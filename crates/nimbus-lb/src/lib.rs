//! Nimbus's load-balancer data plane: what really carries traffic for Elastic Load
//! Balancing. The control plane (svc-elbv2) builds an immutable [`config::Snapshot`] after
//! every change and hands it to [`Plane::publish`]; listeners (`listeners`, `proxy`, `tcp`)
//! and health checks (`checker`) read the latest snapshot lock-free on every request, so a
//! configuration change never drops established connections. Health results live in
//! [`health::Board`], which the control plane reads for `DescribeTargetHealth`.
//!
//! Node addresses come from 127.80.0.0/16 (decision 0008). This crate knows no AWS wire
//! format; it owns sockets, target selection, health checking and stickiness.

pub mod config;
pub mod health;

use arc_swap::ArcSwap;
use config::Snapshot;
use std::sync::Arc;
use tokio::sync::watch;

/// The data plane's shared state: the published configuration and the health board.
pub struct Plane {
    config: ArcSwap<Snapshot>,
    version: watch::Sender<u64>,
    pub health: health::Board,
}

impl std::fmt::Debug for Plane {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plane").finish_non_exhaustive()
    }
}

impl Default for Plane {
    fn default() -> Self {
        Plane {
            config: ArcSwap::from_pointee(Snapshot::default()),
            version: watch::channel(0).0,
            health: health::Board::default(),
        }
    }
}

impl Plane {
    pub fn new() -> Arc<Self> {
        Arc::new(Plane::default())
    }

    /// Replaces the configuration; listeners and checkers pick it up at once.
    pub fn publish(&self, snapshot: Snapshot) {
        self.config.store(Arc::new(snapshot));
        self.version.send_modify(|v| *v += 1);
    }

    /// The current configuration (lock-free).
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.config.load_full()
    }

    /// Changes with every publish.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.version.subscribe()
    }
}

/// Registers the data plane's named workers (listeners, health checks) with `workers`.
pub fn add_workers(
    plane: &Arc<Plane>,
    clock: &Arc<dyn nimbus_core::Clock>,
    workers: &nimbus_workers::Workers,
) {
    let _ = (plane, clock, workers);
}
