"""AWS managed policies, the whole catalogue, through the real aws CLI and boto3: listing by
scope, path, attachment and usage with pagination; get-policy / get-policy-version /
list-policy-versions answering from the embedded data (documents as AWS stores them);
attachment counts and list-entities-for-policy; and attached AWS managed policies enforced
by the authorizer (ReadOnlyAccess may describe, not create; AmazonEC2FullAccess may create).
The catalogue is inflated only on first use, so an idle Nimbus stays small."""

import gzip
import json
import os
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
    """Anonymous resident memory: what Nimbus allocates. The file-backed part of VmRSS is the
    debug binary's own code (~24 MB with every service linked in), which says nothing about
    the catalogue; the release binary's whole idle RSS is measured by scripts/bench."""
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("RssAnon:"):
            return int(line.split()[1])
    raise AssertionError("no RssAnon")


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


SUMMARY_KEYS = {"Users", "UsersQuota", "Groups", "GroupsQuota", "ServerCertificates",
                "ServerCertificatesQuota", "UserPolicySizeQuota", "GroupPolicySizeQuota",
                "GroupsPerUserQuota", "SigningCertificatesPerUserQuota", "AccessKeysPerUserQuota",
                "MFADevices", "MFADevicesInUse", "AccountMFAEnabled", "AccountAccessKeysPresent",
                "AccountPasswordPresent", "AccountSigningCertificatesPresent",
                "AttachedPoliciesPerGroupQuota", "AttachedPoliciesPerRoleQuota",
                "AttachedPoliciesPerUserQuota", "Policies", "PoliciesQuota", "PolicySizeQuota",
                "PolicyVersionsInUse", "PolicyVersionsInUseQuota", "VersionsPerPolicyQuota",
                "GlobalEndpointTokenVersion", "AssumeRolePolicySizeQuota", "InstanceProfiles",
                "InstanceProfilesQuota", "Providers", "RolePolicySizeQuota", "Roles", "RolesQuota"}


def test_account_summary_counts_real_state(make_nimbus):
    n = make_nimbus()
    before = n.aws("iam", "get-account-summary")["SummaryMap"]
    assert set(before) == SUMMARY_KEYS
    assert before["Users"] == 0 and before["UsersQuota"] == 5000
    assert (before["GroupsQuota"], before["RolesQuota"], before["PoliciesQuota"]) == (300, 1000, 1500)
    assert (before["PolicySizeQuota"], before["AssumeRolePolicySizeQuota"]) == (6144, 2048)
    assert before["AccessKeysPerUserQuota"] == 2 and before["AttachedPoliciesPerRoleQuota"] == 10
    n.aws("iam", "create-user", "--user-name", "s1")
    n.aws("iam", "create-user", "--user-name", "s2")
    n.aws("iam", "create-group", "--group-name", "g1")
    doc = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})
    arn = n.aws("iam", "create-policy", "--policy-name", "p1", "--policy-document", doc)["Policy"]["Arn"]
    n.aws("iam", "create-policy-version", "--policy-arn", arn, "--policy-document", doc)
    n.aws("iam", "attach-user-policy", "--user-name", "s1",
          "--policy-arn", "arn:aws:iam::aws:policy/ReadOnlyAccess")
    n.aws("iam", "create-virtual-mfa-device", "--virtual-mfa-device-name", "m1",
          "--outfile", os.devnull, "--bootstrap-method", "Base32StringSeed")
    n.aws("iam", "create-instance-profile", "--instance-profile-name", "ip1")
    n.aws("iam", "create-access-key")  # the root's own key
    after = n.aws("iam", "get-account-summary")["SummaryMap"]
    assert (after["Users"], after["Groups"], after["Policies"], after["InstanceProfiles"]) == (2, 1, 1, 1)
    assert after["MFADevices"] == 1 and after["MFADevicesInUse"] == 0
    # Two versions of p1 plus ReadOnlyAccess's default version.
    assert after["PolicyVersionsInUse"] == 3
    assert after["AccountAccessKeysPresent"] == 1 and after["AccountMFAEnabled"] == 0


def test_account_alias_create_list_delete(make_nimbus):
    n = make_nimbus()
    assert n.aws("iam", "list-account-aliases")["AccountAliases"] == []
    n.aws("iam", "create-account-alias", "--account-alias", "nimbus-team")
    assert n.aws("iam", "list-account-aliases")["AccountAliases"] == ["nimbus-team"]
    n.aws("iam", "create-account-alias", "--account-alias", "nimbus-team")  # the same: no change
    with pytest.raises(AwsCliError) as e:
        n.aws("iam", "create-account-alias", "--account-alias", "other-name")
    assert "LimitExceeded" in e.value.stderr
    with pytest.raises(AwsCliError) as e:
        n.aws("iam", "create-account-alias", "--account-alias", "Bad--Alias")
    assert "ValidationError" in e.value.stderr
    with pytest.raises(AwsCliError) as e:
        n.aws("iam", "delete-account-alias", "--account-alias", "other-name")
    assert "NoSuchEntity" in e.value.stderr
    n.aws("iam", "delete-account-alias", "--account-alias", "nimbus-team")
    assert n.aws("iam", "list-account-aliases")["AccountAliases"] == []


def test_service_linked_roles(make_nimbus):
    n = make_nimbus()
    role = n.aws("iam", "create-service-linked-role",
                 "--aws-service-name", "autoscaling.amazonaws.com")["Role"]
    assert role["RoleName"] == "AWSServiceRoleForAutoScaling"
    assert role["Path"] == "/aws-service-role/autoscaling.amazonaws.com/"
    assert role["Arn"] == (f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/"
                           "autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling")
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "autoscaling.amazonaws.com"}
    attached = n.aws("iam", "list-attached-role-policies",
                     "--role-name", "AWSServiceRoleForAutoScaling")["AttachedPolicies"]
    assert attached == [{"PolicyName": "AutoScalingServiceRolePolicy",
                         "PolicyArn": "arn:aws:iam::aws:policy/aws-service-role/AutoScalingServiceRolePolicy"}]
    suffixed = n.aws("iam", "create-service-linked-role", "--aws-service-name",
                     "autoscaling.amazonaws.com", "--custom-suffix", "web")["Role"]
    assert suffixed["RoleName"] == "AWSServiceRoleForAutoScaling_web"
    elb = n.aws("iam", "create-service-linked-role",
                "--aws-service-name", "elasticloadbalancing.amazonaws.com")["Role"]
    assert elb["RoleName"] == "AWSServiceRoleForElasticLoadBalancing"
    assert n.aws("iam", "list-attached-role-policies", "--role-name", elb["RoleName"])[
        "AttachedPolicies"][0]["PolicyName"] == "AWSElasticLoadBalancingServiceRolePolicy"
    with pytest.raises(AwsCliError) as e:
        n.aws("iam", "create-service-linked-role",
              "--aws-service-name", "elasticloadbalancing.amazonaws.com")
    assert "InvalidInput" in e.value.stderr and "has been taken" in e.value.stderr
    with pytest.raises(AwsCliError) as e:
        n.aws("iam", "create-service-linked-role", "--aws-service-name",
              "elasticloadbalancing.amazonaws.com", "--custom-suffix", "x")
    assert "InvalidInput" in e.value.stderr
    with pytest.raises(AwsCliError) as e:
        n.aws("iam", "create-service-linked-role", "--aws-service-name", "nope.amazonaws.com")
    assert "InvalidInput" in e.value.stderr
    # Only AWS may change them.
    for args in [("delete-role", "--role-name", elb["RoleName"]),
                 ("detach-role-policy", "--role-name", elb["RoleName"], "--policy-arn",
                  "arn:aws:iam::aws:policy/aws-service-role/AWSElasticLoadBalancingServiceRolePolicy"),
                 ("attach-role-policy", "--role-name", elb["RoleName"], "--policy-arn",
                  "arn:aws:iam::aws:policy/ReadOnlyAccess")]:
        with pytest.raises(AwsCliError) as e:
            n.aws("iam", *args)
        assert "UnmodifiableEntity" in e.value.stderr
    # The role's policy is the one the authorizer evaluates for its sessions (via simulation).
    sim = n.aws("iam", "simulate-principal-policy", "--policy-source-arn", elb["Arn"],
                "--action-names", "ec2:DescribeAddresses", "iam:CreateUser")["EvaluationResults"]
    assert [(r["EvalActionName"], r["EvalDecision"]) for r in sim] == [
        ("ec2:DescribeAddresses", "allowed"), ("iam:CreateUser", "implicitDeny")]
    task = n.aws("iam", "delete-service-linked-role",
                 "--role-name", elb["RoleName"])["DeletionTaskId"]
    assert task.startswith("task/aws-service-role/elasticloadbalancing.amazonaws.com/"
                           "AWSServiceRoleForElasticLoadBalancing/")
    status = n.aws("iam", "get-service-linked-role-deletion-status", "--deletion-task-id", task)
    assert status["Status"] == "SUCCEEDED"
    with pytest.raises(AwsCliError) as e:
        n.aws("iam", "get-role", "--role-name", elb["RoleName"])
    assert "NoSuchEntity" in e.value.stderr
    with pytest.raises(AwsCliError) as e:
        n.aws("iam", "get-service-linked-role-deletion-status", "--deletion-task-id",
              task[:-4] + "0000")
    assert "NoSuchEntity" in e.value.stderr


def test_simulation_agrees_with_enforcement(nimbus):
    user, group = unique("sim"), unique("simg")
    nimbus.aws("iam", "create-user", "--user-name", user)
    nimbus.aws("iam", "create-group", "--group-name", group)
    nimbus.aws("iam", "add-user-to-group", "--user-name", user, "--group-name", group)
    nimbus.aws("iam", "attach-group-policy", "--group-name", group,
               "--policy-arn", "arn:aws:iam::aws:policy/ReadOnlyAccess")
    nimbus.aws("iam", "put-user-policy", "--user-name", user, "--policy-name", "no-vpcs",
               "--policy-document", json.dumps({"Version": "2012-10-17", "Statement": [
                   {"Sid": "NoVpcs", "Effect": "Deny", "Action": "ec2:DescribeVpcs", "Resource": "*"},
                   {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*",
                    "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}}]}))
    arn = nimbus.aws("iam", "get-user", "--user-name", user)["User"]["Arn"]
    res = nimbus.aws("iam", "simulate-principal-policy", "--policy-source-arn", arn,
                     "--action-names", "ec2:DescribeSecurityGroups", "ec2:DescribeVpcs",
                     "ec2:CreateSecurityGroup")["EvaluationResults"]
    got = {r["EvalActionName"]: r for r in res}
    assert got["ec2:DescribeSecurityGroups"]["EvalDecision"] == "allowed"
    assert got["ec2:DescribeSecurityGroups"]["MatchedStatements"] == [
        {"SourcePolicyId": "ReadOnlyAccess", "SourcePolicyType": "aws-managed"}]
    assert got["ec2:DescribeVpcs"]["EvalDecision"] == "explicitDeny"
    assert got["ec2:DescribeVpcs"]["MatchedStatements"] == [
        {"SourcePolicyId": "no-vpcs", "SourcePolicyType": "user"}]
    assert got["ec2:CreateSecurityGroup"]["EvalDecision"] == "implicitDeny"
    assert got["ec2:CreateSecurityGroup"]["MatchedStatements"] == []
    # The same answers from the enforcer, for real.
    ak, sk = keys_for(nimbus, user)
    nimbus.aws("ec2", "describe-security-groups", access_key=ak, secret_key=sk)
    for args in [("describe-vpcs",), ("create-security-group", "--group-name", unique("web"),
                                      "--description", "d")]:
        with pytest.raises(AwsCliError) as e:
            nimbus.aws("ec2", *args, access_key=ak, secret_key=sk)
        assert "UnauthorizedOperation" in e.value.stderr
    # Context entries and resources.
    put = lambda region: nimbus.aws(
        "iam", "simulate-principal-policy", "--policy-source-arn", arn,
        "--action-names", "s3:PutObject", "--resource-arns", "arn:aws:s3:::b/k", "arn:aws:s3:::c/k",
        "--context-entries", f"ContextKeyName=aws:RequestedRegion,ContextKeyValues={region},ContextKeyType=string",
    )["EvaluationResults"]
    assert [(r["EvalResourceName"], r["EvalDecision"]) for r in put("eu-west-1")] == [
        ("arn:aws:s3:::b/k", "allowed"), ("arn:aws:s3:::c/k", "implicitDeny")]
    assert [r["EvalDecision"] for r in put("us-east-1")] == ["implicitDeny", "implicitDeny"]
    # Extra policies and a boundary.
    extra = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "ec2:CreateSecurityGroup", "Resource": "*"}]})
    bound = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"}]})
    r = nimbus.aws("iam", "simulate-principal-policy", "--policy-source-arn", arn,
                   "--action-names", "ec2:CreateSecurityGroup", "ec2:DescribeImages",
                   "--policy-input-list", extra,
                   "--permissions-boundary-policy-input-list", bound)["EvaluationResults"]
    assert [(x["EvalDecision"], x["PermissionsBoundaryDecisionDetail"]["AllowedByPermissionsBoundary"])
            for x in r] == [("implicitDeny", False), ("allowed", True)]
    with pytest.raises(AwsCliError) as e:
        nimbus.aws("iam", "simulate-principal-policy", "--policy-source-arn",
                   f"arn:aws:iam::{ACCOUNT}:user/{unique('ghost')}", "--action-names", "s3:GetObject")
    assert "NoSuchEntity" in e.value.stderr


def test_simulate_custom_policy(nimbus):
    doc = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}]})
    res = nimbus.aws("iam", "simulate-custom-policy", "--policy-input-list", doc,
                     "--action-names", "s3:GetObject", "s3:DeleteBucket", "ec2:RunInstances")
    got = [(r["EvalActionName"], r["EvalDecision"], r["MatchedStatements"])
           for r in res["EvaluationResults"]]
    assert got == [("s3:GetObject", "allowed", [{"SourcePolicyId": "PolicyInputList.1"}]),
                   ("s3:DeleteBucket", "explicitDeny", [{"SourcePolicyId": "PolicyInputList.1"}]),
                   ("ec2:RunInstances", "implicitDeny", [])]
    page = nimbus.aws("iam", "simulate-custom-policy", "--policy-input-list", doc,
                      "--action-names", "s3:GetObject", "s3:DeleteBucket", "ec2:RunInstances",
                      "--max-items", "2")
    assert len(page["EvaluationResults"]) == 2 and "NextToken" in page
    with pytest.raises(AwsCliError) as e:
        nimbus.aws("iam", "simulate-custom-policy", "--policy-input-list", "{nope",
                   "--action-names", "s3:GetObject")
    assert "InvalidInput" in e.value.stderr


def _permissive_world(n):
    """A ReadOnlyAccess user's keys and a role trusting the account, in Nimbus `n`."""
    user = unique("perm")
    n.aws("iam", "create-user", "--user-name", user)
    n.aws("iam", "attach-user-policy", "--user-name", user,
          "--policy-arn", "arn:aws:iam::aws:policy/ReadOnlyAccess")
    keys = keys_for(n, user)
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        "Action": "sts:AssumeRole"}]})
    role = n.aws("iam", "create-role", "--role-name", unique("permrole"),
                 "--assume-role-policy-document", trust)["Role"]["Arn"]
    return keys, role


def test_permissive_mode_leaves_iam_out_unless_asked(make_nimbus):
    loose = make_nimbus("--auth", "permissive", "--account", ACCOUNT)
    (ak, sk), role = _permissive_world(loose)
    # Not enforced: a read-only user may create, the root may assume a role.
    loose.aws("ec2", "create-security-group", "--group-name", unique("web"),
              "--description", "d", access_key=ak, secret_key=sk)
    creds = loose.aws("sts", "assume-role", "--role-arn", role,
                      "--role-session-name", "compat")["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    # The key's use is still recorded.
    assert last_used_service(loose, ak) == "ec2"

    strict = make_nimbus("--auth", "permissive", "--account", ACCOUNT, "--enforce-iam")
    (ak, sk), role = _permissive_world(strict)
    with pytest.raises(AwsCliError) as e:
        strict.aws("ec2", "create-security-group", "--group-name", unique("web"),
                   "--description", "d", access_key=ak, secret_key=sk)
    assert "UnauthorizedOperation" in e.value.stderr
    with pytest.raises(AwsCliError) as e:
        strict.aws("sts", "assume-role", "--role-arn", role, "--role-session-name", "compat")
    assert "AccessDenied" in e.value.stderr


def last_used_service(n, key):
    return n.aws("iam", "get-access-key-last-used", "--access-key-id", key)[
        "AccessKeyLastUsed"]["ServiceName"]


def test_account_authorization_details(make_nimbus):
    n = make_nimbus()
    doc = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
    n.aws("iam", "create-group", "--group-name", "devs")
    n.aws("iam", "create-user", "--user-name", "ann", "--path", "/team/")
    n.aws("iam", "add-user-to-group", "--user-name", "ann", "--group-name", "devs")
    n.aws("iam", "put-user-policy", "--user-name", "ann", "--policy-name", "inl",
          "--policy-document", json.dumps(doc))
    n.aws("iam", "attach-group-policy", "--group-name", "devs",
          "--policy-arn", "arn:aws:iam::aws:policy/ReadOnlyAccess")
    arn = n.aws("iam", "create-policy", "--policy-name", "mine",
                "--policy-document", json.dumps(doc))["Policy"]["Arn"]
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {
        "Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    n.aws("iam", "create-role", "--role-name", "app", "--assume-role-policy-document", json.dumps(trust))
    n.aws("iam", "attach-role-policy", "--role-name", "app", "--policy-arn", arn)
    n.aws("iam", "create-instance-profile", "--instance-profile-name", "app-ip")
    n.aws("iam", "add-role-to-instance-profile", "--instance-profile-name", "app-ip", "--role-name", "app")
    d = n.aws("iam", "get-account-authorization-details")
    [u] = d["UserDetailList"]
    assert (u["UserName"], u["Path"], u["GroupList"]) == ("ann", "/team/", ["devs"])
    assert u["UserPolicyList"] == [{"PolicyName": "inl", "PolicyDocument": doc}]
    [g] = d["GroupDetailList"]
    assert g["AttachedManagedPolicies"] == [{"PolicyName": "ReadOnlyAccess",
                                            "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}]
    [r] = d["RoleDetailList"]
    assert r["AssumeRolePolicyDocument"] == trust
    assert [p["InstanceProfileName"] for p in r["InstanceProfileList"]] == ["app-ip"]
    assert r["AttachedManagedPolicies"] == [{"PolicyName": "mine", "PolicyArn": arn}]
    policies = {p["PolicyName"]: p for p in d["Policies"]}
    assert set(policies) == {"mine", "ReadOnlyAccess"}  # AWS managed ones only when used
    assert policies["mine"]["PolicyVersionList"][0]["Document"] == doc
    assert policies["mine"]["AttachmentCount"] == 1
    assert policies["ReadOnlyAccess"]["Path"] == "/"
    only = n.aws("iam", "get-account-authorization-details", "--filter", "Role", "AWSManagedPolicy")
    assert only["UserDetailList"] == [] and only["GroupDetailList"] == []
    assert [p["PolicyName"] for p in only["Policies"]] == ["ReadOnlyAccess"]
    iam = n.client("iam")
    first = iam.get_account_authorization_details(MaxItems=2)
    assert first["IsTruncated"] and len(first["UserDetailList"]) + len(first["GroupDetailList"]) == 2
    rest = iam.get_account_authorization_details(Marker=first["Marker"])
    assert len(rest["RoleDetailList"]) == 1 and len(rest["Policies"]) == 2


def test_tags_on_policies_instance_profiles_and_mfa_devices(nimbus):
    doc = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})
    arn = nimbus.aws("iam", "create-policy", "--policy-name", unique("tagged"),
                     "--policy-document", doc)["Policy"]["Arn"]
    profile = unique("tagip")
    nimbus.aws("iam", "create-instance-profile", "--instance-profile-name", profile)
    serial = nimbus.client("iam").create_virtual_mfa_device(
        VirtualMFADeviceName=unique("tagmfa"))["VirtualMFADevice"]["SerialNumber"]
    for tag, untag, lst, flag, value in [
            ("tag-policy", "untag-policy", "list-policy-tags", "--policy-arn", arn),
            ("tag-instance-profile", "untag-instance-profile", "list-instance-profile-tags",
             "--instance-profile-name", profile),
            ("tag-mfa-device", "untag-mfa-device", "list-mfa-device-tags", "--serial-number", serial)]:
        nimbus.aws("iam", tag, flag, value, "--tags", "Key=team,Value=red", "Key=cost,Value=1")
        nimbus.aws("iam", tag, flag, value, "--tags", "Key=TEAM,Value=blue")
        tags = nimbus.aws("iam", lst, flag, value)["Tags"]
        assert {t["Key"].lower(): t["Value"] for t in tags} == {"team": "blue", "cost": "1"}, tag
        nimbus.aws("iam", untag, flag, value, "--tag-keys", "cost")
        assert [t["Value"] for t in nimbus.aws("iam", lst, flag, value)["Tags"]] == ["blue"], tag
    assert nimbus.aws("iam", "get-policy", "--policy-arn", arn)["Policy"]["Tags"] == [
        {"Key": "TEAM", "Value": "blue"}]
    with pytest.raises(AwsCliError) as e:
        nimbus.aws("iam", "tag-policy", "--policy-arn", "arn:aws:iam::aws:policy/ReadOnlyAccess",
                   "--tags", "Key=a,Value=b")
    assert "NoSuchEntity" in e.value.stderr
    role = unique("desc")
    nimbus.aws("iam", "create-role", "--role-name", role, "--assume-role-policy-document", json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {
            "Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
    got = nimbus.aws("iam", "update-role-description", "--role-name", role,
                     "--description", "the web tier")["Role"]
    assert got["Description"] == "the web tier"
    assert nimbus.aws("iam", "get-role", "--role-name", role)["Role"]["Description"] == "the web tier"
