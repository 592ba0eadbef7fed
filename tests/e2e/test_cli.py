"""The `nimbus` command line itself: `nimbus profile` makes `aws --profile nimbus` work
with no other flags (the seed's --profile flow), flags are validated, the clock's time
scale is honoured, and the ready banner says how to connect."""

import os
import re
import subprocess
import sys
import time

from conftest import ACCOUNT, BIN, Nimbus


def test_profile_makes_aws_profile_work(nimbus, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["HOME"] = str(home)
    (home / ".aws").mkdir()
    (home / ".aws" / "config").write_text("[default]\nregion = eu-west-1\n")
    p = subprocess.run([str(BIN), "profile", "--endpoint", nimbus.endpoint], env=env,
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    config = (home / ".aws" / "config").read_text()
    assert "[default]\nregion = eu-west-1" in config
    assert f"endpoint_url = {nimbus.endpoint}" in config
    p = subprocess.run([sys.executable, "-m", "awscli", "--profile", "nimbus", "sts", "get-caller-identity"],
                       env=env, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert f'"Account": "{ACCOUNT}"' in p.stdout
    # Running it again replaces the profile instead of duplicating it.
    subprocess.run([str(BIN), "profile", "--endpoint", nimbus.endpoint, "--region", "us-west-2"],
                   env=env, capture_output=True, text=True, timeout=30, check=True)
    config = (home / ".aws" / "config").read_text()
    assert config.count("[profile nimbus]") == 1 and "region = us-west-2" in config


def test_bad_flags_are_refused():
    for args in (["serve", "--time-scale", "0"], ["serve", "--auth", "sloppy"], ["serve", "--nope", "1"],
                 ["serve", "--account", "12"], ["fly"]):
        p = subprocess.run([str(BIN), *args], capture_output=True, text=True, timeout=30)
        assert p.returncode == 2, (args, p.stdout, p.stderr)
        # clap's error names what is wrong (the flag, or the unknown command) and the way to help.
        assert p.stderr.startswith("error:") and "--help" in p.stderr, p.stderr
        assert (args[1] if len(args) > 1 else args[0]) in p.stderr, p.stderr


def test_every_command_answers_help_and_version_names_the_commit():
    for args in (["--help"], ["serve", "--help"], ["profile", "--help"], ["reset", "--help"],
                 ["clock", "--help"], ["clock", "advance", "--help"]):
        p = subprocess.run([str(BIN), *args], capture_output=True, text=True, timeout=30)
        assert p.returncode == 0, (args, p.stderr)
        assert "Usage: nimbus" in p.stdout, (args, p.stdout)
    p = subprocess.run([str(BIN), "--version"], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0
    assert re.fullmatch(r"nimbus \d+\.\d+\.\d+ \((unknown|[0-9a-f]{12})\)\n", p.stdout), p.stdout


def test_banner_and_env_configuration(tmp_path):
    env = dict(os.environ, NIMBUS_ACCESS_KEY="AKIDEXAMPLE", NIMBUS_SECRET_KEY="s3cr3t",
               NIMBUS_ACCOUNT="111122223333")
    proc = subprocess.Popen([str(BIN), "serve", "--listen", "127.0.0.1:0", "--data-dir", ":memory:",
                             "--dns-listen", "127.0.0.1:0"], stdout=subprocess.PIPE, text=True, env=env)
    try:
        lines = []
        while not lines or "try:" not in lines[-1]:
            line = proc.stdout.readline()
            assert line, "nimbus exited before printing its banner"
            lines.append(line)
        banner = "".join(lines)
        assert "ready on http://127.0.0.1:" in banner
        # The DNS server binds the address given (port 0: a free one) and says where.
        assert re.search(r"dns: 127\.0\.0\.1:\d+ \(answers for load balancers' DNS names\)", banner), banner
        assert "AKIDEXAMPLE" in banner and "111122223333" in banner and "aws --endpoint-url" in banner
        endpoint = lines[0].strip().rsplit(" ", 1)[-1]
        n = Nimbus()
        n.endpoint = endpoint
        out = n.aws("sts", "get-caller-identity", access_key="AKIDEXAMPLE", secret_key="s3cr3t")
        assert out["Account"] == "111122223333"
    finally:
        os.kill(proc.pid, 15)
        proc.wait(timeout=10)


def test_time_scale_speeds_up_the_clock(make_nimbus):
    n = make_nimbus("--time-scale", "100")
    a = n.admin("GET", "/_nimbus/clock")
    time.sleep(0.3)
    b = n.admin("GET", "/_nimbus/clock")
    assert b["time_scale"] == 100
    assert b["epoch_millis"] - a["epoch_millis"] >= 20_000
