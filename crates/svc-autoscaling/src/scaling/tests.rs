//! Policy math against the AWS user guide's examples.

use super::*;
use crate::model::{StepRec, TargetTrackingRec, TrackedMetric};

fn step(lower: Option<f64>, upper: Option<f64>, adjustment: i32) -> StepRec {
    StepRec {
        lower,
        upper,
        adjustment,
    }
}

#[test]
fn percent_change_rounds_as_aws_documents() {
    // "values greater than 1 are rounded down: 12.7 → 12"
    assert_eq!(percent_change(127, 10), 12);
    // "values between 0 and 1 are rounded to 1: 0.67 → 1"
    assert_eq!(percent_change(2, 33), 1);
    // "values between 0 and -1 are rounded to -1: -0.58 → -1"
    assert_eq!(percent_change(2, -29), -1);
    // "values less than -1 are rounded up: -6.67 → -6"
    assert_eq!(percent_change(667, -1), -6);
    assert_eq!(percent_change(0, 50), 0);
    assert_eq!(percent_change(4, 50), 2);
}

#[test]
fn adjustment_types_and_min_magnitude() {
    assert_eq!(adjusted(3, "ChangeInCapacity", 2, None), 5);
    assert_eq!(adjusted(3, "ChangeInCapacity", -1, None), 2);
    assert_eq!(adjusted(3, "ExactCapacity", 7, None), 7);
    // 25 % of 4 is 1; a minimum magnitude of 2 raises it to 2.
    assert_eq!(adjusted(4, "PercentChangeInCapacity", 25, Some(2)), 6);
    assert_eq!(adjusted(4, "PercentChangeInCapacity", -25, Some(2)), 2);
    // A change already larger than the magnitude is left alone.
    assert_eq!(adjusted(10, "PercentChangeInCapacity", 50, Some(2)), 15);
    // Clamped to the group's limits.
    assert_eq!(new_capacity(3, 1, 4, "ChangeInCapacity", 5, None), 4);
    assert_eq!(new_capacity(3, 2, 4, "ChangeInCapacity", -5, None), 2);
    assert_eq!(new_capacity(3, 0, 10, "ExactCapacity", 12, None), 10);
}

#[test]
fn step_adjustments_validate_and_select() {
    // The user guide's example: 0–10 → +1, 10–20 → +2, 20+ → +3.
    let steps = vec![
        step(Some(0.0), Some(10.0), 1),
        step(Some(10.0), Some(20.0), 2),
        step(Some(20.0), None, 3),
    ];
    assert!(check_steps(&steps).is_ok());
    assert_eq!(select_step(&steps, 0.0).map(|s| s.adjustment), Some(1));
    assert_eq!(select_step(&steps, 9.99).map(|s| s.adjustment), Some(1));
    assert_eq!(select_step(&steps, 10.0).map(|s| s.adjustment), Some(2));
    assert_eq!(select_step(&steps, 250.0).map(|s| s.adjustment), Some(3));
    assert_eq!(select_step(&steps, -1.0), None);
    // Scale-in steps below the threshold: upper bound inclusive.
    let down = vec![
        step(Some(-10.0), Some(0.0), -1),
        step(None, Some(-10.0), -2),
    ];
    assert!(check_steps(&down).is_ok());
    assert_eq!(select_step(&down, -10.0).map(|s| s.adjustment), Some(-2));
    assert_eq!(select_step(&down, -0.5).map(|s| s.adjustment), Some(-1));

    let overlap = vec![step(Some(0.0), Some(15.0), 1), step(Some(10.0), None, 2)];
    assert_eq!(
        check_steps(&overlap),
        Err("Step adjustments must not overlap.".into())
    );
    let gap = vec![step(Some(0.0), Some(10.0), 1), step(Some(20.0), None, 2)];
    assert_eq!(
        check_steps(&gap),
        Err("Step adjustments must not have gaps between them.".into())
    );
    let two_open = vec![step(Some(0.0), None, 1), step(Some(10.0), None, 2)];
    assert!(check_steps(&two_open).is_err());
    assert!(check_steps(&[]).is_err());
    assert!(check_steps(&[step(Some(5.0), Some(5.0), 1)]).is_err());
}

#[test]
fn target_tracking_capacity_is_proportional() {
    // 2 instances at 80 % for a target of 40 → 4.
    assert_eq!(tracking_capacity(2, Some(80.0), 40.0, true), 4);
    // Barely above: at least one more.
    assert_eq!(tracking_capacity(2, Some(41.0), 40.0, true), 3);
    // 4 instances at 10 % for 40 → 1.
    assert_eq!(tracking_capacity(4, Some(10.0), 40.0, false), 1);
    // Barely below: one fewer.
    assert_eq!(tracking_capacity(4, Some(35.0), 40.0, false), 3);
    assert_eq!(tracking_capacity(1, None, 40.0, true), 2);
}

#[test]
fn target_tracking_alarms_have_aws_shapes() {
    let t = TargetTrackingRec {
        metric: TrackedMetric::Predefined {
            kind: "ASGAverageCPUUtilization".into(),
            label: None,
        },
        target: 40.0,
        disable_scale_in: false,
    };
    let arn = "arn:aws:autoscaling:us-east-1:000000000000:scalingPolicy:u:autoScalingGroupName/web:policyName/cpu40";
    let alarms = tracking_alarms("web", arn, &t, ("aaaa", "bbbb"));
    assert_eq!(alarms.len(), 2);
    let high = &alarms[0];
    assert_eq!(high.name, "TargetTracking-web-AlarmHigh-aaaa");
    assert_eq!(
        (high.namespace.as_str(), high.metric_name.as_str()),
        ("AWS/EC2", "CPUUtilization")
    );
    assert_eq!(
        high.dimensions,
        vec![("AutoScalingGroupName".to_string(), "web".to_string())]
    );
    assert_eq!(high.statistic, "Average");
    assert_eq!(
        (
            high.period,
            high.evaluation_periods,
            high.datapoints_to_alarm
        ),
        (60, 3, 3)
    );
    assert_eq!(high.threshold, 40.0);
    assert_eq!(high.comparison, "GreaterThanThreshold");
    assert_eq!(high.actions, vec![arn.to_string()]);
    let low = &alarms[1];
    assert_eq!(low.name, "TargetTracking-web-AlarmLow-bbbb");
    assert_eq!(
        (low.period, low.evaluation_periods, low.datapoints_to_alarm),
        (60, 15, 15)
    );
    assert!((low.threshold - 36.0).abs() < 1e-9);
    assert_eq!(low.comparison, "LessThanThreshold");

    let no_in = TargetTrackingRec {
        disable_scale_in: true,
        ..t
    };
    assert_eq!(tracking_alarms("web", arn, &no_in, ("a", "b")).len(), 1);

    let alb = TargetTrackingRec {
        metric: TrackedMetric::Predefined {
            kind: "ALBRequestCountPerTarget".into(),
            label: Some("app/my-alb/778d41231b141a0f/targetgroup/my-tg/943f017f100becff".into()),
        },
        target: 1000.0,
        disable_scale_in: false,
    };
    let a = &tracking_alarms("web", arn, &alb, ("a", "b"))[0];
    assert_eq!(
        (
            a.namespace.as_str(),
            a.metric_name.as_str(),
            a.statistic.as_str()
        ),
        ("AWS/ApplicationELB", "RequestCountPerTarget", "Sum")
    );
    assert_eq!(
        a.dimensions,
        vec![(
            "TargetGroup".to_string(),
            "targetgroup/my-tg/943f017f100becff".to_string()
        )]
    );
}

#[test]
fn resource_labels() {
    assert!(
        check_resource_label("app/my-alb/778d41231b141a0f/targetgroup/my-tg/943f017f100becff")
            .is_ok()
    );
    assert!(check_resource_label("app/my-alb/778d41231b141a0f").is_err());
    assert!(check_resource_label("net/x/1/targetgroup/y/2").is_err());
}
