//! The [`Durable`] part of the conformance suite: the state holder's guarantees over a
//! given engine — a plan sees every earlier change, a change reaches memory only once
//! durable and matches what a fresh load reads, a refused plan writes nothing, concurrent
//! writers never both win the same name, a dropped caller's change still lands, a panic in
//! `apply` leaves memory rebuilt from the store, a reset empties memory — and, over a [`FaultyEngine`] wrapping the engine, that a refused write
//! leaves memory as the store has it, a failed reload is returned (not dropped) and blocks
//! writes until a reload succeeds.

use super::{fresh, ok, runtime, wait_for};
use crate::{
    Batch, Durable, Engine, Fault, FaultyEngine, MutateError, Persisted, Store, StoreError,
};
use std::collections::BTreeMap;
use std::sync::Arc;

const NAMES: &str = "conformance.durable";
/// A name whose `apply` panics (after the changes before it in the same change applied).
const PANICS: &str = "panics";
/// A key here makes [`Names::load`] fail: a store whose data cannot be read back.
const POISON: &str = "conformance.durable_poison";

/// A toy service state: names with a number each.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Names(BTreeMap<String, u64>);

enum Change {
    Put(String, u64),
    Delete(String),
}

impl Persisted for Names {
    type Change = Vec<Change>;

    fn load(store: &Store) -> Result<Self, StoreError> {
        if !store.scan_prefix(POISON, b"")?.is_empty() {
            return Err(StoreError::Corrupt("the test poisoned the store".into()));
        }
        let mut names = BTreeMap::new();
        for (k, v) in store.scan_prefix(NAMES, b"")? {
            let n = <[u8; 8]>::try_from(v.as_slice())
                .map_err(|_| StoreError::Corrupt("not a u64".into()))?;
            names.insert(
                String::from_utf8_lossy(&k).into_owned(),
                u64::from_le_bytes(n),
            );
        }
        Ok(Names(names))
    }

    fn write(change: &Self::Change, batch: &mut Batch) {
        for c in change {
            match c {
                Change::Put(k, v) => batch.put(NAMES, k.as_bytes(), v.to_le_bytes()),
                Change::Delete(k) => batch.delete(NAMES, k.as_bytes()),
            }
        }
    }

    fn apply(&mut self, change: Self::Change) {
        for c in change {
            // A bug in a service's `apply`, half-way through a change.
            if matches!(&c, Change::Put(k, _) if k == PANICS) {
                panic!("the test's apply panics on {PANICS}");
            }
            match c {
                Change::Put(k, v) => self.0.insert(k, v),
                Change::Delete(k) => self.0.remove(&k),
            };
        }
    }
}

/// Creates `name` unless it exists (the answer is the new value), like a Create* call.
async fn create(d: &Durable<Names>, name: &str, v: u64) -> Result<u64, MutateError<String>> {
    d.mutate(|s| {
        if s.0.contains_key(name) {
            return Err(format!("{name} exists"));
        }
        Ok((vec![Change::Put(name.into(), v)], v))
    })
    .await
}

fn reloaded(store: &Store) -> Names {
    ok(Names::load(store), "load")
}

/// Every check of [`Durable`] that needs a healthy engine; run by [`super::run`].
pub(super) fn run(engine: &Arc<dyn Engine>) {
    fresh(&**engine);
    let store = Store::new(Arc::clone(engine));
    let rt = runtime();
    let _enter = rt.enter();
    // State written before the holder exists is what it starts with.
    ok(store.commit_blocking(put("old", 7)), "seed");
    let d = Arc::new(ok(
        Durable::<Names>::load("conformance", store.clone()),
        "load",
    ));
    assert_eq!(d.read().0.get("old"), Some(&7), "loads what the store has");
    rt.block_on(async {
        assert_eq!(create(&d, "a", 1).await, Ok(1));
        assert_eq!(d.read().0.get("a"), Some(&1), "applied once durable");
        assert_eq!(
            create(&d, "a", 2).await,
            Err(MutateError::Refused("a exists".into())),
            "the next plan sees the change"
        );
        assert_eq!(
            d.read().0.get("a"),
            Some(&1),
            "a refused plan changes nothing"
        );
        let gone = d
            .mutate(|_| Ok::<_, String>((vec![Change::Delete("old".into())], ())))
            .await;
        assert_eq!(gone, Ok(()));
        // A change that writes nothing still reaches memory (and answers).
        let empty = d.mutate(|_| Ok::<_, String>((Vec::new(), "nothing"))).await;
        assert_eq!(empty, Ok("nothing"));
    });
    assert_eq!(*d.read(), reloaded(&store), "memory is what the store has");

    // 32 writers race for one name and each create one of their own.
    rt.block_on(async {
        let tasks: Vec<_> = (0..32u64)
            .map(|i| {
                let d = Arc::clone(&d);
                tokio::spawn(async move {
                    let own = create(&d, &format!("own-{i:02}"), i).await;
                    assert_eq!(own, Ok(i), "an uncontended create succeeds");
                    create(&d, "contended", i).await.is_ok()
                })
            })
            .collect();
        let mut winners = 0;
        for t in tasks {
            winners += usize::from(t.await.unwrap_or_else(|e| panic!("writer failed: {e}")));
        }
        assert_eq!(winners, 1, "exactly one writer creates a contended name");
    });
    assert_eq!(d.read().0.len(), 1 + 32 + 1);
    assert_eq!(*d.read(), reloaded(&store));

    // A caller dropped once its batch is submitted: the change still lands in both.
    {
        let mut fut = Box::pin(create(&d, "dropped", 9));
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        // One poll takes the (free) writer lock, plans and submits; then it is dropped.
        let _ = fut.as_mut().poll(&mut cx);
    }
    wait_for("a dropped caller's change to reach memory", || {
        d.read().0.contains_key("dropped")
    });
    assert_eq!(*d.read(), reloaded(&store));

    // `apply` panics half-way through a durable change: memory is rebuilt from the store.
    rt.block_on(async {
        let half = d
            .mutate(|_| {
                Ok::<_, String>((
                    vec![
                        Change::Put("before-panic".into(), 1),
                        Change::Put(PANICS.into(), 2),
                    ],
                    (),
                ))
            })
            .await;
        assert!(matches!(half, Err(MutateError::Store(_))), "{half:?}");
    });
    assert_eq!(*d.read(), reloaded(&store), "memory rebuilt from the store");
    assert!(
        d.read().0.contains_key(PANICS),
        "the store has the durable change"
    );

    // A reset: the wipe runs with no write in flight, then memory is empty.
    let wiped = rt.block_on(d.reset_with(store.wipe_async()));
    ok(wiped, "reset");
    assert!(d.read().0.is_empty(), "a reset empties memory");
    assert_eq!(reloaded(&store), Names::default());
    rt.block_on(async { assert_eq!(create(&d, "after-reset", 3).await, Ok(3)) });
    assert_eq!(*d.read(), reloaded(&store));
    let view = d.view();
    assert_eq!(
        view.read().0.get("after-reset"),
        Some(&3),
        "a view reads the same state"
    );
    store.shutdown();
    drop(_enter);
    drop(rt);
}

use std::future::Future as _;

fn put(name: &str, v: u64) -> Batch {
    let mut b = Batch::new();
    b.put(NAMES, name.as_bytes(), v.to_le_bytes());
    b
}

/// [`Durable`] over a [`FaultyEngine`] wrapping `inner`: a refused write is answered with
/// the store's error and leaves memory as the store has it; when reloading fails as well,
/// both errors come back and writes are refused until a reload works. Call it from a plain
/// `#[test]` for each engine.
pub fn check_durable_on_failing_engine(inner: Arc<dyn Engine>) {
    fresh(&*inner);
    let faulty = Arc::new(FaultyEngine::new(inner));
    let store = Store::new(faulty.clone());
    let rt = runtime();
    let d = ok(Durable::<Names>::load("conformance", store.clone()), "load");
    rt.block_on(async {
        assert_eq!(create(&d, "kept", 1).await, Ok(1));

        faulty.arm(Fault::DiskFull);
        let lost = create(&d, "lost", 2).await;
        match &lost {
            Err(MutateError::Store(e)) => {
                assert!(e.to_string().contains("No space left"), "{e}")
            }
            other => panic!("a full disk must refuse the write, got {other:?}"),
        }
        assert!(
            !d.read().0.contains_key("lost"),
            "a refused change is not in memory"
        );
        assert_eq!(*d.read(), reloaded(&store), "memory is what the store has");
        assert!(store.degraded().is_some(), "the store says it is degraded");

        faulty.clear();
        assert_eq!(create(&d, "lost", 2).await, Ok(2), "writes resume");
        assert!(store.degraded().is_none());

        // The reload after a failure fails too: both errors are returned.
        ok(store.commit(poison(true)).await, "poison");
        faulty.arm(Fault::Io);
        match create(&d, "x", 3).await {
            Err(MutateError::Store(StoreError::Unrecovered { write, reload })) => {
                assert!(write.contains("Input/output error"), "{write}");
                assert!(reload.contains("poisoned"), "{reload}");
            }
            other => panic!("a failed reload must be returned, got {other:?}"),
        }
        faulty.clear();
        // Memory may be stale: no plan runs until a reload succeeds.
        let mut planned = false;
        let refused = d
            .mutate(|_| {
                planned = true;
                Ok::<_, String>((vec![Change::Put("y".into(), 4)], ()))
            })
            .await;
        assert!(
            matches!(
                refused,
                Err(MutateError::Store(StoreError::Unrecovered { .. }))
            ),
            "{refused:?}"
        );
        assert!(!planned, "nothing is planned against stale memory");
        ok(store.commit(poison(false)).await, "unpoison");
        assert_eq!(
            create(&d, "y", 4).await,
            Ok(4),
            "writes resume after a reload"
        );
    });
    assert_eq!(*d.read(), reloaded(&store));
    assert_eq!(
        d.read().0.keys().collect::<Vec<_>>(),
        ["kept", "lost", "y"],
        "exactly the acknowledged changes"
    );
    store.shutdown();
}

fn poison(on: bool) -> Batch {
    let mut b = Batch::new();
    if on {
        b.put(POISON, "p", "1");
    } else {
        b.delete(POISON, "p");
    }
    b
}
