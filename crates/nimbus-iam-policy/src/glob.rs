//! Wildcard matching as IAM defines it everywhere it allows wildcards (actions, resource
//! ARN segments, `StringLike`, `ArnLike`): `*` matches any run of characters, including
//! none and including `/`; `?` matches exactly one character; everything else matches
//! itself. There are no character classes and no escapes in the pattern text itself —
//! literal `*`/`?` come from the `${*}`/`${?}` variables, which is why a [`Glob`] is built
//! from resolved [`Piece`]s. Case folding is the caller's choice. This module does not know
//! about ARNs or actions (`matching`).
//!
//! See <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html#reference_policies_elements_resource_wildcards>.

use crate::variables::Piece;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    Ch(char),
    One,
    Many,
}

/// A compiled wildcard pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Glob {
    toks: Vec<Tok>,
}

impl Glob {
    /// Compiles authored text: every `*` and `?` is a wildcard.
    pub(crate) fn new(pattern: &str, lowercase: bool) -> Glob {
        let mut toks = Vec::with_capacity(pattern.len());
        push_text(&mut toks, pattern, lowercase);
        Glob { toks }
    }

    /// Compiles resolved pieces: wildcards only in authored text.
    pub(crate) fn from_pieces(pieces: &[Piece], lowercase: bool) -> Glob {
        let mut toks = Vec::new();
        for p in pieces {
            match p {
                Piece::Text(t) => push_text(&mut toks, t, lowercase),
                Piece::Lit(t) => {
                    for c in t.chars() {
                        push_char(&mut toks, c, lowercase);
                    }
                }
            }
        }
        Glob { toks }
    }

    /// True when the whole of `text` matches. The caller lower-cases `text` when the glob
    /// was built with `lowercase`.
    pub(crate) fn matches(&self, text: &str) -> bool {
        let pat = &self.toks;
        let text: Vec<char> = text.chars().collect();
        let (mut p, mut t) = (0, 0);
        // Position of the last `*` seen and of the text it currently stands in front of:
        // on a mismatch the star absorbs one more character and matching resumes. This is
        // the classic linear-space wildcard algorithm; it never needs more than one star of
        // backtracking because a later star subsumes an earlier one.
        let mut star: Option<(usize, usize)> = None;
        while t < text.len() {
            match pat.get(p) {
                Some(Tok::One) => {
                    p += 1;
                    t += 1;
                }
                Some(Tok::Ch(c)) if *c == text[t] => {
                    p += 1;
                    t += 1;
                }
                Some(Tok::Many) => {
                    star = Some((p, t));
                    p += 1;
                }
                _ => match star {
                    Some((sp, st)) => {
                        star = Some((sp, st + 1));
                        p = sp + 1;
                        t = st + 1;
                    }
                    None => return false,
                },
            }
        }
        pat[p..].iter().all(|tok| *tok == Tok::Many)
    }

    /// True when the pattern is exactly `*` (matches everything).
    pub(crate) fn is_match_all(&self) -> bool {
        self.toks == [Tok::Many]
    }
}

fn push_text(toks: &mut Vec<Tok>, text: &str, lowercase: bool) {
    for c in text.chars() {
        match c {
            '*' => toks.push(Tok::Many),
            '?' => toks.push(Tok::One),
            c => push_char(toks, c, lowercase),
        }
    }
}

fn push_char(toks: &mut Vec<Tok>, c: char, lowercase: bool) {
    if lowercase {
        toks.extend(c.to_lowercase().map(Tok::Ch));
    } else {
        toks.push(Tok::Ch(c));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let cases: &[(&str, &str, bool)] = &[
            ("*", "", true),
            ("*", "anything/at:all", true),
            ("", "", true),
            ("", "a", false),
            ("abc", "abc", true),
            ("abc", "abcd", false),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("a*c", "ac", true),
            ("a*c", "abbbc", true),
            ("a*c", "abbbd", false),
            ("*log*", "carlossalazar-logs", true),
            ("*log*", "carlossalazar", false),
            ("iam:*AccessKey*", "iam:CreateAccessKey", true),
            ("iam:*AccessKey*", "iam:ListAccessKeys", true),
            ("iam:*Report", "iam:GenerateCredentialReport", true),
            ("iam:*Report", "iam:GetCredentialReports", false),
            ("*a*b", "xaxaxb", true),
            ("*a*b", "xaxaxbc", false),
            ("??", "é!", true),
            ("a**b", "ab", true),
        ];
        for (pat, text, want) in cases {
            assert_eq!(
                Glob::new(pat, false).matches(text),
                *want,
                "{pat} vs {text}"
            );
        }
    }

    #[test]
    fn doc_example_star_crosses_slashes() {
        // reference_policies_elements_resource.html, "Using wildcards in resource ARNs".
        let g = Glob::new("DOC-EXAMPLE-BUCKET/*/test/*", false);
        for yes in [
            "DOC-EXAMPLE-BUCKET/1/test/object.jpg",
            "DOC-EXAMPLE-BUCKET/1/2/test/object.jpg",
            "DOC-EXAMPLE-BUCKET/1/2/test/3/object.jpg",
            "DOC-EXAMPLE-BUCKET/1/2/3/test/4/object.jpg",
            "DOC-EXAMPLE-BUCKET/1///test///object.jpg",
            "DOC-EXAMPLE-BUCKET/1/test/.jpg",
            "DOC-EXAMPLE-BUCKET//test/object.jpg",
            "DOC-EXAMPLE-BUCKET/1/test/",
        ] {
            assert!(g.matches(yes), "{yes}");
        }
        for no in [
            "DOC-EXAMPLE-BUCKET/1-test/object.jpg",
            "DOC-EXAMPLE-BUCKET/test/object.jpg",
            "DOC-EXAMPLE-BUCKET/1/2/test.jpg",
        ] {
            assert!(!g.matches(no), "{no}");
        }
    }

    #[test]
    fn literal_pieces_are_not_wildcards() {
        let g = Glob::from_pieces(&[Piece::Text("a".into()), Piece::Lit("*?".into())], false);
        assert!(g.matches("a*?"));
        assert!(!g.matches("abc"));
    }

    #[test]
    fn lowercase_folding() {
        let g = Glob::new("S3:Get*", true);
        assert!(g.matches("s3:getobject"));
        assert!(!g.matches("s3:GetObject"), "caller must fold the text");
    }
}
