//! CloudWatch metric math for `GetMetricData`: a parser and evaluator for the common forms —
//! numbers, query ids, `+ - * / ^`, unary minus, comparisons (`< <= > >= == !=`), `AND`/`OR`
//! (also `&&`/`||`), arrays `[m1, m2]`, and the functions `SUM`, `AVG`, `MIN`, `MAX`,
//! `METRICS()`, `FILL`, `RATE`, `DIFF`, `IF`, `ABS`, `CEIL`, `FLOOR`, `SQRT`, `LOG`, `LOG10`,
//! `PERIOD`. Values are scalars, time series (timestamp → value), or arrays of labelled
//! series, combined as AWS documents: a series with a scalar point by point, two series on
//! the timestamps both have, an array element-wise. Pure: `metric_data.rs` supplies the
//! series of the `MetricStat` queries and the period grid.

use std::collections::BTreeMap;

/// A time series: epoch milliseconds → value.
pub type Series = BTreeMap<i64, f64>;

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Scalar(f64),
    Series(Series),
    /// (label, series)
    Array(Vec<(String, Series)>),
}

#[derive(Clone, Debug, PartialEq)]
enum Expr {
    Num(f64),
    Id(String),
    Str(String),
    Neg(Box<Expr>),
    Bin(String, Box<Expr>, Box<Expr>),
    Call(String, Vec<Expr>),
    Array(Vec<Expr>),
}

/// What evaluating needs from the request.
pub trait Context {
    /// The value of another query by id.
    fn query(&self, id: &str) -> Result<Value, String>;
    /// Every `MetricStat` query's series with its label (for `METRICS()`).
    fn metrics(&self) -> Vec<(String, Series)>;
    /// The timestamps of the requested range at the expression's period.
    fn grid(&self) -> Vec<i64>;
    fn period_secs(&self) -> i64;
}

struct Parser<'a> {
    toks: Vec<Tok<'a>>,
    at: usize,
}

#[derive(Clone, Debug, PartialEq)]
enum Tok<'a> {
    Num(f64),
    Word(&'a str),
    Str(&'a str),
    Op(&'a str),
}

fn lex(s: &str) -> Result<Vec<Tok<'_>>, String> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c.is_ascii_digit() || (c == b'.' && b.get(i + 1).is_some_and(u8::is_ascii_digit))
        {
            let st = i;
            while i < b.len()
                && (b[i].is_ascii_digit() || b[i] == b'.' || b[i] == b'e' || b[i] == b'E')
            {
                i += 1;
            }
            out.push(Tok::Num(
                s[st..i]
                    .parse()
                    .map_err(|_| format!("Invalid number {}", &s[st..i]))?,
            ));
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let st = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            out.push(Tok::Word(&s[st..i]));
        } else if c == b'"' || c == b'\'' {
            let st = i + 1;
            i += 1;
            while i < b.len() && b[i] != c {
                i += 1;
            }
            if i >= b.len() {
                return Err("Unterminated string".into());
            }
            out.push(Tok::Str(&s[st..i]));
            i += 1;
        } else {
            let two = s.get(i..i + 2).unwrap_or("");
            if ["<=", ">=", "==", "!=", "&&", "||"].contains(&two) {
                out.push(Tok::Op(two));
                i += 2;
            } else if b"+-*/^()[],<>".contains(&c) {
                out.push(Tok::Op(&s[i..i + 1]));
                i += 1;
            } else {
                return Err(format!("Unexpected character '{}'", c as char));
            }
        }
    }
    Ok(out)
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<&Tok<'a>> {
        self.toks.get(self.at)
    }
    fn eat_op(&mut self, op: &str) -> bool {
        if self.peek() == Some(&Tok::Op(op)) {
            self.at += 1;
            true
        } else {
            false
        }
    }
    fn eat_word(&mut self, w: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Word(x)) if x.eq_ignore_ascii_case(w)) {
            self.at += 1;
            true
        } else {
            false
        }
    }
    fn or(&mut self) -> Result<Expr, String> {
        let mut l = self.and()?;
        while self.eat_op("||") || self.eat_word("OR") {
            l = Expr::Bin("||".into(), Box::new(l), Box::new(self.and()?));
        }
        Ok(l)
    }
    fn and(&mut self) -> Result<Expr, String> {
        let mut l = self.cmp()?;
        while self.eat_op("&&") || self.eat_word("AND") {
            l = Expr::Bin("&&".into(), Box::new(l), Box::new(self.cmp()?));
        }
        Ok(l)
    }
    fn cmp(&mut self) -> Result<Expr, String> {
        let l = self.add()?;
        for op in ["<=", ">=", "==", "!=", "<", ">"] {
            if self.eat_op(op) {
                return Ok(Expr::Bin(op.into(), Box::new(l), Box::new(self.add()?)));
            }
        }
        Ok(l)
    }
    fn add(&mut self) -> Result<Expr, String> {
        let mut l = self.mul()?;
        loop {
            let op = if self.eat_op("+") {
                "+"
            } else if self.eat_op("-") {
                "-"
            } else {
                return Ok(l);
            };
            l = Expr::Bin(op.into(), Box::new(l), Box::new(self.mul()?));
        }
    }
    fn mul(&mut self) -> Result<Expr, String> {
        let mut l = self.pow()?;
        loop {
            let op = if self.eat_op("*") {
                "*"
            } else if self.eat_op("/") {
                "/"
            } else {
                return Ok(l);
            };
            l = Expr::Bin(op.into(), Box::new(l), Box::new(self.pow()?));
        }
    }
    fn pow(&mut self) -> Result<Expr, String> {
        let l = self.unary()?;
        if self.eat_op("^") {
            return Ok(Expr::Bin("^".into(), Box::new(l), Box::new(self.pow()?)));
        }
        Ok(l)
    }
    fn unary(&mut self) -> Result<Expr, String> {
        if self.eat_op("-") {
            return Ok(Expr::Neg(Box::new(self.unary()?)));
        }
        self.atom()
    }
    fn list(&mut self, close: &str) -> Result<Vec<Expr>, String> {
        let mut items = Vec::new();
        if self.eat_op(close) {
            return Ok(items);
        }
        loop {
            items.push(self.or()?);
            if self.eat_op(close) {
                return Ok(items);
            }
            if !self.eat_op(",") {
                return Err(format!("Expected ',' or '{close}'"));
            }
        }
    }
    fn atom(&mut self) -> Result<Expr, String> {
        let t = self.peek().cloned().ok_or("Unexpected end of expression")?;
        self.at += 1;
        match t {
            Tok::Num(n) => Ok(Expr::Num(n)),
            Tok::Str(s) => Ok(Expr::Str(s.to_string())),
            Tok::Op("(") => {
                let e = self.or()?;
                if !self.eat_op(")") {
                    return Err("Expected ')'".into());
                }
                Ok(e)
            }
            Tok::Op("[") => Ok(Expr::Array(self.list("]")?)),
            Tok::Word(w) => {
                if self.eat_op("(") {
                    Ok(Expr::Call(w.to_ascii_uppercase(), self.list(")")?))
                } else {
                    Ok(Expr::Id(w.to_string()))
                }
            }
            Tok::Op(o) => Err(format!("Unexpected '{o}'")),
        }
    }
}

/// Parses an expression; the ids it refers to are checked when it is evaluated.
pub fn parse(s: &str) -> Result<ExprTree, String> {
    let toks = lex(s)?;
    let mut p = Parser { toks, at: 0 };
    let e = p.or()?;
    if p.at != p.toks.len() {
        return Err("Unexpected tokens after the expression".into());
    }
    Ok(ExprTree(e))
}

/// A parsed expression.
#[derive(Clone, Debug, PartialEq)]
pub struct ExprTree(Expr);

impl ExprTree {
    /// The query ids the expression reads (for ordering and cycle checks).
    pub fn ids(&self) -> Vec<String> {
        fn walk(e: &Expr, out: &mut Vec<String>) {
            match e {
                Expr::Id(i) => out.push(i.clone()),
                Expr::Neg(x) => walk(x, out),
                Expr::Bin(_, a, b) => {
                    walk(a, out);
                    walk(b, out);
                }
                Expr::Call(_, xs) | Expr::Array(xs) => xs.iter().for_each(|x| walk(x, out)),
                _ => {}
            }
        }
        let mut out = Vec::new();
        walk(&self.0, &mut out);
        out
    }

    pub fn eval(&self, ctx: &dyn Context) -> Result<Value, String> {
        eval(&self.0, ctx)
    }
}

fn bool_f(b: bool) -> f64 {
    if b {
        1.0
    } else {
        0.0
    }
}

fn apply(op: &str, a: f64, b: f64) -> f64 {
    match op {
        "+" => a + b,
        "-" => a - b,
        "*" => a * b,
        "/" => a / b,
        "^" => a.powf(b),
        "<" => bool_f(a < b),
        "<=" => bool_f(a <= b),
        ">" => bool_f(a > b),
        ">=" => bool_f(a >= b),
        "==" => bool_f(a == b),
        "!=" => bool_f(a != b),
        "&&" => bool_f(a != 0.0 && b != 0.0),
        _ => bool_f(a != 0.0 || b != 0.0),
    }
}

fn zip(op: &str, a: &Series, b: &Series) -> Series {
    a.iter()
        .filter_map(|(t, x)| b.get(t).map(|y| (*t, apply(op, *x, *y))))
        .collect()
}

fn binary(op: &str, a: Value, b: Value) -> Result<Value, String> {
    use Value::*;
    Ok(match (a, b) {
        (Scalar(x), Scalar(y)) => Scalar(apply(op, x, y)),
        (Series(s), Scalar(y)) => {
            Series(s.into_iter().map(|(t, x)| (t, apply(op, x, y))).collect())
        }
        (Scalar(x), Series(s)) => {
            Series(s.into_iter().map(|(t, y)| (t, apply(op, x, y))).collect())
        }
        (Series(a), Series(b)) => Series(zip(op, &a, &b)),
        (Array(xs), other) => Array(
            xs.into_iter()
                .map(|(l, s)| match binary(op, Series(s), other.clone())? {
                    Series(r) => Ok((l, r)),
                    _ => Err("Arrays of arrays are not supported".to_string()),
                })
                .collect::<Result<_, _>>()?,
        ),
        (other, Array(ys)) => Array(
            ys.into_iter()
                .map(|(l, s)| match binary(op, other.clone(), Series(s))? {
                    Series(r) => Ok((l, r)),
                    _ => Err("Arrays of arrays are not supported".to_string()),
                })
                .collect::<Result<_, _>>()?,
        ),
    })
}

fn map_values(v: Value, f: &dyn Fn(f64) -> f64) -> Value {
    match v {
        Value::Scalar(x) => Value::Scalar(f(x)),
        Value::Series(s) => Value::Series(s.into_iter().map(|(t, x)| (t, f(x))).collect()),
        Value::Array(xs) => Value::Array(
            xs.into_iter()
                .map(|(l, s)| (l, s.into_iter().map(|(t, x)| (t, f(x))).collect()))
                .collect(),
        ),
    }
}

fn map_series(v: Value, f: &dyn Fn(&Series) -> Series) -> Result<Value, String> {
    match v {
        Value::Series(s) => Ok(Value::Series(f(&s))),
        Value::Array(xs) => Ok(Value::Array(
            xs.into_iter().map(|(l, s)| (l, f(&s))).collect(),
        )),
        Value::Scalar(_) => Err("expects a time series".into()),
    }
}

/// SUM/AVG/MIN/MAX: of an array, a series (point by point across the array); of a single
/// series, a scalar.
fn reduce(name: &str, v: Value) -> Result<Value, String> {
    let fold = |xs: &[f64]| -> f64 {
        match name {
            "SUM" => xs.iter().sum(),
            "AVG" => xs.iter().sum::<f64>() / xs.len() as f64,
            "MIN" => xs.iter().copied().fold(f64::INFINITY, f64::min),
            _ => xs.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        }
    };
    match v {
        Value::Scalar(x) => Ok(Value::Scalar(x)),
        Value::Series(s) => {
            let xs: Vec<f64> = s.values().copied().collect();
            Ok(Value::Scalar(if xs.is_empty() {
                f64::NAN
            } else {
                fold(&xs)
            }))
        }
        Value::Array(items) => {
            let mut by_t: BTreeMap<i64, Vec<f64>> = BTreeMap::new();
            for (_, s) in &items {
                for (t, x) in s {
                    by_t.entry(*t).or_default().push(*x);
                }
            }
            Ok(Value::Series(
                by_t.into_iter().map(|(t, xs)| (t, fold(&xs))).collect(),
            ))
        }
    }
}

fn pairwise(s: &Series, f: &dyn Fn(f64, f64, f64) -> f64) -> Series {
    let pts: Vec<(i64, f64)> = s.iter().map(|(t, x)| (*t, *x)).collect();
    pts.windows(2)
        .map(|w| (w[1].0, f(w[0].1, w[1].1, (w[1].0 - w[0].0) as f64 / 1000.0)))
        .collect()
}

fn eval(e: &Expr, ctx: &dyn Context) -> Result<Value, String> {
    match e {
        Expr::Num(n) => Ok(Value::Scalar(*n)),
        Expr::Str(_) => Err("A string is only valid as METRICS' argument".into()),
        Expr::Id(id) => ctx.query(id),
        Expr::Neg(x) => Ok(map_values(eval(x, ctx)?, &|v| -v)),
        Expr::Bin(op, a, b) => binary(op, eval(a, ctx)?, eval(b, ctx)?),
        Expr::Array(items) => {
            let mut out = Vec::new();
            for (i, x) in items.iter().enumerate() {
                let label = match x {
                    Expr::Id(id) => id.clone(),
                    _ => format!("[{i}]"),
                };
                match eval(x, ctx)? {
                    Value::Series(s) => out.push((label, s)),
                    Value::Array(xs) => out.extend(xs),
                    Value::Scalar(_) => return Err("An array holds time series only".into()),
                }
            }
            Ok(Value::Array(out))
        }
        Expr::Call(name, args) => call(name, args, ctx),
    }
}

fn call(name: &str, args: &[Expr], ctx: &dyn Context) -> Result<Value, String> {
    let arity = |n: usize| -> Result<(), String> {
        if args.len() == n {
            Ok(())
        } else {
            Err(format!("{name} takes {n} argument(s)"))
        }
    };
    match name {
        "METRICS" => {
            let filter = match args {
                [] => None,
                [Expr::Str(s)] => Some(s.clone()),
                _ => return Err("METRICS takes no argument or one string".into()),
            };
            Ok(Value::Array(
                ctx.metrics()
                    .into_iter()
                    .filter(|(l, _)| filter.as_ref().is_none_or(|f| l.contains(f.as_str())))
                    .collect(),
            ))
        }
        "SUM" | "AVG" | "MIN" | "MAX" => {
            arity(1)?;
            reduce(name, eval(&args[0], ctx)?)
        }
        "ABS" | "CEIL" | "FLOOR" | "SQRT" | "LOG" | "LOG10" => {
            arity(1)?;
            let f: fn(f64) -> f64 = match name {
                "ABS" => f64::abs,
                "CEIL" => f64::ceil,
                "FLOOR" => f64::floor,
                "SQRT" => f64::sqrt,
                "LOG" => f64::ln,
                _ => f64::log10,
            };
            Ok(map_values(eval(&args[0], ctx)?, &f))
        }
        "PERIOD" => {
            arity(1)?;
            eval(&args[0], ctx)?;
            Ok(Value::Scalar(ctx.period_secs() as f64))
        }
        "DIFF" => {
            arity(1)?;
            map_series(eval(&args[0], ctx)?, &|s| pairwise(s, &|a, b, _| b - a))
        }
        "RATE" => {
            arity(1)?;
            map_series(eval(&args[0], ctx)?, &|s| {
                pairwise(s, &|a, b, dt| (b - a) / dt)
            })
        }
        "FILL" => {
            arity(2)?;
            let v = eval(&args[0], ctx)?;
            let grid = ctx.grid();
            let how = match &args[1] {
                Expr::Id(w) if w.eq_ignore_ascii_case("REPEAT") => Fill::Repeat,
                Expr::Id(w) if w.eq_ignore_ascii_case("LINEAR") => Fill::Linear,
                other => match eval(other, ctx)? {
                    Value::Scalar(x) => Fill::Value(x),
                    _ => {
                        return Err(
                            "FILL's second argument must be a number, REPEAT or LINEAR".into()
                        )
                    }
                },
            };
            map_series(v, &|s| fill(s, &grid, &how))
        }
        "IF" => {
            if args.len() != 2 && args.len() != 3 {
                return Err("IF takes 2 or 3 arguments".into());
            }
            let cond = eval(&args[0], ctx)?;
            let then = eval(&args[1], ctx)?;
            let otherwise = args.get(2).map(|e| eval(e, ctx)).transpose()?;
            if_series(cond, then, otherwise)
        }
        other => Err(format!("Unsupported function {other}")),
    }
}

enum Fill {
    Value(f64),
    Repeat,
    Linear,
}

fn fill(s: &Series, grid: &[i64], how: &Fill) -> Series {
    let mut out = Series::new();
    for t in grid {
        if let Some(x) = s.get(t) {
            out.insert(*t, *x);
            continue;
        }
        let before = s.range(..t).next_back();
        let after = s.range(t..).next();
        let v = match how {
            Fill::Value(x) => Some(*x),
            Fill::Repeat => before.or(after).map(|(_, x)| *x),
            Fill::Linear => match (before, after) {
                (Some((t0, x0)), Some((t1, x1))) => {
                    Some(x0 + (x1 - x0) * ((t - t0) as f64 / (t1 - t0) as f64))
                }
                (Some((_, x)), None) | (None, Some((_, x))) => Some(*x),
                _ => None,
            },
        };
        if let Some(v) = v {
            out.insert(*t, v);
        }
    }
    out
}

fn if_series(cond: Value, then: Value, otherwise: Option<Value>) -> Result<Value, String> {
    let Value::Series(c) = cond else {
        return Err("IF's condition must be a time series".into());
    };
    let at = |v: &Value, t: i64| -> Option<f64> {
        match v {
            Value::Scalar(x) => Some(*x),
            Value::Series(s) => s.get(&t).copied(),
            Value::Array(_) => None,
        }
    };
    let mut out = Series::new();
    for (t, c) in &c {
        let v = if *c != 0.0 {
            at(&then, *t)
        } else {
            otherwise.as_ref().and_then(|o| at(o, *t))
        };
        if let Some(v) = v {
            out.insert(*t, v);
        }
    }
    Ok(Value::Series(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Ctx;
    fn s(points: &[(i64, f64)]) -> Series {
        points.iter().copied().collect()
    }
    impl Context for Ctx {
        fn query(&self, id: &str) -> Result<Value, String> {
            match id {
                "m1" => Ok(Value::Series(s(&[(0, 1.0), (60_000, 2.0), (180_000, 4.0)]))),
                "m2" => Ok(Value::Series(s(&[
                    (0, 10.0),
                    (60_000, 20.0),
                    (120_000, 30.0),
                ]))),
                o => Err(format!("Unknown id {o}")),
            }
        }
        fn metrics(&self) -> Vec<(String, Series)> {
            ["m1", "m2"]
                .iter()
                .map(|i| match self.query(i) {
                    Ok(Value::Series(x)) => (i.to_string(), x),
                    _ => unreachable!(),
                })
                .collect()
        }
        fn grid(&self) -> Vec<i64> {
            vec![0, 60_000, 120_000, 180_000]
        }
        fn period_secs(&self) -> i64 {
            60
        }
    }

    fn ev(e: &str) -> Value {
        parse(e).expect("parse").eval(&Ctx).expect("eval")
    }

    #[test]
    fn arithmetic_functions_and_conditions() {
        assert_eq!(ev("1 + 2 * 3 ^ 2"), Value::Scalar(19.0));
        assert_eq!(ev("-(2 - 5)"), Value::Scalar(3.0));
        assert_eq!(
            ev("m1 * 100"),
            Value::Series(s(&[(0, 100.0), (60_000, 200.0), (180_000, 400.0)]))
        );
        assert_eq!(
            ev("m1 + m2"),
            Value::Series(s(&[(0, 11.0), (60_000, 22.0)]))
        );
        assert_eq!(
            ev("SUM(METRICS())"),
            Value::Series(s(&[
                (0, 11.0),
                (60_000, 22.0),
                (120_000, 30.0),
                (180_000, 4.0)
            ]))
        );
        assert_eq!(ev("MAX(m2)"), Value::Scalar(30.0));
        assert_eq!(
            ev("AVG([m1, m2])"),
            Value::Series(s(&[
                (0, 5.5),
                (60_000, 11.0),
                (120_000, 30.0),
                (180_000, 4.0)
            ]))
        );
        assert_eq!(
            ev("DIFF(m2)"),
            Value::Series(s(&[(60_000, 10.0), (120_000, 10.0)]))
        );
        assert_eq!(
            ev("RATE(m2)"),
            Value::Series(s(&[(60_000, 10.0 / 60.0), (120_000, 10.0 / 60.0)]))
        );
        assert_eq!(
            ev("FILL(m1, 0)"),
            Value::Series(s(&[
                (0, 1.0),
                (60_000, 2.0),
                (120_000, 0.0),
                (180_000, 4.0)
            ]))
        );
        assert_eq!(ev("FILL(m1, REPEAT)")[120_000], 2.0);
        assert_eq!(ev("FILL(m1, LINEAR)")[120_000], 3.0);
        assert_eq!(
            ev("IF(m2 > 15, 1, 0)"),
            Value::Series(s(&[(0, 0.0), (60_000, 1.0), (120_000, 1.0)]))
        );
        assert_eq!(
            ev("IF(m2 > 15 AND m2 < 25, m2)"),
            Value::Series(s(&[(60_000, 20.0)]))
        );
        assert_eq!(ev("PERIOD(m1)"), Value::Scalar(60.0));
        match ev("METRICS('m2') * 2") {
            Value::Array(xs) => assert_eq!(
                xs,
                vec![(
                    "m2".to_string(),
                    s(&[(0, 20.0), (60_000, 40.0), (120_000, 60.0)])
                )]
            ),
            other => panic!("{other:?}"),
        }
        assert!(parse("m1 +").is_err());
        assert!(parse("NOPE(m1)").unwrap().eval(&Ctx).is_err());
        assert!(parse("m9").unwrap().eval(&Ctx).is_err());
    }

    impl std::ops::Index<i64> for Value {
        type Output = f64;
        fn index(&self, t: i64) -> &f64 {
            match self {
                Value::Series(s) => &s[&t],
                _ => panic!("not a series"),
            }
        }
    }
}
