//! Users' SSH public keys (`UploadSSHPublicKey`, `GetSSHPublicKey`, `ListSSHPublicKeys`,
//! `UpdateSSHPublicKey`, `DeleteSSHPublicKey`), as IAM keeps them for CodeCommit
//! (<https://docs.aws.amazon.com/IAM/latest/APIReference/API_UploadSSHPublicKey.html>):
//! - only `ssh-rsa` keys of at least 2,048 bits, in OpenSSH form (`ssh-rsa AAAA... comment`);
//!   anything else is `InvalidPublicKey`, and a key the user already has is
//!   `DuplicateSSHPublicKey`; at most five keys per user (`LimitExceeded`);
//! - ids are `APKA` and 17 more characters; the fingerprint is the MD5 of the key blob in
//!   colon-separated hex (what `ssh-keygen -l -E md5` prints);
//! - `GetSSHPublicKey` returns the key as uploaded (`Encoding=SSH`) or as a PEM
//!   `PUBLIC KEY` (`Encoding=PEM`: the RSA key's SubjectPublicKeyInfo, DER in base64);
//! - keys live in their user's record; a user with keys cannot be deleted
//!   (`DeleteConflict`).

use super::common::target_user;
use crate::errors;
use crate::generated::errors as g;
use crate::generated::*;
use crate::model::{SshKeyRec, UserRec};
use crate::persist::{Change, Op};
use crate::render;
use crate::state::Iam;
use base64::Engine;
use nimbus_core::{AwsError, RequestContext};

/// "SSH public keys per user: 5".
pub const MAX_SSH_KEYS: usize = 5;
/// The smallest RSA modulus IAM accepts, in bits.
pub const MIN_RSA_BITS: usize = 2048;

fn invalid() -> AwsError {
    g::invalid_public_key_exception(
        "The SSH public key is malformed or otherwise invalid. Only ssh-rsa keys of at least \
         2048 bits, in OpenSSH format, are accepted.",
    )
}

/// Reads one SSH wire-format string (u32 length, bytes) from `b`.
fn ssh_string<'a>(b: &mut &'a [u8]) -> Option<&'a [u8]> {
    let len = u32::from_be_bytes(b.get(..4)?.try_into().ok()?) as usize;
    let s = b.get(4..4 + len)?;
    *b = &b[4 + len..];
    Some(s)
}

/// An `ssh-rsa` key: its blob, exponent and modulus (big-endian, as in the blob).
struct RsaKey {
    blob: Vec<u8>,
    e: Vec<u8>,
    n: Vec<u8>,
}

fn parse(body: &str) -> Result<RsaKey, AwsError> {
    let mut parts = body.split_ascii_whitespace();
    if parts.next() != Some("ssh-rsa") {
        return Err(invalid());
    }
    let blob = base64::engine::general_purpose::STANDARD
        .decode(parts.next().ok_or_else(invalid)?)
        .map_err(|_| invalid())?;
    let mut rest = blob.as_slice();
    let (kind, e, n) = (|| {
        Some((
            ssh_string(&mut rest)?,
            ssh_string(&mut rest)?,
            ssh_string(&mut rest)?,
        ))
    })()
    .ok_or_else(invalid)?;
    let n_bits = {
        let n = strip_zeros(n);
        n.first().map_or(0, |top| {
            (n.len() - 1) * 8 + (8 - top.leading_zeros() as usize)
        })
    };
    if kind != b"ssh-rsa" || !rest.is_empty() || e.is_empty() || n_bits < MIN_RSA_BITS {
        return Err(invalid());
    }
    let (e, n) = (e.to_vec(), n.to_vec());
    Ok(RsaKey { blob, e, n })
}

fn strip_zeros(b: &[u8]) -> &[u8] {
    let start = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    &b[start..]
}

fn fingerprint(blob: &[u8]) -> String {
    use md5::{Digest as _, Md5};
    let d = Md5::digest(blob);
    d.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// A DER length.
fn der_len(n: usize) -> Vec<u8> {
    if n < 0x80 {
        return vec![n as u8];
    }
    let bytes: Vec<u8> = n
        .to_be_bytes()
        .into_iter()
        .skip_while(|&b| b == 0)
        .collect();
    let mut out = vec![0x80 | bytes.len() as u8];
    out.extend(bytes);
    out
}

fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    out.extend(der_len(content.len()));
    out.extend_from_slice(content);
    out
}

/// A positive DER INTEGER from big-endian magnitude bytes.
fn der_uint(b: &[u8]) -> Vec<u8> {
    let b = strip_zeros(b);
    let mut v = Vec::with_capacity(b.len() + 1);
    if b.first().is_none_or(|&top| top & 0x80 != 0) {
        v.push(0);
    }
    v.extend_from_slice(b);
    der(0x02, &v)
}

/// The key as a PEM `PUBLIC KEY` (SubjectPublicKeyInfo with rsaEncryption).
fn pem(key: &RsaKey) -> String {
    let rsa_public_key = der(0x30, &[der_uint(&key.n), der_uint(&key.e)].concat());
    // AlgorithmIdentifier { rsaEncryption (1.2.840.113549.1.1.1), NULL }
    let algorithm = der(
        0x30,
        &[
            der(
                0x06,
                &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01],
            ),
            vec![0x05, 0x00],
        ]
        .concat(),
    );
    let mut bits = vec![0u8];
    bits.extend(rsa_public_key);
    let spki = der(0x30, &[algorithm, der(0x03, &bits)].concat());
    let b64 = base64::engine::general_purpose::STANDARD.encode(spki);
    let mut out = String::from("-----BEGIN PUBLIC KEY-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str("-----END PUBLIC KEY-----\n");
    out
}

fn status(active: bool) -> String {
    if active { "Active" } else { "Inactive" }.to_string()
}

fn no_such_key(id: &str) -> AwsError {
    errors::no_such_entity(format!("The Public Key with id {id} cannot be found."))
}

fn key<'a>(u: &'a UserRec, id: &str) -> Result<&'a SshKeyRec, AwsError> {
    u.ssh_keys
        .iter()
        .find(|k| k.id == id)
        .ok_or_else(|| no_such_key(id))
}

fn rendered(u: &UserRec, k: &SshKeyRec, body: String) -> SSHPublicKey {
    SSHPublicKey {
        user_name: u.name.clone(),
        ssh_public_key_id: k.id.clone(),
        fingerprint: k.fingerprint.clone(),
        ssh_public_key_body: body,
        status: status(k.active),
        upload_date: Some(render::ts(k.uploaded)),
    }
}

pub(super) async fn upload_ssh_public_key(
    iam: &Iam,
    ctx: &RequestContext,
    input: UploadSSHPublicKeyRequest,
) -> Result<UploadSSHPublicKeyResponse, AwsError> {
    let body = input.ssh_public_key_body.trim().to_string();
    let parsed = parse(&body)?;
    let fingerprint = fingerprint(&parsed.blob);
    let id = iam.unique_id("APKA");
    let now = iam.now_ms(ctx);
    iam.mutate(ctx, |_, acct| {
        let u = acct.user(&input.user_name)?;
        if u.ssh_keys.iter().any(|k| k.fingerprint == fingerprint) {
            return Err(g::duplicate_ssh_public_key_exception(
                "The public key is already uploaded for this user.",
            ));
        }
        if u.ssh_keys.len() >= MAX_SSH_KEYS {
            return Err(errors::quota("SSHPublicKeysPerUser", MAX_SSH_KEYS));
        }
        let k = SshKeyRec {
            id: id.clone(),
            body,
            fingerprint,
            active: true,
            uploaded: now,
        };
        let out = rendered(u, &k, k.body.clone());
        let mut u = u.clone();
        u.ssh_keys.push(k);
        Ok((
            Change::one(Op::PutUser(u)),
            UploadSSHPublicKeyResponse {
                ssh_public_key: Some(out),
            },
        ))
    })
    .await
}

pub(super) async fn get_ssh_public_key(
    iam: &Iam,
    ctx: &RequestContext,
    input: GetSSHPublicKeyRequest,
) -> Result<GetSSHPublicKeyResponse, AwsError> {
    let pem_wanted = match input.encoding.as_str() {
        "SSH" => false,
        "PEM" => true,
        other => {
            return Err(g::unrecognized_public_key_encoding_exception(format!(
                "The encoding {other} is not recognized; use SSH or PEM."
            )))
        }
    };
    iam.read(ctx, |_, acct| {
        let u = acct.user(&input.user_name)?;
        let k = key(u, &input.ssh_public_key_id)?;
        let body = if pem_wanted {
            pem(&parse(&k.body)?)
        } else {
            k.body.clone()
        };
        Ok(GetSSHPublicKeyResponse {
            ssh_public_key: Some(rendered(u, k, body)),
        })
    })
}

pub(super) async fn list_ssh_public_keys(
    iam: &Iam,
    ctx: &RequestContext,
    input: ListSSHPublicKeysRequest,
) -> Result<ListSSHPublicKeysResponse, AwsError> {
    let Some(name) = target_user(ctx, input.user_name)? else {
        // The account root has no SSH keys of its own.
        return Ok(ListSSHPublicKeysResponse {
            ssh_public_keys: Some(Vec::new()),
            is_truncated: Some(false),
            marker: None,
        });
    };
    iam.read(ctx, |_, acct| {
        let u = acct.user(&name)?;
        let all = u
            .ssh_keys
            .iter()
            .map(|k| SSHPublicKeyMetadata {
                user_name: u.name.clone(),
                ssh_public_key_id: k.id.clone(),
                status: status(k.active),
                upload_date: render::ts(k.uploaded),
            })
            .collect();
        let (page, truncated, marker) =
            render::page_indexed(all, input.marker.as_deref(), input.max_items);
        Ok(ListSSHPublicKeysResponse {
            ssh_public_keys: Some(page),
            is_truncated: truncated,
            marker,
        })
    })
}

pub(super) async fn update_ssh_public_key(
    iam: &Iam,
    ctx: &RequestContext,
    input: UpdateSSHPublicKeyRequest,
) -> Result<(), AwsError> {
    let active = match input.status.as_str() {
        "Active" => true,
        "Inactive" => false,
        other => {
            return Err(errors::validation(&[format!(
                "Value '{other}' at 'status' failed to satisfy constraint: Member must \
                 satisfy enum value set: [Active, Inactive]"
            )]))
        }
    };
    iam.mutate(ctx, |_, acct| {
        let u = acct.user(&input.user_name)?;
        key(u, &input.ssh_public_key_id)?;
        let mut u = u.clone();
        for k in u
            .ssh_keys
            .iter_mut()
            .filter(|k| k.id == input.ssh_public_key_id)
        {
            k.active = active;
        }
        Ok((Change::one(Op::PutUser(u)), ()))
    })
    .await
}

pub(super) async fn delete_ssh_public_key(
    iam: &Iam,
    ctx: &RequestContext,
    input: DeleteSSHPublicKeyRequest,
) -> Result<(), AwsError> {
    iam.mutate(ctx, |_, acct| {
        let u = acct.user(&input.user_name)?;
        key(u, &input.ssh_public_key_id)?;
        let mut u = u.clone();
        u.ssh_keys.retain(|k| k.id != input.ssh_public_key_id);
        Ok((Change::one(Op::PutUser(u)), ()))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An OpenSSH `ssh-rsa` line for modulus `n` and exponent 65537.
    fn line(n: &[u8]) -> String {
        let mut blob = Vec::new();
        for part in [&b"ssh-rsa"[..], &[1, 0, 1], n] {
            blob.extend((part.len() as u32).to_be_bytes());
            blob.extend_from_slice(part);
        }
        format!(
            "ssh-rsa {} me@host",
            base64::engine::general_purpose::STANDARD.encode(blob)
        )
    }

    #[test]
    fn rsa_keys_of_2048_bits_or_more_only() {
        let mut n = vec![0u8];
        n.extend([0xC5; 256]); // 2048 bits, with the sign byte OpenSSH writes
        let k = parse(&line(&n)).expect("2048-bit key");
        assert_eq!(k.e, [1, 0, 1]);
        assert_eq!(fingerprint(&k.blob).len(), 47);
        let small = vec![0x7F; 256]; // 2047 bits
        assert!(parse(&line(&small)).is_err());
        assert!(parse("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMq me").is_err());
        assert!(parse("ssh-rsa !!!").is_err());
        assert!(parse("").is_err());
    }

    #[test]
    fn pem_is_a_subject_public_key_info() {
        let mut n = vec![0u8];
        n.extend([0xC5; 256]);
        let p = pem(&parse(&line(&n)).unwrap());
        assert!(p.starts_with(
            "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"
        ));
        assert!(p.ends_with("-----END PUBLIC KEY-----\n"));
        assert_eq!(der_len(0x10f), [0x82, 0x01, 0x0f]);
    }
}
