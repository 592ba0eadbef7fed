//! Decoding ec2-protocol requests: bodies captured from botocore, plus the edge cases
//! (bad leaves, ordering, unknown keys) a hand-written client can produce.

use crate::fixtures::*;
use crate::models::{ec2 as ids, EC2};
use crate::util::{decode, decode_show, show};
use nimbus_proto_query::{ec2, parse_params};
use nimbus_wire::{ShapeId, Value, WireError};

#[test]
fn authorize_security_group_ingress() {
    assert_eq!(
        decode_show(&EC2, "AuthorizeSecurityGroupIngress", EC2_AUTHORIZE_INGRESS),
        r#"{GroupId: "sg-12345678", IpPermissions: [{IpProtocol: "tcp", FromPort: 80, ToPort: 80, UserIdGroupPairs: [{UserId: "123456789012", GroupId: "sg-2"}], IpRanges: [{Description: "web & more", CidrIp: "0.0.0.0/0"}]}, {IpProtocol: "-1", Ipv6Ranges: [{CidrIpv6: "::/0"}]}]}"#
    );
}

#[test]
fn describe_security_groups_filters_and_id_lists() {
    assert_eq!(
        decode_show(&EC2, "DescribeSecurityGroups", EC2_DESCRIBE_SGS),
        r#"{GroupIds: ["sg-1", "sg-2"], MaxResults: 10, DryRun: false, Filters: [{Name: "group-name", Values: ["a", "b"]}, {Name: "vpc-id", Values: ["vpc-1"]}]}"#
    );
}

#[test]
fn empty_list_is_absent() {
    // botocore sends nothing at all for `InstanceIds=[]` under ec2.
    assert_eq!(
        decode_show(&EC2, "DescribeInstances", EC2_DESCRIBE_INSTANCES_EMPTY),
        "{}"
    );
}

#[test]
fn run_instances_nested_lists_and_query_names() {
    // `NetworkInterface.1.Ipv6Addresses.1...` uses the members' queryName, not their
    // locationName (`ipv6AddressesSet`); `UserData` arrives base64 text as sent.
    assert_eq!(
        decode_show(&EC2, "RunInstances", EC2_RUN_INSTANCES),
        concat!(
            r#"{BlockDeviceMappings: [{Ebs: {DeleteOnTermination: true, VolumeSize: 8}, DeviceName: "/dev/xvda"}], "#,
            r#"ImageId: "ami-1", InstanceType: "t3.micro", MaxCount: 2, MinCount: 1, SecurityGroupIds: ["sg-1"], "#,
            r#"UserData: "IyEvYmluL3NoCmVjaG8gaGk=", TagSpecifications: [{ResourceType: "instance", Tags: [{Key: "Name", Value: "web"}]}], "#,
            r#"ClientToken: "tok-1", "#,
            r#"NetworkInterfaces: [{DeviceIndex: 0, Ipv6Addresses: [{Ipv6Address: "::1"}], PrivateIpAddresses: [{Primary: true, PrivateIpAddress: "10.0.0.5"}]}]}"#
        )
    );
}

#[test]
fn describe_images_location_named_lists() {
    assert_eq!(
        decode_show(&EC2, "DescribeImages", EC2_DESCRIBE_IMAGES),
        r#"{ExecutableUsers: ["self"], ImageIds: ["ami-1"], Owners: ["amazon", "123"]}"#
    );
}

#[test]
fn timestamps_with_and_without_fraction() {
    assert_eq!(
        decode_show(&EC2, "DescribeSpotPriceHistory", EC2_SPOT_PRICE_HISTORY),
        "{StartTime: 2026-11-25T10:05:22.123Z, EndTime: 2026-11-26T00:00:00.000Z}"
    );
    // Epoch seconds are accepted too.
    assert_eq!(
        decode_show(&EC2, "DescribeSpotPriceHistory", "StartTime=1795601122.123"),
        "{StartTime: 2026-11-25T10:05:22.123Z}"
    );
}

#[test]
fn lists_sort_numerically_not_lexically() {
    assert_eq!(
        decode_show(
            &EC2,
            "DescribeSecurityGroups",
            "GroupId.10=j&GroupId.2=b&GroupId.1=a&GroupId.9=i"
        ),
        r#"{GroupIds: ["a", "b", "i", "j"]}"#
    );
}

#[test]
fn booleans_are_case_insensitive() {
    assert_eq!(
        decode_show(&EC2, "DescribeSecurityGroups", "DryRun=TRUE"),
        "{DryRun: true}"
    );
    assert_eq!(
        decode_show(&EC2, "DescribeSecurityGroups", "DryRun=False"),
        "{DryRun: false}"
    );
}

#[test]
fn ignores_action_version_and_unknown_keys() {
    assert_eq!(
        decode_show(
            &EC2,
            "DescribeSecurityGroups",
            "Action=DescribeSecurityGroups&Version=2016-11-15&Bogus=1&Filter.1.Nope=2&GroupId.x=3&dryRun=true"
        ),
        // `dryRun` (the un-capitalized locationName) is not the ec2 request key;
        // `Filter.1` exists but carries nothing known; `GroupId.x` is not an item.
        "{GroupIds: [], Filters: [{}]}"
    );
}

#[test]
fn query_style_member_word_is_not_ec2() {
    // ec2 lists are `Prefix.N`; `Prefix.member.N` carries no item.
    assert_eq!(
        decode_show(&EC2, "DescribeSecurityGroups", "GroupId.member.1=sg-1"),
        "{GroupIds: []}"
    );
}

fn invalid_member(body: &str, op: &str) -> String {
    match decode(&EC2, op, body) {
        Err(WireError::InvalidValue { member, .. }) => member,
        other => panic!("expected InvalidValue for {body}, got {other:?}"),
    }
}

#[test]
fn bad_leaves_name_the_wire_key() {
    assert_eq!(
        invalid_member("MaxResults=ten", "DescribeSecurityGroups"),
        "MaxResults"
    );
    assert_eq!(
        invalid_member("DryRun=yes", "DescribeSecurityGroups"),
        "DryRun"
    );
    assert_eq!(
        invalid_member(
            "IpPermissions.2.FromPort=80x",
            "AuthorizeSecurityGroupIngress"
        ),
        "IpPermissions.2.FromPort"
    );
    assert_eq!(
        invalid_member("StartTime=yesterday", "DescribeSpotPriceHistory"),
        "StartTime"
    );
    // Integer members are 32-bit.
    assert_eq!(
        invalid_member("MaxResults=2147483648", "DescribeSecurityGroups"),
        "MaxResults"
    );
    assert_eq!(
        invalid_member("MaxResults=", "DescribeSecurityGroups"),
        "MaxResults"
    );
}

#[test]
fn invalid_value_maps_to_ec2_error_code() {
    let err = decode(&EC2, "DescribeSecurityGroups", "MaxResults=ten").unwrap_err();
    let aws = err.to_aws(nimbus_wire::Protocol::Ec2);
    assert_eq!(aws.code, "InvalidParameterValue");
    assert_eq!(aws.status, 400);
    assert!(aws.message.contains("MaxResults"), "{}", aws.message);
}

#[test]
fn scalar_value_for_a_list_is_rejected() {
    assert_eq!(
        invalid_member("GroupId=sg-1", "DescribeSecurityGroups"),
        "GroupId"
    );
}

#[test]
fn last_occurrence_wins_body_over_query_string() {
    let params = parse_params("MaxResults=5&GroupId.1=a", b"MaxResults=6").unwrap();
    let input = ids::DescribeSecurityGroupsRequest;
    let v = ec2::decode_input(&EC2, input, &params).unwrap();
    assert_eq!(show(&EC2, input, &v), r#"{GroupIds: ["a"], MaxResults: 6}"#);
}

#[test]
fn input_must_be_a_structure() {
    let params = parse_params("", b"A=1").unwrap();
    assert!(matches!(
        ec2::decode_input(&EC2, ids::FilterList, &params),
        Err(WireError::Malformed(_))
    ));
    assert!(matches!(
        ec2::decode_input(&EC2, ShapeId(60_000), &params),
        Err(WireError::Malformed(_))
    ));
}

#[test]
fn decoded_struct_has_one_slot_per_member() {
    let params = parse_params("", EC2_DESCRIBE_SGS.as_bytes()).unwrap();
    let Value::Struct(slots) =
        ec2::decode_input(&EC2, ids::DescribeSecurityGroupsRequest, &params).unwrap()
    else {
        panic!("not a struct")
    };
    assert_eq!(slots.len(), 6);
    assert_eq!(slots[3], Some(Value::Int(10)));
}
