//! X.509 signing certificates of users and of the account root
//! (`UploadSigningCertificate`, `ListSigningCertificates`, `UpdateSigningCertificate`,
//! `DeleteSigningCertificate`;
//! <https://docs.aws.amazon.com/IAM/latest/APIReference/API_UploadSigningCertificate.html>):
//! - without `UserName` the call acts on the caller: its IAM user, or the account root
//!   (whose certificates the account summary's `AccountSigningCertificatesPresent` counts);
//! - the body must be one PEM certificate (`MalformedCertificate`), not expired on the
//!   Nimbus clock (`InvalidCertificate`), not already uploaded for the same owner
//!   (`DuplicateCertificate`); at most two per user (`LimitExceeded`);
//! - ids are 28 upper-case letters and digits; new certificates are `Active`;
//! - the credential report's `cert_1_*` / `cert_2_*` columns are the owner's certificates,
//!   oldest first; a user holding certificates cannot be deleted (`DeleteConflict`), and a
//!   renamed user keeps them.
//!
//! The root's certificates are reported with the account id as their `UserName`.

use super::common::target_user;
use crate::certs;
use crate::errors;
use crate::generated::errors as g;
use crate::generated::*;
use crate::model::SigningCertRec;
use crate::persist::{Change, Op};
use crate::render;
use crate::state::{Account, Iam};
use crate::validate::Checker;
use nimbus_core::{AwsError, RequestContext};

/// "Signing certificates per user: 2".
pub(super) const MAX_SIGNING_CERTS: usize = 2;

fn status(active: bool) -> String {
    if active { "Active" } else { "Inactive" }.to_string()
}

fn wire(c: &SigningCertRec) -> SigningCertificate {
    SigningCertificate {
        user_name: c.user.clone().unwrap_or_else(|| c.account.clone()),
        certificate_id: c.id.clone(),
        certificate_body: c.body.clone(),
        status: status(c.active),
        upload_date: Some(render::ts(c.uploaded)),
    }
}

/// The owner the call names (`None`: the root), checked to exist.
fn owner(acct: &Account, user: &Option<String>) -> Result<Option<String>, AwsError> {
    match user {
        Some(name) => Ok(Some(acct.user(name)?.name.clone())),
        None => Ok(None),
    }
}

fn find<'a>(
    acct: &'a Account,
    user: &Option<String>,
    id: &str,
) -> Result<&'a SigningCertRec, AwsError> {
    acct.signing_certs
        .get(id)
        .filter(|c| match (&c.user, user) {
            (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
            (None, None) => true,
            _ => false,
        })
        .ok_or_else(|| {
            errors::no_such_entity(format!("The Certificate with id {id} cannot be found."))
        })
}

fn check_id(c: &mut Checker, id: &str) {
    let ok =
        (24..=128).contains(&id.len()) && id.chars().all(|ch| ch.is_alphanumeric() || ch == '_');
    if !ok {
        c.fail_raw(format!(
            "Value '{id}' at 'certificateId' failed to satisfy constraint: Member must have \
             length between 24 and 128 and satisfy regular expression pattern: [\\w]+"
        ));
    }
}

pub(super) async fn upload(
    iam: &Iam,
    ctx: &RequestContext,
    input: UploadSigningCertificateRequest,
) -> Result<UploadSigningCertificateResponse, AwsError> {
    let user = target_user(ctx, input.user_name)?;
    let body = input.certificate_body.trim().to_string();
    let cert = certs::one_certificate(&body).ok_or_else(|| {
        g::malformed_certificate_exception(
            "Unable to parse certificate. Please ensure the certificate is in PEM format.",
        )
    })?;
    let now = iam.now_ms(ctx);
    if cert.not_after_ms <= now {
        return Err(g::invalid_certificate_exception(
            "The certificate has expired and cannot be uploaded.",
        ));
    }
    let id = iam.ids.upper_alnum(28);
    let account = ctx.account_id().to_string();
    iam.mutate(ctx, |_, acct| {
        let user = owner(acct, &user)?;
        let held = acct.signing_certs_of(user.as_deref());
        let same = held
            .iter()
            .any(|c| certs::one_certificate(&c.body).is_some_and(|other| other.der == cert.der));
        if same {
            return Err(g::duplicate_certificate_exception(
                "The certificate is already uploaded for this user.",
            ));
        }
        if user.is_some() && held.len() >= MAX_SIGNING_CERTS {
            return Err(errors::quota(
                "SigningCertificatesPerUser",
                MAX_SIGNING_CERTS,
            ));
        }
        let c = SigningCertRec {
            account: account.clone(),
            user,
            id: id.clone(),
            body,
            active: true,
            uploaded: now,
        };
        let out = UploadSigningCertificateResponse {
            certificate: wire(&c),
        };
        Ok((Change::one(Op::PutSigningCert(c)), out))
    })
    .await
}

pub(super) async fn list(
    iam: &Iam,
    ctx: &RequestContext,
    input: ListSigningCertificatesRequest,
) -> Result<ListSigningCertificatesResponse, AwsError> {
    Checker::new().max_items(input.max_items).done()?;
    let user = target_user(ctx, input.user_name)?;
    let items = iam.read(ctx, |_, acct| {
        let user = owner(acct, &user)?;
        Ok::<_, AwsError>(
            acct.signing_certs_of(user.as_deref())
                .into_iter()
                .map(wire)
                .collect(),
        )
    })?;
    let (certificates, is_truncated, marker) =
        render::page_indexed(items, input.marker.as_deref(), input.max_items);
    Ok(ListSigningCertificatesResponse {
        certificates,
        is_truncated,
        marker,
    })
}

pub(super) async fn update(
    iam: &Iam,
    ctx: &RequestContext,
    input: UpdateSigningCertificateRequest,
) -> Result<(), AwsError> {
    let mut c = Checker::new();
    check_id(&mut c, &input.certificate_id);
    if input.status != "Active" && input.status != "Inactive" {
        c.fail_raw(format!(
            "Value '{}' at 'status' failed to satisfy constraint: Member must satisfy enum \
             value set: [Active, Inactive, Expired]",
            input.status
        ));
    }
    c.done()?;
    let user = target_user(ctx, input.user_name)?;
    let active = input.status == "Active";
    iam.mutate(ctx, |_, acct| {
        let user = owner(acct, &user)?;
        let mut cert = find(acct, &user, &input.certificate_id)?.clone();
        cert.active = active;
        Ok((Change::one(Op::PutSigningCert(cert)), ()))
    })
    .await
}

pub(super) async fn delete(
    iam: &Iam,
    ctx: &RequestContext,
    input: DeleteSigningCertificateRequest,
) -> Result<(), AwsError> {
    let mut c = Checker::new();
    check_id(&mut c, &input.certificate_id);
    c.done()?;
    let user = target_user(ctx, input.user_name)?;
    iam.mutate(ctx, |_, acct| {
        let user = owner(acct, &user)?;
        let cert = find(acct, &user, &input.certificate_id)?;
        Ok((
            Change::one(Op::DeleteSigningCert(cert.account.clone(), cert.id.clone())),
            (),
        ))
    })
    .await
}
