//! What every EC2 `Describe*` shares: `Filter` lists (names checked against the operation's
//! own list, values with AWS's `*` / `?` wildcards, OR within a filter and AND across
//! filters, `tag:<key>` / `tag-key` / `tag-value`), and `MaxResults` + `NextToken` paging.
//! It knows nothing about particular resources: callers supply the candidate values.
//! See <https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_Filtering.html>.

use crate::errors;
use crate::generated::Filter;
use crate::model::TagRec;
use nimbus_core::AwsError;

/// A validated filter: its name and the patterns any of which may match.
#[derive(Clone, Debug)]
pub struct Parsed {
    pub name: String,
    pub values: Vec<String>,
}

impl Parsed {
    /// True when any pattern matches any of `candidates`.
    pub fn matches_any<'a>(&self, candidates: impl IntoIterator<Item = &'a str>) -> bool {
        candidates
            .into_iter()
            .any(|c| self.values.iter().any(|p| wildcard_match(p, c)))
    }

    pub fn matches(&self, candidate: &str) -> bool {
        self.matches_any([candidate])
    }

    /// Matches the tag filters (`tag:<key>`, `tag-key`, `tag-value`); `None` when this is
    /// not a tag filter.
    pub fn match_tags(&self, tags: &[TagRec]) -> Option<bool> {
        if let Some(key) = self.name.strip_prefix("tag:") {
            return Some(tags.iter().any(|t| t.key == key && self.matches(&t.value)));
        }
        match self.name.as_str() {
            "tag-key" => Some(self.matches_any(tags.iter().map(|t| t.key.as_str()))),
            "tag-value" => Some(self.matches_any(tags.iter().map(|t| t.value.as_str()))),
            _ => None,
        }
    }
}

/// Whether `name` is one of the tag filters every taggable resource supports.
pub fn is_tag_filter(name: &str) -> bool {
    name == "tag-key" || name == "tag-value" || (name.starts_with("tag:") && name.len() > 4)
}

/// Validates `filters` against `known` (plus the tag filters when `taggable`).
pub fn parse(
    filters: Option<Vec<Filter>>,
    known: &[&str],
    taggable: bool,
) -> Result<Vec<Parsed>, AwsError> {
    let mut out = Vec::new();
    for f in filters.unwrap_or_default() {
        let name = f.name.unwrap_or_default();
        if name.is_empty() {
            return Err(errors::missing_parameter(
                "The request must contain the parameter Filter.Name",
            ));
        }
        if !(known.contains(&name.as_str()) || (taggable && is_tag_filter(&name))) {
            return Err(errors::invalid_filter(&name));
        }
        let values = f.values.unwrap_or_default();
        if values.is_empty() {
            return Err(errors::invalid_parameter_value(format!(
                "The filter '{name}' must have at least one value"
            )));
        }
        out.push(Parsed { name, values });
    }
    Ok(out)
}

/// AWS filter wildcards: `*` matches any run of characters, `?` exactly one, and a
/// backslash escapes the next character (`\*` is a literal star).
pub fn wildcard_match(pattern: &str, value: &str) -> bool {
    #[derive(Clone, Copy, PartialEq)]
    enum Tok {
        Lit(char),
        One,
        Any,
    }
    let mut toks = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        toks.push(match c {
            '\\' => Tok::Lit(chars.next().unwrap_or('\\')),
            '*' => Tok::Any,
            '?' => Tok::One,
            c => Tok::Lit(c),
        });
    }
    let v: Vec<char> = value.chars().collect();
    // Iterative glob matching with single-star backtracking: linear-ish, no recursion.
    let (mut p, mut i) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while i < v.len() {
        match toks.get(p) {
            Some(Tok::Lit(c)) if *c == v[i] => {
                p += 1;
                i += 1;
            }
            Some(Tok::One) => {
                p += 1;
                i += 1;
            }
            Some(Tok::Any) => {
                star = Some((p, i));
                p += 1;
            }
            _ => match star {
                Some((sp, si)) => {
                    p = sp + 1;
                    i = si + 1;
                    star = Some((sp, si + 1));
                }
                None => return false,
            },
        }
    }
    toks[p..].iter().all(|t| *t == Tok::Any)
}

/// Validates `MaxResults` against the operation's bounds.
pub fn check_max_results(max: Option<i32>, min: i32, upper: i32) -> Result<(), AwsError> {
    match max {
        Some(n) if n < min || n > upper => Err(errors::invalid_max_results(n, min, upper)),
        _ => Ok(()),
    }
}

/// One page of `items` (already sorted by `key`): the items from the token's position on,
/// at most `max` of them, and the token of the next page when there is one. A token is
/// the hex of the first key of its page, so it stays valid while other items change.
pub fn paginate<T>(
    items: Vec<T>,
    key: impl Fn(&T) -> &str,
    max: Option<i32>,
    token: Option<&str>,
) -> Result<(Vec<T>, Option<String>), AwsError> {
    let start = match token.filter(|t| !t.is_empty()) {
        None => 0,
        Some(t) => {
            let from = decode_token(t).ok_or_else(|| errors::invalid_pagination_token(t))?;
            items.partition_point(|x| key(x) < from.as_str())
        }
    };
    let mut rest: Vec<T> = items.into_iter().skip(start).collect();
    let limit = match max {
        Some(n) if n > 0 => n as usize,
        _ => return Ok((rest, None)),
    };
    if rest.len() <= limit {
        return Ok((rest, None));
    }
    let tail = rest.split_off(limit);
    let next = encode_token(key(&tail[0]));
    Ok((rest, Some(next)))
}

fn encode_token(key: &str) -> String {
    key.bytes().map(|b| format!("{b:02x}")).collect()
}

fn decode_token(token: &str) -> Option<String> {
    if !token.len().is_multiple_of(2) {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..token.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(token.get(i..i + 2)?, 16).ok())
        .collect();
    String::from_utf8(bytes?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        let cases = [
            ("web*", "web-server", true),
            ("web*", "db", false),
            ("*", "", true),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("*-sg-*", "my-sg-1", true),
            ("exact", "exact", true),
            ("exact", "exactly", false),
            ("a\\*", "a*", true),
            ("a\\*", "ab", false),
            ("*b*b", "abxbb", true),
            ("", "", true),
            ("", "x", false),
        ];
        for (p, v, want) in cases {
            assert_eq!(wildcard_match(p, v), want, "{p} vs {v}");
        }
    }

    #[test]
    fn paging_round_trip() {
        let items: Vec<String> = (0..12).map(|i| format!("id-{i:02}")).collect();
        let (page, next) = paginate(items.clone(), |s| s, Some(5), None).unwrap();
        assert_eq!(page.len(), 5);
        let (page2, next2) = paginate(items.clone(), |s| s, Some(5), next.as_deref()).unwrap();
        assert_eq!(page2[0], "id-05");
        let (page3, next3) = paginate(items, |s| s, Some(5), next2.as_deref()).unwrap();
        assert_eq!(page3.len(), 2);
        assert!(next3.is_none());
        assert!(paginate(vec!["a".to_string()], |s| s, None, Some("zz")).is_err());
    }
}
