"""Structured logs (issue 7): one line per request on stderr with request id, service,
operation, principal ARN, HTTP status, AWS error code and duration; JSON or text; the level
set by --log-level; the banner on stdout unchanged."""

import json
import time

import pytest
from conftest import AwsCliError


def wait_for_lines(n, pred, timeout=5):
    deadline = time.time() + timeout
    while time.time() < deadline:
        hits = [l for l in list(n.log) if pred(l)]
        if hits:
            return hits
        time.sleep(0.05)
    raise AssertionError("no matching log line in:\n" + "".join(list(n.log)[-20:]))


def test_json_request_lines_name_the_call_and_its_outcome(make_nimbus):
    n = make_nimbus("--log-format", "json")
    n.aws("sts", "get-caller-identity")
    with pytest.raises(AwsCliError):
        n.aws("ec2", "delete-security-group", "--group-id", "sg-0123456789abcdef0")
    records = []
    for line in wait_for_lines(n, lambda l: '"nimbus::request"' in l and "DeleteSecurityGroup" in l):
        records.append(json.loads(line))
    failed = records[0]
    assert failed["service"] == "ec2" and failed["operation"] == "DeleteSecurityGroup"
    assert failed["status"] == 400 and failed["error_code"] == "InvalidGroup.NotFound"
    assert failed["principal"] == "arn:aws:iam::000000000000:root"
    assert len(failed["request_id"]) >= 32 and failed["duration_us"] >= 0
    ok = [json.loads(l) for l in wait_for_lines(n, lambda l: "GetCallerIdentity" in l)][0]
    assert ok["status"] == 200 and ok["error_code"] == "-" and ok["level"] == "INFO"


def test_text_lines_and_levels(make_nimbus):
    n = make_nimbus("--log-level", "warn")
    n.aws("sts", "get-caller-identity")
    time.sleep(0.3)
    assert not [l for l in list(n.log) if "GetCallerIdentity" in l], "info lines are off at warn"
    n2 = make_nimbus()
    n2.aws("sts", "get-caller-identity")
    line = wait_for_lines(n2, lambda l: "GetCallerIdentity" in l)[0]
    assert "INFO" in line and "status=200" in line and "service=\"sts\"" in line


def test_a_bad_level_is_refused(make_nimbus):
    with pytest.raises(RuntimeError) as e:
        make_nimbus("--log-level", "loud=[")
    assert "--log-level" in str(e.value)
