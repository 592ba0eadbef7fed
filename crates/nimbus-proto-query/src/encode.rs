//! The XML body of a query/ec2 response, shared by both dialects: a [`Value`] tree written
//! as elements under the guidance of the output shape, the way botocore's
//! `BaseXMLResponseParser` reads them back. The envelopes around it (`<OpResponse>`,
//! `<OpResult>`, request ids) belong to [`crate::query`] and [`crate::ec2`].
//!
//! Element names: a member's location name, else its name. Lists are
//! `<Name><member>..</member></Name>` (the item tag is the list member's location name, else
//! `member` for query and `item` for ec2); flattened lists repeat the member element itself,
//! named after the list member's location name when it has one (botocore's
//! `_member_key_name`). Maps are `<Name><entry><key>..</key><value>..</value></entry></Name>`,
//! flattened maps repeat `<Name>` per entry. Absent members are omitted.
//!
//! Encoding cannot fail: a value that does not fit its shape (a service bug) is written by
//! its own type when it is a scalar and skipped when it is not, never a panic.

use crate::dialect::{element_name, is_flattened, shape_at, timestamp_format, Dialect};
use base64::Engine as _;
use nimbus_core::Timestamp;
use nimbus_wire::model::{ListShape, Member, Shape, ShapeKind, Structure, TimestampFormat};
use nimbus_wire::xml::XmlWriter;
use nimbus_wire::{ServiceModel, Value};

pub struct XmlEncoder<'m> {
    pub model: &'m ServiceModel,
    pub dialect: Dialect,
}

impl XmlEncoder<'_> {
    /// Writes the members of structure `s` present in `value` (a [`Value::Struct`]); any
    /// other value writes nothing.
    pub fn members(&self, w: &mut XmlWriter, s: &Structure, value: &Value) {
        let Value::Struct(slots) = value else {
            return;
        };
        for (member, slot) in s.members.iter().zip(slots) {
            if let Some(v) = slot {
                if !member.xml_attribute {
                    self.member(w, member, v);
                }
            }
        }
    }

    fn member(&self, w: &mut XmlWriter, member: &'static Member, v: &Value) {
        let Some(shape) = shape_at(self.model, member.shape) else {
            return;
        };
        let name = element_name(member, shape);
        let ts = timestamp_format(member.timestamp_format, shape);
        if !is_flattened(member.flattened, shape) {
            self.value(w, name, shape, ts, v);
            return;
        }
        match (&shape.kind, v) {
            (ShapeKind::List(l), Value::List(items)) => {
                let Some(item_shape) = shape_at(self.model, l.member) else {
                    return;
                };
                let item_name = l.member_location_name.unwrap_or(name);
                let item_ts = timestamp_format(None, item_shape);
                for item in items {
                    self.value(w, item_name, item_shape, item_ts, item);
                }
            }
            (ShapeKind::Map(m), Value::Map(entries)) => {
                for (k, v) in entries {
                    w.open(name);
                    self.map_entry(w, m, k, v);
                    w.close(name);
                }
            }
            _ => self.value(w, name, shape, ts, v),
        }
    }

    /// Writes `<name>..</name>` for `v` of `shape`. Containers are written only when the
    /// shape agrees with the value; scalars always (by their own type).
    fn value(
        &self,
        w: &mut XmlWriter,
        name: &str,
        shape: &'static Shape,
        ts: Option<TimestampFormat>,
        v: &Value,
    ) {
        match (v, &shape.kind) {
            (Value::Struct(slots), ShapeKind::Structure(s)) => {
                if s.members
                    .iter()
                    .zip(slots)
                    .any(|(m, slot)| m.xml_attribute && slot.is_some())
                {
                    self.open_with_attributes(w, name, s, v);
                } else {
                    w.open(name);
                }
                self.members(w, s, v);
                w.close(name);
            }
            (Value::List(items), ShapeKind::List(l)) => self.list(w, name, l, items),
            (Value::Map(entries), ShapeKind::Map(m)) => {
                w.open(name);
                for (k, v) in entries {
                    w.open("entry");
                    self.map_entry(w, m, k, v);
                    w.close("entry");
                }
                w.close(name);
            }
            (v, _) => scalar_leaf(w, name, v, ts),
        }
    }

    /// `<name><item>..</item>..</name>` (the item tag as the dialect and model say).
    fn list(&self, w: &mut XmlWriter, name: &str, l: &ListShape, items: &[Value]) {
        w.open(name);
        if let Some(item_shape) = shape_at(self.model, l.member) {
            let item_name = l
                .member_location_name
                .unwrap_or(self.dialect.default_item_name());
            let item_ts = timestamp_format(None, item_shape);
            for item in items {
                self.value(w, item_name, item_shape, item_ts, item);
            }
        }
        w.close(name);
    }

    /// `<name attr="..">` for a structure with `xmlAttribute` members (none in the query
    /// and ec2 models Nimbus serves today).
    #[cold]
    fn open_with_attributes(&self, w: &mut XmlWriter, name: &str, s: &Structure, v: &Value) {
        let attrs = self.attributes(s, v);
        let refs: Vec<(&str, &str)> = attrs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        w.open_with_attrs(name, &refs);
    }

    fn map_entry(&self, w: &mut XmlWriter, m: &nimbus_wire::model::MapShape, key: &str, v: &Value) {
        w.leaf(m.key_location_name.unwrap_or("key"), key);
        if let Some(value_shape) = shape_at(self.model, m.value) {
            let name = m.value_location_name.unwrap_or("value");
            self.value(w, name, value_shape, timestamp_format(None, value_shape), v);
        }
    }

    /// `xmlAttribute` members of a structure value, as `(name, text)`.
    fn attributes(&self, s: &Structure, value: &Value) -> Vec<(&'static str, String)> {
        let Value::Struct(slots) = value else {
            return Vec::new();
        };
        s.members
            .iter()
            .zip(slots)
            .filter(|(m, _)| m.xml_attribute)
            .filter_map(|(m, slot)| {
                let v = slot.as_ref()?;
                let shape = shape_at(self.model, m.shape)?;
                let text = scalar_text(v, timestamp_format(m.timestamp_format, shape))?;
                Some((element_name(m, shape), text))
            })
            .collect()
    }
}

/// Opens a response envelope: `<{op_name}Response xmlns="{ns...}">`, the namespace given in
/// parts (written escaped, one after the other) so callers need not format it first.
pub fn open_root(w: &mut XmlWriter, op_name: &str, ns_parts: &[&str]) {
    w.out.push('<');
    w.out.push_str(op_name);
    w.out.push_str("Response xmlns=\"");
    for part in ns_parts {
        nimbus_wire::xml::escape_into(&mut w.out, part);
    }
    w.out.push_str("\">");
}

/// Closes what [`open_root`] opened.
pub fn close_root(w: &mut XmlWriter, op_name: &str) {
    w.out.push_str("</");
    w.out.push_str(op_name);
    w.out.push_str("Response>");
}

/// `<name>text</name>` for a scalar value, the text being [`scalar_text`]'s; nothing for
/// lists, maps and structures. Strings, booleans and integers are written without an
/// intermediate `String`.
fn scalar_leaf(w: &mut XmlWriter, name: &str, v: &Value, ts: Option<TimestampFormat>) {
    match v {
        Value::Str(s) => w.leaf(name, s),
        Value::Bool(b) => w.leaf(name, if *b { "true" } else { "false" }),
        Value::Int(i) => {
            w.open(name);
            push_int(&mut w.out, *i);
            w.close(name);
        }
        _ => {
            if let Some(text) = scalar_text(v, ts) {
                w.leaf(name, &text);
            }
        }
    }
}

/// Appends the decimal text of `i` (same as `i.to_string()`).
fn push_int(out: &mut String, i: i64) {
    let mut buf = [0u8; 20];
    let mut pos = buf.len();
    let mut n = i.unsigned_abs();
    loop {
        pos -= 1;
        buf[pos] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if i < 0 {
        out.push('-');
    }
    for &d in &buf[pos..] {
        out.push(char::from(d));
    }
}

/// The text of a scalar value; `None` for lists, maps and structures.
pub fn scalar_text(v: &Value, ts: Option<TimestampFormat>) -> Option<String> {
    Some(match v {
        Value::Bool(b) => if *b { "true" } else { "false" }.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => float_text(*f),
        Value::Str(s) => s.clone(),
        Value::Blob(b) => base64::engine::general_purpose::STANDARD.encode(b),
        Value::Timestamp(t) => timestamp_text(*t, ts),
        Value::List(_) | Value::Map(_) | Value::Struct(_) => return None,
    })
}

/// The shortest text that parses back to `f` (Python's `float()` reads it, as do the
/// other SDKs); non-finite values use the spellings botocore itself sends.
pub fn float_text(f: f64) -> String {
    if f.is_nan() {
        "NaN".to_string()
    } else if f == f64::INFINITY {
        "Infinity".to_string()
    } else if f == f64::NEG_INFINITY {
        "-Infinity".to_string()
    } else {
        // `{:?}` is Rust's shortest round-trip form; it keeps a `.0` on whole numbers and
        // switches to exponent form for very large/small magnitudes (`1.0`, `1e-7`, `1e300`),
        // much like Python's `repr`.
        format!("{f:?}")
    }
}

/// ISO 8601 with milliseconds unless the member asks for another format.
pub fn timestamp_text(t: Timestamp, ts: Option<TimestampFormat>) -> String {
    match ts {
        None | Some(TimestampFormat::Iso8601) => t.to_iso8601(),
        Some(TimestampFormat::Rfc822) => t.to_http_date(),
        Some(TimestampFormat::UnixTimestamp) => {
            if t.millis() % 1000 == 0 {
                t.secs().to_string()
            } else {
                format!("{:?}", t.epoch_seconds_f64())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats() {
        assert_eq!(float_text(1.0), "1.0");
        assert_eq!(float_text(0.1), "0.1");
        assert_eq!(float_text(1e-7), "1e-7");
        assert_eq!(float_text(-2.5), "-2.5");
        assert_eq!(float_text(f64::NAN), "NaN");
        assert_eq!(float_text(f64::INFINITY), "Infinity");
        assert_eq!(float_text(f64::NEG_INFINITY), "-Infinity");
        for f in [0.1, 1e300, 123456.789, f64::MIN_POSITIVE, -0.0] {
            assert_eq!(float_text(f).parse::<f64>().unwrap().to_bits(), f.to_bits());
        }
    }

    #[test]
    fn timestamps() {
        let t = Timestamp::from_civil(2026, 11, 25, 10, 5, 22, 123);
        assert_eq!(timestamp_text(t, None), "2026-11-25T10:05:22.123Z");
        assert_eq!(
            timestamp_text(t, Some(TimestampFormat::UnixTimestamp)),
            "1795601122.123"
        );
        assert_eq!(
            timestamp_text(Timestamp(t.0 - 123), Some(TimestampFormat::UnixTimestamp)),
            "1795601122"
        );
        assert_eq!(
            timestamp_text(Timestamp(-1500), Some(TimestampFormat::UnixTimestamp)),
            "-1.5"
        );
        assert_eq!(
            timestamp_text(t, Some(TimestampFormat::Rfc822)),
            "Wed, 25 Nov 2026 10:05:22 GMT"
        );
    }

    #[test]
    fn ints_match_to_string() {
        for i in [0i64, 1, -1, 9, 10, -10, 12345, i64::MAX, i64::MIN] {
            let mut s = String::new();
            push_int(&mut s, i);
            assert_eq!(s, i.to_string());
        }
    }

    #[test]
    fn scalars() {
        assert_eq!(scalar_text(&Value::Bool(true), None).unwrap(), "true");
        assert_eq!(scalar_text(&Value::Int(-7), None).unwrap(), "-7");
        assert_eq!(
            scalar_text(
                &Value::Blob(bytes::Bytes::from_static(b"\x00\x01\xfe\xff")),
                None
            )
            .unwrap(),
            "AAH+/w=="
        );
        assert_eq!(scalar_text(&Value::List(vec![]), None), None);
    }
}
