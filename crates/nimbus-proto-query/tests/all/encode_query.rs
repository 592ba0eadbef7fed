//! Rendering query-protocol responses and errors. The expected bodies live in
//! `responses.rs`, where `dev/check_responses.py` feeds them to botocore's `QueryParser`.

use crate::models::{autoscaling, cloudwatch, elbv2, flat, sts};
use crate::models::{AUTOSCALING, CLOUDWATCH, ELBV2, FLAT, SNS, STS};
use crate::responses::*;
use crate::util::{body_str, header, list, map, output_of, s, st, t0};
use bytes::Bytes;
use nimbus_core::{AwsError, Timestamp};
use nimbus_proto_query::query;
use nimbus_wire::{ServiceModel, Value};

fn render(model: &ServiceModel, op: &str, v: Option<&Value>) -> String {
    let op = model.operation(op).unwrap();
    let resp = query::encode_output(model, op, v, "req-1");
    assert_eq!(resp.status, 200);
    assert_eq!(header(&resp, "content-type"), Some("text/xml"));
    assert_eq!(header(&resp, "x-amzn-RequestId"), Some("req-1"));
    body_str(&resp).to_string()
}

#[test]
fn sts_assume_role() {
    let m = &STS;
    let v = st(
        m,
        output_of(m, "AssumeRole"),
        vec![
            (
                "Credentials",
                st(
                    m,
                    sts::Credentials,
                    vec![
                        ("AccessKeyId", s("ASIAEXAMPLE")),
                        ("SecretAccessKey", s("secret/+=")),
                        ("SessionToken", s("token")),
                        ("Expiration", Value::Timestamp(t0())),
                    ],
                ),
            ),
            (
                "AssumedRoleUser",
                st(
                    m,
                    sts::AssumedRoleUser,
                    vec![
                        ("AssumedRoleId", s("AROA1:sess")),
                        ("Arn", s("arn:aws:sts::123456789012:assumed-role/r/sess")),
                    ],
                ),
            ),
            ("PackedPolicySize", Value::Int(6)),
        ],
    );
    assert_eq!(render(m, "AssumeRole", Some(&v)), STS_ASSUME_ROLE_XML);
}

#[test]
fn sts_get_caller_identity() {
    let m = &STS;
    let v = st(
        m,
        output_of(m, "GetCallerIdentity"),
        vec![
            ("UserId", s("AIDAEXAMPLE")),
            ("Account", s("123456789012")),
            ("Arn", s("arn:aws:iam::123456789012:user/alice")),
        ],
    );
    assert_eq!(
        render(m, "GetCallerIdentity", Some(&v)),
        STS_GET_CALLER_IDENTITY_XML
    );
}

#[test]
fn elbv2_create_target_group_lists_of_structures() {
    let m = &ELBV2;
    let tg = st(
        m,
        elbv2::TargetGroup,
        vec![
            (
                "TargetGroupArn",
                s("arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/tg/1"),
            ),
            ("TargetGroupName", s("tg")),
            ("Protocol", s("HTTP")),
            ("Port", Value::Int(80)),
            ("VpcId", s("vpc-1")),
            ("HealthCheckEnabled", Value::Bool(true)),
            ("HealthCheckPath", s("/health?a=1&b=<2>")),
            (
                "Matcher",
                st(m, elbv2::Matcher, vec![("HttpCode", s("200"))]),
            ),
            ("LoadBalancerArns", list(vec![])),
        ],
    );
    let v = st(
        m,
        output_of(m, "CreateTargetGroup"),
        vec![("TargetGroups", list(vec![tg]))],
    );
    assert_eq!(
        render(m, "CreateTargetGroup", Some(&v)),
        ELBV2_CREATE_TG_XML
    );
}

#[test]
fn operation_without_output_has_only_metadata() {
    assert_eq!(
        render(&AUTOSCALING, "CreateAutoScalingGroup", None),
        ASG_CREATE_XML
    );
    // A value handed in anyway is ignored: there is no shape to write it by.
    let stray = st(
        &AUTOSCALING,
        autoscaling::CreateAutoScalingGroupType,
        vec![],
    );
    assert_eq!(
        render(&AUTOSCALING, "CreateAutoScalingGroup", Some(&stray)),
        ASG_CREATE_XML
    );
}

#[test]
fn sns_map_output() {
    let m = &SNS;
    let v = st(
        m,
        output_of(m, "GetTopicAttributes"),
        vec![(
            "Attributes",
            map(vec![
                ("DisplayName", s("My topic")),
                ("Policy", s("{\"a\":\"<b>\"}")),
            ]),
        )],
    );
    assert_eq!(
        render(m, "GetTopicAttributes", Some(&v)),
        SNS_GET_TOPIC_ATTRIBUTES_XML
    );
}

#[test]
fn result_wrapper_is_written_even_without_a_value() {
    // botocore looks the wrapper up unconditionally.
    assert_eq!(
        render(&SNS, "CreateTopic", None),
        SNS_CREATE_TOPIC_EMPTY_XML
    );
}

#[test]
fn cloudwatch_doubles_timestamps_and_map_of_doubles() {
    let m = &CLOUDWATCH;
    let dp = st(
        m,
        cloudwatch::Datapoint,
        vec![
            ("Timestamp", Value::Timestamp(t0())),
            ("SampleCount", Value::Float(3.0)),
            ("Average", Value::Float(0.1)),
            ("Maximum", Value::Float(1e-7)),
            ("Unit", s("Seconds")),
            ("ExtendedStatistics", map(vec![("p99", Value::Float(2.25))])),
        ],
    );
    let v = st(
        m,
        output_of(m, "GetMetricStatistics"),
        vec![("Label", s("Latency")), ("Datapoints", list(vec![dp]))],
    );
    assert_eq!(
        render(m, "GetMetricStatistics", Some(&v)),
        CW_GET_METRIC_STATISTICS_XML
    );
}

fn thing(kind: Option<&str>, id: &str, size: i64) -> Value {
    let mut members = vec![("Id", s(id)), ("Size", Value::Int(size))];
    if let Some(k) = kind {
        members.push(("Kind", s(k)));
    }
    st(&FLAT, flat::Thing, members)
}

#[test]
fn flattened_lists_maps_attributes_and_scalars() {
    let m = &FLAT;
    let v = st(
        m,
        flat::GoOutput,
        vec![
            ("Flat", list(vec![s("a"), s("b")])),
            ("FlatNamed", list(vec![s("c")])),
            ("Named", list(vec![s("f"), s("g")])),
            ("Empty", list(vec![])),
            ("FlatMap", map(vec![("k1", s("v1")), ("k2", s("v2"))])),
            ("Map", map(vec![("k3", s("")), ("k&4", s("v<4>"))])),
            ("Things", map(vec![("t1", thing(Some("big"), "x", 3))])),
            (
                "ThingList",
                list(vec![thing(None, "y", -1), thing(Some("a\"b"), "z", 0)]),
            ),
            ("Data", Value::Blob(Bytes::from_static(b"\x00\x01\xfe\xff"))),
            ("When", Value::Timestamp(t0())),
            ("At", Value::Timestamp(Timestamp(t0().0 - 123))),
            ("Ok", Value::Bool(false)),
            ("Ratio", Value::Float(f64::INFINITY)),
            ("Big", Value::Int(9_007_199_254_740_993)),
            ("Text", s("line1\nline2\r\t& 'quoted' \"x\" ü")),
        ],
    );
    assert_eq!(render(m, "Go", Some(&v)), FLAT_GO_XML);
}

#[test]
fn output_without_result_wrapper_sits_under_the_root() {
    let m = &FLAT;
    let v = st(m, flat::BareOutput, vec![("Text", s("hi"))]);
    assert_eq!(render(m, "Bare", Some(&v)), FLAT_BARE_XML);
}

#[test]
fn values_that_do_not_fit_their_shapes_are_not_fatal() {
    let m = &FLAT;
    // Wrong kinds everywhere, too many slots: scalars are written by their own type,
    // compound mismatches are skipped.
    let mut slots = vec![None; 20];
    slots[0] = Some(s("not a list"));
    slots[4] = Some(list(vec![s("not a map")]));
    slots[6] = Some(Value::Int(5));
    slots[7] = Some(map(vec![("k", s("v"))]));
    slots[14] = Some(Value::List(vec![]));
    let body = render(m, "Go", Some(&Value::Struct(slots)));
    assert_eq!(body, FLAT_GO_MISFIT_XML);
    // A non-structure output value writes an empty result.
    let body = render(m, "Go", Some(&s("oops")));
    assert!(body.contains("<GoResult></GoResult>"), "{body}");
}

#[test]
fn namespace_falls_back_to_the_aws_pattern() {
    static NO_NS: ServiceModel = ServiceModel {
        name: "iam",
        service_id: "IAM",
        endpoint_prefix: "iam",
        signing_name: "iam",
        iam_prefix: "iam",
        api_version: "2010-05-08",
        protocols: &[nimbus_wire::Protocol::Query],
        target_prefix: None,
        json_version: None,
        xml_namespace: None,
        query_compatible: false,
        operations: &[],
        shapes: &[],
    };
    let err = AwsError::client("NoSuchEntity", "nope");
    let resp = query::encode_error(&NO_NS, &err, "r");
    assert!(body_str(&resp)
        .starts_with(r#"<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">"#));
}

#[test]
fn errors_of_no_service_carry_no_invented_namespace() {
    // The gateway's stand-in model for "no service addressed yet" has no API version;
    // its errors must not read `xmlns="https://nimbus.amazonaws.com/doc//"`.
    static NONE_YET: ServiceModel = ServiceModel {
        name: "nimbus",
        service_id: "Nimbus",
        endpoint_prefix: "nimbus",
        signing_name: "nimbus",
        iam_prefix: "nimbus",
        api_version: "",
        protocols: &[],
        target_prefix: None,
        json_version: None,
        xml_namespace: None,
        query_compatible: false,
        operations: &[],
        shapes: &[],
    };
    let err = AwsError::client("MissingAuthenticationToken", "no token");
    let resp = query::encode_error(&NONE_YET, &err, "r");
    let body = body_str(&resp);
    assert!(body.starts_with("<ErrorResponse><Error>"), "{body}");
    assert!(
        body.contains("<Code>MissingAuthenticationToken</Code>"),
        "{body}"
    );
}

#[test]
fn sender_error() {
    let err = AwsError::client("ValidationError", "1 validation error: <Name> & 'x'")
        .with_extra("Resource", "arn:x");
    let resp = query::encode_error(&STS, &err, "req-2");
    assert_eq!(resp.status, 400);
    assert_eq!(header(&resp, "content-type"), Some("text/xml"));
    assert_eq!(header(&resp, "x-amzn-RequestId"), Some("req-2"));
    assert_eq!(body_str(&resp), QUERY_SENDER_ERROR_XML);
}

#[test]
fn receiver_error() {
    let err = AwsError::new("ServiceUnavailable", 503, "try later");
    let resp = query::encode_error(&ELBV2, &err, "req-3");
    assert_eq!(resp.status, 503);
    assert_eq!(body_str(&resp), QUERY_RECEIVER_ERROR_XML);
}
