//! One control group per instance, on cgroup v1 (separate `cpu`, `cpuacct`, `memory`, `pids`
//! hierarchies, as on this host) or v2 (the unified hierarchy): created under the Nimbus
//! process's own cgroup with a name that carries the runtime's tag (so a later run finds and
//! removes the leftovers of a crashed one, and two runtimes on one host never touch each
//! other's), limits CPU with a CFS quota of the type's vCPUs and memory with a hard limit,
//! reads CPU time, memory and block I/O, and kills every process in it. It does not start
//! processes: the sandbox's first stage writes itself into `procs_files()` before it forks
//! anything. [`Cgroup`] is one implementation of [`crate::accounting::Accounting`]; where no
//! cgroup can be made (an ordinary user without delegation) the runtime uses the weaker
//! process-tree one instead. A [`Hierarchy`] names the layout and its mount point, so the v2
//! code runs against a real cgroup2 mount or a fake tree in tests on a v1 host.

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
    Hierarchy::detect().map(|h| h.version)
}

/// A cgroup layout and where it is mounted (`/sys/fs/cgroup` on a real host; for v1 the
/// controllers are directories under it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hierarchy {
    pub version: Version,
    pub root: PathBuf,
}

impl Hierarchy {
    /// This host's layout under /sys/fs/cgroup.
    pub fn detect() -> io::Result<Hierarchy> {
        let root = PathBuf::from(ROOT);
        if root.join("cgroup.controllers").exists() {
            Ok(Hierarchy {
                version: Version::V2,
                root,
            })
        } else if root.join("cpu").join("cgroup.procs").exists() {
            Ok(Hierarchy {
                version: Version::V1,
                root,
            })
        } else {
            Err(io::Error::other(
                "no usable cgroup hierarchy under /sys/fs/cgroup",
            ))
        }
    }

    /// A hierarchy mounted at `root` (a cgroup2 mount, or a fake tree in a test).
    pub fn at(version: Version, root: impl Into<PathBuf>) -> Hierarchy {
        Hierarchy {
            version,
            root: root.into(),
        }
    }

    /// The directories under which this runtime's cgroups live (one per v1 controller, or
    /// one), below the Nimbus process's own cgroup.
    pub fn parents(&self) -> Vec<(&'static str, PathBuf)> {
        match self.version {
            Version::V2 => vec![("", join_rel(&self.root, &own_path("")))],
            Version::V1 => V1_CONTROLLERS
                .iter()
                .filter(|c| self.root.join(c).join("cgroup.procs").exists())
                .map(|c| (*c, join_rel(&self.root.join(c), &own_path(c))))
                .collect(),
        }
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

/// The directories under which this runtime's cgroups live on this host.
pub fn parents(v: Version) -> Vec<(&'static str, PathBuf)> {
    Hierarchy::at(v, ROOT).parents()
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
    /// Whether the CPU and memory limits are in force (on v2 a controller that is not
    /// enabled for our subtree has no `cpu.max` / `memory.max`).
    enforced: bool,
}

impl Cgroup {
    /// Creates (or reuses) the cgroup `name` on this host and sets its limits.
    pub fn create(name: &str, vcpus: u32, memory_bytes: u64) -> io::Result<Cgroup> {
        Cgroup::create_in(&Hierarchy::detect()?, name, vcpus, memory_bytes)
    }

    /// Creates (or reuses) the cgroup `name` in hierarchy `h` and sets its limits.
    pub fn create_in(
        h: &Hierarchy,
        name: &str,
        vcpus: u32,
        memory_bytes: u64,
    ) -> io::Result<Cgroup> {
        let version = h.version;
        let parents = h.parents();
        if parents.is_empty() {
            return Err(io::Error::other(format!(
                "no cgroup controllers under {}",
                h.root.display()
            )));
        }
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
        let mut cg = Cgroup {
            version,
            dirs,
            enforced: false,
        };
        if let Err(e) = cg.set_limits(vcpus, memory_bytes) {
            let _ = cg.destroy();
            return Err(e);
        }
        Ok(cg)
    }

    /// Whether the CPU quota and memory limit are in force.
    pub fn enforces_limits(&self) -> bool {
        self.enforced
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

    fn set_limits(&mut self, vcpus: u32, memory_bytes: u64) -> io::Result<()> {
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
                self.enforced = self.file("cpu", "cpu.cfs_quota_us").is_some()
                    && self.file("memory", "memory.limit_in_bytes").is_some();
            }
            Version::V2 => {
                // A controller not enabled for our subtree has no interface files: the
                // cgroup still groups, accounts CPU (cpu.stat is core) and kills, but does
                // not limit. A real cgroupfs refuses to create files, so check first.
                let cpu_max = self.dirs[0].1.join("cpu.max");
                let mem_max = self.dirs[0].1.join("memory.max");
                let (cpu, mem) = (cpu_max.exists(), mem_max.exists());
                if cpu {
                    write(Some(cpu_max), format!("{quota} {PERIOD_US}"))?;
                }
                if mem {
                    write(Some(mem_max), memory_bytes.to_string())?;
                }
                self.enforced = cpu && mem;
            }
        }
        Ok(())
    }

    /// Bytes read from and written to block devices by the instance's processes (v2
    /// `io.stat`, summed over devices; v1 keeps no blkio cgroup per instance: `None`).
    pub fn io_bytes(&self) -> Option<(u64, u64)> {
        if self.version != Version::V2 {
            return None;
        }
        let text = fs::read_to_string(self.dirs[0].1.join("io.stat")).ok()?;
        Some(parse_io_stat(&text))
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
        Ok(Cgroup::open_in(&Hierarchy::detect()?, name))
    }

    /// Reopens cgroup `name` of hierarchy `h`.
    pub fn open_in(h: &Hierarchy, name: &str) -> Cgroup {
        Cgroup {
            version: h.version,
            dirs: h
                .parents()
                .into_iter()
                .map(|(c, p)| (c, p.join(name)))
                .collect(),
            enforced: false,
        }
    }

    /// The cgroup's directories (one per v1 controller, or the one v2 directory).
    pub fn dirs(&self) -> Vec<PathBuf> {
        self.dirs.iter().map(|(_, d)| d.clone()).collect()
    }
}

/// Sums `rbytes=` and `wbytes=` over the devices of a v2 `io.stat`
/// (`MAJ:MIN rbytes=N wbytes=N rios=N wios=N dbytes=N dios=N` per line).
pub fn parse_io_stat(text: &str) -> (u64, u64) {
    let (mut r, mut w) = (0u64, 0u64);
    for field in text.split_whitespace() {
        if let Some(v) = field.strip_prefix("rbytes=") {
            r += v.parse::<u64>().unwrap_or(0);
        } else if let Some(v) = field.strip_prefix("wbytes=") {
            w += v.parse::<u64>().unwrap_or(0);
        }
    }
    (r, w)
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
    let Ok(h) = Hierarchy::detect() else {
        return Vec::new();
    };
    list_in(&h, prefix)
}

/// The names of cgroups starting with `prefix` in hierarchy `h`.
pub fn list_in(h: &Hierarchy, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (_, p) in h.parents() {
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
