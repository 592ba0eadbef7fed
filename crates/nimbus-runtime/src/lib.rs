//! The Nimbus instance runtime: instances that really run, as sandboxes on this host. It owns
//! the host side — root volumes under the data directory, one cgroup per instance, one network
//! namespace per VPC with a bridge and one per instance joined to it, the sandbox's launch and
//! teardown, connections into instances and the loopback forwarder — and, in [`guest`], the
//! side that runs inside (init, cloud-init, yum, systemctl, httpd, stress ...), shipped in the
//! same binary. It knows nothing of the AWS wire: the EC2 service says what should run through
//! a trait it owns, and the binary adapts [`Runtime`] to it.
//!
//! Layout under `<data_dir>/runtime/`: `layers/<personality>/` (read-only personality layers),
//! `instances/<id>/volume/` (the root volume: `rootfs/` and overlay `layers/`),
//! `instances/<id>/{boot.json,console.log,netns}`, `vpcs/<vpc>/netns`. Cgroups are named
//! `nimbus-<tag>-<id>` where the tag is derived from the data directory, so
//! [`Runtime::cleanup_orphans`] finds a crashed run's leftovers and nothing else.

pub mod boot;
pub mod cgroup;
pub mod forward;
pub mod guest;
pub mod imds;
pub mod netns;
pub mod personality;
pub(crate) mod sys;

pub use forward::Exposure;
pub use imds::{InstanceMetadata, MetadataSource};
pub use netns::Ipv4Net;
pub use personality::Personality;

use boot::{BootConfig, SystemDir};
use cgroup::Cgroup;
use std::collections::HashMap;
use std::fs;
use std::io::{self, Read};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::Duration;

/// What goes wrong, by kind.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// This host cannot give the sandbox (not root, no namespaces, no cgroups).
    #[error("sandbox unavailable: {0}")]
    Unsupported(String),
    #[error("no such instance: {0}")]
    NotFound(String),
    #[error("instance {id} is {state}, cannot {action}")]
    InvalidState {
        id: String,
        state: &'static str,
        action: &'static str,
    },
    #[error("invalid instance spec: {0}")]
    InvalidSpec(String),
    #[error("instance {id} failed to boot: {reason}")]
    Boot { id: String, reason: String },
    #[error("{context}: {source}")]
    Io { context: String, source: io::Error },
}

type Result<T> = std::result::Result<T, RuntimeError>;

fn ctx<T>(r: io::Result<T>, context: impl FnOnce() -> String) -> Result<T> {
    r.map_err(|source| RuntimeError::Io {
        context: context(),
        source,
    })
}

/// Where an instance sits on the network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkSpec {
    pub vpc_id: String,
    pub vpc_cidr: Ipv4Net,
    pub private_ip: Ipv4Addr,
    /// The subnet's prefix length (the address is configured as `ip/prefix`).
    pub subnet_prefix: u8,
    pub mac: String,
}

/// What should run.
#[derive(Debug, Clone)]
pub struct InstanceSpec {
    pub id: String,
    /// The private DNS name (`ip-10-0-1-23.ec2.internal`): the hostname inside.
    pub hostname: String,
    pub personality: Personality,
    pub vcpus: u32,
    pub memory_mib: u64,
    /// Decoded user data (the API's base64 is the caller's business).
    pub user_data: Option<Vec<u8>>,
    pub network: NetworkSpec,
}

/// Measured use of an instance's resources: CPU and memory from its cgroup, network from its
/// `eth0` counters (seen from the instance, so "rx" is CloudWatch's NetworkIn).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stats {
    pub cpu_ns: u64,
    pub memory_bytes: u64,
    pub net_rx_bytes: u64,
    pub net_tx_bytes: u64,
    pub net_rx_packets: u64,
    pub net_tx_packets: u64,
}

/// eth0's counters from a /proc/<pid>/net/dev of a process in the instance's namespace.
fn eth0_counters(pid: u32) -> Option<(u64, u64, u64, u64)> {
    let text = fs::read_to_string(format!("/proc/{pid}/net/dev")).ok()?;
    let line = text.lines().find(|l| l.trim_start().starts_with("eth0:"))?;
    let f: Vec<u64> = line
        .split_once(':')?
        .1
        .split_whitespace()
        .filter_map(|x| x.parse().ok())
        .collect();
    // rx: bytes packets errs drop fifo frame compressed multicast | tx: bytes packets ...
    Some((*f.first()?, *f.get(8)?, *f.get(1)?, *f.get(9)?))
}

/// What the runtime sees of an instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstanceState {
    Running,
    /// Stopped by [`Runtime::stop`] (or never started since the runtime came up).
    Stopped,
    /// The sandbox's init exited by itself (exit code).
    Exited(i32),
}

#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    /// Nimbus's data directory; the runtime uses `<data_dir>/runtime/`.
    pub data_dir: PathBuf,
    /// The multi-call binary holding the guest side (the `nimbus` binary itself).
    pub guest_binary: PathBuf,
}

/// The runtime: one per Nimbus process and data directory. Cheap to clone.
#[derive(Clone)]
pub struct Runtime {
    inner: Arc<Inner>,
}

struct Inner {
    root: PathBuf,
    guest_binary: PathBuf,
    tag: String,
    state: Mutex<State>,
    metadata: RwLock<Option<Arc<dyn MetadataSource>>>,
}

#[derive(Default)]
struct State {
    instances: HashMap<String, Inst>,
    vpcs: HashMap<String, Vpc>,
}

struct Inst {
    spec: InstanceSpec,
    running: Option<Running>,
    exited: Option<i32>,
    /// Ports the forwarder lets through (`None`: all). The security-group hook.
    ingress: Arc<RwLock<Option<Vec<u16>>>>,
}

struct Running {
    stage1: Child,
    cgroup: Cgroup,
}

struct Vpc {
    ns: PathBuf,
    imds: Option<imds::Server>,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("root", &self.inner.root)
            .field("tag", &self.inner.tag)
            .finish()
    }
}

/// Checks that this process can build sandboxes: root, namespaces, cgroups, overlayfs, `ip`.
pub fn check_support() -> std::result::Result<(), String> {
    if sys::geteuid() != 0 {
        return Err("not running as root (namespaces, mounts and cgroups need it)".into());
    }
    cgroup::version().map_err(|e| e.to_string())?;
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
    if !ip.map(|s| s.success()).unwrap_or(false) {
        return Err("iproute2's `ip` is not installed".into());
    }
    Ok(())
}

fn fnv(s: &str) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

impl Runtime {
    /// Opens the runtime over `cfg.data_dir`. Fails with `Unsupported` where the host cannot
    /// give the sandbox.
    pub fn new(cfg: RuntimeConfig) -> Result<Runtime> {
        check_support().map_err(RuntimeError::Unsupported)?;
        ctx(fs::create_dir_all(&cfg.data_dir), || {
            format!("creating {}", cfg.data_dir.display())
        })?;
        let data = ctx(fs::canonicalize(&cfg.data_dir), || {
            "resolving the data directory".into()
        })?;
        for sys_dir in boot::SYSTEM_DIRS {
            if data.starts_with(Path::new("/").join(sys_dir)) {
                return Err(RuntimeError::Unsupported(format!(
                    "the data directory {} lies inside /{sys_dir}, which instances see",
                    data.display()
                )));
            }
        }
        let s = data.to_string_lossy();
        if s.contains(',') || s.contains(':') || s.contains(' ') {
            return Err(RuntimeError::Unsupported(
                "the data directory's path may not hold ',', ':' or spaces (overlayfs options)"
                    .into(),
            ));
        }
        let root = data.join("runtime");
        for d in ["instances", "vpcs", "layers"] {
            ctx(fs::create_dir_all(root.join(d)), || {
                format!("creating {}", root.join(d).display())
            })?;
        }
        let tag = format!("{:08x}", fnv(&s) as u32);
        let guest_binary = ctx(fs::canonicalize(&cfg.guest_binary), || {
            format!("guest binary {}", cfg.guest_binary.display())
        })?;
        Ok(Runtime {
            inner: Arc::new(Inner {
                root,
                guest_binary,
                tag,
                state: Mutex::new(State::default()),
                metadata: RwLock::new(None),
            }),
        })
    }

    fn cgroup_name(&self, id: &str) -> String {
        format!("nimbus-{}-{id}", self.inner.tag)
    }

    /// Where the metadata service gets each instance's tree (the EC2 side). Without one,
    /// IMDS serves what the instance spec says (ids, addresses, MAC, user data).
    pub fn set_metadata_source(&self, source: Arc<dyn MetadataSource>) {
        *self.inner.metadata.write().expect("metadata lock") = Some(source);
    }

    /// The prefix of this runtime's cgroup names.
    pub fn cgroup_prefix(&self) -> String {
        format!("nimbus-{}-", self.inner.tag)
    }

    /// The runtime's directory (`<data_dir>/runtime`).
    pub fn root(&self) -> &Path {
        &self.inner.root
    }

    fn inst_dir(&self, id: &str) -> PathBuf {
        self.inner.root.join("instances").join(id)
    }

    /// The root volume's plain tree of an instance (what `/` holds outside /usr and /etc).
    pub fn root_volume(&self, id: &str) -> PathBuf {
        self.inst_dir(id).join("volume").join("rootfs")
    }

    /// Boots `spec`. A new instance gets a fresh root volume and runs its user data once; an
    /// instance whose volume exists (a restart of Nimbus) boots it again without user data.
    pub fn launch(&self, spec: InstanceSpec) -> Result<()> {
        if !valid_id(&spec.id) {
            return Err(RuntimeError::InvalidSpec(format!(
                "instance id {:?}",
                spec.id
            )));
        }
        if spec.vcpus == 0 || spec.memory_mib < 16 {
            return Err(RuntimeError::InvalidSpec(
                "vcpus must be ≥ 1 and memory ≥ 16 MiB".into(),
            ));
        }
        if !valid_id(&spec.network.vpc_id) {
            return Err(RuntimeError::InvalidSpec(format!(
                "vpc id {:?}",
                spec.network.vpc_id
            )));
        }
        if !spec
            .hostname
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
            || spec.hostname.is_empty()
        {
            return Err(RuntimeError::InvalidSpec(format!(
                "hostname {:?}",
                spec.hostname
            )));
        }
        let mut st = self.inner.state.lock().expect("runtime lock");
        if let Some(i) = st.instances.get(&spec.id) {
            if i.running.is_some() {
                return Err(RuntimeError::InvalidState {
                    id: spec.id.clone(),
                    state: "running",
                    action: "launch",
                });
            }
        }
        self.prepare_volume(&spec)?;
        let ingress = st
            .instances
            .get(&spec.id)
            .map(|i| i.ingress.clone())
            .unwrap_or_default();
        st.instances.insert(
            spec.id.clone(),
            Inst {
                spec: spec.clone(),
                running: None,
                exited: None,
                ingress,
            },
        );
        self.boot_locked(&mut st, &spec.id)
    }

    /// Boots a stopped instance again (its root volume kept; user data does not run again).
    pub fn start(&self, id: &str) -> Result<()> {
        let mut st = self.inner.state.lock().expect("runtime lock");
        let inst = st
            .instances
            .get_mut(id)
            .ok_or_else(|| RuntimeError::NotFound(id.into()))?;
        if inst.running.is_some() {
            return Err(RuntimeError::InvalidState {
                id: id.into(),
                state: "running",
                action: "start",
            });
        }
        self.boot_locked(&mut st, id)
    }

    /// Reboot: every process is killed and the instance boots again from its root volume
    /// (user data does not run again; enabled services start).
    pub fn reboot(&self, id: &str) -> Result<()> {
        let mut st = self.inner.state.lock().expect("runtime lock");
        if !st.instances.contains_key(id) {
            return Err(RuntimeError::NotFound(id.into()));
        }
        self.halt_locked(&mut st, id)?;
        self.boot_locked(&mut st, id)
    }

    /// Kills every process of the instance and tears its network down; the root volume stays.
    pub fn stop(&self, id: &str) -> Result<()> {
        let mut st = self.inner.state.lock().expect("runtime lock");
        if !st.instances.contains_key(id) {
            return Err(RuntimeError::NotFound(id.into()));
        }
        self.halt_locked(&mut st, id)
    }

    /// Stops the instance and removes everything of it, the root volume included. Idempotent
    /// for an instance this runtime knows; also clears a leftover directory of an unknown one.
    pub fn terminate(&self, id: &str) -> Result<()> {
        if !valid_id(id) {
            return Err(RuntimeError::NotFound(id.into()));
        }
        let mut st = self.inner.state.lock().expect("runtime lock");
        if st.instances.contains_key(id) {
            self.halt_locked(&mut st, id)?;
            st.instances.remove(id);
        } else {
            ctx(
                Cgroup::open(&self.cgroup_name(id)).and_then(|c| c.destroy()),
                || format!("removing the cgroup of {id}"),
            )?;
            let _ = netns::destroy(&self.inst_dir(id).join("netns"));
        }
        let dir = self.inst_dir(id);
        match fs::remove_dir_all(&dir) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(RuntimeError::Io {
                context: format!("removing {}", dir.display()),
                source: e,
            }),
        }
    }

    /// What the runtime sees of the instance now (an init that died is noticed here).
    pub fn state(&self, id: &str) -> Option<InstanceState> {
        let mut st = self.inner.state.lock().expect("runtime lock");
        let inst = st.instances.get_mut(id)?;
        if let Some(r) = inst.running.as_mut() {
            if let Ok(Some(status)) = r.stage1.try_wait() {
                inst.exited = Some(status.code().unwrap_or(128));
            } else {
                return Some(InstanceState::Running);
            }
        }
        Some(match inst.exited {
            Some(c) if inst.running.is_some() => InstanceState::Exited(c),
            _ => InstanceState::Stopped,
        })
    }

    /// The instance's cgroup accounting.
    pub fn stats(&self, id: &str) -> Result<Stats> {
        let st = self.inner.state.lock().expect("runtime lock");
        let inst = st
            .instances
            .get(id)
            .ok_or_else(|| RuntimeError::NotFound(id.into()))?;
        let r = inst.running.as_ref().ok_or(RuntimeError::InvalidState {
            id: id.into(),
            state: "stopped",
            action: "report stats",
        })?;
        // Stage 1 joined the instance's network namespace before anything else.
        let (net_rx_bytes, net_tx_bytes, net_rx_packets, net_tx_packets) =
            eth0_counters(r.stage1.id()).unwrap_or_default();
        Ok(Stats {
            cpu_ns: r.cgroup.cpu_ns(),
            memory_bytes: r.cgroup.memory_bytes(),
            net_rx_bytes,
            net_tx_bytes,
            net_rx_packets,
            net_tx_packets,
        })
    }

    /// Everything the instance wrote to its console (boot messages, user-data output), across
    /// boots.
    pub fn console_output(&self, id: &str) -> Result<String> {
        let p = self.inst_dir(id).join("console.log");
        match fs::read(&p) {
            Ok(b) => Ok(String::from_utf8_lossy(&b).into_owned()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Err(RuntimeError::NotFound(id.into())),
            Err(e) => Err(RuntimeError::Io {
                context: format!("reading {}", p.display()),
                source: e,
            }),
        }
    }

    /// A TCP connection to the instance's private IP and `port`, opened from the VPC's
    /// namespace (the way Nimbus itself reaches instances).
    pub fn connect(&self, id: &str, port: u16) -> Result<TcpStream> {
        let (ns, ip) = self.route_to(id)?;
        ctx(
            netns::connect_in(&ns, SocketAddr::from((ip, port)), Duration::from_secs(3)),
            || format!("connecting to {id}:{port}"),
        )
    }

    /// The VPC namespace and private IP of a running instance.
    pub fn route_to(&self, id: &str) -> Result<(PathBuf, Ipv4Addr)> {
        let st = self.inner.state.lock().expect("runtime lock");
        let inst = st
            .instances
            .get(id)
            .ok_or_else(|| RuntimeError::NotFound(id.into()))?;
        if inst.running.is_none() {
            return Err(RuntimeError::InvalidState {
                id: id.into(),
                state: "stopped",
                action: "accept connections",
            });
        }
        let vpc = st
            .vpcs
            .get(&inst.spec.network.vpc_id)
            .ok_or_else(|| RuntimeError::NotFound(inst.spec.network.vpc_id.clone()))?;
        Ok((vpc.ns.clone(), inst.spec.network.private_ip))
    }

    /// The security-group hook: which ports the forwarder lets through to the instance
    /// (`None`: every port). Packet filtering inside the VPC comes with security groups.
    pub fn set_allowed_ingress(&self, id: &str, ports: Option<Vec<u16>>) -> Result<()> {
        let st = self.inner.state.lock().expect("runtime lock");
        let inst = st
            .instances
            .get(id)
            .ok_or_else(|| RuntimeError::NotFound(id.into()))?;
        *inst.ingress.write().expect("ingress lock") = ports;
        Ok(())
    }

    fn ingress_of(&self, id: &str) -> Result<Arc<RwLock<Option<Vec<u16>>>>> {
        let st = self.inner.state.lock().expect("runtime lock");
        Ok(st
            .instances
            .get(id)
            .ok_or_else(|| RuntimeError::NotFound(id.into()))?
            .ingress
            .clone())
    }

    /// Listens on `public` (a host loopback address such as 127.88.0.5) at `port` and proxies
    /// each connection to the instance's private IP and the same port, if its allowed-ingress
    /// list lets the port through. Must be called inside a tokio runtime; dropping the
    /// returned [`Exposure`] closes the listener.
    pub async fn expose(&self, id: &str, public: Ipv4Addr, port: u16) -> Result<Exposure> {
        if !public.is_loopback() {
            return Err(RuntimeError::InvalidSpec(format!(
                "{public} is not a loopback address"
            )));
        }
        let ingress = self.ingress_of(id)?;
        forward::expose(
            self.clone(),
            id.to_string(),
            SocketAddr::from((public, port)),
            port,
            ingress,
        )
        .await
        .map_err(|source| RuntimeError::Io {
            context: format!("listening on {public}:{port}"),
            source,
        })
    }

    /// Stops every running instance and removes the VPC namespaces (volumes stay): what
    /// Nimbus does when it shuts down.
    pub fn shutdown(&self) -> Result<()> {
        let mut st = self.inner.state.lock().expect("runtime lock");
        let ids: Vec<String> = st.instances.keys().cloned().collect();
        let mut first_err = None;
        for id in ids {
            if let Err(e) = self.halt_locked(&mut st, &id) {
                first_err.get_or_insert(e);
            }
        }
        first_err.map_or(Ok(()), Err)
    }

    /// Removes what a crashed earlier run left: its cgroups (and the processes in them),
    /// namespace bind mounts under the runtime directory, VPC and instance namespace files.
    /// Root volumes stay (the EC2 side decides about them). Only touches what carries this
    /// runtime's tag or lies under its directory, and instances this runtime is not running.
    pub fn cleanup_orphans(&self) -> Result<usize> {
        let st = self.inner.state.lock().expect("runtime lock");
        let mut removed = 0;
        for name in cgroup::list(&self.cgroup_prefix()) {
            let id = &name[self.cgroup_prefix().len()..];
            if st.instances.get(id).is_some_and(|i| i.running.is_some()) {
                continue;
            }
            ctx(Cgroup::open(&name).and_then(|c| c.destroy()), || {
                format!("removing cgroup {name}")
            })?;
            removed += 1;
        }
        let live: Vec<PathBuf> = st
            .vpcs
            .values()
            .map(|v| v.ns.clone())
            .chain(
                st.instances
                    .values()
                    .filter(|i| i.running.is_some())
                    .map(|i| self.inst_dir(&i.spec.id).join("netns")),
            )
            .collect();
        for m in mounts_under(&self.inner.root) {
            if live.contains(&m) {
                continue;
            }
            ctx(sys::umount(&m, sys::MNT_DETACH), || {
                format!("unmounting {}", m.display())
            })?;
            let _ = fs::remove_file(&m);
            removed += 1;
        }
        Ok(removed)
    }

    // ---- internals -------------------------------------------------------------------

    fn prepare_volume(&self, spec: &InstanceSpec) -> Result<()> {
        let dir = self.inst_dir(&spec.id);
        let vol = dir.join("volume");
        if vol.join(".created").exists() {
            return Ok(());
        }
        let rootfs = vol.join("rootfs");
        let io = || -> io::Result<()> {
            for d in [
                "proc",
                "sys",
                "dev",
                "tmp",
                "run",
                "root",
                "home",
                "mnt",
                "opt",
                "srv",
                "media",
                "var/log",
                "var/tmp",
                "var/lib/cloud/instance/scripts",
                "var/lib/cloud/instance/sem",
                "var/cache",
                "var/spool",
                "var/lib/nimbus",
            ] {
                fs::create_dir_all(rootfs.join(d))?;
            }
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(rootfs.join("root"), fs::Permissions::from_mode(0o550))?;
            fs::set_permissions(rootfs.join("var/tmp"), fs::Permissions::from_mode(0o1777))?;
            let user = spec.personality.default_user();
            let home = rootfs.join("home").join(user);
            fs::create_dir_all(home.join(".ssh"))?;
            std::os::unix::fs::chown(&home, Some(1000), Some(1000))?;
            std::os::unix::fs::chown(home.join(".ssh"), Some(1000), Some(1000))?;
            fs::set_permissions(&home, fs::Permissions::from_mode(0o700))?;
            if let Some(ud) = &spec.user_data {
                fs::write(rootfs.join("var/lib/cloud/instance/user-data.txt"), ud)?;
                fs::set_permissions(
                    rootfs.join("var/lib/cloud/instance/user-data.txt"),
                    fs::Permissions::from_mode(0o600),
                )?;
            }
            for name in boot::SYSTEM_DIRS {
                fs::create_dir_all(vol.join("layers").join(name).join("upper"))?;
                fs::create_dir_all(vol.join("layers").join(name).join("work"))?;
            }
            fs::write(vol.join(".created"), spec.id.as_bytes())
        };
        ctx(io(), || format!("creating the root volume of {}", spec.id))
    }

    fn ensure_vpc(&self, st: &mut State, net: &NetworkSpec) -> Result<PathBuf> {
        if let Some(v) = st.vpcs.get(&net.vpc_id) {
            return Ok(v.ns.clone());
        }
        let dir = self.inner.root.join("vpcs").join(&net.vpc_id);
        ctx(fs::create_dir_all(&dir), || {
            format!("creating {}", dir.display())
        })?;
        let ns = dir.join("netns");
        let _ = netns::destroy(&ns); // a leftover of a crashed run
        ctx(netns::create(&ns), || {
            format!("creating the namespace of {}", net.vpc_id)
        })?;
        if let Err(e) = netns::setup_vpc(&ns, net.vpc_cidr) {
            let _ = netns::destroy(&ns);
            return Err(RuntimeError::Io {
                context: format!("building the network of {}", net.vpc_id),
                source: e,
            });
        }
        let weak: Weak<Inner> = Arc::downgrade(&self.inner);
        let resolver: Arc<imds::Resolver> = Arc::new(move |vpc: &str, ip: Ipv4Addr| {
            let inner = weak.upgrade()?;
            let spec = {
                let st = inner.state.lock().expect("runtime lock");
                st.instances
                    .values()
                    .find(|i| {
                        i.running.is_some()
                            && i.spec.network.vpc_id == vpc
                            && i.spec.network.private_ip == ip
                    })?
                    .spec
                    .clone()
            };
            let source = inner.metadata.read().expect("metadata lock").clone();
            let md = match source {
                Some(s) => s.metadata(&spec.id)?,
                None => imds::from_spec(&spec),
            };
            Some((spec.id, md))
        });
        let server = match imds::Server::start(net.vpc_id.clone(), ns.clone(), resolver) {
            Ok(s) => s,
            Err(e) => {
                let _ = netns::destroy(&ns);
                return Err(RuntimeError::Io {
                    context: format!("starting the metadata service of {}", net.vpc_id),
                    source: e,
                });
            }
        };
        st.vpcs.insert(
            net.vpc_id.clone(),
            Vpc {
                ns: ns.clone(),
                imds: Some(server),
            },
        );
        Ok(ns)
    }

    fn release_vpc_if_unused(&self, st: &mut State, vpc_id: &str) {
        let used = st
            .instances
            .values()
            .any(|i| i.running.is_some() && i.spec.network.vpc_id == vpc_id);
        if !used {
            if let Some(mut v) = st.vpcs.remove(vpc_id) {
                if let Some(server) = v.imds.take() {
                    server.stop();
                }
                let _ = netns::destroy(&v.ns);
                let _ = fs::remove_dir(self.inner.root.join("vpcs").join(vpc_id));
            }
        }
    }

    fn boot_locked(&self, st: &mut State, id: &str) -> Result<()> {
        let t0 = std::time::Instant::now();
        let trace = |what: &str| {
            if std::env::var_os("NIMBUS_RUNTIME_TRACE").is_some() {
                eprintln!(
                    "[runtime] {id}: {what} at {:.2} ms",
                    t0.elapsed().as_secs_f64() * 1e3
                );
            }
        };
        let spec = st.instances[id].spec.clone();
        let layer = self.inner.root.join("layers").join(spec.personality.name());
        ctx(personality::build_layer(&layer, spec.personality), || {
            format!("building the {} layer", spec.personality.name())
        })?;
        let vpc_ns = self.ensure_vpc(st, &spec.network)?;
        trace("vpc ready");
        let dir = self.inst_dir(id);
        let inst_ns = dir.join("netns");
        let veth = netns::host_veth_name(id);
        let undo = |st: &mut State, cg: Option<&Cgroup>| {
            if let Some(cg) = cg {
                let _ = cg.destroy();
            }
            let _ = netns::detach_instance(&vpc_ns, &veth);
            let _ = netns::destroy(&inst_ns);
            self.release_vpc_if_unused(st, &spec.network.vpc_id);
        };
        let _ = netns::detach_instance(&vpc_ns, &veth);
        let _ = netns::destroy(&inst_ns);
        if let Err(e) = netns::create(&inst_ns).and_then(|()| {
            let n = &spec.network;
            netns::attach_instance(
                &vpc_ns,
                &inst_ns,
                &veth,
                n.private_ip,
                n.subnet_prefix,
                n.vpc_cidr,
                &n.mac,
            )
        }) {
            undo(st, None);
            return Err(RuntimeError::Io {
                context: format!("building the network of {id}"),
                source: e,
            });
        }
        trace("instance network ready");
        let cg = match Cgroup::create(
            &self.cgroup_name(id),
            spec.vcpus,
            spec.memory_mib * 1024 * 1024,
        ) {
            Ok(c) => c,
            Err(e) => {
                undo(st, None);
                return Err(RuntimeError::Io {
                    context: format!("creating the cgroup of {id}"),
                    source: e,
                });
            }
        };
        trace("cgroup ready");
        match self.spawn_sandbox(&spec, &dir, &layer, &inst_ns, &cg) {
            Ok(child) => {
                trace("sandbox ready");
                let inst = st.instances.get_mut(id).expect("present");
                inst.running = Some(Running {
                    stage1: child,
                    cgroup: cg,
                });
                inst.exited = None;
                Ok(())
            }
            Err(e) => {
                undo(st, Some(&cg));
                Err(e)
            }
        }
    }

    fn spawn_sandbox(
        &self,
        spec: &InstanceSpec,
        dir: &Path,
        layer: &Path,
        inst_ns: &Path,
        cg: &Cgroup,
    ) -> Result<Child> {
        let system_dirs = boot::SYSTEM_DIRS
            .iter()
            .filter_map(|name| {
                let host = Path::new("/").join(name);
                let meta = fs::symlink_metadata(&host).ok()?;
                if meta.file_type().is_symlink() {
                    let target = fs::read_link(&host).ok()?.to_string_lossy().into_owned();
                    Some(SystemDir::Symlink {
                        name: name.to_string(),
                        target,
                    })
                } else if meta.is_dir() {
                    Some(SystemDir::Overlay {
                        name: name.to_string(),
                    })
                } else {
                    None
                }
            })
            .collect();
        let cfg = BootConfig {
            instance_id: spec.id.clone(),
            hostname: spec.hostname.clone(),
            private_ip: spec.network.private_ip,
            personality: spec.personality,
            rootfs: dir.join("volume/rootfs"),
            layers: dir.join("volume/layers"),
            personality_layer: layer.to_path_buf(),
            system_dirs,
            guest_binary: self.inner.guest_binary.clone(),
            netns: inst_ns.to_path_buf(),
            cgroup_procs: cg.procs_files(),
        };
        let cfg_path = dir.join("boot.json");
        ctx(
            fs::write(
                &cfg_path,
                serde_json::to_vec_pretty(&cfg).expect("serializable"),
            ),
            || format!("writing {}", cfg_path.display()),
        )?;
        let console = ctx(
            fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(dir.join("console.log")),
            || "opening the console log".into(),
        )?;
        let console2 = ctx(console.try_clone(), || "console log".into())?;
        let (mut ready_r, ready_w) = ctx(io::pipe(), || "creating the ready pipe".into())?;
        let mut cmd = Command::new(&self.inner.guest_binary);
        cmd.arg(boot::STAGE1_ARG)
            .arg(&cfg_path)
            .env_clear()
            .env(
                "PATH",
                "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            )
            .current_dir("/")
            .stdin(Stdio::null())
            .stdout(console)
            .stderr(console2);
        sys::pass_fd_before_exec(&mut cmd, ready_w.into(), boot::READY_FD);
        let mut child = ctx(cmd.spawn(), || {
            format!("starting {}", self.inner.guest_binary.display())
        })?;
        drop(cmd); // closes our copy of the pipe's write end (held by the pre_exec closure)
        let mut answer = String::new();
        let _ = ready_r.read_to_string(&mut answer);
        if answer.trim() == "ready" {
            return Ok(child);
        }
        let _ = child.kill();
        let _ = child.wait();
        let reason = if answer.trim().is_empty() {
            "the sandbox exited before it was ready".to_string()
        } else {
            answer.trim().to_string()
        };
        Err(RuntimeError::Boot {
            id: spec.id.clone(),
            reason,
        })
    }

    fn halt_locked(&self, st: &mut State, id: &str) -> Result<()> {
        let inst = st.instances.get_mut(id).expect("caller checked");
        let vpc_id = inst.spec.network.vpc_id.clone();
        if let Some(mut r) = inst.running.take() {
            // Stage 1 reaps PID 1 and exits by itself (kill_all), then we reap stage 1.
            ctx(r.cgroup.kill_all(Duration::from_secs(5)), || {
                format!("killing the processes of {id}")
            })?;
            let _ = r.stage1.kill();
            let _ = r.stage1.wait();
            ctx(r.cgroup.destroy(), || {
                format!("removing the cgroup of {id}")
            })?;
        } else {
            // Nothing of ours can run; still clear a crashed run's cgroup.
            let _ = Cgroup::open(&self.cgroup_name(id)).and_then(|c| c.destroy());
        }
        if let Some(v) = st.vpcs.get(&vpc_id) {
            let ns = v.ns.clone();
            ctx(
                netns::detach_instance(&ns, &netns::host_veth_name(id)),
                || format!("removing the veth of {id}"),
            )?;
        }
        ctx(netns::destroy(&self.inst_dir(id).join("netns")), || {
            format!("removing the namespace of {id}")
        })?;
        self.release_vpc_if_unused(st, &vpc_id);
        Ok(())
    }
}

/// Mount points at or under `dir` in this process's mount namespace.
pub fn mounts_under(dir: &Path) -> Vec<PathBuf> {
    let text = fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    text.lines()
        .filter_map(|l| l.split(' ').nth(4))
        .map(|p| PathBuf::from(p.replace("\\040", " ")))
        .filter(|p| p.starts_with(dir))
        .collect()
}
