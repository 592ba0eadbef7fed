//! The RPC v2 CBOR protocol against botocore's captured requests and its parsing rules.

mod common;

use common::fixtures::*;
use common::*;
use nimbus_core::{AwsError, Timestamp};
use nimbus_proto_json::cbor::{self, CborValue};
use nimbus_proto_json::{json, rpcv2};
use nimbus_wire::{Value, WireError};

fn cw_op(name: &str) -> &'static nimbus_wire::Operation {
    CLOUDWATCH.operation(name).expect("operation")
}

fn kitchen(body: &[u8]) -> Result<Vec<Option<Value>>, WireError> {
    match rpcv2::decode_input(&CLOUDWATCH, CW_KITCHEN, body)? {
        Value::Struct(slots) => Ok(slots),
        other => panic!("{other:?}"),
    }
}

#[test]
fn decodes_botocore_put_metric_data() {
    let v = rpcv2::decode_input(
        &CLOUDWATCH,
        CW_PUT_METRIC_DATA_INPUT,
        &hex(CW_PUT_METRIC_DATA_CBOR),
    )
    .unwrap();
    assert_eq!(v, put_metric_data_value());
    // The same call over JSON decodes to the very same tree.
    let j = json::decode_input(
        &CLOUDWATCH,
        CW_PUT_METRIC_DATA_INPUT,
        CW_PUT_METRIC_DATA_JSON.as_bytes(),
    )
    .unwrap();
    assert_eq!(v, j);
}

#[test]
fn decodes_botocore_get_metric_statistics() {
    let v = rpcv2::decode_input(
        &CLOUDWATCH,
        CW_GET_METRIC_STATISTICS_INPUT,
        &hex(CW_GET_METRIC_STATISTICS_CBOR),
    )
    .unwrap();
    assert_eq!(v, get_metric_statistics_value());
}

#[test]
fn empty_bodies() {
    for b in [hex(CW_LIST_METRICS_EMPTY_CBOR), vec![], hex("bfff")] {
        let v = rpcv2::decode_input(&CLOUDWATCH, CW_PUT_METRIC_DATA_INPUT, &b).unwrap();
        assert_eq!(v, Value::empty_struct(2));
    }
}

#[test]
fn indefinite_lengths_and_every_float_width() {
    // {_ "Namespace": (_ "Nim", "bus"), "MetricData": [_ {_ "MetricName": "m",
    //   "Values": [_ 1.5 (half), 2.0 (single), 0.1 (double), 7 (int)],
    //   "Timestamp": 1(1795601122.25) }]}
    let mut b = hex("bf");
    b.extend(hex("694e616d657370616365")); // "Namespace"
    b.extend(hex("7f 634e696d 63627573 ff"));
    b.extend(hex("6a4d657472696344617461")); // "MetricData"
    b.extend(hex("9f bf"));
    b.extend(hex("6a4d65747269634e616d65 616d")); // "MetricName": "m"
    b.extend(hex("6656616c756573")); // "Values"
    b.extend(hex("9f f93e00 fa40000000 fb3fb999999999999a 07 ff"));
    b.extend(hex("6954696d657374616d70")); // "Timestamp"
    b.extend(hex("c1 fb41dac1acb8900000"));
    b.extend(hex("ff ff ff"));
    let v = rpcv2::decode_input(&CLOUDWATCH, CW_PUT_METRIC_DATA_INPUT, &b).unwrap();
    assert_eq!(
        v,
        st(vec![
            s("Nimbus"),
            Some(Value::List(vec![st(vec![
                s("m"),
                None,
                Some(Value::Timestamp(Timestamp(T * 1000 + 250))),
                None,
                None,
                floats(&[1.5, 2.0, 0.1, 7.0]),
                None,
                None,
                None,
            ])])),
        ])
    );
}

#[test]
fn malformed_bodies() {
    for h in [
        "80",          // an array, not a map
        "6161",        // a string
        "f6",          // null
        "a1",          // truncated
        "a0 00",       // trailing bytes
        "bf 61 61 01", // unterminated indefinite map
        "ff",
        "1c",
        "a1 6161 7bffffffffffffffff", // lying string length
    ] {
        let e = rpcv2::decode_input(&CLOUDWATCH, CW_PUT_METRIC_DATA_INPUT, &hex(h)).unwrap_err();
        assert!(matches!(e, WireError::Malformed(_)), "{h}: {e:?}");
    }
    // Deep nesting inside an ignored member is still refused, by depth.
    let mut deep = hex("a1 6542 6f67 7573");
    deep.extend(std::iter::repeat_n(0x81u8, 100_000));
    deep.push(0x00);
    assert!(matches!(
        rpcv2::decode_input(&CLOUDWATCH, CW_PUT_METRIC_DATA_INPUT, &deep),
        Err(WireError::Malformed(_))
    ));
}

#[test]
fn wrong_types_name_the_member() {
    let bad = |k: &str, v: CborValue| cbor::encode(&CborValue::Map(vec![(CborValue::text(k), v)]));
    let cases = [
        (bad("Bool", CborValue::Unsigned(1)), "Bool"),
        (bad("Int", CborValue::Float(1.0)), "Int"),
        (bad("Int", CborValue::Unsigned(u64::MAX)), "Int"),
        (bad("Long", CborValue::Negative(u64::MAX)), "Long"),
        (bad("Double", CborValue::text("1.0")), "Double"),
        (bad("Blob", CborValue::Unsigned(3)), "Blob"),
        (bad("Time", CborValue::text("2026-11-25T10:05:22Z")), "Time"),
        (
            bad("Time", CborValue::Tag(0, Box::new(CborValue::text("x")))),
            "Time",
        ),
        (
            bad(
                "Time",
                CborValue::Tag(1, Box::new(CborValue::Float(f64::NAN))),
            ),
            "Time",
        ),
        (
            bad(
                "Time",
                CborValue::Tag(1, Box::new(CborValue::Unsigned(u64::MAX))),
            ),
            "Time",
        ),
        (
            bad(
                "Map",
                CborValue::Map(vec![(CborValue::Unsigned(1), CborValue::Float(1.0))]),
            ),
            "Map",
        ),
        (
            bad(
                "Map",
                CborValue::Map(vec![(CborValue::text("k"), CborValue::Bool(true))]),
            ),
            "Map.k",
        ),
        (
            bad(
                "List",
                CborValue::Array(vec![CborValue::Map(vec![(
                    CborValue::text("MetricName"),
                    CborValue::Bytes(vec![]),
                )])]),
            ),
            "List[0].MetricName",
        ),
        (bad("Nested", CborValue::Array(vec![])), "Nested"),
    ];
    for (body, path) in cases {
        match kitchen(&body) {
            Err(WireError::InvalidValue { member, .. }) => {
                assert_eq!(member, path, "{}", to_hex(&body))
            }
            other => panic!("{}: {other:?}", to_hex(&body)),
        }
    }
}

#[test]
fn lenient_inputs() {
    let body = cbor::encode(&CborValue::Map(vec![
        (CborValue::text("Time"), CborValue::Unsigned(T as u64)), // untagged epoch seconds
        (CborValue::text("Blob"), CborValue::text("utf8")),
        (CborValue::text("Double"), CborValue::int(-3)),
        (CborValue::text("Bool"), CborValue::Undefined), // absent
        (
            CborValue::text("Unknown"),
            CborValue::Tag(99, Box::new(CborValue::Null)),
        ),
        (
            CborValue::text("renamed"),
            CborValue::text("by location name"),
        ),
        (
            CborValue::text("Located"),
            CborValue::text("by member name"),
        ),
    ]));
    let slots = kitchen(&body).unwrap();
    assert_eq!(slots[0], None);
    assert_eq!(slots[3], f(-3.0));
    assert_eq!(
        slots[4],
        Some(Value::Blob(bytes::Bytes::from_static(b"utf8")))
    );
    assert_eq!(slots[5], ts(T));
    assert_eq!(slots[10], s("by member name"));
}

#[test]
fn encodes_get_metric_statistics_output() {
    let r = rpcv2::encode_output(
        &CLOUDWATCH,
        cw_op("GetMetricStatistics"),
        Some(&get_metric_statistics_output()),
        "req-1",
    );
    assert_eq!(r.status, 200);
    assert_eq!(header(&r, "content-type"), Some("application/cbor"));
    assert_eq!(header(&r, "smithy-protocol"), Some("rpc-v2-cbor"));
    assert_eq!(header(&r, "x-amzn-RequestId"), Some("req-1"));
    // Checked with botocore's RpcV2CBORParser (dev/check_responses.py).
    assert_eq!(to_hex(&r.body), GET_METRIC_STATISTICS_OUTPUT_CBOR);
    let doc = cbor::decode(&r.body, 16).unwrap();
    let dps = doc.get("Datapoints").unwrap();
    let CborValue::Array(dps) = dps else { panic!() };
    assert_eq!(
        dps[0].get("Timestamp"),
        Some(&CborValue::Tag(1, Box::new(CborValue::Unsigned(T as u64))))
    );
    assert_eq!(
        dps[1].get("Timestamp"),
        Some(&CborValue::Tag(
            1,
            Box::new(CborValue::Float(T as f64 + 0.25))
        ))
    );
    assert_eq!(dps[1].get("Average"), Some(&CborValue::Float(7.0)));
}

const GET_METRIC_STATISTICS_OUTPUT_CBOR: &str = concat!(
    "a2654c6162656c6e4350555574696c697a6174696f6e6a44617461706f696e747382a66954696d657374616d70",
    "c11a6b06b2e26b53616d706c65436f756e74f942006741766572616765f951306353756df957c8674d6178696d",
    "756df955a064556e69746750657263656e74a56954696d657374616d70c1fb41dac1acb89000006b53616d706c",
    "65436f756e74f93c006741766572616765f9470064556e69746750657263656e7472457874656e646564537461",
    "74697374696373a163703939fb3fb999999999999a",
);

#[test]
fn encodes_absent_output_as_empty_map() {
    let r = rpcv2::encode_output(&CLOUDWATCH, cw_op("PutMetricData"), None, "rid");
    assert_eq!((r.status, &r.body[..]), (200, &[0xa0u8][..]));
    assert_eq!(header(&r, "smithy-protocol"), Some("rpc-v2-cbor"));
}

#[test]
fn kitchen_round_trips() {
    let v = kitchen_value();
    let r = rpcv2::encode_output(&CLOUDWATCH, cw_op("Kitchen"), Some(&v), "rid");
    let back = rpcv2::decode_input(&CLOUDWATCH, CW_KITCHEN, &r.body).unwrap();
    assert_eq!(back, v);
    // Structure members are keyed by member name (botocore's CBOR parser ignores
    // locationName), blobs are byte strings.
    let doc = cbor::decode(&r.body, 16).unwrap();
    assert_eq!(doc.get("Located"), Some(&CborValue::text("located")));
    assert_eq!(
        doc.get("Blob"),
        Some(&CborValue::Bytes(b"\x00\x01binary\xff".to_vec()))
    );
}

#[test]
fn errors() {
    let r = rpcv2::encode_error(
        &CLOUDWATCH,
        &AwsError::client("InvalidParameterValue", "bad"),
        "rid",
    );
    assert_eq!(r.status, 400);
    assert_eq!(
        header(&r, "x-amzn-query-error"),
        Some("InvalidParameterValue;Sender")
    );
    assert_eq!(header(&r, "smithy-protocol"), Some("rpc-v2-cbor"));
    assert_eq!(header(&r, "content-type"), Some("application/cbor"));
    assert_eq!(
        cbor::decode(&r.body, 4).unwrap(),
        CborValue::Map(vec![
            (
                CborValue::text("__type"),
                CborValue::text("InvalidParameterValueException")
            ),
            (CborValue::text("message"), CborValue::text("bad")),
        ])
    );
    let r = rpcv2::encode_error(&ACM, &AwsError::internal("boom"), "rid");
    assert_eq!(r.status, 500);
    assert_eq!(header(&r, "x-amzn-query-error"), None);
    assert_eq!(
        cbor::decode(&r.body, 4).unwrap().get("__type"),
        Some(&CborValue::text("InternalFailure"))
    );
}

#[test]
fn mutated_and_truncated_fixtures_never_panic() {
    for fixture in [CW_PUT_METRIC_DATA_CBOR, CW_GET_METRIC_STATISTICS_CBOR] {
        let body = hex(fixture);
        for cut in 0..body.len() {
            assert!(
                rpcv2::decode_input(&CLOUDWATCH, CW_PUT_METRIC_DATA_INPUT, &body[..cut]).is_err()
                    || cut == 0
            );
        }
        for i in 0..body.len() {
            for b in [
                0x00u8, 0x18, 0x1b, 0x3b, 0x5f, 0x7b, 0x9f, 0xbb, 0xc1, 0xf6, 0xf9, 0xff,
            ] {
                let mut m = body.clone();
                m[i] = b;
                let _ = rpcv2::decode_input(&CLOUDWATCH, CW_PUT_METRIC_DATA_INPUT, &m);
                let _ = rpcv2::decode_input(&CLOUDWATCH, CW_GET_METRIC_STATISTICS_INPUT, &m);
                let _ = rpcv2::decode_input(&CLOUDWATCH, CW_KITCHEN, &m);
            }
        }
    }
}
