//! Helpers shared by the runtime's integration tests: a runtime over a temporary data
//! directory (or a clear skip where this host cannot give the sandbox), instance specs, and
//! polling helpers (readiness is polled, never slept for).
#![allow(dead_code)]

use nimbus_runtime::{InstanceSpec, Ipv4Net, NetworkSpec, Personality, Runtime, RuntimeConfig};
use std::io::{Read, Write};
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

pub const SEED_USER_DATA: &str = "#!bin/bash\n# for user-data to install and launch httpd (Linux 2 version)\nyum update -y\nyum install -y httpd\nsystemctl start httpd\nsystemctl enable httpd\necho \"<h1>Hello World from $(hostname -f)</h1>\" > /var/www/html/index.html\n";

pub struct Env {
    pub rt: Runtime,
    pub dir: tempfile::TempDir,
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = self.rt.shutdown();
        let _ = self.rt.cleanup_orphans();
    }
}

/// A runtime over a fresh data directory, or None (with the reason printed) where the host
/// cannot give the sandbox.
pub fn env() -> Option<Env> {
    if let Err(why) = nimbus_runtime::check_support() {
        eprintln!("SKIPPED: the sandbox is unavailable here: {why}");
        return None;
    }
    let dir = tempfile::Builder::new()
        .prefix("nimbus-rt-test")
        .tempdir_in("/tmp")
        .expect("tempdir");
    let rt = Runtime::new(RuntimeConfig {
        data_dir: dir.path().to_path_buf(),
        guest_binary: env!("CARGO_BIN_EXE_nimbus-guest").into(),
    })
    .expect("runtime");
    Some(Env { rt, dir })
}

pub fn spec(id: &str, ip: [u8; 4], user_data: Option<&str>) -> InstanceSpec {
    InstanceSpec {
        id: id.into(),
        hostname: format!("ip-{}-{}-{}-{}.ec2.internal", ip[0], ip[1], ip[2], ip[3]),
        personality: Personality::Amzn2,
        vcpus: 1,
        memory_mib: 512,
        user_data: user_data.map(|s| s.as_bytes().to_vec()),
        image: None,
        network: NetworkSpec {
            vpc_id: "vpc-0test".into(),
            vpc_cidr: Ipv4Net::parse("10.0.0.0/16").unwrap(),
            private_ip: Ipv4Addr::from(ip),
            subnet_prefix: 24,
            mac: format!(
                "02:00:{:02x}:{:02x}:{:02x}:{:02x}",
                ip[0], ip[1], ip[2], ip[3]
            ),
        },
    }
}

/// GET `path` from the instance's port 80 through the runtime; (status line, body).
pub fn http_get(rt: &Runtime, id: &str, path: &str) -> std::io::Result<(String, String)> {
    let mut s = rt.connect(id, 80).map_err(std::io::Error::other)?;
    s.set_read_timeout(Some(Duration::from_secs(3)))?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: test\r\nUser-Agent: nimbus-test\r\nConnection: close\r\n\r\n"
    )?;
    let mut out = String::new();
    s.read_to_string(&mut out)?;
    let (head, body) = out.split_once("\r\n\r\n").unwrap_or((&out, ""));
    Ok((
        head.lines().next().unwrap_or("").to_string(),
        body.to_string(),
    ))
}

/// Polls `f` every 5 ms until it returns Some or `limit` passes.
pub fn wait_for<T>(limit: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if start.elapsed() > limit {
            return None;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Waits until the instance's user data has finished (cloud-init's boot-finished marker).
pub fn wait_user_data(e: &Env, id: &str, limit: Duration) -> bool {
    let marker =
        e.rt.root_volume(id)
            .join("var/lib/cloud/instance/boot-finished");
    wait_for(limit, || marker.exists().then_some(())).is_some()
}

/// What a sandbox leaves on the host, counted from the outside. Only this runtime's things
/// are counted (its cgroups, its data directory), so tests running in parallel do not disturb
/// the count.
#[derive(Debug, PartialEq, Eq, Clone)]
pub struct Footprint {
    /// Processes in this runtime's cgroups or started with its data directory on their
    /// command line.
    pub processes: usize,
    /// Mount points under the data directory (namespace bind mounts).
    pub mounts: usize,
    /// This runtime's cgroups.
    pub cgroups: usize,
    /// veth devices in the host's namespace.
    pub host_veths: usize,
}

fn pids() -> Vec<u32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|p| p.file_name().to_str()?.parse().ok())
        .collect()
}

pub fn footprint(e: &Env) -> Footprint {
    let prefix = e.rt.cgroup_prefix();
    let data = e.dir.path().to_string_lossy().into_owned();
    let processes = pids()
        .into_iter()
        .filter(|p| {
            let cg = std::fs::read_to_string(format!("/proc/{p}/cgroup")).unwrap_or_default();
            let cmd = std::fs::read_to_string(format!("/proc/{p}/cmdline")).unwrap_or_default();
            cg.contains(&prefix) || cmd.contains(&data)
        })
        .count();
    let veths = std::process::Command::new("ip")
        .args(["-o", "link", "show", "type", "veth"])
        .output()
        .unwrap();
    Footprint {
        processes,
        mounts: nimbus_runtime::mounts_under(e.dir.path()).len(),
        cgroups: nimbus_runtime::cgroup::list(&prefix).len(),
        host_veths: String::from_utf8_lossy(&veths.stdout).lines().count(),
    }
}

/// The namespaces (net, pid, mnt, uts, ipc) an instance's processes are in, and its VPC's
/// network namespace.
pub fn instance_namespaces(e: &Env, id: &str) -> std::collections::BTreeSet<String> {
    use std::os::unix::fs::MetadataExt;
    let mut out = std::collections::BTreeSet::new();
    let cg =
        nimbus_runtime::cgroup::Cgroup::open(&format!("{}{id}", e.rt.cgroup_prefix())).unwrap();
    let me: std::collections::BTreeSet<String> = ["net", "pid", "mnt", "uts", "ipc"]
        .iter()
        .filter_map(|ns| std::fs::read_link(format!("/proc/self/ns/{ns}")).ok())
        .map(|l| l.to_string_lossy().into_owned())
        .collect();
    for p in cg.pids() {
        for ns in ["net", "pid", "mnt", "uts", "ipc"] {
            if let Ok(l) = std::fs::read_link(format!("/proc/{p}/ns/{ns}")) {
                let l = l.to_string_lossy().into_owned();
                if !me.contains(&l) {
                    out.insert(l);
                }
            }
        }
    }
    for vpc in std::fs::read_dir(e.rt.root().join("vpcs"))
        .unwrap()
        .flatten()
    {
        if let Ok(m) = std::fs::metadata(vpc.path().join("netns")) {
            out.insert(format!("net:[{}]", m.ino()));
        }
    }
    out
}

/// Who holds each namespace: processes that are ours (in this runtime's cgroups, naming its
/// data directory, or zombies — an unreaped sandbox process), and nsfs mounts under the data
/// directory. Namespace inodes are reused at once, so a namespace held only by some other
/// live process (a test running in parallel) is not ours.
pub fn held_namespaces(e: &Env) -> std::collections::BTreeMap<String, String> {
    let prefix = e.rt.cgroup_prefix();
    let data = e.dir.path().to_string_lossy().into_owned();
    let mut out = std::collections::BTreeMap::new();
    for p in pids() {
        let cg = std::fs::read_to_string(format!("/proc/{p}/cgroup")).unwrap_or_default();
        let cmd = std::fs::read_to_string(format!("/proc/{p}/cmdline")).unwrap_or_default();
        let stat = std::fs::read_to_string(format!("/proc/{p}/stat")).unwrap_or_default();
        let zombie = stat
            .rsplit(')')
            .next()
            .is_some_and(|r| r.trim_start().starts_with('Z'));
        if !(cg.contains(&prefix) || cmd.contains(&data) || zombie) {
            continue;
        }
        for ns in ["net", "pid", "mnt", "uts", "ipc"] {
            if let Ok(l) = std::fs::read_link(format!("/proc/{p}/ns/{ns}")) {
                out.insert(
                    l.to_string_lossy().into_owned(),
                    format!("process {p} ({})", cmd.replace('\0', " ")),
                );
            }
        }
    }
    for l in std::fs::read_to_string("/proc/self/mountinfo")
        .unwrap()
        .lines()
    {
        let f: Vec<&str> = l.split(' ').collect();
        if l.contains(" - nsfs ") && f.get(4).is_some_and(|m| m.starts_with(&data)) {
            out.insert(f[3].to_string(), format!("mount {}", f[4]));
        }
    }
    out
}

/// Asserts nothing of the sandbox is left: no process, mount, cgroup or host veth, and none
/// of the namespaces `ns` (taken while it ran) still held by one of ours.
pub fn assert_clean(
    e: &Env,
    before: &Footprint,
    after: &Footprint,
    ns: &std::collections::BTreeSet<String>,
) {
    assert_eq!(after.processes, 0, "processes left: {after:?}");
    assert_eq!(after.mounts, 0, "mounts left under the data directory");
    assert_eq!(after.cgroups, 0, "cgroups left");
    assert_eq!(
        after.host_veths, before.host_veths,
        "veths appeared in the host namespace"
    );
    assert!(
        ns.len() >= 6,
        "expected the instance's five namespaces and the VPC's: {ns:?}"
    );
    let held = held_namespaces(e);
    let left: Vec<(&String, &String)> = held.iter().filter(|(k, _)| ns.contains(*k)).collect();
    assert!(left.is_empty(), "namespaces left: {left:?}");
}

/// The instance's console and its processes (comm, state, wait channel): for failure messages.
pub fn diag(e: &Env, id: &str) -> String {
    let mut out = format!(
        "console:\n{}\nprocesses:\n",
        e.rt.console_output(id).unwrap_or_default()
    );
    for name in nimbus_runtime::cgroup::list(&e.rt.cgroup_prefix()) {
        if !name.ends_with(id) {
            continue;
        }
        if let Ok(cg) = nimbus_runtime::cgroup::Cgroup::open(&name) {
            for p in cg.pids() {
                let comm = std::fs::read_to_string(format!("/proc/{p}/comm")).unwrap_or_default();
                let wchan = std::fs::read_to_string(format!("/proc/{p}/wchan")).unwrap_or_default();
                let cmd = std::fs::read_to_string(format!("/proc/{p}/cmdline"))
                    .unwrap_or_default()
                    .replace('\0', " ");
                out.push_str(&format!("  {p} {} [{wchan}] {cmd}\n", comm.trim()));
            }
        }
    }
    out
}

/// The environment variable naming the stage of a test re-run as an ordinary user.
pub const ROOTLESS_STAGE: &str = "NIMBUS_ROOTLESS_STAGE";
/// The directory (owned by uid 65534) such a re-run works in.
pub const ROOTLESS_DIR: &str = "NIMBUS_ROOTLESS_DIR";
pub const NOBODY: u32 = 65534;

/// Why the test cannot re-run itself as an ordinary user here, if it cannot.
pub fn ordinary_user_refusal() -> Option<String> {
    use nimbus_runtime::{tier, Tier};
    if nimbus_runtime::check_support().is_err() || tier::detect().tier != Tier::Full {
        return Some("the test becomes an ordinary user with setpriv, which needs root".into());
    }
    if let Some(why) = tier::userns_refusal() {
        return Some(why);
    }
    if std::process::Command::new("setpriv")
        .arg("--version")
        .output()
        .is_err()
    {
        return Some("util-linux's setpriv is not installed".into());
    }
    let exe = std::env::current_exe().unwrap();
    for bin in [
        exe.as_path(),
        std::path::Path::new(env!("CARGO_BIN_EXE_nimbus-guest")),
    ] {
        if !others_may_run(bin) {
            return Some(format!(
                "{} is not reachable by other users (a directory above it is not o+x)",
                bin.display()
            ));
        }
    }
    None
}

/// Whether a user other than the owner may run `bin`: every directory above it searchable
/// and the file readable and executable by others.
fn others_may_run(bin: &std::path::Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::metadata(p).map_or(0, |m| m.permissions().mode());
    mode(bin) & 0o005 == 0o005 && bin.ancestors().skip(1).all(|d| mode(d) & 0o001 != 0)
}

/// Re-runs test `name` of this test binary as uid 65534 (util-linux's `setpriv`; the host's
/// user database is untouched) with `ROOTLESS_STAGE=unprivileged` and `ROOTLESS_DIR=dir`
/// (which must be owned by 65534), and the PATH an ordinary user has (root's starts in
/// /root, which 65534 may not search). A host that keeps /dev/null 0600 (this CI machine
/// does) gives an ordinary user none: the child gets a 0666 null node of its own, bound over
/// /dev/null in a private mount namespace (the host's stays as it is).
pub fn run_as_ordinary_user(name: &str, dir: &std::path::Path) -> std::process::Output {
    use std::os::unix::fs::MetadataExt;
    let devnull = std::fs::metadata("/dev/null").unwrap().mode() & 0o666 != 0o666;
    let mut cmd = std::process::Command::new("unshare");
    cmd.args(["--mount", "--propagation", "private", "--", "sh", "-ec"]);
    cmd.arg(
        r#"if [ "$FIX_DEVNULL" = 1 ]; then
             mkdir "$NIMBUS_ROOTLESS_DIR/dev"
             mount -t tmpfs -o size=4k,mode=755 tmpfs "$NIMBUS_ROOTLESS_DIR/dev"
             mknod -m 666 "$NIMBUS_ROOTLESS_DIR/dev/null" c 1 3
             mount --bind "$NIMBUS_ROOTLESS_DIR/dev/null" /dev/null
           fi
           exec setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@""#,
    )
    .arg("sh")
    .env("FIX_DEVNULL", if devnull { "1" } else { "0" })
    .arg(std::env::current_exe().unwrap())
    .args([
        "--exact",
        name,
        "--nocapture",
        "--test-threads=1",
        "--include-ignored",
    ])
    .env(ROOTLESS_STAGE, "unprivileged")
    .env(ROOTLESS_DIR, dir)
    .current_dir("/")
    .env(
        "PATH",
        "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    );
    cmd.output().unwrap()
}

/// From the unprivileged stage: re-runs test `name` once more in a user namespace of its own
/// (`ROOTLESS_STAGE=userns`), the mapping `nimbus serve` makes at startup.
pub fn rerun_in_user_namespace(name: &str) -> std::process::ExitStatus {
    let mut cmd = std::process::Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "--exact",
        name,
        "--nocapture",
        "--test-threads=1",
        "--include-ignored",
    ])
    .env(ROOTLESS_STAGE, "userns");
    nimbus_runtime::tier::user_namespace_before_exec(&mut cmd);
    cmd.status().unwrap()
}
