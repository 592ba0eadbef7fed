//! `nimbus-store` owns Nimbus's durable state: a small [`Engine`] trait over a sorted
//! key/value store with named tables, two engines ([`RedbEngine`] on disk, [`MemoryEngine`]
//! for tests), the [`Store`] handle that services use (group commit for the disk engine,
//! inline applies for the memory one; see [`CommitMode`]), the versioned record
//! format ([`encode_record`] / [`decode_record`], [`Table`]) and the store-format marker
//! checked at open. It does not know any AWS resource: services own their table names,
//! keys and record types, and build [`Batch`]es that the store makes durable before
//! acknowledging them. [`Durable`] holds a service's in-memory state over the store and is
//! the one way services mutate it (plan, durable, then applied to memory; decision 0011).
//!
//! ```
//! use nimbus_store::{Batch, Store, Table};
//!
//! #[derive(serde::Serialize, serde::Deserialize)]
//! struct Group { id: String, name: String }
//! const GROUPS: Table<Group> = Table::new("ec2.security_groups", 1);
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let store = Store::in_memory(); // or Store::open_dir(path)?
//! let mut batch = Batch::new();
//! GROUPS.put(&mut batch, "sg-1", &Group { id: "sg-1".into(), name: "web".into() });
//! batch.put("ec2.security_groups.by_name", "web", "sg-1");
//! store.commit(batch).await?; // returns once durable, sharing an fsync with concurrent callers
//! assert_eq!(GROUPS.get(&store, "sg-1")?.unwrap().name, "web");
//! # Ok::<(), nimbus_store::StoreError>(()) }).unwrap();
//! ```

mod batch;
pub mod conformance;
mod durable;
mod engine;
mod error;
mod faulty;
mod memory;
mod meta;
mod record;
mod redb_engine;
mod store;

pub use batch::{validate_table_name, Batch, Op, MAX_TABLE_NAME_LEN};
pub use durable::{Durable, MutateError, Persisted, View};
pub use engine::{CommitMode, Engine, KvPairs};
pub use error::StoreError;
pub use faulty::{Fault, FaultyEngine};
pub use memory::MemoryEngine;
pub use meta::{ensure_format, CLOCK_KEY, FORMAT_KEY, META_TABLE, STORE_FORMAT};
pub use record::{
    decode_record, encode_record, record_version, try_encode_record, MigrateFn, Table,
    RECORD_TAG_JSON,
};
pub use redb_engine::{RedbEngine, DB_FILE_NAME};
pub use store::{Store, StoreStats, MAX_GROUP_BATCHES, MAX_GROUP_BYTES};
