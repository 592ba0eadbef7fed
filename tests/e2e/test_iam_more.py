"""IAM beyond the basics, through the real aws CLI and boto3: Access Advisor
(generate-service-last-accessed-details at SERVICE_LEVEL and ACTION_LEVEL, then
get-service-last-accessed-details and ...-with-entities) answered from the calls users and
roles really made — allowed or refused — for user, group, role and policy reports, kept
across a restart; EC2's encoded authorization failure messages and
sts decode-authorization-message; sts get-federation-token; and the account audit
(`nimbus audit`, `GET /_nimbus/audit`) on an account that breaks each practice once and
on a clean one."""

import json
import subprocess
import time

import pytest
from conftest import ACCOUNT, BIN, AwsCliError, Nimbus, unique


def now_secs(n):
    return n.admin("GET", "/_nimbus/clock")["epoch_millis"] // 1000


def parse_ts(s):
    return int(time.mktime(time.strptime(s[:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone)


def allow(*actions):
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": list(actions), "Resource": "*"}]})


def user_with_key(n, name, *actions):
    n.aws("iam", "create-user", "--user-name", name)
    if actions:
        n.aws("iam", "put-user-policy", "--user-name", name, "--policy-name", "p",
              "--policy-document", allow(*actions))
    k = n.aws("iam", "create-access-key", "--user-name", name)["AccessKey"]
    return k["AccessKeyId"], k["SecretAccessKey"]


def report(n, arn, granularity=None):
    args = ["iam", "generate-service-last-accessed-details", "--arn", arn]
    if granularity:
        args += ["--granularity", granularity]
    job = n.aws(*args)["JobId"]
    assert len(job) == 36
    got = n.aws("iam", "get-service-last-accessed-details", "--job-id", job)
    assert got["JobStatus"] == "COMPLETED"
    assert got["JobType"] == (granularity or "SERVICE_LEVEL")
    assert "JobCompletionDate" in got and "JobCreationDate" in got
    return job, {s["ServiceNamespace"]: s for s in got["ServicesLastAccessed"]}


def test_a_user_report_lists_allowed_services_and_real_attempts(nimbus):
    name = unique("advised")
    ak, sk = user_with_key(nimbus, name, "s3:ListAllMyBuckets", "sns:Publish")
    arn = nimbus.aws("iam", "get-user", "--user-name", name)["User"]["Arn"]
    _, fresh = report(nimbus, arn)
    assert set(fresh) == {"s3", "sns"}
    assert fresh["s3"] == {"ServiceName": "Amazon Simple Storage Service",
                           "ServiceNamespace": "s3", "TotalAuthenticatedEntities": 0}

    nimbus.aws("s3api", "list-buckets", access_key=ak, secret_key=sk, region="eu-west-1")
    t = now_secs(nimbus)
    # A refused attempt counts too (sns:ListTopics is not allowed, sns is).
    with pytest.raises(AwsCliError) as e:
        nimbus.aws("sns", "list-topics", access_key=ak, secret_key=sk, region="ap-south-1")
    assert "AuthorizationError" in e.value.stderr or "AccessDenied" in e.value.stderr
    # A service the user may not use at all is not in the report.
    with pytest.raises(AwsCliError):
        nimbus.aws("ec2", "describe-vpcs", access_key=ak, secret_key=sk)

    _, got = report(nimbus, arn)
    assert set(got) == {"s3", "sns"}
    s3 = got["s3"]
    assert s3["LastAuthenticatedEntity"] == arn
    assert s3["LastAuthenticatedRegion"] == "eu-west-1"
    assert s3["TotalAuthenticatedEntities"] == 1
    assert abs(parse_ts(s3["LastAuthenticated"]) - t) <= 5
    assert "TrackedActionsLastAccessed" not in s3, "SERVICE_LEVEL has no actions"
    assert got["sns"]["LastAuthenticatedRegion"] == "ap-south-1"
    assert got["sns"]["ServiceName"] == "Amazon Simple Notification Service"

    # ACTION_LEVEL: S3 is tracked per action, SNS is not.
    _, actions = report(nimbus, arn, "ACTION_LEVEL")
    tracked = actions["s3"]["TrackedActionsLastAccessed"]
    assert [a["ActionName"] for a in tracked] == ["ListAllMyBuckets"]
    assert tracked[0]["LastAccessedEntity"] == arn
    assert tracked[0]["LastAccessedRegion"] == "eu-west-1"
    assert "TrackedActionsLastAccessed" not in actions["sns"]


def test_group_role_and_policy_reports_cover_their_entities(nimbus):
    group = unique("advgroup")
    nimbus.aws("iam", "create-group", "--group-name", group)
    garn = nimbus.aws("iam", "get-group", "--group-name", group)["Group"]["Arn"]
    policy_arn = nimbus.aws("iam", "create-policy", "--policy-name", unique("advpol"),
                            "--policy-document", allow("ec2:Describe*"))["Policy"]["Arn"]
    nimbus.aws("iam", "attach-group-policy", "--group-name", group, "--policy-arn", policy_arn)
    busy, idle = unique("busy"), unique("idle")
    bak, bsk = user_with_key(nimbus, busy)
    user_with_key(nimbus, idle)
    for u in (busy, idle):
        nimbus.aws("iam", "add-user-to-group", "--group-name", group, "--user-name", u)
    busy_arn = f"arn:aws:iam::{ACCOUNT}:user/{busy}"
    nimbus.aws("ec2", "describe-vpcs", access_key=bak, secret_key=bsk, region="eu-central-1")

    job, got = report(nimbus, garn, "ACTION_LEVEL")
    assert set(got) == {"ec2"}
    ec2 = got["ec2"]
    assert ec2["ServiceName"] == "Amazon Elastic Compute Cloud"
    assert ec2["LastAuthenticatedEntity"] == busy_arn
    assert ec2["TotalAuthenticatedEntities"] == 1
    assert [a["ActionName"] for a in ec2["TrackedActionsLastAccessed"]] == ["DescribeVpcs"]
    ents = nimbus.aws("iam", "get-service-last-accessed-details-with-entities",
                      "--job-id", job, "--service-namespace", "ec2")
    assert ents["JobStatus"] == "COMPLETED"
    listed = ents["EntityDetailsList"]
    # Most recent first; the member that never called EC2 last, without a date.
    assert [e["EntityInfo"]["Name"] for e in listed] == [busy, idle]
    assert listed[0]["EntityInfo"]["Type"] == "USER"
    assert listed[0]["EntityInfo"]["Id"].startswith("AIDA")
    assert listed[0]["EntityInfo"]["Path"] == "/"
    assert "LastAuthenticated" in listed[0] and "LastAuthenticated" not in listed[1]
    page = nimbus.client("iam").get_service_last_accessed_details_with_entities(
        JobId=job, ServiceNamespace="ec2", MaxItems=1)
    assert page["IsTruncated"] and len(page["EntityDetailsList"]) == 1
    rest = nimbus.client("iam").get_service_last_accessed_details_with_entities(
        JobId=job, ServiceNamespace="ec2", Marker=page["Marker"])
    assert [e["EntityInfo"]["Name"] for e in rest["EntityDetailsList"]] == [idle]

    # A role: its sessions' calls are the role's.
    role = unique("advrole")
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        "Action": "sts:AssumeRole"}]})
    rarn = nimbus.aws("iam", "create-role", "--role-name", role, "--path", "/svc/",
                      "--assume-role-policy-document", trust)["Role"]["Arn"]
    nimbus.aws("iam", "attach-role-policy", "--role-name", role, "--policy-arn", policy_arn)
    assumer = unique("assumer")
    aak, ask = user_with_key(nimbus, assumer, "sts:AssumeRole")
    creds = nimbus.client("sts", access_key=aak, secret_key=ask).assume_role(
        RoleArn=rarn, RoleSessionName="advisor")["Credentials"]
    import boto3
    ec2c = boto3.client("ec2", endpoint_url=nimbus.endpoint, region_name="us-west-2",
                        aws_access_key_id=creds["AccessKeyId"],
                        aws_secret_access_key=creds["SecretAccessKey"],
                        aws_session_token=creds["SessionToken"])
    ec2c.describe_security_groups()
    rjob, rgot = report(nimbus, rarn)
    assert rgot["ec2"]["LastAuthenticatedEntity"] == rarn
    assert rgot["ec2"]["LastAuthenticatedRegion"] == "us-west-2"
    rents = nimbus.aws("iam", "get-service-last-accessed-details-with-entities",
                       "--job-id", rjob, "--service-namespace", "ec2")["EntityDetailsList"]
    assert rents[0]["EntityInfo"]["Type"] == "ROLE"
    assert rents[0]["EntityInfo"]["Path"] == "/svc/"

    # The policy: every user (through the group) and role it is attached to.
    pjob, pgot = report(nimbus, policy_arn)
    assert pgot["ec2"]["TotalAuthenticatedEntities"] == 2
    assert pgot["ec2"]["LastAuthenticatedEntity"] == rarn
    pents = nimbus.aws("iam", "get-service-last-accessed-details-with-entities",
                       "--job-id", pjob, "--service-namespace", "ec2")["EntityDetailsList"]
    assert [e["EntityInfo"]["Arn"] for e in pents][:2] == [rarn, busy_arn]
    assert len(pents) == 3
    # A service outside the report: no entities.
    none = nimbus.aws("iam", "get-service-last-accessed-details-with-entities",
                      "--job-id", pjob, "--service-namespace", "s3")["EntityDetailsList"]
    assert none == []


def test_an_aws_managed_policy_report_and_the_errors(nimbus):
    _, got = report(nimbus, "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
    assert "s3" in got and "ec2" not in got
    # AdministratorAccess allows every service botocore knows: pages of at most 100.
    iam = nimbus.client("iam")
    job = iam.generate_service_last_accessed_details(
        Arn="arn:aws:iam::aws:policy/AdministratorAccess")["JobId"]
    every, marker = [], None
    while True:
        page = iam.get_service_last_accessed_details(
            JobId=job, **({"Marker": marker} if marker else {}))
        assert len(page["ServicesLastAccessed"]) <= 100
        every += [s["ServiceNamespace"] for s in page["ServicesLastAccessed"]]
        if not page["IsTruncated"]:
            break
        marker = page["Marker"]
    assert len(every) == len(set(every)) > 300
    assert every == sorted(every) and {"ec2", "iam", "sts", "cloudwatch"} <= set(every)

    def fails(*args):
        with pytest.raises(AwsCliError) as e:
            nimbus.aws("iam", *args)
        return e.value.stderr

    assert "NoSuchEntity" in fails("generate-service-last-accessed-details", "--arn",
                                   f"arn:aws:iam::{ACCOUNT}:user/{unique('nobody')}")
    assert "InvalidInput" in fails("generate-service-last-accessed-details", "--arn",
                                   "arn:aws:s3:::not-an-iam-entity")
    assert "NoSuchEntity" in fails("get-service-last-accessed-details", "--job-id",
                                   "00000000-0000-4000-8000-000000000000")


def test_attempts_and_reports_survive_a_restart(tmp_path):
    data = tmp_path / "data"
    n = Nimbus(data_dir=data).start()
    try:
        ak, sk = user_with_key(n, "durable-advice", "ec2:Describe*")
        arn = n.aws("iam", "get-user", "--user-name", "durable-advice")["User"]["Arn"]
        n.aws("ec2", "describe-vpcs", access_key=ak, secret_key=sk, region="eu-west-3")
        # Attempts are written in batches at most every 5 s: the next call after that writes.
        time.sleep(5.5)
        n.aws("ec2", "describe-subnets", access_key=ak, secret_key=sk, region="eu-west-3")
        job, before = report(n, arn, "ACTION_LEVEL")
        provider = n.aws("iam", "create-open-id-connect-provider", "--url",
                         "https://idp.durable.example", "--client-id-list", "app")[
            "OpenIDConnectProviderArn"]
        # A refused EC2 call's encoded message decodes after the restart (the key is kept).
        with pytest.raises(AwsCliError) as e:
            n.aws("ec2", "create-vpc", "--cidr-block", "10.9.0.0/16", access_key=ak,
                  secret_key=sk)
        encoded = e.value.stderr.split("Encoded authorization failure message: ", 1)[1].split()[0]
        time.sleep(0.5)
    finally:
        n.stop()
    n = Nimbus(data_dir=data).start()
    try:
        got = n.aws("iam", "get-open-id-connect-provider", "--open-id-connect-provider-arn",
                    provider)
        assert got["ClientIDList"] == ["app"]
        decoded = json.loads(n.aws("sts", "decode-authorization-message", "--encoded-message",
                                   encoded)["DecodedMessage"])
        assert decoded["context"]["action"] == "ec2:CreateVpc"
        kept = n.aws("iam", "get-service-last-accessed-details", "--job-id", job)
        assert {s["ServiceNamespace"]: s for s in kept["ServicesLastAccessed"]} == before
        _, again = report(n, arn, "ACTION_LEVEL")
        names = {a["ActionName"] for a in again["ec2"]["TrackedActionsLastAccessed"]}
        # The refused CreateVpc counts too: a clean stop writes what was not yet written.
        assert names == {"DescribeVpcs", "DescribeSubnets", "CreateVpc"}
        n.admin("POST", "/_nimbus/reset")
        with pytest.raises(AwsCliError):
            n.aws("iam", "get-service-last-accessed-details", "--job-id", job)
    finally:
        n.stop()


def test_ec2_refusals_carry_an_encoded_message_sts_decodes(nimbus):
    name = unique("refused")
    ak, sk = user_with_key(nimbus, name, "sts:DecodeAuthorizationMessage")
    arn = nimbus.aws("iam", "get-user", "--user-name", name)["User"]["Arn"]
    with pytest.raises(AwsCliError) as e:
        nimbus.aws("ec2", "create-security-group", "--group-name", unique("sg"),
                   "--description", "d", access_key=ak, secret_key=sk, region="eu-west-1")
    err = e.value.stderr
    assert "UnauthorizedOperation" in err
    assert (f"You are not authorized to perform this operation. User: {arn} is not authorized"
            " to perform: ec2:CreateSecurityGroup") in err
    marker = "Encoded authorization failure message: "
    assert marker in err, err
    encoded = err.split(marker, 1)[1].split()[0]
    assert "CreateSecurityGroup" not in encoded

    # The refused user itself may decode (its policy allows it), as may the account root.
    for who in ({"access_key": ak, "secret_key": sk}, {}):
        decoded = json.loads(nimbus.aws("sts", "decode-authorization-message",
                                        "--encoded-message", encoded, **who)["DecodedMessage"])
        assert decoded["allowed"] is False and decoded["explicitDeny"] is False
        ctx = decoded["context"]
        assert ctx["action"] == "ec2:CreateSecurityGroup"
        assert ctx["resource"].startswith(f"arn:aws:ec2:eu-west-1:{ACCOUNT}:security-group/")
        assert ctx["principal"]["arn"] == arn and ctx["principal"]["name"] == name
        assert ctx["principal"]["id"].startswith("AIDA")
        keys = {c["key"]: [v["value"] for v in c["values"]["items"]]
                for c in ctx["conditions"]["items"]}
        assert keys["aws:requestedregion"] == ["eu-west-1"]
        assert keys["aws:username"] == [name]

    # Without sts:DecodeAuthorizationMessage: refused; an altered message: invalid.
    other = unique("nodecode")
    oak, osk = user_with_key(nimbus, other)
    with pytest.raises(AwsCliError) as e:
        nimbus.aws("sts", "decode-authorization-message", "--encoded-message", encoded,
                   access_key=oak, secret_key=osk)
    assert "AccessDenied" in e.value.stderr
    bad = encoded[:-3] + ("AAA" if not encoded.endswith("AAA") else "BBB")
    with pytest.raises(AwsCliError) as e:
        nimbus.aws("sts", "decode-authorization-message", "--encoded-message", bad)
    assert "InvalidAuthorizationMessageException" in e.value.stderr

    # An explicit deny says so; a refused read call carries no encoded message.
    nimbus.aws("iam", "put-user-policy", "--user-name", name, "--policy-name", "deny",
               "--policy-document", json.dumps({"Version": "2012-10-17", "Statement": [
                   {"Sid": "NoKeys", "Effect": "Deny", "Action": "ec2:CreateKeyPair",
                    "Resource": "*"}]}))
    with pytest.raises(AwsCliError) as e:
        nimbus.aws("ec2", "create-key-pair", "--key-name", unique("k"),
                   access_key=ak, secret_key=sk)
    encoded = e.value.stderr.split(marker, 1)[1].split()[0]
    decoded = json.loads(nimbus.aws("sts", "decode-authorization-message",
                                    "--encoded-message", encoded)["DecodedMessage"])
    assert decoded["explicitDeny"] is True
    assert decoded["matchedStatements"]["items"][0]["statementId"] == "NoKeys"
    with pytest.raises(AwsCliError) as e:
        nimbus.aws("ec2", "describe-vpcs", access_key=ak, secret_key=sk)
    assert "UnauthorizedOperation" in e.value.stderr and marker not in e.value.stderr


def session_client(n, service, creds, region="us-east-1"):
    import boto3
    return boto3.client(service, endpoint_url=n.endpoint, region_name=region,
                        aws_access_key_id=creds["AccessKeyId"],
                        aws_secret_access_key=creds["SecretAccessKey"],
                        aws_session_token=creds["SessionToken"])


def test_federation_tokens_intersect_the_callers_policies_with_the_session_policy(nimbus):
    from botocore.exceptions import ClientError
    name = unique("federator")
    ak, sk = user_with_key(nimbus, name, "s3:ListAllMyBuckets", "ec2:DescribeVpcs",
                           "sts:GetFederationToken")
    sts = nimbus.client("sts", access_key=ak, secret_key=sk)
    out = sts.get_federation_token(Name="bob", Policy=allow("s3:*", "iam:ListUsers"),
                                   DurationSeconds=7200)
    assert out["FederatedUser"] == {"FederatedUserId": f"{ACCOUNT}:bob",
                                    "Arn": f"arn:aws:sts::{ACCOUNT}:federated-user/bob"}
    assert out["PackedPolicySize"] > 0
    creds = out["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    who = session_client(nimbus, "sts", creds).get_caller_identity()
    assert who["Arn"] == f"arn:aws:sts::{ACCOUNT}:federated-user/bob"
    assert who["UserId"] == f"{ACCOUNT}:bob"
    # Allowed by both: works. Allowed by the user only, or by the session only: refused.
    session_client(nimbus, "s3", creds).list_buckets()
    with pytest.raises(ClientError) as e:
        session_client(nimbus, "ec2", creds).describe_vpcs()
    assert e.value.response["Error"]["Code"] == "UnauthorizedOperation"
    # No IAM and no STS beyond GetCallerIdentity, whatever the policies say.
    for call in (lambda: session_client(nimbus, "iam", creds).list_users(),
                 lambda: session_client(nimbus, "sts", creds).get_session_token(),
                 lambda: session_client(nimbus, "sts", creds).get_federation_token(Name="x1")):
        with pytest.raises(ClientError) as e:
            call()
        assert e.value.response["Error"]["Code"] == "AccessDenied"

    # Without a session policy the credentials can do nothing.
    bare = sts.get_federation_token(Name="nopolicy")
    assert "PackedPolicySize" not in bare
    with pytest.raises(ClientError):
        session_client(nimbus, "s3", bare["Credentials"]).list_buckets()

    # The model's and STS's rules.
    with pytest.raises(AwsCliError) as e:
        nimbus.aws("sts", "get-federation-token", "--name", "bad name!",
                   access_key=ak, secret_key=sk)
    assert "ValidationError" in e.value.stderr
    other = unique("nofed")
    oak, osk = user_with_key(nimbus, other)
    with pytest.raises(AwsCliError) as e:
        nimbus.aws("sts", "get-federation-token", "--name", "carol",
                   access_key=oak, secret_key=osk)
    assert "AccessDenied" in e.value.stderr


def test_the_roots_federated_users_last_an_hour_at_most(nimbus):
    from botocore.exceptions import ClientError
    out = nimbus.client("sts").get_federation_token(
        Name="rootfed", Policy=allow("ec2:Describe*"), DurationSeconds=36000)
    creds = out["Credentials"]
    left = creds["Expiration"].timestamp() - now_secs(nimbus)
    assert 3500 <= left <= 3600
    session_client(nimbus, "ec2", creds).describe_vpcs()
    with pytest.raises(ClientError):
        session_client(nimbus, "s3", creds).list_buckets()


def run_audit(n, *args):
    return subprocess.run([str(BIN), "audit", "--endpoint-url", n.endpoint, *args],
                          capture_output=True, text=True, timeout=60, env=n.env())


STRONG = ["--minimum-password-length", "14", "--require-symbols", "--require-numbers",
          "--require-uppercase-characters", "--require-lowercase-characters"]


def test_the_audit_fails_each_broken_practice_and_passes_a_clean_account(make_nimbus):
    # Its own Nimbus: the test moves the clock by months.
    n = make_nimbus()
    root = f"arn:aws:iam::{ACCOUNT}:root"
    # Each practice broken once.
    root_key = n.aws("iam", "create-access-key")["AccessKey"]["AccessKeyId"]
    n.aws("iam", "update-account-password-policy", "--minimum-password-length", "8")
    n.aws("iam", "create-user", "--user-name", "console")
    n.aws("iam", "create-login-profile", "--user-name", "console", "--password", "Correct-Horse-9!x")
    n.aws("iam", "create-user", "--user-name", "direct")
    n.aws("iam", "attach-user-policy", "--user-name", "direct", "--policy-arn",
          "arn:aws:iam::aws:policy/AdministratorAccess")
    n.aws("iam", "create-user", "--user-name", "stale")
    n.aws("iam", "create-access-key", "--user-name", "stale")
    n.admin("POST", "/_nimbus/clock/advance", {"seconds": 91 * 86400})
    n.aws("iam", "create-user", "--user-name", "twokeys")
    for _ in range(2):
        n.aws("iam", "create-access-key", "--user-name", "twokeys")
    wide = n.aws("iam", "create-policy", "--policy-name", "everything", "--policy-document",
                 allow("*"))["Policy"]["Arn"]

    p = run_audit(n)
    assert p.returncode != 0, p.stdout
    assert "FAIL  root-access-keys" in p.stdout and "fix: aws iam" in p.stdout
    report = n.admin("GET", "/_nimbus/audit")
    assert report["account"] == ACCOUNT and report["passed"] is False
    status = {c["check"]: c["status"] for c in report["checks"]}
    # Every practice is broken once; no instance runs here (test_iam_audit_instances.py).
    assert status.pop("instances-without-profile") == "PASS"
    assert set(status.values()) == {"FAIL"}, status
    found = {(f["check"], f["entity"]) for f in report["findings"]}
    user = f"arn:aws:iam::{ACCOUNT}:user/"
    assert {("root-access-keys", root), ("password-policy", root),
            ("console-users-without-mfa", user + "console"),
            ("policies-on-users", user + "direct"),
            ("full-admin-wildcards", user + "direct"), ("full-admin-wildcards", wide),
            ("unused-credentials", user + "stale"), ("unrotated-access-keys", user + "stale"),
            ("two-active-keys", user + "twokeys")} <= found, found
    assert all(f["fix"].startswith("aws iam") for f in report["findings"])
    as_json = run_audit(n, "--json")
    assert json.loads(as_json.stdout)["findings"] == report["findings"]

    # Fixed, practice by practice: the audit passes and exits 0.
    n.aws("iam", "delete-access-key", "--access-key-id", root_key)
    n.aws("iam", "update-account-password-policy", *STRONG)
    n.aws("iam", "delete-login-profile", "--user-name", "console")
    n.aws("iam", "detach-user-policy", "--user-name", "direct", "--policy-arn",
          "arn:aws:iam::aws:policy/AdministratorAccess")
    for k in n.aws("iam", "list-access-keys", "--user-name", "stale")["AccessKeyMetadata"]:
        n.aws("iam", "delete-access-key", "--user-name", "stale", "--access-key-id",
              k["AccessKeyId"])
    keys = n.aws("iam", "list-access-keys", "--user-name", "twokeys")["AccessKeyMetadata"]
    n.aws("iam", "update-access-key", "--user-name", "twokeys", "--access-key-id",
          keys[0]["AccessKeyId"], "--status", "Inactive")
    n.aws("iam", "delete-policy", "--policy-arn", wide)
    clean = run_audit(n)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "FAIL" not in clean.stdout
    assert n.admin("GET", "/_nimbus/audit")["passed"] is True
    # Another account of this Nimbus has no password policy.
    other = n.admin("GET", "/_nimbus/audit?account=111122223333")
    assert other["account"] == "111122223333" and not other["passed"]


def keygen(tmp_path, name, *args):
    path = tmp_path / name
    subprocess.run(["ssh-keygen", "-q", "-N", "", "-C", f"{name}@test", "-f", str(path), *args],
                   check=True, capture_output=True, timeout=60)
    return path


@pytest.mark.skipif(subprocess.run(["which", "ssh-keygen"], capture_output=True).returncode != 0,
                    reason="needs ssh-keygen")
def test_ssh_public_keys_of_users(nimbus, tmp_path):
    name = unique("sshuser")
    nimbus.aws("iam", "create-user", "--user-name", name)
    key = keygen(tmp_path, "rsa", "-t", "rsa", "-b", "2048")
    body = (tmp_path / "rsa.pub").read_text().strip()
    up = nimbus.aws("iam", "upload-ssh-public-key", "--user-name", name,
                    "--ssh-public-key-body", body)["SSHPublicKey"]
    assert up["SSHPublicKeyId"].startswith("APKA") and up["Status"] == "Active"
    assert up["SSHPublicKeyBody"] == body and up["UserName"] == name
    md5 = subprocess.run(["ssh-keygen", "-l", "-E", "md5", "-f", str(key) + ".pub"],
                         capture_output=True, text=True, check=True).stdout.split()[1]
    assert up["Fingerprint"] == md5.removeprefix("MD5:")
    kid = up["SSHPublicKeyId"]

    ssh = nimbus.aws("iam", "get-ssh-public-key", "--user-name", name, "--ssh-public-key-id",
                     kid, "--encoding", "SSH")["SSHPublicKey"]
    assert ssh["SSHPublicKeyBody"] == body
    pem = nimbus.aws("iam", "get-ssh-public-key", "--user-name", name, "--ssh-public-key-id",
                     kid, "--encoding", "PEM")["SSHPublicKey"]["SSHPublicKeyBody"]
    want = subprocess.run(["ssh-keygen", "-e", "-m", "PKCS8", "-f", str(key) + ".pub"],
                          capture_output=True, text=True, check=True).stdout
    assert pem.strip() == want.strip()

    listed = nimbus.aws("iam", "list-ssh-public-keys", "--user-name", name)["SSHPublicKeys"]
    assert [(k["SSHPublicKeyId"], k["Status"]) for k in listed] == [(kid, "Active")]
    nimbus.aws("iam", "update-ssh-public-key", "--user-name", name, "--ssh-public-key-id", kid,
               "--status", "Inactive")
    listed = nimbus.aws("iam", "list-ssh-public-keys", "--user-name", name)["SSHPublicKeys"]
    assert listed[0]["Status"] == "Inactive"

    def fails(*args):
        with pytest.raises(AwsCliError) as e:
            nimbus.aws("iam", *args)
        return e.value.stderr

    assert "DuplicateSSHPublicKey" in fails("upload-ssh-public-key", "--user-name", name,
                                            "--ssh-public-key-body", body)
    ed = keygen(tmp_path, "ed", "-t", "ed25519")
    assert "InvalidPublicKey" in fails("upload-ssh-public-key", "--user-name", name,
                                       "--ssh-public-key-body",
                                       (tmp_path / "ed.pub").read_text().strip())
    assert ed.exists()
    assert "NoSuchEntity" in fails("get-ssh-public-key", "--user-name", name,
                                   "--ssh-public-key-id", "APKAAAAAAAAAAAAAAAAAA",
                                   "--encoding", "SSH")
    # A user with a key cannot be deleted; without it, it can.
    assert "DeleteConflict" in fails("delete-user", "--user-name", name)
    nimbus.aws("iam", "delete-ssh-public-key", "--user-name", name, "--ssh-public-key-id", kid)
    assert nimbus.aws("iam", "list-ssh-public-keys", "--user-name", name)["SSHPublicKeys"] == []
    nimbus.aws("iam", "delete-user", "--user-name", name)

    # Five keys at most; a user lists its own keys without naming itself.
    other = unique("sshself")
    ak, sk = user_with_key(nimbus, other, "iam:ListSSHPublicKeys", "iam:UploadSSHPublicKey")
    for i in range(5):
        keygen(tmp_path, f"k{i}", "-t", "rsa", "-b", "2048")
        nimbus.aws("iam", "upload-ssh-public-key", "--user-name", other,
                   "--ssh-public-key-body", (tmp_path / f"k{i}.pub").read_text())
    keygen(tmp_path, "k5", "-t", "rsa", "-b", "2048")
    assert "LimitExceeded" in fails("upload-ssh-public-key", "--user-name", other,
                                    "--ssh-public-key-body", (tmp_path / "k5.pub").read_text())
    own = nimbus.aws("iam", "list-ssh-public-keys", access_key=ak, secret_key=sk)
    assert len(own["SSHPublicKeys"]) == 5
    assert {k["UserName"] for k in own["SSHPublicKeys"]} == {other}


def test_openid_connect_providers(nimbus):
    host = unique("idp") + ".example.com"
    thumb = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"
    iam = nimbus.client("iam")
    arn = iam.create_open_id_connect_provider(
        Url=f"https://{host}/realms/x", ClientIDList=["app-1", "app-1", "app-2"],
        ThumbprintList=[thumb.upper()],
        Tags=[{"Key": "team", "Value": "red"}])["OpenIDConnectProviderArn"]
    assert arn == f"arn:aws:iam::{ACCOUNT}:oidc-provider/{host}/realms/x"
    got = nimbus.aws("iam", "get-open-id-connect-provider", "--open-id-connect-provider-arn", arn)
    assert got["Url"] == f"{host}/realms/x"
    assert got["ClientIDList"] == ["app-1", "app-2"]
    assert got["ThumbprintList"] == [thumb]
    assert got["Tags"] == [{"Key": "team", "Value": "red"}]
    assert "CreateDate" in got
    listed = nimbus.aws("iam", "list-open-id-connect-providers")["OpenIDConnectProviderList"]
    assert {"Arn": arn} in listed

    nimbus.aws("iam", "add-client-id-to-open-id-connect-provider",
               "--open-id-connect-provider-arn", arn, "--client-id", "app-3")
    nimbus.aws("iam", "remove-client-id-from-open-id-connect-provider",
               "--open-id-connect-provider-arn", arn, "--client-id", "app-1")
    other = "a" * 40
    nimbus.aws("iam", "update-open-id-connect-provider-thumbprint",
               "--open-id-connect-provider-arn", arn, "--thumbprint-list", other)
    got = nimbus.aws("iam", "get-open-id-connect-provider", "--open-id-connect-provider-arn", arn)
    assert got["ClientIDList"] == ["app-2", "app-3"] and got["ThumbprintList"] == [other]

    def fails(*args):
        with pytest.raises(AwsCliError) as e:
            nimbus.aws("iam", *args)
        return e.value.stderr

    assert "EntityAlreadyExists" in fails("create-open-id-connect-provider", "--url",
                                          f"https://{host}/realms/x")
    assert "InvalidInput" in fails("create-open-id-connect-provider", "--url",
                                   f"http://{host}/plain")
    assert "InvalidInput" in fails("update-open-id-connect-provider-thumbprint",
                                   "--open-id-connect-provider-arn", arn,
                                   "--thumbprint-list", "z" * 40)
    nimbus.aws("iam", "tag-open-id-connect-provider", "--open-id-connect-provider-arn", arn,
               "--tags", "Key=env,Value=dev", "Key=TEAM,Value=blue")
    tags = nimbus.aws("iam", "list-open-id-connect-provider-tags",
                      "--open-id-connect-provider-arn", arn)["Tags"]
    assert tags == [{"Key": "TEAM", "Value": "blue"}, {"Key": "env", "Value": "dev"}] or \
        sorted(t["Key"] for t in tags) == ["TEAM", "env"]
    nimbus.aws("iam", "untag-open-id-connect-provider", "--open-id-connect-provider-arn", arn,
               "--tag-keys", "env")
    tags = nimbus.aws("iam", "list-open-id-connect-provider-tags",
                      "--open-id-connect-provider-arn", arn)["Tags"]
    assert tags == [{"Key": "TEAM", "Value": "blue"}]
    nimbus.aws("iam", "delete-open-id-connect-provider", "--open-id-connect-provider-arn", arn)
    assert "NoSuchEntity" in fails("get-open-id-connect-provider",
                                   "--open-id-connect-provider-arn", arn)
    listed = nimbus.aws("iam", "list-open-id-connect-providers")["OpenIDConnectProviderList"]
    assert {"Arn": arn} not in listed


def test_policies_granting_service_access(nimbus):
    group = unique("grantgroup")
    nimbus.aws("iam", "create-group", "--group-name", group)
    nimbus.aws("iam", "put-group-policy", "--group-name", group, "--policy-name", "g-ec2",
               "--policy-document", allow("ec2:DescribeVpcs"))
    name = unique("granted")
    nimbus.aws("iam", "create-user", "--user-name", name)
    nimbus.aws("iam", "add-user-to-group", "--group-name", group, "--user-name", name)
    nimbus.aws("iam", "put-user-policy", "--user-name", name, "--policy-name", "u-s3",
               "--policy-document", allow("s3:GetObject"))
    nimbus.aws("iam", "attach-user-policy", "--user-name", name, "--policy-arn",
               "arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess")
    arn = nimbus.aws("iam", "get-user", "--user-name", name)["User"]["Arn"]
    got = nimbus.aws("iam", "list-policies-granting-service-access", "--arn", arn,
                     "--service-namespaces", "ec2", "s3", "sns")["PoliciesGrantingServiceAccess"]
    by_ns = {e["ServiceNamespace"]: e["Policies"] for e in got}
    assert by_ns["sns"] == []
    assert by_ns["s3"] == [{"PolicyName": "u-s3", "PolicyType": "INLINE", "EntityType": "USER",
                            "EntityName": name}]
    ec2 = sorted(by_ns["ec2"], key=lambda p: p["PolicyName"])
    assert ec2 == [
        {"PolicyName": "AmazonEC2ReadOnlyAccess", "PolicyType": "MANAGED",
         "PolicyArn": "arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess"},
        {"PolicyName": "g-ec2", "PolicyType": "INLINE", "EntityType": "GROUP",
         "EntityName": group},
    ]
    with pytest.raises(AwsCliError) as e:
        nimbus.aws("iam", "list-policies-granting-service-access", "--arn",
                   "arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess",
                   "--service-namespaces", "ec2")
    assert "InvalidInput" in e.value.stderr
