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
//!
//! A condition *key* may hold member placeholders too, for keys that carry a name from the
//! request: `"aws:RequestTag/${Tags.Key}": "${Tags.Value}"` gives one condition per element
//! of `Tags`, its key built from that element's `Key` and its value from the same element's
//! `Value` (<https://docs.aws.amazon.com/IAM/latest/UserGuide/access_tags.html#access_tags_control-requests>).
//! The placeholders of a key must share their parent (the element walked); a value
//! placeholder with that same parent is paired element-wise, any other expands over the
//! whole request.
//!
//! A member placeholder may name a *filter* applied to its values: `${CopySource|s3-copy-source}`
//! reads `x-amz-copy-source` (`bucket/key`, URL-encoded, maybe with a leading `/` and a
//! `?versionId=`) as the `bucket/key` an object ARN names, so UploadPartCopy can ask for
//! `s3:GetObject` on its source (`nimbus_wire::authz::s3_copy_source_objects`). The
//! filter is kept as a last path element `|name`.
//!
//! Some actions are asked only for some requests (AWS's "dependent" actions: `sts:TagSession`
//! when `AssumeRole` passes session tags, `s3:GetObjectVersion` instead of `s3:GetObject`
//! when a `VersionId` is named). `"when": "${Member}"` (or a list: any of them) keeps an
//! entry only when the member is present — set, and non-empty for a list or map — and
//! `"unless"` only when none is.

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
    /// Key template → value template, in file order. A key is literal, or holds member
    /// placeholders sharing one parent path (see the module docs).
    pub conditions: Vec<(Template, Template)>,
    /// The entry is asked only when one of these member paths is present (empty: always).
    pub when: Vec<Vec<String>>,
    /// The entry is asked only when none of these member paths is present.
    pub unless: Vec<Vec<String>>,
}

impl Template {
    /// The member paths of the placeholders, in order.
    fn members(&self) -> impl Iterator<Item = &Vec<String>> {
        self.0.iter().filter_map(|p| match p {
            Piece::Member(path) => Some(path),
            _ => None,
        })
    }

    /// The text of a template without placeholders.
    fn literal(&self) -> Option<String> {
        self.0
            .iter()
            .map(|p| match p {
                Piece::Lit(s) => Some(s.as_str()),
                _ => None,
            })
            .collect()
    }

    /// For a key with member placeholders: the parent path they share (the element a keyed
    /// condition is built from); `None` for a literal key.
    fn key_parent(&self) -> Option<&[String]> {
        self.members().next().map(|p| &p[..p.len() - 1])
    }
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

/// The runtime function (in `nimbus_wire::authz`) of a placeholder filter.
fn filter_fn(name: &str) -> Option<&'static str> {
    match name {
        "s3-copy-source" => Some("nimbus_wire::authz::s3_copy_source_objects"),
        _ => None,
    }
}

/// A member path without its filter, and the filter's runtime function.
fn split_filter(path: &[String]) -> (&[String], Option<&'static str>) {
    match path.split_last() {
        Some((last, real)) if last.starts_with('|') => (real, filter_fn(&last[1..])),
        _ => (path, None),
    }
}

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
                let (member, filter) = match name.split_once('|') {
                    Some((m, f)) => (m, Some(f)),
                    None => (name, None),
                };
                let mut path: Vec<String> = member.split('.').map(str::to_string).collect();
                if path.iter().any(|p| {
                    p.is_empty() || !p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                }) {
                    return Err(format!("bad placeholder ${{{name}}} in template {t:?}"));
                }
                if let Some(f) = filter {
                    if filter_fn(f).is_none() {
                        return Err(format!("unknown filter `{f}` in template {t:?}"));
                    }
                    path.push(format!("|{f}"));
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
        if !matches!(
            k.as_str(),
            "action" | "resources" | "conditions" | "when" | "unless"
        ) && !k.starts_with('_')
        {
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
            conditions.push((parse_key(key)?, parse_template(t)?));
        }
    }
    Ok(Entry {
        action,
        resources,
        conditions,
        when: parse_presence(e, "when")?,
        unless: parse_presence(e, "unless")?,
    })
}

/// A condition key: literal, or with member placeholders of one list element
/// (`aws:RequestTag/${Tags.Key}`).
fn parse_key(key: &str) -> Result<Template, String> {
    let t = parse_template(key)?;
    if t.0
        .iter()
        .any(|p| matches!(p, Piece::Region | Piece::Account))
    {
        return Err(format!(
            "condition key {key:?}: only member placeholders may build a key"
        ));
    }
    let parent = t.key_parent();
    if t.members().any(|p| Some(&p[..p.len() - 1]) != parent) {
        return Err(format!(
            "condition key {key:?}: its placeholders must be members of the same element"
        ));
    }
    Ok(t)
}

/// `when` / `unless`: `"${Member}"` or a list of them.
fn parse_presence(e: &Json, field: &str) -> Result<Vec<Vec<String>>, String> {
    let Some(v) = e.get(field) else {
        return Ok(Vec::new());
    };
    let bad = || format!("`{field}` must be \"${{Member}}\" or a list of them");
    let items: Vec<&Json> = match v.as_arr() {
        Some(list) if !list.is_empty() => list.iter().collect(),
        Some(_) => return Err(bad()),
        None => vec![v],
    };
    items
        .into_iter()
        .map(|i| {
            let t = parse_template(i.as_str().ok_or_else(bad)?)?;
            match t.0.as_slice() {
                [Piece::Member(path)] => Ok(path.clone()),
                _ => Err(bad()),
            }
        })
        .collect()
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

/// One member of a structure, as the generated code reaches it.
struct Reached<'m> {
    /// The Rust expression of the member (`x0.key`).
    field: String,
    required: bool,
    /// The member's botocore shape name.
    shape: &'m str,
    target: &'m ShapeDef,
    /// The element shape when the member is a list.
    list_item: Option<&'m ShapeDef>,
}

fn reach<'m>(
    model: &'m Model,
    shape: &'m ShapeDef,
    name: &str,
    expr: &str,
) -> Result<Reached<'m>, String> {
    let i = shape
        .members
        .iter()
        .position(|m| m.name == name)
        .ok_or_else(|| format!("{} has no member {name}", shape.name))?;
    let member = &shape.members[i];
    let target = &model.shapes[&member.shape];
    Ok(Reached {
        field: format!("{expr}.{}", field_names(shape)[i]),
        required: shape.required.iter().any(|r| r == name),
        shape: &member.shape,
        target,
        list_item: target
            .list_member
            .as_ref()
            .filter(|_| target.ty == "list")
            .map(|r| &model.shapes[&r.shape]),
    })
}

/// Emits the code that visits every structure `prefix` leads to from the structure `shape`
/// (reached as the expression `expr`), through structures and lists of structures, absent
/// optional members visiting nothing; `leaf` writes the code run on each visited structure,
/// given its shape and expression.
fn walk<'m>(
    model: &'m Model,
    shape: &'m ShapeDef,
    prefix: &[String],
    expr: &str,
    depth: usize,
    leaf: &mut dyn FnMut(&'m ShapeDef, &str) -> Result<String, String>,
) -> Result<String, String> {
    let Some((first, rest)) = prefix.split_first() else {
        return leaf(shape, expr);
    };
    let m = reach(model, shape, first, expr)?;
    let x = format!("x{depth}");
    let (is_list, inner) = match (m.target.ty.as_str(), m.list_item) {
        ("structure", _) => (false, m.target),
        ("list", Some(item)) if item.ty == "structure" => (true, item),
        _ => {
            return Err(format!(
                "{}.{first} is a {}; only structures and lists of structures can be walked into",
                shape.name, m.target.ty
            ))
        }
    };
    let body = walk(model, inner, rest, &x, depth + 1, leaf)?;
    let field = m.field;
    Ok(match (is_list, m.required) {
        (true, true) => format!("for {x} in &{field} {{\n{body}}}\n"),
        (true, false) => format!("if let Some(l) = &{field} {{\nfor {x} in l {{\n{body}}}\n}}\n"),
        (false, true) => format!("{{\nlet {x} = &{field};\n{body}}}\n"),
        (false, false) => format!("if let Some({x}) = &{field} {{\n{body}}}\n"),
    })
}

/// The statement pushing the values of the scalar (or list of scalars) member `name` of
/// the structure `shape`, reached as `expr`, into the `Vec<String>` named `out`.
fn push_leaf(
    model: &Model,
    shape: &ShapeDef,
    name: &str,
    expr: &str,
    out: &str,
) -> Result<String, String> {
    let m = reach(model, shape, name, expr)?;
    let leaf_ok = SCALARS.contains(&m.target.ty.as_str())
        || m.list_item
            .is_some_and(|t| SCALARS.contains(&t.ty.as_str()));
    if !leaf_ok {
        return Err(format!(
            "{}.{name} is a {} ({}); a placeholder must end at a string, number, boolean \
             or timestamp, or a list of them",
            shape.name, m.target.ty, m.shape
        ));
    }
    Ok(format!("{}.push_values(&mut {out});\n", m.field))
}

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
    let (last, prefix) = path.split_last().ok_or("empty member path")?;
    walk(model, shape, prefix, expr, depth, &mut |s, e| {
        push_leaf(model, s, last, e, out)
    })
}

/// Emits statements setting the `bool` named `flag` when `path` is present: an optional
/// member set, a list or map non-empty. Any member may end the path (`${Tags}` is a list
/// of structures).
fn presence_code(
    model: &Model,
    shape: &ShapeDef,
    path: &[String],
    flag: &str,
) -> Result<String, String> {
    let (last, prefix) = path.split_last().ok_or("empty member path")?;
    let test = |s: &ShapeDef, e: &str| -> Result<String, String> {
        let m = reach(model, s, last, e)?;
        let collection = matches!(m.target.ty.as_str(), "list" | "map");
        let f = &m.field;
        Ok(match (m.required, collection) {
            (false, true) => format!("{f}.as_ref().is_some_and(|v| !v.is_empty())"),
            (false, false) => format!("{f}.is_some()"),
            (true, true) => format!("!{f}.is_empty()"),
            (true, false) => "true".to_string(),
        })
    };
    if prefix.is_empty() {
        return Ok(format!("let {flag} = {};\n", test(shape, "input")?));
    }
    let body = walk(model, shape, prefix, "input", 0, &mut |s, e| {
        Ok(format!("{flag} |= {};\n", test(s, e)?))
    })?;
    Ok(format!("let mut {flag} = false;\n{body}"))
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

/// The member paths of a keyed condition that are filled per element: the key's
/// placeholders and the value's placeholders with the same parent.
fn element_paths<'t>(key: &'t Template, value: &'t Template) -> Vec<&'t Vec<String>> {
    let Some(parent) = key.key_parent() else {
        return Vec::new();
    };
    let mut out: Vec<&Vec<String>> = Vec::new();
    for p in key
        .members()
        .chain(value.members().filter(|p| &p[..p.len() - 1] == parent))
    {
        if !out.contains(&p) {
            out.push(p);
        }
    }
    out
}

/// Describes when an entry applies, for the generated doc comment.
fn guard_doc(e: &Entry) -> String {
    let names = |paths: &[Vec<String>]| {
        paths
            .iter()
            .map(|p| format!("`{}`", p.join(".")))
            .collect::<Vec<_>>()
            .join(" or ")
    };
    let mut parts = Vec::new();
    if !e.when.is_empty() {
        parts.push(format!("when {} is set", names(&e.when)));
    }
    if !e.unless.is_empty() {
        parts.push(format!("unless {} is set", names(&e.unless)));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join(", "))
    }
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
            .map(|e| format!("`{}`{}", e.action, guard_doc(e)))
            .collect::<Vec<_>>()
            .join(", ");
        doc += ".";
    }
    out += &doc;
    out += "\n";
    let uses_ctx = entries.iter().any(|e| {
        e.resources
            .iter()
            .chain(e.conditions.iter().flat_map(|(k, v)| [k, v]))
            .any(|t| {
                t.0.iter()
                    .any(|p| matches!(p, Piece::Region | Piece::Account))
            })
    });
    // Member values collected once for the whole request; the per-element ones of keyed
    // conditions are collected where each element is visited.
    let mut paths: BTreeSet<Vec<String>> = BTreeSet::new();
    let mut presence: BTreeSet<Vec<String>> = BTreeSet::new();
    let mut keyed = false;
    for e in entries {
        for t in &e.resources {
            paths.extend(t.members().cloned());
        }
        for (k, v) in &e.conditions {
            let per_element = element_paths(k, v);
            keyed |= !per_element.is_empty();
            paths.extend(v.members().filter(|p| !per_element.contains(p)).cloned());
        }
        presence.extend(e.when.iter().chain(&e.unless).cloned());
    }
    let ctx_arg = if uses_ctx { "ctx" } else { "_ctx" };
    let reads_input = !paths.is_empty() || !presence.is_empty() || keyed;
    match input {
        Some((_, ty)) => {
            let input_arg = if reads_input { "input" } else { "_input" };
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
    let no_input = |what: &str| format!("{op} has no input, so {what} cannot be filled");
    let mut vars = BTreeMap::new();
    for (i, path) in paths.iter().enumerate() {
        let (shape, _) = input.ok_or_else(|| no_input(&format!("${{{}}}", path.join("."))))?;
        let var = format!("v{i}");
        let (real, filter) = split_filter(path);
        let code = path_code(model, shape, real, "input", &var, 0)
            .map_err(|e| format!("{op}: ${{{}}}: {e}", path.join(".")))?;
        out += &format!("let mut {var}: Vec<String> = Vec::new();\n{code}");
        if let Some(f) = filter {
            out += &format!("{f}(&mut {var});\n");
        }
        vars.insert(path.clone(), var);
    }
    let mut flags = BTreeMap::new();
    for (i, path) in presence.iter().enumerate() {
        let (shape, _) = input.ok_or_else(|| no_input(&format!("${{{}}}", path.join("."))))?;
        let flag = format!("p{i}");
        out += &presence_code(model, shape, path, &flag)
            .map_err(|e| format!("{op}: ${{{}}}: {e}", path.join(".")))?;
        flags.insert(path.clone(), flag);
    }
    let guarded = entries
        .iter()
        .any(|e| !e.when.is_empty() || !e.unless.is_empty());
    out += if guarded {
        "let mut a = Vec::new();\n"
    } else {
        "vec![\n"
    };
    for e in entries {
        let mut guard = Vec::new();
        if !e.when.is_empty() {
            let any: Vec<&str> = e.when.iter().map(|p| flags[p].as_str()).collect();
            // Parenthesized only when `unless` flags follow (rustc warns on needless ones).
            guard.push(if any.len() > 1 && !e.unless.is_empty() {
                format!("({})", any.join(" || "))
            } else {
                any.join(" || ")
            });
        }
        guard.extend(e.unless.iter().map(|p| format!("!{}", flags[p])));
        if guard.is_empty() {
            out += "{\n";
        } else {
            out += &format!("if {} {{\n", guard.join(" && "));
        }
        out += "let mut r = Vec::new();\n";
        for t in &e.resources {
            out += &format!("expand({}, &mut r);\n", parts(t, &vars));
        }
        out += if e.conditions.is_empty() {
            "let c = Vec::new();\n"
        } else {
            "let mut c = Vec::new();\n"
        };
        for (k, v) in &e.conditions {
            let Some(parent) = k.key_parent() else {
                let key = k.literal().unwrap_or_default();
                out += &format!("condition(&mut c, {}, {});\n", lit(&key), parts(v, &vars));
                continue;
            };
            let (shape, _) = input.ok_or_else(|| no_input("a condition key"))?;
            let per_element = element_paths(k, v);
            let mut local = vars.clone();
            let code = walk(model, shape, parent, "input", 0, &mut |s, expr| {
                let mut body = String::new();
                for (i, path) in per_element.iter().enumerate() {
                    let var = format!("e{i}");
                    body += &format!("let mut {var}: Vec<String> = Vec::new();\n");
                    body += &push_leaf(model, s, &path[path.len() - 1], expr, &var)?;
                    local.insert((*path).clone(), var);
                }
                body += &format!(
                    "keyed_condition(&mut c, {}, {});\n",
                    parts(k, &local),
                    parts(v, &local)
                );
                Ok(body)
            })
            .map_err(|err| format!("{op}: condition key {:?}: {err}", k.0))?;
            out += &if parent.is_empty() {
                format!("{{\n{code}}}\n")
            } else {
                code
            };
        }
        let access = format!(
            "Access {{ action: {}, resources: resources_or_star(r), conditions: c }}",
            lit(&e.action)
        );
        out += &if guarded {
            format!("a.push({access});\n}}\n")
        } else {
            format!("{access}\n}},\n")
        };
    }
    out += if guarded { "a\n}\n\n" } else { "]\n}\n\n" };
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
        assert_eq!(
            parse_template("arn:${Partition}:s3:::${CopySource|s3-copy-source}")
                .unwrap()
                .0,
            [
                Piece::Lit("arn:aws:s3:::".into()),
                Piece::Member(vec!["CopySource".into(), "|s3-copy-source".into()]),
            ]
        );
        assert!(parse_template("${CopySource|nope}").is_err());
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

    /// A tagging, versioned `Put`: a required name, optional scalars, a list of
    /// `{Key, Value}` and a list of specifications each holding such a list.
    const TAGGED: &str = r#"{
      "metadata": {"apiVersion": "1", "endpointPrefix": "n", "protocol": "query", "serviceId": "N"},
      "operations": {"Put": {"name": "Put", "http": {"method": "POST", "requestUri": "/"}, "input": {"shape": "PutRequest"}}},
      "shapes": {
        "PutRequest": {"type": "structure", "required": ["Name"], "members": {
          "Name": {"shape": "S"}, "Version": {"shape": "S"}, "Acl": {"shape": "S"}, "Grant": {"shape": "S"},
          "Tags": {"shape": "Tags"}, "Specs": {"shape": "Specs"}}},
        "Tags": {"type": "list", "member": {"shape": "Tag"}},
        "Tag": {"type": "structure", "required": ["Key"], "members": {"Key": {"shape": "S"}, "Value": {"shape": "S"}}},
        "Specs": {"type": "list", "member": {"shape": "Spec"}},
        "Spec": {"type": "structure", "members": {"Kind": {"shape": "S"}, "Tags": {"shape": "Tags"}}},
        "S": {"type": "string"}
      }
    }"#;

    fn tagged(entries: &str) -> Result<String, String> {
        let model = Model::from_json(&Json::parse(TAGGED).unwrap()).unwrap();
        let facts = parse(
            &format!(r#"{{"_source": "t", "Put": {entries}}}"#),
            "n.json",
        )?;
        let input = &model.shapes["PutRequest"];
        access_fn(
            &model,
            "Put",
            "put",
            Some((input, "PutRequest")),
            &facts.ops["Put"],
        )
    }

    #[test]
    fn when_and_unless_keep_an_entry_by_member_presence() {
        let g = tagged(
            r#"[{"action": "n:Put", "resources": ["arn:${Partition}:n:::${Name}"]},
                {"action": "n:PutTags", "resources": ["*"], "when": "${Tags}"},
                {"action": "n:PutAcl", "resources": ["*"], "when": ["${Acl}", "${Grant}"]},
                {"action": "n:Get", "resources": ["*"], "unless": "${Version}"},
                {"action": "n:GetVersion", "resources": ["*"], "when": "${Version}"},
                {"action": "n:SpecTags", "resources": ["*"], "when": "${Specs.Tags}", "unless": "${Acl}"}]"#,
        )
        .unwrap();
        // One flag per member, in path order: Acl, Grant, Specs.Tags, Tags, Version. A list
        // counts only when non-empty; a nested path is present when any element has it.
        for flag in [
            "let p0 = input.acl.is_some();\n",
            "let p1 = input.grant.is_some();\n",
            "let mut p2 = false;\nif let Some(l) = &input.specs {\nfor x0 in l {\np2 |= x0.tags.as_ref().is_some_and(|v| !v.is_empty());\n}\n}\n",
            "let p3 = input.tags.as_ref().is_some_and(|v| !v.is_empty());\n",
            "let p4 = input.version.is_some();\n",
        ] {
            assert!(g.contains(flag), "{flag}\n{g}");
        }
        assert!(g.contains("let mut a = Vec::new();\n{\nlet mut r"), "{g}");
        for guard in [
            "if p3 {\n",
            "if p0 || p1 {\n",
            "if !p4 {\n",
            "if p4 {\n",
            "if p2 && !p0 {\n",
        ] {
            assert!(g.contains(guard), "{guard}\n{g}");
        }
        assert_eq!(g.matches("a.push(Access {").count(), 6, "{g}");
        assert!(g.trim_end().ends_with("a\n}"), "{g}");
        assert!(
            g.starts_with("/// `Put`: `n:Put`, `n:PutTags` (when `Tags` is set), `n:PutAcl` (when `Acl` or `Grant` is set), `n:Get` (unless `Version` is set), `n:GetVersion` (when `Version` is set), `n:SpecTags` (when `Specs.Tags` is set, unless `Acl` is set).\n"),
            "{g}"
        );
        // Entries without a guard keep the plain list.
        let plain = tagged(r#"[{"action": "n:Put", "resources": ["*"]}]"#).unwrap();
        assert!(
            plain.contains("vec![\n{\n") && !plain.contains("a.push"),
            "{plain}"
        );
    }

    #[test]
    fn keyed_conditions_pair_each_element_key_with_its_value() {
        let g = tagged(
            r#"[{"action": "n:Put", "resources": ["*"], "conditions": {
                  "n:TagKeys": "${Tags.Key}",
                  "n:RequestTag/${Tags.Key}": "${Tags.Value}",
                  "n:SpecTag/${Specs.Tags.Key}": "${Specs.Tags.Value}@${Name}",
                  "n:Named/${Name}": "${Acl}"}}]"#,
        )
        .unwrap();
        // A plain condition over the whole list still gives every key.
        assert!(
            g.contains("condition(&mut c, \"n:TagKeys\", &[Each(&v1)]);"),
            "{g}"
        );
        // One keyed condition per element: key and value from the same element.
        assert!(
            g.contains(
                "if let Some(l) = &input.tags {\nfor x0 in l {\n\
                 let mut e0: Vec<String> = Vec::new();\nx0.key.push_values(&mut e0);\n\
                 let mut e1: Vec<String> = Vec::new();\nx0.value.push_values(&mut e1);\n\
                 keyed_condition(&mut c, &[Lit(\"n:RequestTag/\"), Each(&e0)], &[Each(&e1)]);\n}\n}\n"
            ),
            "{g}"
        );
        // Through a list of lists; a value placeholder outside the element (Name) expands
        // over the whole request.
        assert!(
            g.contains(
                "if let Some(l) = &input.specs {\nfor x0 in l {\nif let Some(l) = &x0.tags {\nfor x1 in l {\n\
                 let mut e0: Vec<String> = Vec::new();\nx1.key.push_values(&mut e0);\n\
                 let mut e1: Vec<String> = Vec::new();\nx1.value.push_values(&mut e1);\n\
                 keyed_condition(&mut c, &[Lit(\"n:SpecTag/\"), Each(&e0)], &[Each(&e1), Lit(\"@\"), Each(&v0)]);\n"
            ),
            "{g}"
        );
        // A key built from a top-level member: the input itself is the element, and the
        // value's top-level member is paired with it.
        assert!(
            g.contains(
                "{\nlet mut e0: Vec<String> = Vec::new();\ninput.name.push_values(&mut e0);\n\
                 let mut e1: Vec<String> = Vec::new();\ninput.acl.push_values(&mut e1);\n\
                 keyed_condition(&mut c, &[Lit(\"n:Named/\"), Each(&e0)], &[Each(&e1)]);\n}\n"
            ),
            "{g}"
        );
        // Per-element members are not collected for the whole request.
        assert!(!g.contains("x0.value.push_values(&mut v"), "{g}");
    }

    #[test]
    fn keys_and_guards_are_checked() {
        for (entry, needle) in [
            (
                r#"{"action": "n:Put", "resources": ["*"], "conditions": {"k/${Tags.Key}/${Specs.Kind}": "v"}}"#,
                "same element",
            ),
            (
                r#"{"action": "n:Put", "resources": ["*"], "conditions": {"k/${Region}": "v"}}"#,
                "only member placeholders",
            ),
            (
                r#"{"action": "n:Put", "resources": ["*"], "when": "Tags"}"#,
                "`when` must be",
            ),
            (
                r#"{"action": "n:Put", "resources": ["*"], "unless": []}"#,
                "`unless` must be",
            ),
            (
                r#"{"action": "n:Put", "resources": ["*"], "when": "${Nope}"}"#,
                "has no member Nope",
            ),
            (
                r#"{"action": "n:Put", "resources": ["*"], "conditions": {"k/${Tags}": "v"}}"#,
                "must end at a string",
            ),
        ] {
            let e = tagged(&format!("[{entry}]")).unwrap_err();
            assert!(e.contains(needle), "{entry}: {e}");
        }
    }
}
