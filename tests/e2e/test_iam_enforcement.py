"""IAM saying no, through the real aws CLI and boto3: an IAM user's keys sign requests as
that user; what its policies do not allow is refused with each service's own error
(EC2 UnauthorizedOperation, S3/STS/IAM AccessDenied) and AWS's wording; explicit denies and
resource-level statements are honoured; the seed's STS flow (a user that may only call
sts:AssumeRole assumes a role carrying the real permissions; the session keys work until
they expire and not after, on the Nimbus clock); inactive keys and roles whose trust policy
does not name the caller are refused."""

import json

import pytest
from conftest import ACCOUNT, AwsCliError, unique


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*"):
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def deny(action, resource="*"):
    return {"Effect": "Deny", "Action": action, "Resource": resource}


def make_user(nimbus, name, *statements):
    nimbus.aws("iam", "create-user", "--user-name", name)
    if statements:
        nimbus.aws("iam", "put-user-policy", "--user-name", name, "--policy-name", "p",
                   "--policy-document", policy(*statements))
    key = nimbus.aws("iam", "create-access-key", "--user-name", name)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def refused(nimbus, *args, keys):
    with pytest.raises(AwsCliError) as e:
        nimbus.aws(*args, access_key=keys[0], secret_key=keys[1])
    return e.value.stderr


def test_an_iam_users_keys_sign_as_that_user(nimbus):
    name = unique("who")
    keys = make_user(nimbus, name)
    me = nimbus.aws("sts", "get-caller-identity", access_key=keys[0], secret_key=keys[1])
    assert me["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/{name}"
    assert me["UserId"].startswith("AIDA") and me["Account"] == ACCOUNT


def test_nothing_is_allowed_without_a_policy(nimbus):
    name = unique("nobody")
    keys = make_user(nimbus, name)
    arn = f"arn:aws:iam::{ACCOUNT}:user/{name}"
    err = refused(nimbus, "ec2", "describe-security-groups", keys=keys)
    assert "UnauthorizedOperation" in err and "You are not authorized to perform this operation." in err
    err = refused(nimbus, "s3api", "list-buckets", keys=keys)
    assert "AccessDenied" in err
    err = refused(nimbus, "iam", "list-users", keys=keys)
    assert "AccessDenied" in err
    assert (f"User: {arn} is not authorized to perform: iam:ListUsers on resource: "
            f"arn:aws:iam::{ACCOUNT}:user/" in err or
            f"User: {arn} is not authorized to perform: iam:ListUsers" in err), err
    assert "because no identity-based policy allows the iam:ListUsers action" in err


def test_allows_denies_and_resource_level_statements(nimbus):
    name = unique("scoped")
    keep, other = unique("keep"), unique("other")
    nimbus.aws("s3api", "create-bucket", "--bucket", keep)
    nimbus.aws("s3api", "create-bucket", "--bucket", other)
    keys = make_user(nimbus, name,
                     allow("ec2:Describe*"),
                     allow(["s3:ListBucket", "s3:GetObject", "s3:PutObject"],
                           [f"arn:aws:s3:::{keep}", f"arn:aws:s3:::{keep}/*"]),
                     deny("s3:PutObject", f"arn:aws:s3:::{keep}/locked/*"))
    # Describe* is allowed; CreateSecurityGroup is not.
    nimbus.aws("ec2", "describe-security-groups", access_key=keys[0], secret_key=keys[1])
    err = refused(nimbus, "ec2", "create-security-group", "--group-name", unique("sg"),
                  "--description", "d", keys=keys)
    assert "UnauthorizedOperation" in err
    # The allowed bucket works, the other one does not.
    s3 = nimbus.client("s3", access_key=keys[0], secret_key=keys[1])
    s3.put_object(Bucket=keep, Key="a.txt", Body=b"hello")
    assert s3.get_object(Bucket=keep, Key="a.txt")["Body"].read() == b"hello"
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=keep)["Contents"]] == ["a.txt"]
    from botocore.exceptions import ClientError
    with pytest.raises(ClientError) as e:
        s3.list_objects_v2(Bucket=other)
    assert e.value.response["Error"]["Code"] == "AccessDenied"
    # An explicit deny wins over the allow.
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=keep, Key="locked/b.txt", Body=b"no")
    assert e.value.response["Error"]["Code"] == "AccessDenied"
    assert "with an explicit deny" in e.value.response["Error"]["Message"]


def test_an_inactive_key_is_refused(nimbus):
    name = unique("off")
    keys = make_user(nimbus, name, allow("sts:*"))
    nimbus.aws("iam", "update-access-key", "--user-name", name, "--access-key-id", keys[0],
               "--status", "Inactive")
    err = refused(nimbus, "sts", "get-caller-identity", keys=keys)
    assert "InvalidClientTokenId" in err


def test_the_seeds_assume_role_flow(make_nimbus):
    # Its own Nimbus: the test moves the clock an hour ahead.
    nimbus = make_nimbus()
    user, role = unique("dev"), unique("admin")
    keys = make_user(nimbus, user, allow("sts:AssumeRole"))
    trust = policy({"Effect": "Allow", "Action": "sts:AssumeRole",
                    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/{user}"}})
    role_arn = nimbus.aws("iam", "create-role", "--role-name", role,
                          "--assume-role-policy-document", trust)["Role"]["Arn"]
    nimbus.aws("iam", "put-role-policy", "--role-name", role, "--policy-name", "ec2",
               "--policy-document", policy(allow("ec2:*")))
    # The user itself can do nothing but assume the role.
    assert "UnauthorizedOperation" in refused(nimbus, "ec2", "describe-security-groups", keys=keys)
    creds = nimbus.aws("sts", "assume-role", "--role-arn", role_arn, "--role-session-name", "s1",
                       access_key=keys[0], secret_key=keys[1])
    c = creds["Credentials"]
    assert c["AccessKeyId"].startswith("ASIA")
    assert creds["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/s1"
    env = dict(aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
               aws_session_token=c["SessionToken"])
    import boto3
    from botocore.config import Config
    from botocore.exceptions import ClientError

    def client(service):
        return boto3.client(service, endpoint_url=nimbus.endpoint, region_name="us-east-1",
                            config=Config(retries={"max_attempts": 1}), **env)

    assert client("sts").get_caller_identity()["Arn"] == creds["AssumedRoleUser"]["Arn"]
    client("ec2").describe_security_groups()
    with pytest.raises(ClientError) as e:
        client("s3").list_buckets()
    assert e.value.response["Error"]["Code"] == "AccessDenied"
    # Without the session token the keys are not valid.
    with pytest.raises(ClientError) as e:
        boto3.client("sts", endpoint_url=nimbus.endpoint, region_name="us-east-1",
                     aws_access_key_id=c["AccessKeyId"],
                     aws_secret_access_key=c["SecretAccessKey"]).get_caller_identity()
    assert e.value.response["Error"]["Code"] == "InvalidClientTokenId"
    # A user the trust policy does not name cannot assume the role.
    stranger = make_user(nimbus, unique("stranger"), allow("sts:AssumeRole"))
    err = refused(nimbus, "sts", "assume-role", "--role-arn", role_arn,
                  "--role-session-name", "s2", keys=stranger)
    assert "AccessDenied" in err and "sts:AssumeRole" in err
    # After the session's hour (Nimbus time), the keys stop working.
    nimbus.admin("POST", "/_nimbus/clock/advance", {"seconds": 3601})
    with pytest.raises(ClientError) as e:
        client("ec2").describe_security_groups()
    assert e.value.response["Error"]["Code"] in ("ExpiredToken", "RequestExpired"), e.value.response


def test_iam_paths_and_calls_on_oneself(nimbus):
    name = unique("pathy")
    nimbus.aws("iam", "create-user", "--user-name", name, "--path", "/team/")
    nimbus.aws("iam", "put-user-policy", "--user-name", name, "--policy-name", "p",
               "--policy-document", policy(
                   allow(["iam:GetUser", "iam:ListAccessKeys"],
                         f"arn:aws:iam::{ACCOUNT}:user/team/${{aws:username}}")))
    key = nimbus.aws("iam", "create-access-key", "--user-name", name)["AccessKey"]
    keys = (key["AccessKeyId"], key["SecretAccessKey"])
    # Named: the request carries no path, the policy names it; Nimbus matches the real ARN.
    got = nimbus.aws("iam", "get-user", "--user-name", name, access_key=keys[0], secret_key=keys[1])
    assert got["User"]["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/team/{name}"
    # Unnamed: IAM acts on (and authorizes against) the caller itself.
    me = nimbus.aws("iam", "list-access-keys", access_key=keys[0], secret_key=keys[1])
    assert [k["AccessKeyId"] for k in me["AccessKeyMetadata"]] == [keys[0]]
    # Someone else is not covered by ${aws:username}.
    other = unique("other")
    nimbus.aws("iam", "create-user", "--user-name", other, "--path", "/team/")
    assert "AccessDenied" in refused(nimbus, "iam", "get-user", "--user-name", other, keys=keys)


def test_get_session_token_credentials_cannot_call_iam(nimbus):
    name = unique("sess")
    keys = make_user(nimbus, name, allow(["iam:*", "ec2:Describe*"]))
    c = nimbus.aws("sts", "get-session-token", access_key=keys[0], secret_key=keys[1])["Credentials"]
    import boto3
    from botocore.config import Config
    from botocore.exceptions import ClientError
    env = dict(aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
               aws_session_token=c["SessionToken"], region_name="us-east-1",
               endpoint_url=nimbus.endpoint, config=Config(retries={"max_attempts": 1}))
    # The session acts as the user for other services...
    assert boto3.client("sts", **env).get_caller_identity()["Arn"].endswith(f":user/{name}")
    boto3.client("ec2", **env).describe_security_groups()
    # ...but, without MFA, IAM answers as AWS does: the token is not valid there.
    with pytest.raises(ClientError) as e:
        boto3.client("iam", **env).list_users()
    assert e.value.response["Error"]["Code"] == "InvalidClientTokenId"


def test_bucket_policies_allow_and_deny(nimbus):
    from botocore.exceptions import ClientError
    bucket = unique("shared")
    nimbus.aws("s3api", "create-bucket", "--bucket", bucket)
    nimbus.client("s3").put_object(Bucket=bucket, Key="doc.txt", Body=b"x")
    reader, writer = unique("reader"), unique("writer")
    rkeys = make_user(nimbus, reader)  # no identity policy at all
    wkeys = make_user(nimbus, writer, allow("s3:*"))
    nimbus.aws("s3api", "put-bucket-policy", "--bucket", bucket, "--policy", policy(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/{reader}"},
         "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"},
        {"Effect": "Deny", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/{writer}"},
         "Action": "s3:DeleteObject", "Resource": f"arn:aws:s3:::{bucket}/*"}))
    # Same account: a bucket policy naming the user is enough without any identity policy.
    r = nimbus.client("s3", access_key=rkeys[0], secret_key=rkeys[1])
    assert r.get_object(Bucket=bucket, Key="doc.txt")["Body"].read() == b"x"
    with pytest.raises(ClientError) as e:
        r.put_object(Bucket=bucket, Key="new.txt", Body=b"y")
    assert e.value.response["Error"]["Code"] == "AccessDenied"
    # An explicit deny in the bucket policy beats the writer's s3:*.
    w = nimbus.client("s3", access_key=wkeys[0], secret_key=wkeys[1])
    w.put_object(Bucket=bucket, Key="new.txt", Body=b"y")
    with pytest.raises(ClientError) as e:
        w.delete_object(Bucket=bucket, Key="new.txt")
    assert e.value.response["Error"]["Code"] == "AccessDenied"
    assert "explicit deny in a resource-based policy" in e.value.response["Error"]["Message"]


def test_source_ip_conditions(nimbus):
    inside, outside = unique("lan"), unique("wan")
    ok = make_user(nimbus, inside, {"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*",
                                    "Condition": {"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}})
    no = make_user(nimbus, outside, {"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*",
                                     "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}})
    nimbus.aws("ec2", "describe-security-groups", access_key=ok[0], secret_key=ok[1])
    assert "UnauthorizedOperation" in refused(nimbus, "ec2", "describe-security-groups", keys=no)


def _totp(seed_b32, at):
    import base64, hashlib, hmac, struct
    key = base64.b32decode(seed_b32 + "=" * (-len(seed_b32) % 8))
    mac = hmac.new(key, struct.pack(">Q", int(at) // 30), hashlib.sha1).digest()
    o = mac[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", mac[o:o + 4])[0] & 0x7FFFFFFF) % 1000000)


def test_mfa_conditions_and_iam_with_mfa_sessions(make_nimbus):
    # Its own Nimbus: the test moves the clock to get consecutive TOTP codes.
    nimbus = make_nimbus()
    name = unique("mfa")
    keys = make_user(nimbus, name, {"Effect": "Allow", "Action": ["iam:ListUsers", "ec2:Describe*"],
                                    "Resource": "*",
                                    "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}})
    dev = nimbus.client("iam").create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"]
    seed = dev["Base32StringSeed"].decode()
    now = lambda: nimbus.admin("GET", "/_nimbus/clock")["epoch_millis"] / 1000
    c1 = _totp(seed, now())
    nimbus.admin("POST", "/_nimbus/clock/advance", {"seconds": 30})
    c2 = _totp(seed, now())
    nimbus.client("iam").enable_mfa_device(UserName=name, SerialNumber=dev["SerialNumber"],
                                           AuthenticationCode1=c1, AuthenticationCode2=c2)
    # Long-term keys: no MFA, so the MFA-conditioned allow does not apply.
    assert "UnauthorizedOperation" in refused(nimbus, "ec2", "describe-security-groups", keys=keys)
    nimbus.admin("POST", "/_nimbus/clock/advance", {"seconds": 30})
    c = nimbus.aws("sts", "get-session-token", "--serial-number", dev["SerialNumber"],
                   "--token-code", _totp(seed, now()),
                   access_key=keys[0], secret_key=keys[1])["Credentials"]
    import boto3
    from botocore.config import Config
    env = dict(aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
               aws_session_token=c["SessionToken"], region_name="us-east-1",
               endpoint_url=nimbus.endpoint, config=Config(retries={"max_attempts": 1}))
    # With MFA: the condition holds, and IAM accepts the session.
    boto3.client("ec2", **env).describe_security_groups()
    assert name in [u["UserName"] for u in boto3.client("iam", **env).list_users()["Users"]]


def test_a_bucket_policy_can_deny_the_root_but_not_lock_it_out(nimbus):
    from botocore.exceptions import ClientError
    bucket = unique("locked")
    s3 = nimbus.client("s3")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    s3.put_bucket_policy(Bucket=bucket, Policy=policy(
        {"Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]}))
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="k")
    assert e.value.response["Error"]["Code"] == "AccessDenied"
    # The owner's root can still read and remove the policy, and then everything works again.
    assert bucket in s3.get_bucket_policy(Bucket=bucket)["Policy"]
    s3.delete_bucket_policy(Bucket=bucket)
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"


def test_allow_users_to_change_password_grants_it_on_oneself(make_nimbus):
    # Its own Nimbus: the test sets the account's password policy.
    nimbus = make_nimbus()
    name = unique("pw")
    keys = make_user(nimbus, name)  # no policy at all
    nimbus.aws("iam", "create-login-profile", "--user-name", name, "--password", "First-Pass-1234")
    change = ("iam", "change-password", "--old-password", "First-Pass-1234",
              "--new-password", "Second-Pass-5678")
    assert "AccessDenied" in refused(nimbus, *change, keys=keys)
    nimbus.aws("iam", "update-account-password-policy", "--allow-users-to-change-password")
    nimbus.aws(*change, access_key=keys[0], secret_key=keys[1])
    policy_seen = nimbus.aws("iam", "get-account-password-policy",
                             access_key=keys[0], secret_key=keys[1])["PasswordPolicy"]
    assert policy_seen["AllowUsersToChangePassword"] is True
    # It covers the user's own password only: nothing else in IAM.
    assert "AccessDenied" in refused(nimbus, "iam", "list-users", keys=keys)
