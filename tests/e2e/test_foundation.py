"""The front door: admin endpoints, the clock, SigV4 authentication and its errors,
permissive mode, unimplemented operations, and bad input."""

import datetime
import json
import urllib.request

import pytest
from conftest import ACCOUNT, AwsCliError
from rawaws import query_call, request


def test_health_lists_services_and_implemented_operations(nimbus):
    h = nimbus.admin("GET", "/_nimbus/health")
    assert h["status"] == "running"
    names = {s["name"] for s in h["services"]}
    assert {"sts", "ec2", "s3", "cloudwatch", "acm"} <= names
    ec2 = next(s for s in h["services"] if s["name"] == "ec2")
    assert "CreateSecurityGroup" in ec2["implemented"]


def test_clock_advances(nimbus):
    before = nimbus.admin("GET", "/_nimbus/clock")["epoch_millis"]
    after = nimbus.admin("POST", "/_nimbus/clock/advance", {"seconds": 3600})["epoch_millis"]
    assert after - before >= 3_600_000
    with pytest.raises(urllib.error.HTTPError) as e:
        nimbus.admin("POST", "/_nimbus/clock/advance", {"seconds": "soon"})
    assert e.value.code == 400


def test_get_caller_identity_root(nimbus):
    out = nimbus.aws("sts", "get-caller-identity")
    assert out == {"UserId": ACCOUNT, "Account": ACCOUNT, "Arn": f"arn:aws:iam::{ACCOUNT}:root"}


def test_boto3_get_caller_identity(nimbus):
    out = nimbus.client("sts").get_caller_identity()
    assert out["Account"] == ACCOUNT
    assert len(out["ResponseMetadata"]["RequestId"]) == 36


def test_unknown_access_key_is_rejected(nimbus):
    p = nimbus.aws_raw("sts", "get-caller-identity", access_key="AKIANOTAREALKEY00000")
    assert p.returncode != 0
    assert "InvalidClientTokenId" in p.stderr


def test_wrong_secret_is_signature_mismatch(nimbus):
    p = nimbus.aws_raw("sts", "get-caller-identity", secret_key="wrong")
    assert p.returncode != 0
    assert "SignatureDoesNotMatch" in p.stderr


def test_ec2_unknown_key_is_auth_failure(nimbus):
    p = nimbus.aws_raw("ec2", "describe-security-groups", access_key="AKIANOTAREALKEY00000")
    assert p.returncode != 0
    assert "AuthFailure" in p.stderr


def test_unsigned_request_is_refused(nimbus):
    p = nimbus.aws_raw("sts", "get-caller-identity", "--no-sign-request")
    assert p.returncode != 0
    assert "MissingAuthenticationToken" in p.stderr


def test_unsigned_errors_speak_the_services_dialect(nimbus):
    status, _, body = query_call(nimbus.endpoint, None, {"Action": "GetCallerIdentity", "Version": "2011-06-15"},
                                 sign_it=False)
    assert status == 403
    assert b'xmlns="https://sts.amazonaws.com/doc/2011-06-15/"' in body
    assert b"<Code>MissingAuthenticationToken</Code>" in body
    status, _, body = query_call(nimbus.endpoint, None, {"Action": "DescribeVpcs", "Version": "2016-11-15"},
                                 sign_it=False)
    assert status == 401
    assert b"<Response><Errors><Error><Code>AuthFailure</Code>" in body


def test_skewed_request_is_refused(nimbus):
    old = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=20)
    status, _, body = query_call(nimbus.endpoint, "sts",
                                 {"Action": "GetCallerIdentity", "Version": "2011-06-15"}, when=old)
    assert status == 403
    assert b"SignatureDoesNotMatch" in body and b"expired" in body.lower()
    status, _, body = query_call(nimbus.endpoint, "sts",
                                 {"Action": "GetCallerIdentity", "Version": "2011-06-15"})
    assert status == 200, body


def test_permissive_mode_accepts_any_key(make_nimbus):
    n = make_nimbus("--auth", "permissive", "--account", "123456789012")
    out = n.aws("sts", "get-caller-identity", access_key="anything", secret_key="whatever")
    assert out["Account"] == "123456789012"
    out = n.aws("sts", "get-caller-identity", access_key="111122223333", secret_key="x")
    assert out["Account"] == "111122223333"
    out = n.aws("sts", "get-caller-identity", "--no-sign-request")
    assert out["Account"] == "123456789012"


def test_unimplemented_operation_names_itself(nimbus):
    p = nimbus.aws_raw("ec2", "create-volume", "--availability-zone", "us-east-1a", "--size", "1")
    assert p.returncode != 0
    assert "NotImplemented" in p.stderr and "CreateVolume" in p.stderr


def test_unknown_action_is_invalid_action(nimbus):
    status, _, body = query_call(nimbus.endpoint, "sts", {"Action": "FlyToTheMoon", "Version": "2011-06-15"})
    assert status == 400
    assert b"<Code>InvalidAction</Code>" in body


def test_malformed_form_body_is_a_client_error(nimbus):
    status, _, body = request(nimbus.endpoint, "POST", "/", b"Action=GetCallerIdentity&Version=%ZZ",
                              {"Content-Type": "application/x-www-form-urlencoded"}, service="sts")
    assert 400 <= status < 500, body


def test_broken_json_is_serialization_exception(nimbus):
    status, headers, body = request(nimbus.endpoint, "POST", "/", b"{not json",
                                    {"Content-Type": "application/x-amz-json-1.1",
                                     "X-Amz-Target": "CertificateManager.ListCertificates"}, service="acm")
    assert status == 400
    assert json.loads(body)["__type"].endswith("SerializationException")


def test_oversized_body_is_413(nimbus):
    """A declared body over the limit is refused before it is read."""
    import socket
    import urllib.parse
    u = urllib.parse.urlparse(nimbus.endpoint)
    with socket.create_connection((u.hostname, u.port), timeout=10) as s:
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                  b"Content-Length: %d\r\n\r\nAction=GetCallerIdentity" % (17 << 20))
        head = s.recv(4096)
    assert head.startswith(b"HTTP/1.1 413"), head


def test_reset_wipes_state(make_nimbus):
    n = make_nimbus()
    n.aws("ec2", "create-security-group", "--group-name", "before-reset", "--description", "x")
    n.admin("POST", "/_nimbus/reset")
    with pytest.raises(AwsCliError) as e:
        n.aws("ec2", "describe-security-groups", "--group-names", "before-reset")
    assert "InvalidGroup.NotFound" in e.value.stderr
    assert n.admin("POST", "/moto-api/reset")["status"] == "reset"
