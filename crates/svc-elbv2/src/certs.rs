//! What ELBv2 needs from ACM, as a small trait this crate owns: the material (PEM chain,
//! key, names) of an issued certificate of the caller's account and region. The binary
//! wires it to svc-acm; an ARN it does not answer for is `CertificateNotFound`. [`Handle`]
//! is the other direction: which load balancers use a certificate (ACM's `InUseBy`), and a
//! republish of the data plane's snapshot when a certificate's material changes.

use crate::state::Elb;

/// An issued certificate as a listener terminates TLS with it.
#[derive(Clone, Debug, PartialEq)]
pub struct CertMaterial {
    /// The certificate, then its chain (PEM).
    pub chain_pem: String,
    pub key_pem: String,
    /// The DNS names it serves.
    pub names: Vec<String>,
}

/// ACM, read-only.
pub trait Certificates: Send + Sync + 'static {
    /// The material of certificate `arn` when it belongs to `account` in `region` and is
    /// issued (not pending, not expired).
    fn material(&self, account: &str, region: &str, arn: &str) -> Option<CertMaterial>;
}

/// No certificate authority: every certificate ARN is unknown.
pub struct NoCertificates;

impl Certificates for NoCertificates {
    fn material(&self, _: &str, _: &str, _: &str) -> Option<CertMaterial> {
        None
    }
}

/// ELB's side for ACM: who uses a certificate, and a republish when one changes.
#[derive(Clone)]
pub struct Handle {
    pub(crate) elb: Elb,
}

impl Handle {
    /// The ARNs of the load balancers whose listeners use certificate `arn`.
    pub fn users(&self, arn: &str) -> Vec<String> {
        let st = self.elb.state.read().unwrap_or_else(|e| e.into_inner());
        let mut out: Vec<String> = st
            .listeners
            .values()
            .filter(|l| {
                l.certificates
                    .iter()
                    .chain(&l.extra_certificates)
                    .any(|c| c == arn)
            })
            .map(|l| l.lb_arn.clone())
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// Rebuilds and publishes the data plane's snapshot (a certificate changed).
    pub fn republish(&self) {
        self.elb.publish();
    }
}
