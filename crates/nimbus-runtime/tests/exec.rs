//! `Runtime::exec`: a command run by the host inside a running instance sees the instance's
//! world (hostname, its root volume, PID namespace), is held by its cgroup and lacks the
//! capabilities no guest may hold — the way the seed's `stress` step can be driven before SSH
//! exists.

mod common;
use common::*;
use std::time::Duration;

const ID: &str = "i-0exec00000000001";

#[test]
fn exec_runs_inside_the_instance() {
    let Some(e) = env() else { return };
    e.rt.launch(spec(
        ID,
        [10, 0, 1, 110],
        Some("#!/bin/bash\necho planted > /root/inside.txt\n"),
    ))
    .unwrap();
    assert!(
        wait_user_data(&e, ID, Duration::from_secs(5)),
        "{}",
        diag(&e, ID)
    );
    let out = e
        .rt
        .exec(ID, &["bash", "-c", "hostname -f; whoami; pwd; cat /root/inside.txt; echo pid1=$(cat /proc/1/comm); grep CapBnd /proc/self/status; cat /proc/self/cgroup"])
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        &lines[..5],
        &[
            "ip-10-0-1-110.ec2.internal",
            "root",
            "/root",
            "planted",
            "pid1=init"
        ],
        "{text}"
    );
    let bnd = u64::from_str_radix(lines[5].split_whitespace().nth(1).unwrap(), 16).unwrap();
    assert_eq!(bnd & (1 << 21), 0, "CAP_SYS_ADMIN must be gone: {text}");
    assert!(
        text.contains(&format!("{}{ID}", e.rt.cgroup_prefix())),
        "not in the instance cgroup: {text}"
    );

    // The seed's load step, without SSH.
    let cpu0 = e.rt.stats(ID).unwrap().cpu_ns;
    let out = e
        .rt
        .exec(ID, &["bash", "-c", "sudo amazon-linux-extras install epel -y >/dev/null && sudo yum install stress -y >/dev/null && stress -c 1 --timeout 1"])
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        text.contains("successful run completed in 1s"),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        e.rt.stats(ID).unwrap().cpu_ns > cpu0 + 20_000_000,
        "stress's CPU is the instance's"
    );
    let out = e.rt.exec(ID, &["false"]).unwrap();
    assert_eq!(out.status.code(), Some(1));
    e.rt.terminate(ID).unwrap();
    assert!(e.rt.exec(ID, &["true"]).is_err());
}
