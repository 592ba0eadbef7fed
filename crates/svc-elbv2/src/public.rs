//! What ELBv2 offers the rest of Nimbus without a request, for the binary to wire into Auto
//! Scaling (its `TargetGroups` dependency): whether a target group exists, registering and
//! deregistering an instance by id (validated exactly as `RegisterTargets` validates it,
//! on the group's port), the group's deregistration delay, and an instance's health in the
//! group as `DescribeTargetHealth` reports it (state and reason code). Scoped by (account,
//! region) through the ARN prefix, as the API is.

use crate::generated::TargetDescription;
use crate::state::ElbInner;
use crate::Elb;
use nimbus_core::AwsError;

fn prefix(account: &str, region: &str) -> String {
    format!("arn:aws:elasticloadbalancing:{region}:{account}:")
}

fn instance(id: &str) -> Vec<TargetDescription> {
    vec![TargetDescription {
        id: id.to_string(),
        port: None,
        availability_zone: None,
        quic_server_id: None,
    }]
}

impl ElbInner {
    /// Whether target group `arn` exists in (account, region).
    pub fn target_group_exists(&self, account: &str, region: &str, arn: &str) -> bool {
        let p = prefix(account, region);
        self.read(|st| st.tgs.get(arn).is_some_and(|t| t.arn.starts_with(&p)))
    }

    /// The deregistration delay (seconds) of target group `arn`, 0 when it does not exist.
    pub fn deregistration_delay(&self, account: &str, region: &str, arn: &str) -> u32 {
        let p = prefix(account, region);
        self.read(|st| {
            st.tgs
                .get(arn)
                .filter(|t| t.arn.starts_with(&p))
                .map_or(0, |t| {
                    crate::handlers::deregistration_delay(t).max(0) as u32
                })
        })
    }
}

impl Elb {
    /// Checks, without changing anything, that instance `id` could be registered with
    /// target group `arn` now (the error is `RegisterTargets`' own).
    pub fn check_instance_target(
        &self,
        account: &str,
        region: &str,
        arn: &str,
        id: &str,
    ) -> Result<(), AwsError> {
        let now = self.clock.now().0;
        let p = prefix(account, region);
        let targets = instance(id);
        let found = crate::handlers::lookup(self, account, region, &targets);
        self.read(|st| crate::handlers::plan_register(&found, st, &p, now, arn, &targets))
            .map(|_| ())
    }

    /// Registers instance `id` with target group `arn` on the group's port.
    pub async fn register_instance(
        &self,
        account: &str,
        region: &str,
        arn: &str,
        id: &str,
    ) -> Result<(), AwsError> {
        let now = self.clock.now().0;
        crate::handlers::register_targets(
            self,
            account,
            region,
            &prefix(account, region),
            now,
            arn,
            &instance(id),
        )
        .await
    }

    /// Deregisters instance `id` (on the group's port) from target group `arn`: it drains
    /// for the group's deregistration delay.
    pub async fn deregister_instance(
        &self,
        account: &str,
        region: &str,
        arn: &str,
        id: &str,
    ) -> Result<(), AwsError> {
        let now = self.clock.now().0;
        crate::handlers::deregister_targets(self, &prefix(account, region), now, arn, &instance(id))
            .await
    }

    /// Instance `id`'s health in target group `arn` as `DescribeTargetHealth` words it:
    /// (state, reason code). `None` when the group does not exist.
    pub fn instance_health(
        &self,
        account: &str,
        region: &str,
        arn: &str,
        id: &str,
    ) -> Option<(String, Option<String>)> {
        let now = self.clock.now();
        let out = crate::handlers::health_of(
            self,
            &prefix(account, region),
            now,
            arn,
            Some(instance(id)),
        )
        .ok()?;
        let h = out.into_iter().next()?.target_health?;
        Some((h.state.unwrap_or_default(), h.reason))
    }
}
