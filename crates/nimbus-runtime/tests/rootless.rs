//! The user-namespace tier, run as an ordinary user: the test (root) re-runs itself as uid
//! 65534 through util-linux's `setpriv` (no entry in the host's user database is made), where
//! the runtime must say the sandbox is unavailable; that process starts itself once more in
//! a user namespace of its own (the runtime's `user_namespace_before_exec`, the same mapping
//! `nimbus serve` makes at startup), where an instance boots the seed's user data and serves
//! its page, and terminating it leaves nothing. Skips, saying why, where the kernel refuses
//! unprivileged user namespaces or the test is not root.

mod common;
use common::*;
use nimbus_runtime::{tier, Runtime, RuntimeConfig, Tier};
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

const STAGE: &str = "NIMBUS_ROOTLESS_STAGE";
const DIR: &str = "NIMBUS_ROOTLESS_DIR";
const TEST: &str = "ordinary_user_runs_an_instance_in_a_user_namespace";
const NOBODY: u32 = 65534;

fn rerun(stage: &str) -> Command {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", TEST, "--nocapture", "--test-threads=1"])
        .env(STAGE, stage);
    cmd
}

#[test]
fn ordinary_user_runs_an_instance_in_a_user_namespace() {
    match std::env::var(STAGE).as_deref() {
        Ok("unprivileged") => return unprivileged_stage(),
        Ok("userns") => return userns_stage(),
        _ => {}
    }
    if nimbus_runtime::check_support().is_err() || tier::detect().tier != Tier::Full {
        eprintln!("SKIPPED: the test becomes an ordinary user with setpriv, which needs root");
        return;
    }
    if let Some(why) = tier::userns_refusal() {
        eprintln!("SKIPPED: {why}");
        return;
    }
    if Command::new("setpriv").arg("--version").output().is_err() {
        eprintln!("SKIPPED: util-linux's setpriv is not installed");
        return;
    }
    let dir = tempfile::Builder::new()
        .prefix("nimbus-rootless")
        .tempdir_in("/tmp")
        .unwrap();
    std::os::unix::fs::chown(dir.path(), Some(NOBODY), Some(NOBODY)).unwrap();
    let veths = || {
        let out = Command::new("ip")
            .args(["-o", "link", "show", "type", "veth"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).lines().count()
    };
    let veths_before = veths();
    // A host that keeps /dev/null 0600 (this CI machine does) gives an ordinary user none;
    // the ordinary user's view of a normal host is made in a private mount namespace of the
    // child only: a 0666 null node of its own bound over /dev/null (the host's stays as is).
    let devnull = std::fs::metadata("/dev/null").unwrap().mode() & 0o666 != 0o666;
    let mut cmd = Command::new("unshare");
    cmd.args(["--mount", "--propagation", "private", "--", "sh", "-ec"]);
    cmd.arg(
        r#"if [ "$FIX_DEVNULL" = 1 ]; then
             mkdir "$NIMBUS_ROOTLESS_DIR/dev"
             mount -t tmpfs -o size=4k,mode=755 tmpfs "$NIMBUS_ROOTLESS_DIR/dev"
             mknod -m 666 "$NIMBUS_ROOTLESS_DIR/dev/null" c 1 3
             mount --bind "$NIMBUS_ROOTLESS_DIR/dev/null" /dev/null
           fi
           exec setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@""#,
    )
    .arg("sh")
    .env("FIX_DEVNULL", if devnull { "1" } else { "0" })
    .arg(std::env::current_exe().unwrap())
    .args(["--exact", TEST, "--nocapture", "--test-threads=1"])
    .env(STAGE, "unprivileged")
    .env(DIR, dir.path())
    // root's PATH starts in /root, which the ordinary user may not search (EACCES ends the
    // lookup): the PATH an ordinary user has.
    .env(
        "PATH",
        "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    );
    let out = cmd.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("{text}");
    assert!(out.status.success(), "the unprivileged run failed");
    assert!(
        text.contains("ROOTLESS OK"),
        "the instance stage did not finish"
    );
    // What the instance wrote on disk belongs to the ordinary user, not to root.
    let vol = dir.path().join("data/runtime/instances");
    assert_eq!(std::fs::metadata(&vol).unwrap().uid(), NOBODY);
    // Nothing of the user's sandbox is left: no process naming the data directory, no mount,
    // no veth in the host's namespace.
    let data = dir.path().to_string_lossy().into_owned();
    let left: Vec<String> = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|p| {
            let cmd = std::fs::read_to_string(p.path().join("cmdline")).ok()?;
            cmd.contains(&data).then(|| cmd.replace('\0', " "))
        })
        .collect();
    assert!(left.is_empty(), "processes left: {left:?}");
    assert!(nimbus_runtime::mounts_under(dir.path()).is_empty());
    assert_eq!(
        veths(),
        veths_before,
        "veths appeared in the host namespace"
    );
}

/// uid 65534 in the host's user namespace: no sandbox here; start the next stage in a user
/// namespace of its own.
fn unprivileged_stage() {
    let s = tier::detect();
    assert_eq!(s.tier, Tier::Unavailable, "{s:?}");
    let err = nimbus_runtime::check_support().unwrap_err();
    assert!(err.contains("not root"), "{err}");
    let mut cmd = rerun("userns");
    tier::user_namespace_before_exec(&mut cmd);
    let st = cmd.status().unwrap();
    assert!(st.success(), "the user-namespace stage failed");
}

/// Root inside a user namespace of uid 65534: the weaker tier, a real instance.
fn userns_stage() {
    let s = tier::detect();
    eprintln!("{}", s.describe());
    assert_eq!(s.tier, Tier::UserNamespace, "{s:?}");
    if let Err(e) = nimbus_runtime::check_support() {
        panic!("check_support: {e}");
    }
    if !s.cgroups {
        assert!(s
            .describe()
            .contains("CPU and memory limits are not enforced"));
    }
    let data = PathBuf::from(std::env::var(DIR).unwrap()).join("data");
    let rt = Runtime::new(RuntimeConfig {
        data_dir: data,
        guest_binary: env!("CARGO_BIN_EXE_nimbus-guest").into(),
    })
    .expect("runtime");
    assert_eq!(rt.support().tier, Tier::UserNamespace);
    let id = "i-0rootless0000001";
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // The seed's user data, then a process that burns some CPU and stays (what init's
        // namespace accounts without a cgroup: live processes' and reaped children's time).
        let user_data = format!(
            "{SEED_USER_DATA}nohup sh -c 'i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; exec sleep 600' >/dev/null 2>&1 &\n"
        );
        rt.launch(spec(id, [10, 0, 3, 7], Some(&user_data)))
            .expect("launch");
        let page = wait_for(Duration::from_secs(120), || {
            http_get(&rt, id, "/")
                .ok()
                .filter(|(s, b)| s.contains("200") && b.contains("</h1>"))
                .map(|(_, b)| b)
        });
        assert_eq!(
            page.as_deref().map(str::trim),
            Some("<h1>Hello World from ip-10-0-3-7.ec2.internal</h1>"),
            "console: {}",
            rt.console_output(id).unwrap_or_default()
        );
        // Root inside, the host's homes invisible, its own hostname.
        let out = rt
            .exec(
                id,
                &[
                    "sh",
                    "-c",
                    "id -u; hostname -f; ls /root /work 2>&1 | head -3",
                ],
            )
            .expect("exec");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(text.starts_with("0\nip-10-0-3-7.ec2.internal\n"), "{text}");
        assert!(!text.contains("rootless"), "{text}");
        let stats = rt.stats(id).expect("stats");
        assert!(stats.memory_bytes > 0, "{stats:?}");
        let cpu = wait_for(Duration::from_secs(120), || {
            let s = rt.stats(id).ok()?;
            (s.cpu_ns >= 100_000_000).then_some(s.cpu_ns)
        });
        assert!(cpu.is_some(), "no CPU accounted: {:?}", rt.stats(id));
        rt.terminate(id).expect("terminate");
    }));
    let _ = rt.shutdown();
    let _ = rt.cleanup_orphans();
    if let Err(p) = result {
        std::panic::resume_unwind(p);
    }
    println!("ROOTLESS OK");
}
