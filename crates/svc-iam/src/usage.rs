//! When credentials were last used: each IAM access key's last request (time, region,
//! service: `GetAccessKeyLastUsed`, the credential report) and each role's last use by a
//! session (`RoleLastUsed` in `GetRole`). Recorded on the request path by the gateway's
//! authorizer through [`crate::Directory::note_key_used`] / [`crate::Directory::note_role_used`]
//! into memory only — one uncontended lock, no store write — and written to the store in
//! batches: at most every [`FLUSH_EVERY`] of real time, by the next request that finds
//! unsaved uses, as one fire-and-forget batch of the entries that changed. A crash can
//! lose at most that window of "last used" facts, never any other state. Table
//! `iam.usage` (schema 1): `key/{key id}` and `role/{role id}` (role ids are never reused,
//! so a role re-created under the same name starts unused, as on AWS).

use nimbus_store::{Batch, Store, StoreError, Table};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

/// How often, at most, recorded uses are written to the store.
pub const FLUSH_EVERY: Duration = Duration::from_secs(5);

/// One credential's last use.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UseRec {
    /// Milliseconds since the epoch, Nimbus time, whole seconds.
    pub at: i64,
    pub region: String,
    /// The service namespace (`s3`, `ec2`, `iam`, `sts`); empty for roles, where AWS
    /// reports only the time and region.
    #[serde(default)]
    pub service: String,
}

pub const USAGE: Table<UseRec> = Table::new("iam.usage", 1);

/// The recorded uses, in memory.
#[derive(Debug)]
pub struct Usage {
    keys: HashMap<String, UseRec>,
    roles: HashMap<String, UseRec>,
    /// Store keys whose record changed since the last flush.
    dirty: HashSet<String>,
    /// Keys that authenticated but are not IAM's (the command line's root keys).
    foreign: HashSet<String>,
    last_flush: Instant,
}

impl Default for Usage {
    fn default() -> Self {
        Usage {
            keys: HashMap::new(),
            roles: HashMap::new(),
            dirty: HashSet::new(),
            foreign: HashSet::new(),
            last_flush: Instant::now(),
        }
    }
}

impl Usage {
    /// Everything stored.
    pub fn load(store: &Store) -> Result<Usage, StoreError> {
        let mut u = Usage::default();
        for (k, rec) in USAGE.scan(store, b"")? {
            let k = String::from_utf8_lossy(&k).into_owned();
            if let Some(id) = k.strip_prefix("key/") {
                u.keys.insert(id.to_string(), rec);
            } else if let Some(id) = k.strip_prefix("role/") {
                u.roles.insert(id.to_string(), rec);
            }
        }
        Ok(u)
    }

    pub fn key(&self, id: &str) -> Option<&UseRec> {
        self.keys.get(id)
    }

    /// Every key's last use (for a report).
    pub fn key_uses(&self) -> HashMap<String, UseRec> {
        self.keys.clone()
    }

    pub fn role(&self, id: &str) -> Option<&UseRec> {
        self.roles.get(id)
    }

    pub fn is_foreign(&self, id: &str) -> bool {
        self.foreign.contains(id)
    }

    pub fn mark_foreign(&mut self, id: &str) {
        self.foreign.insert(id.to_string());
    }

    /// Records a use of access key `id`; writes nothing unless it changed what is known.
    pub fn note_key(&mut self, id: &str, at: i64, region: &str, service: &str) {
        if let Some(r) = self.keys.get_mut(id) {
            if r.at >= at && r.region == region && r.service == service {
                return;
            }
            r.at = r.at.max(at);
            r.region.clear();
            r.region.push_str(region);
            r.service.clear();
            r.service.push_str(service);
        } else {
            self.keys.insert(
                id.to_string(),
                UseRec {
                    at,
                    region: region.to_string(),
                    service: service.to_string(),
                },
            );
        }
        self.dirty.insert(format!("key/{id}"));
    }

    /// Records a use of role `role_id` by one of its sessions.
    pub fn note_role(&mut self, role_id: &str, at: i64, region: &str) {
        match self.roles.get_mut(role_id) {
            Some(r) if r.at >= at && r.region == region => return,
            Some(r) => {
                r.at = r.at.max(at);
                r.region.clear();
                r.region.push_str(region);
            }
            None => {
                self.roles.insert(
                    role_id.to_string(),
                    UseRec {
                        at,
                        region: region.to_string(),
                        service: String::new(),
                    },
                );
            }
        }
        self.dirty.insert(format!("role/{role_id}"));
    }

    /// The batch of changed records, if it is time to write one (or `now_anyway`); the
    /// caller submits it.
    pub fn take_batch(&mut self, now_anyway: bool) -> Option<Batch> {
        if self.dirty.is_empty() || (!now_anyway && self.last_flush.elapsed() < FLUSH_EVERY) {
            return None;
        }
        self.last_flush = Instant::now();
        let mut b = Batch::new();
        for k in self.dirty.drain() {
            let rec = match k.split_once('/') {
                Some(("key", id)) => self.keys.get(id),
                Some(("role", id)) => self.roles.get(id),
                _ => None,
            };
            if let Some(rec) = rec {
                USAGE.put(&mut b, k.clone(), rec);
            }
        }
        Some(b)
    }

    /// Forgets everything (a reset; the store is wiped alongside).
    pub fn clear(&mut self) {
        *self = Usage::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uses_are_written_in_batches_and_survive_a_reload() {
        let store = Store::in_memory();
        let mut u = Usage::default();
        u.note_key("AKIA1", 1000, "us-east-1", "s3");
        u.note_key("AKIA1", 2000, "eu-west-1", "ec2");
        u.note_role("AROA1", 3000, "us-west-2");
        // Within the window nothing is written; forced, one batch holds both.
        assert!(u.take_batch(false).is_none());
        let b = u.take_batch(true).expect("a batch");
        futures_lite_block(store.submit(b));
        assert!(u.take_batch(true).is_none(), "nothing changed since");
        // The same use again changes nothing.
        u.note_key("AKIA1", 2000, "eu-west-1", "ec2");
        assert!(u.take_batch(true).is_none());
        let again = Usage::load(&store).expect("load");
        assert_eq!(
            again
                .key("AKIA1")
                .map(|r| (r.at, r.region.as_str(), r.service.as_str())),
            Some((2000, "eu-west-1", "ec2"))
        );
        assert_eq!(again.role("AROA1").map(|r| r.at), Some(3000));
        assert!(again.key("AKIA2").is_none());
    }

    fn futures_lite_block(f: impl std::future::Future<Output = Result<(), StoreError>>) {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime")
            .block_on(f)
            .expect("durable");
    }
}
