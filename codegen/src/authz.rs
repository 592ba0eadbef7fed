//! Authorization facts: `codegen/authorization/<model>.json`, one file per service, saying
//! for every implemented operation which IAM actions it needs, on which resources, with
//! which service condition keys (AWS's Service Authorization Reference, "Actions,
//! resources, and condition keys for …", is the source; each file names its pages in
//! `_source`). This module reads and checks a file against the botocore model and emits
//! the `mod access` of `generated.rs`: one function per implemented operation building the
//! `Vec<nimbus_core::Access>` the `Router` hands to the authorizer.
//!
//! ```json
//! { "_source": "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html",
//!   "ListObjectsV2": [ {"action": "s3:ListBucket", "resources": ["arn:${Partition}:s3:::${Bucket}"],
//!                       "conditions": {"s3:prefix": "${Prefix}"}} ],
//!   "GetCallerIdentity": [] }
//! ```
//! Keys starting with `_` are notes. Placeholders: `${Partition}` (`aws`), `${Region}` (the
//! request's), `${Account}` (the caller's; every Nimbus resource is in the caller's
//! account), and `${Member}` / `${Member.Nested.Leaf}`: a member of the operation's input
//! by its botocore name, walking through structures and lists of structures
//! (`${Delete.Objects.Key}` is every key of an S3 `DeleteObjects`), ending at a string,
//! number, boolean or timestamp, or a list of those. A template expands once per value; a
//! template with an absent member yields nothing, and an entry whose templates all yield
//! nothing gets `*`. A condition whose member is absent is left out. `[]` means the
//! operation needs no permission.

use crate::botocore::{Model, ShapeDef};
use crate::json::Json;
use crate::naming::{field_name, unique};
use std::collections::{BTreeMap, BTreeSet};

/// A service's facts: operation name → the accesses it needs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Facts {
    pub ops: BTreeMap<String, Vec<Entry>>,
}

/// One required action.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub action: String,
    pub resources: Vec<Template>,
    /// In file order.
    pub conditions: Vec<(String, Template)>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Piece {
    Lit(String),
    Region,
    Account,
    /// Path of botocore member names from the input shape.
    Member(Vec<String>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Template(pub Vec<Piece>);

/// Splits `arn:${Partition}:s3:::${Bucket}` into pieces; `${Partition}` becomes `aws`.
pub fn parse_template(t: &str) -> Result<Template, String> {
    let mut pieces: Vec<Piece> = Vec::new();
    let mut lit = String::new();
    let mut rest = t;
    while let Some(start) = rest.find("${") {
        lit.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| format!("unclosed `${{` in template {t:?}"))?;
        let name = &after[..end];
        rest = &after[end + 1..];
        let piece = match name {
            // Nimbus is one partition; policies written for AWS's commercial partition match.
            "Partition" => {
                lit.push_str("aws");
                continue;
            }
            "Region" => Piece::Region,
            "Account" => Piece::Account,
            _ => {
                let path: Vec<String> = name.split('.').map(str::to_string).collect();
                if path.iter().any(|p| {
                    p.is_empty() || !p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                }) {
                    return Err(format!("bad placeholder ${{{name}}} in template {t:?}"));
                }
                Piece::Member(path)
            }
        };
        if !lit.is_empty() {
            pieces.push(Piece::Lit(std::mem::take(&mut lit)));
        }
        pieces.push(piece);
    }
    lit.push_str(rest);
    if !lit.is_empty() {
        pieces.push(Piece::Lit(lit));
    }
    if pieces.is_empty() {
        return Err("empty template".to_string());
    }
    Ok(Template(pieces))
}

/// Parses a facts file. `what` names it in errors.
pub fn parse(text: &str, what: &str) -> Result<Facts, String> {
    let root = Json::parse(text).map_err(|e| format!("{what}: {e}"))?;
    let entries = root
        .as_obj()
        .ok_or_else(|| format!("{what}: the top level must be an object"))?;
    let mut facts = Facts::default();
    let mut has_source = false;
    for (op, list) in entries {
        if let Some(note) = op.strip_prefix('_') {
            has_source |= note == "source";
            continue;
        }
        let list = list
            .as_arr()
            .ok_or_else(|| format!("{what}: {op} must be a list of accesses"))?;
        let mut out = Vec::new();
        for e in list {
            out.push(parse_entry(e).map_err(|err| format!("{what}: {op}: {err}"))?);
        }
        if facts.ops.insert(op.clone(), out).is_some() {
            return Err(format!("{what}: {op} is listed twice"));
        }
    }
    if !has_source {
        return Err(format!(
            "{what}: `_source` must name the Service Authorization Reference page(s) used"
        ));
    }
    Ok(facts)
}

fn parse_entry(e: &Json) -> Result<Entry, String> {
    let fields = e.as_obj().ok_or("an access must be an object")?;
    for (k, _) in fields {
        if !matches!(k.as_str(), "action" | "resources" | "conditions") && !k.starts_with('_') {
            return Err(format!("unknown field `{k}`"));
        }
    }
    let action = e.str_at("action")?.ok_or("an access needs an `action`")?;
    let valid_action = action.split_once(':').is_some_and(|(p, n)| {
        !p.is_empty()
            && !n.is_empty()
            && p.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && n.chars().all(|c| c.is_ascii_alphanumeric())
    });
    if !valid_action {
        return Err(format!("action {action:?} is not `<prefix>:<Name>`"));
    }
    let resources = e
        .get("resources")
        .and_then(Json::as_arr)
        .ok_or("an access needs `resources` (use [\"*\"] for none)")?
        .iter()
        .map(|r| {
            r.as_str()
                .ok_or_else(|| "resources are strings".to_string())
                .and_then(parse_template)
        })
        .collect::<Result<Vec<_>, _>>()?;
    if resources.is_empty() {
        return Err("`resources` is empty (use [\"*\"])".to_string());
    }
    let mut conditions = Vec::new();
    if let Some(c) = e.get("conditions") {
        for (key, t) in c.as_obj().ok_or("`conditions` must be an object")? {
            let t = t
                .as_str()
                .ok_or_else(|| format!("condition {key} must be a template string"))?;
            conditions.push((key.clone(), parse_template(t)?));
        }
    }
    Ok(Entry {
        action,
        resources,
        conditions,
    })
}

/// Checks `facts` against the implemented operations: every one needs an entry, and every
/// entry must name an operation of the model.
pub fn check_coverage(
    facts: &Facts,
    model: &Model,
    implemented: &[String],
    what: &str,
) -> Result<(), String> {
    let unknown: Vec<&str> = facts
        .ops
        .keys()
        .filter(|op| !model.operations.contains_key(*op))
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        return Err(format!(
            "{what} names operations the model does not have: {}",
            unknown.join(", ")
        ));
    }
    let missing: Vec<&str> = implemented
        .iter()
        .filter(|op| !facts.ops.contains_key(*op))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "{what} has no entry for these implemented operations: {} \
             (write their actions, resources and condition keys from the Service \
             Authorization Reference; `[]` only for an operation AWS says needs no permission)",
            missing.join(", ")
        ));
    }
    Ok(())
}

/// Rust field names of a structure's members, in member order (the same names
/// `generated.rs` declares).
pub fn field_names(s: &ShapeDef) -> Vec<String> {
    let mut taken = BTreeSet::new();
    s.members
        .iter()
        .map(|m| unique(field_name(&m.name), &mut taken))
        .collect()
}

const SCALARS: &[&str] = &[
    "string",
    "integer",
    "long",
    "boolean",
    "float",
    "double",
    "timestamp",
];

/// Emits statements that push the values of `path` (walked from the structure `shape`,
/// reached as the expression `expr`) into the `Vec<String>` named `out`.
fn path_code(
    model: &Model,
    shape: &ShapeDef,
    path: &[String],
    expr: &str,
    out: &str,
    depth: usize,
) -> Result<String, String> {
    let (first, rest) = path.split_first().ok_or("empty member path")?;
    let i = shape
        .members
        .iter()
        .position(|m| &m.name == first)
        .ok_or_else(|| format!("{} has no member {first}", shape.name))?;
    let member = &shape.members[i];
    let field = format!("{expr}.{}", field_names(shape)[i]);
    let required = shape.required.contains(first);
    let target = &model.shapes[&member.shape];
    let list_item = target
        .list_member
        .as_ref()
        .filter(|_| target.ty == "list")
        .map(|r| &model.shapes[&r.shape]);
    if rest.is_empty() {
        let leaf_ok = SCALARS.contains(&target.ty.as_str())
            || list_item.is_some_and(|t| SCALARS.contains(&t.ty.as_str()));
        if !leaf_ok {
            return Err(format!(
                "{}.{first} is a {} ({}); a placeholder must end at a string, number, boolean \
                 or timestamp, or a list of them",
                shape.name, target.ty, member.shape
            ));
        }
        return Ok(format!("{field}.push_values(&mut {out});\n"));
    }
    let x = format!("x{depth}");
    let (binding, inner) = match (target.ty.as_str(), list_item) {
        ("structure", _) => ("", target),
        ("list", Some(item)) if item.ty == "structure" => ("for", item),
        _ => {
            return Err(format!(
                "{}.{first} is a {}; only structures and lists of structures can be walked into",
                shape.name, target.ty
            ))
        }
    };
    let body = path_code(model, inner, rest, &x, out, depth + 1)?;
    Ok(match (binding, required) {
        ("for", true) => format!("for {x} in &{field} {{\n{body}}}\n"),
        ("for", false) => format!("if let Some(l) = &{field} {{\nfor {x} in l {{\n{body}}}\n}}\n"),
        (_, true) => format!("{{\nlet {x} = &{field};\n{body}}}\n"),
        (_, false) => format!("if let Some({x}) = &{field} {{\n{body}}}\n"),
    })
}

fn lit(s: &str) -> String {
    format!("{s:?}")
}

/// The `&[Part]` expression for a template, with member values in the variables `vars`
/// assigned.
fn parts(t: &Template, vars: &BTreeMap<Vec<String>, String>) -> String {
    let ps: Vec<String> =
        t.0.iter()
            .map(|p| match p {
                Piece::Lit(s) => format!("Lit({})", lit(s)),
                Piece::Region => "Lit(&ctx.region)".to_string(),
                Piece::Account => "Lit(ctx.account_id())".to_string(),
                Piece::Member(path) => format!("Each(&{})", vars[path]),
            })
            .collect();
    format!("&[{}]", ps.join(", "))
}

/// One `pub fn <method>(ctx, input) -> Vec<Access>` for operation `op`, whose input is the
/// structure `input` (Rust type `input_ty`), or `None` when it has no input.
pub fn access_fn(
    model: &Model,
    op: &str,
    method: &str,
    input: Option<(&ShapeDef, &str)>,
    entries: &[Entry],
) -> Result<String, String> {
    let mut out = String::new();
    let mut doc = format!("/// `{op}`: ");
    if entries.is_empty() {
        doc += "needs no permission.";
    } else {
        doc += &entries
            .iter()
            .map(|e| format!("`{}`", e.action))
            .collect::<Vec<_>>()
            .join(", ");
        doc += ".";
    }
    out += &doc;
    out += "\n";
    let uses_ctx = entries.iter().any(|e| {
        e.resources
            .iter()
            .chain(e.conditions.iter().map(|(_, t)| t))
            .any(|t| {
                t.0.iter()
                    .any(|p| matches!(p, Piece::Region | Piece::Account))
            })
    });
    let mut paths: BTreeSet<Vec<String>> = BTreeSet::new();
    for e in entries {
        for t in e
            .resources
            .iter()
            .chain(e.conditions.iter().map(|(_, t)| t))
        {
            for p in &t.0 {
                if let Piece::Member(path) = p {
                    paths.insert(path.clone());
                }
            }
        }
    }
    let ctx_arg = if uses_ctx { "ctx" } else { "_ctx" };
    match input {
        Some((_, ty)) => {
            let input_arg = if paths.is_empty() { "_input" } else { "input" };
            out += &format!(
                "pub fn {method}({ctx_arg}: &RequestContext, {input_arg}: &{ty}) -> Vec<Access> {{\n"
            )
        }
        None => out += &format!("pub fn {method}({ctx_arg}: &RequestContext) -> Vec<Access> {{\n"),
    }
    if entries.is_empty() {
        out += "Vec::new()\n}\n\n";
        return Ok(out);
    }
    let mut vars = BTreeMap::new();
    for (i, path) in paths.iter().enumerate() {
        let (shape, _) = input.ok_or_else(|| {
            format!(
                "{op} has no input, so ${{{}}} cannot be filled",
                path.join(".")
            )
        })?;
        let var = format!("v{i}");
        let code = path_code(model, shape, path, "input", &var, 0)
            .map_err(|e| format!("{op}: ${{{}}}: {e}", path.join(".")))?;
        out += &format!("let mut {var}: Vec<String> = Vec::new();\n{code}");
        vars.insert(path.clone(), var);
    }
    out += "vec![\n";
    for e in entries {
        out += "{\nlet mut r = Vec::new();\n";
        for t in &e.resources {
            out += &format!("expand({}, &mut r);\n", parts(t, &vars));
        }
        out += if e.conditions.is_empty() {
            "let c = Vec::new();\n"
        } else {
            "let mut c = Vec::new();\n"
        };
        for (k, t) in &e.conditions {
            out += &format!("condition(&mut c, {}, {});\n", lit(k), parts(t, &vars));
        }
        out += &format!(
            "Access {{ action: {}, resources: resources_or_star(r), conditions: c }}\n}},\n",
            lit(&e.action)
        );
    }
    out += "]\n}\n\n";
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_split_into_literals_and_placeholders() {
        let t =
            parse_template("arn:${Partition}:ec2:${Region}:${Account}:security-group/${GroupId}")
                .unwrap();
        assert_eq!(
            t.0,
            [
                Piece::Lit("arn:aws:ec2:".into()),
                Piece::Region,
                Piece::Lit(":".into()),
                Piece::Account,
                Piece::Lit(":security-group/".into()),
                Piece::Member(vec!["GroupId".into()]),
            ]
        );
        assert_eq!(parse_template("*").unwrap().0, [Piece::Lit("*".into())]);
        assert_eq!(
            parse_template("${Delete.Objects.Key}").unwrap().0,
            [Piece::Member(vec![
                "Delete".into(),
                "Objects".into(),
                "Key".into()
            ])]
        );
        assert!(parse_template("arn:${Bucket").is_err());
        assert!(parse_template("${a b}").is_err());
        assert!(parse_template("${A..B}").is_err());
        assert!(parse_template("").is_err());
    }

    #[test]
    fn files_need_a_source_and_well_formed_entries() {
        let ok = r#"{"_source": "https://example", "Get": [{"action": "x:Get", "resources": ["*"]}], "Who": []}"#;
        let f = parse(ok, "x.json").unwrap();
        assert_eq!(f.ops["Who"], []);
        assert_eq!(f.ops["Get"][0].action, "x:Get");
        for (bad, needle) in [
            (r#"{"Get": []}"#, "_source"),
            (
                r#"{"_source": "s", "Get": [{"resources": ["*"]}]}"#,
                "action",
            ),
            (
                r#"{"_source": "s", "Get": [{"action": "Get", "resources": ["*"]}]}"#,
                "<prefix>",
            ),
            (
                r#"{"_source": "s", "Get": [{"action": "x:Get"}]}"#,
                "resources",
            ),
            (
                r#"{"_source": "s", "Get": [{"action": "x:Get", "resources": []}]}"#,
                "empty",
            ),
            (
                r#"{"_source": "s", "Get": [{"action": "x:Get", "resources": ["*"], "when": 1}]}"#,
                "when",
            ),
            (
                r#"{"_source": "s", "Get": [{"action": "x:Get", "resources": ["*"], "conditions": {"k": 1}}]}"#,
                "template",
            ),
        ] {
            let e = parse(bad, "x.json").unwrap_err();
            assert!(e.contains(needle), "{bad}: {e}");
        }
    }

    /// `DeleteObjects`-like input: required structure → required list of structures →
    /// required string; plus an optional list of strings and an optional structure.
    const NESTED: &str = r#"{
      "metadata": {"apiVersion": "1", "endpointPrefix": "n", "protocol": "rest-xml", "serviceId": "N"},
      "operations": {"Del": {"name": "Del", "http": {"method": "POST", "requestUri": "/"}, "input": {"shape": "DelRequest"}}},
      "shapes": {
        "DelRequest": {"type": "structure", "required": ["Delete"], "members": {
          "Delete": {"shape": "Delete"}, "Names": {"shape": "Names"}, "Opt": {"shape": "Delete"},
          "Body": {"shape": "Blob"}}},
        "Delete": {"type": "structure", "required": ["Objects"], "members": {"Objects": {"shape": "Objs"}, "Quiet": {"shape": "Flag"}}},
        "Objs": {"type": "list", "member": {"shape": "Obj"}},
        "Obj": {"type": "structure", "required": ["Key"], "members": {"Key": {"shape": "S"}, "Size": {"shape": "N"}}},
        "Names": {"type": "list", "member": {"shape": "S"}},
        "S": {"type": "string"}, "N": {"type": "long"}, "Flag": {"type": "boolean"}, "Blob": {"type": "blob"}
      }
    }"#;

    fn nested(conditions: &str) -> Result<String, String> {
        let model = Model::from_json(&Json::parse(NESTED).unwrap()).unwrap();
        let facts = parse(
            &format!(
                r#"{{"_source": "t", "Del": [{{"action": "n:Del", "resources": ["arn:${{Partition}}:n:::${{Delete.Objects.Key}}"], "conditions": {conditions}}}]}}"#
            ),
            "n.json",
        )?;
        let input = &model.shapes["DelRequest"];
        access_fn(
            &model,
            "Del",
            "del",
            Some((input, "DelRequest")),
            &facts.ops["Del"],
        )
    }

    #[test]
    fn member_paths_walk_structures_and_lists_of_structures() {
        let g = nested(r#"{"n:names": "${Names}", "n:quiet": "${Opt.Quiet}", "n:size": "${Delete.Objects.Size}"}"#)
            .unwrap();
        // Required structure, then every element of a required list.
        assert!(
            g.contains("let mut v0: Vec<String> = Vec::new();\n{\nlet x0 = &input.delete;\nfor x1 in &x0.objects {\nx1.key.push_values(&mut v0);\n}\n}\n"),
            "{g}"
        );
        // Optional leaves push nothing when absent; a list of strings pushes each element.
        assert!(g.contains("x1.size.push_values(&mut v1);"), "{g}");
        assert!(g.contains("input.names.push_values(&mut v2);"), "{g}");
        // An optional structure is entered only when present.
        assert!(
            g.contains("if let Some(x0) = &input.opt {\nx0.quiet.push_values(&mut v3);\n}"),
            "{g}"
        );
        assert!(
            g.contains("expand(&[Lit(\"arn:aws:n:::\"), Each(&v0)], &mut r);"),
            "{g}"
        );
        assert!(
            g.contains("condition(&mut c, \"n:names\", &[Each(&v2)]);"),
            "{g}"
        );
    }

    #[test]
    fn member_paths_must_exist_and_end_at_scalars() {
        for (conds, needle) in [
            (r#"{"k": "${Nope}"}"#, "has no member Nope"),
            (r#"{"k": "${Body}"}"#, "must end at a string"),
            (r#"{"k": "${Delete}"}"#, "must end at a string"),
            (r#"{"k": "${Names.X}"}"#, "can be walked into"),
        ] {
            let e = nested(conds).unwrap_err();
            assert!(e.contains(needle), "{conds}: {e}");
        }
    }
}
