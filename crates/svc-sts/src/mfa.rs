//! MFA on `AssumeRole` and `GetSessionToken`: a `SerialNumber` and `TokenCode` pair is
//! checked by IAM (through [`RoleDirectory::verify_mfa`]) against the device enabled for
//! the calling IAM user; the session it opens then records that MFA authenticated it, and
//! when (`aws:MultiFactorAuthPresent`, `aws:MultiFactorAuthAge`).
//!
//! - "The identification number of the MFA device that is associated with the user who is
//!   making the AssumeRole call" (API_AssumeRole, `SerialNumber`): for both operations
//!   the device is the caller's own. Only IAM users have IAM-managed devices here, so a
//!   role session or the account root naming one is refused like an unknown device.
//! - Refusals are `AccessDenied` with AWS's two wordings: the device is not the caller's
//!   ("unable to validate MFA code"), or the code is not good now ("invalid MFA one time
//!   pass code"); a serial number without a code, or the reverse, is the first.
//!
//! [`RoleDirectory::verify_mfa`]: crate::RoleDirectory::verify_mfa

use crate::directory::MfaCheck;
use crate::errors::StsError;
use crate::handlers::Core;
use nimbus_core::{PrincipalKind, RequestContext, Timestamp};

/// Checks the request's MFA pair, if any: `Ok(None)` without one, `Ok(Some(when))` when
/// the code was good at `when`.
pub(crate) fn check(
    core: &Core,
    ctx: &RequestContext,
    serial: Option<&str>,
    code: Option<&str>,
) -> Result<Option<Timestamp>, StsError> {
    let (serial, code) = match (serial, code) {
        (None, None) => return Ok(None),
        (Some(s), Some(c)) => (s, c),
        _ => return Err(StsError::mfa_not_validated()),
    };
    let p = &ctx.principal;
    if p.kind != PrincipalKind::User {
        return Err(StsError::mfa_not_validated());
    }
    // `arn:aws:iam::A:user/path/name`: the name is the last segment.
    let user_name = p.arn.rsplit('/').next().unwrap_or_default();
    match core
        .roles
        .verify_mfa(&p.account_id, user_name, serial, code, ctx.now)
    {
        MfaCheck::Valid => Ok(Some(ctx.now)),
        MfaCheck::InvalidCode => Err(StsError::mfa_invalid_code()),
        MfaCheck::NotAssigned => Err(StsError::mfa_not_validated()),
    }
}
