//! Writing [`Value`]s as rest-xml response documents, in the element layout botocore's
//! `RestXMLParser` reads: a member is `<locationName or name>`; a non-flattened list is
//! `<Name><item>..</item></Name>` with items named by the list's member `locationName` or
//! `member`; a flattened list repeats its element, named by the list member's
//! `locationName`, else the member's (botocore's `_member_key_name`); maps use
//! `<entry><key/><value/></entry>` (flattened: repeated `<Name><key/><value/></Name>`).
//! `xmlAttribute` members become attributes of their parent; a shape or member
//! `xmlNamespace` becomes an `xmlns[:prefix]` declaration on its element (S3's `Grantee`
//! needs `xmlns:xsi` for its `xsi:type` attribute). Timestamps are ISO 8601 with
//! milliseconds unless the model says otherwise.

use crate::scalar::{self, Place};
use nimbus_wire::model::{
    Member, ServiceModel, ShapeId, ShapeKind, Structure, TimestampFormat, XmlNamespace,
};
use nimbus_wire::xml::XmlWriter;
use nimbus_wire::Value;

/// Deepest value nesting rendered; deeper parts are left out rather than overflow the stack.
const MAX_DEPTH: usize = 64;

fn ns_attr(ns: &XmlNamespace) -> (String, String) {
    let name = match ns.prefix {
        Some(p) => format!("xmlns:{p}"),
        None => "xmlns".to_string(),
    };
    (name, ns.uri.to_string())
}

fn open(w: &mut XmlWriter, name: &str, attrs: &[(String, String)]) {
    let refs: Vec<(&str, &str)> = attrs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    w.open_with_attrs(name, &refs);
}

/// Writes `<name attrs>` + the members of structure `st` + `</name>`. `extra` attributes
/// (the root's namespace) come first. With `body_only`, members bound to the URI, headers
/// or status code are skipped.
#[allow(clippy::too_many_arguments)]
pub(crate) fn write_struct(
    w: &mut XmlWriter,
    model: &ServiceModel,
    name: &str,
    st: &Structure,
    slots: &[Option<Value>],
    mut attrs: Vec<(String, String)>,
    body_only: bool,
    depth: usize,
) {
    if let Some(ns) = &st.xml_namespace {
        let a = ns_attr(ns);
        if !attrs.iter().any(|(k, _)| *k == a.0) {
            attrs.push(a);
        }
    }
    let members = st
        .members
        .iter()
        .zip(slots)
        .filter(|(m, _)| !body_only || m.location == nimbus_wire::model::Location::Body);
    for (m, v) in members.clone() {
        if !m.xml_attribute {
            continue;
        }
        let (Some(v), Some(shape)) = (v, model.shapes.get(m.shape.0 as usize)) else {
            continue;
        };
        if let Some(text) = scalar::render(v, &shape.kind, m.timestamp_format, Place::Xml) {
            attrs.push((m.location_name.unwrap_or(m.name).to_string(), text));
        }
    }
    open(w, name, &attrs);
    if depth < MAX_DEPTH {
        for (m, v) in members {
            if let (false, Some(v)) = (m.xml_attribute, v) {
                write_member(w, model, m, v, depth + 1);
            }
        }
    }
    w.close(name);
}

fn write_member(w: &mut XmlWriter, model: &ServiceModel, m: &Member, v: &Value, depth: usize) {
    let Some(shape) = model.shapes.get(m.shape.0 as usize) else {
        return;
    };
    let name = m.location_name.unwrap_or(m.name);
    let ns: Vec<(String, String)> = m.xml_namespace.iter().map(ns_attr).collect();
    match (&shape.kind, v) {
        (ShapeKind::List(l), Value::List(items)) if l.flattened || m.flattened => {
            let item_name = l.member_location_name.unwrap_or(name);
            for item in items {
                write_value(
                    w,
                    model,
                    item_name,
                    l.member,
                    None,
                    item,
                    ns.clone(),
                    depth + 1,
                );
            }
        }
        (ShapeKind::Map(mp), Value::Map(entries)) if mp.flattened || m.flattened => {
            for (k, v) in entries {
                open(w, name, &ns);
                write_entry(w, model, mp, k, v, depth + 1);
                w.close(name);
            }
        }
        _ => write_value(w, model, name, m.shape, m.timestamp_format, v, ns, depth),
    }
}

fn write_entry(
    w: &mut XmlWriter,
    model: &ServiceModel,
    mp: &nimbus_wire::model::MapShape,
    k: &str,
    v: &Value,
    depth: usize,
) {
    w.leaf(mp.key_location_name.unwrap_or("key"), k);
    write_value(
        w,
        model,
        mp.value_location_name.unwrap_or("value"),
        mp.value,
        None,
        v,
        Vec::new(),
        depth + 1,
    );
}

/// Writes one element `<name>` holding `v` as a value of shape `id`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn write_value(
    w: &mut XmlWriter,
    model: &ServiceModel,
    name: &str,
    id: ShapeId,
    member_format: Option<TimestampFormat>,
    v: &Value,
    attrs: Vec<(String, String)>,
    depth: usize,
) {
    if depth > MAX_DEPTH {
        return;
    }
    let Some(shape) = model.shapes.get(id.0 as usize) else {
        return;
    };
    match (&shape.kind, v) {
        (ShapeKind::Structure(st), Value::Struct(slots)) => {
            write_struct(w, model, name, st, slots, attrs, false, depth);
        }
        (ShapeKind::List(l), Value::List(items)) => {
            let item_name = l.member_location_name.unwrap_or("member");
            open(w, name, &attrs);
            for item in items {
                write_value(
                    w,
                    model,
                    item_name,
                    l.member,
                    None,
                    item,
                    Vec::new(),
                    depth + 1,
                );
            }
            w.close(name);
        }
        (ShapeKind::Map(mp), Value::Map(entries)) => {
            open(w, name, &attrs);
            for (k, v) in entries {
                w.open("entry");
                write_entry(w, model, mp, k, v, depth + 1);
                w.close("entry");
            }
            w.close(name);
        }
        (kind, v) => {
            // A value that does not fit its shape (a handler bug) is written if it is a
            // scalar and skipped otherwise; the response stays well-formed.
            if let Some(text) = scalar::render(v, kind, member_format, Place::Xml) {
                open(w, name, &attrs);
                w.text(&text);
                w.close(name);
            }
        }
    }
}
