//! Scalar text conversions shared by every place a rest-xml value travels as text (URI
//! label, query string, header, XML element text). The defaults differ by place, as in
//! botocore: timestamps are HTTP-dates in headers and ISO 8601 elsewhere; blobs are base64
//! in headers and XML, raw in the URI and query string. Structures, lists and maps are not
//! scalars and are handled by the callers.

use base64::Engine as _;
use bytes::Bytes;
use nimbus_core::Timestamp;
use nimbus_wire::model::{ShapeKind, TimestampFormat};
use nimbus_wire::{Value, WireError};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Where a scalar travels; decides the default timestamp format and blob encoding.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Place {
    Uri,
    Query,
    Header,
    Xml,
}

fn timestamp_format(
    kind: &ShapeKind,
    member_format: Option<TimestampFormat>,
    place: Place,
) -> TimestampFormat {
    let shape_format = match kind {
        ShapeKind::Timestamp { format } => *format,
        _ => None,
    };
    member_format.or(shape_format).unwrap_or(match place {
        Place::Header => TimestampFormat::Rfc822,
        _ => TimestampFormat::Iso8601,
    })
}

fn invalid(member: &str, detail: impl Into<String>) -> WireError {
    WireError::InvalidValue {
        member: member.to_string(),
        detail: detail.into(),
    }
}

/// Parses `text` as a value of the scalar shape `kind`. `member` names the member for
/// error messages.
pub(crate) fn parse(
    kind: &ShapeKind,
    member_format: Option<TimestampFormat>,
    text: &str,
    place: Place,
    member: &str,
) -> Result<Value, WireError> {
    Ok(match kind {
        ShapeKind::String { .. } => Value::Str(text.to_string()),
        ShapeKind::Integer | ShapeKind::Long => Value::Int(
            text.trim()
                .parse::<i64>()
                .map_err(|_| invalid(member, format!("'{text}' is not an integer")))?,
        ),
        ShapeKind::Float | ShapeKind::Double => {
            let t = text.trim();
            let f = match t {
                "NaN" => f64::NAN,
                "Infinity" => f64::INFINITY,
                "-Infinity" => f64::NEG_INFINITY,
                _ => t
                    .parse::<f64>()
                    .map_err(|_| invalid(member, format!("'{text}' is not a number")))?,
            };
            Value::Float(f)
        }
        ShapeKind::Boolean => {
            let t = text.trim();
            if t.eq_ignore_ascii_case("true") {
                Value::Bool(true)
            } else if t.eq_ignore_ascii_case("false") {
                Value::Bool(false)
            } else {
                return Err(invalid(member, format!("'{text}' is not a boolean")));
            }
        }
        ShapeKind::Timestamp { .. } => {
            let t = text.trim();
            let epoch = || {
                t.parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite())
                    .map(Timestamp::from_epoch_seconds_f64)
            };
            // The declared format first, then (lenient) the other two renderings.
            let ts = match timestamp_format(kind, member_format, place) {
                TimestampFormat::Iso8601 => Timestamp::parse_iso8601(t)
                    .or_else(|| http_date(t))
                    .or_else(epoch),
                TimestampFormat::Rfc822 => http_date(t)
                    .or_else(|| Timestamp::parse_iso8601(t))
                    .or_else(epoch),
                TimestampFormat::UnixTimestamp => epoch()
                    .or_else(|| Timestamp::parse_iso8601(t))
                    .or_else(|| http_date(t)),
            }
            .ok_or_else(|| invalid(member, format!("'{text}' is not a timestamp")))?;
            Value::Timestamp(ts)
        }
        ShapeKind::Blob { .. } => match place {
            Place::Xml => Value::Blob(Bytes::from(
                B64.decode(text.trim())
                    .map_err(|_| invalid(member, "not valid base64"))?,
            )),
            // botocore puts a header blob as its text; base64 when it decodes, else raw.
            Place::Header => Value::Blob(Bytes::from(
                B64.decode(text.trim())
                    .unwrap_or_else(|_| text.as_bytes().to_vec()),
            )),
            Place::Uri | Place::Query => Value::Blob(Bytes::copy_from_slice(text.as_bytes())),
        },
        ShapeKind::Structure(_) | ShapeKind::List(_) | ShapeKind::Map(_) => {
            return Err(invalid(member, "expected a structured value, got text"))
        }
    })
}

/// An HTTP-date (`Wed, 25 Nov 2026 10:05:22 GMT`). The fields are length-checked first:
/// `Timestamp::parse_http_date` takes any year, and calendar arithmetic on a 12-digit year
/// overflows (a panic in debug builds) — this is client input.
fn http_date(t: &str) -> Option<Timestamp> {
    let parts: Vec<&str> = t.split_whitespace().collect();
    let short_digits = |s: &str, max: usize| {
        !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_digit())
    };
    let ok = parts.len() == 6
        && short_digits(parts[1], 2)
        && short_digits(parts[3], 4)
        && parts[4].split(':').count() == 3
        && parts[4].split(':').all(|p| short_digits(p, 2));
    if ok {
        Timestamp::parse_http_date(t)
    } else {
        None
    }
}

/// Renders a scalar value as text. Follows the value's own variant (a handler that put a
/// `Str` where the model says integer still gets its string on the wire) and uses the
/// shape only for the timestamp format. `None` for structures, lists and maps.
pub(crate) fn render(
    v: &Value,
    kind: &ShapeKind,
    member_format: Option<TimestampFormat>,
    place: Place,
) -> Option<String> {
    Some(match v {
        Value::Str(s) => s.clone(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => render_float(*f),
        Value::Bool(b) => (if *b { "true" } else { "false" }).to_string(),
        Value::Timestamp(t) => match timestamp_format(kind, member_format, place) {
            TimestampFormat::Iso8601 => t.to_iso8601(),
            TimestampFormat::Rfc822 => t.to_http_date(),
            TimestampFormat::UnixTimestamp => {
                if t.0 % 1000 == 0 {
                    t.secs().to_string()
                } else {
                    render_float(t.epoch_seconds_f64())
                }
            }
        },
        Value::Blob(b) => match place {
            Place::Uri | Place::Query => String::from_utf8_lossy(b).into_owned(),
            Place::Header | Place::Xml => B64.encode(b),
        },
        Value::List(_) | Value::Map(_) | Value::Struct(_) => return None,
    })
}

fn render_float(f: f64) -> String {
    if f.is_nan() {
        "NaN".to_string()
    } else if f.is_infinite() {
        (if f > 0.0 { "Infinity" } else { "-Infinity" }).to_string()
    } else {
        f.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TS: ShapeKind = ShapeKind::Timestamp { format: None };

    #[test]
    fn timestamps_by_place() {
        let t = Timestamp::from_civil(2026, 11, 25, 10, 5, 22, 0);
        let v = Value::Timestamp(t);
        assert_eq!(
            render(&v, &TS, None, Place::Header).unwrap(),
            "Wed, 25 Nov 2026 10:05:22 GMT"
        );
        assert_eq!(
            render(&v, &TS, None, Place::Xml).unwrap(),
            "2026-11-25T10:05:22.000Z"
        );
        assert_eq!(
            render(&v, &TS, Some(TimestampFormat::UnixTimestamp), Place::Xml).unwrap(),
            "1795601122"
        );
        assert_eq!(
            parse(
                &TS,
                None,
                "Wed, 25 Nov 2026 10:05:22 GMT",
                Place::Header,
                "m"
            )
            .unwrap(),
            v
        );
        assert_eq!(
            parse(&TS, None, "2026-11-25T10:05:22Z", Place::Header, "m").unwrap(),
            v
        );
        assert_eq!(
            parse(&TS, None, "2026-11-25T10:05:22.000Z", Place::Xml, "m").unwrap(),
            v
        );
        assert!(parse(&TS, None, "yesterday", Place::Xml, "m").is_err());
        // Absurd years are rejected, not overflowed.
        assert!(parse(
            &TS,
            None,
            "Wed, 25 Nov 99999999999 10:05:22 GMT",
            Place::Header,
            "m"
        )
        .is_err());
        assert!(parse(
            &TS,
            None,
            "Wed, 25 Nov 2026 99999999999:05:22 GMT",
            Place::Header,
            "m"
        )
        .is_err());
        assert_eq!(
            parse(&TS, None, "1795601122", Place::Header, "m").unwrap(),
            v
        );
    }

    #[test]
    fn numbers_and_bools() {
        assert_eq!(
            parse(&ShapeKind::Long, None, " 42 ", Place::Query, "m").unwrap(),
            Value::Int(42)
        );
        assert!(parse(&ShapeKind::Integer, None, "4x", Place::Query, "m").is_err());
        assert_eq!(
            parse(&ShapeKind::Boolean, None, "TRUE", Place::Header, "m").unwrap(),
            Value::Bool(true)
        );
        assert!(parse(&ShapeKind::Boolean, None, "yes", Place::Header, "m").is_err());
        assert_eq!(
            render(
                &Value::Float(f64::INFINITY),
                &ShapeKind::Double,
                None,
                Place::Xml
            )
            .unwrap(),
            "Infinity"
        );
        assert_eq!(
            render(&Value::Float(1.5), &ShapeKind::Double, None, Place::Xml).unwrap(),
            "1.5"
        );
    }

    #[test]
    fn blobs() {
        let k = ShapeKind::Blob { streaming: false };
        assert_eq!(
            parse(&k, None, "aGk=", Place::Xml, "m").unwrap(),
            Value::Blob(Bytes::from_static(b"hi"))
        );
        assert!(parse(&k, None, "!!", Place::Xml, "m").is_err());
        assert_eq!(
            render(
                &Value::Blob(Bytes::from_static(b"hi")),
                &k,
                None,
                Place::Xml
            )
            .unwrap(),
            "aGk="
        );
    }
}
