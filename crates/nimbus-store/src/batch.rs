//! [`Batch`]: an ordered list of puts and deletes across tables that an engine applies
//! atomically. Building a batch touches nothing; only [`crate::Store::commit`] (or
//! [`crate::Engine::apply`]) makes it take effect. Table-name rules live here so every
//! engine enforces the same ones.

/// Longest table name (in bytes) an engine must accept.
pub const MAX_TABLE_NAME_LEN: usize = 255;

/// One write: `value == None` deletes `key` from `table`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Op {
    pub table: String,
    pub key: Vec<u8>,
    pub value: Option<Vec<u8>>,
}

/// Writes applied together: all of them or none, in order (a later op on the same key wins).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Batch {
    ops: Vec<Op>,
    bytes: usize,
}

impl Batch {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key` in `table` to `value`.
    pub fn put(&mut self, table: &str, key: impl Into<Vec<u8>>, value: impl Into<Vec<u8>>) {
        self.push(Op {
            table: table.to_owned(),
            key: key.into(),
            value: Some(value.into()),
        });
    }

    /// Removes `key` from `table` (no error if it is absent).
    pub fn delete(&mut self, table: &str, key: impl Into<Vec<u8>>) {
        self.push(Op {
            table: table.to_owned(),
            key: key.into(),
            value: None,
        });
    }

    /// Appends every op of `other` after this batch's ops.
    pub fn append(&mut self, other: Batch) {
        for op in other.ops {
            self.push(op);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// The ops in the order they will be applied.
    pub fn ops(&self) -> &[Op] {
        &self.ops
    }

    /// The ops in the order they will be applied, by value, so an engine that keeps the
    /// bytes as they are (the memory engine) can move them instead of copying them.
    pub fn into_ops(self) -> Vec<Op> {
        self.ops
    }

    /// Approximate payload size (table names, keys and values), used to bound a commit group.
    pub fn approx_bytes(&self) -> usize {
        self.bytes
    }

    fn push(&mut self, op: Op) {
        self.bytes += op.table.len() + op.key.len() + op.value.as_ref().map_or(0, Vec::len);
        self.ops.push(op);
    }
}

/// Checks the table-name rules every engine enforces: non-empty, at most
/// [`MAX_TABLE_NAME_LEN`] bytes.
pub fn validate_table_name(name: &str) -> Result<(), crate::StoreError> {
    if name.is_empty() || name.len() > MAX_TABLE_NAME_LEN {
        return Err(crate::StoreError::InvalidTable(name.to_owned()));
    }
    Ok(())
}

/// Checks every op of every batch before an engine starts writing, so a bad op fails the whole
/// apply without partial effects even in engines without rollback.
pub(crate) fn validate_batches(batches: &[Batch]) -> Result<(), crate::StoreError> {
    batches
        .iter()
        .flat_map(Batch::ops)
        .try_for_each(|op| validate_table_name(&op.table))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_keeps_order_and_counts_bytes() {
        let mut b = Batch::new();
        assert!(b.is_empty());
        b.put("t", "k", "vv");
        b.delete("u", vec![1u8, 2]);
        let mut other = Batch::new();
        other.put("t", "k", "w");
        b.append(other);
        assert_eq!(b.len(), 3);
        assert_eq!(b.approx_bytes(), (1 + 1 + 2) + (1 + 2) + (1 + 1 + 1));
        let ops = b.ops();
        assert_eq!(
            ops[1],
            Op {
                table: "u".into(),
                key: vec![1, 2],
                value: None
            }
        );
        assert_eq!(ops[2].value.as_deref(), Some(b"w".as_slice()));
        let owned = b.clone().into_ops();
        assert_eq!(
            owned,
            b.ops(),
            "into_ops gives the same ops in the same order"
        );
    }

    #[test]
    fn table_names_must_be_non_empty_and_short() {
        assert!(validate_table_name("ec2.security_groups").is_ok());
        assert!(validate_table_name(&"x".repeat(MAX_TABLE_NAME_LEN)).is_ok());
        assert!(validate_table_name("").is_err());
        assert!(validate_table_name(&"x".repeat(MAX_TABLE_NAME_LEN + 1)).is_err());
    }
}
