//! PID 1's life after the mounts, and user data the way cloud-init takes it. PID 1 starts the
//! enabled services, on first boot spawns cloud-init's final stage (this binary again) with its
//! output piped through PID 1 into the console and `/var/log/cloud-init-output.log`, and reaps
//! every orphan forever. The final stage runs the user data once per instance: a `#!` script
//! as is (cwd `/`, so even the seed's `#!bin/bash` finds `/bin/bash` as on EC2), or a
//! `#cloud-config` document (`write_files`, `package_update`/`package_upgrade`, `packages`,
//! `runcmd`), or a MIME multi-part archive of those. Other formats are reported on the console
//! as unsupported rather than ignored.

use super::init::cloud_dir;
use crate::boot::BootConfig;
use crate::personality::{Personality, GUEST_PATH};
use crate::sys;
use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};

/// The cloud-init banner each AMI prints.
fn version(p: Personality) -> &'static str {
    match p {
        Personality::Amzn2 => "Cloud-init v. 19.3-46.amzn2",
        Personality::Al2023 => "Cloud-init v. 22.2.2",
        Personality::Ubuntu => "Cloud-init v. 23.4.4-0ubuntu0~22.04.1",
        Personality::Debian => "Cloud-init v. 22.4.2",
    }
}
pub const PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

fn cloud_date() -> String {
    let (y, mo, d, h, mi, s, wd) = super::civil(super::now_secs());
    format!(
        "{}, {d:02} {} {y} {h:02}:{mi:02}:{s:02} +0000",
        super::WEEKDAYS[wd as usize],
        super::MONTHS[mo as usize - 1]
    )
}

fn uptime() -> String {
    fs::read_to_string("/proc/uptime")
        .ok()
        .and_then(|u| u.split(' ').next().map(str::to_string))
        .unwrap_or_else(|| "0.00".into())
}

/// PID 1 after the sandbox is built. Never returns while the instance runs.
pub fn boot(cfg: &BootConfig) -> i32 {
    let _ = sys::catch_signals(&[sys::SIGTERM, sys::SIGINT]);
    println!(
        "Nimbus guest init: {} booting as {} ({})",
        cfg.instance_id,
        cfg.hostname,
        cfg.personality.name()
    );
    let wants = Path::new("/etc/systemd/system/multi-user.target.wants");
    if let Ok(rd) = fs::read_dir(wants) {
        let mut units: Vec<String> = rd
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        units.sort();
        for u in units {
            let name = u.trim_end_matches(".service").to_string();
            let status = Command::new(GUEST_PATH)
                .arg0("systemctl")
                .args(["start", &name])
                .env_clear()
                .env("PATH", PATH)
                .stdin(Stdio::null())
                .status();
            match status {
                Ok(s) if s.success() => println!("[  OK  ] Started {name}.service."),
                _ => println!("[FAILED] Failed to start {name}.service."),
            }
        }
    }
    if Path::new(super::sshd::SOCKET_UNIT).exists() {
        match super::sshd::listen_on_demand() {
            Ok(()) => println!("[  OK  ] Listening on sshd.socket."),
            Err(e) => println!("[FAILED] Failed to listen on sshd.socket: {e}"),
        }
    }
    let sem = cloud_dir().join("sem/config_scripts_user");
    let mut final_pid = None;
    if !sem.exists() {
        let _ = fs::write(&sem, super::now_secs().to_string());
        match spawn_final() {
            Ok(pid) => final_pid = Some(pid),
            Err(e) => println!(
                "{} could not run the user data: {e}",
                version(cfg.personality)
            ),
        }
    } else {
        let v = version(cfg.personality);
        println!(
            "{v} running 'modules:final' at {}. Up {} seconds.",
            cloud_date(),
            uptime()
        );
        println!(
            "{v} finished at {}. Datasource DataSourceEc2.  Up {} seconds",
            cloud_date(),
            uptime()
        );
    }
    let _ = std::io::stdout().flush();
    loop {
        match sys::wait_any_interruptible() {
            Ok(Some((pid, status))) => {
                if let Some((fpid, pump)) = final_pid.take() {
                    if fpid == pid as u32 {
                        let code = sys::exit_code(status);
                        std::thread::spawn(move || {
                            let _ = pump.join();
                            let _ = fs::write(
                                cloud_dir().join("boot-finished"),
                                format!("{} {code}\n", uptime()),
                            );
                        });
                    } else {
                        final_pid = Some((fpid, pump));
                    }
                }
            }
            Ok(None) => {}
            // No children: nothing to reap until a service is started again.
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(100)),
        }
        if let Some(sig) = sys::take_caught_signal() {
            return shut_down(sig == sys::SIGINT, final_pid.take().map(|(_, pump)| pump));
        }
    }
}

/// `shutdown`/`poweroff`/`reboot` inside the guest signal PID 1 (SIGTERM: power off,
/// SIGINT: reboot, as systemd takes them). PID 1 stops every process of the instance and exits
/// with [`crate::EXIT_POWEROFF`] or [`crate::EXIT_REBOOT`]; the host decides what that means
/// (EC2's InstanceInitiatedShutdownBehavior).
fn shut_down(reboot: bool, pump: Option<std::thread::JoinHandle<()>>) -> i32 {
    // kill(-1) below must only ever mean "every process of this sandbox".
    if sys::getpid() != 1 {
        return 1;
    }
    // Every other process of this PID namespace: TERM, a grace period, then KILL.
    let _ = sys::kill(-1, sys::SIGTERM);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
    while std::time::Instant::now() < deadline {
        match sys::waitpid(-1, true) {
            Ok(Some(_)) => continue,
            Ok(None) => std::thread::sleep(std::time::Duration::from_millis(5)),
            Err(_) => break, // no children left
        }
    }
    let _ = sys::kill(-1, sys::SIGKILL);
    while let Ok(Some(_)) = sys::waitpid(-1, false) {}
    // Everything the user data printed (before it asked for this) reaches the console
    // before the last word: its writers are gone now, so the pump ends.
    if let Some(pump) = pump {
        let until = std::time::Instant::now() + std::time::Duration::from_secs(1);
        while !pump.is_finished() && std::time::Instant::now() < until {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        if pump.is_finished() {
            let _ = pump.join();
        }
    }
    println!(
        "{}",
        if reboot {
            "Rebooting."
        } else {
            "Powering off."
        }
    );
    let _ = std::io::stdout().flush();
    if reboot {
        crate::EXIT_REBOOT
    } else {
        crate::EXIT_POWEROFF
    }
}

use std::os::unix::process::CommandExt;

/// Starts the final stage with its output going to the console and the output log.
fn spawn_final() -> std::io::Result<(u32, std::thread::JoinHandle<()>)> {
    let (mut r, w) = std::io::pipe()?;
    let w2 = w.try_clone()?;
    let child = Command::new(GUEST_PATH)
        .arg0("cloud-init")
        .arg(super::CLOUD_FINAL_ARG)
        .env_clear()
        .env("PATH", PATH)
        .env("HOME", "/root")
        .env("LANG", "en_US.UTF-8")
        .current_dir("/")
        .stdin(Stdio::null())
        .stdout(w)
        .stderr(w2)
        .spawn()?;
    let pid = child.id();
    drop(child); // PID 1 reaps it through waitpid(-1)
                 // The pump is born with PID 1's signals blocked, so they interrupt PID 1's waitpid and
                 // never the pump's read.
    let sigs = [sys::SIGTERM, sys::SIGINT];
    sys::block_signals_in_thread(&sigs, true)?;
    let pump = std::thread::spawn(move || {
        let mut log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open("/var/log/cloud-init-output.log")
            .ok();
        let mut buf = [0u8; 8192];
        loop {
            match r.read(&mut buf) {
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let mut out = std::io::stdout();
                    let _ = out.write_all(&buf[..n]);
                    let _ = out.flush();
                    if let Some(l) = log.as_mut() {
                        let _ = l.write_all(&buf[..n]);
                    }
                }
            }
        }
    });
    sys::block_signals_in_thread(&sigs, false)?;
    Ok((pid, pump))
}

/// cloud-init's final stage (a child of PID 1): runs the instance's user data once.
pub fn final_stage() -> i32 {
    let personality = personality();
    let v = version(personality);
    println!(
        "{v} running 'modules:final' at {}. Up {} seconds.",
        cloud_date(),
        uptime()
    );
    // cc_ssh: the launch's key pair for the default user, before the user data runs.
    super::sshd::authorize_key_pair(personality.default_user());
    let _ = std::io::stdout().flush();
    let data = fs::read(cloud_dir().join("user-data.txt")).unwrap_or_default();
    let rc = run_part(&data, personality, &mut 0);
    if rc != 0 {
        println!("{} - cc_scripts_user.py[WARNING]: Failed to run module scripts-user (scripts in /var/lib/cloud/instance/scripts)", cloud_date());
    }
    println!(
        "{v} finished at {}. Datasource DataSourceEc2.  Up {} seconds",
        cloud_date(),
        uptime()
    );
    rc
}

fn personality() -> Personality {
    let osr = fs::read_to_string("/etc/os-release").unwrap_or_default();
    if osr.contains("VERSION_ID=\"2023\"") {
        Personality::Al2023
    } else if osr.contains("ID=ubuntu") {
        Personality::Ubuntu
    } else if osr.contains("ID=debian") {
        Personality::Debian
    } else {
        Personality::Amzn2
    }
}

fn run_part(data: &[u8], p: Personality, seq: &mut u32) -> i32 {
    if data.iter().all(|b| b.is_ascii_whitespace()) {
        return 0;
    }
    if data.starts_with(b"\x1f\x8b") {
        println!("cloud-init: gzip-compressed user data is not supported by the Nimbus guest");
        return 1;
    }
    let text = String::from_utf8_lossy(data);
    let first = text.lines().next().unwrap_or("").trim_end();
    if first.starts_with("#!") {
        *seq += 1;
        return run_script(data, &format!("part-{:03}", seq));
    }
    if first.starts_with("#cloud-config") {
        return cloud_config(&text, p, seq);
    }
    if first.to_ascii_lowercase().starts_with("content-type:")
        || first.to_ascii_lowercase().starts_with("mime-version:")
    {
        return multipart(&text, p, seq);
    }
    println!("cloud-init: unhandled user data format (first line {first:?}); supported: #!, #cloud-config, MIME multi-part");
    1
}

fn run_script(body: &[u8], name: &str) -> i32 {
    let dir = cloud_dir().join("scripts");
    let _ = fs::create_dir_all(&dir);
    let path = dir.join(name);
    if let Err(e) = fs::write(&path, body)
        .and_then(|()| fs::set_permissions(&path, fs::Permissions::from_mode(0o700)))
    {
        println!("cloud-init: writing {}: {e}", path.display());
        return 1;
    }
    let _ = std::io::stdout().flush();
    match Command::new(&path)
        .current_dir("/")
        .stdin(Stdio::null())
        .status()
    {
        Ok(s) => {
            let code = s.code().unwrap_or(1);
            if code != 0 {
                println!(
                    "{} - util.py[WARNING]: Failed running {} [{code}]",
                    cloud_date(),
                    path.display()
                );
            }
            code
        }
        Err(e) => {
            println!(
                "{} - util.py[WARNING]: Failed running {} [-]: {e}",
                cloud_date(),
                path.display()
            );
            1
        }
    }
}

fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,@%+".contains(&b))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

fn yaml_str(v: &serde_yaml::Value) -> Option<String> {
    match v {
        serde_yaml::Value::String(s) => Some(s.clone()),
        serde_yaml::Value::Number(n) => Some(n.to_string()),
        serde_yaml::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn cloud_config(text: &str, p: Personality, seq: &mut u32) -> i32 {
    let doc: serde_yaml::Value = match serde_yaml::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            println!("cloud-init: failed to parse #cloud-config: {e}");
            return 1;
        }
    };
    let mut rc = 0;
    if let Some(files) = doc.get("write_files").and_then(|v| v.as_sequence()) {
        for f in files {
            if let Err(e) = write_file(f) {
                println!("cloud-init: write_files: {e}");
                rc = 1;
            }
        }
    }
    let (mgr, update) = if p.is_amazon() {
        ("yum", vec!["update", "-y"])
    } else {
        ("apt-get", vec!["update"])
    };
    let truthy = |k: &str| doc.get(k).and_then(|v| v.as_bool()).unwrap_or(false);
    if truthy("package_update")
        || truthy("package_upgrade")
        || truthy("repo_update")
        || truthy("repo_upgrade")
    {
        rc |= run_cmd(Command::new(mgr).args(&update));
    }
    if let Some(pkgs) = doc.get("packages").and_then(|v| v.as_sequence()) {
        let names: Vec<String> = pkgs
            .iter()
            .filter_map(|v| {
                yaml_str(v).or_else(|| v.as_sequence().and_then(|s| s.first()).and_then(yaml_str))
            })
            .collect();
        if !names.is_empty() {
            rc |= run_cmd(Command::new(mgr).args(["install", "-y"]).args(&names));
        }
    }
    if let Some(cmds) = doc.get("runcmd").and_then(|v| v.as_sequence()) {
        let mut script = String::from("#!/bin/sh\n");
        for c in cmds {
            if let Some(s) = yaml_str(c) {
                script.push_str(&s);
            } else if let Some(argv) = c.as_sequence() {
                let parts: Vec<String> = argv
                    .iter()
                    .filter_map(yaml_str)
                    .map(|a| shell_quote(&a))
                    .collect();
                script.push_str(&parts.join(" "));
            }
            script.push('\n');
        }
        *seq += 1;
        rc |= run_script(script.as_bytes(), "runcmd");
    }
    rc
}

fn run_cmd(cmd: &mut Command) -> i32 {
    let _ = std::io::stdout().flush();
    match cmd.current_dir("/").stdin(Stdio::null()).status() {
        Ok(s) => s.code().map_or(1, |c| i32::from(c != 0)),
        Err(e) => {
            println!("cloud-init: {e}");
            1
        }
    }
}

fn write_file(f: &serde_yaml::Value) -> Result<(), String> {
    use base64::Engine;
    let path = f
        .get("path")
        .and_then(yaml_str)
        .ok_or("an entry has no path")?;
    let content = f.get("content").and_then(yaml_str).unwrap_or_default();
    let enc = f
        .get("encoding")
        .and_then(yaml_str)
        .unwrap_or_default()
        .to_ascii_lowercase();
    let bytes = match enc.as_str() {
        "" | "text/plain" => content.into_bytes(),
        "b64" | "base64" => base64::engine::general_purpose::STANDARD
            .decode(content.split_whitespace().collect::<String>())
            .map_err(|e| format!("{path}: bad base64: {e}"))?,
        other => {
            return Err(format!(
                "{path}: encoding {other} is not supported by the Nimbus guest"
            ))
        }
    };
    let p = Path::new(&path);
    if let Some(dir) = p.parent() {
        fs::create_dir_all(dir).map_err(|e| format!("{path}: {e}"))?;
    }
    let append = f.get("append").and_then(|v| v.as_bool()).unwrap_or(false);
    let mut file = fs::OpenOptions::new()
        .create(true)
        .write(true)
        .append(append)
        .truncate(!append)
        .open(p)
        .map_err(|e| format!("{path}: {e}"))?;
    file.write_all(&bytes).map_err(|e| format!("{path}: {e}"))?;
    let perms = f
        .get("permissions")
        .and_then(yaml_str)
        .unwrap_or_else(|| "0644".into());
    let mode = u32::from_str_radix(perms.trim_start_matches("0o"), 8)
        .map_err(|_| format!("{path}: permissions {perms:?}"))?;
    fs::set_permissions(p, fs::Permissions::from_mode(mode)).map_err(|e| format!("{path}: {e}"))?;
    if let Some(owner) = f.get("owner").and_then(yaml_str) {
        let (u, g) = owner.split_once(':').unwrap_or((&owner, &owner));
        let uid = lookup_id("/etc/passwd", u).ok_or(format!("{path}: unknown user {u}"))?;
        let gid = lookup_id("/etc/group", g).ok_or(format!("{path}: unknown group {g}"))?;
        std::os::unix::fs::chown(p, Some(uid), Some(gid)).map_err(|e| format!("{path}: {e}"))?;
    }
    Ok(())
}

fn lookup_id(db: &str, name: &str) -> Option<u32> {
    if let Ok(n) = name.parse() {
        return Some(n);
    }
    fs::read_to_string(db).ok()?.lines().find_map(|l| {
        let mut it = l.split(':');
        (it.next()? == name).then(|| it.nth(1)?.parse().ok())?
    })
}

/// MIME multi-part user data: each part by its Content-Type (text/x-shellscript,
/// text/cloud-config), in order.
fn multipart(text: &str, p: Personality, seq: &mut u32) -> i32 {
    let (head, body) = text
        .split_once("\n\n")
        .or_else(|| text.split_once("\r\n\r\n"))
        .unwrap_or((text, ""));
    let boundary = head
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("content-type:"))
        .and_then(|l| {
            l.split(';').find_map(|s| {
                s.trim()
                    .strip_prefix("boundary=")
                    .map(|b| b.trim().trim_matches('"').to_string())
            })
        });
    let Some(boundary) = boundary else {
        println!("cloud-init: multi-part user data without a boundary");
        return 1;
    };
    let delim = format!("--{boundary}");
    let mut rc = 0;
    for part in body.split(&delim).skip(1) {
        if part.starts_with("--") {
            break;
        }
        let part = part.trim_start_matches(['\r', '\n']);
        let (phead, pbody) = part
            .split_once("\n\n")
            .or_else(|| part.split_once("\r\n\r\n"))
            .unwrap_or(("", part));
        let ctype = phead
            .lines()
            .find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("content-type:")
                    .map(|v| v.trim().split(';').next().unwrap_or("").to_string())
            })
            .unwrap_or_default();
        let b64 = phead
            .to_ascii_lowercase()
            .contains("content-transfer-encoding: base64");
        let bytes = if b64 {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD
                .decode(pbody.split_whitespace().collect::<String>())
                .unwrap_or_default()
        } else {
            pbody.trim_end_matches(['\r', '\n']).as_bytes().to_vec()
        };
        match ctype.as_str() {
            "text/x-shellscript" | "text/cloud-config" => rc |= run_part(&bytes, p, seq),
            other => println!(
                "cloud-init: skipping a part of type {other:?} (not handled by the Nimbus guest)"
            ),
        }
    }
    rc
}
