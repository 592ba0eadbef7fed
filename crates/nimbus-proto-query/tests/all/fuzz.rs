//! Robustness: random and mutated input must never panic, whatever the model. A fixed-seed
//! xorshift generator keeps failures reproducible without a dependency.

use crate::fixtures::*;
use crate::models::{list as list_shape, map as map_shape, scalar};
use crate::models::{mem, structure, AUTOSCALING, CLOUDWATCH, EC2, ELBV2, FLAT, SNS, STS};
use nimbus_core::{AwsError, Timestamp};
use nimbus_proto_query::{ec2, parse_params, query};
use nimbus_wire::model::{Member, ShapeKind, TimestampFormat};
use nimbus_wire::{Protocol, ServiceModel, ShapeId, Value, WireError};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

const MODELS: [&ServiceModel; 8] = [
    &EC2,
    &STS,
    &ELBV2,
    &AUTOSCALING,
    &SNS,
    &CLOUDWATCH,
    &FLAT,
    &DEEP,
];

const VALUES: &[&str] = &[
    "",
    "0",
    "1",
    "-1",
    "80",
    "2147483648",
    "-9223372036854775809",
    "99999999999999999999",
    "true",
    "FALSE",
    "yes",
    "1.5",
    "1e-7",
    "1e400",
    "NaN",
    "-Infinity",
    "inf",
    "abc",
    "2026-11-25T10:05:22Z",
    "2026-11-25T10:05:22.123456Z",
    "2026-13-45T99:99:99Z",
    "2026-11-25T10:05:22+99:99",
    "2026-11-25T10:05:22+é:0",
    "20261125T100522Z",
    "99991399T999999Z",
    "Wed, 25 Nov 2026 10:05:22 GMT",
    "Wed, 25 Nov 99999999999999999 10:05:22 GMT",
    "Wed, 99 Zzz 2026 99:99:99 GMT",
    "1795601122.123",
    "-1e13",
    "1e14",
    "aGk=",
    "aGk",
    "====",
    "a/b+c",
    "\u{0}",
    "😀",
    "é",
    "<&>\"'",
    " 1 ",
    "+5",
    "0x10",
    "1_000",
];

/// Key segments: every name the test models use, plus the protocol words and junk.
fn segments() -> Vec<String> {
    let mut segs: Vec<String> = [
        "member",
        "entry",
        "key",
        "value",
        "Key",
        "Value",
        "item",
        "1",
        "2",
        "3",
        "10",
        "0",
        "01",
        "-1",
        "+1",
        "99999999999999999999999",
        "",
        "Action",
        "Version",
        "é",
        "x",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for model in MODELS {
        for shape in model.shapes {
            match &shape.kind {
                ShapeKind::Structure(s) => {
                    for m in s.members {
                        segs.push(m.name.to_string());
                        if let Some(l) = m.location_name {
                            segs.push(l.to_string());
                            let mut c = l.chars();
                            if let Some(f) = c.next() {
                                segs.push(f.to_uppercase().chain(c).collect());
                            }
                        }
                        if let Some(q) = m.query_name {
                            segs.push(q.to_string());
                        }
                    }
                }
                ShapeKind::List(l) => segs.extend(l.member_location_name.map(str::to_string)),
                ShapeKind::Map(m) => {
                    segs.extend(m.key_location_name.map(str::to_string));
                    segs.extend(m.value_location_name.map(str::to_string));
                }
                _ => {}
            }
        }
    }
    segs.sort();
    segs.dedup();
    segs
}

fn random_key(rng: &mut Rng, segs: &[String]) -> String {
    let depth = if rng.chance(2) {
        60 + rng.below(10)
    } else {
        1 + rng.below(8)
    };
    (0..depth)
        .map(|_| rng.pick(segs).as_str())
        .collect::<Vec<_>>()
        .join(".")
}

fn random_value(rng: &mut Rng) -> String {
    if rng.chance(10) {
        let n = rng.below(12);
        (0..n)
            .map(|_| char::from_u32(rng.below(0x250) as u32).unwrap_or('?'))
            .collect()
    } else {
        rng.pick(VALUES).to_string()
    }
}

fn decode_both(model: &ServiceModel, input: ShapeId, params: &[(String, String)]) {
    // Both dialects on every model: the naming rules must cope with foreign shapes too.
    for r in [
        query::decode_input(model, input, params),
        ec2::decode_input(model, input, params),
    ] {
        if let Err(e) = r {
            // Every error must still render as an AWS error.
            let _ = e.to_aws(Protocol::Query);
            assert!(!matches!(e, WireError::TooLarge(_)));
        }
    }
}

fn inputs(model: &ServiceModel) -> Vec<ShapeId> {
    let mut ids: Vec<ShapeId> = model.operations.iter().filter_map(|o| o.input).collect();
    // Any shape at all, including lists and scalars and an id past the table's end.
    ids.extend((0..=model.shapes.len() as u16).map(ShapeId));
    ids
}

#[test]
fn random_params_never_panic() {
    let segs = segments();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for model in MODELS {
        let ids = inputs(model);
        for _ in 0..400 {
            let n = rng.below(25);
            let params: Vec<(String, String)> = (0..n)
                .map(|_| (random_key(&mut rng, &segs), random_value(&mut rng)))
                .collect();
            let input = *rng.pick(&ids);
            decode_both(model, input, &params);
        }
    }
}

fn mutate(rng: &mut Rng, params: &mut Vec<(String, String)>, segs: &[String]) {
    if params.is_empty() {
        params.push((random_key(rng, segs), random_value(rng)));
        return;
    }
    let i = rng.below(params.len());
    match rng.below(7) {
        0 => params[i].1 = random_value(rng),
        1 => {
            // Drop a segment.
            let mut parts: Vec<&str> = params[i].0.split('.').collect();
            let j = rng.below(parts.len());
            parts.remove(j);
            params[i].0 = parts.join(".");
        }
        2 => {
            // Replace a segment.
            let mut parts: Vec<String> = params[i].0.split('.').map(str::to_string).collect();
            let j = rng.below(parts.len());
            parts[j] = rng.pick(segs).clone();
            params[i].0 = parts.join(".");
        }
        3 => {
            // Insert a segment.
            let mut parts: Vec<String> = params[i].0.split('.').map(str::to_string).collect();
            let j = rng.below(parts.len() + 1);
            parts.insert(j, rng.pick(segs).clone());
            params[i].0 = parts.join(".");
        }
        4 => {
            let dup = params[i].clone();
            params.push(dup);
        }
        5 => {
            params.remove(i);
        }
        _ => {
            let key = &mut params[i].0;
            let mut at = rng.below(key.len() + 1);
            while !key.is_char_boundary(at) {
                at -= 1;
            }
            key.truncate(at);
        }
    }
}

#[test]
fn mutated_botocore_requests_never_panic() {
    let cases: [(&ServiceModel, &str, &str); 14] = [
        (&EC2, "AuthorizeSecurityGroupIngress", EC2_AUTHORIZE_INGRESS),
        (&EC2, "DescribeSecurityGroups", EC2_DESCRIBE_SGS),
        (&EC2, "DescribeInstances", EC2_DESCRIBE_INSTANCES_EMPTY),
        (&EC2, "RunInstances", EC2_RUN_INSTANCES),
        (&EC2, "DescribeImages", EC2_DESCRIBE_IMAGES),
        (&EC2, "DescribeSpotPriceHistory", EC2_SPOT_PRICE_HISTORY),
        (&STS, "AssumeRole", STS_ASSUME_ROLE),
        (&ELBV2, "CreateTargetGroup", ELBV2_CREATE_TG),
        (&AUTOSCALING, "CreateAutoScalingGroup", ASG_CREATE),
        (&SNS, "CreateTopic", SNS_CREATE_TOPIC),
        (&SNS, "Publish", SNS_PUBLISH),
        (&CLOUDWATCH, "PutMetricData", CW_PUT_METRIC_DATA_QUERY),
        (&FLAT, "Go", FLAT_GO),
        (&FLAT, "Go", FLAT_GO_EMPTY),
    ];
    let segs = segments();
    let mut rng = Rng(42);
    for (model, op, body) in cases {
        let input = model.operation(op).unwrap().input.unwrap();
        let original = parse_params("", body.as_bytes()).unwrap();
        for _ in 0..300 {
            let mut params = original.clone();
            for _ in 0..1 + rng.below(4) {
                mutate(&mut rng, &mut params, &segs);
            }
            decode_both(model, input, &params);
        }
    }
}

#[test]
fn random_form_bytes_never_panic() {
    let alphabet = b"aZ09.=&%+-_~ \xff\xc3\xa9\x00";
    let mut rng = Rng(7);
    for _ in 0..5000 {
        let n = rng.below(40);
        let bytes: Vec<u8> = (0..n).map(|_| *rng.pick(alphabet)).collect();
        let query = String::from_utf8_lossy(&bytes).into_owned();
        if let Ok(params) = parse_params(&query, &bytes) {
            decode_both(&FLAT, crate::models::flat::GoInput, &params);
        }
    }
}

fn random_tree(rng: &mut Rng, depth: usize) -> Value {
    let leaf = depth == 0 || rng.chance(40);
    match if leaf { rng.below(6) } else { 6 + rng.below(3) } {
        0 => Value::Bool(rng.chance(50)),
        1 => Value::Int(rng.next() as i64),
        2 => Value::Float(*rng.pick(&[0.1, -0.0, f64::NAN, f64::INFINITY, 1e300, 5e-324])),
        3 => Value::Str(random_value(rng)),
        4 => Value::Blob(bytes::Bytes::from(random_value(rng).into_bytes())),
        5 => Value::Timestamp(Timestamp(rng.next() as i64 >> rng.below(64))),
        6 => Value::List(
            (0..rng.below(4))
                .map(|_| random_tree(rng, depth - 1))
                .collect(),
        ),
        7 => Value::Map(
            (0..rng.below(4))
                .map(|_| (random_value(rng), random_tree(rng, depth - 1)))
                .collect(),
        ),
        _ => Value::Struct(
            (0..rng.below(20))
                .map(|_| rng.chance(60).then(|| random_tree(rng, depth - 1)))
                .collect(),
        ),
    }
}

#[test]
fn random_output_values_never_panic() {
    let mut rng = Rng(1234);
    for model in MODELS {
        for op in model.operations {
            for _ in 0..60 {
                let v = random_tree(&mut rng, 5);
                let a = query::encode_output(model, op, Some(&v), "r");
                let b = ec2::encode_output(model, op, Some(&v), "r");
                assert_eq!(a.status, 200);
                assert!(std::str::from_utf8(&b.body).is_ok());
            }
        }
    }
    for _ in 0..200 {
        let mut err = AwsError::new(
            random_value(&mut rng),
            400 + rng.below(200) as u16,
            random_value(&mut rng),
        );
        err = err.with_extra("Extra", random_value(&mut rng));
        let a = query::encode_error(&STS, &err, &random_value(&mut rng));
        let b = ec2::encode_error(&EC2, &err, &random_value(&mut rng));
        assert_eq!(a.status, err.status);
        assert_eq!(b.status, err.status);
    }
}

// A recursive model: `Node { Child: Node, Kids: [Node], Tags: {String: Node}, Name, At, Raw }`.
const STR: u16 = 1;
const NODE_LIST: u16 = 2;
const NODE_MAP: u16 = 3;
const TS: u16 = 4;
const BLOB: u16 = 5;
static DEEP_SHAPES: [nimbus_wire::Shape; 6] = [
    structure(
        "Node",
        &[
            mem("Child", 0),
            mem("Kids", NODE_LIST),
            Member {
                flattened: true,
                ..mem("Flat", NODE_LIST)
            },
            Member {
                location_name: Some("tag"),
                ..mem("Tags", NODE_MAP)
            },
            mem("Name", STR),
            Member {
                timestamp_format: Some(TimestampFormat::UnixTimestamp),
                ..mem("At", TS)
            },
            mem("Raw", BLOB),
        ],
    ),
    scalar("String", ShapeKind::String { enum_values: &[] }),
    list_shape("NodeList", 0, Some("kid"), false),
    map_shape("NodeMap", STR, 0, None, Some("node"), false),
    scalar("Ts", ShapeKind::Timestamp { format: None }),
    scalar("Blob", ShapeKind::Blob { streaming: false }),
];
static DEEP_OPS: [nimbus_wire::Operation; 1] = [crate::models::op(
    "Walk",
    Some(0),
    Some(0),
    Some("WalkResult"),
)];
static DEEP: ServiceModel = crate::models::service(
    "deep",
    None,
    "2020-01-01",
    Protocol::Query,
    &DEEP_OPS,
    &DEEP_SHAPES,
);

#[test]
fn recursive_shapes_decode_to_the_key_depth_limit() {
    let key = format!("{}Name", "Child.".repeat(63));
    let v = query::decode_input(&DEEP, ShapeId(0), &[(key, "leaf".into())]).unwrap();
    let mut cur = &v;
    for _ in 0..63 {
        let Value::Struct(slots) = cur else {
            panic!("not a struct")
        };
        cur = slots[0].as_ref().unwrap();
    }
    assert_eq!(
        cur,
        &Value::Struct(vec![
            None,
            None,
            None,
            None,
            Some(Value::Str("leaf".into())),
            None,
            None
        ])
    );
    let too_deep = format!("{}Name", "Child.".repeat(64));
    assert!(matches!(
        query::decode_input(&DEEP, ShapeId(0), &[(too_deep, "x".into())]),
        Err(WireError::Malformed(_))
    ));
    let kids = format!("{}Name", "Kids.kid.1.".repeat(21));
    assert!(query::decode_input(&DEEP, ShapeId(0), &[(kids, "x".into())]).is_ok());
    let tags = format!("{}Name", "tag.entry.1.node.".repeat(15));
    assert!(query::decode_input(&DEEP, ShapeId(0), &[(tags, "x".into())]).is_ok());
}

#[test]
fn recursive_output_encodes() {
    // Child → leaf, lists, a map entry. The flattened `Flat` list repeats its items under
    // the list member's name (`kid`), which is where botocore's parser looks.
    let leaf = Value::Struct(vec![
        None,
        None,
        None,
        None,
        Some(Value::Str("z".into())),
        Some(Value::Timestamp(Timestamp(1500))),
        None,
    ]);
    let mid = Value::Struct(vec![
        Some(leaf.clone()),
        Some(Value::List(vec![leaf.clone()])),
        Some(Value::List(vec![leaf.clone(), leaf.clone()])),
        Some(Value::Map(vec![("k".into(), leaf)])),
        None,
        None,
        Some(Value::Blob(bytes::Bytes::from_static(b"ok"))),
    ]);
    let op = DEEP.operation("Walk").unwrap();
    let resp = query::encode_output(&DEEP, op, Some(&mid), "r");
    let z = "<Name>z</Name><At>1.5</At>";
    assert_eq!(
        std::str::from_utf8(&resp.body).unwrap(),
        format!(
            "<WalkResponse xmlns=\"https://deep.amazonaws.com/doc/2020-01-01/\"><WalkResult>\
             <Child>{z}</Child><Kids><kid>{z}</kid></Kids><kid>{z}</kid><kid>{z}</kid>\
             <tag><entry><key>k</key><node>{z}</node></entry></tag><Raw>b2s=</Raw></WalkResult>\
             <ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></WalkResponse>"
        )
    );
}
