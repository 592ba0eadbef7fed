//! Helpers shared by the test modules: decode a captured body for an operation, render a
//! decoded [`Value`] readably (member names instead of positions), and build output values
//! by member name.

#![allow(dead_code)]

use nimbus_core::Timestamp;
use nimbus_proto_query::{ec2, parse_params, query};
use nimbus_wire::model::ShapeKind;
use nimbus_wire::{Protocol, ServiceModel, ShapeId, Value, WireError};
use std::fmt::Write;

/// Decodes `body` as the input of `op` with the model's protocol.
pub fn decode(model: &ServiceModel, op: &str, body: &str) -> Result<Value, WireError> {
    let op = model.operation(op).expect("operation in test model");
    let params = parse_params("", body.as_bytes())?;
    let input = op.input.expect("operation has input");
    match model.protocols[0] {
        Protocol::Ec2 => ec2::decode_input(model, input, &params),
        _ => query::decode_input(model, input, &params),
    }
}

/// Decodes and renders with [`show`].
pub fn decode_show(model: &ServiceModel, op: &str, body: &str) -> String {
    let input = model.operation(op).unwrap().input.unwrap();
    let v = decode(model, op, body).unwrap_or_else(|e| panic!("{op}: {e:?}"));
    show(model, input, &v)
}

/// Renders `v` (of shape `id`) as `{Member: value, ...}` with only present members,
/// lists as `[..]`, maps as `{"k": v}`, strings quoted, timestamps as ISO 8601 and blobs
/// as `b"..."`.
pub fn show(model: &ServiceModel, id: ShapeId, v: &Value) -> String {
    let mut out = String::new();
    show_into(&mut out, model, Some(id), v);
    out
}

fn show_into(out: &mut String, model: &ServiceModel, id: Option<ShapeId>, v: &Value) {
    let shape = id.and_then(|id| model.shapes.get(id.0 as usize));
    match v {
        Value::Struct(slots) => {
            let members = match shape.map(|s| &s.kind) {
                Some(ShapeKind::Structure(s)) => s.members,
                _ => &[],
            };
            out.push('{');
            let mut first = true;
            for (i, slot) in slots.iter().enumerate() {
                let Some(v) = slot else { continue };
                if !first {
                    out.push_str(", ");
                }
                first = false;
                let m = members.get(i);
                let _ = write!(out, "{}: ", m.map_or("?", |m| m.name));
                show_into(out, model, m.map(|m| m.shape), v);
            }
            out.push('}');
        }
        Value::List(items) => {
            let item = match shape.map(|s| &s.kind) {
                Some(ShapeKind::List(l)) => Some(l.member),
                _ => None,
            };
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                show_into(out, model, item, v);
            }
            out.push(']');
        }
        Value::Map(entries) => {
            let value = match shape.map(|s| &s.kind) {
                Some(ShapeKind::Map(m)) => Some(m.value),
                _ => None,
            };
            out.push('{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                let _ = write!(out, "{k:?}: ");
                show_into(out, model, value, v);
            }
            out.push('}');
        }
        Value::Str(s) => {
            let _ = write!(out, "{s:?}");
        }
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Float(f) => {
            let _ = write!(out, "{f:?}");
        }
        Value::Bool(b) => {
            let _ = write!(out, "{b}");
        }
        Value::Timestamp(t) => out.push_str(&t.to_iso8601()),
        Value::Blob(b) => {
            let _ = write!(out, "b\"{}\"", b.escape_ascii());
        }
    }
}

/// Builds a structure value of shape `id` from `(member name, value)` pairs.
pub fn st(model: &ServiceModel, id: ShapeId, members: Vec<(&str, Value)>) -> Value {
    let ShapeKind::Structure(s) = &model.shape(id).kind else {
        panic!("{} is not a structure", model.shape(id).name)
    };
    let mut slots = vec![None; s.members.len()];
    for (name, v) in members {
        let i = s
            .member_index(name)
            .unwrap_or_else(|| panic!("no member {name} in {}", model.shape(id).name));
        slots[i] = Some(v);
    }
    Value::Struct(slots)
}

pub fn s(v: &str) -> Value {
    Value::Str(v.to_string())
}

pub fn list(items: Vec<Value>) -> Value {
    Value::List(items)
}

pub fn map(entries: Vec<(&str, Value)>) -> Value {
    Value::Map(
        entries
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    )
}

/// `2026-11-25T10:05:22.123Z`.
pub fn t0() -> Timestamp {
    Timestamp::from_civil(2026, 11, 25, 10, 5, 22, 123)
}

/// The shape id of `op`'s output.
pub fn output_of(model: &ServiceModel, op: &str) -> ShapeId {
    model.operation(op).unwrap().output.unwrap()
}

pub fn body_str(resp: &nimbus_wire::HttpResponse) -> &str {
    std::str::from_utf8(&resp.body).unwrap()
}

pub fn header<'r>(resp: &'r nimbus_wire::HttpResponse, name: &str) -> Option<&'r str> {
    resp.headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}
