//! The two timestamp forms SigV4 meets: the ISO-8601 basic form of `X-Amz-Date`
//! (`20150830T123600Z`) and the HTTP-date of a `Date` header (`Sun, 30 Aug 2015 12:36:00 GMT`).
//! The calendar arithmetic is [`nimbus_core::Timestamp`]'s; this module adds the strictness a
//! signature check wants on top of it: parsers that reject rather than guess (no normalising
//! of `Feb 30` or hour 24, no leap second, years 1970..=9999 only) and never panic. No clock
//! is read here.

use nimbus_core::Timestamp;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Seconds of 9999-12-31T23:59:59Z, the last instant the 4-digit-year form can show.
const MAX_SECS: i64 = 253_402_300_799;

/// Unix seconds of a UTC civil time, or `None` when any field is out of range.
///
/// `Timestamp::from_civil` normalises (`Feb 30` becomes `Mar 2`), so a field set is accepted
/// only when converting back yields the very same fields: that rejects impossible dates
/// without a second copy of the calendar rules.
fn to_secs(y: u32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> Option<i64> {
    if !(1970..=9999).contains(&y) || mo > 12 || d > 31 || h > 23 || mi > 59 || s > 59 {
        return None;
    }
    let t = Timestamp::from_civil(i64::from(y), mo, d, h, mi, s, 0);
    let c = t.civil();
    (c.year == i64::from(y) && c.month == mo && c.day == d).then(|| t.secs())
}

/// A run of 1..=`max` ASCII digits.
fn digits(s: &[u8], max: usize) -> Option<u32> {
    if s.is_empty() || s.len() > max || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(s.iter().fold(0u32, |acc, b| acc * 10 + u32::from(b - b'0')))
}

/// Parses `YYYYMMDDTHHMMSSZ` into unix seconds.
pub fn parse_amz_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    // Only the compact form is SigV4's; `Timestamp::parse_iso8601` would also take the
    // extended form and normalise out-of-range fields, so check the shape and fields here.
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    to_secs(
        digits(&b[0..4], 4)?,
        digits(&b[4..6], 2)?,
        digits(&b[6..8], 2)?,
        digits(&b[9..11], 2)?,
        digits(&b[11..13], 2)?,
        digits(&b[13..15], 2)?,
    )
}

/// Parses an HTTP-date (`Sun, 30 Aug 2015 12:36:00 GMT`; the weekday is optional and not
/// checked; the zone must be `GMT`, `UTC` or `+0000`) into unix seconds.
pub fn parse_http_date(s: &str) -> Option<i64> {
    let mut parts: Vec<&str> = s.split_ascii_whitespace().collect();
    if parts.first().is_some_and(|p| p.ends_with(',')) {
        parts.remove(0);
    }
    if parts.len() != 5 || !(parts[4] == "GMT" || parts[4] == "UTC" || parts[4] == "+0000") {
        return None;
    }
    let d = digits(parts[0].as_bytes(), 2)?;
    let mo = MONTHS
        .iter()
        .position(|m| m.eq_ignore_ascii_case(parts[1]))? as u32
        + 1;
    let y = digits(parts[2].as_bytes(), 4)?;
    let hms: Vec<&str> = parts[3].split(':').collect();
    if hms.len() != 3 || hms.iter().any(|p| p.len() != 2) {
        return None;
    }
    to_secs(
        y,
        mo,
        d,
        digits(hms[0].as_bytes(), 2)?,
        digits(hms[1].as_bytes(), 2)?,
        digits(hms[2].as_bytes(), 2)?,
    )
}

/// Renders unix seconds as `YYYYMMDDTHHMMSSZ`, clamped to 1970..=9999 (an injected clock
/// outside that range must not overflow the calendar arithmetic).
pub fn format_amz_date(secs: i64) -> String {
    Timestamp::from_secs(secs.clamp(0, MAX_SECS)).to_amz_date()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amz_date_round_trip() {
        let t = parse_amz_date("20150830T123600Z").unwrap();
        assert_eq!(t, 1_440_938_160);
        assert_eq!(format_amz_date(t), "20150830T123600Z");
        assert_eq!(format_amz_date(0), "19700101T000000Z");
        assert_eq!(format_amz_date(i64::MIN), "19700101T000000Z");
        assert_eq!(format_amz_date(i64::MAX), "99991231T235959Z");
        assert_eq!(
            parse_amz_date("20240229T235959Z")
                .map(format_amz_date)
                .as_deref(),
            Some("20240229T235959Z")
        );
    }

    #[test]
    fn amz_date_rejects_garbage() {
        for bad in [
            "",
            "20150830T123600",
            "20150830 123600Z",
            "2015083OT123600Z",
            "20151330T123600Z",
            "20150230T123600Z",
            "20230229T000000Z",
            "20150830T243600Z",
            "20150830T126000Z",
            "+0150830T123600Z",
            "19690830T123600Z",
            "２０１５0830T12360",
            "20150030T123600Z",
            "20150800T123600Z",
            "21000229T000000Z",
            "20150830T235960Z",
            " 20150830T12360Z",
        ] {
            assert_eq!(parse_amz_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn http_date() {
        assert_eq!(
            parse_http_date("Fri, 24 May 2013 00:00:00 GMT"),
            parse_amz_date("20130524T000000Z")
        );
        assert_eq!(
            parse_http_date("24 May 2013 00:00:00 GMT"),
            parse_amz_date("20130524T000000Z")
        );
        assert_eq!(parse_http_date("Fri, 24 Mey 2013 00:00:00 GMT"), None);
        assert_eq!(
            parse_http_date("Fri, 24 May 99999999999 00:00:00 GMT"),
            None
        );
        assert_eq!(parse_http_date("Fri, 24 May 2013 0:00:00 GMT"), None);
        assert_eq!(parse_http_date("Fri, 24 May 2013 00:00:00 PST"), None);
    }

    #[test]
    fn leap_days_and_range() {
        assert!(parse_amz_date("20000229T000000Z").is_some());
        assert!(parse_amz_date("20240229T000000Z").is_some());
        assert_eq!(parse_amz_date("19700101T000000Z"), Some(0));
        assert_eq!(parse_amz_date("99991231T235959Z"), Some(MAX_SECS));
        assert_eq!(
            parse_http_date("Tue, 27 Mar 2007 19:36:42 +0000"),
            Some(1_175_024_202)
        );
        assert_eq!(parse_http_date("Thu, 29 Feb 2001 00:00:00 GMT"), None);
        assert_eq!(parse_http_date("Thu, 0 Feb 2001 00:00:00 GMT"), None);
    }

    /// Where `nimbus_core::Timestamp`'s own parsers are looser than a signature check wants
    /// (they normalise instead of rejecting), which is why this module validates the fields
    /// itself and uses only the core's calendar conversion.
    #[test]
    fn stricter_than_core_parsers() {
        for s in [
            "20151330T123600Z",
            "20150230T123600Z",
            "20150830T240000Z",
            "00010101T000000Z",
        ] {
            assert!(Timestamp::parse_iso8601(s).is_some(), "{s}");
            assert_eq!(parse_amz_date(s), None, "{s}");
        }
        for s in [
            "Mon, 31 Feb 2015 12:36:00 GMT",
            "Sun, 30 Aug 2015 99:36:00 GMT",
            "Sun, 30 Aug 2015 12:36:00 PST",
        ] {
            assert!(Timestamp::parse_http_date(s).is_some(), "{s}");
            assert_eq!(parse_http_date(s), None, "{s}");
        }
        // And where the core is stricter: it requires the weekday.
        assert!(Timestamp::parse_http_date("30 Aug 2015 12:36:00 GMT").is_none());
        assert!(parse_http_date("30 Aug 2015 12:36:00 GMT").is_some());
    }
}
