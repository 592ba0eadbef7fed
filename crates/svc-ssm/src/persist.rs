//! How Parameter Store records sit in the durable store: one typed table,
//! `ssm.parameters` (schema version 1), keyed `{account}/{region}/{name}` with each
//! parameter stored whole (versions and tags inside), and the [`Change`] a mutation
//! produces, turned into one [`Batch`] so it is durable as a whole or not at all.

use crate::model::ParamRec;
use nimbus_store::{Batch, Store, StoreError, Table};

pub const PARAMETERS: Table<ParamRec> = Table::new("ssm.parameters", 1);

fn key(account: &str, region: &str, name: &str) -> Vec<u8> {
    format!("{account}/{region}/{name}").into_bytes()
}

/// Everything one mutation writes.
#[derive(Debug, Default)]
pub struct Change {
    pub put: Vec<ParamRec>,
    /// Deleted parameters as (account, region, name).
    pub delete: Vec<(String, String, String)>,
}

impl Change {
    pub fn put(p: ParamRec) -> Self {
        Change { put: vec![p], delete: Vec::new() }
    }

    pub fn batch(&self) -> Batch {
        let mut b = Batch::new();
        for p in &self.put {
            PARAMETERS.put(&mut b, key(&p.account, &p.region, &p.name), p);
        }
        for (account, region, name) in &self.delete {
            PARAMETERS.delete(&mut b, key(account, region, name));
        }
        b
    }
}

/// Every stored parameter.
pub fn load(store: &Store) -> Result<Vec<ParamRec>, StoreError> {
    Ok(PARAMETERS.scan(store, b"")?.into_iter().map(|(_, p)| p).collect())
}
