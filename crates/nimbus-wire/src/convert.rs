//! The bridge between [`Value`] trees and the typed structs generated for each service:
//! [`FromValue`] and [`IntoValue`], with impls for the scalar types. Generated code
//! implements both traits for every structure it emits.

use crate::{Value, WireError};
use bytes::Bytes;
use nimbus_core::Timestamp;

pub trait FromValue: Sized {
    /// `path` names the member being converted, for error messages.
    fn from_value(v: Value, path: &str) -> Result<Self, WireError>;
}

pub trait IntoValue {
    fn into_value(self) -> Value;
}

fn wrong(path: &str, want: &str) -> WireError {
    WireError::InvalidValue {
        member: path.to_string(),
        detail: format!("expected {want}"),
    }
}

impl FromValue for String {
    fn from_value(v: Value, path: &str) -> Result<Self, WireError> {
        match v {
            Value::Str(s) => Ok(s),
            _ => Err(wrong(path, "a string")),
        }
    }
}
impl IntoValue for String {
    fn into_value(self) -> Value {
        Value::Str(self)
    }
}

impl FromValue for bool {
    fn from_value(v: Value, path: &str) -> Result<Self, WireError> {
        match v {
            Value::Bool(b) => Ok(b),
            _ => Err(wrong(path, "a boolean")),
        }
    }
}
impl IntoValue for bool {
    fn into_value(self) -> Value {
        Value::Bool(self)
    }
}

impl FromValue for i32 {
    fn from_value(v: Value, path: &str) -> Result<Self, WireError> {
        match v {
            Value::Int(i) => i32::try_from(i).map_err(|_| wrong(path, "a 32-bit integer")),
            _ => Err(wrong(path, "an integer")),
        }
    }
}
impl IntoValue for i32 {
    fn into_value(self) -> Value {
        Value::Int(self as i64)
    }
}

impl FromValue for i64 {
    fn from_value(v: Value, path: &str) -> Result<Self, WireError> {
        match v {
            Value::Int(i) => Ok(i),
            _ => Err(wrong(path, "an integer")),
        }
    }
}
impl IntoValue for i64 {
    fn into_value(self) -> Value {
        Value::Int(self)
    }
}

impl FromValue for f64 {
    fn from_value(v: Value, path: &str) -> Result<Self, WireError> {
        match v {
            Value::Float(f) => Ok(f),
            Value::Int(i) => Ok(i as f64),
            _ => Err(wrong(path, "a number")),
        }
    }
}
impl IntoValue for f64 {
    fn into_value(self) -> Value {
        Value::Float(self)
    }
}

impl FromValue for Timestamp {
    fn from_value(v: Value, path: &str) -> Result<Self, WireError> {
        match v {
            Value::Timestamp(t) => Ok(t),
            _ => Err(wrong(path, "a timestamp")),
        }
    }
}
impl IntoValue for Timestamp {
    fn into_value(self) -> Value {
        Value::Timestamp(self)
    }
}

impl FromValue for Bytes {
    fn from_value(v: Value, path: &str) -> Result<Self, WireError> {
        match v {
            Value::Blob(b) => Ok(b),
            Value::Str(s) => Ok(Bytes::from(s)),
            _ => Err(wrong(path, "binary data")),
        }
    }
}
impl IntoValue for Bytes {
    fn into_value(self) -> Value {
        Value::Blob(self)
    }
}

impl<T: FromValue> FromValue for Vec<T> {
    fn from_value(v: Value, path: &str) -> Result<Self, WireError> {
        match v {
            Value::List(items) => items.into_iter().map(|i| T::from_value(i, path)).collect(),
            _ => Err(wrong(path, "a list")),
        }
    }
}
impl<T: IntoValue> IntoValue for Vec<T> {
    fn into_value(self) -> Value {
        // Not `into_iter().map(..).collect()`: that reuses the typed vector's allocation
        // and then reallocates it to fit the (smaller) values, which costs more than a
        // fresh allocation.
        let mut items = Vec::with_capacity(self.len());
        for item in self {
            items.push(item.into_value());
        }
        Value::List(items)
    }
}

impl<T: FromValue> FromValue for Box<T> {
    fn from_value(v: Value, path: &str) -> Result<Self, WireError> {
        T::from_value(v, path).map(Box::new)
    }
}
impl<T: IntoValue> IntoValue for Box<T> {
    fn into_value(self) -> Value {
        (*self).into_value()
    }
}

/// Maps are ordered `(key, value)` pairs.
impl<V: FromValue> FromValue for Vec<(String, V)>
where
    (String, V): Sized,
{
    fn from_value(v: Value, path: &str) -> Result<Self, WireError> {
        match v {
            Value::Map(entries) => entries
                .into_iter()
                .map(|(k, v)| Ok((k, V::from_value(v, path)?)))
                .collect(),
            _ => Err(wrong(path, "a map")),
        }
    }
}

/// Takes member `i` out of a struct's slots (used by generated code).
pub fn take(slots: &mut [Option<Value>], i: usize) -> Option<Value> {
    slots.get_mut(i).and_then(Option::take)
}

/// Converts an optional member.
pub fn opt<T: FromValue>(
    slots: &mut [Option<Value>],
    i: usize,
    path: &str,
) -> Result<Option<T>, WireError> {
    match take(slots, i) {
        Some(v) => T::from_value(v, path).map(Some),
        None => Ok(None),
    }
}

/// Converts a required member; absent is [`WireError::MissingParameter`].
pub fn req<T: FromValue>(
    slots: &mut [Option<Value>],
    i: usize,
    path: &str,
) -> Result<T, WireError> {
    match take(slots, i) {
        Some(v) => T::from_value(v, path),
        None => Err(WireError::MissingParameter(path.to_string())),
    }
}

/// Unwraps a struct value into its slots.
pub fn slots(v: Value, n: usize, path: &str) -> Result<Vec<Option<Value>>, WireError> {
    match v {
        Value::Struct(mut s) => {
            s.resize(n, None);
            Ok(s)
        }
        _ => Err(wrong(path, "a structure")),
    }
}

impl<V: IntoValue> IntoValue for Vec<(String, V)>
where
    (String, V): Sized,
{
    fn into_value(self) -> Value {
        Value::Map(self.into_iter().map(|(k, v)| (k, v.into_value())).collect())
    }
}
