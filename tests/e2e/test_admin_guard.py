"""Nimbus's admin endpoints cannot be used to wipe or stall it without credentials (issue 8
§1): in strict mode every state-changing admin call needs an account root's SigV4
signature; a request a web page could make (foreign Origin, form content types) is refused
in every mode; the clock's advances are bounded and a clock reset exists; `nimbus reset` and
`nimbus clock` sign for the user. Permissive mode keeps reset and the clock open to test
suites."""

import os
import subprocess
import time
import urllib.error
import urllib.request

import pytest
from conftest import BIN, AwsCliError, unique


def raw(n, method, path, body=None, headers=None):
    req = urllib.request.Request(n.endpoint + path, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def group_exists(n, name):
    try:
        n.aws("ec2", "describe-security-groups", "--group-names", name)
        return True
    except AwsCliError:
        return False


def test_unsigned_and_non_root_calls_cannot_wipe_or_advance_strict_nimbus(make_nimbus):
    n = make_nimbus()
    name = unique("keep")
    n.aws("ec2", "create-security-group", "--group-name", name, "--description", "survives")
    before = n.admin("GET", "/_nimbus/clock")["epoch_millis"]
    for path in ("/_nimbus/reset", "/moto-api/reset", "/_nimbus/clock/reset"):
        status, body = raw(n, "POST", path)
        assert status == 403, (path, body)
        assert "sign it with an account root" in body
    status, body = raw(n, "POST", "/_nimbus/clock/advance", b'{"seconds": 86400}',
                       {"Content-Type": "application/json"})
    assert status == 403, body
    # A wrong secret is a bad signature, not a root.
    with pytest.raises(urllib.error.HTTPError) as e:
        n.admin("POST", "/_nimbus/reset", secret_key="wrong")
    assert e.value.code == 403
    # An IAM user's valid keys are not a root's.
    user = unique("admin-wannabe")
    n.aws("iam", "create-user", "--user-name", user)
    n.aws("iam", "attach-user-policy", "--user-name", user, "--policy-arn",
          "arn:aws:iam::aws:policy/AdministratorAccess")
    key = n.aws("iam", "create-access-key", "--user-name", user)["AccessKey"]
    with pytest.raises(urllib.error.HTTPError) as e:
        n.admin("POST", "/_nimbus/reset", access_key=key["AccessKeyId"],
                secret_key=key["SecretAccessKey"])
    assert e.value.code == 403 and "is not an account root" in e.value.read().decode()
    assert group_exists(n, name), "nothing was wiped"
    assert n.admin("GET", "/_nimbus/clock")["epoch_millis"] - before < 60_000, "nothing advanced"
    # Reads stay open.
    assert raw(n, "GET", "/_nimbus/health")[0] == 200
    # The root's signature works.
    n.admin("POST", "/_nimbus/reset")
    assert not group_exists(n, name)


@pytest.mark.parametrize("mode", [(), ("--auth", "permissive")])
def test_requests_a_web_page_could_send_are_refused_in_every_mode(make_nimbus, mode):
    n = make_nimbus(*mode)
    name = unique("keep")
    n.aws("ec2", "create-security-group", "--group-name", name, "--description", "survives")
    # A cross-site fetch or form post carries a foreign Origin...
    status, body = raw(n, "POST", "/moto-api/reset", headers={"Origin": "http://evil.example"})
    assert status == 403 and "web pages" in body
    # ...and a form can only send these content types (Origin may be stripped: "null").
    for ctype in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"):
        status, body = raw(n, "POST", "/_nimbus/reset", b"x=1", {"Content-Type": ctype})
        assert status == 403, (ctype, body)
    # Even a validly signed request from a foreign origin is refused.
    with pytest.raises(urllib.error.HTTPError):
        req = urllib.request.Request(n.endpoint + "/_nimbus/health", headers={"Origin": "http://evil.example"})
        urllib.request.urlopen(req, timeout=10)
    assert group_exists(n, name)


def test_permissive_mode_keeps_reset_and_clock_open_to_test_suites(make_nimbus):
    n = make_nimbus("--auth", "permissive")
    name = unique("gone")
    n.aws("ec2", "create-security-group", "--group-name", name, "--description", "wiped")
    assert raw(n, "POST", "/_nimbus/clock/advance", b'{"seconds": 60}',
               {"Content-Type": "application/json"})[0] == 200
    assert raw(n, "POST", "/moto-api/reset")[0] == 200
    assert not group_exists(n, name)


def test_advances_are_bounded_and_the_clock_can_go_back_to_wall_time(make_nimbus, tmp_path):
    n = make_nimbus(data_dir=tmp_path / "data")
    with pytest.raises(urllib.error.HTTPError) as e:
        n.admin("POST", "/_nimbus/clock/advance", {"seconds": 20 * 365 * 86400})
    assert e.value.code == 400 and "ahead of wall time" in e.value.read().decode()
    n.admin("POST", "/_nimbus/clock/advance", {"seconds": 5 * 365 * 86400})
    assert n.admin("GET", "/_nimbus/clock")["epoch_millis"] > time.time() * 1000 + 4 * 365 * 86400_000
    back = n.admin("POST", "/_nimbus/clock/reset")["epoch_millis"]
    assert abs(back - time.time() * 1000) < 60_000
    # ...and it stays there across a restart.
    n.stop()
    n.start()
    assert abs(n.admin("GET", "/_nimbus/clock")["epoch_millis"] - time.time() * 1000) < 60_000


def test_nimbus_reset_and_clock_commands_sign_for_the_user(make_nimbus, tmp_path):
    n = make_nimbus()
    name = unique("cli")
    n.aws("ec2", "create-security-group", "--group-name", name, "--description", "wiped by the CLI")
    env = dict(os.environ, AWS_ENDPOINT_URL=n.endpoint, AWS_ACCESS_KEY_ID="test",
               AWS_SECRET_ACCESS_KEY="test", AWS_CONFIG_FILE=str(tmp_path / "none"),
               AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"))
    run = lambda *a, e=env: subprocess.run([str(BIN), *a], capture_output=True, text=True,
                                           timeout=30, env=e)
    before = n.admin("GET", "/_nimbus/clock")["epoch_millis"]
    p = run("clock", "advance", "3600")
    assert p.returncode == 0, p.stderr
    assert n.admin("GET", "/_nimbus/clock")["epoch_millis"] - before >= 3_600_000
    assert run("clock").returncode == 0
    p = run("reset")
    assert p.returncode == 0, p.stderr
    assert not group_exists(n, name)
    # Wrong keys: refused, and the command says why and fails.
    p = run("reset", e=dict(env, AWS_SECRET_ACCESS_KEY="nope"))
    assert p.returncode == 1 and "403" in p.stderr
    # Keys and endpoint from a profile, as the aws CLI finds them.
    (tmp_path / "config").write_text(f"[profile nim]\nendpoint_url = {n.endpoint}\n")
    (tmp_path / "credentials").write_text("[nim]\naws_access_key_id = test\naws_secret_access_key = test\n")
    penv = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    penv.update(AWS_CONFIG_FILE=str(tmp_path / "config"),
                AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "credentials"))
    p = run("clock", "reset", "--profile", "nim", e=penv)
    assert p.returncode == 0, p.stderr
