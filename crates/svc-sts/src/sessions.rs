//! [`Sessions`]: every temporary credential STS issued, in memory over the durable store,
//! and the read API the binary's credential store uses to authenticate `ASIA...` keys.
//!
//! Expiry reads the Nimbus clock, so `POST /_nimbus/clock/advance` expires sessions. An
//! expired session is still returned by [`Sessions::lookup`] (with its
//! [`SessionView::expiration`], which the caller compares with the clock) for
//! [`EXPIRED_RETENTION_SECS`] after it expired, so that its key keeps answering
//! `ExpiredToken` rather than `InvalidClientTokenId`, as AWS's self-contained tokens do.
//! Past that it is dropped, lazily and without a background loop: when it is looked up,
//! when the service loads, and a few at a time in the batch of each newly issued session.
//!
//! Writes (issuing a session) are serialised by one writer lock: plan, submit the batch,
//! apply to memory, then — with the lock released — wait for durability; if the store fails
//! the commit, the session is taken back out of memory and never handed out. A reset holds
//! the writer lock while the store is wiped (see `nimbus_wire::Service::reset`).

use crate::errors::StsError;
use crate::persist;
use crate::session::SessionView;
use nimbus_core::{Clock, Timestamp};
use nimbus_store::{Store, StoreError};
use nimbus_wire::ResetStep;
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, RwLock};

/// How long an expired session is kept so its key answers `ExpiredToken` (Nimbus time).
/// Longer than any session lives (36 hours), so a token outlived by its own lifetime is
/// still recognised as expired for a week.
pub const EXPIRED_RETENTION_SECS: i64 = 7 * 24 * 3600;

/// How many long-expired sessions one issue sweeps at most, so that issuing stays cheap
/// while the table cannot grow without bound.
const SWEEP_PER_ISSUE: usize = 16;

fn is_stale(s: &SessionView, now: Timestamp) -> bool {
    now.0 >= s.expiration.0 + EXPIRED_RETENTION_SECS * 1000
}

/// The sessions in memory, by key, and by expiration (for sweeping).
#[derive(Debug, Default)]
struct State {
    by_key: HashMap<String, Arc<SessionView>>,
    by_expiry: BTreeSet<(Timestamp, String)>,
}

impl State {
    fn insert(&mut self, s: Arc<SessionView>) {
        self.by_expiry
            .insert((s.expiration, s.access_key_id.clone()));
        if let Some(old) = self.by_key.insert(s.access_key_id.clone(), s) {
            self.by_expiry
                .remove(&(old.expiration, old.access_key_id.clone()));
        }
    }

    fn remove(&mut self, key: &str) -> Option<Arc<SessionView>> {
        let s = self.by_key.remove(key)?;
        self.by_expiry
            .remove(&(s.expiration, s.access_key_id.clone()));
        Some(s)
    }

    /// Up to `limit` sessions past their retention at `now`, oldest first.
    fn stale(&self, now: Timestamp, limit: usize) -> Vec<String> {
        let cutoff = Timestamp(now.0 - EXPIRED_RETENTION_SECS * 1000);
        self.by_expiry
            .iter()
            .take_while(|(exp, _)| *exp <= cutoff)
            .take(limit)
            .map(|(_, k)| k.clone())
            .collect()
    }
}

struct Shared {
    store: Store,
    clock: Arc<dyn Clock>,
    state: RwLock<State>,
    /// Serialises issuing (plan, submit, apply) and holds writes back during a reset.
    writer: tokio::sync::Mutex<()>,
}

/// The sessions STS issued: a cheap, cloneable handle shared by the service and the
/// binary's credential store.
#[derive(Clone)]
pub struct Sessions {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions")
            .field("count", &self.count())
            .finish_non_exhaustive()
    }
}

impl Sessions {
    /// Loads every stored session, dropping (in memory and, without waiting, in the store)
    /// those past their retention.
    pub fn load(store: Store, clock: Arc<dyn Clock>) -> Result<Self, StoreError> {
        let now = clock.now();
        let mut state = State::default();
        let mut stale = Vec::new();
        for s in persist::load(&store)? {
            if is_stale(&s, now) {
                stale.push(s.access_key_id);
            } else {
                state.insert(Arc::new(s));
            }
        }
        if !stale.is_empty() {
            // Handed to the store now; not awaited (startup may run on a runtime thread).
            // If it fails, the next load drops them again.
            drop(store.submit(persist::drop_batch(&stale)));
        }
        Ok(Sessions {
            shared: Arc::new(Shared {
                store,
                clock,
                state: RwLock::new(state),
                writer: tokio::sync::Mutex::new(()),
            }),
        })
    }

    /// The session of `access_key_id` at the Nimbus clock's now; see [`Sessions::lookup_at`].
    pub fn lookup(&self, access_key_id: &str) -> Option<Arc<SessionView>> {
        self.lookup_at(access_key_id, self.shared.clock.now())
    }

    /// The session of `access_key_id` as of `now`. An expired session is returned as it
    /// is (check [`SessionView::is_expired_at`]) until [`EXPIRED_RETENTION_SECS`] after
    /// its expiration; then it is dropped, and `None` is the answer, as for a key STS never
    /// issued.
    pub fn lookup_at(&self, access_key_id: &str, now: Timestamp) -> Option<Arc<SessionView>> {
        let found = {
            let st = self.shared.state.read().unwrap_or_else(|e| e.into_inner());
            st.by_key.get(access_key_id).cloned()?
        };
        if !is_stale(&found, now) {
            return Some(found);
        }
        let removed = self
            .shared
            .state
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(access_key_id);
        if removed.is_some() {
            // Submitted now, not awaited: lookups are synchronous. Keys are never reused,
            // so this delete cannot race a later put of the same key; if it fails, the
            // record is dropped again at the next load.
            let key = access_key_id.to_string();
            drop(self.shared.store.submit(persist::drop_batch([&key])));
        }
        None
    }

    /// How many sessions are held (live, or expired within their retention).
    pub fn count(&self) -> usize {
        self.read(|st| st.by_key.len())
    }

    fn read<R>(&self, f: impl FnOnce(&State) -> R) -> R {
        f(&self.shared.state.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// Whether `access_key_id` is a key STS issued (expired or not).
    pub(crate) fn contains(&self, access_key_id: &str) -> bool {
        self.read(|st| st.by_key.contains_key(access_key_id))
    }

    /// Makes a session with a fresh access key id (`make` receives it) durable and
    /// visible, sweeping a few long-expired sessions in the same batch. Returns once the
    /// batch is durable.
    pub(crate) async fn issue(
        &self,
        mut new_key: impl FnMut() -> String,
        make: impl FnOnce(String) -> SessionView,
        now: Timestamp,
    ) -> Result<Arc<SessionView>, StsError> {
        let (durable, session) = {
            let _w = self.shared.writer.lock().await;
            let key = loop {
                let k = new_key();
                if !self.contains(&k) {
                    break k;
                }
            };
            let session = Arc::new(make(key));
            let stale = self.read(|st| st.stale(now, SWEEP_PER_ISSUE));
            let durable = self
                .shared
                .store
                .submit(persist::issue_batch(&session, &stale));
            let mut st = self.shared.state.write().unwrap_or_else(|e| e.into_inner());
            for k in &stale {
                st.remove(k);
            }
            st.insert(session.clone());
            (durable, session)
        };
        if let Err(e) = durable.await {
            // The batch is atomic: neither the session nor the sweep landed. The swept
            // sessions were long expired, so only the new one goes back out of memory.
            self.shared
                .state
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&session.access_key_id);
            return Err(StsError::Store(e.to_string()));
        }
        Ok(session)
    }

    /// Resets together with `then` (the other services and the store wipe): no session can
    /// be issued while `then` runs, and memory is emptied only if it succeeded.
    pub(crate) fn reset_with<'a>(&'a self, then: ResetStep<'a>) -> ResetStep<'a> {
        Box::pin(async move {
            let _w = self.shared.writer.lock().await;
            then.await?;
            *self.shared.state.write().unwrap_or_else(|e| e.into_inner()) = State::default();
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::tests::sample;
    use nimbus_core::ManualClock;
    use std::time::Duration;

    const T0: i64 = 1_700_000_000;

    fn setup() -> (Store, Arc<ManualClock>, Sessions) {
        let store = Store::in_memory();
        let clock = Arc::new(ManualClock::new(Timestamp::from_secs(T0)));
        let sessions = Sessions::load(store.clone(), clock.clone()).expect("load");
        (store, clock, sessions)
    }

    async fn issue(s: &Sessions, key: &str, expires_in: i64) -> Arc<SessionView> {
        let now = s.shared.clock.now();
        s.issue(
            || key.to_string(),
            |k| sample(&k, Timestamp(now.0 + expires_in * 1000)),
            now,
        )
        .await
        .expect("issue")
    }

    #[tokio::test]
    async fn expired_sessions_stay_visible_for_their_retention_then_go() {
        let (store, clock, s) = setup();
        issue(&s, "ASIAAAAAAAAAAAAAAAAA", 900).await;
        let live = s.lookup("ASIAAAAAAAAAAAAAAAAA").expect("live");
        assert!(!live.is_expired_at(clock.now()));

        clock.advance(Duration::from_secs(900));
        let expired = s.lookup("ASIAAAAAAAAAAAAAAAAA").expect("still known");
        assert!(expired.is_expired_at(clock.now()));

        clock.advance(Duration::from_secs(EXPIRED_RETENTION_SECS as u64));
        assert!(s.lookup("ASIAAAAAAAAAAAAAAAAA").is_none());
        assert_eq!(s.count(), 0);
        // Dropped from the store too.
        assert!(persist::load(&store).expect("scan").is_empty());
    }

    #[tokio::test]
    async fn sessions_survive_a_reload_and_stale_ones_are_dropped_at_load() {
        let (store, clock, s) = setup();
        let a = issue(&s, "ASIAAAAAAAAAAAAAAAAA", 900).await;
        issue(&s, "ASIABBBBBBBBBBBBBBBB", 129_600).await;

        let again = Sessions::load(store.clone(), clock.clone()).expect("reload");
        assert_eq!(again.lookup(&a.access_key_id).as_deref(), Some(&*a));
        assert_eq!(again.count(), 2);

        clock.advance(Duration::from_secs(900 + EXPIRED_RETENTION_SECS as u64));
        let later = Sessions::load(store.clone(), clock.clone()).expect("reload");
        assert_eq!(later.count(), 1);
        assert!(later.lookup("ASIABBBBBBBBBBBBBBBB").is_some());
        assert_eq!(persist::load(&store).expect("scan").len(), 1);
    }

    #[tokio::test]
    async fn issuing_sweeps_long_expired_sessions() {
        let (store, clock, s) = setup();
        for i in 0..3 {
            issue(&s, &format!("ASIAOLD{i:013}"), 900).await;
        }
        clock.advance(Duration::from_secs(900 + EXPIRED_RETENTION_SECS as u64));
        issue(&s, "ASIANEW0000000000000", 900).await;
        assert_eq!(s.count(), 1);
        assert_eq!(persist::load(&store).expect("scan").len(), 1);
    }

    #[tokio::test]
    async fn a_colliding_key_is_drawn_again() {
        let (_store, clock, s) = setup();
        issue(&s, "ASIAAAAAAAAAAAAAAAAA", 900).await;
        let mut draws = vec!["ASIACCCCCCCCCCCCCCCC", "ASIAAAAAAAAAAAAAAAAA"];
        let now = clock.now();
        let b = s
            .issue(
                || draws.pop().expect("a draw").to_string(),
                |k| sample(&k, Timestamp(now.0 + 900_000)),
                now,
            )
            .await
            .expect("issue");
        assert_eq!(b.access_key_id, "ASIACCCCCCCCCCCCCCCC");
        assert_eq!(s.count(), 2);
    }

    #[tokio::test]
    async fn reset_forgets_everything() {
        let (store, _clock, s) = setup();
        issue(&s, "ASIAAAAAAAAAAAAAAAAA", 900).await;
        let wipe_store = store.clone();
        s.reset_with(Box::pin(async move {
            wipe_store
                .wipe_async()
                .await
                .map_err(|e| nimbus_wire::ResetError(e.to_string()))
        }))
        .await
        .expect("reset");
        assert_eq!(s.count(), 0);
        assert!(s.lookup("ASIAAAAAAAAAAAAAAAAA").is_none());
        assert!(persist::load(&store).expect("scan").is_empty());
    }

    #[tokio::test]
    async fn a_failed_reset_keeps_memory() {
        let (_store, _clock, s) = setup();
        issue(&s, "ASIAAAAAAAAAAAAAAAAA", 900).await;
        let r = s
            .reset_with(Box::pin(async {
                Err(nimbus_wire::ResetError("wipe failed".into()))
            }))
            .await;
        assert!(r.is_err());
        assert_eq!(s.count(), 1);
    }

    #[tokio::test]
    async fn a_failed_commit_issues_nothing() {
        let (store, clock, s) = setup();
        store.shutdown(); // every later commit fails with Closed
        let now = clock.now();
        let r = s
            .issue(
                || "ASIAAAAAAAAAAAAAAAAA".to_string(),
                |k| sample(&k, Timestamp(now.0 + 900_000)),
                now,
            )
            .await;
        assert_eq!(r.expect_err("store closed").code(), "InternalFailure");
        assert_eq!(s.count(), 0);
    }
}
