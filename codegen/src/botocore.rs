//! Reading botocore: the installed package's version, the newest `service-2.json` of a
//! service, and a typed view of the parts of that model the generator uses. Anything the
//! generator does not understand is an error here rather than silently dropped output.
//!
//! Format reference: the `service-2.json` files under `botocore/data/`, and botocore's
//! `botocore/model.py`, which is what the CLI itself uses to interpret them.

use crate::json::Json;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

/// `__version__ = '1.43.11'` from `botocore/__init__.py`.
pub fn installed_version(botocore_dir: &Path) -> Result<String, String> {
    let init = botocore_dir.join("__init__.py");
    let text = std::fs::read_to_string(&init)
        .map_err(|e| format!("cannot read {}: {e}", init.display()))?;
    parse_version(&text).ok_or_else(|| format!("no __version__ in {}", init.display()))
}

fn parse_version(init_py: &str) -> Option<String> {
    init_py.lines().find_map(|line| {
        let rest = line.trim().strip_prefix("__version__")?.trim_start();
        let rest = rest.strip_prefix('=')?.trim();
        let quote = rest.chars().next().filter(|c| *c == '\'' || *c == '"')?;
        let body = &rest[1..];
        Some(body[..body.find(quote)?].to_string())
    })
}

/// The newest `data/<service>/<apiVersion>/service-2.json(.gz)`; returns its path and the
/// api version directory name. Version directories are dates, so the greatest name wins.
pub fn newest_model(botocore_dir: &Path, service: &str) -> Result<(PathBuf, String), String> {
    let dir = botocore_dir.join("data").join(service);
    let entries =
        std::fs::read_dir(&dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    let mut best: Option<(String, PathBuf)> = None;
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let file = ["service-2.json.gz", "service-2.json"]
            .iter()
            .map(|f| entry.path().join(f))
            .find(|p| p.is_file());
        if let Some(file) = file {
            if best.as_ref().is_none_or(|(b, _)| name > *b) {
                best = Some((name, file));
            }
        }
    }
    let (version, path) =
        best.ok_or_else(|| format!("no service-2.json under {}", dir.display()))?;
    Ok((path, version))
}

/// Reads (and gunzips, for `.gz`) a model file and parses it.
pub fn load_model(path: &Path) -> Result<Model, String> {
    let raw = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let text = if path.extension().is_some_and(|e| e == "gz") {
        let mut s = String::new();
        flate2::read::GzDecoder::new(&raw[..])
            .read_to_string(&mut s)
            .map_err(|e| format!("cannot gunzip {}: {e}", path.display()))?;
        s
    } else {
        String::from_utf8(raw).map_err(|e| format!("{} is not UTF-8: {e}", path.display()))?
    };
    Model::from_json(&Json::parse(&text)?).map_err(|e| format!("{}: {e}", path.display()))
}

#[derive(Clone, Debug, PartialEq)]
pub struct Metadata {
    pub api_version: String,
    pub service_id: String,
    pub endpoint_prefix: String,
    pub signing_name: Option<String>,
    /// `protocols`, or `[protocol]` when the list is absent.
    pub protocols: Vec<String>,
    pub target_prefix: Option<String>,
    pub json_version: Option<String>,
    pub xml_namespace: Option<String>,
    pub query_compatible: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct OperationDef {
    pub name: String,
    pub http_method: String,
    pub request_uri: String,
    pub response_code: Option<u16>,
    pub input: Option<String>,
    pub output: Option<String>,
    pub result_wrapper: Option<String>,
    pub errors: Vec<String>,
    /// AWS serves it without a signature: `"authtype": "none"` or smithy's
    /// `"auth": ["smithy.api#noAuth"]` (STS's `AssumeRoleWithWebIdentity`).
    pub unsigned: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct XmlNs {
    pub prefix: Option<String>,
    pub uri: String,
}

/// A reference to a shape from a list member or map key/value.
#[derive(Clone, Debug, PartialEq)]
pub struct ShapeRef {
    pub shape: String,
    pub location_name: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct MemberDef {
    pub name: String,
    pub shape: String,
    pub location: Option<String>,
    pub location_name: Option<String>,
    pub query_name: Option<String>,
    pub xml_namespace: Option<XmlNs>,
    pub xml_attribute: bool,
    pub flattened: bool,
    pub timestamp_format: Option<String>,
    pub idempotency_token: bool,
    pub host_label: bool,
    pub streaming: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ErrorDef {
    pub code: Option<String>,
    pub http_status: Option<u16>,
    pub sender_fault: Option<bool>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ShapeDef {
    pub name: String,
    /// botocore's `type`: `structure`, `list`, `map`, `string`, `integer`, ...
    pub ty: String,
    pub enum_values: Vec<String>,
    pub members: Vec<MemberDef>,
    pub required: Vec<String>,
    pub payload: Option<String>,
    pub error: Option<ErrorDef>,
    pub exception: bool,
    pub location_name: Option<String>,
    pub xml_namespace: Option<XmlNs>,
    pub flattened: bool,
    pub timestamp_format: Option<String>,
    pub streaming: bool,
    pub list_member: Option<ShapeRef>,
    pub map_key: Option<ShapeRef>,
    pub map_value: Option<ShapeRef>,
}

impl ShapeDef {
    /// Shapes this one refers to directly, in member order.
    pub fn targets(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self.members.iter().map(|m| m.shape.as_str()).collect();
        for r in [&self.list_member, &self.map_key, &self.map_value]
            .into_iter()
            .flatten()
        {
            out.push(&r.shape);
        }
        out
    }

    pub fn is_exception(&self) -> bool {
        self.exception || self.error.is_some()
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    pub metadata: Metadata,
    pub operations: BTreeMap<String, OperationDef>,
    pub shapes: BTreeMap<String, ShapeDef>,
}

fn obj<'a>(j: &'a Json, what: &str) -> Result<&'a [(String, Json)], String> {
    j.as_obj().ok_or_else(|| format!("{what} is not an object"))
}

fn required_str(j: &Json, key: &str, what: &str) -> Result<String, String> {
    j.str_at(key)?
        .ok_or_else(|| format!("{what} has no `{key}`"))
}

fn xml_ns(j: Option<&Json>) -> Result<Option<XmlNs>, String> {
    match j {
        None => Ok(None),
        Some(Json::Str(uri)) => Ok(Some(XmlNs {
            prefix: None,
            uri: uri.clone(),
        })),
        Some(v) => Ok(Some(XmlNs {
            prefix: v.str_at("prefix")?,
            uri: required_str(v, "uri", "xmlNamespace")?,
        })),
    }
}

fn shape_ref(j: Option<&Json>, what: &str) -> Result<Option<ShapeRef>, String> {
    match j {
        None => Ok(None),
        Some(v) => Ok(Some(ShapeRef {
            shape: required_str(v, "shape", what)?,
            location_name: v.str_at("locationName")?,
        })),
    }
}

impl Model {
    pub fn from_json(root: &Json) -> Result<Model, String> {
        let md = root.get("metadata").ok_or("no `metadata`")?;
        let protocols = match md.get("protocols").and_then(Json::as_arr) {
            Some(list) => list
                .iter()
                .map(|p| p.as_str().map(str::to_string).ok_or("non-string protocol"))
                .collect::<Result<Vec<_>, _>>()?,
            None => vec![required_str(md, "protocol", "metadata")?],
        };
        let metadata = Metadata {
            api_version: required_str(md, "apiVersion", "metadata")?,
            service_id: required_str(md, "serviceId", "metadata")?,
            endpoint_prefix: required_str(md, "endpointPrefix", "metadata")?,
            signing_name: md.str_at("signingName")?,
            protocols,
            target_prefix: md.str_at("targetPrefix")?,
            json_version: md.str_at("jsonVersion")?,
            xml_namespace: md.str_at("xmlNamespace")?,
            query_compatible: md.get("awsQueryCompatible").is_some(),
        };

        let mut operations = BTreeMap::new();
        for (name, op) in obj(
            root.get("operations").ok_or("no `operations`")?,
            "operations",
        )? {
            let what = format!("operation {name}");
            let http = op
                .get("http")
                .ok_or_else(|| format!("{what} has no `http`"))?;
            let response_code = match http.get("responseCode") {
                None => None,
                Some(c) => Some(
                    c.as_u16()
                        .ok_or_else(|| format!("{what}: bad responseCode"))?,
                ),
            };
            let errors = match op.get("errors").and_then(Json::as_arr) {
                None => Vec::new(),
                Some(list) => list
                    .iter()
                    .map(|e| required_str(e, "shape", &what))
                    .collect::<Result<_, _>>()?,
            };
            let output = op.get("output");
            let unsigned = op.get("authtype").and_then(Json::as_str) == Some("none")
                || op
                    .get("auth")
                    .and_then(Json::as_arr)
                    .is_some_and(|a| a.iter().any(|x| x.as_str() == Some("smithy.api#noAuth")));
            let def = OperationDef {
                name: name.clone(),
                http_method: required_str(http, "method", &what)?,
                request_uri: required_str(http, "requestUri", &what)?,
                response_code,
                input: op
                    .get("input")
                    .map(|i| required_str(i, "shape", &what))
                    .transpose()?,
                output: output
                    .map(|o| required_str(o, "shape", &what))
                    .transpose()?,
                result_wrapper: output
                    .map(|o| o.str_at("resultWrapper"))
                    .transpose()?
                    .flatten(),
                errors,
                unsigned,
            };
            operations.insert(name.clone(), def);
        }

        let mut shapes = BTreeMap::new();
        for (name, sh) in obj(root.get("shapes").ok_or("no `shapes`")?, "shapes")? {
            let shape = Self::shape(name, sh).map_err(|e| format!("shape {name}: {e}"))?;
            shapes.insert(name.clone(), shape);
        }
        Ok(Model {
            metadata,
            operations,
            shapes,
        })
    }

    fn shape(name: &str, sh: &Json) -> Result<ShapeDef, String> {
        let strings = |key: &str| -> Result<Vec<String>, String> {
            match sh.get(key).and_then(Json::as_arr) {
                None => Ok(Vec::new()),
                Some(list) => list
                    .iter()
                    .map(|v| {
                        v.as_str()
                            .map(str::to_string)
                            .ok_or(format!("non-string in `{key}`"))
                    })
                    .collect(),
            }
        };
        let mut members = Vec::new();
        if let Some(ms) = sh.get("members") {
            for (mname, m) in obj(ms, "members")? {
                let what = format!("member {mname}");
                members.push(MemberDef {
                    name: mname.clone(),
                    shape: required_str(m, "shape", &what)?,
                    location: m.str_at("location")?,
                    location_name: m.str_at("locationName")?,
                    query_name: m.str_at("queryName")?,
                    xml_namespace: xml_ns(m.get("xmlNamespace"))?,
                    xml_attribute: m.flag("xmlAttribute")?,
                    flattened: m.flag("flattened")?,
                    timestamp_format: m.str_at("timestampFormat")?,
                    idempotency_token: m.flag("idempotencyToken")?,
                    host_label: m.flag("hostLabel")?,
                    streaming: m.flag("streaming")?,
                });
            }
        }
        let error = match sh.get("error") {
            None => None,
            Some(e) => Some(ErrorDef {
                code: e.str_at("code")?,
                http_status: match e.get("httpStatusCode") {
                    None => None,
                    Some(c) => Some(c.as_u16().ok_or("bad httpStatusCode")?),
                },
                sender_fault: match e.get("senderFault") {
                    None => None,
                    Some(f) => Some(f.as_bool().ok_or("bad senderFault")?),
                },
            }),
        };
        Ok(ShapeDef {
            name: name.to_string(),
            ty: required_str(sh, "type", "shape")?,
            enum_values: strings("enum")?,
            members,
            required: strings("required")?,
            payload: sh.str_at("payload")?,
            error,
            exception: sh.flag("exception")?,
            location_name: sh.str_at("locationName")?,
            xml_namespace: xml_ns(sh.get("xmlNamespace"))?,
            flattened: sh.flag("flattened")?,
            timestamp_format: sh.str_at("timestampFormat")?,
            streaming: sh.flag("streaming")?,
            list_member: shape_ref(sh.get("member"), "list member")?,
            map_key: shape_ref(sh.get("key"), "map key")?,
            map_value: shape_ref(sh.get("value"), "map value")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_version_line() {
        let py = "import os\n\n__version__ = '1.43.11'\nlogger = None\n";
        assert_eq!(parse_version(py).as_deref(), Some("1.43.11"));
        assert_eq!(
            parse_version("__version__ = \"2.0\"").as_deref(),
            Some("2.0")
        );
        assert_eq!(parse_version("version = '1'"), None);
    }
}
