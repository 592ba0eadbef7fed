//! [`AutoScaling`], the service's handle: every account's and region's launch
//! configurations, groups (with their instances), policies, scheduled actions and
//! activities in memory, loaded from the store at startup, plus the [`Deps`] it is wired
//! to. The handle is cheap to clone: the router, the group reconciler and the binary (for
//! CloudWatch's alarm actions, `on_alarm`) share one state, held by a
//! [`nimbus_store::Durable`] (decision 0011). Reads are served from memory; writes go
//! through [`AutoScaling::mutate`]: one writer at a time plans a [`Change`] against a
//! scope's state, and the change reaches memory once it is durable. A failed commit reloads
//! memory from the store. A reset empties memory after the store's wipe, with no write in
//! flight.

use crate::deps::Deps;
use crate::model::{ActivityRec, GroupRec, LaunchConfigRec, PolicyRec, ScheduledRec};
use crate::persist::{self, Change, Op};
use nimbus_core::{AwsError, Clock, Ids};
use nimbus_store::{Batch, Durable, Persisted, Store, StoreError};
use nimbus_wire::ResetStep;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

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

    fn apply_ops(&mut self, change: Change) {
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

impl Persisted for State {
    type Change = Change;

    fn load(store: &Store) -> Result<Self, StoreError> {
        let mut st = State::default();
        st.apply_ops(persist::load(store)?);
        Ok(st)
    }

    fn write(change: &Change, batch: &mut Batch) {
        batch.append(change.batch());
    }

    fn apply(&mut self, change: Change) {
        self.apply_ops(change);
    }
}

pub(crate) struct Shared {
    pub state: Durable<State>,
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

impl AutoScaling {
    pub fn load(
        store: Store,
        clock: Arc<dyn Clock>,
        ids: Arc<Ids>,
        deps: Deps,
    ) -> Result<Self, StoreError> {
        Ok(AutoScaling {
            shared: Arc::new(Shared {
                state: Durable::load("autoscaling", store)?,
                last_prune: std::sync::atomic::AtomicI64::new(i64::MIN),
            }),
            ids,
            clock,
            deps,
        })
    }

    /// Resets Auto Scaling together with `then` (the other services and the store wipe).
    pub fn reset_with<'a>(&'a self, then: ResetStep<'a>) -> ResetStep<'a> {
        Box::pin(self.shared.state.reset_with(then))
    }

    /// Runs `f` over one scope (empty if it has nothing yet).
    pub fn read<R>(&self, account: &str, region: &str, f: impl FnOnce(&Scope) -> R) -> R {
        let st = self.shared.state.read();
        let empty = Scope::default();
        let s = st
            .scopes
            .get(&(account.to_string(), region.to_string()))
            .unwrap_or(&empty);
        f(s)
    }

    /// The (account, region) pairs that have any group.
    pub fn scopes_with_groups(&self) -> Vec<(String, String)> {
        let st = self.shared.state.read();
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
        self.shared
            .state
            .mutate(|st| {
                let empty = Scope::default();
                plan(
                    st.scopes
                        .get(&(account.to_string(), region.to_string()))
                        .unwrap_or(&empty),
                )
            })
            .await
            .map_err(|e| e.or_store(crate::errors::store_failure))
    }

    /// A fresh UUID (group, policy and action ARNs, activity ids).
    pub fn uuid(&self) -> String {
        self.ids.request_id()
    }

    pub fn now_ms(&self) -> i64 {
        self.clock.now().0
    }
}
