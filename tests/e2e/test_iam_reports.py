"""What IAM reports about real use, through the real aws CLI and boto3: access keys' last
use (date on the Nimbus clock, region, service) from the requests they actually signed,
kept across a restart; a role's RoleLastUsed from its sessions' calls; the credential report
(STARTED then COMPLETE, AWS's CSV parsed with the csv module and compared column by
column, regenerated at most every 4 hours of Nimbus time)."""

import csv
import io
import json
import time

import pytest
from conftest import ACCOUNT, AwsCliError, Nimbus, unique


def now_secs(n):
    return n.admin("GET", "/_nimbus/clock")["epoch_millis"] // 1000


def parse_ts(s):
    return int(time.mktime(time.strptime(s[:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone)


def user_with_key(n, name, *actions):
    n.aws("iam", "create-user", "--user-name", name)
    if actions:
        n.aws("iam", "put-user-policy", "--user-name", name, "--policy-name", "p",
              "--policy-document", json.dumps({"Version": "2012-10-17", "Statement": [
                  {"Effect": "Allow", "Action": list(actions), "Resource": "*"}]}))
    k = n.aws("iam", "create-access-key", "--user-name", name)["AccessKey"]
    return k["AccessKeyId"], k["SecretAccessKey"]


def last_used(n, key):
    return n.aws("iam", "get-access-key-last-used", "--access-key-id", key)


def test_access_key_last_used_follows_real_requests(nimbus):
    name = unique("used")
    ak, sk = user_with_key(nimbus, name, "s3:ListAllMyBuckets", "ec2:Describe*")
    fresh = last_used(nimbus, ak)
    assert fresh["UserName"] == name
    assert fresh["AccessKeyLastUsed"] == {"ServiceName": "N/A", "Region": "N/A"}
    nimbus.aws("s3api", "list-buckets", access_key=ak, secret_key=sk, region="eu-west-1")
    t = now_secs(nimbus)
    got = last_used(nimbus, ak)["AccessKeyLastUsed"]
    assert got["ServiceName"] == "s3" and got["Region"] == "eu-west-1"
    assert abs(parse_ts(got["LastUsedDate"]) - t) <= 5
    nimbus.aws("ec2", "describe-vpcs", access_key=ak, secret_key=sk, region="ap-south-1")
    got = last_used(nimbus, ak)["AccessKeyLastUsed"]
    assert (got["ServiceName"], got["Region"]) == ("ec2", "ap-south-1")
    # A refused request is still a use of the key.
    with pytest.raises(AwsCliError):
        nimbus.aws("iam", "list-users", access_key=ak, secret_key=sk)
    got = last_used(nimbus, ak)["AccessKeyLastUsed"]
    assert (got["ServiceName"], got["Region"]) == ("iam", "us-east-1")
    # The caller-identity check counts too (STS).
    nimbus.aws("sts", "get-caller-identity", access_key=ak, secret_key=sk, region="us-west-2")
    got = last_used(nimbus, ak)["AccessKeyLastUsed"]
    assert (got["ServiceName"], got["Region"]) == ("sts", "us-west-2")
    # Another key of the same user stays unused; an unknown key is NoSuchEntity.
    other = nimbus.aws("iam", "create-access-key", "--user-name", name)["AccessKey"]["AccessKeyId"]
    assert "LastUsedDate" not in last_used(nimbus, other)["AccessKeyLastUsed"]
    with pytest.raises(AwsCliError) as e:
        last_used(nimbus, "AKIAAAAAAAAAAAAAAAAA")
    assert "NoSuchEntity" in e.value.stderr


def test_role_last_used_comes_from_its_sessions(nimbus):
    role = unique("lastused")
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        "Action": "sts:AssumeRole"}]})
    arn = nimbus.aws("iam", "create-role", "--role-name", role,
                     "--assume-role-policy-document", trust)["Role"]["Arn"]
    assert nimbus.aws("iam", "get-role", "--role-name", role)["Role"]["RoleLastUsed"] == {}
    user = unique("assumer")
    ak, sk = user_with_key(nimbus, user, "sts:AssumeRole")
    creds = nimbus.client("sts", access_key=ak, secret_key=sk).assume_role(
        RoleArn=arn, RoleSessionName="reports")["Credentials"]
    # Assuming is the user's use; the session's own calls are the role's.
    assert nimbus.aws("iam", "get-role", "--role-name", role)["Role"]["RoleLastUsed"] == {}
    import boto3
    sts = boto3.client("sts", endpoint_url=nimbus.endpoint, region_name="eu-central-1",
                       aws_access_key_id=creds["AccessKeyId"],
                       aws_secret_access_key=creds["SecretAccessKey"],
                       aws_session_token=creds["SessionToken"])
    sts.get_caller_identity()
    t = now_secs(nimbus)
    used = nimbus.aws("iam", "get-role", "--role-name", role)["Role"]["RoleLastUsed"]
    assert used["Region"] == "eu-central-1" and abs(parse_ts(used["LastUsedDate"]) - t) <= 5


def test_last_use_is_kept_across_a_restart(tmp_path):
    data = tmp_path / "data"
    n = Nimbus(data_dir=data).start()
    try:
        ak, sk = user_with_key(n, "durable-use", "ec2:Describe*")
        n.aws("ec2", "describe-vpcs", access_key=ak, secret_key=sk, region="eu-west-3")
        # Uses are written in batches at most every 5 s: the next use after that writes.
        time.sleep(5.5)
        n.aws("ec2", "describe-vpcs", access_key=ak, secret_key=sk, region="eu-north-1")
        before = last_used(n, ak)["AccessKeyLastUsed"]
        time.sleep(0.5)
    finally:
        n.stop()
    n = Nimbus(data_dir=data).start()
    try:
        after = last_used(n, ak)["AccessKeyLastUsed"]
        assert after == before and after["Region"] == "eu-north-1"
        n.admin("POST", "/_nimbus/reset")
        with pytest.raises(AwsCliError):
            last_used(n, ak)
    finally:
        n.stop()


COLUMNS = ["user", "arn", "user_creation_time", "password_enabled", "password_last_used",
           "password_last_changed", "password_next_rotation", "mfa_active",
           "access_key_1_active", "access_key_1_last_rotated", "access_key_1_last_used_date",
           "access_key_1_last_used_region", "access_key_1_last_used_service",
           "access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date",
           "access_key_2_last_used_region", "access_key_2_last_used_service",
           "cert_1_active", "cert_1_last_rotated", "cert_2_active", "cert_2_last_rotated"]


def report_date(iso):
    """An API timestamp (2026-12-07T17:09:52Z / +00:00 / .000Z) as the report writes it."""
    return iso[:19] + "+00:00"


def _totp(seed_b32, at):
    import base64, hashlib, hmac, struct
    key = base64.b32decode(seed_b32 + "=" * (-len(seed_b32) % 8))
    mac = hmac.new(key, struct.pack(">Q", int(at) // 30), hashlib.sha1).digest()
    o = mac[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", mac[o:o + 4])[0] & 0x7FFFFFFF) % 1000000)


def get_report(n):
    got = n.aws("iam", "get-credential-report")
    import base64
    assert got["ReportFormat"] == "text/csv"
    text = base64.b64decode(got["Content"]).decode()
    rows = list(csv.reader(io.StringIO(text)))
    return got, rows


def test_credential_report_column_by_column(make_nimbus):
    # Its own Nimbus: the test moves the clock by hours.
    n = make_nimbus()
    with pytest.raises(AwsCliError) as e:
        n.aws("iam", "get-credential-report")
    assert "ReportNotPresent" in e.value.stderr
    n.aws("iam", "update-account-password-policy", "--minimum-password-length", "12",
          "--max-password-age", "90")
    # alice: console password, MFA, two keys (the second inactive), the first used from ec2.
    ak, sk = user_with_key(n, "alice", "ec2:Describe*", "s3:ListAllMyBuckets")
    alice = n.aws("iam", "get-user", "--user-name", "alice")["User"]
    n.aws("iam", "create-login-profile", "--user-name", "alice", "--password", "Correct-Horse-9")
    dev = n.client("iam").create_virtual_mfa_device(VirtualMFADeviceName="alice")["VirtualMFADevice"]
    seed = dev["Base32StringSeed"].decode()
    c1 = _totp(seed, now_secs(n))
    n.admin("POST", "/_nimbus/clock/advance", {"seconds": 30})
    c2 = _totp(seed, now_secs(n))
    n.client("iam").enable_mfa_device(UserName="alice", SerialNumber=dev["SerialNumber"],
                                      AuthenticationCode1=c1, AuthenticationCode2=c2)
    second = n.aws("iam", "create-access-key", "--user-name", "alice")["AccessKey"]["AccessKeyId"]
    n.aws("iam", "update-access-key", "--user-name", "alice", "--access-key-id", second,
          "--status", "Inactive")
    n.aws("ec2", "describe-vpcs", access_key=ak, secret_key=sk, region="eu-west-1")
    # bob: nothing but the user; carol: a key only used against S3 (not region-specific).
    n.aws("iam", "create-user", "--user-name", "bob")
    bob = n.aws("iam", "get-user", "--user-name", "bob")["User"]
    cak, csk = user_with_key(n, "carol", "s3:ListAllMyBuckets")
    n.aws("s3api", "list-buckets", access_key=cak, secret_key=csk, region="us-west-2")

    started = n.aws("iam", "generate-credential-report")
    assert started == {"State": "STARTED",
                       "Description": "No report exists. Starting a new report generation task"}
    assert n.aws("iam", "generate-credential-report")["State"] == "COMPLETE"
    got, rows = get_report(n)
    assert rows[0] == COLUMNS
    table = {r[0]: dict(zip(COLUMNS, r)) for r in rows[1:]}
    assert all(len(r) == len(COLUMNS) for r in rows)
    assert [r[0] for r in rows[1:]] == ["<root_account>", "alice", "bob", "carol"]

    root = table["<root_account>"]
    assert root["arn"] == f"arn:aws:iam::{ACCOUNT}:root"
    assert root["user_creation_time"] <= report_date(alice["CreateDate"])
    for col, want in [("password_enabled", "not_supported"), ("password_last_used", "no_information"),
                      ("password_last_changed", "not_supported"),
                      ("password_next_rotation", "not_supported"), ("mfa_active", "false"),
                      ("access_key_1_active", "false"), ("access_key_1_last_rotated", "N/A"),
                      ("access_key_1_last_used_date", "N/A"), ("access_key_1_last_used_region", "N/A"),
                      ("access_key_1_last_used_service", "N/A"), ("access_key_2_active", "false"),
                      ("cert_1_active", "false"), ("cert_1_last_rotated", "N/A"),
                      ("cert_2_active", "false"), ("cert_2_last_rotated", "N/A")]:
        assert root[col] == want, col

    a = table["alice"]
    keys = {k["AccessKeyId"]: k for k in
            n.aws("iam", "list-access-keys", "--user-name", "alice")["AccessKeyMetadata"]}
    profile = n.aws("iam", "get-login-profile", "--user-name", "alice")["LoginProfile"]
    used = last_used(n, ak)["AccessKeyLastUsed"]
    changed = parse_ts(profile["CreateDate"])
    expected = {
        "user": "alice", "arn": alice["Arn"], "user_creation_time": report_date(alice["CreateDate"]),
        "password_enabled": "true", "password_last_used": "no_information",
        "password_last_changed": report_date(profile["CreateDate"]),
        "password_next_rotation": time.strftime("%Y-%m-%dT%H:%M:%S+00:00",
                                                time.gmtime(changed + 90 * 86400)),
        "mfa_active": "true",
        "access_key_1_active": "true",
        "access_key_1_last_rotated": report_date(keys[ak]["CreateDate"]),
        "access_key_1_last_used_date": report_date(used["LastUsedDate"]),
        "access_key_1_last_used_region": "eu-west-1", "access_key_1_last_used_service": "ec2",
        "access_key_2_active": "false",
        "access_key_2_last_rotated": report_date(keys[second]["CreateDate"]),
        "access_key_2_last_used_date": "N/A", "access_key_2_last_used_region": "N/A",
        "access_key_2_last_used_service": "N/A",
        "cert_1_active": "false", "cert_1_last_rotated": "N/A",
        "cert_2_active": "false", "cert_2_last_rotated": "N/A",
    }
    for col in COLUMNS:
        assert a[col] == expected[col], col

    b = table["bob"]
    assert b["user_creation_time"] == report_date(bob["CreateDate"])
    for col in COLUMNS[3:]:
        want = "false" if col.endswith("_active") or col == "password_enabled" else "N/A"
        assert b[col] == want, col

    c = table["carol"]
    assert (c["access_key_1_last_used_service"], c["access_key_1_last_used_region"]) == ("s3", "N/A")
    assert c["access_key_1_last_used_date"] != "N/A"

    # Within four hours the same report is served, even after changes.
    n.aws("iam", "create-user", "--user-name", "dave")
    assert n.aws("iam", "generate-credential-report")["State"] == "COMPLETE"
    again, rows2 = get_report(n)
    assert again["GeneratedTime"] == got["GeneratedTime"] and rows2 == rows
    # After four hours of Nimbus time the report has expired; a new one sees dave.
    n.admin("POST", "/_nimbus/clock/advance", {"seconds": 4 * 3600})
    with pytest.raises(AwsCliError) as e:
        n.aws("iam", "get-credential-report")
    assert "ReportExpired" in e.value.stderr
    assert n.aws("iam", "generate-credential-report")["State"] == "STARTED"
    fresh, rows3 = get_report(n)
    assert fresh["GeneratedTime"] > got["GeneratedTime"]
    assert "dave" in [r[0] for r in rows3]
    # The root's creation time stays what the first report said.
    assert dict(zip(COLUMNS, rows3[1]))["user_creation_time"] == root["user_creation_time"]


def test_a_roots_own_iam_key_is_tracked_too(make_nimbus):
    n = make_nimbus()
    k = n.aws("iam", "create-access-key")["AccessKey"]
    n.aws("s3api", "list-buckets", access_key=k["AccessKeyId"], secret_key=k["SecretAccessKey"])
    got = last_used(n, k["AccessKeyId"])["AccessKeyLastUsed"]
    assert got["ServiceName"] == "s3" and "LastUsedDate" in got
    n.aws("iam", "generate-credential-report")
    _, rows = get_report(n)
    root = dict(zip(COLUMNS, rows[1]))
    assert (root["user"], root["access_key_1_active"], root["access_key_1_last_used_service"]) == (
        "<root_account>", "true", "s3")
