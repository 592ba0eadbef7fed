//! The shape of temporary credentials: an access key id (`ASIA` and 16 characters of the
//! upper-case alphabet IAM keys use, 20 in all), a 40-character secret access key, an
//! opaque session token, and an expiration in whole seconds; and how one is rendered in
//! a response. AWS's tokens are long opaque strings (hundreds of characters) that clients
//! must treat as such; Nimbus's carry nothing, they are looked up
//! (<https://docs.aws.amazon.com/STS/latest/APIReference/API_Credentials.html>).

use crate::generated as g;
use crate::session::SessionView;
use nimbus_core::{Ids, Timestamp};

/// Characters of a session token.
pub const SESSION_TOKEN_LEN: usize = 356;

/// A fresh temporary access key id.
pub fn access_key_id(ids: &Ids) -> String {
    format!("ASIA{}", ids.upper_alnum(16))
}

/// A fresh secret access key.
pub fn secret(ids: &Ids) -> String {
    ids.secret(40)
}

/// A fresh session token.
pub fn session_token(ids: &Ids) -> String {
    ids.secret(SESSION_TOKEN_LEN)
}

/// `duration_secs` after `now`, in whole seconds (AWS reports expirations to the second).
pub fn expiration(now: Timestamp, duration_secs: i32) -> Timestamp {
    Timestamp::from_secs(now.secs() + i64::from(duration_secs))
}

/// The `Credentials` member of a response.
pub fn render(s: &SessionView) -> g::Credentials {
    g::Credentials {
        access_key_id: s.access_key_id.clone(),
        secret_access_key: s.secret.clone(),
        session_token: s.session_token.clone(),
        expiration: s.expiration,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let ids = Ids::from_seed(7);
        let k = access_key_id(&ids);
        assert!(k.starts_with("ASIA") && k.len() == 20, "{k}");
        assert!(k
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()));
        assert_eq!(secret(&ids).len(), 40);
        assert_eq!(session_token(&ids).len(), SESSION_TOKEN_LEN);
        assert_ne!(session_token(&ids), session_token(&ids));
    }

    #[test]
    fn expirations_are_whole_seconds() {
        let t = expiration(Timestamp(1_700_000_000_999), 900);
        assert_eq!(t, Timestamp::from_secs(1_700_000_900));
    }
}
