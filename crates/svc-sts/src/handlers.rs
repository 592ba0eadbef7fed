//! [`Sts`]: the STS service, implementing the generated `Handlers` trait by delegating each
//! operation to its module (`assume_role`, `session_token`, `access_key_info`).
//! `GetCallerIdentity` reports the principal the gateway authenticated (for a session, the
//! session's ARN and `UserId`); it needs no permission (AWS allows it even under an
//! explicit deny). `DecodeAuthorizationMessage` opens a message sealed by
//! `authz_message` for the caller's account.

use crate::authz_message::AuthorizationMessages;
use crate::directory::RoleDirectory;
use crate::errors::StsError;
use crate::generated as g;
use crate::sessions::Sessions;
use crate::{access_key_info, assume_role, federation_token, session_token, web_identity};
use nimbus_core::{AwsError, Clock, Ids, RequestContext};
use nimbus_store::{Store, StoreError};
use nimbus_wire::ResetStep;
use std::sync::Arc;

/// What the credential operations work with.
pub(crate) struct Core {
    pub sessions: Sessions,
    pub messages: AuthorizationMessages,
    pub roles: Arc<dyn RoleDirectory>,
    pub ids: Arc<Ids>,
    pub store: Store,
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
        let store_for_reset = store.clone();
        Ok(Sts {
            core: Core {
                messages: AuthorizationMessages::load(&store, ids.clone())?,
                sessions: Sessions::load(store, clock)?,
                roles,
                ids,
                store: store_for_reset,
            },
        })
    }

    /// What seals the encoded authorization failure messages this service decodes.
    pub fn messages(&self) -> &AuthorizationMessages {
        &self.core.messages
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

    async fn assume_role_with_web_identity(
        &self,
        ctx: &RequestContext,
        input: g::AssumeRoleWithWebIdentityRequest,
    ) -> Result<g::AssumeRoleWithWebIdentityResponse, AwsError> {
        let core = &self.core;
        Ok(web_identity::assume_role_with_web_identity(core, ctx, input).await?)
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

    async fn get_federation_token(
        &self,
        ctx: &RequestContext,
        input: g::GetFederationTokenRequest,
    ) -> Result<g::GetFederationTokenResponse, AwsError> {
        let core = &self.core;
        Ok(federation_token::get_federation_token(core, ctx, input).await?)
    }

    async fn decode_authorization_message(
        &self,
        ctx: &RequestContext,
        input: g::DecodeAuthorizationMessageRequest,
    ) -> Result<g::DecodeAuthorizationMessageResponse, AwsError> {
        // "The error returned if the message passed to DecodeAuthorizationMessage was
        // invalid. This can happen if the token contains invalid characters, such as line
        // breaks, or if the message has expired."
        let decoded = self
            .core
            .messages
            .open(ctx.account_id(), &input.encoded_message)
            .ok_or_else(|| {
                StsError::InvalidAuthorizationMessage(
                    "The encoded authorization message is invalid.".into(),
                )
            })?;
        Ok(g::DecodeAuthorizationMessageResponse {
            decoded_message: Some(decoded),
        })
    }

    fn reset<'a>(&'a self, then: ResetStep<'a>) -> ResetStep<'a> {
        // The sealing key outlives a reset (messages already handed out still decode):
        // written again once the store is wiped.
        let key = self.core.messages.save_batch();
        let store = self.core.store.clone();
        let then: ResetStep<'a> = Box::pin(async move {
            then.await?;
            store
                .submit(key)
                .await
                .map_err(|e| nimbus_wire::ResetError(e.to_string()))
        });
        self.core.sessions.reset_with(then)
    }
}
