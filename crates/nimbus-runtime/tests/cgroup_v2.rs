//! The cgroup v2 code path on a host that boots cgroup v1. Two tests: a fake v2 tree in a
//! temporary directory (every interface file the runtime writes or reads: `cpu.max`,
//! `memory.max`, `cgroup.subtree_control`, `cpu.stat` usage_usec, `memory.current`,
//! `io.stat`), and a real cgroup2 mount (this host's hybrid `/sys/fs/cgroup/unified`, or any
//! cgroup2 mount the test finds), where the controllers bound to v1 cannot be enabled but the
//! hierarchy is real: creating the cgroup, a process joining it through `cgroup.procs`, CPU
//! accounting from `cpu.stat`, killing through `cgroup.kill`, removal. What a v1-booted host
//! cannot show (limits enforced by the v2 cpu and memory controllers) is said in the output.

use nimbus_runtime::accounting::Accounting;
use nimbus_runtime::cgroup::{self, Cgroup, Hierarchy, Version};
use std::fs;
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[test]
fn v2_files_are_written_and_read_as_the_kernel_lays_them_out() {
    let tmp = tempfile::tempdir().unwrap();
    let h = Hierarchy::at(Version::V2, tmp.path());
    let parent = h.parents()[0].1.clone();
    fs::create_dir_all(&parent).unwrap();
    // What the kernel shows in a fresh cgroup whose parent enabled cpu, memory and io.
    let dir = parent.join("nimbus-fake-i-1");
    fs::create_dir(&dir).unwrap();
    for (f, text) in [
        ("cgroup.procs", ""),
        ("cpu.max", "max 100000\n"),
        ("memory.max", "max\n"),
        (
            "cpu.stat",
            "usage_usec 1500000\nuser_usec 1000000\nsystem_usec 500000\n",
        ),
        ("memory.current", "12345678\n"),
        (
            "io.stat",
            "8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n\
             253:0 rbytes=100 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n",
        ),
    ] {
        fs::write(dir.join(f), text).unwrap();
    }
    let cg = Cgroup::create_in(&h, "nimbus-fake-i-1", 2, 512 << 20).unwrap();
    assert_eq!(
        fs::read_to_string(parent.join("cgroup.subtree_control")).unwrap(),
        "+cpu +memory +pids"
    );
    assert_eq!(
        fs::read_to_string(dir.join("cpu.max")).unwrap(),
        "200000 100000"
    );
    assert_eq!(
        fs::read_to_string(dir.join("memory.max")).unwrap(),
        "536870912"
    );
    assert!(cg.enforces_limits());
    let acct: &dyn Accounting = &cg;
    assert_eq!(acct.cpu_ns(), 1_500_000_000);
    assert_eq!(acct.memory_bytes(), 12_345_678);
    assert_eq!(acct.io_bytes(), Some((4196, 8192)));
    assert_eq!(acct.procs_files(), vec![dir.join("cgroup.procs")]);
    assert_eq!(
        cgroup::list_in(&h, "nimbus-fake-"),
        vec!["nimbus-fake-i-1".to_string()]
    );

    // A parent that did not enable cpu and memory for us: no interface files, so the cgroup
    // groups and accounts but does not limit — and says so.
    let bare = parent.join("nimbus-fake-i-2");
    fs::create_dir(&bare).unwrap();
    fs::write(bare.join("cgroup.procs"), "").unwrap();
    let cg2 = Cgroup::create_in(&h, "nimbus-fake-i-2", 1, 64 << 20).unwrap();
    assert!(!cg2.enforces_limits());
    assert!(!bare.join("cpu.max").exists());
    assert_eq!(cg2.io_bytes(), None, "no io.stat: unknown, not zero");
}

/// A cgroup2 mount point on this host, if any.
fn cgroup2_mount() -> Option<PathBuf> {
    fs::read_to_string("/proc/self/mountinfo")
        .ok()?
        .lines()
        .find(|l| {
            l.split(" - ")
                .nth(1)
                .is_some_and(|r| r.starts_with("cgroup2 "))
        })
        .and_then(|l| l.split(' ').nth(4))
        .map(PathBuf::from)
}

#[test]
fn a_real_cgroup2_hierarchy_groups_accounts_and_kills() {
    let Some(mnt) = cgroup2_mount() else {
        eprintln!("SKIPPED: no cgroup2 mount on this host");
        return;
    };
    let h = Hierarchy::at(Version::V2, &mnt);
    let name = format!("nimbus-v2test-{}", std::process::id());
    let cg = match Cgroup::create_in(&h, &name, 1, 256 << 20) {
        Ok(c) => c,
        Err(e) => {
            eprintln!(
                "SKIPPED: cannot create a cgroup under {}: {e}",
                mnt.display()
            );
            return;
        }
    };
    let dir = cg.dirs()[0].clone();
    let controllers = fs::read_to_string(dir.join("cgroup.controllers")).unwrap_or_default();
    eprintln!(
        "cgroup2 at {}: controllers available to the instance cgroup: {:?}; limits enforced: {}",
        mnt.display(),
        controllers.trim(),
        cg.enforces_limits()
    );
    if cg.enforces_limits() {
        assert_eq!(
            fs::read_to_string(dir.join("cpu.max")).unwrap().trim(),
            "100000 100000"
        );
    }
    // A process that waits until it is in the cgroup, burns some CPU there, then sleeps.
    let mut child = std::process::Command::new("sh")
        .args([
            "-c",
            "until grep -q \"^0::.*/$NAME\\$\" /proc/self/cgroup; do sleep 0.01; done; \
             i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done; exec sleep 120",
        ])
        .env("NAME", &name)
        .spawn()
        .unwrap();
    let pid = child.id() as i32;
    let joined = fs::write(&cg.procs_files()[0], pid.to_string());
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        joined.expect("joining cgroup.procs");
        assert_eq!(cg.pids(), vec![pid]);
        let own = fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap();
        assert!(
            own.lines()
                .any(|l| l.starts_with("0::") && l.ends_with(&name)),
            "{own}"
        );
        // cpu.stat's usage_usec is core to cgroup2 (no controller needed).
        let t = Instant::now();
        while cg.cpu_ns() == 0 {
            assert!(t.elapsed() < Duration::from_secs(60), "no CPU accounted");
            std::thread::sleep(Duration::from_millis(20));
        }
        cg.kill_all(Duration::from_secs(30)).expect("kill_all");
        assert!(cg.pids().is_empty());
    }));
    let _ = child.kill();
    let _ = child.wait();
    let destroyed = cg.destroy();
    if let Err(p) = result {
        std::panic::resume_unwind(p);
    }
    destroyed.expect("destroy");
    assert!(!dir.exists());
}
