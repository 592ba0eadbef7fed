//! Active health checks: the named worker `elb-health` probes every registered, non-draining
//! target of every target group some listener uses, each on its group's interval in Nimbus
//! time (so `--time-scale` and clock advances speed it up), and feeds the results into the
//! [`crate::health::Board`]. A probe is HTTP (`GET path`, success when the status is in the
//! matcher; `Target.ResponseCodeMismatch` otherwise) or a TCP connect; either fails with
//! `Timeout` when no answer comes within the group's timeout, or `Connect` when the
//! connection is refused or reset. Probes of one round run concurrently in a `JoinSet` the
//! worker owns, so stopping the worker stops them. Instance targets are probed inside their
//! VPC through [`Plane::connect`]. (HTTPS health checks are refused by the control plane
//! until TLS comes to the data plane.)

use crate::config::{Protocol, Snapshot, Target, TargetGroup};
use crate::health::Failure;
use crate::Plane;
use nimbus_core::{Clock, Timestamp};
use nimbus_workers::{RunFuture, Stop, Worker};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::task::JoinSet;

pub struct HealthChecker {
    pub plane: Arc<Plane>,
    pub clock: Arc<dyn Clock>,
}

/// Probes one target once.
pub async fn probe(
    plane: &Plane,
    group: &TargetGroup,
    target: &Target,
    timeout: Duration,
) -> Result<(), Failure> {
    let port = group.health.port.unwrap_or(target.port);
    let to = SocketAddr::new(target.ip, port);
    let work = async {
        let mut s = plane
            .connect(target, port)
            .await
            .map_err(|_| Failure::Connect)?;
        if group.health.protocol != Protocol::Http {
            return Ok(());
        }
        let req = format!(
            "GET {} HTTP/1.1\r\nHost: {to}\r\nUser-Agent: ELB-HealthChecker/2.0\r\nAccept: */*\r\nConnection: close\r\n\r\n",
            group.health.path
        );
        s.write_all(req.as_bytes())
            .await
            .map_err(|_| Failure::Connect)?;
        let mut buf = Vec::with_capacity(256);
        let mut chunk = [0u8; 256];
        // Only the status line matters.
        while !buf.contains(&b'\n') && buf.len() < 4096 {
            let n = s.read(&mut chunk).await.map_err(|_| Failure::Connect)?;
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        let line = String::from_utf8_lossy(&buf);
        let code: u16 = line
            .strip_prefix("HTTP/1.")
            .and_then(|r| r.get(2..5))
            .and_then(|c| c.parse().ok())
            .ok_or(Failure::Connect)?;
        if group.health.matches(code) {
            Ok(())
        } else {
            Err(Failure::Code(code))
        }
    };
    match tokio::time::timeout(timeout, work).await {
        Ok(r) => r,
        Err(_) => Err(Failure::Timeout),
    }
}

impl HealthChecker {
    async fn run_loop(self: Arc<Self>, mut stop: Stop) -> anyhow::Result<()> {
        // When each target was last probed: the next probe is due an interval later, with
        // the group's current interval (a modified interval applies at once).
        let mut last: HashMap<(String, SocketAddr), Timestamp> = HashMap::new();
        let mut probes: JoinSet<()> = JoinSet::new();
        let mut changes = self.plane.subscribe();
        loop {
            while probes.try_join_next().is_some() {}
            let snap = self.plane.snapshot();
            let now = self.clock.now();
            self.forget_gone(&snap, &mut last);
            let mut next = Timestamp(now.0 + 1000);
            for g in snap
                .groups
                .values()
                .filter(|g| g.in_use && g.health.enabled)
            {
                for t in g.targets.iter().filter(|t| t.draining_until.is_none()) {
                    let key = (g.arn.clone(), t.addr());
                    let interval = g.health.interval.as_millis() as i64;
                    let at = last.get(&key).map_or(now, |t| Timestamp(t.0 + interval));
                    if at <= now {
                        let nimbus_timeout = Timestamp(now.0 + g.health.timeout.as_millis() as i64);
                        let timeout = self
                            .clock
                            .real_until(nimbus_timeout)
                            .max(Duration::from_millis(50));
                        let (plane, group, target) = (self.plane.clone(), g.clone(), t.clone());
                        probes.spawn(async move {
                            let r = probe(&plane, &group, &target, timeout).await;
                            plane.health.record(&group, target.addr(), r);
                        });
                        last.insert(key, now);
                        next = next.min(Timestamp(now.0 + interval));
                    } else {
                        next = next.min(at);
                    }
                }
            }
            tokio::select! {
                ok = stop.sleep_until(self.clock.as_ref(), next) => if !ok { return Ok(()) },
                _ = changes.changed() => {}
            }
        }
    }

    /// Drops schedule and health entries of targets no longer checked.
    fn forget_gone(&self, snap: &Snapshot, last: &mut HashMap<(String, SocketAddr), Timestamp>) {
        let checked = |g: &str, a: SocketAddr| {
            snap.groups.get(g).is_some_and(|g| {
                g.in_use
                    && g.health.enabled
                    && g.targets
                        .iter()
                        .any(|t| t.draining_until.is_none() && t.addr() == a)
            })
        };
        last.retain(|(g, a), _| checked(g, *a));
        self.plane.health.retain(checked);
    }
}

impl Worker for HealthChecker {
    fn name(&self) -> String {
        "elb-health".into()
    }

    fn run(self: Arc<Self>, stop: Stop) -> RunFuture {
        Box::pin(self.run_loop(stop))
    }
}
