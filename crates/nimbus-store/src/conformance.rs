//! The engine conformance suite: the executable form of the [`Engine`] contract. Every engine
//! (today [`crate::RedbEngine`] and [`crate::MemoryEngine`]) runs [`run`] from its tests;
//! engines that persist data also run [`check_reopen`]. A new engine is acceptable when it
//! passes both. Checks panic (like `assert!`) on the first violation; each one starts by
//! wiping the engine (all but the metadata table), so never point the suite at data you
//! want to keep.
//!
//! The checks that go through a [`Store`] also pin down the store's guarantees for the
//! engine's [`crate::CommitMode`] (the redb engine exercises the group-commit writer, the
//! memory engine the inline path): submission order, reads seeing acknowledged writes, a
//! wipe coming after every batch submitted before it, nothing applied after shutdown.
//! [`run`] also checks the [`crate::Durable`] state holder over the engine (`durable`), and
//! [`check_durable_on_failing_engine`] checks it over a failing one.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use crate::{Batch, Engine, Store, StoreError};

mod durable;
pub use durable::check_durable_on_failing_engine;

const T1: &str = "conformance.t1";
const T2: &str = "conformance.t2";
const T3: &str = "conformance.t3";

/// Runs every engine-independent check against `engine`. Call it from a plain `#[test]`,
/// not from inside a tokio runtime (it starts its own). Leaves the engine wiped and
/// re-stamped with the current store format.
pub fn run(engine: Arc<dyn Engine>) {
    missing_tables_read_empty(&*engine);
    // Both ways into an engine: `apply` (borrowed batches) and `apply_owned`, which is what
    // the store calls and what an engine may override to move the bytes.
    for via in [Via::Borrowed, Via::Owned] {
        put_get_delete(&*engine, via);
        scan_prefix_order_and_bounds(&*engine, via);
        ops_apply_in_order(&*engine, via);
        multi_table_batch_is_atomic(&*engine, via);
    }
    wipe_removes_everything_but_metadata(&*engine);
    concurrent_commits_through_store(&engine);
    store_keeps_submission_order_and_shows_acked_writes(&engine);
    store_wipe_follows_every_earlier_submit(&engine);
    store_shutdown_stops_every_later_write(&engine);
    durable::run(&engine);
    fresh(&*engine);
    if let Err(e) = crate::ensure_format(&*engine) {
        panic!("re-stamping the store format after the suite failed: {e}");
    }
}

/// Commits through a [`Store`] over `open()`, drops everything, reopens with `open()` and
/// expects the data back. `open` must return a new engine over the same storage each time.
pub fn check_reopen(open: &dyn Fn() -> Arc<dyn Engine>) {
    {
        let engine = open();
        fresh(&*engine);
        let store = Store::new(engine);
        for i in 0..20u32 {
            let mut b = Batch::new();
            b.put(T1, format!("k{i:02}"), i.to_le_bytes());
            b.put(T2, format!("k{i:02}"), b"x".to_vec());
            ok(store.commit_blocking(b), "commit before reopen");
        }
        let mut b = Batch::new();
        b.delete(T2, "k05");
        ok(store.commit_blocking(b), "delete before reopen");
        store.shutdown();
    }
    let engine = open();
    let rows = ok(engine.scan_prefix(T1, b"k"), "scan after reopen");
    assert_eq!(rows.len(), 20, "all committed rows survive a reopen");
    for (i, (k, v)) in rows.iter().enumerate() {
        assert_eq!(k, format!("k{i:02}").as_bytes());
        assert_eq!(v, &(i as u32).to_le_bytes());
    }
    assert_eq!(
        ok(engine.get(T2, b"k05"), "get"),
        None,
        "a committed delete survives a reopen"
    );
    assert_eq!(ok(engine.scan_prefix(T2, b""), "scan").len(), 19);
    fresh(&*engine);
}

fn ok<T>(r: Result<T, StoreError>, what: &str) -> T {
    r.unwrap_or_else(|e| panic!("{what} failed: {e}"))
}

fn fresh(engine: &dyn Engine) {
    ok(engine.wipe(), "wipe");
}

/// Which of the engine's two apply methods a check writes through.
#[derive(Debug, Clone, Copy)]
enum Via {
    Borrowed,
    Owned,
}

impl Via {
    fn apply(self, engine: &dyn Engine, batches: Vec<Batch>) -> Result<(), StoreError> {
        match self {
            Via::Borrowed => engine.apply(&batches),
            Via::Owned => engine.apply_owned(batches),
        }
    }
}

fn apply(engine: &dyn Engine, via: Via, batches: Vec<Batch>) {
    ok(via.apply(engine, batches), &format!("apply ({via:?})"));
}

fn put(table: &str, key: impl Into<Vec<u8>>, value: impl Into<Vec<u8>>) -> Batch {
    let mut b = Batch::new();
    b.put(table, key, value);
    b
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap_or_else(|e| panic!("cannot build a tokio runtime: {e}"))
}

/// Polls `cond` until it holds; readiness is polled, never slept for a fixed time.
fn wait_for(what: &str, cond: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

fn join<T>(handle: std::thread::JoinHandle<T>, what: &str) -> T {
    handle
        .join()
        .unwrap_or_else(|_| panic!("{what} thread panicked"))
}

fn keys(rows: &[(Vec<u8>, Vec<u8>)]) -> Vec<Vec<u8>> {
    rows.iter().map(|(k, _)| k.clone()).collect()
}

fn missing_tables_read_empty(engine: &dyn Engine) {
    fresh(engine);
    assert_eq!(ok(engine.get("never.written", b"k"), "get"), None);
    assert!(ok(engine.scan_prefix("never.written", b""), "scan").is_empty());
}

fn put_get_delete(engine: &dyn Engine, via: Via) {
    fresh(engine);
    let big = vec![0xA5u8; 1 << 20];
    let mut b = Batch::new();
    b.put(T1, "k", "v1");
    b.put(T1, Vec::new(), "empty key");
    b.put(T1, vec![0u8, 0xFF, 0], Vec::new());
    b.put(T1, "big", big.clone());
    b.put(T2, "k", "other table");
    apply(engine, via, vec![b]);
    assert_eq!(ok(engine.get(T1, b"k"), "get"), Some(b"v1".to_vec()));
    assert_eq!(ok(engine.get(T1, b""), "get"), Some(b"empty key".to_vec()));
    assert_eq!(
        ok(engine.get(T1, &[0, 0xFF, 0]), "get"),
        Some(Vec::new()),
        "empty value is not absence"
    );
    assert_eq!(
        ok(engine.get(T1, b"big"), "get"),
        Some(big),
        "1 MiB value round-trips"
    );
    assert_eq!(
        ok(engine.get(T2, b"k"), "get"),
        Some(b"other table".to_vec()),
        "tables are separate"
    );
    assert_eq!(ok(engine.get(T1, b"missing"), "get"), None);

    let mut b = Batch::new();
    b.put(T1, "k", "v2");
    apply(engine, via, vec![b]);
    assert_eq!(
        ok(engine.get(T1, b"k"), "get"),
        Some(b"v2".to_vec()),
        "put overwrites"
    );

    let mut b = Batch::new();
    b.delete(T1, "k");
    b.delete(T1, "never-existed");
    apply(engine, via, vec![b]);
    assert_eq!(ok(engine.get(T1, b"k"), "get"), None, "delete removes");
    assert_eq!(
        ok(engine.get(T2, b"k"), "get"),
        Some(b"other table".to_vec()),
        "delete is per table"
    );
}

fn scan_prefix_order_and_bounds(engine: &dyn Engine, via: Via) {
    fresh(engine);
    // Inserted out of order on purpose; includes 0x00 and 0xFF bytes around the prefix.
    let all: Vec<&[u8]> = vec![
        b"b",
        b"ab\xff\xff",
        b"a",
        b"abd",
        b"",
        b"ab",
        b"ac",
        b"ab\x00",
        b"abc",
        b"aa\xff",
        b"ab\xff",
        b"\x00",
    ];
    let mut batch = Batch::new();
    for k in &all {
        batch.put(T1, k.to_vec(), [b"v:".as_slice(), k].concat());
    }
    batch.put(T2, "abz", "other table");
    apply(engine, via, vec![batch]);

    let rows = ok(engine.scan_prefix(T1, b"ab"), "scan");
    let expected: Vec<Vec<u8>> = [
        b"ab".as_slice(),
        b"ab\x00",
        b"abc",
        b"abd",
        b"ab\xff",
        b"ab\xff\xff",
    ]
    .iter()
    .map(|k| k.to_vec())
    .collect();
    assert_eq!(
        keys(&rows),
        expected,
        "prefix scan: exactly the prefixed keys, in byte order"
    );
    for (k, v) in &rows {
        assert_eq!(
            v,
            &[b"v:".as_slice(), k].concat(),
            "scan pairs each key with its value"
        );
    }

    let mut sorted: Vec<Vec<u8>> = all.iter().map(|k| k.to_vec()).collect();
    sorted.sort();
    assert_eq!(
        keys(&ok(engine.scan_prefix(T1, b""), "scan")),
        sorted,
        "empty prefix scans the whole table"
    );
    assert_eq!(
        keys(&ok(engine.scan_prefix(T1, b"ab\xff"), "scan")),
        vec![b"ab\xff".to_vec(), b"ab\xff\xff".to_vec()]
    );
    assert_eq!(keys(&ok(engine.scan_prefix(T1, b"a"), "scan")).len(), 9);
    assert!(ok(engine.scan_prefix(T1, b"abe"), "scan").is_empty());
    assert!(ok(engine.scan_prefix(T1, b"zz"), "scan").is_empty());
    assert_eq!(
        keys(&ok(engine.scan_prefix(T2, b"ab"), "scan")),
        vec![b"abz".to_vec()],
        "scan is per table"
    );
}

fn ops_apply_in_order(engine: &dyn Engine, via: Via) {
    fresh(engine);
    let mut b = Batch::new();
    b.put(T1, "put-then-delete", "x");
    b.delete(T1, "put-then-delete");
    b.delete(T1, "delete-then-put");
    b.put(T1, "delete-then-put", "y");
    b.put(T1, "twice", "first");
    b.put(T1, "twice", "second");
    let mut later = Batch::new();
    later.put(T1, "across", "later");
    let mut earlier = Batch::new();
    earlier.put(T1, "across", "earlier");
    apply(engine, via, vec![b, earlier, later]);
    assert_eq!(ok(engine.get(T1, b"put-then-delete"), "get"), None);
    assert_eq!(
        ok(engine.get(T1, b"delete-then-put"), "get"),
        Some(b"y".to_vec())
    );
    assert_eq!(
        ok(engine.get(T1, b"twice"), "get"),
        Some(b"second".to_vec())
    );
    assert_eq!(
        ok(engine.get(T1, b"across"), "get"),
        Some(b"later".to_vec()),
        "later batch wins"
    );
}

fn multi_table_batch_is_atomic(engine: &dyn Engine, via: Via) {
    fresh(engine);
    let mut b = Batch::new();
    b.put(T1, "k", "1");
    b.put(T2, "k", "2");
    b.put(T3, "k", "3");
    apply(engine, via, vec![b]);
    for t in [T1, T2, T3] {
        assert!(
            ok(engine.get(t, b"k"), "get").is_some(),
            "multi-table batch applied to {t}"
        );
    }

    // A bad op at the end of a multi-table batch: nothing of the batch may land.
    let mut bad = Batch::new();
    bad.put(T1, "partial", "x");
    bad.delete(T2, "k");
    bad.put("", "partial", "x");
    assert!(
        matches!(
            via.apply(engine, vec![bad]),
            Err(StoreError::InvalidTable(_))
        ),
        "empty table name is refused"
    );
    assert_eq!(
        ok(engine.get(T1, b"partial"), "get"),
        None,
        "failed batch left no write behind"
    );
    assert!(
        ok(engine.get(T2, b"k"), "get").is_some(),
        "failed batch left no delete behind"
    );

    // The same holds across the batches of one apply (a commit group).
    let mut good = Batch::new();
    good.put(T3, "group", "x");
    let mut bad = Batch::new();
    bad.put(&"x".repeat(crate::MAX_TABLE_NAME_LEN + 1), "k", "v");
    assert!(
        via.apply(engine, vec![good, bad]).is_err(),
        "over-long table name is refused"
    );
    assert_eq!(
        ok(engine.get(T3, b"group"), "get"),
        None,
        "a failed group applies none of its batches"
    );
}

fn wipe_removes_everything_but_metadata(engine: &dyn Engine) {
    const META_PROBE: &[u8] = b"conformance.probe";
    fresh(engine);
    let mut b = Batch::new();
    for t in [T1, T2, T3] {
        b.put(t, "a", "1");
        b.put(t, "b", "2");
    }
    b.put(crate::META_TABLE, META_PROBE, "kept");
    apply(engine, Via::Borrowed, vec![b]);
    let format_before = ok(engine.get(crate::META_TABLE, crate::FORMAT_KEY), "get");
    ok(engine.wipe(), "wipe");
    for t in [T1, T2, T3] {
        assert!(
            ok(engine.scan_prefix(t, b""), "scan").is_empty(),
            "{t} is empty after wipe"
        );
    }
    assert_eq!(
        ok(engine.get(crate::META_TABLE, META_PROBE), "get"),
        Some(b"kept".to_vec()),
        "wipe keeps the metadata table"
    );
    assert_eq!(
        ok(engine.get(crate::META_TABLE, crate::FORMAT_KEY), "get"),
        format_before,
        "wipe keeps the format marker"
    );
    let mut b = Batch::new();
    b.delete(crate::META_TABLE, META_PROBE);
    apply(engine, Via::Borrowed, vec![b]);
    let mut b = Batch::new();
    b.put(T1, "after", "wipe");
    apply(engine, Via::Borrowed, vec![b]);
    assert_eq!(
        ok(engine.get(T1, b"after"), "get"),
        Some(b"wipe".to_vec()),
        "writes work after wipe"
    );
}

fn concurrent_commits_through_store(engine: &Arc<dyn Engine>) {
    const TASKS: usize = 32;
    const PER_TASK: usize = 25;
    const THREADS: usize = 4;
    fresh(&**engine);
    let store = Store::new(Arc::clone(engine));
    let rt = runtime();
    rt.block_on(async {
        let mut handles = Vec::new();
        for t in 0..TASKS {
            let store = store.clone();
            handles.push(tokio::spawn(async move {
                for i in 0..PER_TASK {
                    let mut b = Batch::new();
                    b.put(T1, format!("async-{t:02}-{i:03}"), format!("{t}:{i}"));
                    b.put(T2, format!("async-{t:02}-{i:03}"), "index");
                    ok(store.commit(b).await, "async commit");
                }
            }));
        }
        // Synchronous committers share the same groups.
        let blocking: Vec<_> = (0..THREADS)
            .map(|t| {
                let store = store.clone();
                std::thread::spawn(move || {
                    for i in 0..PER_TASK {
                        let mut b = Batch::new();
                        b.put(T1, format!("sync-{t:02}-{i:03}"), format!("{t}:{i}"));
                        ok(store.commit_blocking(b), "blocking commit");
                    }
                })
            })
            .collect();
        for h in handles {
            h.await
                .unwrap_or_else(|e| panic!("committer task failed: {e}"));
        }
        for h in blocking {
            h.join()
                .unwrap_or_else(|_| panic!("blocking committer panicked"));
        }
    });
    let rows = ok(store.scan_prefix(T1, b"async-"), "scan");
    assert_eq!(
        rows.len(),
        TASKS * PER_TASK,
        "every acknowledged async commit is visible"
    );
    assert_eq!(
        ok(store.scan_prefix(T2, b"async-"), "scan").len(),
        TASKS * PER_TASK
    );
    assert_eq!(
        ok(store.scan_prefix(T1, b"sync-"), "scan").len(),
        THREADS * PER_TASK
    );
    assert_eq!(
        ok(store.get(T1, b"async-07-011"), "get"),
        Some(b"7:11".to_vec())
    );
    let stats = store.stats();
    assert_eq!(stats.batches, ((TASKS + THREADS) * PER_TASK) as u64);
    assert_eq!(stats.failed_groups, 0);
    assert!(stats.groups <= stats.batches);
    store.shutdown();
    drop(rt);
}

/// Through a [`Store`]: of two batches submitted one after the other, the later wins even
/// when neither was awaited yet; while several threads commit, each thread's commits apply
/// in its order; and once a commit is acknowledged, every later read sees it, in the
/// committing thread and in any thread told about the acknowledgement.
fn store_keeps_submission_order_and_shows_acked_writes(engine: &Arc<dyn Engine>) {
    const THREADS: usize = 4;
    const PER_THREAD: u32 = 50;
    fresh(&**engine);
    let store = Store::new(Arc::clone(engine));
    runtime().block_on(async {
        let first = store.submit(put(T1, "order", "first"));
        let second = store.submit(put(T1, "order", "second"));
        // Awaited in reverse: the order of submission decides, not the order of waiting.
        ok(second.await, "second submit");
        ok(first.await, "first submit");
    });
    assert_eq!(
        ok(store.get(T1, b"order"), "get"),
        Some(b"second".to_vec()),
        "a later submit is applied after an earlier one"
    );

    let (acked_tx, acked_rx) = mpsc::channel::<(String, Vec<u8>)>();
    let reader = {
        let store = store.clone();
        std::thread::spawn(move || {
            let mut seen = 0;
            for (key, value) in acked_rx {
                assert_eq!(
                    ok(store.get(T2, key.as_bytes()), "get"),
                    Some(value),
                    "a write acknowledged in another thread is visible"
                );
                seen += 1;
            }
            seen
        })
    };
    let writers: Vec<_> = (0..THREADS)
        .map(|t| {
            let store = store.clone();
            let acked = acked_tx.clone();
            std::thread::spawn(move || {
                for i in 0..PER_THREAD {
                    let key = format!("w{t}-{i:03}");
                    let value = format!("{t}:{i}").into_bytes();
                    let mut b = put(T2, key.clone(), value.clone());
                    b.put(T1, format!("last-{t}"), i.to_le_bytes());
                    ok(store.commit_blocking(b), "blocking commit");
                    assert_eq!(
                        ok(store.get(T2, key.as_bytes()), "get"),
                        Some(value.clone()),
                        "the committing thread reads its acknowledged write"
                    );
                    assert_eq!(
                        ok(store.get(T1, format!("last-{t}").as_bytes()), "get"),
                        Some(i.to_le_bytes().to_vec()),
                        "a thread's later commit overwrites its earlier one"
                    );
                    acked
                        .send((key, value))
                        .unwrap_or_else(|_| panic!("the reader thread is gone"));
                }
            })
        })
        .collect();
    drop(acked_tx);
    for w in writers {
        join(w, "writer");
    }
    assert_eq!(
        join(reader, "reader"),
        THREADS * PER_THREAD as usize,
        "the reader checked every acknowledged write"
    );
    assert_eq!(
        ok(store.scan_prefix(T2, b"w"), "scan").len(),
        THREADS * PER_THREAD as usize
    );
    store.shutdown();
}

/// Through a [`Store`], while several threads keep committing: a wipe removes every batch
/// acknowledged before the wipe was called and keeps every batch submitted after it
/// returned, and each thread's surviving keys are exactly the tail of its sequence (the
/// wipe falls between two of its commits, never reorders them).
fn store_wipe_follows_every_earlier_submit(engine: &Arc<dyn Engine>) {
    const THREADS: usize = 4;
    /// Commits each thread makes before the wipe may start.
    const BEFORE: usize = 10;
    /// Commits each thread makes after it saw the wipe done.
    const AFTER: usize = 10;
    fresh(&**engine);
    let store = Store::new(Arc::clone(engine));
    let started = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicBool::new(false));
    let ready = Arc::new(AtomicUsize::new(0));
    let committers: Vec<_> = (0..THREADS)
        .map(|t| {
            let (store, started, done, ready) = (
                store.clone(),
                Arc::clone(&started),
                Arc::clone(&done),
                Arc::clone(&ready),
            );
            std::thread::spawn(move || {
                // Per commit: (submitted after the wipe returned, acked before it started).
                let mut log = Vec::new();
                let mut after = 0;
                while after < AFTER {
                    let submitted_after = done.load(Ordering::SeqCst);
                    let key = format!("c{t}-{:08}", log.len());
                    ok(store.commit_blocking(put(T1, key, "v")), "commit");
                    let acked_before = !started.load(Ordering::SeqCst);
                    log.push((submitted_after, acked_before));
                    if log.len() == BEFORE {
                        ready.fetch_add(1, Ordering::SeqCst);
                    }
                    after += usize::from(submitted_after);
                }
                log
            })
        })
        .collect();
    wait_for("every committer to reach the wipe", || {
        ready.load(Ordering::SeqCst) == THREADS
    });
    started.store(true, Ordering::SeqCst);
    ok(store.wipe(), "wipe among committers");
    done.store(true, Ordering::SeqCst);
    for (t, c) in committers.into_iter().enumerate() {
        let log = join(c, "committer");
        let prefix = format!("c{t}-");
        let survivors = keys(&ok(store.scan_prefix(T1, prefix.as_bytes()), "scan"));
        let cut = log.len() - survivors.len();
        let tail: Vec<Vec<u8>> = (cut..log.len())
            .map(|i| format!("{prefix}{i:08}").into_bytes())
            .collect();
        assert_eq!(
            survivors, tail,
            "committer {t}: the survivors are the tail of its commits"
        );
        for (i, (submitted_after, acked_before)) in log.into_iter().enumerate() {
            if submitted_after {
                assert!(
                    i >= cut,
                    "committer {t}: commit {i}, submitted after the wipe, was wiped"
                );
            }
            if acked_before {
                assert!(
                    i < cut,
                    "committer {t}: commit {i}, acknowledged before the wipe, survived"
                );
            }
        }
    }
    store.shutdown();
}

/// Through a [`Store`], while several threads keep committing: once `shutdown` returns,
/// nothing more is applied; every commit acknowledged before is there, every later commit
/// and wipe fails with [`StoreError::Closed`] and leaves nothing behind.
fn store_shutdown_stops_every_later_write(engine: &Arc<dyn Engine>) {
    const THREADS: usize = 4;
    const BEFORE: usize = 5;
    fresh(&**engine);
    let store = Store::new(Arc::clone(engine));
    let ready = Arc::new(AtomicUsize::new(0));
    let shut = Arc::new(AtomicBool::new(false));
    let committers: Vec<_> = (0..THREADS)
        .map(|t| {
            let (store, ready, shut) = (store.clone(), Arc::clone(&ready), Arc::clone(&shut));
            std::thread::spawn(move || {
                let mut acked = 0usize;
                loop {
                    let key = format!("s{t}-{acked:08}");
                    let after_shutdown = shut.load(Ordering::SeqCst);
                    match store.commit_blocking(put(T1, key, "v")) {
                        // Fail rather than loop for ever if the store never refuses.
                        Ok(()) if after_shutdown => panic!("a commit after shutdown was applied"),
                        Ok(()) => acked += 1,
                        Err(StoreError::Closed) => return acked,
                        Err(e) => panic!("commit failed: {e}"),
                    }
                    if acked == BEFORE {
                        ready.fetch_add(1, Ordering::SeqCst);
                    }
                }
            })
        })
        .collect();
    wait_for("every committer to reach the shutdown", || {
        ready.load(Ordering::SeqCst) == THREADS
    });
    store.shutdown();
    shut.store(true, Ordering::SeqCst);
    let at_shutdown = ok(store.scan_prefix(T1, b""), "scan");
    for (t, c) in committers.into_iter().enumerate() {
        let acked = join(c, "committer");
        let prefix = format!("s{t}-");
        let rows = keys(&ok(store.scan_prefix(T1, prefix.as_bytes()), "scan"));
        let expected: Vec<Vec<u8>> = (0..acked)
            .map(|i| format!("{prefix}{i:08}").into_bytes())
            .collect();
        assert_eq!(
            rows, expected,
            "committer {t}: exactly its acknowledged commits are applied"
        );
    }
    assert_eq!(
        ok(store.scan_prefix(T1, b""), "scan"),
        at_shutdown,
        "nothing is applied after shutdown returned"
    );
    assert_eq!(
        store.commit_blocking(put(T1, "late", "v")),
        Err(StoreError::Closed)
    );
    assert_eq!(
        runtime().block_on(store.submit(put(T1, "late", "v"))),
        Err(StoreError::Closed)
    );
    assert_eq!(store.wipe(), Err(StoreError::Closed));
    assert_eq!(ok(store.get(T1, b"late"), "get"), None);
    assert!(!at_shutdown.is_empty(), "reads keep working after shutdown");
}
