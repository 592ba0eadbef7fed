//! [`Ids`]: the injected source of randomness and of AWS-style identifiers (request ids,
//! `sg-0123456789abcdef0` resource ids, access key ids). Tests can seed it to get
//! deterministic ids; production seeds it from the OS.

use std::sync::Mutex;

const HEX: &[u8; 16] = b"0123456789abcdef";

/// A small, fast PRNG (xoshiro256**), seeded from the OS or from a test seed.
pub struct Ids {
    state: Mutex<[u64; 4]>,
}

fn splitmix(x: &mut u64) -> u64 {
    *x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// One xoshiro256** step.
fn xoshiro_step(s: &mut [u64; 4]) -> u64 {
    let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
    let t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = s[3].rotate_left(45);
    result
}

impl Ids {
    pub fn from_seed(seed: u64) -> Self {
        let mut x = seed;
        Ids {
            state: Mutex::new([
                splitmix(&mut x),
                splitmix(&mut x),
                splitmix(&mut x),
                splitmix(&mut x),
            ]),
        }
    }

    pub fn from_os() -> Self {
        let mut buf = [0u8; 8];
        // If the OS has no entropy source we still run, with a fixed seed.
        let _ = getrandom::getrandom(&mut buf);
        Self::from_seed(u64::from_le_bytes(buf))
    }

    pub fn next_u64(&self) -> u64 {
        xoshiro_step(&mut self.state.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Two consecutive [`Ids::next_u64`] values under one lock.
    fn next_u64_pair(&self) -> [u64; 2] {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        [xoshiro_step(&mut s), xoshiro_step(&mut s)]
    }

    pub fn fill(&self, out: &mut [u8]) {
        for chunk in out.chunks_mut(8) {
            let v = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }

    /// `n` lowercase hex digits.
    pub fn hex(&self, n: usize) -> String {
        let mut s = String::with_capacity(n);
        let mut word = 0u64;
        for i in 0..n {
            if i % 16 == 0 {
                word = self.next_u64();
            }
            s.push(char::from(HEX[(word & 0xf) as usize]));
            word >>= 4;
        }
        s
    }

    /// An EC2-style resource id: `prefix-` followed by 17 hex digits (`sg-0a1b2c...`).
    pub fn resource_id(&self, prefix: &str) -> String {
        format!("{prefix}-{}", self.hex(17))
    }

    /// A request id in UUID form, as AWS's query and JSON protocols return.
    ///
    /// Same digits as `hex(32)` (low nibble first), with digit 12 replaced by the version
    /// `4`; built in place because it runs once per request.
    pub fn request_id(&self) -> String {
        let words = self.next_u64_pair();
        let mut buf = [b'-'; 36];
        let mut pos = 0;
        for i in 0..32 {
            if matches!(i, 8 | 12 | 16 | 20) {
                pos += 1; // the '-' already there
            }
            buf[pos] = if i == 12 {
                b'4'
            } else {
                HEX[((words[i / 16] >> (4 * (i % 16))) & 0xf) as usize]
            };
            pos += 1;
        }
        // All ASCII, so the conversion cannot fail.
        String::from(std::str::from_utf8(&buf).unwrap_or_default())
    }

    /// `n` characters from the upper-case alphanumeric alphabet (access key ids).
    pub fn upper_alnum(&self, n: usize) -> String {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        (0..n)
            .map(|_| A[(self.next_u64() % A.len() as u64) as usize] as char)
            .collect()
    }

    /// `n` characters from the base64-ish alphabet AWS uses for secret keys.
    pub fn secret(&self, n: usize) -> String {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        (0..n)
            .map(|_| A[(self.next_u64() % 64) as usize] as char)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_ids_are_deterministic_and_well_formed() {
        let a = Ids::from_seed(7);
        let b = Ids::from_seed(7);
        let id = a.resource_id("sg");
        assert_eq!(id, b.resource_id("sg"));
        assert_eq!(id.len(), 20);
        assert!(id[3..].bytes().all(|c| c.is_ascii_hexdigit()));
        let r = a.request_id();
        assert_eq!(r.len(), 36);
        assert_eq!(&r[14..15], "4");
        // Same text as the straightforward rendering of `hex(32)`.
        let (c, d) = (Ids::from_seed(99), Ids::from_seed(99));
        for _ in 0..4 {
            let h = c.hex(32);
            let want = format!(
                "{}-{}-4{}-{}-{}",
                &h[0..8],
                &h[8..12],
                &h[13..16],
                &h[16..20],
                &h[20..32]
            );
            assert_eq!(d.request_id(), want);
        }
    }
}
