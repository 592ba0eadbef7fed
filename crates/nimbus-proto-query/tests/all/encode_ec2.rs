//! Rendering ec2-protocol responses and errors. The expected bodies live in
//! `responses.rs`, where `dev/check_responses.py` feeds them to botocore's `EC2QueryParser`.

use crate::models::{ec2 as ids, EC2};
use crate::responses::*;
use crate::util::{body_str, header, list, output_of, s, st, t0};
use nimbus_core::AwsError;
use nimbus_proto_query::ec2;
use nimbus_wire::{ServiceModel, Value};

fn render(model: &ServiceModel, op: &str, v: Option<&Value>) -> String {
    let op = model.operation(op).unwrap();
    let resp = ec2::encode_output(model, op, v, "req-1");
    assert_eq!(resp.status, 200);
    assert_eq!(
        header(&resp, "content-type"),
        Some("text/xml;charset=UTF-8")
    );
    body_str(&resp).to_string()
}

fn tag(k: &str, v: &str) -> Value {
    st(&EC2, ids::Tag, vec![("Key", s(k)), ("Value", s(v))])
}

#[test]
fn describe_security_groups() {
    let m = &EC2;
    let perm = st(
        m,
        ids::IpPermission,
        vec![
            ("IpProtocol", s("tcp")),
            ("FromPort", Value::Int(22)),
            ("ToPort", Value::Int(22)),
            (
                "IpRanges",
                list(vec![st(
                    m,
                    ids::IpRange,
                    vec![
                        ("CidrIp", s("10.0.0.0/8")),
                        ("Description", s("ssh & <admin>")),
                    ],
                )]),
            ),
            (
                "UserIdGroupPairs",
                list(vec![st(
                    m,
                    ids::UserIdGroupPair,
                    vec![("GroupId", s("sg-2")), ("UserId", s("123456789012"))],
                )]),
            ),
            ("Ipv6Ranges", list(vec![])),
        ],
    );
    let egress = st(
        m,
        ids::IpPermission,
        vec![
            ("IpProtocol", s("-1")),
            (
                "IpRanges",
                list(vec![st(m, ids::IpRange, vec![("CidrIp", s("0.0.0.0/0"))])]),
            ),
        ],
    );
    let sg = st(
        m,
        ids::SecurityGroup,
        vec![
            ("GroupId", s("sg-1")),
            ("GroupName", s("web")),
            ("Description", s("web servers")),
            ("OwnerId", s("123456789012")),
            ("VpcId", s("vpc-1")),
            ("IpPermissions", list(vec![perm])),
            ("IpPermissionsEgress", list(vec![egress])),
            ("Tags", list(vec![tag("Name", "web")])),
        ],
    );
    let v = st(
        m,
        output_of(m, "DescribeSecurityGroups"),
        vec![("SecurityGroups", list(vec![sg]))],
    );
    assert_eq!(
        render(m, "DescribeSecurityGroups", Some(&v)),
        EC2_DESCRIBE_SGS_XML
    );
}

#[test]
fn create_security_group() {
    let m = &EC2;
    let v = st(
        m,
        output_of(m, "CreateSecurityGroup"),
        vec![
            ("GroupId", s("sg-1")),
            ("Tags", list(vec![tag("a", "1"), tag("b", "")])),
        ],
    );
    assert_eq!(
        render(m, "CreateSecurityGroup", Some(&v)),
        EC2_CREATE_SG_XML
    );
}

#[test]
fn operation_without_output_returns_true() {
    assert_eq!(render(&EC2, "CreateTags", None), EC2_CREATE_TAGS_XML);
}

#[test]
fn timestamps_and_absent_output_value() {
    let m = &EC2;
    let price = st(
        m,
        ids::SpotPrice,
        vec![
            ("AvailabilityZone", s("us-east-1a")),
            ("InstanceType", s("t3.micro")),
            ("ProductDescription", s("Linux/UNIX")),
            ("SpotPrice", s("0.003100")),
            ("Timestamp", Value::Timestamp(t0())),
        ],
    );
    let v = st(
        m,
        output_of(m, "DescribeSpotPriceHistory"),
        vec![
            ("SpotPriceHistory", list(vec![price])),
            ("NextToken", s("")),
        ],
    );
    assert_eq!(
        render(m, "DescribeSpotPriceHistory", Some(&v)),
        EC2_SPOT_PRICE_XML
    );
    // An operation with an output shape but no value: just the request id.
    assert_eq!(
        render(m, "DescribeSpotPriceHistory", None),
        EC2_SPOT_PRICE_EMPTY_XML
    );
}

#[test]
fn error_body() {
    let err = AwsError::client(
        "InvalidGroup.NotFound",
        "The security group 'sg-<1>' does not exist",
    );
    let resp = ec2::encode_error(&EC2, &err, "req-9");
    assert_eq!(resp.status, 400);
    assert_eq!(
        header(&resp, "content-type"),
        Some("text/xml;charset=UTF-8")
    );
    assert_eq!(body_str(&resp), EC2_ERROR_XML);
    let resp = ec2::encode_error(&EC2, &AwsError::internal("boom"), "req-9");
    assert_eq!(resp.status, 500);
    assert!(body_str(&resp).contains("<Code>InternalFailure</Code>"));
}

#[test]
fn namespace_gets_its_trailing_slash_once() {
    let op = EC2.operation("CreateTags").unwrap();
    let body = body_str(&ec2::encode_output(&EC2, op, None, "r")).to_string();
    assert!(
        body.contains(r#"xmlns="http://ec2.amazonaws.com/doc/2016-11-15/""#),
        "{body}"
    );
    static WITH_SLASH: ServiceModel = ServiceModel {
        xml_namespace: Some("http://ec2.amazonaws.com/doc/2016-11-15/"),
        name: "ec2",
        service_id: "EC2",
        endpoint_prefix: "ec2",
        signing_name: "ec2",
        iam_prefix: "ec2",
        api_version: "2016-11-15",
        protocols: &[nimbus_wire::Protocol::Ec2],
        target_prefix: None,
        json_version: None,
        query_compatible: false,
        operations: &[],
        shapes: &[],
    };
    let body = body_str(&ec2::encode_output(&WITH_SLASH, op, None, "r")).to_string();
    assert!(
        body.contains(r#"xmlns="http://ec2.amazonaws.com/doc/2016-11-15/""#),
        "{body}"
    );
}
