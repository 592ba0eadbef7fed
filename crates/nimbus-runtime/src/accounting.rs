//! What the runtime needs of "the group of an instance's processes", behind one trait: who
//! is in it, the files a new process writes its pid into to join it, CPU time, memory and
//! block I/O, whether the instance type's limits are in force, and killing everything in it.
//! Two implementations: [`Cgroup`] (v1 or v2; the full sandbox) and [`ProcessTree`], the
//! weaker one an ordinary user gets where no cgroup is delegated to it — the sandbox's PID
//! namespace is the group (killing its init ends every process in it, the kernel's doing),
//! CPU and memory are summed from `/proc` of the live processes (plus what init reaped), and
//! nothing is limited.

use crate::cgroup::Cgroup;
use std::fs;
use std::io;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The group of an instance's processes.
pub trait Accounting: Send + Sync + std::fmt::Debug {
    /// Files a process writes its pid into to join the group before it forks anything (none
    /// for a process tree: children join by being born).
    fn procs_files(&self) -> Vec<PathBuf>;
    /// Host pids of every process in the group.
    fn pids(&self) -> Vec<i32>;
    /// CPU time used, in nanoseconds.
    fn cpu_ns(&self) -> u64;
    /// Memory charged (cgroup) or resident (process tree), in bytes.
    fn memory_bytes(&self) -> u64;
    /// Block-device bytes (read, written), where this implementation can tell.
    fn io_bytes(&self) -> Option<(u64, u64)>;
    /// Whether the instance type's vCPU quota and memory limit are enforced.
    fn enforces_limits(&self) -> bool;
    /// Called once the sandbox's first stage runs, with its host pid.
    fn adopt(&self, _stage1: u32) {}
    /// Kills every process in the group, waiting up to `timeout` until none is left.
    fn kill_all(&self, timeout: Duration) -> io::Result<()>;
    /// Kills everything and removes the group. Idempotent.
    fn destroy(&self) -> io::Result<()>;
}

impl Accounting for Cgroup {
    fn procs_files(&self) -> Vec<PathBuf> {
        Cgroup::procs_files(self)
    }
    fn pids(&self) -> Vec<i32> {
        Cgroup::pids(self)
    }
    fn cpu_ns(&self) -> u64 {
        Cgroup::cpu_ns(self)
    }
    fn memory_bytes(&self) -> u64 {
        Cgroup::memory_bytes(self)
    }
    fn io_bytes(&self) -> Option<(u64, u64)> {
        Cgroup::io_bytes(self)
    }
    fn enforces_limits(&self) -> bool {
        Cgroup::enforces_limits(self)
    }
    fn kill_all(&self, timeout: Duration) -> io::Result<()> {
        Cgroup::kill_all(self, timeout)
    }
    fn destroy(&self) -> io::Result<()> {
        Cgroup::destroy(self)
    }
}

/// The sandbox's own processes found through `/proc`: its first stage (a child of the
/// runtime, in the runtime's PID namespace) and every process in the PID namespace of its
/// child, the sandbox's init.
#[derive(Debug, Default)]
pub struct ProcessTree {
    stage1: OnceLock<u32>,
}

impl ProcessTree {
    pub fn new() -> ProcessTree {
        ProcessTree::default()
    }

    /// The sandbox's init (host pid): stage 1's child (from `/proc/<pid>/task/<pid>/children`,
    /// or, on a kernel without it, the process whose parent is stage 1).
    fn init(&self) -> Option<i32> {
        let s1 = *self.stage1.get()?;
        if let Ok(children) = fs::read_to_string(format!("/proc/{s1}/task/{s1}/children")) {
            return children.split_whitespace().next()?.parse().ok();
        }
        fs::read_dir("/proc")
            .ok()?
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
            .find(|p| {
                fs::read_to_string(format!("/proc/{p}/status"))
                    .unwrap_or_default()
                    .lines()
                    .find_map(|l| l.strip_prefix("PPid:"))
                    .is_some_and(|pp| pp.trim() == s1.to_string())
            })
    }

    /// Processes in init's PID namespace (init included), by host pid.
    fn members(&self) -> Vec<i32> {
        let Some(init) = self.init() else {
            return Vec::new();
        };
        let Ok(ns) = fs::read_link(format!("/proc/{init}/ns/pid")) else {
            return Vec::new();
        };
        let mut out: Vec<i32> = fs::read_dir("/proc")
            .map(|rd| {
                rd.flatten()
                    .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
                    .filter(|p| {
                        fs::read_link(format!("/proc/{p}/ns/pid")).ok().as_ref() == Some(&ns)
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.sort_unstable();
        out
    }
}

/// utime + stime (and, with `children`, cutime + cstime) of /proc/<pid>/stat, in clock ticks.
fn stat_ticks(pid: i32, children: bool) -> u64 {
    let Ok(text) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0;
    };
    // Fields after the ")" closing comm: state is field 3; utime 14, stime 15, cutime 16,
    // cstime 17 (1-based, man 5 proc).
    let Some((_, rest)) = text.rsplit_once(')') else {
        return 0;
    };
    let f: Vec<u64> = rest
        .split_whitespace()
        .skip(1)
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    let get = |n: usize| f.get(n - 4).copied().unwrap_or(0);
    let own = get(14) + get(15);
    if children {
        own + get(16) + get(17)
    } else {
        own
    }
}

impl Accounting for ProcessTree {
    fn procs_files(&self) -> Vec<PathBuf> {
        Vec::new()
    }

    fn pids(&self) -> Vec<i32> {
        let mut out = self.members();
        if let Some(s1) = self.stage1.get() {
            if std::path::Path::new(&format!("/proc/{s1}")).exists() {
                out.push(*s1 as i32);
            }
        }
        out.sort_unstable();
        out
    }

    fn cpu_ns(&self) -> u64 {
        // USER_HZ is 100 on every Linux ABI the runtime builds for.
        const NS_PER_TICK: u64 = 10_000_000;
        let init = self.init();
        let ticks: u64 = self
            .members()
            .into_iter()
            .map(|p| stat_ticks(p, Some(p) == init))
            .sum();
        ticks * NS_PER_TICK
    }

    fn memory_bytes(&self) -> u64 {
        self.members()
            .into_iter()
            .filter_map(|p| {
                let status = fs::read_to_string(format!("/proc/{p}/status")).ok()?;
                status
                    .lines()
                    .find_map(|l| l.strip_prefix("VmRSS:"))
                    .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
            })
            .sum::<u64>()
            * 1024
    }

    fn io_bytes(&self) -> Option<(u64, u64)> {
        None
    }

    fn enforces_limits(&self) -> bool {
        false
    }

    fn adopt(&self, stage1: u32) {
        let _ = self.stage1.set(stage1);
    }

    fn kill_all(&self, timeout: Duration) -> io::Result<()> {
        let deadline = Instant::now() + timeout;
        // SIGKILL to the namespace's init takes every process in the namespace with it; stage 1
        // then reaps init and exits (the runtime reaps stage 1).
        loop {
            let Some(init) = self.init() else {
                return Ok(());
            };
            crate::sys::kill(init, crate::sys::SIGKILL)?;
            if self.members().is_empty() {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(io::Error::other(
                    "processes survive SIGKILL in the instance's PID namespace",
                ));
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    fn destroy(&self) -> io::Result<()> {
        self.kill_all(Duration::from_secs(5))
    }
}

/// Without cgroups, a crashed run's sandboxes are found by their first stage's command line
/// (`<guest> __nimbus_sandbox_stage1 <instances>/<id>/boot.json`): for each whose instance
/// `live` does not claim, its child (the sandbox's init, taking its PID namespace along) and
/// then stage 1 are killed. Returns how many sandboxes were.
pub(crate) fn kill_orphan_sandboxes(
    instances: &std::path::Path,
    live: impl Fn(&str) -> bool,
) -> usize {
    let mut killed = 0;
    for e in fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|p| p.parse::<i32>().ok()) else {
            continue;
        };
        let Ok(cmd) = fs::read(format!("/proc/{pid}/cmdline")) else {
            continue;
        };
        let args: Vec<String> = cmd
            .split(|b| *b == 0)
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        if args.get(1).map(String::as_str) != Some(crate::boot::STAGE1_ARG) {
            continue;
        }
        let Some(id) = args.get(2).and_then(|p| {
            std::path::Path::new(p)
                .strip_prefix(instances)
                .ok()?
                .components()
                .next()?
                .as_os_str()
                .to_str()
                .map(str::to_string)
        }) else {
            continue;
        };
        if live(&id) {
            continue;
        }
        let children =
            fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
        for c in children.split_whitespace().filter_map(|c| c.parse().ok()) {
            let _ = crate::sys::kill(c, crate::sys::SIGKILL);
        }
        let _ = crate::sys::kill(pid, crate::sys::SIGKILL);
        killed += 1;
    }
    killed
}
