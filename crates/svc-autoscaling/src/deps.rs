//! What Auto Scaling needs from other services, as traits this crate owns (DESIGN.md §2:
//! services never import each other; the binary wires adapters in `app.rs`):
//! [`Catalog`] (EC2's zones, subnets and launch templates, read-only), [`Fleet`]
//! (launch, terminate and observe instances), [`TargetGroups`] (register, deregister, target
//! health), [`Alarms`] (the CloudWatch alarms a target tracking policy owns) and
//! [`Notifier`] (SNS, for notification configurations). Each
//! answer that can fail carries the text Auto Scaling shows the user (activity status
//! messages, validation errors). This module holds only the contracts and their data.

use crate::model::TemplateRef;

/// A subnet as Auto Scaling needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubnetInfo {
    pub id: String,
    pub vpc_id: String,
    pub zone: String,
}

/// A launch template version resolved to what a launch needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateInfo {
    pub id: String,
    pub name: String,
    /// The version number `$Latest`/`$Default`/`N` resolved to.
    pub version: i64,
    pub image_id: Option<String>,
    pub instance_type: Option<String>,
}

/// Why a launch template reference does not resolve.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TemplateError {
    /// No template with that id or name.
    NoSuchTemplate,
    /// The template exists but not that version.
    NoSuchVersion,
}

/// EC2's read side: zones, subnets, launch templates.
pub trait Catalog: Send + Sync + 'static {
    /// The availability zone names of `region`.
    fn zones(&self, region: &str) -> Vec<String>;
    /// The subnet `id` of the account in `region`, if it exists.
    fn subnet(&self, account: &str, region: &str, id: &str) -> Option<SubnetInfo>;
    /// Resolves a template reference (by id or name, version `$Latest`, `$Default` or a
    /// number; `None` means `$Default`).
    fn template(
        &self,
        account: &str,
        region: &str,
        spec: &TemplateRef,
    ) -> Result<TemplateInfo, TemplateError>;
}

/// What to launch: one instance of a group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LaunchRequest {
    pub account: String,
    pub region: String,
    pub group: String,
    pub zone: String,
    pub subnet: Option<String>,
    /// The template (version resolved to a number) or the launch configuration's name.
    pub template: Option<TemplateRef>,
    pub launch_config: Option<String>,
    pub image_id: Option<String>,
    pub instance_type: Option<String>,
    /// Tags to put on the instance: the group's `PropagateAtLaunch` tags and
    /// `aws:autoscaling:groupName`.
    pub tags: Vec<(String, String)>,
}

/// A launched instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Launched {
    pub instance_id: String,
    pub instance_type: Option<String>,
    pub image_id: Option<String>,
}

/// What the fleet reports of an instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Observed {
    /// Still starting.
    Pending,
    /// Running; `healthy` is EC2's status checks.
    Running { healthy: bool },
    /// Stopped, terminated or gone.
    Gone,
}

/// The instances Auto Scaling launches and terminates.
pub trait Fleet: Send + Sync + 'static {
    /// Launches one instance; `Err` is the reason shown as the activity's StatusMessage.
    fn launch(&self, req: &LaunchRequest) -> Result<Launched, String>;
    /// Terminates an instance (idempotent).
    fn terminate(&self, account: &str, region: &str, instance_id: &str) -> Result<(), String>;
    /// The state of an instance.
    fn observe(&self, account: &str, region: &str, instance_id: &str) -> Observed;
}

/// A target's health in a target group, as Auto Scaling's ELB health check reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetHealth {
    Healthy,
    Unhealthy,
    /// Registering, draining, not yet checked: no verdict.
    Unknown,
}

/// Elastic Load Balancing target groups.
pub trait TargetGroups: Send + Sync + 'static {
    /// Whether the target group ARN exists for the account.
    fn exists(&self, account: &str, region: &str, arn: &str) -> bool;
    fn register(
        &self,
        account: &str,
        region: &str,
        arn: &str,
        instance_id: &str,
    ) -> Result<(), String>;
    /// Starts deregistering; returns the target group's deregistration delay in seconds.
    fn deregister(&self, account: &str, region: &str, arn: &str, instance_id: &str) -> u32;
    fn health(&self, account: &str, region: &str, arn: &str, instance_id: &str) -> TargetHealth;
}

/// A metric alarm as a target tracking policy defines it.
#[derive(Clone, Debug, PartialEq)]
pub struct AlarmSpec {
    pub name: String,
    pub description: String,
    pub namespace: String,
    pub metric_name: String,
    pub dimensions: Vec<(String, String)>,
    pub statistic: String,
    pub unit: Option<String>,
    pub period: i32,
    pub evaluation_periods: i32,
    pub datapoints_to_alarm: i32,
    pub threshold: f64,
    /// `GreaterThanThreshold` or `LessThanThreshold`.
    pub comparison: String,
    /// The policy ARN the alarm fires.
    pub actions: Vec<String>,
}

/// A boxed future (the alarm store writes durably, so its calls are async).
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// CloudWatch alarms, for the alarms target tracking policies own.
pub trait Alarms: Send + Sync + 'static {
    /// Creates or replaces the alarm; returns its ARN, or the error the policy's
    /// `PutScalingPolicy` answers with.
    fn put<'a>(
        &'a self,
        account: &'a str,
        region: &'a str,
        alarm: &'a AlarmSpec,
    ) -> BoxFuture<'a, Result<String, nimbus_core::AwsError>>;
    /// Deletes the alarms (those that do not exist are skipped).
    fn delete<'a>(
        &'a self,
        account: &'a str,
        region: &'a str,
        names: &'a [String],
    ) -> BoxFuture<'a, ()>;
}

/// Amazon SNS, for the group's notification configurations.
pub trait Notifier: Send + Sync + 'static {
    /// Publishes `message` with `subject` to `topic_arn` on behalf of `account`.
    fn notify<'a>(
        &'a self,
        account: &'a str,
        topic_arn: &'a str,
        subject: &'a str,
        message: &'a str,
    ) -> BoxFuture<'a, Result<(), String>>;
}

/// Everything Auto Scaling is wired to.
#[derive(Clone)]
pub struct Deps {
    pub catalog: std::sync::Arc<dyn Catalog>,
    pub fleet: std::sync::Arc<dyn Fleet>,
    pub target_groups: std::sync::Arc<dyn TargetGroups>,
    pub alarms: std::sync::Arc<dyn Alarms>,
    pub notifier: std::sync::Arc<dyn Notifier>,
}

impl std::fmt::Debug for Deps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deps").finish_non_exhaustive()
    }
}
