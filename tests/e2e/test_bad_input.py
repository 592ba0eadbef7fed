"""Bad input of every protocol gets the protocol's own 4xx error with a clear message —
never a 500, never a crash, and nothing stored."""

import json

from conftest import unique
from rawaws import query_call, request


def test_ec2_wrong_type(nimbus):
    status, _, body = query_call(nimbus.endpoint, "ec2", {
        "Action": "AuthorizeSecurityGroupIngress", "Version": "2016-11-15", "GroupName": "default",
        "IpProtocol": "tcp", "FromPort": "eighty", "ToPort": "80", "CidrIp": "0.0.0.0/0"})
    assert status == 400, body
    assert b"<Code>InvalidParameterValue</Code>" in body and b"FromPort" in body


def test_ec2_unknown_action(nimbus):
    status, _, body = query_call(nimbus.endpoint, "ec2", {"Action": "LaunchRocket", "Version": "2016-11-15"})
    assert status == 400 and b"<Code>InvalidAction</Code>" in body


def test_json_wrong_type(nimbus):
    status, _, body = request(nimbus.endpoint, "POST", "/", json.dumps({"MaxItems": "many"}).encode(),
                              {"Content-Type": "application/x-amz-json-1.1",
                               "X-Amz-Target": "CertificateManager.ListCertificates"}, service="acm")
    assert status == 400, body
    assert "MaxItems" in json.loads(body)["message"]


def test_json_unknown_operation(nimbus):
    status, _, body = request(nimbus.endpoint, "POST", "/", b"{}",
                              {"Content-Type": "application/x-amz-json-1.1",
                               "X-Amz-Target": "CertificateManager.SummonDragon"}, service="acm")
    assert status == 400
    assert json.loads(body)["__type"].endswith("UnknownOperationException")


def test_json_non_object_body(nimbus):
    status, _, body = request(nimbus.endpoint, "POST", "/", b"[1,2,3]",
                              {"Content-Type": "application/x-amz-json-1.0",
                               "X-Amz-Target": "GraniteServiceVersion20100801.ListMetrics"}, service="monitoring")
    assert status == 400, body


def test_cbor_garbage(nimbus):
    status, headers, body = request(nimbus.endpoint, "POST",
                                    "/service/GraniteServiceVersion20100801/operation/ListMetrics",
                                    b"\xff\x00\x13garbage",
                                    {"Content-Type": "application/cbor", "smithy-protocol": "rpc-v2-cbor"},
                                    service="monitoring")
    assert status == 400, body


def test_s3_malformed_xml_creates_nothing(nimbus):
    b = unique("badxml").lower()
    status, _, body = request(nimbus.endpoint, "PUT", f"/{b}", b"<CreateBucketConfiguration><Loc",
                              {"x-amz-content-sha256": "UNSIGNED-PAYLOAD"}, service="s3")
    assert status == 400, body
    assert b"<Code>MalformedXML</Code>" in body
    names = [x["Name"] for x in nimbus.client("s3").list_buckets()["Buckets"]]
    assert b not in names


def test_gzip_garbage(nimbus):
    status, _, body = request(nimbus.endpoint, "POST", "/", b"not gzip at all",
                              {"Content-Type": "application/x-amz-json-1.0", "Content-Encoding": "gzip",
                               "X-Amz-Target": "GraniteServiceVersion20100801.ListMetrics"}, service="monitoring")
    assert 400 <= status < 500, body
