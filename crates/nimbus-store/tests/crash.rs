//! Crash test: a child process (this test binary, re-run with an env switch) commits records
//! from concurrent tasks and prints each acknowledgement; the parent SIGKILLs it mid-stream,
//! reopens the database and checks that every acknowledged record is there. Several rounds
//! reuse one directory, so recovery after a crash is itself crashed into.
#![cfg(unix)]

use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use nimbus_store::{Batch, Engine, RedbEngine, Store};

const CHILD_DIR_ENV: &str = "NIMBUS_STORE_CRASH_CHILD_DIR";
const CHILD_ROUND_ENV: &str = "NIMBUS_STORE_CRASH_CHILD_ROUND";
const WRITERS: usize = 8;

/// The child side. A no-op unless the parent set the env switch.
#[test]
fn crash_child() {
    let Ok(dir) = std::env::var(CHILD_DIR_ENV) else {
        return;
    };
    let round: u32 = std::env::var(CHILD_ROUND_ENV).unwrap().parse().unwrap();
    let store = Store::open_dir(Path::new(&dir)).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    rt.block_on(async move {
        let tasks: Vec<_> = (0..WRITERS)
            .map(|w| {
                let store = store.clone();
                tokio::spawn(async move {
                    for i in 0u64.. {
                        let key = format!("r{round}-w{w}-{i:08}");
                        let mut b = Batch::new();
                        b.put("crash.records", key.clone(), format!("value of {key}"));
                        b.put("crash.index", key.clone(), "1");
                        store.commit(b).await.unwrap();
                        // Not println!: the test harness must not buffer the acknowledgement.
                        let mut out = std::io::stdout().lock();
                        writeln!(out, "ack {key}").unwrap();
                        out.flush().unwrap();
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
    });
}

/// Runs one child, kills it with SIGKILL after `kill_after` acks, returns every key it acked.
fn crash_round(dir: &Path, round: u32, kill_after: usize) -> Vec<String> {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["crash_child", "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_DIR_ENV, dir)
        .env(CHILD_ROUND_ENV, round.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let pid = child.id();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(key) = line.strip_prefix("ack ") {
                if tx.send(key.to_owned()).is_err() {
                    break;
                }
            }
        }
    });

    let mut acked = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    while acked.len() < kill_after {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(key) => acked.push(key),
            Err(e) => {
                let _ = child.kill();
                panic!(
                    "child {pid} stopped acknowledging after {} acks: {e:?}",
                    acked.len()
                );
            }
        }
    }
    // std's Child::kill is kill(pid, SIGKILL) on Unix: `kill -9 <pid>`.
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert_eq!(
        status.signal(),
        Some(9),
        "child {pid} died of SIGKILL, not of its own accord"
    );
    // Acks already written to the pipe before the kill count too.
    reader.join().unwrap();
    acked.extend(rx.try_iter());
    acked
}

#[test]
fn kill_9_loses_no_acknowledged_commit() {
    let dir = tempfile::tempdir().unwrap();
    let mut all_acked = Vec::new();
    for (round, kill_after) in [(1, 300), (2, 1000), (3, 50)] {
        let acked = crash_round(dir.path(), round, kill_after);
        all_acked.extend(acked);
        let engine = RedbEngine::open(dir.path()).unwrap();
        let mut missing = Vec::new();
        for key in &all_acked {
            match engine.get("crash.records", key.as_bytes()).unwrap() {
                Some(v) => assert_eq!(v, format!("value of {key}").into_bytes()),
                None => missing.push(key.clone()),
            }
            assert!(
                engine.get("crash.index", key.as_bytes()).unwrap().is_some(),
                "{key}: both tables or none"
            );
        }
        let stored = engine.scan_prefix("crash.records", b"").unwrap().len();
        println!(
            "round {round}: {} acked so far, {stored} stored after SIGKILL",
            all_acked.len()
        );
        assert!(
            missing.is_empty(),
            "acknowledged but lost after kill -9: {missing:?}"
        );
        // Records both tables agree on: no half-applied batch.
        assert_eq!(
            stored,
            engine.scan_prefix("crash.index", b"").unwrap().len()
        );
    }
}
