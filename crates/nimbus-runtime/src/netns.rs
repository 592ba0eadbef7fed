//! Network namespaces and the VPC network, all inside namespaces Nimbus creates — never a
//! device, route or rule in the host's namespace. A namespace is made by a short-lived thread
//! that unshares its network namespace and bind-mounts it onto a file under the runtime's
//! directory (the file keeps it alive without a process). Each VPC gets one namespace holding
//! a bridge `br0` with the VPC router's address (first host of the VPC CIDR) and the metadata
//! address 169.254.169.254; each instance's namespace is joined to it by a veth pair created
//! inside the VPC namespace (its far end moved straight into the instance namespace as `eth0`).
//! Links are configured with iproute2's `ip -batch`, run with its network namespace set before
//! exec. This module also opens TCP connections and listeners from inside a namespace: the
//! socket keeps the namespace it was created in, whatever thread uses it later.

use crate::sys;
use std::fs::File;
use std::io::{self, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// Creates a new network namespace bound to `file` (created if missing). Its loopback comes
/// up with the first `ip_batch` run in it (`setup_vpc`, `attach_instance`).
pub fn create(file: &Path) -> io::Result<()> {
    File::create(file)?;
    let target = file.to_path_buf();
    let made = std::thread::spawn(move || -> io::Result<()> {
        sys::unshare(sys::CLONE_NEWNET)?;
        let me = PathBuf::from(format!("/proc/self/task/{}/ns/net", sys::gettid()));
        sys::mount(Some(&me), &target, None, sys::MS_BIND, None)
    })
    .join()
    .map_err(|_| io::Error::other("namespace thread panicked"))?;
    if let Err(e) = made {
        let _ = std::fs::remove_file(file);
        return Err(e);
    }
    Ok(())
}

/// Unmounts and removes a namespace file. Idempotent.
pub fn destroy(file: &Path) -> io::Result<()> {
    if !file.exists() {
        return Ok(());
    }
    match sys::umount(file, sys::MNT_DETACH) {
        Ok(()) => {}
        Err(e) if e.raw_os_error() == Some(libc::EINVAL) => {} // not a mount (half-made)
        Err(e) => return Err(e),
    }
    std::fs::remove_file(file).or_else(|e| {
        if e.kind() == io::ErrorKind::NotFound {
            Ok(())
        } else {
            Err(e)
        }
    })
}

/// Runs `ip -batch -` with `commands` inside the namespace `ns`.
pub fn ip_batch(ns: &Path, commands: &str) -> io::Result<()> {
    let nsfile = File::open(ns)?;
    let mut cmd = Command::new("ip");
    cmd.args(["-batch", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    sys::setns_before_exec(&mut cmd, nsfile, sys::CLONE_NEWNET);
    let mut child = cmd
        .spawn()
        .map_err(|e| io::Error::new(e.kind(), format!("running ip: {e}")))?;
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(commands.as_bytes())?;
    let out = child.wait_with_output()?;
    if !out.status.success() {
        return Err(io::Error::other(format!(
            "ip -batch failed ({}): {}\ncommands:\n{commands}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(())
}

/// An IPv4 network (address and prefix length).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Ipv4Net {
    pub addr: Ipv4Addr,
    pub prefix: u8,
}

impl Ipv4Net {
    pub fn parse(s: &str) -> Option<Ipv4Net> {
        let (a, p) = s.split_once('/')?;
        let prefix: u8 = p.parse().ok()?;
        (prefix <= 32).then_some(())?;
        Some(Ipv4Net {
            addr: a.parse().ok()?,
            prefix,
        })
    }
    pub fn network(&self) -> Ipv4Addr {
        let mask = if self.prefix == 0 {
            0
        } else {
            u32::MAX << (32 - self.prefix)
        };
        Ipv4Addr::from(u32::from(self.addr) & mask)
    }
    /// The VPC router's address: the network's first host (AWS reserves it for the router).
    pub fn router(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.network()) + 1)
    }
}

impl std::fmt::Display for Ipv4Net {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.network(), self.prefix)
    }
}

/// The instance metadata address, held by every VPC bridge.
pub const METADATA_ADDR: Ipv4Addr = Ipv4Addr::new(169, 254, 169, 254);

/// Makes the VPC namespace's network: the bridge with the router and metadata addresses.
pub fn setup_vpc(ns: &Path, cidr: Ipv4Net) -> io::Result<()> {
    ip_batch(
        ns,
        &format!(
            "link set lo up\nlink add br0 type bridge\nlink set br0 up\naddr add {}/{} dev br0\naddr add {METADATA_ADDR}/32 dev br0\n",
            cidr.router(),
            cidr.prefix
        ),
    )
}

/// The VPC-side name of an instance's veth (15 bytes max, unique within the VPC namespace).
/// A 48-bit hash of the id: instance ids share long prefixes and suffixes, so no slice of
/// them is unique.
pub fn host_veth_name(instance_id: &str) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in instance_id.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100000001b3);
    }
    format!("vi{:012x}", h & 0xffff_ffff_ffff)
}

/// Joins the instance namespace to the VPC: a veth pair made in the VPC namespace, `eth0` in
/// the instance with its private address, a route for the VPC CIDR on the link, the metadata
/// address on the link, and a default route via the VPC router (which forwards nothing: the
/// VPC namespace has no way out).
pub fn attach_instance(
    vpc_ns: &Path,
    inst_ns: &Path,
    veth: &str,
    ip: Ipv4Addr,
    subnet_prefix: u8,
    vpc: Ipv4Net,
    mac: &str,
) -> io::Result<()> {
    ip_batch(
        vpc_ns,
        &format!(
            "link add {veth} type veth peer name eth0 address {mac} netns {}\nlink set {veth} master br0\nlink set {veth} up\n",
            inst_ns.display()
        ),
    )?;
    ip_batch(
        inst_ns,
        &format!(
            "link set lo up\naddr add {ip}/{subnet_prefix} dev eth0\nlink set eth0 up\nroute add {vpc} dev eth0 src {ip}\nroute add {METADATA_ADDR}/32 dev eth0 src {ip}\nroute add default via {} dev eth0 onlink\n",
            vpc.router()
        ),
    )
}

/// Deletes the VPC side of an instance's veth (the pair goes with it). Idempotent.
pub fn detach_instance(vpc_ns: &Path, veth: &str) -> io::Result<()> {
    if !vpc_ns.exists() {
        return Ok(());
    }
    match ip_batch(vpc_ns, &format!("link del {veth}\n")) {
        Ok(()) => Ok(()),
        Err(e) if e.to_string().contains("Cannot find device") => Ok(()),
        Err(e) => Err(e),
    }
}

/// Runs `f` on a fresh thread that entered the namespace `ns`; sockets it creates stay there.
pub fn in_namespace<T: Send + 'static>(
    ns: &Path,
    f: impl FnOnce() -> io::Result<T> + Send + 'static,
) -> io::Result<T> {
    in_namespace_of(File::open(ns)?, f)
}

/// Like [`in_namespace`], with the namespace given by an open descriptor (valid even after
/// its file was unmounted).
pub fn in_namespace_of<T: Send + 'static>(
    nsfile: File,
    f: impl FnOnce() -> io::Result<T> + Send + 'static,
) -> io::Result<T> {
    std::thread::spawn(move || {
        sys::setns(&nsfile, sys::CLONE_NEWNET)?;
        f()
    })
    .join()
    .map_err(|_| io::Error::other("namespace thread panicked"))?
}

/// A TCP connection to `addr` opened from inside the namespace `ns`.
pub fn connect_in(ns: &Path, addr: SocketAddr, timeout: Duration) -> io::Result<TcpStream> {
    in_namespace(ns, move || TcpStream::connect_timeout(&addr, timeout))
}

/// A TCP listener bound inside the namespace `ns`.
pub fn listen_in(ns: &Path, addr: SocketAddr) -> io::Result<TcpListener> {
    in_namespace(ns, move || TcpListener::bind(addr))
}
