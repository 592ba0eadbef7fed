//! SSH into an instance with the host's own `ssh`/`scp` clients, through the loopback
//! forwarder (`Runtime::expose` of port 22): cloud-init puts the key pair's key (served by
//! IMDS as `public-keys/0/openssh-key`) into `ec2-user`'s `authorized_keys`; that key logs in
//! — commands with their exit status, a PTY, `sudo` without a password, scp both ways, the
//! seed lab's `sudo yum install stress` and `stress`, and from another instance to the
//! private IP, EC2 Instance Connect keys while IMDS holds them — and a
//! wrong key or a wrong user is refused as sshd refuses them. Skips (with the reason) where
//! the host has no sandbox or no OpenSSH.

mod common;
use common::*;
use nimbus_runtime::{InstanceMetadata, MetadataSource};
use std::collections::BTreeMap;
use std::io::Read;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::time::Duration;

const ID: &str = "i-0sshtest00000001";

/// The key pair's key, and an EC2 Instance Connect key for ec2-user while one is pushed.
struct Keys(String, std::sync::Mutex<Option<String>>);
impl MetadataSource for Keys {
    fn metadata(&self, instance_id: &str) -> Option<InstanceMetadata> {
        let mut entries = BTreeMap::new();
        entries.insert("meta-data/instance-id".into(), instance_id.to_string());
        entries.insert("meta-data/public-keys/0/openssh-key".into(), self.0.clone());
        if let Some(k) = self.1.lock().unwrap().clone() {
            entries.insert("meta-data/managed-ssh-keys/active-keys/ec2-user".into(), k);
        }
        Some(InstanceMetadata {
            entries,
            http_tokens_required: false,
            hop_limit: 1,
            disabled: false,
        })
    }
}

fn keygen(dir: &Path, name: &str, kind: &str) -> PathBuf {
    let p = dir.join(name);
    let st = Command::new("ssh-keygen")
        .args(["-q", "-t", kind, "-N", "", "-C", name, "-f"])
        .arg(&p)
        .status()
        .expect("ssh-keygen");
    assert!(st.success());
    p
}

fn opts(key: &Path) -> Vec<String> {
    [
        "-i",
        &key.to_string_lossy(),
        "-o",
        "StrictHostKeyChecking=no",
        "-o",
        "UserKnownHostsFile=/dev/null",
        "-o",
        "BatchMode=yes",
        "-o",
        "IdentitiesOnly=yes",
        "-o",
        "IdentityAgent=none",
        "-o",
        "LogLevel=ERROR",
        "-o",
        "ConnectTimeout=10",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn ssh(key: &Path, dest: &str, extra: &[&str], cmd: &str) -> Output {
    Command::new("ssh")
        .args(opts(key))
        .args(extra)
        .arg(dest)
        .arg(cmd)
        .stdin(Stdio::null())
        .output()
        .expect("ssh")
}

fn text(o: &Output) -> String {
    format!(
        "status {:?}\nstdout: {}\nstderr: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn ssh_with_the_key_pair_and_nothing_else() {
    let Some(e) = env() else { return };
    if !Path::new("/usr/sbin/sshd").exists() || !Path::new("/usr/bin/ssh").exists() {
        eprintln!(
            "SKIPPED: OpenSSH (openssh-server, openssh-client) is not installed on this host"
        );
        return;
    }
    let good = keygen(e.dir.path(), "good", "ed25519");
    let other = keygen(e.dir.path(), "other", "rsa");
    let pubkey = std::fs::read_to_string(good.with_extension("pub")).unwrap();
    let eic = keygen(e.dir.path(), "eic", "ed25519");
    let source = Arc::new(Keys(pubkey.trim().to_string(), Default::default()));
    e.rt.set_metadata_source(source.clone());
    e.rt.launch(spec(ID, [10, 0, 1, 70], None)).expect("launch");
    assert!(
        wait_user_data(&e, ID, Duration::from_secs(10)),
        "{}",
        diag(&e, ID)
    );
    let vol = e.rt.root_volume(ID);
    let ak = std::fs::read_to_string(vol.join("home/ec2-user/.ssh/authorized_keys"))
        .unwrap_or_else(|err| panic!("authorized_keys: {err}\n{}", diag(&e, ID)));
    assert_eq!(ak.trim(), pubkey.trim());
    // sshd answers with its banner once it listens.
    let banner = wait_for(Duration::from_secs(10), || {
        let mut s = e.rt.connect(ID, 22).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
        let mut b = [0u8; 64];
        let n = s.read(&mut b).ok()?;
        Some(String::from_utf8_lossy(&b[..n]).into_owned())
    })
    .unwrap_or_else(|| {
        panic!(
            "sshd never answered: {}\n{}",
            std::fs::read_to_string(vol.join("var/log/nimbus-sshd.log")).unwrap_or_default(),
            diag(&e, ID)
        )
    });
    assert!(banner.starts_with("SSH-2.0-OpenSSH"), "{banner}");

    let tokio = tokio::runtime::Runtime::new().unwrap();
    let public = Ipv4Addr::new(127, 77, 1, 70);
    let exposure = tokio.block_on(e.rt.expose(ID, public, 22)).expect("expose");
    let dest = format!("ec2-user@{public}");

    // A command: its output and exit status.
    let o = ssh(&good, &dest, &[], "whoami; hostname -f; id -gn; exit 7");
    assert_eq!(o.status.code(), Some(7), "{}", text(&o));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "ec2-user\nip-10-0-1-70.ec2.internal\nec2-user\n",
        "{}",
        text(&o)
    );
    // sudo without a password.
    let o = ssh(
        &good,
        &dest,
        &[],
        "sudo -n whoami && sudo -n head -c 5 /etc/shadow",
    );
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "root\nroot:",
        "{}",
        text(&o)
    );
    // Without sudo, root's files stay closed.
    let o = ssh(&good, &dest, &[], "cat /etc/shadow");
    assert!(!o.status.success(), "{}", text(&o));
    // A PTY.
    let o = ssh(&good, &dest, &["-tt"], "tty; test -t 0 && echo interactive");
    assert!(o.status.success(), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("/dev/pts/") && out.contains("interactive"),
        "{}",
        text(&o)
    );
    // scp up and back down.
    let local = e.dir.path().join("up.txt");
    std::fs::write(&local, "copied by scp\n").unwrap();
    let st = Command::new("scp")
        .args(opts(&good))
        .arg(&local)
        .arg(format!("{dest}:/home/ec2-user/up.txt"))
        .output()
        .unwrap();
    assert!(st.status.success(), "{}", text(&st));
    assert_eq!(
        std::fs::read_to_string(vol.join("home/ec2-user/up.txt")).unwrap(),
        "copied by scp\n"
    );
    let back = e.dir.path().join("back.txt");
    let st = Command::new("scp")
        .args(opts(&good))
        .arg(format!("{dest}:/etc/os-release"))
        .arg(&back)
        .output()
        .unwrap();
    assert!(st.status.success(), "{}", text(&st));
    assert!(std::fs::read_to_string(&back)
        .unwrap()
        .contains("PRETTY_NAME=\"Amazon Linux 2\""));

    // The seed lab's session: packages with sudo, then stress.
    let o = ssh(
        &good,
        &dest,
        &[],
        "sudo amazon-linux-extras install epel -y >/dev/null && sudo yum install stress -y | tail -1 && stress -c 1 --timeout 1",
    );
    assert!(o.status.success(), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("Complete!") && out.contains("successful run completed"),
        "{}",
        text(&o)
    );

    // From another instance of the VPC, to the private IP (the host's ssh client is in every
    // instance's /usr).
    const PEER: &str = "i-0sshpeer00000001";
    e.rt.launch(spec(PEER, [10, 0, 1, 71], None))
        .expect("launch peer");
    let key_inside = e.rt.root_volume(PEER).join("root/id_key");
    std::fs::copy(&good, &key_inside).unwrap();
    let peer = e.rt.exec(
        PEER,
        &[
            "ssh",
            "-i",
            "/root/id_key",
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "BatchMode=yes",
            "-o",
            "LogLevel=ERROR",
            "ec2-user@10.0.1.70",
            "hostname -f",
        ],
    );
    let peer = peer.unwrap();
    assert!(peer.status.success(), "{}", text(&peer));
    assert_eq!(
        String::from_utf8_lossy(&peer.stdout),
        "ip-10-0-1-70.ec2.internal\n"
    );
    e.rt.terminate(PEER).unwrap();

    // EC2 Instance Connect: a pushed key logs in while IMDS holds it, and not after.
    let o = ssh(&eic, &dest, &[], "whoami");
    assert_eq!(o.status.code(), Some(255), "not pushed yet: {}", text(&o));
    *source.1.lock().unwrap() = Some(
        std::fs::read_to_string(eic.with_extension("pub"))
            .unwrap()
            .trim()
            .to_string(),
    );
    let o = ssh(&eic, &dest, &[], "whoami");
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout), "ec2-user\n");
    *source.1.lock().unwrap() = None;
    let o = ssh(&eic, &dest, &[], "whoami");
    assert_eq!(o.status.code(), Some(255), "expired: {}", text(&o));

    // Refusals, worded by sshd.
    let o = ssh(&other, &dest, &[], "true");
    assert_eq!(o.status.code(), Some(255), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("Permission denied (publickey)"),
        "{}",
        text(&o)
    );
    for user in ["root", "nobody", "ubuntu"] {
        let o = ssh(&good, &format!("{user}@{public}"), &[], "true");
        assert_eq!(o.status.code(), Some(255), "{user}: {}", text(&o));
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("Permission denied (publickey)"),
            "{user}: {}",
            text(&o)
        );
    }
    drop(exposure);
    e.rt.terminate(ID).unwrap();
}
