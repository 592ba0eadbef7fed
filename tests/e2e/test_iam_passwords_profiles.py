"""Console passwords and instance profiles through the real aws CLI and boto3: the account
password policy (ranges, whole-policy replacement, NoSuchEntity when unset), login
profiles checked against it, DeleteUser refused while one exists, ChangePassword by the
IAM user itself (old password, policy, reuse prevention), instance profiles with at most
one role and delete conflicts both ways, and all of it surviving a restart and a reset.

The password policy is account-wide, so these tests use Nimbus processes of their own."""

import json

import pytest
from botocore.exceptions import ClientError
from conftest import ACCOUNT, AwsCliError, Nimbus

TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
         "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
# ChangePassword acts on the caller; until the authorizer substitutes the caller's ARN
# for it, a grant on "*" is what lets a user reach it.
CHANGE_OWN = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
              "Action": ["iam:ChangePassword", "iam:GetLoginProfile"], "Resource": "*"}]}


def cli_error(nimbus, *args, **kw):
    with pytest.raises(AwsCliError) as e:
        nimbus.aws(*args, **kw)
    return e.value.stderr


def boto_error(call, **kw):
    with pytest.raises(ClientError) as e:
        call(**kw)
    return e.value.response["Error"]


def test_password_policy_and_login_profiles_with_cli(fresh_nimbus):
    n = fresh_nimbus
    err = cli_error(n, "iam", "get-account-password-policy")
    assert "NoSuchEntity" in err
    assert f"The Password Policy with domain name {ACCOUNT} cannot be found." in err
    # The clients check lower bounds themselves; the upper bounds are Nimbus's to check.
    err = cli_error(n, "iam", "update-account-password-policy", "--minimum-password-length", "129")
    assert "ValidationError" in err and "less than or equal to 128" in err
    err = cli_error(n, "iam", "update-account-password-policy", "--max-password-age", "1096")
    assert "ValidationError" in err
    err = cli_error(n, "iam", "update-account-password-policy", "--password-reuse-prevention", "25")
    assert "ValidationError" in err
    n.aws("iam", "update-account-password-policy", "--minimum-password-length", "12",
          "--require-symbols", "--require-numbers", "--require-uppercase-characters",
          "--require-lowercase-characters", "--allow-users-to-change-password",
          "--max-password-age", "90", "--password-reuse-prevention", "3")
    p = n.aws("iam", "get-account-password-policy")["PasswordPolicy"]
    assert p["MinimumPasswordLength"] == 12 and p["RequireSymbols"] is True
    assert p["ExpirePasswords"] is True and p["MaxPasswordAge"] == 90
    assert p["PasswordReusePrevention"] == 3 and p["AllowUsersToChangePassword"] is True

    n.aws("iam", "create-user", "--user-name", "alice")
    err = cli_error(n, "iam", "create-login-profile", "--user-name", "alice", "--password", "Short-1")
    assert "PasswordPolicyViolation" in err and "minimum length of 12" in err
    err = cli_error(n, "iam", "create-login-profile", "--user-name", "alice",
                    "--password", "no-uppercase-123")
    assert "PasswordPolicyViolation" in err and "uppercase" in err
    lp = n.aws("iam", "create-login-profile", "--user-name", "alice",
               "--password", "Alice-Password-1", "--password-reset-required")["LoginProfile"]
    assert lp["UserName"] == "alice" and lp["PasswordResetRequired"] is True
    assert "Password" not in lp
    got = n.aws("iam", "get-login-profile", "--user-name", "alice")["LoginProfile"]
    assert got["CreateDate"] == lp["CreateDate"]
    err = cli_error(n, "iam", "create-login-profile", "--user-name", "alice",
                    "--password", "Alice-Password-1")
    assert "EntityAlreadyExists" in err
    err = cli_error(n, "iam", "delete-user", "--user-name", "alice")
    assert "DeleteConflict" in err and "Cannot delete entity, must delete login profile first." in err
    n.aws("iam", "update-login-profile", "--user-name", "alice", "--no-password-reset-required")
    assert n.aws("iam", "get-login-profile", "--user-name", "alice")["LoginProfile"]["PasswordResetRequired"] is False
    err = cli_error(n, "iam", "update-login-profile", "--user-name", "alice", "--password", "weak")
    assert "PasswordPolicyViolation" in err

    # Durable: the policy and the profile survive a crash; the stored hash still verifies.
    n.kill9()
    n.start()
    assert n.aws("iam", "get-account-password-policy")["PasswordPolicy"]["MinimumPasswordLength"] == 12
    n.aws("iam", "put-user-policy", "--user-name", "alice", "--policy-name", "own",
          "--policy-document", json.dumps(CHANGE_OWN))
    key = n.aws("iam", "create-access-key", "--user-name", "alice")["AccessKey"]
    as_alice = dict(access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    err = cli_error(n, "iam", "change-password", "--old-password", "Wrong-Password-1",
                    "--new-password", "Alice-Password-2", **as_alice)
    assert "InvalidUserType" in err
    err = cli_error(n, "iam", "change-password", "--old-password", "Alice-Password-1",
                    "--new-password", "weak", **as_alice)
    assert "PasswordPolicyViolation" in err
    n.aws("iam", "change-password", "--old-password", "Alice-Password-1",
          "--new-password", "Alice-Password-2", **as_alice)
    err = cli_error(n, "iam", "change-password", "--old-password", "Alice-Password-2",
                    "--new-password", "Alice-Password-1", **as_alice)
    assert "PasswordPolicyViolation" in err
    # Without a user name, GetLoginProfile is about the caller.
    mine = n.aws("iam", "get-login-profile", **as_alice)["LoginProfile"]
    assert mine["UserName"] == "alice"
    # The root cannot use ChangePassword.
    err = cli_error(n, "iam", "change-password", "--old-password", "x", "--new-password", "y")
    assert "InvalidUserType" in err

    n.aws("iam", "delete-login-profile", "--user-name", "alice")
    err = cli_error(n, "iam", "get-login-profile", "--user-name", "alice")
    assert "NoSuchEntity" in err and "Login Profile for User alice cannot be found." in err
    n.aws("iam", "delete-account-password-policy")
    cli_error(n, "iam", "get-account-password-policy")
    n.admin("POST", "/_nimbus/reset")
    cli_error(n, "iam", "get-user", "--user-name", "alice")


def test_instance_profiles_with_boto3_and_cli(fresh_nimbus):
    n = fresh_nimbus
    iam = n.client("iam")
    role = iam.create_role(RoleName="web", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]
    iam.create_role(RoleName="other", AssumeRolePolicyDocument=json.dumps(TRUST))
    p = iam.create_instance_profile(InstanceProfileName="web-profile", Path="/apps/")["InstanceProfile"]
    assert p["InstanceProfileId"].startswith("AIPA") and len(p["InstanceProfileId"]) == 21
    assert p["Arn"] == f"arn:aws:iam::{ACCOUNT}:instance-profile/apps/web-profile"
    assert p["Roles"] == []
    e = boto_error(iam.create_instance_profile, InstanceProfileName="web-profile")
    assert e["Code"] == "EntityAlreadyExists"
    iam.add_role_to_instance_profile(InstanceProfileName="web-profile", RoleName="web")
    e = boto_error(iam.add_role_to_instance_profile, InstanceProfileName="web-profile", RoleName="other")
    assert e["Code"] == "LimitExceeded"
    assert e["Message"] == "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1"
    got = iam.get_instance_profile(InstanceProfileName="web-profile")["InstanceProfile"]
    assert [r["Arn"] for r in got["Roles"]] == [role["Arn"]]
    e = boto_error(iam.delete_role, RoleName="web")
    assert e["Code"] == "DeleteConflict"
    assert e["Message"] == "Cannot delete entity, must remove roles from instance profile first."
    e = boto_error(iam.delete_instance_profile, InstanceProfileName="web-profile")
    assert e["Code"] == "DeleteConflict"
    e = boto_error(iam.get_instance_profile, InstanceProfileName="nope")
    assert e["Code"] == "NoSuchEntity"

    n.aws("iam", "create-instance-profile", "--instance-profile-name", "batch")
    listed = n.aws("iam", "list-instance-profiles")["InstanceProfiles"]
    assert [x["InstanceProfileName"] for x in listed] == ["batch", "web-profile"]
    apps = n.aws("iam", "list-instance-profiles", "--path-prefix", "/apps/")["InstanceProfiles"]
    assert [x["InstanceProfileName"] for x in apps] == ["web-profile"]
    paged = n.aws("iam", "list-instance-profiles", "--max-items", "1")
    assert len(paged["InstanceProfiles"]) == 1 and "NextToken" in paged
    for_role = n.aws("iam", "list-instance-profiles-for-role", "--role-name", "web")["InstanceProfiles"]
    assert [x["Arn"] for x in for_role] == [p["Arn"]]

    # Durable across a crash.
    n.kill9()
    n.start()
    iam = n.client("iam")
    got = iam.get_instance_profile(InstanceProfileName="web-profile")["InstanceProfile"]
    assert [r["RoleName"] for r in got["Roles"]] == ["web"]
    iam.remove_role_from_instance_profile(InstanceProfileName="web-profile", RoleName="web")
    iam.delete_role(RoleName="web")
    iam.delete_instance_profile(InstanceProfileName="web-profile")
    e = boto_error(iam.get_instance_profile, InstanceProfileName="web-profile")
    assert e["Code"] == "NoSuchEntity"
    n.admin("POST", "/_nimbus/reset")
    assert iam.list_instance_profiles()["InstanceProfiles"] == []


def test_data_dir_restart_keeps_profiles(tmp_path):
    data = tmp_path / "data"
    n = Nimbus(data_dir=data).start()
    try:
        n.aws("iam", "update-account-password-policy", "--minimum-password-length", "10")
        n.aws("iam", "create-instance-profile", "--instance-profile-name", "kept")
    finally:
        n.stop()
    n = Nimbus(data_dir=data).start()
    try:
        assert n.aws("iam", "get-account-password-policy")["PasswordPolicy"]["MinimumPasswordLength"] == 10
        assert n.aws("iam", "get-instance-profile", "--instance-profile-name", "kept")["InstanceProfile"]["InstanceProfileName"] == "kept"
    finally:
        n.stop()
