//! A full disk or an I/O error (issue 8 §4): the failed write is refused, never
//! acknowledged; the store reports itself degraded; once the cause is gone the next write
//! succeeds without a restart (the engine is recovered — redb reopened); a reset works again;
//! a first start on a full disk leaves nothing behind that later starts trip over.

use nimbus_store::{Batch, Engine, Fault, FaultyEngine, MemoryEngine, RedbEngine, Store};
use std::process::Command;
use std::sync::atomic::Ordering;
use std::sync::Arc;

fn put(key: &str) -> Batch {
    let mut b = Batch::new();
    b.put("t", key.as_bytes().to_vec(), b"v".to_vec());
    b
}

#[test]
fn a_failing_engine_degrades_the_store_and_recovers_once_the_cause_is_gone() {
    let faulty = Arc::new(FaultyEngine::new(Arc::new(MemoryEngine::new())));
    let store = Store::new(faulty.clone());
    store.commit_blocking(put("before")).expect("healthy write");
    assert!(store.degraded().is_none());

    faulty.arm(Fault::DiskFull);
    let err = store.commit_blocking(put("lost")).expect_err("refused");
    assert!(err.to_string().contains("No space left"), "{err}");
    assert!(store
        .degraded()
        .is_some_and(|d| d.contains("No space left")));
    assert!(
        store.wipe().is_err(),
        "a reset cannot wipe a full disk either"
    );
    assert_eq!(
        store.get("t", b"lost").expect("read"),
        None,
        "nothing half-written"
    );

    faulty.clear();
    store
        .commit_blocking(put("after"))
        .expect("writes resume without a restart");
    assert!(store.degraded().is_none());
    assert!(faulty.recoveries.load(Ordering::SeqCst) >= 1);
    assert!(store.get("t", b"before").expect("read").is_some());
    assert!(store.get("t", b"after").expect("read").is_some());
    assert_eq!(store.get("t", b"lost").expect("read"), None);
    store.wipe().expect("reset works again");
    store.shutdown();
}

#[test]
fn redb_recovers_by_reopening_and_keeps_what_was_committed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = RedbEngine::open(dir.path()).expect("open");
    engine.apply(&[put("a")]).expect("write");
    engine.recover().expect("reopen");
    engine.apply(&[put("b")]).expect("write after reopen");
    assert!(engine.get("t", b"a").expect("read").is_some());
    assert!(engine.get("t", b"b").expect("read").is_some());
}

#[test]
fn a_file_of_zeros_left_by_a_failed_creation_is_replaced() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("nimbus.redb"), vec![0u8; 4096]).expect("write zeros");
    let engine = RedbEngine::open(dir.path()).expect("a zero-filled file is no database");
    engine.apply(&[put("a")]).expect("write");
    drop(engine);
    // A real database is never taken for one.
    let engine = RedbEngine::open(dir.path()).expect("reopen");
    assert!(engine.get("t", b"a").expect("read").is_some());
}

/// A real full disk: a small tmpfs (root only; skipped otherwise), filled up, then freed.
#[test]
fn a_real_full_disk_heals_once_space_is_freed() {
    if !Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout == b"0\n")
    {
        eprintln!("skipped: needs root to mount a small tmpfs");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let mnt = dir.path().join("small");
    std::fs::create_dir(&mnt).expect("mkdir");
    let mounted = Command::new("mount")
        .args([
            "-t",
            "tmpfs",
            "-o",
            "size=8m",
            "nimbus-test",
            mnt.to_str().expect("utf-8"),
        ])
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("skipped: could not mount a tmpfs here");
        return;
    }
    struct Unmount(std::path::PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(&self.0).status();
        }
    }
    let _unmount = Unmount(mnt.clone());

    let store = Store::open_dir(&mnt.join("data")).expect("open");
    store.commit_blocking(put("kept")).expect("first write");
    // Fill the rest of the file system.
    let filler = mnt.join("filler");
    let _ = std::fs::write(&filler, vec![1u8; 16 << 20]);
    let big = vec![7u8; 1 << 20];
    let mut failed = false;
    for i in 0..64 {
        let mut b = Batch::new();
        b.put("t", format!("big{i}").into_bytes(), big.clone());
        if store.commit_blocking(b).is_err() {
            failed = true;
            break;
        }
    }
    assert!(failed, "the disk filled up");
    assert!(store.degraded().is_some());
    std::fs::remove_file(&filler).expect("free space");
    let mut healed = false;
    for _ in 0..3 {
        if store.commit_blocking(put("after")).is_ok() {
            healed = true;
            break;
        }
    }
    assert!(
        healed,
        "writes resume once space is freed: {:?}",
        store.degraded()
    );
    assert!(store.degraded().is_none());
    assert!(store.get("t", b"kept").expect("read").is_some());
    store.wipe().expect("reset works");
    store.shutdown();
}

/// A batch the engine refuses for what it holds (an invalid table name: a caller's mistake,
/// not the disk's) fails that caller only: the store stays healthy and the engine is not
/// asked to recover.
#[test]
fn a_refused_batch_neither_degrades_the_store_nor_recovers_the_engine() {
    for grouped in [true, false] {
        let memory: Arc<dyn Engine> = Arc::new(MemoryEngine::new());
        let faulty = Arc::new(FaultyEngine::new(memory.clone()));
        // The faulty wrapper goes through the writer thread, the bare memory engine inline.
        let store = Store::new(if grouped { faulty.clone() } else { memory });
        let mut bad = Batch::new();
        bad.put("", b"k".to_vec(), b"v".to_vec());
        let err = store
            .commit_blocking(bad)
            .expect_err("an empty table name is refused");
        assert!(
            matches!(err, nimbus_store::StoreError::InvalidTable(_)),
            "{err}"
        );
        assert_eq!(store.degraded(), None, "grouped={grouped}: not degraded");
        assert_eq!(faulty.recoveries.load(Ordering::SeqCst), 0, "no recovery");
        store.commit_blocking(put("fine")).expect("next write");
        assert_eq!(faulty.recoveries.load(Ordering::SeqCst), 0);
        store.shutdown();
    }
}
