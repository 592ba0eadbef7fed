//! How an [`AwsError`] is named on the JSON and CBOR wires, shared by both protocols.
//!
//! Ordinary JSON services put the error code in `__type`. Services marked
//! `awsQueryCompatible` (CloudWatch) once spoke `awsQuery`, where error codes differ from
//! shape names (`InvalidParameterValue` vs `InvalidParameterValueException`). On JSON/CBOR
//! AWS sends the *shape name* in `__type` and the old query code in the
//! `x-amzn-query-error: <Code>;Sender|Receiver` header; botocore
//! (`ResponseParser._do_query_compatible_error_parse`) then reports the header's code as
//! `Error.Code`, the body's `__type` as `Error.QueryErrorCode`, and the fault as
//! `Error.Type`. Services raise errors by their query code, so we look the shape up here.

use nimbus_core::AwsError;
use nimbus_wire::{ServiceModel, ShapeKind};

/// The `__type` for `err` (also used for `x-amzn-ErrorType`). For query-compatible
/// services: the error shape whose query code is `err.code` (one also *named* so wins,
/// since CloudWatch gives `ResourceNotFound` to two shapes), else a shape named
/// `err.code`, else the code itself (wire-level errors such as `SerializationException`).
pub(crate) fn error_type<'a>(model: &'a ServiceModel, err: &'a AwsError) -> &'a str {
    let code: &str = &err.code;
    if !model.query_compatible {
        return code;
    }
    let errors = model.shapes.iter().filter_map(|sh| match &sh.kind {
        ShapeKind::Structure(st) if st.error.is_some() || st.exception => {
            Some((sh.name, st.error.as_ref().and_then(|e| e.code)))
        }
        _ => None,
    });
    let mut by_code = None;
    let mut by_name = None;
    for (name, query_code) in errors {
        match query_code {
            Some(q) if q == code && name == code => return name,
            Some(q) if q == code => by_code = by_code.or(Some(name)),
            _ if name == code => by_name = by_name.or(Some(name)),
            _ => {}
        }
    }
    by_code.or(by_name).unwrap_or(code)
}

/// The `x-amzn-query-error` header value, for query-compatible services only.
pub(crate) fn query_error_header(model: &ServiceModel, err: &AwsError) -> Option<String> {
    model.query_compatible.then(|| {
        format!(
            "{};{}",
            err.code,
            if err.sender_fault {
                "Sender"
            } else {
                "Receiver"
            }
        )
    })
}

/// Extra fields to put next to `__type` and `message` (skipping names those two own).
pub(crate) fn extra_fields(err: &AwsError) -> impl Iterator<Item = (&'static str, &str)> {
    err.extra
        .iter()
        .filter(|(k, _)| !matches!(*k, "__type" | "message" | "Message"))
        .map(|(k, v)| (*k, v.as_str()))
}
