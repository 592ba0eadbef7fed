//! The request pipeline proper (see the crate docs for the order of steps). Every early
//! exit renders the error the way the addressed protocol family does. Each request ends
//! with one structured log line (target `nimbus::request`: request id, service, operation,
//! principal ARN, HTTP status, AWS error code, duration in µs), and every server-side error
//! (5xx other than `NotImplemented`) with its cause at `error` level.

use crate::auth::{authenticate_body, Authenticated};
use crate::route::{family_of, Family, SMITHY_PROTOCOL, X_AMZ_CONTENT_SHA256, X_AMZ_TARGET};
use crate::server::Gateway;
use bytes::Bytes;
use http::request::Parts;
use http_body_util::Full;
use nimbus_core::{AwsError, RequestContext};
use nimbus_sigv4::{PayloadMode, RequestView};
use nimbus_wire::{HttpRequest, HttpResponse, Operation, Protocol, Service, ServiceModel, Value};
use std::io::Read;
use std::sync::Arc;

/// Used to render errors that happen before any service is known.
static FALLBACK_MODEL: ServiceModel = ServiceModel {
    name: "nimbus",
    service_id: "Nimbus",
    endpoint_prefix: "nimbus",
    signing_name: "nimbus",
    iam_prefix: "nimbus",
    api_version: "",
    protocols: &[],
    target_prefix: None,
    json_version: Some("1.1"),
    xml_namespace: None,
    query_compatible: false,
    operations: &[],
    shapes: &[],
};

type Reply = hyper::Response<Full<Bytes>>;

static X_AMZN_REQUESTID: http::HeaderName = http::HeaderName::from_static("x-amzn-requestid");

/// The header name for `k`: the names every reply carries come from statics (no parsing or
/// lower-casing per request), the rest are parsed.
fn header_name(k: &str) -> Result<http::HeaderName, http::header::InvalidHeaderName> {
    if k.eq_ignore_ascii_case("content-type") {
        Ok(http::header::CONTENT_TYPE)
    } else if k.eq_ignore_ascii_case("x-amzn-requestid") {
        Ok(X_AMZN_REQUESTID.clone())
    } else {
        http::HeaderName::from_bytes(k.as_bytes())
    }
}

fn to_hyper(r: HttpResponse) -> Reply {
    let mut resp = hyper::Response::new(Full::new(r.body));
    *resp.status_mut() = match http::StatusCode::from_u16(r.status) {
        Ok(s) => s,
        Err(_) => return invalid_response(),
    };
    let headers = resp.headers_mut();
    headers.reserve(r.headers.len());
    for (k, v) in r.headers {
        match (header_name(&k), http::HeaderValue::try_from(v)) {
            (Ok(name), Ok(value)) => {
                headers.append(name, value);
            }
            _ => return invalid_response(),
        }
    }
    resp
}

/// What a handler's reply that HTTP cannot carry (a bad status or header) becomes.
fn invalid_response() -> Reply {
    let mut resp = hyper::Response::new(Full::new(Bytes::from_static(b"invalid response header")));
    *resp.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
    resp
}

fn render_error(
    family: Family,
    model: &ServiceModel,
    err: &AwsError,
    rid: &str,
    method: &str,
) -> Reply {
    let is_head = method == "HEAD";
    to_hyper(match family {
        Family::Query => nimbus_proto_query::query::encode_error(model, err, rid),
        Family::Ec2 => nimbus_proto_query::ec2::encode_error(model, err, rid),
        Family::Json => nimbus_proto_json::json::encode_error(model, err, rid),
        Family::Cbor => nimbus_proto_json::rpcv2::encode_error(model, err, rid),
        Family::S3 => nimbus_proto_restxml::encode_error(err, rid, is_head),
    })
}

/// A first guess, from headers only, of whether the body may be an S3 object (which gets
/// the larger size limit).
pub(crate) fn may_be_object_upload(parts: &Parts) -> bool {
    let h = &parts.headers;
    !(h.contains_key(&X_AMZ_TARGET)
        || h.contains_key(&SMITHY_PROTOCOL)
        || h.get(http::header::CONTENT_TYPE).is_some_and(|v| {
            v.as_bytes()
                .starts_with(b"application/x-www-form-urlencoded")
        }))
}

/// S3's operations whose body is an object's bytes, received as a stream.
const STREAMED_OPERATIONS: &[&str] = &["PutObject", "UploadPart"];

/// The raw body an upload may stream: S3's 5 GiB single-PUT limit plus room for
/// `aws-chunked` framing (the decoded size is S3's to check).
pub(crate) const STREAMED_BODY_LIMIT: u64 = (5 << 30) + (64 << 20);

/// Whether this request's body is streamed to the service instead of collected, from its
/// headers alone: an S3 PutObject or UploadPart (by the S3 model's routing) whose payload
/// hash does not have to be computed from the body before the signature can be checked
/// (SigV4 header auth then needs `x-amz-content-sha256`, which every S3 client sends).
/// The caller has checked [`may_be_object_upload`].
pub(crate) fn streams_request_body(gw: &Gateway, parts: &Parts) -> bool {
    let path = parts.uri.path();
    if parts.method != http::Method::PUT
        || path.starts_with("/_nimbus/")
        || path.starts_with("/moto-api/")
    {
        return false;
    }
    let query = parts.uri.query().unwrap_or("");
    let view = RequestView {
        method: parts.method.as_str(),
        raw_path: parts.uri.path(),
        raw_query: query,
        headers: &parts.headers,
        body: &[],
        authority: parts.uri.authority().map(|a| a.as_str()),
    };
    let scope = match nimbus_sigv4::parse(&view) {
        Ok(Some(p)) => Some(p),
        Ok(None) => None,
        Err(_) => return false,
    };
    if let Some(p) = &scope {
        if p.service != "s3" || (!p.presigned && !parts.headers.contains_key(&X_AMZ_CONTENT_SHA256))
        {
            return false;
        }
    }
    let scope_service = scope.as_ref().map(|p| p.service.as_str());
    if family_of(&parts.headers, "PUT", query, scope_service) != Family::S3 {
        return false;
    }
    let Some(svc) = gw.registry.rest_xml() else {
        return false;
    };
    let host = header_str(parts, &http::header::HOST)
        .or(parts.uri.authority().map(|a| a.as_str()))
        .unwrap_or("");
    let vhost = crate::route::s3_vhost_bucket(host);
    nimbus_proto_restxml::resolve_with_headers(
        svc.model(),
        "PUT",
        parts.uri.path(),
        query,
        &parts.headers,
        vhost.as_deref(),
    )
    .is_some_and(|r| r.op.implemented && STREAMED_OPERATIONS.contains(&r.op.name))
}

/// A request's body as the pipeline receives it.
pub(crate) enum RequestBody {
    /// Read whole already.
    Collected(Bytes),
    /// Still on the connection (an upload, see [`streams_request_body`]): offered to the
    /// service as a stream once the request is authenticated.
    Streamed {
        incoming: hyper::body::Incoming,
        limit: u64,
    },
}

/// An error found before the body was collected (so before any service is known): rendered
/// in the family the headers suggest.
fn body_error(gw: &Gateway, parts: &Parts, err: &AwsError) -> Reply {
    let rid = gw.ids.request_id();
    let family = family_of(
        &parts.headers,
        parts.method.as_str(),
        parts.uri.query().unwrap_or(""),
        None,
    );
    render_error(family, &FALLBACK_MODEL, err, &rid, parts.method.as_str())
}

/// The answer to a body over `limit` bytes (declared or streamed).
pub(crate) fn too_large(gw: &Gateway, parts: &Parts, limit: usize) -> Reply {
    let err = AwsError::new(
        "RequestEntityTooLarge",
        413,
        format!("Request body exceeds the limit of {limit} bytes"),
    );
    body_error(gw, parts, &err)
}

/// The answer when the connection failed while the body was being read.
pub(crate) fn unreadable_body(gw: &Gateway, parts: &Parts, e: &hyper::Error) -> Reply {
    let err = AwsError::client(
        "IncompleteBody",
        format!("The request body could not be read completely: {e}"),
    );
    body_error(gw, parts, &err)
}

fn header_str<'a>(parts: &'a Parts, name: &http::HeaderName) -> Option<&'a str> {
    parts.headers.get(name).and_then(|v| v.to_str().ok())
}

/// Decompresses `Content-Encoding: gzip` bodies (CloudWatch sends them above 10 KiB). The
/// signature covers the compressed bytes, so this runs after verification.
fn gunzip(body: &Bytes, limit: usize) -> Result<Bytes, AwsError> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(&body[..])
        .take(limit as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| {
            AwsError::client(
                "MalformedInput",
                format!("Could not decompress gzip body: {e}"),
            )
        })?;
    if out.len() > limit {
        return Err(AwsError::new(
            "RequestEntityTooLarge",
            413,
            "Decompressed body too large",
        ));
    }
    Ok(Bytes::from(out))
}

/// The pipeline for a request whose body has already been collected (the server's entry,
/// and the in-process hot-path measurement's). `source_ip` is the connection's peer
/// address, which becomes [`RequestContext::source_ip`]; in-process callers pass `None`.
pub async fn handle(
    gw: &Arc<Gateway>,
    parts: Parts,
    body: Bytes,
    source_ip: Option<std::net::IpAddr>,
) -> Reply {
    handle_body(gw, parts, RequestBody::Collected(body), source_ip, None).await
}

/// [`handle`] for a body collected or still streaming. `known` is the credential of the
/// key the request claims when the server already looked it up (see `authenticate_body`).
pub(crate) async fn handle_body(
    gw: &Arc<Gateway>,
    parts: Parts,
    body: RequestBody,
    source_ip: Option<std::net::IpAddr>,
    known: Option<Arc<crate::auth::Credential>>,
) -> Reply {
    let started = std::time::Instant::now();
    let rid = gw.ids.request_id();
    let mut trace = Trace::default();
    let reply = handle_traced(gw, parts, body, source_ip, &rid, &mut trace, known).await;
    trace.log(&rid, reply.status().as_u16(), started);
    reply
}

/// What the request log line says about one request, filled in as the pipeline learns it.
#[derive(Default)]
struct Trace {
    service: &'static str,
    operation: &'static str,
    principal: Option<Arc<nimbus_core::Principal>>,
    error: Option<(String, String)>,
}

impl Trace {
    fn fail(&mut self, e: &AwsError) {
        self.error = Some((e.code.to_string(), e.message.to_string()));
    }

    fn log(&self, request_id: &str, status: u16, started: std::time::Instant) {
        if !tracing::enabled!(target: "nimbus::request", tracing::Level::INFO) && status < 500 {
            return;
        }
        let us = started.elapsed().as_micros() as u64;
        let principal = self.principal.as_ref().map_or("-", |p| p.arn.as_str());
        let code = self.error.as_ref().map_or("-", |(c, _)| c.as_str());
        if status >= 500 && code != "NotImplemented" {
            let cause = self.error.as_ref().map_or("-", |(_, m)| m.as_str());
            tracing::error!(target: "nimbus::request", request_id,
                service = self.service, operation = self.operation, principal, status,
                error_code = code, cause, duration_us = us, "request failed on the server side");
        } else {
            tracing::info!(target: "nimbus::request", request_id,
                service = self.service, operation = self.operation, principal, status,
                error_code = code, duration_us = us, "request");
        }
    }
}

async fn handle_traced(
    gw: &Arc<Gateway>,
    parts: Parts,
    body: RequestBody,
    source_ip: Option<std::net::IpAddr>,
    rid: &str,
    trace: &mut Trace,
    known: Option<Arc<crate::auth::Credential>>,
) -> Reply {
    let (body, streamed) = match body {
        RequestBody::Collected(b) => (b, None),
        RequestBody::Streamed { incoming, limit } => (Bytes::new(), Some((incoming, limit))),
    };
    let method = parts.method.as_str();
    let path = parts.uri.path();
    let query = parts.uri.query().unwrap_or("");

    if let Some((status, json)) = crate::admin::handle(gw, &parts, &body).await {
        trace.service = "nimbus";
        trace.operation = "admin";
        return hyper::Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(json)))
            .unwrap_or_else(|_| hyper::Response::new(Full::new(Bytes::new())));
    }

    let authority = parts.uri.authority().map(|a| a.as_str());
    let view = RequestView {
        method,
        raw_path: path,
        raw_query: query,
        headers: &parts.headers,
        body: &body,
        authority,
    };
    let sigv4 = nimbus_sigv4::parse(&view);
    let scope_service = sigv4
        .as_ref()
        .ok()
        .and_then(|p| p.as_ref())
        .map(|p| p.service.as_str());
    let family = family_of(&parts.headers, method, query, scope_service);
    // Authentication errors are rendered in the addressed service's own dialect (its XML
    // namespace, its JSON error conventions) when the signature scope names one.
    let scope_model: &'static ServiceModel = scope_service
        .and_then(|s| gw.registry.by_signing_name(s, None))
        .map_or(&FALLBACK_MODEL, |svc| svc.model());
    // A form request whose signature names no service (unsigned, or a broken header) is
    // still addressed to one: find it by `Action`, so that EC2 answers as EC2.
    let (family, scope_model) = dialect_by_action(gw, family, scope_model, query, &body);

    let unsigned = matches!(sigv4, Ok(None))
        && streamed.is_none()
        && unsigned_operation(gw, family, query, &body);
    let auth = if unsigned {
        Authenticated {
            principal: Arc::new(nimbus_core::Principal::anonymous()),
            verified: None,
            parsed: None,
        }
    } else {
        match authenticate_body(
            &view,
            sigv4,
            family,
            &gw.config.auth,
            &*gw.credentials,
            &*gw.clock,
            &gw.key_cache,
            streamed.is_some(),
            known,
        ) {
            Ok(a) => a,
            Err(e) => {
                trace.service = scope_model.name;
                trace.fail(&e);
                return render_error(family, scope_model, &e, rid, method);
            }
        }
    };
    trace.principal = Some(auth.principal.clone());

    // An upload's body is offered to the service only now, with the checks its
    // authentication calls for (payload hash, chunk signatures).
    let is_streamed = streamed.is_some();
    if let Some((incoming, limit)) = streamed {
        let upload = crate::body::Upload::new(incoming, limit, &parts, &auth, family);
        match nimbus_wire::stream::current() {
            Some(ex) => ex.put_request_body(Box::new(upload)),
            None => {
                let e = AwsError::new(
                    "InternalError",
                    500,
                    "a streamed body reached the pipeline outside a request exchange",
                );
                trace.fail(&e);
                return render_error(family, scope_model, &e, rid, method);
            }
        }
    }

    match pipeline(
        gw,
        &parts,
        body,
        is_streamed,
        family,
        &auth,
        rid,
        source_ip,
        trace,
    )
    .await
    {
        Ok(r) => r,
        Err((model, family, e)) => {
            if trace.service.is_empty() {
                trace.service = model.name;
            }
            trace.fail(&e);
            render_error(family, model, &e, rid, method)
        }
    }
}

/// Whether an unsigned form request asks for an operation AWS serves without a signature
/// (`Service::unsigned_operations`, from the model's `authtype: none`): it then goes on as an
/// anonymous caller, in strict mode too, and its service decides on the credential it
/// carries (a web identity token, a SAML assertion). The pipeline finds the same service by
/// the same `Action`, so no other operation can be reached this way.
fn unsigned_operation(gw: &Gateway, family: Family, query: &str, body: &[u8]) -> bool {
    if !matches!(family, Family::Query) {
        return false;
    }
    let Ok(params) = nimbus_proto_query::parse_params(query, body) else {
        return false;
    };
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let Some(action) = get("Action") else {
        return false;
    };
    gw.registry
        .by_action(action, get("Version"))
        .is_some_and(|svc| svc.unsigned_operations().contains(&action))
}

/// For a form-encoded request whose signature names no service (e.g. an unsigned call),
/// finds the addressed service by its `Action`, so authentication errors carry that
/// service's XML namespace and family (EC2's own codes and error shape). Signed requests
/// skip it: their scope already named the service.
fn dialect_by_action(
    gw: &Gateway,
    family: Family,
    scope_model: &'static ServiceModel,
    query: &str,
    body: &[u8],
) -> (Family, &'static ServiceModel) {
    if !std::ptr::eq(scope_model, &FALLBACK_MODEL) || !matches!(family, Family::Query | Family::Ec2)
    {
        return (family, scope_model);
    }
    let Ok(params) = nimbus_proto_query::parse_params(query, body) else {
        return (family, scope_model);
    };
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    match get("Action").and_then(|a| gw.registry.by_action(a, get("Version"))) {
        Some(svc) => {
            let m = svc.model();
            let family = if m.protocols.contains(&Protocol::Ec2) {
                Family::Ec2
            } else {
                Family::Query
            };
            (family, m)
        }
        None => (family, scope_model),
    }
}

type Failure = (&'static ServiceModel, Family, AwsError);

fn fail(model: &'static ServiceModel, family: Family) -> impl Fn(AwsError) -> Failure {
    move |e| (model, family, e)
}

// The request, what authentication found and the trace to fill: splitting them into a
// struct would only rename the list.
#[allow(clippy::too_many_arguments)]
async fn pipeline(
    gw: &Arc<Gateway>,
    parts: &Parts,
    mut body: Bytes,
    streamed: bool,
    family: Family,
    auth: &Authenticated,
    rid: &str,
    source_ip: Option<std::net::IpAddr>,
    trace: &mut Trace,
) -> Result<Reply, Failure> {
    let method = parts.method.as_str();
    let path = parts.uri.path();
    let query = parts.uri.query().unwrap_or("");
    let fb = fail(&FALLBACK_MODEL, family);

    // Body transformations the signature does not cover.
    let encoding = header_str(parts, &http::header::CONTENT_ENCODING)
        .unwrap_or("")
        .to_ascii_lowercase();
    let streaming =
        header_str(parts, &X_AMZ_CONTENT_SHA256).is_some_and(|v| v.starts_with("STREAMING-"));
    if streamed {
        // The stream decodes and checks its own framing (`body.rs`).
    } else if streaming || encoding.split(',').any(|e| e.trim() == "aws-chunked") {
        let mode = match &auth.verified {
            Some(v) => v.payload,
            None => PayloadMode::StreamingUnsignedTrailer,
        };
        let decoded = match (&auth.verified, &auth.parsed) {
            (Some(v), Some(p)) => nimbus_sigv4::decode_aws_chunked(&body, mode, v, p),
            _ => nimbus_sigv4::decode_aws_chunked_unverified(&body),
        };
        body = decoded
            .map_err(|e| fb(crate::auth::sigv4_error(&e, family)))?
            .0;
    } else if family != Family::S3 && encoding.split(',').any(|e| e.trim() == "gzip") {
        // Only the JSON, CBOR and query services take compressed request bodies (CloudWatch's
        // PutMetricData above 10 KiB). For S3, `Content-Encoding` is object metadata: the
        // object is stored as the bytes sent and served back with the same header.
        body = gunzip(&body, gw.config.max_body).map_err(&fb)?;
    }

    let region = auth
        .parsed
        .as_ref()
        .map(|p| p.region.clone())
        .unwrap_or_else(|| "us-east-1".to_string());
    let host = header_str(parts, &http::header::HOST)
        .or(parts.uri.authority().map(|a| a.as_str()))
        .unwrap_or("")
        .to_string();
    let ctx = RequestContext {
        request_id: rid.to_string(),
        principal: auth.principal.clone(),
        region,
        now: gw.clock.now(),
        host,
        source_ip,
    };

    match family {
        Family::Query | Family::Ec2 => {
            let params = nimbus_proto_query::parse_params(query, &body)
                .map_err(|e| fb(e.to_aws(family.protocol())))?;
            let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
            let action = get("Action").ok_or_else(|| {
                fb(AwsError::client(
                    "MissingAction",
                    "The request must contain the parameter Action",
                ))
            })?;
            let version = get("Version");
            let svc = match auth.parsed.as_ref() {
                Some(p) => gw.registry.by_signing_name(&p.service, version),
                None => gw.registry.by_action(action, version),
            }
            .ok_or_else(|| {
                fb(AwsError::client(
                    "InvalidAction",
                    format!("No service here answers the action {action}"),
                ))
            })?;
            let model = svc.model();
            let family = if model.protocols.contains(&Protocol::Ec2) {
                Family::Ec2
            } else {
                Family::Query
            };
            let f = fail(model, family);
            let op = model.operation(action).ok_or_else(|| {
                f(AwsError::client(
                    "InvalidAction",
                    format!("The action {action} is not valid for this web service."),
                ))
            })?;
            let input = match op.input {
                Some(shape) if op.implemented => Some(
                    match family {
                        Family::Ec2 => nimbus_proto_query::ec2::decode_input(model, shape, &params),
                        _ => nimbus_proto_query::query::decode_input(model, shape, &params),
                    }
                    .map_err(|e| f(e.to_aws(family.protocol())))?,
                ),
                _ => None,
            };
            let out = call(gw, svc, &ctx, family, op, input, trace)
                .await
                .map_err(&f)?;
            Ok(to_hyper(match family {
                Family::Ec2 => nimbus_proto_query::ec2::encode_output(model, op, out.as_ref(), rid),
                _ => nimbus_proto_query::query::encode_output(model, op, out.as_ref(), rid),
            }))
        }
        Family::Json | Family::Cbor => {
            // JSON names the operation in `X-Amz-Target: Prefix.Op`, RPC v2 CBOR in the path
            // `/service/Prefix/operation/Op`; both look the service up by its target prefix.
            let (prefix, op_name) = if family == Family::Json {
                let target = header_str(parts, &X_AMZ_TARGET).unwrap_or("");
                target.split_once('.').unwrap_or((target, ""))
            } else {
                nimbus_proto_json::rpcv2::parse_path(path).ok_or_else(|| {
                    fb(AwsError::client(
                        "UnknownOperationException",
                        format!("Not an RPC v2 CBOR path: {path}"),
                    ))
                })?
            };
            let svc = gw.registry.by_target_prefix(prefix).ok_or_else(|| {
                fb(AwsError::client(
                    "UnknownOperationException",
                    format!("No service here is named {prefix}"),
                ))
            })?;
            let model = svc.model();
            let f = fail(model, family);
            let op = model.operation(op_name).ok_or_else(|| {
                f(AwsError::client(
                    "UnknownOperationException",
                    format!("Unknown operation {prefix}.{op_name}"),
                ))
            })?;
            let input = match op.input {
                Some(shape) if op.implemented => Some(
                    if family == Family::Json {
                        nimbus_proto_json::json::decode_input(model, shape, &body)
                    } else {
                        nimbus_proto_json::rpcv2::decode_input(model, shape, &body)
                    }
                    .map_err(|e| f(e.to_aws(family.protocol())))?,
                ),
                _ => None,
            };
            let out = call(gw, svc, &ctx, family, op, input, trace)
                .await
                .map_err(&f)?;
            Ok(to_hyper(if family == Family::Json {
                nimbus_proto_json::json::encode_output(model, op, out.as_ref(), rid)
            } else {
                nimbus_proto_json::rpcv2::encode_output(model, op, out.as_ref(), rid)
            }))
        }
        Family::S3 => {
            let svc = gw.registry.rest_xml().ok_or_else(|| {
                fb(AwsError::client(
                    "InvalidRequest",
                    "No service here answers REST-XML requests",
                ))
            })?;
            let model = svc.model();
            let f = fail(model, family);
            let vhost = crate::route::s3_vhost_bucket(&ctx.host);
            let resolved = nimbus_proto_restxml::resolve_with_headers(
                model,
                method,
                path,
                query,
                &parts.headers,
                vhost.as_deref(),
            )
            .ok_or_else(|| {
                f(AwsError::new(
                    "MethodNotAllowed",
                    405,
                    format!("No S3 operation answers {method} {path}"),
                ))
            })?;
            let op = resolved.op;
            let input = if op.implemented && op.input.is_some() {
                let req = HttpRequest {
                    method,
                    path,
                    query,
                    headers: &parts.headers,
                    body: &body,
                };
                Some(
                    nimbus_proto_restxml::decode_input(model, op, &req, &resolved)
                        .map_err(|e| f(e.to_aws(Protocol::RestXml)))?,
                )
            } else {
                None
            };
            let out = call(gw, svc, &ctx, family, op, input, trace)
                .await
                .map_err(&f)?;
            Ok(to_hyper(nimbus_proto_restxml::encode_output(
                model,
                op,
                out,
                rid,
                method == "HEAD",
            )))
        }
    }
}

/// The service, with the gateway's authorizer (the generated `Router` asks it once the input
/// is typed). Unimplemented operations never reach a handler.
async fn call(
    gw: &Gateway,
    svc: &Arc<dyn Service>,
    ctx: &RequestContext,
    family: Family,
    op: &'static Operation,
    input: Option<Value>,
    trace: &mut Trace,
) -> Result<Option<Value>, AwsError> {
    let model = svc.model();
    trace.service = model.name;
    trace.operation = op.name;
    if !op.implemented {
        return Err(AwsError::not_implemented(model.service_id, op.name));
    }
    svc.call(ctx, &*gw.authorizer, family.protocol(), op, input)
        .await
}
