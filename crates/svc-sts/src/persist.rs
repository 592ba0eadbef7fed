//! How sessions sit in the durable store: one typed table, `sts.sessions` (schema version
//! 1), keyed by access key id (`ASIA...`, unique across accounts), holding the whole
//! [`SessionView`]. An issued session is one [`Batch`]: its put, plus the deletes of a few
//! sessions long past their expiry swept on the way (see `sessions`). This module decides
//! nothing about when a session expires or is dropped.

use crate::session::SessionView;
use nimbus_store::{Batch, Store, StoreError, Table};

pub const SESSIONS: Table<SessionView> = Table::new("sts.sessions", 1);

/// The batch that stores `session` and drops the sessions keyed `drop`.
pub fn issue_batch(session: &SessionView, drop: &[String]) -> Batch {
    let mut b = Batch::new();
    SESSIONS.put(&mut b, session.access_key_id.clone(), session);
    for key in drop {
        SESSIONS.delete(&mut b, key.clone());
    }
    b
}

/// The batch that drops the sessions keyed `keys`.
pub fn drop_batch<'a>(keys: impl IntoIterator<Item = &'a String>) -> Batch {
    let mut b = Batch::new();
    for key in keys {
        SESSIONS.delete(&mut b, key.clone());
    }
    b
}

/// Every stored session.
pub fn load(store: &Store) -> Result<Vec<SessionView>, StoreError> {
    Ok(SESSIONS
        .scan(store, b"")?
        .into_iter()
        .map(|(_, s)| s)
        .collect())
}
