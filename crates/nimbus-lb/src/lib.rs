//! Nimbus's load-balancer data plane: what really carries traffic for Elastic Load
//! Balancing. The control planes (svc-elbv2, and svc-elb for Classic Load Balancers) each
//! build an immutable [`config::Snapshot`] of their own balancers after every change and
//! hand it to [`Plane::publish_part`]; the plane serves the union of the parts. Listeners (`listeners`, `proxy`, `tcp`)
//! and health checks (`checker`) read the latest snapshot lock-free on every request, so a
//! configuration change never drops established connections. Health results live in
//! [`health::Board`], which the control plane reads for `DescribeTargetHealth`.
//!
//! Node addresses come from 127.80.0.0/16 (decision 0010). This crate knows no AWS wire
//! format; it owns sockets, target selection, health checking and stickiness. IP targets
//! are reached from the host directly; instance targets inside their VPC through a
//! [`Connector`] the binary sets (over the instance runtime), see [`Plane::connect`].

pub mod checker;
pub mod config;
pub mod connect;
pub mod dns;
pub mod front;
pub mod health;
pub mod listeners;
pub mod metrics;
pub mod proxy;
pub mod select;
pub mod tcp;
pub mod tls;
pub mod udp;

use arc_swap::{ArcSwap, ArcSwapOption};
use config::{InstanceRoute, Snapshot, Target};
use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::sync::watch;

/// The data plane's shared state: the published configuration and the health board.
pub struct Plane {
    config: ArcSwap<Snapshot>,
    /// Each control plane's own part of the configuration; `config` is their union.
    parts: std::sync::Mutex<std::collections::BTreeMap<&'static str, Snapshot>>,
    version: watch::Sender<u64>,
    pub health: health::Board,
    /// Round-robin counters by rule or target group ARN.
    counters: ArcSwap<HashMap<String, Arc<AtomicUsize>>>,
    /// How instance targets are reached (set by the binary over the instance runtime).
    connector: ArcSwapOption<Box<dyn Connector>>,
    /// Request counters for CloudWatch (`metrics`).
    pub meters: metrics::Meters,
}

/// What [`Connector::connect`] returns.
pub type ConnectFuture =
    Pin<Box<dyn Future<Output = std::io::Result<tokio::net::TcpStream>> + Send>>;

/// Opens TCP connections to instances inside their VPC (their network namespaces), which
/// the host cannot route to by itself. The binary implements it over the instance runtime.
pub trait Connector: Send + Sync + 'static {
    /// A connection to `addr` (the instance's private IP and a port) of `route`'s instance.
    fn connect(&self, route: &InstanceRoute, addr: SocketAddr) -> ConnectFuture;
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
            parts: Default::default(),
            version: watch::channel(0).0,
            health: health::Board::default(),
            counters: ArcSwap::from_pointee(HashMap::new()),
            connector: ArcSwapOption::empty(),
            meters: metrics::Meters::default(),
        }
    }
}

impl Plane {
    pub fn new() -> Arc<Self> {
        Arc::new(Plane::default())
    }

    /// Replaces ELBv2's part of the configuration (see [`Plane::publish_part`]).
    pub fn publish(&self, snapshot: Snapshot) {
        self.publish_part("elbv2", snapshot);
    }

    /// Replaces control plane `part`'s configuration (its balancers and groups; the other
    /// parts stay); listeners and checkers pick the union up at once. Parts must not share
    /// target group keys or node addresses ([`Plane::node_addresses`]).
    pub fn publish_part(&self, part: &'static str, snapshot: Snapshot) {
        let mut parts = self.parts.lock().unwrap_or_else(|e| e.into_inner());
        parts.insert(part, snapshot);
        let mut merged = Snapshot::default();
        for p in parts.values() {
            merged.balancers.extend(p.balancers.iter().cloned());
            merged
                .groups
                .extend(p.groups.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        self.store(merged);
    }

    /// Every node address some published balancer holds (of every part), so one control
    /// plane never allocates an address another one uses.
    pub fn node_addresses(&self) -> std::collections::BTreeSet<std::net::Ipv4Addr> {
        let parts = self.parts.lock().unwrap_or_else(|e| e.into_inner());
        parts
            .values()
            .flat_map(|p| p.balancers.iter())
            .flat_map(|b| b.nodes.iter().map(|n| n.addr))
            .collect()
    }

    fn store(&self, snapshot: Snapshot) {
        // Counters of rules and groups that are gone are dropped with them.
        let live = |key: &str| {
            let key = key
                .strip_prefix("inflight|")
                .map_or(key, |k| k.split('|').next().unwrap_or(k));
            snapshot.groups.contains_key(key)
                || snapshot.balancers.iter().any(|b| {
                    b.listeners
                        .iter()
                        .any(|l| l.rules.iter().any(|r| r.arn == key))
                })
        };
        if self.counters.load().keys().any(|k| !live(k)) {
            self.counters.rcu(|m| {
                let mut m = HashMap::clone(m);
                m.retain(|k, _| live(k));
                m
            });
        }
        self.meters
            .retain(|lb| snapshot.balancers.iter().any(|b| b.arn == lb));
        self.config.store(Arc::new(snapshot));
        self.version.send_modify(|v| *v += 1);
    }

    /// The current configuration (lock-free).
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.config.load_full()
    }

    /// The next value of the round-robin counter `key` (lock-free once the key exists).
    pub fn next(&self, key: &str) -> usize {
        if let Some(c) = self.counters.load().get(key) {
            return c.fetch_add(1, Ordering::Relaxed);
        }
        self.counters.rcu(|m| {
            let mut m = HashMap::clone(m);
            m.entry(key.to_string())
                .or_insert_with(|| Arc::new(AtomicUsize::new(0)));
            m
        });
        self.counters
            .load()
            .get(key)
            .map_or(0, |c| c.fetch_add(1, Ordering::Relaxed))
    }

    /// The in-flight request count of `key` (least outstanding requests).
    pub fn inflight(&self, key: &str) -> Arc<AtomicUsize> {
        let k = format!("inflight|{key}");
        if let Some(c) = self.counters.load().get(&k) {
            return c.clone();
        }
        self.counters.rcu(|m| {
            let mut m = HashMap::clone(m);
            m.entry(k.clone())
                .or_insert_with(|| Arc::new(AtomicUsize::new(0)));
            m
        });
        self.counters.load().get(&k).cloned().unwrap_or_default()
    }

    /// Changes with every publish.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.version.subscribe()
    }

    /// Sets how instance targets are reached.
    pub fn set_connector(&self, connector: Box<dyn Connector>) {
        self.connector.store(Some(Arc::new(connector)));
    }

    /// A TCP connection to `target` on `port`: straight from the host for an IP target,
    /// through the [`Connector`] inside the instance's VPC for an instance target (refused
    /// when no connector is set: nothing else can reach inside a VPC; never answered when
    /// the instance's security groups do not admit the balancer on that port, so callers
    /// must bound it with a timeout, as every caller here does).
    pub async fn connect(
        &self,
        target: &Target,
        port: u16,
    ) -> std::io::Result<tokio::net::TcpStream> {
        let addr = SocketAddr::new(target.ip, port);
        match &target.instance {
            None => tokio::net::TcpStream::connect(addr).await,
            Some(route) => {
                if !route.admits(port) {
                    // The target's groups drop the balancer's SYN: nothing ever answers.
                    std::future::pending::<()>().await;
                }
                let Some(c) = self.connector.load_full() else {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::ConnectionRefused,
                        format!(
                            "no way into VPC {} to reach {}",
                            route.vpc_id, route.instance_id
                        ),
                    ));
                };
                c.connect(route, addr).await
            }
        }
    }
}

/// Registers the data plane's named workers (listeners, health checks) with `workers`.
pub fn add_workers(
    plane: &Arc<Plane>,
    clock: &Arc<dyn nimbus_core::Clock>,
    workers: &nimbus_workers::Workers,
) {
    workers.add(Arc::new(listeners::Listeners {
        plane: plane.clone(),
        clock: clock.clone(),
    }));
    workers.add(Arc::new(checker::HealthChecker {
        plane: plane.clone(),
        clock: clock.clone(),
    }));
}

#[cfg(test)]
mod tests {
    use super::*;
    use config::{Balancer, Kind, Node};
    use std::time::Duration;

    fn lb(name: &str) -> Arc<Balancer> {
        Arc::new(Balancer {
            arn: name.into(),
            name: name.into(),
            dns_name: format!("{name}-1.us-east-1.elb.amazonaws.com"),
            kind: Kind::Application,
            nodes: vec![Node {
                zone: "us-east-1a".into(),
                addr: "127.80.0.1".parse().unwrap(),
            }],
            listeners: Vec::new(),
            idle_timeout: Duration::from_secs(60),
            cross_zone: true,
            xff: Default::default(),
            http2: true,
            ingress: None,
        })
    }

    #[test]
    fn a_publish_swaps_the_snapshot_while_readers_keep_theirs() {
        let plane = Plane::new();
        let rx = plane.subscribe();
        let before = plane.snapshot();
        plane.publish(Snapshot {
            balancers: vec![lb("a")],
            ..Default::default()
        });
        assert!(rx.has_changed().unwrap());
        assert!(
            before.balancers.is_empty(),
            "an old snapshot is never changed under its reader"
        );
        let now = plane.snapshot();
        assert_eq!(now.balancers[0].name, "a");
        assert!(now.balancer_at("127.80.0.1".parse().unwrap()).is_some());
        assert!(now
            .balancer_named("A-1.us-east-1.elb.amazonaws.com.")
            .is_some());
        plane.publish(Snapshot::default());
        assert_eq!(now.balancers.len(), 1);
        assert!(plane.snapshot().balancers.is_empty());
    }

    #[test]
    fn round_robin_counters_count_per_key_and_go_with_their_group() {
        let plane = Plane::new();
        assert_eq!(
            (
                plane.next("x"),
                plane.next("x"),
                plane.next("y"),
                plane.next("x")
            ),
            (0, 1, 0, 2)
        );
        plane.publish(Snapshot::default());
        assert_eq!(
            plane.next("x"),
            0,
            "a counter of a group that is gone starts afresh"
        );
    }
}
