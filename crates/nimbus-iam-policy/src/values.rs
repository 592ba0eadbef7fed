//! Typed readings of condition values, shared by policy values and request values: dates
//! (the W3C profile of ISO 8601, or epoch seconds), IP addresses and CIDR blocks (v4 and
//! v6), numbers, booleans and base64 binaries. Each parser returns `None` for text that is
//! not of its type; what a `None` means (a parse error, or a value that never matches) is
//! decided by `parse` and `condition`.
//!
//! Formats: <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_datatypes.html>
//! and <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html>
//! (dates "with one of the W3C implementations of the ISO 8601 date formats or in epoch
//! (UNIX) time"; addresses "in the standard CIDR format", a bare address meaning `/32`).

use std::net::IpAddr;

use base64::Engine as _;

/// A point in time as nanoseconds since the Unix epoch (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Instant(i128);

const NANOS: i128 = 1_000_000_000;

/// Reads `2020-01-01T00:00:01Z`, the shorter W3C forms (`YYYY`, `YYYY-MM`, `YYYY-MM-DD`,
/// `...Thh:mm`), fractions of seconds, `+hh:mm`/`-hh:mm` offsets (a missing designator is
/// taken as UTC), or integer epoch seconds.
pub(crate) fn parse_date(s: &str) -> Option<Instant> {
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && s.len() != 4 {
        // Epoch seconds. A four-digit number is a year in ISO 8601 and wins that ambiguity,
        // as in the W3C profile's `YYYY` form.
        let secs: i128 = s.parse().ok()?;
        return Some(Instant(secs * NANOS));
    }
    parse_iso8601(s)
}

fn parse_iso8601(s: &str) -> Option<Instant> {
    let (date, time) = match s.find(['T', 't']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let mut dparts = date.split('-');
    let year: i64 = digits(dparts.next()?, 4)?;
    let month: u32 = dparts.next().map_or(Some(1), |m| digits(m, 2))?;
    let day: u32 = dparts.next().map_or(Some(1), |d| digits(d, 2))?;
    if dparts.next().is_some()
        || !(1..=12).contains(&month)
        || day < 1
        || day > days_in(year, month)
    {
        return None;
    }
    let mut nanos_of_day: i128 = 0;
    let mut offset_secs: i64 = 0;
    if let Some(time) = time {
        let (clock, offset) = split_offset(time)?;
        offset_secs = offset;
        let mut tparts = clock.split(':');
        let h: i64 = digits(tparts.next()?, 2)?;
        let m: i64 = digits(tparts.next()?, 2)?;
        let (sec, frac) = match tparts.next() {
            None => (0, 0),
            Some(sec) => {
                let (whole, frac) = match sec.split_once('.') {
                    Some((w, f)) => (w, f),
                    None => (sec, ""),
                };
                let sec: i64 = digits(whole, 2)?;
                if !frac.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                let mut f = frac.to_owned();
                f.truncate(9);
                while f.len() < 9 {
                    f.push('0');
                }
                (sec, f.parse::<i128>().ok()?)
            }
        };
        if tparts.next().is_some() || h > 23 || m > 59 || sec > 60 {
            return None;
        }
        nanos_of_day = i128::from(h * 3600 + m * 60 + sec) * NANOS + frac;
    }
    let days = days_from_civil(year, month, day);
    Some(Instant(
        i128::from(days) * 86_400 * NANOS + nanos_of_day - i128::from(offset_secs) * NANOS,
    ))
}

/// Splits `hh:mm:ss.sssZ` / `hh:mm+01:00` into the clock and the offset in seconds.
fn split_offset(time: &str) -> Option<(&str, i64)> {
    if let Some(clock) = time.strip_suffix(['Z', 'z']) {
        return Some((clock, 0));
    }
    if let Some(i) = time.rfind(['+', '-']) {
        let (clock, off) = (&time[..i], &time[i + 1..]);
        let sign = if time.as_bytes()[i] == b'-' { -1 } else { 1 };
        let (oh, om) = off.split_once(':').unwrap_or((off, "00"));
        let (oh, om): (i64, i64) = (digits(oh, 2)?, digits(om, 2)?);
        if oh > 23 || om > 59 {
            return None;
        }
        return Some((clock, sign * (oh * 3600 + om * 60)));
    }
    Some((time, 0))
}

/// Exactly `n` ASCII digits.
fn digits<T: std::str::FromStr>(s: &str, n: usize) -> Option<T> {
    if s.len() == n && s.bytes().all(|b| b.is_ascii_digit()) {
        s.parse().ok()
    } else {
        None
    }
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(y) => 29,
        _ => 28,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// An address block: `203.0.113.0/24`, `2001:DB8:1234:5678::/64`, or a bare address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cidr {
    net: IpAddr,
    prefix: u8,
}

impl Cidr {
    pub(crate) fn parse(s: &str) -> Option<Cidr> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let net: IpAddr = addr.parse().ok()?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => p.parse().ok()?,
            Some(_) => return None,
            None => max,
        };
        (prefix <= max).then_some(Cidr { net, prefix })
    }

    /// True when `ip` lies in this block. A request address may itself be written as a
    /// block (`1.2.3.4/32`); its network address is what is tested. IPv4 never matches an
    /// IPv6 block and vice versa.
    pub(crate) fn contains(&self, ip: &str) -> bool {
        let Some(value) = Cidr::parse(ip) else {
            return false;
        };
        match (self.net, value.net) {
            (IpAddr::V4(n), IpAddr::V4(a)) => prefix_eq(
                u128::from(u32::from(n)) << 96,
                u128::from(u32::from(a)) << 96,
                self.prefix,
            ),
            (IpAddr::V6(n), IpAddr::V6(a)) => prefix_eq(u128::from(n), u128::from(a), self.prefix),
            _ => false,
        }
    }
}

fn prefix_eq(a: u128, b: u128, prefix: u8) -> bool {
    if prefix == 0 {
        return true;
    }
    let mask = u128::MAX << (128 - u32::from(prefix));
    a & mask == b & mask
}

/// A finite decimal or integer (`"10"`, `"2.5"`, `"-1e3"`).
pub(crate) fn parse_number(s: &str) -> Option<f64> {
    let v: f64 = s.trim().parse().ok()?;
    v.is_finite().then_some(v)
}

/// `true`/`false`, any case.
pub(crate) fn parse_bool(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// Standard base64 with padding, as `BinaryEquals` values are written.
pub(crate) fn parse_base64(s: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD
        .decode(s.trim())
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: &str) -> i128 {
        parse_date(s).unwrap().0 / NANOS
    }

    #[test]
    fn dates_iso_and_epoch_agree() {
        assert_eq!(secs("1970-01-01T00:00:00Z"), 0);
        assert_eq!(secs("2020-01-01T00:00:01Z"), 1_577_836_801);
        assert_eq!(secs("1577836801"), 1_577_836_801);
        assert_eq!(secs("2020-01-01"), 1_577_836_800);
        assert_eq!(secs("2020-01"), 1_577_836_800);
        assert_eq!(secs("2020"), 1_577_836_800);
        assert_eq!(secs("2020-01-01T01:00+01:00"), 1_577_836_800);
        assert_eq!(secs("2019-12-31T19:00:00-05:00"), 1_577_836_800);
        assert_eq!(secs("2020-01-01t00:00:00z"), 1_577_836_800);
        assert_eq!(secs("2000-02-29T12:00:00Z"), 951_825_600);
        assert!(
            parse_date("2020-01-01T00:00:00.5Z").unwrap()
                > parse_date("2020-01-01T00:00:00Z").unwrap()
        );
    }

    #[test]
    fn bad_dates_are_rejected() {
        for bad in [
            "",
            "yesterday",
            "2020-13-01",
            "2021-02-29",
            "2020-01-32",
            "2020-1-1",
            "2020-01-01T25:00Z",
            "2020-01-01T10:61Z",
            "2020-01-01T10",
            "2020-01-01T10:00:00+24:00",
            "12:00",
            "2020-01-01-01",
        ] {
            assert!(parse_date(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn cidr_table() {
        let cases: &[(&str, &str, bool)] = &[
            ("203.0.113.0/24", "203.0.113.0", true),
            ("203.0.113.0/24", "203.0.113.255", true),
            ("203.0.113.0/24", "203.0.114.1", false),
            ("203.0.113.7", "203.0.113.7", true),
            ("203.0.113.7", "203.0.113.8", false),
            ("0.0.0.0/0", "8.8.8.8", true),
            (
                "2001:DB8:1234:5678::/64",
                "2001:db8:1234:5678:abcd::1",
                true,
            ),
            ("2001:DB8:1234:5678::/64", "2001:db8:1234:5679::1", false),
            ("2001:DB8:1234:5678::/64", "203.0.113.1", false),
            ("203.0.113.0/24", "2001:db8::1", false),
            ("203.0.113.0/24", "not-an-ip", false),
            ("::/0", "::1", true),
        ];
        for (net, ip, want) in cases {
            assert_eq!(Cidr::parse(net).unwrap().contains(ip), *want, "{net} {ip}");
        }
        for bad in ["203.0.113.0/33", "203.0.113/24", "x", "1.2.3.4/", "::/129"] {
            assert!(Cidr::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn scalars() {
        assert_eq!(parse_number("10"), Some(10.0));
        assert_eq!(parse_number("2.5"), Some(2.5));
        assert_eq!(parse_number("ten"), None);
        assert_eq!(parse_number("NaN"), None);
        assert_eq!(parse_bool("True"), Some(true));
        assert_eq!(parse_bool("false"), Some(false));
        assert_eq!(parse_bool("yes"), None);
        assert_eq!(
            parse_base64("QmluYXJ5VmFsdWVJbkJhc2U2NA==").unwrap(),
            b"BinaryValueInBase64"
        );
        assert_eq!(parse_base64("%%%"), None);
    }
}
