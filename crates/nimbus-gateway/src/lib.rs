//! The Nimbus front door. One HTTP server for every service; each request goes through the
//! same steps, one mechanism per step:
//!
//! request id → admin routes (`/_nimbus/*`, `/moto-api/*`) → protocol + service detection
//! ([`route`]) → SigV4 verification ([`auth`]) → operation resolution → input decoding
//! (protocol crate) → typed input and authorization (the service's generated `Router`, asking
//! the gateway's [`authz::Authorizer`]) → typed handler ([`nimbus_wire::Service`]) →
//! output/error rendering (protocol crate).
//!
//! This crate owns HTTP and the order of those steps; it owns no service logic, no protocol
//! encoding, and no signature arithmetic (see `nimbus-proto-*`, `nimbus-sigv4`).

pub mod admin;
pub mod auth;
pub mod authz;
mod body;
mod dispatch;
pub mod route;
pub mod server;

pub use auth::{AuthMode, Credential, CredentialStore, StaticCredentials};
pub use authz::{Access, AllowAll, Authorizer, Denial};
pub use body::ReplyBody;
pub use dispatch::handle as handle_collected;
pub use server::{bind, serve, Gateway, GatewayConfig, Limits};
