//! EC2 Instance Connect's keys in the instance metadata: a key pushed for an OS user
//! (`SendSSHPublicKey`) is served by IMDS at `managed-ssh-keys/active-keys/USER` until its
//! time is up (Nimbus time), then never again. Held in memory only: a key lives 60 seconds,
//! and a Nimbus restart forgets the keys pushed before it (the caller pushes again, as after
//! the minute on AWS).

use crate::Ec2;
use nimbus_core::Timestamp;
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

/// One pushed key.
#[derive(Clone, Debug)]
struct Pushed {
    user: String,
    key: String,
    until: Timestamp,
}

/// The keys pushed to each instance (by instance id), expired ones dropped as they are met.
#[derive(Default)]
pub struct ManagedKeys(Mutex<HashMap<String, Vec<Pushed>>>);

impl Ec2 {
    /// Publishes `key` for `user` on instance `id` until `until`.
    pub fn push_managed_ssh_key(&self, id: &str, user: &str, key: &str, until: Timestamp) {
        let now = self.now();
        let mut all = self
            .instances
            .managed_keys
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        all.retain(|_, keys| {
            keys.retain(|k| k.until.0 > now.0);
            !keys.is_empty()
        });
        all.entry(id.to_string()).or_default().push(Pushed {
            user: user.to_string(),
            key: key.to_string(),
            until,
        });
    }

    /// The keys of instance `id` still valid now, per OS user (in the order pushed).
    pub fn managed_ssh_keys(&self, id: &str) -> BTreeMap<String, Vec<String>> {
        let now = self.now();
        let all = self
            .instances
            .managed_keys
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for k in all.get(id).into_iter().flatten() {
            if k.until.0 > now.0 && !out.get(&k.user).is_some_and(|v| v.contains(&k.key)) {
                out.entry(k.user.clone()).or_default().push(k.key.clone());
            }
        }
        out
    }
}
