//! Turning one botocore [`Model`] plus its [`ServiceConfig`] into the text of a service
//! crate's `generated.rs`: the static `MODEL` (every operation, only reachable shapes),
//! typed structs with their `FromValue`/`IntoValue` impls, error constructors, the
//! `Handlers` trait, the per-operation access functions (`mod access`, from the service's
//! authorization facts, see [`crate::authz`]) and the `Router` that implements
//! `nimbus_wire::Service` (decode, authorize, handle).
//!
//! The output is plain Rust that `rustfmt` then lays out; this module only has to be
//! deterministic (everything is driven by sorted maps and model order) and correct.

use crate::authz::{self, Facts};
use crate::botocore::{MemberDef, Model, OperationDef, ShapeDef};
use crate::naming::{field_name, type_name, unique};
use std::collections::{BTreeMap, BTreeSet};

/// One entry of `codegen/services.json`.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceConfig {
    /// botocore data directory name (`ec2`).
    pub model: String,
    /// Crate directory under `crates/` (`svc-ec2`).
    pub krate: String,
    pub iam_prefix: String,
    /// Operations Nimbus implements.
    pub operations: Vec<String>,
}

/// Where a generated file came from, for its banner.
#[derive(Clone, Debug, PartialEq)]
pub struct Provenance {
    pub botocore_version: String,
    /// The `<apiVersion>` directory the model was read from.
    pub api_version_dir: String,
}

/// Shapes the generated file must describe: everything reachable (through members, list
/// members, map keys and values) from the implemented operations' inputs, outputs and
/// errors, plus every exception shape of the service so that handlers can raise any modeled
/// error. Fails on a configured operation or a referenced shape the model lacks.
pub fn reachable(model: &Model, cfg: &ServiceConfig) -> Result<BTreeSet<String>, String> {
    let mut stack: Vec<String> = Vec::new();
    for name in &cfg.operations {
        let op = model.operations.get(name).ok_or_else(|| {
            format!(
                "{}: services.json lists unknown operation {name}",
                cfg.model
            )
        })?;
        stack.extend(op.input.iter().cloned());
        stack.extend(op.output.iter().cloned());
        stack.extend(op.errors.iter().cloned());
    }
    stack.extend(
        model
            .shapes
            .values()
            .filter(|s| s.is_exception())
            .map(|s| s.name.clone()),
    );
    let mut seen = BTreeSet::new();
    while let Some(name) = stack.pop() {
        if seen.contains(&name) {
            continue;
        }
        let shape = model
            .shapes
            .get(&name)
            .ok_or_else(|| format!("{}: reference to unknown shape {name}", cfg.model))?;
        stack.extend(shape.targets().into_iter().map(str::to_string));
        seen.insert(name);
    }
    Ok(seen)
}

/// Generates the (unformatted) text of `generated.rs`. `facts` must cover every implemented
/// operation (see [`authz::check_coverage`]).
pub fn generate(
    model: &Model,
    cfg: &ServiceConfig,
    prov: &Provenance,
    facts: &Facts,
) -> Result<String, String> {
    let mut implemented: Vec<String> = cfg.operations.clone();
    implemented.sort();
    implemented.dedup();
    authz::check_coverage(
        facts,
        model,
        &implemented,
        &format!("codegen/authorization/{}.json", cfg.model),
    )?;
    let shapes: Vec<&ShapeDef> = reachable(model, cfg)?
        .iter()
        .map(|n| &model.shapes[n])
        .collect();
    if shapes.len() > u16::MAX as usize {
        return Err(format!("{}: too many shapes for a u16 ShapeId", cfg.model));
    }
    let index: BTreeMap<&str, u16> = shapes
        .iter()
        .enumerate()
        .map(|(i, s)| (s.name.as_str(), i as u16))
        .collect();
    let mut taken = BTreeSet::new();
    let mut type_names = BTreeMap::new();
    for s in shapes.iter().filter(|s| s.ty == "structure") {
        let name = type_name(&s.name, &taken);
        taken.insert(name.clone());
        type_names.insert(s.name.as_str(), name);
    }
    let streaming_targets: BTreeSet<&str> = shapes
        .iter()
        .flat_map(|s| s.members.iter())
        .filter(|m| m.streaming)
        .map(|m| m.shape.as_str())
        .collect();
    let g = Gen {
        model,
        cfg,
        prov,
        facts,
        implemented,
        shapes,
        index,
        type_names,
        streaming_targets,
    };
    g.file()
}

struct Gen<'a> {
    model: &'a Model,
    cfg: &'a ServiceConfig,
    prov: &'a Provenance,
    facts: &'a Facts,
    implemented: Vec<String>,
    /// Reachable shapes sorted by name; a shape's position is its `ShapeId`.
    shapes: Vec<&'a ShapeDef>,
    index: BTreeMap<&'a str, u16>,
    /// Rust type name of each reachable structure.
    type_names: BTreeMap<&'a str, String>,
    /// Blob shapes that some member declares `streaming` (botocore puts the trait on the
    /// member for S3's `Body`; the static model only has room for it on the blob shape).
    streaming_targets: BTreeSet<&'a str>,
}

fn lit(s: &str) -> String {
    format!("{s:?}")
}

fn opt_lit(s: &Option<String>) -> String {
    match s {
        Some(s) => format!("Some({})", lit(s)),
        None => "None".to_string(),
    }
}

fn ts_format(f: &str) -> Result<&'static str, String> {
    Ok(match f {
        "iso8601" => "m::TimestampFormat::Iso8601",
        "rfc822" => "m::TimestampFormat::Rfc822",
        "unixTimestamp" => "m::TimestampFormat::UnixTimestamp",
        other => return Err(format!("unknown timestampFormat {other}")),
    })
}

fn xml_ns(ns: &crate::botocore::XmlNs) -> String {
    format!(
        "m::XmlNamespace {{ prefix: {}, uri: {} }}",
        opt_lit(&ns.prefix),
        lit(&ns.uri)
    )
}

/// `Struct { a, b, ..base }`, or just `base` without overrides.
fn with_overrides(ty: &str, overrides: &[String], base: String) -> String {
    if overrides.is_empty() {
        base
    } else {
        format!("{ty} {{ {}, ..{base} }}", overrides.join(", "))
    }
}

impl<'a> Gen<'a> {
    fn shape(&self, name: &str) -> &'a ShapeDef {
        &self.model.shapes[name]
    }

    fn id(&self, name: &str) -> u16 {
        self.index[name]
    }

    fn is_implemented(&self, op: &str) -> bool {
        self.implemented
            .binary_search_by(|o| o.as_str().cmp(op))
            .is_ok()
    }

    fn implemented_ops(&self) -> impl Iterator<Item = &'a OperationDef> + '_ {
        self.implemented.iter().map(|n| &self.model.operations[n])
    }

    fn structs(&self) -> impl Iterator<Item = &'a ShapeDef> + '_ {
        self.shapes.iter().copied().filter(|s| s.ty == "structure")
    }

    fn file(&self) -> Result<String, String> {
        let md = &self.model.metadata;
        let mut out = String::new();
        out += &format!(
            "// @generated by nimbus-codegen from botocore {} ({}/{}). DO NOT EDIT.\n",
            self.prov.botocore_version, self.cfg.model, self.prov.api_version_dir
        );
        out += &format!(
            "//! {}'s wire model, typed shapes and operation dispatch, generated from botocore's\n\
             //! `{}/{}/service-2.json`. To change it, edit `codegen/services.json` and run\n\
             //! `scripts/codegen`.\n",
            md.service_id, self.cfg.model, self.prov.api_version_dir
        );
        out += "#![allow(clippy::all)]\n\n";
        out += &self.imports();
        out += &self.model_static()?;
        out += &self.helpers();
        out += &format!(
            "/// Operations Nimbus implements, sorted.\npub const IMPLEMENTED: &[&str] = &[{}];\n\n",
            self.implemented.iter().map(|o| lit(o)).collect::<Vec<_>>().join(", ")
        );
        for s in self.structs() {
            out += &self.rust_struct(s)?;
        }
        out += &self.errors();
        out += &self.handlers();
        out += &self.access()?;
        out += &self.router();
        Ok(out)
    }

    fn uses_rust_type(&self, ty: &str) -> bool {
        self.structs()
            .flat_map(|s| s.members.iter())
            .any(|m| self.leaf_types(&m.shape).contains(ty))
    }

    /// botocore types a member of shape `name` bottoms out in (through lists and maps).
    fn leaf_types(&self, name: &str) -> BTreeSet<&'a str> {
        let s = self.shape(name);
        match s.ty.as_str() {
            "list" => s
                .list_member
                .as_ref()
                .map(|r| self.leaf_types(&r.shape))
                .unwrap_or_default(),
            "map" => s
                .map_value
                .as_ref()
                .map(|r| self.leaf_types(&r.shape))
                .unwrap_or_default(),
            _ => BTreeSet::from([s.ty.as_str()]),
        }
    }

    fn imports(&self) -> String {
        let any_struct = self.structs().next().is_some();
        let members = || {
            self.structs()
                .flat_map(|s| s.members.iter().map(move |m| (s, m)))
        };
        let any_req = members().any(|(s, m)| s.required.contains(&m.name));
        let any_opt = members().any(|(s, m)| !s.required.contains(&m.name));
        let any_input = self.implemented_ops().any(|o| o.input.is_some());
        let any_output = self.implemented_ops().any(|o| o.output.is_some());

        let mut out = String::new();
        if self.uses_rust_type("blob") {
            out += "use bytes::Bytes;\n";
        }
        let mut core = vec!["Authorizer", "AwsError", "RequestContext"];
        if self.uses_rust_type("timestamp") {
            core.push("Timestamp");
        }
        out += &format!("use nimbus_core::{{{}}};\n", core.join(", "));
        let mut convert = Vec::new();
        if any_opt {
            convert.push("opt");
        }
        if any_req {
            convert.push("req");
        }
        if any_struct {
            convert.extend(["slots", "FromValue", "IntoValue"]);
        } else {
            if any_input {
                convert.push("FromValue");
            }
            if any_output {
                convert.push("IntoValue");
            }
        }
        if !convert.is_empty() {
            out += &format!("use nimbus_wire::convert::{{{}}};\n", convert.join(", "));
        }
        out += "use nimbus_wire::model as m;\n";
        let mut wire = vec!["BoxFut", "Protocol", "ResetStep", "Value"];
        if any_struct {
            wire.push("WireError");
        }
        out += &format!("use nimbus_wire::{{{}}};\n", wire.join(", "));
        // Only the `Handlers` methods name `Future`; a service without operations has none.
        if self.implemented_ops().next().is_some() {
            out += "use std::future::Future;\n";
        }
        out += "\n";
        out
    }

    fn model_static(&self) -> Result<String, String> {
        let md = &self.model.metadata;
        let mut protocols = Vec::new();
        for p in &md.protocols {
            protocols.push(match p.as_str() {
                "query" => "m::Protocol::Query",
                "ec2" => "m::Protocol::Ec2",
                "json" => "m::Protocol::Json",
                "rest-xml" => "m::Protocol::RestXml",
                "rest-json" => "m::Protocol::RestJson",
                "smithy-rpc-v2-cbor" => "m::Protocol::RpcV2Cbor",
                other => return Err(format!("{}: unknown protocol {other}", self.cfg.model)),
            });
        }
        let mut out = String::new();
        out += "/// The service as botocore models it.\npub static MODEL: m::ServiceModel = m::ServiceModel {\n";
        out += &format!("name: {},\n", lit(&self.cfg.model));
        out += &format!("service_id: {},\n", lit(&md.service_id));
        out += &format!("endpoint_prefix: {},\n", lit(&md.endpoint_prefix));
        out += &format!(
            "signing_name: {},\n",
            lit(md.signing_name.as_deref().unwrap_or(&md.endpoint_prefix))
        );
        out += &format!("iam_prefix: {},\n", lit(&self.cfg.iam_prefix));
        out += &format!("api_version: {},\n", lit(&md.api_version));
        out += &format!("protocols: &[{}],\n", protocols.join(", "));
        out += &format!("target_prefix: {},\n", opt_lit(&md.target_prefix));
        out += &format!("json_version: {},\n", opt_lit(&md.json_version));
        out += &format!("xml_namespace: {},\n", opt_lit(&md.xml_namespace));
        out += &format!("query_compatible: {},\n", md.query_compatible);
        out += "operations: &OPERATIONS,\nshapes: &SHAPES,\n};\n\n";

        out += &format!(
            "/// Every operation of the model, sorted by name (byte order) for binary search.\n\
             pub static OPERATIONS: [m::Operation; {}] = [\n",
            self.model.operations.len()
        );
        // BTreeMap<String, _> iterates in byte order, which is what `str::cmp` uses.
        for op in self.model.operations.values() {
            out += &self.operation(op);
            out += ",\n";
        }
        out += "];\n\n";

        out += &format!(
            "/// Shapes reachable from the implemented operations and every modeled error, \
             sorted by name; a `ShapeId` is an index here.\npub static SHAPES: [m::Shape; {}] = [\n",
            self.shapes.len()
        );
        for s in &self.shapes {
            let kind = self
                .shape_kind(s)
                .map_err(|e| format!("{}: shape {}: {e}", self.cfg.model, s.name))?;
            out += &format!("m::Shape {{ name: {}, kind: {kind} }},\n", lit(&s.name));
        }
        out += "];\n\n";
        Ok(out)
    }

    fn operation(&self, op: &OperationDef) -> String {
        let mut o = Vec::new();
        if let Some(code) = op.response_code.filter(|c| *c != 200) {
            o.push(format!("response_code: {code}"));
        }
        if let Some(w) = &op.result_wrapper {
            o.push(format!("result_wrapper: Some({})", lit(w)));
        }
        if self.is_implemented(&op.name) {
            if let Some(i) = &op.input {
                o.push(format!("input: Some(m::ShapeId({}))", self.id(i)));
            }
            if let Some(out) = &op.output {
                o.push(format!("output: Some(m::ShapeId({}))", self.id(out)));
            }
            if !op.errors.is_empty() {
                let ids: Vec<String> = op
                    .errors
                    .iter()
                    .map(|e| format!("m::ShapeId({})", self.id(e)))
                    .collect();
                o.push(format!("errors: &[{}]", ids.join(", ")));
            }
            o.push("implemented: true".to_string());
        }
        let base = format!(
            "op({}, {}, {})",
            lit(&op.name),
            lit(&op.http_method),
            lit(&op.request_uri)
        );
        with_overrides("m::Operation", &o, base)
    }

    fn shape_kind(&self, s: &ShapeDef) -> Result<String, String> {
        Ok(match s.ty.as_str() {
            "structure" => format!("m::ShapeKind::Structure({})", self.structure(s)?),
            "list" => {
                let r = s.list_member.as_ref().ok_or("list without `member`")?;
                format!(
                    "m::ShapeKind::List(m::ListShape {{ member: m::ShapeId({}), \
                     member_location_name: {}, flattened: {} }})",
                    self.id(&r.shape),
                    opt_lit(&r.location_name),
                    s.flattened
                )
            }
            "map" => {
                let k = s.map_key.as_ref().ok_or("map without `key`")?;
                let v = s.map_value.as_ref().ok_or("map without `value`")?;
                if self.shape(&k.shape).ty != "string" {
                    return Err(format!("map key {} is not a string", k.shape));
                }
                format!(
                    "m::ShapeKind::Map(m::MapShape {{ key: m::ShapeId({}), value: m::ShapeId({}), \
                     key_location_name: {}, value_location_name: {}, flattened: {} }})",
                    self.id(&k.shape),
                    self.id(&v.shape),
                    opt_lit(&k.location_name),
                    opt_lit(&v.location_name),
                    s.flattened
                )
            }
            "string" => format!(
                "m::ShapeKind::String {{ enum_values: &[{}] }}",
                s.enum_values
                    .iter()
                    .map(|v| lit(v))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            "integer" => "m::ShapeKind::Integer".to_string(),
            "long" => "m::ShapeKind::Long".to_string(),
            "float" => "m::ShapeKind::Float".to_string(),
            "double" => "m::ShapeKind::Double".to_string(),
            "boolean" => "m::ShapeKind::Boolean".to_string(),
            "timestamp" => format!(
                "m::ShapeKind::Timestamp {{ format: {} }}",
                match &s.timestamp_format {
                    Some(f) => format!("Some({})", ts_format(f)?),
                    None => "None".to_string(),
                }
            ),
            "blob" => format!(
                "m::ShapeKind::Blob {{ streaming: {} }}",
                s.streaming || self.streaming_targets.contains(s.name.as_str())
            ),
            other => return Err(format!("unsupported shape type {other}")),
        })
    }

    fn structure(&self, s: &ShapeDef) -> Result<String, String> {
        for r in &s.required {
            if !s.members.iter().any(|m| &m.name == r) {
                return Err(format!("required member {r} does not exist"));
            }
        }
        let members = s
            .members
            .iter()
            .map(|mb| self.member(s, mb))
            .collect::<Result<Vec<_>, _>>()?;
        let mut o = Vec::new();
        if let Some(p) = &s.payload {
            let i = s
                .members
                .iter()
                .position(|m| &m.name == p)
                .ok_or_else(|| format!("payload member {p} does not exist"))?;
            o.push(format!("payload: Some({i})"));
        }
        if s.is_exception() {
            let (code, status, sender) = error_identity(s);
            let code = if code == s.name {
                None
            } else {
                Some(code.to_string())
            };
            o.push(format!(
                "error: Some(m::ErrorInfo {{ code: {}, http_status: {status}, sender_fault: {sender} }})",
                opt_lit(&code)
            ));
        }
        if let Some(l) = &s.location_name {
            o.push(format!("location_name: Some({})", lit(l)));
        }
        if let Some(ns) = &s.xml_namespace {
            o.push(format!("xml_namespace: Some({})", xml_ns(ns)));
        }
        if s.is_exception() {
            o.push("exception: true".to_string());
        }
        Ok(with_overrides(
            "m::Structure",
            &o,
            format!("structure(&[{}])", members.join(", ")),
        ))
    }

    fn member(&self, s: &ShapeDef, mb: &MemberDef) -> Result<String, String> {
        let mut o = Vec::new();
        if let Some(loc) = &mb.location {
            let l = match loc.as_str() {
                "header" => "Header",
                "headers" => "Headers",
                "uri" => "Uri",
                "querystring" => "QueryString",
                "statusCode" => "StatusCode",
                other => return Err(format!("member {}: unknown location {other}", mb.name)),
            };
            o.push(format!("location: m::Location::{l}"));
        }
        if let Some(n) = &mb.location_name {
            o.push(format!("location_name: Some({})", lit(n)));
        }
        if let Some(n) = &mb.query_name {
            o.push(format!("query_name: Some({})", lit(n)));
        }
        if let Some(ns) = &mb.xml_namespace {
            o.push(format!("xml_namespace: Some({})", xml_ns(ns)));
        }
        if mb.xml_attribute {
            o.push("xml_attribute: true".to_string());
        }
        if mb.flattened {
            o.push("flattened: true".to_string());
        }
        if let Some(f) = &mb.timestamp_format {
            o.push(format!("timestamp_format: Some({})", ts_format(f)?));
        }
        if s.required.contains(&mb.name) {
            o.push("required: true".to_string());
        }
        if mb.idempotency_token {
            o.push("idempotency_token: true".to_string());
        }
        if mb.host_label {
            o.push("host_label: true".to_string());
        }
        let base = format!("member({}, {})", lit(&mb.name), self.id(&mb.shape));
        Ok(with_overrides("m::Member", &o, base))
    }

    /// The `const fn`s the tables above use to stay compact (they live in
    /// `nimbus_wire::model::build`; only those this file uses are imported).
    fn helpers(&self) -> String {
        let mut names = vec!["op"];
        if self.structs().next().is_some() {
            names.push("structure");
        }
        if self.structs().any(|s| !s.members.is_empty()) {
            names.insert(0, "member");
        }
        format!("use m::build::{{{}}};\n\n", names.join(", "))
    }

    /// Whether structure `to` can reach structure `from` through structure-typed members
    /// only (lists and maps are heap-allocated already, so they break size recursion).
    fn reaches_directly(&self, to: &str, from: &str) -> bool {
        let mut stack = vec![to];
        let mut seen = BTreeSet::new();
        while let Some(n) = stack.pop() {
            if n == from {
                return true;
            }
            if !seen.insert(n) {
                continue;
            }
            for m in &self.shape(n).members {
                if self.shape(&m.shape).ty == "structure" {
                    stack.push(&m.shape);
                }
            }
        }
        false
    }

    fn rust_type(&self, name: &str) -> String {
        let s = self.shape(name);
        match s.ty.as_str() {
            "string" => "String".to_string(),
            "integer" => "i32".to_string(),
            "long" => "i64".to_string(),
            "boolean" => "bool".to_string(),
            "float" | "double" => "f64".to_string(),
            "timestamp" => "Timestamp".to_string(),
            "blob" => "Bytes".to_string(),
            "list" => match &s.list_member {
                Some(r) => format!("Vec<{}>", self.rust_type(&r.shape)),
                None => "Vec<()>".to_string(),
            },
            "map" => match &s.map_value {
                Some(r) => format!("Vec<(String, {})>", self.rust_type(&r.shape)),
                None => "Vec<()>".to_string(),
            },
            _ => self.type_names[name].clone(),
        }
    }

    fn rust_struct(&self, s: &ShapeDef) -> Result<String, String> {
        let ty = &self.type_names[s.name.as_str()];
        let mut fields = Vec::new();
        for (mb, fname) in s.members.iter().zip(authz::field_names(s)) {
            let mut fty = self.rust_type(&mb.shape);
            if self.shape(&mb.shape).ty == "structure" && self.reaches_directly(&mb.shape, &s.name)
            {
                fty = format!("Box<{fty}>");
            }
            let required = s.required.contains(&mb.name);
            if !required {
                fty = format!("Option<{fty}>");
            }
            fields.push((fname, fty, required, mb));
        }

        let mut out = String::new();
        if *ty != s.name {
            out += &format!("/// botocore shape `{}`.\n", s.name);
        }
        out += "#[derive(Clone, Debug, Default, PartialEq)]\n";
        out += &format!("pub struct {ty} {{\n");
        for (f, t, _, _) in &fields {
            out += &format!("pub {f}: {t},\n");
        }
        out += "}\n\n";

        out += &format!(
            "impl FromValue for {ty} {{\nfn from_value(v: Value, path: &str) -> Result<Self, WireError> {{\n"
        );
        if fields.is_empty() {
            out += "slots(v, 0, path)?;\nOk(Self {})\n";
        } else {
            out += &format!(
                "let mut s = slots(v, {}, path)?;\nOk(Self {{\n",
                fields.len()
            );
            for (i, (f, _, required, mb)) in fields.iter().enumerate() {
                let func = if *required { "req" } else { "opt" };
                out += &format!("{f}: {func}(&mut s, {i}, {})?,\n", lit(&mb.name));
            }
            out += "})\n";
        }
        out += "}\n}\n\n";

        out += &format!("impl IntoValue for {ty} {{\nfn into_value(self) -> Value {{\n");
        if fields.is_empty() {
            out += "Value::Struct(Vec::new())\n";
        } else {
            out += "Value::Struct(vec![\n";
            for (f, _, required, _) in &fields {
                if *required {
                    out += &format!("Some(self.{f}.into_value()),\n");
                } else {
                    out += &format!("self.{f}.map(IntoValue::into_value),\n");
                }
            }
            out += "])\n";
        }
        out += "}\n}\n\n";
        Ok(out)
    }

    fn errors(&self) -> String {
        let errors: Vec<&ShapeDef> = self
            .shapes
            .iter()
            .copied()
            .filter(|s| s.is_exception())
            .collect();
        let mut out = String::new();
        out += "/// One constructor per modeled error shape, with the code, HTTP status and fault the \
                model gives it.\npub mod errors {\n";
        if !errors.is_empty() {
            out += "use nimbus_core::AwsError;\n\n";
        }
        let mut taken = BTreeSet::new();
        for s in errors {
            let (code, status, sender) = error_identity(s);
            let f = unique(field_name(&s.name), &mut taken);
            out += &format!(
                "/// `{code}` (HTTP {status}, {}).\npub fn {f}(message: impl Into<String>) -> AwsError {{\n",
                if sender { "sender fault" } else { "receiver fault" }
            );
            let base = format!("AwsError::new({}, {status}, message)", lit(code));
            if sender == (status < 500) {
                out += &base;
            } else {
                out += &format!("AwsError {{ sender_fault: {sender}, ..{base} }}");
            }
            out += "\n}\n\n";
        }
        out += "}\n\n";
        out
    }

    /// Handler method name for each implemented operation, in name order.
    fn method_names(&self) -> Vec<(&'a OperationDef, String)> {
        let mut taken =
            BTreeSet::from(["reset".to_string(), "model".to_string(), "call".to_string()]);
        self.implemented_ops()
            .map(|op| (op, unique(field_name(&op.name), &mut taken)))
            .collect()
    }

    fn handlers(&self) -> String {
        let mut out = String::new();
        out += &format!(
            "/// What a {} implementation provides: one method per implemented operation, taking the \
             typed input and returning the typed output.\n",
            self.model.metadata.service_id
        );
        out += "pub trait Handlers: Send + Sync + 'static {\n";
        for (op, method) in self.method_names() {
            out += &format!("/// `{}`.\n", op.name);
            out += &format!("fn {method}(&self, ctx: &RequestContext");
            if let Some(i) = &op.input {
                out += &format!(", input: {}", self.rust_type(i));
            }
            let output = op
                .output
                .as_deref()
                .map(|o| self.rust_type(o))
                .unwrap_or_else(|| "()".to_string());
            out += &format!(") -> impl Future<Output = Result<{output}, AwsError>> + Send;\n\n");
        }
        out += "/// Wipes all state (`POST /_nimbus/reset`) together with `then`; see \
                [`nimbus_wire::Service::reset`] for what a service with state must do. The default \
                (no state) just runs `then`.\n\
                fn reset<'a>(&'a self, then: ResetStep<'a>) -> ResetStep<'a> {\nthen\n}\n}\n\n";
        out
    }

    /// `mod access`: one function per implemented operation building the accesses its
    /// authorization facts name.
    fn access(&self) -> Result<String, String> {
        let mut out = String::new();
        out += "/// What each implemented operation asks the authorizer, built from \
                `codegen/authorization/";
        out += &self.cfg.model;
        out += ".json` (AWS's Service Authorization Reference) and the typed input.\n\
                pub mod access {\n\
                #![allow(unused_imports)]\n\
                use super::*;\n\
                use nimbus_core::Access;\n\
                use nimbus_wire::authz::{condition, expand, keyed_condition, resources_or_star, AuthzValues, Part::{Each, Lit}};\n\n";
        for (op, method) in self.method_names() {
            let input = op
                .input
                .as_deref()
                .map(|i| (self.shape(i), self.rust_type(i)));
            out += &authz::access_fn(
                self.model,
                &op.name,
                &method,
                input.as_ref().map(|(s, t)| (*s, t.as_str())),
                &self.facts.ops[&op.name],
            )?;
        }
        out += "}\n\n";
        Ok(out)
    }

    fn router(&self) -> String {
        let mut out = String::new();
        out += "/// Wraps [`Handlers`] as a dyn-able [`nimbus_wire::Service`]: converts the decoded input \
                into the typed request, asks the authorizer for the operation's accesses ([`access`]), \
                calls the handler and converts the result back.\n\
                pub struct Router<H>(pub H);\n\n";
        out += "impl<H: Handlers> nimbus_wire::Service for Router<H> {\n";
        out += "fn model(&self) -> &'static m::ServiceModel {\n&MODEL\n}\n\n";
        let unsigned: Vec<String> = self
            .model
            .operations
            .values()
            .filter(|o| o.unsigned)
            .map(|o| lit(&o.name))
            .collect();
        if !unsigned.is_empty() {
            out += &format!(
                "fn unsigned_operations(&self) -> &'static [&'static str] {{\n&[{}]\n}}\n\n",
                unsigned.join(", ")
            );
        }
        out += "fn call<'a>(&'a self, ctx: &'a RequestContext, authz: &'a dyn Authorizer, protocol: Protocol, op: &'static m::Operation, \
                input: Option<Value>) -> BoxFut<'a, Result<Option<Value>, AwsError>> {\n";
        out += "Box::pin(async move {\n";
        if self.implemented_ops().next().is_none() {
            // Every operation answers NotImplemented: nothing reads the request.
            out += "let _ = (ctx, authz, protocol, input);\n";
        } else if !self.implemented_ops().any(|o| o.input.is_some()) {
            out += "let _ = (protocol, input);\n";
        }
        out += "match op.name {\n";
        for (op, method) in self.method_names() {
            out += &format!("{} => {{\n", lit(&op.name));
            let mut args = "ctx".to_string();
            if let Some(i) = &op.input {
                let n = self.shape(i).members.len();
                out += &format!(
                    "let input = {}::from_value(input.unwrap_or_else(|| Value::empty_struct({n})), {})\
                     .map_err(|e| e.to_aws(protocol))?;\n",
                    self.rust_type(i),
                    lit(i)
                );
                args += ", input";
                out += &format!(
                    "authz.authorize(ctx, &access::{method}(ctx, &input))\
                     .map_err(|d| nimbus_wire::access_denied(&MODEL, d))?;\n"
                );
            } else {
                out += &format!(
                    "authz.authorize(ctx, &access::{method}(ctx))\
                     .map_err(|d| nimbus_wire::access_denied(&MODEL, d))?;\n"
                );
            }
            if op.output.is_some() {
                out += &format!(
                    "let out = self.0.{method}({args}).await?;\nOk(Some(out.into_value()))\n"
                );
            } else {
                out += &format!("self.0.{method}({args}).await?;\nOk(None)\n");
            }
            out += "}\n";
        }
        out += "other => Err(AwsError::not_implemented(MODEL.service_id, other)),\n";
        out += "}\n})\n}\n\n";
        out += "fn reset<'a>(&'a self, then: ResetStep<'a>) -> ResetStep<'a> {\nself.0.reset(then)\n}\n}\n";
        out
    }
}

/// (code, HTTP status, sender fault) of an exception shape. Without an `error` block the
/// error is a 400 sender fault named after the shape (JSON services); without
/// `senderFault` the fault follows the status.
fn error_identity(s: &ShapeDef) -> (&str, u16, bool) {
    match &s.error {
        Some(e) => {
            let status = e.http_status.unwrap_or(400);
            (
                e.code.as_deref().unwrap_or(&s.name),
                status,
                e.sender_fault.unwrap_or(status < 500),
            )
        }
        None => (&s.name, 400, true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::Json;

    /// A tiny model exercising reachability, recursion, renaming and every location.
    const TINY: &str = r#"{
      "metadata": {"apiVersion": "2020-01-01", "endpointPrefix": "tiny", "protocol": "rest-xml",
                   "serviceId": "Tiny", "awsQueryCompatible": {}},
      "operations": {
        "PutThing": {"name": "PutThing", "http": {"method": "PUT", "requestUri": "/{Bucket}", "responseCode": 204},
                     "input": {"shape": "PutThingRequest"}, "errors": [{"shape": "NoSuchThing"}]},
        "GetThing": {"name": "GetThing", "http": {"method": "GET", "requestUri": "/{Bucket}"},
                     "input": {"shape": "GetThingRequest"}, "output": {"shape": "GetThingOutput", "resultWrapper": "GetThingResult"}},
        "Other": {"name": "Other", "http": {"method": "POST", "requestUri": "/"},
                  "input": {"shape": "OtherRequest"}}
      },
      "shapes": {
        "PutThingRequest": {"type": "structure", "required": ["Bucket"], "payload": "Body",
          "members": {
            "Bucket": {"shape": "Name", "location": "uri", "locationName": "Bucket", "hostLabel": true},
            "Type": {"shape": "Name", "location": "header", "locationName": "x-amz-type"},
            "Body": {"shape": "Data", "streaming": true},
            "Meta": {"shape": "Meta", "location": "headers", "locationName": "x-amz-meta-"}
          }},
        "GetThingRequest": {"type": "structure", "members": {"Bucket": {"shape": "Name", "location": "uri", "locationName": "Bucket"}}},
        "GetThingOutput": {"type": "structure", "members": {
            "Node": {"shape": "Node"}, "Error": {"shape": "Error"},
            "When": {"shape": "When", "timestampFormat": "iso8601"}}},
        "Node": {"type": "structure", "members": {"Child": {"shape": "Node"}, "Kids": {"shape": "NodeList"}}},
        "NodeList": {"type": "list", "member": {"shape": "Node", "locationName": "item"}, "flattened": true},
        "Error": {"type": "structure", "members": {"Code": {"shape": "Name"}}},
        "NoSuchThing": {"type": "structure", "members": {}, "error": {"httpStatusCode": 404}, "exception": true},
        "Internal": {"type": "structure", "members": {"message": {"shape": "Name"}}, "error": {"code": "InternalError", "httpStatusCode": 500}, "exception": true},
        "Meta": {"type": "map", "key": {"shape": "Name"}, "value": {"shape": "Name"}},
        "Name": {"type": "string"},
        "Data": {"type": "blob"},
        "When": {"type": "timestamp"},
        "OtherRequest": {"type": "structure", "members": {"Unused": {"shape": "Unused"}}},
        "Unused": {"type": "string", "enum": ["a", "b"]}
      }
    }"#;

    fn tiny() -> Model {
        Model::from_json(&Json::parse(TINY).unwrap()).unwrap()
    }

    fn cfg(ops: &[&str]) -> ServiceConfig {
        ServiceConfig {
            model: "tiny".into(),
            krate: "svc-tiny".into(),
            iam_prefix: "tiny".into(),
            operations: ops.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// Facts for TINY: a bucket-scoped action with conditions from nested and list members,
    /// and one that needs no permission.
    fn facts() -> Facts {
        authz::parse(
            r#"{"_source": "test",
                "PutThing": [{"action": "tiny:PutThing",
                              "resources": ["arn:${Partition}:tiny:${Region}:${Account}:bucket/${Bucket}", "arn:${Partition}:tiny:::other/${Type}"],
                              "conditions": {"tiny:type": "${Type}"}}],
                "GetThing": []}"#,
            "tiny.json",
        )
        .unwrap()
    }

    fn prov() -> Provenance {
        Provenance {
            botocore_version: "1.0.0".into(),
            api_version_dir: "2020-01-01".into(),
        }
    }

    #[test]
    fn reachability_follows_members_lists_maps_and_errors() {
        let r = reachable(&tiny(), &cfg(&["PutThing"])).unwrap();
        let want = [
            "Data",
            "Internal",
            "Meta",
            "Name",
            "NoSuchThing",
            "PutThingRequest",
        ];
        assert_eq!(r.iter().map(String::as_str).collect::<Vec<_>>(), want);

        let r = reachable(&tiny(), &cfg(&["GetThing"])).unwrap();
        for s in [
            "Node",
            "NodeList",
            "Error",
            "When",
            "GetThingOutput",
            "GetThingRequest",
        ] {
            assert!(r.contains(s), "{s}");
        }
        assert!(
            !r.contains("OtherRequest") && !r.contains("Unused") && !r.contains("PutThingRequest")
        );
    }

    #[test]
    fn unknown_operation_is_an_error() {
        let e = reachable(&tiny(), &cfg(&["Nope"])).unwrap_err();
        assert!(e.contains("Nope"), "{e}");
    }

    #[test]
    fn generation_is_deterministic() {
        let a = generate(&tiny(), &cfg(&["PutThing", "GetThing"]), &prov(), &facts()).unwrap();
        let b = generate(&tiny(), &cfg(&["GetThing", "PutThing"]), &prov(), &facts()).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn generated_text_has_the_expected_pieces() {
        let g = generate(&tiny(), &cfg(&["PutThing", "GetThing"]), &prov(), &facts()).unwrap();
        assert!(g.starts_with(
            "// @generated by nimbus-codegen from botocore 1.0.0 (tiny/2020-01-01). DO NOT EDIT.\n"
        ));
        // Every operation, sorted, with unimplemented ones bare.
        let get = g.find("op(\"GetThing\"").unwrap();
        let other = g.find("op(\"Other\"").unwrap();
        let put = g.find("op(\"PutThing\"").unwrap();
        assert!(get < other && other < put);
        assert!(g.contains("response_code: 204"));
        assert!(g.contains("result_wrapper: Some(\"GetThingResult\")"));
        // Renamed clashing shape, boxed self-recursion, plain list recursion.
        assert!(g.contains("pub struct ErrorShape {"));
        assert!(g.contains("pub error: Option<ErrorShape>,"));
        assert!(g.contains("pub child: Option<Box<Node>>,"));
        assert!(g.contains("pub kids: Option<Vec<Node>>,"));
        // Required plain, keyword escaped, map as pairs, streaming propagated to the blob.
        assert!(g.contains("pub bucket: String,"));
        assert!(g.contains("pub r#type: Option<String>,"));
        assert!(g.contains("pub meta: Option<Vec<(String, String)>>,"));
        assert!(g.contains("m::ShapeKind::Blob { streaming: true }"));
        assert!(g.contains("location: m::Location::Headers"));
        assert!(g.contains("host_label: true"));
        assert!(g.contains("payload: Some(2)"));
        assert!(g.contains("member_location_name: Some(\"item\"), flattened: true"));
        assert!(g.contains("query_compatible: true"));
        // Errors: status default, code override, receiver fault for 5xx.
        assert!(g.contains("pub fn no_such_thing(message: impl Into<String>) -> AwsError {\nAwsError::new(\"NoSuchThing\", 404, message)"));
        assert!(g.contains("AwsError::new(\"InternalError\", 500, message)"));
        assert!(g.contains("code: Some(\"InternalError\"), http_status: 500, sender_fault: false"));
        // Handler without output returns ().
        assert!(g.contains("fn put_thing(&self, ctx: &RequestContext, input: PutThingRequest) -> impl Future<Output = Result<(), AwsError>> + Send;"));
        assert!(g.contains("pub const IMPLEMENTED: &[&str] = &[\"GetThing\", \"PutThing\"];"));
        // Authorization: the router asks before the handler; the access function fills
        // templates from the context and the input, `[]` builds nothing.
        let ask = g
            .find("authz.authorize(ctx, &access::put_thing(ctx, &input))")
            .unwrap();
        assert!(ask < g.find("self.0.put_thing(ctx, input)").unwrap());
        assert!(g.contains("map_err(|d| nimbus_wire::access_denied(&MODEL, d))"));
        assert!(g.contains("pub fn get_thing(_ctx: &RequestContext, _input: &GetThingRequest) -> Vec<Access> {\nVec::new()\n}"));
        assert!(g.contains(
            "pub fn put_thing(ctx: &RequestContext, input: &PutThingRequest) -> Vec<Access> {"
        ));
        assert!(g.contains("input.bucket.push_values(&mut v0);"));
        assert!(g.contains("input.r#type.push_values(&mut v1);"));
        assert!(g.contains("expand(&[Lit(\"arn:aws:tiny:\"), Lit(&ctx.region), Lit(\":\"), Lit(ctx.account_id()), Lit(\":bucket/\"), Each(&v0)], &mut r);"));
        assert!(g.contains("expand(&[Lit(\"arn:aws:tiny:::other/\"), Each(&v1)], &mut r);"));
        assert!(g.contains("condition(&mut c, \"tiny:type\", &[Each(&v1)]);"));
        assert!(g.contains(
            "Access { action: \"tiny:PutThing\", resources: resources_or_star(r), conditions: c }"
        ));
    }

    /// A freshly scaffolded service lists no operation: its generated code must still
    /// compile without warnings (nothing imported or bound that only operations use).
    #[test]
    fn a_service_without_operations_imports_and_binds_nothing_unused() {
        let g = generate(&tiny(), &cfg(&[]), &prov(), &facts()).unwrap();
        assert!(
            !g.contains("use std::future::Future;"),
            "Future is only named by handler methods"
        );
        assert!(g.contains("let _ = (ctx, authz, protocol, input);"));
        assert!(g.contains("other => Err(AwsError::not_implemented(MODEL.service_id, other))"));
        let with_ops = generate(&tiny(), &cfg(&["GetThing"]), &prov(), &facts()).unwrap();
        assert!(with_ops.contains("use std::future::Future;"));
        assert!(!with_ops.contains("let _ = (ctx, authz"));
    }

    #[test]
    fn every_implemented_operation_needs_facts() {
        let mut f = facts();
        f.ops.remove("GetThing");
        let e = generate(&tiny(), &cfg(&["PutThing", "GetThing"]), &prov(), &f).unwrap_err();
        assert!(
            e.contains("tiny.json has no entry") && e.contains("GetThing"),
            "{e}"
        );
        f.ops.insert("Nope".into(), Vec::new());
        let e = generate(&tiny(), &cfg(&["PutThing"]), &prov(), &f).unwrap_err();
        assert!(e.contains("Nope"), "{e}");
    }

    #[test]
    fn member_paths_walk_structures_and_lists_and_end_at_scalars() {
        let gen = |conds: &str| {
            let f = authz::parse(
                &format!(
                    r#"{{"_source": "t", "GetThing": [{{"action": "tiny:Get", "resources": ["*"], "conditions": {conds}}}]}}"#
                ),
                "tiny.json",
            )
            .unwrap();
            generate(&tiny(), &cfg(&["GetThing"]), &prov(), &f)
        };
        // GetThingRequest has only Bucket; the output's Node tree is not the input.
        let e = gen(r#"{"k": "${Nope}"}"#).unwrap_err();
        assert!(e.contains("has no member Nope"), "{e}");
        let g = gen(r#"{"k": "${Bucket}"}"#).unwrap();
        assert!(g.contains("input.bucket.push_values(&mut v0);"), "{g}");
    }
}
