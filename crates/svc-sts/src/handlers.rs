//! [`Sts`]: the STS service, implementing the generated `Handlers` trait by delegating each
//! operation to its module (`assume_role`, `session_token`, `access_key_info`).
//! `GetCallerIdentity` reports the principal the gateway authenticated (for a session, the
//! session's ARN and `UserId`); it needs no permission (AWS allows it even under an
//! explicit deny).

use crate::directory::RoleDirectory;
use crate::generated as g;
use crate::sessions::Sessions;
use crate::{access_key_info, assume_role, session_token};
use nimbus_core::{AwsError, Clock, Ids, RequestContext};
use nimbus_store::{Store, StoreError};
use nimbus_wire::ResetStep;
use std::sync::Arc;

/// What the credential operations work with.
pub(crate) struct Core {
    pub sessions: Sessions,
    pub roles: Arc<dyn RoleDirectory>,
    pub ids: Arc<Ids>,
}

/// The STS service.
pub struct Sts {
    core: Core,
}

impl std::fmt::Debug for Sts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sts")
            .field("sessions", &self.sessions())
            .finish_non_exhaustive()
    }
}

impl Sts {
    /// STS over `store`: loads the stored sessions; `roles` is IAM as STS sees it.
    pub fn load(
        store: Store,
        clock: Arc<dyn Clock>,
        ids: Arc<Ids>,
        roles: Arc<dyn RoleDirectory>,
    ) -> Result<Self, StoreError> {
        Ok(Sts {
            core: Core {
                sessions: Sessions::load(store, clock)?,
                roles,
                ids,
            },
        })
    }

    /// The sessions this service issues.
    pub fn sessions(&self) -> &Sessions {
        &self.core.sessions
    }
}

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

    async fn assume_role(
        &self,
        ctx: &RequestContext,
        input: g::AssumeRoleRequest,
    ) -> Result<g::AssumeRoleResponse, AwsError> {
        let core = &self.core;
        Ok(assume_role::assume_role(core, ctx, input).await?)
    }

    async fn get_session_token(
        &self,
        ctx: &RequestContext,
        input: g::GetSessionTokenRequest,
    ) -> Result<g::GetSessionTokenResponse, AwsError> {
        let core = &self.core;
        Ok(session_token::get_session_token(core, ctx, input).await?)
    }

    async fn get_access_key_info(
        &self,
        ctx: &RequestContext,
        input: g::GetAccessKeyInfoRequest,
    ) -> Result<g::GetAccessKeyInfoResponse, AwsError> {
        let core = &self.core;
        Ok(access_key_info::get_access_key_info(core, ctx, input)?)
    }

    fn reset<'a>(&'a self, then: ResetStep<'a>) -> ResetStep<'a> {
        self.core.sessions.reset_with(then)
    }
}
