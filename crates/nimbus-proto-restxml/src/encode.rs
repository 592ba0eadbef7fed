//! Response rendering: a handler's output [`Value`] becomes status + headers + body, and an
//! [`AwsError`] becomes S3's `<Error>` document. Output members bound to headers become
//! headers (timestamps as HTTP-dates, e.g. `Last-Modified`), a `headers` map becomes
//! `prefix + key` headers (`x-amz-meta-*`), a `statusCode` member overrides the status, and
//! the body is the raw blob/string payload, the XML of a structure payload, or an XML
//! document of the body members (root names: [`crate::roots`]).
//!
//! Every response carries `x-amz-request-id` and `x-amz-id-2` (S3's "host id", echoed as
//! `<HostId>` in errors; here a base64 string derived from the request id).
//!
//! To check a body against the client's own parser during development:
//! `python3 -c "import botocore.session, botocore.parsers as P; s=botocore.session.get_session(); op=s.get_service_model('s3').operation_model('ListObjectsV2'); print(P.create_parser('rest-xml').parse({'status_code':200,'headers':{},'body':open('body.xml','rb').read()}, op.output_shape))"`

use crate::scalar::{self, Place};
use crate::xml_write;
use crate::{roots, S3_XMLNS};
use base64::Engine as _;
use bytes::Bytes;
use nimbus_core::AwsError;
use nimbus_wire::model::{Location, Member, Operation, ServiceModel, ShapeKind};
use nimbus_wire::xml::XmlWriter;
use nimbus_wire::{HttpResponse, Value};
use std::borrow::Cow;

const XML_CONTENT_TYPE: &str = "application/xml";

/// Renders the output of `op`. Takes ownership of `output` so that a blob payload (an
/// object's bytes) moves into the body without a copy. For HEAD the body is always empty,
/// but the headers (including a modeled `Content-Length`) are kept, as S3 does.
pub fn encode_output(
    model: &ServiceModel,
    op: &Operation,
    output: Option<Value>,
    request_id: &str,
    method_is_head: bool,
) -> HttpResponse {
    let mut resp = HttpResponse {
        status: if op.response_code == 0 {
            200
        } else {
            op.response_code
        },
        headers: Vec::new(),
        body: Bytes::new(),
    };
    push_ids(&mut resp.headers, request_id);
    let Some((shape_name, st)) = op
        .output
        .and_then(|id| model.shapes.get(id.0 as usize))
        .and_then(|s| match &s.kind {
            ShapeKind::Structure(st) => Some((s.name, st)),
            _ => None,
        })
    else {
        return resp;
    };
    let mut slots = match output {
        Some(Value::Struct(s)) => s,
        _ => Vec::new(),
    };
    slots.resize(st.members.len(), None);
    let payload = st
        .payload
        .map(usize::from)
        .filter(|&p| p < st.members.len());
    let raw_payload = payload.is_some_and(|p| {
        matches!(
            model
                .shapes
                .get(st.members[p].shape.0 as usize)
                .map(|s| &s.kind),
            Some(ShapeKind::Blob { .. } | ShapeKind::String { .. })
        )
    });

    for (m, v) in st.members.iter().zip(&slots) {
        let Some(v) = v else { continue };
        match m.location {
            Location::Header => {
                let name = m.location_name.unwrap_or(m.name);
                // With a body, its length is the truth (the server writes Content-Length
                // from it); a modeled one is only needed for HEAD, whose body is empty.
                if raw_payload && !method_is_head && name.eq_ignore_ascii_case("content-length") {
                    continue;
                }
                if let Some(text) = header_text(model, m, v) {
                    resp.headers
                        .push((Cow::Borrowed(name), sanitize_header_value(&text)));
                }
            }
            Location::Headers => {
                let prefix = m.location_name.unwrap_or("");
                if let Value::Map(entries) = v {
                    for (k, v) in entries {
                        let text = match v {
                            Value::Str(s) => s.clone(),
                            other => match scalar::render(
                                other,
                                &ShapeKind::String { enum_values: &[] },
                                None,
                                Place::Header,
                            ) {
                                Some(t) => t,
                                None => continue,
                            },
                        };
                        if let Some(name) = header_name(prefix, k) {
                            resp.headers
                                .push((Cow::Owned(name), sanitize_header_value(&text)));
                        }
                    }
                }
            }
            Location::StatusCode => {
                if let Value::Int(code) = v {
                    if (100..=599).contains(code) {
                        resp.status = *code as u16;
                    }
                }
            }
            Location::Uri | Location::QueryString | Location::Body => {}
        }
    }

    // S3 answers a GetObject whose Range was satisfied with 206 Partial Content and a
    // Content-Range header (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html,
    // RFC 9110 §15.3.7); the model only knows the operation's default 200.
    if op.name == "GetObject"
        && resp.status == 200
        && st.members.iter().zip(&slots).any(|(m, v)| {
            v.is_some()
                && m.location == Location::Header
                && m.location_name
                    .is_some_and(|n| n.eq_ignore_ascii_case("content-range"))
        })
    {
        resp.status = 206;
    }

    let has_content_type = |h: &[(Cow<'static, str>, String)]| {
        h.iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
    };
    if let Some(p) = payload {
        let m = &st.members[p];
        match slots[p].take() {
            None => {}
            // HEAD: headers only; the raw payload is not sent.
            Some(_) if raw_payload && method_is_head => {}
            Some(Value::Blob(b)) if raw_payload => resp.body = b,
            Some(Value::Str(s)) if raw_payload => resp.body = Bytes::from(s),
            Some(other) if raw_payload => {
                // A handler put a non-binary value in a raw payload: send its text, if any.
                let kind = ShapeKind::String { enum_values: &[] };
                if let Some(t) = scalar::render(&other, &kind, None, Place::Xml) {
                    resp.body = Bytes::from(t);
                }
            }
            Some(v) => {
                let root = payload_root(model, m);
                let attrs = vec![("xmlns".to_string(), root_namespace(model, Some(m)))];
                let mut w = document();
                xml_write::write_value(
                    &mut w,
                    model,
                    root,
                    m.shape,
                    m.timestamp_format,
                    &v,
                    attrs,
                    0,
                );
                set_xml_body(&mut resp, w, method_is_head, has_content_type);
            }
        }
    } else if st.members.iter().any(|m| m.location == Location::Body) {
        let mut w = document();
        let ns = root_namespace(model, None);
        if let Some((root, member)) = roots::s3_text_root(shape_name) {
            let text = st
                .member_index(member)
                .and_then(|i| slots[i].as_ref())
                .and_then(|v| {
                    scalar::render(v, &ShapeKind::String { enum_values: &[] }, None, Place::Xml)
                });
            w.open_with_attrs(root, &[("xmlns", ns.as_str())]);
            if let Some(t) = text {
                w.text(&t);
            }
            w.close(root);
        } else {
            let root = st
                .location_name
                .or_else(|| roots::s3_output_root(shape_name))
                .unwrap_or(shape_name);
            let attrs = vec![("xmlns".to_string(), ns)];
            xml_write::write_struct(&mut w, model, root, st, &slots, attrs, true, 0);
        }
        set_xml_body(&mut resp, w, method_is_head, has_content_type);
    }
    resp
}

fn document() -> XmlWriter {
    let mut w = XmlWriter::new();
    w.declaration();
    w.out.push('\n');
    w
}

fn set_xml_body(
    resp: &mut HttpResponse,
    w: XmlWriter,
    method_is_head: bool,
    has_content_type: impl Fn(&[(Cow<'static, str>, String)]) -> bool,
) {
    if !has_content_type(&resp.headers) {
        resp.header("content-type", XML_CONTENT_TYPE);
    }
    if !method_is_head {
        resp.body = Bytes::from(w.finish());
    }
}

/// Root element of a structure payload: the member's `locationName`, else the target
/// shape's, else the member's name (which for S3 is the documented root: `CopyObjectResult`,
/// `ServerSideEncryptionConfiguration`, ...).
fn payload_root(model: &ServiceModel, m: &Member) -> &'static str {
    m.location_name
        .or_else(
            || match model.shapes.get(m.shape.0 as usize).map(|s| &s.kind) {
                Some(ShapeKind::Structure(st)) => st.location_name,
                _ => None,
            },
        )
        .unwrap_or(m.name)
}

/// The default namespace of a response document: the payload member's `xmlNamespace`, the
/// service's, or S3's (botocore's S3 metadata declares none, yet every S3 document carries
/// it; the services Nimbus serves over rest-xml are S3).
fn root_namespace(model: &ServiceModel, payload: Option<&Member>) -> String {
    payload
        .and_then(|m| m.xml_namespace)
        .filter(|ns| ns.prefix.is_none())
        .map(|ns| ns.uri)
        .or(model.xml_namespace)
        .unwrap_or(S3_XMLNS)
        .to_string()
}

/// A header member's text; lists are comma-joined, quoting items that contain a comma or
/// a double quote (the form botocore splits).
fn header_text(model: &ServiceModel, m: &Member, v: &Value) -> Option<String> {
    let kind = &model.shapes.get(m.shape.0 as usize)?.kind;
    match (kind, v) {
        (ShapeKind::List(l), Value::List(items)) => {
            let item_kind = &model.shapes.get(l.member.0 as usize)?.kind;
            let parts: Vec<String> = items
                .iter()
                .filter_map(|i| scalar::render(i, item_kind, None, Place::Header))
                .map(|s| {
                    if s.contains(',') || s.contains('"') {
                        format!("\"{}\"", s.replace('"', "\\\""))
                    } else {
                        s
                    }
                })
                .collect();
            Some(parts.join(","))
        }
        (kind, v) => scalar::render(v, kind, m.timestamp_format, Place::Header),
    }
}

/// Header values cannot hold CR, LF or other control characters (the response would be
/// rejected or, worse, split); they become spaces.
fn sanitize_header_value(s: &str) -> String {
    if s.bytes().all(|b| b >= 0x20 && b != 0x7f || b == b'\t') {
        return s.to_string();
    }
    s.chars()
        .map(|c| {
            if (c as u32) < 0x20 && c != '\t' || c == '\u{7f}' {
                ' '
            } else {
                c
            }
        })
        .collect()
}

/// The header name for key `key` of a prefixed headers map (`x-amz-meta-` + key),
/// lower-cased; `None` when the result is not a valid HTTP header name.
fn header_name(prefix: &str, key: &str) -> Option<String> {
    let name = format!("{prefix}{key}").to_ascii_lowercase();
    http::HeaderName::from_bytes(name.as_bytes()).ok()?;
    Some(name)
}

/// S3's `x-amz-id-2`: an opaque base64 token. Derived from the request id (SplitMix64 over
/// its FNV-1a hash) so that the same request id always yields the same host id.
pub fn host_id(request_id: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in request_id.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    let mut bytes = Vec::with_capacity(56);
    for _ in 0..7 {
        h = h.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = h;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        bytes.extend_from_slice(&z.to_be_bytes());
    }
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn push_ids(headers: &mut Vec<(Cow<'static, str>, String)>, request_id: &str) {
    headers.push((
        Cow::Borrowed("x-amz-request-id"),
        sanitize_header_value(request_id),
    ));
    headers.push((Cow::Borrowed("x-amz-id-2"), host_id(request_id)));
}

/// Renders `err` as S3 does:
/// `<Error><Code/><Message/>{extra fields}<RequestId/><HostId/></Error>`, with the error's
/// status. A HEAD response has no body (S3 sends none; botocore then derives the code from
/// the status, e.g. `404`).
pub fn encode_error(err: &AwsError, request_id: &str, method_is_head: bool) -> HttpResponse {
    let status = if (100..=599).contains(&err.status) {
        err.status
    } else {
        500
    };
    let mut resp = HttpResponse {
        status,
        headers: Vec::new(),
        body: Bytes::new(),
    };
    push_ids(&mut resp.headers, request_id);
    if method_is_head {
        return resp;
    }
    let mut w = document();
    w.open("Error");
    w.leaf("Code", &err.code);
    w.leaf("Message", &err.message);
    for (name, value) in &err.extra {
        w.leaf(name, value);
    }
    w.leaf("RequestId", request_id);
    w.leaf("HostId", &host_id(request_id));
    w.close("Error");
    resp.header("content-type", XML_CONTENT_TYPE);
    resp.body = Bytes::from(w.finish());
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_ids_are_stable_base64() {
        let a = host_id("4442587FB7D0A2F9");
        assert_eq!(a, host_id("4442587FB7D0A2F9"));
        assert_ne!(a, host_id("4442587FB7D0A2FA"));
        assert_eq!(a.len(), 76);
        assert!(base64::engine::general_purpose::STANDARD.decode(&a).is_ok());
    }

    #[test]
    fn header_values_are_sanitized() {
        assert_eq!(sanitize_header_value("a\r\nb\tc"), "a  b\tc");
        assert_eq!(sanitize_header_value("café"), "café");
    }

    #[test]
    fn prefixed_header_names() {
        assert_eq!(
            header_name("x-amz-meta-", "Color").as_deref(),
            Some("x-amz-meta-color")
        );
        assert!(header_name("x-amz-meta-", "bad name").is_none());
        assert!(header_name("x-amz-meta-", "a\n").is_none());
    }
}
