//! Test support: hand-written miniature service models (a CloudWatch subset that is
//! query-compatible and speaks JSON 1.0 / CBOR, an ACM subset on JSON 1.1) with the same
//! shapes botocore's models give these operations, plus a "Kitchen" operation that uses
//! every shape kind. Hand-written rather than taken from the service crates so that this
//! crate's tests never depend on another crate's generated code.
#![allow(dead_code)]

pub mod fixtures;

use nimbus_wire::model::*;
use nimbus_wire::{Operation, Protocol, ServiceModel, Shape, ShapeId, ShapeKind};

const fn mem(name: &'static str, shape: u16) -> Member {
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

const fn structure(name: &'static str, members: &'static [Member]) -> Shape {
    Shape {
        name,
        kind: ShapeKind::Structure(Structure {
            members,
            payload: None,
            error: None,
            location_name: None,
            xml_namespace: None,
            exception: false,
        }),
    }
}

const MESSAGE: &[Member] = &[mem("message", 1)];

const fn error(name: &'static str, code: Option<&'static str>, http_status: u16) -> Shape {
    Shape {
        name,
        kind: ShapeKind::Structure(Structure {
            members: MESSAGE,
            payload: None,
            error: Some(ErrorInfo {
                code,
                http_status,
                sender_fault: http_status < 500,
            }),
            location_name: None,
            xml_namespace: None,
            exception: true,
        }),
    }
}

const fn list(name: &'static str, member: u16) -> Shape {
    Shape {
        name,
        kind: ShapeKind::List(ListShape {
            member: ShapeId(member),
            member_location_name: None,
            flattened: false,
        }),
    }
}

const fn scalar(name: &'static str, kind: ShapeKind) -> Shape {
    Shape { name, kind }
}

const fn string(name: &'static str) -> Shape {
    scalar(name, ShapeKind::String { enum_values: &[] })
}

const fn op(name: &'static str, input: Option<u16>, output: Option<u16>) -> Operation {
    Operation {
        name,
        http_method: "POST",
        request_uri: "/",
        response_code: 200,
        input: match input {
            Some(i) => Some(ShapeId(i)),
            None => None,
        },
        output: match output {
            Some(o) => Some(ShapeId(o)),
            None => None,
        },
        result_wrapper: None,
        errors: &[],
        implemented: true,
    }
}

// ----- CloudWatch subset ---------------------------------------------------------------

pub const CW_PUT_METRIC_DATA_INPUT: ShapeId = ShapeId(0);
pub const CW_GET_METRIC_STATISTICS_INPUT: ShapeId = ShapeId(12);
pub const CW_GET_METRIC_STATISTICS_OUTPUT: ShapeId = ShapeId(14);
pub const CW_KITCHEN: ShapeId = ShapeId(23);

static CW_SHAPES: [Shape; 26] = [
    // 0
    structure(
        "PutMetricDataInput",
        &[mem("Namespace", 1), mem("MetricData", 2)],
    ),
    string("Namespace"),
    list("MetricData", 3),
    structure(
        "MetricDatum",
        &[
            mem("MetricName", 1),
            mem("Dimensions", 4),
            mem("Timestamp", 6),
            mem("Value", 7),
            mem("StatisticValues", 8),
            mem("Values", 9),
            mem("Counts", 9),
            mem("Unit", 10),
            mem("StorageResolution", 11),
        ],
    ),
    list("Dimensions", 5),
    // 5
    structure("Dimension", &[mem("Name", 1), mem("Value", 1)]),
    scalar("Timestamp", ShapeKind::Timestamp { format: None }),
    scalar("DatapointValue", ShapeKind::Double),
    structure(
        "StatisticSet",
        &[
            mem("SampleCount", 7),
            mem("Sum", 7),
            mem("Minimum", 7),
            mem("Maximum", 7),
        ],
    ),
    list("Values", 7),
    // 10
    scalar(
        "StandardUnit",
        ShapeKind::String {
            enum_values: &["Seconds", "Milliseconds", "Percent", "Count", "None"],
        },
    ),
    scalar("StorageResolution", ShapeKind::Integer),
    structure(
        "GetMetricStatisticsInput",
        &[
            mem("Namespace", 1),
            mem("MetricName", 1),
            mem("Dimensions", 4),
            mem("StartTime", 6),
            mem("EndTime", 6),
            mem("Period", 11),
            mem("Statistics", 13),
            mem("ExtendedStatistics", 13),
            mem("Unit", 10),
        ],
    ),
    list("Statistics", 1),
    structure(
        "GetMetricStatisticsOutput",
        &[mem("Label", 1), mem("Datapoints", 15)],
    ),
    // 15
    list("Datapoints", 16),
    structure(
        "Datapoint",
        &[
            mem("Timestamp", 6),
            mem("SampleCount", 7),
            mem("Average", 7),
            mem("Sum", 7),
            mem("Minimum", 7),
            mem("Maximum", 7),
            mem("Unit", 10),
            mem("ExtendedStatistics", 17),
        ],
    ),
    scalar(
        "DatapointValueMap",
        ShapeKind::Map(MapShape {
            key: ShapeId(1),
            value: ShapeId(7),
            key_location_name: None,
            value_location_name: None,
            flattened: false,
        }),
    ),
    error(
        "InvalidParameterValueException",
        Some("InvalidParameterValue"),
        400,
    ),
    error("DashboardNotFoundError", Some("ResourceNotFound"), 404),
    // 20
    error("ResourceNotFound", Some("ResourceNotFound"), 404),
    error("ConflictException", None, 409),
    scalar("Blob", ShapeKind::Blob { streaming: false }),
    structure(
        "Kitchen",
        &[
            mem("Bool", 24),
            mem("Int", 11),
            mem("Long", 25),
            mem("Double", 7),
            mem("Blob", 22),
            mem("Time", 6),
            Member {
                timestamp_format: Some(TimestampFormat::Iso8601),
                ..mem("IsoTime", 6)
            },
            mem("Map", 17),
            mem("Nested", 23),
            mem("List", 2),
            Member {
                location_name: Some("renamed"),
                ..mem("Located", 1)
            },
        ],
    ),
    scalar("Boolean", ShapeKind::Boolean),
    // 25
    scalar("Long", ShapeKind::Long),
];

static CW_OPERATIONS: [Operation; 3] = [
    op("GetMetricStatistics", Some(12), Some(14)),
    op("Kitchen", Some(23), Some(23)),
    op("PutMetricData", Some(0), None),
];

pub static CLOUDWATCH: ServiceModel = ServiceModel {
    name: "cloudwatch",
    service_id: "CloudWatch",
    endpoint_prefix: "monitoring",
    signing_name: "monitoring",
    iam_prefix: "cloudwatch",
    api_version: "2010-08-01",
    protocols: &[Protocol::RpcV2Cbor, Protocol::Json, Protocol::Query],
    target_prefix: Some("GraniteServiceVersion20100801"),
    json_version: Some("1.0"),
    xml_namespace: Some("http://monitoring.amazonaws.com/doc/2010-08-01/"),
    query_compatible: true,
    operations: &CW_OPERATIONS,
    shapes: &CW_SHAPES,
};

// ----- ACM subset ----------------------------------------------------------------------

pub const ACM_LIST_CERTIFICATES_INPUT: ShapeId = ShapeId(0);

static ACM_SHAPES: [Shape; 12] = [
    structure(
        "ListCertificatesRequest",
        &[
            mem("CertificateStatuses", 1),
            mem("Includes", 3),
            mem("NextToken", 2),
            mem("MaxItems", 5),
        ],
    ),
    list("CertificateStatuses", 2),
    string("String"),
    structure(
        "Filters",
        &[
            mem("extendedKeyUsage", 4),
            mem("keyUsage", 4),
            mem("keyTypes", 4),
            mem("exportOption", 2),
            mem("managedBy", 2),
        ],
    ),
    list("KeyAlgorithmList", 2),
    // 5
    scalar("MaxItems", ShapeKind::Integer),
    structure(
        "ListCertificatesResponse",
        &[mem("NextToken", 2), mem("CertificateSummaryList", 7)],
    ),
    list("CertificateSummaryList", 8),
    structure(
        "CertificateSummary",
        &[
            mem("CertificateArn", 2),
            mem("DomainName", 2),
            mem("SubjectAlternativeNameSummaries", 4),
            mem("HasAdditionalSubjectAlternativeNames", 9),
            mem("Status", 2),
            mem("Type", 2),
            mem("KeyAlgorithm", 2),
            mem("InUse", 9),
            mem("CreatedAt", 10),
            mem("NotAfter", 10),
        ],
    ),
    scalar("NullableBoolean", ShapeKind::Boolean),
    // 10
    scalar("TStamp", ShapeKind::Timestamp { format: None }),
    error("ResourceNotFoundException", None, 400),
];

static ACM_OPERATIONS: [Operation; 2] = [
    op("ListCertificates", Some(0), Some(6)),
    op("ResendValidationEmail", Some(0), None),
];

pub static ACM: ServiceModel = ServiceModel {
    name: "acm",
    service_id: "ACM",
    endpoint_prefix: "acm",
    signing_name: "acm",
    iam_prefix: "acm",
    api_version: "2015-12-08",
    protocols: &[Protocol::Json],
    target_prefix: Some("CertificateManager"),
    json_version: Some("1.1"),
    xml_namespace: None,
    query_compatible: false,
    operations: &ACM_OPERATIONS,
    shapes: &ACM_SHAPES,
};

// ----- Values --------------------------------------------------------------------------

use nimbus_core::Timestamp;
use nimbus_wire::Value;

pub fn s(v: &str) -> Option<Value> {
    Some(Value::Str(v.to_string()))
}
pub fn f(v: f64) -> Option<Value> {
    Some(Value::Float(v))
}
pub fn floats(v: &[f64]) -> Option<Value> {
    Some(Value::List(v.iter().map(|x| Value::Float(*x)).collect()))
}
pub fn strs(v: &[&str]) -> Option<Value> {
    Some(Value::List(
        v.iter().map(|x| Value::Str(x.to_string())).collect(),
    ))
}
pub fn ts(secs: i64) -> Option<Value> {
    Some(Value::Timestamp(Timestamp::from_secs(secs)))
}
pub fn st(slots: Vec<Option<Value>>) -> Value {
    Value::Struct(slots)
}
pub fn dim(name: &str, value: &str) -> Value {
    st(vec![s(name), s(value)])
}

/// 2026-11-25T10:05:22Z, the time the fixtures were captured with.
pub const T: i64 = 1_795_601_122;

/// What the PutMetricData fixtures decode to (identical for JSON and CBOR).
pub fn put_metric_data_value() -> Value {
    st(vec![
        s("Nimbus/Test"),
        Some(Value::List(vec![
            st(vec![
                s("Latency"),
                Some(Value::List(vec![dim("Host", "web-1"), dim("Env", "prod")])),
                ts(T),
                None,
                None,
                floats(&[1.5, 2.0, 300.25]),
                floats(&[1.0, 2.0, 1.0]),
                s("Milliseconds"),
                Some(Value::Int(60)),
            ]),
            st(vec![
                s("Requests"),
                None,
                ts(T),
                None,
                Some(st(vec![f(4.0), f(10.0), f(1.0), f(4.0)])),
                None,
                None,
                s("Count"),
                None,
            ]),
            st(vec![
                s("Temp"),
                None,
                None,
                f(-12.5),
                None,
                None,
                None,
                None,
                None,
            ]),
        ])),
    ])
}

/// What the GetMetricStatistics fixtures decode to.
pub fn get_metric_statistics_value() -> Value {
    st(vec![
        s("AWS/EC2"),
        s("CPUUtilization"),
        Some(Value::List(vec![dim("InstanceId", "i-0123456789abcdef0")])),
        ts(T),
        ts(T + 3600),
        Some(Value::Int(300)),
        strs(&["Average", "Maximum"]),
        None,
        s("Percent"),
    ])
}

/// A GetMetricStatistics result with two datapoints (one with a millisecond timestamp
/// and extended statistics).
pub fn get_metric_statistics_output() -> Value {
    st(vec![
        s("CPUUtilization"),
        Some(Value::List(vec![
            st(vec![
                ts(T),
                f(3.0),
                f(41.5),
                f(124.5),
                None,
                f(90.0),
                s("Percent"),
                None,
            ]),
            st(vec![
                Some(Value::Timestamp(Timestamp(T * 1000 + 250))),
                f(1.0),
                Some(Value::Int(7)),
                None,
                None,
                None,
                s("Percent"),
                Some(Value::Map(vec![("p99".to_string(), Value::Float(0.1))])),
            ]),
        ])),
    ])
}

/// A value touching every shape kind of the Kitchen shape.
pub fn kitchen_value() -> Value {
    st(vec![
        Some(Value::Bool(true)),
        Some(Value::Int(-42)),
        Some(Value::Int(9_007_199_254_740_993)),
        f(0.1),
        Some(Value::Blob(bytes::Bytes::from_static(
            b"\x00\x01binary\xff",
        ))),
        Some(Value::Timestamp(Timestamp(T * 1000 + 123))),
        Some(Value::Timestamp(Timestamp(T * 1000 + 456))),
        Some(Value::Map(vec![
            ("z".to_string(), Value::Float(1.0)),
            ("a".to_string(), Value::Float(-2.5)),
        ])),
        Some(st(vec![
            Some(Value::Bool(false)),
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            Some(Value::List(vec![])),
            s("inner \"quoted\" \u{e9}"),
        ])),
        Some(Value::List(vec![st(vec![
            s("m"),
            None,
            None,
            f(1e300),
            None,
            None,
            None,
            None,
            None,
        ])])),
        s("located"),
    ])
}

pub fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

pub fn to_hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub fn header<'a>(r: &'a nimbus_wire::HttpResponse, name: &str) -> Option<&'a str> {
    r.headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// An ACM ListCertificates result.
pub fn acm_list_certificates_output() -> Value {
    st(vec![
        s("token-2"),
        Some(Value::List(vec![st(vec![
            s("arn:aws:acm:us-east-1:123456789012:certificate/0b7e4f34-1111-2222-3333-444455556666"),
            s("example.com"),
            strs(&["example.com", "*.example.com"]),
            Some(Value::Bool(false)),
            s("ISSUED"),
            s("IMPORTED"),
            s("RSA_2048"),
            Some(Value::Bool(true)),
            Some(Value::Timestamp(Timestamp(T * 1000 + 5))),
            ts(T + 86_400 * 365),
        ])])),
    ])
}
