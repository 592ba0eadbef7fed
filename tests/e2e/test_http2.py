"""HTTP/2 at the front door: the same port that serves HTTP/1.1 answers cleartext HTTP/2
sent with prior knowledge (h2c), and SigV4 verifies over it. curl over HTTP/2 sends no `Host`
header, only `:authority`, so these calls pass only if the gateway signs with the authority.
Skipped when this machine's curl cannot speak HTTP/2 or sign with SigV4 (curl >= 7.75).
One request per curl: curl before 8.0 fails a *reused* prior-knowledge connection with
"Error in the HTTP2 framing layer" (curl/curl#10634); many streams on one connection are
covered by crates/nimbus/tests/http2.rs with hyper's client."""

import re
import shutil
import subprocess

import pytest
from conftest import ACCOUNT

FORM = "Action=GetCallerIdentity&Version=2011-06-15"


def _curl_features():
    curl = shutil.which("curl")
    if not curl:
        return None
    out = subprocess.run([curl, "--version"], capture_output=True, text=True).stdout
    m = re.match(r"curl (\d+)\.(\d+)", out)
    if not m or (int(m[1]), int(m[2])) < (7, 75):
        return None
    features = re.search(r"^Features:(.*)$", out, re.M)
    if not features or "HTTP2" not in features[1].split():
        return None
    return curl


CURL = _curl_features()
pytestmark = pytest.mark.skipif(CURL is None, reason="curl with HTTP2 and --aws-sigv4 needed")


def curl(nimbus, *args, secret="test"):
    """Runs curl with SigV4 for STS; returns (status, http_version, body)."""
    p = subprocess.run(
        [CURL, "-sS", "--max-time", "20", "--aws-sigv4", "aws:amz:us-east-1:sts",
         "--user", f"test:{secret}", "-w", "\n%{http_code} %{http_version}", *args,
         nimbus.endpoint + "/"],
        capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    body, _, tail = p.stdout.rpartition("\n")
    status, version = tail.split()
    return int(status), version, body


def test_signed_get_caller_identity_over_h2c(nimbus):
    status, version, body = curl(nimbus, "--http2-prior-knowledge", "-d", FORM)
    assert version == "2"
    assert status == 200, body
    assert f"<Arn>arn:aws:iam::{ACCOUNT}:root</Arn>" in body


def test_wrong_secret_over_h2c_is_signature_mismatch(nimbus):
    status, version, body = curl(nimbus, "--http2-prior-knowledge", "-d", FORM, secret="wrong")
    assert version == "2"
    assert status == 403, body
    assert "<Code>SignatureDoesNotMatch</Code>" in body


def test_http1_on_the_same_port(nimbus):
    status, version, body = curl(nimbus, "--http1.1", "-d", FORM)
    assert version == "1.1"
    assert status == 200, body
    assert f"<Account>{ACCOUNT}</Account>" in body

