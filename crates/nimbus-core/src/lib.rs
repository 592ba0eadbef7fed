//! The shared vocabulary every Nimbus crate speaks: [`AwsError`] (an error that knows its
//! wire identity), the injected [`Clock`], id/randomness generation ([`Ids`]), and the
//! [`RequestContext`] a service handler receives, and the authorization vocabulary
//! ([`Access`], [`Authorizer`], [`Denial`]). This crate owns no I/O and no protocol
//! knowledge; it is deliberately small so that every service can depend on it.

pub mod authz;
pub mod clock;
pub mod context;
pub mod error;
pub mod ids;
pub mod time;

pub use authz::{Access, AllowAll, Authorizer, Denial, DenialKind};
pub use clock::{Clock, ClockCheckpoint, ManualClock, NimbusClock};
pub use context::{Principal, PrincipalKind, RequestContext};
pub use error::AwsError;
pub use ids::Ids;
pub use time::Timestamp;
