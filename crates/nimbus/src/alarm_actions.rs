//! Where CloudWatch alarm actions go ([`svc_cloudwatch::alarms::AlarmActions`], wired in
//! [`crate::app`]): SNS topic ARNs publish AWS's alarm notification through SNS. Auto Scaling
//! policy ARNs (`arn:aws:autoscaling:…:scalingPolicy:…`) and EC2 actions
//! (`arn:aws:automate:REGION:ec2:stop|terminate|reboot|recover`) have no service to carry
//! them out yet: they fail, and the alarm's history records the failed action with the
//! reason, as AWS records failed actions. When Auto Scaling lands, its policy execution is
//! called from the `autoscaling` arm below.

use std::future::Future;
use std::pin::Pin;
use svc_cloudwatch::alarms::{ActionResult, AlarmActions, AlarmTransition};

pub struct Wired {
    pub sns: svc_sns::Handle,
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
                Some("autoscaling") => Err("action failed: Auto Scaling not wired".to_string()),
                Some("automate") => {
                    Err("action failed: EC2 alarm actions not wired (no instances yet)".to_string())
                }
                _ => Err(format!("action failed: Nimbus cannot carry out {arn}")),
            }
        })
    }
}
