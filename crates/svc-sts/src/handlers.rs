//! STS operations. `GetCallerIdentity` reports the principal the gateway authenticated;
//! it needs no permission (AWS allows it even under an explicit deny).

use crate::generated as g;
use nimbus_core::{AwsError, RequestContext};

/// The STS service. Stateless until temporary credentials (AssumeRole) arrive.
pub struct Sts;

impl g::Handlers for Sts {
    async fn get_caller_identity(
        &self,
        ctx: &RequestContext,
        _input: g::GetCallerIdentityRequest,
    ) -> Result<g::GetCallerIdentityResponse, AwsError> {
        Ok(g::GetCallerIdentityResponse {
            user_id: Some(ctx.principal.user_id.clone()),
            account: Some(ctx.principal.account_id.clone()),
            arn: Some(ctx.principal.arn.clone()),
        })
    }

    // Placeholders while temporary credentials are being built: the honest answer is
    // "not implemented", never a fake success.
    async fn assume_role(
        &self,
        _ctx: &RequestContext,
        _input: g::AssumeRoleRequest,
    ) -> Result<g::AssumeRoleResponse, AwsError> {
        Err(AwsError::not_implemented("STS", "AssumeRole"))
    }

    async fn get_session_token(
        &self,
        _ctx: &RequestContext,
        _input: g::GetSessionTokenRequest,
    ) -> Result<g::GetSessionTokenResponse, AwsError> {
        Err(AwsError::not_implemented("STS", "GetSessionToken"))
    }

    async fn get_access_key_info(
        &self,
        _ctx: &RequestContext,
        _input: g::GetAccessKeyInfoRequest,
    ) -> Result<g::GetAccessKeyInfoResponse, AwsError> {
        Err(AwsError::not_implemented("STS", "GetAccessKeyInfo"))
    }
}
