//! The awsJson protocol against botocore's captured requests and its parsing rules.

mod common;

use common::fixtures::*;
use common::*;
use nimbus_core::{AwsError, Timestamp};
use nimbus_proto_json::json;
use nimbus_wire::{Value, WireError};

fn cw_op(name: &str) -> &'static nimbus_wire::Operation {
    CLOUDWATCH.operation(name).expect("operation")
}

fn body(r: &nimbus_wire::HttpResponse) -> &str {
    std::str::from_utf8(&r.body).expect("utf-8")
}

#[test]
fn decodes_botocore_put_metric_data() {
    let v = json::decode_input(
        &CLOUDWATCH,
        CW_PUT_METRIC_DATA_INPUT,
        CW_PUT_METRIC_DATA_JSON.as_bytes(),
    )
    .unwrap();
    assert_eq!(v, put_metric_data_value());
}

#[test]
fn decodes_botocore_get_metric_statistics() {
    let v = json::decode_input(
        &CLOUDWATCH,
        CW_GET_METRIC_STATISTICS_INPUT,
        CW_GET_METRIC_STATISTICS_JSON.as_bytes(),
    )
    .unwrap();
    assert_eq!(v, get_metric_statistics_value());
}

#[test]
fn decodes_botocore_acm_list_certificates() {
    let v = json::decode_input(
        &ACM,
        ACM_LIST_CERTIFICATES_INPUT,
        ACM_LIST_CERTIFICATES_JSON.as_bytes(),
    )
    .unwrap();
    assert_eq!(
        v,
        st(vec![
            strs(&["ISSUED", "PENDING_VALIDATION"]),
            Some(st(vec![
                None,
                None,
                strs(&["RSA_2048", "EC_prime256v1"]),
                None,
                None
            ])),
            None,
            Some(Value::Int(10)),
        ])
    );
    let empty = json::decode_input(
        &ACM,
        ACM_LIST_CERTIFICATES_INPUT,
        ACM_LIST_CERTIFICATES_EMPTY_JSON.as_bytes(),
    )
    .unwrap();
    assert_eq!(empty, Value::empty_struct(4));
}

#[test]
fn empty_body_is_an_empty_structure() {
    for b in ["", "  \n"] {
        let v = json::decode_input(&ACM, ACM_LIST_CERTIFICATES_INPUT, b.as_bytes()).unwrap();
        assert_eq!(v, Value::empty_struct(4));
    }
}

#[test]
fn malformed_bodies() {
    for b in [
        "[]",
        "\"x\"",
        "12",
        "null",
        "{",
        "{\"a\":1} trailing",
        "{'single': 1}",
        "\u{0}",
    ] {
        let e = json::decode_input(&ACM, ACM_LIST_CERTIFICATES_INPUT, b.as_bytes()).unwrap_err();
        assert!(matches!(e, WireError::Malformed(_)), "{b:?}: {e:?}");
    }
    // Hostile nesting is refused by the parser's depth limit, not the stack.
    let deep = format!(
        "{{\"Includes\":{}{}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    assert!(matches!(
        json::decode_input(&ACM, ACM_LIST_CERTIFICATES_INPUT, deep.as_bytes()),
        Err(WireError::Malformed(_))
    ));
    let not_utf8 = b"{\"NextToken\":\"\xff\"}";
    assert!(json::decode_input(&ACM, ACM_LIST_CERTIFICATES_INPUT, not_utf8).is_err());
}

#[test]
fn wrong_types_name_the_member() {
    let cases = [
        (r#"{"Namespace": 5}"#, "Namespace"),
        (r#"{"MetricData": {}}"#, "MetricData"),
        (
            r#"{"MetricData": [{"Value": "high"}]}"#,
            "MetricData[0].Value",
        ),
        (
            r#"{"MetricData": [{}, {"Dimensions": [{"Name": true}]}]}"#,
            "MetricData[1].Dimensions[0].Name",
        ),
        (
            r#"{"MetricData": [{"StorageResolution": 1.5}]}"#,
            "MetricData[0].StorageResolution",
        ),
        (
            r#"{"MetricData": [{"StorageResolution": 18446744073709551615}]}"#,
            "MetricData[0].StorageResolution",
        ),
        (
            r#"{"MetricData": [{"Timestamp": "yesterday"}]}"#,
            "MetricData[0].Timestamp",
        ),
        (
            r#"{"MetricData": [{"Timestamp": 1e20}]}"#,
            "MetricData[0].Timestamp",
        ),
        (
            r#"{"MetricData": [{"Timestamp": true}]}"#,
            "MetricData[0].Timestamp",
        ),
        (r#"{"MetricData": ["x"]}"#, "MetricData[0]"),
    ];
    for (b, path) in cases {
        match json::decode_input(&CLOUDWATCH, CW_PUT_METRIC_DATA_INPUT, b.as_bytes()) {
            Err(WireError::InvalidValue { member, .. }) => assert_eq!(member, path, "{b}"),
            other => panic!("{b}: {other:?}"),
        }
    }
    let kitchen = [
        (r#"{"Bool": "true"}"#, "Bool"),
        (r#"{"Blob": "not base64!"}"#, "Blob"),
        (r#"{"Blob": 12}"#, "Blob"),
        (r#"{"Map": {"k": "v"}}"#, "Map.k"),
        (r#"{"Map": []}"#, "Map"),
        (
            r#"{"Nested": {"Nested": {"Int": "1"}}}"#,
            "Nested.Nested.Int",
        ),
    ];
    for (b, path) in kitchen {
        match json::decode_input(&CLOUDWATCH, CW_KITCHEN, b.as_bytes()) {
            Err(WireError::InvalidValue { member, detail }) => {
                assert_eq!(member, path, "{b}");
                assert!(detail.contains("got"), "{detail}");
            }
            other => panic!("{b}: {other:?}"),
        }
    }
}

#[test]
fn unknown_members_are_ignored_and_null_is_absent() {
    let b = r#"{"Namespace": null, "Bogus": {"deep": [1, 2]}, "MetricData": [null, {"MetricName": "m", "Nope": 1, "Values": [1, null, 2.5]}]}"#;
    let v = json::decode_input(&CLOUDWATCH, CW_PUT_METRIC_DATA_INPUT, b.as_bytes()).unwrap();
    assert_eq!(
        v,
        st(vec![
            None,
            Some(Value::List(vec![st(vec![
                s("m"),
                None,
                None,
                None,
                None,
                floats(&[1.0, 2.5]),
                None,
                None,
                None
            ])])),
        ])
    );
}

#[test]
fn timestamps_in_every_accepted_form() {
    let want = |ms: i64| Some(Value::Timestamp(Timestamp(ms)));
    for (wire, ms) in [
        ("1795601122", T * 1000),
        ("1795601122.5", T * 1000 + 500),
        ("1.795601122123E9", T * 1000 + 123),
        ("-1.5", -1500),
        ("\"2026-11-25T10:05:22Z\"", T * 1000),
        ("\"2026-11-25T10:05:22.123Z\"", T * 1000 + 123),
        ("\"2026-11-25T12:05:22+02:00\"", T * 1000),
        ("\"1795601122\"", T * 1000),
        ("\"Wed, 25 Nov 2026 10:05:22 GMT\"", T * 1000),
    ] {
        let b = format!("{{\"Time\": {wire}}}");
        let v = json::decode_input(&CLOUDWATCH, CW_KITCHEN, b.as_bytes()).unwrap();
        let Value::Struct(slots) = v else { panic!() };
        assert_eq!(slots[5], want(ms), "{wire}");
    }
    for bad in [
        "\"Wed, 25 Nov 99999999999999999 10:05:22 GMT\"",
        "\"NaN\"",
        "\"inf\"",
        "\"10000-01-01T00:00:00Z\"",
        "-1e300",
        "\"\"",
    ] {
        let b = format!("{{\"Time\": {bad}}}");
        assert!(
            matches!(
                json::decode_input(&CLOUDWATCH, CW_KITCHEN, b.as_bytes()),
                Err(WireError::InvalidValue { .. })
            ),
            "{bad}"
        );
    }
}

#[test]
fn numbers_blobs_and_special_floats() {
    let b = r#"{"Double": "NaN", "Long": -9223372036854775808, "Blob": "AAFiaW5hcnn/", "Map": {"i": "Infinity", "n": "-Infinity", "x": 3}}"#;
    let Value::Struct(slots) = json::decode_input(&CLOUDWATCH, CW_KITCHEN, b.as_bytes()).unwrap()
    else {
        panic!()
    };
    assert!(matches!(slots[3], Some(Value::Float(f)) if f.is_nan()));
    assert_eq!(slots[2], Some(Value::Int(i64::MIN)));
    assert_eq!(
        slots[4],
        Some(Value::Blob(bytes::Bytes::from_static(
            b"\x00\x01binary\xff"
        )))
    );
    assert_eq!(
        slots[7],
        Some(Value::Map(vec![
            ("i".into(), Value::Float(f64::INFINITY)),
            ("n".into(), Value::Float(f64::NEG_INFINITY)),
            ("x".into(), Value::Float(3.0)),
        ]))
    );
    // Unpadded base64 is accepted too.
    let b = r#"{"Blob": "YQ"}"#;
    let Value::Struct(slots) = json::decode_input(&CLOUDWATCH, CW_KITCHEN, b.as_bytes()).unwrap()
    else {
        panic!()
    };
    assert_eq!(slots[4], Some(Value::Blob(bytes::Bytes::from_static(b"a"))));
}

#[test]
fn location_names_key_members() {
    let b = r#"{"renamed": "via locationName"}"#;
    let Value::Struct(slots) = json::decode_input(&CLOUDWATCH, CW_KITCHEN, b.as_bytes()).unwrap()
    else {
        panic!()
    };
    assert_eq!(slots[10], s("via locationName"));
    let r = json::encode_output(
        &CLOUDWATCH,
        cw_op("Kitchen"),
        Some(&st(vec![None; 10].into_iter().chain([s("x")]).collect())),
        "rid",
    );
    assert_eq!(body(&r), r#"{"renamed":"x"}"#);
}

#[test]
fn encodes_get_metric_statistics_output() {
    let out = get_metric_statistics_output();
    let r = json::encode_output(
        &CLOUDWATCH,
        cw_op("GetMetricStatistics"),
        Some(&out),
        "req-1",
    );
    assert_eq!(r.status, 200);
    assert_eq!(
        header(&r, "content-type"),
        Some("application/x-amz-json-1.0")
    );
    assert_eq!(header(&r, "x-amzn-RequestId"), Some("req-1"));
    assert_eq!(
        body(&r),
        concat!(
            r#"{"Label":"CPUUtilization","Datapoints":["#,
            r#"{"Timestamp":1795601122,"SampleCount":3.0,"Average":41.5,"Sum":124.5,"Maximum":90.0,"Unit":"Percent"},"#,
            r#"{"Timestamp":1795601122.25,"SampleCount":1.0,"Average":7.0,"Unit":"Percent","ExtendedStatistics":{"p99":0.1}}"#,
            r#"]}"#
        )
    );
}

#[test]
fn encodes_absent_output_as_empty_object() {
    let r = json::encode_output(&CLOUDWATCH, cw_op("PutMetricData"), None, "rid");
    assert_eq!((r.status, body(&r)), (200, "{}"));
    let r = json::encode_output(
        &ACM,
        ACM.operation("ListCertificates").unwrap(),
        None,
        "rid",
    );
    assert_eq!(body(&r), "{}");
    assert_eq!(
        header(&r, "content-type"),
        Some("application/x-amz-json-1.1")
    );
    let r = json::encode_output(
        &ACM,
        ACM.operation("ListCertificates").unwrap(),
        Some(&Value::empty_struct(2)),
        "rid",
    );
    assert_eq!(body(&r), "{}");
}

#[test]
fn timestamp_formats_and_special_floats_on_output() {
    let mut v = vec![None; 11];
    v[3] = f(f64::NAN);
    v[5] = Some(Value::Timestamp(Timestamp(T * 1000 + 123)));
    v[6] = Some(Value::Timestamp(Timestamp(T * 1000 + 456)));
    v[7] = Some(Value::Map(vec![
        ("inf".into(), Value::Float(f64::NEG_INFINITY)),
        ("i".into(), Value::Int(2)),
    ]));
    let r = json::encode_output(&CLOUDWATCH, cw_op("Kitchen"), Some(&st(v)), "rid");
    assert_eq!(
        body(&r),
        r#"{"Double":"NaN","Time":1795601122.123,"IsoTime":"2026-11-25T10:05:22.456Z","Map":{"inf":"-Infinity","i":2.0}}"#
    );
}

#[test]
fn kitchen_round_trips() {
    let v = kitchen_value();
    let r = json::encode_output(&CLOUDWATCH, cw_op("Kitchen"), Some(&v), "rid");
    let back = json::decode_input(&CLOUDWATCH, CW_KITCHEN, &r.body).unwrap();
    assert_eq!(back, v, "{}", body(&r));
}

#[test]
fn errors_of_a_plain_json_service() {
    let err = AwsError::client("ResourceNotFoundException", "Certificate arn:x not found")
        .with_extra("ResourceName", "arn:x");
    let r = json::encode_error(&ACM, &err, "rid-9");
    assert_eq!(r.status, 400);
    assert_eq!(
        body(&r),
        r#"{"__type":"ResourceNotFoundException","message":"Certificate arn:x not found","ResourceName":"arn:x"}"#
    );
    assert_eq!(
        header(&r, "x-amzn-ErrorType"),
        Some("ResourceNotFoundException")
    );
    assert_eq!(header(&r, "x-amzn-RequestId"), Some("rid-9"));
    assert_eq!(
        header(&r, "content-type"),
        Some("application/x-amz-json-1.1")
    );
    assert_eq!(header(&r, "x-amzn-query-error"), None);
}

#[test]
fn errors_of_a_query_compatible_service() {
    let cases = [
        (
            AwsError::client("InvalidParameterValue", "bad"),
            "InvalidParameterValueException",
            "InvalidParameterValue;Sender",
        ),
        // Two shapes share the code; the one named like it wins.
        (
            AwsError::new("ResourceNotFound", 404, "gone"),
            "ResourceNotFound",
            "ResourceNotFound;Sender",
        ),
        (
            AwsError::new("ConflictException", 409, "busy"),
            "ConflictException",
            "ConflictException;Sender",
        ),
        (
            AwsError::client("SerializationException", "bad json"),
            "SerializationException",
            "SerializationException;Sender",
        ),
        (
            AwsError::internal("boom"),
            "InternalFailure",
            "InternalFailure;Receiver",
        ),
    ];
    for (err, ty, q) in cases {
        let r = json::encode_error(&CLOUDWATCH, &err, "rid");
        assert_eq!(r.status, err.status);
        assert_eq!(
            body(&r),
            format!(r#"{{"__type":"{ty}","message":"{}"}}"#, err.message)
        );
        assert_eq!(header(&r, "x-amzn-query-error"), Some(q));
        assert_eq!(header(&r, "x-amzn-ErrorType"), Some(ty));
        assert_eq!(
            header(&r, "content-type"),
            Some("application/x-amz-json-1.0")
        );
    }
}

#[test]
fn mutated_and_truncated_fixtures_never_panic() {
    for fixture in [
        CW_PUT_METRIC_DATA_JSON,
        CW_GET_METRIC_STATISTICS_JSON,
        ACM_LIST_CERTIFICATES_JSON,
    ] {
        let body = fixture.as_bytes();
        for cut in 1..body.len() {
            let r = json::decode_input(&CLOUDWATCH, CW_PUT_METRIC_DATA_INPUT, &body[..cut]);
            assert!(r.is_err(), "prefix {cut}");
        }
        for i in 0..body.len() {
            for b in *b"\"{}[]0-.e,:ntf\\ \xff" {
                let mut m = body.to_vec();
                m[i] = b;
                let _ = json::decode_input(&CLOUDWATCH, CW_PUT_METRIC_DATA_INPUT, &m);
                let _ = json::decode_input(&CLOUDWATCH, CW_GET_METRIC_STATISTICS_INPUT, &m);
                let _ = json::decode_input(&CLOUDWATCH, CW_KITCHEN, &m);
                let _ = json::decode_input(&ACM, ACM_LIST_CERTIFICATES_INPUT, &m);
            }
        }
    }
}

#[test]
fn doubles_decode_correctly_rounded() {
    // The shortest texts of these doubles; serde_json without `float_roundtrip` reads them
    // one or more units in the last place off (found by fuzz/encode_output).
    for text in [
        "1.2764546202360125e222",
        "-1.5868918044570099e246",
        "3.9021424557460574e262",
        "8.309872195179385e-246",
    ] {
        let b = format!(r#"{{"Double": {text}}}"#);
        let Value::Struct(slots) =
            json::decode_input(&CLOUDWATCH, CW_KITCHEN, b.as_bytes()).unwrap()
        else {
            panic!("not a structure")
        };
        let want: f64 = text.parse().unwrap();
        assert!(
            matches!(slots[3], Some(Value::Float(f)) if f.to_bits() == want.to_bits()),
            "{text}: {:?}",
            slots[3]
        );
    }
}
