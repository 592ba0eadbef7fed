//! The group reconciler with a fake fleet, fake target groups and a manual clock: scale
//! out and in, AZ balance, scale-in protection, termination policies, replacement of
//! unhealthy instances (EC2 and ELB, grace period), draining before termination, failed
//! launches with back-off, forced deletes, and the activities' wording.

mod common;

use common::*;
use svc_autoscaling::deps::{Observed, TargetHealth};
use svc_autoscaling::generated::*;

fn count_state(list: &[Instance], state: &str) -> usize {
    list.iter().filter(|i| i.lifecycle_state == state).count()
}

#[tokio::test]
async fn scale_out_balances_zones_registers_and_words_activities() {
    let w = World::new();
    w.group("web", 1, 6, 3, |g| {
        g.target_group_ar_ns = Some(vec![TG.into()]);
        g.tags = Some(vec![
            Tag {
                key: "env".into(),
                value: Some("prod".into()),
                propagate_at_launch: Some(true),
                ..Default::default()
            },
            Tag {
                key: "team".into(),
                value: Some("a".into()),
                propagate_at_launch: Some(false),
                ..Default::default()
            },
        ]);
    })
    .await;
    w.advance(5);
    w.pass().await;
    let list = w.instances("web").await;
    assert_eq!(count_state(&list, "Pending"), 3);
    let mut zones: Vec<&str> = list.iter().map(|i| i.availability_zone.as_str()).collect();
    zones.sort();
    assert_eq!(zones, ["us-east-1a", "us-east-1b", "us-east-1c"]);
    // Launched from the resolved template version, in the zone's subnet, with the
    // propagated tags and aws:autoscaling:groupName.
    let launches = w.fleet.launches.lock().unwrap().clone();
    assert_eq!(launches.len(), 3);
    for l in &launches {
        assert_eq!(
            l.template
                .as_ref()
                .and_then(|t| t.version.clone())
                .as_deref(),
            Some("1")
        );
        assert_eq!(l.image_id.as_deref(), Some("ami-12345678"));
        let want_subnet = format!("subnet-{}", &l.zone[l.zone.len() - 1..]);
        assert_eq!(l.subnet.as_deref(), Some(want_subnet.as_str()));
        assert!(l.tags.contains(&("env".into(), "prod".into())));
        assert!(!l.tags.iter().any(|(k, _)| k == "team"));
        assert!(l
            .tags
            .contains(&("aws:autoscaling:groupName".into(), "web".into())));
    }
    assert!(
        w.tgs.registered.lock().unwrap().is_empty(),
        "nothing registers before InService"
    );
    let acts = w.activities("web").await;
    assert_eq!(acts.len(), 3);
    for a in &acts {
        assert_eq!(a.status_code, "PreInService");
        assert!(a
            .description
            .as_deref()
            .unwrap()
            .starts_with("Launching a new EC2 instance: i-"));
        assert!(a.cause.starts_with(
            "At 2026-12-07T10:00:00Z a user request created an AutoScalingGroup changing the desired capacity from 0 to 3.  At 2026-12-07T10:00:05Z an instance was started in response to a difference between desired and actual capacity, increasing the capacity from "
        ), "{}", a.cause);
    }

    w.fleet.boot_all();
    w.advance(1);
    w.pass().await;
    let list = w.instances("web").await;
    assert_eq!(count_state(&list, "InService"), 3);
    assert!(list.iter().all(|i| i.health_status == "Healthy"));
    assert_eq!(w.tgs.registered.lock().unwrap().len(), 3);
    let acts = w.activities("web").await;
    assert!(acts
        .iter()
        .all(|a| a.status_code == "Successful" && a.progress == Some(100) && a.end_time.is_some()));
}

#[tokio::test]
async fn scale_in_keeps_zones_balanced_and_respects_protection() {
    let w = World::new();
    w.group("web", 0, 6, 6, |_| {}).await;
    w.pass().await;
    w.fleet.boot_all();
    w.advance(1);
    w.pass().await;
    let list = w.instances("web").await;
    assert_eq!(count_state(&list, "InService"), 6);
    // Protect both instances in zone a.
    let in_a: Vec<String> = list
        .iter()
        .filter(|i| i.availability_zone == "us-east-1a")
        .map(|i| i.instance_id.clone())
        .collect();
    assert_eq!(in_a.len(), 2);
    w.svc
        .set_instance_protection(
            &w.ctx(),
            SetInstanceProtectionQuery {
                instance_ids: in_a.clone(),
                auto_scaling_group_name: "web".into(),
                protected_from_scale_in: true,
            },
        )
        .await
        .expect("protect");
    w.advance(60);
    w.set_desired("web", 2).await;
    w.pass().await;
    let list = w.instances("web").await;
    // Four unprotected instances go, two per zone b and c; zone a keeps its protected two.
    assert_eq!(list.len(), 2);
    for i in &list {
        assert!(in_a.contains(&i.instance_id));
        assert!(i.protected_from_scale_in);
    }
    assert_eq!(w.fleet.terminated.lock().unwrap().len(), 4);
    // Below the protected instances nothing more can go.
    w.set_desired("web", 0).await;
    w.pass().await;
    assert_eq!(w.instances("web").await.len(), 2);
    let acts = w.activities("web").await;
    let term: Vec<&Activity> = acts
        .iter()
        .filter(|a| {
            a.description
                .as_deref()
                .unwrap_or("")
                .starts_with("Terminating EC2 instance: ")
        })
        .collect();
    assert_eq!(term.len(), 4);
    let first = term
        .iter()
        .find(|a| a.cause.contains("shrinking the capacity from 6 to 5"))
        .expect("first scale-in");
    assert!(first.cause.starts_with(
        "At 2026-12-07T10:01:01Z a user request explicitly set group desired capacity changing the desired capacity from 6 to 2.  At 2026-12-07T10:01:01Z an instance was taken out of service in response to a difference between desired and actual capacity, shrinking the capacity from 6 to 5.  At 2026-12-07T10:01:01Z instance i-"
    ), "{}", first.cause);
    assert!(first.cause.ends_with(" was selected for termination."));
    assert!(term.iter().all(|a| a.status_code == "Successful"));
}

#[tokio::test]
async fn scale_in_alternates_zones() {
    let w = World::new();
    w.group("web", 0, 6, 4, |_| {}).await;
    w.pass().await;
    w.fleet.boot_all();
    w.pass().await;
    // 4 over 3 zones: a has 2. Scale to 3: the instance goes from zone a.
    w.set_desired("web", 3).await;
    w.pass().await;
    let list = w.instances("web").await;
    let mut zones: Vec<&str> = list.iter().map(|i| i.availability_zone.as_str()).collect();
    zones.sort();
    assert_eq!(zones, ["us-east-1a", "us-east-1b", "us-east-1c"]);
}

#[tokio::test]
async fn oldest_template_version_goes_first() {
    let w = World::new();
    w.group("web", 0, 4, 2, |g| {
        g.vpc_zone_identifier = Some("subnet-a".into());
    })
    .await;
    w.pass().await;
    w.fleet.boot_all();
    w.pass().await;
    let old: Vec<String> = w
        .instances("web")
        .await
        .iter()
        .map(|i| i.instance_id.clone())
        .collect();
    // A new template version, pinned on the group; scale out by one, then back in: the
    // instance from the new version survives together with one old one.
    *w.catalog.latest.lock().unwrap() = 2;
    w.svc
        .update_auto_scaling_group(
            &w.ctx(),
            UpdateAutoScalingGroupType {
                auto_scaling_group_name: "web".into(),
                launch_template: Some(LaunchTemplateSpecification {
                    launch_template_id: Some("lt-0001".into()),
                    version: Some("2".into()),
                    ..Default::default()
                }),
                desired_capacity: Some(3),
                ..Default::default()
            },
        )
        .await
        .expect("update");
    w.pass().await;
    w.fleet.boot_all();
    w.pass().await;
    let list = w.instances("web").await;
    let new: Vec<&Instance> = list
        .iter()
        .filter(|i| !old.contains(&i.instance_id))
        .collect();
    assert_eq!(new.len(), 1);
    assert_eq!(
        new[0]
            .launch_template
            .as_ref()
            .and_then(|t| t.version.clone())
            .as_deref(),
        Some("2")
    );
    w.set_desired("web", 1).await;
    w.pass().await;
    let left = w.instances("web").await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].instance_id, new[0].instance_id);
}

#[tokio::test]
async fn unhealthy_instances_are_replaced_ec2_and_elb_after_grace() {
    let w = World::new();
    w.group("web", 2, 4, 2, |g| {
        g.health_check_type = Some("ELB".into());
        g.health_check_grace_period = Some(300);
        g.target_group_ar_ns = Some(vec![TG.into()]);
    })
    .await;
    w.pass().await;
    w.fleet.boot_all();
    w.pass().await;
    let list = w.instances("web").await;
    let (a, b) = (list[0].instance_id.clone(), list[1].instance_id.clone());
    // ELB says b is unhealthy, but the grace period is still running.
    w.tgs
        .health
        .lock()
        .unwrap()
        .insert(b.clone(), TargetHealth::Unhealthy);
    w.advance(100);
    w.pass().await;
    assert!(w
        .instances("web")
        .await
        .iter()
        .all(|i| i.health_status == "Healthy"));
    // After the grace period it is taken out and replaced.
    w.advance(250);
    w.pass().await;
    let list = w.instances("web").await;
    assert!(!list.iter().any(|i| i.instance_id == b), "b terminated");
    assert_eq!(list.len(), 2, "a replacement is launched in the same pass");
    assert!(w
        .tgs
        .deregistered
        .lock()
        .unwrap()
        .contains(&(TG.to_string(), b.clone())));
    let acts = w.activities("web").await;
    let t = acts
        .iter()
        .find(|x| x.description.as_deref() == Some(&format!("Terminating EC2 instance: {b}")))
        .expect("termination");
    assert_eq!(t.cause, "At 2026-12-07T10:05:50Z an instance was taken out of service in response to an ELB system health check failure.");
    let replacement = acts
        .iter()
        .find(|x| x.cause.contains("increasing the capacity from 1 to 2"))
        .expect("replacement");
    assert_eq!(replacement.cause, "At 2026-12-07T10:05:50Z an instance was started in response to a difference between desired and actual capacity, increasing the capacity from 1 to 2.");

    // EC2: an instance that disappears is unhealthy at once, whatever the grace period.
    w.fleet.boot_all();
    w.pass().await;
    w.fleet.set(&a, Observed::Gone);
    w.advance(1);
    w.pass().await;
    let acts = w.activities("web").await;
    let t = acts
        .iter()
        .find(|x| x.description.as_deref() == Some(&format!("Terminating EC2 instance: {a}")))
        .expect("termination of a");
    assert!(t.cause.ends_with("an instance was taken out of service in response to an EC2 health check indicating it has been terminated or stopped."), "{}", t.cause);
    assert_eq!(w.instances("web").await.len(), 2);
}

#[tokio::test]
async fn set_instance_health_respects_grace_unless_told_not_to() {
    let w = World::new();
    w.group("web", 1, 2, 1, |g| g.health_check_grace_period = Some(300))
        .await;
    w.pass().await;
    w.fleet.boot_all();
    w.pass().await;
    let id = w.instances("web").await[0].instance_id.clone();
    let set = |respect: Option<bool>| SetInstanceHealthQuery {
        instance_id: id.clone(),
        health_status: "Unhealthy".into(),
        should_respect_grace_period: respect,
    };
    w.svc
        .set_instance_health(&w.ctx(), set(None))
        .await
        .expect("ignored in grace");
    assert_eq!(w.instances("web").await[0].health_status, "Healthy");
    w.svc
        .set_instance_health(&w.ctx(), set(Some(false)))
        .await
        .expect("set");
    assert_eq!(w.instances("web").await[0].health_status, "Unhealthy");
    w.pass().await;
    let acts = w.activities("web").await;
    assert!(acts.iter().any(|a| a
        .cause
        .ends_with("an instance was taken out of service in response to a user health-check.")));
    let list = w.instances("web").await;
    assert_eq!(list.len(), 1);
    assert_ne!(list[0].instance_id, id);
}

#[tokio::test]
async fn draining_delay_is_honoured_before_termination() {
    let w = World::new();
    *w.tgs.delay.lock().unwrap() = 30;
    w.group("web", 0, 2, 1, |g| {
        g.target_group_ar_ns = Some(vec![TG.into()])
    })
    .await;
    w.pass().await;
    w.fleet.boot_all();
    w.pass().await;
    let id = w.instances("web").await[0].instance_id.clone();
    w.set_desired("web", 0).await;
    w.pass().await;
    let list = w.instances("web").await;
    assert_eq!(list[0].lifecycle_state, "Terminating");
    assert!(w
        .tgs
        .deregistered
        .lock()
        .unwrap()
        .contains(&(TG.to_string(), id.clone())));
    assert!(
        w.fleet.terminated.lock().unwrap().is_empty(),
        "still draining"
    );
    w.advance(29);
    w.pass().await;
    assert!(w.fleet.terminated.lock().unwrap().is_empty());
    w.advance(1);
    w.pass().await;
    assert_eq!(*w.fleet.terminated.lock().unwrap(), vec![id]);
    assert!(w.instances("web").await.is_empty());
}

#[tokio::test]
async fn failed_launches_say_why_and_back_off() {
    let w = World::new();
    let reason = "Nimbus cannot launch EC2 instances yet: RunInstances is not implemented. Launching EC2 instance failed.";
    *w.fleet.fail.lock().unwrap() = Some(reason.into());
    w.group("web", 1, 2, 1, |_| {}).await;
    w.pass().await;
    let acts = w.activities("web").await;
    assert_eq!(acts.len(), 1);
    let a = &acts[0];
    assert_eq!(a.status_code, "Failed");
    assert_eq!(a.status_message.as_deref(), Some(reason));
    assert_eq!(
        a.description.as_deref(),
        Some(format!("Launching a new EC2 instance. Status Reason: {reason}").as_str())
    );
    assert_eq!(a.cause, "At 2026-12-07T10:00:00Z a user request created an AutoScalingGroup changing the desired capacity from 0 to 1.  At 2026-12-07T10:00:00Z an instance was started in response to a difference between desired and actual capacity, increasing the capacity from 0 to 1.");
    assert!(w.instances("web").await.is_empty(), "no fake instance");
    // Retried after 10 s, then 20 s.
    w.advance(9);
    w.pass().await;
    assert_eq!(w.activities("web").await.len(), 1);
    w.advance(1);
    w.pass().await;
    assert_eq!(w.activities("web").await.len(), 2);
    w.advance(19);
    w.pass().await;
    assert_eq!(w.activities("web").await.len(), 2);
    w.advance(1);
    w.pass().await;
    assert_eq!(w.activities("web").await.len(), 3);
    // Once launches work again, the group fills.
    *w.fleet.fail.lock().unwrap() = None;
    w.advance(40);
    w.pass().await;
    assert_eq!(w.instances("web").await.len(), 1);
}

#[tokio::test]
async fn suspended_launch_and_terminate_processes_hold() {
    let w = World::new();
    w.group("web", 0, 3, 0, |_| {}).await;
    w.svc
        .suspend_processes(
            &w.ctx(),
            ScalingProcessQuery {
                auto_scaling_group_name: "web".into(),
                scaling_processes: Some(vec!["Launch".into()]),
            },
        )
        .await
        .expect("suspend");
    w.set_desired("web", 2).await;
    w.pass().await;
    assert!(w.instances("web").await.is_empty());
    w.svc
        .resume_processes(
            &w.ctx(),
            ScalingProcessQuery {
                auto_scaling_group_name: "web".into(),
                scaling_processes: None,
            },
        )
        .await
        .expect("resume");
    w.pass().await;
    assert_eq!(w.instances("web").await.len(), 2);
}

#[tokio::test]
async fn force_delete_drains_then_removes_the_group() {
    let w = World::new();
    w.group("web", 1, 3, 2, |_| {}).await;
    w.pass().await;
    w.fleet.boot_all();
    w.pass().await;
    let plain = w
        .svc
        .delete_auto_scaling_group(
            &w.ctx(),
            DeleteAutoScalingGroupType {
                auto_scaling_group_name: "web".into(),
                force_delete: None,
            },
        )
        .await
        .expect_err("instances remain");
    assert_eq!(plain.code, "ResourceInUse");
    w.svc
        .delete_auto_scaling_group(
            &w.ctx(),
            DeleteAutoScalingGroupType {
                auto_scaling_group_name: "web".into(),
                force_delete: Some(true),
            },
        )
        .await
        .expect("force");
    let g = w.describe("web").await;
    assert_eq!(g.status.as_deref(), Some("Delete in progress"));
    w.pass().await;
    assert_eq!(w.fleet.terminated.lock().unwrap().len(), 2);
    let out = w
        .svc
        .describe_auto_scaling_groups(&w.ctx(), AutoScalingGroupNamesType::default())
        .await
        .expect("describe");
    assert!(out.auto_scaling_groups.is_empty());
}

#[tokio::test]
async fn a_pending_instance_taken_out_cancels_its_launch() {
    let w = World::new();
    w.group("web", 0, 3, 1, |_| {}).await;
    w.pass().await; // launched, still Pending
    w.set_desired("web", 0).await;
    let e = w
        .svc
        .delete_auto_scaling_group(
            &w.ctx(),
            DeleteAutoScalingGroupType {
                auto_scaling_group_name: "web".into(),
                force_delete: None,
            },
        )
        .await
        .expect_err("instance still there");
    assert_eq!(e.code, "ResourceInUse");
    w.pass().await; // terminates the pending instance
    let acts = w.activities("web").await;
    let launch = acts
        .iter()
        .find(|a| {
            a.description
                .as_deref()
                .unwrap_or("")
                .starts_with("Launching")
        })
        .expect("launch");
    assert_eq!(launch.status_code, "Cancelled");
    assert!(acts.iter().all(|a| a.end_time.is_some()));
    w.svc
        .delete_auto_scaling_group(
            &w.ctx(),
            DeleteAutoScalingGroupType {
                auto_scaling_group_name: "web".into(),
                force_delete: None,
            },
        )
        .await
        .expect("empty and idle: deleted");
}

#[tokio::test]
async fn activities_are_kept_six_weeks() {
    let w = World::new();
    *w.fleet.fail.lock().unwrap() = Some("no capacity".into());
    w.group("web", 1, 1, 1, |_| {}).await;
    w.pass().await;
    assert_eq!(w.activities("web").await.len(), 1);
    *w.fleet.fail.lock().unwrap() = None;
    w.advance(41 * 86_400);
    w.pass().await; // the retry launches; the failed activity is 41 days old
    assert_eq!(w.activities("web").await.len(), 2);
    w.advance(86_400 + 1);
    w.pass().await;
    let acts = w.activities("web").await;
    assert_eq!(acts.len(), 1);
    assert!(acts[0]
        .description
        .as_deref()
        .unwrap()
        .starts_with("Launching a new EC2 instance: i-"));
}

#[tokio::test]
async fn notifications_go_to_the_configured_topics() {
    let w = World::new();
    let topic = "arn:aws:sns:us-east-1:000000000000:asg-events";
    w.group("web", 0, 2, 0, |_| {}).await;
    w.svc
        .put_notification_configuration(
            &w.ctx(),
            PutNotificationConfigurationType {
                auto_scaling_group_name: "web".into(),
                topic_arn: topic.into(),
                notification_types: vec![
                    "autoscaling:EC2_INSTANCE_LAUNCH".into(),
                    "autoscaling:EC2_INSTANCE_LAUNCH_ERROR".into(),
                ],
            },
        )
        .await
        .expect("put");
    {
        let sent = w.notifier.sent.lock().unwrap();
        assert_eq!(sent.len(), 1);
        assert_eq!(
            sent[0].1,
            "Auto Scaling: test notification for group \"web\""
        );
        let m: serde_json::Value = serde_json::from_str(&sent[0].2).unwrap();
        assert_eq!(m["Event"], "autoscaling:TEST_NOTIFICATION");
        assert_eq!(m["AutoScalingGroupName"], "web");
    }
    *w.fleet.fail.lock().unwrap() =
        Some("Insufficient capacity. Launching EC2 instance failed.".into());
    w.set_desired("web", 1).await;
    w.pass().await;
    *w.fleet.fail.lock().unwrap() = None;
    w.advance(10);
    w.pass().await;
    w.fleet.boot_all();
    w.pass().await;
    // Scale-in terminations are not subscribed to.
    w.set_desired("web", 0).await;
    w.pass().await;
    let sent = w.notifier.sent.lock().unwrap().clone();
    let subjects: Vec<&str> = sent.iter().map(|s| s.1.as_str()).collect();
    assert_eq!(
        subjects,
        [
            "Auto Scaling: test notification for group \"web\"",
            "Auto Scaling: failed launch for group \"web\"",
            "Auto Scaling: launch for group \"web\"",
        ]
    );
    let failed: serde_json::Value = serde_json::from_str(&sent[1].2).unwrap();
    assert_eq!(failed["Event"], "autoscaling:EC2_INSTANCE_LAUNCH_ERROR");
    assert_eq!(failed["StatusCode"], "Failed");
    assert_eq!(
        failed["StatusMessage"],
        "Insufficient capacity. Launching EC2 instance failed."
    );
    assert_eq!(failed["EC2InstanceId"], "");
    assert_eq!(failed["Details"]["Subnet ID"], "subnet-a");
    let ok: serde_json::Value = serde_json::from_str(&sent[2].2).unwrap();
    assert_eq!(ok["Event"], "autoscaling:EC2_INSTANCE_LAUNCH");
    assert_eq!(ok["StatusCode"], "Successful");
    assert!(ok["EC2InstanceId"].as_str().unwrap().starts_with("i-"));
    assert_eq!(ok["Service"], "AWS Auto Scaling");
}

#[tokio::test]
async fn terminate_instance_in_group_with_and_without_decrement() {
    let w = World::new();
    w.group("web", 1, 3, 2, |_| {}).await;
    w.pass().await;
    w.fleet.boot_all();
    w.pass().await;
    let ids: Vec<String> = w
        .instances("web")
        .await
        .iter()
        .map(|i| i.instance_id.clone())
        .collect();
    w.advance(30);
    let out = w
        .svc
        .terminate_instance_in_auto_scaling_group(
            &w.ctx(),
            TerminateInstanceInAutoScalingGroupType {
                instance_id: ids[0].clone(),
                should_decrement_desired_capacity: true,
            },
        )
        .await
        .expect("terminate")
        .activity
        .expect("activity");
    assert_eq!(
        out.description.as_deref(),
        Some(format!("Terminating EC2 instance: {}", ids[0]).as_str())
    );
    assert_eq!(out.cause, format!(
        "At 2026-12-07T10:00:30Z instance {} was taken out of service in response to a user request, shrinking the capacity from 2 to 1.",
        ids[0]
    ));
    assert_eq!(out.status_code, "InProgress");
    assert_eq!(w.describe("web").await.desired_capacity, 1);
    // At min, decrementing is refused with AWS's reason.
    let e = w
        .svc
        .terminate_instance_in_auto_scaling_group(
            &w.ctx(),
            TerminateInstanceInAutoScalingGroupType {
                instance_id: ids[1].clone(),
                should_decrement_desired_capacity: true,
            },
        )
        .await
        .expect_err("min");
    assert!(
        e.message
            .starts_with("Currently, desiredSize equals minSize (1)."),
        "{}",
        e.message
    );
    w.pass().await;
    assert_eq!(w.instances("web").await.len(), 1);
    // Without decrementing, a replacement comes.
    w.svc
        .terminate_instance_in_auto_scaling_group(
            &w.ctx(),
            TerminateInstanceInAutoScalingGroupType {
                instance_id: ids[1].clone(),
                should_decrement_desired_capacity: false,
            },
        )
        .await
        .expect("terminate");
    w.pass().await;
    let list = w.instances("web").await;
    assert_eq!(list.len(), 1);
    assert_ne!(list[0].instance_id, ids[1]);
    let e = w
        .svc
        .terminate_instance_in_auto_scaling_group(
            &w.ctx(),
            TerminateInstanceInAutoScalingGroupType {
                instance_id: "i-0000000000000dead".into(),
                should_decrement_desired_capacity: false,
            },
        )
        .await
        .expect_err("unknown");
    assert_eq!(
        e.message,
        "Instance Id not found - No managed instance found for instance ID: i-0000000000000dead"
    );
    let acts = w.activities("web").await;
    assert!(acts
        .iter()
        .filter(|a| a
            .description
            .as_deref()
            .unwrap_or("")
            .starts_with("Terminating"))
        .all(|a| a.status_code == "Successful"));
}

#[tokio::test]
async fn update_words_the_new_constraints_and_instances_are_listed() {
    let w = World::new();
    w.group("web", 1, 3, 1, |_| {}).await;
    w.pass().await;
    w.fleet.boot_all();
    w.pass().await;
    w.advance(60);
    w.svc
        .update_auto_scaling_group(
            &w.ctx(),
            UpdateAutoScalingGroupType {
                auto_scaling_group_name: "web".into(),
                min_size: Some(1),
                max_size: Some(3),
                desired_capacity: Some(2),
                ..Default::default()
            },
        )
        .await
        .expect("update");
    w.pass().await;
    let acts = w.activities("web").await;
    assert!(acts[0].cause.starts_with(
        "At 2026-12-07T10:01:00Z a user request update of AutoScalingGroup constraints to min: 1, max: 3, desired: 2 changing the desired capacity from 1 to 2.  At 2026-12-07T10:01:00Z an instance was started in response to a difference between desired and actual capacity, increasing the capacity from 1 to 2."
    ), "{}", acts[0].cause);
    w.fleet.boot_all();
    w.pass().await;
    let out = w
        .svc
        .describe_auto_scaling_instances(&w.ctx(), DescribeAutoScalingInstancesType::default())
        .await
        .expect("instances")
        .auto_scaling_instances
        .unwrap();
    assert_eq!(out.len(), 2);
    for i in &out {
        assert_eq!(
            (
                i.auto_scaling_group_name.as_str(),
                i.lifecycle_state.as_str(),
                i.health_status.as_str()
            ),
            ("web", "InService", "HEALTHY")
        );
        assert_eq!(
            i.launch_template
                .as_ref()
                .and_then(|t| t.launch_template_id.clone())
                .as_deref(),
            Some("lt-0001")
        );
    }
    let one = w
        .svc
        .describe_auto_scaling_instances(
            &w.ctx(),
            DescribeAutoScalingInstancesType {
                max_records: Some(1),
                ..Default::default()
            },
        )
        .await
        .expect("page");
    assert_eq!(one.auto_scaling_instances.unwrap().len(), 1);
    assert!(one.next_token.is_some());
}

#[tokio::test]
async fn standby_and_detach() {
    let w = World::new();
    w.group("web", 1, 3, 2, |g| {
        g.target_group_ar_ns = Some(vec![TG.into()])
    })
    .await;
    w.pass().await;
    w.fleet.boot_all();
    w.pass().await;
    let ids: Vec<String> = w
        .instances("web")
        .await
        .iter()
        .map(|i| i.instance_id.clone())
        .collect();
    let e = w
        .svc
        .enter_standby(
            &w.ctx(),
            EnterStandbyQuery {
                instance_ids: Some(ids.clone()),
                auto_scaling_group_name: "web".into(),
                should_decrement_desired_capacity: true,
            },
        )
        .await
        .expect_err("below min");
    assert_eq!(e.message, "AutoScalingGroup web has min-size=1, max-size=3, and desired-size=2. To place into standby 2 instances, please update the AutoScalingGroup sizes appropriately.");
    let out = w
        .svc
        .enter_standby(
            &w.ctx(),
            EnterStandbyQuery {
                instance_ids: Some(vec![ids[0].clone()]),
                auto_scaling_group_name: "web".into(),
                should_decrement_desired_capacity: true,
            },
        )
        .await
        .expect("standby")
        .activities
        .unwrap();
    assert_eq!(
        out[0].description.as_deref(),
        Some(format!("Moving EC2 instance to Standby: {}", ids[0]).as_str())
    );
    assert_eq!(out[0].cause, format!("At 2026-12-07T10:00:00Z instance {} was moved to standby in response to a user request, shrinking the capacity from 2 to 1.", ids[0]));
    assert!(w
        .tgs
        .deregistered
        .lock()
        .unwrap()
        .contains(&(TG.to_string(), ids[0].clone())));
    w.pass().await;
    let list = w.instances("web").await;
    assert_eq!(
        list.len(),
        2,
        "no replacement: the desired capacity went down"
    );
    assert_eq!(
        list.iter()
            .find(|i| i.instance_id == ids[0])
            .unwrap()
            .lifecycle_state,
        "Standby"
    );
    // Back in service: Pending, then InService and registered again.
    w.svc
        .exit_standby(
            &w.ctx(),
            ExitStandbyQuery {
                instance_ids: Some(vec![ids[0].clone()]),
                auto_scaling_group_name: "web".into(),
            },
        )
        .await
        .expect("exit");
    assert_eq!(w.describe("web").await.desired_capacity, 2);
    w.pass().await;
    let i = w
        .instances("web")
        .await
        .into_iter()
        .find(|i| i.instance_id == ids[0])
        .unwrap();
    assert_eq!(i.lifecycle_state, "InService");
    assert!(w
        .tgs
        .registered
        .lock()
        .unwrap()
        .contains(&(TG.to_string(), ids[0].clone())));
    // Detached without decrementing: it keeps running, and a replacement launches.
    w.svc
        .detach_instances(
            &w.ctx(),
            DetachInstancesQuery {
                instance_ids: Some(vec![ids[1].clone()]),
                auto_scaling_group_name: "web".into(),
                should_decrement_desired_capacity: false,
            },
        )
        .await
        .expect("detach");
    w.pass().await;
    let list = w.instances("web").await;
    assert_eq!(list.len(), 2);
    assert!(!list.iter().any(|i| i.instance_id == ids[1]));
    assert!(!w.fleet.terminated.lock().unwrap().contains(&ids[1]));
    let e = w
        .svc
        .exit_standby(
            &w.ctx(),
            ExitStandbyQuery {
                instance_ids: Some(vec![ids[0].clone()]),
                auto_scaling_group_name: "web".into(),
            },
        )
        .await
        .expect_err("not in standby");
    assert_eq!(
        e.message,
        format!("The instance {} is not in Standby.", ids[0])
    );
}
