//! When credentials were last used: each IAM access key's last request (time, region,
//! service: `GetAccessKeyLastUsed`, the credential report) and each role's last use by a
//! session (`RoleLastUsed` in `GetRole`). Recorded on the request path by the gateway's
//! authorizer through [`crate::Directory::note_key_used`] / [`crate::Directory::note_role_used`]
//! into memory only — one uncontended lock, no store write — and written to the store in
//! batches: at most every [`FLUSH_EVERY`] of real time, by the next request that finds
//! unsaved uses, as one fire-and-forget batch of the entries that changed, and on a clean
//! stop (the binary's admin hooks flush them). A crash can lose at most that window of
//! "last used" facts, never any other state. Table
//! `iam.usage` (schema 1): `key/{key id}` and `role/{role id}` (role ids are never reused,
//! so a role re-created under the same name starts unused, as on AWS), and for Access
//! Advisor `act/{entity id}/{action}`: the last attempt of each IAM action by each IAM user
//! (`AIDA...`, also through its `GetSessionToken` sessions) or role (`AROA...`, through any
//! of its sessions), allowed or not ("all attempts to access an AWS API, not just the
//! successful ones"). Services are the actions' namespaces, so service-level answers are
//! aggregated from these. On the request path an existing record is updated in place (no
//! allocation) and flagged dirty; a flush writes the flagged ones.

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

/// One action's last attempt by one entity, in memory (stored as a [`UseRec`] keyed
/// `act/{entity id}/{action}`, its `service` left empty).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionUse {
    /// Milliseconds since the epoch, Nimbus time, whole seconds.
    pub at: i64,
    pub region: String,
    dirty: bool,
}

#[cfg(test)]
impl ActionUse {
    /// An attempt at `at` from `region`, already written.
    pub fn new(at: i64, region: &str) -> Self {
        ActionUse {
            at,
            region: region.to_string(),
            dirty: false,
        }
    }
}

/// The recorded uses, in memory.
#[derive(Debug)]
pub struct Usage {
    keys: HashMap<String, UseRec>,
    roles: HashMap<String, UseRec>,
    /// entity id (`AIDA...`/`AROA...`) → action (`s3:GetObject`) → last attempt.
    actions: HashMap<String, HashMap<String, ActionUse>>,
    /// Whether some [`ActionUse`] is flagged dirty.
    actions_dirty: bool,
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
            actions: HashMap::new(),
            actions_dirty: false,
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
            } else if let Some((id, action)) =
                k.strip_prefix("act/").and_then(|r| r.split_once('/'))
            {
                u.actions.entry(id.to_string()).or_default().insert(
                    action.to_string(),
                    ActionUse {
                        at: rec.at,
                        region: rec.region,
                        dirty: false,
                    },
                );
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

    /// Records an attempt of `action` by entity `entity_id` (an IAM user's or a role's
    /// unique id). No allocation when the entity already used the action from `region`.
    pub fn note_action(&mut self, entity_id: &str, action: &str, at: i64, region: &str) {
        if !self.actions.contains_key(entity_id) {
            self.actions.insert(entity_id.to_string(), HashMap::new());
        }
        let Some(acts) = self.actions.get_mut(entity_id) else {
            return;
        };
        match acts.get_mut(action) {
            Some(r) if r.at >= at && r.region == region => return,
            Some(r) => {
                r.at = r.at.max(at);
                if r.region != region {
                    r.region.clear();
                    r.region.push_str(region);
                }
                r.dirty = true;
            }
            None => {
                acts.insert(
                    action.to_string(),
                    ActionUse {
                        at,
                        region: region.to_string(),
                        dirty: true,
                    },
                );
            }
        }
        self.actions_dirty = true;
    }

    /// Every action entity `entity_id` attempted, and when (Access Advisor).
    pub fn actions_of(&self, entity_id: &str) -> Vec<(String, ActionUse)> {
        self.actions
            .get(entity_id)
            .map(|a| a.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default()
    }

    /// The batch of changed records, if it is time to write one (or `now_anyway`); the
    /// caller submits it.
    pub fn take_batch(&mut self, now_anyway: bool) -> Option<Batch> {
        if (self.dirty.is_empty() && !self.actions_dirty)
            || (!now_anyway && self.last_flush.elapsed() < FLUSH_EVERY)
        {
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
        if std::mem::take(&mut self.actions_dirty) {
            for (id, acts) in &mut self.actions {
                for (action, r) in acts.iter_mut().filter(|(_, r)| r.dirty) {
                    r.dirty = false;
                    let rec = UseRec {
                        at: r.at,
                        region: r.region.clone(),
                        service: String::new(),
                    };
                    USAGE.put(&mut b, format!("act/{id}/{action}"), &rec);
                }
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

    #[test]
    fn action_attempts_are_kept_per_entity_and_written_when_changed() {
        let store = Store::in_memory();
        let mut u = Usage::default();
        u.note_action("AIDA1", "s3:GetObject", 1000, "us-east-1");
        u.note_action("AIDA1", "s3:GetObject", 3000, "eu-west-1");
        u.note_action("AIDA1", "ec2:RunInstances", 2000, "us-east-1");
        u.note_action("AROA1", "iam:ListRoles", 4000, "us-east-1");
        futures_lite_block(store.submit(u.take_batch(true).expect("a batch")));
        // Nothing new: nothing to write; an older attempt changes nothing either.
        u.note_action("AIDA1", "s3:GetObject", 2500, "eu-west-1");
        assert!(u.take_batch(true).is_none());
        let again = Usage::load(&store).expect("load");
        let mut acts = again.actions_of("AIDA1");
        acts.sort_by(|a, b| a.0.cmp(&b.0));
        let got: Vec<_> = acts
            .iter()
            .map(|(a, r)| (a.as_str(), r.at, r.region.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("ec2:RunInstances", 2000, "us-east-1"),
                ("s3:GetObject", 3000, "eu-west-1")
            ]
        );
        assert_eq!(again.actions_of("AROA1").len(), 1);
        assert!(again.actions_of("AIDA2").is_empty());
    }

    fn futures_lite_block(f: impl std::future::Future<Output = Result<(), StoreError>>) {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime")
            .block_on(f)
            .expect("durable");
    }
}
