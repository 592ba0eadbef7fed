//! Throughput check, printed rather than asserted (run with `--nocapture`): durable commits/s
//! of a CreateSecurityGroup-sized write through `Store` on redb, with 1 committer (one fsync
//! per commit) and with 32 concurrent committers (group commit). Also prints the raw
//! fdatasync cost of the disk for context. The data lives under the target directory, not a
//! possibly RAM-backed /tmp, so the fsyncs are real.
#![cfg(unix)]

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use nimbus_store::{Batch, Store, Table};
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
