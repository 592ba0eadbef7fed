//! Policy variables: `${aws:username}`, `${aws:PrincipalTag/team, 'default'}` and the three
//! escapes `${*}`, `${?}`, `${$}`. A [`Template`] is a policy string split into authored text
//! and variable references; resolving it against a request [`Context`] yields [`Piece`]s in
//! which authored text keeps its wildcard meaning and substituted text is always literal
//! (that is what the escapes are for). This module does not match anything; `glob` and
//! `matching` turn pieces into comparisons.
//!
//! Rules, from <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html>:
//! - variables exist only in `"Version": "2012-10-17"`; older documents keep `${...}` literal;
//! - key names are case-insensitive;
//! - only single-valued keys can be variables: a key with no value, or with several, has
//!   no value ("effectively null") and the text containing it matches nothing — unless a
//!   default was given: `${key, 'default'}` (comma, space, single-quoted default).

use crate::context::Context;

/// One part of a policy string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Part {
    /// Text written in the policy; `*` and `?` in it are wildcards where the operator allows.
    Text(String),
    /// `${key}` or `${key, 'default'}`; `key` is lower-cased for lookup.
    Var {
        key: String,
        default: Option<String>,
    },
    /// `${*}`, `${?}` or `${$}`: the literal character.
    Escaped(char),
}

/// A policy string, ready to be resolved against a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Template {
    parts: Vec<Part>,
}

/// A resolved part: `Text` keeps wildcard meaning, `Lit` never has any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece {
    Text(String),
    Lit(String),
}

impl Template {
    /// Text with no variable processing at all (2008-10-17 documents, actions).
    pub(crate) fn literal(text: &str) -> Template {
        Template {
            parts: vec![Part::Text(text.to_owned())],
        }
    }

    /// Splits `text` into text and variables when `variables` is true (2012-10-17).
    /// A `${` without a closing `}` is kept as text, as AWS does with anything that is not a
    /// well-formed variable.
    pub(crate) fn parse(text: &str, variables: bool) -> Template {
        if !variables || !text.contains("${") {
            return Template::literal(text);
        }
        let mut parts = Vec::new();
        let mut buf = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            let after = &rest[start + 2..];
            let Some(end) = closing_brace(after) else {
                break;
            };
            buf.push_str(&rest[..start]);
            let body = &after[..end];
            let part = match body {
                "*" => Part::Escaped('*'),
                "?" => Part::Escaped('?'),
                "$" => Part::Escaped('$'),
                _ => parse_var(body),
            };
            if !buf.is_empty() {
                parts.push(Part::Text(std::mem::take(&mut buf)));
            }
            parts.push(part);
            rest = &after[end + 1..];
        }
        buf.push_str(rest);
        if !buf.is_empty() {
            parts.push(Part::Text(buf));
        }
        Template { parts }
    }

    #[cfg(test)]
    pub(crate) fn has_variables(&self) -> bool {
        self.parts.iter().any(|p| !matches!(p, Part::Text(_)))
    }

    /// The authored text when there are no variables (fast path for plain strings).
    pub(crate) fn as_plain(&self) -> Option<&str> {
        match self.parts.as_slice() {
            [] => Some(""),
            [Part::Text(t)] => Some(t),
            _ => None,
        }
    }

    /// Splits at the first `n - 1` colons of the authored text, never inside a variable (a
    /// variable name such as `aws:username` has a colon of its own). Used for ARNs, whose
    /// six segments are matched separately.
    pub(crate) fn split_colons(&self, n: usize) -> Vec<Template> {
        let mut out = vec![Template { parts: Vec::new() }];
        for part in &self.parts {
            match part {
                Part::Text(t) => {
                    let mut rest = t.as_str();
                    while out.len() < n {
                        let Some(i) = rest.find(':') else { break };
                        push_text(out.last_mut().expect("non-empty"), &rest[..i]);
                        out.push(Template { parts: Vec::new() });
                        rest = &rest[i + 1..];
                    }
                    push_text(out.last_mut().expect("non-empty"), rest);
                }
                other => out.last_mut().expect("non-empty").parts.push(other.clone()),
            }
        }
        out
    }

    /// Substitutes every variable from `ctx`. `None` when a variable has no single value and
    /// no default: the element it appears in must then match nothing.
    pub(crate) fn resolve(&self, ctx: &Context) -> Option<Vec<Piece>> {
        let mut out = Vec::with_capacity(self.parts.len());
        for part in &self.parts {
            out.push(match part {
                Part::Text(t) => Piece::Text(t.clone()),
                Part::Escaped(c) => Piece::Lit(c.to_string()),
                Part::Var { key, default } => match ctx.get(key) {
                    Some([single]) => Piece::Lit(single.clone()),
                    _ => Piece::Lit(default.clone()?),
                },
            });
        }
        Some(out)
    }
}

fn push_text(t: &mut Template, s: &str) {
    if !s.is_empty() {
        t.parts.push(Part::Text(s.to_owned()));
    }
}

/// Index of the `}` closing a variable body, skipping a single-quoted default so that
/// `${key, 'a}b'}` works.
fn closing_brace(s: &str) -> Option<usize> {
    let mut quoted = false;
    for (i, c) in s.char_indices() {
        match c {
            '\'' => quoted = !quoted,
            '}' if !quoted => return Some(i),
            _ => {}
        }
    }
    None
}

/// `key` or `key, 'default'`. Whitespace around the key and the comma is tolerated.
fn parse_var(body: &str) -> Part {
    if let Some(comma) = body.find(',') {
        let key = body[..comma].trim();
        let dflt = body[comma + 1..].trim();
        if dflt.len() >= 2 && dflt.starts_with('\'') && dflt.ends_with('\'') {
            return Part::Var {
                key: key.to_ascii_lowercase(),
                default: Some(dflt[1..dflt.len() - 1].to_owned()),
            };
        }
    }
    Part::Var {
        key: body.trim().to_ascii_lowercase(),
        default: None,
    }
}

/// The resolved pieces as one plain string (wildcards carry no meaning: `*Equals` operators).
pub(crate) fn pieces_to_string(pieces: &[Piece]) -> String {
    let mut s = String::new();
    for p in pieces {
        match p {
            Piece::Text(t) | Piece::Lit(t) => s.push_str(t),
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(pairs: &[(&str, &str)]) -> Context {
        let mut c = Context::new();
        for (k, v) in pairs {
            c.set(k, *v);
        }
        c
    }

    #[test]
    fn parses_variables_defaults_and_escapes() {
        let t = Template::parse(
            "a/${aws:username}/${*}${?}${$}/${aws:PrincipalTag/team, 'x y'}",
            true,
        );
        assert_eq!(
            t.parts,
            vec![
                Part::Text("a/".into()),
                Part::Var {
                    key: "aws:username".into(),
                    default: None
                },
                Part::Text("/".into()),
                Part::Escaped('*'),
                Part::Escaped('?'),
                Part::Escaped('$'),
                Part::Text("/".into()),
                Part::Var {
                    key: "aws:principaltag/team".into(),
                    default: Some("x y".into())
                },
            ]
        );
    }

    #[test]
    fn legacy_version_keeps_text() {
        let t = Template::parse("home/${aws:username}", false);
        assert_eq!(t.as_plain(), Some("home/${aws:username}"));
    }

    #[test]
    fn unterminated_variable_is_text() {
        let t = Template::parse("a${aws:username", true);
        assert_eq!(t.as_plain(), Some("a${aws:username"));
    }

    #[test]
    fn resolves_case_insensitively_and_marks_substitutions_literal() {
        let t = Template::parse("home/${AWS:UserName}/*", true);
        let got = t.resolve(&ctx(&[("aws:username", "bob")])).unwrap();
        assert_eq!(
            got,
            vec![
                Piece::Text("home/".into()),
                Piece::Lit("bob".into()),
                Piece::Text("/*".into())
            ]
        );
    }

    #[test]
    fn missing_or_multivalued_key_is_unresolvable_unless_defaulted() {
        let t = Template::parse("${aws:username}", true);
        assert_eq!(t.resolve(&Context::new()), None);
        let mut c = Context::new();
        c.set_multi("aws:username", ["a", "b"]);
        assert_eq!(t.resolve(&c), None);
        let d = Template::parse("${aws:username, 'nobody'}", true);
        assert_eq!(
            d.resolve(&Context::new()),
            Some(vec![Piece::Lit("nobody".into())])
        );
    }

    #[test]
    fn split_colons_ignores_colons_inside_variables() {
        let t = Template::parse("arn:aws:s3:::b/${aws:userid}:x", true);
        let segs = t.split_colons(6);
        assert_eq!(segs.len(), 6);
        assert_eq!(segs[2].as_plain(), Some("s3"));
        assert!(segs[5].has_variables());
        let r = segs[5]
            .resolve(&ctx(&[("aws:userid", "AROA:sess")]))
            .unwrap();
        assert_eq!(pieces_to_string(&r), "b/AROA:sess:x");
    }
}
