//! Encoded authorization failure messages: what EC2's `UnauthorizedOperation` carries
//! ("Encoded authorization failure message: ...") and `DecodeAuthorizationMessage` turns
//! back into the JSON AWS documents. AWS encodes them "because the details of the
//! authorization status can contain privileged information that the user who requested
//! the operation should not see"
//! (<https://docs.aws.amazon.com/STS/latest/APIReference/API_DecodeAuthorizationMessage.html>),
//! so Nimbus's are sealed, not merely encoded: encrypt-then-MAC under a 256-bit key that
//! STS draws once and keeps in the store (table `sts.keys`, key `authorization-messages`;
//! kept across restarts and re-saved after a reset, so a message decodes as long as it is
//! kept). The cipher is HMAC-SHA256 in counter mode over a fresh 16-byte nonce, and the tag
//! is HMAC-SHA256 over nonce, account and ciphertext (truncated to 16 bytes); the token is
//! URL-safe base64 of nonce ‖ ciphertext ‖ tag. A message opens only in the account whose
//! request was refused; anything else — edited, truncated, another account's, another
//! Nimbus's — is `InvalidAuthorizationMessageException`.
//!
//! The JSON inside is built by the binary's authorizer (`nimbus_iam_policy::
//! authorization_failure_json`); this module treats it as opaque text.

use base64::Engine;
use hmac::{Hmac, Mac};
use nimbus_core::Ids;
use nimbus_store::{Batch, Store, StoreError, Table};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::sync::Arc;

type HmacSha256 = Hmac<Sha256>;

const NONCE: usize = 16;
const TAG: usize = 16;

/// The stored key (hex).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRec {
    pub hex: String,
}

pub const KEYS: Table<KeyRec> = Table::new("sts.keys", 1);
const KEY_NAME: &str = "authorization-messages";

/// Seals and opens authorization failure messages. Cheap to clone.
#[derive(Clone)]
pub struct AuthorizationMessages {
    key: Arc<[u8; 32]>,
    ids: Arc<Ids>,
}

impl std::fmt::Debug for AuthorizationMessages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthorizationMessages")
            .finish_non_exhaustive()
    }
}

fn mac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    // HMAC takes keys of any length, so `new_from_slice` cannot fail here.
    let mut m = match HmacSha256::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => return [0; 32],
    };
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().into()
}

impl AuthorizationMessages {
    /// The key stored in `store`, or a fresh one drawn from `ids` and handed to the store
    /// (not awaited: loading runs before any request, and the store applies batches in
    /// order).
    pub fn load(store: &Store, ids: Arc<Ids>) -> Result<Self, StoreError> {
        let stored = KEYS
            .get(store, KEY_NAME)?
            .and_then(|k| decode_hex(&k.hex))
            .filter(|k| k.len() == 32);
        let messages = match stored {
            Some(k) => {
                let mut key = [0u8; 32];
                key.copy_from_slice(&k);
                AuthorizationMessages {
                    key: Arc::new(key),
                    ids,
                }
            }
            None => {
                let mut key = [0u8; 32];
                ids.fill(&mut key);
                let m = AuthorizationMessages {
                    key: Arc::new(key),
                    ids,
                };
                drop(store.submit(m.save_batch()));
                m
            }
        };
        Ok(messages)
    }

    /// The batch that stores the key (again after a reset wiped it).
    pub fn save_batch(&self) -> Batch {
        let mut b = Batch::new();
        let hex: String = self.key.iter().map(|b| format!("{b:02x}")).collect();
        KEYS.put(&mut b, KEY_NAME, &KeyRec { hex });
        b
    }

    fn keystream_xor(&self, nonce: &[u8], data: &mut [u8]) {
        for (i, chunk) in data.chunks_mut(32).enumerate() {
            let block = mac(&*self.key, &[b"enc", nonce, &(i as u32).to_be_bytes()]);
            for (d, k) in chunk.iter_mut().zip(block) {
                *d ^= k;
            }
        }
    }

    fn tag(&self, nonce: &[u8], account: &str, ct: &[u8]) -> [u8; 32] {
        mac(&*self.key, &[b"tag", nonce, account.as_bytes(), b"\0", ct])
    }

    /// `message`, sealed for `account`.
    pub fn seal(&self, account: &str, message: &str) -> String {
        let mut nonce = [0u8; NONCE];
        self.ids.fill(&mut nonce);
        let mut ct = message.as_bytes().to_vec();
        self.keystream_xor(&nonce, &mut ct);
        let tag = self.tag(&nonce, account, &ct);
        let mut out = Vec::with_capacity(NONCE + ct.len() + TAG);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        out.extend_from_slice(&tag[..TAG]);
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(out)
    }

    /// The message `token` seals for `account`, if it does.
    pub fn open(&self, account: &str, token: &str) -> Option<String> {
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token.trim())
            .ok()?;
        if raw.len() < NONCE + TAG {
            return None;
        }
        let (nonce, rest) = raw.split_at(NONCE);
        let (ct, tag) = rest.split_at(rest.len() - TAG);
        let want = self.tag(nonce, account, ct);
        // Compared in time independent of where the first difference is.
        if want[..TAG]
            .iter()
            .zip(tag)
            .fold(0u8, |a, (x, y)| a | (x ^ y))
            != 0
        {
            return None;
        }
        let mut pt = ct.to_vec();
        self.keystream_xor(nonce, &mut pt);
        String::from_utf8(pt).ok()
    }
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(store: &Store, seed: u64) -> AuthorizationMessages {
        AuthorizationMessages::load(store, Arc::new(Ids::from_seed(seed))).expect("load")
    }

    #[test]
    fn sealed_messages_open_only_in_their_account_and_unaltered() {
        let store = Store::in_memory();
        let m = messages(&store, 1);
        let text = r#"{"allowed":false,"context":{"action":"ec2:RunInstances"}}"#;
        let token = m.seal("123456789012", text);
        assert!(!token.contains("RunInstances"), "{token}");
        assert!(token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_eq!(m.open("123456789012", &token).as_deref(), Some(text));
        assert_eq!(m.open("210987654321", &token), None, "another account");
        assert_ne!(
            m.seal("123456789012", text),
            token,
            "a fresh nonce each time"
        );
        // Any flipped character, or a cut, fails.
        let mut bytes = token.clone().into_bytes();
        let i = bytes.len() / 2;
        bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
        assert_eq!(
            m.open("123456789012", &String::from_utf8(bytes).unwrap()),
            None
        );
        assert_eq!(m.open("123456789012", &token[..token.len() - 2]), None);
        assert_eq!(m.open("123456789012", "not base64 !"), None);
        assert_eq!(m.open("123456789012", ""), None);
    }

    #[tokio::test]
    async fn the_key_is_kept_in_the_store() {
        let store = Store::in_memory();
        let first = messages(&store, 1);
        let token = first.seal("1", "hello");
        // Let the fire-and-forget key write land.
        store.submit(Batch::new()).await.expect("barrier");
        let again = messages(&store, 2);
        assert_eq!(again.open("1", &token).as_deref(), Some("hello"));
        // Another store, another key.
        let other = messages(&Store::in_memory(), 3);
        assert_eq!(other.open("1", &token), None);
    }
}
