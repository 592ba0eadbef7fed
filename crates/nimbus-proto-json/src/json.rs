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
use crate::walk::{self, Node, Path, Sink};
use base64::Engine;
use bytes::Bytes;
use nimbus_core::{AwsError, Timestamp};
use nimbus_wire::model::{ShapeKind, TimestampFormat};
use nimbus_wire::{HttpResponse, Operation, ServiceModel, Shape, ShapeId, Value, WireError};
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt::{self, Write};

/// Base64 as clients write it: standard alphabet, padding optional.
const BASE64: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
);

/// Decodes the body of a request whose input shape is `input`. An empty body is an empty
/// structure; anything but a JSON object at the top is [`WireError::Malformed`].
///
/// The body is decoded in one pass, straight into a [`Value`] (no intermediate JSON tree:
/// member names are matched without being copied). Errors come in the order a parse into a
/// tree and a walk over it would give: invalid JSON anywhere in the body first, then a
/// top level that is not an object, then the first member (in document order) whose value
/// does not fit its shape. Scalars go through the same [`walk`] rules as CBOR's.
pub fn decode_input(model: &ServiceModel, input: ShapeId, body: &[u8]) -> Result<Value, WireError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return walk::decode_root(model, input, Json::Obj(vec![]));
    }
    let root = walk::shape(model, input).filter(|sh| matches!(sh.kind, ShapeKind::Structure(_)));
    let mut stream = Stream { model, error: None };
    let top = Top {
        stream: &mut stream,
        root,
    };
    // A body that is UTF-8 as a whole (the usual case) is parsed as a `str`, which spares
    // serde_json validating every string again; it reports the same errors either way.
    // serde_json bounds nesting (128 levels), so hostile input cannot blow the stack.
    let top = match std::str::from_utf8(body) {
        Ok(text) => parse(&mut serde_json::Deserializer::from_str(text), top),
        Err(_) => parse(&mut serde_json::Deserializer::from_slice(body), top),
    }
    .map_err(|e| WireError::Malformed(format!("Request body is not valid JSON: {e}")))?;
    let value = top.map_err(|what| {
        WireError::Malformed(format!("Request body must be a JSON object, not {what}"))
    })?;
    if root.is_none() {
        // The model's own error (unknown or non-structure input shape).
        return walk::decode_root(model, input, Json::Obj(vec![]));
    }
    match stream.error {
        Some(e) => Err(e),
        None => Ok(value.unwrap_or(Value::Struct(vec![]))),
    }
}

/// The whole document, then nothing but whitespace (as `serde_json::from_slice` does).
fn parse<'de, R: serde_json::de::Read<'de>>(
    de: &mut serde_json::Deserializer<R>,
    top: Top<'_, '_>,
) -> serde_json::Result<TopResult> {
    let out = top.deserialize(&mut *de)?;
    de.end()?;
    Ok(out)
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
// Input, decoded in one pass. Each seed decodes one JSON value against one shape;
// structures, lists and maps are walked here, everything else (and every value that does
// not fit its shape) goes through `walk::decode_value` as a one-node `Json`, so scalars
// follow the same rules as CBOR's. After the first error the rest of the body is only
// parsed (it may still be invalid JSON, which is reported first).
// ---------------------------------------------------------------------------------------

/// A JSON leaf (or, for the tree-building reference decoder in the tests, a whole tree).
/// `Obj`/`Arr` keep wire order (serde_json's own map would sort keys).
enum Json {
    // Only the tree-building reference decoder of the tests makes one.
    #[cfg_attr(not(test), allow(dead_code))]
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

/// What the seeds of one body share: the model and the first error met.
struct Stream<'m> {
    model: &'m ServiceModel,
    error: Option<WireError>,
}

/// The whole body: `Ok(value)` when it is an object (`value` is `None` when the input
/// shape is unusable), `Err(description)` of what it is otherwise.
struct Top<'s, 'm> {
    stream: &'s mut Stream<'m>,
    root: Option<&'static Shape>,
}

type TopResult = Result<Option<Value>, &'static str>;

impl<'de> DeserializeSeed<'de> for Top<'_, '_> {
    type Value = TopResult;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<TopResult, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Top<'_, '_> {
    type Value = TopResult;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E>(self) -> Result<TopResult, E> {
        Ok(Err("null"))
    }
    fn visit_bool<E>(self, _: bool) -> Result<TopResult, E> {
        Ok(Err("a boolean"))
    }
    fn visit_i64<E>(self, _: i64) -> Result<TopResult, E> {
        Ok(Err("an integer"))
    }
    fn visit_u64<E>(self, _: u64) -> Result<TopResult, E> {
        Ok(Err("an integer"))
    }
    fn visit_f64<E>(self, _: f64) -> Result<TopResult, E> {
        Ok(Err("a number"))
    }
    fn visit_str<E>(self, _: &str) -> Result<TopResult, E> {
        Ok(Err("a string"))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<TopResult, A::Error> {
        Skip.visit_seq(seq)?;
        Ok(Err("an array"))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<TopResult, A::Error> {
        match self.root {
            Some(sh) => ValueSeed {
                stream: self.stream,
                shape: Some(sh),
                path: &Path::Root,
            }
            .visit_map(map)
            .map(Ok),
            None => Skip.visit_map(map).map(|()| Ok(None)),
        }
    }
}

/// One value decoded as `shape` (`None`: only parsed). Yields `None` for `null` (absent).
struct ValueSeed<'s, 'm, 'p> {
    stream: &'s mut Stream<'m>,
    shape: Option<&'static Shape>,
    path: &'p Path<'p>,
}

impl<'m> ValueSeed<'_, 'm, '_> {
    /// The shape to decode against, or `None` once nothing needs decoding any more.
    fn active(&self) -> Option<&'static Shape> {
        self.shape.filter(|_| self.stream.error.is_none())
    }

    /// Decodes a node that is not a structure, list or map of the matching kind: a leaf,
    /// or an empty stand-in for a container of the wrong kind (whose error it produces).
    fn node(self, node: Json) -> Option<Value> {
        let sh = self.active()?;
        match walk::decode_value(self.stream.model, sh, node, self.path) {
            Ok(v) => v,
            Err(e) => {
                self.stream.error = Some(e);
                None
            }
        }
    }

    /// The child seed for `shape` at `path`.
    fn child<'c>(
        &'c mut self,
        shape: Option<&'static Shape>,
        path: &'c Path<'c>,
    ) -> ValueSeed<'c, 'm, 'c> {
        ValueSeed {
            stream: self.stream,
            shape,
            path,
        }
    }
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_, '_, '_> {
    type Value = Option<Value>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<Value>, D::Error> {
        if self.active().is_none() {
            return d.deserialize_any(Skip).map(|()| None);
        }
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_, '_, '_> {
    type Value = Option<Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E>(self) -> Result<Option<Value>, E> {
        Ok(None)
    }
    fn visit_bool<E>(self, b: bool) -> Result<Option<Value>, E> {
        Ok(self.node(Json::Bool(b)))
    }
    fn visit_i64<E>(self, i: i64) -> Result<Option<Value>, E> {
        Ok(self.node(Json::Int(i)))
    }
    fn visit_u64<E>(self, u: u64) -> Result<Option<Value>, E> {
        Ok(self.node(i64::try_from(u).map_or(Json::BigUint(u), Json::Int)))
    }
    fn visit_f64<E>(self, f: f64) -> Result<Option<Value>, E> {
        Ok(self.node(Json::Float(f)))
    }
    fn visit_str<E>(self, s: &str) -> Result<Option<Value>, E> {
        Ok(self.node(Json::Str(s.to_string())))
    }
    fn visit_string<E>(self, s: String) -> Result<Option<Value>, E> {
        Ok(self.node(Json::Str(s)))
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<Option<Value>, A::Error> {
        let item_shape = match self.active().map(|sh| &sh.kind) {
            Some(ShapeKind::List(l)) => walk::shape(self.stream.model, l.member),
            _ => {
                let v = self.node(Json::Arr(vec![]));
                Skip.visit_seq(seq)?;
                return Ok(v);
            }
        };
        let Some(item_shape) = item_shape else {
            Skip.visit_seq(seq)?;
            return Ok(Some(Value::List(vec![])));
        };
        let mut out = Vec::new();
        let mut i = 0;
        loop {
            let path = Path::Index(self.path, i);
            match seq.next_element_seed(self.child(Some(item_shape), &path))? {
                None => break,
                Some(Some(v)) => out.push(v),
                Some(None) => {}
            }
            i += 1;
        }
        Ok(Some(Value::List(out)))
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<Option<Value>, A::Error> {
        match self.active().map(|sh| &sh.kind) {
            Some(ShapeKind::Structure(st)) => {
                let mut slots: Vec<Option<Value>> = (0..st.members.len()).map(|_| None).collect();
                while let Some(key) = map.next_key_seed(Key)? {
                    let member = walk::member_for_key(st.members, &key).and_then(|i| {
                        let m = &st.members[i];
                        Some((i, m.name, walk::shape(self.stream.model, m.shape)?))
                    });
                    let Some((i, name, msh)) = member else {
                        // Unknown members are ignored, as AWS does.
                        map.next_value_seed(Skip)?;
                        continue;
                    };
                    let path = Path::Member(self.path, name);
                    if let Some(v) = map.next_value_seed(self.child(Some(msh), &path))? {
                        slots[i] = Some(v);
                    }
                }
                Ok(Some(Value::Struct(slots)))
            }
            Some(ShapeKind::Map(m)) => {
                let Some(vsh) = walk::shape(self.stream.model, m.value) else {
                    Skip.visit_map(map)?;
                    return Ok(Some(Value::Map(vec![])));
                };
                let mut out = Vec::new();
                while let Some(key) = map.next_key_seed(Key)? {
                    let path = Path::Key(self.path, &key);
                    let decoded = map.next_value_seed(self.child(Some(vsh), &path))?;
                    if let Some(v) = decoded {
                        out.push((key.into_owned(), v));
                    }
                }
                Ok(Some(Value::Map(out)))
            }
            _ => {
                let v = self.node(Json::Obj(vec![]));
                Skip.visit_map(map)?;
                Ok(v)
            }
        }
    }
}

/// An object key, borrowed from the body unless it had escapes.
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Cow<'de, str>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Borrowed(s))
    }
    fn visit_str<E>(self, s: &str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(s.to_string()))
    }
    fn visit_string<E>(self, s: String) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(s))
    }
}

/// Parses a value and drops it. It accepts exactly what the decoding seeds accept and goes
/// through the same parser paths (`deserialize_any`, not serde's `IgnoredAny`, which skips
/// numbers without checking their range), so skipping never changes which bodies are
/// invalid JSON.
struct Skip;

impl<'de> DeserializeSeed<'de> for Skip {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Skip {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Skip)?.is_some() {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_key_seed(Skip)?.is_some() {
            map.next_value_seed(Skip)?;
        }
        Ok(())
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
mod stream_tests;

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
