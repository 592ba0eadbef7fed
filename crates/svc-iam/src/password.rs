//! Console passwords: how they are hashed and checked against an account's password
//! policy. Pure functions, no state.
//!
//! - Only a salted hash is ever kept ([`hash`]): SHA-256 over a per-password random salt
//!   and the password, iterated so that a leaked store is slow to brute-force. The salt
//!   comes from the service's injected [`nimbus_core::Ids`], so tests are deterministic.
//! - [`check`] applies the account's custom policy, or, when there is none, AWS's default
//!   policy: at least 8 characters and at least three of the four character types
//!   (<https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_passwords_account-policy.html>).
//!   "Symbols" are exactly the characters IAM names: `! @ # $ % ^ & * ( ) _ + - = [ ] { }
//!   | '`.

use crate::errors;
use crate::model::{HashRec, PasswordPolicyRec};
use nimbus_core::AwsError;
use sha2::{Digest, Sha256};

/// How many times the digest is applied.
const ROUNDS: usize = 2048;
/// The characters IAM counts as symbols.
const SYMBOLS: &str = "!@#$%^&*()_+-=[]{}|'";
/// The model's bounds on a password's length (`passwordType`).
pub const MAX_LEN: usize = 128;

/// `password` hashed with `salt`.
pub fn hash(salt: &str, password: &str) -> HashRec {
    let mut d = Sha256::new();
    d.update(salt.as_bytes());
    d.update([0u8]);
    d.update(password.as_bytes());
    let mut h = d.finalize();
    for _ in 1..ROUNDS {
        let mut d = Sha256::new();
        d.update(h);
        d.update(salt.as_bytes());
        h = d.finalize();
    }
    HashRec {
        salt: salt.to_string(),
        hash: h.iter().map(|b| format!("{b:02x}")).collect(),
    }
}

/// Whether `password` is the one `stored` was made from (compared in constant time).
pub fn matches(stored: &HashRec, password: &str) -> bool {
    let h = hash(&stored.salt, password).hash;
    h.len() == stored.hash.len()
        && h.bytes()
            .zip(stored.hash.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// Which of the four character types `password` has: (upper, lower, number, symbol).
fn kinds(password: &str) -> (bool, bool, bool, bool) {
    let has = |f: &dyn Fn(char) -> bool| password.chars().any(f);
    (
        has(&|c| c.is_ascii_uppercase()),
        has(&|c| c.is_ascii_lowercase()),
        has(&|c| c.is_ascii_digit()),
        has(&|c| SYMBOLS.contains(c)),
    )
}

/// Checks `password` against `policy` (AWS's default policy when `None`); the error is
/// `PasswordPolicyViolation` naming the first rule it breaks.
pub fn check(policy: Option<&PasswordPolicyRec>, password: &str) -> Result<(), AwsError> {
    let len = password.chars().count();
    if len > MAX_LEN {
        return Err(errors::validation(&[format!(
            "Value at 'password' failed to satisfy constraint: Member must have length less than or equal to {MAX_LEN}"
        )]));
    }
    let (upper, lower, number, symbol) = kinds(password);
    let Some(p) = policy else {
        if len < 8 {
            return Err(errors::password_violation(
                "Password should have a minimum length of 8",
            ));
        }
        if [upper, lower, number, symbol]
            .iter()
            .filter(|b| **b)
            .count()
            < 3
        {
            return Err(errors::password_violation(
                "Password should have at least three of the following: uppercase letters, lowercase letters, numbers, symbols",
            ));
        }
        return Ok(());
    };
    if len < p.min_length as usize {
        return Err(errors::password_violation(format!(
            "Password should have a minimum length of {}",
            p.min_length
        )));
    }
    let rules = [
        (p.uppercase, upper, "uppercase letter"),
        (p.lowercase, lower, "lowercase letter"),
        (p.numbers, number, "number"),
        (p.symbols, symbol, "symbol"),
    ];
    for (required, present, what) in rules {
        if required && !present {
            return Err(errors::password_violation(format!(
                "Password should have at least one {what}"
            )));
        }
    }
    Ok(())
}

/// Whether `password` is one of the `reuse` most recent passwords (`current` and then
/// `previous`, newest first), which `PasswordReusePrevention` forbids.
pub fn reused(current: &HashRec, previous: &[HashRec], reuse: usize, password: &str) -> bool {
    std::iter::once(current)
        .chain(previous.iter())
        .take(reuse)
        .any(|h| matches(h, password))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> PasswordPolicyRec {
        PasswordPolicyRec {
            account: "123456789012".into(),
            min_length: 10,
            symbols: true,
            numbers: true,
            uppercase: true,
            lowercase: true,
            allow_change: true,
            max_age: None,
            reuse_prevention: Some(2),
            hard_expiry: false,
        }
    }

    #[test]
    fn hashes_are_salted_and_verifiable() {
        let a = hash("SALTONE", "Secret-123");
        let b = hash("SALTTWO", "Secret-123");
        assert_ne!(a.hash, b.hash);
        assert_eq!(a.hash.len(), 64);
        assert!(!a.hash.contains("Secret"));
        assert!(matches(&a, "Secret-123"));
        assert!(!matches(&a, "Secret-124"));
    }

    #[test]
    fn custom_policy_rules() {
        let p = policy();
        let msg = |pw: &str| check(Some(&p), pw).unwrap_err().message;
        assert_eq!(msg("Ab1!"), "Password should have a minimum length of 10");
        assert_eq!(
            msg("abcdefgh1!"),
            "Password should have at least one uppercase letter"
        );
        assert_eq!(
            msg("ABCDEFGH1!"),
            "Password should have at least one lowercase letter"
        );
        assert_eq!(
            msg("ABCDefgh!!"),
            "Password should have at least one number"
        );
        assert_eq!(
            msg("ABCDefgh12"),
            "Password should have at least one symbol"
        );
        assert_eq!(
            check(Some(&p), "ABCDefgh12").unwrap_err().code,
            "PasswordPolicyViolation"
        );
        assert!(check(Some(&p), "ABCDefgh1'").is_ok());
        assert_eq!(
            check(Some(&p), &"Aa1!".repeat(33)).unwrap_err().code,
            "ValidationError"
        );
    }

    #[test]
    fn default_policy_needs_eight_and_three_kinds() {
        assert!(check(None, "Abcdefg1").is_ok());
        assert!(check(None, "abcdefg1!").is_ok());
        assert!(check(None, "Abc1!").is_err());
        assert!(check(None, "abcdefgh1").is_err());
    }

    #[test]
    fn reuse_looks_back_as_far_as_asked() {
        let cur = hash("S1", "Third-333");
        let prev = vec![hash("S2", "Second-222"), hash("S3", "First-111")];
        assert!(reused(&cur, &prev, 1, "Third-333"));
        assert!(!reused(&cur, &prev, 1, "Second-222"));
        assert!(reused(&cur, &prev, 2, "Second-222"));
        assert!(!reused(&cur, &prev, 2, "First-111"));
        assert!(reused(&cur, &prev, 24, "First-111"));
    }
}
