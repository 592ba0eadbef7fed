//! How Auto Scaling records sit in the durable store: five typed tables (schema version 1)
//! — `autoscaling.launch_configs` and `autoscaling.groups` keyed `{account}/{region}/{name}`
//! (a group's instances live in its record), `autoscaling.policies` and
//! `autoscaling.scheduled` keyed `{account}/{region}/{group}/{name}`, and
//! `autoscaling.activities` keyed `{account}/{region}/{id}` — a loader that reads them all
//! at startup, and the [`Change`] one mutation produces, written as one [`Batch`]. This
//! module decides nothing about Auto Scaling's rules.

use crate::model::{ActivityRec, GroupRec, LaunchConfigRec, PolicyRec, ScheduledRec};
use nimbus_store::{Batch, Store, StoreError, Table};

pub const LAUNCH_CONFIGS: Table<LaunchConfigRec> = Table::new("autoscaling.launch_configs", 1);
pub const GROUPS: Table<GroupRec> = Table::new("autoscaling.groups", 1);
pub const POLICIES: Table<PolicyRec> = Table::new("autoscaling.policies", 1);
pub const SCHEDULED: Table<ScheduledRec> = Table::new("autoscaling.scheduled", 1);
pub const ACTIVITIES: Table<ActivityRec> = Table::new("autoscaling.activities", 1);

/// `{account}/{region}/{name}`.
pub fn key(account: &str, region: &str, name: &str) -> String {
    format!("{account}/{region}/{name}")
}

/// `{account}/{region}/{group}/{name}`.
pub fn key2(account: &str, region: &str, group: &str, name: &str) -> String {
    format!("{account}/{region}/{group}/{name}")
}

/// One write of a mutation. Deletes carry (account, region, name) or
/// (account, region, group, name).
#[derive(Clone, Debug)]
#[allow(clippy::large_enum_variant)] // short-lived, one per written record
pub enum Op {
    PutLaunchConfig(LaunchConfigRec),
    DeleteLaunchConfig(String, String, String),
    PutGroup(GroupRec),
    DeleteGroup(String, String, String),
    PutPolicy(PolicyRec),
    DeletePolicy(String, String, String, String),
    PutScheduled(ScheduledRec),
    DeleteScheduled(String, String, String, String),
    PutActivity(ActivityRec),
    DeleteActivity(String, String, String),
}

/// Everything one mutation writes, in order.
#[derive(Clone, Debug, Default)]
pub struct Change {
    pub ops: Vec<Op>,
}

impl Change {
    pub fn one(op: Op) -> Self {
        Change { ops: vec![op] }
    }

    pub fn push(&mut self, op: Op) -> &mut Self {
        self.ops.push(op);
        self
    }

    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    pub fn batch(&self) -> Batch {
        let mut b = Batch::new();
        for op in &self.ops {
            match op {
                Op::PutLaunchConfig(l) => {
                    LAUNCH_CONFIGS.put(&mut b, key(&l.account, &l.region, &l.name), l)
                }
                Op::DeleteLaunchConfig(a, r, n) => LAUNCH_CONFIGS.delete(&mut b, key(a, r, n)),
                Op::PutGroup(g) => GROUPS.put(&mut b, key(&g.account, &g.region, &g.name), g),
                Op::DeleteGroup(a, r, n) => GROUPS.delete(&mut b, key(a, r, n)),
                Op::PutPolicy(p) => {
                    POLICIES.put(&mut b, key2(&p.account, &p.region, &p.group, &p.name), p)
                }
                Op::DeletePolicy(a, r, g, n) => POLICIES.delete(&mut b, key2(a, r, g, n)),
                Op::PutScheduled(s) => {
                    SCHEDULED.put(&mut b, key2(&s.account, &s.region, &s.group, &s.name), s)
                }
                Op::DeleteScheduled(a, r, g, n) => SCHEDULED.delete(&mut b, key2(a, r, g, n)),
                Op::PutActivity(x) => ACTIVITIES.put(&mut b, key(&x.account, &x.region, &x.id), x),
                Op::DeleteActivity(a, r, id) => ACTIVITIES.delete(&mut b, key(a, r, id)),
            }
        }
        b
    }
}

/// Every stored record, as one change that recreates them.
pub fn load(store: &Store) -> Result<Change, StoreError> {
    let mut c = Change::default();
    for (_, v) in LAUNCH_CONFIGS.scan(store, b"")? {
        c.push(Op::PutLaunchConfig(v));
    }
    for (_, v) in GROUPS.scan(store, b"")? {
        c.push(Op::PutGroup(v));
    }
    for (_, v) in POLICIES.scan(store, b"")? {
        c.push(Op::PutPolicy(v));
    }
    for (_, v) in SCHEDULED.scan(store, b"")? {
        c.push(Op::PutScheduled(v));
    }
    for (_, v) in ACTIVITIES.scan(store, b"")? {
        c.push(Op::PutActivity(v));
    }
    Ok(c)
}
