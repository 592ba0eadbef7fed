//! What the binary wires into Auto Scaling for Classic `LoadBalancerNames`: whether a
//! balancer exists, registering and deregistering a group's instances (as the API does,
//! with connection draining), and an instance's health as the balancer's checks see it.

use crate::classic::Classic;

/// An instance's health on a Classic balancer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InstanceHealth {
    InService,
    /// Out of service because it failed the balancer's health checks.
    OutOfService,
    /// Anything else: registration in progress, not yet passed the healthy threshold, no
    /// such balancer or registration.
    Unknown,
}

impl Classic {
    /// Whether balancer `name` exists in (account, region).
    pub fn exists(&self, account: &str, region: &str, name: &str) -> bool {
        self.state
            .read()
            .lbs
            .contains_key(&crate::state::key(account, region, name))
    }

    /// Registers `instance_id` with balancer `name`.
    pub async fn register_instance(
        &self,
        account: &str,
        region: &str,
        name: &str,
        instance_id: &str,
    ) -> Result<(), String> {
        crate::handlers::register(self, (account, region), name, vec![instance_id.to_string()])
            .await
            .map(|_| ())
            .map_err(|e| e.message)
    }

    /// The connection draining timeout of balancer `name` in seconds (0 when off).
    pub fn draining_timeout(&self, account: &str, region: &str, name: &str) -> u32 {
        self.state
            .read()
            .lbs
            .get(&crate::state::key(account, region, name))
            .filter(|lb| lb.attrs.draining)
            .map_or(0, |lb| lb.attrs.draining_timeout.max(0) as u32)
    }

    /// Deregisters `instance_id` from balancer `name`; answers the draining timeout in
    /// seconds (0 when connection draining is off or the instance was not registered).
    pub async fn deregister_instance(
        &self,
        account: &str,
        region: &str,
        name: &str,
        instance_id: &str,
    ) -> u32 {
        let now = self.clock.now();
        crate::handlers::deregister(
            self,
            (account, region, now),
            name,
            vec![instance_id.to_string()],
        )
        .await
        .map_or(0, |(_, d)| d.max(0) as u32)
    }

    /// The balancer's view of `instance_id`.
    pub fn instance_health(
        &self,
        account: &str,
        region: &str,
        name: &str,
        instance_id: &str,
    ) -> InstanceHealth {
        let lb = self
            .state
            .read()
            .lbs
            .get(&crate::state::key(account, region, name))
            .cloned();
        let Some(lb) = lb else {
            return InstanceHealth::Unknown;
        };
        if !lb.instances.iter().any(|i| i.id == instance_id) {
            return InstanceHealth::Unknown;
        }
        match crate::handlers::health_of(self, &lb, instance_id, self.clock.now()) {
            ("InService", _, _) => InstanceHealth::InService,
            (_, _, d) if d.starts_with("Instance has failed") => InstanceHealth::OutOfService,
            _ => InstanceHealth::Unknown,
        }
    }
}
