//! A minimal JSON tree for policy documents that keeps object members in order and refuses
//! duplicated keys while reading. `serde_json::Value` silently keeps the last duplicate,
//! but the policy grammar says "Individual elements must not contain multiple instances of
//! the same key" (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html#policies-grammar-notes>),
//! so a duplicate must be a syntax error, not a silent overwrite. This module knows nothing
//! about policy elements; `parse` walks the tree.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Json {
    Null,
    Bool(bool),
    /// Numbers keep their textual form: policies compare them as strings or reparse them.
    Number(String),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    /// Reads a document; `None` when it is not JSON or repeats a key in some object.
    pub(crate) fn parse(text: &str) -> Option<Json> {
        serde_json::from_str(text).ok()
    }

    /// The scalar as policy text: IAM accepts unquoted numbers and booleans wherever a string
    /// is expected ("Quotation marks are optional for numeric and Boolean values").
    pub(crate) fn as_scalar_text(&self) -> Option<String> {
        match self {
            Json::String(s) | Json::Number(s) => Some(s.clone()),
            Json::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Json, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
        Ok(Json::Number(v.to_string()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
        Ok(Json::Number(v.to_string()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Json, E> {
        Ok(Json::Number(v.to_string()))
    }

    fn visit_str<E>(self, v: &str) -> Result<Json, E> {
        Ok(Json::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Json, E> {
        Ok(Json::String(v))
    }

    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_none<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut members: Vec<(String, Json)> = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            if members.iter().any(|(k, _)| *k == key) {
                return Err(de::Error::custom("duplicate key"));
            }
            let value = map.next_value()?;
            members.push((key, value));
        }
        Ok(Json::Object(members))
    }
}

#[cfg(test)]
mod tests {
    use super::Json;

    #[test]
    fn keeps_order_and_types() {
        let j = Json::parse(r#"{"b": 1, "a": [true, null, "x", 1.5]}"#).unwrap();
        let Json::Object(m) = j else {
            panic!("not an object")
        };
        assert_eq!(m[0].0, "b");
        assert_eq!(m[0].1, Json::Number("1".into()));
        assert_eq!(
            m[1].1,
            Json::Array(vec![
                Json::Bool(true),
                Json::Null,
                Json::String("x".into()),
                Json::Number("1.5".into())
            ])
        );
    }

    #[test]
    fn rejects_duplicate_keys_at_any_depth() {
        assert!(Json::parse(r#"{"a": 1, "a": 2}"#).is_none());
        assert!(Json::parse(r#"{"s": {"Effect": "Allow", "Effect": "Deny"}}"#).is_none());
        assert!(Json::parse(r#"{"s": [{"a": 1}, {"a": 2}]}"#).is_some());
    }

    #[test]
    fn rejects_non_json() {
        assert!(Json::parse("{").is_none());
        assert!(Json::parse("").is_none());
        assert!(Json::parse("{\"a\": 1,}").is_none());
    }
}
