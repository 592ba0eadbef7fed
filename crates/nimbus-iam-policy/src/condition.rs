//! The `Condition` element: parsing operators (`StringEquals`, `ForAnyValue:StringLike`,
//! `DateLessThanIfExists`, `Null`...) and their values, and evaluating a block against a
//! request [`Context`]. This module owns operator semantics; it does not match actions or
//! resources and does not decide statement effects.
//!
//! Semantics, from <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html>
//! and <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_multi-value-conditions.html>:
//! - operators in a block, and keys under one operator, are ANDed; the values listed for one
//!   key are ORed — and for negated operators (`StringNotEquals`, `NotIpAddress`...) the
//!   result is the negation of that OR (a NOR: the request must match none of them);
//! - a key absent from the request makes a positive operator false and a negated one true,
//!   except `...IfExists` (absent → true) and `Null` (which tests presence);
//! - `ForAllValues:` is true when every request value matches (and when the key is absent
//!   or has no values); `ForAnyValue:` when at least one does (false when absent); with a
//!   negated operator the negation applies to each request value;
//! - key names are case-insensitive; values compare per operator (`StringEqualsIgnoreCase`
//!   folds case, everything else is case-sensitive);
//! - policy variables are allowed in `String*`, `Arn*` and `Bool` values only.
//!
//! A multivalued request key under an operator without a set qualifier is evaluated as
//! "some request value matches" (negated: "none does"). AWS tells you not to write that,
//! and this reading is the one that agrees with both single-value behaviour and the
//! qualifiers.

use crate::context::Context;
use crate::error::PolicyError;
use crate::glob::Glob;
use crate::json::Json;
use crate::matching::ArnPattern;
use crate::values::{parse_base64, parse_bool, parse_date, parse_number, Cidr, Instant};
use crate::variables::{pieces_to_string, Template};

/// `ForAllValues:` / `ForAnyValue:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetQualifier {
    ForAllValues,
    ForAnyValue,
}

/// The comparison an operator makes, before negation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Base {
    StringEquals,
    StringEqualsIgnoreCase,
    StringLike,
    NumericEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    /// `ArnEquals` and `ArnLike` "behave identically".
    ArnLike,
    Null,
}

/// `(name, base, negated)`; `StringNotEquals` is `StringEquals` negated, and so on.
const OPERATORS: &[(&str, Base, bool)] = &[
    ("StringEquals", Base::StringEquals, false),
    ("StringNotEquals", Base::StringEquals, true),
    (
        "StringEqualsIgnoreCase",
        Base::StringEqualsIgnoreCase,
        false,
    ),
    (
        "StringNotEqualsIgnoreCase",
        Base::StringEqualsIgnoreCase,
        true,
    ),
    ("StringLike", Base::StringLike, false),
    ("StringNotLike", Base::StringLike, true),
    ("NumericEquals", Base::NumericEquals, false),
    ("NumericNotEquals", Base::NumericEquals, true),
    ("NumericLessThan", Base::NumericLessThan, false),
    ("NumericLessThanEquals", Base::NumericLessThanEquals, false),
    ("NumericGreaterThan", Base::NumericGreaterThan, false),
    (
        "NumericGreaterThanEquals",
        Base::NumericGreaterThanEquals,
        false,
    ),
    ("DateEquals", Base::DateEquals, false),
    ("DateNotEquals", Base::DateEquals, true),
    ("DateLessThan", Base::DateLessThan, false),
    ("DateLessThanEquals", Base::DateLessThanEquals, false),
    ("DateGreaterThan", Base::DateGreaterThan, false),
    ("DateGreaterThanEquals", Base::DateGreaterThanEquals, false),
    ("Bool", Base::Bool, false),
    ("BinaryEquals", Base::BinaryEquals, false),
    ("IpAddress", Base::IpAddress, false),
    ("NotIpAddress", Base::IpAddress, true),
    ("ArnEquals", Base::ArnLike, false),
    ("ArnLike", Base::ArnLike, false),
    ("ArnNotEquals", Base::ArnLike, true),
    ("ArnNotLike", Base::ArnLike, true),
    ("Null", Base::Null, false),
];

/// A parsed condition operator such as `ForAnyValue:StringNotLikeIfExists`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operator {
    base: Base,
    negated: bool,
    if_exists: bool,
    qualifier: Option<SetQualifier>,
}

impl Operator {
    /// Reads an operator name; `None` for names IAM does not define (including
    /// `NullIfExists`: `IfExists` is allowed on "any condition operator name except the
    /// Null condition").
    pub fn parse(name: &str) -> Option<Operator> {
        let (qualifier, rest) = if let Some(r) = name.strip_prefix("ForAllValues:") {
            (Some(SetQualifier::ForAllValues), r)
        } else if let Some(r) = name.strip_prefix("ForAnyValue:") {
            (Some(SetQualifier::ForAnyValue), r)
        } else {
            (None, name)
        };
        let (if_exists, rest) = match rest.strip_suffix("IfExists") {
            Some(r) => (true, r),
            None => (false, rest),
        };
        let &(_, base, negated) = OPERATORS.iter().find(|(n, _, _)| *n == rest)?;
        if base == Base::Null && if_exists {
            return None;
        }
        Some(Operator {
            base,
            negated,
            if_exists,
            qualifier,
        })
    }

    pub fn qualifier(&self) -> Option<SetQualifier> {
        self.qualifier
    }

    pub fn is_negated(&self) -> bool {
        self.negated
    }

    pub fn if_exists(&self) -> bool {
        self.if_exists
    }
}

/// Policy-side values, typed by operator at parse time.
#[derive(Debug, Clone, PartialEq)]
enum Values {
    Strings(Vec<Template>),
    Bools(Vec<Template>),
    Arns(Vec<ArnPattern>),
    /// `None`: not a number; such a value never matches.
    Numbers(Vec<Option<f64>>),
    Dates(Vec<Instant>),
    Binaries(Vec<Option<Vec<u8>>>),
    Ips(Vec<Option<Cidr>>),
    Nulls(Vec<Option<bool>>),
}

/// One operator applied to one key, with the values listed for it.
#[derive(Debug, Clone, PartialEq)]
struct Clause {
    op: Operator,
    key: String,
    values: Values,
}

/// A statement's whole `Condition` element.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct ConditionBlock {
    clauses: Vec<Clause>,
}

impl ConditionBlock {
    /// Parses the element. Structural problems are syntax errors, returned at once;
    /// problems IAM reports as legacy-parsing failures (unreadable `Date*` values) go to
    /// `legacy`, because IAM reports them only when the document has no syntax error.
    pub(crate) fn from_json(
        json: &Json,
        variables: bool,
        legacy: &mut Option<PolicyError>,
    ) -> Result<ConditionBlock, PolicyError> {
        let Json::Object(ops) = json else {
            return Err(PolicyError::Syntax);
        };
        let mut clauses = Vec::new();
        for (name, keys) in ops {
            let Json::Object(keys) = keys else {
                return Err(PolicyError::Syntax);
            };
            let Some(op) = Operator::parse(name) else {
                // IAM accepts an unknown operator that tests nothing; it rejects one that
                // tests a key.
                if keys.is_empty() {
                    continue;
                }
                return Err(PolicyError::Syntax);
            };
            for (key, raw) in keys {
                let texts = scalar_list(raw).ok_or(PolicyError::Syntax)?;
                let values = typed_values(op.base, &texts, variables, legacy);
                clauses.push(Clause {
                    op,
                    key: key.to_ascii_lowercase(),
                    values,
                });
            }
        }
        Ok(ConditionBlock { clauses })
    }

    /// True when every clause holds for the request.
    pub(crate) fn matches(&self, ctx: &Context) -> bool {
        self.clauses.iter().all(|c| c.matches(ctx))
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.clauses.is_empty()
    }
}

/// A string, number or boolean, or a flat array of them.
fn scalar_list(v: &Json) -> Option<Vec<String>> {
    match v {
        Json::Array(items) => items.iter().map(Json::as_scalar_text).collect(),
        other => other.as_scalar_text().map(|s| vec![s]),
    }
}

fn typed_values(
    base: Base,
    texts: &[String],
    variables: bool,
    legacy: &mut Option<PolicyError>,
) -> Values {
    let templates = || {
        texts
            .iter()
            .map(|t| Template::parse(t, variables))
            .collect()
    };
    match base {
        Base::StringEquals | Base::StringEqualsIgnoreCase | Base::StringLike => {
            Values::Strings(templates())
        }
        Base::Bool => Values::Bools(templates()),
        Base::ArnLike => Values::Arns(
            texts
                .iter()
                .map(|t| ArnPattern::new(t, variables))
                .collect(),
        ),
        Base::NumericEquals
        | Base::NumericLessThan
        | Base::NumericLessThanEquals
        | Base::NumericGreaterThan
        | Base::NumericGreaterThanEquals => {
            Values::Numbers(texts.iter().map(|t| parse_number(t)).collect())
        }
        Base::DateEquals
        | Base::DateLessThan
        | Base::DateLessThanEquals
        | Base::DateGreaterThan
        | Base::DateGreaterThanEquals => Values::Dates(
            texts
                .iter()
                .filter_map(|t| {
                    let d = parse_date(t);
                    if d.is_none() && legacy.is_none() {
                        *legacy = Some(PolicyError::LegacyParsing);
                    }
                    d
                })
                .collect(),
        ),
        Base::BinaryEquals => Values::Binaries(texts.iter().map(|t| parse_base64(t)).collect()),
        Base::IpAddress => Values::Ips(texts.iter().map(|t| Cidr::parse(t)).collect()),
        Base::Null => Values::Nulls(texts.iter().map(|t| parse_bool(t)).collect()),
    }
}

/// Policy values made ready for one evaluation (variables substituted once, not once per
/// request value).
enum Prepared<'a> {
    Exact(Vec<String>),
    Folded(Vec<String>),
    Globs(Vec<Glob>),
    Bools(Vec<bool>),
    Arns(&'a [ArnPattern]),
    Numbers(&'a [Option<f64>]),
    Dates(&'a [Instant]),
    Binaries(&'a [Option<Vec<u8>>]),
    Ips(&'a [Option<Cidr>]),
}

impl Clause {
    fn matches(&self, ctx: &Context) -> bool {
        let present = ctx.get(&self.key).filter(|v| !v.is_empty());
        if let Values::Nulls(wanted) = &self.values {
            // "true (the key doesn't exist — it is null) or false (the key exists and its
            // value is not null)"
            return wanted.iter().any(|w| *w == Some(present.is_none()));
        }
        let Some(request_values) = present else {
            if self.op.if_exists {
                return true;
            }
            return match self.op.qualifier {
                Some(SetQualifier::ForAllValues) => true,
                Some(SetQualifier::ForAnyValue) => false,
                None => self.op.negated,
            };
        };
        let prepared = self.prepare(ctx);
        let hit = |v: &String| prepared.matches_any(self.op.base, v, ctx);
        match self.op.qualifier {
            None => request_values.iter().any(hit) != self.op.negated,
            Some(SetQualifier::ForAnyValue) => {
                request_values.iter().any(|v| hit(v) != self.op.negated)
            }
            Some(SetQualifier::ForAllValues) => {
                request_values.iter().all(|v| hit(v) != self.op.negated)
            }
        }
    }

    fn prepare(&self, ctx: &Context) -> Prepared<'_> {
        // A value whose variable has no value is dropped: it can equal nothing, so positive
        // operators fail on it and negated ones succeed (reference_policies_variables.html#policy-vars-no-value).
        let resolved =
            |ts: &[Template]| ts.iter().filter_map(|t| t.resolve(ctx)).collect::<Vec<_>>();
        match &self.values {
            Values::Strings(ts) => {
                let pieces = resolved(ts);
                match self.op.base {
                    Base::StringLike => Prepared::Globs(
                        pieces.iter().map(|p| Glob::from_pieces(p, false)).collect(),
                    ),
                    Base::StringEqualsIgnoreCase => Prepared::Folded(
                        pieces
                            .iter()
                            .map(|p| pieces_to_string(p).to_lowercase())
                            .collect(),
                    ),
                    _ => Prepared::Exact(pieces.iter().map(|p| pieces_to_string(p)).collect()),
                }
            }
            Values::Bools(ts) => Prepared::Bools(
                resolved(ts)
                    .iter()
                    .filter_map(|p| parse_bool(&pieces_to_string(p)))
                    .collect(),
            ),
            Values::Arns(a) => Prepared::Arns(a),
            Values::Numbers(n) => Prepared::Numbers(n),
            Values::Dates(d) => Prepared::Dates(d),
            Values::Binaries(b) => Prepared::Binaries(b),
            Values::Ips(i) => Prepared::Ips(i),
            Values::Nulls(_) => Prepared::Bools(Vec::new()),
        }
    }
}

impl Prepared<'_> {
    /// The positive (un-negated) comparison of one request value against the policy values.
    fn matches_any(&self, base: Base, v: &str, ctx: &Context) -> bool {
        match self {
            Prepared::Exact(ps) => ps.iter().any(|p| p == v),
            Prepared::Folded(ps) => {
                let v = v.to_lowercase();
                ps.contains(&v)
            }
            Prepared::Globs(gs) => gs.iter().any(|g| g.matches(v)),
            Prepared::Bools(bs) => parse_bool(v).is_some_and(|v| bs.contains(&v)),
            Prepared::Arns(ps) => ps.iter().any(|p| p.matches(v, ctx)),
            Prepared::Numbers(ns) => parse_number(v).is_some_and(|v| {
                ns.iter().flatten().any(|p| match base {
                    Base::NumericEquals => v == *p,
                    Base::NumericLessThan => v < *p,
                    Base::NumericLessThanEquals => v <= *p,
                    Base::NumericGreaterThan => v > *p,
                    _ => v >= *p,
                })
            }),
            Prepared::Dates(ds) => parse_date(v).is_some_and(|v| {
                ds.iter().any(|p| match base {
                    Base::DateEquals => v == *p,
                    Base::DateLessThan => v < *p,
                    Base::DateLessThanEquals => v <= *p,
                    Base::DateGreaterThan => v > *p,
                    _ => v >= *p,
                })
            }),
            // Request-side binary values are carried base64-encoded, like policy values.
            Prepared::Binaries(bs) => {
                parse_base64(v).is_some_and(|v| bs.iter().flatten().any(|p| *p == v))
            }
            Prepared::Ips(ns) => ns.iter().flatten().any(|n| n.contains(v)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_names() {
        let o = Operator::parse("ForAnyValue:StringNotLikeIfExists").unwrap();
        assert_eq!(o.qualifier(), Some(SetQualifier::ForAnyValue));
        assert!(o.is_negated() && o.if_exists());
        assert!(Operator::parse("ArnNotEquals").unwrap().is_negated());
        assert!(!Operator::parse("NumericLessThan").unwrap().is_negated());
        for bad in [
            "NullIfExists",
            "StringEqual",
            "stringequals",
            "ForSomeValues:StringEquals",
            "StringLikeIgnoreCase",
            "IfExists",
            "",
        ] {
            assert!(Operator::parse(bad).is_none(), "{bad}");
        }
        for name in OPERATORS
            .iter()
            .map(|(n, _, _)| *n)
            .filter(|n| *n != "Null")
        {
            assert!(
                Operator::parse(&format!("{name}IfExists")).is_some(),
                "{name}"
            );
            assert!(
                Operator::parse(&format!("ForAllValues:{name}")).is_some(),
                "{name}"
            );
        }
    }
}
