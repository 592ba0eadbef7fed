//! [`Value`]: the protocol-neutral tree a request decodes into and a response encodes from.
//! Structures are positional (`Struct[i]` is the i-th member of the shape), so a value is
//! only meaningful together with its shape.

use bytes::Bytes;
use nimbus_core::Timestamp;

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Bool(bool),
    /// integer and long.
    Int(i64),
    /// float and double.
    Float(f64),
    /// string (including enums).
    Str(String),
    Blob(Bytes),
    Timestamp(Timestamp),
    List(Vec<Value>),
    /// Map entries in wire order; keys are always strings in AWS models.
    Map(Vec<(String, Value)>),
    /// One slot per member of the structure shape, `None` when absent.
    Struct(Vec<Option<Value>>),
}

impl Value {
    /// An empty structure of `n` members.
    pub fn empty_struct(n: usize) -> Value {
        Value::Struct(vec![None; n])
    }
}
