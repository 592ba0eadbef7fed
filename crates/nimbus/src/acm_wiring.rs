//! ACM and ELBv2 wired together (services never import each other): the load balancers
//! read issued certificates through ACM's [`svc_acm::Certificates`], and ACM learns who
//! uses a certificate (and that the data plane must republish after a re-import) through
//! ELB's [`svc_elbv2::Handle`].

/// ELB's [`svc_elbv2::Certificates`] over ACM. Weak: ACM holds ELB's handle (through
/// [`CertificateUsers`]), and a strong handle back would keep both, and the store, alive.
pub struct ElbCertificates(pub svc_acm::WeakCertificates);

impl svc_elbv2::Certificates for ElbCertificates {
    fn material(&self, account: &str, region: &str, arn: &str) -> Option<svc_elbv2::CertMaterial> {
        self.0
            .material(account, region, arn)
            .map(|m| svc_elbv2::CertMaterial {
                chain_pem: m.chain_pem,
                key_pem: m.key_pem,
                names: m.names,
            })
    }
}

/// ACM's [`svc_acm::Users`] over ELB.
pub struct CertificateUsers(pub svc_elbv2::Handle);

impl svc_acm::Users for CertificateUsers {
    fn users(&self, arn: &str) -> Vec<String> {
        self.0.users(arn)
    }

    fn changed(&self) {
        self.0.republish();
    }
}
