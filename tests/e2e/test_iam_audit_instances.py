"""The account audit's instance check with real instances: a running instance without an
instance profile fails `instances-without-profile` (`GET /_nimbus/audit` and `nimbus audit`
name it and the `aws ec2 associate-iam-instance-profile` fix), and passes once a profile is
associated. Instances need root (namespaces, cgroups)."""

import json
import os
import subprocess

import pytest
from conftest import ACCOUNT, BIN, unique

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="instances need root (namespaces, cgroups)")

EC2_TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def instance_check(n):
    report = n.admin("GET", "/_nimbus/audit")
    status = {c["check"]: c["status"] for c in report["checks"]}["instances-without-profile"]
    found = [f for f in report["findings"] if f["check"] == "instances-without-profile"]
    return status, found


def test_an_instance_without_a_profile_fails_the_audit_until_one_is_associated(make_nimbus):
    n = make_nimbus()
    assert instance_check(n) == ("PASS", [])
    ami = n.aws("ssm", "get-parameter", "--name",
                "/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-gp2")["Parameter"]["Value"]
    iid = n.aws("ec2", "run-instances", "--image-id", ami, "--instance-type", "t2.micro",
                "--tag-specifications", "ResourceType=instance,Tags=[{Key=team,Value=blue}]")[
        "Instances"][0]["InstanceId"]
    try:
        n.aws("ec2", "wait", "instance-running", "--instance-ids", iid)
        status, found = instance_check(n)
        assert status == "FAIL"
        assert [f["entity"] for f in found] == [f"arn:aws:ec2:us-east-1:{ACCOUNT}:instance/{iid}"]
        assert found[0]["fix"].startswith(
            f"aws ec2 associate-iam-instance-profile --region us-east-1 --instance-id {iid}")
        p = subprocess.run([str(BIN), "audit", "--endpoint-url", n.endpoint],
                           capture_output=True, text=True, timeout=60, env=n.env())
        assert p.returncode != 0
        assert "FAIL  instances-without-profile" in p.stdout, p.stdout

        # aws:ResourceTag/team reads the instance's tags.
        for team, allowed in (("blue", True), ("red", False)):
            who = unique(f"{team}-reader")
            n.aws("iam", "create-user", "--user-name", who)
            n.aws("iam", "put-user-policy", "--user-name", who, "--policy-name", "p",
                  "--policy-document", json.dumps({"Version": "2012-10-17", "Statement": [{
                      "Effect": "Allow", "Action": "ec2:GetConsoleOutput", "Resource": "*",
                      "Condition": {"StringEquals": {"aws:ResourceTag/team": team}}}]}))
            k = n.aws("iam", "create-access-key", "--user-name", who)["AccessKey"]
            p = n.aws_raw("ec2", "get-console-output", "--instance-id", iid,
                          access_key=k["AccessKeyId"], secret_key=k["SecretAccessKey"])
            assert (p.returncode == 0) == allowed, p.stderr
            if not allowed:
                assert "UnauthorizedOperation" in p.stderr

        role, prof = unique("audit-role"), unique("audit-prof")
        n.aws("iam", "create-role", "--role-name", role, "--assume-role-policy-document",
              json.dumps(EC2_TRUST))
        n.aws("iam", "create-instance-profile", "--instance-profile-name", prof)
        n.aws("iam", "add-role-to-instance-profile", "--instance-profile-name", prof,
              "--role-name", role)
        n.aws("ec2", "associate-iam-instance-profile", "--instance-id", iid,
              "--iam-instance-profile", f"Name={prof}")
        assert instance_check(n) == ("PASS", [])
    finally:
        n.aws("ec2", "terminate-instances", "--instance-ids", iid)
        n.aws("ec2", "wait", "instance-terminated", "--instance-ids", iid)
