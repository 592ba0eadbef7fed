//! What CloudWatch's generated `Router` asks the authorizer (from
//! `codegen/authorization/cloudwatch.json`) and how a refusal looks: `AccessDenied`, the
//! query code botocore reports for this query-compatible service on every protocol.

use nimbus_core::{ManualClock, Timestamp};
use nimbus_store::Store;
use nimbus_wire::convert::IntoValue;
use nimbus_wire::testing::{context, poll_once, DenyAndRecord};
use nimbus_wire::Protocol;
use std::sync::Arc;
use svc_cloudwatch::generated::*;

#[test]
fn put_metric_data_is_scoped_by_namespace_and_refused_before_storing() {
    let svc = svc_cloudwatch::service(Store::in_memory(), Arc::new(ManualClock::new(Timestamp(0))))
        .unwrap();
    let authz = DenyAndRecord::default();
    let op = MODEL.operation("PutMetricData").unwrap();
    let input = PutMetricDataInput {
        namespace: "MyApp".into(),
        ..Default::default()
    };
    for protocol in [Protocol::RpcV2Cbor, Protocol::Json, Protocol::Query] {
        let err = poll_once(svc.call(
            &context(),
            &authz,
            protocol,
            op,
            Some(input.clone().into_value()),
        ))
        .unwrap_err();
        assert_eq!((err.code.as_ref(), err.status), ("AccessDenied", 403));
    }
    let seen = authz.asked();
    assert_eq!(seen.len(), 3);
    assert_eq!(seen[0].action, "cloudwatch:PutMetricData");
    assert_eq!(seen[0].resources, ["*"]);
    assert_eq!(
        seen[0].conditions,
        [("cloudwatch:namespace".into(), vec!["MyApp".to_string()])]
    );
}

#[test]
fn reads_need_their_own_actions_on_star() {
    let ctx = context();
    let l = access::list_metrics(&ctx, &Default::default());
    assert_eq!(
        (l[0].action, l[0].resources.as_slice()),
        ("cloudwatch:ListMetrics", &["*".to_string()][..])
    );
    let g = access::get_metric_statistics(&ctx, &Default::default());
    assert_eq!(g[0].action, "cloudwatch:GetMetricStatistics");
}

#[test]
fn alarms_and_dashboards_name_their_resources() {
    let ctx = context();
    let put = access::put_metric_alarm(
        &ctx,
        &PutMetricAlarmInput {
            alarm_name: "cpu-high".into(),
            tags: Some(vec![Tag {
                key: "team".into(),
                value: "web".into(),
            }]),
            ..Default::default()
        },
    );
    let arn = format!(
        "arn:aws:cloudwatch:{}:{}:alarm:cpu-high",
        ctx.region,
        ctx.account_id()
    );
    assert_eq!(put[0].action, "cloudwatch:PutMetricAlarm");
    assert_eq!(put[0].resources, std::slice::from_ref(&arn));
    assert!(put[0]
        .conditions
        .contains(&("aws:RequestTag/team".into(), vec!["web".to_string()])));
    assert_eq!(put[1].action, "cloudwatch:TagResource");
    let del = access::delete_alarms(
        &ctx,
        &DeleteAlarmsInput {
            alarm_names: vec!["a".into(), "b".into()],
        },
    );
    assert_eq!(del[0].resources.len(), 2);
    let dash = access::get_dashboard(
        &ctx,
        &GetDashboardInput {
            dashboard_name: "lab".into(),
        },
    );
    assert_eq!(
        dash[0].resources,
        [format!(
            "arn:aws:cloudwatch::{}:dashboard/lab",
            ctx.account_id()
        )]
    );
    let state = access::set_alarm_state(
        &ctx,
        &SetAlarmStateInput {
            alarm_name: "cpu-high".into(),
            ..Default::default()
        },
    );
    assert_eq!(
        (state[0].action, state[0].resources.as_slice()),
        ("cloudwatch:SetAlarmState", &[arn][..])
    );
}
