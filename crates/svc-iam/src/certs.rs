//! Reading the X.509 certificates and private keys IAM is given (`UploadServerCertificate`,
//! `UploadSigningCertificate`): one PEM certificate with its validity and names, a PEM
//! chain, and whether a PEM private key (PKCS#8, PKCS#1 RSA or SEC1 EC, unencrypted) is the
//! one whose public half the certificate carries (compared as the certificate's
//! `subjectPublicKey` bits against the public key rustls's ring signer derives from the
//! private key). Nothing here stores or decides anything; the wording of refusals is the
//! handlers'.

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use x509_cert::der::{Decode, Encode};
use x509_cert::Certificate;

/// What IAM keeps of a certificate besides its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertFacts {
    /// `notAfter`, Unix milliseconds.
    pub not_after_ms: i64,
    /// The DER of the subject and issuer names (to check a chain's order).
    pub subject: Vec<u8>,
    pub issuer: Vec<u8>,
    /// The `subjectPublicKey` bits.
    pub public_key: Vec<u8>,
    /// The DER of the whole certificate (duplicates are found by it).
    pub der: Vec<u8>,
}

/// Every certificate of a PEM text, in order (none if there is no PEM block).
fn pem_ders(pem: &str) -> Option<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    for c in CertificateDer::pem_slice_iter(pem.as_bytes()) {
        out.push(c.ok()?.as_ref().to_vec());
    }
    Some(out)
}

fn facts(der: Vec<u8>) -> Option<CertFacts> {
    let c = Certificate::from_der(&der).ok()?;
    let tbs = &c.tbs_certificate;
    let not_after = tbs.validity.not_after.to_unix_duration().as_millis();
    Some(CertFacts {
        not_after_ms: i64::try_from(not_after).ok()?,
        subject: tbs.subject.to_der().ok()?,
        issuer: tbs.issuer.to_der().ok()?,
        public_key: tbs
            .subject_public_key_info
            .subject_public_key
            .raw_bytes()
            .to_vec(),
        der,
    })
}

/// Exactly one PEM certificate; `None` if `pem` is anything else.
pub fn one_certificate(pem: &str) -> Option<CertFacts> {
    let mut ders = pem_ders(pem)?;
    if ders.len() != 1 {
        return None;
    }
    facts(ders.remove(0))
}

/// One or more PEM certificates, in order; `None` if any does not parse (or there is none).
pub fn chain(pem: &str) -> Option<Vec<CertFacts>> {
    let ders = pem_ders(pem)?;
    if ders.is_empty() {
        return None;
    }
    ders.into_iter().map(facts).collect()
}

/// The `subjectPublicKey` bits of a PEM private key; `None` if it cannot be read.
pub fn private_key_public_bits(pem: &str) -> Option<Vec<u8>> {
    let key = PrivateKeyDer::from_pem_slice(pem.as_bytes()).ok()?;
    let signer = rustls::crypto::ring::sign::any_supported_type(&key).ok()?;
    let spki = signer.public_key()?;
    let spki = x509_cert::spki::SubjectPublicKeyInfoOwned::from_der(spki.as_ref()).ok()?;
    Some(spki.subject_public_key.raw_bytes().to_vec())
}

/// The index (within `chain`) of the first certificate that does not sign the one before
/// it (the body for index 0), by name: the chain must start with the body's issuer and
/// follow with each issuer in order.
pub fn misplaced_in_chain(body: &CertFacts, chain: &[CertFacts]) -> Option<usize> {
    let mut child = body;
    for (i, c) in chain.iter().enumerate() {
        if c.subject != child.issuer {
            return Some(i);
        }
        child = c;
    }
    None
}
