//! The AWS `rest-xml` protocol as S3 speaks it, server side. It owns four steps of one S3
//! call: picking the operation from method + path + query ([`resolve`]), turning the HTTP
//! request into the operation's input [`Value`] ([`decode_input`]), and rendering a
//! handler's output ([`encode_output`]) or error ([`encode_error`]) into the exact bytes
//! botocore's `RestXMLParser` reads.
//!
//! It does not own transport concerns: the gateway has already checked the SigV4
//! signature, decoded `aws-chunked` bodies, and extracted the bucket of a
//! virtual-hosted-style `Host` header. It never knows an operation by name except for the
//! few S3 quirks the model cannot express (documented where they live: [`roots`] for XML
//! root element names and `GetBucketLocation`'s bare root, [`encode`] for GetObject's
//! `206 Partial Content`, [`route`] for deprecated twins of the same URI).
//!
//! The specification followed is botocore's `serialize.py` (`RestXMLSerializer`, what
//! clients send) and `parsers.py` (`RestXMLParser`, what clients accept), plus the S3 API
//! reference for the element names the model leaves out.

pub mod decode;
pub mod encode;
pub mod roots;
pub mod route;
mod scalar;
mod xml_read;
mod xml_write;

pub use decode::decode_input;
pub use encode::{encode_error, encode_output};
pub use route::{resolve, resolve_with_headers, Resolved};

#[cfg(doc)]
use nimbus_wire::Value;

/// The namespace every S3 XML document carries on its root element.
pub const S3_XMLNS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

/// Query parameters, percent-decoded, in wire order. A key without `=` has an empty value.
/// `+` decodes to a space, as in HTML forms (botocore always sends `%20`/`%2B`, so either
/// reading is safe for it; other clients send `+` for spaces).
pub(crate) fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) => (form_decode(k), form_decode(v)),
            None => (form_decode(pair), String::new()),
        })
        .collect()
}

fn form_decode(s: &str) -> String {
    if s.contains('+') {
        percent_decode(&s.replace('+', " "))
    } else {
        percent_decode(s)
    }
}

/// Percent-decodes a path segment or query part; invalid UTF-8 is replaced rather than
/// rejected (S3 keys are UTF-8; a broken one then simply names no existing object).
pub(crate) fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parsing() {
        let q = parse_query("list-type=2&prefix=a%2F&delimiter=%2F&uploads&x=a+b&&k=");
        assert_eq!(
            q,
            vec![
                ("list-type".into(), "2".into()),
                ("prefix".into(), "a/".into()),
                ("delimiter".into(), "/".into()),
                ("uploads".into(), "".into()),
                ("x".into(), "a b".into()),
                ("k".into(), "".into()),
            ]
        );
        assert!(parse_query("").is_empty());
        assert_eq!(percent_decode("a%20b%2Bc~%25%ff"), "a b+c~%\u{fffd}");
    }
}
