//! The `instance-metrics` worker: EC2's `AWS/EC2` metrics measured from each running
//! instance's own accounting. On the Nimbus clock it samples [`nimbus_runtime::Runtime::stats`]
//! of every instance EC2 says is running ([`MeteredInstances`], implemented by the EC2
//! wiring) and, once an instance's monitoring interval has passed — 5 minutes with basic
//! monitoring, 1 minute with detailed — publishes through CloudWatch's in-process
//! [`svc_cloudwatch::Publisher`]:
//!
//! - `CPUUtilization` (Percent): the cgroup's CPU time over the interval divided by the
//!   interval's *real* duration times the instance type's vCPUs (CPU time is real time, so a
//!   `--time-scale` that makes Nimbus time run faster still gives true percentages);
//! - `NetworkIn` / `NetworkOut` (Bytes) and `NetworkPacketsIn` / `NetworkPacketsOut` (Count):
//!   the instance's `eth0` counters over the interval;
//! - every minute whatever the monitoring, `StatusCheckFailed_Instance` (1 when the guest's
//!   init died: the instance is impaired), `StatusCheckFailed_System` (0: the "hardware" is
//!   this host) and `StatusCheckFailed`, time-stamped with the minute they were checked in.
//!
//! Each value goes out per `InstanceId`, per `AutoScalingGroupName` for instances in a group
//! (basic and detailed monitoring), and per `ImageId` and `InstanceType` for instances with
//! detailed monitoring, as AWS aggregates them (CloudWatch's statistics over those dimensions
//! then combine the instances' samples). Time stamps are Nimbus time: the start of the
//! period, on the minute (or 5-minute) grid, the measurement belongs to. The first look at an instance only takes its baseline; a counter that
//! went backwards (the instance was stopped and started, or rebooted) starts a new one.
//! `DiskReadBytes`/`DiskWriteBytes`/`DiskReadOps`/`DiskWriteOps` are not published, as on
//! AWS for these instances: AWS counts only instance store volumes in them ("if there are
//! no instance store volumes, either the value is 0 or the metric is not reported"), and
//! every type Nimbus runs is EBS-only — EBS I/O is `AWS/EBS`'s. (Nor is there a block
//! device here whose I/O a cgroup would account apart from the host's: root volumes are
//! directories.)
//!
//! Wiring (app.rs): take the publisher from `svc_cloudwatch::build_with_publisher` and add
//! `InstanceMetrics::new(instances, Arc::new(runtime.clone()), Arc::new(publisher), clock)`
//! to the workers, `instances` being EC2's running instances as [`Metered`].

use nimbus_core::{Clock, Timestamp};
use nimbus_runtime::Stats;
use nimbus_workers::{RunFuture, Stop, Worker};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use svc_cloudwatch::Datum;

/// One running instance to meter, as EC2 describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metered {
    pub account: String,
    pub region: String,
    pub instance_id: String,
    pub image_id: String,
    pub instance_type: String,
    /// The instance type's vCPUs (the denominator of CPUUtilization).
    pub vcpus: u32,
    /// The Auto Scaling group the instance belongs to.
    pub asg: Option<String>,
    /// Detailed (1-minute) monitoring is enabled.
    pub detailed: bool,
}

/// The running instances to meter (the EC2 side implements it).
pub trait MeteredInstances: Send + Sync + 'static {
    fn list(&self) -> Vec<Metered>;
}

/// Where measurements come from: the runtime (a fake in tests).
pub trait Meter: Send + Sync + 'static {
    /// The instance's counters, or None when it is not running.
    fn stats(&self, instance_id: &str) -> Option<Stats>;
    /// Whether the instance's guest is impaired (its init died while EC2 has it running);
    /// None when the runtime does not have it booted.
    fn impaired(&self, instance_id: &str) -> Option<bool>;
}

impl Meter for nimbus_runtime::Runtime {
    fn stats(&self, instance_id: &str) -> Option<Stats> {
        nimbus_runtime::Runtime::stats(self, instance_id).ok()
    }

    fn impaired(&self, instance_id: &str) -> Option<bool> {
        use nimbus_runtime::InstanceState as S;
        match self.state(instance_id)? {
            S::Running => Some(false),
            S::Exited(_) => Some(true),
            S::Pending | S::Stopped | S::PoweredOff | S::RebootRequested => None,
        }
    }
}

/// A boxed publishing future.
pub type PublishFuture<'a> = Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send + 'a>>;

/// Where the values go: CloudWatch's publisher (a fake in tests).
pub trait Sink: Send + Sync + 'static {
    fn publish<'a>(
        &'a self,
        account: &'a str,
        region: &'a str,
        data: Vec<Datum>,
    ) -> PublishFuture<'a>;
}

impl Sink for svc_cloudwatch::Publisher {
    fn publish<'a>(
        &'a self,
        account: &'a str,
        region: &'a str,
        data: Vec<Datum>,
    ) -> PublishFuture<'a> {
        Box::pin(async move {
            for chunk in data.chunks(1000) {
                self.put_all(account, region, NAMESPACE, chunk.to_vec())
                    .await
                    .map_err(|e| anyhow::anyhow!("publishing instance metrics: {e:?}"))?;
            }
            Ok(())
        })
    }
}

pub const NAMESPACE: &str = "AWS/EC2";
/// Basic monitoring's interval.
pub const BASIC_INTERVAL: Duration = Duration::from_secs(300);
/// Detailed monitoring's interval.
pub const DETAILED_INTERVAL: Duration = Duration::from_secs(60);
/// Status checks' interval (both monitoring kinds).
pub const STATUS_INTERVAL: Duration = Duration::from_secs(60);
/// How often (Nimbus time) the worker looks at the instances.
const TICK: Duration = Duration::from_secs(10);

/// What one interval of one instance measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measured {
    /// Nimbus time at the interval's start (the data points' time stamp).
    pub start: Timestamp,
    pub cpu_percent: f64,
    pub network_in: u64,
    pub network_out: u64,
    pub packets_in: u64,
    pub packets_out: u64,
}

struct Baseline {
    stats: Stats,
    real: Instant,
    at: Timestamp,
}

/// The arithmetic: per instance, the counters at the start of the current interval (and
/// when its status checks were last published).
#[derive(Default)]
pub struct Sampler {
    last: HashMap<String, Baseline>,
    status: HashMap<String, Timestamp>,
}

/// CPU utilization in percent of `vcpus` over `real` (clamped to 0–100: CFS may let a
/// cgroup run a little over its quota within one period).
pub fn cpu_percent(cpu_ns: u64, real: Duration, vcpus: u32) -> f64 {
    let denom = real.as_nanos() as f64 * f64::from(vcpus.max(1));
    if denom <= 0.0 {
        return 0.0;
    }
    (cpu_ns as f64 / denom * 100.0).clamp(0.0, 100.0)
}

impl Sampler {
    /// Takes `stats` of `id` read at real instant `real` and Nimbus time `now`. Returns what
    /// was measured since the baseline once the grid period of `interval` holding the
    /// baseline has ended (time-stamped with that period's start); the baseline then moves
    /// here. CPU is over the real time between the two readings.
    pub fn observe(
        &mut self,
        id: &str,
        vcpus: u32,
        interval: Duration,
        stats: Stats,
        real: Instant,
        now: Timestamp,
    ) -> Option<Measured> {
        let Some(base) = self.last.get(id) else {
            self.last.insert(
                id.to_string(),
                Baseline {
                    stats,
                    real,
                    at: now,
                },
            );
            return None;
        };
        let b = base.stats;
        let went_back = stats.cpu_ns < b.cpu_ns
            || stats.net_rx_bytes < b.net_rx_bytes
            || stats.net_tx_bytes < b.net_tx_bytes
            || stats.net_rx_packets < b.net_rx_packets
            || stats.net_tx_packets < b.net_tx_packets;
        if went_back {
            // A new boot: its counters started again from zero at an unknown moment.
            self.last.insert(
                id.to_string(),
                Baseline {
                    stats,
                    real,
                    at: now,
                },
            );
            return None;
        }
        // Intervals sit on the Nimbus clock's grid (every minute, or every 5 minutes, on the
        // minute) as AWS's data points do: one per period, none skipped while the worker
        // looks more often than once a period.
        let step = interval.as_millis().max(1) as i64;
        let start = base.at.0.div_euclid(step) * step;
        if now.0 < start + step {
            return None;
        }
        let m = Measured {
            start: Timestamp(start),
            cpu_percent: cpu_percent(
                stats.cpu_ns - b.cpu_ns,
                real.saturating_duration_since(base.real),
                vcpus,
            ),
            network_in: stats.net_rx_bytes - b.net_rx_bytes,
            network_out: stats.net_tx_bytes - b.net_tx_bytes,
            packets_in: stats.net_rx_packets - b.net_rx_packets,
            packets_out: stats.net_tx_packets - b.net_tx_packets,
        };
        self.last.insert(
            id.to_string(),
            Baseline {
                stats,
                real,
                at: now,
            },
        );
        Some(m)
    }

    /// Forgets instances not in `live` (terminated, stopped).
    pub fn retain(&mut self, live: &[&str]) {
        self.last.retain(|id, _| live.contains(&id.as_str()));
        self.status.retain(|id, _| live.contains(&id.as_str()));
    }

    /// When `id`'s status checks are due at `now` (once per minute of the Nimbus clock,
    /// whatever the monitoring, as AWS publishes them): the minute's start, recorded.
    pub fn status_due(&mut self, id: &str, now: Timestamp) -> Option<Timestamp> {
        let step = STATUS_INTERVAL.as_millis() as i64;
        let minute = Timestamp(now.0.div_euclid(step) * step);
        if self.status.get(id).is_some_and(|t| *t >= minute) {
            return None;
        }
        self.status.insert(id.to_string(), minute);
        Some(minute)
    }
}

/// The aggregate dimensions an instance's data go out under, `InstanceId` first.
fn dimensions(inst: &Metered) -> Vec<(&str, &str)> {
    let mut dims: Vec<(&str, &str)> = vec![("InstanceId", &inst.instance_id)];
    if let Some(asg) = &inst.asg {
        dims.push(("AutoScalingGroupName", asg));
    }
    if inst.detailed {
        dims.push(("ImageId", &inst.image_id));
        dims.push(("InstanceType", &inst.instance_type));
    }
    dims
}

fn datums(inst: &Metered, values: &[(&str, f64, &str)], at: Timestamp) -> Vec<Datum> {
    let mut out = Vec::new();
    for (name, value) in dimensions(inst) {
        for (metric, v, unit) in values {
            out.push(Datum {
                metric: metric.to_string(),
                dimensions: vec![(name.into(), value.into())],
                value: *v,
                unit: unit.to_string(),
                timestamp: at,
            });
        }
    }
    out
}

/// The status-check data points of the minute `at`: `StatusCheckFailed_Instance` is 1 when the guest
/// is impaired (its init died), `StatusCheckFailed_System` is always 0 (the "hardware" is
/// this host, which is up if this runs), `StatusCheckFailed` is either.
pub fn status_data(inst: &Metered, impaired: bool, at: Timestamp) -> Vec<Datum> {
    let i = if impaired { 1.0 } else { 0.0 };
    datums(
        inst,
        &[
            ("StatusCheckFailed", i, "Count"),
            ("StatusCheckFailed_Instance", i, "Count"),
            ("StatusCheckFailed_System", 0.0, "Count"),
        ],
        at,
    )
}

/// The data points of one measured interval: every metric per `InstanceId`, and per the
/// aggregate dimensions AWS publishes for the instance.
pub fn data_of(inst: &Metered, m: &Measured) -> Vec<Datum> {
    datums(
        inst,
        &[
            ("CPUUtilization", m.cpu_percent, "Percent"),
            ("NetworkIn", m.network_in as f64, "Bytes"),
            ("NetworkOut", m.network_out as f64, "Bytes"),
            ("NetworkPacketsIn", m.packets_in as f64, "Count"),
            ("NetworkPacketsOut", m.packets_out as f64, "Count"),
        ],
        m.start,
    )
}

/// The worker.
pub struct InstanceMetrics {
    pub instances: Arc<dyn MeteredInstances>,
    pub meter: Arc<dyn Meter>,
    pub sink: Arc<dyn Sink>,
    pub clock: Arc<dyn Clock>,
    sampler: Mutex<Sampler>,
}

impl InstanceMetrics {
    pub fn new(
        instances: Arc<dyn MeteredInstances>,
        meter: Arc<dyn Meter>,
        sink: Arc<dyn Sink>,
        clock: Arc<dyn Clock>,
    ) -> InstanceMetrics {
        InstanceMetrics {
            instances,
            meter,
            sink,
            clock,
            sampler: Mutex::new(Sampler::default()),
        }
    }

    /// One look at every instance: samples each and publishes the intervals that ended.
    /// Returns how many data points went out.
    pub async fn tick(&self) -> anyhow::Result<usize> {
        let list = self.instances.list();
        let now = self.clock.now();
        // Reading counters is a lock and a /proc read per instance: quick, but blocking.
        let meter = self.meter.clone();
        let ids: Vec<String> = list.iter().map(|m| m.instance_id.clone()).collect();
        let read = tokio::task::spawn_blocking(move || {
            ids.iter()
                .map(|id| (meter.stats(id), meter.impaired(id), Instant::now()))
                .collect::<Vec<_>>()
        })
        .await?;
        let mut by_account: HashMap<(String, String), Vec<Datum>> = HashMap::new();
        {
            let mut sampler = self.sampler.lock().unwrap_or_else(|e| e.into_inner());
            let live: Vec<&str> = list.iter().map(|m| m.instance_id.as_str()).collect();
            sampler.retain(&live);
            for (inst, (stats, impaired, real)) in list.iter().zip(read) {
                if let Some(impaired) = impaired {
                    if let Some(minute) = sampler.status_due(&inst.instance_id, now) {
                        by_account
                            .entry((inst.account.clone(), inst.region.clone()))
                            .or_default()
                            .extend(status_data(inst, impaired, minute));
                    }
                }
                let Some(stats) = stats else { continue };
                let interval = if inst.detailed {
                    DETAILED_INTERVAL
                } else {
                    BASIC_INTERVAL
                };
                if let Some(m) =
                    sampler.observe(&inst.instance_id, inst.vcpus, interval, stats, real, now)
                {
                    by_account
                        .entry((inst.account.clone(), inst.region.clone()))
                        .or_default()
                        .extend(data_of(inst, &m));
                }
            }
        }
        let mut sent = 0;
        for ((account, region), data) in by_account {
            let n = data.len();
            self.sink.publish(&account, &region, data).await?;
            sent += n;
        }
        Ok(sent)
    }
}

impl Worker for InstanceMetrics {
    fn name(&self) -> String {
        "instance-metrics".into()
    }

    fn run(self: Arc<Self>, mut stop: Stop) -> RunFuture {
        Box::pin(async move {
            loop {
                if stop.is_stopped() {
                    return Ok(());
                }
                self.tick().await?;
                if !stop.sleep(self.clock.as_ref(), TICK).await {
                    return Ok(());
                }
            }
        })
    }
}

#[cfg(test)]
#[path = "instance_metrics_tests.rs"]
mod tests;
