//! The key material `SendSSHPublicKey` accepts: one OpenSSH public key line, `TYPE BASE64
//! [COMMENT]`, of RSA, ED25519 or ECDSA (NIST P-256/384/521), whose base64 blob decodes and
//! names the same type as the line, with the fields of its type. The line handed to the
//! instance is `TYPE BASE64` (the comment dropped), so what sshd reads is exactly the key.
//! SSH2 (RFC 4716) armoured keys are not accepted.

use base64::Engine;

/// A key that is not one line of a supported OpenSSH public key: why, in AWS's phrasing
/// where the kind is known (`RSA - SSH Public key is invalid`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadKey(pub String);

/// The key line to publish, or why it is refused.
pub fn parse(material: &str) -> Result<String, BadKey> {
    let text = material.trim();
    if text.contains('\n') || text.contains('\r') {
        return Err(BadKey("SSH Public key must be a single key".into()));
    }
    let mut parts = text.split_whitespace();
    let (Some(kind), Some(b64)) = (parts.next(), parts.next()) else {
        return Err(BadKey("Unknown SSH Public key format".into()));
    };
    let label = match kind {
        "ssh-rsa" => "RSA",
        "ssh-ed25519" => "ED25519",
        "ecdsa-sha2-nistp256" | "ecdsa-sha2-nistp384" | "ecdsa-sha2-nistp521" => "ECDSA",
        _ => return Err(BadKey("Unknown SSH Public key format".into())),
    };
    let bad = || BadKey(format!("{label} - SSH Public key is invalid"));
    let blob = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|_| bad())?;
    let mut r = Reader(&blob);
    if r.string().ok_or_else(bad)? != kind.as_bytes() {
        return Err(bad());
    }
    match label {
        "RSA" => {
            let e = r.string().ok_or_else(bad)?;
            let n = r.string().ok_or_else(bad)?;
            let n = strip_zeros(n);
            // EC2 accepts RSA keys of 1024 to 4096 bits ("Requirements for key pairs").
            let bits = n.len() * 8 - n.first().map_or(8, |b| b.leading_zeros() as usize);
            if e.is_empty() || !(1024..=4096).contains(&bits) {
                return Err(bad());
            }
        }
        "ED25519" => {
            if r.string().ok_or_else(bad)?.len() != 32 {
                return Err(bad());
            }
        }
        _ => {
            let curve = r.string().ok_or_else(bad)?;
            if !kind.as_bytes().ends_with(curve) || r.string().ok_or_else(bad)?.is_empty() {
                return Err(bad());
            }
        }
    }
    if !r.0.is_empty() {
        return Err(bad());
    }
    Ok(format!("{kind} {b64}"))
}

fn strip_zeros(mut n: &[u8]) -> &[u8] {
    while let [0, rest @ ..] = n {
        n = rest;
    }
    n
}

/// SSH wire strings (u32 big-endian length, then bytes).
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn string(&mut self) -> Option<&'a [u8]> {
        let len = u32::from_be_bytes(self.0.get(..4)?.try_into().ok()?) as usize;
        let s = self.0.get(4..4 + len)?;
        self.0 = &self.0[4 + len..];
        Some(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ED: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGQ8hN2P5Wcz4V6Zr7o0hGhW2nQh0yv3R0Vg2jYw3c8a me@host";

    #[test]
    fn ed25519_keys_pass_without_their_comment() {
        assert_eq!(
            parse(ED).unwrap(),
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGQ8hN2P5Wcz4V6Zr7o0hGhW2nQh0yv3R0Vg2jYw3c8a"
        );
    }

    #[test]
    fn malformed_keys_are_refused_with_their_kind() {
        assert_eq!(
            parse("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQ== x")
                .unwrap_err()
                .0,
            "RSA - SSH Public key is invalid"
        );
        assert_eq!(
            parse("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGQ8")
                .unwrap_err()
                .0,
            "ED25519 - SSH Public key is invalid"
        );
        // The blob names another type than the line.
        let swapped = ED.replacen("ssh-ed25519", "ssh-rsa", 1);
        assert!(parse(&swapped).is_err());
        assert_eq!(
            parse("ssh-dss AAAAB3NzaC1kc3MAAACBAP").unwrap_err().0,
            "Unknown SSH Public key format"
        );
        assert!(parse(&format!("{ED}\n{ED}")).is_err());
        assert!(parse("not a key at all").is_err());
    }
}
