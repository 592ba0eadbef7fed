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
}
