//! The authorization hook. The gateway holds one [`Authorizer`] (`Gateway::authorizer`)
//! and hands it to every [`nimbus_wire::Service::call`]; the service's generated `Router`
//! asks it, after decoding the typed input and before the handler runs, with every
//! [`Access`] the operation needs (`codegen/authorization/<service>.json`). Until IAM
//! policies are enforced the binary installs [`AllowAll`]; see
//! `docs/decisions/0007-authorization.md` for what will answer instead.
//!
//! The vocabulary lives in `nimbus-core` so that generated service code can name it
//! without depending on the gateway; it is re-exported here for the binary's wiring.

pub use nimbus_core::{Access, AllowAll, Authorizer, Denial};
