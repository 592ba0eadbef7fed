//! [`Timestamp`]: milliseconds since the Unix epoch, with the three renderings AWS protocols
//! use (ISO 8601, RFC 822 / HTTP-date, epoch seconds) and their parsers. Pure calendar
//! arithmetic, no dependency on the system clock.

use std::fmt::Write;

/// A point in time, milliseconds since 1970-01-01T00:00:00Z.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct Timestamp(pub i64);

const DAY_NAMES: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Days since epoch -> (year, month 1-12, day 1-31). Howard Hinnant's civil_from_days.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// (year, month, day) -> days since epoch.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Broken-down UTC time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Civil {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub millis: u32,
    pub weekday: usize,
}

impl Timestamp {
    pub fn from_secs(secs: i64) -> Self {
        Timestamp(secs * 1000)
    }
    pub fn secs(self) -> i64 {
        self.0.div_euclid(1000)
    }
    pub fn millis(self) -> i64 {
        self.0
    }
    pub fn epoch_seconds_f64(self) -> f64 {
        self.0 as f64 / 1000.0
    }
    pub fn from_epoch_seconds_f64(s: f64) -> Self {
        Timestamp((s * 1000.0).round() as i64)
    }

    pub fn civil(self) -> Civil {
        let days = self.0.div_euclid(86_400_000);
        let rem = self.0.rem_euclid(86_400_000);
        let (year, month, day) = civil_from_days(days);
        Civil {
            year,
            month,
            day,
            hour: (rem / 3_600_000) as u32,
            minute: (rem / 60_000 % 60) as u32,
            second: (rem / 1000 % 60) as u32,
            millis: (rem % 1000) as u32,
            weekday: days.rem_euclid(7) as usize,
        }
    }

    pub fn from_civil(
        year: i64,
        month: u32,
        day: u32,
        hour: u32,
        minute: u32,
        second: u32,
        millis: u32,
    ) -> Self {
        let days = days_from_civil(year, month, day);
        Timestamp(
            days * 86_400_000
                + (hour as i64 * 3600 + minute as i64 * 60 + second as i64) * 1000
                + millis as i64,
        )
    }

    /// `2026-11-25T10:05:22.123Z` (milliseconds always shown, as AWS's XML protocols do).
    pub fn to_iso8601(self) -> String {
        let c = self.civil();
        let mut s = String::with_capacity(24);
        let _ = write!(
            s,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            c.year, c.month, c.day, c.hour, c.minute, c.second, c.millis
        );
        s
    }

    /// `2026-11-25T10:05:22Z`, no fraction.
    pub fn to_iso8601_secs(self) -> String {
        let c = self.civil();
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            c.year, c.month, c.day, c.hour, c.minute, c.second
        )
    }

    /// `20261125T100522Z`, the SigV4 `X-Amz-Date` form.
    pub fn to_amz_date(self) -> String {
        let c = self.civil();
        format!(
            "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
            c.year, c.month, c.day, c.hour, c.minute, c.second
        )
    }

    /// `Wed, 25 Nov 2026 10:05:22 GMT` (RFC 822 / HTTP-date).
    pub fn to_http_date(self) -> String {
        let c = self.civil();
        format!(
            "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
            DAY_NAMES[c.weekday],
            c.day,
            MONTHS[(c.month - 1) as usize],
            c.year,
            c.hour,
            c.minute,
            c.second
        )
    }

    /// Parses ISO 8601 (`2026-11-25T10:05:22Z`, with optional fraction and `+hh:mm` offset),
    /// the compact SigV4 form (`20261125T100522Z`), or a plain date (`2026-11-25`).
    pub fn parse_iso8601(s: &str) -> Option<Self> {
        let s = s.trim();
        let b = s.as_bytes();
        let num = |r: std::ops::Range<usize>| -> Option<u32> {
            let part = s.get(r)?;
            if part.bytes().all(|c| c.is_ascii_digit()) && !part.is_empty() {
                part.parse().ok()
            } else {
                None
            }
        };
        // Compact form.
        if b.len() == 16 && b[8] == b'T' && b[15] == b'Z' {
            let t = Self::from_civil(
                num(0..4)? as i64,
                num(4..6)?,
                num(6..8)?,
                num(9..11)?,
                num(11..13)?,
                num(13..15)?,
                0,
            );
            return Some(t);
        }
        if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let (y, mo, d) = (num(0..4)? as i64, num(5..7)?, num(8..10)?);
        if !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
            return None;
        }
        if b.len() == 10 {
            return Some(Self::from_civil(y, mo, d, 0, 0, 0, 0));
        }
        if b[10] != b'T' && b[10] != b't' && b[10] != b' ' {
            return None;
        }
        if b.len() < 19 || b[13] != b':' || b[16] != b':' {
            return None;
        }
        let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if h > 23 || mi > 59 || se > 60 {
            return None;
        }
        let mut i = 19;
        let mut millis = 0u32;
        if i < b.len() && b[i] == b'.' {
            i += 1;
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if i == start {
                return None;
            }
            let frac = &s[start..i.min(start + 3)];
            millis = frac.parse::<u32>().ok()? * 10u32.pow(3 - frac.len() as u32);
        }
        let mut offset_secs = 0i64;
        match &s[i..] {
            "Z" | "z" | "" => {}
            tz => {
                let tb = tz.as_bytes();
                if tb.len() != 6 || (tb[0] != b'+' && tb[0] != b'-') || tb[3] != b':' {
                    return None;
                }
                let oh: i64 = tz[1..3].parse().ok()?;
                let om: i64 = tz[4..6].parse().ok()?;
                offset_secs = (oh * 3600 + om * 60) * if tb[0] == b'-' { -1 } else { 1 };
            }
        }
        let t = Self::from_civil(y, mo, d, h, mi, se.min(59), millis);
        Some(Timestamp(t.0 - offset_secs * 1000))
    }

    /// Parses an HTTP-date: `Wed, 25 Nov 2026 10:05:22 GMT`.
    pub fn parse_http_date(s: &str) -> Option<Self> {
        let parts: Vec<&str> = s.split_whitespace().collect();
        if parts.len() != 6 {
            return None;
        }
        let d: u32 = parts[1].parse().ok()?;
        let mo = MONTHS
            .iter()
            .position(|m| m.eq_ignore_ascii_case(parts[2]))? as u32
            + 1;
        let y: i64 = parts[3].parse().ok().filter(|y| (0..=9999).contains(y))?;
        if !(1..=31).contains(&d) {
            return None;
        }
        let hms: Vec<&str> = parts[4].split(':').collect();
        if hms.len() != 3 {
            return None;
        }
        Some(Self::from_civil(
            y,
            mo,
            d,
            hms[0].parse().ok()?,
            hms[1].parse().ok()?,
            hms[2].parse().ok()?,
            0,
        ))
    }

    /// Parses any of the forms a client may send: ISO 8601, HTTP-date, or epoch seconds.
    pub fn parse_any(s: &str) -> Option<Self> {
        if let Some(t) = Self::parse_iso8601(s) {
            return Some(t);
        }
        if let Ok(f) = s.trim().parse::<f64>() {
            if f.is_finite() {
                return Some(Self::from_epoch_seconds_f64(f));
            }
        }
        Self::parse_http_date(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_and_parses() {
        let t = Timestamp::from_civil(2026, 11, 25, 10, 5, 22, 123);
        assert_eq!(t.to_iso8601(), "2026-11-25T10:05:22.123Z");
        assert_eq!(t.to_amz_date(), "20261125T100522Z");
        assert_eq!(t.to_http_date(), "Wed, 25 Nov 2026 10:05:22 GMT");
        assert_eq!(
            Timestamp::parse_iso8601("2026-11-25T10:05:22.123Z"),
            Some(t)
        );
        assert_eq!(
            Timestamp::parse_iso8601("20261125T100522Z"),
            Some(Timestamp(t.0 - 123))
        );
        assert_eq!(
            Timestamp::parse_http_date("Wed, 25 Nov 2026 10:05:22 GMT"),
            Some(Timestamp(t.0 - 123))
        );
        assert_eq!(
            Timestamp::parse_iso8601("2026-11-25T12:05:22+02:00"),
            Some(Timestamp(t.0 - 123))
        );
        assert_eq!(Timestamp::parse_any("1795601122.123"), Some(t));
        assert_eq!(Timestamp(0).to_iso8601(), "1970-01-01T00:00:00.000Z");
        assert!(Timestamp::parse_iso8601("2026-13-01T00:00:00Z").is_none());
        assert!(Timestamp::parse_iso8601("garbage").is_none());
        assert!(Timestamp::parse_http_date("Wed, 25 Nov 99999999999999999 10:05:22 GMT").is_none());
        assert!(Timestamp::parse_any("Wed, 99 Nov 2026 99:05:22 GMT").is_none());
    }
}
