//! Scaling policies and scheduled actions through the handlers and `on_alarm`, with fake
//! alarms and a manual clock: validation, simple scaling with cooldowns, step selection,
//! target tracking's owned alarms and proportional scaling, ExecutePolicy, the causes'
//! wording, scheduled actions by the clock, and everything surviving a reload.

mod common;

use common::*;
use nimbus_store::Store;
use svc_autoscaling::generated::*;

fn simple(
    group: &str,
    name: &str,
    kind: &str,
    adj: i32,
    cooldown: Option<i32>,
) -> PutScalingPolicyType {
    PutScalingPolicyType {
        auto_scaling_group_name: group.into(),
        policy_name: name.into(),
        adjustment_type: Some(kind.into()),
        scaling_adjustment: Some(adj),
        cooldown,
        ..Default::default()
    }
}

fn cpu_tracking(group: &str, target: f64, disable_scale_in: bool) -> PutScalingPolicyType {
    PutScalingPolicyType {
        auto_scaling_group_name: group.into(),
        policy_name: "cpu40".into(),
        policy_type: Some("TargetTrackingScaling".into()),
        target_tracking_configuration: Some(TargetTrackingConfiguration {
            predefined_metric_specification: Some(PredefinedMetricSpecification {
                predefined_metric_type: "ASGAverageCPUUtilization".into(),
                resource_label: None,
            }),
            target_value: target,
            disable_scale_in: Some(disable_scale_in),
            ..Default::default()
        }),
        ..Default::default()
    }
}

async fn desired(w: &World, name: &str) -> i32 {
    w.describe(name).await.desired_capacity
}

#[tokio::test]
async fn simple_scaling_by_alarm_honours_its_cooldown() {
    let w = World::new();
    w.group("web", 1, 5, 1, |_| {}).await;
    let arn = w
        .svc
        .put_scaling_policy(
            &w.ctx(),
            simple("web", "out", "ChangeInCapacity", 2, Some(120)),
        )
        .await
        .expect("put")
        .policy_arn
        .expect("arn");
    assert!(arn.starts_with("arn:aws:autoscaling:us-east-1:000000000000:scalingPolicy:"));
    assert!(arn.ends_with(":autoScalingGroupName/web:policyName/out"));
    w.advance(60);
    let r = w
        .svc
        .on_alarm(&arn, "cpu-high", "ALARM", Some(90.0), Some(70.0))
        .await
        .expect("alarm");
    assert_eq!(r, Some((1, 3)));
    // Inside the 120 s cooldown the alarm is ignored; OK states never act.
    w.advance(60);
    assert_eq!(
        w.svc
            .on_alarm(&arn, "cpu-high", "ALARM", None, None)
            .await
            .expect("alarm"),
        None
    );
    assert_eq!(
        w.svc
            .on_alarm(&arn, "cpu-high", "OK", None, None)
            .await
            .expect("ok"),
        None
    );
    w.advance(61);
    assert_eq!(
        w.svc
            .on_alarm(&arn, "cpu-high", "ALARM", None, None)
            .await
            .expect("alarm"),
        Some((3, 5))
    );
    // Clamped at max: nothing to do.
    w.advance(200);
    assert_eq!(
        w.svc
            .on_alarm(&arn, "cpu-high", "ALARM", None, None)
            .await
            .expect("alarm"),
        None
    );
    assert_eq!(desired(&w, "web").await, 5);
    w.pass().await;
    let acts = w.activities("web").await;
    assert!(acts.iter().any(|a| a.cause.starts_with(
        "At 2026-12-07T10:03:01Z a monitor alarm cpu-high in state ALARM triggered policy out changing the desired capacity from 3 to 5.  At "
    )), "{:?}", acts.iter().map(|a| &a.cause).collect::<Vec<_>>());
    // The alarm that ran it is listed on the policy.
    let p = w
        .svc
        .describe_policies(
            &w.ctx(),
            DescribePoliciesType {
                auto_scaling_group_name: Some("web".into()),
                ..Default::default()
            },
        )
        .await
        .expect("describe");
    let alarms = p.scaling_policies.unwrap()[0].alarms.clone().unwrap();
    assert_eq!(alarms[0].alarm_name.as_deref(), Some("cpu-high"));
    // A suspended AlarmNotification process ignores alarms.
    w.svc
        .suspend_processes(
            &w.ctx(),
            ScalingProcessQuery {
                auto_scaling_group_name: "web".into(),
                scaling_processes: Some(vec!["AlarmNotification".into()]),
            },
        )
        .await
        .expect("suspend");
    let down = w
        .svc
        .put_scaling_policy(&w.ctx(), simple("web", "in", "ExactCapacity", 1, None))
        .await
        .expect("put")
        .policy_arn
        .unwrap();
    w.advance(400);
    assert_eq!(
        w.svc
            .on_alarm(&down, "cpu-low", "ALARM", None, None)
            .await
            .expect("alarm"),
        None
    );
}

#[tokio::test]
async fn percent_change_with_min_magnitude_and_execute_policy() {
    let w = World::new();
    w.group("web", 1, 20, 4, |_| {}).await;
    let mut p = simple("web", "pct", "PercentChangeInCapacity", 10, Some(0));
    p.min_adjustment_magnitude = Some(2);
    w.svc.put_scaling_policy(&w.ctx(), p).await.expect("put");
    // 10 % of 4 = 0.4 → 1, raised to the minimum magnitude of 2.
    w.svc
        .execute_policy(
            &w.ctx(),
            ExecutePolicyType {
                auto_scaling_group_name: Some("web".into()),
                policy_name: "pct".into(),
                ..Default::default()
            },
        )
        .await
        .expect("execute");
    assert_eq!(desired(&w, "web").await, 6);
    w.pass().await;
    let acts = w.activities("web").await;
    assert!(acts[0].cause.starts_with("At 2026-12-07T10:00:00Z a user request executed policy pct changing the desired capacity from 4 to 6."));

    // MinAdjustmentMagnitude needs PercentChangeInCapacity.
    let mut bad = simple("web", "bad", "ChangeInCapacity", 1, None);
    bad.min_adjustment_magnitude = Some(2);
    let e = w
        .svc
        .put_scaling_policy(&w.ctx(), bad)
        .await
        .expect_err("refused");
    assert_eq!(e.code, "ValidationError");

    // HonorCooldown refuses during the group's cooldown.
    let cooled = w
        .svc
        .put_scaling_policy(
            &w.ctx(),
            simple("web", "c", "ChangeInCapacity", 1, Some(300)),
        )
        .await;
    assert!(cooled.is_ok());
    w.svc
        .execute_policy(
            &w.ctx(),
            ExecutePolicyType {
                auto_scaling_group_name: Some("web".into()),
                policy_name: "c".into(),
                ..Default::default()
            },
        )
        .await
        .expect("first");
    let e = w
        .svc
        .execute_policy(
            &w.ctx(),
            ExecutePolicyType {
                auto_scaling_group_name: Some("web".into()),
                policy_name: "c".into(),
                honor_cooldown: Some(true),
                ..Default::default()
            },
        )
        .await
        .expect_err("cooldown");
    assert_eq!(e.code, "ScalingActivityInProgress");
    let e = w
        .svc
        .execute_policy(
            &w.ctx(),
            ExecutePolicyType {
                auto_scaling_group_name: Some("web".into()),
                policy_name: "nope".into(),
                ..Default::default()
            },
        )
        .await
        .expect_err("unknown");
    assert_eq!(e.code, "ValidationError");
}

#[tokio::test]
async fn step_scaling_picks_the_step_by_breach() {
    let w = World::new();
    w.group("web", 1, 10, 2, |_| {}).await;
    let step = |l: Option<f64>, u: Option<f64>, a: i32| StepAdjustment {
        metric_interval_lower_bound: l,
        metric_interval_upper_bound: u,
        scaling_adjustment: a,
    };
    let put = |steps: Vec<StepAdjustment>| PutScalingPolicyType {
        auto_scaling_group_name: "web".into(),
        policy_name: "steps".into(),
        policy_type: Some("StepScaling".into()),
        adjustment_type: Some("ChangeInCapacity".into()),
        step_adjustments: Some(steps),
        ..Default::default()
    };
    let e = w
        .svc
        .put_scaling_policy(
            &w.ctx(),
            put(vec![
                step(Some(0.0), Some(20.0), 1),
                step(Some(10.0), None, 3),
            ]),
        )
        .await
        .expect_err("overlap");
    assert_eq!(
        (e.code.as_ref(), e.message.as_str()),
        ("ValidationError", "Step adjustments must not overlap.")
    );
    let arn = w
        .svc
        .put_scaling_policy(
            &w.ctx(),
            put(vec![
                step(Some(0.0), Some(10.0), 1),
                step(Some(10.0), Some(20.0), 2),
                step(Some(20.0), None, 3),
            ]),
        )
        .await
        .expect("put")
        .policy_arn
        .unwrap();
    // Threshold 60, value 75: breach 15 → +2. Step scaling has no cooldown.
    assert_eq!(
        w.svc
            .on_alarm(&arn, "hi", "ALARM", Some(75.0), Some(60.0))
            .await
            .expect("a"),
        Some((2, 4))
    );
    assert_eq!(
        w.svc
            .on_alarm(&arn, "hi", "ALARM", Some(95.0), Some(60.0))
            .await
            .expect("b"),
        Some((4, 7))
    );
    let e = w
        .svc
        .execute_policy(
            &w.ctx(),
            ExecutePolicyType {
                auto_scaling_group_name: Some("web".into()),
                policy_name: "steps".into(),
                ..Default::default()
            },
        )
        .await
        .expect_err("needs metric value and threshold");
    assert_eq!(e.code, "ValidationError");
    w.svc
        .execute_policy(
            &w.ctx(),
            ExecutePolicyType {
                auto_scaling_group_name: Some("web".into()),
                policy_name: arn.clone(),
                metric_value: Some(61.0),
                breach_threshold: Some(60.0),
                ..Default::default()
            },
        )
        .await
        .expect("by ARN");
    assert_eq!(desired(&w, "web").await, 8);
}

#[tokio::test]
async fn target_tracking_owns_its_alarms_and_scales_proportionally() {
    let w = World::new();
    w.group("web", 1, 3, 1, |_| {}).await;
    let out = w
        .svc
        .put_scaling_policy(&w.ctx(), cpu_tracking("web", 40.0, false))
        .await
        .expect("put");
    let arn = out.policy_arn.unwrap();
    let alarms = out.alarms.unwrap();
    assert_eq!(alarms.len(), 2);
    let high = alarms[0].alarm_name.clone().unwrap();
    let low = alarms[1].alarm_name.clone().unwrap();
    assert!(high.starts_with("TargetTracking-web-AlarmHigh-"), "{high}");
    assert!(low.starts_with("TargetTracking-web-AlarmLow-"), "{low}");
    assert_eq!(
        alarms[0].alarm_arn.as_deref(),
        Some(format!("arn:aws:cloudwatch:us-east-1:000000000000:alarm:{high}").as_str())
    );
    {
        let stored = w.alarms.alarms.lock().unwrap();
        let h = &stored[&high];
        assert_eq!((h.evaluation_periods, h.period, h.threshold), (3, 60, 40.0));
        assert_eq!(h.actions, vec![arn.clone()]);
        let l = &stored[&low];
        assert_eq!(
            (l.evaluation_periods, l.comparison.as_str()),
            (15, "LessThanThreshold")
        );
        assert!((l.threshold - 36.0).abs() < 1e-9);
    }
    w.pass().await;
    w.fleet.boot_all();
    w.pass().await;
    // 1 instance at 100 % CPU for a 40 % target: ceil(2.5) = 3.
    assert_eq!(
        w.svc
            .on_alarm(&arn, &high, "ALARM", Some(100.0), Some(40.0))
            .await
            .expect("high"),
        Some((1, 3))
    );
    w.pass().await;
    let acts = w.activities("web").await;
    let by_alarm: Vec<&Activity> = acts
        .iter()
        .filter(|a| a.cause.starts_with(&format!(
            "At 2026-12-07T10:00:00Z a monitor alarm {high} in state ALARM triggered policy cpu40 changing the desired capacity from 1 to 3.  At 2026-12-07T10:00:00Z an instance was started in response to a difference between desired and actual capacity, increasing the capacity from "
        )))
        .collect();
    assert_eq!((acts.len(), by_alarm.len()), (3, 2));
    // AlarmLow does nothing while the new instances warm up (the default cooldown, 300 s,
    // without a warmup of the policy's or the group's) ...
    w.fleet.boot_all();
    w.pass().await;
    assert_eq!(
        w.svc
            .on_alarm(&arn, &low, "ALARM", Some(5.0), Some(36.0))
            .await
            .expect("low while warming up"),
        None
    );
    w.advance(299);
    w.pass().await;
    assert_eq!(
        w.svc
            .on_alarm(&arn, &low, "ALARM", Some(5.0), Some(36.0))
            .await
            .expect("low while warming up"),
        None
    );
    // ... and scales back in once they have.
    w.advance(1);
    w.pass().await;
    assert_eq!(
        w.svc
            .on_alarm(&arn, &low, "ALARM", Some(5.0), Some(36.0))
            .await
            .expect("low"),
        Some((3, 1))
    );
    // Re-putting keeps the alarm names; disabling scale-in drops AlarmLow.
    let again = w
        .svc
        .put_scaling_policy(&w.ctx(), cpu_tracking("web", 50.0, true))
        .await
        .expect("update");
    assert_eq!(again.policy_arn.as_deref(), Some(arn.as_str()));
    let names: Vec<String> = again
        .alarms
        .unwrap()
        .into_iter()
        .filter_map(|a| a.alarm_name)
        .collect();
    assert_eq!(names, vec![high.clone()]);
    assert!(!w.alarms.alarms.lock().unwrap().contains_key(&low));
    assert_eq!(w.alarms.alarms.lock().unwrap()[&high].threshold, 50.0);
    assert_eq!(
        w.svc
            .on_alarm(&arn, &low, "ALARM", Some(5.0), Some(45.0))
            .await
            .expect("low"),
        None
    );
    let e = w
        .svc
        .execute_policy(
            &w.ctx(),
            ExecutePolicyType {
                auto_scaling_group_name: Some("web".into()),
                policy_name: "cpu40".into(),
                ..Default::default()
            },
        )
        .await
        .expect_err("not for target tracking");
    assert_eq!(e.code, "ValidationError");
    // Deleting the policy deletes its alarms.
    w.svc
        .delete_policy(
            &w.ctx(),
            DeletePolicyType {
                auto_scaling_group_name: Some("web".into()),
                policy_name: "cpu40".into(),
            },
        )
        .await
        .expect("delete");
    assert!(w.alarms.alarms.lock().unwrap().is_empty());
}

#[tokio::test]
async fn target_tracking_validation() {
    let w = World::new();
    w.group("web", 1, 3, 1, |_| {}).await;
    let mut alb = cpu_tracking("web", 1000.0, false);
    let spec = alb.target_tracking_configuration.as_mut().unwrap();
    spec.predefined_metric_specification
        .as_mut()
        .unwrap()
        .predefined_metric_type = "ALBRequestCountPerTarget".into();
    let e = w
        .svc
        .put_scaling_policy(&w.ctx(), alb.clone())
        .await
        .expect_err("label needed");
    assert_eq!(e.code, "ValidationError");
    let spec = alb.target_tracking_configuration.as_mut().unwrap();
    spec.predefined_metric_specification
        .as_mut()
        .unwrap()
        .resource_label = Some("app/my-alb/1/targetgroup/tg/2".into());
    let ok = w
        .svc
        .put_scaling_policy(&w.ctx(), alb)
        .await
        .expect("with label");
    assert_eq!(ok.alarms.unwrap().len(), 2);
    let mut custom = cpu_tracking("web", 10.0, false);
    custom.policy_name = "queue".into();
    let spec = custom.target_tracking_configuration.as_mut().unwrap();
    spec.predefined_metric_specification = None;
    spec.customized_metric_specification = Some(CustomizedMetricSpecification {
        metric_name: Some("Backlog".into()),
        namespace: Some("MyApp".into()),
        statistic: Some("Average".into()),
        dimensions: Some(vec![MetricDimension {
            name: "Queue".into(),
            value: "jobs".into(),
        }]),
        ..Default::default()
    });
    w.svc
        .put_scaling_policy(&w.ctx(), custom)
        .await
        .expect("customized");
    let custom_dims = {
        let stored = w.alarms.alarms.lock().unwrap();
        stored
            .values()
            .find(|a| a.namespace == "MyApp")
            .expect("custom alarm")
            .dimensions
            .clone()
    };
    assert_eq!(custom_dims, vec![("Queue".to_string(), "jobs".to_string())]);
    let mut both = cpu_tracking("web", 10.0, false);
    both.target_tracking_configuration
        .as_mut()
        .unwrap()
        .customized_metric_specification = Some(CustomizedMetricSpecification::default());
    assert_eq!(
        w.svc
            .put_scaling_policy(&w.ctx(), both)
            .await
            .expect_err("both")
            .code,
        "ValidationError"
    );
    // Deleting the group deletes its policies and their alarms.
    w.svc
        .delete_auto_scaling_group(
            &w.ctx(),
            DeleteAutoScalingGroupType {
                auto_scaling_group_name: "web".into(),
                force_delete: Some(true),
            },
        )
        .await
        .expect("delete group");
    assert!(w.alarms.alarms.lock().unwrap().is_empty());
}

#[tokio::test]
async fn scheduled_actions_run_by_the_clock() {
    let w = World::new();
    w.group("web", 1, 3, 1, |_| {}).await;
    let at = |s: i64| Some(nimbus_core::Timestamp::from_secs(T0 + s));
    w.svc
        .put_scheduled_update_group_action(
            &w.ctx(),
            PutScheduledUpdateGroupActionType {
                auto_scaling_group_name: "web".into(),
                scheduled_action_name: "morning".into(),
                start_time: at(600),
                min_size: Some(2),
                max_size: Some(6),
                desired_capacity: Some(4),
                ..Default::default()
            },
        )
        .await
        .expect("one-off");
    w.svc
        .put_scheduled_update_group_action(
            &w.ctx(),
            PutScheduledUpdateGroupActionType {
                auto_scaling_group_name: "web".into(),
                scheduled_action_name: "hourly".into(),
                recurrence: Some("30 * * * *".into()),
                desired_capacity: Some(3),
                ..Default::default()
            },
        )
        .await
        .expect("recurring");
    let e = w
        .svc
        .put_scheduled_update_group_action(
            &w.ctx(),
            PutScheduledUpdateGroupActionType {
                auto_scaling_group_name: "web".into(),
                scheduled_action_name: "past".into(),
                start_time: at(-60),
                desired_capacity: Some(1),
                ..Default::default()
            },
        )
        .await
        .expect_err("past");
    assert_eq!(
        e.message,
        "Given start time 2026-12-07T09:59:00Z is in the past"
    );
    let e = w
        .svc
        .put_scheduled_update_group_action(
            &w.ctx(),
            PutScheduledUpdateGroupActionType {
                auto_scaling_group_name: "web".into(),
                scheduled_action_name: "bad".into(),
                recurrence: Some("61 * * * *".into()),
                desired_capacity: Some(1),
                ..Default::default()
            },
        )
        .await
        .expect_err("bad cron");
    assert_eq!(e.code, "ValidationError");
    let listed = w
        .svc
        .describe_scheduled_actions(
            &w.ctx(),
            DescribeScheduledActionsType {
                auto_scaling_group_name: Some("web".into()),
                ..Default::default()
            },
        )
        .await
        .expect("describe")
        .scheduled_update_group_actions
        .unwrap();
    assert_eq!(listed.len(), 2);
    let hourly = listed
        .iter()
        .find(|a| a.scheduled_action_name.as_deref() == Some("hourly"))
        .unwrap();
    assert_eq!(hourly.start_time, at(1800));

    w.advance(599);
    w.pass().await;
    assert_eq!(desired(&w, "web").await, 1);
    w.advance(1);
    w.pass().await;
    let g = w.describe("web").await;
    assert_eq!((g.min_size, g.max_size, g.desired_capacity), (2, 6, 4));
    let acts = w.activities("web").await;
    assert!(acts[0].cause.starts_with("At 2026-12-07T10:10:00Z a scheduled action update of AutoScalingGroup constraints to min: 2, max: 6, desired: 4 changing the desired capacity from 1 to 4."), "{}", acts[0].cause);
    // The one-off action is gone; the recurring one runs at :30 and moves to the next hour.
    w.advance(1200);
    w.pass().await;
    assert_eq!(desired(&w, "web").await, 3);
    let listed = w
        .svc
        .describe_scheduled_actions(&w.ctx(), DescribeScheduledActionsType::default())
        .await
        .expect("describe")
        .scheduled_update_group_actions
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].start_time, at(1800 + 3600));
    w.svc
        .delete_scheduled_action(
            &w.ctx(),
            DeleteScheduledActionType {
                auto_scaling_group_name: "web".into(),
                scheduled_action_name: "hourly".into(),
            },
        )
        .await
        .expect("delete");
    assert_eq!(
        w.svc
            .delete_scheduled_action(
                &w.ctx(),
                DeleteScheduledActionType {
                    auto_scaling_group_name: "web".into(),
                    scheduled_action_name: "hourly".into()
                }
            )
            .await
            .expect_err("gone")
            .code,
        "ValidationError"
    );
}

#[tokio::test]
async fn everything_survives_a_reload() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open_dir(dir.path()).expect("store");
    let w = World::over(store.clone());
    w.svc
        .create_launch_configuration(
            &w.ctx(),
            CreateLaunchConfigurationType {
                launch_configuration_name: "lc".into(),
                image_id: Some("ami-12345678".into()),
                instance_type: Some("t3.small".into()),
                ..Default::default()
            },
        )
        .await
        .expect("lc");
    w.group("web", 1, 3, 2, |g| {
        g.target_group_ar_ns = Some(vec![TG.into()])
    })
    .await;
    w.pass().await;
    w.svc
        .put_scaling_policy(&w.ctx(), cpu_tracking("web", 40.0, false))
        .await
        .expect("policy");
    let before = w.describe("web").await;
    let acts_before = w.activities("web").await;
    drop(w);
    store.shutdown();
    drop(store);

    let store = Store::open_dir(dir.path()).expect("reopen");
    let w = World::over(store.clone());
    assert_eq!(w.describe("web").await, before);
    assert_eq!(w.activities("web").await, acts_before);
    let pols = w
        .svc
        .describe_policies(&w.ctx(), DescribePoliciesType::default())
        .await
        .expect("policies")
        .scaling_policies
        .unwrap();
    assert_eq!(pols.len(), 1);
    assert_eq!(pols[0].alarms.as_ref().map(Vec::len), Some(2));
    let lcs = w
        .svc
        .describe_launch_configurations(&w.ctx(), LaunchConfigurationNamesType::default())
        .await
        .expect("lcs");
    assert_eq!(lcs.launch_configurations[0].instance_type, "t3.small");
    store.shutdown();
}
