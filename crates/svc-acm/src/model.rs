//! ACM's stored records and how they sit in the store: one [`CertRec`] per certificate in
//! `acm.certificates` (keyed by ARN, unique across accounts and regions; schema version 1)
//! and the root CA in `acm.ca` (key `root`). A certificate's status is not stored: it
//! follows from the Nimbus clock (`CertRec::status`), so a requested certificate becomes
//! `ISSUED` by itself once its validation delay has passed, and any certificate `EXPIRED`
//! after its `NotAfter`.

use crate::ca::CaRec;
use nimbus_store::Table;
use serde::{Deserialize, Serialize};

pub const CERTS: Table<CertRec> = Table::new("acm.certificates", 1);
pub const CA: Table<CaRec> = Table::new("acm.ca", 1);
pub const CA_KEY: &str = "root";

/// How long (Nimbus time) a requested certificate's validation takes.
pub const VALIDATION_MS: i64 = 20_000;

/// One name's domain validation.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ValidationRec {
    pub domain: String,
    pub validation_domain: String,
    /// DNS: the CNAME record's name and value.
    pub record_name: String,
    pub record_value: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CertRec {
    pub account: String,
    pub region: String,
    pub arn: String,
    /// `AMAZON_ISSUED` or `IMPORTED`.
    pub kind: String,
    pub domain: String,
    /// Every name of the certificate, the domain name first.
    pub sans: Vec<String>,
    /// `DNS` or `EMAIL` (requested certificates).
    pub validation_method: Option<String>,
    pub validations: Vec<ValidationRec>,
    /// ACM's enum spelling (`RSA_2048`, `EC_prime256v1`, …).
    pub key_algorithm: String,
    pub signature_algorithm: String,
    pub cert_pem: String,
    /// The certificates above the leaf, PEM (the Nimbus root for issued ones).
    pub chain_pem: String,
    pub key_pem: String,
    pub serial: String,
    pub subject: String,
    pub issuer: String,
    /// Milliseconds since the epoch.
    pub not_before: i64,
    pub not_after: i64,
    pub created: i64,
    /// Requested: when validation completes and the certificate is issued.
    pub issued: Option<i64>,
    /// Imported: the last import.
    pub imported: Option<i64>,
    pub key_usages: Vec<String>,
    pub extended_key_usages: Vec<(String, String)>,
    /// `ENABLED` / `DISABLED` (requested certificates).
    pub transparency: Option<String>,
    pub idempotency_token: Option<String>,
    pub tags: Vec<(String, Option<String>)>,
}

impl CertRec {
    /// `PENDING_VALIDATION`, `ISSUED` or `EXPIRED` at Nimbus time `now` (ms).
    pub fn status(&self, now: i64) -> &'static str {
        if self.issued.is_some_and(|t| now < t) {
            "PENDING_VALIDATION"
        } else if now > self.not_after {
            "EXPIRED"
        } else {
            "ISSUED"
        }
    }

    /// The key algorithm as `DescribeCertificate` spells it (`RSA-2048`, `EC-prime256v1`).
    pub fn key_algorithm_detail(&self) -> String {
        self.key_algorithm.replacen('_', "-", 1)
    }
}
