//! Decoding query-protocol requests: bodies captured from botocore for STS, ELBv2, Auto
//! Scaling, SNS, CloudWatch and the made-up `flat` service, plus edge cases.

use crate::fixtures::*;
use crate::models::{flat, sts, AUTOSCALING, CLOUDWATCH, ELBV2, FLAT, SNS, STS};
use crate::util::{decode, decode_show, show};
use nimbus_proto_query::{parse_params, query};
use nimbus_wire::WireError;

#[test]
fn sts_assume_role_member_lists_and_empty_list() {
    // `TransitiveTagKeys=` is botocore's empty list: present, with no items.
    assert_eq!(
        decode_show(&STS, "AssumeRole", STS_ASSUME_ROLE),
        concat!(
            r#"{RoleArn: "arn:aws:iam::123456789012:role/r", RoleSessionName: "sess", "#,
            r#"PolicyArns: [{arn: "arn:aws:iam::aws:policy/ReadOnlyAccess"}], DurationSeconds: 900, "#,
            r#"Tags: [{Key: "k1", Value: "v1"}, {Key: "k2", Value: "v 2"}], TransitiveTagKeys: []}"#
        )
    );
}

#[test]
fn elbv2_create_target_group_nested_structure() {
    assert_eq!(
        decode_show(&ELBV2, "CreateTargetGroup", ELBV2_CREATE_TG),
        concat!(
            r#"{Name: "tg", Protocol: "HTTP", Port: 80, VpcId: "vpc-1", HealthCheckEnabled: true, "#,
            r#"HealthCheckPath: "/health?x=1", Matcher: {HttpCode: "200-299"}, Tags: [{Key: "env", Value: "dev"}]}"#
        )
    );
}

#[test]
fn autoscaling_create_group() {
    assert_eq!(
        decode_show(&AUTOSCALING, "CreateAutoScalingGroup", ASG_CREATE),
        concat!(
            r#"{AutoScalingGroupName: "asg", LaunchTemplate: {LaunchTemplateId: "lt-1", Version: "$Latest"}, "#,
            r#"MinSize: 1, MaxSize: 3, AvailabilityZones: ["us-east-1a", "us-east-1b"], TargetGroupARNs: [], "#,
            r#"Tags: [{ResourceId: "asg", ResourceType: "auto-scaling-group", Key: "Name", Value: "w", PropagateAtLaunch: true}]}"#
        )
    );
}

#[test]
fn sns_create_topic_map_entries() {
    assert_eq!(
        decode_show(&SNS, "CreateTopic", SNS_CREATE_TOPIC),
        r#"{Name: "t", Attributes: {"DisplayName": "My topic", "Policy": "{\"a\":1}"}, Tags: [{Key: "k", Value: "v"}]}"#
    );
}

#[test]
fn sns_publish_named_map_of_structures_with_blob() {
    assert_eq!(
        decode_show(&SNS, "Publish", SNS_PUBLISH),
        concat!(
            r#"{TopicArn: "arn:aws:sns:us-east-1:123456789012:t", Message: "hello=world&x", "#,
            r#"MessageAttributes: {"attr1": {DataType: "String", StringValue: "v1"}, "#,
            r#""bin": {DataType: "Binary", BinaryValue: b"\x00\x01\xfe\xff"}}}"#
        )
    );
}

#[test]
fn cloudwatch_put_metric_data_doubles_and_timestamps() {
    assert_eq!(
        decode_show(&CLOUDWATCH, "PutMetricData", CW_PUT_METRIC_DATA_QUERY),
        concat!(
            r#"{Namespace: "App", MetricData: [{MetricName: "Latency", Dimensions: [{Name: "Host", Value: "a"}], "#,
            r#"Timestamp: 2026-11-25T10:05:22.123Z, Value: 1.5, Values: [0.1, 2.0, 1e-7], Counts: [1.0, 3.0], "#,
            r#"Unit: "Milliseconds", StorageResolution: 1}]}"#
        )
    );
}

#[test]
fn flattened_renamed_lists_and_maps() {
    assert_eq!(
        decode_show(&FLAT, "Go", FLAT_GO),
        concat!(
            r#"{Flat: ["a", "b"], FlatNamed: ["c"], FlatShape: ["d", "e"], Named: ["f"], "#,
            r#"FlatMap: {"k1": "v1"}, Map: {"k2": "v2", "k3": ""}, "#,
            r#"Things: {"t1": {Kind: "big", Id: "x", Size: 3}}, Nested: [["a", "b"], []], "#,
            r#"Data: b"hi!", When: 2026-11-25T10:05:22.000Z, At: 2026-11-25T10:05:22.123Z, Ok: true, "#,
            r#"Ratio: inf, Big: 9007199254740993, Count: -5}"#
        )
    );
}

#[test]
fn flattened_empty_lists_use_the_member_key() {
    // botocore sends an empty flattened list under the member key even when a non-empty
    // one would be renamed after its items (`FlatNamed=` vs `Item.1=c`).
    assert_eq!(
        decode_show(&FLAT, "Go", FLAT_GO_EMPTY),
        r#"{Flat: [], FlatNamed: [], Named: []}"#
    );
}

#[test]
fn get_request_params_in_query_string() {
    let params = parse_params(
        "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Ax&RoleSessionName=s1",
        b"",
    )
    .unwrap();
    let input = sts::AssumeRoleRequest;
    let v = query::decode_input(&STS, input, &params).unwrap();
    assert_eq!(
        show(&STS, input, &v),
        r#"{RoleArn: "arn:x", RoleSessionName: "s1"}"#
    );
}

#[test]
fn items_directly_under_a_non_flattened_prefix_are_accepted() {
    assert_eq!(
        decode_show(
            &AUTOSCALING,
            "CreateAutoScalingGroup",
            "AvailabilityZones.2=b&AvailabilityZones.1=a"
        ),
        r#"{AvailabilityZones: ["a", "b"]}"#
    );
}

#[test]
fn map_entries_without_key_or_value_are_skipped() {
    assert_eq!(
        decode_show(
            &SNS,
            "CreateTopic",
            "Attributes.entry.1.key=A&Attributes.entry.2.value=x&Attributes.entry.3.key=C&Attributes.entry.3.value=3"
        ),
        r#"{Attributes: {"C": "3"}}"#
    );
}

#[test]
fn epoch_seconds_timestamp() {
    assert_eq!(
        decode_show(&FLAT, "Go", "When=1795601122&At=1795601122.5"),
        "{When: 2026-11-25T10:05:22.000Z, At: 2026-11-25T10:05:22.500Z}"
    );
}

fn invalid(model: &nimbus_wire::ServiceModel, op: &str, body: &str) -> (String, String) {
    match decode(model, op, body) {
        Err(WireError::InvalidValue { member, detail }) => (member, detail),
        other => panic!("expected InvalidValue for {body}, got {other:?}"),
    }
}

#[test]
fn bad_leaves_name_the_wire_key() {
    assert_eq!(
        invalid(
            &AUTOSCALING,
            "CreateAutoScalingGroup",
            "Tags.member.1.PropagateAtLaunch=maybe"
        )
        .0,
        "Tags.member.1.PropagateAtLaunch"
    );
    assert_eq!(
        invalid(
            &CLOUDWATCH,
            "PutMetricData",
            "MetricData.member.1.Values.member.2=abc"
        )
        .0,
        "MetricData.member.1.Values.member.2"
    );
    assert_eq!(
        invalid(
            &SNS,
            "Publish",
            "MessageAttributes.entry.1.Name=a&MessageAttributes.entry.1.Value.BinaryValue=***"
        )
        .0,
        "MessageAttributes.entry.1.Value.BinaryValue"
    );
    assert_eq!(invalid(&FLAT, "Go", "Big=1.5").0, "Big");
    assert_eq!(invalid(&FLAT, "Go", "Item.1=x&Item.2=y&Count=z").0, "Count");
    let (member, detail) = invalid(&STS, "AssumeRole", "DurationSeconds=15m");
    assert_eq!(member, "DurationSeconds");
    assert!(detail.contains("15m"), "{detail}");
}

#[test]
fn scalar_value_for_a_list_is_rejected() {
    assert_eq!(
        invalid(
            &AUTOSCALING,
            "CreateAutoScalingGroup",
            "AvailabilityZones=us-east-1a"
        )
        .0,
        "AvailabilityZones"
    );
}

#[test]
fn unpadded_base64_is_accepted() {
    assert_eq!(decode_show(&FLAT, "Go", "Data=aGk"), r#"{Data: b"hi"}"#);
}

#[test]
fn special_floats() {
    assert_eq!(decode_show(&FLAT, "Go", "Ratio=-Infinity"), "{Ratio: -inf}");
    assert_eq!(decode_show(&FLAT, "Go", "Ratio=NaN"), "{Ratio: NaN}");
    assert_eq!(decode_show(&FLAT, "Go", "Ratio=1e3"), "{Ratio: 1000.0}");
}

#[test]
fn no_params_is_an_empty_structure() {
    let input = flat::GoInput;
    let v = query::decode_input(&FLAT, input, &[]).unwrap();
    assert_eq!(show(&FLAT, input, &v), "{}");
}
