//! Subscription filter policies (`FilterPolicy`, `FilterPolicyScope`): which messages a
//! subscription receives. A policy is a JSON object; every key must match (AND), and a key
//! matches when any of the conditions in its array does (OR). Conditions: exact strings and
//! numbers, `prefix`, `suffix`, `equals-ignore-case`, `anything-but` (values, or a
//! `prefix`), `numeric` ranges, `exists`; `$or` combines alternative policies. With scope
//! `MessageAttributes` (the default) keys name message attributes (a `String.Array`
//! attribute matches if any element does); with `MessageBody` they name keys of the JSON
//! message, nested objects matching nested policies.

use serde_json::Value;

/// Checks a policy when it is set; the reason it is invalid.
pub fn validate(policy: &str) -> Result<(), String> {
    let v: Value = serde_json::from_str(policy).map_err(|_| "failed to parse JSON".to_string())?;
    check_object(&v, 0)
}

fn check_object(v: &Value, depth: usize) -> Result<(), String> {
    let obj = v.as_object().ok_or("the policy must be a JSON object")?;
    if depth > 5 {
        return Err("the policy is nested too deeply".into());
    }
    for (k, cond) in obj {
        if k == "$or" {
            let alts = cond.as_array().ok_or("$or takes an array of policies")?;
            for a in alts {
                check_object(a, depth + 1)?;
            }
            continue;
        }
        match cond {
            Value::Object(_) => check_object(cond, depth + 1)?,
            Value::Array(items) => {
                for item in items {
                    check_condition(item)?;
                }
            }
            _ => return Err(format!("the value of {k} must be an array or an object")),
        }
    }
    Ok(())
}

fn check_condition(c: &Value) -> Result<(), String> {
    match c {
        Value::String(_) | Value::Number(_) | Value::Null | Value::Bool(_) => Ok(()),
        Value::Object(o) => {
            let (op, arg) = o.iter().next().ok_or("empty condition")?;
            match op.as_str() {
                "prefix" | "suffix" | "equals-ignore-case" if arg.is_string() => Ok(()),
                "exists" if arg.is_boolean() => Ok(()),
                "anything-but" => Ok(()),
                "numeric" => {
                    let a = arg.as_array().ok_or("numeric takes an array")?;
                    if a.len() % 2 != 0 || a.is_empty() {
                        return Err("numeric takes operator/value pairs".into());
                    }
                    for pair in a.chunks(2) {
                        let op = pair[0].as_str().unwrap_or("");
                        if !["=", "<", "<=", ">", ">="].contains(&op) || !pair[1].is_number() {
                            return Err("numeric takes operator/value pairs".into());
                        }
                    }
                    Ok(())
                }
                other => Err(format!("unrecognized match type {other}")),
            }
        }
        Value::Array(_) => Err("nested arrays are not allowed".into()),
    }
}

/// One value the message has for a key: a string or a number.
#[derive(Clone, Debug, PartialEq)]
pub enum Field {
    Str(String),
    Num(f64),
}

/// Whether a message matches `policy` (already validated). `attributes` are the message
/// attributes as (name, type, value); `body` the message.
pub fn matches(
    policy: &str,
    scope_body: bool,
    attributes: &[(String, String, String)],
    body: &str,
) -> bool {
    let Ok(policy) = serde_json::from_str::<Value>(policy) else {
        return false;
    };
    if scope_body {
        let Ok(doc) = serde_json::from_str::<Value>(body) else {
            return false;
        };
        return matches_body(&policy, &doc);
    }
    let lookup = |key: &str| -> Option<Vec<Field>> {
        let (_, ty, v) = attributes.iter().find(|(n, _, _)| n == key)?;
        Some(match ty.as_str() {
            "Number" => vec![v.parse().map(Field::Num).unwrap_or(Field::Str(v.clone()))],
            "String.Array" => match serde_json::from_str::<Value>(v) {
                Ok(Value::Array(xs)) => xs.iter().filter_map(field_of).collect(),
                _ => vec![Field::Str(v.clone())],
            },
            _ => vec![Field::Str(v.clone())],
        })
    };
    matches_with(&policy, &lookup)
}

fn field_of(v: &Value) -> Option<Field> {
    match v {
        Value::String(s) => Some(Field::Str(s.clone())),
        Value::Number(n) => n.as_f64().map(Field::Num),
        Value::Bool(b) => Some(Field::Str(b.to_string())),
        _ => None,
    }
}

fn matches_with(policy: &Value, lookup: &dyn Fn(&str) -> Option<Vec<Field>>) -> bool {
    let Some(obj) = policy.as_object() else {
        return false;
    };
    obj.iter().all(|(k, cond)| {
        if k == "$or" {
            return cond
                .as_array()
                .is_some_and(|alts| alts.iter().any(|a| matches_with(a, lookup)));
        }
        let Some(conds) = cond.as_array() else {
            return false;
        };
        let values = lookup(k);
        conds.iter().any(|c| condition(c, values.as_deref()))
    })
}

fn matches_body(policy: &Value, doc: &Value) -> bool {
    let Some(obj) = policy.as_object() else {
        return false;
    };
    obj.iter().all(|(k, cond)| {
        if k == "$or" {
            return cond
                .as_array()
                .is_some_and(|alts| alts.iter().any(|a| matches_body(a, doc)));
        }
        let value = doc.get(k);
        match cond {
            Value::Object(_) => value.is_some_and(|v| matches_body(cond, v)),
            Value::Array(conds) => {
                let fields: Option<Vec<Field>> = value.map(|v| match v {
                    Value::Array(xs) => xs.iter().filter_map(field_of).collect(),
                    other => field_of(other).into_iter().collect(),
                });
                conds.iter().any(|c| condition(c, fields.as_deref()))
            }
            _ => false,
        }
    })
}

fn num_of(v: &Value) -> Option<f64> {
    v.as_f64()
}

fn condition(c: &Value, values: Option<&[Field]>) -> bool {
    let any = |f: &dyn Fn(&Field) -> bool| values.is_some_and(|vs| vs.iter().any(f));
    match c {
        Value::String(s) => any(&|f| matches!(f, Field::Str(x) if x == s)),
        Value::Number(n) => {
            let n = n.as_f64().unwrap_or(f64::NAN);
            any(&|f| matches!(f, Field::Num(x) if *x == n))
        }
        Value::Object(o) => {
            let Some((op, arg)) = o.iter().next() else {
                return false;
            };
            match op.as_str() {
                "exists" => arg.as_bool() == Some(values.is_some()),
                "prefix" => {
                    let p = arg.as_str().unwrap_or("");
                    any(&|f| matches!(f, Field::Str(x) if x.starts_with(p)))
                }
                "suffix" => {
                    let p = arg.as_str().unwrap_or("");
                    any(&|f| matches!(f, Field::Str(x) if x.ends_with(p)))
                }
                "equals-ignore-case" => {
                    let p = arg.as_str().unwrap_or("");
                    any(&|f| matches!(f, Field::Str(x) if x.eq_ignore_ascii_case(p)))
                }
                "anything-but" => {
                    let Some(vs) = values else { return false };
                    let excluded = |f: &Field| -> bool {
                        let hit = |e: &Value| match (e, f) {
                            (Value::String(s), Field::Str(x)) => s == x,
                            (Value::Number(n), Field::Num(x)) => n.as_f64() == Some(*x),
                            _ => false,
                        };
                        match arg {
                            Value::Array(es) => es.iter().any(hit),
                            Value::Object(p) => {
                                match (p.get("prefix").and_then(Value::as_str), f) {
                                    (Some(pre), Field::Str(x)) => x.starts_with(pre),
                                    _ => false,
                                }
                            }
                            e => hit(e),
                        }
                    };
                    vs.iter().any(|f| !excluded(f))
                }
                "numeric" => {
                    let Some(pairs) = arg.as_array() else {
                        return false;
                    };
                    any(&|f| {
                        let Field::Num(x) = f else { return false };
                        pairs.chunks(2).all(|p| {
                            let bound = p.get(1).and_then(num_of).unwrap_or(f64::NAN);
                            match p[0].as_str().unwrap_or("") {
                                "=" => *x == bound,
                                "<" => *x < bound,
                                "<=" => *x <= bound,
                                ">" => *x > bound,
                                ">=" => *x >= bound,
                                _ => false,
                            }
                        })
                    })
                }
                _ => false,
            }
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(v: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
        v.iter()
            .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
            .collect()
    }

    #[test]
    fn attribute_policies() {
        let m = attrs(&[
            ("store", "String", "example_corp"),
            ("event", "String", "order_placed"),
            ("price", "Number", "210.75"),
            ("tags", "String.Array", "[\"red\", \"blue\"]"),
        ]);
        let t = |p: &str| {
            validate(p).expect("valid");
            matches(p, false, &m, "")
        };
        assert!(t(r#"{"store": ["example_corp"]}"#));
        assert!(!t(r#"{"store": ["other"]}"#));
        assert!(t(
            r#"{"store": ["example_corp"], "event": [{"prefix": "order-"}, {"prefix": "order_"}]}"#
        ));
        assert!(t(r#"{"price": [{"numeric": [">", 100, "<=", 250]}]}"#));
        assert!(!t(r#"{"price": [{"numeric": ["<", 100]}]}"#));
        assert!(t(r#"{"tags": ["blue"]}"#));
        assert!(t(r#"{"event": [{"anything-but": ["order_cancelled"]}]}"#));
        assert!(!t(r#"{"event": [{"anything-but": "order_placed"}]}"#));
        assert!(t(r#"{"customer": [{"exists": false}]}"#));
        assert!(!t(r#"{"customer": [{"exists": true}]}"#));
        assert!(t(r#"{"store": [{"equals-ignore-case": "EXAMPLE_CORP"}]}"#));
        assert!(t(
            r#"{"$or": [{"store": ["x"]}, {"event": [{"suffix": "_placed"}]}]}"#
        ));
        assert!(validate(r#"{"store": "example_corp"}"#).is_err());
        assert!(validate(r#"{"price": [{"numeric": [">"]}]}"#).is_err());
        assert!(validate("[1]").is_err());
    }

    #[test]
    fn body_policies() {
        let body = r#"{"order": {"status": "shipped", "total": 42}, "region": "eu"}"#;
        assert!(matches(
            r#"{"order": {"status": ["shipped"]}}"#,
            true,
            &[],
            body
        ));
        assert!(matches(
            r#"{"order": {"total": [{"numeric": [">=", 42]}]}, "region": ["eu"]}"#,
            true,
            &[],
            body
        ));
        assert!(!matches(r#"{"region": ["us"]}"#, true, &[], body));
        assert!(!matches(r#"{"region": ["eu"]}"#, true, &[], "not json"));
    }
}
