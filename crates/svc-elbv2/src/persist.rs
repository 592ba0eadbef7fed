//! How ELBv2 records sit in the durable store: four typed tables (schema version 1) —
//! `elbv2.load_balancers`, `elbv2.target_groups` (targets inside), `elbv2.listeners`,
//! `elbv2.rules` — each keyed by the resource's ARN (unique across accounts and regions),
//! a loader that reads them all at startup, and the [`Change`] a mutation produces, turned
//! into one [`Batch`] so a mutation is durable as a whole or not at all.

use crate::model::{LbRec, ListenerRec, RuleRec, TgRec};
use nimbus_store::{Batch, Store, StoreError, Table};

pub const LBS: Table<LbRec> = Table::new("elbv2.load_balancers", 1);
pub const TGS: Table<TgRec> = Table::new("elbv2.target_groups", 1);
pub const LISTENERS: Table<ListenerRec> = Table::new("elbv2.listeners", 1);
pub const RULES: Table<RuleRec> = Table::new("elbv2.rules", 1);

/// One write of a mutation.
#[derive(Clone, Debug)]
pub enum Op {
    PutLb(LbRec),
    DeleteLb(String),
    PutTg(TgRec),
    DeleteTg(String),
    PutListener(ListenerRec),
    DeleteListener(String),
    PutRule(RuleRec),
    DeleteRule(String),
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

    pub fn batch(&self) -> Batch {
        let mut b = Batch::new();
        for op in &self.ops {
            match op {
                Op::PutLb(r) => LBS.put(&mut b, r.arn.clone(), r),
                Op::DeleteLb(a) => LBS.delete(&mut b, a.clone()),
                Op::PutTg(r) => TGS.put(&mut b, r.arn.clone(), r),
                Op::DeleteTg(a) => TGS.delete(&mut b, a.clone()),
                Op::PutListener(r) => LISTENERS.put(&mut b, r.arn.clone(), r),
                Op::DeleteListener(a) => LISTENERS.delete(&mut b, a.clone()),
                Op::PutRule(r) => RULES.put(&mut b, r.arn.clone(), r),
                Op::DeleteRule(a) => RULES.delete(&mut b, a.clone()),
            }
        }
        b
    }
}

/// Every stored record, as one change that recreates them.
pub fn load(store: &Store) -> Result<Change, StoreError> {
    let mut c = Change::default();
    for (_, r) in LBS.scan(store, b"")? {
        c.push(Op::PutLb(r));
    }
    for (_, r) in TGS.scan(store, b"")? {
        c.push(Op::PutTg(r));
    }
    for (_, r) in LISTENERS.scan(store, b"")? {
        c.push(Op::PutListener(r));
    }
    for (_, r) in RULES.scan(store, b"")? {
        c.push(Op::PutRule(r));
    }
    Ok(c)
}
