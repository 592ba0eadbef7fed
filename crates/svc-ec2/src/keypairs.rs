//! Key pair material: generating RSA (2048-bit) and ED25519 key pairs, writing the private
//! key in the formats `CreateKeyPair` returns (PKCS#1 PEM for RSA and OpenSSH's own format
//! for ED25519 when `pem` is asked, PuTTY's PPK version 2 when `ppk` is), reading the public
//! key material `ImportKeyPair` accepts (an OpenSSH public key line, an RFC 4716 SSH2 public
//! key file, or base64 DER SubjectPublicKeyInfo for RSA), and the fingerprints EC2 shows:
//! created RSA keys the SHA-1 of the DER PKCS#8 private key, imported RSA keys the MD5 of the
//! DER SubjectPublicKeyInfo (both as colon-separated hex), ED25519 keys the base64 SHA-256
//! of the SSH public key blob with its `=` padding (EC2 pads where `ssh-keygen` does not;
//! <https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/verify-keys.html>). Nothing here
//! knows about requests or storage; the private key only ever leaves through the return value.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::pkcs8::{DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use rsa::traits::{PrivateKeyParts, PublicKeyParts};
use rsa::{BigUint, RsaPrivateKey, RsaPublicKey};
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// The kinds of key EC2 supports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyType {
    Rsa,
    Ed25519,
}

impl KeyType {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyType::Rsa => "rsa",
            KeyType::Ed25519 => "ed25519",
        }
    }

    fn ssh_name(self) -> &'static str {
        match self {
            KeyType::Rsa => "ssh-rsa",
            KeyType::Ed25519 => "ssh-ed25519",
        }
    }
}

/// A freshly created key pair: the private key in the asked format (returned once, never
/// kept), the public key as an OpenSSH line, and EC2's fingerprint.
#[derive(Debug)]
pub struct Created {
    pub private_key: String,
    pub public_key: String,
    pub fingerprint: String,
}

/// An imported public key: normalised OpenSSH line and EC2's fingerprint.
#[derive(Debug, PartialEq)]
pub struct Imported {
    pub key_type: KeyType,
    pub public_key: String,
    pub fingerprint: String,
}

/// Why public key material was refused.
#[derive(Debug, PartialEq)]
pub enum ImportError {
    /// Not a key in any format EC2 reads.
    Format,
    /// An RSA key of a length EC2 does not accept (it takes 1024 to 4096 bits).
    RsaLength(usize),
}

/// Creates a key pair of `kind`; `ppk` picks PuTTY's format over PEM / OpenSSH. `comment`
/// ends the public key line (EC2 puts the key pair's name there).
pub fn create(kind: KeyType, ppk: bool, comment: &str) -> Result<Created, String> {
    let mut rng = rand_core::OsRng;
    match kind {
        KeyType::Rsa => {
            let key = RsaPrivateKey::new(&mut rng, 2048).map_err(|e| e.to_string())?;
            let pkcs8 = key.to_pkcs8_der().map_err(|e| e.to_string())?;
            let fingerprint = colon_hex(&Sha1::digest(pkcs8.as_bytes()));
            let blob = rsa_blob(key.e(), key.n());
            let private_key = if ppk {
                let mut private = Vec::new();
                put_mpint(&mut private, key.d());
                put_mpint(&mut private, &key.primes()[0]);
                put_mpint(&mut private, &key.primes()[1]);
                let iqmp = key
                    .crt_coefficient()
                    .ok_or("RSA key without a CRT coefficient")?;
                put_mpint(&mut private, &iqmp);
                ppk_v2("ssh-rsa", comment, &blob, &private)
            } else {
                let pem = key
                    .to_pkcs1_pem(rsa::pkcs8::LineEnding::LF)
                    .map_err(|e| e.to_string())?;
                pem.trim_end().to_string()
            };
            Ok(Created {
                private_key,
                public_key: openssh_line(KeyType::Rsa, &blob, comment),
                fingerprint,
            })
        }
        KeyType::Ed25519 => {
            let signing = ed25519_dalek::SigningKey::generate(&mut rng);
            let public = signing.verifying_key().to_bytes();
            let seed = signing.to_bytes();
            let blob = ed25519_blob(&public);
            let private_key = if ppk {
                // PuTTY writes the secret as a little-endian integer: its own bytes, less any
                // trailing zero bytes.
                let mut len = seed.len();
                while len > 0 && seed[len - 1] == 0 {
                    len -= 1;
                }
                let mut private = Vec::new();
                put_string(&mut private, &seed[..len]);
                ppk_v2("ssh-ed25519", comment, &blob, &private)
            } else {
                openssh_ed25519_private(&seed, &public, &blob)
            };
            Ok(Created {
                private_key,
                public_key: openssh_line(KeyType::Ed25519, &blob, comment),
                fingerprint: sha256_fingerprint(&blob),
            })
        }
    }
}

/// Reads `ImportKeyPair`'s public key material.
pub fn import(material: &[u8]) -> Result<Imported, ImportError> {
    let text = std::str::from_utf8(material).map_err(|_| ImportError::Format)?;
    let text = text.trim();
    let (blob, comment) = if text.starts_with("---- BEGIN SSH2 PUBLIC KEY ----") {
        (rfc4716_blob(text)?, None)
    } else if let Some((kind, rest)) = text.split_once(char::is_whitespace) {
        let rest = rest.trim_start();
        let (b64, comment) = match rest.split_once(char::is_whitespace) {
            Some((b, c)) => (b, Some(c.trim())),
            None => (rest, None),
        };
        let blob = B64.decode(b64).map_err(|_| ImportError::Format)?;
        if read_string(&blob, 0).map(|(s, _)| s) != Some(kind.as_bytes()) {
            return Err(ImportError::Format);
        }
        (blob, comment.filter(|c| !c.is_empty()))
    } else {
        // Base64 DER SubjectPublicKeyInfo (RSA only).
        let der = B64.decode(text).map_err(|_| ImportError::Format)?;
        let key = RsaPublicKey::from_public_key_der(&der).map_err(|_| ImportError::Format)?;
        (rsa_blob(key.e(), key.n()), None)
    };
    let (kind, fingerprint) = parse_blob(&blob)?;
    let b64 = B64.encode(&blob);
    let public_key = match comment {
        Some(c) => format!("{} {b64} {c}", kind.ssh_name()),
        None => format!("{} {b64}", kind.ssh_name()),
    };
    Ok(Imported {
        key_type: kind,
        public_key,
        fingerprint,
    })
}

/// Checks an SSH public key blob and computes an imported key's fingerprint.
fn parse_blob(blob: &[u8]) -> Result<(KeyType, String), ImportError> {
    let (name, at) = read_string(blob, 0).ok_or(ImportError::Format)?;
    match name {
        b"ssh-rsa" => {
            let (e, at) = read_string(blob, at).ok_or(ImportError::Format)?;
            let (n, at) = read_string(blob, at).ok_or(ImportError::Format)?;
            if at != blob.len() {
                return Err(ImportError::Format);
            }
            let n = BigUint::from_bytes_be(n);
            let bits = n.bits();
            if !(1024..=4096).contains(&bits) {
                return Err(ImportError::RsaLength(bits));
            }
            let key = RsaPublicKey::new(n, BigUint::from_bytes_be(e))
                .map_err(|_| ImportError::Format)?;
            let der = key.to_public_key_der().map_err(|_| ImportError::Format)?;
            Ok((
                KeyType::Rsa,
                colon_hex(&md5::Md5::digest(der.as_bytes())),
            ))
        }
        b"ssh-ed25519" => {
            let (pk, at) = read_string(blob, at).ok_or(ImportError::Format)?;
            if pk.len() != 32 || at != blob.len() {
                return Err(ImportError::Format);
            }
            let bytes: [u8; 32] = pk.try_into().map_err(|_| ImportError::Format)?;
            ed25519_dalek::VerifyingKey::from_bytes(&bytes).map_err(|_| ImportError::Format)?;
            Ok((KeyType::Ed25519, sha256_fingerprint(blob)))
        }
        _ => Err(ImportError::Format),
    }
}

/// The base64 body of an RFC 4716 public key file (headers and their continuations skipped).
fn rfc4716_blob(text: &str) -> Result<Vec<u8>, ImportError> {
    let mut body = String::new();
    let mut in_header = false;
    let mut ended = false;
    for line in text.lines().skip(1) {
        let line = line.trim();
        if line == "---- END SSH2 PUBLIC KEY ----" {
            ended = true;
            break;
        }
        if in_header {
            in_header = line.ends_with('\\');
            continue;
        }
        if line.contains(':') {
            in_header = line.ends_with('\\');
            continue;
        }
        body.push_str(line);
    }
    if !ended {
        return Err(ImportError::Format);
    }
    B64.decode(body).map_err(|_| ImportError::Format)
}

fn sha256_fingerprint(blob: &[u8]) -> String {
    B64.encode(Sha256::digest(blob))
}

fn colon_hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            s.push(':');
        }
        s.push_str(&format!("{b:02x}"));
    }
    s
}

fn openssh_line(kind: KeyType, blob: &[u8], comment: &str) -> String {
    let b64 = B64.encode(blob);
    if comment.is_empty() {
        format!("{} {b64}", kind.ssh_name())
    } else {
        format!("{} {b64} {comment}", kind.ssh_name())
    }
}

fn put_string(out: &mut Vec<u8>, s: &[u8]) {
    out.extend_from_slice(&(s.len() as u32).to_be_bytes());
    out.extend_from_slice(s);
}

/// An SSH `mpint`: big-endian, with a leading zero byte when the top bit is set.
fn put_mpint(out: &mut Vec<u8>, n: &BigUint) {
    let mut bytes = n.to_bytes_be();
    if bytes == [0] {
        bytes.clear();
    }
    if bytes.first().is_some_and(|b| b & 0x80 != 0) {
        bytes.insert(0, 0);
    }
    put_string(out, &bytes);
}

fn read_string(buf: &[u8], at: usize) -> Option<(&[u8], usize)> {
    let len = u32::from_be_bytes(buf.get(at..at + 4)?.try_into().ok()?) as usize;
    let start = at + 4;
    let end = start.checked_add(len)?;
    Some((buf.get(start..end)?, end))
}

fn rsa_blob(e: &BigUint, n: &BigUint) -> Vec<u8> {
    let mut blob = Vec::new();
    put_string(&mut blob, b"ssh-rsa");
    put_mpint(&mut blob, e);
    put_mpint(&mut blob, n);
    blob
}

fn ed25519_blob(public: &[u8; 32]) -> Vec<u8> {
    let mut blob = Vec::new();
    put_string(&mut blob, b"ssh-ed25519");
    put_string(&mut blob, public);
    blob
}

/// Base64 in lines of `width`, each ending in a newline.
fn wrapped(data: &[u8], width: usize) -> Vec<String> {
    let b64 = B64.encode(data);
    b64.as_bytes()
        .chunks(width)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect()
}

/// OpenSSH's private key format (`openssh-key-v1`), unencrypted, one key, empty comment.
fn openssh_ed25519_private(seed: &[u8; 32], public: &[u8; 32], blob: &[u8]) -> String {
    let mut check = [0u8; 4];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut check);
    let mut private = Vec::new();
    private.extend_from_slice(&check);
    private.extend_from_slice(&check);
    put_string(&mut private, b"ssh-ed25519");
    put_string(&mut private, public);
    let mut secret = Vec::with_capacity(64);
    secret.extend_from_slice(seed);
    secret.extend_from_slice(public);
    put_string(&mut private, &secret);
    put_string(&mut private, b"");
    let mut pad = 1u8;
    while private.len() % 8 != 0 {
        private.push(pad);
        pad += 1;
    }
    let mut out = b"openssh-key-v1\0".to_vec();
    put_string(&mut out, b"none");
    put_string(&mut out, b"none");
    put_string(&mut out, b"");
    out.extend_from_slice(&1u32.to_be_bytes());
    put_string(&mut out, blob);
    put_string(&mut out, &private);
    let mut text = String::from("-----BEGIN OPENSSH PRIVATE KEY-----\n");
    for line in wrapped(&out, 70) {
        text.push_str(&line);
        text.push('\n');
    }
    text.push_str("-----END OPENSSH PRIVATE KEY-----");
    text
}

/// PuTTY's `PuTTY-User-Key-File-2` format, unencrypted: the MAC is HMAC-SHA1 keyed with
/// SHA-1 of `putty-private-key-file-mac-key` over the algorithm, encryption, comment,
/// public blob and private blob.
fn ppk_v2(algorithm: &str, comment: &str, public: &[u8], private: &[u8]) -> String {
    let mac_key = Sha1::digest(b"putty-private-key-file-mac-key");
    let mut data = Vec::new();
    put_string(&mut data, algorithm.as_bytes());
    put_string(&mut data, b"none");
    put_string(&mut data, comment.as_bytes());
    put_string(&mut data, public);
    put_string(&mut data, private);
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(&mac_key).expect("HMAC takes any key");
    mac.update(&data);
    let tag: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let public_lines = wrapped(public, 64);
    let private_lines = wrapped(private, 64);
    let mut out = format!(
        "PuTTY-User-Key-File-2: {algorithm}\nEncryption: none\nComment: {comment}\nPublic-Lines: {}\n",
        public_lines.len()
    );
    for l in &public_lines {
        out.push_str(l);
        out.push('\n');
    }
    out.push_str(&format!("Private-Lines: {}\n", private_lines.len()));
    for l in &private_lines {
        out.push_str(l);
        out.push('\n');
    }
    out.push_str(&format!("Private-MAC: {tag}"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_keys_import_back_with_the_same_public_key() {
        for kind in [KeyType::Rsa, KeyType::Ed25519] {
            let c = create(kind, false, "k").unwrap();
            let i = import(c.public_key.as_bytes()).unwrap();
            assert_eq!(i.key_type, kind);
            assert_eq!(i.public_key, c.public_key);
            if kind == KeyType::Ed25519 {
                assert_eq!(i.fingerprint, c.fingerprint);
                assert_eq!(c.fingerprint.len(), 44);
                assert!(c.fingerprint.ends_with('='));
                assert!(c.private_key.starts_with("-----BEGIN OPENSSH PRIVATE KEY-----\n"));
            } else {
                assert!(c.private_key.starts_with("-----BEGIN RSA PRIVATE KEY-----\n"));
                assert_eq!(c.fingerprint.len(), 59);
                assert_eq!(i.fingerprint.len(), 47);
            }
        }
    }

    #[test]
    fn ppk_files_carry_the_header_and_mac() {
        let c = create(KeyType::Ed25519, true, "my-key").unwrap();
        assert!(c
            .private_key
            .starts_with("PuTTY-User-Key-File-2: ssh-ed25519\nEncryption: none\nComment: my-key\n"));
        assert!(c.private_key.lines().last().unwrap().starts_with("Private-MAC: "));
    }

    #[test]
    fn bad_material_is_refused() {
        assert_eq!(import(b"hello"), Err(ImportError::Format));
        assert_eq!(import(b"ssh-rsa AAAA"), Err(ImportError::Format));
        assert_eq!(import(b"\xff\xfe"), Err(ImportError::Format));
        // The blob names another algorithm than the line does.
        let c = create(KeyType::Ed25519, false, "").unwrap();
        let swapped = c.public_key.replace("ssh-ed25519", "ssh-rsa");
        assert_eq!(import(swapped.as_bytes()), Err(ImportError::Format));
    }

    #[test]
    fn rfc4716_files_are_read() {
        let c = create(KeyType::Ed25519, false, "").unwrap();
        let b64 = c.public_key.split(' ').nth(1).unwrap();
        let file = format!(
            "---- BEGIN SSH2 PUBLIC KEY ----\nComment: \"a very long \\\ncomment\"\n{}\n{}\n---- END SSH2 PUBLIC KEY ----\n",
            &b64[..40],
            &b64[40..]
        );
        assert_eq!(import(file.as_bytes()).unwrap().public_key, c.public_key);
    }
}
