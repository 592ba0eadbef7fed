//! [`Classic`], the service's handle: the durable state (`state`), and everything a
//! Classic Load Balancer needs beyond it — EC2's networking and instances (the
//! [`svc_elbv2::Network`] and [`svc_elbv2::Instances`] traits ELB owns, wired by the binary
//! to EC2 exactly as for ELBv2), the shared data plane ([`nimbus_lb::Plane`]) its
//! configuration is published to as the part `"elb"` after every change, and the EC2 facts
//! that configuration was built from. [`Classic::refresh`] (the binary's `elb-refresh`
//! worker calls it every second) republishes when those facts changed and drops
//! instances that were terminated, as AWS does. Cheap to clone.

use crate::snapshot::{self, Facts};
use crate::state::{Change, State};
use nimbus_core::{AwsError, Clock, Ids};
use nimbus_lb::Plane;
use nimbus_store::Durable;
use std::sync::{Arc, Mutex, RwLock};

/// The plane part Classic Load Balancers publish.
pub const PART: &str = "elb";

pub struct Inner {
    pub(crate) state: Durable<State>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) ids: Arc<Ids>,
    pub(crate) network: Arc<dyn svc_elbv2::Network>,
    pub(crate) plane: Arc<Plane>,
    pub(crate) node_net: (std::net::Ipv4Addr, u8),
    /// ACM's issued certificates (HTTPS and SSL listeners).
    pub(crate) certs: Arc<dyn svc_elbv2::Certificates>,
    instances: RwLock<Option<Arc<dyn svc_elbv2::Instances>>>,
    facts: Mutex<Facts>,
}

/// The Classic Load Balancer service (implements the generated `Handlers`).
#[derive(Clone)]
pub struct Classic(pub(crate) Arc<Inner>);

impl std::ops::Deref for Classic {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl std::fmt::Debug for Classic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Classic").finish_non_exhaustive()
    }
}

impl Classic {
    pub fn new(
        state: Durable<State>,
        clock: Arc<dyn Clock>,
        ids: Arc<Ids>,
        network: Arc<dyn svc_elbv2::Network>,
        plane: Arc<Plane>,
        node_net: (std::net::Ipv4Addr, u8),
        certs: Arc<dyn svc_elbv2::Certificates>,
    ) -> Self {
        let c = Classic(Arc::new(Inner {
            certs,
            state,
            clock,
            ids,
            network,
            plane,
            node_net,
            instances: RwLock::new(None),
            facts: Mutex::new(Facts::default()),
        }));
        c.publish();
        c
    }

    /// Wires EC2's instances and republishes.
    pub fn set_instances(&self, instances: Arc<dyn svc_elbv2::Instances>) {
        *self.instances.write().unwrap_or_else(|e| e.into_inner()) = Some(instances);
        self.publish();
    }

    pub(crate) fn instance(
        &self,
        account: &str,
        region: &str,
        id: &str,
    ) -> Option<svc_elbv2::InstanceTarget> {
        let i = self
            .instances
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()?;
        i.lookup(account, region, id)
    }

    fn wired(&self) -> bool {
        self.instances
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
    }

    /// The EC2 facts the current state's snapshot depends on (what to ask is read under the
    /// state lock; EC2 is asked after it is released).
    fn facts(&self) -> Facts {
        type Ask = (String, String, String, Vec<String>, Vec<String>);
        let asks: Vec<Ask> = {
            let st = self.state.read();
            st.lbs
                .values()
                .map(|lb| {
                    (
                        lb.key(),
                        lb.account.clone(),
                        lb.region.clone(),
                        lb.security_groups.clone(),
                        lb.instances.iter().map(|i| i.id.clone()).collect(),
                    )
                })
                .collect()
        };
        let mut f = Facts::default();
        for (key, account, region, groups, ids) in asks {
            let ingress: Vec<_> = groups
                .iter()
                .filter_map(|g| self.network.security_group_ingress(&account, &region, g))
                .flatten()
                .filter_map(|r| svc_elbv2::allow(&r))
                .collect();
            f.ingress
                .insert(key, (!groups.is_empty()).then_some(ingress));
            for id in ids {
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
        }
        f
    }

    /// Builds the data plane's configuration of every Classic balancer and publishes it.
    pub(crate) fn publish(&self) {
        let now = self.clock.now();
        let facts = self.facts();
        let snap = snapshot::build(&self.state.read(), now, &facts, self.certs.as_ref());
        *self.facts.lock().unwrap_or_else(|e| e.into_inner()) = facts;
        self.plane.publish_part(PART, snap);
    }

    /// Plans and applies a change (see `nimbus_store::Durable::mutate`), then republishes
    /// whatever happened.
    pub(crate) async fn mutate<R>(
        &self,
        plan: impl FnOnce(&State) -> Result<(Change, R), AwsError>,
    ) -> Result<R, AwsError> {
        let r = self
            .state
            .mutate(plan)
            .await
            .map_err(|e| e.or_store(crate::errors::store_failure));
        self.publish();
        r
    }

    /// Republishes when EC2's facts changed since the last snapshot, and deregisters
    /// instances that were terminated or are gone (AWS removes them from the balancer).
    pub async fn refresh(&self) {
        let facts = self.facts();
        if self.wired() {
            let gone = |id: &str| {
                facts.instances.get(id).is_some_and(|i| {
                    i.as_ref()
                        .is_none_or(|i| i.state == svc_elbv2::InstanceState::Terminated)
                })
            };
            let now = self.clock.now().0;
            let any = {
                let st = self.state.read();
                st.lbs.values().any(|lb| {
                    lb.instances
                        .iter()
                        .any(|i| gone(&i.id) || i.draining_until.is_some_and(|d| d <= now))
                })
            };
            if any {
                let _ = self
                    .mutate(|st| {
                        let mut c = Change::default();
                        for lb in st.lbs.values() {
                            let mut rec = lb.clone();
                            rec.instances.retain(|i| {
                                !gone(&i.id) && i.draining_until.is_none_or(|d| d > now)
                            });
                            if rec.instances != lb.instances {
                                c.put.push(rec);
                            }
                        }
                        Ok((c, ()))
                    })
                    .await;
                return;
            }
        }
        let stale = *self.facts.lock().unwrap_or_else(|e| e.into_inner()) != facts;
        if stale {
            self.publish();
        }
    }
}
