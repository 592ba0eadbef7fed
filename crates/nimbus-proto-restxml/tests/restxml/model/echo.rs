//! A synthetic rest-xml service for what S3 does not exercise.

use super::*;

pub static ECHO_SHAPES: &[Shape] = &[
    /* 0 */ string("String"),
    /* 1 */ Shape {
        name: "Integer",
        kind: ShapeKind::Integer,
    },
    /* 2 */
    Shape {
        name: "Timestamp",
        kind: ShapeKind::Timestamp { format: None },
    },
    /* 3 */
    Shape {
        name: "Blob",
        kind: ShapeKind::Blob { streaming: false },
    },
    /* 4 */ Shape {
        name: "Double",
        kind: ShapeKind::Double,
    },
    /* 5 */ Shape {
        name: "Boolean",
        kind: ShapeKind::Boolean,
    },
    /* 6 */
    Shape {
        name: "StrMap",
        kind: ShapeKind::Map(MapShape {
            key: ShapeId(0),
            value: ShapeId(0),
            key_location_name: None,
            value_location_name: None,
            flattened: false,
        }),
    },
    /* 7 */
    Shape {
        name: "FlatMap",
        kind: ShapeKind::Map(MapShape {
            key: ShapeId(0),
            value: ShapeId(1),
            key_location_name: Some("Name"),
            value_location_name: Some("Val"),
            flattened: true,
        }),
    },
    /* 8 */ list("StrList", 0, None, false),
    /* 9 */
    st(
        "EchoRequest",
        &[
            uri("Id", 0),
            qs("Known", "known", 0),
            qs("Tags", "tag", 8),
            qs("Rest", "unused", 6),
            qs("Since", "since", 2),
            named("Title", "TitleX", 0),
            m("Count", 1),
            m("When", 2),
            Member {
                timestamp_format: Some(TimestampFormat::UnixTimestamp),
                ..m("WhenEpoch", 2)
            },
            m("Data", 3),
            m("Ratio", 4),
            m("Flag", 5),
            m("Attrs", 6),
            m("Flat", 7),
            m("Items", 8),
            m("Nested", 10),
            hdr("HeaderList", "x-list", 8),
            hdr("HeaderWhen", "x-when", 2),
            hdr("HeaderCount", "x-count", 1),
            hdr("HeaderRatio", "x-ratio", 4),
        ],
        None,
    ),
    /* 10 */ st("Nested", &[m("Name", 0), m("Children", 11)], None),
    /* 11 */ list("NestedList", 10, Some("Child"), false),
    /* 12 */
    Shape {
        name: "EchoOutput",
        kind: ShapeKind::Structure(Structure {
            members: &[
                Member {
                    location: Location::StatusCode,
                    ..m("Status", 1)
                },
                named("Title", "TitleX", 0),
                m("Items", 8),
                m("Attrs", 6),
                m("Flat", 7),
                m("When", 2),
                Member {
                    timestamp_format: Some(TimestampFormat::UnixTimestamp),
                    ..m("WhenEpoch", 2)
                },
                m("Data", 3),
                m("Ratio", 4),
                m("Flag", 5),
                m("Nested", 10),
                hdrs("Meta", "x-meta-", 6),
                hdr("HeaderList", "x-list", 8),
                flat(named("FlatItems", "Item", 8)),
            ],
            payload: None,
            error: None,
            location_name: Some("EchoResult"),
            xml_namespace: None,
            exception: false,
        }),
    },
];

pub static ECHO_OPS: &[Operation] = &[op("Echo", "POST", "/echo/{Id}", Some(9), Some(12))];

pub static ECHO: ServiceModel = ServiceModel {
    name: "echo",
    service_id: "Echo",
    endpoint_prefix: "echo",
    signing_name: "echo",
    iam_prefix: "echo",
    api_version: "2020-01-01",
    protocols: &[Protocol::RestXml],
    target_prefix: None,
    json_version: None,
    xml_namespace: Some("urn:echo"),
    query_compatible: false,
    operations: ECHO_OPS,
    shapes: ECHO_SHAPES,
};
