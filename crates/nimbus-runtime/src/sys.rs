//! The only module with `unsafe`: thin, checked wrappers over the Linux system calls the
//! sandbox needs and std does not offer — unshare, setns, mount/umount, pivot_root,
//! sethostname, fork, waitpid, kill and the capability bounding set. Each wrapper turns the
//! C return convention into `io::Result` and owns no policy: which namespaces, which mounts
//! and in what order is decided by `guest::init` and `netns`.
#![allow(unsafe_code)]

use std::ffi::CString;
use std::io;
use std::os::fd::AsRawFd;
use std::path::Path;

fn cstr(p: &Path) -> io::Result<CString> {
    use std::os::unix::ffi::OsStrExt;
    CString::new(p.as_os_str().as_bytes()).map_err(|_| io::Error::other("path holds a NUL byte"))
}

fn check(rc: libc::c_int) -> io::Result<()> {
    if rc == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

pub use libc::{
    CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWUSER, CLONE_NEWUTS, MNT_DETACH,
    MS_BIND, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_PRIVATE, MS_RDONLY, MS_REC, MS_REMOUNT,
};

/// unshare(2) of the calling thread.
pub fn unshare(flags: libc::c_int) -> io::Result<()> {
    // SAFETY: unshare takes only flags and touches no memory of ours.
    check(unsafe { libc::unshare(flags) })
}

/// setns(2): moves the calling thread into the namespace `file` refers to.
pub fn setns(file: &std::fs::File, nstype: libc::c_int) -> io::Result<()> {
    // SAFETY: the fd is owned by `file`, alive for the call.
    check(unsafe { libc::setns(file.as_raw_fd(), nstype) })
}

/// mount(2). `fstype` and `data` are optional as in C.
pub fn mount(
    source: Option<&Path>,
    target: &Path,
    fstype: Option<&str>,
    flags: libc::c_ulong,
    data: Option<&str>,
) -> io::Result<()> {
    let source = source.map(cstr).transpose()?;
    let target = cstr(target)?;
    let fstype = fstype
        .map(|s| CString::new(s).map_err(io::Error::other))
        .transpose()?;
    let data = data
        .map(|s| CString::new(s).map_err(io::Error::other))
        .transpose()?;
    // SAFETY: every pointer is either null or a NUL-terminated string that outlives the call.
    check(unsafe {
        libc::mount(
            source.as_ref().map_or(std::ptr::null(), |s| s.as_ptr()),
            target.as_ptr(),
            fstype.as_ref().map_or(std::ptr::null(), |s| s.as_ptr()),
            flags,
            data.as_ref()
                .map_or(std::ptr::null(), |s| s.as_ptr().cast()),
        )
    })
}

/// umount2(2).
pub fn umount(target: &Path, flags: libc::c_int) -> io::Result<()> {
    let target = cstr(target)?;
    // SAFETY: NUL-terminated path alive for the call.
    check(unsafe { libc::umount2(target.as_ptr(), flags) })
}

/// pivot_root(2) (no libc wrapper: raw syscall).
pub fn pivot_root(new_root: &Path, put_old: &Path) -> io::Result<()> {
    let a = cstr(new_root)?;
    let b = cstr(put_old)?;
    // SAFETY: two NUL-terminated paths alive for the call.
    let rc = unsafe { libc::syscall(libc::SYS_pivot_root, a.as_ptr(), b.as_ptr()) };
    if rc == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// mknod(2) of a character device `rdev` at `path`.
pub fn mknod_char(path: &Path, rdev: u64) -> io::Result<()> {
    let p = cstr(path)?;
    // SAFETY: a NUL-terminated path alive for the call.
    check(unsafe { libc::mknod(p.as_ptr(), libc::S_IFCHR | 0o600, rdev as libc::dev_t) })
}

/// sethostname(2) in the calling process's UTS namespace.
pub fn sethostname(name: &str) -> io::Result<()> {
    // SAFETY: pointer and length describe `name`'s bytes.
    check(unsafe { libc::sethostname(name.as_ptr().cast(), name.len()) })
}

/// What fork(2) returned.
pub enum Fork {
    Parent(libc::pid_t),
    Child,
}

/// fork(2). Only called from a freshly exec'd, single-threaded stage of the guest binary,
/// where the child may run arbitrary Rust code.
pub fn fork() -> io::Result<Fork> {
    // SAFETY: callers are single-threaded (see above), so no lock can be held by another
    // thread in the child.
    let pid = unsafe { libc::fork() };
    match pid {
        -1 => Err(io::Error::last_os_error()),
        0 => Ok(Fork::Child),
        p => Ok(Fork::Parent(p)),
    }
}

/// waitpid(2); `pid` -1 waits for any child. Returns (pid, raw status); Ok(None) for WNOHANG
/// with nothing to reap.
pub fn waitpid(pid: libc::pid_t, nohang: bool) -> io::Result<Option<(libc::pid_t, libc::c_int)>> {
    let mut status = 0;
    loop {
        // SAFETY: status is a valid out-pointer.
        let rc = unsafe { libc::waitpid(pid, &mut status, if nohang { libc::WNOHANG } else { 0 }) };
        match rc {
            -1 => {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(e);
            }
            0 => return Ok(None),
            p => return Ok(Some((p, status))),
        }
    }
}

/// A wait status as a shell exit code (128+signal for a signalled process).
pub fn exit_code(status: libc::c_int) -> i32 {
    if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else if libc::WIFSIGNALED(status) {
        128 + libc::WTERMSIG(status)
    } else {
        1
    }
}

/// kill(2). ESRCH (already gone) is Ok(false).
pub fn kill(pid: libc::pid_t, sig: libc::c_int) -> io::Result<bool> {
    // SAFETY: plain syscall on integers.
    match check(unsafe { libc::kill(pid, sig) }) {
        Ok(()) => Ok(true),
        Err(e) if e.raw_os_error() == Some(libc::ESRCH) => Ok(false),
        Err(e) => Err(e),
    }
}

pub use libc::{SIGKILL, SIGTERM};

/// Drops one capability from the bounding set: no process exec'd afterwards can hold it.
pub fn drop_bounding_cap(cap: libc::c_int) -> io::Result<()> {
    // SAFETY: prctl with integer arguments only.
    check(unsafe { libc::prctl(libc::PR_CAPBSET_DROP, cap as libc::c_ulong, 0, 0, 0) })
}

/// getpid(2).
pub fn getpid() -> libc::pid_t {
    // SAFETY: no arguments, cannot fail.
    unsafe { libc::getpid() }
}

/// geteuid(2).
pub fn geteuid() -> u32 {
    // SAFETY: no arguments, cannot fail.
    unsafe { libc::geteuid() }
}

/// The thread's own id (for /proc/thread-self paths on kernels without it).
pub fn gettid() -> libc::pid_t {
    // SAFETY: no arguments, cannot fail.
    unsafe { libc::gettid() }
}

/// The capabilities no guest process may hold even as root: loading modules, raw I/O,
/// mounting (the guest's mounts are made before this drop), rebooting the host, setting the
/// host clock, opening files by handle (a classic escape), BPF/perf, audit and MAC control.
pub const GUEST_DROPPED_CAPS: &[libc::c_int] = &[
    16, // CAP_SYS_MODULE
    17, // CAP_SYS_RAWIO
    21, // CAP_SYS_ADMIN
    22, // CAP_SYS_BOOT
    25, // CAP_SYS_TIME
    27, // CAP_MKNOD
    2,  // CAP_DAC_READ_SEARCH
    12, // CAP_NET_ADMIN: the security-group rules in its namespace, its addresses and routes
    9,  // CAP_LINUX_IMMUTABLE
    19, // CAP_SYS_PTRACE
    30, // CAP_AUDIT_CONTROL
    32, // CAP_MAC_OVERRIDE
    33, // CAP_MAC_ADMIN
    34, // CAP_SYSLOG
    35, // CAP_WAKE_ALARM
    36, // CAP_BLOCK_SUSPEND
    38, // CAP_PERFMON
    39, // CAP_BPF
    40, // CAP_CHECKPOINT_RESTORE
];

/// Makes `cmd`'s child enter the namespace `ns` (of type `nstype`) between fork and exec.
pub fn setns_before_exec(cmd: &mut std::process::Command, ns: std::fs::File, nstype: libc::c_int) {
    use std::os::unix::process::CommandExt;
    // SAFETY: the closure runs between fork and exec; it makes one system call on an fd that
    // was opened before the fork and allocates nothing.
    unsafe {
        cmd.pre_exec(move || {
            if libc::setns(ns.as_raw_fd(), nstype) == -1 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// Makes `cmd`'s child enter a new user namespace (and mount namespace owned by it) between
/// fork and exec, mapping `uid`/`gid` of the parent namespace to root inside: what an
/// ordinary user runs the runtime in (and tests start a rootless child with). The map texts
/// are built before the fork; the closure only makes system calls.
pub fn userns_before_exec(cmd: &mut std::process::Command, uid: u32, gid: u32) {
    use std::os::unix::process::CommandExt;
    let uid_map = format!("0 {uid} 1\n").into_bytes();
    let gid_map = format!("0 {gid} 1\n").into_bytes();
    // SAFETY: the closure runs between fork and exec in the single-threaded child; it
    // allocates nothing, and every pointer passed (static C strings and the map buffers moved
    // into the closure) is alive for the calls.
    unsafe {
        cmd.pre_exec(move || {
            if libc::unshare(libc::CLONE_NEWUSER | libc::CLONE_NEWNS) == -1 {
                return Err(io::Error::last_os_error());
            }
            for (path, text) in [
                (c"/proc/self/setgroups", &b"deny"[..]),
                (c"/proc/self/uid_map", &uid_map[..]),
                (c"/proc/self/gid_map", &gid_map[..]),
            ] {
                let fd = libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
                if fd == -1 {
                    return Err(io::Error::last_os_error());
                }
                let n = libc::write(fd, text.as_ptr().cast(), text.len());
                let err = io::Error::last_os_error();
                libc::close(fd);
                if n != text.len() as isize {
                    return Err(err);
                }
            }
            Ok(())
        });
    }
}

/// The real uid and gid of this process.
pub fn getuid_gid() -> (u32, u32) {
    // SAFETY: getuid/getgid cannot fail and touch no memory.
    unsafe { (libc::getuid(), libc::getgid()) }
}

/// Makes `fd` appear as descriptor `target` in `cmd`'s child (dup2 between fork and exec;
/// the duplicate does not carry close-on-exec, the original stays close-on-exec here).
pub fn pass_fd_before_exec(
    cmd: &mut std::process::Command,
    fd: std::os::fd::OwnedFd,
    target: libc::c_int,
) {
    use std::os::unix::process::CommandExt;
    // SAFETY: the closure runs between fork and exec; dup2 on an fd opened before the fork,
    // no allocation.
    unsafe {
        cmd.pre_exec(move || {
            if libc::dup2(fd.as_raw_fd(), target) == -1 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// Takes ownership of an inherited descriptor by number (the ready pipe, fd 3, in stage 1).
pub fn inherited_fd(fd: libc::c_int) -> Option<std::fs::File> {
    use std::os::fd::FromRawFd;
    // SAFETY: fcntl(F_GETFD) only checks that the descriptor is open.
    if unsafe { libc::fcntl(fd, libc::F_GETFD) } == -1 {
        return None;
    }
    // SAFETY: the descriptor is open, was passed to us by our parent for this purpose and
    // nothing else in this process owns it.
    let f = unsafe { std::fs::File::from_raw_fd(fd) };
    // Keep it from leaking into what the guest runs later.
    // SAFETY: fcntl on a descriptor we own.
    unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
    Some(f)
}

/// sync(2).
pub fn sync() {
    // SAFETY: no arguments.
    unsafe { libc::sync() }
}

/// Names the calling thread (the `comm` that `ps` shows), truncated to 15 bytes.
pub fn set_name(name: &str) {
    let mut buf = [0u8; 16];
    let n = name.len().min(15);
    buf[..n].copy_from_slice(&name.as_bytes()[..n]);
    // SAFETY: PR_SET_NAME reads a NUL-terminated buffer of at most 16 bytes, which buf is.
    unsafe { libc::prctl(libc::PR_SET_NAME, buf.as_ptr() as libc::c_ulong, 0, 0, 0) };
}

/// Marks a directory of an overlay layer opaque: the layers below it do not show through.
pub fn set_overlay_opaque(dir: &Path) -> io::Result<()> {
    let p = cstr(dir)?;
    // In a user namespace `trusted.*` is refused; overlays mounted there with `userxattr`
    // read the `user.overlay.*` names instead.
    let name = if crate::tier::in_user_namespace() {
        c"user.overlay.opaque"
    } else {
        c"trusted.overlay.opaque"
    };
    // SAFETY: NUL-terminated path and name, a 1-byte value, all alive for the call.
    check(unsafe { libc::setxattr(p.as_ptr(), name.as_ptr(), b"y".as_ptr().cast(), 1, 0) })
}

/// Closes every descriptor from `first` up (descriptors a parent leaked without
/// close-on-exec, such as a build tool's jobserver pipe, must not reach the guest).
pub fn close_fds_from(first: libc::c_int) {
    // SAFETY: close_range only closes descriptors; callers own every descriptor ≥ first.
    unsafe {
        libc::syscall(
            libc::SYS_close_range,
            first as libc::c_uint,
            libc::c_uint::MAX,
            0 as libc::c_uint,
        )
    };
}

static CAUGHT: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);

extern "C" fn remember_signal(sig: libc::c_int) {
    // Async-signal-safe: one atomic store.
    CAUGHT.store(sig, std::sync::atomic::Ordering::SeqCst);
}

/// Installs a handler that remembers the last of `sigs` delivered (PID 1 of a PID namespace
/// gets no signal from inside it unless it handles that signal). No SA_RESTART, so a blocking
/// waitpid returns EINTR.
pub fn catch_signals(sigs: &[libc::c_int]) -> io::Result<()> {
    for &sig in sigs {
        // SAFETY: a zeroed sigaction is valid; the handler only stores to an atomic.
        let rc = unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = remember_signal as *const () as libc::sighandler_t;
            libc::sigemptyset(&mut sa.sa_mask);
            libc::sigaction(sig, &sa, std::ptr::null_mut())
        };
        check(rc)?;
    }
    Ok(())
}

/// Blocks (or unblocks) `sigs` for the calling thread only: PID 1's helper threads block the
/// signals it handles, so they reach the main thread and interrupt its waitpid.
pub fn block_signals_in_thread(sigs: &[libc::c_int], block: bool) -> io::Result<()> {
    // SAFETY: a sigset_t initialised by sigemptyset, valid for the calls.
    let rc = unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for &sig in sigs {
            libc::sigaddset(&mut set, sig);
        }
        let how = if block {
            libc::SIG_BLOCK
        } else {
            libc::SIG_UNBLOCK
        };
        libc::pthread_sigmask(how, &set, std::ptr::null_mut())
    };
    if rc != 0 {
        return Err(io::Error::from_raw_os_error(rc));
    }
    Ok(())
}

/// The last caught signal, if any (and forgets it).
pub fn take_caught_signal() -> Option<libc::c_int> {
    match CAUGHT.swap(0, std::sync::atomic::Ordering::SeqCst) {
        0 => None,
        s => Some(s),
    }
}

pub use libc::SIGINT;

/// waitpid(-1) that returns `Ok(None)` when a signal interrupts it.
pub fn wait_any_interruptible() -> io::Result<Option<(libc::pid_t, libc::c_int)>> {
    let mut status = 0;
    // SAFETY: status is a valid out-pointer.
    let rc = unsafe { libc::waitpid(-1, &mut status, 0) };
    if rc == -1 {
        let e = io::Error::last_os_error();
        if e.kind() == io::ErrorKind::Interrupted {
            return Ok(None);
        }
        return Err(e);
    }
    Ok(Some((rc, status)))
}

/// Makes `cmd`'s child join the cgroups whose `cgroup.procs` files are given, between fork and
/// exec (writing "0" moves the writer itself).
pub fn join_cgroups_before_exec(
    cmd: &mut std::process::Command,
    procs_files: &[std::path::PathBuf],
) -> io::Result<()> {
    use std::os::unix::process::CommandExt;
    let files: Vec<CString> = procs_files
        .iter()
        .map(|p| cstr(p))
        .collect::<io::Result<_>>()?;
    // SAFETY: the closure runs between fork and exec and only makes open/write/close system
    // calls on strings prepared before the fork; it allocates nothing.
    unsafe {
        cmd.pre_exec(move || {
            for f in &files {
                let fd = libc::open(f.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
                if fd == -1 {
                    return Err(io::Error::last_os_error());
                }
                let rc = libc::write(fd, b"0".as_ptr().cast(), 1);
                libc::close(fd);
                if rc == -1 {
                    return Err(io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
    Ok(())
}

/// Waits until `fd` is readable (or closed) for at most `timeout`; Ok(false) on timeout.
pub fn wait_readable(fd: &impl AsRawFd, timeout: std::time::Duration) -> io::Result<bool> {
    let mut p = libc::pollfd {
        fd: fd.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    let ms = timeout.as_millis().min(i32::MAX as u128) as libc::c_int;
    loop {
        // SAFETY: one valid pollfd for the duration of the call.
        let rc = unsafe { libc::poll(&mut p, 1, ms) };
        match rc {
            -1 if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted => continue,
            -1 => return Err(io::Error::last_os_error()),
            0 => return Ok(false),
            _ => return Ok(true),
        }
    }
}
