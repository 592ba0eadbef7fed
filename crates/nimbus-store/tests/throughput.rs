//! Throughput checks, printed rather than asserted (run with `--nocapture`, ideally with
//! `--release`): durable commits/s of a CreateSecurityGroup-sized write through `Store` on
//! redb, with 1 committer (one fsync per commit) and with 32 concurrent committers (group
//! commit), with the raw fdatasync cost of the disk for context (the data lives under the
//! target directory, not a possibly RAM-backed /tmp, so the fsyncs are real); and the cost
//! of one commit on the memory engine applied inline versus handed to the writer thread.
#![cfg(unix)]

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use nimbus_store::{Batch, CommitMode, Engine, KvPairs, MemoryEngine, Store, StoreError, Table};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
struct SecurityGroup {
    group_id: String,
    group_name: String,
    description: String,
    vpc_id: String,
    owner_id: String,
    ingress: Vec<String>,
    egress: Vec<String>,
    tags: Vec<(String, String)>,
}

const GROUPS: Table<SecurityGroup> = Table::new("ec2.security_groups", 1);

/// The batch one CreateSecurityGroup call would commit: the record and a name index entry.
fn create_group(n: u64) -> Batch {
    let id = format!("sg-{n:017x}");
    let sg = SecurityGroup {
        group_id: id.clone(),
        group_name: format!("bench-{n}"),
        description: "throughput check".into(),
        vpc_id: "vpc-0123456789abcdef0".into(),
        owner_id: "000000000000".into(),
        ingress: vec![],
        egress: vec!["-1 0.0.0.0/0".into()],
        tags: vec![("Name".into(), format!("bench-{n}"))],
    };
    let mut b = Batch::new();
    GROUPS.put(&mut b, id.clone(), &sg);
    b.put(
        "ec2.security_groups.by_name",
        format!("vpc-0123456789abcdef0/bench-{n}"),
        id,
    );
    b
}

async fn run(store: &Store, committers: u64, per_committer: u64, base: u64) -> f64 {
    let start = Instant::now();
    let tasks: Vec<_> = (0..committers)
        .map(|c| {
            let store = store.clone();
            tokio::spawn(async move {
                for i in 0..per_committer {
                    store
                        .commit(create_group(base + c * per_committer + i))
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    (committers * per_committer) as f64 / start.elapsed().as_secs_f64()
}

/// Mean cost of writing 4 KiB and fdatasync'ing it: (appending, overwriting in place).
fn fdatasync_cost(dir: &std::path::Path) -> (Duration, Duration) {
    use std::os::unix::fs::FileExt;
    let n = 100u32;
    let mut f = std::fs::File::create(dir.join("fsync-probe")).unwrap();
    let start = Instant::now();
    for _ in 0..n {
        f.write_all(&[1u8; 4096]).unwrap();
        f.sync_data().unwrap();
    }
    let append = start.elapsed() / n;
    f.sync_all().unwrap();
    let start = Instant::now();
    for i in 0..n {
        f.write_all_at(&[2u8; 4096], u64::from(i) * 4096).unwrap();
        f.sync_data().unwrap();
    }
    (append, start.elapsed() / n)
}

#[test]
fn group_commit_throughput() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let (append, overwrite) = fdatasync_cost(dir.path());
    println!("write 4 KiB + fdatasync: {append:?} appending, {overwrite:?} overwriting");
    let store = Store::open_dir(&dir.path().join("db")).unwrap();
    let rt = Arc::new(
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap(),
    );
    rt.block_on(async {
        run(&store, 4, 25, 0).await; // warm-up
        let before = store.stats();
        let single = run(&store, 1, 300, 1_000_000).await;
        let mid = store.stats();
        let grouped = run(&store, 32, 250, 2_000_000).await;
        let after = store.stats();
        let groups = after.groups - mid.groups;
        let engine_ms = (after.engine_micros - mid.engine_micros) as f64 / 1000.0;
        let batches = after.batches - mid.batches;
        println!(
            "1 committer:   {single:>8.0} durable commits/s ({} groups, {:.2} ms in engine per group)",
            mid.groups - before.groups,
            (mid.engine_micros - before.engine_micros) as f64 / 1000.0 / (mid.groups - before.groups) as f64
        );
        println!(
            "32 committers: {grouped:>8.0} durable commits/s ({groups} groups, {:.1} commits/group avg, max {}, \
             {:.2} ms in engine per group)",
            batches as f64 / groups as f64,
            after.max_group,
            engine_ms / groups as f64
        );
    });
    assert_eq!(
        GROUPS.scan(&store, "sg-").unwrap().len(),
        100 + 300 + 32 * 250
    );
}

/// The memory engine, but asking for the writer thread (how every store ran before inline
/// commits), to measure what the hand-off costs.
struct ViaWriter(MemoryEngine);

impl Engine for ViaWriter {
    fn get(&self, table: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.0.get(table, key)
    }
    fn scan_prefix(&self, table: &str, prefix: &[u8]) -> Result<KvPairs, StoreError> {
        self.0.scan_prefix(table, prefix)
    }
    fn apply(&self, batches: &[Batch]) -> Result<(), StoreError> {
        self.0.apply(batches)
    }
    fn apply_owned(&self, batches: Vec<Batch>) -> Result<(), StoreError> {
        self.0.apply_owned(batches)
    }
    fn wipe(&self) -> Result<(), StoreError> {
        self.0.wipe()
    }
    fn commit_mode(&self) -> CommitMode {
        CommitMode::Grouped
    }
}

/// One committer awaiting each commit on a current-thread runtime, as a request handler in
/// the in-process hot path does; returns the mean time per commit.
fn commit_latency(store: &Store, n: u64) -> Duration {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        let start = Instant::now();
        for i in 0..n {
            store.commit(create_group(i)).await.unwrap();
        }
        start.elapsed() / u32::try_from(n).unwrap()
    })
}

#[test]
fn memory_commit_latency() {
    const N: u64 = 20_000;
    let inline = Store::in_memory();
    let writer = Store::new(Arc::new(ViaWriter(MemoryEngine::new())));
    // Warm up both (allocator, page faults), then measure them alternately.
    commit_latency(&inline, 1_000);
    commit_latency(&writer, 1_000);
    let (mut best_inline, mut best_writer) = (Duration::MAX, Duration::MAX);
    for _ in 0..3 {
        best_inline = best_inline.min(commit_latency(&inline, N));
        best_writer = best_writer.min(commit_latency(&writer, N));
    }
    println!(
        "memory engine, one awaited commit: {best_inline:?} inline, {best_writer:?} through \
         the writer thread (best of 3 x {N})"
    );
    assert_eq!(GROUPS.scan(&inline, "sg-").unwrap().len(), 20_000);
    assert_eq!(inline.stats().max_group, 1);
}

/// A service state for [`Durable`]: the ids of the groups created.
#[derive(Default)]
struct Groups(std::collections::BTreeSet<u64>);

impl nimbus_store::Persisted for Groups {
    type Change = u64;
    fn load(_: &Store) -> Result<Self, StoreError> {
        Ok(Groups::default())
    }
    fn write(n: &u64, batch: &mut Batch) {
        batch.append(create_group(*n));
    }
    fn apply(&mut self, n: u64) {
        self.0.insert(n);
    }
}

/// `writers` tasks creating `per_writer` groups each through `states` (round robin), so
/// one state's writers wait for each other's commits and different states share groups.
async fn run_durable(
    states: &[Arc<nimbus_store::Durable<Groups>>],
    writers: u64,
    per_writer: u64,
    base: u64,
) -> f64 {
    let start = Instant::now();
    let tasks: Vec<_> = (0..writers)
        .map(|w| {
            let d = Arc::clone(&states[(w as usize) % states.len()]);
            tokio::spawn(async move {
                for i in 0..per_writer {
                    let n = base + w * per_writer + i;
                    d.mutate(|_| Ok::<_, ()>((n, ()))).await.unwrap();
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    (writers * per_writer) as f64 / start.elapsed().as_secs_f64()
}

/// What holding memory back until a change is durable costs (decision 0011): on redb, one
/// state's writers share no fsync among themselves, several states' writers do; on the
/// memory engine, a mutation pays a task spawn over a bare commit.
#[test]
fn durable_state_throughput() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let store = Store::open_dir(&dir.path().join("db")).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let states: Vec<_> = (0..8)
        .map(|_| Arc::new(nimbus_store::Durable::<Groups>::load("bench", store.clone()).unwrap()))
        .collect();
    rt.block_on(async {
        run_durable(&states[..1], 4, 25, 0).await; // warm-up
        let raw32 = run(&store, 32, 100, 10_000_000).await;
        let one = run_durable(&states[..1], 32, 20, 1_000_000).await;
        let eight = run_durable(&states, 32, 50, 2_000_000).await;
        println!(
            "redb, 32 writers: {raw32:>8.0} commits/s bare; through Durable: {one:>8.0}/s on one \
             state, {eight:>8.0}/s over 8 states"
        );
    });
    let memory = Store::in_memory();
    let d = Arc::new(nimbus_store::Durable::<Groups>::load("bench", memory.clone()).unwrap());
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    const N: u64 = 20_000;
    let bare = commit_latency(&memory, N);
    let through = rt.block_on(async {
        let start = Instant::now();
        for i in 0..N {
            d.mutate(|_| Ok::<_, ()>((i, ()))).await.unwrap();
        }
        start.elapsed() / u32::try_from(N).unwrap()
    });
    println!(
        "memory engine, one awaited change: {bare:?} bare commit, {through:?} through Durable"
    );
    assert_eq!(d.read().0.len() as u64, N);
}
