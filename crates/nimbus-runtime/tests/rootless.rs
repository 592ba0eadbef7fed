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

const TEST: &str = "ordinary_user_runs_an_instance_in_a_user_namespace";

#[test]
fn ordinary_user_runs_an_instance_in_a_user_namespace() {
    match std::env::var(ROOTLESS_STAGE).as_deref() {
        Ok("unprivileged") => return unprivileged_stage(),
        Ok("userns") => return userns_stage(),
        _ => {}
    }
    if let Some(why) = ordinary_user_refusal() {
        eprintln!("SKIPPED: {why}");
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
    let out = run_as_ordinary_user(TEST, dir.path());
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
    let st = rerun_in_user_namespace(TEST);
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
    let data = PathBuf::from(std::env::var(ROOTLESS_DIR).unwrap()).join("data");
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
