//! Time-based one-time passwords for virtual MFA devices: HOTP (RFC 4226, HMAC-SHA1,
//! dynamic truncation) over 30-second time steps counted from the Unix epoch (RFC 6238),
//! six digits, and the base32 alphabet of RFC 4648 in which authenticator apps take the
//! seed. Time is the caller's (the Nimbus clock), so `clock/advance` moves the codes.
//! Nothing here knows about devices or users; `handlers::mfa` and `Directory` decide what a
//! valid code allows.
//!
//! - <https://www.rfc-editor.org/rfc/rfc6238> (TOTP, test vectors in appendix B)
//! - <https://www.rfc-editor.org/rfc/rfc4226#section-5.3> (HOTP truncation)
//! - <https://www.rfc-editor.org/rfc/rfc4648#section-6> (base32)

use hmac::{Hmac, Mac};
use sha1::Sha1;

/// RFC 6238's default time step, the one authenticator apps and AWS use.
pub const STEP_SECS: i64 = 30;
/// Codes are six decimal digits.
pub const DIGITS: u32 = 6;
/// Steps either side of the current one that still count. AWS tolerates a little clock
/// drift between the device and its servers; one step each way is RFC 6238's
/// recommendation (section 5.2) for network delay.
pub const DRIFT_STEPS: i64 = 1;

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// The time step `unix_secs` falls in.
pub fn step_at(unix_secs: i64) -> i64 {
    unix_secs.div_euclid(STEP_SECS)
}

/// The HOTP value for `counter` under `key`, as a zero-padded decimal string.
pub fn hotp(key: &[u8], counter: u64) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(&counter.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let offset = (h[h.len() - 1] & 0x0f) as usize;
    let bin =
        u32::from_be_bytes([h[offset], h[offset + 1], h[offset + 2], h[offset + 3]]) & 0x7fff_ffff;
    format!(
        "{:0width$}",
        bin % 10u32.pow(DIGITS),
        width = DIGITS as usize
    )
}

/// The code for time step `step` (negative steps, before 1970, have no code).
pub fn code_at_step(key: &[u8], step: i64) -> Option<String> {
    u64::try_from(step).ok().map(|c| hotp(key, c))
}

/// The step within `DRIFT_STEPS` of `now_step` whose code is `code`, if any (the latest
/// such step when, improbably, two steps share a code).
pub fn matching_step(key: &[u8], code: &str, now_step: i64) -> Option<i64> {
    (now_step - DRIFT_STEPS..=now_step + DRIFT_STEPS)
        .rev()
        .find(|&s| code_at_step(key, s).is_some_and(|c| constant_eq(&c, code)))
}

/// The step of `code2` when `code1` and `code2` are the codes of two consecutive steps and
/// `code2`'s step lies within `radius` steps of `center` (how `EnableMFADevice` and
/// `ResyncMFADevice` take a device's two codes in a row).
pub fn consecutive(key: &[u8], code1: &str, code2: &str, center: i64, radius: i64) -> Option<i64> {
    (center - radius..=center + radius).rev().find(|&s| {
        code_at_step(key, s - 1).is_some_and(|c| constant_eq(&c, code1))
            && code_at_step(key, s).is_some_and(|c| constant_eq(&c, code2))
    })
}

/// Compares without stopping at the first difference.
fn constant_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// RFC 4648 base32 (upper case, no padding) of `bytes` (seeds are drawn directly as
/// base32 text, so only the tests need this direction).
#[cfg(test)]
pub fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buf, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buf = (buf << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buf >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buf << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// The bytes of RFC 4648 base32 text (case-insensitive, padding ignored); `None` if a
/// character is outside the alphabet.
pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let (mut buf, mut bits) = (0u32, 0u32);
    for c in text.bytes().filter(|&c| c != b'=') {
        let v = ALPHABET.iter().position(|&a| a == c.to_ascii_uppercase())?;
        buf = (buf << 5) | v as u32;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
        }
        buf &= (1 << bits) - 1;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B's SHA1 key: the ASCII digits "1234567890" repeated to 20 bytes.
    const RFC_KEY: &[u8] = b"12345678901234567890";

    /// RFC 6238 appendix B, SHA1 rows: (Unix time, 8-digit TOTP).
    const RFC_ROWS: [(i64, &str); 6] = [
        (59, "94287082"),
        (1_111_111_109, "07081804"),
        (1_111_111_111, "14050471"),
        (1_234_567_890, "89005924"),
        (2_000_000_000, "69279037"),
        (20_000_000_000, "65353130"),
    ];

    #[test]
    fn rfc6238_appendix_b_sha1_vectors() {
        for (t, eight) in RFC_ROWS {
            // The appendix prints 8 digits; the 6-digit code is the same value mod 10^6,
            // i.e. its last six digits.
            let got = code_at_step(RFC_KEY, step_at(t)).expect("positive step");
            assert_eq!(got, eight[2..], "T = {t}");
        }
    }

    #[test]
    fn rfc4226_appendix_d_hotp_values() {
        let want = [
            "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583",
            "399871", "520489",
        ];
        for (i, w) in want.iter().enumerate() {
            assert_eq!(hotp(RFC_KEY, i as u64), *w, "counter {i}");
        }
    }

    #[test]
    fn drift_window_is_one_step_each_way() {
        let now = step_at(1_234_567_890);
        for delta in -1..=1 {
            let code = code_at_step(RFC_KEY, now + delta).unwrap();
            assert_eq!(matching_step(RFC_KEY, &code, now), Some(now + delta));
        }
        for delta in [-3, -2, 2, 3] {
            let code = code_at_step(RFC_KEY, now + delta).unwrap();
            assert_eq!(matching_step(RFC_KEY, &code, now), None, "delta {delta}");
        }
        assert_eq!(matching_step(RFC_KEY, "12345", now), None);
    }

    #[test]
    fn two_codes_must_be_consecutive_and_recent() {
        let now = step_at(2_000_000_000);
        let code = |s| code_at_step(RFC_KEY, s).unwrap();
        // Read one code, wait a step, read the next: accepted at either step's time.
        assert_eq!(
            consecutive(RFC_KEY, &code(now - 1), &code(now), now, 1),
            Some(now)
        );
        assert_eq!(
            consecutive(RFC_KEY, &code(now - 2), &code(now - 1), now, 1),
            Some(now - 1)
        );
        // The same code twice, the wrong order, a gap, or too old: refused.
        assert_eq!(consecutive(RFC_KEY, &code(now), &code(now), now, 1), None);
        assert_eq!(
            consecutive(RFC_KEY, &code(now), &code(now - 1), now, 1),
            None
        );
        assert_eq!(
            consecutive(RFC_KEY, &code(now - 2), &code(now), now, 1),
            None
        );
        assert_eq!(
            consecutive(RFC_KEY, &code(now - 5), &code(now - 4), now, 1),
            None
        );
        // A wider radius (resync) finds them.
        assert_eq!(
            consecutive(RFC_KEY, &code(now - 5), &code(now - 4), now, 10),
            Some(now - 4)
        );
    }

    #[test]
    fn base32_round_trip_and_rfc4648_vectors() {
        for (raw, enc) in [
            ("", ""),
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ] {
            assert_eq!(base32_encode(raw.as_bytes()), enc);
            assert_eq!(base32_decode(enc).unwrap(), raw.as_bytes());
        }
        assert_eq!(base32_decode("mzxw6ytboi======").unwrap(), b"foobar");
        assert_eq!(base32_decode("MZ1"), None);
        let key: Vec<u8> = (0..40).collect();
        assert_eq!(base32_decode(&base32_encode(&key)).unwrap(), key);
    }
}
