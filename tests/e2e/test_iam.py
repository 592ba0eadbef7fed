"""IAM through the real aws CLI and boto3: users, access keys, groups, customer and AWS
managed policies with versions and attachments, inline policies (documents come back
URL-encoded and the clients decode them), roles, AWS's errors and limits, pagination,
IAM being global, and durability across a restart."""

import json

import pytest
from conftest import ACCOUNT, AwsCliError, Nimbus, unique

DOC = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
         "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def cli_error(nimbus, *args):
    with pytest.raises(AwsCliError) as e:
        nimbus.aws(*args)
    return e.value.stderr


def test_user_lifecycle_and_errors(nimbus):
    name = unique("alice")
    u = nimbus.aws("iam", "create-user", "--user-name", name, "--path", "/team/",
                   "--tags", "Key=team,Value=red")["User"]
    assert u["UserName"] == name and u["Path"] == "/team/"
    assert u["UserId"].startswith("AIDA") and len(u["UserId"]) == 21
    assert u["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/team/{name}"
    assert u["Tags"] == [{"Key": "team", "Value": "red"}]
    # Names are unique case-insensitively; IAM is global (any region sees the user).
    err = cli_error(nimbus, "iam", "create-user", "--user-name", name.upper())
    assert "EntityAlreadyExists" in err and f"User with name {name.upper()} already exists." in err
    got = nimbus.aws("iam", "get-user", "--user-name", name, region="eu-west-1")["User"]
    assert got["UserId"] == u["UserId"]
    listed = nimbus.aws("iam", "list-users", "--path-prefix", "/team/")["Users"]
    assert name in [x["UserName"] for x in listed]
    err = cli_error(nimbus, "iam", "get-user", "--user-name", "nobody-" + name)
    assert "NoSuchEntity" in err and f"The user with name nobody-{name} cannot be found." in err
    err = cli_error(nimbus, "iam", "create-user", "--user-name", "bad name")
    assert "ValidationError" in err and "regular expression pattern" in err
    new = name + "-2"
    nimbus.aws("iam", "update-user", "--user-name", name, "--new-user-name", new)
    nimbus.aws("iam", "delete-user", "--user-name", new)
    cli_error(nimbus, "iam", "get-user", "--user-name", new)


def test_access_keys_two_per_user(nimbus):
    name = unique("keys")
    nimbus.aws("iam", "create-user", "--user-name", name)
    k1 = nimbus.aws("iam", "create-access-key", "--user-name", name)["AccessKey"]
    assert k1["AccessKeyId"].startswith("AKIA") and len(k1["AccessKeyId"]) == 20
    assert len(k1["SecretAccessKey"]) == 40 and k1["Status"] == "Active"
    nimbus.aws("iam", "create-access-key", "--user-name", name)
    err = cli_error(nimbus, "iam", "create-access-key", "--user-name", name)
    assert "LimitExceeded" in err and "Cannot exceed quota for AccessKeysPerUser: 2" in err
    nimbus.aws("iam", "update-access-key", "--user-name", name, "--access-key-id", k1["AccessKeyId"],
               "--status", "Inactive")
    meta = nimbus.aws("iam", "list-access-keys", "--user-name", name)["AccessKeyMetadata"]
    assert {m["AccessKeyId"]: m["Status"] for m in meta}[k1["AccessKeyId"]] == "Inactive"
    assert all("SecretAccessKey" not in m for m in meta)
    last = nimbus.aws("iam", "get-access-key-last-used", "--access-key-id", k1["AccessKeyId"])
    assert last["UserName"] == name and last["AccessKeyLastUsed"]["ServiceName"] == "N/A"
    err = cli_error(nimbus, "iam", "delete-user", "--user-name", name)
    assert "DeleteConflict" in err and "must delete access keys first" in err
    for m in meta:
        nimbus.aws("iam", "delete-access-key", "--user-name", name, "--access-key-id", m["AccessKeyId"])
    nimbus.aws("iam", "delete-user", "--user-name", name)


def test_groups_managed_and_inline_policies(nimbus):
    user, group, pol = unique("dev"), unique("devs"), unique("S3Things")
    nimbus.aws("iam", "create-user", "--user-name", user)
    g = nimbus.aws("iam", "create-group", "--group-name", group)["Group"]
    assert g["GroupId"].startswith("AGPA") and g["Arn"] == f"arn:aws:iam::{ACCOUNT}:group/{group}"
    nimbus.aws("iam", "add-user-to-group", "--group-name", group, "--user-name", user)
    members = nimbus.aws("iam", "get-group", "--group-name", group)["Users"]
    assert [m["UserName"] for m in members] == [user]
    assert [x["GroupName"] for x in nimbus.aws("iam", "list-groups-for-user", "--user-name", user)["Groups"]] == [group]

    p = nimbus.aws("iam", "create-policy", "--policy-name", pol, "--policy-document", json.dumps(DOC))["Policy"]
    arn = p["Arn"]
    assert arn == f"arn:aws:iam::{ACCOUNT}:policy/{pol}" and p["PolicyId"].startswith("ANPA")
    assert p["DefaultVersionId"] == "v1" and p["AttachmentCount"] == 0
    nimbus.aws("iam", "attach-group-policy", "--group-name", group, "--policy-arn", arn)
    nimbus.aws("iam", "attach-group-policy", "--group-name", group,
               "--policy-arn", "arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    attached = nimbus.aws("iam", "list-attached-group-policies", "--group-name", group)["AttachedPolicies"]
    assert [a["PolicyName"] for a in attached] == [pol, "IAMReadOnlyAccess"]
    assert nimbus.aws("iam", "get-policy", "--policy-arn", arn)["Policy"]["AttachmentCount"] == 1
    ents = nimbus.aws("iam", "list-entities-for-policy", "--policy-arn", arn)
    assert [x["GroupName"] for x in ents["PolicyGroups"]] == [group]
    err = cli_error(nimbus, "iam", "delete-policy", "--policy-arn", arn)
    assert "DeleteConflict" in err and "Cannot delete a policy attached to entities." in err

    # Versions: the CLI shows the decoded document.
    v2 = nimbus.aws("iam", "create-policy-version", "--policy-arn", arn, "--policy-document",
                    json.dumps(DOC), "--set-as-default")["PolicyVersion"]
    assert v2["VersionId"] == "v2" and v2["IsDefaultVersion"] is True
    got = nimbus.aws("iam", "get-policy-version", "--policy-arn", arn, "--version-id", "v2")["PolicyVersion"]
    assert got["Document"] == DOC
    err = cli_error(nimbus, "iam", "delete-policy-version", "--policy-arn", arn, "--version-id", "v2")
    assert "Cannot delete the default version of a policy." in err
    for _ in range(3):
        nimbus.aws("iam", "create-policy-version", "--policy-arn", arn, "--policy-document", json.dumps(DOC))
    err = cli_error(nimbus, "iam", "create-policy-version", "--policy-arn", arn, "--policy-document", json.dumps(DOC))
    assert "LimitExceeded" in err
    versions = nimbus.aws("iam", "list-policy-versions", "--policy-arn", arn)["Versions"]
    assert len(versions) == 5

    # Inline policies: documents round-trip as JSON objects.
    nimbus.aws("iam", "put-group-policy", "--group-name", group, "--policy-name", "inl",
               "--policy-document", json.dumps(DOC))
    out = nimbus.aws("iam", "get-group-policy", "--group-name", group, "--policy-name", "inl")
    assert out["PolicyDocument"] == DOC and out["GroupName"] == group
    assert nimbus.aws("iam", "list-group-policies", "--group-name", group)["PolicyNames"] == ["inl"]
    err = cli_error(nimbus, "iam", "put-user-policy", "--user-name", user, "--policy-name", "bad",
                    "--policy-document", '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*"}}')
    assert "MalformedPolicyDocument" in err

    err = cli_error(nimbus, "iam", "delete-group", "--group-name", group)
    assert "DeleteConflict" in err
    nimbus.aws("iam", "remove-user-from-group", "--group-name", group, "--user-name", user)
    nimbus.aws("iam", "delete-group-policy", "--group-name", group, "--policy-name", "inl")
    for a in attached:
        nimbus.aws("iam", "detach-group-policy", "--group-name", group, "--policy-arn", a["PolicyArn"])
    nimbus.aws("iam", "delete-group", "--group-name", group)


def test_attach_limit_is_ten(nimbus):
    user = unique("many")
    nimbus.aws("iam", "create-user", "--user-name", user)
    iam = nimbus.client("iam")
    arns = [iam.create_policy(PolicyName=unique(f"lim{i}"), PolicyDocument=json.dumps(DOC))["Policy"]["Arn"]
            for i in range(11)]
    for a in arns[:10]:
        iam.attach_user_policy(UserName=user, PolicyArn=a)
    with pytest.raises(iam.exceptions.LimitExceededException) as e:
        iam.attach_user_policy(UserName=user, PolicyArn=arns[10])
    assert "Cannot exceed quota for PoliciesPerUser: 10" in str(e.value)
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.attach_user_policy(UserName=user, PolicyArn="arn:aws:iam::aws:policy/NoSuchPolicy")


def test_roles_with_boto3(nimbus):
    iam = nimbus.client("iam")
    name = unique("app-role")
    r = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST),
                        Description="the app", MaxSessionDuration=7200,
                        Tags=[{"Key": "env", "Value": "dev"}])["Role"]
    assert r["RoleId"].startswith("AROA") and r["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/{name}"
    got = iam.get_role(RoleName=name)["Role"]
    # botocore decodes the URL-encoded trust policy into a dict.
    assert got["AssumeRolePolicyDocument"] == TRUST
    assert got["MaxSessionDuration"] == 7200 and got["Description"] == "the app"
    assert got["Tags"] == [{"Key": "env", "Value": "dev"}]
    # botocore checks the range itself; without its check, Nimbus answers as IAM does.
    raw = nimbus.client("iam", parameter_validation=False)
    with pytest.raises(raw.exceptions.ClientError) as e:
        raw.create_role(RoleName=unique("r"), AssumeRolePolicyDocument=json.dumps(TRUST), MaxSessionDuration=100)
    assert e.value.response["Error"]["Code"] == "ValidationError"
    with pytest.raises(iam.exceptions.MalformedPolicyDocumentException):
        iam.create_role(RoleName=unique("r"), AssumeRolePolicyDocument=json.dumps(DOC))
    iam.attach_role_policy(RoleName=name, PolicyArn="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
    iam.put_role_policy(RoleName=name, PolicyName="inline", PolicyDocument=json.dumps(DOC))
    assert iam.get_role_policy(RoleName=name, PolicyName="inline")["PolicyDocument"] == DOC
    iam.put_role_permissions_boundary(RoleName=name, PermissionsBoundary="arn:aws:iam::aws:policy/PowerUserAccess")
    assert iam.get_role(RoleName=name)["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == \
        "arn:aws:iam::aws:policy/PowerUserAccess"
    iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(TRUST))
    iam.update_role(RoleName=name, MaxSessionDuration=3600)
    with pytest.raises(iam.exceptions.DeleteConflictException):
        iam.delete_role(RoleName=name)
    iam.delete_role_policy(RoleName=name, PolicyName="inline")
    iam.detach_role_policy(RoleName=name, PolicyArn="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
    iam.delete_role(RoleName=name)
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_role(RoleName=name)


def test_aws_managed_catalogue_and_pagination(nimbus):
    iam = nimbus.client("iam")
    aws = nimbus.aws("iam", "list-policies", "--scope", "AWS")["Policies"]
    names = {p["PolicyName"] for p in aws}
    assert {"AdministratorAccess", "PowerUserAccess", "IAMFullAccess", "IAMReadOnlyAccess",
            "AmazonS3FullAccess", "AmazonS3ReadOnlyAccess", "AutoScalingFullAccess"} <= names
    admin = iam.get_policy_version(PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess",
                                   VersionId="v1")["PolicyVersion"]
    assert admin["Document"]["Statement"] == [{"Effect": "Allow", "Action": "*", "Resource": "*"}]
    local = iam.list_policies(Scope="Local")["Policies"]
    assert all(p["Arn"].startswith(f"arn:aws:iam::{ACCOUNT}:") for p in local)
    prefix = "/" + unique("pg") + "/"
    for i in range(5):
        iam.create_user(UserName=unique(f"pg{i}"), Path=prefix)
    pages = list(iam.get_paginator("list_users").paginate(PathPrefix=prefix, PaginationConfig={"PageSize": 2}))
    assert [len(p["Users"]) for p in pages] == [2, 2, 1]
    first = nimbus.aws("iam", "list-users", "--path-prefix", prefix, "--max-items", "3")
    assert len(first["Users"]) == 3 and "NextToken" in first


def test_state_survives_restart(tmp_path):
    data = tmp_path / "data"
    n = Nimbus(data_dir=data).start()
    try:
        n.aws("iam", "create-user", "--user-name", "durable")
        key = n.aws("iam", "create-access-key", "--user-name", "durable")["AccessKey"]
        arn = n.aws("iam", "create-policy", "--policy-name", "Durable", "--policy-document", json.dumps(DOC))["Policy"]["Arn"]
        n.aws("iam", "attach-user-policy", "--user-name", "durable", "--policy-arn", arn)
    finally:
        n.kill9()
    n = Nimbus(data_dir=data).start()
    try:
        assert n.aws("iam", "get-user", "--user-name", "durable")["User"]["UserName"] == "durable"
        keys = n.aws("iam", "list-access-keys", "--user-name", "durable")["AccessKeyMetadata"]
        assert [k["AccessKeyId"] for k in keys] == [key["AccessKeyId"]]
        attached = n.aws("iam", "list-attached-user-policies", "--user-name", "durable")["AttachedPolicies"]
        assert [a["PolicyArn"] for a in attached] == [arn]
        n.admin("POST", "/_nimbus/reset")
        with pytest.raises(AwsCliError):
            n.aws("iam", "get-user", "--user-name", "durable")
    finally:
        n.stop()
