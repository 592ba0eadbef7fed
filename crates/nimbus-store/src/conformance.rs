//! The engine conformance suite: the executable form of the [`Engine`] contract. Every engine
//! (today [`crate::RedbEngine`] and [`crate::MemoryEngine`]) runs [`run`] from its tests;
//! engines that persist data also run [`check_reopen`]. A new engine is acceptable when it
//! passes both. Checks panic (like `assert!`) on the first violation; each one starts by
//! wiping the engine (all but the metadata table), so never point the suite at data you
//! want to keep.

use std::sync::Arc;

use crate::{Batch, Engine, Store, StoreError};

const T1: &str = "conformance.t1";
const T2: &str = "conformance.t2";
const T3: &str = "conformance.t3";

/// Runs every engine-independent check against `engine`. Call it from a plain `#[test]`,
/// not from inside a tokio runtime (it starts its own). Leaves the engine wiped and
/// re-stamped with the current store format.
pub fn run(engine: Arc<dyn Engine>) {
    missing_tables_read_empty(&*engine);
    put_get_delete(&*engine);
    scan_prefix_order_and_bounds(&*engine);
    ops_apply_in_order(&*engine);
    multi_table_batch_is_atomic(&*engine);
    wipe_removes_everything_but_metadata(&*engine);
    concurrent_commits_through_store(&engine);
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

fn apply(engine: &dyn Engine, batches: &[Batch]) {
    ok(engine.apply(batches), "apply");
}

fn keys(rows: &[(Vec<u8>, Vec<u8>)]) -> Vec<Vec<u8>> {
    rows.iter().map(|(k, _)| k.clone()).collect()
}

fn missing_tables_read_empty(engine: &dyn Engine) {
    fresh(engine);
    assert_eq!(ok(engine.get("never.written", b"k"), "get"), None);
    assert!(ok(engine.scan_prefix("never.written", b""), "scan").is_empty());
}

fn put_get_delete(engine: &dyn Engine) {
    fresh(engine);
    let big = vec![0xA5u8; 1 << 20];
    let mut b = Batch::new();
    b.put(T1, "k", "v1");
    b.put(T1, Vec::new(), "empty key");
    b.put(T1, vec![0u8, 0xFF, 0], Vec::new());
    b.put(T1, "big", big.clone());
    b.put(T2, "k", "other table");
    apply(engine, &[b]);
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
    apply(engine, &[b]);
    assert_eq!(
        ok(engine.get(T1, b"k"), "get"),
        Some(b"v2".to_vec()),
        "put overwrites"
    );

    let mut b = Batch::new();
    b.delete(T1, "k");
    b.delete(T1, "never-existed");
    apply(engine, &[b]);
    assert_eq!(ok(engine.get(T1, b"k"), "get"), None, "delete removes");
    assert_eq!(
        ok(engine.get(T2, b"k"), "get"),
        Some(b"other table".to_vec()),
        "delete is per table"
    );
}

fn scan_prefix_order_and_bounds(engine: &dyn Engine) {
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
    apply(engine, &[batch]);

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

fn ops_apply_in_order(engine: &dyn Engine) {
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
    apply(engine, &[b, earlier, later]);
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

fn multi_table_batch_is_atomic(engine: &dyn Engine) {
    fresh(engine);
    let mut b = Batch::new();
    b.put(T1, "k", "1");
    b.put(T2, "k", "2");
    b.put(T3, "k", "3");
    apply(engine, &[b]);
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
        matches!(engine.apply(&[bad]), Err(StoreError::InvalidTable(_))),
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
        engine.apply(&[good, bad]).is_err(),
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
    apply(engine, &[b]);
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
    apply(engine, &[b]);
    let mut b = Batch::new();
    b.put(T1, "after", "wipe");
    apply(engine, &[b]);
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
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap_or_else(|e| panic!("cannot build a tokio runtime: {e}"));
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
