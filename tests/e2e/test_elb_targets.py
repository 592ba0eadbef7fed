"""Elastic Load Balancing against the rest of Nimbus, end to end with the real aws CLI and
curl: the balancer's own security groups decide which clients its listener serves (a
group without a rule for port 80 → the connection is reset before any response; authorize
the rule → served; a rule for another source range does not let a loopback client in;
revoke → refused again), instance targets are checked against EC2 (an unknown instance →
InvalidTarget, a malformed id → ValidationError), and Auto Scaling groups attached to
target groups (`create-auto-scaling-group --target-group-arns`,
`attach-load-balancer-target-groups`, `attach-traffic-sources`) show them with their real
state in `describe-load-balancer-target-groups` and `describe-traffic-sources`.

Each test runs its own Nimbus with its own node network inside 127.80.0.0/16 (like
test_elbv2.py), so the first balancer's nodes are .1 and .2 of that /24. Backends are
local Python HTTP servers, stopped at teardown."""

import http.server
import random
import socketserver
import subprocess
import threading
import time

import pytest
from conftest import AwsCliError


class Backend:
    """A local HTTP server answering `hello from <name>`."""

    def __init__(self, name):
        body = f"hello from {name}".encode()

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), H)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def backend():
    b = Backend("A")
    yield b
    b.stop()


@pytest.fixture
def lab(make_nimbus):
    third = random.randint(1, 254)
    n = make_nimbus("--time-scale", "10", "--lb-network", f"127.80.{third}.0/24")
    return n, f"127.80.{third}"


def cli_error(n, *args):
    with pytest.raises(AwsCliError) as e:
        n.aws(*args)
    return e.value.stderr


def network(n):
    vpc = n.aws("ec2", "describe-vpcs", "--filters", "Name=is-default,Values=true")["Vpcs"][0]["VpcId"]
    subnets = n.aws("ec2", "describe-subnets", "--filters", f"Name=vpc-id,Values={vpc}")["Subnets"]
    subnets.sort(key=lambda s: s["AvailabilityZone"])
    return vpc, subnets


def curl(url):
    """(exit code, stdout) of a curl GET that prints the status line and body."""
    p = subprocess.run(["curl", "-s", "-i", "--noproxy", "*", "--max-time", "5", url],
                       capture_output=True, text=True, timeout=15)
    return p.returncode, p.stdout


def wait_for(pred, timeout=15, what="condition"):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = pred()
        if last:
            return last
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}; last: {last!r}")


def served(url):
    code, out = curl(url)
    return code == 0 and out.startswith("HTTP/1.1 200") and out.endswith("hello from A")


def refused(url):
    # The balancer resets the connection before any response (curl: 56 "connection reset"
    # or 52 "empty reply"); never an HTTP answer.
    code, out = curl(url)
    return code in (7, 52, 56) and "HTTP/" not in out


def test_the_balancers_security_group_decides_who_is_served(lab, backend):
    n, net = lab
    vpc, subnets = network(n)
    sg = n.aws("ec2", "create-security-group", "--group-name", "alb-sg", "--description", "alb",
               "--vpc-id", vpc)["GroupId"]
    # Only SSH is open: nothing for the listener's port.
    n.aws("ec2", "authorize-security-group-ingress", "--group-id", sg, "--protocol", "tcp",
          "--port", "22", "--cidr", "0.0.0.0/0")
    lb = n.aws("elbv2", "create-load-balancer", "--name", "sg-alb", "--subnets", subnets[0]["SubnetId"],
               subnets[1]["SubnetId"], "--security-groups", sg)["LoadBalancers"][0]
    tg = n.aws("elbv2", "create-target-group", "--name", "sg-tg", "--protocol", "HTTP", "--port", "80",
               "--vpc-id", vpc, "--target-type", "ip")["TargetGroups"][0]
    n.aws("elbv2", "create-listener", "--load-balancer-arn", lb["LoadBalancerArn"], "--protocol", "HTTP",
          "--port", "80", "--default-actions", f"Type=forward,TargetGroupArn={tg['TargetGroupArn']}")
    n.aws("elbv2", "register-targets", "--target-group-arn", tg["TargetGroupArn"], "--targets",
          f"Id=127.0.0.1,Port={backend.port}")
    url = f"http://{net}.1/"

    # The listener is bound (a TCP connect succeeds) but serves nobody.
    def bound():
        code, _ = curl(url)
        return code != 7
    wait_for(bound, what="the listener to bind")
    assert refused(url)
    assert refused(f"http://{net}.2/")

    # A rule for port 80 from a range that does not hold 127.0.0.1: still refused.
    n.aws("ec2", "authorize-security-group-ingress", "--group-id", sg, "--protocol", "tcp",
          "--port", "80", "--cidr", "10.0.0.0/8")
    time.sleep(2.5)  # more than the refresh period: the rule has reached the listener
    assert refused(url)

    # From anywhere: 0.0.0.0/0 holds loopback clients too.
    n.aws("ec2", "authorize-security-group-ingress", "--group-id", sg, "--protocol", "tcp",
          "--port", "80", "--cidr", "0.0.0.0/0")
    wait_for(lambda: served(url), what="the rule to let the client in")
    assert served(f"http://{net}.2/")

    # Revoked: refused again.
    n.aws("ec2", "revoke-security-group-ingress", "--group-id", sg, "--protocol", "tcp",
          "--port", "80", "--cidr", "0.0.0.0/0")
    wait_for(lambda: refused(url), what="the revoked rule to refuse the client")

    # A loopback range on a port range that holds 80 lets it in as well.
    n.aws("ec2", "authorize-security-group-ingress", "--group-id", sg, "--ip-permissions",
          "IpProtocol=tcp,FromPort=79,ToPort=81,IpRanges=[{CidrIp=127.0.0.0/8}]")
    wait_for(lambda: served(url), what="the 127.0.0.0/8 rule to let the client in")


def test_a_balancer_without_groups_gets_the_vpcs_default_group(lab, backend):
    # An ALB created without --security-groups gets the VPC's default group, whose only
    # ingress rule admits members of the group itself: a client on this machine is not one.
    n, net = lab
    vpc, subnets = network(n)
    lb = n.aws("elbv2", "create-load-balancer", "--name", "default-alb", "--subnets",
               subnets[0]["SubnetId"], subnets[1]["SubnetId"])["LoadBalancers"][0]
    [default_sg] = lb["SecurityGroups"]
    tg = n.aws("elbv2", "create-target-group", "--name", "default-tg", "--protocol", "HTTP", "--port", "80",
               "--vpc-id", vpc, "--target-type", "ip")["TargetGroups"][0]
    n.aws("elbv2", "create-listener", "--load-balancer-arn", lb["LoadBalancerArn"], "--protocol", "HTTP",
          "--port", "80", "--default-actions", f"Type=forward,TargetGroupArn={tg['TargetGroupArn']}")
    n.aws("elbv2", "register-targets", "--target-group-arn", tg["TargetGroupArn"], "--targets",
          f"Id=127.0.0.1,Port={backend.port}")
    url = f"http://{net}.1/"
    wait_for(lambda: curl(url)[0] != 7, what="the listener to bind")
    assert refused(url)
    n.aws("ec2", "authorize-security-group-ingress", "--group-id", default_sg, "--protocol", "tcp",
          "--port", "80", "--cidr", "127.0.0.1/32")
    wait_for(lambda: served(url), what="the default group's new rule to let the client in")


def test_instance_targets_are_checked_against_ec2(lab):
    n, _ = lab
    vpc, _ = network(n)
    tg = n.aws("elbv2", "create-target-group", "--name", "inst-tg", "--protocol", "HTTP", "--port", "80",
               "--vpc-id", vpc)["TargetGroups"][0]
    assert tg["TargetType"] == "instance"
    arn = tg["TargetGroupArn"]
    err = cli_error(n, "elbv2", "register-targets", "--target-group-arn", arn, "--targets",
                    "Id=i-0123456789abcdef0", "Id=i-0123456789abcdef1")
    assert "(InvalidTarget)" in err
    assert "The following instances do not exist: 'i-0123456789abcdef0', 'i-0123456789abcdef1'" in err
    err = cli_error(n, "elbv2", "register-targets", "--target-group-arn", arn, "--targets", "Id=10.0.0.5")
    assert "(ValidationError)" in err and "Instance ID '10.0.0.5' is not valid" in err
    health = n.aws("elbv2", "describe-target-health", "--target-group-arn", arn)
    assert health["TargetHealthDescriptions"] == []


def test_auto_scaling_groups_attach_real_target_groups(lab):
    n, _ = lab
    vpc, subnets = network(n)
    tgs = [n.aws("elbv2", "create-target-group", "--name", name, "--protocol", "HTTP", "--port", "80",
                 "--vpc-id", vpc)["TargetGroups"][0]["TargetGroupArn"] for name in ("asg-tg-1", "asg-tg-2")]
    n.aws("autoscaling", "create-launch-configuration", "--launch-configuration-name", "web-lc",
          "--image-id", "ami-0abcdef1234567890", "--instance-type", "t2.micro")
    n.aws("autoscaling", "create-auto-scaling-group", "--auto-scaling-group-name", "web",
          "--launch-configuration-name", "web-lc", "--min-size", "0", "--max-size", "2",
          "--desired-capacity", "0", "--vpc-zone-identifier",
          f"{subnets[0]['SubnetId']},{subnets[1]['SubnetId']}",
          "--health-check-type", "ELB", "--health-check-grace-period", "300",
          "--target-group-arns", tgs[0])
    g = n.aws("autoscaling", "describe-auto-scaling-groups", "--auto-scaling-group-names", "web")[
        "AutoScalingGroups"][0]
    assert g["TargetGroupARNs"] == [tgs[0]] and g["HealthCheckType"] == "ELB"
    n.aws("autoscaling", "attach-load-balancer-target-groups", "--auto-scaling-group-name", "web",
          "--target-group-arns", tgs[1])
    out = n.aws("autoscaling", "describe-load-balancer-target-groups", "--auto-scaling-group-name", "web")
    # No instance has passed an ELB health check (none runs): Added, not InService.
    assert {(t["LoadBalancerTargetGroupARN"], t["State"]) for t in out["LoadBalancerTargetGroups"]} == {
        (tgs[0], "Added"), (tgs[1], "Added")}
    out = n.aws("autoscaling", "describe-traffic-sources", "--auto-scaling-group-name", "web")
    assert sorted((t["Identifier"], t["Type"], t["State"]) for t in out["TrafficSources"]) == sorted(
        [(tgs[0], "elbv2", "Added"), (tgs[1], "elbv2", "Added")])
    out = n.aws("autoscaling", "describe-traffic-sources", "--auto-scaling-group-name", "web",
                "--traffic-source-type", "elb")
    assert out["TrafficSources"] == []
    # A target group ELB does not know is refused, with AWS's wording.
    missing = tgs[0].rsplit("/", 1)[0] + "/0123456789abcdef"
    err = cli_error(n, "autoscaling", "attach-load-balancer-target-groups", "--auto-scaling-group-name", "web",
                    "--target-group-arns", missing.replace("asg-tg-1", "nope"))
    assert "(ValidationError)" in err and "Provided Target Groups may not be valid" in err
    n.aws("autoscaling", "detach-load-balancer-target-groups", "--auto-scaling-group-name", "web",
          "--target-group-arns", tgs[0])
    out = n.aws("autoscaling", "describe-load-balancer-target-groups", "--auto-scaling-group-name", "web")
    assert [t["LoadBalancerTargetGroupARN"] for t in out["LoadBalancerTargetGroups"]] == [tgs[1]]
    # The same through the traffic source operations (target groups are `elbv2` sources).
    n.aws("autoscaling", "attach-traffic-sources", "--auto-scaling-group-name", "web",
          "--traffic-sources", f"Identifier={tgs[0]},Type=elbv2")
    out = n.aws("autoscaling", "describe-traffic-sources", "--auto-scaling-group-name", "web")
    assert sorted(t["Identifier"] for t in out["TrafficSources"]) == sorted(tgs)
    n.aws("autoscaling", "detach-traffic-sources", "--auto-scaling-group-name", "web",
          "--traffic-sources", f"Identifier={tgs[1]},Type=elbv2")
    out = n.aws("autoscaling", "describe-traffic-sources", "--auto-scaling-group-name", "web")
    assert [t["Identifier"] for t in out["TrafficSources"]] == [tgs[0]]
    err = cli_error(n, "autoscaling", "attach-traffic-sources", "--auto-scaling-group-name", "web",
                    "--traffic-sources", "Identifier=my-classic-lb,Type=elb")
    assert "(NotImplemented)" in err
