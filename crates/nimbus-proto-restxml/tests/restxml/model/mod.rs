//! Hand-written static models for the tests: a slice of S3 that mimics botocore's S3
//! shapes (member names, locations, location names, flattened flags, payloads exactly as
//! in `service-2.json` 2006-03-01), and a small synthetic rest-xml service exercising what
//! S3 does not (query maps, status-code members, body members without a payload, maps in
//! XML, recursion, timestamp formats).

use nimbus_wire::model::*;

mod echo;
mod s3;
pub use echo::*;
pub use s3::*;

pub const fn m(name: &'static str, shape: u16) -> Member {
    Member {
        name,
        shape: ShapeId(shape),
        location: Location::Body,
        location_name: None,
        query_name: None,
        xml_namespace: None,
        xml_attribute: false,
        flattened: false,
        timestamp_format: None,
        required: false,
        idempotency_token: false,
        host_label: false,
    }
}
pub const fn named(name: &'static str, loc: &'static str, shape: u16) -> Member {
    Member {
        location_name: Some(loc),
        ..m(name, shape)
    }
}
pub const fn uri(name: &'static str, shape: u16) -> Member {
    Member {
        location: Location::Uri,
        location_name: Some(name),
        required: true,
        ..m(name, shape)
    }
}
pub const fn qs(name: &'static str, loc: &'static str, shape: u16) -> Member {
    Member {
        location: Location::QueryString,
        location_name: Some(loc),
        ..m(name, shape)
    }
}
pub const fn hdr(name: &'static str, loc: &'static str, shape: u16) -> Member {
    Member {
        location: Location::Header,
        location_name: Some(loc),
        ..m(name, shape)
    }
}
pub const fn hdrs(name: &'static str, prefix: &'static str, shape: u16) -> Member {
    Member {
        location: Location::Headers,
        location_name: Some(prefix),
        ..m(name, shape)
    }
}
pub const fn req(mm: Member) -> Member {
    Member {
        required: true,
        ..mm
    }
}
pub const fn ns(mm: Member, uri: &'static str) -> Member {
    Member {
        xml_namespace: Some(XmlNamespace { prefix: None, uri }),
        ..mm
    }
}
pub const fn flat(mm: Member) -> Member {
    Member {
        flattened: true,
        ..mm
    }
}

pub const fn st(name: &'static str, members: &'static [Member], payload: Option<u16>) -> Shape {
    Shape {
        name,
        kind: ShapeKind::Structure(Structure {
            members,
            payload,
            error: None,
            location_name: None,
            xml_namespace: None,
            exception: false,
        }),
    }
}
pub const fn list(
    name: &'static str,
    member: u16,
    loc: Option<&'static str>,
    flattened: bool,
) -> Shape {
    Shape {
        name,
        kind: ShapeKind::List(ListShape {
            member: ShapeId(member),
            member_location_name: loc,
            flattened,
        }),
    }
}
pub const fn string(name: &'static str) -> Shape {
    Shape {
        name,
        kind: ShapeKind::String { enum_values: &[] },
    }
}

pub const fn op(
    name: &'static str,
    http_method: &'static str,
    request_uri: &'static str,
    input: Option<u16>,
    output: Option<u16>,
) -> Operation {
    Operation {
        name,
        http_method,
        request_uri,
        response_code: 200,
        input: match input {
            Some(i) => Some(ShapeId(i)),
            None => None,
        },
        output: match output {
            Some(i) => Some(ShapeId(i)),
            None => None,
        },
        result_wrapper: None,
        errors: &[],
        implemented: true,
    }
}
pub const fn unimplemented_op(
    name: &'static str,
    http_method: &'static str,
    request_uri: &'static str,
) -> Operation {
    Operation {
        implemented: false,
        ..op(name, http_method, request_uri, None, None)
    }
}
pub const fn code(o: Operation, response_code: u16) -> Operation {
    Operation { response_code, ..o }
}

/// Position of `member` in the structure shape `shape` of `model`.
pub fn idx(model: &ServiceModel, shape: &str, member: &str) -> usize {
    let s = model
        .shapes
        .iter()
        .find(|s| s.name == shape)
        .expect("shape");
    match &s.kind {
        ShapeKind::Structure(st) => st.member_index(member).expect("member"),
        _ => panic!("not a structure"),
    }
}

/// Builds a struct value for `shape` from `(member, value)` pairs.
pub fn build(
    model: &ServiceModel,
    shape: &str,
    fields: Vec<(&str, nimbus_wire::Value)>,
) -> nimbus_wire::Value {
    let s = model
        .shapes
        .iter()
        .find(|s| s.name == shape)
        .expect("shape");
    let n = match &s.kind {
        ShapeKind::Structure(st) => st.members.len(),
        _ => panic!("not a structure"),
    };
    let mut slots = vec![None; n];
    for (k, v) in fields {
        slots[idx(model, shape, k)] = Some(v);
    }
    nimbus_wire::Value::Struct(slots)
}
