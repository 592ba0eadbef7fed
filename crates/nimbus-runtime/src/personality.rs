//! The guest personality an AMI gives an instance: its `/etc/os-release`, its default user,
//! its package manager and the guest tools that come pre-installed — and the read-only layer
//! that carries them (`usr/` and `etc/` trees laid over the host's), built once per runtime
//! directory. The tools are symbolic links to the multi-call guest binary, which the sandbox
//! bind-mounts read-only at [`GUEST_PATH`].

use serde::{Deserialize, Serialize};
use std::fs;
use std::io;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::Path;

/// Where the guest binary appears inside every instance.
pub const GUEST_PATH: &str = "/usr/lib/nimbus/guest";

/// The operating systems an AMI can say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Personality {
    Amzn2,
    Al2023,
    Ubuntu,
    Debian,
}

impl Personality {
    pub fn parse(s: &str) -> Option<Personality> {
        match s {
            "amzn2" => Some(Personality::Amzn2),
            "al2023" => Some(Personality::Al2023),
            "ubuntu" => Some(Personality::Ubuntu),
            "debian" => Some(Personality::Debian),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Personality::Amzn2 => "amzn2",
            Personality::Al2023 => "al2023",
            Personality::Ubuntu => "ubuntu",
            Personality::Debian => "debian",
        }
    }

    /// The login user the AMI's cloud-init creates.
    pub fn default_user(self) -> &'static str {
        match self {
            Personality::Amzn2 | Personality::Al2023 => "ec2-user",
            Personality::Ubuntu => "ubuntu",
            Personality::Debian => "admin",
        }
    }

    pub fn is_amazon(self) -> bool {
        matches!(self, Personality::Amzn2 | Personality::Al2023)
    }

    /// The distribution's `/etc/os-release`.
    pub fn os_release(self) -> &'static str {
        match self {
            Personality::Amzn2 => concat!(
                "NAME=\"Amazon Linux\"\nVERSION=\"2\"\nID=\"amzn\"\nID_LIKE=\"centos rhel fedora\"\n",
                "VERSION_ID=\"2\"\nPRETTY_NAME=\"Amazon Linux 2\"\nANSI_COLOR=\"0;33\"\n",
                "CPE_NAME=\"cpe:2.3:o:amazon:amazon_linux:2\"\nHOME_URL=\"https://amazonlinux.com/\"\n",
                "SUPPORT_END=\"2026-06-30\"\n"
            ),
            Personality::Al2023 => concat!(
                "NAME=\"Amazon Linux\"\nVERSION=\"2023\"\nID=\"amzn\"\nID_LIKE=\"fedora\"\n",
                "VERSION_ID=\"2023\"\nPLATFORM_ID=\"platform:al2023\"\n",
                "PRETTY_NAME=\"Amazon Linux 2023.6.20241212\"\nANSI_COLOR=\"0;33\"\n",
                "CPE_NAME=\"cpe:2.3:o:amazon:amazon_linux:2023\"\nHOME_URL=\"https://aws.amazon.com/linux/amazon-linux-2023/\"\n",
                "SUPPORT_END=\"2029-06-30\"\n"
            ),
            Personality::Ubuntu => concat!(
                "PRETTY_NAME=\"Ubuntu 22.04.5 LTS\"\nNAME=\"Ubuntu\"\nVERSION_ID=\"22.04\"\n",
                "VERSION=\"22.04.5 LTS (Jammy Jellyfish)\"\nVERSION_CODENAME=jammy\nID=ubuntu\nID_LIKE=debian\n",
                "HOME_URL=\"https://www.ubuntu.com/\"\nUBUNTU_CODENAME=jammy\n"
            ),
            Personality::Debian => concat!(
                "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\n",
                "VERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\nID=debian\n",
                "HOME_URL=\"https://www.debian.org/\"\n"
            ),
        }
    }

    /// Guest tools present before anything is installed (each a link to the guest binary).
    pub fn base_tools(self) -> &'static [&'static str] {
        match self {
            Personality::Amzn2 => &[
                "usr/bin/yum",
                "usr/bin/amazon-linux-extras",
                "usr/bin/systemctl",
                "usr/bin/sudo",
                "usr/bin/ec2-metadata",
                "usr/bin/rpm",
                "usr/sbin/shutdown",
                "usr/sbin/poweroff",
                "usr/sbin/reboot",
                "usr/sbin/halt",
            ],
            Personality::Al2023 => &[
                "usr/bin/yum",
                "usr/bin/dnf",
                "usr/bin/systemctl",
                "usr/bin/sudo",
                "usr/bin/ec2-metadata",
                "usr/bin/rpm",
                "usr/sbin/shutdown",
                "usr/sbin/poweroff",
                "usr/sbin/reboot",
                "usr/sbin/halt",
            ],
            Personality::Ubuntu | Personality::Debian => &[
                "usr/bin/apt-get",
                "usr/bin/apt",
                "usr/bin/systemctl",
                "usr/bin/sudo",
                "usr/bin/ec2-metadata",
                "usr/sbin/shutdown",
                "usr/sbin/poweroff",
                "usr/sbin/reboot",
                "usr/sbin/halt",
            ],
        }
    }
}

/// Whether the host's `/usr/bin/sudo` is a setuid-root program.
fn host_setuid_sudo() -> bool {
    use std::os::unix::fs::MetadataExt;
    fs::metadata("/usr/bin/sudo").is_ok_and(|m| m.uid() == 0 && m.mode() & 0o4000 != 0)
}

/// Builds the personality's read-only layer under `dir` (idempotent: a finished layer has a
/// `.complete` marker and is left alone, since running instances may have it mounted).
pub fn build_layer(dir: &Path, p: Personality) -> io::Result<()> {
    if dir.join(".complete").exists() {
        return Ok(());
    }
    let _ = fs::remove_dir_all(dir);
    let usr = dir.join("usr");
    let etc = dir.join("etc");
    fs::create_dir_all(usr.join("lib/nimbus"))?;
    fs::create_dir_all(usr.join("bin"))?;
    fs::create_dir_all(usr.join("sbin"))?;
    fs::create_dir_all(usr.join("lib/systemd/system"))?;
    fs::create_dir_all(etc.join("systemd/system/multi-user.target.wants"))?;
    fs::create_dir_all(etc.join("sudoers.d"))?;
    // The bind-mount target for the guest binary.
    fs::write(usr.join("lib/nimbus/guest"), b"")?;
    fs::set_permissions(
        usr.join("lib/nimbus/guest"),
        fs::Permissions::from_mode(0o755),
    )?;
    // Where the host has a setuid-root `sudo` (package sudo), the guest uses it (through the
    // overlay, which keeps the bit), so the default user's NOPASSWD rule really elevates;
    // otherwise the guest's own `sudo`, which only root can use.
    let host_sudo = host_setuid_sudo();
    for tool in p.base_tools() {
        if host_sudo && *tool == "usr/bin/sudo" {
            continue;
        }
        symlink(GUEST_PATH, dir.join(tool))?;
    }
    // SSH: OpenSSH's server from the host, prepared and started by `nimbus-sshd`, per
    // connection through the enabled socket unit (PID 1 listens).
    symlink(GUEST_PATH, usr.join("sbin/nimbus-sshd"))?;
    symlink(GUEST_PATH, usr.join("sbin/nimbus-eic-keys"))?;
    fs::write(
        usr.join("lib/systemd/system/sshd.service"),
        crate::guest::sshd::unit(),
    )?;
    fs::write(
        usr.join("lib/systemd/system/sshd.socket"),
        crate::guest::sshd::socket_unit(),
    )?;
    fs::create_dir_all(etc.join("systemd/system/sockets.target.wants"))?;
    symlink(
        "/usr/lib/systemd/system/sshd.socket",
        etc.join("systemd/system/sockets.target.wants/sshd.socket"),
    )?;
    fs::write(etc.join("os-release"), p.os_release())?;
    fs::write(usr.join("lib/os-release"), p.os_release())?;
    if p == Personality::Amzn2 || p == Personality::Al2023 {
        fs::write(
            etc.join("system-release"),
            if p == Personality::Amzn2 {
                "Amazon Linux release 2 (Karoo)\n"
            } else {
                "Amazon Linux release 2023.6.20241212 (Amazon Linux)\n"
            },
        )?;
        fs::create_dir_all(etc.join("yum.repos.d"))?;
        let core = if p == Personality::Amzn2 {
            "amzn2-core"
        } else {
            "amazonlinux"
        };
        fs::write(
            etc.join("yum.repos.d").join(format!("{core}.repo")),
            format!("[{core}]\nname={core} repository (served by the Nimbus guest)\nenabled=1\n"),
        )?;
    }
    let user = p.default_user();
    let (wheel, wheel_gid) = if p.is_amazon() {
        ("wheel", 10)
    } else {
        ("sudo", 27)
    };
    fs::write(
        etc.join("passwd"),
        format!(
            "root:x:0:0:root:/root:/bin/bash\nbin:x:1:1:bin:/bin:/sbin/nologin\ndaemon:x:2:2:daemon:/sbin:/sbin/nologin\n\
             nobody:x:65534:65534:Kernel Overflow User:/:/sbin/nologin\n\
             sshd:x:74:74:Privilege-separated SSH:/usr/share/empty.sshd:/sbin/nologin\n\
             {user}:x:1000:1000:Cloud User:/home/{user}:/bin/bash\n"
        ),
    )?;
    fs::write(
        etc.join("group"),
        format!("root:x:0:\nbin:x:1:\ndaemon:x:2:\ntty:x:5:\n{wheel}:x:{wheel_gid}:{user}\nsshd:x:74:\nnobody:x:65534:\n{user}:x:1000:\n"),
    )?;
    fs::write(
        etc.join("shadow"),
        // No password (`*`, not the AMIs' `!!`: OpenSSH without PAM takes `!` for a locked
        // account and would refuse the key).
        format!("root:*LOCK*:14600::::::\nsshd:!!:14600::::::\n{user}:*:14600:0:99999:7:::\n"),
    )?;
    fs::set_permissions(etc.join("shadow"), fs::Permissions::from_mode(0o000))?;
    fs::write(
        etc.join("sudoers"),
        "Defaults env_reset\nDefaults secure_path = /sbin:/bin:/usr/sbin:/usr/bin\nroot ALL=(ALL) ALL\n#includedir /etc/sudoers.d\n",
    )?;
    fs::set_permissions(etc.join("sudoers"), fs::Permissions::from_mode(0o440))?;
    fs::write(
        etc.join("sudoers.d/90-cloud-init-users"),
        format!("# Created by cloud-init\n{user} ALL=(ALL) NOPASSWD:ALL\n"),
    )?;
    fs::set_permissions(
        etc.join("sudoers.d/90-cloud-init-users"),
        fs::Permissions::from_mode(0o440),
    )?;
    fs::write(
        etc.join("hosts"),
        "127.0.0.1   localhost localhost.localdomain localhost4 localhost4.localdomain4\n::1         localhost6 localhost6.localdomain6\n",
    )?;
    fs::write(etc.join("hostname"), "localhost.localdomain\n")?;
    fs::write(
        etc.join("resolv.conf"),
        "options timeout:1 attempts:1\nsearch ec2.internal\n",
    )?;
    fs::write(
        etc.join("nsswitch.conf"),
        "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n",
    )?;
    // The host's enabled units (and its unit overrides) must not show through: the guest's
    // PID 1 starts what is in multi-user.target.wants.
    crate::sys::set_overlay_opaque(&etc.join("systemd/system"))?;
    // Nor the host's SSH host keys, sudo rules or cron jobs.
    for d in ["ssh", "sudoers.d", "cron.d"] {
        fs::create_dir_all(etc.join(d))?;
        crate::sys::set_overlay_opaque(&etc.join(d))?;
    }
    fs::write(
        etc.join("ssh/sshd_config"),
        crate::guest::sshd::sshd_config(),
    )?;
    fs::write(dir.join(".complete"), p.name())?;
    Ok(())
}
