//! Store-wide metadata: table [`META_TABLE`], the one table a reset ([`crate::Engine::wipe`])
//! keeps. It holds the format version of the whole store (how tables, keys and the record
//! envelope are laid out), distinct from each record's own schema version, and the Nimbus
//! clock's checkpoint under [`CLOCK_KEY`] (written and read by the `nimbus` binary, so that
//! Nimbus time survives restarts and resets). Engines that persist data call
//! [`ensure_format`] when they open, so a store written by a newer Nimbus is refused with a
//! clear error instead of misread.

use crate::{Batch, Engine, StoreError};

/// Reserved table for store-wide metadata; a wipe keeps it. Services must not use it.
pub const META_TABLE: &str = "__nimbus_meta";
/// Current store format. Bump it (and add an upgrade step here) when the layout changes.
pub const STORE_FORMAT: u32 = 1;

/// Key of the format marker (a `u32`, little-endian) in [`META_TABLE`].
pub const FORMAT_KEY: &[u8] = b"store_format";

/// Key of the Nimbus clock's checkpoint in [`META_TABLE`] (a versioned record owned by the
/// binary that wires the clock).
pub const CLOCK_KEY: &[u8] = b"clock";

/// Reads the store format; stamps [`STORE_FORMAT`] on a store that has none (a new one);
/// refuses a newer format. Returns the format found (or stamped).
pub fn ensure_format(engine: &dyn Engine) -> Result<u32, StoreError> {
    match engine.get(META_TABLE, FORMAT_KEY)? {
        None => {
            engine.apply(&[stamp_batch()])?;
            Ok(STORE_FORMAT)
        }
        Some(bytes) => {
            let raw: [u8; 4] = bytes.as_slice().try_into().map_err(|_| {
                StoreError::Corrupt(format!(
                    "store format marker has {} bytes, expected 4",
                    bytes.len()
                ))
            })?;
            let found = u32::from_le_bytes(raw);
            if found > STORE_FORMAT {
                return Err(StoreError::FutureFormat {
                    found,
                    supported: STORE_FORMAT,
                });
            }
            // Format 1 is the first format: there is nothing older to upgrade from yet.
            Ok(found)
        }
    }
}

/// The batch that writes the current format marker.
pub(crate) fn stamp_batch() -> Batch {
    let mut b = Batch::new();
    b.put(META_TABLE, FORMAT_KEY, STORE_FORMAT.to_le_bytes());
    b
}
