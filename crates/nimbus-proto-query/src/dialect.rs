//! [`Dialect`]: the handful of places where `ec2` differs from `query` in naming, plus
//! the model look-ups both share. botocore resolves a member by merging the member's traits
//! over its target shape's, so "the member's location name" means the member's own
//! `locationName`, else the target structure's; the helpers here encode that once.
//!
//! Shape ids are looked up with [`shape_at`], never by indexing, so that a broken model
//! degrades to "member ignored" instead of a panic.

use nimbus_wire::model::{Member, Shape, ShapeKind, TimestampFormat};
use nimbus_wire::{ServiceModel, ShapeId};
use std::borrow::Cow;

/// Which of the two form-encoded protocols is spoken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Query,
    Ec2,
}

impl Dialect {
    /// Element name of a non-flattened list's items when the model names none.
    /// (botocore's parsers ignore the item tag; these are what AWS itself sends.)
    pub fn default_item_name(self) -> &'static str {
        match self {
            Dialect::Query => "member",
            Dialect::Ec2 => "item",
        }
    }

    /// The request key of a structure member (`QuerySerializer._get_serialized_name` /
    /// `EC2Serializer._get_serialized_name`): query uses the location name as is; ec2 prefers
    /// `queryName`, else the location name with its first letter upper-cased.
    pub fn input_key(self, member: &'static Member, target: &'static Shape) -> KeyBuf {
        let loc = location_name(member, target);
        match self {
            Dialect::Query => KeyBuf::new(loc.unwrap_or(member.name), false),
            Dialect::Ec2 => match (member.query_name, loc) {
                (Some(q), _) => KeyBuf::new(q, false),
                (None, Some(l)) => KeyBuf::new(l, true),
                (None, None) => KeyBuf::new(member.name, false),
            },
        }
    }

    /// The request key suffix of a map key or value (`key`/`value` unless named).
    pub fn map_part_name(
        self,
        loc: Option<&'static str>,
        default: &'static str,
    ) -> Cow<'static, str> {
        match (self, loc) {
            (_, None) => Cow::Borrowed(default),
            (Dialect::Query, Some(l)) => Cow::Borrowed(l),
            (Dialect::Ec2, Some(l)) => capitalize(l),
        }
    }
}

/// Upper-cases the first character (Python's `name[0].upper() + name[1:]`).
pub fn capitalize(s: &'static str) -> Cow<'static, str> {
    let mut chars = s.chars();
    let Some(first) = chars.next() else {
        return Cow::Borrowed(s);
    };
    if first.is_ascii() && !first.is_ascii_lowercase() {
        return Cow::Borrowed(s);
    }
    let mut upper = first.to_uppercase();
    if upper.len() == 1 && upper.next() == Some(first) {
        return Cow::Borrowed(s);
    }
    let mut out: String = first.to_uppercase().collect();
    out.push_str(chars.as_str());
    Cow::Owned(out)
}

/// A request key built on the stack: a model name, capitalized when asked ([`capitalize`]),
/// copied into a fixed buffer when that changes it and it fits, else allocated. Decoding
/// looks up every member of an input structure, so this saves an allocation per
/// lower-case location name (most of EC2's) per request.
pub struct KeyBuf {
    buf: [u8; 64],
    len: usize,
    spilled: Option<Cow<'static, str>>,
}

impl KeyBuf {
    pub fn new(name: &'static str, capitalized: bool) -> KeyBuf {
        let mut key = KeyBuf {
            buf: [0; 64],
            len: 0,
            spilled: None,
        };
        match name.as_bytes().first() {
            Some(b) if capitalized && b.is_ascii_lowercase() && name.len() <= key.buf.len() => {
                key.buf[..name.len()].copy_from_slice(name.as_bytes());
                key.buf[0] = b.to_ascii_uppercase();
                key.len = name.len();
            }
            _ if capitalized => key.spilled = Some(capitalize(name)),
            _ => key.spilled = Some(Cow::Borrowed(name)),
        }
        key
    }

    pub fn as_str(&self) -> &str {
        match &self.spilled {
            Some(s) => s,
            // Only an ASCII letter was changed in a `str`: still UTF-8.
            None => std::str::from_utf8(&self.buf[..self.len]).unwrap_or_default(),
        }
    }
}

/// The shape with id `id`, or `None` when the model does not have it.
pub fn shape_at(model: &ServiceModel, id: ShapeId) -> Option<&'static Shape> {
    model.shapes.get(id.0 as usize)
}

/// The member's merged location name: its own, else its target structure's.
pub fn location_name(member: &Member, target: &Shape) -> Option<&'static str> {
    member.location_name.or(match &target.kind {
        ShapeKind::Structure(s) => s.location_name,
        _ => None,
    })
}

/// The XML element name of a structure member in a response.
pub fn element_name(member: &'static Member, target: &Shape) -> &'static str {
    location_name(member, target).unwrap_or(member.name)
}

/// Whether the member-resolved list/map shape is flattened (member or shape trait).
pub fn is_flattened(member_flattened: bool, target: &Shape) -> bool {
    member_flattened
        || match &target.kind {
            ShapeKind::List(l) => l.flattened,
            ShapeKind::Map(m) => m.flattened,
            _ => false,
        }
}

/// The member-resolved timestamp format: the member's trait, else the shape's.
pub fn timestamp_format(
    member: Option<TimestampFormat>,
    target: &Shape,
) -> Option<TimestampFormat> {
    member.or(match &target.kind {
        ShapeKind::Timestamp { format } => *format,
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capitalizes_first_letter_only() {
        assert_eq!(capitalize("dryRun"), "DryRun");
        assert_eq!(capitalize("GroupId"), "GroupId");
        assert_eq!(capitalize(""), "");
        assert_eq!(capitalize("ébc"), "Ébc");
        assert_eq!(capitalize("1abc"), "1abc");
        assert_eq!(capitalize("_x"), "_x");
        for (name, cap) in [
            ("dryRun", true),
            ("dryRun", false),
            ("GroupId", true),
            ("", true),
            ("ébc", true),
            ("1abc", true),
            ("a", true),
        ] {
            let want = if cap {
                capitalize(name)
            } else {
                Cow::Borrowed(name)
            };
            assert_eq!(KeyBuf::new(name, cap).as_str(), want);
        }
        let long: &'static str = "x".repeat(100).leak();
        assert_eq!(KeyBuf::new(long, true).as_str(), capitalize(long));
    }
}
