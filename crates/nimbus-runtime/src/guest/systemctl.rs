//! `systemctl` inside the guest, without systemd: units are the `.service` files under
//! `/etc/systemd/system` and `/usr/lib/systemd/system` (laid there by packages); `start` runs
//! the unit's `ExecStart` detached in its own process group (it is reparented to PID 1, which
//! reaps it), records its pid under `/run/nimbus/units/`, and for `Type=notify` waits until the
//! service says it is ready (the guest httpd touches the file named by `NIMBUS_NOTIFY` after it
//! binds) — so `systemctl start httpd` returns once httpd answers, as with systemd. `enable`
//! links the unit into `multi-user.target.wants`, which PID 1 starts at every boot.

use std::fs;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const RUN: &str = "/run/nimbus/units";
const WANTS: &str = "/etc/systemd/system/multi-user.target.wants";

fn unit_file(name: &str) -> Option<PathBuf> {
    [
        "/etc/systemd/system",
        "/usr/lib/systemd/system",
        "/lib/systemd/system",
    ]
    .iter()
    .map(|d| Path::new(d).join(format!("{name}.service")))
    .find(|p| p.is_file())
}

fn key(unit: &str, k: &str) -> Option<String> {
    unit.lines()
        .find_map(|l| l.trim().strip_prefix(&format!("{k}=")).map(str::to_string))
}

fn pid_of(name: &str) -> Option<i32> {
    let pid: i32 = fs::read_to_string(Path::new(RUN).join(format!("{name}.pid")))
        .ok()?
        .trim()
        .parse()
        .ok()?;
    // Alive and not a zombie.
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let state = stat.rsplit(')').next()?.trim().chars().next()?;
    (state != 'Z').then_some(pid)
}

fn norm(u: &str) -> String {
    u.trim_end_matches(".service").to_string()
}

pub fn main(args: &[String]) -> i32 {
    let words: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let Some((&cmd, units)) = words.split_first() else {
        return list();
    };
    let units: Vec<String> = units.iter().map(|u| norm(u)).collect();
    let each = |f: &dyn Fn(&str) -> i32| units.iter().fold(0, |rc, u| rc.max(f(u)));
    match cmd {
        "start" => each(&start),
        "stop" => each(&stop),
        "restart" | "reload" | "try-restart" | "reload-or-restart" => each(&|u| {
            let rc = stop(u);
            if rc != 0 {
                return rc;
            }
            start(u)
        }),
        "enable" => each(&enable),
        "disable" => each(&disable),
        "status" => each(&status),
        "is-active" => each(&|u| {
            let on = pid_of(u).is_some();
            println!("{}", if on { "active" } else { "inactive" });
            if on {
                0
            } else {
                3
            }
        }),
        "is-enabled" => each(&|u| {
            let on = Path::new(WANTS).join(format!("{u}.service")).exists();
            println!("{}", if on { "enabled" } else { "disabled" });
            i32::from(!on)
        }),
        "daemon-reload" | "daemon-reexec" => 0,
        "list-units" | "list-unit-files" => list(),
        other => {
            eprintln!("Unknown operation '{other}'.");
            1
        }
    }
}

fn list() -> i32 {
    println!("UNIT                      LOAD   ACTIVE SUB     DESCRIPTION");
    if let Ok(rd) = fs::read_dir(RUN) {
        for e in rd.flatten() {
            let n = e.file_name().to_string_lossy().into_owned();
            if let Some(u) = n.strip_suffix(".pid") {
                if pid_of(u).is_some() {
                    println!("{:<26}loaded active running {u}", format!("{u}.service"));
                }
            }
        }
    }
    0
}

/// Starts a unit (also used by PID 1 for enabled units at boot).
pub fn start(name: &str) -> i32 {
    let Some(path) = unit_file(name) else {
        eprintln!("Failed to start {name}.service: Unit not found.");
        return 5;
    };
    if pid_of(name).is_some() {
        return 0;
    }
    let unit = fs::read_to_string(&path).unwrap_or_default();
    let Some(exec) = key(&unit, "ExecStart") else {
        eprintln!("Failed to start {name}.service: Unit {name}.service has no ExecStart= setting.");
        return 1;
    };
    let mut env: Vec<(String, String)> = Vec::new();
    if let Some(ef) = key(&unit, "EnvironmentFile") {
        for l in fs::read_to_string(ef.trim_start_matches('-'))
            .unwrap_or_default()
            .lines()
        {
            if let Some((k, v)) = l.split_once('=') {
                if !k.trim_start().starts_with('#') {
                    env.push((k.trim().into(), v.trim().trim_matches('"').into()));
                }
            }
        }
    }
    let argv: Vec<String> = exec
        .trim_start_matches(['-', '@', '+', '!'])
        .split_whitespace()
        .flat_map(|w| match w.strip_prefix('$') {
            Some(var) => env
                .iter()
                .find(|(k, _)| k == var)
                .map(|(_, v)| v.split_whitespace().map(str::to_string).collect())
                .unwrap_or_default(),
            None => vec![w.to_string()],
        })
        .collect();
    let _ = fs::create_dir_all(RUN);
    let ready = Path::new(RUN).join(format!("{name}.ready"));
    let _ = fs::remove_file(&ready);
    let notify = key(&unit, "Type").as_deref() == Some("notify");
    let log = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(format!("/var/log/nimbus-{name}.log"));
    let mut cmd = Command::new(&argv[0]);
    cmd.args(&argv[1..])
        .env_clear()
        .env("PATH", super::cloudinit::PATH)
        .env("LANG", "C")
        .env("NIMBUS_NOTIFY", &ready)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .current_dir("/")
        .stdin(Stdio::null())
        .process_group(0);
    match log.and_then(|l| Ok((l.try_clone()?, l))) {
        Ok((a, b)) => {
            cmd.stdout(a).stderr(b);
        }
        Err(_) => {
            cmd.stdout(Stdio::null()).stderr(Stdio::null());
        }
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("Failed to start {name}.service: {}: {e}", argv[0]);
            return 1;
        }
    };
    let _ = fs::write(
        Path::new(RUN).join(format!("{name}.pid")),
        child.id().to_string(),
    );
    let _ = fs::write(
        Path::new(RUN).join(format!("{name}.since")),
        super::now_secs().to_string(),
    );
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        if let Ok(Some(st)) = child.try_wait() {
            eprintln!("Job for {name}.service failed because the control process exited with error code.\nSee \"systemctl status {name}.service\" and \"journalctl -xe\" for details.");
            let _ = fs::remove_file(Path::new(RUN).join(format!("{name}.pid")));
            return st.code().map_or(1, |_| 1);
        }
        if !notify || ready.exists() || Instant::now() > deadline {
            return 0;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

fn stop(name: &str) -> i32 {
    if unit_file(name).is_none() {
        eprintln!("Failed to stop {name}.service: Unit {name}.service not loaded.");
        return 5;
    }
    if let Some(pid) = pid_of(name) {
        // The whole process group: the service and whatever it started.
        let _ = crate::sys::kill(-pid, crate::sys::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(5);
        while pid_of(name).is_some() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(2));
        }
        if pid_of(name).is_some() {
            let _ = crate::sys::kill(-pid, crate::sys::SIGKILL);
        }
    }
    let _ = fs::remove_file(Path::new(RUN).join(format!("{name}.pid")));
    let _ = fs::remove_file(Path::new(RUN).join(format!("{name}.ready")));
    0
}

fn enable(name: &str) -> i32 {
    let Some(path) = unit_file(name) else {
        eprintln!("Failed to enable unit: Unit file {name}.service does not exist.");
        return 1;
    };
    let link = Path::new(WANTS).join(format!("{name}.service"));
    if fs::symlink_metadata(&link).is_ok() {
        return 0;
    }
    let _ = fs::create_dir_all(WANTS);
    if let Err(e) = std::os::unix::fs::symlink(&path, &link) {
        eprintln!("Failed to enable unit: {e}");
        return 1;
    }
    eprintln!(
        "Created symlink from {} to {}.",
        link.display(),
        path.display()
    );
    0
}

fn disable(name: &str) -> i32 {
    let link = Path::new(WANTS).join(format!("{name}.service"));
    if fs::remove_file(&link).is_ok() {
        eprintln!("Removed symlink {}.", link.display());
    }
    0
}

fn status(name: &str) -> i32 {
    let Some(path) = unit_file(name) else {
        eprintln!("Unit {name}.service could not be found.");
        return 4;
    };
    let unit = fs::read_to_string(&path).unwrap_or_default();
    let desc = key(&unit, "Description").unwrap_or_else(|| name.to_string());
    let enabled = Path::new(WANTS).join(format!("{name}.service")).exists();
    println!("● {name}.service - {desc}");
    println!(
        "   Loaded: loaded ({}; {}; vendor preset: disabled)",
        path.display(),
        if enabled { "enabled" } else { "disabled" }
    );
    match pid_of(name) {
        Some(pid) => {
            let since = fs::read_to_string(Path::new(RUN).join(format!("{name}.since")))
                .ok()
                .and_then(|s| s.trim().parse::<u64>().ok())
                .unwrap_or(0);
            let (y, mo, d, h, mi, s, wd) = super::civil(since);
            let ago = super::now_secs().saturating_sub(since);
            println!("   Active: active (running) since {} {y}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02} UTC; {ago}s ago", super::WEEKDAYS[wd as usize]);
            let comm = fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
            println!(" Main PID: {pid} ({})", comm.trim());
            0
        }
        None => {
            println!("   Active: inactive (dead)");
            3
        }
    }
}
