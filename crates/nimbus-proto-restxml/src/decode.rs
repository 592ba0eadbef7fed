//! Request decoding: one HTTP request (already routed by [`crate::route`]) becomes the
//! operation's input [`Value`]. Each input member is read from where its `location` says,
//! mirroring botocore's `RestXMLSerializer`: URI labels, query-string parameters, single
//! headers, prefixed header maps (`x-amz-meta-*`), and the body — either the raw bytes of a
//! blob/string payload member, the XML of a structure payload member, or (no payload
//! member) an XML document whose root children are the body members.
//!
//! It does not check required members: the generated typed conversion does, and phrases
//! the error the protocol's way.
//!
//! What botocore 1.43.11 actually sends (captured with a `before-send` hook on an S3 client
//! with `endpoint_url=http://127.0.0.1:PORT`): path-style URLs, also for
//! `http://localhost:PORT`; keys percent-encoded except `/` and `~` (`a b+c` →
//! `a%20b%2Bc`); PutObject/UploadPart over plain http send the raw body with
//! `Content-Length`, `X-Amz-Content-SHA256` = the body's hex SHA-256,
//! `x-amz-checksum-crc32` + `x-amz-sdk-checksum-algorithm: CRC32` and
//! `Expect: 100-continue` (over https they switch to `Content-Encoding: aws-chunked` with a
//! trailing checksum, which the gateway decodes before this module sees the body);
//! ListObjectsV2 always adds `encoding-type=url`; GetObject adds `x-amz-checksum-mode`.

use crate::parse_query;
use crate::route::{self, Resolved};
use crate::scalar::{self, Place};
use crate::xml_read::{self, Path};
use bytes::Bytes;
use nimbus_wire::model::{Location, Member, Operation, ServiceModel, ShapeKind, Structure};
use nimbus_wire::{HttpRequest, Value, WireError};

/// Decodes the input of `op` from `req`. An operation without an input shape decodes to an
/// empty structure.
pub fn decode_input(
    model: &ServiceModel,
    op: &Operation,
    req: &HttpRequest,
    resolved: &Resolved,
) -> Result<Value, WireError> {
    let Some(input) = op.input else {
        return Ok(Value::Struct(Vec::new()));
    };
    let Some(ShapeKind::Structure(st)) = model.shapes.get(input.0 as usize).map(|s| &s.kind) else {
        return Err(WireError::Malformed(format!(
            "the input of {} is not a structure",
            op.name
        )));
    };
    if let Some(better) = route::better_with_headers(model, op, req.query, req.headers) {
        return Err(WireError::UnknownOperation(format!(
            "This request is {} but was routed without its headers as {}",
            better.name, op.name
        )));
    }
    let params = parse_query(req.query);
    let mut slots: Vec<Option<Value>> = vec![None; st.members.len()];
    for (i, m) in st.members.iter().enumerate() {
        let name = m.location_name.unwrap_or(m.name);
        let Some(shape) = model.shapes.get(m.shape.0 as usize) else {
            continue;
        };
        slots[i] = match m.location {
            Location::Uri => match resolved.labels.iter().find(|(l, _)| *l == name) {
                Some((_, v)) => Some(scalar::parse(
                    &shape.kind,
                    m.timestamp_format,
                    v,
                    Place::Uri,
                    m.name,
                )?),
                None => None,
            },
            Location::QueryString => query_member(model, st, m, op, &params)?,
            Location::Header => header_member(model, m, req.headers)?,
            Location::Headers => header_map(m, req.headers),
            Location::StatusCode | Location::Body => None,
        };
    }
    read_body(model, st, req.body, &mut slots)?;
    Ok(Value::Struct(slots))
}

fn query_member(
    model: &ServiceModel,
    st: &Structure,
    m: &Member,
    op: &Operation,
    params: &[(String, String)],
) -> Result<Option<Value>, WireError> {
    let name = m.location_name.unwrap_or(m.name);
    let Some(shape) = model.shapes.get(m.shape.0 as usize) else {
        return Ok(None);
    };
    match &shape.kind {
        ShapeKind::List(l) => {
            let Some(item_shape) = model.shapes.get(l.member.0 as usize) else {
                return Ok(None);
            };
            let mut items = Vec::new();
            for (_, v) in params.iter().filter(|(k, _)| k == name) {
                items.push(scalar::parse(
                    &item_shape.kind,
                    None,
                    v,
                    Place::Query,
                    m.name,
                )?);
            }
            Ok((!items.is_empty()).then_some(Value::List(items)))
        }
        ShapeKind::Map(mp) => {
            // A map-typed query member takes every parameter no other member claims, minus
            // the template's own literals, `x-id`, and presigned-URL SigV4 parameters.
            let tpl_query = op.request_uri.split_once('?').map_or("", |(_, q)| q);
            let claimed = |k: &str| {
                k == "x-id"
                    || k.get(..6).is_some_and(|p| p.eq_ignore_ascii_case("x-amz-"))
                    || tpl_query
                        .split('&')
                        .any(|lit| lit.split('=').next() == Some(k))
                    || st.members.iter().any(|o| {
                        o.location == Location::QueryString
                            && o.location_name.unwrap_or(o.name) == k
                    })
            };
            let Some(value_shape) = model.shapes.get(mp.value.0 as usize) else {
                return Ok(None);
            };
            let mut out: Vec<(String, Value)> = Vec::new();
            for (k, v) in params.iter().filter(|(k, _)| !claimed(k)) {
                match &value_shape.kind {
                    ShapeKind::List(l) => {
                        let item_kind = model
                            .shapes
                            .get(l.member.0 as usize)
                            .map(|s| &s.kind)
                            .unwrap_or(&ShapeKind::String { enum_values: &[] });
                        let item = scalar::parse(item_kind, None, v, Place::Query, m.name)?;
                        match out.iter_mut().find(|(ek, _)| ek == k) {
                            Some((_, Value::List(items))) => items.push(item),
                            _ => out.push((k.clone(), Value::List(vec![item]))),
                        }
                    }
                    kind => {
                        if !out.iter().any(|(ek, _)| ek == k) {
                            out.push((
                                k.clone(),
                                scalar::parse(kind, None, v, Place::Query, m.name)?,
                            ));
                        }
                    }
                }
            }
            Ok((!out.is_empty()).then_some(Value::Map(out)))
        }
        kind => match params.iter().find(|(k, _)| k == name) {
            Some((_, v)) => Ok(Some(scalar::parse(
                kind,
                m.timestamp_format,
                v,
                Place::Query,
                m.name,
            )?)),
            None => Ok(None),
        },
    }
}

fn header_text(v: &http::HeaderValue) -> String {
    match v.to_str() {
        Ok(s) => s.to_string(),
        // Non-ASCII bytes (e.g. UTF-8 metadata sent raw): keep them as UTF-8 text.
        Err(_) => String::from_utf8_lossy(v.as_bytes()).into_owned(),
    }
}

fn header_member(
    model: &ServiceModel,
    m: &Member,
    headers: &http::HeaderMap,
) -> Result<Option<Value>, WireError> {
    let name = m.location_name.unwrap_or(m.name).to_ascii_lowercase();
    let mut values = headers.get_all(name.as_str()).iter().peekable();
    if values.peek().is_none() {
        return Ok(None);
    }
    let Some(shape) = model.shapes.get(m.shape.0 as usize) else {
        return Ok(None);
    };
    match &shape.kind {
        ShapeKind::List(l) => {
            let item_kind = model
                .shapes
                .get(l.member.0 as usize)
                .map(|s| &s.kind)
                .unwrap_or(&ShapeKind::String { enum_values: &[] });
            let mut items = Vec::new();
            for v in values {
                for part in split_header_list(&header_text(v)) {
                    items.push(scalar::parse(
                        item_kind,
                        None,
                        &part,
                        Place::Header,
                        m.name,
                    )?);
                }
            }
            Ok(Some(Value::List(items)))
        }
        kind => {
            let text = values.next().map(header_text).unwrap_or_default();
            Ok(Some(scalar::parse(
                kind,
                m.timestamp_format,
                &text,
                Place::Header,
                m.name,
            )?))
        }
    }
}

/// Splits a comma-separated header list (RFC 7230). botocore wraps an item containing a
/// comma or a double quote in double quotes and backslash-escapes inner quotes.
pub(crate) fn split_header_list(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut was_quoted = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted => quoted = false,
            '"' if cur.trim().is_empty() => {
                cur.clear();
                quoted = true;
                was_quoted = true;
            }
            '\\' if quoted => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            ',' if !quoted => {
                out.push(finish_item(&cur, was_quoted));
                cur.clear();
                was_quoted = false;
            }
            c => cur.push(c),
        }
    }
    let last = finish_item(&cur, was_quoted);
    if !last.is_empty() || !out.is_empty() {
        out.push(last);
    }
    out
}

fn finish_item(s: &str, was_quoted: bool) -> String {
    if was_quoted {
        s.trim_end().to_string()
    } else {
        s.trim().to_string()
    }
}

/// All headers starting with the member's prefix, prefix stripped; keys are lower-case
/// (HTTP header names are case-insensitive and arrive lower-cased).
fn header_map(m: &Member, headers: &http::HeaderMap) -> Option<Value> {
    let prefix = m.location_name.unwrap_or("").to_ascii_lowercase();
    let mut out: Vec<(String, Value)> = Vec::new();
    for (name, value) in headers {
        let n = name.as_str();
        if let Some(key) = n.strip_prefix(prefix.as_str()) {
            if key.is_empty() {
                continue;
            }
            let text = header_text(value);
            match out.iter_mut().find(|(k, _)| k == key) {
                // A repeated header is one value, comma-joined (RFC 9110 §5.3).
                Some((_, Value::Str(s))) => {
                    s.push(',');
                    s.push_str(&text);
                }
                _ => out.push((key.to_string(), Value::Str(text))),
            }
        }
    }
    (!out.is_empty()).then_some(Value::Map(out))
}

/// Fills the body-bound members of `slots` from `body`. An empty body leaves them absent.
fn read_body(
    model: &ServiceModel,
    st: &Structure,
    body: &[u8],
    slots: &mut [Option<Value>],
) -> Result<(), WireError> {
    if let Some(p) = st.payload {
        let p = p as usize;
        let Some(m) = st.members.get(p) else {
            return Ok(());
        };
        if body.is_empty() {
            return Ok(());
        }
        let Some(shape) = model.shapes.get(m.shape.0 as usize) else {
            return Ok(());
        };
        slots[p] = Some(match &shape.kind {
            ShapeKind::Blob { .. } => Value::Blob(Bytes::copy_from_slice(body)),
            ShapeKind::String { .. } => {
                Value::Str(String::from_utf8(body.to_vec()).map_err(|_| {
                    WireError::InvalidValue {
                        member: m.name.to_string(),
                        detail: "the body is not UTF-8 text".to_string(),
                    }
                })?)
            }
            _ => {
                let root = xml_read::parse_document(body)?;
                xml_read::read_value(
                    model,
                    m.shape,
                    m.timestamp_format,
                    &root,
                    &Path::root(m.name),
                    0,
                )?
            }
        });
        return Ok(());
    }
    if body.is_empty() || !st.members.iter().any(|m| m.location == Location::Body) {
        return Ok(());
    }
    let root = xml_read::parse_document(body)?;
    if let Value::Struct(read) = xml_read::read_struct(model, st, &root, &Path::root(""), 0)? {
        for (slot, v) in slots.iter_mut().zip(read) {
            if v.is_some() {
                *slot = v;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_lists() {
        assert_eq!(split_header_list("a, b,c"), vec!["a", "b", "c"]);
        assert_eq!(
            split_header_list(r#""a,b", "c\"d",e"#),
            vec!["a,b", "c\"d", "e"]
        );
        assert_eq!(split_header_list(""), Vec::<String>::new());
        assert_eq!(split_header_list("a,,b"), vec!["a", "", "b"]);
    }
}
