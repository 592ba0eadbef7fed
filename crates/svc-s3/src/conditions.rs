//! Reading an object conditionally and partially: the `If-Match` / `If-None-Match` /
//! `If-Modified-Since` / `If-Unmodified-Since` preconditions of GetObject and HeadObject,
//! the `If-Match` / `If-None-Match` of a conditional PutObject, and `Range: bytes=...`.
//! Pure functions over an object's ETag, Last-Modified and size.
//!
//! Precedence follows S3 (and RFC 9110 §13.2.2): when `If-Match` is present and holds,
//! `If-Unmodified-Since` is not consulted; when `If-None-Match` is present and fails,
//! `If-Modified-Since` is not consulted. Dates compare at one-second precision, the
//! precision of the `Last-Modified` header the client saw. See
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html>.

use crate::faults;
use nimbus_core::{AwsError, Timestamp};

/// Whether an `If-Match` / `If-None-Match` list (`"a", "b"`, `*`, `W/"a"`) names `md5`.
fn etag_matches(list: &str, md5: &str) -> bool {
    list.split(',').map(str::trim).any(|t| {
        if t == "*" {
            return true;
        }
        let t = t.strip_prefix("W/").unwrap_or(t);
        t.trim_matches('"') == md5
    })
}

/// Read preconditions (GetObject, HeadObject): `Ok` to serve, else 412 or 304.
pub(crate) fn check_read(
    md5: &str,
    last_modified: Timestamp,
    if_match: Option<&str>,
    if_none_match: Option<&str>,
    if_modified_since: Option<Timestamp>,
    if_unmodified_since: Option<Timestamp>,
) -> Result<(), AwsError> {
    let lm = last_modified.secs();
    match if_match {
        Some(m) if !etag_matches(m, md5) => return Err(faults::precondition_failed("If-Match")),
        Some(_) => {}
        None => {
            if if_unmodified_since.is_some_and(|t| lm > t.secs()) {
                return Err(faults::precondition_failed("If-Unmodified-Since"));
            }
        }
    }
    match if_none_match {
        Some(m) if etag_matches(m, md5) => return Err(faults::not_modified()),
        Some(_) => {}
        None => {
            if if_modified_since.is_some_and(|t| lm <= t.secs()) {
                return Err(faults::not_modified());
            }
        }
    }
    Ok(())
}

/// Write preconditions (conditional PutObject) against the current object, if any.
/// `If-None-Match: *` forbids overwriting; `If-Match` requires the current ETag.
pub(crate) fn check_write(
    key: &str,
    current_md5: Option<&str>,
    if_match: Option<&str>,
    if_none_match: Option<&str>,
) -> Result<(), AwsError> {
    if let Some(m) = if_none_match {
        if m.trim() != "*" {
            return Err(faults::unsupported(
                "If-None-Match values other than * on PutObject",
            ));
        }
        if current_md5.is_some() {
            return Err(faults::precondition_failed("If-None-Match"));
        }
    }
    if let Some(m) = if_match {
        match current_md5 {
            None => return Err(faults::no_such_key(key)),
            Some(cur) if !etag_matches(m, cur) => {
                return Err(faults::precondition_failed("If-Match"))
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// An inclusive byte range within an object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ByteRange {
    pub first: u64,
    pub last: u64,
}

impl ByteRange {
    pub(crate) fn len(self) -> u64 {
        self.last - self.first + 1
    }

    /// The `Content-Range` value: `bytes 10-19/100000`.
    pub(crate) fn content_range(self, size: u64) -> String {
        format!("bytes {}-{}/{}", self.first, self.last, size)
    }
}

/// Interprets a `Range` header against an object of `size` bytes.
///
/// `Ok(None)`: serve the whole object — the header is absent, not a single `bytes=` range,
/// or syntactically invalid (HTTP says such a header is ignored; S3 also ignores
/// multi-range requests). `Err(InvalidRange)` (416): a valid range that selects no byte.
pub(crate) fn parse_range(header: Option<&str>, size: u64) -> Result<Option<ByteRange>, AwsError> {
    let Some(raw) = header else { return Ok(None) };
    let h = raw.trim();
    let Some(spec) = h
        .get(..6)
        .filter(|p| p.eq_ignore_ascii_case("bytes="))
        .map(|_| &h[6..])
    else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((a, b)) = spec.trim().split_once('-') else {
        return Ok(None);
    };
    let num = |s: &str| -> Option<u64> {
        let s = s.trim();
        if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
            None
        } else {
            s.parse().ok()
        }
    };
    let unsatisfiable = || faults::invalid_range(raw, size);
    match (a.trim().is_empty(), b.trim().is_empty()) {
        // bytes=-n: the last n bytes.
        (true, false) => {
            let Some(n) = num(b) else { return Ok(None) };
            if n == 0 || size == 0 {
                return Err(unsatisfiable());
            }
            Ok(Some(ByteRange {
                first: size.saturating_sub(n),
                last: size - 1,
            }))
        }
        // bytes=a-: from a to the end.
        (false, true) => {
            let Some(first) = num(a) else { return Ok(None) };
            if first >= size {
                return Err(unsatisfiable());
            }
            Ok(Some(ByteRange {
                first,
                last: size - 1,
            }))
        }
        (false, false) => {
            let (Some(first), Some(last)) = (num(a), num(b)) else {
                return Ok(None);
            };
            if last < first {
                return Ok(None);
            }
            if first >= size {
                return Err(unsatisfiable());
            }
            Ok(Some(ByteRange {
                first,
                last: last.min(size - 1),
            }))
        }
        (true, true) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(first: u64, last: u64) -> Option<ByteRange> {
        Some(ByteRange { first, last })
    }

    #[test]
    fn ranges() {
        let cases: &[(&str, u64, Option<ByteRange>)] = &[
            ("bytes=10-19", 100, r(10, 19)),
            ("bytes=0-0", 1, r(0, 0)),
            ("bytes=90-200", 100, r(90, 99)),
            ("bytes=95-", 100, r(95, 99)),
            ("bytes=-10", 100, r(90, 99)),
            ("bytes=-500", 100, r(0, 99)),
            ("BYTES=1-2", 100, r(1, 2)),
            ("bytes=5-1", 100, None),
            ("bytes=a-b", 100, None),
            ("bytes=1-2,4-5", 100, None),
            ("items=1-2", 100, None),
            ("bytes=-", 100, None),
        ];
        for (h, size, want) in cases {
            assert_eq!(parse_range(Some(h), *size).expect(h), *want, "{h}");
        }
        assert_eq!(parse_range(None, 5).expect("none"), None);
        for (h, size) in [
            ("bytes=100-", 100u64),
            ("bytes=100-200", 100),
            ("bytes=-0", 100),
            ("bytes=0-", 0),
            ("bytes=-5", 0),
        ] {
            let e = parse_range(Some(h), size).unwrap_err();
            assert_eq!((e.code.as_ref(), e.status), ("InvalidRange", 416), "{h}");
            assert!(e.extra.contains(&("ActualObjectSize", size.to_string())));
        }
        assert_eq!(
            ByteRange {
                first: 10,
                last: 19
            }
            .content_range(100000),
            "bytes 10-19/100000"
        );
    }

    #[test]
    fn read_preconditions() {
        let md5 = "abc";
        let lm = Timestamp(10_500);
        let t = Timestamp;
        let ok = |im: Option<&str>,
                  inm: Option<&str>,
                  ims: Option<Timestamp>,
                  ius: Option<Timestamp>| {
            check_read(md5, lm, im, inm, ims, ius).map_err(|e| e.status)
        };
        assert_eq!(ok(None, None, None, None), Ok(()));
        assert_eq!(ok(Some("\"abc\""), None, None, None), Ok(()));
        assert_eq!(ok(Some("\"x\", \"abc\""), None, None, None), Ok(()));
        assert_eq!(ok(Some("*"), None, None, None), Ok(()));
        assert_eq!(ok(Some("\"x\""), None, None, None), Err(412));
        assert_eq!(ok(None, Some("\"abc\""), None, None), Err(304));
        assert_eq!(ok(None, Some("\"x\""), None, None), Ok(()));
        // Same second as Last-Modified: not modified since.
        assert_eq!(ok(None, None, Some(t(10_000)), None), Err(304));
        assert_eq!(ok(None, None, Some(t(9_000)), None), Ok(()));
        assert_eq!(ok(None, None, None, Some(t(9_000))), Err(412));
        assert_eq!(ok(None, None, None, Some(t(10_000))), Ok(()));
        // If-Match true overrides a failing If-Unmodified-Since.
        assert_eq!(ok(Some("\"abc\""), None, None, Some(t(9_000))), Ok(()));
        // If-None-Match false overrides a failing If-Modified-Since.
        assert_eq!(ok(None, Some("\"x\""), Some(t(20_000)), None), Ok(()));
    }

    #[test]
    fn write_preconditions() {
        assert!(check_write("k", None, None, Some("*")).is_ok());
        assert_eq!(
            check_write("k", Some("a"), None, Some("*"))
                .unwrap_err()
                .status,
            412
        );
        assert_eq!(
            check_write("k", None, Some("\"a\""), None)
                .unwrap_err()
                .code,
            "NoSuchKey"
        );
        assert_eq!(
            check_write("k", Some("b"), Some("\"a\""), None)
                .unwrap_err()
                .status,
            412
        );
        assert!(check_write("k", Some("a"), Some("\"a\""), None).is_ok());
    }
}
