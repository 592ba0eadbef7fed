"""Security groups between instances, driven with the real `aws` CLI: two instances of one
VPC reach each other only where their groups allow — ingress naming another group, the
instance's own egress, rules revoked and authorized again on running instances, an instance
joining a group (modify-instance-attribute --groups). What an instance reaches is read from
inside it: its user data probes the web server's private address in a loop and prints each
result on the console, which the test reads with get-console-output. Every check waits for
a final condition with a generous deadline (never a sleep, never a race). Needs root and
`nft` (package nftables); elsewhere it skips, saying why."""

import re
import shutil
import time

import pytest

from conftest import unique

WEB_USER_DATA = """#!/bin/bash
yum install -y httpd
systemctl start httpd
echo "<h1>Hello World from $(hostname -f)</h1>" > /var/www/html/index.html
"""

# Each probe starts a new connection (a tracked one would outlive a revoked rule, as on AWS)
# and prints `probe N CODE`: CODE 000 = not reached (a dropped packet is a timeout).
PROBE_USER_DATA = """#!/bin/bash
n=0
while true; do
  n=$((n+1))
  code=$(curl -s -o /dev/null -w '%{{http_code}}' --connect-timeout 3 -m 5 http://{ip}/)
  echo "probe $n ${{code:-000}}"
  sleep 0.3
done
"""

PROBE = re.compile(r"^probe (\d+) (\d{3})\s*$", re.M)


@pytest.fixture
def n(make_nimbus, tmp_path):
    return make_nimbus(data_dir=tmp_path / "data")


def amzn2(n):
    out = n.aws("ssm", "get-parameter", "--name",
                "/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-gp2")
    return out["Parameter"]["Value"]


def skip_unless_supported(n, ami):
    p = n.aws_raw("ec2", "run-instances", "--image-id", ami, "--instance-type", "t2.micro",
                  "--count", "1", "--dry-run")
    if "(Unsupported)" in p.stderr:
        pytest.skip("this host cannot run instance sandboxes: " + p.stderr.strip())
    assert "(DryRunOperation)" in p.stderr, p.stderr
    if shutil.which("nft") is None:
        pytest.skip("security groups between instances need nft (package nftables)")


def group(n, vpc, name):
    return n.aws("ec2", "create-security-group", "--group-name", unique(name),
                 "--description", name, "--vpc-id", vpc)["GroupId"]


def launch(n, ami, sg, user_data):
    [i] = n.aws("ec2", "run-instances", "--image-id", ami, "--instance-type", "t2.micro",
                "--security-group-ids", sg, "--user-data", user_data)["Instances"]
    return i["InstanceId"]


def wait_state(n, iid, want, timeout=60):
    ec2 = n.client("ec2")
    deadline = time.time() + timeout
    while time.time() < deadline:
        r = ec2.describe_instances(InstanceIds=[iid])["Reservations"]
        if r and r[0]["Instances"][0]["State"]["Name"] == want:
            return r[0]["Instances"][0]
        time.sleep(0.1)
    raise AssertionError(f"{iid} never became {want}")


def probes(n, iid):
    """[(probe number, reached?)] of everything the instance printed so far."""
    # botocore decodes the base64 the API sends, as the CLI does.
    text = n.client("ec2").get_console_output(InstanceId=iid).get("Output") or ""
    return [(int(k), code != "000") for k, code in PROBE.findall(text)]


def last_number(n, iid):
    got = probes(n, iid)
    return got[-1][0] if got else 0


def wait_reached(n, iid, after, timeout=120):
    """Waits for a probe started after probe `after` finished that reached the server."""
    deadline = time.time() + timeout
    seen = []
    while time.time() < deadline:
        seen = probes(n, iid)
        if any(k > after + 1 and ok for k, ok in seen):
            return
        time.sleep(0.3)
    raise AssertionError(f"{iid} never reached the server after probe {after}: {seen[-5:]}")


def wait_refused(n, iid, after, timeout=120, runs=3):
    """Waits until `runs` consecutive probes, all started after probe `after` finished, were
    refused: the final condition of a change that closes the path."""
    deadline = time.time() + timeout
    seen = []
    while time.time() < deadline:
        seen = [(k, ok) for k, ok in probes(n, iid) if k > after + 1]
        tail = seen[-runs:]
        if len(tail) == runs and not any(ok for _, ok in tail):
            return
        time.sleep(0.3)
    raise AssertionError(f"{iid} still reached the server after probe {after}: {seen[-6:]}")


def test_instances_reach_each_other_only_where_their_groups_allow(n):
    ami = amzn2(n)
    skip_unless_supported(n, ami)
    vpc = n.aws("ec2", "describe-vpcs", "--filters", "Name=isDefault,Values=true")["Vpcs"][0]["VpcId"]
    web, client, other = group(n, vpc, "web"), group(n, vpc, "client"), group(n, vpc, "other")
    # The web server admits port 80 from members of the client group only.
    n.aws("ec2", "authorize-security-group-ingress", "--group-id", web, "--protocol", "tcp",
          "--port", "80", "--source-group", client)

    a = launch(n, ami, web, WEB_USER_DATA)
    a_ip = wait_state(n, a, "running")["PrivateIpAddress"]
    b = launch(n, ami, client, PROBE_USER_DATA.format(ip=a_ip))
    c = launch(n, ami, other, PROBE_USER_DATA.format(ip=a_ip))
    try:
        wait_state(n, b, "running")
        wait_state(n, c, "running")

        # B (in the client group) gets the page; C (not in it) never does.
        wait_reached(n, b, 0)
        wait_refused(n, c, last_number(n, c))
        assert not any(ok for _, ok in probes(n, c)), "C reached A though no rule admits it"

        # Revoking the rule closes the path for new connections from then on …
        n.aws("ec2", "revoke-security-group-ingress", "--group-id", web, "--protocol", "tcp",
              "--port", "80", "--source-group", client)
        wait_refused(n, b, last_number(n, b))
        # … and authorizing it again opens it.
        n.aws("ec2", "authorize-security-group-ingress", "--group-id", web, "--protocol", "tcp",
              "--port", "80", "--source-group", client)
        wait_reached(n, b, last_number(n, b))

        # Egress is the sender's: without its allow-all egress rule B cannot reach A, even
        # though A admits B.
        n.aws("ec2", "revoke-security-group-egress", "--group-id", client, "--protocol", "-1",
              "--cidr", "0.0.0.0/0")
        wait_refused(n, b, last_number(n, b))
        n.aws("ec2", "authorize-security-group-egress", "--group-id", client,
              "--ip-permissions", "IpProtocol=tcp,FromPort=80,ToPort=80,IpRanges=[{CidrIp=" + a_ip + "/32}]")
        wait_reached(n, b, last_number(n, b))

        # C joins the client group: A admits it from then on.
        n.aws("ec2", "modify-instance-attribute", "--instance-id", c, "--groups", client)
        wait_reached(n, c, last_number(n, c))
    finally:
        n.aws("ec2", "terminate-instances", "--instance-ids", a, b, c)
    for iid in (a, b, c):
        wait_state(n, iid, "terminated")
