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
    // Room for the usual few pairs; a long form grows the vector a few times, which costs
    // less than counting every `&` first.
    let mut out = Vec::with_capacity(4);
    parse_into(query.as_bytes(), "query string", &mut out)?;
    parse_into(body, "request body", &mut out)?;
    Ok(out)
}

fn parse_into(input: &[u8], what: &str, out: &mut Vec<(String, String)>) -> Result<(), WireError> {
    match std::str::from_utf8(input) {
        Ok(text) => parse_text(text, what, out),
        Err(_) => parse_bytes(input, what, out),
    }
}

/// What a byte means to [`parse_text`]'s scan.
const PLAIN: u8 = 0;
const AMP: u8 = 1;
const EQ: u8 = 2;
/// `%` or `+`: the piece holding it must be decoded.
const CODED: u8 = 3;

static CLASS: [u8; 256] = {
    let mut t = [PLAIN; 256];
    t[b'&' as usize] = AMP;
    t[b'=' as usize] = EQ;
    t[b'%' as usize] = CODED;
    t[b'+' as usize] = CODED;
    t
};

/// [`parse_bytes`] for input that is UTF-8 as a whole (the usual case): the same pairs
/// and errors, from one scan per pair that finds its `=` and `&` and whether its key or
/// value needs decoding; pieces that do not are copied without checking their UTF-8 again.
fn parse_text(input: &str, what: &str, out: &mut Vec<(String, String)>) -> Result<(), WireError> {
    let bytes = input.as_bytes();
    let mut start = 0;
    while start < bytes.len() {
        let mut eq = None;
        let (mut coded_key, mut coded_value) = (false, false);
        let mut end = start;
        while let Some(&b) = bytes.get(end) {
            match CLASS[usize::from(b)] {
                PLAIN => {}
                AMP => break,
                EQ if eq.is_none() => eq = Some(end),
                _ if eq.is_none() => coded_key = true,
                _ => coded_value = true,
            }
            end += 1;
        }
        let pair = start..end;
        start = end + 1;
        if pair.is_empty() {
            continue;
        }
        // Every split point is an ASCII byte, so these slices are on char boundaries.
        let (k, v) = match eq {
            Some(i) => (&input[pair.start..i], &input[i + 1..pair.end]),
            None => (&input[pair], ""),
        };
        let key = decode_text(k, coded_key, what)?;
        if key.is_empty() {
            continue;
        }
        let value = decode_text(v, coded_value, what)?;
        out.push((key, value));
    }
    Ok(())
}

fn decode_text(raw: &str, coded: bool, what: &str) -> Result<String, WireError> {
    if coded {
        decode_component(raw.as_bytes(), what)
    } else {
        Ok(raw.to_owned())
    }
}

/// Splits `input` into pairs and decodes them, byte by byte; a pair with an empty key is
/// skipped before its value is looked at.
fn parse_bytes(input: &[u8], what: &str, out: &mut Vec<(String, String)>) -> Result<(), WireError> {
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

    /// The `str` path gives exactly what the byte path gives (pairs or error) on any UTF-8
    /// input; the byte path is what non-UTF-8 input takes.
    #[test]
    fn text_and_byte_paths_agree() {
        let atoms: &[&str] = &[
            "a",
            "B.1",
            "=",
            "&",
            "&&",
            "+",
            "%",
            "%2",
            "%41",
            "%zz",
            "%C3%A9",
            "%FF",
            "%C3",
            "é",
            "x=y",
            "==",
            " ",
            "Action",
            "Version=2016-11-15",
        ];
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..50_000 {
            let len = (next() % 8) as usize;
            let s: String = (0..len)
                .map(|_| atoms[(next() % atoms.len() as u64) as usize])
                .collect();
            let mut fast = Vec::new();
            let mut slow = Vec::new();
            let a = parse_text(&s, "body", &mut fast).map(|()| fast);
            let b = parse_bytes(s.as_bytes(), "body", &mut slow).map(|()| slow);
            assert_eq!(a, b, "{s:?}");
        }
    }
}
