//! The one-pass JSON decoder against the decoder it replaced (parse into a `Json` tree,
//! then `walk::decode_root`), kept here as the reference: on generated and mutated bodies
//! both must give the same value or the same error, byte for byte.

use super::*;
use serde::de::Deserialize;

#[path = "../../tests/common/mod.rs"]
mod common;

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TreeVisitor)
    }
}

struct TreeVisitor;

impl<'de> Visitor<'de> for TreeVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_bool<E>(self, b: bool) -> Result<Json, E> {
        Ok(Json::Bool(b))
    }
    fn visit_i64<E>(self, i: i64) -> Result<Json, E> {
        Ok(Json::Int(i))
    }
    fn visit_u64<E>(self, u: u64) -> Result<Json, E> {
        Ok(i64::try_from(u).map_or(Json::BigUint(u), Json::Int))
    }
    fn visit_f64<E>(self, f: f64) -> Result<Json, E> {
        Ok(Json::Float(f))
    }
    fn visit_str<E>(self, s: &str) -> Result<Json, E> {
        Ok(Json::Str(s.to_string()))
    }
    fn visit_string<E>(self, s: String) -> Result<Json, E> {
        Ok(Json::Str(s))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Json>()? {
            items.push(item);
        }
        Ok(Json::Arr(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut entries = Vec::new();
        while let Some((k, v)) = map.next_entry::<String, Json>()? {
            entries.push((k, v));
        }
        Ok(Json::Obj(entries))
    }
}

/// The previous `decode_input`.
fn tree_decode(model: &ServiceModel, input: ShapeId, body: &[u8]) -> Result<Value, WireError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return walk::decode_root(model, input, Json::Obj(vec![]));
    }
    let doc: Json = serde_json::from_slice(body)
        .map_err(|e| WireError::Malformed(format!("Request body is not valid JSON: {e}")))?;
    if !matches!(doc, Json::Obj(_)) {
        return Err(WireError::Malformed(format!(
            "Request body must be a JSON object, not {}",
            doc.describe()
        )));
    }
    walk::decode_root(model, input, doc)
}

/// A model whose members, list items and map values point at shapes it does not have.
static BROKEN_SHAPES: [Shape; 4] = [
    Shape {
        name: "Input",
        kind: ShapeKind::Structure(nimbus_wire::model::Structure {
            members: &[
                nimbus_wire::model::Member {
                    name: "Gone",
                    shape: ShapeId(99),
                    location: nimbus_wire::model::Location::Body,
                    location_name: None,
                    query_name: None,
                    xml_namespace: None,
                    xml_attribute: false,
                    flattened: false,
                    timestamp_format: None,
                    required: false,
                    idempotency_token: false,
                    host_label: false,
                },
                nimbus_wire::model::Member {
                    name: "List",
                    shape: ShapeId(1),
                    location: nimbus_wire::model::Location::Body,
                    location_name: None,
                    query_name: None,
                    xml_namespace: None,
                    xml_attribute: false,
                    flattened: false,
                    timestamp_format: None,
                    required: false,
                    idempotency_token: false,
                    host_label: false,
                },
                nimbus_wire::model::Member {
                    name: "Map",
                    shape: ShapeId(2),
                    location: nimbus_wire::model::Location::Body,
                    location_name: Some("Located"),
                    query_name: None,
                    xml_namespace: None,
                    xml_attribute: false,
                    flattened: false,
                    timestamp_format: None,
                    required: false,
                    idempotency_token: false,
                    host_label: false,
                },
            ],
            payload: None,
            error: None,
            location_name: None,
            xml_namespace: None,
            exception: false,
        }),
    },
    Shape {
        name: "List",
        kind: ShapeKind::List(nimbus_wire::model::ListShape {
            member: ShapeId(99),
            member_location_name: None,
            flattened: false,
        }),
    },
    Shape {
        name: "Map",
        kind: ShapeKind::Map(nimbus_wire::model::MapShape {
            key: ShapeId(3),
            value: ShapeId(99),
            key_location_name: None,
            value_location_name: None,
            flattened: false,
        }),
    },
    Shape {
        name: "String",
        kind: ShapeKind::String { enum_values: &[] },
    },
];

static BROKEN: ServiceModel = ServiceModel {
    shapes: &BROKEN_SHAPES,
    ..common::CLOUDWATCH
};

/// A small deterministic generator (xorshift64*).
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
}

const KEYS: &[&str] = &[
    "Namespace",
    "MetricData",
    "MetricName",
    "Dimensions",
    "Timestamp",
    "Value",
    "StatisticValues",
    "Values",
    "Counts",
    "Unit",
    "StorageResolution",
    "Name",
    "SampleCount",
    "Sum",
    "Minimum",
    "Maximum",
    "StartTime",
    "EndTime",
    "Period",
    "Statistics",
    "ExtendedStatistics",
    "Bool",
    "Int",
    "Long",
    "Double",
    "Blob",
    "Time",
    "IsoTime",
    "Map",
    "Nested",
    "List",
    "Located",
    "renamed",
    "Gone",
    "Unknown",
    "",
    "Name\\u0073pace",
    "Nested\\u0000",
    "\\u00e9t\\u00e9",
];

const SCALARS: &[&str] = &[
    "null",
    "true",
    "false",
    "0",
    "-1",
    "42",
    "2147483648",
    "9223372036854775807",
    "9223372036854775808",
    "18446744073709551615",
    "18446744073709551616",
    "-9223372036854775809",
    "1.5",
    "-0.0",
    "1e3",
    "1E-7",
    "1e999",
    "-1e999",
    "1e308",
    "1795601122.123",
    "\"NaN\"",
    "\"Infinity\"",
    "\"-Infinity\"",
    "\"2026-11-25T10:00:00Z\"",
    "\"1795601122\"",
    "\"Wed, 25 Nov 2026 10:05:22 GMT\"",
    "\"abc\"",
    "\"aGVsbG8=\"",
    "\"aGVsbG8\"",
    "\"a\\nb\"",
    "\"\\ud83d\\ude00\"",
    "\"\"",
    "\"Milliseconds\"",
];

/// Scalars that are not valid JSON.
const BROKEN_SCALARS: &[&str] = &[
    "\"\\ud800\"",
    "01",
    "1.",
    "-",
    "tru",
    "\"\\x\"",
    "\"unterminated",
];

fn value(g: &mut Gen, depth: usize, out: &mut String) {
    match g.below(if depth > 5 { 1 } else { 4 }) {
        0 if g.below(50) == 0 => out.push_str(g.pick(BROKEN_SCALARS)),
        0 => out.push_str(g.pick(SCALARS)),
        1 => {
            out.push('[');
            for i in 0..g.below(4) {
                if i > 0 {
                    out.push(',');
                }
                value(g, depth + 1, out);
            }
            out.push(']');
        }
        _ => object(g, depth + 1, out),
    }
}

fn object(g: &mut Gen, depth: usize, out: &mut String) {
    out.push('{');
    for i in 0..g.below(6) {
        if i > 0 {
            out.push(',');
        }
        out.push('"');
        out.push_str(g.pick(KEYS));
        out.push_str("\":");
        value(g, depth, out);
    }
    out.push('}');
}

fn body(g: &mut Gen) -> Vec<u8> {
    let mut s = String::new();
    if g.below(10) == 0 {
        value(g, 0, &mut s);
    } else {
        object(g, 0, &mut s);
    }
    let mut b = s.into_bytes();
    match g.below(12) {
        0 if !b.is_empty() => {
            let at = g.below(b.len());
            b.truncate(at);
        }
        1 => b.extend_from_slice(b" x"),
        2 => b.extend_from_slice(b" \n"),
        3 if !b.is_empty() => {
            let at = g.below(b.len());
            let junk = [b',', b'}', b']', b'"', b':', b'\\', 0xff];
            b.insert(at, junk[g.below(junk.len())]);
        }
        _ => {}
    }
    b
}

fn check(model: &ServiceModel, input: ShapeId, body: &[u8]) {
    let want = format!("{:?}", tree_decode(model, input, body));
    let got = format!("{:?}", decode_input(model, input, body));
    assert_eq!(got, want, "body {:?}", String::from_utf8_lossy(body));
}

#[test]
fn matches_the_tree_decoder_on_generated_bodies() {
    let targets = [
        (&common::CLOUDWATCH, common::CW_PUT_METRIC_DATA_INPUT),
        (&common::CLOUDWATCH, common::CW_GET_METRIC_STATISTICS_INPUT),
        (&common::CLOUDWATCH, common::CW_KITCHEN),
        (&common::CLOUDWATCH, ShapeId(1)),
        (&common::CLOUDWATCH, ShapeId(999)),
        (&BROKEN, ShapeId(0)),
    ];
    let mut g = Gen(0x9E37_79B9_7F4A_7C15);
    let mut errors = 0;
    for _ in 0..20_000 {
        let b = body(&mut g);
        for (model, input) in targets {
            check(model, input, &b);
            errors += usize::from(decode_input(model, input, &b).is_err());
        }
    }
    // The generator must reach both outcomes often.
    assert!(errors > 12_000 && errors < 108_000, "{errors}");
}

#[test]
fn matches_the_tree_decoder_on_chosen_bodies() {
    let bodies: &[&str] = &[
        "",
        "  \n",
        "{}",
        "[]",
        "null",
        "\"x\"",
        "1",
        "{} x",
        r#"{"Namespace":"a","Namespace":null}"#,
        r#"{"Namespace":"a","Namespace":5}"#,
        r#"{"Namespace":5,"MetricData":[1e999]}"#,
        r#"{"Namespace":5,"Unknown":[1e999]}"#,
        r#"{"MetricData":[null,{"MetricName":"m"},null]}"#,
        r#"{"MetricData":[{"MetricName":"m","Value":"x"},{"MetricName":5}]}"#,
        r#"{"MetricData":{"MetricName":"m"}}"#,
        r#"{"Map":{"a":1,"b":null,"c":"x"}}"#,
        r#"{"Map":[1]}"#,
        r#"{"Nested":{"Nested":{"Int":1.5}}}"#,
        r#"{"renamed":"r","Located":"l"}"#,
        r#"{"Long":18446744073709551615}"#,
        r#"{"Int":9223372036854775807}"#,
        r#"{"Blob":"!!"}"#,
        r#"{"Blob":5}"#,
        r#"{"Time":18446744073709551615}"#,
        r#"{"Time":"2026-11-25T10:00:00.5Z","IsoTime":1e12}"#,
        r#"{"Double":"NaN","Bool":"true"}"#,
        r#"{"List":[{"Gone":1}],"Gone":[1,2],"Map":{"k":[]}}"#,
    ];
    for b in bodies {
        for input in [
            common::CW_PUT_METRIC_DATA_INPUT,
            common::CW_KITCHEN,
            ShapeId(1),
            ShapeId(999),
        ] {
            check(&common::CLOUDWATCH, input, b.as_bytes());
        }
        check(&BROKEN, ShapeId(0), b.as_bytes());
    }
    // Nesting deeper than serde_json allows is invalid JSON either way.
    let deep = format!("{{\"Nested\":{}1{}}}", "[".repeat(200), "]".repeat(200));
    check(&common::CLOUDWATCH, common::CW_KITCHEN, deep.as_bytes());
}
