"""Resource-tag conditions: `aws:ResourceTag/<key>` and `iam:ResourceTag/<key>` read the
tags of the IAM user or role a call names, so a policy can grant by tag (the EC2 instance
case is in test_iam_audit_instances.py, where an instance runs)."""

import json

import pytest
from conftest import AwsCliError, unique


def user_allowed(n, statement):
    name = unique("tagged-caller")
    n.aws("iam", "create-user", "--user-name", name)
    n.aws("iam", "put-user-policy", "--user-name", name, "--policy-name", "p", "--policy-document",
          json.dumps({"Version": "2012-10-17", "Statement": [statement]}))
    k = n.aws("iam", "create-access-key", "--user-name", name)["AccessKey"]
    return dict(access_key=k["AccessKeyId"], secret_key=k["SecretAccessKey"])


def refused(call):
    with pytest.raises(AwsCliError) as e:
        call()
    assert "AccessDenied" in e.value.stderr, e.value.stderr


def test_roles_and_users_are_granted_by_their_tags(nimbus):
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
    blue, red = unique("blue-role"), unique("red-role")
    nimbus.aws("iam", "create-role", "--role-name", blue, "--assume-role-policy-document", trust,
               "--tags", "Key=team,Value=blue")
    nimbus.aws("iam", "create-role", "--role-name", red, "--assume-role-policy-document", trust,
               "--tags", "Key=team,Value=red")
    keys = user_allowed(nimbus, {"Effect": "Allow", "Action": "iam:GetRole", "Resource": "*",
                                 "Condition": {"StringEquals": {"aws:ResourceTag/team": "blue"}}})
    assert nimbus.aws("iam", "get-role", "--role-name", blue, **keys)["Role"]["RoleName"] == blue
    refused(lambda: nimbus.aws("iam", "get-role", "--role-name", red, **keys))

    tagged, plain = unique("tagged-user"), unique("plain-user")
    nimbus.aws("iam", "create-user", "--user-name", tagged, "--tags", "Key=team,Value=blue")
    nimbus.aws("iam", "create-user", "--user-name", plain)
    keys = user_allowed(nimbus, {"Effect": "Allow", "Action": "iam:ListUserTags", "Resource": "*",
                                 "Condition": {"StringEquals": {"iam:ResourceTag/team": "blue"}}})
    assert nimbus.aws("iam", "list-user-tags", "--user-name", tagged, **keys)["Tags"] == [
        {"Key": "team", "Value": "blue"}]
    refused(lambda: nimbus.aws("iam", "list-user-tags", "--user-name", plain, **keys))
