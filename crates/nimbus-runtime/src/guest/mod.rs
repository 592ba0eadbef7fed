//! The guest side: what runs inside an instance, shipped in the same binary as Nimbus. The
//! binary is bind-mounted read-only at `/usr/lib/nimbus/guest` in every sandbox and the guest
//! tools are links to it; [`dispatch`] picks the tool by the name it was started as (argv[0]).
//! Tools: the sandbox init stages (`init`), cloud-init's final stage (`cloudinit`), `yum`/`dnf`/
//! `rpm`/`amazon-linux-extras`/`apt-get` over a built-in package catalog (`packages`),
//! `systemctl` (`systemctl`), `httpd` (`httpd`), `stress`/`stress-ng` (`stress`), the SSH
//! server's preparation (`sshd`), `sudo` and `ec2-metadata` (here). Each is a plain function over argv returning an exit code.

pub mod cloudinit;
pub mod httpd;
pub mod init;
pub mod packages;
pub mod sshd;
pub mod stress;
pub mod systemctl;

use std::ffi::OsString;
use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::path::Path;

/// The argument that starts cloud-init's final stage (spawned by PID 1 on first boot).
pub const CLOUD_FINAL_ARG: &str = "__nimbus_cloud_final";
/// The argument that runs a command for the host (`Runtime::exec`) under the guest's limits.
pub const EXEC_ARG: &str = "__nimbus_exec";

/// Runs the guest tool this process was started as, if it is one: Some(exit code).
/// `nimbus`'s `main` calls this first and exits with the code when it returns Some.
pub fn dispatch() -> Option<i32> {
    let args: Vec<String> = std::env::args_os()
        .map(|a: OsString| a.to_string_lossy().into_owned())
        .collect();
    let first = args.first()?;
    let tool = Path::new(first).file_name()?.to_string_lossy().into_owned();
    if args.get(1).map(String::as_str) == Some(crate::boot::STAGE1_ARG) {
        return Some(init::stage1(Path::new(args.get(2)?)));
    }
    if args.get(1).map(String::as_str) == Some(EXEC_ARG) {
        return Some(exec_for_host(&args[2..]));
    }
    if args.get(1).map(String::as_str) == Some(CLOUD_FINAL_ARG) {
        return Some(cloudinit::final_stage());
    }
    let rest = &args[1..];
    Some(match tool.as_str() {
        "yum" | "dnf" => packages::yum(&tool, rest),
        "rpm" => packages::rpm(rest),
        "amazon-linux-extras" => packages::amazon_linux_extras(rest),
        "apt-get" | "apt" => packages::apt_get(&tool, rest),
        "systemctl" => systemctl::main(rest),
        "httpd" | "apache2" => httpd::main(rest),
        "apachectl" => systemctl::main(&["start".into(), "httpd".into()]),
        "stress" => stress::stress(rest),
        "stress-ng" => stress::stress_ng(rest),
        "sudo" => sudo(rest),
        "ec2-metadata" => ec2_metadata(rest),
        "nimbus-sshd" => sshd::main(rest),
        "nimbus-eic-keys" => sshd::eic_keys(rest),
        "shutdown" | "poweroff" | "halt" | "reboot" => power(&tool, rest),
        _ => return None,
    })
}

/// Runs `argv` (entered into the instance by the host) with the capabilities every guest
/// process lacks, as root in `/root`.
fn exec_for_host(argv: &[String]) -> i32 {
    for cap in crate::sys::GUEST_DROPPED_CAPS {
        let _ = crate::sys::drop_bounding_cap(*cap);
    }
    let Some((prog, rest)) = argv.split_first() else {
        return 2;
    };
    let err = std::process::Command::new(prog)
        .args(rest)
        .env_clear()
        .env("PATH", cloudinit::PATH)
        .env("HOME", "/root")
        .env("LANG", "C.UTF-8")
        .current_dir("/root")
        .exec();
    eprintln!("{prog}: {err}");
    127
}

/// `sudo`: root runs the command directly (the default user's NOPASSWD rule is in
/// /etc/sudoers.d). The guest binary is not setuid (a bind mount cannot add that bit), so a
/// non-root caller is refused with a clear message instead of a fake elevation.
fn sudo(args: &[String]) -> i32 {
    let mut i = 0;
    let mut login = false;
    while i < args.len() && args[i].starts_with('-') {
        match args[i].as_str() {
            "-u" | "-g" => i += 1,
            "-i" | "-s" => login = true,
            "--" => {
                i += 1;
                break;
            }
            _ => {}
        }
        i += 1;
    }
    if crate::sys::geteuid() != 0 {
        eprintln!("sudo: this Nimbus guest runs sudo only as root (no setuid helper yet)");
        return 1;
    }
    let cmd: Vec<&String> = args[i..].iter().collect();
    let err = if cmd.is_empty() {
        if !login {
            eprintln!("usage: sudo [-i|-s] [command [arg ...]]");
            return 1;
        }
        std::process::Command::new("/bin/bash").arg("-l").exec()
    } else if login {
        let line = cmd.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ");
        std::process::Command::new("/bin/bash")
            .args(["-l", "-c", &line])
            .exec()
    } else {
        std::process::Command::new(cmd[0]).args(&cmd[1..]).exec()
    };
    eprintln!(
        "sudo: {}: {err}",
        cmd.first().map_or("bash", |s| s.as_str())
    );
    1
}

/// `shutdown [-h|-P|-r] [now|+0]`, `poweroff`, `halt`, `reboot`: signal PID 1 (SIGTERM powers
/// off, SIGINT reboots). Delayed shutdowns (`+5`, `hh:mm`) are not provided.
fn power(tool: &str, args: &[String]) -> i32 {
    if crate::sys::geteuid() != 0 {
        eprintln!("Failed to {tool}: Access denied");
        return 1;
    }
    let mut reboot = tool == "reboot";
    for a in args {
        match a.as_str() {
            "-r" | "--reboot" => reboot = true,
            "-h" | "-P" | "--poweroff" | "-H" | "--halt" | "now" | "+0" | "-f" | "--force"
            | "--no-wall" => {}
            "-c" => {
                eprintln!("No scheduled shutdown to cancel.");
                return 1;
            }
            other if tool == "shutdown" && !other.starts_with('-') => {
                eprintln!("shutdown: only an immediate shutdown (now) is provided by the Nimbus guest, not {other:?}");
                return 1;
            }
            _ => {}
        }
    }
    let sig = if reboot {
        crate::sys::SIGINT
    } else {
        crate::sys::SIGTERM
    };
    match crate::sys::kill(1, sig) {
        Ok(_) => 0,
        Err(e) => {
            eprintln!("Failed to {tool}: {e}");
            1
        }
    }
}

/// `ec2-metadata`: reads the instance metadata service at 169.254.169.254 (IMDSv2 token
/// first, as the real tool does).
fn ec2_metadata(args: &[String]) -> i32 {
    let items: &[(&str, &str, &str)] = &[
        ("-i", "--instance-id", "instance-id"),
        ("-t", "--instance-type", "instance-type"),
        ("-a", "--ami-id", "ami-id"),
        ("-h", "--local-hostname", "local-hostname"),
        ("-o", "--local-ipv4", "local-ipv4"),
        ("-p", "--public-hostname", "public-hostname"),
        ("-v", "--public-ipv4", "public-ipv4"),
        ("-z", "--availability-zone", "placement/availability-zone"),
        ("-R", "--region", "placement/region"),
        ("-s", "--security-groups", "security-groups"),
        ("-d", "--user-data", "user-data"),
    ];
    let wanted: Vec<&(&str, &str, &str)> = if args.is_empty() || args.iter().any(|a| a == "--all") {
        items.iter().collect()
    } else {
        let mut w = Vec::new();
        for a in args {
            match items.iter().find(|(s, l, _)| a == s || a == l) {
                Some(it) => w.push(it),
                None => {
                    eprintln!("ec2-metadata: unknown option {a}");
                    return 1;
                }
            }
        }
        w
    };
    let token = imds_request(
        "PUT",
        "/latest/api/token",
        &[("X-aws-ec2-metadata-token-ttl-seconds", "21600")],
    )
    .ok();
    let mut rc = 0;
    for (_, long, path) in wanted {
        let hdrs: Vec<(&str, &str)> = token
            .iter()
            .map(|t| ("X-aws-ec2-metadata-token", t.as_str()))
            .collect();
        match imds_request(
            "GET",
            &format!("/latest/meta-data/{path}").replace("meta-data/user-data", "user-data"),
            &hdrs,
        ) {
            Ok(v) => println!("{}: {v}", long.trim_start_matches("--")),
            Err(e) => {
                eprintln!("ec2-metadata: {}: {e}", long.trim_start_matches("--"));
                rc = 1;
            }
        }
    }
    rc
}

fn imds_request(method: &str, path: &str, headers: &[(&str, &str)]) -> std::io::Result<String> {
    use std::time::Duration;
    let addr = std::net::SocketAddr::from(([169, 254, 169, 254], 80));
    let mut s = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(1))?;
    s.set_read_timeout(Some(Duration::from_secs(2)))?;
    let mut req = format!("{method} {path} HTTP/1.0\r\nHost: 169.254.169.254\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("Content-Length: 0\r\n\r\n");
    s.write_all(req.as_bytes())?;
    let mut resp = String::new();
    s.read_to_string(&mut resp)?;
    let (head, body) = resp.split_once("\r\n\r\n").unwrap_or((&resp, ""));
    let status = head.split(' ').nth(1).unwrap_or("");
    if status != "200" {
        return Err(std::io::Error::other(format!("HTTP {status}")));
    }
    Ok(body.to_string())
}

/// (year, month, day, hour, minute, second, weekday 0=Sunday) of a Unix time, UTC.
pub fn civil(secs: u64) -> (i64, u32, u32, u32, u32, u32, u32) {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    let wd = ((days + 4).rem_euclid(7)) as u32;
    (
        y,
        m,
        d,
        (rem / 3600) as u32,
        (rem % 3600 / 60) as u32,
        (rem % 60) as u32,
        wd,
    )
}

pub const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
pub const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

pub fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// RFC 7231 date: `Mon, 07 Dec 2026 16:55:23 GMT`.
pub fn http_date(secs: u64) -> String {
    let (y, mo, d, h, mi, s, wd) = civil(secs);
    format!(
        "{}, {d:02} {} {y} {h:02}:{mi:02}:{s:02} GMT",
        WEEKDAYS[wd as usize],
        MONTHS[mo as usize - 1]
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn civil_dates() {
        assert_eq!(super::http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(
            super::http_date(1_796_662_523),
            "Mon, 07 Dec 2026 16:55:23 GMT"
        );
        assert_eq!(
            super::http_date(951_782_400),
            "Tue, 29 Feb 2000 00:00:00 GMT"
        );
    }
}
