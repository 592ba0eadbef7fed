//! The wire layer: how AWS's five protocols turn HTTP requests into a generic [`Value`]
//! tree and a [`Value`] tree back into the exact bytes the CLI and SDKs parse.
//!
//! Everything here is driven by static service models ([`model`]), generated from
//! botocore's `service-2.json` by `codegen/`. A protocol module never knows an operation by
//! name; it walks shapes. Services never see this crate's codecs: they receive typed inputs
//! converted from [`Value`] by generated code ([`convert`]).

pub mod authz;
pub mod convert;
pub mod error;
pub mod http;
pub mod model;
pub mod service;
pub mod stream;
pub mod testing;
pub mod value;
pub mod xml;

pub use authz::access_denied;
pub use error::WireError;
pub use http::{HttpRequest, HttpResponse};
pub use model::{Operation, Protocol, ServiceModel, Shape, ShapeId, ShapeKind};
pub use service::{reset_all, BoxFut, ResetError, ResetStep, Service};
pub use stream::BodyStream;
pub use value::Value;
