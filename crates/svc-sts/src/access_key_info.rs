//! `GetAccessKeyInfo`: the account an access key belongs to — a session key STS issued
//! (expired or not, while STS still knows it), an IAM user's or account root's long-term
//! key (asked of the [`crate::RoleDirectory`]), or the caller's own key. The answer says
//! nothing about the key's state (active, inactive, expired), as AWS documents
//! (<https://docs.aws.amazon.com/STS/latest/APIReference/API_GetAccessKeyInfo.html>).
//!
//! A key nobody issued: AWS decodes the account from the key id itself, and documents only
//! that a deleted key "might return an error that the key doesn't exist"; Nimbus's key ids
//! carry no account, so it answers that error (`InvalidParameterValue`, wording Nimbus's).

use crate::errors::StsError;
use crate::generated as g;
use crate::handlers::Core;
use crate::validate::Checker;
use nimbus_core::RequestContext;

pub(crate) fn get_access_key_info(
    core: &Core,
    ctx: &RequestContext,
    input: g::GetAccessKeyInfoRequest,
) -> Result<g::GetAccessKeyInfoResponse, StsError> {
    let id = input.access_key_id;
    Checker::new().access_key_id(&id).finish()?;
    let account = core
        .sessions
        .lookup_at(&id, ctx.now)
        .map(|s| s.account.clone())
        .or_else(|| core.roles.key_account(&id))
        .or_else(|| (id == ctx.principal.access_key_id).then(|| ctx.principal.account_id.clone()))
        .ok_or_else(|| {
            StsError::InvalidParameterValue(format!("The access key ID {id} does not exist."))
        })?;
    Ok(g::GetAccessKeyInfoResponse {
        account: Some(account),
    })
}
