//! The sandbox's boot: stage 1 (host PID namespace) joins the instance's cgroup and network
//! namespace, unshares mount, UTS, IPC and PID namespaces and forks PID 1; PID 1 builds the
//! private mount view (root volume as `/`, overlays of the host's system directories under the
//! personality layer, minimal /dev (its own 0666 null, zero, full, random, urandom, tty), fresh /tmp and /run, read-only /sys and a /proc whose
//! dangerous corners are read-only), pivots into it, sets the hostname, drops the
//! capabilities no guest may hold, reports "ready" to the host, starts enabled services, runs
//! the user data on first boot (via `cloudinit`) and then reaps orphans forever. Its stdout is
//! the instance console.

use crate::boot::{BootConfig, SystemDir, READY_FD};
use crate::personality::GUEST_PATH;
use crate::sys;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Stage 1: runs in the host's PID namespace as the runtime's direct child.
pub fn stage1(cfg_path: &Path) -> i32 {
    let mut ready = sys::inherited_fd(READY_FD);
    sys::close_fds_from(READY_FD + 1);
    let fail = |ready: &mut Option<fs::File>, msg: String| -> i32 {
        if let Some(r) = ready.as_mut() {
            let _ = writeln!(r, "{msg}");
        }
        eprintln!("nimbus-init: {msg}");
        1
    };
    let cfg: BootConfig = match fs::read(cfg_path)
        .map_err(|e| e.to_string())
        .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
    {
        Ok(c) => c,
        Err(e) => return fail(&mut ready, format!("reading {}: {e}", cfg_path.display())),
    };
    let me = sys::getpid().to_string();
    for f in &cfg.cgroup_procs {
        if let Err(e) = fs::write(f, &me) {
            return fail(&mut ready, format!("joining cgroup {}: {e}", f.display()));
        }
    }
    let joined = fs::File::open(&cfg.netns).and_then(|f| sys::setns(&f, sys::CLONE_NEWNET));
    if let Err(e) = joined {
        return fail(&mut ready, format!("joining the network namespace: {e}"));
    }
    if let Err(e) =
        sys::unshare(sys::CLONE_NEWNS | sys::CLONE_NEWUTS | sys::CLONE_NEWIPC | sys::CLONE_NEWPID)
    {
        return fail(&mut ready, format!("unshare: {e}"));
    }
    match sys::fork() {
        Err(e) => fail(&mut ready, format!("fork: {e}")),
        Ok(sys::Fork::Child) => {
            let code = pid1(&cfg, ready);
            std::process::exit(code);
        }
        Ok(sys::Fork::Parent(pid)) => {
            drop(ready); // PID 1 holds the pipe now; the host reads until it closes
            match sys::waitpid(pid, false) {
                Ok(Some((_, status))) => sys::exit_code(status),
                _ => 1,
            }
        }
    }
}

fn pid1(cfg: &BootConfig, mut ready: Option<fs::File>) -> i32 {
    if let Err(e) = build_root(cfg).and_then(|()| sys::sethostname(&cfg.hostname)) {
        let msg = format!("building the instance's root: {e}");
        if let Some(r) = ready.as_mut() {
            let _ = writeln!(r, "{msg}");
        }
        eprintln!("nimbus-init: {msg}");
        return 1;
    }
    write_identity(cfg);
    sys::set_name("init");
    for cap in sys::GUEST_DROPPED_CAPS {
        let _ = sys::drop_bounding_cap(*cap);
    }
    if let Some(mut r) = ready.take() {
        let _ = writeln!(r, "ready");
    }
    super::cloudinit::boot(cfg)
}

fn mkdir(p: &Path) -> io::Result<()> {
    fs::create_dir_all(p)
        .map_err(|e| io::Error::new(e.kind(), format!("mkdir {}: {e}", p.display())))
}

fn mnt(
    src: Option<&Path>,
    dst: &Path,
    fstype: Option<&str>,
    flags: libc::c_ulong,
    data: Option<&str>,
) -> io::Result<()> {
    sys::mount(src, dst, fstype, flags, data).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!(
                "mount {} ({}): {e}",
                dst.display(),
                fstype.unwrap_or("bind")
            ),
        )
    })
}

fn bind_ro(src: &Path, dst: &Path) -> io::Result<()> {
    mnt(Some(src), dst, None, sys::MS_BIND, None)?;
    mnt(
        None,
        dst,
        None,
        sys::MS_BIND | sys::MS_REMOUNT | sys::MS_RDONLY | sys::MS_NOSUID | sys::MS_NODEV,
        None,
    )
}

fn build_root(cfg: &BootConfig) -> io::Result<()> {
    // Nothing below propagates back to the host.
    mnt(
        None,
        Path::new("/"),
        None,
        sys::MS_REC | sys::MS_PRIVATE,
        None,
    )?;
    let r = &cfg.rootfs;
    mnt(Some(r), r, None, sys::MS_BIND, None)?;
    for d in &cfg.system_dirs {
        match d {
            SystemDir::Symlink { name, target } => {
                let link = r.join(name);
                if fs::symlink_metadata(&link).is_err() {
                    std::os::unix::fs::symlink(target, &link)?;
                }
            }
            SystemDir::Overlay { name } => {
                let target = r.join(name);
                mkdir(&target)?;
                let host = Path::new("/").join(name);
                let pers = cfg.personality_layer.join(name);
                let mut lowers: Vec<PathBuf> = Vec::new();
                if pers.is_dir() {
                    lowers.push(pers);
                }
                if let Some(sk) = &cfg.skeleton_layer {
                    if sk.join(name).is_dir() {
                        lowers.push(sk.join(name));
                    }
                }
                lowers.push(host);
                let lower = lowers
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(":");
                let l = cfg.layers.join(name);
                let mut opts = format!(
                    "lowerdir={lower},upperdir={},workdir={}",
                    l.join("upper").display(),
                    l.join("work").display()
                );
                if cfg.skeleton_layer.is_some() {
                    // In a user namespace overlayfs keeps its metadata in user.* xattrs.
                    opts.push_str(",userxattr");
                }
                mnt(
                    Some(Path::new("overlay")),
                    &target,
                    Some("overlay"),
                    0,
                    Some(&opts),
                )?;
            }
        }
    }
    // The guest tools: the multi-call binary, read-only.
    bind_ro(
        &cfg.guest_binary,
        &r.join(GUEST_PATH.trim_start_matches('/')),
    )?;
    // /dev: a small tmpfs with the harmless character devices bound from the host.
    let dev = r.join("dev");
    mkdir(&dev)?;
    mnt(
        Some(Path::new("tmpfs")),
        &dev,
        Some("tmpfs"),
        sys::MS_NOSUID,
        Some("mode=755,size=64k"),
    )?;
    // Nodes of their own, mode 0666 as on any Linux (a host may keep its own /dev/null
    // 0600, which would lock every non-root user of the instance out of it); a bind of the
    // host's node where mknod is refused.
    for node in ["null", "zero", "full", "random", "urandom", "tty"] {
        let p = dev.join(node);
        let host = Path::new("/dev").join(node);
        let rdev = std::os::unix::fs::MetadataExt::rdev(&fs::metadata(&host)?);
        let own = sys::mknod_char(&p, rdev).and_then(|()| {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&p, fs::Permissions::from_mode(0o666))
        });
        if own.is_err() {
            let _ = fs::remove_file(&p);
            fs::write(&p, b"")?;
            mnt(Some(&host), &p, None, sys::MS_BIND, None)?;
        }
    }
    for (name, target) in [
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
        ("ptmx", "pts/ptmx"),
    ] {
        std::os::unix::fs::symlink(target, dev.join(name))?;
    }
    mkdir(&dev.join("pts"))?;
    mnt(
        Some(Path::new("devpts")),
        &dev.join("pts"),
        Some("devpts"),
        sys::MS_NOSUID | sys::MS_NOEXEC,
        Some("newinstance,ptmxmode=0666,mode=620"),
    )?;
    mkdir(&dev.join("shm"))?;
    mnt(
        Some(Path::new("tmpfs")),
        &dev.join("shm"),
        Some("tmpfs"),
        sys::MS_NOSUID | sys::MS_NODEV,
        Some("mode=1777"),
    )?;
    mkdir(&dev.join("mqueue"))?;
    // Fresh /tmp and /run on every boot.
    mkdir(&r.join("tmp"))?;
    mnt(
        Some(Path::new("tmpfs")),
        &r.join("tmp"),
        Some("tmpfs"),
        sys::MS_NOSUID | sys::MS_NODEV,
        Some("mode=1777"),
    )?;
    mkdir(&r.join("run"))?;
    mnt(
        Some(Path::new("tmpfs")),
        &r.join("run"),
        Some("tmpfs"),
        sys::MS_NOSUID | sys::MS_NODEV,
        Some("mode=755"),
    )?;
    // /sys read-only (a fresh sysfs shows this network namespace's devices).
    mkdir(&r.join("sys"))?;
    mnt(
        Some(Path::new("sysfs")),
        &r.join("sys"),
        Some("sysfs"),
        sys::MS_RDONLY | sys::MS_NOSUID | sys::MS_NODEV | sys::MS_NOEXEC,
        None,
    )?;
    // /proc of the new PID namespace; kernel knobs that are not namespaced stay read-only.
    mkdir(&r.join("proc"))?;
    mnt(
        Some(Path::new("proc")),
        &r.join("proc"),
        Some("proc"),
        sys::MS_NOSUID | sys::MS_NODEV | sys::MS_NOEXEC,
        None,
    )?;
    for p in ["sys", "sysrq-trigger", "irq", "bus", "fs"] {
        let p = r.join("proc").join(p);
        if p.exists() {
            bind_ro(&p, &p)?;
        }
    }
    for p in ["kcore", "keys", "timer_list", "sched_debug"] {
        let p = r.join("proc").join(p);
        if p.exists() {
            mnt(Some(Path::new("/dev/null")), &p, None, sys::MS_BIND, None)?;
        }
    }
    // Switch: the root volume becomes `/`, the host's tree is detached.
    std::env::set_current_dir(r)?;
    sys::pivot_root(Path::new("."), Path::new("."))?;
    sys::umount(Path::new("."), sys::MNT_DETACH)?;
    std::env::set_current_dir("/")?;
    Ok(())
}

/// /etc/hostname and the instance's line in /etc/hosts (so `hostname -f` answers its private
/// DNS name without a resolver), refreshed on every boot.
fn write_identity(cfg: &BootConfig) {
    let _ = fs::write("/etc/hostname", format!("{}\n", cfg.hostname));
    let short = cfg.hostname.split('.').next().unwrap_or(&cfg.hostname);
    let old = fs::read_to_string("/etc/hosts").unwrap_or_default();
    let mut hosts: String = if old.contains("localhost") {
        old.lines()
            .filter(|l| !l.ends_with("# nimbus"))
            .map(|l| format!("{l}\n"))
            .collect()
    } else {
        "127.0.0.1   localhost localhost.localdomain localhost4 localhost4.localdomain4\n::1         localhost6 localhost6.localdomain6\n".into()
    };
    hosts.push_str(&format!(
        "{} {} {} # nimbus\n",
        cfg.private_ip, cfg.hostname, short
    ));
    let _ = fs::write("/etc/hosts", hosts);
}

/// Where user data and boot markers live inside the instance.
pub fn cloud_dir() -> PathBuf {
    PathBuf::from("/var/lib/cloud/instance")
}
