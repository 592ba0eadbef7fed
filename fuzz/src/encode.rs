//! `encode_output`: the output and error encoders of every protocol, fed arbitrary
//! [`Value`]s for an operation's output shape (see [`crate::gen`]) and arbitrary errors.
//! Nothing may panic, every header must be one HTTP can carry, and the body must read
//! back: query/ec2/rest-xml XML is well-formed, JSON parses with `serde_json`, CBOR decodes
//! with the crate's own decoder. For JSON and CBOR the body must also decode, with the
//! protocol's own decoder against the same shape, to the value that was encoded (when the
//! value fits its shape and its timestamps lie in years 1..=9999, the decoders' range).

use crate::check;
use crate::gen::{same_value, Gen};
use crate::Keyed;
use arbitrary::Unstructured;
use nimbus_core::AwsError;
use nimbus_wire::{Operation, Protocol, ServiceModel, Value};
use std::sync::OnceLock;

/// What an `encode_output` input selects: a model, an implemented operation with an
/// output shape, and one of the model's protocols.
#[derive(Clone, Copy, Debug)]
pub struct OutputTarget {
    pub model: &'static ServiceModel,
    pub op: &'static Operation,
    pub protocol: Protocol,
}

/// Every (protocol, operation) pair, keyed `proto:Operation` (see [`crate::proto_key`]).
pub fn output_targets() -> &'static [Keyed<OutputTarget>] {
    static T: OnceLock<Vec<Keyed<OutputTarget>>> = OnceLock::new();
    T.get_or_init(|| {
        let mut out = Vec::new();
        for model in crate::MODELS {
            for &protocol in model.protocols {
                let Some(pk) = crate::proto_key(protocol) else {
                    continue;
                };
                for op in model.operations.iter().filter(|o| o.implemented) {
                    if op.output.is_some() {
                        out.push(Keyed {
                            key: format!("{pk}:{}", op.name),
                            item: OutputTarget {
                                model,
                                op,
                                protocol,
                            },
                        });
                    }
                }
            }
        }
        out
    })
}

const RID: &str = "4442587FB7D0A2F9";

/// Error codes as services write them (static ASCII), or a made-up one of the same alphabet.
fn error_code(u: &mut Unstructured<'_>) -> String {
    const CODES: [&str; 6] = [
        "InvalidParameterValue",
        "NoSuchKey",
        "ValidationException",
        "InvalidGroup.NotFound",
        "ResourceNotFoundException",
        "InternalFailure",
    ];
    let b: u8 = u.arbitrary().unwrap_or(0);
    if b & 1 == 0 {
        return CODES[usize::from(b >> 1) % CODES.len()].to_string();
    }
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.";
    let n = u.int_in_range(1..=24).unwrap_or(1);
    (0..n)
        .map(|_| {
            char::from(alphabet[usize::from(u.arbitrary::<u8>().unwrap_or(0)) % alphabet.len()])
        })
        .collect()
}

/// An error as a handler could return it: messages and extra fields echo request text.
fn arbitrary_error(u: &mut Unstructured<'_>) -> AwsError {
    const EXTRA: [&str; 5] = ["BucketName", "Key", "message", "__type", "RequestId"];
    let code = error_code(u);
    let status = u.int_in_range(300..=599).unwrap_or(400);
    let message: String = u.arbitrary().unwrap_or_default();
    let mut err = AwsError::new(code, status, message);
    let n = u.int_in_range(0..=2).unwrap_or(0);
    for _ in 0..n {
        let name = EXTRA[usize::from(u.arbitrary::<u8>().unwrap_or(0)) % EXTRA.len()];
        err = err.with_extra(name, u.arbitrary::<String>().unwrap_or_default());
    }
    err
}

/// Encodes `value` (the output of `t.op`) with `t.protocol`'s encoder and checks the result
/// (see the module docs). `round_trip`: whether JSON/CBOR must decode back to `value`.
pub fn check_output(t: OutputTarget, value: Option<Value>, round_trip: bool, head: bool) {
    use nimbus_proto_json::{json, rpcv2};
    use nimbus_proto_query::{ec2, query};
    let (model, op) = (t.model, t.op);
    match t.protocol {
        Protocol::Query | Protocol::Ec2 => {
            let r = if t.protocol == Protocol::Ec2 {
                ec2::encode_output(model, op, value.as_ref(), RID)
            } else {
                query::encode_output(model, op, value.as_ref(), RID)
            };
            check::headers_valid(&r);
            check::xml_well_formed(&r.body);
        }
        Protocol::Json | Protocol::RpcV2Cbor => {
            let json = t.protocol == Protocol::Json;
            let r = if json {
                json::encode_output(model, op, value.as_ref(), RID)
            } else {
                rpcv2::encode_output(model, op, value.as_ref(), RID)
            };
            check::headers_valid(&r);
            if json {
                let doc = check::json_parses(&r.body);
                assert!(doc.is_object(), "JSON output is not an object: {doc}");
            } else {
                let doc = check::cbor_decodes(&r.body);
                assert!(
                    matches!(doc, nimbus_proto_json::cbor::CborValue::Map(_)),
                    "CBOR output is not a map: {doc:?}"
                );
            }
            if let (true, Some(v @ Value::Struct(_)), Some(shape)) = (round_trip, &value, op.output)
            {
                let back = if json {
                    json::decode_input(model, shape, &r.body)
                } else {
                    rpcv2::decode_input(model, shape, &r.body)
                }
                .unwrap_or_else(|e| {
                    panic!(
                        "{:?} output of {} does not decode back ({e}): {v:?}\nbody: {}",
                        t.protocol,
                        op.name,
                        String::from_utf8_lossy(&r.body)
                    )
                });
                // See `serde_json_floats_exact`: a few ULPs of slack until the JSON decoder
                // reads floats correctly rounded (serde_json's default reader is off by up
                // to a few ULPs on long mantissas with large exponents).
                let ulps = if json && !crate::gen::serde_json_floats_exact() {
                    8
                } else {
                    0
                };
                assert!(
                    same_value(v, &back, ulps),
                    "{:?} round trip of {} changed the value:\n{v:?}\n->\n{back:?}",
                    t.protocol,
                    op.name
                );
            }
        }
        Protocol::RestXml => {
            let r = nimbus_proto_restxml::encode_output(model, op, value, RID, head);
            check::headers_valid(&r);
            if head {
                assert!(r.body.is_empty(), "HEAD response with a body");
            }
            // A raw (blob/string) payload is the object's bytes, under whatever content type
            // the object has; only the XML the encoder writes itself is checked.
            if !r.body.is_empty() && !raw_payload(model, op) {
                check::xml_well_formed(&r.body);
            }
        }
        Protocol::RestJson => {}
    }
}

/// Whether `op`'s output payload is raw bytes (a blob or string member bound to the body),
/// as opposed to an XML document.
fn raw_payload(model: &ServiceModel, op: &Operation) -> bool {
    use nimbus_wire::model::ShapeKind;
    let Some(ShapeKind::Structure(st)) = op.output.map(|id| &model.shape(id).kind) else {
        return false;
    };
    st.payload
        .and_then(|p| st.members.get(usize::from(p)))
        .is_some_and(|m| {
            matches!(
                model.shape(m.shape).kind,
                ShapeKind::Blob { .. } | ShapeKind::String { .. }
            )
        })
}

/// Renders `err` as `protocol` does and checks the result.
pub fn check_error(model: &ServiceModel, protocol: Protocol, err: &AwsError, head: bool) {
    use nimbus_proto_json::{json, rpcv2};
    use nimbus_proto_query::{ec2, query};
    let r = match protocol {
        Protocol::Query => query::encode_error(model, err, RID),
        Protocol::Ec2 => ec2::encode_error(model, err, RID),
        Protocol::Json => json::encode_error(model, err, RID),
        Protocol::RpcV2Cbor => rpcv2::encode_error(model, err, RID),
        Protocol::RestXml => nimbus_proto_restxml::encode_error(err, RID, head),
        Protocol::RestJson => return,
    };
    check::headers_valid(&r);
    let ct = check::header(&r, "content-type").unwrap_or("");
    check::body_by_content_type(ct, &r.body);
}

/// `encode_output`: see the module docs. Layout: `proto:Operation NUL bytes` or
/// `selector bytes` (see [`crate::select_keyed`]); the bytes drive [`Gen`], then an error.
pub fn encode_output(data: &[u8]) {
    let Some((t, rest)) = crate::select_keyed(output_targets(), data) else {
        return;
    };
    let mut u = Unstructured::new(rest);
    let flags: u8 = u.arbitrary().unwrap_or(0);
    let (head, absent) = (flags & 1 == 1, flags & 0x0e == 0x0e);
    let (value, round_trip) = if absent {
        (None, false)
    } else {
        let mut g = Gen::new(t.model, &mut u);
        let v = g.value(t.op.output.expect("output targets have outputs"), 0);
        let ok = g.conformant && g.timestamps_in_range;
        (Some(v), ok)
    };
    let err = arbitrary_error(&mut u);
    check_output(
        t,
        value,
        round_trip,
        head && t.protocol == Protocol::RestXml,
    );
    check_error(t.model, t.protocol, &err, head);
}
