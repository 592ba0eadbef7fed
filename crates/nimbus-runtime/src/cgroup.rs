//! One control group per instance, on cgroup v1 (separate `cpu`, `cpuacct`, `memory`, `pids`
//! hierarchies, as on this host) or v2 (the unified hierarchy): created under the Nimbus
//! process's own cgroup with a name that carries the runtime's tag (so a later run finds and
//! removes the leftovers of a crashed one, and two runtimes on one host never touch each
//! other's), limits CPU with a CFS quota of the type's vCPUs and memory with a hard limit,
//! reads CPU time and memory use, and kills every process in it. It does not start processes:
//! the sandbox's first stage writes itself into `procs_files()` before it forks anything.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const V1_CONTROLLERS: &[&str] = &["cpu", "cpuacct", "memory", "pids"];
const ROOT: &str = "/sys/fs/cgroup";
/// CFS period: 100 ms, the kernel's default.
const PERIOD_US: u64 = 100_000;

/// Which cgroup layout this host has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    V1,
    V2,
}

/// Detects the layout: v2 when /sys/fs/cgroup itself is the unified hierarchy.
pub fn version() -> io::Result<Version> {
    if Path::new(ROOT).join("cgroup.controllers").exists() {
        Ok(Version::V2)
    } else if Path::new(ROOT).join("cpu").join("cgroup.procs").exists() {
        Ok(Version::V1)
    } else {
        Err(io::Error::other(
            "no usable cgroup hierarchy under /sys/fs/cgroup",
        ))
    }
}

/// This process's own cgroup path in `controller`'s hierarchy (v1) or the unified one ("").
fn own_path(controller: &str) -> String {
    let Ok(text) = fs::read_to_string("/proc/self/cgroup") else {
        return "/".into();
    };
    for line in text.lines() {
        let mut parts = line.splitn(3, ':');
        let (_, ctrls, path) = (
            parts.next(),
            parts.next().unwrap_or(""),
            parts.next().unwrap_or("/"),
        );
        let hit = if controller.is_empty() {
            ctrls.is_empty()
        } else {
            ctrls.split(',').any(|c| c == controller)
        };
        if hit {
            return path.to_string();
        }
    }
    "/".into()
}

/// The directories under which this runtime's cgroups live (one per v1 controller, or one).
pub fn parents(v: Version) -> Vec<(&'static str, PathBuf)> {
    match v {
        Version::V2 => vec![("", join_rel(Path::new(ROOT), &own_path("")))],
        Version::V1 => V1_CONTROLLERS
            .iter()
            .filter(|c| Path::new(ROOT).join(c).join("cgroup.procs").exists())
            .map(|c| (*c, join_rel(&Path::new(ROOT).join(c), &own_path(c))))
            .collect(),
    }
}

fn join_rel(base: &Path, rel: &str) -> PathBuf {
    let rel = rel.trim_start_matches('/');
    if rel.is_empty() {
        base.to_path_buf()
    } else {
        base.join(rel)
    }
}

/// An instance's cgroup (its directory in each hierarchy).
#[derive(Debug, Clone)]
pub struct Cgroup {
    version: Version,
    /// (v1 controller or "" for v2, directory).
    dirs: Vec<(&'static str, PathBuf)>,
}

impl Cgroup {
    /// Creates (or reuses) the cgroup `name` and sets its limits.
    pub fn create(name: &str, vcpus: u32, memory_bytes: u64) -> io::Result<Cgroup> {
        let version = version()?;
        let parents = parents(version);
        if version == Version::V2 {
            // The controllers must be enabled for children of our own cgroup; a cgroup with
            // processes cannot delegate them ("no internal processes"), which is why v2 hosts
            // usually run Nimbus in a leaf of its own (documented in decision 0009).
            let sc = parents[0].1.join("cgroup.subtree_control");
            let _ = fs::write(&sc, "+cpu +memory +pids");
        }
        let dirs: Vec<(&'static str, PathBuf)> =
            parents.iter().map(|(c, p)| (*c, p.join(name))).collect();
        for (_, d) in &dirs {
            match fs::create_dir(d) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => {
                    return Err(io::Error::new(
                        e.kind(),
                        format!("creating {}: {e}", d.display()),
                    ))
                }
            }
        }
        let cg = Cgroup { version, dirs };
        cg.set_limits(vcpus, memory_bytes)?;
        Ok(cg)
    }

    fn file(&self, controller: &str, name: &str) -> Option<PathBuf> {
        match self.version {
            Version::V2 => Some(self.dirs[0].1.join(name)),
            Version::V1 => self
                .dirs
                .iter()
                .find(|(c, _)| *c == controller)
                .map(|(_, d)| d.join(name)),
        }
    }

    fn set_limits(&self, vcpus: u32, memory_bytes: u64) -> io::Result<()> {
        let quota = PERIOD_US * u64::from(vcpus.max(1));
        let write = |p: Option<PathBuf>, v: String| -> io::Result<()> {
            match p {
                Some(p) => fs::write(&p, v)
                    .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", p.display()))),
                None => Ok(()),
            }
        };
        match self.version {
            Version::V1 => {
                write(self.file("cpu", "cpu.cfs_period_us"), PERIOD_US.to_string())?;
                write(self.file("cpu", "cpu.cfs_quota_us"), quota.to_string())?;
                write(
                    self.file("memory", "memory.limit_in_bytes"),
                    memory_bytes.to_string(),
                )?;
            }
            Version::V2 => {
                write(self.file("cpu", "cpu.max"), format!("{quota} {PERIOD_US}"))?;
                write(self.file("memory", "memory.max"), memory_bytes.to_string())?;
            }
        }
        Ok(())
    }

    /// The `cgroup.procs` files a process writes its pid into to join every hierarchy.
    pub fn procs_files(&self) -> Vec<PathBuf> {
        self.dirs
            .iter()
            .map(|(_, d)| d.join("cgroup.procs"))
            .collect()
    }

    /// The pids in the cgroup (union over hierarchies).
    pub fn pids(&self) -> Vec<i32> {
        let mut out = Vec::new();
        for f in self.procs_files() {
            if let Ok(t) = fs::read_to_string(f) {
                out.extend(t.lines().filter_map(|l| l.trim().parse::<i32>().ok()));
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// CPU time used by the instance's processes, in nanoseconds.
    pub fn cpu_ns(&self) -> u64 {
        match self.version {
            Version::V1 => self
                .file("cpuacct", "cpuacct.usage")
                .and_then(|p| fs::read_to_string(p).ok())
                .and_then(|t| t.trim().parse().ok())
                .unwrap_or(0),
            Version::V2 => self
                .file("cpu", "cpu.stat")
                .and_then(|p| fs::read_to_string(p).ok())
                .and_then(|t| {
                    t.lines().find_map(|l| {
                        l.strip_prefix("usage_usec ")
                            .and_then(|v| v.trim().parse::<u64>().ok())
                    })
                })
                .map_or(0, |us| us * 1000),
        }
    }

    /// Memory charged to the instance, in bytes.
    pub fn memory_bytes(&self) -> u64 {
        let p = match self.version {
            Version::V1 => self.file("memory", "memory.usage_in_bytes"),
            Version::V2 => self.file("memory", "memory.current"),
        };
        p.and_then(|p| fs::read_to_string(p).ok())
            .and_then(|t| t.trim().parse().ok())
            .unwrap_or(0)
    }

    /// Kills every process in the cgroup until it is empty. Processes inside the sandbox's
    /// PID namespace go first (SIGKILL; PID 1 dying takes its namespace along); the sandbox's
    /// stage 1, which lives in the host's PID namespace, then reaps PID 1 and exits by itself —
    /// so no zombie holding the sandbox's namespace is handed to the host's init. Stragglers
    /// are killed when `timeout` runs out. Only pids inside our own cgroup are signalled:
    /// processes this runtime started.
    pub fn kill_all(&self, timeout: Duration) -> io::Result<()> {
        let deadline = Instant::now() + timeout;
        let host_pidns = fs::read_link("/proc/self/ns/pid").ok();
        let in_host_ns = |p: i32| fs::read_link(format!("/proc/{p}/ns/pid")).ok() == host_pidns;
        let grace = Instant::now() + Duration::from_secs(1).min(timeout);
        loop {
            let pids = self.pids();
            if pids.is_empty() {
                return Ok(());
            }
            let (outer, inner): (Vec<i32>, Vec<i32>) =
                pids.into_iter().partition(|p| in_host_ns(*p));
            for p in &inner {
                crate::sys::kill(*p, crate::sys::SIGKILL)?;
            }
            if inner.is_empty() && Instant::now() > grace {
                if self.version == Version::V2 {
                    let _ = fs::write(self.dirs[0].1.join("cgroup.kill"), "1");
                }
                for p in &outer {
                    crate::sys::kill(*p, crate::sys::SIGKILL)?;
                }
            }
            if Instant::now() > deadline {
                return Err(io::Error::other(
                    "processes survive SIGKILL in the instance cgroup",
                ));
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// Kills everything and removes the cgroup directories. Idempotent.
    pub fn destroy(&self) -> io::Result<()> {
        if self.dirs.iter().all(|(_, d)| !d.exists()) {
            return Ok(());
        }
        self.kill_all(Duration::from_secs(5))?;
        for (_, d) in &self.dirs {
            remove_dir_retry(d)?;
        }
        Ok(())
    }

    /// Reopens an existing cgroup by name (orphan cleanup).
    pub fn open(name: &str) -> io::Result<Cgroup> {
        let version = version()?;
        Ok(Cgroup {
            version,
            dirs: parents(version)
                .into_iter()
                .map(|(c, p)| (c, p.join(name)))
                .collect(),
        })
    }
}

fn remove_dir_retry(d: &Path) -> io::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match fs::remove_dir(d) {
            Ok(()) => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            // EBUSY while the last exiting task is still being accounted.
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(e) => {
                return Err(io::Error::new(
                    e.kind(),
                    format!("removing {}: {e}", d.display()),
                ))
            }
        }
    }
}

/// The names of this runtime's cgroups (those starting with `prefix`), over all hierarchies.
pub fn list(prefix: &str) -> Vec<String> {
    let Ok(v) = version() else { return Vec::new() };
    let mut out = Vec::new();
    for (_, p) in parents(v) {
        if let Ok(rd) = fs::read_dir(&p) {
            for e in rd.flatten() {
                let n = e.file_name().to_string_lossy().into_owned();
                if n.starts_with(prefix) && e.path().is_dir() {
                    out.push(n);
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}
