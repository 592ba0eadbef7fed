//! Reading and removing certificates: `DescribeCertificate` (status from the Nimbus clock,
//! `InUseBy` from the load balancers), `ListCertificates` (status and `Includes` filters —
//! by default only RSA_1024 and RSA_2048 keys, as ACM — sorted by creation, paged by an
//! opaque token), `GetCertificate` (the certificate and its chain; `RequestInProgress`
//! while pending), `DeleteCertificate` (`ResourceInUseException` while a listener uses
//! it), and tags.

use super::{check_arn, check_tags, mine};
use crate::generated as g;
use crate::model::CertRec;
use crate::state::{Change, Inner};
use base64::Engine as _;
use nimbus_core::{AwsError, RequestContext, Timestamp};

fn ts(ms: i64) -> Option<Timestamp> {
    Some(Timestamp(ms))
}

fn renewal_eligibility(r: &CertRec, in_use: bool) -> &'static str {
    if r.kind == "AMAZON_ISSUED" && in_use {
        "ELIGIBLE"
    } else {
        "INELIGIBLE"
    }
}

fn detail(r: &CertRec, now: i64, users: Vec<String>) -> g::CertificateDetail {
    let status = r.status(now);
    let issued = status != "PENDING_VALIDATION";
    let validations = (r.kind == "AMAZON_ISSUED").then(|| {
        r.validations
            .iter()
            .map(|v| {
                let dns = r.validation_method.as_deref() == Some("DNS");
                let base = v.validation_domain.trim_start_matches("*.");
                g::DomainValidation {
                    domain_name: v.domain.clone(),
                    validation_domain: Some(v.validation_domain.clone()),
                    validation_status: Some(
                        if issued {
                            "SUCCESS"
                        } else {
                            "PENDING_VALIDATION"
                        }
                        .into(),
                    ),
                    resource_record: dns.then(|| g::ResourceRecord {
                        name: v.record_name.clone(),
                        r#type: "CNAME".into(),
                        value: v.record_value.clone(),
                    }),
                    validation_emails: (!dns).then(|| {
                        [
                            "admin",
                            "administrator",
                            "hostmaster",
                            "postmaster",
                            "webmaster",
                        ]
                        .iter()
                        .map(|u| format!("{u}@{base}"))
                        .collect()
                    }),
                    validation_method: r.validation_method.clone(),
                    ..Default::default()
                }
            })
            .collect()
    });
    let in_use = !users.is_empty();
    g::CertificateDetail {
        certificate_arn: Some(r.arn.clone()),
        domain_name: Some(r.domain.clone()),
        subject_alternative_names: Some(r.sans.clone()),
        domain_validation_options: validations,
        serial: issued.then(|| r.serial.clone()),
        subject: issued.then(|| r.subject.clone()),
        issuer: issued.then(|| r.issuer.clone()),
        created_at: ts(r.created),
        issued_at: r.issued.filter(|_| issued).and_then(ts),
        imported_at: r.imported.and_then(ts),
        status: Some(status.into()),
        not_before: issued.then_some(Timestamp(r.not_before)),
        not_after: issued.then_some(Timestamp(r.not_after)),
        key_algorithm: Some(r.key_algorithm_detail()),
        signature_algorithm: Some(r.signature_algorithm.clone()),
        in_use_by: Some(users),
        r#type: Some(r.kind.clone()),
        key_usages: Some(
            r.key_usages
                .iter()
                .filter(|_| issued)
                .map(|k| g::KeyUsage {
                    name: Some(k.clone()),
                })
                .collect(),
        ),
        extended_key_usages: Some(
            r.extended_key_usages
                .iter()
                .filter(|_| issued)
                .map(|(n, o)| g::ExtendedKeyUsage {
                    name: Some(n.clone()),
                    oid: Some(o.clone()),
                })
                .collect(),
        ),
        renewal_eligibility: Some(renewal_eligibility(r, in_use).into()),
        options: Some(g::CertificateOptions {
            certificate_transparency_logging_preference: r.transparency.clone(),
            export: Some("DISABLED".into()),
        }),
        ..Default::default()
    }
}

pub(super) fn describe(
    inner: &Inner,
    ctx: &RequestContext,
    input: g::DescribeCertificateRequest,
) -> Result<g::DescribeCertificateResponse, AwsError> {
    let r = inner.read(|st| mine(st, ctx, &input.certificate_arn).cloned())?;
    let users = inner.users_of(&r.arn);
    Ok(g::DescribeCertificateResponse {
        certificate: Some(detail(&r, ctx.now.0, users)),
    })
}

const DEFAULT_KEY_TYPES: [&str; 2] = ["RSA_1024", "RSA_2048"];

pub(super) fn list(
    inner: &Inner,
    ctx: &RequestContext,
    input: g::ListCertificatesRequest,
) -> Result<g::ListCertificatesResponse, AwsError> {
    let max = input.max_items.unwrap_or(1000);
    if !(1..=1000).contains(&max) {
        return Err(g::errors::validation_exception(format!(
            "1 validation error detected: Value '{max}' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000"
        )));
    }
    let start = match &input.next_token {
        None => 0usize,
        Some(t) => base64::engine::general_purpose::STANDARD
            .decode(t)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| s.strip_prefix("acm:").and_then(|n| n.parse().ok()))
            .ok_or_else(|| {
                g::errors::invalid_args_exception(format!("The NextToken {t} is not valid"))
            })?,
    };
    let now = ctx.now.0;
    let prefix = super::arn_prefix(ctx);
    let statuses = input.certificate_statuses.clone().filter(|v| !v.is_empty());
    let inc = input.includes.clone().unwrap_or_default();
    let key_types: Vec<String> = inc
        .key_types
        .clone()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| DEFAULT_KEY_TYPES.iter().map(|s| s.to_string()).collect());
    let mut mine: Vec<CertRec> = inner.read(|st| {
        st.values()
            .filter(|r| r.arn.starts_with(&prefix))
            .filter(|r| {
                statuses
                    .as_ref()
                    .is_none_or(|s| s.iter().any(|x| x == r.status(now)))
            })
            .filter(|r| key_types.contains(&r.key_algorithm))
            .filter(|r| {
                inc.key_usage
                    .as_ref()
                    .is_none_or(|want| want.iter().all(|k| k == "ANY" || r.key_usages.contains(k)))
            })
            .filter(|r| {
                inc.extended_key_usage.as_ref().is_none_or(|want| {
                    want.iter().all(|k| {
                        k == "ANY"
                            || (k == "NONE" && r.extended_key_usages.is_empty())
                            || r.extended_key_usages.iter().any(|(n, _)| n == k)
                    })
                })
            })
            .filter(|_| inc.managed_by.is_none())
            .cloned()
            .collect()
    });
    mine.sort_by(|a, b| a.created.cmp(&b.created).then(a.arn.cmp(&b.arn)));
    if input.sort_order.as_deref() == Some("DESCENDING") {
        mine.reverse();
    }
    let end = (start + max as usize).min(mine.len());
    let page = mine.get(start.min(end)..end).unwrap_or(&[]);
    let summaries = page
        .iter()
        .map(|r| {
            let users = inner.users_of(&r.arn);
            let status = r.status(now);
            let issued = status != "PENDING_VALIDATION";
            g::CertificateSummary {
                certificate_arn: Some(r.arn.clone()),
                domain_name: Some(r.domain.clone()),
                subject_alternative_name_summaries: Some(r.sans.clone()),
                has_additional_subject_alternative_names: Some(false),
                status: Some(status.into()),
                r#type: Some(r.kind.clone()),
                key_algorithm: Some(r.key_algorithm.clone()),
                key_usages: Some(r.key_usages.clone()),
                extended_key_usages: Some(
                    r.extended_key_usages
                        .iter()
                        .map(|(n, _)| n.clone())
                        .collect(),
                ),
                export_option: Some("DISABLED".into()),
                in_use: Some(!users.is_empty()),
                exported: Some(false),
                renewal_eligibility: Some(renewal_eligibility(r, !users.is_empty()).into()),
                not_before: issued.then_some(Timestamp(r.not_before)),
                not_after: issued.then_some(Timestamp(r.not_after)),
                created_at: ts(r.created),
                issued_at: r.issued.filter(|_| issued).and_then(ts),
                imported_at: r.imported.and_then(ts),
                ..Default::default()
            }
        })
        .collect();
    let next = (end < mine.len())
        .then(|| base64::engine::general_purpose::STANDARD.encode(format!("acm:{end}")));
    Ok(g::ListCertificatesResponse {
        next_token: next,
        certificate_summary_list: Some(summaries),
    })
}

pub(super) fn get(
    inner: &Inner,
    ctx: &RequestContext,
    input: g::GetCertificateRequest,
) -> Result<g::GetCertificateResponse, AwsError> {
    let r = inner.read(|st| mine(st, ctx, &input.certificate_arn).cloned())?;
    let status = r.status(ctx.now.0);
    if status == "PENDING_VALIDATION" {
        return Err(g::errors::request_in_progress_exception(format!(
            "Certificate {} is in PENDING_VALIDATION status",
            r.arn
        )));
    }
    Ok(g::GetCertificateResponse {
        certificate: Some(r.cert_pem.clone()),
        certificate_chain: (!r.chain_pem.is_empty()).then(|| r.chain_pem.clone()),
    })
}

pub(super) async fn delete(
    inner: &Inner,
    ctx: &RequestContext,
    input: g::DeleteCertificateRequest,
) -> Result<(), AwsError> {
    let arn = input.certificate_arn.clone();
    inner.read(|st| mine(st, ctx, &arn).map(|_| ()))?;
    let users = inner.users_of(&arn);
    if !users.is_empty() {
        return Err(g::errors::resource_in_use_exception(format!(
            "Certificate {arn} in account {} is in use.",
            ctx.account_id()
        )));
    }
    inner
        .mutate(|st| {
            mine(st, ctx, &arn)?;
            Ok((
                Change {
                    put: Vec::new(),
                    delete: vec![arn.clone()],
                },
                (),
            ))
        })
        .await?;
    Ok(())
}

pub(super) async fn add_tags(
    inner: &Inner,
    ctx: &RequestContext,
    input: g::AddTagsToCertificateRequest,
) -> Result<(), AwsError> {
    check_arn(&input.certificate_arn)?;
    check_tags(&input.tags)?;
    inner
        .mutate(|st| {
            let r = mine(st, ctx, &input.certificate_arn)?;
            let tags = super::merged_tags(&r.tags, &input.tags)?;
            Ok((
                Change {
                    put: vec![CertRec { tags, ..r.clone() }],
                    delete: Vec::new(),
                },
                (),
            ))
        })
        .await?;
    Ok(())
}

pub(super) async fn remove_tags(
    inner: &Inner,
    ctx: &RequestContext,
    input: g::RemoveTagsFromCertificateRequest,
) -> Result<(), AwsError> {
    check_arn(&input.certificate_arn)?;
    inner
        .mutate(|st| {
            let r = mine(st, ctx, &input.certificate_arn)?;
            // A tag given with a value is removed only where the value matches.
            let tags = r
                .tags
                .iter()
                .filter(|(k, v)| {
                    !input
                        .tags
                        .iter()
                        .any(|t| t.key == *k && (t.value.is_none() || t.value == *v))
                })
                .cloned()
                .collect();
            Ok((
                Change {
                    put: vec![CertRec { tags, ..r.clone() }],
                    delete: Vec::new(),
                },
                (),
            ))
        })
        .await?;
    Ok(())
}

pub(super) fn list_tags(
    inner: &Inner,
    ctx: &RequestContext,
    input: g::ListTagsForCertificateRequest,
) -> Result<g::ListTagsForCertificateResponse, AwsError> {
    let r = inner.read(|st| mine(st, ctx, &input.certificate_arn).cloned())?;
    Ok(g::ListTagsForCertificateResponse {
        tags: Some(
            r.tags
                .iter()
                .map(|(k, v)| g::Tag {
                    key: k.clone(),
                    value: v.clone(),
                })
                .collect(),
        ),
    })
}
