//! How EC2 records sit in the durable store: two typed tables (`ec2.vpcs`,
//! `ec2.security_groups`, schema version 1) keyed `{account}/{region}/{id}`, a loader that
//! reads them all at startup, and the [`Change`] a mutation produces, turned into one
//! [`Batch`] so a mutation is durable as a whole or not at all. Rules live inside their
//! group's record, so a rule change rewrites one group record.

use crate::model::{GroupRec, VpcRec};
use nimbus_store::{Batch, Store, StoreError, Table};

pub const VPCS: Table<VpcRec> = Table::new("ec2.vpcs", 1);
pub const GROUPS: Table<GroupRec> = Table::new("ec2.security_groups", 1);

fn key(account: &str, region: &str, id: &str) -> Vec<u8> {
    format!("{account}/{region}/{id}").into_bytes()
}

/// Everything one mutation writes.
#[derive(Debug, Default)]
pub struct Change {
    pub put_vpcs: Vec<VpcRec>,
    pub put_groups: Vec<GroupRec>,
    /// Deleted groups as (account, region, group id).
    pub delete_groups: Vec<(String, String, String)>,
}

impl Change {
    pub fn put_group(g: GroupRec) -> Self {
        Change {
            put_groups: vec![g],
            ..Default::default()
        }
    }

    pub fn is_empty(&self) -> bool {
        self.put_vpcs.is_empty() && self.put_groups.is_empty() && self.delete_groups.is_empty()
    }

    pub fn batch(&self) -> Batch {
        let mut b = Batch::new();
        for v in &self.put_vpcs {
            VPCS.put(&mut b, key(&v.account, &v.region, &v.vpc_id), v);
        }
        for g in &self.put_groups {
            GROUPS.put(&mut b, key(&g.account, &g.region, &g.group_id), g);
        }
        for (account, region, id) in &self.delete_groups {
            GROUPS.delete(&mut b, key(account, region, id));
        }
        b
    }
}

/// Every stored VPC and group.
pub fn load(store: &Store) -> Result<(Vec<VpcRec>, Vec<GroupRec>), StoreError> {
    let vpcs = VPCS.scan(store, b"")?.into_iter().map(|(_, v)| v).collect();
    let groups = GROUPS
        .scan(store, b"")?
        .into_iter()
        .map(|(_, g)| g)
        .collect();
    Ok((vpcs, groups))
}
