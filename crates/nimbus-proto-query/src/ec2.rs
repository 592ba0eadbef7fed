//! The `ec2` protocol (`ec2Query`): query's form encoding with EC2's own naming, and a
//! flatter XML response. Request keys are a member's `queryName`, else its location name
//! with the first letter upper-cased, else its name; lists are always `Prefix.N` and an
//! empty list is simply absent (botocore's `EC2Serializer`). Responses are
//! `<?xml ..?>\n<OpResponse xmlns=".."><requestId>..</requestId>..members..` and errors
//! `<Response><Errors><Error>..</Error></Errors><RequestID>..` (botocore's
//! `EC2QueryParser`). See <https://smithy.io/2.0/aws/protocols/aws-ec2-query-protocol.html>.

use crate::decode;
use crate::dialect::shape_at;
use crate::encode::{close_root, open_root, XmlEncoder};
use crate::Dialect;
use nimbus_core::AwsError;
use nimbus_wire::model::ShapeKind;
use nimbus_wire::xml::XmlWriter;
use nimbus_wire::{HttpResponse, Operation, ServiceModel, ShapeId, Value, WireError};

const CONTENT_TYPE: &str = "text/xml;charset=UTF-8";

/// Decodes the request parameters (from [`crate::parse_params`]) as the input structure
/// `input` under EC2's naming rules. `Action`, `Version` and unknown keys are ignored;
/// required members are not checked.
///
/// # Errors
/// [`WireError::InvalidValue`] for a leaf that does not parse as its type,
/// [`WireError::Malformed`] for absurdly deep keys or a non-structure input shape.
pub fn decode_input(
    model: &ServiceModel,
    input: ShapeId,
    params: &[(String, String)],
) -> Result<Value, WireError> {
    decode::decode_input(Dialect::Ec2, model, input, params)
}

fn response(status: u16, body: String, request_id: &str) -> HttpResponse {
    let mut resp = HttpResponse::new(status, CONTENT_TYPE, body);
    resp.header("x-amzn-RequestId", request_id.to_string());
    resp
}

/// Renders a successful response: the XML declaration, then
/// `<{Op}Response xmlns=".."><requestId>..</requestId>..members..</{Op}Response>`.
/// An operation without an output shape answers `<return>true</return>`, as EC2 does
/// (botocore ignores it).
#[must_use]
pub fn encode_output(
    model: &ServiceModel,
    op: &Operation,
    output: Option<&Value>,
    request_id: &str,
) -> HttpResponse {
    let mut w = XmlWriter {
        out: String::with_capacity(4096),
    };
    w.declaration();
    w.out.push('\n');
    // EC2 answers with `http://ec2.amazonaws.com/doc/2016-11-15/`: the model's namespace
    // lacks the trailing slash AWS puts there.
    match model.xml_namespace {
        Some(ns) if ns.ends_with('/') => open_root(&mut w, op.name, &[ns]),
        Some(ns) => open_root(&mut w, op.name, &[ns, "/"]),
        None => open_root(
            &mut w,
            op.name,
            &["http://ec2.amazonaws.com/doc/", model.api_version, "/"],
        ),
    }
    w.leaf("requestId", request_id);
    match op
        .output
        .and_then(|id| shape_at(model, id))
        .map(|s| &s.kind)
    {
        Some(ShapeKind::Structure(s)) => {
            if let Some(v) = output {
                let enc = XmlEncoder {
                    model,
                    dialect: Dialect::Ec2,
                };
                enc.members(&mut w, s, v);
            }
        }
        _ => w.leaf("return", "true"),
    }
    close_root(&mut w, op.name);
    response(200, w.finish(), request_id)
}

/// Renders an error: `<?xml ..?>\n<Response><Errors><Error><Code>..</Code>
/// <Message>..</Message></Error></Errors><RequestID>..</RequestID></Response>` with the
/// error's HTTP status. Extra fields of the error follow `Message` inside `<Error>`.
#[must_use]
pub fn encode_error(_model: &ServiceModel, err: &AwsError, request_id: &str) -> HttpResponse {
    let mut w = XmlWriter::new();
    w.declaration();
    w.out.push('\n');
    w.open("Response");
    w.open("Errors");
    w.open("Error");
    w.leaf("Code", &err.code);
    w.leaf("Message", &err.message);
    for (name, value) in &err.extra {
        w.leaf(name, value);
    }
    w.close("Error");
    w.close("Errors");
    w.leaf("RequestID", request_id);
    w.close("Response");
    response(err.status, w.finish(), request_id)
}
