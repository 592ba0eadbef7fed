"""AWS managed policies, the whole catalogue, through the real aws CLI and boto3: listing by
scope, path, attachment and usage with pagination; get-policy / get-policy-version /
list-policy-versions answering from the embedded data (documents as AWS stores them);
attachment counts and list-entities-for-policy; and attached AWS managed policies enforced
by the authorizer (ReadOnlyAccess may describe, not create; AmazonEC2FullAccess may create).
The catalogue is inflated only on first use, so an idle Nimbus stays small."""

import gzip
import json
import pathlib
import time

import pytest
from conftest import ACCOUNT, AwsCliError, Nimbus, unique

DATA = pathlib.Path(__file__).resolve().parents[2] / "crates/svc-iam/data/aws-managed-policies.tsv.gz"


def catalogue():
    """The embedded data, read independently of Nimbus: {name: (path, version, doc)}."""
    out = {}
    for line in gzip.open(DATA, "rt", encoding="utf-8"):
        name, path, version, created, updated, doc = line.rstrip("\n").split("\t")
        out[name] = (path, version, int(created), int(updated), json.loads(doc))
    return out


def iso(secs):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(secs))


def test_every_aws_managed_policy_is_listed_with_its_path(nimbus):
    data = catalogue()
    listed = nimbus.aws("iam", "list-policies", "--scope", "AWS")["Policies"]
    assert len(listed) == len(data) == 1450
    assert {p["PolicyName"] for p in listed} == set(data)
    for p in listed:
        path, version, created, updated, _ = data[p["PolicyName"]]
        assert p["Path"] == path and p["DefaultVersionId"] == version
        assert p["Arn"] == f"arn:aws:iam::aws:policy{path}{p['PolicyName']}"
        assert p["IsAttachable"] is True and p["PolicyId"].startswith("ANPA")
        assert p["CreateDate"].startswith(iso(created)[:19])
    paths = {p["Path"] for p in listed}
    assert {"/", "/service-role/", "/aws-service-role/", "/job-function/"} <= paths
    jobs = nimbus.aws("iam", "list-policies", "--scope", "AWS", "--path-prefix", "/job-function/")
    assert {p["PolicyName"] for p in jobs["Policies"]} == {
        n for n, v in data.items() if v[0] == "/job-function/"}
    assert "ViewOnlyAccess" in {p["PolicyName"] for p in jobs["Policies"]}
    local = nimbus.aws("iam", "list-policies", "--scope", "Local")["Policies"]
    assert all(p["Arn"].startswith(f"arn:aws:iam::{ACCOUNT}:") for p in local)
    with pytest.raises(AwsCliError) as e:
        nimbus.aws("iam", "list-policies", "--scope", "Everything")
    assert "ValidationError" in e.value.stderr


def test_pagination_with_marker_and_max_items(nimbus):
    iam = nimbus.client("iam")
    first = iam.list_policies(Scope="AWS", MaxItems=100)
    assert len(first["Policies"]) == 100 and first["IsTruncated"] and first["Marker"]
    second = iam.list_policies(Scope="AWS", MaxItems=100, Marker=first["Marker"])
    assert len(second["Policies"]) == 100
    assert not {p["Arn"] for p in first["Policies"]} & {p["Arn"] for p in second["Policies"]}
    pages = list(iam.get_paginator("list_policies").paginate(
        Scope="AWS", PathPrefix="/service-role/", PaginationConfig={"PageSize": 50}))
    names = [p["PolicyName"] for page in pages for p in page["Policies"]]
    assert len(names) == len(set(names)) == sum(
        1 for v in catalogue().values() if v[0] == "/service-role/")
    assert all(len(p["Policies"]) <= 50 for p in pages) and len(pages) > 1


def test_get_policy_and_versions_answer_from_the_data(nimbus):
    iam = nimbus.client("iam")
    data = catalogue()
    for name in ["ReadOnlyAccess", "AmazonEC2FullAccess", "AutoScalingServiceRolePolicy",
                 "AWSElasticLoadBalancingServiceRolePolicy", "SecurityAudit", "ViewOnlyAccess"]:
        path, version, created, updated, doc = data[name]
        arn = f"arn:aws:iam::aws:policy{path}{name}"
        got = nimbus.aws("iam", "get-policy", "--policy-arn", arn)["Policy"]
        assert got["DefaultVersionId"] == version and got["Path"] == path
        assert isinstance(got["AttachmentCount"], int) and got["IsAttachable"] is True
        assert got["CreateDate"].startswith(iso(created)[:19])
        assert got["UpdateDate"].startswith(iso(updated)[:19])
        pv = nimbus.aws("iam", "get-policy-version", "--policy-arn", arn,
                        "--version-id", version)["PolicyVersion"]
        # The CLI URL-decodes and parses the document: the same JSON, key order included.
        assert pv["Document"] == doc and pv["IsDefaultVersion"] is True
        assert list(pv["Document"]) == list(doc)
        versions = nimbus.aws("iam", "list-policy-versions", "--policy-arn", arn)["Versions"]
        assert [(v["VersionId"], v["IsDefaultVersion"]) for v in versions] == [(version, True)]
    # On the wire the document is URL-encoded, as IAM sends it.
    raw = iam.get_policy_version(PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess",
                                 VersionId=data["ReadOnlyAccess"][1])
    assert raw["PolicyVersion"]["Document"] == data["ReadOnlyAccess"][4]
    with pytest.raises(AwsCliError) as e:
        nimbus.aws("iam", "get-policy", "--policy-arn",
                   "arn:aws:iam::aws:policy/AutoScalingServiceRolePolicy")
    assert "NoSuchEntity" in e.value.stderr
    with pytest.raises(AwsCliError) as e:
        nimbus.aws("iam", "get-policy-version", "--policy-arn",
                   "arn:aws:iam::aws:policy/AmazonEC2FullAccess", "--version-id", "v1")
    assert "NoSuchEntity" in e.value.stderr


def test_attachment_counts_filters_and_entities(nimbus):
    iam = nimbus.client("iam")
    user, group, role = unique("mu"), unique("mg"), unique("mr")
    arn = "arn:aws:iam::aws:policy/AmazonEC2FullAccess"
    slr = "arn:aws:iam::aws:policy/aws-service-role/AWSElasticLoadBalancingServiceRolePolicy"
    iam.create_user(UserName=user)
    iam.create_group(GroupName=group)
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
        "Action": "sts:AssumeRole"}]})
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust)
    before = nimbus.aws("iam", "get-policy", "--policy-arn", arn)["Policy"]["AttachmentCount"]
    nimbus.aws("iam", "attach-role-policy", "--role-name", role, "--policy-arn", arn)
    nimbus.aws("iam", "attach-user-policy", "--user-name", user, "--policy-arn", arn)
    nimbus.aws("iam", "attach-group-policy", "--group-name", group, "--policy-arn", arn)
    nimbus.aws("iam", "put-user-permissions-boundary", "--user-name", user,
               "--permissions-boundary", slr)
    got = nimbus.aws("iam", "get-policy", "--policy-arn", arn)["Policy"]
    assert got["AttachmentCount"] == before + 3
    ents = nimbus.aws("iam", "list-entities-for-policy", "--policy-arn", arn)
    assert user in {u["UserName"] for u in ents["PolicyUsers"]}
    assert group in {g["GroupName"] for g in ents["PolicyGroups"]}
    assert role in {r["RoleName"] for r in ents["PolicyRoles"]}
    only_roles = nimbus.aws("iam", "list-entities-for-policy", "--policy-arn", arn,
                            "--entity-filter", "Role")
    assert only_roles["PolicyUsers"] == [] and role in {r["RoleName"] for r in only_roles["PolicyRoles"]}
    bounded = nimbus.aws("iam", "list-entities-for-policy", "--policy-arn", slr,
                         "--policy-usage-filter", "PermissionsBoundary")
    assert user in {u["UserName"] for u in bounded["PolicyUsers"]}
    attached = nimbus.aws("iam", "list-policies", "--scope", "AWS", "--only-attached")["Policies"]
    names = {p["PolicyName"] for p in attached}
    assert {"AmazonEC2FullAccess", "AWSElasticLoadBalancingServiceRolePolicy"} <= names
    assert len(attached) < 100
    as_policy = nimbus.aws("iam", "list-policies", "--only-attached",
                           "--policy-usage-filter", "PermissionsPolicy")["Policies"]
    as_boundary = nimbus.aws("iam", "list-policies", "--only-attached",
                             "--policy-usage-filter", "PermissionsBoundary")["Policies"]
    assert "AmazonEC2FullAccess" in {p["PolicyName"] for p in as_policy}
    assert "AWSElasticLoadBalancingServiceRolePolicy" in {p["PolicyName"] for p in as_boundary}
    assert "AmazonEC2FullAccess" not in {p["PolicyName"] for p in as_boundary}
    listed = nimbus.aws("iam", "list-attached-role-policies", "--role-name", role)
    assert listed["AttachedPolicies"] == [{"PolicyName": "AmazonEC2FullAccess", "PolicyArn": arn}]
    for kind, flag, name in [("role", "--role-name", role), ("user", "--user-name", user),
                             ("group", "--group-name", group)]:
        nimbus.aws("iam", f"detach-{kind}-policy", flag, name, "--policy-arn", arn)
    nimbus.aws("iam", "delete-user-permissions-boundary", "--user-name", user)
    assert nimbus.aws("iam", "get-policy", "--policy-arn", arn)["Policy"]["AttachmentCount"] == before


def keys_for(nimbus, user):
    k = nimbus.aws("iam", "create-access-key", "--user-name", user)["AccessKey"]
    return k["AccessKeyId"], k["SecretAccessKey"]


def test_read_only_access_describes_but_cannot_create(nimbus):
    user = unique("ro")
    nimbus.aws("iam", "create-user", "--user-name", user)
    nimbus.aws("iam", "attach-user-policy", "--user-name", user,
               "--policy-arn", "arn:aws:iam::aws:policy/ReadOnlyAccess")
    ak, sk = keys_for(nimbus, user)
    nimbus.aws("ec2", "describe-security-groups", access_key=ak, secret_key=sk)
    nimbus.aws("iam", "list-users", access_key=ak, secret_key=sk)
    with pytest.raises(AwsCliError) as e:
        nimbus.aws("ec2", "create-security-group", "--group-name", unique("web"),
                   "--description", "d", access_key=ak, secret_key=sk)
    assert "UnauthorizedOperation" in e.value.stderr
    with pytest.raises(AwsCliError) as e:
        nimbus.aws("iam", "create-user", "--user-name", unique("x"), access_key=ak, secret_key=sk)
    assert "AccessDenied" in e.value.stderr and "iam:CreateUser" in e.value.stderr


def test_ec2_full_access_on_a_role_is_enforced_for_its_sessions(nimbus):
    role = unique("ec2full")
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        "Action": "sts:AssumeRole"}]})
    arn = nimbus.aws("iam", "create-role", "--role-name", role,
                     "--assume-role-policy-document", trust)["Role"]["Arn"]
    nimbus.aws("iam", "attach-role-policy", "--role-name", role,
               "--policy-arn", "arn:aws:iam::aws:policy/AmazonEC2FullAccess")
    user = unique("assumer")
    nimbus.aws("iam", "create-user", "--user-name", user)
    nimbus.aws("iam", "put-user-policy", "--user-name", user, "--policy-name", "assume",
               "--policy-document", json.dumps({"Version": "2012-10-17", "Statement": [
                   {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": arn}]}))
    ak, sk = keys_for(nimbus, user)
    creds = nimbus.client("sts", access_key=ak, secret_key=sk).assume_role(
        RoleArn=arn, RoleSessionName="ec2full")["Credentials"]
    import boto3
    from botocore.config import Config
    ec2 = boto3.client("ec2", endpoint_url=nimbus.endpoint, region_name="us-east-1",
                       aws_access_key_id=creds["AccessKeyId"],
                       aws_secret_access_key=creds["SecretAccessKey"],
                       aws_session_token=creds["SessionToken"],
                       config=Config(retries={"max_attempts": 1}))
    sg = ec2.create_security_group(GroupName=unique("web"), Description="d")["GroupId"]
    ec2.delete_security_group(GroupId=sg)
    iam = boto3.client("iam", endpoint_url=nimbus.endpoint, region_name="us-east-1",
                       aws_access_key_id=creds["AccessKeyId"],
                       aws_secret_access_key=creds["SecretAccessKey"],
                       aws_session_token=creds["SessionToken"],
                       config=Config(retries={"max_attempts": 1}))
    with pytest.raises(iam.exceptions.ClientError) as e:
        iam.create_user(UserName=unique("nope"))
    assert e.value.response["Error"]["Code"] == "AccessDenied"


def rss_kb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_the_catalogue_costs_nothing_until_used():
    n = Nimbus().start()
    try:
        idle = rss_kb(n.proc.pid)
        assert idle <= 15 * 1024, f"idle RSS {idle} kB"
        n.aws("iam", "get-policy", "--policy-arn", "arn:aws:iam::aws:policy/ReadOnlyAccess")
        used = rss_kb(n.proc.pid)
        # Inflating the catalogue (~2.8 MB of text and its index) shows up only once used.
        assert used > idle
    finally:
        n.stop()
