//! The CloudWatch service's state and its upkeep: the in-memory repository, the store it
//! mirrors, loading at startup, reset, and compaction (folding raw samples into buckets,
//! rolling buckets up into coarser tiers, dropping expired data, in memory and in the store
//! alike). The operations themselves are in `handlers.rs`.
//!
//! Memory mirrors what is durable. A put reaches memory only after its samples are
//! committed; a compaction is planned from memory, written as one batch, and carried out in
//! memory only once that batch is durable (one compaction at a time), so a failed write
//! changes nothing and a restart rebuilds exactly what memory held.
//!
//! Compaction needs no background worker: it runs lazily, when a request writes or reads a
//! series that is due, at load, and in a sweep over every series that a request starts at
//! most every [`SWEEP_EVERY_MS`] of Nimbus time (so series nobody touches any more shrink
//! too). Reads place data by age themselves, so answers never depend on whether it ran.
//!
//! A reset holds the `gate` (puts and compactions take it shared, just to submit their
//! batch) while the store is wiped, so every batch is queued either before the wipe (and
//! wiped) or after it. The reset also bumps the memory's epoch, and a put or compaction
//! whose batch was submitted in an older epoch leaves memory alone: the store no longer has
//! what it wrote.

use crate::metrics::{MetricKey, Repository};
use crate::persist;
use crate::series::Plan;
use nimbus_core::{Clock, Timestamp};
use nimbus_store::{Batch, Store, StoreError};
use nimbus_wire::ResetStep;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// How often (Nimbus time) a request sweeps every series for overdue compaction.
pub const SWEEP_EVERY_MS: i64 = 10 * 60 * 1000;
/// At most this many series are compacted in one go; a sweep that finds more comes back at
/// the next request.
pub const COMPACT_BATCH: usize = 512;

/// The CloudWatch service: a cheap handle on its shared state, so the wire router and the
/// in-process [`crate::publish::Publisher`] write the same repository.
#[derive(Clone)]
pub struct CloudWatch(Arc<Shared>);

impl std::ops::Deref for CloudWatch {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What a [`CloudWatch`] handle shares.
pub struct Shared {
    pub(crate) store: Store,
    pub(crate) clock: Arc<dyn Clock>,
    memory: Arc<Mutex<Memory>>,
    /// The metric alarms (shared with the `alarm-evaluator` worker).
    pub alarms: Arc<crate::alarms::Alarms>,
    /// The next free sample sequence number (part of a sample's store key).
    pub(crate) seq: AtomicU64,
    /// Held shared by a put or compaction while it submits its batch, exclusively by a reset.
    pub(crate) gate: tokio::sync::RwLock<()>,
    /// Held by the one compaction in progress.
    compacting: tokio::sync::Mutex<()>,
    /// When the next sweep is due (Nimbus time, epoch milliseconds).
    next_sweep: AtomicI64,
}

/// The metrics in memory, and which reset they are from.
pub(crate) struct Memory {
    pub(crate) samples: Repository,
    /// How many resets happened; read when a batch is submitted, compared when it is durable.
    pub(crate) epoch: u64,
}

impl CloudWatch {
    /// Loads every stored metric and compacts what is due, committing that before
    /// returning (a blocking commit: loading needs no async runtime). If the store refuses the compaction, memory stays as loaded and the first
    /// request's sweep tries again: only a failure to read is an error.
    pub fn load(store: Store, clock: Arc<dyn Clock>) -> Result<Self, StoreError> {
        let (mut samples, next_seq) = persist::load(&store)?;
        let now = clock.now();
        let mut next_sweep = now.0.saturating_add(SWEEP_EVERY_MS);
        loop {
            let plans = plan(&samples, samples.due(now, COMPACT_BATCH), now);
            if plans.is_empty() {
                break;
            }
            if store.commit_blocking(batch_of(&samples, &plans)).is_err() {
                next_sweep = now.0;
                break;
            }
            for (key, plan) in &plans {
                samples.apply(key, plan);
            }
        }
        let memory = Arc::new(Mutex::new(Memory { samples, epoch: 0 }));
        let alarms = Arc::new(crate::alarms::Alarms::load(
            store.clone(),
            clock.clone(),
            memory.clone(),
        )?);
        Ok(CloudWatch(Arc::new(Shared {
            store,
            clock,
            memory,
            alarms,
            seq: AtomicU64::new(next_seq),
            gate: tokio::sync::RwLock::new(()),
            compacting: tokio::sync::Mutex::new(()),
            next_sweep: AtomicI64::new(next_sweep),
        })))
    }

    pub(crate) fn memory(&self) -> MutexGuard<'_, Memory> {
        self.memory.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Resets CloudWatch together with `then` (the other services and the store wipe; see
    /// [`nimbus_wire::Service::reset`]): no put or compaction submits while `then` runs; if
    /// it succeeded, memory is emptied and batches submitted before it will not change it.
    pub fn reset_with<'a>(&'a self, then: ResetStep<'a>) -> ResetStep<'a> {
        Box::pin(async move {
            let _gate = self.gate.write().await;
            let _alarm_gate = self.alarms.gate.write().await;
            then.await?;
            let mut mem = self.memory();
            mem.samples.clear();
            mem.epoch += 1;
            drop(mem);
            self.alarms.clear();
            Ok(())
        })
    }

    /// The upkeep a request does on its way out: compacts `due` (series it touched that are
    /// due) and, when a sweep is due, every other series that is. A failure is not the
    /// request's: the compaction changed nothing and the next request finding the series due
    /// tries again.
    pub(crate) async fn upkeep(&self, mut due: Vec<MetricKey>) {
        let now = self.clock.now();
        let sweep_at = self.next_sweep.load(Ordering::Relaxed);
        if now.0 >= sweep_at {
            let swept = self.memory().samples.due(now, COMPACT_BATCH);
            let next = if swept.len() == COMPACT_BATCH {
                now.0
            } else {
                now.0.saturating_add(SWEEP_EVERY_MS)
            };
            // One request sweeps; the others go on.
            if self
                .next_sweep
                .compare_exchange(sweep_at, next, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
            {
                due.extend(swept);
            }
        }
        if due.is_empty() {
            return;
        }
        due.sort_unstable();
        due.dedup();
        due.truncate(COMPACT_BATCH);
        let _ = self.compact(due).await;
    }

    /// Compacts the series of `keys` as of now, in one durable batch; returns how many
    /// changed. Skipped (0) while another compaction is in progress: what that one did not
    /// cover stays due.
    pub(crate) async fn compact(&self, keys: Vec<MetricKey>) -> Result<usize, StoreError> {
        let Ok(_one) = self.compacting.try_lock() else {
            return Ok(0);
        };
        let now = self.clock.now();
        let (plans, durable, epoch) = {
            let _gate = self.gate.read().await;
            let mem = self.memory();
            let plans = plan(&mem.samples, keys, now);
            if plans.is_empty() {
                return Ok(0);
            }
            let batch = batch_of(&mem.samples, &plans);
            (plans, self.store.submit(batch), mem.epoch)
        };
        durable.await?;
        let mut mem = self.memory();
        // Otherwise a reset wiped what this wrote, and memory with it.
        if mem.epoch == epoch {
            for (key, plan) in &plans {
                mem.samples.apply(key, plan);
            }
        }
        Ok(plans.len())
    }

    /// Every series' data (raw samples, each tier's buckets, last publish time) as text, for
    /// tests that compare memory with what a restart loads.
    #[cfg(test)]
    pub(crate) fn snapshot(&self) -> Vec<(MetricKey, String)> {
        let mem = self.memory();
        mem.samples
            .iter()
            .map(|(k, s)| {
                let tiers: Vec<_> = crate::retention::Tier::ALL
                    .into_iter()
                    .map(|t| s.buckets(t).clone())
                    .collect();
                let view = format!("{:?} {:?} {:?}", s.raw(), tiers, s.last_published());
                (k.clone(), view)
            })
            .collect()
    }
}

/// The compactions `keys` need at `now` (series with nothing to do are left out).
fn plan(samples: &Repository, keys: Vec<MetricKey>, now: Timestamp) -> Vec<(MetricKey, Plan)> {
    keys.into_iter()
        .filter_map(|key| {
            let plan = samples.get(&key.as_key_ref())?.plan(now)?;
            Some((key, plan))
        })
        .collect()
}

fn batch_of(samples: &Repository, plans: &[(MetricKey, Plan)]) -> Batch {
    let mut batch = Batch::new();
    for (key, plan) in plans {
        if let Some(series) = samples.get(&key.as_key_ref()) {
            persist::write_plan(&mut batch, key, series.codec(), plan);
        }
    }
    batch
}
