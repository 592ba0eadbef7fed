//! [`AutoScaling`], the service's handle: every account's and region's launch
//! configurations, groups (with their instances), policies, scheduled actions and
//! activities in memory, loaded from the store at startup, plus the [`Deps`] it is wired
//! to. The handle is cheap to clone: the router, the group reconciler and the binary (for
//! CloudWatch's alarm actions, `on_alarm`) share one state. Reads are served from memory;
//! writes go through [`AutoScaling::mutate`]: one writer at a time plans a [`Change`]
//! against a scope's state, submits it to the store's ordered queue and applies it to
//! memory, then waits for durability with the lock released. A failed commit reloads
//! memory from the store. A reset holds the writer lock while the store is wiped.

use crate::deps::Deps;
use crate::model::{ActivityRec, GroupRec, LaunchConfigRec, PolicyRec, ScheduledRec};
use crate::persist::{self, Change, Op};
use nimbus_core::{AwsError, Clock, Ids};
use nimbus_store::{Batch, Store, StoreError};
use nimbus_wire::ResetStep;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

/// One account's state in one region. Names are case-sensitive, as in AWS.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    pub launch_configs: BTreeMap<String, LaunchConfigRec>,
    pub groups: BTreeMap<String, GroupRec>,
    /// Keyed (group, policy name).
    pub policies: BTreeMap<(String, String), PolicyRec>,
    /// Keyed (group, action name).
    pub scheduled: BTreeMap<(String, String), ScheduledRec>,
    /// Keyed by activity id.
    pub activities: BTreeMap<String, ActivityRec>,
}

impl Scope {
    pub fn group(&self, name: &str) -> Option<&GroupRec> {
        self.groups.get(name)
    }

    pub fn policies_of<'a>(&'a self, group: &'a str) -> impl Iterator<Item = &'a PolicyRec> + 'a {
        self.policies.values().filter(move |p| p.group == group)
    }

    pub fn policy_by_arn(&self, arn: &str) -> Option<&PolicyRec> {
        self.policies.values().find(|p| p.arn() == arn)
    }
}

/// All scopes, keyed (account, region).
#[derive(Debug, Default)]
pub struct State {
    pub scopes: HashMap<(String, String), Scope>,
}

impl State {
    fn scope(&mut self, a: &str, r: &str) -> &mut Scope {
        self.scopes
            .entry((a.to_string(), r.to_string()))
            .or_default()
    }

    pub fn apply(&mut self, change: Change) {
        for op in change.ops {
            match op {
                Op::PutLaunchConfig(l) => {
                    let s = self.scope(&l.account, &l.region);
                    s.launch_configs.insert(l.name.clone(), l);
                }
                Op::DeleteLaunchConfig(a, r, n) => {
                    self.scope(&a, &r).launch_configs.remove(&n);
                }
                Op::PutGroup(g) => {
                    let s = self.scope(&g.account, &g.region);
                    s.groups.insert(g.name.clone(), g);
                }
                Op::DeleteGroup(a, r, n) => {
                    self.scope(&a, &r).groups.remove(&n);
                }
                Op::PutPolicy(p) => {
                    let s = self.scope(&p.account, &p.region);
                    s.policies.insert((p.group.clone(), p.name.clone()), p);
                }
                Op::DeletePolicy(a, r, g, n) => {
                    self.scope(&a, &r).policies.remove(&(g, n));
                }
                Op::PutScheduled(x) => {
                    let s = self.scope(&x.account, &x.region);
                    s.scheduled.insert((x.group.clone(), x.name.clone()), x);
                }
                Op::DeleteScheduled(a, r, g, n) => {
                    self.scope(&a, &r).scheduled.remove(&(g, n));
                }
                Op::PutActivity(x) => {
                    let s = self.scope(&x.account, &x.region);
                    s.activities.insert(x.id.clone(), x);
                }
                Op::DeleteActivity(a, r, id) => {
                    self.scope(&a, &r).activities.remove(&id);
                }
            }
        }
    }
}

pub(crate) struct Shared {
    pub store: Store,
    pub state: RwLock<State>,
    pub writer: tokio::sync::Mutex<()>,
    /// Nimbus ms of the reconciler's last pruning of old activities.
    pub last_prune: std::sync::atomic::AtomicI64,
}

/// The Auto Scaling service (implements the generated `Handlers`; see `handlers`).
#[derive(Clone)]
pub struct AutoScaling {
    pub(crate) shared: Arc<Shared>,
    pub(crate) ids: Arc<Ids>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) deps: Deps,
}

impl std::fmt::Debug for AutoScaling {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AutoScaling").finish_non_exhaustive()
    }
}

fn loaded(store: &Store) -> Result<State, StoreError> {
    let mut st = State::default();
    st.apply(persist::load(store)?);
    Ok(st)
}

impl AutoScaling {
    pub fn load(
        store: Store,
        clock: Arc<dyn Clock>,
        ids: Arc<Ids>,
        deps: Deps,
    ) -> Result<Self, StoreError> {
        let state = loaded(&store)?;
        Ok(AutoScaling {
            shared: Arc::new(Shared {
                store,
                state: RwLock::new(state),
                writer: tokio::sync::Mutex::new(()),
                last_prune: std::sync::atomic::AtomicI64::new(i64::MIN),
            }),
            ids,
            clock,
            deps,
        })
    }

    /// Resets Auto Scaling together with `then` (the other services and the store wipe).
    pub fn reset_with<'a>(&'a self, then: ResetStep<'a>) -> ResetStep<'a> {
        Box::pin(async move {
            let _w = self.shared.writer.lock().await;
            then.await?;
            *self.shared.state.write().unwrap_or_else(|e| e.into_inner()) = State::default();
            Ok(())
        })
    }

    /// Runs `f` over one scope (empty if it has nothing yet).
    pub fn read<R>(&self, account: &str, region: &str, f: impl FnOnce(&Scope) -> R) -> R {
        let st = self.shared.state.read().unwrap_or_else(|e| e.into_inner());
        let empty = Scope::default();
        let s = st
            .scopes
            .get(&(account.to_string(), region.to_string()))
            .unwrap_or(&empty);
        f(s)
    }

    /// The (account, region) pairs that have any group.
    pub fn scopes_with_groups(&self) -> Vec<(String, String)> {
        let st = self.shared.state.read().unwrap_or_else(|e| e.into_inner());
        let mut v: Vec<_> = st
            .scopes
            .iter()
            .filter(|(_, s)| !s.groups.is_empty())
            .map(|(k, _)| k.clone())
            .collect();
        v.sort();
        v
    }

    /// Plans a change against one scope, submits and applies it, and returns the plan's
    /// answer once the change is durable.
    pub async fn mutate<R>(
        &self,
        account: &str,
        region: &str,
        plan: impl FnOnce(&Scope) -> Result<(Change, R), AwsError>,
    ) -> Result<R, AwsError> {
        let (durable, answer) = {
            let _w = self.shared.writer.lock().await;
            let (change, answer) = self.read(account, region, plan)?;
            if change.is_empty() {
                return Ok(answer);
            }
            let durable = self.shared.store.submit(change.batch());
            self.shared
                .state
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .apply(change);
            (durable, answer)
        };
        if let Err(e) = durable.await {
            let _w = self.shared.writer.lock().await;
            let mut barrier = Batch::new();
            barrier.delete(persist::GROUPS.name(), b"\0barrier".to_vec());
            let _ = self.shared.store.submit(barrier).await;
            if let Ok(state) = loaded(&self.shared.store) {
                *self.shared.state.write().unwrap_or_else(|e| e.into_inner()) = state;
            }
            return Err(AwsError::internal(format!(
                "Auto Scaling state could not be stored: {e}"
            )));
        }
        Ok(answer)
    }

    /// A fresh UUID (group, policy and action ARNs, activity ids).
    pub fn uuid(&self) -> String {
        self.ids.request_id()
    }

    pub fn now_ms(&self) -> i64 {
        self.clock.now().0
    }
}
