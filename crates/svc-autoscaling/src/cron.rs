//! The Unix cron expressions of scheduled actions' `Recurrence` (`Minute Hour
//! Day-of-month Month Day-of-week`, UTC): `*`, numbers, ranges `a-b`, lists `a,b` and steps
//! `*/n` / `a-b/n`; day-of-week 0–7 with 0 and 7 both Sunday; when both day fields are
//! restricted, a day matching either runs (Vixie cron's rule). [`Cron::next_after`] gives
//! the next run strictly after a time. Pure; no clock.

use nimbus_core::Timestamp;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cron {
    minutes: Vec<bool>,
    hours: Vec<bool>,
    doms: Vec<bool>,
    months: Vec<bool>,
    dows: Vec<bool>,
    dom_any: bool,
    dow_any: bool,
}

fn field(text: &str, lo: u32, hi: u32) -> Result<(Vec<bool>, bool), String> {
    let mut set = vec![false; (hi + 1) as usize];
    let any = text == "*" || text == "?";
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (
                r,
                s.parse::<u32>()
                    .map_err(|_| format!("bad step in {part}"))?,
            ),
            None => (part, 1),
        };
        if step == 0 {
            return Err(format!("bad step in {part}"));
        }
        let (a, b) = if range == "*" || range == "?" {
            (lo, hi)
        } else if let Some((a, b)) = range.split_once('-') {
            (
                a.parse().map_err(|_| format!("bad value {a}"))?,
                b.parse().map_err(|_| format!("bad value {b}"))?,
            )
        } else {
            let v: u32 = range.parse().map_err(|_| format!("bad value {range}"))?;
            (v, if part.contains('/') { hi } else { v })
        };
        if a < lo || b > hi || a > b {
            return Err(format!("value out of range in {part}"));
        }
        let mut v = a;
        while v <= b {
            set[v as usize] = true;
            v += step;
        }
    }
    Ok((set, any))
}

impl Cron {
    pub fn parse(expr: &str) -> Result<Cron, String> {
        let f: Vec<&str> = expr.split_whitespace().collect();
        if f.len() != 5 {
            return Err(format!("expected 5 fields, got {}", f.len()));
        }
        let (minutes, _) = field(f[0], 0, 59)?;
        let (hours, _) = field(f[1], 0, 23)?;
        let (doms, dom_any) = field(f[2], 1, 31)?;
        let (months, _) = field(f[3], 1, 12)?;
        let (mut dows, dow_any) = field(f[4], 0, 7)?;
        if dows[7] {
            dows[0] = true;
        }
        Ok(Cron {
            minutes,
            hours,
            doms,
            months,
            dows,
            dom_any,
            dow_any,
        })
    }

    fn day_matches(&self, t: Timestamp) -> bool {
        let c = t.civil();
        if !self.months[c.month as usize] {
            return false;
        }
        // 1970-01-01 was a Thursday (4).
        let days = t.0.div_euclid(86_400_000);
        let dow = (days + 4).rem_euclid(7) as usize;
        let dom = self.doms[c.day as usize];
        let dw = self.dows[dow];
        match (self.dom_any, self.dow_any) {
            (true, true) => true,
            (true, false) => dw,
            (false, true) => dom,
            (false, false) => dom || dw,
        }
    }

    /// The first run strictly after `after` (ms), within the next five years.
    pub fn next_after(&self, after: i64) -> Option<i64> {
        const MIN: i64 = 60_000;
        const DAY: i64 = 86_400_000;
        let mut t = (after.div_euclid(MIN) + 1) * MIN;
        let limit = after + 5 * 366 * DAY;
        while t <= limit {
            let day_start = t.div_euclid(DAY) * DAY;
            if !self.day_matches(Timestamp(t)) {
                t = day_start + DAY;
                continue;
            }
            let mut m = (t - day_start) / MIN;
            while m < 24 * 60 {
                if self.hours[(m / 60) as usize] && self.minutes[(m % 60) as usize] {
                    return Some(day_start + m * MIN);
                }
                m += 1;
            }
            t = day_start + DAY;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> i64 {
        Timestamp::parse_iso8601(s).expect("time").0
    }

    #[test]
    fn next_runs() {
        let c = Cron::parse("0 9 * * *").expect("parse");
        assert_eq!(
            c.next_after(at("2026-12-07T08:00:00Z")),
            Some(at("2026-12-07T09:00:00Z"))
        );
        assert_eq!(
            c.next_after(at("2026-12-07T09:00:00Z")),
            Some(at("2026-12-08T09:00:00Z"))
        );
        let every5 = Cron::parse("*/5 * * * *").expect("parse");
        assert_eq!(
            every5.next_after(at("2026-12-07T10:02:30Z")),
            Some(at("2026-12-07T10:05:00Z"))
        );
        // Weekdays only: 2026-12-05 is a Saturday.
        let weekdays = Cron::parse("30 18 * * 1-5").expect("parse");
        assert_eq!(
            weekdays.next_after(at("2026-12-04T19:00:00Z")),
            Some(at("2026-12-07T18:30:00Z"))
        );
        let sunday = Cron::parse("0 0 * * 7").expect("parse");
        assert_eq!(
            sunday.next_after(at("2026-12-07T00:00:00Z")),
            Some(at("2026-12-13T00:00:00Z"))
        );
        let yearly = Cron::parse("0 0 1 1 *").expect("parse");
        assert_eq!(
            yearly.next_after(at("2026-12-07T00:00:00Z")),
            Some(at("2027-01-01T00:00:00Z"))
        );
    }

    #[test]
    fn bad_expressions() {
        for e in [
            "",
            "* * * *",
            "61 * * * *",
            "* 24 * * *",
            "*/0 * * * *",
            "a * * * *",
            "5-1 * * * *",
        ] {
            assert!(Cron::parse(e).is_err(), "{e}");
        }
    }
}
