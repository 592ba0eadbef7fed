//! `ImportCertificate`: a PEM certificate (exactly one), its unencrypted private key (PKCS#8,
//! PKCS#1 RSA or SEC1 EC) and optionally its chain. The key must be the certificate's
//! (compared by public key), the key algorithm one ACM imports (RSA 1024–4096, EC P-256,
//! P-384, P-521), and each chain certificate must be the issuer of the one before it (by
//! name; signatures are not verified). Naming `CertificateArn` re-imports over an imported
//! certificate of the caller, keeping its ARN and tags (tags may not be given then); the
//! load balancers using it pick the new material up at once.

use super::{arn_prefix, check_arn, check_tags, not_found};
use crate::generated as g;
use crate::model::CertRec;
use crate::state::{Change, Inner};
use crate::x509;
use nimbus_core::{AwsError, RequestContext};

const IMPORTABLE: [&str; 7] = [
    "RSA_1024",
    "RSA_2048",
    "RSA_3072",
    "RSA_4096",
    "EC_prime256v1",
    "EC_secp384r1",
    "EC_secp521r1",
];

fn invalid(msg: impl Into<String>) -> AwsError {
    g::errors::validation_exception(msg)
}

/// The issuer's organization, else its common name, else the whole name (as
/// `DescribeCertificate`'s `Issuer`).
fn issuer_label(dn: &str) -> String {
    let part = |p: &str| {
        dn.split(',')
            .find_map(|x| x.trim().strip_prefix(p))
            .map(str::to_string)
    };
    part("O=")
        .or_else(|| part("CN="))
        .unwrap_or_else(|| dn.to_string())
}

pub(super) async fn import(
    inner: &Inner,
    ctx: &RequestContext,
    input: g::ImportCertificateRequest,
) -> Result<g::ImportCertificateResponse, AwsError> {
    let certs = x509::pem_certificates(&input.certificate).map_err(|_| {
        invalid("Unable to parse certificate. Please ensure the certificate is in PEM format.")
    })?;
    let der = match certs.as_slice() {
        [one] => one.clone(),
        [] => {
            return Err(invalid(
                "Unable to parse certificate. Please ensure the certificate is in PEM format.",
            ))
        }
        _ => {
            return Err(invalid(
                "The certificate field contains more than one certificate. You can specify only one certificate in this field.",
            ))
        }
    };
    let facts =
        x509::facts(&der).map_err(|e| invalid(format!("Unable to parse certificate: {e}")))?;
    if !IMPORTABLE.contains(&facts.key_algorithm.as_str()) {
        return Err(invalid(format!(
            "The certificate's key algorithm {} is not supported.",
            facts.key_algorithm
        )));
    }
    let key_bits = x509::private_key_public_bits(&input.private_key).map_err(invalid)?;
    if key_bits != facts.public_key {
        return Err(invalid(
            "The private key does not match the public key in the certificate.",
        ));
    }
    let mut chain_ders = Vec::new();
    if let Some(chain) = input.certificate_chain.as_ref().filter(|c| !c.is_empty()) {
        chain_ders = x509::pem_certificates(chain).map_err(|_| {
            invalid("Unable to parse certificate chain. Please ensure the chain is in PEM format.")
        })?;
        let mut below = facts.issuer.clone();
        for (i, c) in chain_ders.iter().enumerate() {
            let f = x509::facts(c)
                .map_err(|e| invalid(format!("Unable to parse certificate chain: {e}")))?;
            if f.subject != below {
                return Err(invalid(format!(
                    "Unable to validate certificate chain. The certificate chain must start with the immediate signing certificate, followed by any intermediaries in order. The index within the chain of the invalid certificate is: {i}"
                )));
            }
            below = f.issuer;
        }
    }
    let tags = input.tags.clone().unwrap_or_default();
    check_tags(&tags)?;
    if let Some(arn) = &input.certificate_arn {
        check_arn(arn)?;
        if !tags.is_empty() {
            return Err(g::errors::invalid_parameter_exception(
                "Tags cannot be specified when reimporting a certificate",
            ));
        }
    }
    let names = if facts.dns_names.is_empty() {
        facts.common_name.clone().into_iter().collect()
    } else {
        facts.dns_names.clone()
    };
    let domain = facts
        .common_name
        .clone()
        .or_else(|| names.first().cloned())
        .unwrap_or_default();
    let prefix = arn_prefix(ctx);
    let now = ctx.now.0;
    let new_arn = {
        let h = inner.ids.hex(32);
        format!(
            "{prefix}{}-{}-{}-{}-{}",
            &h[0..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..32]
        )
    };
    let key_pem = String::from_utf8_lossy(&input.private_key).into_owned();
    let reimport = input.certificate_arn.is_some();
    let arn = inner
        .mutate(|st| {
            let (arn, created, tags) = match &input.certificate_arn {
                Some(arn) => {
                    let old = st
                        .get(arn)
                        .filter(|_| arn.starts_with(&prefix))
                        .ok_or_else(|| not_found(arn))?;
                    if old.kind != "IMPORTED" {
                        return Err(invalid(format!(
                            "Certificate {arn} was not imported and cannot be reimported."
                        )));
                    }
                    (arn.clone(), old.created, old.tags.clone())
                }
                None => (new_arn.clone(), now, super::merged_tags(&[], &tags)?),
            };
            let rec = CertRec {
                account: ctx.account_id().to_string(),
                region: ctx.region.clone(),
                arn: arn.clone(),
                kind: "IMPORTED".into(),
                domain: domain.clone(),
                sans: names.clone(),
                validation_method: None,
                validations: Vec::new(),
                key_algorithm: facts.key_algorithm.clone(),
                signature_algorithm: facts.signature_algorithm.clone(),
                cert_pem: x509::to_pem(std::slice::from_ref(&der)),
                chain_pem: x509::to_pem(&chain_ders),
                key_pem: key_pem.clone(),
                serial: facts.serial.clone(),
                subject: facts.subject.clone(),
                issuer: issuer_label(&facts.issuer),
                not_before: facts.not_before * 1000,
                not_after: facts.not_after * 1000,
                created,
                issued: None,
                imported: Some(now),
                key_usages: facts.key_usages.clone(),
                extended_key_usages: facts.extended_key_usages.clone(),
                transparency: None,
                idempotency_token: None,
                tags,
            };
            Ok((
                Change {
                    put: vec![rec],
                    delete: Vec::new(),
                },
                arn,
            ))
        })
        .await?;
    if reimport {
        inner.notify_users();
    }
    Ok(g::ImportCertificateResponse {
        certificate_arn: Some(arn),
    })
}
