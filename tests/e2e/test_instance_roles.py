"""Roles for AWS services (the seed's IAM best practice): an instance launched with an
instance profile reads its role's temporary credentials from its metadata service (IMDSv2:
token first), and those credentials are a real STS role session that Nimbus then authorizes
as the role — allowed what the role's policy allows and nothing else. A role that does not
trust ec2.amazonaws.com gives the instance no credentials. Needs root (the sandbox)."""

import json
import os
import time
import urllib.request

import boto3
import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT, unique

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="instances need root (namespaces, cgroups)")

EC2_TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}

# The user data asks IMDS (v2: a token first) for the role's name and credentials and
# publishes what it got on port 80, so the test can read it from outside.
USER_DATA = """#!/bin/bash
yum install -y httpd
T=$(curl -s -X PUT http://169.254.169.254/latest/api/token -H 'X-aws-ec2-metadata-token-ttl-seconds: 300')
ROLE=$(curl -s -H "X-aws-ec2-metadata-token: $T" http://169.254.169.254/latest/meta-data/iam/security-credentials/)
curl -s -o /var/www/html/creds.json -w '%{http_code}' -H "X-aws-ec2-metadata-token: $T" \\
  "http://169.254.169.254/latest/meta-data/iam/security-credentials/$ROLE" > /var/www/html/status.txt
echo "$ROLE" > /var/www/html/role.txt
systemctl start httpd
"""


def profile_with_role(n, trust):
    role = unique("app-role")
    n.aws("iam", "create-role", "--role-name", role, "--assume-role-policy-document", json.dumps(trust))
    n.aws("iam", "put-role-policy", "--role-name", role, "--policy-name", "buckets",
          "--policy-document", json.dumps({"Version": "2012-10-17", "Statement": [
              {"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}]}))
    prof = unique("app-profile")
    n.aws("iam", "create-instance-profile", "--instance-profile-name", prof)
    n.aws("iam", "add-role-to-instance-profile", "--instance-profile-name", prof, "--role-name", role)
    return role, prof


def launch(n, prof):
    vpc = n.aws("ec2", "describe-vpcs", "--filters", "Name=isDefault,Values=true")["Vpcs"][0]["VpcId"]
    sg = n.aws("ec2", "create-security-group", "--group-name", unique("web"), "--description", "web",
               "--vpc-id", vpc)["GroupId"]
    n.aws("ec2", "authorize-security-group-ingress", "--group-id", sg, "--protocol", "tcp",
          "--port", "80", "--cidr", "0.0.0.0/0")
    ami = n.aws("ssm", "get-parameter", "--name",
                "/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-gp2")["Parameter"]["Value"]
    out = n.aws("ec2", "run-instances", "--image-id", ami, "--instance-type", "t2.micro",
                "--security-group-ids", sg, "--iam-instance-profile", f"Name={prof}",
                "--user-data", USER_DATA)  # the CLI base64-encodes it, as for AWS
    iid = out["Instances"][0]["InstanceId"]
    n.aws("ec2", "wait", "instance-running", "--instance-ids", iid)
    ip = n.aws("ec2", "describe-instances", "--instance-ids", iid)["Reservations"][0]["Instances"][0]["PublicIpAddress"]
    return iid, ip


def fetch(ip, path, timeout=30):
    deadline = time.time() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"http://{ip}/{path}", timeout=3) as r:
                return r.read().decode()
        except Exception:  # noqa: BLE001 - not up yet
            if time.time() > deadline:
                raise
            time.sleep(0.2)


def test_an_instance_profile_gives_the_instance_its_roles_credentials(make_nimbus, tmp_path):
    n = make_nimbus(data_dir=tmp_path / "data")
    role, prof = profile_with_role(n, EC2_TRUST)
    iid, ip = launch(n, prof)
    try:
        status = fetch(ip, "status.txt").strip()
    except Exception as e:
        console = n.aws("ec2", "get-console-output", "--instance-id", iid).get("Output", "")
        raise AssertionError(f"{e}; console:\n{console[-3000:]}") from None
    assert status == "200"
    assert fetch(ip, "role.txt").strip() == role
    creds = json.loads(fetch(ip, "creds.json"))
    assert creds["Code"] == "Success" and creds["Type"] == "AWS-HMAC"
    assert creds["AccessKeyId"].startswith("ASIA")

    def client(service):
        return boto3.client(service, endpoint_url=n.endpoint, region_name="us-east-1",
                            aws_access_key_id=creds["AccessKeyId"],
                            aws_secret_access_key=creds["SecretAccessKey"],
                            aws_session_token=creds["Token"])

    who = client("sts").get_caller_identity()
    assert who["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{iid}"
    client("s3").list_buckets()  # the role's policy allows it
    iam = client("iam")
    with pytest.raises(ClientError) as e:
        iam.list_users()
    assert e.value.response["Error"]["Code"] == "AccessDenied"
    assert f"assumed-role/{role}/{iid}" in str(e.value)


def test_a_role_that_does_not_trust_ec2_gives_no_credentials(make_nimbus, tmp_path):
    n = make_nimbus(data_dir=tmp_path / "data")
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    role, prof = profile_with_role(n, trust)
    _, ip = launch(n, prof)
    assert fetch(ip, "status.txt").strip() != "200"
