//! `RequestCertificate`: checks the names (the domain name first, then the subject
//! alternative names, each a DNS name with an optional leading `*.` label), the validation
//! method (`DNS` or `EMAIL`; `EMAIL` when none is named, as ACM does), the key algorithm
//! (`RSA_2048` by default, `EC_prime256v1`, `EC_secp384r1`) and tags; answers the ARN of an
//! earlier request with the same idempotency token within the hour; otherwise makes the key,
//! issues the certificate from Nimbus's CA at once (off the async runtime) and records it as
//! pending validation until `VALIDATION_MS` of Nimbus time have passed. DNS validation shows
//! a CNAME record per base domain (a wildcard and its base share one), as ACM does.

use super::{arn_prefix, check_tags};
use crate::ca;
use crate::generated as g;
use crate::model::{CertRec, ValidationRec, VALIDATION_MS};
use crate::state::{Change, Inner};
use crate::x509;
use nimbus_core::{AwsError, RequestContext};

/// An idempotency token holds for an hour.
const IDEMPOTENCY_MS: i64 = 3_600_000;
/// ACM's public certificates are valid for 395 days.
const VALIDITY_SECS: i64 = 395 * 86_400;
/// Names a certificate may carry (the model's limit).
const MAX_NAMES: usize = 100;

const DOMAIN_PATTERN: &str =
    r"^(\*\.)?(((?!-)[A-Za-z0-9-]{0,62}[A-Za-z0-9])\.)+((?!-)[A-Za-z0-9-]{1,62}[A-Za-z0-9])$";

/// Whether `d` matches ACM's domain name pattern.
pub fn valid_domain(d: &str) -> bool {
    let rest = d.strip_prefix("*.").unwrap_or(d);
    if d.len() > 253 {
        return false;
    }
    let labels: Vec<&str> = rest.split('.').collect();
    if labels.len() < 2 {
        return false;
    }
    labels.iter().enumerate().all(|(i, l)| {
        // The top-level label has at least two characters; every label at most 63.
        let min = if i + 1 == labels.len() { 2 } else { 1 };
        l.len() >= min
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    })
}

fn bad_domain(field: &str, d: &str) -> AwsError {
    g::errors::validation_exception(format!(
        "1 validation error detected: Value '{d}' at '{field}' failed to satisfy constraint: Member must satisfy regular expression pattern: {DOMAIN_PATTERN}"
    ))
}

fn uuid(inner: &Inner) -> String {
    let h = inner.ids.hex(32);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// Lower-case letters and digits.
fn alnum(inner: &Inner, n: usize) -> String {
    inner.ids.upper_alnum(n).to_ascii_lowercase()
}

pub(super) async fn request(
    inner: &Inner,
    ctx: &RequestContext,
    input: g::RequestCertificateRequest,
) -> Result<g::RequestCertificateResponse, AwsError> {
    let domain = input.domain_name.clone();
    if domain.is_empty() || !valid_domain(&domain) {
        return Err(bad_domain("domainName", &domain));
    }
    let mut names = vec![domain.clone()];
    for n in input.subject_alternative_names.iter().flatten() {
        if !valid_domain(n) {
            return Err(bad_domain("subjectAlternativeNames", n));
        }
        if !names.iter().any(|x| x.eq_ignore_ascii_case(n)) {
            names.push(n.clone());
        }
    }
    if names.len() > MAX_NAMES {
        return Err(g::errors::limit_exceeded_exception(format!(
            "Cannot request a certificate with more than {MAX_NAMES} domain names"
        )));
    }
    let method = input
        .validation_method
        .clone()
        .unwrap_or_else(|| "EMAIL".to_string());
    if method != "DNS" && method != "EMAIL" {
        return Err(g::errors::invalid_parameter_exception(format!(
            "Validation method {method} is only available for certificates managed by CloudFront"
        )));
    }
    let algorithm = input
        .key_algorithm
        .clone()
        .unwrap_or_else(|| "RSA_2048".to_string());
    if !["RSA_2048", "EC_prime256v1", "EC_secp384r1"].contains(&algorithm.as_str()) {
        return Err(g::errors::invalid_parameter_exception(format!(
            "Key algorithm {algorithm} is not supported for public certificates; use RSA_2048, EC_prime256v1 or EC_secp384r1"
        )));
    }
    if input.certificate_authority_arn.is_some() {
        return Err(g::errors::invalid_parameter_exception(
            "Private certificates (AWS Private CA) are not available in Nimbus",
        ));
    }
    if input.managed_by.is_some() {
        return Err(g::errors::invalid_parameter_exception(
            "Certificates managed by CloudFront are not available in Nimbus",
        ));
    }
    for o in input.domain_validation_options.iter().flatten() {
        if !names.iter().any(|n| n.eq_ignore_ascii_case(&o.domain_name)) {
            return Err(g::errors::invalid_domain_validation_options_exception(
                format!(
                    "DomainValidationOption {} is not one of the certificate's domain names",
                    o.domain_name
                ),
            ));
        }
    }
    let tags = input.tags.clone().unwrap_or_default();
    check_tags(&tags)?;
    let tags = super::merged_tags(&[], &tags)?;
    let prefix = arn_prefix(ctx);
    let now = ctx.now.0;
    if let Some(tok) = &input.idempotency_token {
        let earlier = inner.read(|st| {
            st.values()
                .find(|r| {
                    r.arn.starts_with(&prefix)
                        && r.idempotency_token.as_deref() == Some(tok.as_str())
                        && now - r.created < IDEMPOTENCY_MS
                })
                .map(|r| r.arn.clone())
        });
        if let Some(arn) = earlier {
            return Ok(g::RequestCertificateResponse {
                certificate_arn: Some(arn),
            });
        }
    }
    // Valid from the earlier of Nimbus and wall time, so clients checking against their
    // own clock accept it.
    let not_before = ctx.now.secs().min(inner.clock.real_now().secs());
    let not_after = not_before + VALIDITY_SECS;
    let ca_rec = inner.ca.clone();
    let issue_names = names.clone();
    let (key_pem, cert_pem, facts) = tokio::task::spawn_blocking(move || {
        let key = ca::new_key(&algorithm)?;
        let cert = ca::issue(&ca_rec, &key, &issue_names, not_before, not_after)?;
        let der = x509::pem_certificates(cert.as_bytes())?
            .into_iter()
            .next()
            .ok_or("no certificate issued")?;
        let facts = x509::facts(&der)?;
        Ok::<_, String>((key, cert, facts))
    })
    .await
    .map_err(|e| AwsError::internal(e.to_string()))?
    .map_err(|e| AwsError::internal(format!("the certificate could not be issued: {e}")))?;
    // One DNS record per base name (`*.example.com` validates as `example.com`).
    let mut records: Vec<(String, String, String)> = Vec::new();
    let mut validations = Vec::new();
    for n in &names {
        let base = n.trim_start_matches("*.").to_ascii_lowercase();
        let rec = match records.iter().find(|(b, _, _)| *b == base) {
            Some(r) => r.clone(),
            None => {
                let r = (
                    base.clone(),
                    format!("_{}.{base}.", inner.ids.hex(32)),
                    format!(
                        "_{}.{}.acm-validations.aws.",
                        inner.ids.hex(32),
                        alnum(inner, 10)
                    ),
                );
                records.push(r.clone());
                r
            }
        };
        let validation_domain = input
            .domain_validation_options
            .iter()
            .flatten()
            .find(|o| o.domain_name.eq_ignore_ascii_case(n))
            .map(|o| o.validation_domain.clone())
            .unwrap_or_else(|| n.clone());
        validations.push(ValidationRec {
            domain: n.clone(),
            validation_domain,
            record_name: rec.1,
            record_value: rec.2,
        });
    }
    let arn = format!("{prefix}{}", uuid(inner));
    let rec = CertRec {
        account: ctx.account_id().to_string(),
        region: ctx.region.clone(),
        arn: arn.clone(),
        kind: "AMAZON_ISSUED".into(),
        domain,
        sans: names,
        validation_method: Some(method),
        validations,
        key_algorithm: facts.key_algorithm,
        signature_algorithm: facts.signature_algorithm,
        cert_pem,
        chain_pem: inner.ca.cert_pem.clone(),
        key_pem,
        serial: facts.serial,
        subject: facts.subject,
        issuer: crate::ca::CA_ISSUER.to_string(),
        not_before: facts.not_before * 1000,
        not_after: facts.not_after * 1000,
        created: now,
        issued: Some(now + VALIDATION_MS),
        imported: None,
        key_usages: facts.key_usages,
        extended_key_usages: facts.extended_key_usages,
        transparency: Some(
            input
                .options
                .as_ref()
                .and_then(|o| o.certificate_transparency_logging_preference.clone())
                .unwrap_or_else(|| "ENABLED".into()),
        ),
        idempotency_token: input.idempotency_token.clone(),
        tags,
    };
    inner
        .mutate(|_| {
            Ok((
                Change {
                    put: vec![rec],
                    delete: Vec::new(),
                },
                (),
            ))
        })
        .await?;
    Ok(g::RequestCertificateResponse {
        certificate_arn: Some(arn),
    })
}

#[cfg(test)]
mod tests {
    use super::valid_domain;

    #[test]
    fn domain_names_follow_acms_pattern() {
        for ok in ["example.com", "*.example.com", "a-b.c.example.org", "x1.io"] {
            assert!(valid_domain(ok), "{ok}");
        }
        for bad in [
            "localhost",
            "*.*.example.com",
            "-a.example.com",
            "a_b.example.com",
            "example.c",
            "ex*ample.com",
            "",
        ] {
            assert!(!valid_domain(bad), "{bad}");
        }
    }
}
