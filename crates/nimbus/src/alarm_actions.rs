//! Where CloudWatch alarm actions go ([`svc_cloudwatch::alarms::AlarmActions`], wired in
//! [`crate::app`]): SNS topic ARNs publish AWS's alarm notification through SNS; Auto Scaling
//! policy ARNs (`arn:aws:autoscaling:…:scalingPolicy:…`) go to [`ScalingPolicies`] once Auto
//! Scaling provides one (until then, and for EC2 actions
//! `arn:aws:automate:REGION:ec2:stop|terminate|reboot|recover`, which need instances, the
//! action fails and the alarm's history records it as failed, with the reason, as AWS records
//! failed actions — never a pretended success).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use svc_cloudwatch::alarms::{ActionResult, AlarmActions, AlarmTransition};

/// The hook Auto Scaling implements: execute the scaling policy `policy_arn` because of the
/// alarm transition `t` (its alarm, old and new state). `Ok` carries a detail for the
/// alarm's history (e.g. the activity started); `Err` why the policy did not run.
pub trait ScalingPolicies: Send + Sync + 'static {
    fn execute<'a>(
        &'a self,
        policy_arn: &'a str,
        t: &'a AlarmTransition,
    ) -> Pin<Box<dyn Future<Output = ActionResult> + Send + 'a>>;
}

pub struct Wired {
    pub sns: svc_sns::Handle,
    /// `None` until Auto Scaling is wired.
    pub autoscaling: Option<Arc<dyn ScalingPolicies>>,
}

impl AlarmActions for Wired {
    fn fire<'a>(
        &'a self,
        arn: &'a str,
        t: &'a AlarmTransition,
    ) -> Pin<Box<dyn Future<Output = ActionResult> + Send + 'a>> {
        Box::pin(async move {
            match arn.split(':').nth(2) {
                Some("sns") => {
                    let (subject, message) = t.sns_notification();
                    let id = self
                        .sns
                        .publish_as_service(&t.alarm.account, arn, &subject, &message)
                        .await?;
                    Ok(format!("{{\"messageId\":\"{id}\"}}"))
                }
                Some("autoscaling") => match &self.autoscaling {
                    Some(policies) => policies.execute(arn, t).await,
                    None => Err("action failed: Auto Scaling not wired".to_string()),
                },
                Some("automate") => {
                    Err("action failed: EC2 alarm actions not wired (no instances yet)".to_string())
                }
                _ => Err(format!("action failed: Nimbus cannot carry out {arn}")),
            }
        })
    }
}
