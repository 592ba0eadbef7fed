"""Virtual MFA devices end to end with the real aws CLI and boto3: the CLI writes the
device's base32 seed to a file, the test computes TOTP codes from it (RFC 6238, written
here with hmac/hashlib) against the Nimbus clock, enables the device with two consecutive
codes, and opens an MFA session with `sts get-session-token`; wrong and reused codes are
refused with AWS's errors; the device is then deactivated and deleted.

Every test advances the clock, so each runs on a Nimbus of its own (`make_nimbus`)."""

import base64
import hashlib
import hmac
import struct

import boto3
import pytest

from conftest import ACCOUNT, AwsCliError, unique

STEP = 30


def totp(seed_base32: str, unix_secs: int) -> str:
    """RFC 6238 TOTP: HMAC-SHA1 over the 30-second step count, six digits."""
    key = base64.b32decode(seed_base32 + "=" * (-len(seed_base32) % 8), casefold=True)
    mac = hmac.new(key, struct.pack(">Q", unix_secs // STEP), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def test_rfc6238_helper_matches_the_rfc():
    # Appendix B, SHA1 rows (the last six of the printed eight digits).
    seed = base64.b32encode(b"12345678901234567890").decode()
    assert totp(seed, 59) == "287082"
    assert totp(seed, 1111111109) == "081804"
    assert totp(seed, 2000000000) == "279037"


def now_secs(n) -> int:
    return n.admin("GET", "/_nimbus/clock")["epoch_millis"] // 1000


def advance(n, seconds) -> int:
    return n.admin("POST", "/_nimbus/clock/advance", {"seconds": seconds})["epoch_millis"] // 1000


def user_with_keys(n, name):
    n.aws("iam", "create-user", "--user-name", name)
    key = n.aws("iam", "create-access-key", "--user-name", name)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def test_virtual_mfa_device_lifecycle_and_mfa_session(make_nimbus, tmp_path):
    n = make_nimbus()
    name = unique("mfa-user")
    keys = user_with_keys(n, name)

    seed_file = tmp_path / "seed.txt"
    out = n.aws("iam", "create-virtual-mfa-device", "--virtual-mfa-device-name", name,
                "--outfile", str(seed_file), "--bootstrap-method", "Base32StringSeed")
    serial = out["VirtualMFADevice"]["SerialNumber"]
    assert serial == f"arn:aws:iam::{ACCOUNT}:mfa/{name}"
    seed = seed_file.read_text().strip()
    assert len(seed) == 64 and base64.b32decode(seed)

    unassigned = n.aws("iam", "list-virtual-mfa-devices", "--assignment-status", "Unassigned")
    assert [d["SerialNumber"] for d in unassigned["VirtualMFADevices"]] == [serial]

    # Two codes in a row: read one, let a step pass on the Nimbus clock, read the next.
    t = now_secs(n)
    code1 = totp(seed, t)
    advance(n, STEP)
    code2 = totp(seed, t + STEP)

    with pytest.raises(AwsCliError) as e:
        n.aws("iam", "enable-mfa-device", "--user-name", name, "--serial-number", serial,
              "--authentication-code1", code2, "--authentication-code2", code1)
    assert "InvalidAuthenticationCode" in e.value.stderr
    assert "Authentication code for device is not valid" in e.value.stderr

    n.aws("iam", "enable-mfa-device", "--user-name", name, "--serial-number", serial,
          "--authentication-code1", code1, "--authentication-code2", code2)

    listed = n.aws("iam", "list-mfa-devices", "--user-name", name)["MFADevices"]
    assert [(d["UserName"], d["SerialNumber"]) for d in listed] == [(name, serial)]
    assigned = n.aws("iam", "list-virtual-mfa-devices", "--assignment-status", "Assigned")
    assert [d["User"]["UserName"] for d in assigned["VirtualMFADevices"]] == [name]

    # While enabled, the device cannot be deleted.
    with pytest.raises(AwsCliError) as e:
        n.aws("iam", "delete-virtual-mfa-device", "--serial-number", serial)
    assert "DeleteConflict" in e.value.stderr

    # A fresh step, a fresh code: the user opens an MFA session with its own keys.
    now = advance(n, STEP)
    code = totp(seed, now)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    with pytest.raises(AwsCliError) as e:
        n.aws("sts", "get-session-token", "--serial-number", serial, "--token-code", wrong,
              access_key=keys[0], secret_key=keys[1])
    assert "AccessDenied" in e.value.stderr
    assert "invalid MFA one time pass code" in e.value.stderr

    creds = n.aws("sts", "get-session-token", "--serial-number", serial, "--token-code", code,
                  access_key=keys[0], secret_key=keys[1])["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    session_sts = boto3.client("sts", endpoint_url=n.endpoint, region_name="us-east-1",
                               aws_access_key_id=creds["AccessKeyId"],
                               aws_secret_access_key=creds["SecretAccessKey"],
                               aws_session_token=creds["SessionToken"])
    assert session_sts.get_caller_identity()["Arn"].endswith(f":user/{name}")

    # A code opens one session only.
    with pytest.raises(AwsCliError) as e:
        n.aws("sts", "get-session-token", "--serial-number", serial, "--token-code", code,
              access_key=keys[0], secret_key=keys[1])
    assert "invalid MFA one time pass code" in e.value.stderr

    # Someone else's serial number is not the caller's device.
    with pytest.raises(AwsCliError) as e:
        n.aws("sts", "get-session-token", "--serial-number", f"arn:aws:iam::{ACCOUNT}:mfa/nobody",
              "--token-code", code, access_key=keys[0], secret_key=keys[1])
    assert "unable to validate MFA code" in e.value.stderr

    n.aws("iam", "deactivate-mfa-device", "--user-name", name, "--serial-number", serial)
    assert n.aws("iam", "list-mfa-devices", "--user-name", name)["MFADevices"] == []
    n.aws("iam", "delete-virtual-mfa-device", "--serial-number", serial)
    assert n.aws("iam", "list-virtual-mfa-devices")["VirtualMFADevices"] == []


def test_a_user_with_an_enabled_device_cannot_be_deleted(make_nimbus):
    n = make_nimbus()
    iam = n.client("iam")
    name = unique("mfa-del")
    iam.create_user(UserName=name)
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"]
    seed, serial = device["Base32StringSeed"].decode(), device["SerialNumber"]
    t = now_secs(n)
    advance(n, STEP)
    iam.enable_mfa_device(UserName=name, SerialNumber=serial,
                          AuthenticationCode1=totp(seed, t), AuthenticationCode2=totp(seed, t + STEP))
    with pytest.raises(iam.exceptions.DeleteConflictException) as e:
        iam.delete_user(UserName=name)
    assert e.value.response["Error"]["Message"] == \
        "Cannot delete entity, must delete MFA device first."
    iam.deactivate_mfa_device(UserName=name, SerialNumber=serial)
    iam.delete_virtual_mfa_device(SerialNumber=serial)
    iam.delete_user(UserName=name)


def test_boto3_seed_is_the_base32_text_and_survives_a_restart(make_nimbus, tmp_path):
    data = tmp_path / "data"
    n = make_nimbus(data_dir=data)
    iam = n.client("iam")
    name = unique("mfa-boto")
    iam.create_user(UserName=name)
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"]
    # botocore decodes the wire's base64 blob: what remains is the base32 text itself.
    seed = device["Base32StringSeed"].decode()
    assert len(seed) == 64 and base64.b32decode(seed)
    assert "QRCodePNG" not in device
    serial = device["SerialNumber"]
    t = now_secs(n)
    advance(n, STEP)
    iam.enable_mfa_device(UserName=name, SerialNumber=serial,
                          AuthenticationCode1=totp(seed, t), AuthenticationCode2=totp(seed, t + STEP))
    n.stop()

    n2 = make_nimbus(data_dir=data)
    devices = n2.client("iam").list_mfa_devices(UserName=name)["MFADevices"]
    assert [d["SerialNumber"] for d in devices] == [serial]
    # The restored device still checks codes for its user.
    key = n2.client("iam").create_access_key(UserName=name)["AccessKey"]
    now = advance(n2, STEP)
    sts = n2.client("sts", access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    creds = sts.get_session_token(SerialNumber=serial, TokenCode=totp(seed, now))["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
