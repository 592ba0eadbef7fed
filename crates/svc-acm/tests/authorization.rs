//! ACM's generated `Router` asks for `acm:ListCertificates` on `*`
//! (`codegen/authorization/acm.json`); a refusal is the JSON protocol's
//! `AccessDeniedException`.

use nimbus_wire::convert::IntoValue;
use nimbus_wire::testing::{context, poll_once, DenyAndRecord};
use nimbus_wire::Protocol;
use svc_acm::generated::*;

#[test]
fn list_certificates_is_refused_as_access_denied_exception() {
    let ctx = context();
    let svc = svc_acm::service();
    let authz = DenyAndRecord::default();
    let op = MODEL.operation("ListCertificates").unwrap();
    let input = ListCertificatesRequest::default().into_value();
    let err = poll_once(svc.call(&ctx, &authz, Protocol::Json, op, Some(input))).unwrap_err();
    assert_eq!(
        (err.code.as_ref(), err.status),
        ("AccessDeniedException", 400)
    );
    let seen = authz.asked();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].action, "acm:ListCertificates");
    assert_eq!(seen[0].resources, ["*"]);
}
