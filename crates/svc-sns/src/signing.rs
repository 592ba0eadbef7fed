//! Message signatures, as SNS signs what it delivers: a Nimbus-generated 2048-bit RSA key and
//! a self-signed X.509 certificate for it (served at `SigningCertURL`,
//! `GET /_nimbus/sns/SimpleNotificationService.pem`), and the signature of a message's
//! canonical string — `SignatureVersion` 1 is SHA1withRSA, 2 SHA256withRSA — over the fields
//! AWS documents ("Verifying the signatures of Amazon SNS messages"), each as `Name\nvalue\n`
//! in order. The key is made on first use (off the async runtime: generating one takes a
//! moment) and kept in the store (`sns.signing`), so signatures stay verifiable across
//! restarts; a reset forgets it with everything else.

use base64::Engine as _;
use rsa::pkcs1v15::Pkcs1v15Sign;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey};
use rsa::RsaPrivateKey;
use sha2::Digest as _;

pub const SIGNING: &str = "sns.signing";
pub const CERT_PATH: &str = "/_nimbus/sns/SimpleNotificationService.pem";

pub struct Signer {
    key: RsaPrivateKey,
    cert_der: Vec<u8>,
}

/// A DER TLV.
fn tlv(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let n = body.len();
    if n < 0x80 {
        out.push(n as u8);
    } else {
        let bytes: Vec<u8> = n
            .to_be_bytes()
            .iter()
            .copied()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(body);
    out
}

/// A positive INTEGER's minimal DER content.
fn der_uint(n: u64) -> Vec<u8> {
    let mut bytes: Vec<u8> = n
        .to_be_bytes()
        .iter()
        .copied()
        .skip_while(|b| *b == 0)
        .collect();
    if bytes.first().is_none_or(|b| b & 0x80 != 0) {
        bytes.insert(0, 0);
    }
    bytes
}

fn seq(parts: &[Vec<u8>]) -> Vec<u8> {
    tlv(0x30, &parts.concat())
}

/// sha256WithRSAEncryption, 1.2.840.113549.1.1.11, with NULL parameters.
fn sha256_with_rsa() -> Vec<u8> {
    seq(&[
        tlv(
            0x06,
            &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b],
        ),
        vec![0x05, 0x00],
    ])
}

fn name(cn: &str) -> Vec<u8> {
    // SEQUENCE { SET { SEQUENCE { OID 2.5.4.3 (commonName), UTF8String } } }
    seq(&[tlv(
        0x31,
        &seq(&[tlv(0x06, &[0x55, 0x04, 0x03]), tlv(0x0c, cn.as_bytes())]),
    )])
}

/// `YYMMDDHHMMSSZ` of epoch seconds (UTCTime covers 1950–2049).
fn utc_time(secs: i64) -> Vec<u8> {
    let iso = nimbus_core::Timestamp::from_secs(secs).to_iso8601();
    let s = format!(
        "{}{}{}{}{}{}Z",
        &iso[2..4],
        &iso[5..7],
        &iso[8..10],
        &iso[11..13],
        &iso[14..16],
        &iso[17..19]
    );
    tlv(0x17, s.as_bytes())
}

fn sign_with(key: &RsaPrivateKey, version: &str, data: &[u8]) -> Result<Vec<u8>, rsa::Error> {
    if version == "2" {
        key.sign(
            Pkcs1v15Sign::new::<sha2::Sha256>(),
            &sha2::Sha256::digest(data),
        )
    } else {
        key.sign(Pkcs1v15Sign::new::<sha1::Sha1>(), &sha1::Sha1::digest(data))
    }
}

impl Signer {
    /// A new key and a certificate valid from `now_secs` for ten years.
    pub fn generate(now_secs: i64) -> Result<Signer, String> {
        let key = RsaPrivateKey::new(&mut rand_core::OsRng, 2048).map_err(|e| e.to_string())?;
        let cert_der = certificate(&key, now_secs)?;
        Ok(Signer { key, cert_der })
    }

    /// The stored form: PKCS#8 key DER and certificate DER, base64, as JSON.
    pub fn to_record(&self) -> Result<Vec<u8>, String> {
        let key = self.key.to_pkcs8_der().map_err(|e| e.to_string())?;
        let b64 = base64::engine::general_purpose::STANDARD;
        Ok(serde_json::json!({
            "key": b64.encode(key.as_bytes()),
            "cert": b64.encode(&self.cert_der),
        })
        .to_string()
        .into_bytes())
    }

    pub fn from_record(bytes: &[u8]) -> Result<Signer, String> {
        let v: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        let b64 = base64::engine::general_purpose::STANDARD;
        let field = |k: &str| -> Result<Vec<u8>, String> {
            b64.decode(v.get(k).and_then(|x| x.as_str()).unwrap_or(""))
                .map_err(|e| e.to_string())
        };
        let key = RsaPrivateKey::from_pkcs8_der(&field("key")?).map_err(|e| e.to_string())?;
        Ok(Signer {
            key,
            cert_der: field("cert")?,
        })
    }

    pub fn cert_pem(&self) -> String {
        let b64 = base64::engine::general_purpose::STANDARD.encode(&self.cert_der);
        let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
        for chunk in b64.as_bytes().chunks(64) {
            out.push_str(&String::from_utf8_lossy(chunk));
            out.push('\n');
        }
        out.push_str("-----END CERTIFICATE-----\n");
        out
    }

    /// The base64 signature of `fields` (name, value; `None` values are left out, as an
    /// absent `Subject` is) with `SignatureVersion` `version` ("1" or "2").
    pub fn sign(&self, version: &str, fields: &[(&str, Option<&str>)]) -> String {
        let mut canonical = String::new();
        for (name, value) in fields {
            if let Some(v) = value {
                canonical.push_str(name);
                canonical.push('\n');
                canonical.push_str(v);
                canonical.push('\n');
            }
        }
        match sign_with(&self.key, version, canonical.as_bytes()) {
            Ok(sig) => base64::engine::general_purpose::STANDARD.encode(sig),
            Err(_) => String::new(),
        }
    }
}

/// A self-signed certificate for `key`: CN `sns.nimbus.local`, valid ten years from `now`.
fn certificate(key: &RsaPrivateKey, now_secs: i64) -> Result<Vec<u8>, String> {
    let spki = key
        .to_public_key()
        .to_public_key_der()
        .map_err(|e| e.to_string())?
        .as_bytes()
        .to_vec();
    let subject = name("sns.nimbus.local");
    let tbs = seq(&[
        tlv(0xa0, &tlv(0x02, &[2])),                  // version v3
        tlv(0x02, &der_uint(now_secs.max(1) as u64)), // serial number
        sha256_with_rsa(),
        subject.clone(),
        seq(&[
            utc_time(now_secs - 86_400),
            utc_time(now_secs + 10 * 365 * 86_400),
        ]),
        subject,
        spki,
    ]);
    let sig = sign_with(key, "2", &tbs).map_err(|e| e.to_string())?;
    let mut bits = vec![0u8];
    bits.extend(sig);
    Ok(seq(&[tbs, sha256_with_rsa(), tlv(0x03, &bits)]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::RsaPublicKey;

    #[test]
    fn signs_verifiably_and_round_trips() {
        let s = Signer::generate(1_796_637_600).expect("key");
        let fields = [
            ("Message", Some("hi")),
            ("MessageId", Some("1")),
            ("Subject", None),
            ("Type", Some("Notification")),
        ];
        let sig = base64::engine::general_purpose::STANDARD
            .decode(s.sign("1", &fields))
            .unwrap();
        let public = RsaPublicKey::from(&s.key);
        let digest = sha1::Sha1::digest(b"Message\nhi\nMessageId\n1\nType\nNotification\n");
        public
            .verify(Pkcs1v15Sign::new::<sha1::Sha1>(), &digest, &sig)
            .expect("verifies");
        let back = Signer::from_record(&s.to_record().unwrap()).expect("record");
        assert_eq!(back.cert_der, s.cert_der);
        assert!(s.cert_pem().starts_with("-----BEGIN CERTIFICATE-----\nMII"));
    }
}
