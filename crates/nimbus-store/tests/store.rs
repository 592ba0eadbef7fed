//! Behaviour of the store above the engine: the conformance suite on both engines, restart
//! durability through `Store`, the store-format check, group-commit error propagation, the
//! inline path of the memory engine (applied before `submit` returns, same ordering and
//! wipe semantics, failures confined to their caller), shutdown and wipe, and versioned
//! records with migration.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nimbus_store::{
    conformance, decode_record, encode_record, record_version, Batch, CommitMode, Engine,
    MemoryEngine, RedbEngine, Store, StoreError, Table, CLOCK_KEY, FORMAT_KEY, META_TABLE,
    STORE_FORMAT,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Polls `cond` until it holds (readiness is polled, never slept for a fixed time).
fn wait_until(what: &str, cond: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

// ---------------------------------------------------------------- conformance

#[test]
fn conformance_memory_engine() {
    let engine = Arc::new(MemoryEngine::new());
    assert_eq!(
        engine.commit_mode(),
        CommitMode::Inline,
        "the suite covers the inline path"
    );
    conformance::run(engine);
}

#[test]
fn conformance_redb_engine() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Arc::new(RedbEngine::open(dir.path()).unwrap());
    assert_eq!(
        engine.commit_mode(),
        CommitMode::Grouped,
        "the suite covers the writer"
    );
    conformance::run(engine);
}

#[test]
fn durable_state_on_a_failing_memory_engine() {
    conformance::check_durable_on_failing_engine(Arc::new(MemoryEngine::new()));
}

#[test]
fn durable_state_on_a_failing_redb_engine() {
    let dir = tempfile::tempdir().unwrap();
    conformance::check_durable_on_failing_engine(Arc::new(RedbEngine::open(dir.path()).unwrap()));
}

#[test]
fn conformance_redb_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_owned();
    conformance::check_reopen(&|| Arc::new(RedbEngine::open(&path).unwrap()) as Arc<dyn Engine>);
}

// ---------------------------------------------------------------- durability and format

#[test]
fn async_commits_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open_dir(dir.path()).unwrap();
        rt().block_on(async {
            for i in 0..50u32 {
                let mut b = Batch::new();
                b.put("sg", format!("sg-{i:04}"), format!("group {i}"));
                b.put("sg.by_name", format!("name-{i}"), format!("sg-{i:04}"));
                store.commit(b).await.unwrap();
            }
        });
        // No shutdown: dropping the last handle must be enough to release the file.
    }
    let engine = RedbEngine::open(dir.path()).unwrap();
    assert_eq!(engine.scan_prefix("sg", b"sg-").unwrap().len(), 50);
    assert_eq!(
        engine.get("sg", b"sg-0042").unwrap(),
        Some(b"group 42".to_vec())
    );
    assert_eq!(
        engine.get("sg.by_name", b"name-7").unwrap(),
        Some(b"sg-0007".to_vec())
    );
}

#[test]
fn a_newer_store_format_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    {
        let engine = RedbEngine::open(dir.path()).unwrap();
        assert_eq!(
            engine.get(META_TABLE, FORMAT_KEY).unwrap(),
            Some(STORE_FORMAT.to_le_bytes().to_vec())
        );
        let mut b = Batch::new();
        b.put(META_TABLE, FORMAT_KEY, (STORE_FORMAT + 1).to_le_bytes());
        engine.apply(&[b]).unwrap();
    }
    let err = Store::open_dir(dir.path()).unwrap_err();
    assert_eq!(
        err,
        StoreError::FutureFormat {
            found: STORE_FORMAT + 1,
            supported: STORE_FORMAT
        }
    );
    assert!(err.to_string().contains("newer"), "{err}");
}

#[test]
fn a_data_dir_cannot_be_opened_twice() {
    let dir = tempfile::tempdir().unwrap();
    let _first = Store::open_dir(dir.path()).unwrap();
    let err = Store::open_dir(dir.path()).unwrap_err();
    assert!(matches!(err, StoreError::Engine(_)), "{err}");
}

// ---------------------------------------------------------------- group commit

/// Memory engine whose `apply` can be held at a gate, made to fail, or made to panic; it
/// asks for grouped commits unless `inline` is set.
#[derive(Default)]
struct FaultyEngine {
    inline: bool,
    inner: MemoryEngine,
    gate: Mutex<()>,
    in_apply: AtomicBool,
    fail: AtomicBool,
    panic: AtomicBool,
}

impl Engine for FaultyEngine {
    fn get(&self, table: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.get(table, key)
    }
    fn scan_prefix(
        &self,
        table: &str,
        prefix: &[u8],
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StoreError> {
        self.inner.scan_prefix(table, prefix)
    }
    fn apply(&self, batches: &[Batch]) -> Result<(), StoreError> {
        self.in_apply.store(true, Ordering::SeqCst);
        let _gate = self.gate.lock().unwrap_or_else(|e| e.into_inner());
        self.in_apply.store(false, Ordering::SeqCst);
        if self.panic.load(Ordering::SeqCst) {
            panic!("injected panic");
        }
        if self.fail.load(Ordering::SeqCst) {
            return Err(StoreError::Engine("injected failure".into()));
        }
        self.inner.apply(batches)
    }
    fn wipe(&self) -> Result<(), StoreError> {
        self.inner.wipe()
    }
    fn commit_mode(&self) -> CommitMode {
        if self.inline {
            CommitMode::Inline
        } else {
            CommitMode::Grouped
        }
    }
}

fn one_put(key: &str) -> Batch {
    let mut b = Batch::new();
    b.put("t", key, "v");
    b
}

#[test]
fn queued_commits_share_one_transaction_and_one_failure() {
    let engine = Arc::new(FaultyEngine::default());
    let store = Store::new(engine.clone());
    let gate = engine.gate.lock().unwrap();

    // The first commit enters apply and blocks there; the next ones queue up behind it.
    let first = {
        let store = store.clone();
        std::thread::spawn(move || store.commit_blocking(one_put("first")))
    };
    wait_until("first commit in apply", || {
        engine.in_apply.load(Ordering::SeqCst)
    });
    let queued: Vec<_> = (0..5)
        .map(|i| {
            let store = store.clone();
            std::thread::spawn(move || store.commit_blocking(one_put(&format!("queued-{i}"))))
        })
        .collect();
    wait_until("5 queued commits", || store.stats().pending == 5);

    engine.fail.store(true, Ordering::SeqCst);
    drop(gate);
    let injected = Err(StoreError::Engine("injected failure".into()));
    assert_eq!(first.join().unwrap(), injected);
    for q in queued {
        assert_eq!(
            q.join().unwrap(),
            injected,
            "every waiter of the failed group gets the error"
        );
    }
    let stats = store.stats();
    assert_eq!(
        (
            stats.groups,
            stats.failed_groups,
            stats.max_group,
            stats.batches
        ),
        (2, 2, 5, 0)
    );
    assert!(engine.scan_prefix("t", b"").unwrap().is_empty());

    // The writer survives failures and panics.
    engine.fail.store(false, Ordering::SeqCst);
    engine.panic.store(true, Ordering::SeqCst);
    let err = store.commit_blocking(one_put("boom")).unwrap_err();
    assert!(err.to_string().contains("injected panic"), "{err}");
    engine.panic.store(false, Ordering::SeqCst);
    store.commit_blocking(one_put("after")).unwrap();
    assert_eq!(store.get("t", b"after").unwrap(), Some(b"v".to_vec()));
}

#[test]
fn empty_batches_do_not_reach_the_engine() {
    let store = Store::in_memory();
    store.commit_blocking(Batch::new()).unwrap();
    rt().block_on(store.commit(Batch::new())).unwrap();
    assert_eq!(store.stats().groups, 0);
}

#[test]
fn shutdown_drains_then_refuses() {
    let store = Store::in_memory();
    let rt = rt();
    let results = rt.block_on(async {
        let tasks: Vec<_> = (0..64)
            .map(|i| {
                let store = store.clone();
                tokio::spawn(async move { (i, store.commit(one_put(&format!("k{i:02}"))).await) })
            })
            .collect();
        tokio::task::spawn_blocking({
            let store = store.clone();
            move || store.shutdown()
        })
        .await
        .unwrap();
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.unwrap());
        }
        out
    });
    for (i, r) in results {
        let key = format!("k{i:02}");
        match r {
            Ok(()) => assert!(
                store.get("t", key.as_bytes()).unwrap().is_some(),
                "acked {key} is applied"
            ),
            Err(e) => assert_eq!(e, StoreError::Closed),
        }
    }
    assert_eq!(
        store.commit_blocking(one_put("late")),
        Err(StoreError::Closed)
    );
    assert_eq!(
        rt.block_on(store.commit(one_put("late"))),
        Err(StoreError::Closed)
    );
    assert_eq!(store.wipe(), Err(StoreError::Closed));
    store.shutdown(); // idempotent
    assert!(
        store.get("t", b"late").unwrap().is_none(),
        "reads still work after shutdown"
    );
}

#[test]
fn wipe_through_the_store_keeps_the_store_openable() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open_dir(dir.path()).unwrap();
        store.commit_blocking(one_put("before")).unwrap();
        store.wipe().unwrap();
        assert_eq!(store.get("t", b"before").unwrap(), None);
        assert_eq!(
            store.get(META_TABLE, FORMAT_KEY).unwrap(),
            Some(STORE_FORMAT.to_le_bytes().to_vec())
        );
        let mut meta = Batch::new();
        meta.put(META_TABLE, CLOCK_KEY, "tick");
        store.commit_blocking(meta).unwrap();
        rt().block_on(async {
            // Submitted (queued) before the wipe but not yet awaited: applied, then wiped.
            let between = store.submit(one_put("between"));
            store.wipe_async().await.unwrap();
            let after = store.submit(one_put("after"));
            between.await.unwrap();
            after.await.unwrap();
        });
    }
    let store = Store::open_dir(dir.path()).unwrap();
    assert_eq!(
        store.scan_prefix("t", b"").unwrap(),
        vec![(b"after".to_vec(), b"v".to_vec())]
    );
    assert_eq!(
        store.get(META_TABLE, CLOCK_KEY).unwrap(),
        Some(b"tick".to_vec()),
        "a wipe keeps the metadata table"
    );
    assert_eq!(
        store.get(META_TABLE, FORMAT_KEY).unwrap(),
        Some(STORE_FORMAT.to_le_bytes().to_vec())
    );
}

// ---------------------------------------------------------------- inline commits

#[test]
fn in_memory_submit_is_applied_before_it_returns() {
    let store = Store::in_memory();
    let mut acked = Box::pin(store.submit(one_put("now")));
    assert_eq!(
        store.get("t", b"now").unwrap(),
        Some(b"v".to_vec()),
        "applied before the future is first polled"
    );
    use std::future::Future;
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    assert_eq!(
        acked.as_mut().poll(&mut cx),
        std::task::Poll::Ready(Ok(())),
        "the acknowledgement resolves at once"
    );
    store.commit_blocking(one_put("blocking")).unwrap();
    let stats = store.stats();
    assert_eq!(
        (
            stats.groups,
            stats.batches,
            stats.max_group,
            stats.pending,
            stats.failed_groups
        ),
        (2, 2, 1, 0, 0),
        "one engine apply per batch, nothing queued"
    );
}

#[test]
fn in_memory_wipe_is_ordered_between_submits() {
    let store = Store::in_memory();
    let mut meta = Batch::new();
    meta.put(META_TABLE, CLOCK_KEY, "tick");
    store.commit_blocking(meta).unwrap();
    rt().block_on(async {
        // Submitted before the wipe but awaited after it: applied, then wiped.
        let between = store.submit(one_put("between"));
        store.wipe_async().await.unwrap();
        let after = store.submit(one_put("after"));
        after.await.unwrap();
        between.await.unwrap();
    });
    assert_eq!(
        store.scan_prefix("t", b"").unwrap(),
        vec![(b"after".to_vec(), b"v".to_vec())]
    );
    assert_eq!(
        store.get(META_TABLE, CLOCK_KEY).unwrap(),
        Some(b"tick".to_vec()),
        "a wipe keeps the metadata table"
    );
}

#[test]
fn inline_failures_and_panics_reach_only_their_caller() {
    let engine = Arc::new(FaultyEngine {
        inline: true,
        ..FaultyEngine::default()
    });
    let store = Store::new(engine.clone());
    store.commit_blocking(one_put("before")).unwrap();

    engine.fail.store(true, Ordering::SeqCst);
    assert_eq!(
        rt().block_on(store.commit(one_put("failed"))),
        Err(StoreError::Engine("injected failure".into()))
    );
    engine.fail.store(false, Ordering::SeqCst);
    engine.panic.store(true, Ordering::SeqCst);
    let err = store.commit_blocking(one_put("boom")).unwrap_err();
    assert!(err.to_string().contains("injected panic"), "{err}");
    engine.panic.store(false, Ordering::SeqCst);

    // The store's lock survived the panic; the next commit goes through.
    store.commit_blocking(one_put("after")).unwrap();
    assert_eq!(
        keys(&store.scan_prefix("t", b"").unwrap()),
        [b"after".to_vec(), b"before".to_vec()]
    );
    let stats = store.stats();
    assert_eq!(
        (stats.groups, stats.failed_groups, stats.batches),
        (4, 2, 2)
    );
}

/// While one inline apply is held inside the engine, a second submitter waits for it (the
/// store's lock orders them), and shutdown waits for both before it returns.
#[test]
fn inline_submitters_and_shutdown_wait_for_an_apply_in_progress() {
    let engine = Arc::new(FaultyEngine {
        inline: true,
        ..FaultyEngine::default()
    });
    let store = Store::new(engine.clone());
    let gate = engine.gate.lock().unwrap();
    let first = {
        let store = store.clone();
        std::thread::spawn(move || store.commit_blocking(one_put("k")))
    };
    wait_until("first commit in apply", || {
        engine.in_apply.load(Ordering::SeqCst)
    });
    let second = {
        let store = store.clone();
        std::thread::spawn(move || {
            let mut b = Batch::new();
            b.put("t", "k", "second");
            store.commit_blocking(b)
        })
    };
    let shutdown = {
        let store = store.clone();
        std::thread::spawn(move || store.shutdown())
    };
    // Neither can finish while the first apply is held (nothing to poll for; give them time
    // to overtake if the lock were missing).
    std::thread::sleep(Duration::from_millis(50));
    assert!(!first.is_finished() && !shutdown.is_finished());
    assert_eq!(store.get("t", b"k").unwrap(), None, "nothing applied yet");
    drop(gate);
    assert_eq!(first.join().unwrap(), Ok(()));
    shutdown.join().unwrap();
    // The second submitter either got the lock before shutdown (applied after the first) or
    // after it (refused); either way the first write never overwrites the second.
    match second.join().unwrap() {
        Ok(()) => assert_eq!(store.get("t", b"k").unwrap(), Some(b"second".to_vec())),
        Err(e) => {
            assert_eq!(e, StoreError::Closed);
            assert_eq!(store.get("t", b"k").unwrap(), Some(b"v".to_vec()));
        }
    }
    assert_eq!(
        store.commit_blocking(one_put("late")),
        Err(StoreError::Closed)
    );
}

fn keys(rows: &[(Vec<u8>, Vec<u8>)]) -> Vec<Vec<u8>> {
    rows.iter().map(|(k, _)| k.clone()).collect()
}

// ---------------------------------------------------------------- versioned records

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct GroupV1 {
    id: String,
    name: String,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct GroupV2 {
    id: String,
    group_name: String,
    tags: Vec<(String, String)>,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct GroupV3 {
    id: String,
    group_name: String,
    tags: Vec<(String, String)>,
    vpc_id: String,
}

/// One step per call: v1 renames `name` and adds `tags`; v2 adds `vpc_id`.
fn migrate_group(from: u16, mut v: Value) -> Result<Value, StoreError> {
    let obj = v.as_object_mut().ok_or(StoreError::Migration {
        from,
        reason: "not an object".into(),
    })?;
    match from {
        1 => {
            let name = obj.remove("name").unwrap_or(Value::Null);
            obj.insert("group_name".into(), name);
            obj.insert("tags".into(), json!([]));
        }
        2 => {
            obj.insert("vpc_id".into(), json!("vpc-default"));
        }
        _ => {
            return Err(StoreError::Migration {
                from,
                reason: "unknown version".into(),
            })
        }
    }
    Ok(v)
}

const GROUPS_V1: Table<GroupV1> = Table::new("ec2.groups", 1);
const GROUPS_V2: Table<GroupV2> = Table::with_migration("ec2.groups", 2, migrate_group);
const GROUPS_V3: Table<GroupV3> = Table::with_migration("ec2.groups", 3, migrate_group);

#[test]
fn record_layout_is_tag_version_json() {
    let bytes = encode_record(2, &json!({"a": 1}));
    assert_eq!(bytes, b"\x01\x02\x00{\"a\":1}");
    assert_eq!(record_version(&bytes).unwrap(), 2);
    assert!(matches!(
        record_version(b"\x01\x02"),
        Err(StoreError::Corrupt(_))
    ));
    assert!(matches!(
        record_version(b"\x09\x01\x00{}"),
        Err(StoreError::Corrupt(_))
    ));
    let none = |from, _| {
        Err(StoreError::Migration {
            from,
            reason: "none".into(),
        })
    };
    assert!(matches!(
        decode_record::<Value>(b"\x01\x01\x00{bad", 1, none),
        Err(StoreError::Corrupt(_))
    ));
}

#[test]
fn v1_records_migrate_to_v2_on_read_and_on_upgrade() {
    let store = Store::in_memory();
    let mut b = Batch::new();
    GROUPS_V1.put(
        &mut b,
        "sg-1",
        &GroupV1 {
            id: "sg-1".into(),
            name: "web".into(),
        },
    );
    GROUPS_V1.put(
        &mut b,
        "sg-2",
        &GroupV1 {
            id: "sg-2".into(),
            name: "db".into(),
        },
    );
    store.commit_blocking(b).unwrap();

    // Written by "the old binary" at v1, read by "the new binary" at v2.
    let web = GROUPS_V2.get(&store, "sg-1").unwrap().unwrap();
    assert_eq!(
        web,
        GroupV2 {
            id: "sg-1".into(),
            group_name: "web".into(),
            tags: vec![]
        }
    );
    let all = GROUPS_V2.scan(&store, "sg-").unwrap();
    assert_eq!(
        all.iter()
            .map(|(_, g)| g.group_name.as_str())
            .collect::<Vec<_>>(),
        ["web", "db"]
    );

    // A v2 put is stored at v2; upgrade_all rewrites the remaining v1 record.
    let mut b = Batch::new();
    GROUPS_V2.put(
        &mut b,
        "sg-1",
        &GroupV2 {
            id: "sg-1".into(),
            group_name: "web".into(),
            tags: vec![("k".into(), "v".into())],
        },
    );
    store.commit_blocking(b).unwrap();
    assert_eq!(
        record_version(&store.get("ec2.groups", b"sg-1").unwrap().unwrap()).unwrap(),
        2
    );
    assert_eq!(
        record_version(&store.get("ec2.groups", b"sg-2").unwrap().unwrap()).unwrap(),
        1
    );
    assert_eq!(rt().block_on(GROUPS_V2.upgrade_all(&store)).unwrap(), 1);
    assert_eq!(
        record_version(&store.get("ec2.groups", b"sg-2").unwrap().unwrap()).unwrap(),
        2
    );
    assert_eq!(
        GROUPS_V2.get(&store, "sg-2").unwrap().unwrap().group_name,
        "db"
    );

    // Old binaries refuse newer records instead of misreading them.
    assert_eq!(
        GROUPS_V1.get(&store, "sg-2").unwrap_err(),
        StoreError::FutureVersion {
            found: 2,
            supported: 1
        }
    );
}

#[test]
fn migrations_chain_one_version_at_a_time() {
    let v1 = encode_record(
        1,
        &GroupV1 {
            id: "sg-9".into(),
            name: "old".into(),
        },
    );
    let g: GroupV3 = decode_record(&v1, 3, migrate_group).unwrap();
    assert_eq!(
        g,
        GroupV3 {
            id: "sg-9".into(),
            group_name: "old".into(),
            tags: vec![],
            vpc_id: "vpc-default".into()
        }
    );
    assert_eq!(GROUPS_V3.decode(&v1).unwrap(), g);

    // A table declared without migrations cannot read older records.
    const STRICT: Table<GroupV2> = Table::new("strict", 2);
    assert!(matches!(
        STRICT.decode(&v1),
        Err(StoreError::Migration { from: 1, .. })
    ));
}
