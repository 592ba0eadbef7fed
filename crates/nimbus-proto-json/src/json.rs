//! The `awsJson1_0` / `awsJson1_1` protocols, server side: request body → [`Value`],
//! [`Value`] → response body, and [`AwsError`] → error response. Routing by
//! `X-Amz-Target` is the gateway's job; this module sees one operation's body.
//!
//! Wire rules (botocore `serialize.JSONSerializer` / `parsers.BaseJSONParser`):
//! members are keyed by `locationName` or member name; timestamps travel as epoch seconds
//! (botocore sends integers; we also accept fractions and ISO 8601 / HTTP-date strings,
//! and emit epoch seconds with up to millisecond precision unless the member says
//! `iso8601` or `rfc822`); blobs are base64; maps are objects; floats NaN/±Infinity are
//! the strings `"NaN"`, `"Infinity"`, `"-Infinity"`. Errors are
//! `{"__type": ..., "message": ...}` with `x-amzn-ErrorType` (see [`crate::errors`] for
//! query-compatible services). Request ids go in `x-amzn-RequestId`.

use crate::errors::{error_type, extra_fields, query_error_header};
use crate::walk::{self, Node, Sink};
use base64::Engine;
use bytes::Bytes;
use nimbus_core::{AwsError, Timestamp};
use nimbus_wire::model::TimestampFormat;
use nimbus_wire::{HttpResponse, Operation, ServiceModel, ShapeId, Value, WireError};
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt::{self, Write};

/// Base64 as clients write it: standard alphabet, padding optional.
const BASE64: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
);

/// Decodes the body of a request whose input shape is `input`. An empty body is an empty
/// structure; anything but a JSON object at the top is [`WireError::Malformed`].
pub fn decode_input(model: &ServiceModel, input: ShapeId, body: &[u8]) -> Result<Value, WireError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return walk::decode_root(model, input, Json::Obj(vec![]));
    }
    // serde_json bounds nesting (128 levels), so hostile input cannot blow the stack.
    let doc: Json = serde_json::from_slice(body)
        .map_err(|e| WireError::Malformed(format!("Request body is not valid JSON: {e}")))?;
    if !matches!(doc, Json::Obj(_)) {
        return Err(WireError::Malformed(format!(
            "Request body must be a JSON object, not {}",
            doc.describe()
        )));
    }
    walk::decode_root(model, input, doc)
}

/// Renders a successful response: status 200, `{}` when the operation has no output.
pub fn encode_output(
    model: &ServiceModel,
    op: &Operation,
    output: Option<&Value>,
    request_id: &str,
) -> HttpResponse {
    let mut w = JsonWriter::default();
    walk::encode_root(model, op.output, output, &mut w);
    let mut resp = HttpResponse::new(200, content_type(model), Bytes::from(w.out));
    resp.header("x-amzn-requestid", request_id.to_string());
    resp
}

/// Renders an error: status `err.status`, body `{"__type": ..., "message": ...}`.
pub fn encode_error(model: &ServiceModel, err: &AwsError, request_id: &str) -> HttpResponse {
    let ty = error_type(model, err);
    let mut w = JsonWriter::default();
    let extras: Vec<_> = extra_fields(err).collect();
    w.map_start(2 + extras.len());
    w.key("__type");
    w.str(ty);
    w.key("message");
    w.str(&err.message);
    for (k, v) in extras {
        w.key(k);
        w.str(v);
    }
    w.map_end();
    let mut resp = HttpResponse::new(err.status, content_type(model), Bytes::from(w.out));
    resp.header("x-amzn-requestid", request_id.to_string());
    resp.header("x-amzn-errortype", ty.to_string());
    if let Some(q) = query_error_header(model, err) {
        resp.header("x-amzn-query-error", q);
    }
    resp
}

fn content_type(model: &ServiceModel) -> &'static str {
    match model.json_version {
        Some("1.0") => "application/x-amz-json-1.0",
        _ => "application/x-amz-json-1.1",
    }
}

// ---------------------------------------------------------------------------------------
// Input: an order-preserving JSON tree (serde_json's own map would sort map keys, and
// `Value::Map` keeps wire order).
// ---------------------------------------------------------------------------------------

enum Json {
    Null,
    Bool(bool),
    Int(i64),
    /// An integer above `i64::MAX`.
    BigUint(u64),
    Float(f64),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_bool<E>(self, b: bool) -> Result<Json, E> {
        Ok(Json::Bool(b))
    }
    fn visit_i64<E>(self, i: i64) -> Result<Json, E> {
        Ok(Json::Int(i))
    }
    fn visit_u64<E>(self, u: u64) -> Result<Json, E> {
        Ok(i64::try_from(u).map_or(Json::BigUint(u), Json::Int))
    }
    fn visit_f64<E>(self, f: f64) -> Result<Json, E> {
        Ok(Json::Float(f))
    }
    fn visit_str<E>(self, s: &str) -> Result<Json, E> {
        Ok(Json::Str(s.to_string()))
    }
    fn visit_string<E>(self, s: String) -> Result<Json, E> {
        Ok(Json::Str(s))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Json>()? {
            items.push(item);
        }
        Ok(Json::Arr(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut entries = Vec::new();
        while let Some((k, v)) = map.next_entry::<String, Json>()? {
            entries.push((k, v));
        }
        Ok(Json::Obj(entries))
    }
}

impl Node for Json {
    fn describe(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "a boolean",
            Json::Int(_) | Json::BigUint(_) => "an integer",
            Json::Float(_) => "a number",
            Json::Str(_) => "a string",
            Json::Arr(_) => "an array",
            Json::Obj(_) => "an object",
        }
    }
    fn is_null(&self) -> bool {
        matches!(self, Json::Null)
    }
    fn into_entries(self) -> Result<Vec<(String, Json)>, &'static str> {
        match self {
            Json::Obj(e) => Ok(e),
            _ => Err("expected an object"),
        }
    }
    fn into_items(self) -> Result<Vec<Json>, &'static str> {
        match self {
            Json::Arr(a) => Ok(a),
            _ => Err("expected an array"),
        }
    }
    fn into_bool(self) -> Result<bool, &'static str> {
        match self {
            Json::Bool(b) => Ok(b),
            _ => Err("expected a boolean"),
        }
    }
    fn into_i64(self) -> Result<i64, &'static str> {
        match self {
            Json::Int(i) => Ok(i),
            Json::BigUint(_) => Err("expected an integer no larger than 9223372036854775807"),
            _ => Err("expected an integer"),
        }
    }
    fn into_f64(self) -> Result<f64, &'static str> {
        match self {
            Json::Int(i) => Ok(i as f64),
            Json::BigUint(u) => Ok(u as f64),
            Json::Float(f) => Ok(f),
            Json::Str(s) => match s.as_str() {
                "NaN" => Ok(f64::NAN),
                "Infinity" => Ok(f64::INFINITY),
                "-Infinity" => Ok(f64::NEG_INFINITY),
                _ => Err("expected a number"),
            },
            _ => Err("expected a number"),
        }
    }
    fn into_string(self) -> Result<String, &'static str> {
        match self {
            Json::Str(s) => Ok(s),
            _ => Err("expected a string"),
        }
    }
    fn into_blob(self) -> Result<Bytes, &'static str> {
        match self {
            Json::Str(s) => BASE64
                .decode(s.as_bytes())
                .map(Bytes::from)
                .map_err(|_| "expected base64-encoded data"),
            _ => Err("expected a base64-encoded string"),
        }
    }
    fn into_timestamp(self) -> Result<Timestamp, &'static str> {
        const WANT: &str = "expected a timestamp (epoch seconds or ISO 8601) in years 1-9999";
        match self {
            Json::Int(i) => walk::timestamp_from_secs(i as f64),
            Json::Float(f) => walk::timestamp_from_secs(f),
            Json::Str(s) => walk::timestamp_from_str(&s),
            _ => None,
        }
        .ok_or(WANT)
    }
}

// ---------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------

/// Writes compact JSON. One flag suffices for commas: a separator is due before a key or
/// value exactly when something was written at the current level since `{`/`[`/`:`.
#[derive(Default)]
struct JsonWriter {
    out: String,
    need_comma: bool,
}

impl JsonWriter {
    fn sep(&mut self) {
        if self.need_comma {
            self.out.push(',');
        }
        self.need_comma = true;
    }

    fn quoted(&mut self, s: &str) {
        self.out.push('"');
        for c in s.chars() {
            match c {
                '"' => self.out.push_str("\\\""),
                '\\' => self.out.push_str("\\\\"),
                '\n' => self.out.push_str("\\n"),
                '\r' => self.out.push_str("\\r"),
                '\t' => self.out.push_str("\\t"),
                c if (c as u32) < 0x20 => {
                    let _ = write!(self.out, "\\u{:04x}", c as u32);
                }
                c => self.out.push(c),
            }
        }
        self.out.push('"');
    }
}

impl Sink for JsonWriter {
    const USE_LOCATION_NAME: bool = true;

    fn map_start(&mut self, _len: usize) {
        self.sep();
        self.out.push('{');
        self.need_comma = false;
    }
    fn key(&mut self, key: &str) {
        self.sep();
        self.quoted(key);
        self.out.push(':');
        self.need_comma = false;
    }
    fn map_end(&mut self) {
        self.out.push('}');
        self.need_comma = true;
    }
    fn list_start(&mut self, _len: usize) {
        self.sep();
        self.out.push('[');
        self.need_comma = false;
    }
    fn list_end(&mut self) {
        self.out.push(']');
        self.need_comma = true;
    }
    fn null(&mut self) {
        self.sep();
        self.out.push_str("null");
    }
    fn bool(&mut self, b: bool) {
        self.sep();
        self.out.push_str(if b { "true" } else { "false" });
    }
    fn int(&mut self, i: i64) {
        self.sep();
        let _ = write!(self.out, "{i}");
    }
    fn float(&mut self, f: f64) {
        if f.is_nan() {
            self.str("NaN");
        } else if f.is_infinite() {
            self.str(if f > 0.0 { "Infinity" } else { "-Infinity" });
        } else {
            self.sep();
            // `{:?}` keeps a `.0` on whole numbers (a double reads back as a float) and
            // uses exponents only in JSON-compatible form (`1e300`, `1e-7`).
            let _ = write!(self.out, "{f:?}");
        }
    }
    fn str(&mut self, s: &str) {
        self.sep();
        self.quoted(s);
    }
    fn blob(&mut self, b: &[u8]) {
        self.sep();
        self.out.push('"');
        BASE64.encode_string(b, &mut self.out);
        self.out.push('"');
    }
    fn timestamp(&mut self, t: Timestamp, format: Option<TimestampFormat>) {
        match format {
            Some(TimestampFormat::Iso8601) => self.str(&t.to_iso8601()),
            Some(TimestampFormat::Rfc822) => self.str(&t.to_http_date()),
            Some(TimestampFormat::UnixTimestamp) | None => {
                self.sep();
                write_epoch_seconds(&mut self.out, t);
            }
        }
    }
}

/// `1795601122`, `1795601122.5`, `-0.25`: exact decimal text, no float rounding.
pub(crate) fn write_epoch_seconds(out: &mut String, t: Timestamp) {
    let ms = t.millis();
    if ms < 0 {
        out.push('-');
    }
    let a = ms.unsigned_abs();
    let (whole, frac) = (a / 1000, a % 1000);
    let _ = write!(out, "{whole}");
    if frac != 0 {
        let digits = format!("{frac:03}");
        out.push('.');
        out.push_str(digits.trim_end_matches('0'));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn epoch(ms: i64) -> String {
        let mut s = String::new();
        write_epoch_seconds(&mut s, Timestamp(ms));
        s
    }

    #[test]
    fn epoch_seconds_text() {
        assert_eq!(epoch(1_795_601_122_000), "1795601122");
        assert_eq!(epoch(1_795_601_122_500), "1795601122.5");
        assert_eq!(epoch(1_795_601_122_123), "1795601122.123");
        assert_eq!(epoch(1_795_601_122_020), "1795601122.02");
        assert_eq!(epoch(-250), "-0.25");
        assert_eq!(epoch(0), "0");
        assert_eq!(epoch(i64::MIN), "-9223372036854775.808");
    }

    #[test]
    fn writer_escapes_and_separates() {
        let mut w = JsonWriter::default();
        w.map_start(2);
        w.key("a\"b");
        w.list_start(3);
        w.int(1);
        w.str("x\n\u{1}y");
        w.float(2.0);
        w.list_end();
        w.key("c");
        w.map_start(0);
        w.map_end();
        w.map_end();
        assert_eq!(w.out, r#"{"a\"b":[1,"x\n\u0001y",2.0],"c":{}}"#);
        let v: serde_json::Value = serde_json::from_str(&w.out).unwrap();
        assert_eq!(v["a\"b"][1], "x\n\u{1}y");
    }

    #[test]
    fn floats_are_valid_json() {
        for f in [
            0.1,
            1e300,
            1e-7,
            -0.0,
            123456789.125,
            f64::MAX,
            f64::MIN_POSITIVE,
        ] {
            let mut w = JsonWriter::default();
            w.float(f);
            let back: f64 = serde_json::from_str(&w.out).unwrap();
            assert_eq!(back, f, "{}", w.out);
        }
    }
}
