//! Signing-key arithmetic: HMAC-SHA256 and SHA-256 helpers, the four-step key derivation
//! (`"AWS4"+secret` → date → region → service → `aws4_request`), constant-time comparison of
//! hex signatures, and [`SigningKeyCache`], which remembers derived keys so the derivation is
//! done once per (secret, date, region, service) rather than once per request. It knows
//! nothing about requests; `verify` and `chunked` build the strings that get signed.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;

type HmacSha256 = Hmac<Sha256>;

/// SHA-256 of the empty string, hex (the payload hash of an empty body).
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

pub(crate) fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    // `new_from_slice` accepts keys of any length for HMAC; the error arm is unreachable in
    // practice but handled without panicking by hashing with an empty key.
    let mut mac = match HmacSha256::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => return [0u8; 32],
    };
    mac.update(data);
    mac.finalize().into_bytes().into()
}

const HEX_LOWER: &[u8; 16] = b"0123456789abcdef";

/// Appends the lowercase hex of `bytes` to `out` (a table lookup per nibble; this runs
/// several times per request, so it avoids the `hex` crate's char iterator).
pub(crate) fn push_hex(out: &mut String, bytes: &[u8]) {
    out.reserve(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(HEX_LOWER[usize::from(b >> 4)]));
        out.push(char::from(HEX_LOWER[usize::from(b & 0xf)]));
    }
}

/// Lowercase hex of a 32-byte digest, on the stack.
pub(crate) fn hex32(bytes: &[u8; 32]) -> [u8; 64] {
    let mut out = [0u8; 64];
    for (i, &b) in bytes.iter().enumerate() {
        out[2 * i] = HEX_LOWER[usize::from(b >> 4)];
        out[2 * i + 1] = HEX_LOWER[usize::from(b & 0xf)];
    }
    out
}

/// SHA-256 of the text `emit` produces, fed piece by piece (no intermediate buffer).
pub(crate) fn sha256_streamed(emit: impl FnOnce(&mut dyn FnMut(&str))) -> [u8; 32] {
    let mut h = Sha256::new();
    emit(&mut |part: &str| h.update(part.as_bytes()));
    h.finalize().into()
}

/// HMAC-SHA256 under `key` of the text `emit` produces, fed piece by piece (the reference
/// that [`SigningKey::mac_streamed`] is tested against).
#[cfg(test)]
pub(crate) fn hmac_streamed(key: &[u8], emit: impl FnOnce(&mut dyn FnMut(&str))) -> [u8; 32] {
    let mut mac = match HmacSha256::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => return [0u8; 32],
    };
    emit(&mut |part: &str| mac.update(part.as_bytes()));
    mac.finalize().into_bytes().into()
}

/// Lowercase hex SHA-256 of `data`.
pub fn sha256_hex(data: &[u8]) -> String {
    let mut s = String::with_capacity(64);
    push_hex(&mut s, &Sha256::digest(data));
    s
}

/// Appends the lowercase hex SHA-256 of `data` to `out`.
pub(crate) fn push_sha256_hex(out: &mut String, data: &[u8]) {
    push_hex(out, &Sha256::digest(data));
}

/// Derives the SigV4 signing key.
pub fn derive_signing_key(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let mut k_secret = Vec::with_capacity(4 + secret.len());
    k_secret.extend_from_slice(b"AWS4");
    k_secret.extend_from_slice(secret.as_bytes());
    let k_date = hmac(&k_secret, date.as_bytes());
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    hmac(&k_service, b"aws4_request")
}

/// Lowercase hex HMAC-SHA256 of `string_to_sign` under `key`: a SigV4 signature.
pub fn sign_hex(key: &[u8; 32], string_to_sign: &str) -> String {
    let mut s = String::with_capacity(64);
    push_hex(&mut s, &hmac(key, string_to_sign.as_bytes()));
    s
}

/// Compares two signatures without an early exit on the first differing byte. Hex case is
/// ignored (clients send lowercase; tolerating uppercase costs nothing). The lengths are not
/// secret (always 64), so a length mismatch returns at once.
pub fn signatures_equal(a: &str, b: &str) -> bool {
    signature_bytes_equal(a.as_bytes(), b.as_bytes())
}

/// [`signatures_equal`] over bytes.
pub(crate) fn signature_bytes_equal(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut diff = 0u8;
    for (x, y) in a.iter().zip(b) {
        diff |= x.to_ascii_lowercase() ^ y.to_ascii_lowercase();
    }
    diff == 0
}

/// A derived signing key together with HMAC-SHA256 already keyed with it: cloning the keyed
/// state skips hashing the two 64-byte key blocks (inner and outer pad) on every request.
#[derive(Clone)]
pub struct SigningKey {
    pub key: [u8; 32],
    mac: HmacSha256,
}

impl SigningKey {
    pub fn new(key: [u8; 32]) -> Self {
        // A 32-byte key is always accepted; the fallback is never taken.
        let mac = HmacSha256::new_from_slice(&key)
            .unwrap_or_else(|_| <HmacSha256 as hmac::digest::KeyInit>::new(&Default::default()));
        SigningKey { key, mac }
    }

    /// HMAC-SHA256 under this key of the text `emit` produces, fed piece by piece.
    pub(crate) fn mac_streamed(&self, emit: impl FnOnce(&mut dyn FnMut(&str))) -> [u8; 32] {
        let mut mac = self.mac.clone();
        emit(&mut |part: &str| mac.update(part.as_bytes()));
        mac.finalize().into_bytes().into()
    }
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(<redacted>)")
    }
}

/// A bounded, thread-safe cache of derived signing keys.
///
/// Entries are keyed by (secret, date, region, service) joined with NUL bytes (none of the
/// parts can contain one: secrets come from the credential store, the rest from a parsed
/// credential scope). The cache therefore holds secrets, as the credential store itself
/// does; it never leaves the process. Keys change daily (the date is part of the scope), so
/// when the cache fills up it is simply emptied: old dates age out and the next request of
/// each identity re-derives its key once.
#[derive(Debug)]
pub struct SigningKeyCache {
    capacity: usize,
    entries: Mutex<HashMap<Vec<u8>, SigningKey>>,
}

impl Default for SigningKeyCache {
    fn default() -> Self {
        Self::new()
    }
}

impl SigningKeyCache {
    /// A cache holding up to 4096 keys.
    pub fn new() -> Self {
        Self::with_capacity(4096)
    }

    /// A cache holding up to `capacity` keys (at least 1).
    pub fn with_capacity(capacity: usize) -> Self {
        SigningKeyCache {
            capacity: capacity.max(1),
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn cache_key(secret: &str, date: &str, region: &str, service: &str) -> Vec<u8> {
        let mut k =
            Vec::with_capacity(secret.len() + date.len() + region.len() + service.len() + 3);
        for (i, part) in [secret, date, region, service].into_iter().enumerate() {
            if i > 0 {
                k.push(0);
            }
            k.extend_from_slice(part.as_bytes());
        }
        k
    }

    /// The signing key for this scope (with its keyed HMAC state), derived at most once
    /// while cached.
    pub fn get(&self, secret: &str, date: &str, region: &str, service: &str) -> SigningKey {
        let ck = Self::cache_key(secret, date, region, service);
        // A poisoned lock only means another thread panicked mid-insert of plain bytes;
        // the map is still usable.
        if let Some(k) = self
            .entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&ck)
        {
            return k.clone();
        }
        let key = SigningKey::new(derive_signing_key(secret, date, region, service));
        let mut map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= self.capacity {
            map.clear();
        }
        map.insert(ck, key.clone());
        key
    }

    /// The signing key for this scope, derived at most once while cached.
    pub fn get_or_derive(&self, secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
        self.get(secret, date, region, service).key
    }

    /// Number of cached keys.
    pub fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// True when nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets every cached key (e.g. after credentials are rotated).
    pub fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_signing_key() {
        // AWS General Reference, "Examples of how to derive a signing key for Signature
        // Version 4": secret wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, 20120215, us-east-1, iam.
        let k = derive_signing_key(
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "20120215",
            "us-east-1",
            "iam",
        );
        assert_eq!(
            hex::encode(k),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
        );
    }

    #[test]
    fn empty_hash_constant() {
        assert_eq!(sha256_hex(b""), EMPTY_SHA256);
    }

    #[test]
    fn hex_helpers_match_hex_crate() {
        let d: Vec<u8> = (0..=255u8).collect();
        let mut s = String::new();
        push_hex(&mut s, &d);
        assert_eq!(s, hex::encode(&d));
        let k = [0xa5u8; 32];
        assert_eq!(&hex32(&k)[..], hex::encode(k).as_bytes());
        assert_eq!(sign_hex(&k, "x"), hex::encode(hmac(&k, b"x")));
        let emit = |put: &mut dyn FnMut(&str)| {
            put("ab");
            put("");
            put("c");
        };
        assert_eq!(
            sha256_streamed(emit),
            <[u8; 32]>::from(Sha256::digest(b"abc"))
        );
        assert_eq!(hmac_streamed(&k, emit), hmac(&k, b"abc"));
        assert_eq!(SigningKey::new(k).mac_streamed(emit), hmac(&k, b"abc"));
        // The keyed state is cloned, not consumed: a second use gives the same answer.
        let sk = SigningKey::new(k);
        assert_eq!(sk.mac_streamed(emit), sk.mac_streamed(emit));
    }

    #[test]
    fn constant_time_compare() {
        assert!(signatures_equal("abc", "ABC"));
        assert!(!signatures_equal("abc", "abd"));
        assert!(!signatures_equal("abc", "abcd"));
    }

    #[test]
    fn cache_derives_once_and_is_bounded() {
        let c = SigningKeyCache::with_capacity(2);
        let a = c.get_or_derive("s", "20150830", "us-east-1", "iam");
        assert_eq!(a, derive_signing_key("s", "20150830", "us-east-1", "iam"));
        assert_eq!(c.len(), 1);
        assert_eq!(c.get_or_derive("s", "20150830", "us-east-1", "iam"), a);
        assert_eq!(c.len(), 1);
        // Parts are delimited: ("s","20150830x") and ("s2015083","0x") are different keys.
        assert_ne!(c.get_or_derive("s", "2015083", "0us-east-1", "iam"), a);
        c.get_or_derive("s", "20150831", "us-east-1", "iam");
        c.get_or_derive("s", "20150901", "us-east-1", "iam");
        assert!(c.len() <= 2);
        c.clear();
        assert!(c.is_empty());
    }
}
