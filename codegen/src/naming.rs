//! Rust names for botocore names: `snake_case` for fields, functions and trait methods,
//! type names that never shadow the prelude or the generated file's own imports, and
//! keyword escaping. Every rule here is deterministic: the same model gives the same names.

use std::collections::BTreeSet;

/// Strict and reserved keywords (2021 edition, plus `gen` and `try` to be safe).
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "Self", "static", "struct", "super", "trait", "true", "try", "type",
    "typeof", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Keywords that cannot be raw identifiers; they get a trailing underscore instead.
const NOT_RAW: &[&str] = &["crate", "self", "Self", "super"];

/// Type names a generated struct must not take: the std prelude (and common std traits a
/// handler module is likely to use), the generated file's imports and its own items.
/// `Object` is listed because S3 has an `Object` shape and the name reads as a generic
/// noun in handler code; it becomes `ObjectShape`, like `Error` becomes `ErrorShape`.
const RESERVED_TYPES: &[&str] = &[
    // std prelude and friends
    "Any",
    "AsMut",
    "AsRef",
    "Box",
    "Clone",
    "Copy",
    "Cow",
    "Debug",
    "Default",
    "Display",
    "DoubleEndedIterator",
    "Drop",
    "Eq",
    "Err",
    "Error",
    "ExactSizeIterator",
    "Extend",
    "Fn",
    "FnMut",
    "FnOnce",
    "From",
    "FromIterator",
    "Future",
    "Hash",
    "Hasher",
    "Into",
    "IntoIterator",
    "Iterator",
    "None",
    "Object",
    "Ok",
    "Option",
    "Ord",
    "PartialEq",
    "PartialOrd",
    "Result",
    "Send",
    "Sized",
    "Some",
    "String",
    "Sync",
    "ToOwned",
    "ToString",
    "TryFrom",
    "TryInto",
    "Unpin",
    "Vec",
    // imports and items of generated.rs
    "AwsError",
    "BoxFut",
    "Bytes",
    "FromValue",
    "Handlers",
    "IntoValue",
    "Protocol",
    "RequestContext",
    "Router",
    "Service",
    "Timestamp",
    "Value",
    "WireError",
];

/// `GroupId` → `group_id`, `SSEKMSKeyId` → `ssekms_key_id`, `ETag` → `e_tag`,
/// `Ipv6Ranges` → `ipv6_ranges`, `ListObjectsV2` → `list_objects_v2`,
/// `x-amz-meta` → `x_amz_meta`.
///
/// A word starts at an upper-case letter that follows a lower-case letter or a digit, or
/// that follows an upper-case letter and precedes a lower-case one (the end of an
/// acronym). Digits stay with the word before them. Other characters separate words.
pub fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
            continue;
        }
        if c.is_ascii_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            let boundary = prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next_lower);
            if boundary && !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
        }
        out.push(c.to_ascii_lowercase());
    }
    while out.ends_with('_') {
        out.pop();
    }
    if out.is_empty() {
        out.push_str("field");
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

/// Makes `ident` usable as a Rust identifier: `type` → `r#type`, `self` → `self_`.
pub fn escape(ident: &str) -> String {
    if NOT_RAW.contains(&ident) {
        format!("{ident}_")
    } else if KEYWORDS.contains(&ident) {
        format!("r#{ident}")
    } else {
        ident.to_string()
    }
}

/// Rust field / function name for a botocore member or shape name.
pub fn field_name(name: &str) -> String {
    escape(&snake_case(name))
}

/// The Rust type name for a shape: the shape name with an upper-case first letter and
/// non-identifier characters dropped, plus `Shape` while it is reserved or taken.
pub fn type_name(shape: &str, taken: &BTreeSet<String>) -> String {
    let mut base: String = shape
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    if base.is_empty() || base.starts_with(|c: char| c.is_ascii_digit()) {
        base.insert_str(0, "Shape");
    }
    let mut first = base.remove(0);
    first.make_ascii_uppercase();
    base.insert(0, first);
    while RESERVED_TYPES.contains(&base.as_str())
        || KEYWORDS.contains(&base.as_str())
        || taken.contains(&base)
    {
        base.push_str("Shape");
    }
    base
}

/// Makes `name` unique among `taken` by appending `_2`, `_3`, ... and records it.
pub fn unique(name: String, taken: &mut BTreeSet<String>) -> String {
    let mut candidate = name.clone();
    let mut n = 2;
    while taken.contains(&candidate) {
        let raw = name.strip_prefix("r#").unwrap_or(&name);
        candidate = format!("{raw}_{n}");
        n += 1;
    }
    taken.insert(candidate.clone());
    candidate
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_table() {
        let cases = [
            ("GroupId", "group_id"),
            ("IpPermissions", "ip_permissions"),
            ("SSEKMSKeyId", "ssekms_key_id"),
            ("ETag", "e_tag"),
            ("Ipv6Ranges", "ipv6_ranges"),
            ("ListObjectsV2", "list_objects_v2"),
            ("AWSAccessKeyId", "aws_access_key_id"),
            ("S3Key", "s3_key"),
            ("MFADelete", "mfa_delete"),
            ("message", "message"),
            ("x-amz-meta", "x_amz_meta"),
            ("CreateSecurityGroup", "create_security_group"),
            ("DescribeVpcs", "describe_vpcs"),
            ("KMSKeyId", "kms_key_id"),
            ("Type", "type"),
            ("A", "a"),
        ];
        for (input, want) in cases {
            assert_eq!(snake_case(input), want, "{input}");
        }
    }

    #[test]
    fn keywords_are_escaped() {
        assert_eq!(field_name("Type"), "r#type");
        assert_eq!(field_name("Match"), "r#match");
        assert_eq!(field_name("Self"), "self_");
        assert_eq!(field_name("GroupName"), "group_name");
    }

    #[test]
    fn type_names_avoid_clashes() {
        let mut taken = BTreeSet::new();
        assert_eq!(type_name("Error", &taken), "ErrorShape");
        assert_eq!(type_name("Object", &taken), "ObjectShape");
        assert_eq!(type_name("SecurityGroup", &taken), "SecurityGroup");
        assert_eq!(type_name("scope", &taken), "Scope");
        taken.insert("ErrorShape".to_string());
        assert_eq!(type_name("Error", &taken), "ErrorShapeShape");
    }

    #[test]
    fn unique_appends_counter() {
        let mut taken = BTreeSet::new();
        assert_eq!(unique("a".into(), &mut taken), "a");
        assert_eq!(unique("a".into(), &mut taken), "a_2");
        assert_eq!(unique("a".into(), &mut taken), "a_3");
        assert_eq!(unique("r#type".into(), &mut taken), "r#type");
        assert_eq!(unique("r#type".into(), &mut taken), "type_2");
    }
}
