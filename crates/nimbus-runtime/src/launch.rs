//! The host side of booting and halting an instance: the root volume, the VPC namespace (with
//! its metadata listener) and the instance's namespace joined to it, the cgroup, stage 1 of the
//! sandbox and the ready handshake; and the orderly teardown (processes, veth, namespaces,
//! cgroup, the VPC with its last running instance). Called with the runtime's state locked.

use crate::accounting::{Accounting, ProcessTree};
use crate::boot::{self, BootConfig, SystemDir};
use crate::cgroup::Cgroup;
use crate::{
    ctx, imds, netns, personality, skeleton, sys, Inner, InstanceSpec, NetworkSpec, Result,
    Running, Runtime, RuntimeError, State, Tier, Vpc,
};
use std::fs;
use std::io::{self, Read};
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::MutexGuard;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

/// How long a sandbox may take to be built before the launch fails.
const BOOT_TIMEOUT: Duration = Duration::from_secs(30);

fn trace(id: &str, t0: Instant, what: &str) {
    if std::env::var_os("NIMBUS_RUNTIME_TRACE").is_some() {
        eprintln!(
            "[runtime] {id}: {what} at {:.2} ms",
            t0.elapsed().as_secs_f64() * 1e3
        );
    }
}

impl Runtime {
    fn skeleton_dir(&self) -> PathBuf {
        self.inner.root.join("layers").join("skeleton")
    }

    pub(crate) fn prepare_volume(&self, spec: &InstanceSpec) -> Result<()> {
        let dir = self.inst_dir(&spec.id);
        let vol = dir.join("volume");
        if vol.join(".created").exists() {
            return Ok(());
        }
        let rootfs = vol.join("rootfs");
        if let Some(image) = &spec.image {
            // Start from a captured volume: a copy of it, then this instance's own bits below.
            let _ = fs::remove_dir_all(&vol);
            ctx(fs::create_dir_all(&dir), || {
                format!("creating {}", dir.display())
            })?;
            let out = ctx(
                Command::new("cp").arg("-a").arg(image).arg(&vol).output(),
                || "running cp".into(),
            )?;
            if !out.status.success() {
                return Err(RuntimeError::InvalidSpec(format!(
                    "image {}: {}",
                    image.display(),
                    String::from_utf8_lossy(&out.stderr).trim()
                )));
            }
        }
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
            if self.inner.support.tier == Tier::Full {
                // In a user namespace only root is mapped: the home stays root's.
                std::os::unix::fs::chown(&home, Some(1000), Some(1000))?;
                std::os::unix::fs::chown(home.join(".ssh"), Some(1000), Some(1000))?;
            }
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

    pub(crate) fn ensure_vpc(&self, st: &mut State, net: &NetworkSpec) -> Result<PathBuf> {
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
                        // A booting instance's user data may ask before boot() records it.
                        (i.running.is_some() || i.booting)
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

    pub(crate) fn release_vpc_if_unused(&self, st: &mut State, vpc_id: &str) {
        let used = st
            .instances
            .values()
            .any(|i| (i.running.is_some() || i.booting) && i.spec.network.vpc_id == vpc_id);
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

    /// Boots instance `id` (its spec is in the state). The lock is held only to check the
    /// state and make sure of the VPC; the network, cgroup and sandbox are built without it, so
    /// launches run in parallel (the instance is `booting` meanwhile: no one else may touch it).
    pub(crate) fn boot(&self, mut st: MutexGuard<'_, State>, id: &str) -> Result<()> {
        let t0 = Instant::now();
        let spec = st.instances[id].spec.clone();
        if st.instances[id].booting {
            return Err(RuntimeError::InvalidState {
                id: id.into(),
                state: "pending",
                action: "boot",
            });
        }
        let layer = self.inner.root.join("layers").join(spec.personality.name());
        ctx(personality::build_layer(&layer, spec.personality), || {
            format!("building the {} layer", spec.personality.name())
        })?;
        if self.inner.support.tier == Tier::UserNamespace {
            let sk = self.skeleton_dir();
            ctx(skeleton::build(&sk, boot::SYSTEM_DIRS), || {
                "building the skeleton layer".into()
            })?;
        }
        let vpc_ns = self.ensure_vpc(&mut st, &spec.network)?;
        trace(id, t0, "vpc ready");
        st.instances.get_mut(id).expect("present").booting = true;
        drop(st);
        let result = self.boot_unlocked(&spec, &vpc_ns, &layer, t0);
        let mut st = self.inner.state.lock().expect("runtime lock");
        let inst = st
            .instances
            .get_mut(id)
            .expect("a booting instance is never removed");
        inst.booting = false;
        match result {
            Ok(running) => {
                inst.running = Some(running);
                inst.exited = None;
                Ok(())
            }
            Err(e) => {
                self.release_vpc_if_unused(&mut st, &spec.network.vpc_id);
                Err(e)
            }
        }
    }

    fn boot_unlocked(
        &self,
        spec: &InstanceSpec,
        vpc_ns: &Path,
        layer: &Path,
        t0: Instant,
    ) -> Result<Running> {
        let id = spec.id.as_str();
        let dir = self.inst_dir(id);
        let inst_ns = dir.join("netns");
        let veth = netns::host_veth_name(id);
        let undo = |cg: Option<&dyn Accounting>| {
            if let Some(cg) = cg {
                let _ = cg.destroy();
            }
            let _ = netns::detach_instance(vpc_ns, &veth);
            let _ = netns::destroy(&inst_ns);
        };
        undo(None); // leftovers of a crashed run
        let net_error = |e| RuntimeError::Io {
            context: format!("building the network of {id}"),
            source: e,
        };
        if let Err(e) = netns::create(&inst_ns) {
            undo(None);
            return Err(net_error(e));
        }
        // The security groups, loaded before anything in the instance can send a packet:
        // `nft` works in the new namespace (its rules name no interface but `lo`) while the
        // link and the cgroup are built, and the sandbox starts only once it has finished.
        // The filter's lock is held until then, so a concurrent change waits for this load.
        let cell = {
            let st = self.inner.state.lock().expect("runtime lock");
            st.instances[id].firewall.clone()
        };
        let held = cell.lock().expect("firewall lock");
        let nft = match held.as_ref() {
            Some(rules) => match self.start_firewall(spec, &inst_ns, rules) {
                Ok(run) => Some(run),
                Err(e) => {
                    drop(held);
                    undo(None);
                    return Err(e);
                }
            },
            None => None,
        };
        let n = &spec.network;
        let attached = netns::attach_instance(
            vpc_ns,
            &inst_ns,
            &veth,
            n.private_ip,
            n.subnet_prefix,
            n.vpc_cidr,
            &n.mac,
        );
        let cg = attached.map_err(net_error).and_then(|()| {
            trace(id, t0, "instance network ready");
            match Cgroup::create(
                &self.cgroup_name(id),
                spec.vcpus,
                spec.memory_mib * 1024 * 1024,
            ) {
                Ok(c) => Ok(Arc::new(c) as Arc<dyn Accounting>),
                // The user-namespace tier without a delegated cgroup: the weaker process tree.
                Err(_) if !self.inner.support.cgroups => {
                    Ok(Arc::new(ProcessTree::new()) as Arc<dyn Accounting>)
                }
                Err(e) => Err(RuntimeError::Io {
                    context: format!("creating the cgroup of {id}"),
                    source: e,
                }),
            }
        });
        let loaded = nft.map_or(Ok(()), |run| {
            crate::ctx(run.wait(), || {
                format!("applying the security groups of {id}")
            })
        });
        drop(held);
        let cg = match (cg, loaded) {
            (Ok(cg), Ok(())) => cg,
            (cg, loaded) => {
                undo(cg.as_ref().ok().map(|c| c.as_ref()));
                return Err(loaded.err().or(cg.err()).expect("one failed"));
            }
        };
        trace(id, t0, "cgroup and security groups ready");
        match self.spawn_sandbox(spec, &dir, layer, &inst_ns, cg.as_ref()) {
            Ok(child) => {
                trace(id, t0, "sandbox ready");
                Ok(Running {
                    stage1: child,
                    cgroup: cg,
                })
            }
            Err(e) => {
                undo(Some(cg.as_ref()));
                Err(e)
            }
        }
    }
    pub(crate) fn spawn_sandbox(
        &self,
        spec: &InstanceSpec,
        dir: &Path,
        layer: &Path,
        inst_ns: &Path,
        cg: &dyn Accounting,
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
            skeleton_layer: (self.inner.support.tier == Tier::UserNamespace)
                .then(|| self.skeleton_dir()),
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
        cg.adopt(child.id());
        drop(cmd); // closes our copy of the pipe's write end (held by the pre_exec closure)
                   // PID 1 answers "ready" (or why not) once the sandbox is built, then closes the pipe.
        let mut answer = String::new();
        let deadline = Instant::now() + BOOT_TIMEOUT;
        let mut buf = [0u8; 512];
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || !sys::wait_readable(&ready_r, left).unwrap_or(false) {
                answer = format!(
                    "the sandbox was not ready within {} s",
                    BOOT_TIMEOUT.as_secs()
                );
                break;
            }
            match ready_r.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.push_str(&String::from_utf8_lossy(&buf[..n])),
            }
        }
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

    pub(crate) fn halt_locked(&self, st: &mut State, id: &str) -> Result<()> {
        let inst = st.instances.get_mut(id).expect("caller checked");
        if inst.booting {
            return Err(RuntimeError::InvalidState {
                id: id.into(),
                state: "pending",
                action: "stop",
            });
        }
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

/// eth0's counters from a /proc/<pid>/net/dev of a process in the instance's namespace.
pub(crate) fn eth0_counters(pid: u32) -> Option<(u64, u64, u64, u64)> {
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
