//! EC2's change notification: a generation counter (a `tokio::sync::watch`) bumped by every
//! applied mutation of the networking state and of the definitions holder (instances, their
//! states and groups, security groups and rules, interfaces, prefix lists, …) and by a
//! reset. Followers elsewhere in Nimbus ([`Ec2::subscribe_changes`]: the instance sync pass,
//! the load balancers' refresh, the role-session cleanup) wait on it instead of polling and
//! re-read what they follow; many changes while a follower is busy wake it once.

use crate::Ec2;
use std::collections::HashSet;

impl Ec2 {
    /// A receiver whose value changes whenever anything EC2 keeps changes (see the module
    /// doc). Cheap: one receiver per follower.
    pub fn subscribe_changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.defs.changes.subscribe()
    }

    /// Tells followers that something changed (every applied mutation calls it).
    pub(crate) fn notify_changed(&self) {
        self.defs.notify_changed();
    }

    /// (account, instance id) of every instance that is not terminated, in every region.
    pub fn live_instance_keys(&self) -> HashSet<(String, String)> {
        self.defs.read(|st| {
            st.instances
                .values()
                .flat_map(|m| m.values())
                .filter(|i| !i.is_terminated())
                .map(|i| (i.account.clone(), i.instance_id.clone()))
                .collect()
        })
    }
}
