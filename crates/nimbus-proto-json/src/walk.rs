//! The shape walk shared by the JSON and CBOR codecs. Both protocols carry the same tree
//! (structures and maps as objects, lists as arrays, scalars as scalars); they differ only
//! in how leaves look on the wire. So decoding is written once over the [`Node`] trait
//! (implemented by each protocol's parsed document) and encoding once over the [`Sink`]
//! trait (implemented by each protocol's writer). This module owns the rules common to
//! both: unknown members are ignored, `null` means absent, a value of the wrong type is
//! [`WireError::InvalidValue`] naming the member path, timestamps must fall in years
//! 1..=9999, and absent members are omitted on output.
//!
//! JSON does not build a document first: its one-pass decoder (`json.rs`) walks
//! structures, lists and maps itself, by these same rules, and hands every scalar (and
//! every value of the wrong kind) to [`decode_value`] as a one-node document; a test there
//! checks it against a decode of the whole tree by this walk.

use bytes::Bytes;
use nimbus_core::Timestamp;
use nimbus_wire::model::{Member, ShapeKind, TimestampFormat};
use nimbus_wire::{ServiceModel, Shape, ShapeId, Value, WireError};
use std::fmt::Write;

/// Earliest/latest accepted timestamps (0001-01-01 / 9999-12-31T23:59:59.999Z), in ms.
/// Bounding them keeps all later calendar arithmetic far from overflow.
const MIN_TS_MS: i64 = -62_135_596_800_000;
const MAX_TS_MS: i64 = 253_402_300_799_999;

pub(crate) fn shape(model: &ServiceModel, id: ShapeId) -> Option<&'static Shape> {
    model.shapes.get(id.0 as usize)
}

pub(crate) fn timestamp_in_range(t: Timestamp) -> Option<Timestamp> {
    (MIN_TS_MS..=MAX_TS_MS).contains(&t.0).then_some(t)
}

/// Epoch seconds (possibly fractional) to a timestamp, if finite and in range.
pub(crate) fn timestamp_from_secs(secs: f64) -> Option<Timestamp> {
    if !secs.is_finite() || secs.abs() > 1e13 {
        return None;
    }
    timestamp_in_range(Timestamp::from_epoch_seconds_f64(secs))
}

/// Parses a timestamp a client sent as a string: ISO 8601, epoch seconds, or HTTP-date.
pub(crate) fn timestamp_from_str(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    if s.len() > 64 {
        return None;
    }
    if let Some(t) = Timestamp::parse_iso8601(s) {
        return timestamp_in_range(t);
    }
    if let Ok(f) = s.parse::<f64>() {
        return timestamp_from_secs(f);
    }
    // HTTP-date's year is its 4th word; a many-digit year would overflow the calendar
    // arithmetic in `nimbus_core::time`, so only short years go there.
    if s.split_whitespace().nth(3).is_some_and(|y| y.len() <= 4) {
        return Timestamp::parse_http_date(s).and_then(timestamp_in_range);
    }
    None
}

// ---------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------

/// A parsed wire document (JSON value or CBOR item) seen through the eyes of a shape.
/// Each `into_*` returns `Err(expectation)` when the node is not of the wanted type.
pub(crate) trait Node: Sized {
    /// What this node is, for messages ("a string", "an array").
    fn describe(&self) -> &'static str;
    fn is_null(&self) -> bool;
    fn into_entries(self) -> Result<Vec<(String, Self)>, &'static str>;
    fn into_items(self) -> Result<Vec<Self>, &'static str>;
    fn into_bool(self) -> Result<bool, &'static str>;
    fn into_i64(self) -> Result<i64, &'static str>;
    fn into_f64(self) -> Result<f64, &'static str>;
    fn into_string(self) -> Result<String, &'static str>;
    fn into_blob(self) -> Result<Bytes, &'static str>;
    fn into_timestamp(self) -> Result<Timestamp, &'static str>;
}

/// Where in the input a value sits, rendered only when an error needs it.
#[derive(Clone, Copy)]
pub(crate) enum Path<'a> {
    Root,
    Member(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
    Key(&'a Path<'a>, &'a str),
}

impl Path<'_> {
    fn render(&self) -> String {
        let mut s = String::new();
        self.render_into(&mut s);
        if s.is_empty() {
            s.push_str("(body)");
        }
        s
    }

    fn render_into(&self, s: &mut String) {
        match self {
            Path::Root => {}
            Path::Member(p, name) | Path::Key(p, name) => {
                p.render_into(s);
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(name);
            }
            Path::Index(p, i) => {
                p.render_into(s);
                let _ = write!(s, "[{i}]");
            }
        }
    }
}

fn invalid(path: &Path<'_>, want: &str, got: &str) -> WireError {
    WireError::InvalidValue {
        member: path.render(),
        detail: format!("{want}, got {got}"),
    }
}

/// Decodes the top-level input structure. `root` must already be known to be an object.
pub(crate) fn decode_root<N: Node>(
    model: &ServiceModel,
    input: ShapeId,
    root: N,
) -> Result<Value, WireError> {
    let Some(sh) = shape(model, input) else {
        return Err(WireError::Malformed(format!(
            "input shape {} is not in the {} model",
            input.0, model.name
        )));
    };
    match &sh.kind {
        ShapeKind::Structure(_) => {
            decode_value(model, sh, root, &Path::Root).map(|v| v.unwrap_or(Value::Struct(vec![])))
        }
        _ => Err(WireError::Malformed(format!(
            "input shape {} is not a structure",
            sh.name
        ))),
    }
}

/// Decodes `node` against `sh`; `Ok(None)` for a null.
pub(crate) fn decode_value<N: Node>(
    model: &ServiceModel,
    sh: &Shape,
    node: N,
    path: &Path<'_>,
) -> Result<Option<Value>, WireError> {
    if node.is_null() {
        return Ok(None);
    }
    let got = node.describe();
    let fail = |want: &str| invalid(path, want, got);
    let v = match &sh.kind {
        ShapeKind::Structure(st) => {
            let entries = node.into_entries().map_err(fail)?;
            let mut slots: Vec<Option<Value>> = vec![None; st.members.len()];
            for (key, child) in entries {
                let Some(i) = member_for_key(st.members, &key) else {
                    continue; // unknown members are ignored, as AWS does
                };
                let m = &st.members[i];
                let child_path = Path::Member(path, m.name);
                let Some(msh) = shape(model, m.shape) else {
                    continue;
                };
                if let Some(v) = decode_value(model, msh, child, &child_path)? {
                    slots[i] = Some(v);
                }
            }
            Value::Struct(slots)
        }
        ShapeKind::List(l) => {
            let items = node.into_items().map_err(fail)?;
            let Some(esh) = shape(model, l.member) else {
                return Ok(Some(Value::List(vec![])));
            };
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.into_iter().enumerate() {
                if let Some(v) = decode_value(model, esh, item, &Path::Index(path, i))? {
                    out.push(v);
                }
            }
            Value::List(out)
        }
        ShapeKind::Map(m) => {
            let entries = node.into_entries().map_err(fail)?;
            let Some(vsh) = shape(model, m.value) else {
                return Ok(Some(Value::Map(vec![])));
            };
            let mut out = Vec::with_capacity(entries.len());
            for (key, child) in entries {
                let decoded = decode_value(model, vsh, child, &Path::Key(path, &key))?;
                if let Some(v) = decoded {
                    out.push((key, v));
                }
            }
            Value::Map(out)
        }
        ShapeKind::String { .. } => Value::Str(node.into_string().map_err(fail)?),
        ShapeKind::Integer | ShapeKind::Long => Value::Int(node.into_i64().map_err(fail)?),
        ShapeKind::Float | ShapeKind::Double => Value::Float(node.into_f64().map_err(fail)?),
        ShapeKind::Boolean => Value::Bool(node.into_bool().map_err(fail)?),
        ShapeKind::Timestamp { .. } => Value::Timestamp(node.into_timestamp().map_err(fail)?),
        ShapeKind::Blob { .. } => Value::Blob(node.into_blob().map_err(fail)?),
    };
    Ok(Some(v))
}

/// The member a wire key names: its serialized name (`locationName`) first, then its
/// member name (botocore's CBOR parser reads member names, so accept both everywhere).
pub(crate) fn member_for_key(members: &[Member], key: &str) -> Option<usize> {
    members
        .iter()
        .position(|m| m.location_name.unwrap_or(m.name) == key)
        .or_else(|| members.iter().position(|m| m.name == key))
}

// ---------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------

/// A protocol's output writer. Containers announce their length up front (CBOR needs it).
pub(crate) trait Sink {
    /// Whether structure members are keyed by `locationName` (JSON) or member name (CBOR).
    const USE_LOCATION_NAME: bool;
    fn map_start(&mut self, len: usize);
    fn key(&mut self, key: &str);
    fn map_end(&mut self);
    fn list_start(&mut self, len: usize);
    fn list_end(&mut self);
    fn null(&mut self);
    fn bool(&mut self, b: bool);
    fn int(&mut self, i: i64);
    fn float(&mut self, f: f64);
    fn str(&mut self, s: &str);
    fn blob(&mut self, b: &[u8]);
    fn timestamp(&mut self, t: Timestamp, format: Option<TimestampFormat>);
}

/// Writes the operation's output structure, or an empty object when there is none.
pub(crate) fn encode_root<S: Sink>(
    model: &ServiceModel,
    output: Option<ShapeId>,
    value: Option<&Value>,
    sink: &mut S,
) {
    match (output.and_then(|id| shape(model, id)), value) {
        (Some(sh), Some(v @ Value::Struct(_))) => encode_value(model, Some(sh), v, None, sink),
        _ => {
            sink.map_start(0);
            sink.map_end();
        }
    }
}

/// Writes `v` as shape `sh` says; `member_ts` is the member's `timestampFormat`, which
/// overrides the shape's. A value that does not fit its shape (a service bug) is written
/// by its own type, or as null when it is a structure without a structure shape.
pub(crate) fn encode_value<S: Sink>(
    model: &ServiceModel,
    sh: Option<&Shape>,
    v: &Value,
    member_ts: Option<TimestampFormat>,
    sink: &mut S,
) {
    let kind = sh.map(|s| &s.kind);
    match v {
        Value::Struct(slots) => {
            let Some(ShapeKind::Structure(st)) = kind else {
                sink.null();
                return;
            };
            let present = st.members.iter().zip(slots).filter(|(_, s)| s.is_some());
            sink.map_start(present.clone().count());
            for (m, slot) in present {
                if let Some(child) = slot {
                    sink.key(if S::USE_LOCATION_NAME {
                        m.location_name.unwrap_or(m.name)
                    } else {
                        m.name
                    });
                    encode_value(
                        model,
                        shape(model, m.shape),
                        child,
                        m.timestamp_format,
                        sink,
                    );
                }
            }
            sink.map_end();
        }
        Value::List(items) => {
            let esh = match kind {
                Some(ShapeKind::List(l)) => shape(model, l.member),
                _ => None,
            };
            sink.list_start(items.len());
            for item in items {
                encode_value(model, esh, item, None, sink);
            }
            sink.list_end();
        }
        Value::Map(entries) => {
            let vsh = match kind {
                Some(ShapeKind::Map(m)) => shape(model, m.value),
                _ => None,
            };
            sink.map_start(entries.len());
            for (k, item) in entries {
                sink.key(k);
                encode_value(model, vsh, item, None, sink);
            }
            sink.map_end();
        }
        // Numbers follow the shape's type so that a double always reads back as a float.
        Value::Int(i) => match kind {
            Some(ShapeKind::Float | ShapeKind::Double) => sink.float(*i as f64),
            _ => sink.int(*i),
        },
        Value::Float(f) => match kind {
            Some(ShapeKind::Integer | ShapeKind::Long)
                if f.is_finite() && f.fract() == 0.0 && f.abs() < 9.2e18 =>
            {
                sink.int(*f as i64)
            }
            _ => sink.float(*f),
        },
        Value::Bool(b) => sink.bool(*b),
        Value::Str(s) => sink.str(s),
        Value::Blob(b) => sink.blob(b),
        Value::Timestamp(t) => {
            let shape_ts = match kind {
                Some(ShapeKind::Timestamp { format }) => *format,
                _ => None,
            };
            sink.timestamp(*t, member_ts.or(shape_ts));
        }
    }
}
