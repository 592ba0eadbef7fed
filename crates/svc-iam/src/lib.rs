//! Nimbus's IAM: users, groups, roles, customer managed policies (with versions) and the
//! whole AWS managed catalogue (`managed`, embedded data inflated on first use),
//! attachments, inline policies, permissions boundaries, group membership, access keys
//! and virtual MFA devices with real TOTP codes (`totp`), per account (IAM is global: no
//! region in its state). `generated` holds the wire model, typed shapes and the
//! `Handlers` trait that `codegen/` produces from botocore; [`Iam`] (`state`) holds every
//! account's entities in memory over the durable store, and `handlers` implements the
//! trait, one module per resource. [`Directory`] is the read API the gateway uses to
//! authenticate access keys and gather the policies that apply to a caller, and STS uses
//! to check MFA codes, and EC2 to find an instance profile's role; IAM itself enforces
//! nothing. Console passwords (login profiles, the account password policy,
//! `ChangePassword`) are hashed and checked by `password`. Credential use (last use of
//! keys and roles, each action attempted for Access Advisor) is recorded by `usage`;
//! [`audit`] checks an account against IAM's best practices. Server and signing
//! certificates' PEM material is read by `certs`. Not here yet: SAML providers (see
//! decision 0007).

pub mod audit;
mod certs;
mod directory;
mod errors;
pub mod generated;
mod handlers;
mod managed;
mod model;
mod password;
mod persist;
mod render;
mod state;
pub mod totp;
mod usage;
mod validate;

pub use audit::{AuditedInstance, InstanceLookup};
pub use directory::{
    Directory, InstanceProfileRole, KeyIdentity, NamedPolicy, OidcProviderInfo, PrincipalPolicies,
    RoleInfo, TotpVerdict,
};
pub use state::Iam;

use nimbus_core::{Clock, Ids};
use nimbus_store::{Store, StoreError};
use std::sync::Arc;

/// The IAM service over `store`: loads all stored IAM state, then serves reads from memory
/// and makes every mutation durable before answering.
pub fn service(
    store: Store,
    clock: Arc<dyn Clock>,
    ids: Arc<Ids>,
) -> Result<Arc<dyn nimbus_wire::Service>, StoreError> {
    Ok(build(store, clock, ids)?.0)
}

/// The IAM service and the [`Directory`] over the same state, for a binary that also
/// authenticates with IAM's keys.
pub fn build(
    store: Store,
    clock: Arc<dyn Clock>,
    ids: Arc<Ids>,
) -> Result<(Arc<dyn nimbus_wire::Service>, Directory), StoreError> {
    let iam = Iam::load(store, clock, ids)?;
    let directory = iam.directory();
    Ok((Arc::new(generated::Router(iam)), directory))
}
