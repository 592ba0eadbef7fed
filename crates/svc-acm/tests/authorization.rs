//! ACM's generated `Router` asks for the actions of `codegen/authorization/acm.json`:
//! `acm:ListCertificates` on `*`, `acm:DescribeCertificate` on the certificate's ARN, and
//! `acm:RequestCertificate` on the certificate pattern with ACM's condition keys; a refusal
//! is the JSON protocol's `AccessDeniedException`.

use nimbus_core::{Ids, NimbusClock};
use nimbus_store::Store;
use nimbus_wire::convert::IntoValue;
use nimbus_wire::testing::{context, poll_once, DenyAndRecord};
use nimbus_wire::Protocol;
use std::sync::Arc;
use svc_acm::generated::*;

fn service() -> Arc<dyn nimbus_wire::Service> {
    let clock = Arc::new(NimbusClock::new(1.0));
    svc_acm::build(Store::in_memory(), clock, Arc::new(Ids::from_seed(1)))
        .expect("build")
        .0
}

#[test]
fn list_certificates_is_refused_as_access_denied_exception() {
    let ctx = context();
    let svc = service();
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

#[test]
fn certificate_operations_are_authorized_on_the_certificate() {
    let ctx = context();
    let svc = service();
    let authz = DenyAndRecord::default();
    let arn = "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555";
    let op = MODEL.operation("DescribeCertificate").unwrap();
    let input = DescribeCertificateRequest {
        certificate_arn: arn.into(),
    }
    .into_value();
    let err = poll_once(svc.call(&ctx, &authz, Protocol::Json, op, Some(input))).unwrap_err();
    assert_eq!(err.code.as_ref(), "AccessDeniedException");
    let op = MODEL.operation("RequestCertificate").unwrap();
    let input = RequestCertificateRequest {
        domain_name: "app.example.com".into(),
        validation_method: Some("DNS".into()),
        ..Default::default()
    }
    .into_value();
    let _ = poll_once(svc.call(&ctx, &authz, Protocol::Json, op, Some(input))).unwrap_err();
    let seen = authz.asked();
    assert_eq!(seen[0].action, "acm:DescribeCertificate");
    assert_eq!(seen[0].resources, vec![arn.to_string()]);
    assert_eq!(seen[1].action, "acm:RequestCertificate");
    assert_eq!(
        seen[1].resources,
        ["arn:aws:acm:us-east-1:123456789012:certificate/*"]
    );
    assert!(seen[1]
        .conditions
        .iter()
        .any(|(k, v)| k == "acm:ValidationMethod" && v.iter().any(|x| x == "DNS")));
}
