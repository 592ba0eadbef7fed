//! AWS STS: temporary credentials. `generated` holds the wire model, typed shapes and the
//! `Handlers` trait that `codegen/` produces from botocore; [`Sts`] (`handlers`)
//! implements it, one module per operation (`assume_role`, `session_token`,
//! `federation_token`, `access_key_info`). Issued credentials are [`SessionView`]s held by [`Sessions`] over
//! the durable store (`sessions`, `persist`); [`Sessions`] is also the read API the
//! binary's credential store uses to authenticate `ASIA...` keys. What STS needs of IAM it
//! asks through [`RoleDirectory`], a trait it owns and the binary implements over IAM.
//! STS evaluates no policy: trust policies and session policies are the authorizer's.
//! MFA codes (`SerialNumber`/`TokenCode`) are checked by IAM through the same trait
//! (`mfa`), and a session records whether MFA authenticated it and when.
//! [`InstanceRoles`] (`instance`) issues the role sessions instances get from their
//! metadata service. `DecodeAuthorizationMessage` opens the authorization failure messages
//! sealed by [`AuthorizationMessages`] (`authz_message`). `AssumeRoleWithWebIdentity`
//! (`web_identity`) verifies an OpenID Connect token (`jwt`) with the keys of its issuer
//! (`oidc_keys`, loopback issuers only) and asks IAM, through [`RoleDirectory`], for the
//! provider and the role's trust decision. Not here yet: `AssumeRoleWithSAML`.

mod access_key_info;
mod assume_role;
mod authz_message;
mod credentials;
mod directory;
mod errors;
mod federation_token;
pub mod generated;
mod handlers;
mod instance;
mod jwt;
mod mfa;
mod oidc_keys;
mod persist;
mod session;
mod session_token;
mod sessions;
mod validate;
mod web_identity;

pub use authz_message::AuthorizationMessages;
pub use directory::{
    MfaCheck, NoDirectory, OidcProviderView, ProfileView, RoleDirectory, RoleView,
};
pub use errors::StsError;
pub use handlers::Sts;
pub use instance::{
    InstanceCredentialsError, InstanceRoles, RoleCredentials, EC2_SERVICE, INSTANCE_SESSION_SECS,
    REISSUE_BEFORE_SECS,
};
pub use session::{SessionKind, SessionTag, SessionView};
pub use sessions::{Sessions, EXPIRED_RETENTION_SECS};

use nimbus_core::{Clock, Ids};
use nimbus_store::{Store, StoreError};
use std::sync::Arc;

/// The STS service over `store` and the [`Sessions`] it issues (for the binary's credential
/// store and authorizer): loads the stored sessions, then serves from memory and makes
/// every issued session durable before answering. `roles` is IAM as STS sees it.
pub fn build(
    store: Store,
    clock: Arc<dyn Clock>,
    ids: Arc<Ids>,
    roles: Arc<dyn RoleDirectory>,
) -> Result<(Arc<dyn nimbus_wire::Service>, Sessions), StoreError> {
    let (service, sessions, _) = build_with_messages(store, clock, ids, roles)?;
    Ok((service, sessions))
}

/// [`build`], and the [`AuthorizationMessages`] the binary's authorizer seals EC2's encoded
/// authorization failure messages with (`DecodeAuthorizationMessage` opens them).
pub fn build_with_messages(
    store: Store,
    clock: Arc<dyn Clock>,
    ids: Arc<Ids>,
    roles: Arc<dyn RoleDirectory>,
) -> Result<
    (
        Arc<dyn nimbus_wire::Service>,
        Sessions,
        AuthorizationMessages,
    ),
    StoreError,
> {
    let sts = Sts::load(store, clock, ids, roles)?;
    let sessions = sts.sessions().clone();
    let messages = sts.messages().clone();
    Ok((Arc::new(generated::Router(sts)), sessions, messages))
}
