//! The `elb-metrics` worker: Elastic Load Balancing's CloudWatch metrics, from the counters
//! the data plane keeps on the request path ([`nimbus_lb::metrics`]) and its health board.
//! At every minute of Nimbus time it drains the counters and publishes, time-stamped with the
//! minute they cover, through CloudWatch's in-process [`svc_cloudwatch::Publisher`]:
//!
//! - Application Load Balancers, `AWS/ApplicationELB` (dimensions `LoadBalancer`
//!   `app/NAME/ID`, `TargetGroup` `targetgroup/NAME/ID`, `AvailabilityZone`): `RequestCount`,
//!   `HTTPCode_Target_2XX/3XX/4XX/5XX_Count`, `HTTPCode_ELB_4XX/5XX_Count` and
//!   `TargetResponseTime` (seconds) by load balancer, by load balancer and zone, and by target
//!   group and load balancer; `RequestCountPerTarget` by target group (and with the load
//!   balancer): the group's requests over its healthy targets (all registered ones when none
//!   is healthy);
//! - Classic Load Balancers, `AWS/ELB` (`LoadBalancerName`, `AvailabilityZone`):
//!   `RequestCount`, `HTTPCode_Backend_2XX…5XX`, `HTTPCode_ELB_4XX/5XX`, `Latency`;
//! - every balancer's `HealthyHostCount` / `UnHealthyHostCount` each minute (ALB and NLB by
//!   target group and load balancer, and with the zone; Classic by load balancer and zone),
//!   `AWS/NetworkELB` for Network Load Balancers.
//!
//! Count metrics are published only for minutes that had requests, as AWS reports them;
//! response times go out as the minute's mean (a single value: its Average is exact, its
//! Sum and SampleCount count one sample). Not yet: `ActiveConnectionCount`,
//! `NewConnectionCount`, `ProcessedBytes`, and NLB flow metrics (TCP and UDP are not
//! counted).

use nimbus_core::{Clock, Timestamp};
use nimbus_lb::config::{Action, Kind, Snapshot};
use nimbus_lb::health::{State as H, View};
use nimbus_lb::metrics::{Counts, Key};
use nimbus_workers::{RunFuture, Stop, Worker};
use std::collections::BTreeMap;
use std::sync::Arc;
use svc_cloudwatch::Datum;

const MINUTE: i64 = 60_000;

/// (account, region, namespace) → values.
pub type Batches = BTreeMap<(String, String, String), Vec<Datum>>;

/// `arn:aws:elasticloadbalancing:REGION:ACCOUNT:…` → (account, region, resource).
fn scope(arn: &str) -> Option<(String, String, String)> {
    let mut p = arn.splitn(6, ':');
    let (_, _, _, region, account, resource) = (
        p.next()?,
        p.next()?,
        p.next()?,
        p.next()?,
        p.next()?,
        p.next()?,
    );
    Some((account.into(), region.into(), resource.into()))
}

/// A target group key's `TargetGroup` dimension (`targetgroup/NAME/ID`).
fn tg_dimension(arn: &str) -> Option<String> {
    scope(arn)
        .map(|(_, _, r)| r)
        .filter(|r| r.starts_with("targetgroup/"))
}

struct Out<'a> {
    batches: &'a mut Batches,
    key: (String, String, String),
    at: Timestamp,
}

impl Out<'_> {
    fn put(&mut self, metric: &str, dims: &[(&str, &str)], value: f64, unit: &str) {
        self.batches
            .entry(self.key.clone())
            .or_default()
            .push(Datum {
                metric: metric.into(),
                dimensions: dims
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                value,
                unit: unit.into(),
                timestamp: self.at,
            });
    }

    fn counts(&mut self, classic: bool, c: &Counts, dims: &[(&str, &str)], elb: bool) {
        if c.requests == 0 {
            return;
        }
        self.put("RequestCount", dims, c.requests as f64, "Count");
        for (i, class) in ["2XX", "3XX", "4XX", "5XX"].iter().enumerate() {
            if c.target[i] > 0 {
                let name = if classic {
                    format!("HTTPCode_Backend_{class}")
                } else {
                    format!("HTTPCode_Target_{class}_Count")
                };
                self.put(&name, dims, c.target[i] as f64, "Count");
            }
        }
        if elb {
            let suffix = if classic { "" } else { "_Count" };
            if c.elb_4xx > 0 {
                self.put(
                    &format!("HTTPCode_ELB_4XX{suffix}"),
                    dims,
                    c.elb_4xx as f64,
                    "Count",
                );
            }
            if c.elb_5xx > 0 {
                self.put(
                    &format!("HTTPCode_ELB_5XX{suffix}"),
                    dims,
                    c.elb_5xx as f64,
                    "Count",
                );
            }
        }
        if c.timed > 0 {
            let mean = c.time_us as f64 / c.timed as f64 / 1e6;
            let name = if classic {
                "Latency"
            } else {
                "TargetResponseTime"
            };
            self.put(name, dims, mean, "Seconds");
        }
    }
}

fn add(a: &mut Counts, b: &Counts) {
    a.requests += b.requests;
    for i in 0..4 {
        a.target[i] += b.target[i];
    }
    a.elb_4xx += b.elb_4xx;
    a.elb_5xx += b.elb_5xx;
    a.time_us += b.time_us;
    a.timed += b.timed;
}

/// Everything to publish for the minute starting at `at`, from the drained counters, the
/// configuration and the health view.
pub fn data(snap: &Snapshot, view: &View, drained: &[(Key, Counts)], at: Timestamp) -> Batches {
    let mut batches = Batches::new();
    for b in &snap.balancers {
        let Some((account, region, resource)) = scope(&b.arn) else {
            continue;
        };
        let classic = b.kind == Kind::Classic;
        let ns = match b.kind {
            Kind::Application => "AWS/ApplicationELB",
            Kind::Network => "AWS/NetworkELB",
            Kind::Classic => "AWS/ELB",
        };
        let (lb_dim, lb_value) = if classic {
            ("LoadBalancerName", b.name.clone())
        } else {
            (
                "LoadBalancer",
                resource.trim_start_matches("loadbalancer/").to_string(),
            )
        };
        let mut out = Out {
            batches: &mut batches,
            key: (account, region, ns.to_string()),
            at,
        };
        let mine: Vec<&(Key, Counts)> = drained.iter().filter(|(k, _)| k.0 == b.arn).collect();
        // By balancer, and by balancer and zone.
        let mut total = Counts::default();
        let mut zones: BTreeMap<&str, Counts> = BTreeMap::new();
        let mut groups: BTreeMap<&str, Counts> = BTreeMap::new();
        for ((_, g, z), c) in mine.iter().map(|(k, c)| (k, c)) {
            add(&mut total, c);
            add(zones.entry(z.as_str()).or_default(), c);
            if !g.is_empty() {
                add(groups.entry(g.as_str()).or_default(), c);
            }
        }
        if b.kind != Kind::Network {
            out.counts(classic, &total, &[(lb_dim, &lb_value)], true);
            for (z, c) in &zones {
                if !z.is_empty() {
                    out.counts(
                        classic,
                        c,
                        &[(lb_dim, &lb_value), ("AvailabilityZone", z)],
                        true,
                    );
                }
            }
        }
        // The balancer's target groups: health each minute, requests when there were some.
        let mut used: Vec<&str> = Vec::new();
        for l in &b.listeners {
            for r in &l.rules {
                if let Action::Forward(gs) = &r.action {
                    for (g, _) in gs {
                        if !used.contains(&g.as_str()) {
                            used.push(g);
                        }
                    }
                }
            }
        }
        if classic {
            // One health check per balancer: its first listener's group.
            used.truncate(1);
        }
        for g in used {
            let Some(group) = snap.groups.get(g) else {
                continue;
            };
            let states = view.get(g);
            let mut healthy: BTreeMap<&str, u32> = BTreeMap::new();
            let mut unhealthy: BTreeMap<&str, u32> = BTreeMap::new();
            let live: Vec<_> = group
                .targets
                .iter()
                .filter(|t| t.draining_until.is_none())
                .collect();
            for z in b.nodes.iter().map(|n| n.zone.as_str()) {
                healthy.insert(z, 0);
                unhealthy.insert(z, 0);
            }
            for t in &live {
                let z = t.zone.as_deref().unwrap_or("");
                match states.and_then(|s| s.get(&t.addr())) {
                    Some(H::Healthy) => *healthy.entry(z).or_default() += 1,
                    Some(H::Unhealthy) => *unhealthy.entry(z).or_default() += 1,
                    _ => {}
                }
            }
            let (h, u): (u32, u32) = (healthy.values().sum(), unhealthy.values().sum());
            let tg = tg_dimension(g);
            let base: Vec<(&str, &str)> = match &tg {
                Some(tg) => vec![("TargetGroup", tg), (lb_dim, &lb_value)],
                None => vec![(lb_dim, &lb_value)],
            };
            out.put("HealthyHostCount", &base, f64::from(h), "Count");
            out.put("UnHealthyHostCount", &base, f64::from(u), "Count");
            for (z, n) in &healthy {
                if z.is_empty() || z == &"all" {
                    continue;
                }
                let mut d = base.clone();
                d.push(("AvailabilityZone", z));
                out.put("HealthyHostCount", &d, f64::from(*n), "Count");
                let un = unhealthy.get(z).copied().unwrap_or(0);
                out.put("UnHealthyHostCount", &d, f64::from(un), "Count");
            }
            if let (Some(tg), Some(c)) = (&tg, groups.get(g)) {
                out.counts(false, c, &base, false);
                let per = if h > 0 { h } else { live.len().max(1) as u32 };
                let v = c.requests as f64 / f64::from(per);
                out.put("RequestCountPerTarget", &[("TargetGroup", tg)], v, "Count");
                out.put("RequestCountPerTarget", &base, v, "Count");
            }
        }
    }
    batches
}

/// The named worker `elb-metrics` (see the module doc).
pub struct ElbMetrics {
    pub plane: Arc<nimbus_lb::Plane>,
    pub publisher: svc_cloudwatch::Publisher,
    pub clock: Arc<dyn Clock>,
}

impl ElbMetrics {
    async fn run_loop(self: Arc<Self>, mut stop: Stop) -> anyhow::Result<()> {
        // Counters from before the first boundary belong to no whole minute Nimbus saw.
        let _ = self.plane.meters.take();
        loop {
            let now = self.clock.now().0;
            let next = (now / MINUTE + 1) * MINUTE;
            if !stop.sleep_until(self.clock.as_ref(), Timestamp(next)).await {
                return Ok(());
            }
            let drained = self.plane.meters.take();
            let snap = self.plane.snapshot();
            let view = self.plane.health.view();
            for ((account, region, ns), values) in
                data(&snap, &view, &drained, Timestamp(next - MINUTE))
            {
                for chunk in values.chunks(1000) {
                    if let Err(e) = self
                        .publisher
                        .put_all(&account, &region, &ns, chunk.to_vec())
                        .await
                    {
                        tracing::warn!(namespace = %ns, error = ?e, "publishing load balancer metrics failed");
                    }
                }
            }
        }
    }
}

impl Worker for ElbMetrics {
    fn name(&self) -> String {
        "elb-metrics".into()
    }

    fn run(self: Arc<Self>, stop: Stop) -> RunFuture {
        Box::pin(self.run_loop(stop))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_give_aws_dimension_values() {
        let lb = "arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/web/0123";
        assert_eq!(
            scope(lb),
            Some((
                "000000000000".into(),
                "us-east-1".into(),
                "loadbalancer/app/web/0123".into()
            ))
        );
        let tg = "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/tg/4567";
        assert_eq!(tg_dimension(tg).as_deref(), Some("targetgroup/tg/4567"));
        let classic = "arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/web#80";
        assert_eq!(tg_dimension(classic), None);
    }
}
