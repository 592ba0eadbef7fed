//! ACM's handlers over an in-memory store: issuance by the Nimbus clock, the material the
//! load balancers get, imports (key check, chain order, re-import), in-use protection,
//! listing filters and paging, and the root CA kept across loads and resets.

use crate::generated::{self as g, Handlers};
use crate::state::{Acm, Users};
use nimbus_core::{Clock, Ids, NimbusClock, RequestContext};
use nimbus_store::Store;
use std::sync::{Arc, Mutex};
use std::time::Duration;

struct Setup {
    acm: Acm,
    clock: Arc<NimbusClock>,
}

fn setup_on(store: Store) -> Setup {
    let clock = Arc::new(NimbusClock::new(1.0));
    let acm = Acm::load(store, clock.clone(), Arc::new(Ids::from_seed(7))).expect("load");
    Setup { acm, clock }
}

fn setup() -> Setup {
    setup_on(Store::in_memory())
}

impl Setup {
    fn ctx(&self) -> RequestContext {
        RequestContext {
            now: self.clock.now(),
            ..nimbus_wire::testing::context()
        }
    }

    async fn request(&self, domain: &str, sans: &[&str], alg: Option<&str>) -> String {
        let input = g::RequestCertificateRequest {
            domain_name: domain.into(),
            validation_method: Some("DNS".into()),
            subject_alternative_names: Some(sans.iter().map(|s| s.to_string()).collect()),
            key_algorithm: alg.map(str::to_string),
            ..Default::default()
        };
        self.acm
            .request_certificate(&self.ctx(), input)
            .await
            .expect("request")
            .certificate_arn
            .expect("arn")
    }

    async fn describe(&self, arn: &str) -> Result<g::CertificateDetail, nimbus_core::AwsError> {
        let input = g::DescribeCertificateRequest {
            certificate_arn: arn.into(),
        };
        Ok(self
            .acm
            .describe_certificate(&self.ctx(), input)
            .await?
            .certificate
            .expect("detail"))
    }

    async fn import(
        &self,
        cert: &str,
        key: &str,
        chain: Option<&str>,
        arn: Option<&str>,
    ) -> Result<String, nimbus_core::AwsError> {
        let input = g::ImportCertificateRequest {
            certificate_arn: arn.map(str::to_string),
            certificate: cert.as_bytes().to_vec().into(),
            private_key: key.as_bytes().to_vec().into(),
            certificate_chain: chain.map(|c| c.as_bytes().to_vec().into()),
            tags: None,
        };
        Ok(self
            .acm
            .import_certificate(&self.ctx(), input)
            .await?
            .certificate_arn
            .expect("arn"))
    }
}

/// A self-signed certificate for `name` and its key (PKCS#8 PEM), from rcgen.
fn self_signed(name: &str) -> (String, String) {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("key");
    let mut params = rcgen::CertificateParams::new(vec![name.to_string()]).expect("params");
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    let cert = params.self_signed(&key).expect("cert");
    (cert.pem(), key.serialize_pem())
}

#[tokio::test]
async fn a_requested_certificate_is_issued_by_the_nimbus_clock() {
    let s = setup();
    let arn = s
        .request(
            "app.example.com",
            &["*.app.example.com"],
            Some("EC_prime256v1"),
        )
        .await;
    let pending = s.describe(&arn).await.expect("describe");
    assert_eq!(pending.status.as_deref(), Some("PENDING_VALIDATION"));
    assert_eq!(pending.key_algorithm.as_deref(), Some("EC-prime256v1"));
    let dvo = pending.domain_validation_options.expect("dvo");
    assert_eq!(dvo.len(), 2);
    assert_eq!(dvo[0].resource_record, dvo[1].resource_record);
    let certs = s.acm.certificates();
    assert!(
        certs.material("123456789012", "us-east-1", &arn).is_none(),
        "pending: no material"
    );
    let get = g::GetCertificateRequest {
        certificate_arn: arn.clone(),
    };
    let err = s
        .acm
        .get_certificate(&s.ctx(), get.clone())
        .await
        .unwrap_err();
    assert_eq!(err.code.as_ref(), "RequestInProgressException");
    s.clock.advance(Duration::from_secs(21));
    let issued = s.describe(&arn).await.expect("describe");
    assert_eq!(issued.status.as_deref(), Some("ISSUED"));
    assert_eq!(issued.subject.as_deref(), Some("CN=app.example.com"));
    let m = certs
        .material("123456789012", "us-east-1", &arn)
        .expect("material once issued");
    assert_eq!(m.names, ["app.example.com", "*.app.example.com"]);
    assert!(
        certs.material("111111111111", "us-east-1", &arn).is_none(),
        "another account's"
    );
    assert!(
        certs.material("123456789012", "eu-west-1", &arn).is_none(),
        "another region's"
    );
    // The leaf is signed by the Nimbus root: its issuer is the root's subject.
    let pem = s.acm.get_certificate(&s.ctx(), get).await.expect("get");
    let leaf =
        crate::x509::pem_certificates(pem.certificate.expect("cert").as_bytes()).expect("pem");
    let root = crate::x509::pem_certificates(certs.ca_pem().as_bytes()).expect("pem");
    let (leaf, root) = (
        crate::x509::facts(&leaf[0]).expect("leaf"),
        crate::x509::facts(&root[0]).expect("root"),
    );
    assert_eq!(leaf.issuer, root.subject);
    assert!(root.is_ca && !leaf.is_ca);
    assert_eq!(leaf.dns_names, ["app.example.com", "*.app.example.com"]);
}

#[tokio::test]
async fn requests_are_checked_and_idempotent() {
    let s = setup();
    let bad = g::RequestCertificateRequest {
        domain_name: "localhost".into(),
        ..Default::default()
    };
    let err = s.acm.request_certificate(&s.ctx(), bad).await.unwrap_err();
    assert_eq!(err.code.as_ref(), "ValidationException");
    let rsa4096 = g::RequestCertificateRequest {
        domain_name: "a.example.com".into(),
        key_algorithm: Some("RSA_4096".into()),
        ..Default::default()
    };
    let err = s
        .acm
        .request_certificate(&s.ctx(), rsa4096)
        .await
        .unwrap_err();
    assert_eq!(err.code.as_ref(), "InvalidParameterException");
    let with_token = || g::RequestCertificateRequest {
        domain_name: "a.example.com".into(),
        idempotency_token: Some("tok1".into()),
        key_algorithm: Some("EC_secp384r1".into()),
        ..Default::default()
    };
    let one = s
        .acm
        .request_certificate(&s.ctx(), with_token())
        .await
        .expect("one");
    let two = s
        .acm
        .request_certificate(&s.ctx(), with_token())
        .await
        .expect("two");
    assert_eq!(one.certificate_arn, two.certificate_arn);
    let d = s
        .describe(one.certificate_arn.as_deref().expect("arn"))
        .await
        .expect("d");
    assert_eq!(d.key_algorithm.as_deref(), Some("EC-secp384r1"));
    // EMAIL validation is the default, with the five addresses ACM writes to.
    let dvo = &d.domain_validation_options.expect("dvo")[0];
    assert_eq!(dvo.validation_method.as_deref(), Some("EMAIL"));
    assert!(dvo
        .validation_emails
        .as_ref()
        .expect("emails")
        .contains(&"admin@a.example.com".to_string()));
}

#[tokio::test]
async fn imports_check_the_key_and_the_chain_and_reimport_keeps_the_arn() {
    let s = setup();
    let (cert, key) = self_signed("shop.example.org");
    let (other_cert, other_key) = self_signed("other.example.org");
    let err = s.import(&cert, &other_key, None, None).await.unwrap_err();
    assert_eq!(err.code.as_ref(), "ValidationException");
    assert!(err.message.contains("does not match"), "{}", err.message);
    let err = s
        .import(&format!("{cert}{other_cert}"), &key, None, None)
        .await
        .unwrap_err();
    assert!(
        err.message.contains("more than one certificate"),
        "{}",
        err.message
    );
    let err = s
        .import(&cert, &key, Some(&other_cert), None)
        .await
        .unwrap_err();
    assert!(
        err.message.contains("Unable to validate certificate chain"),
        "{}",
        err.message
    );
    let arn = s.import(&cert, &key, None, None).await.expect("import");
    let d = s.describe(&arn).await.expect("d");
    assert_eq!(d.r#type.as_deref(), Some("IMPORTED"));
    assert_eq!(d.domain_name.as_deref(), Some("shop.example.org"));
    // Re-import: same ARN, new material.
    let (cert2, key2) = self_signed("shop2.example.org");
    let again = s
        .import(&cert2, &key2, None, Some(&arn))
        .await
        .expect("reimport");
    assert_eq!(again, arn);
    let m = s
        .acm
        .certificates()
        .material("123456789012", "us-east-1", &arn)
        .expect("m");
    assert_eq!(m.names, ["shop2.example.org"]);
    let missing = format!(
        "{}00000000-0000-0000-0000-000000000000",
        &arn[..arn.rfind('/').expect("/") + 1]
    );
    let err = s
        .import(&cert2, &key2, None, Some(&missing))
        .await
        .unwrap_err();
    assert_eq!(err.code.as_ref(), "ResourceNotFoundException");
}

#[derive(Default)]
struct FakeUsers {
    using: Mutex<Vec<String>>,
    changes: Mutex<usize>,
}

impl Users for FakeUsers {
    fn users(&self, arn: &str) -> Vec<String> {
        self.using
            .lock()
            .unwrap()
            .iter()
            .filter(|a| a.as_str() == arn)
            .map(|_| {
                "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/x/1"
                    .to_string()
            })
            .collect()
    }

    fn changed(&self) {
        *self.changes.lock().unwrap() += 1;
    }
}

#[tokio::test]
async fn a_certificate_in_use_cannot_be_deleted() {
    let s = setup();
    let users = Arc::new(FakeUsers::default());
    s.acm.certificates().set_users(users.clone());
    let (cert, key) = self_signed("shop.example.org");
    let arn = s.import(&cert, &key, None, None).await.expect("import");
    users.using.lock().unwrap().push(arn.clone());
    let d = s.describe(&arn).await.expect("d");
    assert_eq!(d.in_use_by.expect("in use").len(), 1);
    let del = g::DeleteCertificateRequest {
        certificate_arn: arn.clone(),
    };
    let err = s
        .acm
        .delete_certificate(&s.ctx(), del.clone())
        .await
        .unwrap_err();
    assert_eq!(err.code.as_ref(), "ResourceInUseException");
    s.import(&cert, &key, None, Some(&arn))
        .await
        .expect("reimport");
    assert_eq!(*users.changes.lock().unwrap(), 1, "a re-import republishes");
    users.using.lock().unwrap().clear();
    s.acm
        .delete_certificate(&s.ctx(), del.clone())
        .await
        .expect("delete");
    let err = s.describe(&arn).await.unwrap_err();
    assert_eq!(err.code.as_ref(), "ResourceNotFoundException");
    let bad = g::DeleteCertificateRequest {
        certificate_arn: "not-an-arn".into(),
    };
    let err = s.acm.delete_certificate(&s.ctx(), bad).await.unwrap_err();
    assert_eq!(err.code.as_ref(), "InvalidArnException");
}

#[tokio::test]
async fn listing_filters_by_status_and_key_type_and_pages() {
    let s = setup();
    let mut arns = Vec::new();
    for i in 0..3 {
        arns.push(
            s.request(&format!("n{i}.example.com"), &[], Some("EC_prime256v1"))
                .await,
        );
        s.clock.advance(Duration::from_millis(10));
    }
    let list = |input: g::ListCertificatesRequest| {
        let ctx = s.ctx();
        let acm = &s.acm;
        async move { acm.list_certificates(&ctx, input).await.expect("list") }
    };
    let default = list(Default::default()).await;
    assert!(
        default.certificate_summary_list.expect("l").is_empty(),
        "EC keys are not listed by default"
    );
    let ec = || g::Filters {
        key_types: Some(vec!["EC_prime256v1".into()]),
        ..Default::default()
    };
    let page1 = list(g::ListCertificatesRequest {
        includes: Some(ec()),
        max_items: Some(2),
        ..Default::default()
    })
    .await;
    let got1: Vec<String> = page1
        .certificate_summary_list
        .expect("l")
        .into_iter()
        .filter_map(|c| c.certificate_arn)
        .collect();
    assert_eq!(got1, arns[..2]);
    let page2 = list(g::ListCertificatesRequest {
        includes: Some(ec()),
        max_items: Some(2),
        next_token: page1.next_token,
        ..Default::default()
    })
    .await;
    assert_eq!(
        page2.certificate_summary_list.expect("l")[0]
            .certificate_arn
            .as_deref(),
        Some(arns[2].as_str())
    );
    assert!(page2.next_token.is_none());
    let issued = list(g::ListCertificatesRequest {
        includes: Some(ec()),
        certificate_statuses: Some(vec!["ISSUED".into()]),
        ..Default::default()
    })
    .await;
    assert!(issued.certificate_summary_list.expect("l").is_empty());
    s.clock.advance(Duration::from_secs(21));
    let issued = list(g::ListCertificatesRequest {
        includes: Some(ec()),
        certificate_statuses: Some(vec!["ISSUED".into()]),
        ..Default::default()
    })
    .await;
    assert_eq!(issued.certificate_summary_list.expect("l").len(), 3);
    let err = s
        .acm
        .list_certificates(
            &s.ctx(),
            g::ListCertificatesRequest {
                next_token: Some("bogus".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.code.as_ref(), "InvalidArgsException");
}

#[tokio::test]
async fn the_root_ca_is_kept_across_loads_and_resets() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open_dir(dir.path()).expect("open");
    let first = setup_on(store.clone());
    let pem = first.acm.certificates().ca_pem();
    let arn = first
        .request("keep.example.com", &[], Some("EC_prime256v1"))
        .await;
    let again = setup_on(store.clone());
    assert_eq!(again.acm.certificates().ca_pem(), pem);
    assert!(
        again.describe(&arn).await.is_ok(),
        "certificates are durable"
    );
    let wipe: nimbus_wire::ResetStep<'_> = Box::pin(async {
        store
            .wipe_async()
            .await
            .map_err(|e| nimbus_wire::ResetError(e.to_string()))
    });
    again.acm.reset(wipe).await.expect("reset");
    assert!(
        again.describe(&arn).await.is_err(),
        "a reset forgets certificates"
    );
    let after = setup_on(store.clone());
    assert_eq!(after.acm.certificates().ca_pem(), pem, "but not the CA");
}
