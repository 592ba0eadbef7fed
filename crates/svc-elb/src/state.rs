//! The Classic Load Balancer records and how they sit in the store: one record per
//! balancer (listeners, health check, policies, registered instances, attributes and tags
//! inside), in the typed table `elb.load_balancers` (schema version 1) keyed by
//! `account/region/name`, loaded whole at startup; a [`Change`] puts or deletes records
//! (`nimbus_store::Persisted`, decision 0011). This module decides nothing.

use nimbus_store::{Batch, Persisted, Store, StoreError, Table};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const LBS: Table<LbRec> = Table::new("elb.load_balancers", 1);

/// One listener: the front protocol and port, the instance protocol and port, the
/// certificate of an HTTPS/SSL listener, and the policies set on it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ListenerRec {
    pub protocol: String,
    pub lb_port: i32,
    pub instance_protocol: String,
    pub instance_port: i32,
    pub certificate: Option<String>,
    pub policies: Vec<String>,
}

/// `ConfigureHealthCheck`'s settings (`Target` as written: `HTTP:80/index.html`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct HealthRec {
    pub target: String,
    pub interval: i32,
    pub timeout: i32,
    pub unhealthy: i32,
    pub healthy: i32,
}

impl Default for HealthRec {
    /// AWS's defaults for a new Classic Load Balancer.
    fn default() -> Self {
        HealthRec {
            target: "TCP:80".into(),
            interval: 30,
            timeout: 5,
            unhealthy: 2,
            healthy: 10,
        }
    }
}

/// A stickiness policy: `LBCookieStickinessPolicyType` (with its expiration period, `None`
/// for the browser session) or `AppCookieStickinessPolicyType` (with the cookie it follows).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct PolicyRec {
    pub name: String,
    pub lb_cookie_expiration: Option<i64>,
    pub app_cookie: Option<String>,
}

/// A registered instance; `draining_until` is set while connection draining runs after
/// a deregistration (Nimbus ms).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct InstanceRec {
    pub id: String,
    pub draining_until: Option<i64>,
}

/// The load balancer attributes.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct AttrsRec {
    pub cross_zone: bool,
    pub draining: bool,
    pub draining_timeout: i32,
    pub idle_timeout: i32,
    pub access_log_enabled: bool,
    pub access_log_bucket: Option<String>,
    pub access_log_interval: Option<i32>,
    pub access_log_prefix: Option<String>,
}

impl Default for AttrsRec {
    /// What a balancer made through the API has: cross-zone off, connection draining off
    /// (300 s when turned on), idle timeout 60 s, no access log.
    fn default() -> Self {
        AttrsRec {
            cross_zone: false,
            draining: false,
            draining_timeout: 300,
            idle_timeout: 60,
            access_log_enabled: false,
            access_log_bucket: None,
            access_log_interval: None,
            access_log_prefix: None,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ZoneRec {
    pub zone: String,
    pub subnet_id: String,
    /// The node's loopback address (decision 0010).
    pub addr: String,
    /// The node's network interface in the subnet, and its private address there.
    pub eni_id: Option<String>,
    pub private_ip: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct LbRec {
    pub account: String,
    pub region: String,
    pub name: String,
    pub dns_name: String,
    pub scheme: String,
    pub vpc_id: String,
    pub zones: Vec<ZoneRec>,
    pub security_groups: Vec<String>,
    pub listeners: Vec<ListenerRec>,
    pub health: HealthRec,
    pub policies: Vec<PolicyRec>,
    pub instances: Vec<InstanceRec>,
    pub attrs: AttrsRec,
    pub tags: Vec<(String, String)>,
    /// Nimbus time of creation (ms).
    pub created: i64,
}

impl LbRec {
    pub fn key(&self) -> String {
        key(&self.account, &self.region, &self.name)
    }

    /// `arn:aws:elasticloadbalancing:REGION:ACCOUNT:loadbalancer/NAME`.
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:elasticloadbalancing:{}:{}:loadbalancer/{}",
            self.region, self.account, self.name
        )
    }
}

pub fn key(account: &str, region: &str, name: &str) -> String {
    format!("{account}/{region}/{name}")
}

/// Every Classic Load Balancer, by [`key`].
#[derive(Debug, Default)]
pub struct State {
    pub lbs: BTreeMap<String, LbRec>,
}

/// What one mutation writes.
#[derive(Debug, Default)]
pub struct Change {
    pub put: Vec<LbRec>,
    pub delete: Vec<String>,
}

impl Change {
    pub fn put(lb: LbRec) -> Self {
        Change {
            put: vec![lb],
            delete: Vec::new(),
        }
    }
}

impl Persisted for State {
    type Change = Change;

    fn load(store: &Store) -> Result<Self, StoreError> {
        let mut st = State::default();
        for (_, r) in LBS.scan(store, b"")? {
            st.lbs.insert(r.key(), r);
        }
        Ok(st)
    }

    fn write(change: &Change, batch: &mut Batch) {
        for r in &change.put {
            LBS.put(batch, r.key(), r);
        }
        for k in &change.delete {
            LBS.delete(batch, k.clone());
        }
    }

    fn apply(&mut self, change: Change) {
        for r in change.put {
            self.lbs.insert(r.key(), r);
        }
        for k in change.delete {
            self.lbs.remove(&k);
        }
    }
}
