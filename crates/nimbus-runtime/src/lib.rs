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

pub mod accounting;
pub mod boot;
pub mod cgroup;
pub mod firewall;
pub mod forward;
pub mod guest;
pub mod imds;
mod launch;
pub mod netns;
pub mod personality;
mod skeleton;
pub(crate) mod sys;
pub mod tier;

pub use firewall::{SecurityRules, SgRule, Traffic};
pub use forward::Exposure;
pub use imds::{InstanceMetadata, MetadataSource};
pub use netns::Ipv4Net;
pub use personality::Personality;
pub use tier::{check_support, Support, Tier};

use accounting::Accounting;
use cgroup::Cgroup;
use std::collections::HashMap;
use std::fs;
use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, RwLock};
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

/// One allowed-ingress rule (a security group's TCP ingress permission): ports
/// `from_port..=to_port` from addresses in `source`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IngressRule {
    pub from_port: u16,
    pub to_port: u16,
    pub source: Ipv4Net,
}

impl IngressRule {
    /// Whether a connection from `peer` to `port` matches.
    pub fn allows(&self, peer: Ipv4Addr, port: u16) -> bool {
        (self.from_port..=self.to_port).contains(&port)
            && Ipv4Net {
                addr: peer,
                prefix: self.source.prefix,
            }
            .network()
                == self.source.network()
    }
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
    /// A captured root volume ([`Runtime::capture_image`]) the new instance's volume starts
    /// from (an AMI made from an instance); None: a fresh volume over the personality.
    pub image: Option<PathBuf>,
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

/// PID 1's exit code when the guest powered itself off (`shutdown -h now`, `poweroff`).
pub const EXIT_POWEROFF: i32 = 0;
/// PID 1's exit code when the guest asked to reboot (`reboot`, `shutdown -r now`).
pub const EXIT_REBOOT: i32 = 100;

/// What the runtime sees of an instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum InstanceState {
    /// Being booted.
    Pending,
    Running,
    /// Stopped by [`Runtime::stop`] (or never started since the runtime came up).
    Stopped,
    /// The guest shut itself down (`shutdown -h now`): EC2's InstanceInitiatedShutdownBehavior
    /// decides between `stop` and `terminate`.
    PoweredOff,
    /// The guest asked for a reboot: the host answers with [`Runtime::reboot`].
    RebootRequested,
    /// The sandbox's init died (exit code): the instance is impaired.
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
    support: Support,
    state: Mutex<State>,
    metadata: RwLock<Option<Arc<dyn MetadataSource>>>,
}

#[derive(Default)]
struct State {
    instances: HashMap<String, Inst>,
    vpcs: HashMap<String, Vpc>,
    /// Security rules set for instances not launched yet: the next `launch` of the id
    /// takes them, so its first boot is filtered (`firewall`).
    firewall_presets: HashMap<String, SecurityRules>,
}

struct Inst {
    spec: InstanceSpec,
    running: Option<Running>,
    /// Being booted by a thread that released the lock meanwhile.
    booting: bool,
    exited: Option<i32>,
    /// Ports the forwarder lets through (`None`: all). The security-group hook.
    ingress: Arc<RwLock<Option<Vec<IngressRule>>>>,
    /// The packet filter in the instance's namespace (`None`: none). Held while applied, so
    /// the last one applied is the last one set.
    firewall: Arc<Mutex<Option<SecurityRules>>>,
}

struct Running {
    stage1: Child,
    /// The instance's cgroup, or its process tree where no cgroup can be made.
    cgroup: Arc<dyn Accounting>,
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
                support: tier::current().clone(),
                state: Mutex::new(State::default()),
                metadata: RwLock::new(None),
            }),
        })
    }

    /// The sandbox tier this runtime gives and what is weaker than the full one.
    pub fn support(&self) -> &Support {
        &self.inner.support
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
        let n = &spec.network;
        let in_vpc = Ipv4Net {
            addr: n.private_ip,
            prefix: n.vpc_cidr.prefix,
        }
        .network()
            == n.vpc_cidr.network();
        if !in_vpc || n.subnet_prefix < n.vpc_cidr.prefix || n.subnet_prefix > 30 {
            return Err(RuntimeError::InvalidSpec(format!(
                "{}/{} is not inside the VPC's {}",
                n.private_ip, n.subnet_prefix, n.vpc_cidr
            )));
        }
        let mac_ok = n.mac.split(':').count() == 6
            && n.mac
                .split(':')
                .all(|b| b.len() == 2 && b.bytes().all(|c| c.is_ascii_hexdigit()));
        if !mac_ok {
            return Err(RuntimeError::InvalidSpec(format!(
                "MAC address {:?}",
                n.mac
            )));
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
            if i.booting {
                return Err(RuntimeError::InvalidState {
                    id: spec.id.clone(),
                    state: "pending",
                    action: "launch",
                });
            }
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
        let preset = st.firewall_presets.remove(&spec.id);
        let firewall = match st.instances.get(&spec.id) {
            Some(i) => i.firewall.clone(),
            None => Arc::new(Mutex::new(preset)),
        };
        st.instances.insert(
            spec.id.clone(),
            Inst {
                spec: spec.clone(),
                running: None,
                booting: false,
                exited: None,
                ingress,
                firewall,
            },
        );
        self.boot(st, &spec.id)
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
        self.boot(st, id)
    }

    /// Reboot: every process is killed and the instance boots again from its root volume
    /// (user data does not run again; enabled services start).
    pub fn reboot(&self, id: &str) -> Result<()> {
        let mut st = self.inner.state.lock().expect("runtime lock");
        if !st.instances.contains_key(id) {
            return Err(RuntimeError::NotFound(id.into()));
        }
        self.halt_locked(&mut st, id)?;
        self.boot(st, id)
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
        st.firewall_presets.remove(id);
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
        if inst.booting {
            return Some(InstanceState::Pending);
        }
        if let Some(r) = inst.running.as_mut() {
            if let Ok(Some(status)) = r.stage1.try_wait() {
                inst.exited = Some(status.code().unwrap_or(128));
            } else {
                return Some(InstanceState::Running);
            }
        }
        Some(match inst.exited {
            Some(EXIT_POWEROFF) if inst.running.is_some() => InstanceState::PoweredOff,
            Some(EXIT_REBOOT) if inst.running.is_some() => InstanceState::RebootRequested,
            Some(c) if inst.running.is_some() => InstanceState::Exited(c),
            _ => InstanceState::Stopped,
        })
    }

    /// Captures the instance's root volume into `image_dir` (which must not exist): what
    /// `create-image` makes an AMI of. Instances launched with `image: Some(image_dir)` start
    /// from a copy of it and run their own user data (cloud-init's per-instance state is not
    /// captured). Consistent when the instance is stopped; from a running one it is a crash-
    /// consistent copy (EC2's `--no-reboot`). Uses coreutils' `cp -a`, which keeps modes,
    /// owners, links and the overlay's whiteouts and xattrs.
    pub fn capture_image(&self, id: &str, image_dir: &Path) -> Result<()> {
        let vol = self.inst_dir(id).join("volume");
        if !vol.join(".created").exists() {
            return Err(RuntimeError::NotFound(id.into()));
        }
        if image_dir.exists() {
            return Err(RuntimeError::InvalidSpec(format!(
                "{} exists",
                image_dir.display()
            )));
        }
        let out = ctx(
            Command::new("cp")
                .arg("-a")
                .arg(&vol)
                .arg(image_dir)
                .output(),
            || "running cp".into(),
        )?;
        if !out.status.success() {
            let _ = fs::remove_dir_all(image_dir);
            return Err(RuntimeError::Io {
                context: format!("capturing {id}"),
                source: io::Error::other(String::from_utf8_lossy(&out.stderr).trim().to_string()),
            });
        }
        // Per-instance state stays with the instance.
        let cloud = image_dir.join("rootfs/var/lib/cloud/instance");
        for f in ["sem", "scripts", "user-data.txt", "boot-finished"] {
            let p = cloud.join(f);
            let _ = fs::remove_dir_all(&p).or_else(|_| fs::remove_file(&p));
        }
        // So are its SSH host keys: each instance made from the image makes its own (what
        // cloud-init's ssh_deletekeys does on EC2).
        if let Ok(rd) = fs::read_dir(image_dir.join("layers/etc/upper/ssh")) {
            for e in rd.flatten() {
                if e.file_name().to_string_lossy().starts_with("ssh_host_") {
                    let _ = fs::remove_file(e.path());
                }
            }
        }
        let _ = fs::remove_file(image_dir.join(".created"));
        ctx(fs::create_dir_all(cloud.join("sem")), || {
            "cleaning the image".into()
        })
    }

    /// Every instance this runtime knows, with its state (for the supervisor that reconciles
    /// what EC2 says should run with what does).
    pub fn instances(&self) -> Vec<(String, InstanceState)> {
        let ids: Vec<String> = self
            .inner
            .state
            .lock()
            .expect("runtime lock")
            .instances
            .keys()
            .cloned()
            .collect();
        let mut out: Vec<(String, InstanceState)> = ids
            .into_iter()
            .filter_map(|id| Some((id.clone(), self.state(&id)?)))
            .collect();
        out.sort();
        out
    }

    /// Instance ids that have a root volume on disk (after a restart: the instances whose
    /// volumes survive, whether or not this runtime has booted them yet).
    pub fn volumes_on_disk(&self) -> Vec<String> {
        let mut out: Vec<String> = fs::read_dir(self.inner.root.join("instances"))
            .map(|rd| {
                rd.flatten()
                    .filter(|e| e.path().join("volume/.created").exists())
                    .filter_map(|e| e.file_name().to_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        out.sort();
        out
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
            launch::eth0_counters(r.stage1.id()).unwrap_or_default();
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

    /// Runs `argv` inside a running instance — its namespaces, root, cgroup and the guest's
    /// capability limits, as root in `/root` — and returns its output once it exits (the way
    /// the host drives a command without SSH). Uses util-linux's `nsenter`.
    pub fn exec(&self, id: &str, argv: &[&str]) -> Result<std::process::Output> {
        let procs = {
            let st = self.inner.state.lock().expect("runtime lock");
            let inst = st
                .instances
                .get(id)
                .ok_or_else(|| RuntimeError::NotFound(id.into()))?;
            let r = inst.running.as_ref().ok_or(RuntimeError::InvalidState {
                id: id.into(),
                state: "stopped",
                action: "run commands",
            })?;
            r.cgroup.clone()
        };
        // The sandbox's PID 1 on the host: the process whose innermost pid is 1.
        let init = procs
            .pids()
            .into_iter()
            .find(|p| {
                let status = fs::read_to_string(format!("/proc/{p}/status")).unwrap_or_default();
                status
                    .lines()
                    .find(|l| l.starts_with("NSpid:"))
                    .is_some_and(|l| {
                        let ns: Vec<&str> = l.split_whitespace().skip(1).collect();
                        ns.len() == 2 && ns[1] == "1"
                    })
            })
            .ok_or(RuntimeError::InvalidState {
                id: id.into(),
                state: "without init",
                action: "run commands",
            })?;
        let mut cmd = Command::new("nsenter");
        cmd.args([
            "-t",
            &init.to_string(),
            "-m",
            "-u",
            "-i",
            "-n",
            "-p",
            "-r",
            "--",
        ])
        .arg(personality::GUEST_PATH)
        .arg(guest::EXEC_ARG)
        .args(argv)
        .env_clear()
        .current_dir("/")
        .stdin(Stdio::null());
        ctx(
            sys::join_cgroups_before_exec(&mut cmd, &procs.procs_files()),
            || "preparing the command".into(),
        )?;
        ctx(cmd.output(), || format!("running a command in {id}"))
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

    /// The security-group hook: which TCP ports the forwarder lets through to the instance,
    /// from which source addresses (`None`: everything; `Some(vec![])`: nothing). Packet
    /// filtering inside the VPC comes with security groups.
    pub fn set_allowed_ingress(&self, id: &str, rules: Option<Vec<IngressRule>>) -> Result<()> {
        let st = self.inner.state.lock().expect("runtime lock");
        let inst = st
            .instances
            .get(id)
            .ok_or_else(|| RuntimeError::NotFound(id.into()))?;
        *inst.ingress.write().expect("ingress lock") = rules;
        Ok(())
    }

    fn ingress_of(&self, id: &str) -> Result<Arc<RwLock<Option<Vec<IngressRule>>>>> {
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
            if st
                .instances
                .get(id)
                .is_some_and(|i| i.running.is_some() || i.booting)
            {
                continue;
            }
            ctx(Cgroup::open(&name).and_then(|c| c.destroy()), || {
                format!("removing cgroup {name}")
            })?;
            removed += 1;
        }
        if !self.inner.support.cgroups {
            removed +=
                accounting::kill_orphan_sandboxes(&self.inner.root.join("instances"), |id| {
                    st.instances
                        .get(id)
                        .is_some_and(|i| i.running.is_some() || i.booting)
                });
        }
        let live: Vec<PathBuf> = st
            .vpcs
            .values()
            .map(|v| v.ns.clone())
            .chain(
                st.instances
                    .values()
                    .filter(|i| i.running.is_some() || i.booting)
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
