//! How EC2 records sit in the durable store: typed tables (`ec2.vpcs`,
//! `ec2.security_groups`, and `ec2.network` holding every networking record as a tagged
//! [`NetRec`]; schema version 1) keyed `{account}/{region}/{id}`, a loader that
//! reads them all at startup, and the [`Change`] a mutation produces, turned into one
//! [`Batch`] so a mutation is durable as a whole or not at all. Rules live inside their
//! group's record, so a rule change rewrites one group record.

use crate::model::{GroupRec, VpcRec};
use crate::network::NetRec;
use crate::state::ScopeKey;
use nimbus_store::{Batch, Store, StoreError, Table};

pub const VPCS: Table<VpcRec> = Table::new("ec2.vpcs", 1);
pub const GROUPS: Table<GroupRec> = Table::new("ec2.security_groups", 1);
pub const NET: Table<NetRec> = Table::new("ec2.network", 1);

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
    /// Deleted VPCs as (account, region, VPC id).
    pub delete_vpcs: Vec<(String, String, String)>,
    /// Networking records written, with their scope.
    pub put_net: Vec<(ScopeKey, NetRec)>,
    /// Networking records deleted as (scope, id).
    pub delete_net: Vec<(ScopeKey, String)>,
}

impl Change {
    pub fn put_group(g: GroupRec) -> Self {
        Change {
            put_groups: vec![g],
            ..Default::default()
        }
    }

    /// A change writing one networking record.
    pub fn put_net(key: &ScopeKey, rec: NetRec) -> Self {
        Change {
            put_net: vec![(key.clone(), rec)],
            ..Default::default()
        }
    }

    pub fn is_empty(&self) -> bool {
        self.put_vpcs.is_empty()
            && self.put_groups.is_empty()
            && self.delete_groups.is_empty()
            && self.delete_vpcs.is_empty()
            && self.put_net.is_empty()
            && self.delete_net.is_empty()
    }

    /// Appends `other`'s writes after this change's.
    pub fn extend(&mut self, other: Change) {
        self.put_vpcs.extend(other.put_vpcs);
        self.put_groups.extend(other.put_groups);
        self.delete_groups.extend(other.delete_groups);
        self.delete_vpcs.extend(other.delete_vpcs);
        self.put_net.extend(other.put_net);
        self.delete_net.extend(other.delete_net);
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
        for (account, region, id) in &self.delete_vpcs {
            VPCS.delete(&mut b, key(account, region, id));
        }
        for ((account, region), rec) in &self.put_net {
            NET.put(&mut b, key(account, region, rec.id()), rec);
        }
        for ((account, region), id) in &self.delete_net {
            NET.delete(&mut b, key(account, region, id));
        }
        b
    }
}

/// Everything stored.
#[derive(Debug, Default)]
pub struct Loaded {
    pub vpcs: Vec<VpcRec>,
    pub groups: Vec<GroupRec>,
    pub net: Vec<(ScopeKey, NetRec)>,
}

impl Loaded {
    /// The whole store as one change that recreates it in memory.
    pub fn into_change(self) -> Change {
        Change {
            put_vpcs: self.vpcs,
            put_groups: self.groups,
            put_net: self.net,
            ..Default::default()
        }
    }
}

/// Every stored VPC, group and networking record.
pub fn load(store: &Store) -> Result<Loaded, StoreError> {
    let vpcs = VPCS.scan(store, b"")?.into_iter().map(|(_, v)| v).collect();
    let groups = GROUPS
        .scan(store, b"")?
        .into_iter()
        .map(|(_, g)| g)
        .collect();
    let mut net = Vec::new();
    for (k, rec) in NET.scan(store, b"")? {
        let k = String::from_utf8_lossy(&k).into_owned();
        let mut parts = k.splitn(3, '/');
        match (parts.next(), parts.next()) {
            (Some(account), Some(region)) => {
                net.push(((account.to_string(), region.to_string()), rec))
            }
            _ => {
                return Err(StoreError::Corrupt(format!(
                    "ec2.network key {k:?} is not account/region/id"
                )))
            }
        }
    }
    Ok(Loaded { vpcs, groups, net })
}
