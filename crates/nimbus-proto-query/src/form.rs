//! `application/x-www-form-urlencoded` decoding: the URL query string and the request body
//! of a query/ec2 call become ordered `(key, value)` pairs. Decoding is strict where a
//! lenient decoder would silently change a value: a `%` not followed by two hex digits, or
//! bytes that do not form UTF-8 after decoding, reject the whole request as malformed.
//! Which pairs mean what (the `Action`, the dotted member keys) is not this module's concern.

use nimbus_wire::WireError;

/// Parses an `application/x-www-form-urlencoded` body and the URL query string into
/// decoded `(key, value)` pairs, query-string pairs first, then body pairs (so that a later
/// consumer letting the last occurrence win prefers the body).
///
/// `+` decodes to a space, `%XX` to the byte `XX`. A pair without `=` has an empty value;
/// empty pairs (`a=1&&b=2`) and pairs with an empty key are skipped.
///
/// # Errors
/// [`WireError::Malformed`] for malformed percent-encoding or non-UTF-8 text.
pub fn parse_params(query: &str, body: &[u8]) -> Result<Vec<(String, String)>, WireError> {
    let pairs = |b: &[u8]| {
        if b.is_empty() {
            0
        } else {
            b.iter().filter(|&&c| c == b'&').count() + 1
        }
    };
    let mut out = Vec::with_capacity(pairs(query.as_bytes()) + pairs(body));
    parse_into(query.as_bytes(), "query string", &mut out)?;
    parse_into(body, "request body", &mut out)?;
    Ok(out)
}

fn parse_into(input: &[u8], what: &str, out: &mut Vec<(String, String)>) -> Result<(), WireError> {
    for pair in input.split(|&b| b == b'&') {
        if pair.is_empty() {
            continue;
        }
        let (k, v) = match pair.iter().position(|&b| b == b'=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &[][..]),
        };
        let key = decode_component(k, what)?;
        if key.is_empty() {
            continue;
        }
        let value = decode_component(v, what)?;
        out.push((key, value));
    }
    Ok(())
}

fn hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes one key or value: `+` → space, `%XX` → byte, then UTF-8 validation.
fn decode_component(raw: &[u8], what: &str) -> Result<String, WireError> {
    // Most keys and values contain nothing to decode: validate and copy them whole.
    if !raw.iter().any(|&b| b == b'%' || b == b'+') {
        return std::str::from_utf8(raw)
            .map(str::to_owned)
            .map_err(|_| WireError::Malformed(format!("The {what} is not valid UTF-8")));
    }
    let mut bytes = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'+' => bytes.push(b' '),
            b'%' => {
                let hi = raw.get(i + 1).copied().and_then(hex_digit);
                let lo = raw.get(i + 2).copied().and_then(hex_digit);
                match (hi, lo) {
                    (Some(hi), Some(lo)) => bytes.push(hi << 4 | lo),
                    _ => {
                        return Err(WireError::Malformed(format!(
                            "Malformed percent-encoding in the {what} at byte {i}"
                        )))
                    }
                }
                i += 2;
            }
            b => bytes.push(b),
        }
        i += 1;
    }
    String::from_utf8(bytes)
        .map_err(|_| WireError::Malformed(format!("The {what} is not valid UTF-8")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn decodes_query_then_body() {
        let got = parse_params(
            "Action=DescribeRegions&Version=2016-11-15",
            b"RegionName.1=us-east-1&Desc=a+b%20c%2Fd%3D&Empty=&Bare",
        )
        .unwrap();
        assert_eq!(
            got,
            pairs(&[
                ("Action", "DescribeRegions"),
                ("Version", "2016-11-15"),
                ("RegionName.1", "us-east-1"),
                ("Desc", "a b c/d="),
                ("Empty", ""),
                ("Bare", ""),
            ])
        );
    }

    #[test]
    fn skips_empty_pairs_and_keys() {
        let got = parse_params("&&a=1&=x&", b"").unwrap();
        assert_eq!(got, pairs(&[("a", "1")]));
        assert!(parse_params("", b"").unwrap().is_empty());
    }

    #[test]
    fn value_may_contain_equals() {
        let got = parse_params("", b"k=a=b").unwrap();
        assert_eq!(got, pairs(&[("k", "a=b")]));
    }

    #[test]
    fn utf8_percent_and_raw() {
        let got = parse_params("", "a=%C3%A9&b=é".as_bytes()).unwrap();
        assert_eq!(got, pairs(&[("a", "é"), ("b", "é")]));
    }

    #[test]
    fn rejects_malformed_percent() {
        for bad in ["a=%", "a=%4", "a=%zz", "a%g1=1", "a=%%41"] {
            assert!(
                matches!(
                    parse_params("", bad.as_bytes()),
                    Err(WireError::Malformed(_))
                ),
                "{bad}"
            );
            assert!(matches!(
                parse_params(bad, b""),
                Err(WireError::Malformed(_))
            ));
        }
    }

    #[test]
    fn rejects_non_utf8() {
        assert!(matches!(
            parse_params("", b"a=%FF%FE"),
            Err(WireError::Malformed(_))
        ));
        assert!(matches!(
            parse_params("", b"a=\xff"),
            Err(WireError::Malformed(_))
        ));
    }
}
