//! Input rules of Parameter Store, as AWS documents them: parameter names (characters,
//! the reserved `aws`/`ssm` prefixes, fully qualified hierarchies, 15 levels, 1011
//! characters), `name:version` / `name:label` selectors, labels, tags, types, tiers, data
//! types and value sizes. Pure functions returning the AwsError to answer with.

use crate::errors::{self, constraint, validation};
use nimbus_core::AwsError;

/// Longest parameter name (AWS reserves the rest of the model's 2048 for internal use).
pub const MAX_NAME_LEN: usize = 1011;
pub const MAX_LEVELS: usize = 15;
pub const STANDARD_VALUE_MAX: usize = 4096;
pub const ADVANCED_VALUE_MAX: usize = 8192;
pub const MAX_TAGS: usize = 50;

fn reserved_prefix(s: &str) -> bool {
    let l = s.trim_start_matches('/').to_ascii_lowercase();
    l.starts_with("aws") || l.starts_with("ssm")
}

/// Levels of a hierarchical name (`/a/b/c` has 3); a flat name has 1.
pub fn levels(name: &str) -> usize {
    name.trim_start_matches('/').split('/').count()
}

/// Checks a name for `PutParameter` (the strict rules). AWS trims surrounding spaces first;
/// the caller passes the trimmed name.
pub fn new_name(name: &str) -> Result<(), AwsError> {
    name_shape(name)?;
    if reserved_prefix(name) {
        return Err(validation(
            "Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive). \
             If formed as a path, it can consist of sub-paths divided by slash symbol; each sub-path can be \
             formed as a mix of letters, numbers and the following 3 symbols .-_",
        ));
    }
    Ok(())
}

/// Checks the shape of a name used to read or delete (no reserved-prefix rule: public
/// parameters live under `/aws/`).
pub fn name_shape(name: &str) -> Result<(), AwsError> {
    if name.is_empty() {
        return Err(constraint(name, "name", "have length greater than or equal to 1"));
    }
    if name.len() > MAX_NAME_LEN {
        return Err(validation(format!(
            "Parameter name: {name} exceeds the maximum length of {MAX_NAME_LEN} characters."
        )));
    }
    let ok_chars = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '/'));
    let bad_path = name.contains('/')
        && (!name.starts_with('/') || name.ends_with('/') || name.contains("//"));
    if !ok_chars || bad_path {
        if name.contains('/') && !name.starts_with('/') && ok_chars {
            return Err(validation("Parameter name must be a fully qualified name."));
        }
        return Err(validation(
            "Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive). \
             If formed as a path, it can consist of sub-paths divided by slash symbol; each sub-path can be \
             formed as a mix of letters, numbers and the following 3 symbols .-_",
        ));
    }
    if levels(name) > MAX_LEVELS {
        return Err(errors::hierarchy_too_deep());
    }
    Ok(())
}

/// A read request's name, split into the name and its selector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selector {
    None,
    Version(i64),
    Label(String),
}

impl Selector {
    /// How AWS echoes it in `Parameter.Selector` (`:3`, `:prod`).
    pub fn render(&self) -> Option<String> {
        match self {
            Selector::None => None,
            Selector::Version(v) => Some(format!(":{v}")),
            Selector::Label(l) => Some(format!(":{l}")),
        }
    }
}

/// Splits `name[:selector]`. A name given as a parameter ARN
/// (`arn:aws:ssm:REGION:ACCOUNT:parameter/NAME`) is reduced to the name: hierarchical names
/// regain their leading slash.
pub fn split_selector(raw: &str) -> Result<(String, Selector), AwsError> {
    let raw = raw.trim();
    let plain = match raw.strip_prefix("arn:") {
        Some(rest) => {
            let parts: Vec<&str> = rest.splitn(5, ':').collect();
            let tail = match parts.as_slice() {
                [_, "ssm", _, _, tail] => tail.strip_prefix("parameter/"),
                _ => None,
            };
            let Some(tail) = tail else {
                return Err(validation(format!("Parameter name: {raw} is not a valid parameter ARN.")));
            };
            let (n, sel) = match tail.split_once(':') {
                Some((n, s)) => (n, Some(s)),
                None => (tail, None),
            };
            let n = if n.contains('/') { format!("/{n}") } else { n.to_string() };
            return finish(n, sel);
        }
        None => raw,
    };
    match plain.split_once(':') {
        Some((n, s)) => finish(n.to_string(), Some(s)),
        None => finish(plain.to_string(), None),
    }
}

fn finish(name: String, sel: Option<&str>) -> Result<(String, Selector), AwsError> {
    name_shape(&name)?;
    let selector = match sel {
        None => Selector::None,
        Some("") => return Err(validation(format!("Invalid parameter selector for {name}:"))),
        Some(s) if s.bytes().all(|b| b.is_ascii_digit()) => match s.parse::<i64>() {
            Ok(v) if v >= 1 => Selector::Version(v),
            _ => return Err(errors::version_not_found(&name, s)),
        },
        Some(s) => Selector::Label(s.to_string()),
    };
    Ok((name, selector))
}

/// Whether `label` is a valid label (AWS lists invalid ones in `InvalidLabels` instead of
/// failing): 1–100 characters of letters, digits, `.`, `-`, `_`; not starting with a digit
/// or with `aws`/`ssm` (case-insensitive).
pub fn label_ok(label: &str) -> bool {
    !label.is_empty()
        && label.len() <= 100
        && label.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        && !label.starts_with(|c: char| c.is_ascii_digit())
        && !reserved_prefix(label)
}

pub fn param_type(t: &str) -> Result<(), AwsError> {
    match t {
        "String" | "StringList" | "SecureString" => Ok(()),
        _ => Err(constraint(t, "type", "satisfy enum value set: [SecureString, StringList, String]")),
    }
}

pub fn tier(t: &str) -> Result<(), AwsError> {
    match t {
        "Standard" | "Advanced" | "Intelligent-Tiering" => Ok(()),
        _ => Err(constraint(t, "tier", "satisfy enum value set: [Standard, Advanced, Intelligent-Tiering]")),
    }
}

pub fn data_type(d: &str) -> Result<(), AwsError> {
    match d {
        "text" | "aws:ec2:image" => Ok(()),
        _ => Err(validation(format!(
            "The following data type is not supported: {d} (Data type names are all lowercase.)"
        ))),
    }
}

/// `aws:ec2:image` values: `ami-` and 8 or 17 lowercase hex digits.
pub fn ami_id(v: &str) -> bool {
    v.strip_prefix("ami-").is_some_and(|h| {
        (h.len() == 8 || h.len() == 17) && h.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// Tag keys and values (1–128 / 0–256 characters of letters, digits, spaces and
/// `_.:/=+-@`; `aws:` reserved).
pub fn tags(tags: &[(String, String)]) -> Result<(), AwsError> {
    let ok = |s: &str| {
        s.chars()
            .all(|c| c.is_alphanumeric() || c == ' ' || "_.:/=+-@".contains(c))
    };
    for (k, v) in tags {
        if k.is_empty() || k.chars().count() > 128 || !ok(k) {
            return Err(constraint(k, "tags.member.key", "have length between 1 and 128 and satisfy regular expression pattern: ^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$"));
        }
        if v.chars().count() > 256 || !ok(v) {
            return Err(constraint(v, "tags.member.value", "have length less than or equal to 256 and satisfy regular expression pattern: ^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$"));
        }
        if k.to_ascii_lowercase().starts_with("aws:") {
            return Err(validation(format!(
                "Tag key {k} is invalid: tag keys can't start with the reserved prefix aws:"
            )));
        }
    }
    Ok(())
}

pub fn max_results(v: Option<i32>, max: i32, default: i32) -> Result<usize, AwsError> {
    match v {
        None => Ok(default as usize),
        Some(m) if (1..=max).contains(&m) => Ok(m as usize),
        Some(m) => Err(constraint(
            &m.to_string(),
            "maxResults",
            &format!("have value less than or equal to {max}"),
        )),
    }
}
