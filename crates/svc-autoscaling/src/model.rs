//! The records Auto Scaling keeps (and stores): launch configurations, groups with their
//! instances, tags, target groups, suspended processes and notification configurations,
//! scaling policies, scheduled actions and scaling activities. Every record carries its
//! account and region (Auto Scaling is regional). Plain data with serde; the rules live in
//! the handlers, the policy math in `scaling`, the reconciling in `reconciler`.

use serde::{Deserialize, Serialize};

/// How a group (or an instance) names its launch template: by id or by name, and the
/// version as given (`$Latest`, `$Default` or a number).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateRef {
    pub id: Option<String>,
    pub name: Option<String>,
    pub version: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LaunchConfigRec {
    pub account: String,
    pub region: String,
    pub name: String,
    pub uuid: String,
    pub created: i64,
    pub image_id: String,
    pub instance_type: String,
    pub key_name: Option<String>,
    pub security_groups: Vec<String>,
    pub user_data: Option<String>,
    pub iam_instance_profile: Option<String>,
    pub monitoring: bool,
    pub ebs_optimized: bool,
    pub associate_public_ip: Option<bool>,
    pub spot_price: Option<String>,
    pub placement_tenancy: Option<String>,
    pub kernel_id: Option<String>,
    pub ramdisk_id: Option<String>,
    /// Metadata options as given: (http_tokens, put_response_hop_limit, http_endpoint).
    pub metadata: Option<(Option<String>, Option<i32>, Option<String>)>,
}

impl LaunchConfigRec {
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:autoscaling:{}:{}:launchConfiguration:{}:launchConfigurationName/{}",
            self.region, self.account, self.uuid, self.name
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagRec {
    pub key: String,
    pub value: String,
    pub propagate: bool,
}

/// One instance of a group, as Auto Scaling tracks it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceRec {
    pub id: String,
    pub az: String,
    pub subnet: Option<String>,
    /// `Pending`, `InService`, `Terminating`, `Terminated` (and the `:Wait`/`:Proceed`
    /// forms once lifecycle hooks exist).
    pub lifecycle: String,
    /// `Healthy` or `Unhealthy`.
    pub health: String,
    pub protected: bool,
    pub launch_config: Option<String>,
    /// The template and the version number it was launched from.
    pub template: Option<TemplateRef>,
    pub instance_type: Option<String>,
    pub image_id: Option<String>,
    /// Nimbus time (ms) of the launch.
    pub launched: i64,
    /// When it became InService (the health-check grace period runs from the launch).
    pub in_service_since: Option<i64>,
    /// While Terminating: when it may be terminated (after the target groups' draining
    /// delay), in Nimbus ms.
    pub terminate_after: Option<i64>,
    /// Why it is being terminated (the activity's cause), once chosen.
    pub terminate_cause: Option<String>,
    /// The activity that tracks its launch or termination.
    pub activity: Option<String>,
    /// Why it was found unhealthy, worded for the termination's cause ("an ELB system
    /// health check failure").
    #[serde(default)]
    pub unhealthy_reason: Option<String>,
    /// While in `Pending:Wait` / `Terminating:Wait`: the lifecycle action's token, when
    /// the wait started and when it times out (heartbeats move it), and the result
    /// `CompleteLifecycleAction` gave.
    #[serde(default)]
    pub hook: Option<HookWait>,
}

/// A lifecycle action in progress on an instance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HookWait {
    pub hook: String,
    pub token: String,
    pub started: i64,
    pub deadline: i64,
    pub result: Option<String>,
}

/// A lifecycle hook of a group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HookRec {
    pub name: String,
    /// `autoscaling:EC2_INSTANCE_LAUNCHING` or `autoscaling:EC2_INSTANCE_TERMINATING`.
    pub transition: String,
    pub heartbeat_timeout: i32,
    /// `CONTINUE` or `ABANDON`.
    pub default_result: String,
    pub notification_target: Option<String>,
    pub role_arn: Option<String>,
    pub metadata: Option<String>,
}

impl HookRec {
    /// AWS's global timeout: 100 heartbeat timeouts or 48 hours, whichever is smaller.
    pub fn global_timeout(&self) -> i32 {
        (self.heartbeat_timeout.saturating_mul(100)).min(172_800)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupRec {
    pub account: String,
    pub region: String,
    pub name: String,
    pub uuid: String,
    pub created: i64,
    pub launch_config: Option<String>,
    pub template: Option<TemplateRef>,
    pub min: i32,
    pub max: i32,
    pub desired: i32,
    pub default_cooldown: i32,
    pub zones: Vec<String>,
    /// The subnets of `VPCZoneIdentifier`, each with its zone.
    pub subnets: Vec<(String, String)>,
    pub load_balancers: Vec<String>,
    pub target_groups: Vec<String>,
    pub health_check_type: String,
    pub grace: i32,
    pub termination_policies: Vec<String>,
    pub protect_new: bool,
    pub tags: Vec<TagRec>,
    /// (process name, reason)
    pub suspended: Vec<(String, String)>,
    /// (topic ARN, notification type)
    pub notifications: Vec<(String, String)>,
    pub max_instance_lifetime: Option<i32>,
    pub capacity_rebalance: bool,
    pub default_instance_warmup: Option<i32>,
    pub service_linked_role: Option<String>,
    pub placement_group: Option<String>,
    pub context: Option<String>,
    pub instances: Vec<InstanceRec>,
    /// Nimbus ms of the end of the last scaling activity that started a cooldown.
    pub cooldown_from: Option<i64>,
    /// Seconds of that cooldown.
    pub cooldown_secs: i32,
    /// `Delete in progress` while a forced delete drains the group.
    pub status: Option<String>,
    /// Why the desired capacity last changed, worded as the first sentence of the causes
    /// of the activities it leads to ("At … a user request … changing the desired
    /// capacity from 1 to 2.").
    pub cause: Option<String>,
    /// Consecutive failed launches, and the Nimbus ms before which no launch is retried.
    pub launch_failures: u32,
    pub retry_at: Option<i64>,
    #[serde(default)]
    pub hooks: Vec<HookRec>,
}

impl GroupRec {
    /// Every load balancer the group's instances register with: its target group ARNs,
    /// then its Classic Load Balancer names (the [`crate::deps::TargetGroups`] dependency
    /// tells them apart: only target groups are ARNs).
    pub fn balancers(&self) -> Vec<String> {
        self.target_groups
            .iter()
            .chain(&self.load_balancers)
            .cloned()
            .collect()
    }

    pub fn arn(&self) -> String {
        format!(
            "arn:aws:autoscaling:{}:{}:autoScalingGroup:{}:autoScalingGroupName/{}",
            self.region, self.account, self.uuid, self.name
        )
    }

    pub fn is_suspended(&self, process: &str) -> bool {
        self.suspended.iter().any(|(p, _)| p == process)
    }

    pub fn instance(&self, id: &str) -> Option<&InstanceRec> {
        self.instances.iter().find(|i| i.id == id)
    }

    pub fn instance_mut(&mut self, id: &str) -> Option<&mut InstanceRec> {
        self.instances.iter_mut().find(|i| i.id == id)
    }

    /// The instances that count toward the capacity: not on their way out.
    pub fn live(&self) -> impl Iterator<Item = &InstanceRec> {
        self.instances
            .iter()
            .filter(|i| i.lifecycle.starts_with("Pending") || i.lifecycle == "InService")
    }

    /// The group's hook for `transition`, if any (one is enough to wait on).
    pub fn hook_for(&self, transition: &str) -> Option<&HookRec> {
        self.hooks.iter().find(|h| h.transition == transition)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepRec {
    pub lower: Option<f64>,
    pub upper: Option<f64>,
    pub adjustment: i32,
}

/// A target tracking policy's metric: predefined (type and resource label) or customized.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum TrackedMetric {
    Predefined {
        kind: String,
        label: Option<String>,
    },
    Customized {
        namespace: String,
        name: String,
        dimensions: Vec<(String, String)>,
        statistic: String,
        unit: Option<String>,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TargetTrackingRec {
    pub metric: TrackedMetric,
    pub target: f64,
    pub disable_scale_in: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PolicyRec {
    pub account: String,
    pub region: String,
    pub group: String,
    pub name: String,
    pub uuid: String,
    /// `SimpleScaling`, `StepScaling` or `TargetTrackingScaling`.
    pub kind: String,
    pub adjustment_type: Option<String>,
    pub scaling_adjustment: Option<i32>,
    pub min_magnitude: Option<i32>,
    pub cooldown: Option<i32>,
    pub aggregation: Option<String>,
    pub steps: Vec<StepRec>,
    pub warmup: Option<i32>,
    pub tracking: Option<TargetTrackingRec>,
    pub enabled: bool,
    /// (alarm name, alarm ARN): for target tracking the alarms it owns; for the others
    /// the alarms that name it (kept by `on_alarm`).
    pub alarms: Vec<(String, String)>,
}

impl PolicyRec {
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:autoscaling:{}:{}:scalingPolicy:{}:autoScalingGroupName/{}:policyName/{}",
            self.region, self.account, self.uuid, self.group, self.name
        )
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScheduledRec {
    pub account: String,
    pub region: String,
    pub group: String,
    pub name: String,
    pub uuid: String,
    pub start: Option<i64>,
    pub end: Option<i64>,
    pub recurrence: Option<String>,
    pub min: Option<i32>,
    pub max: Option<i32>,
    pub desired: Option<i32>,
    pub time_zone: Option<String>,
    /// The next Nimbus time (ms) it runs, `None` once a one-off action ran.
    pub next: Option<i64>,
}

impl ScheduledRec {
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:autoscaling:{}:{}:scheduledUpdateGroupAction:{}:autoScalingGroupName/{}:scheduledActionName/{}",
            self.region, self.account, self.uuid, self.group, self.name
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityRec {
    pub account: String,
    pub region: String,
    pub id: String,
    pub group: String,
    pub group_arn: String,
    pub description: String,
    pub cause: String,
    pub start: i64,
    pub end: Option<i64>,
    /// `PreInService`, `InProgress`, `Successful`, `Failed`, `Cancelled`, ...
    pub status: String,
    pub message: Option<String>,
    pub progress: i32,
    pub details: String,
}
