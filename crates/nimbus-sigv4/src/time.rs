//! The two timestamp forms SigV4 meets: the ISO-8601 basic form of `X-Amz-Date`
//! (`20150830T123600Z`) and the HTTP-date of a `Date` header (`Sun, 30 Aug 2015 12:36:00 GMT`).
//! Strict, allocation-light parsers that reject rather than guess, and never panic (years
//! outside 1970..=9999 are refused, so the arithmetic cannot overflow). No clock is read here.

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => 0,
    }
}

/// (year, month, day) -> days since 1970-01-01 (proleptic Gregorian).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Days since epoch -> (year, month, day).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn to_secs(y: i64, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> Option<i64> {
    if !(1970..=9999).contains(&y)
        || !(1..=12).contains(&mo)
        || d == 0
        || d > days_in_month(y, mo)
        || h > 23
        || mi > 59
        || s > 59
    {
        return None;
    }
    Some(
        days_from_civil(y, mo, d) * 86_400
            + i64::from(h) * 3600
            + i64::from(mi) * 60
            + i64::from(s),
    )
}

fn digits(s: &[u8]) -> Option<u32> {
    if s.is_empty() || s.len() > 9 || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(s.iter().fold(0u32, |acc, b| acc * 10 + u32::from(b - b'0')))
}

/// Parses `YYYYMMDDTHHMMSSZ` into unix seconds.
pub fn parse_amz_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    to_secs(
        i64::from(digits(&b[0..4])?),
        digits(&b[4..6])?,
        digits(&b[6..8])?,
        digits(&b[9..11])?,
        digits(&b[11..13])?,
        digits(&b[13..15])?,
    )
}

/// Parses an HTTP-date (`Sun, 30 Aug 2015 12:36:00 GMT`; the weekday is optional and not
/// checked) into unix seconds.
pub fn parse_http_date(s: &str) -> Option<i64> {
    let mut parts: Vec<&str> = s.split_ascii_whitespace().collect();
    if parts.first().is_some_and(|p| p.ends_with(',')) {
        parts.remove(0);
    }
    if parts.len() != 5 || !(parts[4] == "GMT" || parts[4] == "UTC" || parts[4] == "+0000") {
        return None;
    }
    let d = digits(parts[0].as_bytes())?;
    let mo = MONTHS
        .iter()
        .position(|m| m.eq_ignore_ascii_case(parts[1]))? as u32
        + 1;
    let y = digits(parts[2].as_bytes())?;
    let hms: Vec<&str> = parts[3].split(':').collect();
    if hms.len() != 3 || hms.iter().any(|p| p.len() != 2) {
        return None;
    }
    to_secs(
        i64::from(y),
        mo,
        d,
        digits(hms[0].as_bytes())?,
        digits(hms[1].as_bytes())?,
        digits(hms[2].as_bytes())?,
    )
}

/// Seconds of 9999-12-31T23:59:59Z, the last instant the 4-digit-year form can show.
const MAX_SECS: i64 = 253_402_300_799;

/// Renders unix seconds as `YYYYMMDDTHHMMSSZ`, clamped to 1970..=9999 (an injected clock
/// outside that range must not overflow the calendar arithmetic).
pub fn format_amz_date(secs: i64) -> String {
    let secs = secs.clamp(0, MAX_SECS);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        y,
        m,
        d,
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
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
}
