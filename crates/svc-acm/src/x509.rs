//! Reading certificates and keys as ACM describes them: PEM parsing of a certificate, a
//! chain and a private key; the facts `DescribeCertificate` reports (subject, issuer,
//! serial, validity, names, key and signature algorithms, key usages); and the check that a
//! private key belongs to its certificate (the key's public half, as rustls's signing key
//! derives it, equals the certificate's). Nothing here stores or decides anything.

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use x509_cert::der::asn1::ObjectIdentifier;
use x509_cert::der::{Decode, Encode};
use x509_cert::Certificate;

const RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const EC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const P521: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");
const SAN: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.17");
const KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.15");
const EXT_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37");
const BASIC_CONSTRAINTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.19");

/// What ACM reports about one certificate.
#[derive(Clone, Debug, PartialEq)]
pub struct Facts {
    /// `CN=…` (RFC 4514).
    pub subject: String,
    pub issuer: String,
    /// The subject's common name, if any.
    pub common_name: Option<String>,
    /// DNS names of the subject alternative name extension.
    pub dns_names: Vec<String>,
    /// Colon-separated lower-case hex.
    pub serial: String,
    /// Unix seconds.
    pub not_before: i64,
    pub not_after: i64,
    /// ACM's enum spelling: `RSA_2048`, `EC_prime256v1`, …
    pub key_algorithm: String,
    /// `SHA256WITHRSA`, `SHA256WITHECDSA`, …
    pub signature_algorithm: String,
    /// ACM's names (`DIGITAL_SIGNATURE`, …).
    pub key_usages: Vec<String>,
    /// (ACM's name, OID).
    pub extended_key_usages: Vec<(String, String)>,
    pub is_ca: bool,
    /// The DER of the subject public key bits, to compare with a private key's.
    pub public_key: Vec<u8>,
}

/// Every certificate of a PEM text, in order.
pub fn pem_certificates(pem: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let mut out = Vec::new();
    for c in CertificateDer::pem_slice_iter(pem) {
        let c = c.map_err(|e| format!("could not read the PEM: {e}"))?;
        out.push(c.as_ref().to_vec());
    }
    Ok(out)
}

/// The PEM text of DER certificates.
pub fn to_pem(ders: &[Vec<u8>]) -> String {
    use base64::Engine as _;
    let mut out = String::new();
    for d in ders {
        out.push_str("-----BEGIN CERTIFICATE-----\n");
        let b = base64::engine::general_purpose::STANDARD.encode(d);
        for chunk in b.as_bytes().chunks(64) {
            out.push_str(std::str::from_utf8(chunk).unwrap_or(""));
            out.push('\n');
        }
        out.push_str("-----END CERTIFICATE-----\n");
    }
    out
}

fn eku_name(oid: &str) -> &'static str {
    match oid {
        "1.3.6.1.5.5.7.3.1" => "TLS_WEB_SERVER_AUTHENTICATION",
        "1.3.6.1.5.5.7.3.2" => "TLS_WEB_CLIENT_AUTHENTICATION",
        "1.3.6.1.5.5.7.3.3" => "CODE_SIGNING",
        "1.3.6.1.5.5.7.3.4" => "EMAIL_PROTECTION",
        "1.3.6.1.5.5.7.3.8" => "TIME_STAMPING",
        "1.3.6.1.5.5.7.3.9" => "OCSP_SIGNING",
        "1.3.6.1.5.5.7.3.5" => "IPSEC_END_SYSTEM",
        "1.3.6.1.5.5.7.3.6" => "IPSEC_TUNNEL",
        "1.3.6.1.5.5.7.3.7" => "IPSEC_USER",
        _ => "CUSTOM",
    }
}

const KEY_USAGE_NAMES: [&str; 9] = [
    "DIGITAL_SIGNATURE",
    "NON_REPUDIATION",
    "KEY_ENCIPHERMENT",
    "DATA_ENCIPHERMENT",
    "KEY_AGREEMENT",
    "CERTIFICATE_SIGNING",
    "CRL_SIGNING",
    "ENCIPHER_ONLY",
    "DECIPHER_ONLY",
];

/// The common name of an RFC 4514 name string.
fn cn_of(name: &str) -> Option<String> {
    name.split(',')
        .find_map(|p| p.trim().strip_prefix("CN="))
        .map(|s| s.to_string())
}

/// Reads one DER certificate.
pub fn facts(der: &[u8]) -> Result<Facts, String> {
    let c = Certificate::from_der(der).map_err(|e| format!("not an X.509 certificate: {e}"))?;
    let tbs = &c.tbs_certificate;
    let subject = tbs.subject.to_string();
    let issuer = tbs.issuer.to_string();
    let serial = tbs
        .serial_number
        .as_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":");
    let not_before = tbs.validity.not_before.to_unix_duration().as_secs() as i64;
    let not_after = tbs.validity.not_after.to_unix_duration().as_secs() as i64;
    let spki = &tbs.subject_public_key_info;
    let public_key = spki.subject_public_key.raw_bytes().to_vec();
    let key_algorithm = if spki.algorithm.oid == RSA {
        let bits = rsa_bits(&public_key).ok_or("the RSA public key could not be read")?;
        format!("RSA_{bits}")
    } else if spki.algorithm.oid == EC {
        let curve = spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
        match curve {
            Some(c) if c == P256 => "EC_prime256v1".to_string(),
            Some(c) if c == P384 => "EC_secp384r1".to_string(),
            Some(c) if c == P521 => "EC_secp521r1".to_string(),
            _ => return Err("the certificate's elliptic curve is not supported".into()),
        }
    } else {
        return Err("the certificate's key algorithm is not supported".into());
    };
    let signature_algorithm = match c.signature_algorithm.oid.to_string().as_str() {
        "1.2.840.113549.1.1.11" => "SHA256WITHRSA",
        "1.2.840.113549.1.1.12" => "SHA384WITHRSA",
        "1.2.840.113549.1.1.13" => "SHA512WITHRSA",
        "1.2.840.113549.1.1.5" => "SHA1WITHRSA",
        "1.2.840.10045.4.3.2" => "SHA256WITHECDSA",
        "1.2.840.10045.4.3.3" => "SHA384WITHECDSA",
        "1.2.840.10045.4.3.4" => "SHA512WITHECDSA",
        _ => "UNKNOWN",
    }
    .to_string();
    let mut dns_names = Vec::new();
    let mut key_usages = Vec::new();
    let mut extended_key_usages = Vec::new();
    let mut is_ca = false;
    for ext in tbs.extensions.iter().flatten() {
        let v = ext.extn_value.as_bytes();
        if ext.extn_id == SAN {
            let san = x509_cert::ext::pkix::SubjectAltName::from_der(v)
                .map_err(|e| format!("the subject alternative names could not be read: {e}"))?;
            for n in san.0 {
                if let x509_cert::ext::pkix::name::GeneralName::DnsName(d) = n {
                    dns_names.push(d.as_str().to_string());
                }
            }
        } else if ext.extn_id == KEY_USAGE {
            if let Ok(ku) = x509_cert::ext::pkix::KeyUsage::from_der(v) {
                let bits = ku.0.bits();
                for (i, name) in KEY_USAGE_NAMES.iter().enumerate() {
                    if bits & (1 << i) != 0 {
                        key_usages.push(name.to_string());
                    }
                }
            }
        } else if ext.extn_id == EXT_KEY_USAGE {
            if let Ok(eku) = x509_cert::ext::pkix::ExtendedKeyUsage::from_der(v) {
                for oid in eku.0 {
                    let s = oid.to_string();
                    extended_key_usages.push((eku_name(&s).to_string(), s));
                }
            }
        } else if ext.extn_id == BASIC_CONSTRAINTS {
            if let Ok(bc) = x509_cert::ext::pkix::BasicConstraints::from_der(v) {
                is_ca = bc.ca;
            }
        }
    }
    Ok(Facts {
        common_name: cn_of(&subject),
        subject,
        issuer,
        dns_names,
        serial,
        not_before,
        not_after,
        key_algorithm,
        signature_algorithm,
        key_usages,
        extended_key_usages,
        is_ca,
        public_key,
    })
}

/// The modulus size in bits of a PKCS#1 `RSAPublicKey`.
fn rsa_bits(der: &[u8]) -> Option<usize> {
    use rsa::pkcs1::DecodeRsaPublicKey;
    use rsa::traits::PublicKeyParts;
    let k = rsa::RsaPublicKey::from_pkcs1_der(der).ok()?;
    Some(k.n().bits())
}

/// The public key bits (as in a certificate's `subjectPublicKey`) of a PEM private key
/// (PKCS#8, PKCS#1 RSA or SEC1 EC; unencrypted).
pub fn private_key_public_bits(pem: &[u8]) -> Result<Vec<u8>, String> {
    let key = PrivateKeyDer::from_pem_slice(pem)
        .map_err(|_| "The private key is not supported or could not be read".to_string())?;
    let signer = rustls::crypto::ring::sign::any_supported_type(&key)
        .map_err(|_| "The private key is not supported".to_string())?;
    let spki = signer
        .public_key()
        .ok_or_else(|| "The private key is not supported".to_string())?;
    let spki = x509_cert::spki::SubjectPublicKeyInfoOwned::from_der(spki.as_ref())
        .map_err(|e| format!("The private key's public key could not be read: {e}"))?;
    Ok(spki.subject_public_key.raw_bytes().to_vec())
}

/// DER of a certificate, re-encoded (used to check a chain parses).
pub fn reencode(der: &[u8]) -> Result<Vec<u8>, String> {
    Certificate::from_der(der)
        .and_then(|c| c.to_der())
        .map_err(|e| format!("not an X.509 certificate: {e}"))
}
