//! SSH into instances: the personality enables `sshd.socket`, for which PID 1 listens on port
//! 22 and starts `nimbus-sshd -i` per connection (no SSH process while nobody is logged in);
//! `nimbus-sshd` (this module; also `sshd.service`'s daemon) prepares what OpenSSH's server
//! needs inside the instance — the privilege-separation
//! directory `/run/sshd` and, on first boot, the instance's own ed25519 host key in
//! `/etc/ssh` (its volume; AMIs generate host keys at first boot too) — and then execs the
//! host's `/usr/sbin/sshd` with the personality's `/etc/ssh/sshd_config`:
//! public-key authentication only, against `~USER/.ssh/authorized_keys`, no root login. The
//! key pair's public key gets there through cloud-init ([`authorize_key_pair`]), from IMDS's
//! `public-keys/0/openssh-key`, as on EC2; EC2 Instance Connect's short-lived keys come from
//! IMDS at each login ([`eic_keys`]). OpenSSH comes from the host's `/usr` like bash and
//! coreutils do (decision 0009); a host without it gets a clear failure on the console, not
//! a pretend server.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

pub const SSHD: &str = "/usr/sbin/sshd";
const HOST_KEY: &str = "/etc/ssh/ssh_host_ed25519_key";

/// Whether the instance's sshd is socket-activated (the personality's default).
pub const SOCKET_UNIT: &str = "/etc/systemd/system/sockets.target.wants/sshd.socket";

/// PID 1's `sshd.socket`: listens on port 22 in the instance and hands each connection to a
/// fresh `sshd -i` (inetd mode, as systemd's `Accept=yes` socket does), so an idle instance
/// runs no SSH server process at all. The listening thread blocks the signals PID 1
/// handles. The children are PID 1's, reaped by its loop.
pub fn listen_on_demand() -> std::io::Result<()> {
    if !Path::new(SSHD).exists() {
        return Err(std::io::Error::other(format!(
            "{SSHD} is not installed on the Nimbus host (package openssh-server)"
        )));
    }
    let listener = std::net::TcpListener::bind(("0.0.0.0", 22))?;
    let sigs = [crate::sys::SIGTERM, crate::sys::SIGINT];
    // Blocked before the thread exists, so it is born with them blocked.
    crate::sys::block_signals_in_thread(&sigs, true)?;
    let spawned = std::thread::Builder::new()
        .name("sshd.socket".into())
        .stack_size(64 * 1024)
        .spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                if let Err(e) = serve(conn) {
                    eprintln!("sshd.socket: {e}");
                }
            }
        });
    crate::sys::block_signals_in_thread(&sigs, false)?;
    spawned.map(|_| ())
}

fn serve(conn: std::net::TcpStream) -> std::io::Result<()> {
    use std::process::Stdio;
    let log = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open("/var/log/nimbus-sshd.log")?;
    let out = conn.try_clone()?;
    Command::new("/usr/sbin/nimbus-sshd")
        .arg("-i")
        .env_clear()
        .env("PATH", super::cloudinit::PATH)
        .current_dir("/")
        .stdin(Stdio::from(std::os::fd::OwnedFd::from(conn)))
        .stdout(Stdio::from(std::os::fd::OwnedFd::from(out)))
        .stderr(log)
        .spawn()
        .map(drop)
}

/// The units' `ExecStart`: `nimbus-sshd` (a daemon, `sshd.service`) or `nimbus-sshd -i` (one
/// connection on stdin/stdout, from `sshd.socket`).
pub fn main(args: &[String]) -> i32 {
    let inetd = args.iter().any(|a| a == "-i");
    if !Path::new(SSHD).exists() {
        eprintln!(
            "nimbus-sshd: {SSHD} is not installed on the Nimbus host (package openssh-server): this instance has no SSH server"
        );
        return 1;
    }
    if let Err(e) = fs::create_dir_all("/run/sshd")
        .and_then(|()| fs::set_permissions("/run/sshd", fs::Permissions::from_mode(0o755)))
    {
        eprintln!("nimbus-sshd: /run/sshd: {e}");
        return 1;
    }
    if !Path::new(HOST_KEY).exists() {
        let out = Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", "", "-f", HOST_KEY])
            .output();
        match out {
            Ok(o) if o.status.success() => {}
            Ok(o) => {
                eprintln!(
                    "nimbus-sshd: ssh-keygen failed: {}",
                    String::from_utf8_lossy(&o.stderr).trim()
                );
                return 1;
            }
            Err(e) => {
                eprintln!("nimbus-sshd: ssh-keygen: {e}");
                return 1;
            }
        }
    }
    let mode = if inetd { "-i" } else { "-D" };
    let err = Command::new(SSHD)
        .args([mode, "-e", "-f", "/etc/ssh/sshd_config"])
        .exec();
    eprintln!("nimbus-sshd: {SSHD}: {err}");
    1
}

/// `/etc/ssh/sshd_config` of every personality.
pub fn sshd_config() -> &'static str {
    concat!(
        "# Written by the Nimbus guest personality.\n",
        "Port 22\n",
        "HostKey /etc/ssh/ssh_host_ed25519_key\n",
        "PubkeyAuthentication yes\n",
        "AuthorizedKeysFile .ssh/authorized_keys\n",
        "AuthorizedKeysCommand /usr/sbin/nimbus-eic-keys %u\n",
        "AuthorizedKeysCommandUser nobody\n",
        "PasswordAuthentication no\n",
        "KbdInteractiveAuthentication no\n",
        "PermitRootLogin no\n",
        "UsePAM no\n",
        "UseDNS no\n",
        "PrintMotd no\n",
        "StrictModes yes\n",
        "X11Forwarding no\n",
        "PidFile /run/sshd.pid\n",
        "AcceptEnv LANG LC_*\n",
        "Subsystem sftp internal-sftp\n",
    )
}

/// The socket unit (what PID 1 reads is only whether it is enabled: port 22, one `sshd -i`
/// per connection).
pub fn socket_unit() -> &'static str {
    concat!(
        "[Unit]\nDescription=OpenSSH Server Socket\n\n",
        "[Socket]\nListenStream=22\nAccept=yes\n\n",
        "[Install]\nWantedBy=sockets.target\n",
    )
}

/// The service unit (`systemctl start sshd` runs a daemon instead of the socket).
pub fn unit() -> &'static str {
    concat!(
        "[Unit]\nDescription=OpenSSH server daemon\nAfter=network.target\n\n",
        "[Service]\nType=simple\nExecStart=/usr/sbin/nimbus-sshd\n\n",
        "[Install]\nWantedBy=multi-user.target\n",
    )
}

/// IMDS GET with an IMDSv2 token (so it works with `HttpTokens=required`).
fn imds_get(path: &str) -> std::io::Result<String> {
    let token = super::imds_request(
        "PUT",
        "/latest/api/token",
        &[("X-aws-ec2-metadata-token-ttl-seconds", "60")],
    )
    .ok();
    let hdrs: Vec<(&str, &str)> = token
        .iter()
        .map(|t| ("X-aws-ec2-metadata-token", t.as_str()))
        .collect();
    super::imds_request("GET", path, &hdrs)
}

/// `nimbus-eic-keys USER`: sshd's `AuthorizedKeysCommand` (run as `nobody`), what EC2
/// Instance Connect's agent does — prints the keys the metadata service holds for USER at
/// `managed-ssh-keys/active-keys/USER` (EC2's `send-ssh-public-key` puts them there for 60
/// seconds). Nothing (and success) when there are none: sshd then reads
/// `authorized_keys` alone.
pub fn eic_keys(args: &[String]) -> i32 {
    let Some(user) = args.first() else {
        eprintln!("usage: nimbus-eic-keys USER");
        return 1;
    };
    if user.is_empty()
        || !user
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    {
        return 0;
    }
    if let Ok(keys) = imds_get(&format!(
        "/latest/meta-data/managed-ssh-keys/active-keys/{user}"
    )) {
        for l in keys.lines().map(str::trim) {
            if l.starts_with("ssh-") || l.starts_with("ecdsa-") {
                println!("{l}");
            }
        }
    }
    0
}

/// cloud-init's part: the launch's key pair (IMDS `public-keys/0/openssh-key`) goes into
/// the default user's `~/.ssh/authorized_keys`. Nothing happens when the instance was
/// launched without a key pair.
pub fn authorize_key_pair(user: &str) {
    let Ok(key) = imds_get("/latest/meta-data/public-keys/0/openssh-key") else {
        return;
    };
    let key = key.trim();
    if key.is_empty() {
        return;
    }
    let (uid, gid) = ids_of(user).unwrap_or((1000, 1000));
    let home = Path::new("/home").join(user);
    let ssh = home.join(".ssh");
    let file = ssh.join("authorized_keys");
    let write = || -> std::io::Result<()> {
        fs::create_dir_all(&ssh)?;
        let mut keys = fs::read_to_string(&file).unwrap_or_default();
        if !keys.lines().any(|l| l.trim() == key) {
            if !keys.is_empty() && !keys.ends_with('\n') {
                keys.push('\n');
            }
            keys.push_str(key);
            keys.push('\n');
            fs::write(&file, keys)?;
        }
        fs::set_permissions(&ssh, fs::Permissions::from_mode(0o700))?;
        fs::set_permissions(&file, fs::Permissions::from_mode(0o600))?;
        std::os::unix::fs::chown(&ssh, Some(uid), Some(gid))?;
        std::os::unix::fs::chown(&file, Some(uid), Some(gid))
    };
    match write() {
        Ok(()) => println!(
            "ci-info: Authorized keys from {} for user {user}: the key pair's key",
            file.display()
        ),
        Err(e) => println!("ci-info: could not write {}: {e}", file.display()),
    }
}

/// (uid, gid) of `user` from /etc/passwd.
fn ids_of(user: &str) -> Option<(u32, u32)> {
    let passwd = fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.first() == Some(&user) && f.len() > 3)
            .then(|| Some((f[2].parse().ok()?, f[3].parse().ok()?)))?
    })
}
