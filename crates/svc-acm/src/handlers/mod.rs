//! The generated `Handlers` trait implemented for [`Acm`]: one thin method per operation,
//! delegating to `request` (RequestCertificate), `import` (ImportCertificate) and `read`
//! (describe, list, get, delete, tags, account configuration). Shared checks live here:
//! certificate ARNs, the caller's scope, tags.

mod import;
mod read;
mod request;

use crate::generated as g;
use crate::model::CertRec;
use crate::state::Acm;
use nimbus_core::{AwsError, RequestContext};
use std::collections::BTreeMap;

/// Tags a certificate may carry.
pub const MAX_TAGS: usize = 50;

/// `arn:aws:acm:REGION:ACCOUNT:certificate/` of the caller's scope.
pub fn arn_prefix(ctx: &RequestContext) -> String {
    format!(
        "arn:aws:acm:{}:{}:certificate/",
        ctx.region,
        ctx.account_id()
    )
}

/// Checks a certificate ARN's form (ACM answers `InvalidArnException` otherwise).
pub fn check_arn(arn: &str) -> Result<(), AwsError> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let ok = parts.len() == 6
        && parts[0] == "arn"
        && !parts[1].is_empty()
        && parts[2] == "acm"
        && parts[4].bytes().all(|b| b.is_ascii_digit())
        && !parts[4].is_empty()
        && parts[5].starts_with("certificate/")
        && parts[5].len() > "certificate/".len();
    if ok && arn.len() >= 20 {
        Ok(())
    } else {
        Err(g::errors::invalid_arn_exception(format!(
            "String '{arn}' is not a valid ARN"
        )))
    }
}

pub fn not_found(arn: &str) -> AwsError {
    g::errors::resource_not_found_exception(format!("Could not find certificate {arn}."))
}

/// The caller's certificate `arn`.
pub fn mine<'a>(
    st: &'a BTreeMap<String, CertRec>,
    ctx: &RequestContext,
    arn: &str,
) -> Result<&'a CertRec, AwsError> {
    check_arn(arn)?;
    st.get(arn)
        .filter(|_| arn.starts_with(&arn_prefix(ctx)))
        .ok_or_else(|| not_found(arn))
}

/// Checks tags as ACM does: keys 1–128 characters, values up to 256, no `aws:` prefix.
pub fn check_tags(tags: &[g::Tag]) -> Result<(), AwsError> {
    for t in tags {
        if t.key.is_empty() || t.key.chars().count() > 128 {
            return Err(g::errors::validation_exception(format!(
                "1 validation error detected: Value '{}' at 'tags.member.key' failed to satisfy constraint: Member must have length between 1 and 128",
                t.key
            )));
        }
        if t.value.as_ref().is_some_and(|v| v.chars().count() > 256) {
            return Err(g::errors::validation_exception(
                "1 validation error detected: Value at 'tags.member.value' failed to satisfy constraint: Member must have length less than or equal to 256",
            ));
        }
        if t.key.to_ascii_lowercase().starts_with("aws:") {
            return Err(g::errors::invalid_tag_exception(format!(
                "Tag key '{}' uses the reserved prefix 'aws:'",
                t.key
            )));
        }
    }
    Ok(())
}

/// `tags` merged into `cur` (a key given again takes the new value).
pub fn merged_tags(
    cur: &[(String, Option<String>)],
    tags: &[g::Tag],
) -> Result<Vec<(String, Option<String>)>, AwsError> {
    let mut out = cur.to_vec();
    for t in tags {
        match out.iter_mut().find(|(k, _)| *k == t.key) {
            Some(e) => e.1 = t.value.clone(),
            None => out.push((t.key.clone(), t.value.clone())),
        }
    }
    if out.len() > MAX_TAGS {
        return Err(g::errors::too_many_tags_exception(format!(
            "the TagSet: {{{}}} contains too many Tags",
            out.len()
        )));
    }
    Ok(out)
}

impl g::Handlers for Acm {
    async fn add_tags_to_certificate(
        &self,
        ctx: &RequestContext,
        input: g::AddTagsToCertificateRequest,
    ) -> Result<(), AwsError> {
        read::add_tags(&self.0, ctx, input).await
    }

    async fn delete_certificate(
        &self,
        ctx: &RequestContext,
        input: g::DeleteCertificateRequest,
    ) -> Result<(), AwsError> {
        read::delete(&self.0, ctx, input).await
    }

    async fn describe_certificate(
        &self,
        ctx: &RequestContext,
        input: g::DescribeCertificateRequest,
    ) -> Result<g::DescribeCertificateResponse, AwsError> {
        read::describe(&self.0, ctx, input)
    }

    async fn get_account_configuration(
        &self,
        _ctx: &RequestContext,
    ) -> Result<g::GetAccountConfigurationResponse, AwsError> {
        // ACM's default: expiry events start 45 days before a certificate expires.
        Ok(g::GetAccountConfigurationResponse {
            expiry_events: Some(g::ExpiryEventsConfiguration {
                days_before_expiry: Some(45),
            }),
        })
    }

    async fn get_certificate(
        &self,
        ctx: &RequestContext,
        input: g::GetCertificateRequest,
    ) -> Result<g::GetCertificateResponse, AwsError> {
        read::get(&self.0, ctx, input)
    }

    async fn import_certificate(
        &self,
        ctx: &RequestContext,
        input: g::ImportCertificateRequest,
    ) -> Result<g::ImportCertificateResponse, AwsError> {
        import::import(&self.0, ctx, input).await
    }

    async fn list_certificates(
        &self,
        ctx: &RequestContext,
        input: g::ListCertificatesRequest,
    ) -> Result<g::ListCertificatesResponse, AwsError> {
        read::list(&self.0, ctx, input)
    }

    async fn list_tags_for_certificate(
        &self,
        ctx: &RequestContext,
        input: g::ListTagsForCertificateRequest,
    ) -> Result<g::ListTagsForCertificateResponse, AwsError> {
        read::list_tags(&self.0, ctx, input)
    }

    async fn remove_tags_from_certificate(
        &self,
        ctx: &RequestContext,
        input: g::RemoveTagsFromCertificateRequest,
    ) -> Result<(), AwsError> {
        read::remove_tags(&self.0, ctx, input).await
    }

    async fn request_certificate(
        &self,
        ctx: &RequestContext,
        input: g::RequestCertificateRequest,
    ) -> Result<g::RequestCertificateResponse, AwsError> {
        request::request(&self.0, ctx, input).await
    }

    fn reset<'a>(&'a self, then: nimbus_wire::ResetStep<'a>) -> nimbus_wire::ResetStep<'a> {
        self.0.reset_with(then)
    }
}
