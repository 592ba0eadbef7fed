//! The `query` protocol (`awsQuery`): STS, IAM, ELBv2, Auto Scaling, SNS, CloudWatch's
//! legacy protocol. Requests are form-encoded with `Tags.member.1.Key`-style keys; responses
//! are `<OpResponse><OpResult>..</OpResult><ResponseMetadata>..` XML and errors are
//! `<ErrorResponse><Error>..</Error><RequestId>..` (botocore's `QueryParser`).
//! See <https://smithy.io/2.0/aws/protocols/aws-query-protocol.html>.

use crate::decode;
use crate::dialect::shape_at;
use crate::encode::{close_root, open_root, XmlEncoder};
use crate::Dialect;
use nimbus_core::AwsError;
use nimbus_wire::model::ShapeKind;
use nimbus_wire::xml::XmlWriter;
use nimbus_wire::{HttpResponse, Operation, ServiceModel, ShapeId, Value, WireError};

const CONTENT_TYPE: &str = "text/xml";

/// Decodes the request parameters (from [`crate::parse_params`]) as the input structure
/// `input`, following botocore's `QuerySerializer` naming: member key = location name or
/// member name; lists `Prefix.member.N` (item word = the list member's location name),
/// flattened lists `Prefix.N` (renamed to the list member's location name when it has one),
/// an empty list as `Prefix=`; maps `Prefix.entry.N.key`/`.value` (flattened:
/// `Prefix.N.key`). `Action`, `Version` and unknown keys are ignored; required members are
/// not checked.
///
/// # Errors
/// [`WireError::InvalidValue`] for a leaf that does not parse as its type,
/// [`WireError::Malformed`] for absurdly deep keys or a non-structure input shape.
pub fn decode_input(
    model: &ServiceModel,
    input: ShapeId,
    params: &[(String, String)],
) -> Result<Value, WireError> {
    decode::decode_input(Dialect::Query, model, input, params)
}

/// The XML namespace of a service's error responses: the model's, else AWS's usual pattern.
/// `None` for a model without an API version — the gateway's stand-in for "no service
/// addressed yet" — whose errors carry no namespace rather than an invented one.
fn error_namespace(model: &ServiceModel) -> Option<String> {
    match (model.xml_namespace, model.api_version) {
        (Some(ns), _) => Some(ns.to_string()),
        (None, "") => None,
        (None, version) => Some(format!(
            "https://{}.amazonaws.com/doc/{version}/",
            model.endpoint_prefix
        )),
    }
}

fn response(status: u16, body: String, request_id: &str) -> HttpResponse {
    let mut resp = HttpResponse::new(status, CONTENT_TYPE, body);
    resp.header("x-amzn-RequestId", request_id.to_string());
    resp
}

/// Renders a successful response:
/// `<{Op}Response xmlns=".."><{OpResult}>..</{OpResult}><ResponseMetadata><RequestId>..`.
/// The result wrapper is written whenever the operation has an output shape and a wrapper
/// name, even if `output` is `None` (botocore fails on a missing wrapper); without a
/// wrapper the members sit directly under the root, where botocore then looks.
#[must_use]
pub fn encode_output(
    model: &ServiceModel,
    op: &Operation,
    output: Option<&Value>,
    request_id: &str,
) -> HttpResponse {
    let mut w = XmlWriter {
        out: String::with_capacity(1024),
    };
    match model.xml_namespace {
        Some(ns) => open_root(&mut w, op.name, &[ns]),
        None => open_root(
            &mut w,
            op.name,
            &[
                "https://",
                model.endpoint_prefix,
                ".amazonaws.com/doc/",
                model.api_version,
                "/",
            ],
        ),
    }
    let structure = match op
        .output
        .and_then(|id| shape_at(model, id))
        .map(|s| &s.kind)
    {
        Some(ShapeKind::Structure(s)) => Some(s),
        _ => None,
    };
    let enc = XmlEncoder {
        model,
        dialect: Dialect::Query,
    };
    if let Some(s) = structure {
        if let Some(wrapper) = op.result_wrapper {
            w.open(wrapper);
        }
        if let Some(v) = output {
            enc.members(&mut w, s, v);
        }
        if let Some(wrapper) = op.result_wrapper {
            w.close(wrapper);
        }
    }
    w.open("ResponseMetadata");
    w.leaf("RequestId", request_id);
    w.close("ResponseMetadata");
    close_root(&mut w, op.name);
    response(200, w.finish(), request_id)
}

/// Renders an error: `<ErrorResponse xmlns=".."><Error><Type>Sender|Receiver</Type>
/// <Code>..</Code><Message>..</Message></Error><RequestId>..</RequestId></ErrorResponse>`
/// with the error's HTTP status. Extra fields of the error follow `Message` inside
/// `<Error>`, where botocore reads modeled error members.
#[must_use]
pub fn encode_error(model: &ServiceModel, err: &AwsError, request_id: &str) -> HttpResponse {
    let mut w = XmlWriter::new();
    match error_namespace(model) {
        Some(ns) => w.open_with_attrs("ErrorResponse", &[("xmlns", &ns)]),
        None => w.open("ErrorResponse"),
    }
    w.open("Error");
    w.leaf(
        "Type",
        if err.sender_fault {
            "Sender"
        } else {
            "Receiver"
        },
    );
    w.leaf("Code", &err.code);
    w.leaf("Message", &err.message);
    for (name, value) in &err.extra {
        w.leaf(name, value);
    }
    w.close("Error");
    w.leaf("RequestId", request_id);
    w.close("ErrorResponse");
    response(err.status, w.finish(), request_id)
}
