//! The Smithy RPC v2 CBOR protocol (`smithy-rpc-v2-cbor`), server side. Requests are
//! `POST /service/{ServiceName}/operation/{Operation}` with `smithy-protocol: rpc-v2-cbor`
//! and a CBOR map body; `ServiceName` is what botocore calls `targetPrefix`
//! (`GraniteServiceVersion20100801` for CloudWatch). The gateway routes on [`parse_path`];
//! this module converts bodies with the generic codec in [`crate::cbor`].
//!
//! Wire rules (Smithy "RPC v2 CBOR protocol"; botocore `serialize.RpcV2CBORSerializer`,
//! `parsers.RpcV2CBORParser`): structures and maps are CBOR maps with text keys, blobs are
//! byte strings, timestamps are tag 1 around integer or float epoch seconds, floats may be
//! half/single/double, and any string, array or map may use indefinite length. botocore's
//! parser looks structure members up by *member name* (not `locationName`), reads no
//! body at all for an operation without output (we still send an empty map, the spec's
//! choice), and takes the error code from `__type`, dropping any `namespace#` prefix.
//!
//! Not our concern: bodies of 10 KiB and more arrive gzip-compressed
//! (`Content-Encoding: gzip`); the gateway inflates them before calling [`decode_input`].

use crate::cbor::{self, CborValue};
use crate::errors::{error_type, extra_fields, query_error_header};
use crate::walk::{self, Node, Sink};
use bytes::Bytes;
use nimbus_core::{AwsError, Timestamp};
use nimbus_wire::model::TimestampFormat;
use nimbus_wire::{HttpResponse, Operation, ServiceModel, ShapeId, Value, WireError};

/// Deepest container nesting accepted in a request body (AWS shapes nest a few levels).
pub const MAX_DEPTH: usize = 128;

const CONTENT_TYPE: &str = "application/cbor";

/// Parses `/service/{ServiceName}/operation/{Operation}` into (service, operation). A
/// path prefix before `/service/` (an endpoint with a path) is tolerated.
pub fn parse_path(path: &str) -> Option<(&str, &str)> {
    let mut parts = path.rsplitn(5, '/');
    let op = parts.next()?;
    let operation_kw = parts.next()?;
    let service = parts.next()?;
    let service_kw = parts.next()?;
    let prefix = parts.next()?;
    let ok = operation_kw == "operation"
        && service_kw == "service"
        && !op.is_empty()
        && !service.is_empty()
        && (prefix.is_empty() || prefix.starts_with('/'));
    ok.then_some((service, op))
}

/// Decodes a request body for input shape `input`. An empty body is an empty structure;
/// anything but one well-formed CBOR map is [`WireError::Malformed`].
pub fn decode_input(model: &ServiceModel, input: ShapeId, body: &[u8]) -> Result<Value, WireError> {
    if body.is_empty() {
        return walk::decode_root(model, input, CborValue::Map(vec![]));
    }
    let doc = cbor::decode(body, MAX_DEPTH)
        .map_err(|e| WireError::Malformed(format!("Request body is not valid CBOR: {e}")))?;
    if !matches!(doc, CborValue::Map(_)) {
        return Err(WireError::Malformed(format!(
            "Request body must be a CBOR map, not {}",
            doc.describe()
        )));
    }
    walk::decode_root(model, input, doc)
}

/// Renders a successful response: status 200, an empty map when there is no output.
pub fn encode_output(
    model: &ServiceModel,
    op: &Operation,
    output: Option<&Value>,
    request_id: &str,
) -> HttpResponse {
    let mut w = CborWriter::default();
    walk::encode_root(model, op.output, output, &mut w);
    response(200, w.out, request_id)
}

/// Renders an error: status `err.status`, body `{"__type": ..., "message": ...}`, plus
/// `x-amzn-query-error` for query-compatible services (see [`crate::errors`]).
pub fn encode_error(model: &ServiceModel, err: &AwsError, request_id: &str) -> HttpResponse {
    let ty = error_type(model, err);
    let extras: Vec<_> = extra_fields(err).collect();
    let mut w = CborWriter::default();
    w.map_start(2 + extras.len());
    w.key("__type");
    w.str(ty);
    w.key("message");
    w.str(&err.message);
    for (k, v) in extras {
        w.key(k);
        w.str(v);
    }
    let mut resp = response(err.status, w.out, request_id);
    if let Some(q) = query_error_header(model, err) {
        resp.header("x-amzn-query-error", q);
    }
    resp
}

fn response(status: u16, body: Vec<u8>, request_id: &str) -> HttpResponse {
    let mut resp = HttpResponse::new(status, CONTENT_TYPE, Bytes::from(body));
    resp.header("smithy-protocol", "rpc-v2-cbor".to_string());
    resp.header("x-amzn-requestid", request_id.to_string());
    resp
}

impl Node for CborValue {
    fn describe(&self) -> &'static str {
        match self {
            CborValue::Unsigned(_) | CborValue::Negative(_) => "an integer",
            CborValue::Bytes(_) => "a byte string",
            CborValue::Text(_) => "a text string",
            CborValue::Array(_) => "an array",
            CborValue::Map(_) => "a map",
            CborValue::Tag(1, _) => "a timestamp",
            CborValue::Tag(..) => "a tagged item",
            CborValue::Bool(_) => "a boolean",
            CborValue::Null => "null",
            CborValue::Undefined => "undefined",
            CborValue::Simple(_) => "a simple value",
            CborValue::Float(_) => "a float",
        }
    }
    fn is_null(&self) -> bool {
        matches!(self, CborValue::Null | CborValue::Undefined)
    }
    fn into_entries(self) -> Result<Vec<(String, CborValue)>, &'static str> {
        let CborValue::Map(entries) = self else {
            return Err("expected a map");
        };
        entries
            .into_iter()
            .map(|(k, v)| match k {
                CborValue::Text(k) => Ok((k, v)),
                _ => Err("expected a map with text keys"),
            })
            .collect()
    }
    fn into_items(self) -> Result<Vec<CborValue>, &'static str> {
        match self {
            CborValue::Array(a) => Ok(a),
            _ => Err("expected an array"),
        }
    }
    fn into_bool(self) -> Result<bool, &'static str> {
        match self {
            CborValue::Bool(b) => Ok(b),
            _ => Err("expected a boolean"),
        }
    }
    fn into_i64(self) -> Result<i64, &'static str> {
        match self {
            CborValue::Unsigned(_) | CborValue::Negative(_) => self
                .as_i64()
                .ok_or("expected an integer that fits in 64 bits"),
            _ => Err("expected an integer"),
        }
    }
    fn into_f64(self) -> Result<f64, &'static str> {
        match self {
            CborValue::Float(f) => Ok(f),
            CborValue::Unsigned(u) => Ok(u as f64),
            CborValue::Negative(n) => Ok(-1.0 - n as f64),
            _ => Err("expected a float"),
        }
    }
    fn into_string(self) -> Result<String, &'static str> {
        match self {
            CborValue::Text(s) => Ok(s),
            _ => Err("expected a text string"),
        }
    }
    fn into_blob(self) -> Result<Bytes, &'static str> {
        match self {
            CborValue::Bytes(b) => Ok(Bytes::from(b)),
            // Lenient: some encoders write UTF-8 payloads as text.
            CborValue::Text(s) => Ok(Bytes::from(s)),
            _ => Err("expected a byte string"),
        }
    }
    fn into_timestamp(self) -> Result<Timestamp, &'static str> {
        const WANT: &str = "expected tag 1 with epoch seconds in years 1-9999";
        // Tag 1 is the spec's form; a bare number is accepted too.
        let inner = match self {
            CborValue::Tag(1, inner) => *inner,
            other => other,
        };
        match inner {
            CborValue::Unsigned(u) => walk::timestamp_from_secs(u as f64),
            CborValue::Negative(n) => walk::timestamp_from_secs(-1.0 - n as f64),
            CborValue::Float(f) => walk::timestamp_from_secs(f),
            _ => None,
        }
        .ok_or(WANT)
    }
}

/// Writes CBOR straight into a buffer (definite lengths, shortest heads and floats).
#[derive(Default)]
struct CborWriter {
    out: Vec<u8>,
}

impl Sink for CborWriter {
    const USE_LOCATION_NAME: bool = false;

    fn map_start(&mut self, len: usize) {
        cbor::write_head(&mut self.out, 5, len as u64);
    }
    fn key(&mut self, key: &str) {
        cbor::write_text(&mut self.out, key);
    }
    fn map_end(&mut self) {}
    fn list_start(&mut self, len: usize) {
        cbor::write_head(&mut self.out, 4, len as u64);
    }
    fn list_end(&mut self) {}
    fn null(&mut self) {
        self.out.push(0xf6);
    }
    fn bool(&mut self, b: bool) {
        self.out.push(if b { 0xf5 } else { 0xf4 });
    }
    fn int(&mut self, i: i64) {
        cbor::write_int(&mut self.out, i);
    }
    fn float(&mut self, f: f64) {
        cbor::write_float(&mut self.out, f);
    }
    fn str(&mut self, s: &str) {
        cbor::write_text(&mut self.out, s);
    }
    fn blob(&mut self, b: &[u8]) {
        cbor::write_head(&mut self.out, 2, b.len() as u64);
        self.out.extend_from_slice(b);
    }
    /// Always tag 1 (the protocol has one timestamp form): whole seconds as an integer,
    /// otherwise a float with the milliseconds.
    fn timestamp(&mut self, t: Timestamp, _format: Option<TimestampFormat>) {
        cbor::write_head(&mut self.out, 6, 1);
        if t.millis() % 1000 == 0 {
            cbor::write_int(&mut self.out, t.secs());
        } else {
            cbor::write_float(&mut self.out, t.epoch_seconds_f64());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(
            parse_path("/service/GraniteServiceVersion20100801/operation/PutMetricData"),
            Some(("GraniteServiceVersion20100801", "PutMetricData"))
        );
        assert_eq!(
            parse_path("/prefix/service/S/operation/Op"),
            Some(("S", "Op"))
        );
        for bad in [
            "/",
            "",
            "/service/S/operation/",
            "/service//operation/Op",
            "/service/S/operations/Op",
            "/services/S/operation/Op",
            "service/S/operation/Op",
            "/service/S/operation/Op/extra",
            "x/service/S/operation/Op",
        ] {
            assert_eq!(parse_path(bad), None, "{bad}");
        }
    }
}
