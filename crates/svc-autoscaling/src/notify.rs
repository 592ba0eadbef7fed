//! Notifications to SNS for a group's notification configurations: an activity that ends
//! a launch or a termination becomes `autoscaling:EC2_INSTANCE_LAUNCH`, `…_LAUNCH_ERROR`,
//! `…_TERMINATE` or `…_TERMINATE_ERROR`, and `PutNotificationConfiguration` sends
//! `autoscaling:TEST_NOTIFICATION`. Subjects and the JSON message follow what Auto Scaling
//! publishes (`Auto Scaling: launch for group "web"`; `Service`, `Event`, `ActivityId`,
//! `Cause`, `Details`, …). Publishing goes through [`crate::deps::Notifier`]; a failed
//! publish is not retried here (SNS retries its own deliveries).

use crate::model::{ActivityRec, GroupRec};
use crate::state::AutoScaling;
use nimbus_core::Timestamp;
use serde_json::json;

/// The notification type of a finished activity, if it is one.
pub fn event_of(a: &ActivityRec) -> Option<&'static str> {
    let failed = a.status == "Failed";
    if a.end.is_none() || a.status == "Cancelled" {
        return None;
    }
    if a.description.starts_with("Launching") {
        Some(if failed {
            "autoscaling:EC2_INSTANCE_LAUNCH_ERROR"
        } else {
            "autoscaling:EC2_INSTANCE_LAUNCH"
        })
    } else if a.description.starts_with("Terminating") {
        Some(if failed {
            "autoscaling:EC2_INSTANCE_TERMINATE_ERROR"
        } else {
            "autoscaling:EC2_INSTANCE_TERMINATE"
        })
    } else {
        None
    }
}

fn subject(event: &str, group: &str) -> String {
    let what = match event {
        "autoscaling:EC2_INSTANCE_LAUNCH" => "launch",
        "autoscaling:EC2_INSTANCE_LAUNCH_ERROR" => "failed launch",
        "autoscaling:EC2_INSTANCE_TERMINATE" => "termination",
        "autoscaling:EC2_INSTANCE_TERMINATE_ERROR" => "failed termination",
        _ => "test notification",
    };
    format!("Auto Scaling: {what} for group \"{group}\"")
}

/// (subject, message) for a finished activity.
pub fn activity_message(a: &ActivityRec, event: &str, now: i64) -> (String, String) {
    let instance = a
        .description
        .split_once(": i-")
        .map(|(_, id)| format!("i-{id}"))
        .unwrap_or_default();
    let launch = event.starts_with("autoscaling:EC2_INSTANCE_LAUNCH");
    let details: serde_json::Value = serde_json::from_str(&a.details).unwrap_or_else(|_| json!({}));
    let message = json!({
        "Origin": if launch { "AutoScalingGroup" } else { "EC2" },
        "Destination": if launch { "EC2" } else { "AutoScalingGroup" },
        "Progress": a.progress,
        "AccountId": a.account,
        "Description": a.description,
        "RequestId": a.id,
        "EndTime": a.end.map(|e| Timestamp(e).to_iso8601()),
        "AutoScalingGroupARN": a.group_arn,
        "ActivityId": a.id,
        "StartTime": Timestamp(a.start).to_iso8601(),
        "Service": "AWS Auto Scaling",
        "Time": Timestamp(now).to_iso8601(),
        "EC2InstanceId": instance,
        "StatusCode": a.status,
        "StatusMessage": a.message.clone().unwrap_or_default(),
        "Details": details,
        "AutoScalingGroupName": a.group,
        "Cause": a.cause,
        "Event": event,
    });
    (subject(event, &a.group), message.to_string())
}

/// (subject, message) of the test notification `PutNotificationConfiguration` sends.
pub fn test_message(g: &GroupRec, request_id: &str, now: i64) -> (String, String) {
    let message = json!({
        "AccountId": g.account,
        "RequestId": request_id,
        "AutoScalingGroupARN": g.arn(),
        "AutoScalingGroupName": g.name,
        "Service": "AWS Auto Scaling",
        "Event": "autoscaling:TEST_NOTIFICATION",
        "Time": Timestamp(now).to_iso8601(),
    });
    (
        subject("autoscaling:TEST_NOTIFICATION", &g.name),
        message.to_string(),
    )
}

impl AutoScaling {
    /// Publishes the notifications `acts` (activities that just changed) call for to the
    /// topics of `g` configured for them.
    pub(crate) async fn notify_activities(&self, g: &GroupRec, acts: &[ActivityRec]) {
        if g.notifications.is_empty() {
            return;
        }
        let now = self.now_ms();
        for a in acts {
            let Some(event) = event_of(a) else { continue };
            let (subject, message) = activity_message(a, event, now);
            for (topic, _) in g.notifications.iter().filter(|(_, t)| t == event) {
                let _ = self
                    .deps
                    .notifier
                    .notify(&g.account, topic, &subject, &message)
                    .await;
            }
        }
    }
}
