//! `stress` inside an instance really burns CPU and the instance's cgroup accounts it: the
//! cgroup's CPU time over the run matches the CPU time the shell's `time` reports for stress
//! itself, and a 1-vCPU instance cannot use more than one CPU (CFS quota) even with two
//! workers. The machine is shared, so how much CPU stress gets is not asserted beyond "real".

mod common;
use common::*;
use std::time::Duration;

const ID: &str = "i-0stress0000000001";

#[test]
fn stress_burns_measured_cpu_within_the_quota() {
    let Some(e) = env() else { return };
    let ud = "#!/bin/bash\namazon-linux-extras install epel -y\nyum install -y stress\ntouch /var/lib/stress-start\nsleep 0.3\nTIMEFORMAT='%R %U %S'\n{ time stress -c 2 --timeout 3 ; } 2> /var/lib/stress-time\n";
    e.rt.launch(spec(ID, [10, 0, 1, 60], Some(ud)))
        .expect("launch");
    let vol = e.rt.root_volume(ID);
    assert!(
        wait_for(Duration::from_secs(5), || vol
            .join("var/lib/stress-start")
            .exists()
            .then_some(()))
        .is_some(),
        "{}",
        e.rt.console_output(ID).unwrap()
    );
    let c0 = e.rt.stats(ID).unwrap().cpu_ns;
    assert!(
        wait_user_data(&e, ID, Duration::from_secs(8)),
        "{}",
        e.rt.console_output(ID).unwrap()
    );
    let c1 = e.rt.stats(ID).unwrap().cpu_ns;
    let t = std::fs::read_to_string(vol.join("var/lib/stress-time")).unwrap();
    let f: Vec<f64> = t.split_whitespace().map(|x| x.parse().unwrap()).collect();
    let (wall, cpu) = (f[0], f[1] + f[2]);
    let cgroup = (c1 - c0) as f64 / 1e9;
    eprintln!("stress: wall {wall:.2}s, own CPU {cpu:.2}s; cgroup accounted {cgroup:.2}s");
    assert!((2.9..4.5).contains(&wall), "{t}");
    assert!(cpu > 0.3, "stress burned no CPU: {t}");
    assert!(
        cpu <= wall * 1.1 + 0.05,
        "two workers on one vCPU used {cpu:.2}s in {wall:.2}s: the quota failed"
    );
    assert!(
        cgroup >= cpu * 0.95 && cgroup <= cpu + 0.5,
        "cgroup {cgroup:.2}s vs stress {cpu:.2}s"
    );
    let console = e.rt.console_output(ID).unwrap();
    assert!(
        console.contains("dispatching hogs: 2 cpu, 0 io, 0 vm, 0 hdd"),
        "{console}"
    );
    assert!(
        console.contains("successful run completed in 3s"),
        "{console}"
    );
    assert!(e.rt.stats(ID).unwrap().memory_bytes > 0);
    e.rt.terminate(ID).unwrap();
}

#[test]
fn memory_limit_holds() {
    let Some(e) = env() else { return };
    let mut s = spec(
        "i-0memlimit00000001",
        [10, 0, 1, 61],
        Some("#!/bin/bash\namazon-linux-extras install epel -y\nyum install -y stress\n"),
    );
    s.memory_mib = 64;
    e.rt.launch(s).expect("launch");
    assert!(
        wait_user_data(&e, "i-0memlimit00000001", Duration::from_secs(8)),
        "{}",
        diag(&e, "i-0memlimit00000001")
    );
    // 200 MB in a 64 MiB instance: the kernel's OOM killer ends the worker inside the cgroup.
    let out =
        e.rt.exec(
            "i-0memlimit00000001",
            &[
                "stress",
                "--vm",
                "1",
                "--vm-bytes",
                "200M",
                "--timeout",
                "3",
            ],
        )
        .unwrap();
    assert_ne!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let ok =
        e.rt.exec(
            "i-0memlimit00000001",
            &["stress", "--vm", "1", "--vm-bytes", "16M", "--timeout", "1"],
        )
        .unwrap();
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stdout)
    );
    e.rt.terminate("i-0memlimit00000001").unwrap();
}
