//! ACM's generated `Router` asks for `acm:ListCertificates` on `*`
//! (`codegen/authorization/acm.json`); a refusal is the JSON protocol's
//! `AccessDeniedException`.

use nimbus_core::{Access, Authorizer, Denial, Principal, RequestContext, Timestamp};
use nimbus_wire::convert::IntoValue;
use nimbus_wire::Protocol;
use std::future::Future;
use std::pin::pin;
use std::sync::Mutex;
use std::task::{Context, Poll, Waker};
use svc_acm::generated::*;

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

#[test]
fn list_certificates_is_refused_as_access_denied_exception() {
    let ctx = RequestContext {
        request_id: "req-1".into(),
        principal: Principal::root("123456789012", "AKIDEXAMPLE").into(),
        region: "us-east-1".into(),
        now: Timestamp(0),
        host: "localhost".into(),
    };
    let svc = svc_acm::service();
    let authz = DenyAndRecord::default();
    let op = MODEL.operation("ListCertificates").unwrap();
    let input = ListCertificatesRequest::default().into_value();
    let mut fut = pin!(svc.call(&ctx, &authz, Protocol::Json, op, Some(input)));
    let Poll::Ready(out) = fut.as_mut().poll(&mut Context::from_waker(Waker::noop())) else {
        panic!("authorization did not answer at once");
    };
    let err = out.unwrap_err();
    assert_eq!(
        (err.code.as_ref(), err.status),
        ("AccessDeniedException", 400)
    );
    let seen = authz.0.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].action, "acm:ListCertificates");
    assert_eq!(seen[0].resources, ["*"]);
}
