//! Request decoding shared by `query` and `ec2`: flat dotted keys (`Tags.member.1.Key=k`)
//! become a tree of [`Node`]s, which is then walked under the guidance of the input shape.
//! Structures look up their members' keys, lists take their numbered children in numeric
//! order, maps read numbered entries' key/value children, and leaves convert their text by
//! the target shape's type.
//!
//! The walk only ever descends into nodes that exist, so its depth is bounded by the key
//! depth, which [`MAX_KEY_DEPTH`] caps (a recursive shape cannot make it loop or overflow
//! the stack). Keys the shape does not know (including `Action` and `Version`) are ignored;
//! required members are not checked here, the generated typed conversion does that.

use crate::dialect::{is_flattened, shape_at, Dialect, KeyBuf};
use base64::Engine as _;
use nimbus_core::Timestamp;
use nimbus_wire::model::{ListShape, MapShape, Shape, ShapeKind, Structure};
use nimbus_wire::{ServiceModel, ShapeId, Value, WireError};
use std::collections::BTreeMap;

/// Deepest key accepted (`a.b.c` has depth 3). Real keys stay under ~12; the cap keeps
/// both the tree and the walk shallow whatever the client sends.
pub const MAX_KEY_DEPTH: usize = 64;

/// One segment of the key tree: the value sent for exactly this key, if any, and the
/// children keyed by the next segment.
#[derive(Default, Debug)]
struct Node<'a> {
    value: Option<&'a str>,
    children: BTreeMap<&'a str, Node<'a>>,
}

impl<'a> Node<'a> {
    fn build(params: &'a [(String, String)]) -> Result<Node<'a>, WireError> {
        let mut root = Node::default();
        for (key, value) in params {
            // More than MAX_KEY_DEPTH segments.
            if key.bytes().filter(|&b| b == b'.').count() >= MAX_KEY_DEPTH {
                return Err(WireError::Malformed(format!(
                    "Parameter name nested deeper than {MAX_KEY_DEPTH} levels"
                )));
            }
            let mut node = &mut root;
            for seg in key.split('.') {
                node = node.children.entry(seg).or_default();
            }
            // The last occurrence wins (body pairs come after query-string pairs).
            node.value = Some(value);
        }
        Ok(root)
    }

    /// Children whose key is a decimal number, in numeric order (`2` before `10`).
    fn numbered(&self) -> Vec<(&'a str, &Node<'a>)> {
        let mut items: Vec<(u64, &'a str, &Node<'a>)> = self
            .children
            .iter()
            .filter(|(k, _)| !k.is_empty() && k.bytes().all(|b| b.is_ascii_digit()))
            .filter_map(|(k, n)| k.parse::<u64>().ok().map(|i| (i, *k, n)))
            .collect();
        items.sort_by_key(|&(i, k, _)| (i, k));
        items.into_iter().map(|(_, k, n)| (k, n)).collect()
    }
}

/// The wire key of the node being decoded, kept as a linked list of segments and only
/// rendered when an error needs to name it.
#[derive(Clone, Copy)]
struct Path<'p> {
    parent: Option<&'p Path<'p>>,
    seg: &'p str,
}

fn render(path: Option<&Path<'_>>) -> String {
    let mut segs = Vec::new();
    let mut cur = path;
    while let Some(p) = cur {
        segs.push(p.seg);
        cur = p.parent;
    }
    segs.reverse();
    segs.join(".")
}

fn invalid(path: Option<&Path<'_>>, detail: impl Into<String>) -> WireError {
    WireError::InvalidValue {
        member: render(path),
        detail: detail.into(),
    }
}

/// Decodes `params` as the input structure `input` under `dialect`'s naming rules.
pub fn decode_input(
    dialect: Dialect,
    model: &ServiceModel,
    input: ShapeId,
    params: &[(String, String)],
) -> Result<Value, WireError> {
    let structure = match shape_at(model, input).map(|s| &s.kind) {
        Some(ShapeKind::Structure(s)) => s,
        _ => {
            return Err(WireError::Malformed(format!(
                "Input shape {} of service {} is not a structure",
                input.0, model.name
            )))
        }
    };
    let tree = Node::build(params)?;
    Decoder { model, dialect }.structure(structure, &tree, None)
}

struct Decoder<'m> {
    model: &'m ServiceModel,
    dialect: Dialect,
}

impl Decoder<'_> {
    fn structure(
        &self,
        s: &'static Structure,
        node: &Node<'_>,
        path: Option<&Path<'_>>,
    ) -> Result<Value, WireError> {
        let mut slots: Vec<Option<Value>> = s.members.iter().map(|_| None).collect();
        for (slot, member) in slots.iter_mut().zip(s.members) {
            let Some(target) = shape_at(self.model, member.shape) else {
                continue;
            };
            let flattened = is_flattened(member.flattened, target);
            let Some((key, child)) = self.find_member(member, target, flattened, node) else {
                continue;
            };
            let here = Path {
                parent: path,
                seg: key.as_str(),
            };
            *slot = self.value(target, flattened, child, Some(&here))?;
        }
        Ok(Value::Struct(slots))
    }

    /// Finds the node carrying `member`, with the key it was found under.
    fn find_member<'n, 'a>(
        &self,
        member: &'static nimbus_wire::model::Member,
        target: &'static Shape,
        flattened: bool,
        node: &'n Node<'a>,
    ) -> Option<(KeyBuf, &'n Node<'a>)> {
        // botocore renames a flattened query list whose items are named to that item name
        // (`Prefix.Item.1` → `Item.1`), but sends an empty one under the member key.
        if let (Dialect::Query, true, ShapeKind::List(l)) = (self.dialect, flattened, &target.kind)
        {
            if let Some(item) = l.member_location_name {
                if let Some(child) = node.children.get(item) {
                    return Some((KeyBuf::new(item, false), child));
                }
            }
        }
        if node.children.is_empty() {
            return None;
        }
        let key = self.dialect.input_key(member, target);
        let child = node.children.get(key.as_str())?;
        Some((key, child))
    }

    /// Decodes `node` as a value of `shape`; `None` when the node carries nothing usable
    /// (a scalar key that only has sub-keys).
    fn value(
        &self,
        shape: &'static Shape,
        flattened: bool,
        node: &Node<'_>,
        path: Option<&Path<'_>>,
    ) -> Result<Option<Value>, WireError> {
        match &shape.kind {
            ShapeKind::Structure(s) => self.structure(s, node, path).map(Some),
            ShapeKind::List(l) => self.list(l, flattened, node, path).map(Some),
            ShapeKind::Map(m) => self.map(m, flattened, node, path).map(Some),
            kind => match node.value {
                Some(text) => scalar(kind, text, path).map(Some),
                None => Ok(None),
            },
        }
    }

    fn list(
        &self,
        l: &'static ListShape,
        flattened: bool,
        node: &Node<'_>,
        path: Option<&Path<'_>>,
    ) -> Result<Value, WireError> {
        // query: `Prefix.member.N` (the item word is the list member's location name) or,
        // flattened, `Prefix.N`; ec2: always `Prefix.N`. Items sent directly under the
        // prefix are accepted for a non-flattened query list too: numbered keys there can
        // mean nothing else, and hand-written clients sometimes send them.
        let word = l
            .member_location_name
            .unwrap_or(Dialect::Query.default_item_name());
        let (container, word_path) = match (self.dialect, flattened) {
            (Dialect::Query, false) => match node.children.get(word) {
                Some(c) => (
                    c,
                    Some(Path {
                        parent: path,
                        seg: word,
                    }),
                ),
                None => (node, None),
            },
            _ => (node, None),
        };
        let items_parent = word_path.as_ref().or(path);
        let items = container.numbered();
        if items.is_empty() {
            // `Prefix=` is how botocore sends an empty query list.
            if node.value.is_some_and(|v| !v.is_empty()) && node.children.is_empty() {
                return Err(invalid(path, "expected a list"));
            }
            return Ok(Value::List(Vec::new()));
        }
        let Some(item_shape) = shape_at(self.model, l.member) else {
            return Ok(Value::List(Vec::new()));
        };
        let item_flattened = is_flattened(false, item_shape);
        let mut out = Vec::with_capacity(items.len());
        for (index, child) in items {
            let here = Path {
                parent: items_parent,
                seg: index,
            };
            if let Some(v) = self.value(item_shape, item_flattened, child, Some(&here))? {
                out.push(v);
            }
        }
        Ok(Value::List(out))
    }

    fn map(
        &self,
        m: &'static MapShape,
        flattened: bool,
        node: &Node<'_>,
        path: Option<&Path<'_>>,
    ) -> Result<Value, WireError> {
        let (container, entry_path) = if flattened {
            (node, None)
        } else {
            match node.children.get("entry") {
                Some(c) => (
                    c,
                    Some(Path {
                        parent: path,
                        seg: "entry",
                    }),
                ),
                None => (node, None),
            }
        };
        let entries_parent = entry_path.as_ref().or(path);
        let key_name = self.dialect.map_part_name(m.key_location_name, "key");
        let value_name = self.dialect.map_part_name(m.value_location_name, "value");
        let Some(value_shape) = shape_at(self.model, m.value) else {
            return Ok(Value::Map(Vec::new()));
        };
        let value_flattened = is_flattened(false, value_shape);
        let mut out = Vec::new();
        for (index, entry) in container.numbered() {
            let Some(key) = entry.children.get(key_name.as_ref()).and_then(|k| k.value) else {
                continue;
            };
            let Some(value_node) = entry.children.get(value_name.as_ref()) else {
                continue;
            };
            let entry_here = Path {
                parent: entries_parent,
                seg: index,
            };
            let here = Path {
                parent: Some(&entry_here),
                seg: &value_name,
            };
            if let Some(v) = self.value(value_shape, value_flattened, value_node, Some(&here))? {
                out.push((key.to_string(), v));
            }
        }
        Ok(Value::Map(out))
    }
}

/// Converts a leaf's text by the target shape's type.
fn scalar(kind: &ShapeKind, text: &str, path: Option<&Path<'_>>) -> Result<Value, WireError> {
    Ok(match kind {
        ShapeKind::String { .. } => Value::Str(text.to_string()),
        ShapeKind::Integer => {
            let i = text
                .parse::<i32>()
                .map_err(|_| invalid(path, format!("'{text}' is not a valid integer")))?;
            Value::Int(i64::from(i))
        }
        ShapeKind::Long => Value::Int(
            text.parse::<i64>()
                .map_err(|_| invalid(path, format!("'{text}' is not a valid long")))?,
        ),
        ShapeKind::Float | ShapeKind::Double => Value::Float(
            text.parse::<f64>()
                .map_err(|_| invalid(path, format!("'{text}' is not a valid number")))?,
        ),
        ShapeKind::Boolean => {
            if text.eq_ignore_ascii_case("true") {
                Value::Bool(true)
            } else if text.eq_ignore_ascii_case("false") {
                Value::Bool(false)
            } else {
                return Err(invalid(path, format!("'{text}' is not a valid boolean")));
            }
        }
        ShapeKind::Timestamp { .. } => Value::Timestamp(
            parse_timestamp(text)
                .ok_or_else(|| invalid(path, format!("'{text}' is not a valid timestamp")))?,
        ),
        ShapeKind::Blob { .. } => Value::Blob(
            BASE64
                .decode(text.trim())
                .map_err(|_| invalid(path, "expected base64-encoded data"))?
                .into(),
        ),
        ShapeKind::Structure(_) | ShapeKind::List(_) | ShapeKind::Map(_) => {
            return Err(invalid(path, "expected a structured value"))
        }
    })
}

/// Standard base64, padding optional (botocore pads; hand-written clients may not).
const BASE64: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
);

/// ISO 8601 (what botocore sends), epoch seconds (`unixTimestamp` members) or an
/// HTTP-date. `Timestamp::parse_any` would do, but its HTTP-date branch does unchecked
/// calendar arithmetic on the year, so absurdly long numbers are screened out first.
fn parse_timestamp(text: &str) -> Option<Timestamp> {
    if let Some(t) = Timestamp::parse_iso8601(text) {
        return Some(t);
    }
    if let Ok(secs) = text.trim().parse::<f64>() {
        // ±1e14 s is ±3 million years: far beyond any real timestamp, far inside i64 ms.
        return (secs.is_finite() && secs.abs() < 1e14)
            .then(|| Timestamp::from_epoch_seconds_f64(secs));
    }
    let longest_digit_run = text
        .split(|c: char| !c.is_ascii_digit())
        .map(str::len)
        .max()
        .unwrap_or(0);
    if text.len() > 64 || longest_digit_run > 6 {
        return None;
    }
    Timestamp::parse_http_date(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_children_sort_numerically() {
        let params: Vec<(String, String)> = ["2", "10", "1", "x", "03", "99999999999999999999999"]
            .iter()
            .map(|k| (format!("L.{k}"), k.to_string()))
            .collect();
        let tree = Node::build(&params).unwrap();
        let l = &tree.children["L"];
        let keys: Vec<&str> = l.numbered().into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["1", "2", "03", "10"]);
    }

    #[test]
    fn too_deep_keys_are_malformed() {
        let deep = vec![("a.".repeat(MAX_KEY_DEPTH) + "b", String::new())];
        assert!(matches!(Node::build(&deep), Err(WireError::Malformed(_))));
        let ok = vec![("a.".repeat(MAX_KEY_DEPTH - 1) + "b", String::new())];
        assert!(Node::build(&ok).is_ok());
    }

    #[test]
    fn timestamps() {
        let t = Timestamp::from_civil(2026, 11, 25, 10, 5, 22, 123);
        assert_eq!(parse_timestamp("2026-11-25T10:05:22.123000Z"), Some(t));
        assert_eq!(parse_timestamp("1795601122.123"), Some(t));
        assert_eq!(
            parse_timestamp("Wed, 25 Nov 2026 10:05:22 GMT"),
            Some(Timestamp(t.0 - 123))
        );
        assert_eq!(parse_timestamp("1e300"), None);
        assert_eq!(parse_timestamp("NaN"), None);
        assert_eq!(
            parse_timestamp("Wed, 25 Nov 99999999999999999 10:05:22 GMT"),
            None
        );
        assert_eq!(parse_timestamp("garbage"), None);
    }

    #[test]
    fn path_renders_dotted() {
        let a = Path {
            parent: None,
            seg: "A",
        };
        let b = Path {
            parent: Some(&a),
            seg: "member",
        };
        let c = Path {
            parent: Some(&b),
            seg: "2",
        };
        assert_eq!(render(Some(&c)), "A.member.2");
        assert_eq!(render(None), "");
    }
}
