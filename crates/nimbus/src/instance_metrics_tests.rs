//! The sampler's arithmetic and the worker's publishing, with a fake instance list, fake
//! counters and a fake sink (the real publisher is tested in svc-cloudwatch; the real
//! runtime in `tests/instance_metrics.rs`).

use super::*;
use nimbus_core::ManualClock;

const T0: i64 = 1_800_000_000_000;
const MIN: i64 = 60_000;

fn stats(cpu_ns: u64, rx: u64, tx: u64) -> Stats {
    Stats {
        cpu_ns,
        memory_bytes: 1,
        net_rx_bytes: rx,
        net_tx_bytes: tx,
        net_rx_packets: rx / 100,
        net_tx_packets: tx / 100,
    }
}

#[test]
fn cpu_percent_is_cpu_time_over_real_time_and_vcpus() {
    let s = Duration::from_secs(1);
    assert_eq!(cpu_percent(1_000_000_000, s, 1), 100.0);
    assert_eq!(cpu_percent(1_000_000_000, s, 2), 50.0);
    assert_eq!(cpu_percent(250_000_000, s, 1), 25.0);
    assert_eq!(cpu_percent(4_000_000_000, s * 2, 4), 50.0);
    // A little over the quota within one CFS period is still 100 %.
    assert_eq!(cpu_percent(1_050_000_000, s, 1), 100.0);
    assert_eq!(cpu_percent(5, Duration::ZERO, 1), 0.0);
}

#[test]
fn sampler_measures_each_interval_against_real_time_whatever_the_time_scale() {
    let mut s = Sampler::default();
    let r0 = Instant::now();
    let five = BASIC_INTERVAL;
    // Baseline only.
    assert_eq!(
        s.observe("i-1", 2, five, stats(0, 0, 0), r0, Timestamp(T0)),
        None
    );
    // Four Nimbus minutes later: the interval has not ended.
    assert_eq!(
        s.observe(
            "i-1",
            2,
            five,
            stats(10, 10, 10),
            r0 + Duration::from_secs(4),
            Timestamp(T0 + 4 * MIN)
        ),
        None
    );
    // Five Nimbus minutes, but only 5 real seconds passed (time scale 60): 5 s of CPU on
    // 2 vCPUs over 5 real seconds is 50 %.
    let m = s
        .observe(
            "i-1",
            2,
            five,
            stats(5_000_000_000, 1000, 300),
            r0 + Duration::from_secs(5),
            Timestamp(T0 + 5 * MIN),
        )
        .expect("interval ended");
    assert_eq!(m.start, Timestamp(T0));
    assert!((m.cpu_percent - 50.0).abs() < 1e-9, "{m:?}");
    assert_eq!(
        (m.network_in, m.network_out, m.packets_in, m.packets_out),
        (1000, 300, 10, 3)
    );
    // The next interval is measured from there.
    let m = s
        .observe(
            "i-1",
            2,
            five,
            stats(5_500_000_000, 1500, 300),
            r0 + Duration::from_secs(6),
            Timestamp(T0 + 10 * MIN),
        )
        .expect("second interval");
    assert_eq!(m.start, Timestamp(T0 + 5 * MIN));
    assert!((m.cpu_percent - 25.0).abs() < 1e-9, "{m:?}");
    assert_eq!(m.network_in, 500);
    // Counters going backwards (a reboot) start a new baseline instead of a bogus value.
    assert_eq!(
        s.observe(
            "i-1",
            2,
            five,
            stats(1, 0, 0),
            r0 + Duration::from_secs(7),
            Timestamp(T0 + 20 * MIN)
        ),
        None
    );
    s.retain(&[]);
    assert_eq!(
        s.observe("i-1", 2, five, stats(9, 9, 9), r0, Timestamp(T0)),
        None,
        "a forgotten instance starts over"
    );
}

fn inst(id: &str, detailed: bool, asg: Option<&str>) -> Metered {
    Metered {
        account: "111122223333".into(),
        region: "us-east-1".into(),
        instance_id: id.into(),
        image_id: "ami-0abc".into(),
        instance_type: "t2.micro".into(),
        vcpus: 1,
        asg: asg.map(str::to_string),
        detailed,
    }
}

#[test]
fn intervals_sit_on_the_clock_grid() {
    let mut s = Sampler::default();
    let r0 = Instant::now();
    let one = DETAILED_INTERVAL;
    let at = |secs: i64| Timestamp(T0 + secs * 1000);
    let read = |n: u64| stats(n * 1_000_000_000, 0, 0);
    // A baseline 37 s into a minute: the first point is for that minute, due when it ends.
    assert_eq!(s.observe("i-1", 1, one, read(0), r0, at(37)), None);
    assert_eq!(s.observe("i-1", 1, one, read(0), r0, at(59)), None);
    let m = s
        .observe("i-1", 1, one, read(1), r0 + Duration::from_secs(2), at(61))
        .unwrap();
    assert_eq!(m.start, at(0));
    assert!((m.cpu_percent - 50.0).abs() < 1e-9);
    // Readings at 61 s, 129 s, 181 s: one point per minute, none skipped.
    let m = s.observe("i-1", 1, one, read(2), r0, at(129)).unwrap();
    assert_eq!(m.start, at(60));
    let m = s.observe("i-1", 1, one, read(3), r0, at(181)).unwrap();
    assert_eq!(m.start, at(120));
}

#[test]
fn data_carry_the_dimensions_aws_publishes() {
    let m = Measured {
        start: Timestamp(T0),
        cpu_percent: 42.0,
        network_in: 1,
        network_out: 2,
        packets_in: 3,
        packets_out: 4,
    };
    let dims = |d: &[Datum]| {
        let mut v: Vec<String> = d
            .iter()
            .filter(|x| x.metric == "CPUUtilization")
            .map(|x| format!("{}={}", x.dimensions[0].0, x.dimensions[0].1))
            .collect();
        v.sort();
        v
    };
    let basic = data_of(&inst("i-1", false, None), &m);
    assert_eq!(basic.len(), 5);
    assert_eq!(dims(&basic), vec!["InstanceId=i-1"]);
    let cpu = basic.iter().find(|d| d.metric == "CPUUtilization").unwrap();
    assert_eq!((cpu.value, cpu.unit.as_str()), (42.0, "Percent"));
    assert_eq!(cpu.timestamp, Timestamp(T0));
    let names: Vec<(&str, f64, &str)> = basic
        .iter()
        .map(|d| (d.metric.as_str(), d.value, d.unit.as_str()))
        .collect();
    assert_eq!(
        names,
        vec![
            ("CPUUtilization", 42.0, "Percent"),
            ("NetworkIn", 1.0, "Bytes"),
            ("NetworkOut", 2.0, "Bytes"),
            ("NetworkPacketsIn", 3.0, "Count"),
            ("NetworkPacketsOut", 4.0, "Count"),
        ]
    );
    let grouped = data_of(&inst("i-1", false, Some("web")), &m);
    assert_eq!(
        dims(&grouped),
        vec!["AutoScalingGroupName=web", "InstanceId=i-1"]
    );
    let detailed = data_of(&inst("i-1", true, Some("web")), &m);
    assert_eq!(
        dims(&detailed),
        vec![
            "AutoScalingGroupName=web",
            "ImageId=ami-0abc",
            "InstanceId=i-1",
            "InstanceType=t2.micro"
        ]
    );
}

struct FakeList(Mutex<Vec<Metered>>);
impl MeteredInstances for FakeList {
    fn list(&self) -> Vec<Metered> {
        self.0.lock().unwrap().clone()
    }
}

/// Counters per running instance, and which of them are impaired.
struct FakeMeter(Mutex<HashMap<String, Stats>>, Mutex<Vec<String>>);
impl Meter for FakeMeter {
    fn stats(&self, id: &str) -> Option<Stats> {
        self.0.lock().unwrap().get(id).copied()
    }
    fn impaired(&self, id: &str) -> Option<bool> {
        self.stats(id)?;
        Some(self.1.lock().unwrap().iter().any(|i| i == id))
    }
}

#[derive(Default)]
struct FakeSink(Mutex<Vec<(String, String, Datum)>>);
impl Sink for FakeSink {
    fn publish<'a>(
        &'a self,
        account: &'a str,
        region: &'a str,
        data: Vec<Datum>,
    ) -> PublishFuture<'a> {
        Box::pin(async move {
            let mut v = self.0.lock().unwrap();
            for d in data {
                v.push((account.to_string(), region.to_string(), d));
            }
            Ok(())
        })
    }
}

#[tokio::test]
async fn the_worker_publishes_every_interval_on_the_nimbus_clock() {
    let clock = Arc::new(ManualClock::new(Timestamp(T0)));
    let list = Arc::new(FakeList(Mutex::new(vec![
        inst("i-basic", false, None),
        inst("i-detailed", true, None),
    ])));
    let meter = Arc::new(FakeMeter(Mutex::new(HashMap::new()), Mutex::default()));
    let sink = Arc::new(FakeSink::default());
    let w = InstanceMetrics::new(list.clone(), meter.clone(), sink.clone(), clock.clone());
    let set = |id: &str, cpu: u64, rx: u64| {
        meter.0.lock().unwrap().insert(id.into(), stats(cpu, rx, 0));
    };
    // i-basic is not running yet: nothing measured for it. i-detailed gets its baseline and
    // its first status checks (3 metrics × InstanceId, ImageId, InstanceType).
    set("i-detailed", 0, 0);
    assert_eq!(w.tick().await.unwrap(), 9);
    set("i-basic", 0, 0);
    set("i-detailed", 1_000, 100);
    clock.advance(Duration::from_secs(60));
    // i-detailed's minute ended (5 metrics × 3 dimensions, and status checks again); i-basic
    // got its baseline and its first status checks (3 × InstanceId).
    assert_eq!(w.tick().await.unwrap(), 15 + 9 + 3);
    {
        let v = sink.0.lock().unwrap();
        assert!(v
            .iter()
            .all(|(a, r, _)| a == "111122223333" && r == "us-east-1"));
        let net = v
            .iter()
            .find(|(_, _, d)| {
                d.metric == "NetworkIn"
                    && d.dimensions == [("InstanceId".into(), "i-detailed".into())]
            })
            .unwrap();
        assert_eq!((net.2.value, net.2.timestamp), (100.0, Timestamp(T0)));
        let status: Vec<&Datum> = v
            .iter()
            .map(|(_, _, d)| d)
            .filter(|d| {
                d.metric.starts_with("StatusCheckFailed")
                    && d.dimensions == [("InstanceId".into(), "i-basic".into())]
            })
            .collect();
        assert_eq!(status.len(), 3);
        assert!(status
            .iter()
            .all(|d| d.value == 0.0 && d.unit == "Count" && d.timestamp == Timestamp(T0 + MIN)));
    }
    for _ in 0..3 {
        clock.advance(Duration::from_secs(60));
        assert_eq!(
            w.tick().await.unwrap(),
            15 + 9 + 3,
            "detailed: every minute"
        );
    }
    // Ticks within the minute publish nothing.
    clock.advance(Duration::from_secs(10));
    assert_eq!(w.tick().await.unwrap(), 0);
    clock.advance(Duration::from_secs(50));
    // The 5-minute period holding i-basic's baseline has ended: its first point (for that
    // period, so time-stamped at its start), with the detailed one.
    assert_eq!(w.tick().await.unwrap(), 15 + 9 + 3 + 5);
    clock.advance(Duration::from_secs(60));
    assert_eq!(w.tick().await.unwrap(), 15 + 9 + 3);
    let basic: Vec<Datum> = sink
        .0
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, _, d)| d.dimensions[0].1 == "i-basic" && d.metric == "CPUUtilization")
        .map(|(_, _, d)| d.clone())
        .collect();
    assert_eq!(basic.len(), 1);
    assert_eq!(basic[0].timestamp, Timestamp(T0));
    // An impaired guest fails its instance status check, not the system one.
    meter.1.lock().unwrap().push("i-basic".into());
    clock.advance(Duration::from_secs(60));
    w.tick().await.unwrap();
    let failed: Vec<(String, f64)> = sink
        .0
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, _, d)| {
            d.dimensions[0].1 == "i-basic"
                && d.metric.starts_with("StatusCheckFailed")
                && d.timestamp == clock.now()
        })
        .map(|(_, _, d)| (d.metric.clone(), d.value))
        .collect();
    assert_eq!(
        failed,
        vec![
            ("StatusCheckFailed".into(), 1.0),
            ("StatusCheckFailed_Instance".into(), 1.0),
            ("StatusCheckFailed_System".into(), 0.0)
        ]
    );
    // Gone from EC2's list: no longer measured.
    list.0.lock().unwrap().clear();
    clock.advance(Duration::from_secs(600));
    assert_eq!(w.tick().await.unwrap(), 0);
}
