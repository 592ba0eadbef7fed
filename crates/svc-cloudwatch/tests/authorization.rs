//! What CloudWatch's generated `Router` asks the authorizer (from
//! `codegen/authorization/cloudwatch.json`) and how a refusal looks: `AccessDenied`, the
//! query code botocore reports for this query-compatible service on every protocol.

use nimbus_core::{Access, Authorizer, Denial, ManualClock, Principal, RequestContext, Timestamp};
use nimbus_store::Store;
use nimbus_wire::convert::IntoValue;
use nimbus_wire::Protocol;
use std::future::Future;
use std::pin::pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use svc_cloudwatch::generated::*;

#[derive(Default)]
struct DenyAndRecord(Mutex<Vec<Access>>);

impl Authorizer for DenyAndRecord {
    fn authorize(&self, _ctx: &RequestContext, access: &[Access]) -> Result<(), Denial> {
        self.0.lock().unwrap().extend(access.iter().cloned());
        Err(Denial::new(
            "User: arn:aws:iam::123456789012:user/bob is not authorized",
        ))
    }
}

fn ctx() -> RequestContext {
    RequestContext {
        request_id: "req-1".into(),
        principal: Principal::root("123456789012", "AKIDEXAMPLE").into(),
        region: "us-east-1".into(),
        now: Timestamp(0),
        host: "localhost".into(),
    }
}

fn poll_once<T>(fut: impl Future<Output = T>) -> T {
    let mut fut = pin!(fut);
    match fut.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("authorization did not answer at once"),
    }
}

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
            &ctx(),
            &authz,
            protocol,
            op,
            Some(input.clone().into_value()),
        ))
        .unwrap_err();
        assert_eq!((err.code.as_ref(), err.status), ("AccessDenied", 403));
    }
    let seen = authz.0.lock().unwrap().clone();
    assert_eq!(seen.len(), 3);
    assert_eq!(seen[0].action, "cloudwatch:PutMetricData");
    assert_eq!(seen[0].resources, ["*"]);
    assert_eq!(
        seen[0].conditions,
        [("cloudwatch:namespace", vec!["MyApp".to_string()])]
    );
}

#[test]
fn reads_need_their_own_actions_on_star() {
    let ctx = ctx();
    let l = access::list_metrics(&ctx, &Default::default());
    assert_eq!(
        (l[0].action, l[0].resources.as_slice()),
        ("cloudwatch:ListMetrics", &["*".to_string()][..])
    );
    let g = access::get_metric_statistics(&ctx, &Default::default());
    assert_eq!(g[0].action, "cloudwatch:GetMetricStatistics");
}
