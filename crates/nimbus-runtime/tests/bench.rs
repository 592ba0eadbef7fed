//! Launch latency, measured (run with `cargo test -p nimbus-runtime --test bench -- --ignored
//! --nocapture`): launch → user data running and launch → httpd answering the seed's page,
//! beside the floor — an empty `unshare`d process (the same five namespaces) on this host.
//! Ignored by default: it launches 40 instances one after another.

mod common;
use common::*;
use std::time::{Duration, Instant};

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i]
}

fn report(name: &str, mut v: Vec<f64>) {
    let n = v.len();
    let (p50, p99, max) = (pct(&mut v, 0.5), pct(&mut v, 0.99), v[n - 1]);
    println!("{name:<44} n={n:<3} p50 {p50:7.2} ms   p99 {p99:7.2} ms   max {max:7.2} ms");
}

#[test]
#[ignore]
fn launch_latency() {
    let Some(e) = env() else { return };
    let mut floor = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        let st = std::process::Command::new("unshare")
            .args([
                "--pid", "--fork", "--mount", "--uts", "--ipc", "--net", "true",
            ])
            .status()
            .unwrap();
        assert!(st.success());
        floor.push(t.elapsed().as_secs_f64() * 1e3);
    }
    report("empty unshare'd process (spawn → exit)", floor);

    // A running instance keeps the VPC's namespace up, as in a VPC that already has instances
    // (the first instance of a VPC also builds its namespace and bridge: a few ms more).
    e.rt.launch(spec("i-0benchkeeper00000", [10, 0, 3, 5], None))
        .unwrap();
    let mut running = Vec::new();
    let mut launch_only = Vec::new();
    for i in 0..20 {
        let id = format!("i-0bench{i:011}");
        let marker = e.rt.root_volume(&id).join("var/lib/ud-running");
        let t = Instant::now();
        e.rt.launch(spec(
            &id,
            [10, 0, 3, 10 + i as u8],
            Some("#!/bin/sh\ntouch /var/lib/ud-running\n"),
        ))
        .unwrap();
        launch_only.push(t.elapsed().as_secs_f64() * 1e3);
        wait_until(|| marker.exists());
        running.push(t.elapsed().as_secs_f64() * 1e3);
        e.rt.terminate(&id).unwrap();
    }
    report("launch() returns (sandbox ready)", launch_only);
    report("launch → user data running", running);

    // The same with security groups (decision 0013): the filter is set before the launch
    // and loaded into the instance's namespace before its first process (skipped without
    // nft). Interleaved with plain launches, so both see the same machine.
    if nimbus_runtime::firewall::available() {
        let mut plain = Vec::new();
        let mut filtered = Vec::new();
        for i in 0..40 {
            let id = format!("i-0benchsg{i:09}");
            let marker = e.rt.root_volume(&id).join("var/lib/ud-running");
            let with_rules = i % 2 == 1;
            let t = Instant::now();
            if with_rules {
                e.rt.set_security_rules(&id, Some(nimbus_runtime::SecurityRules::default_group()))
                    .unwrap();
            }
            e.rt.launch(spec(
                &id,
                [10, 0, 7, 10 + i as u8],
                Some("#!/bin/sh\ntouch /var/lib/ud-running\n"),
            ))
            .unwrap();
            wait_until(|| marker.exists());
            let ms = t.elapsed().as_secs_f64() * 1e3;
            if with_rules {
                filtered.push(ms);
            } else {
                plain.push(ms);
            }
            e.rt.terminate(&id).unwrap();
        }
        report("launch → user data running (no filter)", plain);
        report("launch → user data running (security groups)", filtered);
    }

    let mut httpd = Vec::new();
    for i in 0..20 {
        let id = format!("i-0benchh{i:010}");
        let t = Instant::now();
        e.rt.launch(spec(&id, [10, 0, 4, 10 + i as u8], Some(SEED_USER_DATA)))
            .unwrap();
        wait_until(|| {
            http_get(&e.rt, &id, "/")
                .is_ok_and(|(s, b)| s.contains("200") && b.contains("Hello World"))
        });
        httpd.push(t.elapsed().as_secs_f64() * 1e3);
        e.rt.terminate(&id).unwrap();
    }
    report("launch → httpd answering (seed user data)", httpd);

    // Ten launched at once, each from its own thread (as Auto Scaling would).
    let t = Instant::now();
    let handles: Vec<_> = (0..10u8)
        .map(|i| {
            let rt = e.rt.clone();
            std::thread::spawn(move || {
                let id = format!("i-0par{i:013}");
                rt.launch(spec(&id, [10, 0, 6, 10 + i], Some(SEED_USER_DATA)))
                    .unwrap();
                wait_until(|| http_get(&rt, &id, "/").is_ok_and(|(s, _)| s.contains("200")));
                id
            })
        })
        .collect();
    let ids: Vec<String> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    println!(
        "10 launched in parallel → all 10 httpd answering: {:.1} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    for id in ids {
        e.rt.terminate(&id).unwrap();
    }

    // Idle instances: what each costs while it runs nothing (stage 1 + init).
    let n = 10;
    for i in 0..n {
        e.rt.launch(spec(
            &format!("i-0idle{i:012}"),
            [10, 0, 5, 10 + i as u8],
            None,
        ))
        .unwrap();
    }
    let mut rss_kb = 0u64;
    let mut pss_kb = 0u64;
    let mut cg_bytes = 0u64;
    let mut procs = 0;
    for i in 0..n {
        let id = format!("i-0idle{i:012}");
        cg_bytes += e.rt.stats(&id).unwrap().memory_bytes;
        let cg =
            nimbus_runtime::cgroup::Cgroup::open(&format!("{}{id}", e.rt.cgroup_prefix())).unwrap();
        for p in cg.pids() {
            procs += 1;
            let status = std::fs::read_to_string(format!("/proc/{p}/status")).unwrap_or_default();
            let rollup =
                std::fs::read_to_string(format!("/proc/{p}/smaps_rollup")).unwrap_or_default();
            pss_kb += rollup
                .lines()
                .find_map(|l| l.strip_prefix("Pss:"))
                .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
                .unwrap_or(0);
            rss_kb += status
                .lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
                .unwrap_or(0);
        }
    }
    println!(
        "idle instance: {procs} processes for {n} instances; per instance RSS {:.2} MB (shared pages counted in each), PSS {:.2} MB, cgroup memory {:.2} MB",
        rss_kb as f64 / 1024.0 / n as f64,
        pss_kb as f64 / 1024.0 / n as f64,
        cg_bytes as f64 / 1048576.0 / n as f64
    );
}

fn wait_until(mut f: impl FnMut() -> bool) {
    let t = Instant::now();
    while !f() {
        assert!(t.elapsed() < Duration::from_secs(10), "timed out");
        std::thread::sleep(Duration::from_micros(200));
    }
}
