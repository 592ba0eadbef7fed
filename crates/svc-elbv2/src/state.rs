//! [`Elb`], the service's state holder: every account's and region's load balancers,
//! target groups, listeners and rules in memory (keyed by ARN), loaded from the store at
//! startup. Writes go through [`Elb::mutate`] (plan → submit → apply under one writer lock,
//! then wait until durable), and every applied change publishes a fresh configuration
//! snapshot to the data plane (`snapshot`). A reset holds the writer lock while the store is
//! wiped, then empties memory and publishes an empty snapshot.

use crate::model::{LbRec, ListenerRec, RuleRec, TgRec};
use crate::network::Network;
use crate::persist::{self, Change, Op};
use nimbus_core::{AwsError, Clock, Ids, RequestContext};
use nimbus_lb::Plane;
use nimbus_store::{Batch, Store, StoreError};
use nimbus_wire::ResetStep;
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

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

/// The ELBv2 service: implements the generated `Handlers` trait (see `handlers`).
pub struct Elb {
    pub(crate) store: Store,
    pub(crate) state: Arc<RwLock<State>>,
    writer: tokio::sync::Mutex<()>,
    pub(crate) ids: Arc<Ids>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) network: Arc<dyn Network>,
    pub(crate) plane: Arc<Plane>,
    /// Where node addresses are allocated (decision 0010).
    pub(crate) node_net: (std::net::Ipv4Addr, u8),
    /// ACM's issued certificates (HTTPS and TLS listeners).
    pub(crate) certs: Arc<dyn crate::certs::Certificates>,
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
        let elb = Elb {
            certs,
            store,
            state: Arc::new(RwLock::new(state)),
            writer: tokio::sync::Mutex::new(()),
            ids,
            clock,
            network,
            plane,
            node_net,
        };
        elb.publish();
        Ok(elb)
    }

    pub fn read<R>(&self, f: impl FnOnce(&State) -> R) -> R {
        f(&self.state.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// Builds the data plane's snapshot from the current state and publishes it.
    pub(crate) fn publish(&self) {
        crate::certs::publish(
            &self.state,
            self.clock.as_ref(),
            &self.plane,
            self.certs.as_ref(),
        );
    }

    /// ELB's side for ACM (certificate users, republishing).
    pub fn handle(&self) -> crate::certs::Handle {
        crate::certs::Handle {
            state: self.state.clone(),
            clock: self.clock.clone(),
            plane: self.plane.clone(),
            certs: self.certs.clone(),
        }
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
