//! Where CloudWatch alarm actions go ([`svc_cloudwatch::alarms::AlarmActions`], wired in
//! [`crate::app`]): SNS topic ARNs publish AWS's alarm notification through SNS; Auto Scaling
//! policy ARNs (`arn:aws:autoscaling:…:scalingPolicy:…`) go to [`ScalingPolicies`]; EC2
//! actions (`arn:aws:automate:REGION:ec2:stop|terminate|reboot|recover`, or the
//! `arn:aws:swf:REGION:ACCOUNT:action/actions/AWS_EC2.InstanceId.Stop/1.0` form) stop, terminate or
//! reboot the instance the alarm watches (its `InstanceId` dimension) through EC2's own
//! `StopInstances` / `TerminateInstances` / `RebootInstances`, as the alarm's account;
//! `recover` restarts the instance on this host (the one "hardware" there is), keeping its
//! id, addresses and volumes, as a recovery does. An action that cannot be carried out fails
//! and the alarm's history records it as failed, with the reason, as AWS records failed
//! actions — never a pretended success.

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
    /// `None` where EC2 is not wired.
    pub ec2: Option<svc_ec2::Ec2>,
}

/// Carries out the EC2 action `arn` for the alarm of `t` on the instance it watches.
pub async fn ec2_action(ec2: &svc_ec2::Ec2, arn: &str, t: &AlarmTransition) -> ActionResult {
    use svc_ec2::generated::{
        Handlers, RebootInstancesRequest, StopInstancesRequest, TerminateInstancesRequest,
    };
    let a = &t.alarm;
    let what = svc_cloudwatch::alarms::model::ec2_action(arn).unwrap_or_default();
    let verb = match what {
        "stop" => "Stop",
        "terminate" => "Terminate",
        "reboot" => "Reboot",
        "recover" => "Recover",
        _ => return Err(format!("action failed: Nimbus cannot carry out {arn}")),
    };
    let Some(id) = svc_cloudwatch::alarms::model::watched_instance(a) else {
        return Err(format!(
            "{verb} EC2 Instance action failed. The alarm is not monitoring an EC2 instance."
        ));
    };
    let ctx = nimbus_core::RequestContext {
        request_id: format!("cloudwatch-alarm-action-{}", a.state_updated.0),
        principal: Arc::new(nimbus_core::Principal::root(&a.account, "")),
        region: a.region.clone(),
        now: a.state_updated,
        host: String::new(),
        source_ip: None,
    };
    let ids = vec![id.to_string()];
    let done = match what {
        "stop" => ec2
            .stop_instances(
                &ctx,
                StopInstancesRequest {
                    instance_ids: ids,
                    ..Default::default()
                },
            )
            .await
            .map(|_| ()),
        "terminate" => ec2
            .terminate_instances(
                &ctx,
                TerminateInstancesRequest {
                    instance_ids: ids,
                    ..Default::default()
                },
            )
            .await
            .map(|_| ()),
        _ => {
            ec2.reboot_instances(
                &ctx,
                RebootInstancesRequest {
                    instance_ids: ids,
                    dry_run: None,
                },
            )
            .await
        }
    };
    match done {
        Ok(()) => Ok(format!("{verb} EC2 Instance '{id}'")),
        Err(e) => Err(format!(
            "{verb} EC2 Instance '{id}' action failed. {}",
            e.message
        )),
    }
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
                Some("automate" | "swf") => match &self.ec2 {
                    Some(ec2) => ec2_action(ec2, arn, t).await,
                    None => Err("action failed: EC2 is not wired".to_string()),
                },
                _ => Err(format!("action failed: Nimbus cannot carry out {arn}")),
            }
        })
    }
}
