//! `typed_convert`: a request body decoded by a protocol decoder, then handed to the
//! service through the generated `Router` (`nimbus_wire::Service::call`), which converts the
//! decoded [`Value`] into the operation's typed input (`FromValue`, generated per shape)
//! before the handler runs — exactly the gateway's path without HTTP, authentication and
//! routing. The real handlers run (over the in-memory [`crate::world`], reset before each
//! input), and their output is then encoded by the protocol and checked like
//! `encode_output` does. Nothing may panic; a conversion or handler error must be a client
//! error (4xx) or 501, never a 5xx, and must render cleanly.
//!
//! Layout: `proto:Operation NUL payload` (or a selector byte, see [`crate::select_keyed`]),
//! `proto` one of `query`, `ec2`, `json`, `cbor`, `restxml`. The payload is what the
//! matching `*_decode` target reads: `query-string \n form-body` for query/ec2, the body
//! for json/cbor, and the HTTP-like layout for restxml (where the S3 router picks the
//! operation, whatever the key named).

use crate::encode::{check_error, check_output, OutputTarget};
use crate::world::world;
use crate::{Keyed, Target};
use nimbus_core::{AllowAll, AwsError};
use nimbus_wire::{Operation, Protocol, Value};
use std::sync::OnceLock;

/// Every (protocol, implemented operation with an input) pair, keyed `proto:Operation`.
pub fn input_targets() -> &'static [Keyed<(Protocol, Target)>] {
    static T: OnceLock<Vec<Keyed<(Protocol, Target)>>> = OnceLock::new();
    T.get_or_init(|| {
        let mut out = Vec::new();
        for p in [
            Protocol::Query,
            Protocol::Ec2,
            Protocol::Json,
            Protocol::RpcV2Cbor,
            Protocol::RestXml,
        ] {
            let pk = crate::proto_key(p).expect("fuzzed protocols have keys");
            for t in crate::targets(p) {
                out.push(Keyed {
                    key: format!("{pk}:{}", t.op.name),
                    item: (p, t),
                });
            }
        }
        out
    })
}

/// A handler's or the conversion's error must be the client's fault (4xx), or the 501
/// that names an operation without a handler; any other 5xx fails the fuzz run.
pub fn assert_not_server_error(err: &AwsError, what: &str) {
    assert!(
        err.status < 500 || err.status == 501,
        "{what} answered a server error: {err:?}"
    );
}

pub fn typed_convert(data: &[u8]) {
    let _ = run(data);
}

/// What [`typed_convert`] did with an input: `None` when it did not decode (or did not
/// route), else the service's answer, code and status on error. Panics as the target does.
pub fn run(data: &[u8]) -> Option<Result<(), (String, u16)>> {
    let ((protocol, t), payload) = crate::select_keyed(input_targets(), data)?;
    let model = t.model;
    let mut host = None;
    let mut head = false;
    let decoded: Option<(&'static Operation, Result<Value, _>)> = match protocol {
        Protocol::Query | Protocol::Ec2 => {
            let (query, body) = crate::split_query_body(payload);
            let params = nimbus_proto_query::parse_params(&query, body).ok()?;
            Some((
                t.op,
                if protocol == Protocol::Ec2 {
                    nimbus_proto_query::ec2::decode_input(model, t.input, &params)
                } else {
                    nimbus_proto_query::query::decode_input(model, t.input, &params)
                },
            ))
        }
        Protocol::Json => Some((
            t.op,
            nimbus_proto_json::json::decode_input(model, t.input, payload),
        )),
        Protocol::RpcV2Cbor => Some((
            t.op,
            nimbus_proto_json::rpcv2::decode_input(model, t.input, payload),
        )),
        Protocol::RestXml => {
            let req = crate::HttpInput::parse(payload);
            let req_host = req
                .headers
                .get(http::header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("localhost:4566")
                .to_string();
            let vhost = nimbus_gateway::route::s3_vhost_bucket(&req_host);
            let resolved = nimbus_proto_restxml::resolve_with_headers(
                model,
                &req.method,
                &req.path,
                &req.query,
                &req.headers,
                vhost.as_deref(),
            )?;
            let op = resolved.op;
            if !op.implemented || op.input.is_none() {
                return None;
            }
            head = req.method == "HEAD";
            let http_req = nimbus_wire::HttpRequest {
                method: &req.method,
                path: &req.path,
                query: &req.query,
                headers: &req.headers,
                body: req.body,
            };
            host = Some(req_host);
            Some((
                op,
                nimbus_proto_restxml::decode_input(model, op, &http_req, &resolved),
            ))
        }
        Protocol::RestJson => None,
    };
    let (op, value) = decoded?;
    let value = value.ok()?;
    let w = world();
    w.reset();
    let mut ctx = w.context();
    if let Some(h) = host {
        ctx.host = h;
    }
    let svc = w.service(model);
    let out =
        w.rt.block_on(svc.call(&ctx, &AllowAll, protocol, op, Some(value)));
    Some(match out {
        Ok(out) => {
            let t = OutputTarget {
                model,
                op,
                protocol,
            };
            check_output(t, out, false, head);
            Ok(())
        }
        Err(e) => {
            assert_not_server_error(&e, op.name);
            check_error(model, protocol, &e, head);
            Err((e.code.to_string(), e.status))
        }
    })
}
