//! Oracles for what Nimbus writes back: an XML body is well-formed (one root element,
//! matching end tags, only the five named entities and numeric character references, no
//! raw control characters), a JSON body parses with `serde_json`, a CBOR body decodes with
//! the crate's own decoder, and every header is one HTTP can carry. Each check panics with
//! the offending document, which is what a fuzz target wants.

use nimbus_wire::HttpResponse;
use quick_xml::escape::{EscapeError, ParseCharRefError};
use quick_xml::events::Event;

/// Unescapes `raw` (text or an attribute value) and panics on a bad reference. `&#x0;` is
/// tolerated: the shared XML writer escapes every control character as a character
/// reference (as AWS does; XML 1.0 itself cannot carry them, which is why S3 offers
/// `encoding-type=url`), and quick-xml refuses only that one.
fn unescape_ok(raw: &str, doc: &str) {
    match quick_xml::escape::unescape(raw) {
        Ok(_) | Err(EscapeError::InvalidCharRef(ParseCharRefError::IllegalCharacter(0))) => {}
        Err(e) => panic!("bad escape in XML ({e}): {raw:?}\n--- document:\n{doc}"),
    }
}

/// Panics unless `body` is a well-formed XML document.
pub fn xml_well_formed(body: &[u8]) {
    let doc = String::from_utf8_lossy(body);
    let doc = doc.as_ref();
    assert!(
        std::str::from_utf8(body).is_ok(),
        "XML body is not UTF-8:\n{doc}"
    );
    if let Some(c) = doc
        .chars()
        .find(|&c| (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r'))
    {
        panic!("raw control character {c:?} in XML:\n{doc}");
    }
    let mut reader = quick_xml::Reader::from_str(doc);
    reader.config_mut().check_end_names = true;
    reader.config_mut().check_comments = true;
    let mut depth = 0usize;
    let mut roots = 0usize;
    loop {
        match reader.read_event() {
            Err(e) => panic!(
                "XML is not well-formed at {} ({e}):\n{doc}",
                reader.error_position()
            ),
            Ok(Event::Eof) => break,
            Ok(ev @ (Event::Start(_) | Event::Empty(_))) => {
                let (Event::Start(e) | Event::Empty(e)) = &ev else {
                    unreachable!()
                };
                if depth == 0 {
                    roots += 1;
                }
                for a in e.attributes().with_checks(true) {
                    let a = a.unwrap_or_else(|err| panic!("bad attribute ({err}):\n{doc}"));
                    unescape_ok(&String::from_utf8_lossy(&a.value), doc);
                }
                if matches!(ev, Event::Start(_)) {
                    depth += 1;
                }
            }
            Ok(Event::End(_)) => {
                depth = depth
                    .checked_sub(1)
                    .unwrap_or_else(|| panic!("unbalanced end tag in XML:\n{doc}"));
            }
            Ok(Event::Text(t)) => {
                let raw = String::from_utf8_lossy(t.as_ref()).into_owned();
                if depth == 0 {
                    assert!(
                        raw.trim().is_empty(),
                        "text outside the root element ({raw:?}):\n{doc}"
                    );
                }
                unescape_ok(&raw, doc);
            }
            Ok(Event::CData(_)) | Ok(Event::Comment(_)) | Ok(Event::PI(_)) => {}
            Ok(Event::Decl(_)) | Ok(Event::DocType(_)) => {}
        }
    }
    assert_eq!(depth, 0, "unclosed element in XML:\n{doc}");
    assert_eq!(roots, 1, "XML must have exactly one root element:\n{doc}");
}

/// Panics unless `body` parses as one JSON value; returns it.
pub fn json_parses(body: &[u8]) -> serde_json::Value {
    serde_json::from_slice(body).unwrap_or_else(|e| {
        panic!(
            "JSON body does not parse ({e}):\n{}",
            String::from_utf8_lossy(body)
        )
    })
}

/// Panics unless `body` is one CBOR item the crate's decoder reads back.
pub fn cbor_decodes(body: &[u8]) -> nimbus_proto_json::cbor::CborValue {
    nimbus_proto_json::cbor::decode(body, nimbus_proto_json::cbor::MAX_DEPTH_LIMIT)
        .unwrap_or_else(|e| panic!("CBOR body does not decode ({e}): {body:02x?}"))
}

/// Panics unless every header is a valid HTTP header name and value (what the gateway's
/// `to_hyper` needs; otherwise it answers 500 "invalid response header"), and the status
/// is a valid HTTP status.
pub fn headers_valid(resp: &HttpResponse) {
    assert!(
        (100..=599).contains(&resp.status),
        "status {} is not an HTTP status",
        resp.status
    );
    for (k, v) in &resp.headers {
        assert!(
            http::HeaderName::from_bytes(k.as_bytes()).is_ok(),
            "invalid header name {k:?}"
        );
        assert!(
            http::HeaderValue::from_str(v).is_ok(),
            "invalid value for header {k}: {v:?}"
        );
    }
}

/// The value of header `name` (case-insensitive) of an encoder's response.
pub fn header<'a>(resp: &'a HttpResponse, name: &str) -> Option<&'a str> {
    resp.headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Checks a body by its content type: XML, JSON or CBOR; any other type is not checked.
/// An empty body is fine for every type (HEAD, 204).
pub fn body_by_content_type(content_type: &str, body: &[u8]) {
    if body.is_empty() {
        return;
    }
    let ct = content_type.to_ascii_lowercase();
    if ct.starts_with("text/xml") || ct.starts_with("application/xml") {
        xml_well_formed(body);
    } else if ct.starts_with("application/x-amz-json") || ct.starts_with("application/json") {
        json_parses(body);
    } else if ct.starts_with("application/cbor") {
        cbor_decodes(body);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_what_nimbus_writes() {
        xml_well_formed(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<a x=\"1&amp;\"><b>&lt;&#xD;&#x1;&#x0;</b><c/></a>");
        xml_well_formed(b"<a/>");
    }

    #[test]
    #[should_panic(expected = "not well-formed")]
    fn rejects_mismatched_tags() {
        xml_well_formed(b"<a><b></a></b>");
    }

    #[test]
    #[should_panic(expected = "unclosed")]
    fn rejects_unclosed() {
        xml_well_formed(b"<a><b></b>");
    }

    #[test]
    #[should_panic(expected = "exactly one root")]
    fn rejects_two_roots() {
        xml_well_formed(b"<a></a><b></b>");
    }

    #[test]
    #[should_panic(expected = "bad escape")]
    fn rejects_unknown_entities() {
        xml_well_formed(b"<a>&nbsp;</a>");
    }

    #[test]
    #[should_panic(expected = "raw control")]
    fn rejects_raw_controls() {
        xml_well_formed(b"<a>\x01</a>");
    }
}
