//! [`Elb`], the service's state holder: every account's and region's load balancers,
//! target groups, listeners and rules in memory (keyed by ARN), loaded from the store at
//! startup. Writes go through [`Elb::mutate`] (plan → submit → apply under one writer lock,
//! then wait until durable), and every applied change publishes a fresh configuration
//! snapshot to the data plane (`snapshot`). A reset holds the writer lock while the store is
//! wiped, then empties memory and publishes an empty snapshot.
//!
//! A snapshot also depends on facts EC2 owns: the ingress rules of each balancer's
//! security groups and the state of each instance target. They are read through
//! [`Network`] and [`Instances`] when a snapshot is built, and [`ElbInner::refresh`]
//! (called by the binary whenever EC2 may have changed, and periodically) republishes when
//! they changed and deregisters targets whose instance was terminated, as AWS does.
//! [`Elb`] is a cheap handle (`Clone`) over the shared [`ElbInner`].

use crate::instances::{InstanceState, Instances};
use crate::model::{LbRec, ListenerRec, RuleRec, TgRec};
use crate::network::Network;
use crate::persist::{self, Change, Op};
use crate::snapshot::Facts;
use nimbus_core::{AwsError, Clock, Ids, RequestContext};
use nimbus_lb::Plane;
use nimbus_store::{Batch, Store, StoreError};
use nimbus_wire::ResetStep;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, RwLock};

/// Every resource, by ARN.
#[derive(Clone, Debug, Default)]
pub struct State {
    pub lbs: BTreeMap<String, LbRec>,
    pub tgs: BTreeMap<String, TgRec>,
    pub listeners: BTreeMap<String, ListenerRec>,
    pub rules: BTreeMap<String, RuleRec>,
}

/// `arn:aws:elasticloadbalancing:{region}:{account}:` — every ARN of one scope starts so.
pub fn arn_prefix(ctx: &RequestContext) -> String {
    format!(
        "arn:aws:elasticloadbalancing:{}:{}:",
        ctx.region,
        ctx.account_id()
    )
}

impl State {
    pub fn apply(&mut self, change: Change) {
        for op in change.ops {
            match op {
                Op::PutLb(r) => {
                    self.lbs.insert(r.arn.clone(), r);
                }
                Op::DeleteLb(a) => {
                    self.lbs.remove(&a);
                }
                Op::PutTg(r) => {
                    self.tgs.insert(r.arn.clone(), r);
                }
                Op::DeleteTg(a) => {
                    self.tgs.remove(&a);
                }
                Op::PutListener(r) => {
                    self.listeners.insert(r.arn.clone(), r);
                }
                Op::DeleteListener(a) => {
                    self.listeners.remove(&a);
                }
                Op::PutRule(r) => {
                    self.rules.insert(r.arn.clone(), r);
                }
                Op::DeleteRule(a) => {
                    self.rules.remove(&a);
                }
            }
        }
    }

    /// The listeners of load balancer `lb`, by port.
    pub fn listeners_of<'a>(&'a self, lb: &'a str) -> impl Iterator<Item = &'a ListenerRec> + 'a {
        self.listeners.values().filter(move |l| l.lb_arn == lb)
    }

    /// The non-default rules of listener `l`.
    pub fn rules_of<'a>(&'a self, l: &'a str) -> impl Iterator<Item = &'a RuleRec> + 'a {
        self.rules.values().filter(move |r| r.listener_arn == l)
    }

    /// The load balancers whose listeners or rules forward to target group `tg`.
    pub fn lbs_of_group(&self, tg: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let uses = |acts: &[crate::model::ActionRec]| {
            acts.iter().any(|a| a.groups.iter().any(|(g, _)| g == tg))
        };
        for l in self.listeners.values() {
            let used = uses(&l.default_actions) || self.rules_of(&l.arn).any(|r| uses(&r.actions));
            if used && !out.contains(&l.lb_arn) {
                out.push(l.lb_arn.clone());
            }
        }
        out.sort();
        out
    }
}

/// The ELBv2 service: implements the generated `Handlers` trait (see `handlers`). A handle:
/// clones share one [`ElbInner`].
#[derive(Clone)]
pub struct Elb(Arc<ElbInner>);

impl std::ops::Deref for Elb {
    type Target = ElbInner;

    fn deref(&self) -> &ElbInner {
        &self.0
    }
}

/// The state behind an [`Elb`] handle.
pub struct ElbInner {
    pub(crate) store: Store,
    pub(crate) state: RwLock<State>,
    writer: tokio::sync::Mutex<()>,
    pub(crate) ids: Arc<Ids>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) network: Arc<dyn Network>,
    pub(crate) plane: Arc<Plane>,
    /// Where node addresses are allocated (decision 0010).
    pub(crate) node_net: (std::net::Ipv4Addr, u8),
    /// ACM's issued certificates (HTTPS and TLS listeners).
    pub(crate) certs: Arc<dyn crate::certs::Certificates>,
    /// EC2's instances (unset: no instance is known).
    instances: RwLock<Option<Arc<dyn Instances>>>,
    /// The EC2 facts the current snapshot was built from.
    facts: Mutex<Facts>,
}

impl std::fmt::Debug for ElbInner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ElbInner").finish_non_exhaustive()
    }
}

impl std::fmt::Debug for Elb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Elb").finish_non_exhaustive()
    }
}

fn store_error(e: StoreError) -> AwsError {
    AwsError::internal(format!("ELB state could not be stored: {e}"))
}

fn loaded(store: &Store) -> Result<State, StoreError> {
    let mut st = State::default();
    st.apply(persist::load(store)?);
    Ok(st)
}

impl Elb {
    /// Loads every stored record and publishes the first snapshot.
    pub fn load(
        store: Store,
        clock: Arc<dyn Clock>,
        ids: Arc<Ids>,
        network: Arc<dyn Network>,
        plane: Arc<Plane>,
        node_net: (std::net::Ipv4Addr, u8),
        certs: Arc<dyn crate::certs::Certificates>,
    ) -> Result<Self, StoreError> {
        let state = loaded(&store)?;
        let elb = Elb(Arc::new(ElbInner {
            certs,
            store,
            state: RwLock::new(state),
            writer: tokio::sync::Mutex::new(()),
            ids,
            clock,
            network,
            plane,
            node_net,
            instances: RwLock::new(None),
            facts: Mutex::new(Facts::default()),
        }));
        elb.publish();
        Ok(elb)
    }

    /// ELB's side for ACM (certificate users, republishing).
    pub fn handle(&self) -> crate::certs::Handle {
        crate::certs::Handle { elb: self.clone() }
    }
}

impl ElbInner {
    /// Wires EC2's instances (instance targets) and republishes.
    pub fn set_instances(&self, instances: Arc<dyn Instances>) {
        *self.instances.write().unwrap_or_else(|e| e.into_inner()) = Some(instances);
        self.publish();
    }

    /// Instance `id` of (account, region), as EC2 reports it now.
    pub(crate) fn instance(
        &self,
        account: &str,
        region: &str,
        id: &str,
    ) -> Option<crate::instances::InstanceTarget> {
        let i = self
            .instances
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()?;
        i.lookup(account, region, id)
    }

    /// The EC2 facts a snapshot of the current state depends on. What to ask is read
    /// under the state lock, EC2 is asked after it is released (never one service's lock
    /// held while taking another's).
    fn facts(&self) -> Facts {
        // (ARN, account, region, groups) of each balancer; (account, region, id) of each
        // instance target.
        type Lb = (String, String, String, Vec<String>);
        type Scoped = (String, String, String);
        let (lbs, targets): (Vec<Lb>, Vec<Scoped>) = self.read(|st| {
            let lbs = st
                .lbs
                .values()
                .map(|lb| {
                    (
                        lb.arn.clone(),
                        lb.account.clone(),
                        lb.region.clone(),
                        lb.security_groups.clone(),
                    )
                })
                .collect();
            let targets = st
                .tgs
                .values()
                .filter(|t| t.target_type == "instance")
                .flat_map(|tg| {
                    tg.targets
                        .iter()
                        .map(|t| (tg.account.clone(), tg.region.clone(), t.id.clone()))
                })
                .collect();
            (lbs, targets)
        });
        let mut f = Facts::default();
        for (arn, account, region, groups) in lbs {
            let ingress = (!groups.is_empty()).then(|| {
                groups
                    .iter()
                    .filter_map(|g| self.network.security_group_ingress(&account, &region, g))
                    .flatten()
                    .filter_map(|r| crate::snapshot::allow(&r))
                    .collect()
            });
            f.ingress.insert(arn, ingress);
        }
        for (account, region, id) in targets {
            if f.instances.contains_key(&id) {
                continue;
            }
            let found = self.instance(&account, &region, &id);
            for g in found.iter().flat_map(|i| &i.security_groups) {
                if !f.groups.contains_key(g) {
                    let rules = self
                        .network
                        .security_group_ingress(&account, &region, g)
                        .unwrap_or_default();
                    f.groups.insert(g.clone(), rules);
                }
            }
            f.instances.insert(id, found);
        }
        f
    }

    /// Rebuilds the snapshot when EC2's facts changed since the last one (a security group
    /// rule, an instance's state), and deregisters the targets whose instance is
    /// terminated or gone, as AWS does. Cheap when nothing changed.
    pub async fn refresh(&self) {
        let wired = self
            .instances
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .is_some();
        let facts = self.facts();
        let gone = |id: &str| {
            wired
                && facts.instances.get(id).is_some_and(|i| {
                    i.as_ref()
                        .is_none_or(|i| i.state == InstanceState::Terminated)
                })
        };
        let any_gone = self.read(|st| {
            st.tgs.values().any(|tg| {
                tg.target_type == "instance"
                    && tg
                        .targets
                        .iter()
                        .any(|t| t.draining_until.is_none() && gone(&t.id))
            })
        });
        if any_gone {
            let now = self.clock.now().0;
            let _ = self
                .mutate(|st| {
                    let mut change = crate::persist::Change::default();
                    for tg in st.tgs.values().filter(|t| t.target_type == "instance") {
                        let mut rec = tg.clone();
                        let delay = crate::handlers::deregistration_delay(tg);
                        let mut changed = false;
                        for t in rec.targets.iter_mut() {
                            if t.draining_until.is_none() && gone(&t.id) {
                                t.draining_until = Some(now + delay * 1000);
                                changed = true;
                            }
                        }
                        rec.targets
                            .retain(|t| t.draining_until.is_none_or(|d| d > now));
                        if changed {
                            change.ops.push(crate::persist::Op::PutTg(rec));
                        }
                    }
                    Ok((change, ()))
                })
                .await;
        }
        let stale = *self.facts.lock().unwrap_or_else(|e| e.into_inner()) != facts;
        if stale {
            self.publish();
        }
    }

    pub fn read<R>(&self, f: impl FnOnce(&State) -> R) -> R {
        f(&self.state.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// Builds the data plane's snapshot from the current state (and EC2's facts) and
    /// publishes it.
    pub(crate) fn publish(&self) {
        let now = self.clock.now();
        let facts = self.facts();
        let snap = self.read(|st| crate::snapshot::build(st, now, &facts, self.certs.as_ref()));
        *self.facts.lock().unwrap_or_else(|e| e.into_inner()) = facts;
        self.plane.publish(snap);
    }

    /// Plans a change, submits it, applies it, publishes the new snapshot, and returns the
    /// plan's answer once the change is durable.
    pub async fn mutate<R>(
        &self,
        plan: impl FnOnce(&State) -> Result<(Change, R), AwsError>,
    ) -> Result<R, AwsError> {
        let (durable, answer) = {
            let _w = self.writer.lock().await;
            let (change, answer) = self.read(plan)?;
            if change.ops.is_empty() {
                return Ok(answer);
            }
            let durable = self.store.submit(change.batch());
            self.state
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .apply(change);
            self.publish();
            (durable, answer)
        };
        if let Err(e) = durable.await {
            let _w = self.writer.lock().await;
            let mut barrier = Batch::new();
            barrier.delete(persist::LBS.name(), b"\0barrier".to_vec());
            let _ = self.store.submit(barrier).await;
            if let Ok(state) = loaded(&self.store) {
                *self.state.write().unwrap_or_else(|e| e.into_inner()) = state;
            }
            self.publish();
            return Err(store_error(e));
        }
        Ok(answer)
    }

    pub fn reset_with<'a>(&'a self, then: ResetStep<'a>) -> ResetStep<'a> {
        Box::pin(async move {
            let _w = self.writer.lock().await;
            then.await?;
            *self.state.write().unwrap_or_else(|e| e.into_inner()) = State::default();
            self.publish();
            Ok(())
        })
    }

    /// `n` lower-case hex digits.
    pub fn hex(&self, n: usize) -> String {
        self.ids.hex(n)
    }
}
