//! The process-tree accounting of the user-namespace tier (no cgroup), against real
//! processes: a first stage (`unshare --pid --fork`, the runtime's child) whose child is the
//! init of a new PID namespace with children of its own. The tree finds all of them, sums
//! their memory, and killing the namespace's init ends every process in it.

use nimbus_runtime::accounting::{Accounting, ProcessTree};
use std::process::Command;
use std::time::{Duration, Instant};

#[test]
fn the_pid_namespace_is_the_group() {
    if nimbus_runtime::tier::detect().tier == nimbus_runtime::Tier::Unavailable {
        eprintln!("SKIPPED: no PID namespaces for this user");
        return;
    }
    let mut stage1 = match Command::new("unshare")
        .args([
            "--pid",
            "--fork",
            "sh",
            "-c",
            "sleep 300 & sleep 300 & wait",
        ])
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("SKIPPED: util-linux's unshare: {e}");
            return;
        }
    };
    let tree = ProcessTree::new();
    tree.adopt(stage1.id());
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // stage 1, init (sh) and its two sleeps, once they are all there.
        let t = Instant::now();
        while tree.pids().len() < 4 {
            assert!(
                t.elapsed() < Duration::from_secs(30),
                "found {:?}",
                tree.pids()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(tree.pids().len(), 4, "{:?}", tree.pids());
        assert!(tree.pids().contains(&(stage1.id() as i32)));
        assert!(tree.memory_bytes() > 0);
        assert!(tree.procs_files().is_empty());
        assert!(!tree.enforces_limits());
        tree.kill_all(Duration::from_secs(30)).expect("kill_all");
    }));
    // unshare exits once its child (init) is gone; reap it.
    let t = Instant::now();
    while stage1.try_wait().ok().flatten().is_none() && t.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = stage1.kill();
    let _ = stage1.wait();
    if let Err(p) = result {
        std::panic::resume_unwind(p);
    }
    assert!(tree.pids().is_empty(), "left: {:?}", tree.pids());
}
