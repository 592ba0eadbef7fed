//! Nimbus's own certificate authority: one root CA per data directory (an ECDSA P-256 key
//! and a self-signed certificate, `CN=Nimbus Root CA`, valid 20 years), made the first time
//! ACM loads and kept in the store (`acm.ca`), so certificates it issued stay trusted across
//! restarts and resets (a reset writes the same CA back). `RequestCertificate`'s
//! certificates are issued here with rcgen: the requested key algorithm (RSA 2048 through
//! the `rsa` crate, P-256/P-384 through ring), the domain name as subject, every name as a
//! DNS subject alternative name, server and client authentication usages, as ACM's public
//! certificates carry. `nimbus ca` prints the root so curl and browsers can trust it.

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, SanType, SerialNumber,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

pub const CA_NAME: &str = "Nimbus Root CA";
/// What `DescribeCertificate` names as the issuer of the certificates Nimbus issues (ACM
/// says `Amazon` for its own).
pub const CA_ISSUER: &str = "Nimbus";
const CA_ORG: &str = "Nimbus";

/// The stored root: its key, its certificate, and the parameters it was made with (to
/// rebuild the issuer rcgen signs with).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CaRec {
    pub key_pem: String,
    pub cert_pem: String,
    /// Hex of the serial number.
    pub serial: String,
    /// Unix seconds.
    pub not_before: i64,
    pub not_after: i64,
}

fn at(secs: i64) -> Result<OffsetDateTime, String> {
    OffsetDateTime::from_unix_timestamp(secs).map_err(|e| e.to_string())
}

fn ca_params(serial: &[u8], not_before: i64, not_after: i64) -> Result<CertificateParams, String> {
    let mut p = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, CA_NAME);
    dn.push(DnType::OrganizationName, CA_ORG);
    p.distinguished_name = dn;
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    p.serial_number = Some(SerialNumber::from_slice(serial));
    p.not_before = at(not_before)?;
    p.not_after = at(not_after)?;
    Ok(p)
}

fn random(n: usize) -> Vec<u8> {
    let mut b = vec![0u8; n];
    let _ = getrandom::getrandom(&mut b);
    // A positive serial of the given length.
    if let Some(first) = b.first_mut() {
        *first = (*first & 0x7f) | 0x10;
    }
    b
}

/// Makes a new root CA valid from `now_secs` for 20 years.
pub fn new_ca(now_secs: i64) -> Result<CaRec, String> {
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(|e| e.to_string())?;
    let serial = random(16);
    let not_before = now_secs - 3600;
    let not_after = now_secs + 20 * 365 * 86_400;
    let cert = ca_params(&serial, not_before, not_after)?
        .self_signed(&key)
        .map_err(|e| e.to_string())?;
    Ok(CaRec {
        key_pem: key.serialize_pem(),
        cert_pem: cert.pem(),
        serial: hex::encode(&serial),
        not_before,
        not_after,
    })
}

/// A new key of ACM's `KeyAlgorithm`, as PKCS#8 PEM. RSA keys take a moment: call this off
/// the async runtime.
pub fn new_key(algorithm: &str) -> Result<String, String> {
    match algorithm {
        "RSA_2048" => {
            use rsa::pkcs8::EncodePrivateKey;
            let mut rng = rand_core::OsRng;
            let k = rsa::RsaPrivateKey::new(&mut rng, 2048).map_err(|e| e.to_string())?;
            let pem = k
                .to_pkcs8_pem(rsa::pkcs8::LineEnding::LF)
                .map_err(|e| e.to_string())?;
            Ok(pem.to_string())
        }
        "EC_prime256v1" => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
            .map(|k| k.serialize_pem())
            .map_err(|e| e.to_string()),
        "EC_secp384r1" => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384)
            .map(|k| k.serialize_pem())
            .map_err(|e| e.to_string()),
        other => Err(format!("key algorithm {other} is not supported")),
    }
}

/// Issues a server certificate for `names` (the first is the subject's common name) over
/// the key `key_pem`, valid from `not_before` to `not_after` (Unix seconds), signed by `ca`.
/// Answers the certificate's PEM.
pub fn issue(
    ca: &CaRec,
    key_pem: &str,
    names: &[String],
    not_before: i64,
    not_after: i64,
) -> Result<String, String> {
    let ca_key = KeyPair::from_pem(&ca.key_pem).map_err(|e| e.to_string())?;
    let serial = hex::decode(&ca.serial).map_err(|e| e.to_string())?;
    let ca_cert = ca_params(&serial, ca.not_before, ca.not_after)?
        .self_signed(&ca_key)
        .map_err(|e| e.to_string())?;
    let key = leaf_key(key_pem)?;
    let mut p = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    if let Some(cn) = names.first() {
        dn.push(DnType::CommonName, cn.as_str());
    }
    p.distinguished_name = dn;
    p.subject_alt_names = names
        .iter()
        .map(|n| {
            rcgen::Ia5String::try_from(n.as_str())
                .map(SanType::DnsName)
                .map_err(|e| e.to_string())
        })
        .collect::<Result<_, _>>()?;
    p.is_ca = IsCa::ExplicitNoCa;
    p.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    p.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ServerAuth,
        ExtendedKeyUsagePurpose::ClientAuth,
    ];
    p.serial_number = Some(SerialNumber::from_slice(&random(16)));
    p.not_before = at(not_before)?;
    p.not_after = at(not_after)?;
    p.use_authority_key_identifier_extension = true;
    let cert = p
        .signed_by(&key, &ca_cert, &ca_key)
        .map_err(|e| e.to_string())?;
    Ok(cert.pem())
}

/// rcgen's key pair for a PKCS#8 PEM key (RSA keys need their algorithm named).
fn leaf_key(pem: &str) -> Result<KeyPair, String> {
    if let Ok(k) = KeyPair::from_pem(pem) {
        return Ok(k);
    }
    KeyPair::from_pem_and_sign_algo(pem, &rcgen::PKCS_RSA_SHA256).map_err(|e| e.to_string())
}
