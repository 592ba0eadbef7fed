//! Which sandbox this process can give, and what is weaker than the full one. Root on the
//! host gets the full sandbox. An ordinary user gets the user-namespace tier: `nimbus serve`
//! enters a user namespace (and a mount namespace it owns) at startup, mapping the user to
//! root inside, where the same PID, UTS, IPC, mount and network namespaces, overlays, veths and
//! the VPC's namespaces can be made — weaker in what the kernel does not give an unprivileged
//! user: one uid mapped (no other guest users), no cgroup unless one is delegated (so no CPU
//! or memory limits), host-owned directories writable only where a skeleton layer covers
//! them. Where user namespaces are disabled no sandbox can be built and instances do not
//! run (the plain-process tier is not built: see decision 0009). [`Support::describe`] is
//! what the binary prints at startup and reports in its health document; [`check_support`]
//! is what the runtime and the EC2 wiring ask before they boot anything.

use crate::cgroup;
use std::fs;
use std::io;
use std::path::Path;
use std::process::{Command, Stdio};

/// The sandbox this process can build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    /// Root on the host: every namespace, cgroup limits, every guest user.
    Full,
    /// An ordinary user inside a user namespace of its own.
    UserNamespace,
    /// No sandbox: instances cannot run.
    Unavailable,
}

impl Tier {
    pub fn name(self) -> &'static str {
        match self {
            Tier::Full => "full",
            Tier::UserNamespace => "user-namespace",
            Tier::Unavailable => "unavailable",
        }
    }
}

/// What this process can give, and what is weaker than the full sandbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Support {
    pub tier: Tier,
    /// Whether each instance gets a cgroup (limits and exact accounting).
    pub cgroups: bool,
    /// Plain sentences, one per thing weaker than the full sandbox (or why nothing runs).
    pub weaker: Vec<String>,
}

impl Support {
    /// One line for the startup banner and logs.
    pub fn describe(&self) -> String {
        if self.tier == Tier::Unavailable {
            format!(
                "instance sandbox: unavailable, instances cannot run: {}",
                self.weaker.join("; ")
            )
        } else if self.weaker.is_empty() {
            format!(
                "instance sandbox: {} (namespaces, overlays, cgroup limits)",
                self.tier.name()
            )
        } else {
            format!(
                "instance sandbox: {} — weaker: {}",
                self.tier.name(),
                self.weaker.join("; ")
            )
        }
    }
}

/// Whether this process lives in a user namespace other than the host's (its uid map is not
/// the identity over the whole range).
pub fn in_user_namespace() -> bool {
    let map = fs::read_to_string("/proc/self/uid_map").unwrap_or_default();
    let fields: Vec<&str> = map.split_whitespace().collect();
    fields != ["0", "0", "4294967295"] && !fields.is_empty()
}

/// Why an unprivileged user namespace cannot be made here, if it cannot.
pub fn userns_refusal() -> Option<String> {
    let read = |p: &str| fs::read_to_string(p).ok().map(|s| s.trim().to_string());
    if !Path::new("/proc/self/ns/user").exists() {
        return Some("the kernel has no user namespaces".into());
    }
    if read("/proc/sys/user/max_user_namespaces").as_deref() == Some("0") {
        return Some("user namespaces are disabled (user.max_user_namespaces = 0)".into());
    }
    if read("/proc/sys/kernel/unprivileged_userns_clone").as_deref() == Some("0") {
        return Some(
            "unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone = 0)"
                .into(),
        );
    }
    if read("/proc/sys/kernel/apparmor_restrict_unprivileged_userns").as_deref() == Some("1") {
        return Some(
            "AppArmor restricts unprivileged user namespaces \
             (kernel.apparmor_restrict_unprivileged_userns = 1)"
                .into(),
        );
    }
    None
}

/// Enters a new user namespace with a mount namespace it owns, this user mapped to root
/// inside. Must be called while the process has one thread (before any runtime or logger
/// starts): the kernel refuses a multithreaded process.
pub fn enter_user_namespace() -> io::Result<()> {
    let (uid, gid) = crate::sys::getuid_gid();
    let status = fs::read_to_string("/proc/self/status").unwrap_or_default();
    if status
        .lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .is_some_and(|n| n.trim() != "1")
    {
        return Err(io::Error::other(
            "a user namespace can only be entered by a single-threaded process",
        ));
    }
    crate::sys::unshare(crate::sys::CLONE_NEWUSER | crate::sys::CLONE_NEWNS)?;
    fs::write("/proc/self/setgroups", "deny")?;
    fs::write("/proc/self/uid_map", format!("0 {uid} 1\n"))?;
    fs::write("/proc/self/gid_map", format!("0 {gid} 1\n"))?;
    Ok(())
}

/// For `nimbus serve` at startup, while single-threaded: an ordinary user enters its user
/// namespace (where the kernel allows); root and a process already in one stay as they are.
/// Returns what was done, for the log (`Err`: why the user-namespace tier is unavailable).
pub fn prepare() -> Result<bool, String> {
    if crate::sys::geteuid() == 0 || in_user_namespace() {
        return Ok(false);
    }
    if let Some(why) = userns_refusal() {
        return Err(why);
    }
    enter_user_namespace()
        .map(|()| true)
        .map_err(|e| format!("entering a user namespace: {e}"))
}

/// The kernel release's (major, minor).
fn kernel_version() -> (u32, u32) {
    let r = fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let mut it = r
        .trim()
        .split(['.', '-'])
        .map(|x| x.parse::<u32>().unwrap_or(0));
    (it.next().unwrap_or(0), it.next().unwrap_or(0))
}

/// Whether this process can create a cgroup under its own (a probe directory, removed again).
fn can_create_cgroups() -> bool {
    let Ok(h) = cgroup::Hierarchy::detect() else {
        return false;
    };
    let parents = h.parents();
    if parents.is_empty() {
        return false;
    }
    let probe = format!("nimbus-probe-{}", std::process::id());
    parents.iter().all(|(_, p)| {
        let d = p.join(&probe);
        let ok = fs::create_dir(&d).is_ok();
        let _ = fs::remove_dir(&d);
        ok
    })
}

/// What this process can give, detected once (after [`prepare`]) and kept: what the startup
/// banner, the health document and every runtime of the process report.
pub fn current() -> &'static Support {
    static CURRENT: std::sync::OnceLock<Support> = std::sync::OnceLock::new();
    CURRENT.get_or_init(detect)
}

impl Support {
    /// The health document's view: `{"tier": ..., "cgroups": ..., "weaker": [...]}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "tier": self.tier.name(),
            "cgroups": self.cgroups,
            "weaker": self.weaker,
        })
    }
}

/// What this process can give now.
pub fn detect() -> Support {
    let root = crate::sys::geteuid() == 0;
    let userns = in_user_namespace();
    if !root {
        let why = match userns_refusal() {
            Some(why) => format!("not root, and {why}: instances cannot run on this host"),
            None => "not root and not in a user namespace (`nimbus serve` enters one at \
                     startup): instances cannot run in this process"
                .into(),
        };
        return Support {
            tier: Tier::Unavailable,
            cgroups: false,
            weaker: vec![why],
        };
    }
    if !userns {
        let mut weaker = Vec::new();
        if let Ok(h) = cgroup::Hierarchy::detect() {
            if h.version == cgroup::Version::V2 {
                // Controllers Nimbus's own cgroup does not have, it cannot hand its instances.
                let own = h
                    .parents()
                    .first()
                    .map(|(_, p)| p.join("cgroup.controllers"));
                let have = own
                    .and_then(|p| fs::read_to_string(p).ok())
                    .unwrap_or_default();
                let missing: Vec<&str> = ["cpu", "memory"]
                    .into_iter()
                    .filter(|c| !have.split_whitespace().any(|h| h == *c))
                    .collect();
                if !missing.is_empty() {
                    weaker.push(format!(
                        "the cgroup v2 controller(s) {} are not available to Nimbus's cgroup: \
                         instances' CPU and memory limits are not enforced",
                        missing.join(", ")
                    ));
                }
            }
        }
        return Support {
            tier: Tier::Full,
            cgroups: cgroup::version().is_ok(),
            weaker,
        };
    }
    let mut weaker = Vec::new();
    // Unmapped files are not root's inside: a host that keeps /dev/null 0600 leaves the
    // ordinary user (and every instance it runs) without one.
    if fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")
        .is_err()
    {
        weaker.push(
            "this host's /dev/null cannot be opened by an ordinary user (mode 0600): \
             instances cannot run without one"
                .into(),
        );
        return Support {
            tier: Tier::Unavailable,
            cgroups: false,
            weaker,
        };
    }
    let (major, minor) = kernel_version();
    if (major, minor) < (5, 11) {
        weaker.push(format!(
            "kernel {major}.{minor} cannot mount overlayfs in a user namespace (5.11 or later \
             can): instances cannot boot"
        ));
        return Support {
            tier: Tier::Unavailable,
            cgroups: false,
            weaker,
        };
    }
    weaker.push(
        "one uid is mapped (you, as root inside): guest users other than root cannot own \
         files, so SSH logins as the default user and packages' own users do not work"
            .into(),
    );
    weaker.push(
        "the host's system files stay the host's: directories under /usr and /etc are \
         writable to two levels (a skeleton layer), host-owned files cannot be changed in place"
            .into(),
    );
    let unprivileged_ports = fs::read_to_string("/proc/sys/net/ipv4/ip_unprivileged_port_start")
        .ok()
        .and_then(|s| s.trim().parse::<u32>().ok())
        .unwrap_or(1024);
    if unprivileged_ports > 0 {
        weaker.push(format!(
            "public IPs forward only ports from {unprivileged_ports} up \
             (net.ipv4.ip_unprivileged_port_start): the host's network is not the user's"
        ));
    }
    let cgroups = can_create_cgroups();
    if !cgroups {
        weaker.push(
            "no cgroup is delegated to this user: CPU and memory limits are not enforced, \
             CPU and memory are summed from /proc"
                .into(),
        );
    }
    Support {
        tier: Tier::UserNamespace,
        cgroups,
        weaker,
    }
}

/// Makes `cmd`'s child start in a new user namespace (with a mount namespace it owns), this
/// process's user mapped to root inside: for a multithreaded parent that cannot enter one
/// itself (the runtime's tests).
pub fn user_namespace_before_exec(cmd: &mut std::process::Command) {
    let (uid, gid) = crate::sys::getuid_gid();
    crate::sys::userns_before_exec(cmd, uid, gid);
}

/// Checks that this process can build sandboxes: root (or root in a user namespace of its
/// own, the weaker tier: [`tier::detect`]), namespaces, cgroups, overlayfs, `ip`.
pub fn check_support() -> std::result::Result<(), String> {
    let support = current();
    match support.tier {
        Tier::Unavailable => return Err(support.weaker.join("; ")),
        Tier::Full => {
            cgroup::version().map_err(|e| e.to_string())?;
        }
        Tier::UserNamespace => {}
    }
    let fss = fs::read_to_string("/proc/filesystems").unwrap_or_default();
    if !fss.contains("overlay") {
        return Err("the kernel has no overlayfs".into());
    }
    if !Path::new("/proc/self/ns/net").exists() || !Path::new("/proc/self/ns/pid").exists() {
        return Err("the kernel has no network or PID namespaces".into());
    }
    let ip = Command::new("ip")
        .arg("-V")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    match ip {
        Ok(s) if s.success() => {}
        Ok(s) => return Err(format!("iproute2's `ip -V` failed ({s})")),
        Err(e) => return Err(format!("iproute2's `ip` cannot be run: {e}")),
    }
    Ok(())
}
