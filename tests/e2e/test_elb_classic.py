"""Classic Load Balancers (`aws elb`) end to end with the real aws CLI and curl: the control
plane's shapes and errors (describe's full description, DNS name format, idempotent create,
LoadBalancerNotFound / DuplicateLoadBalancerName / ListenerNotFound / PolicyNotFound /
InvalidInstance, attributes with cross-zone off by default, policies, tags), and — on hosts
that run instance sandboxes — real traffic: an HTTP listener in front of two instances
running the seed's httpd in two zones, health checks turning them InService, each node
keeping to its own zone until cross-zone is switched on, round robin, `AWSELB` stickiness,
a failing health check taking them OutOfService with AWS's reason, and connection
draining. Each test runs its own Nimbus on its own /24 of the node network (as
test_elb_targets.py), so a balancer's nodes are .1 and .2 of it."""

import json
import random
import subprocess
import time

import pytest
from conftest import AwsCliError, unique

SEED_USER_DATA = """#!/bin/bash
yum update -y
yum install -y httpd
systemctl start httpd
systemctl enable httpd
echo "<h1>Hello World from $(hostname -f)</h1>" > /var/www/html/index.html
"""


@pytest.fixture
def lab(make_nimbus, tmp_path):
    third = random.randint(1, 254)
    n = make_nimbus("--time-scale", "2", "--lb-network", f"127.80.{third}.0/24",
                    data_dir=tmp_path / "data")
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


def wait_for(pred, timeout=60, what="condition", every=0.2):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = pred()
        if last:
            return last
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}; last: {last!r}")


def curl(url, *extra):
    p = subprocess.run(["curl", "-s", "-i", "--noproxy", "*", "--max-time", "10", *extra, url],
                       capture_output=True, text=True, timeout=30)
    return p.returncode, p.stdout


def page(url, *extra):
    """The body of a complete 200 answer naming its host, or None."""
    code, out = curl(url, *extra)
    if code != 0 or not out.startswith("HTTP/1.1 200") or "</h1>" not in out:
        return None
    head, sep, body = out.replace("\r\n", "\n").partition("\n\n")
    return body if sep else None


def test_the_control_plane_speaks_aws(lab):
    n, _ = lab
    vpc, subnets = network(n)
    name = "classic-cp"
    listeners = ["Protocol=HTTP,LoadBalancerPort=80,InstanceProtocol=HTTP,InstancePort=8080"]
    dns = n.aws("elb", "create-load-balancer", "--load-balancer-name", name, "--listeners", *listeners,
                "--subnets", subnets[0]["SubnetId"], subnets[1]["SubnetId"],
                "--tags", "Key=team,Value=web")["DNSName"]
    assert dns.startswith(f"{name}-") and dns.endswith(".us-east-1.elb.amazonaws.com"), dns
    digits = dns[len(name) + 1:].split(".")[0]
    assert len(digits) == 10 and digits.isdigit()
    # The same settings again: the same balancer; other settings: a duplicate.
    again = n.aws("elb", "create-load-balancer", "--load-balancer-name", name, "--listeners", *listeners,
                  "--subnets", subnets[0]["SubnetId"], subnets[1]["SubnetId"])
    assert again["DNSName"] == dns
    err = cli_error(n, "elb", "create-load-balancer", "--load-balancer-name", name, "--listeners",
                    "Protocol=TCP,LoadBalancerPort=25,InstancePort=25", "--subnets", subnets[0]["SubnetId"])
    assert "DuplicateLoadBalancerName" in err

    [d] = n.aws("elb", "describe-load-balancers", "--load-balancer-names", name)["LoadBalancerDescriptions"]
    assert d["DNSName"] == dns and d["CanonicalHostedZoneName"] == dns
    assert d["CanonicalHostedZoneNameID"] == "Z35SXDOTRQ7X7K"
    assert d["Scheme"] == "internet-facing" and d["VPCId"] == vpc
    assert d["ListenerDescriptions"] == [{"Listener": {"Protocol": "HTTP", "LoadBalancerPort": 80,
                                                       "InstanceProtocol": "HTTP", "InstancePort": 8080},
                                          "PolicyNames": []}]
    assert d["HealthCheck"] == {"Target": "TCP:8080", "Interval": 30, "Timeout": 5,
                                "UnhealthyThreshold": 2, "HealthyThreshold": 10}
    assert sorted(d["Subnets"]) == sorted([subnets[0]["SubnetId"], subnets[1]["SubnetId"]])
    assert d["AvailabilityZones"] == [subnets[0]["AvailabilityZone"], subnets[1]["AvailabilityZone"]]
    assert d["Instances"] == [] and len(d["SecurityGroups"]) == 1
    assert d["Policies"] == {"AppCookieStickinessPolicies": [], "LBCookieStickinessPolicies": [],
                             "OtherPolicies": []}
    # Each node holds an interface in its subnet, as on AWS.
    enis = n.aws("ec2", "describe-network-interfaces", "--filters",
                 f"Name=description,Values=ELB {name}")["NetworkInterfaces"]
    assert len(enis) == 2 and all(e["RequesterId"] == "amazon-elb" for e in enis)

    err = cli_error(n, "elb", "describe-load-balancers", "--load-balancer-names", "nope")
    assert "LoadBalancerNotFound" in err and "There is no ACTIVE Load Balancer named 'nope'" in err

    # Attributes: cross-zone off, draining off (300 s), idle 60 s by default.
    a = n.aws("elb", "describe-load-balancer-attributes", "--load-balancer-name", name)["LoadBalancerAttributes"]
    assert a["CrossZoneLoadBalancing"] == {"Enabled": False}
    assert a["ConnectionDraining"] == {"Enabled": False, "Timeout": 300}
    assert a["ConnectionSettings"] == {"IdleTimeout": 60}
    assert a["AccessLog"]["Enabled"] is False
    m = n.aws("elb", "modify-load-balancer-attributes", "--load-balancer-name", name,
              "--load-balancer-attributes",
              json.dumps({"CrossZoneLoadBalancing": {"Enabled": True},
                          "ConnectionDraining": {"Enabled": True, "Timeout": 30},
                          "ConnectionSettings": {"IdleTimeout": 120}}))
    assert m["LoadBalancerAttributes"]["ConnectionDraining"] == {"Enabled": True, "Timeout": 30}
    err = cli_error(n, "elb", "modify-load-balancer-attributes", "--load-balancer-name", name,
                    "--load-balancer-attributes", json.dumps({"ConnectionDraining": {"Enabled": True, "Timeout": 0}}))
    assert "ValidationError" in err
    err = cli_error(n, "elb", "modify-load-balancer-attributes", "--load-balancer-name", name,
                    "--load-balancer-attributes",
                    json.dumps({"AccessLog": {"Enabled": True, "S3BucketName": "logs", "EmitInterval": 5}}))
    assert "InvalidConfigurationRequest" in err and "not supported by Nimbus" in err

    # Health check target syntax.
    h = n.aws("elb", "configure-health-check", "--load-balancer-name", name, "--health-check",
              "Target=HTTP:8080/index.html,Interval=10,Timeout=5,UnhealthyThreshold=2,HealthyThreshold=3")
    assert h["HealthCheck"]["Target"] == "HTTP:8080/index.html"
    err = cli_error(n, "elb", "configure-health-check", "--load-balancer-name", name, "--health-check",
                    "Target=HTTP:8080,Interval=10,Timeout=5,UnhealthyThreshold=2,HealthyThreshold=3")
    assert "ValidationError" in err

    # Stickiness policies on the listener.
    n.aws("elb", "create-lb-cookie-stickiness-policy", "--load-balancer-name", name, "--policy-name",
          "sticky", "--cookie-expiration-period", "60")
    n.aws("elb", "create-app-cookie-stickiness-policy", "--load-balancer-name", name, "--policy-name",
          "app", "--cookie-name", "SESSION")
    err = cli_error(n, "elb", "create-lb-cookie-stickiness-policy", "--load-balancer-name", name,
                    "--policy-name", "sticky")
    assert "DuplicatePolicyName" in err
    n.aws("elb", "set-load-balancer-policies-of-listener", "--load-balancer-name", name,
          "--load-balancer-port", "80", "--policy-names", "sticky")
    assert "ListenerNotFound" in cli_error(n, "elb", "set-load-balancer-policies-of-listener",
                                           "--load-balancer-name", name, "--load-balancer-port", "81",
                                           "--policy-names", "sticky")
    assert "PolicyNotFound" in cli_error(n, "elb", "set-load-balancer-policies-of-listener",
                                         "--load-balancer-name", name, "--load-balancer-port", "80",
                                         "--policy-names", "missing")
    [d] = n.aws("elb", "describe-load-balancers", "--load-balancer-names", name)["LoadBalancerDescriptions"]
    assert d["ListenerDescriptions"][0]["PolicyNames"] == ["sticky"]
    assert d["Policies"]["LBCookieStickinessPolicies"] == [{"PolicyName": "sticky", "CookieExpirationPeriod": 60}]
    assert d["Policies"]["AppCookieStickinessPolicies"] == [{"PolicyName": "app", "CookieName": "SESSION"}]
    pol = n.aws("elb", "describe-load-balancer-policies", "--load-balancer-name", name,
                "--policy-names", "app")["PolicyDescriptions"]
    assert pol == [{"PolicyName": "app", "PolicyTypeName": "AppCookieStickinessPolicyType",
                    "PolicyAttributeDescriptions": [{"AttributeName": "CookieName", "AttributeValue": "SESSION"}]}]
    assert "InvalidConfigurationRequest" in cli_error(n, "elb", "delete-load-balancer-policy",
                                                      "--load-balancer-name", name, "--policy-name", "sticky")

    # Listeners.
    n.aws("elb", "create-load-balancer-listeners", "--load-balancer-name", name, "--listeners",
          "Protocol=TCP,LoadBalancerPort=2525,InstancePort=25")
    assert "DuplicateListener" in cli_error(n, "elb", "create-load-balancer-listeners", "--load-balancer-name",
                                            name, "--listeners", "Protocol=TCP,LoadBalancerPort=2525,InstancePort=26")
    assert "CertificateNotFound" in cli_error(
        n, "elb", "create-load-balancer-listeners", "--load-balancer-name", name, "--listeners",
        "Protocol=HTTPS,LoadBalancerPort=443,InstancePort=80,SSLCertificateId="
        "arn:aws:acm:us-east-1:000000000000:certificate/00000000-0000-0000-0000-000000000000")
    n.aws("elb", "delete-load-balancer-listeners", "--load-balancer-name", name, "--load-balancer-ports", "2525")
    [d] = n.aws("elb", "describe-load-balancers", "--load-balancer-names", name)["LoadBalancerDescriptions"]
    assert [x["Listener"]["LoadBalancerPort"] for x in d["ListenerDescriptions"]] == [80]

    # Instances: unknown and malformed ids are InvalidInstance.
    err = cli_error(n, "elb", "register-instances-with-load-balancer", "--load-balancer-name", name,
                    "--instances", "i-0123456789abcdef0")
    assert "InvalidInstance" in err and "i-0123456789abcdef0" in err
    assert "InvalidInstance" in cli_error(n, "elb", "register-instances-with-load-balancer",
                                          "--load-balancer-name", name, "--instances", "bogus")

    # Tags.
    n.aws("elb", "add-tags", "--load-balancer-names", name, "--tags", "Key=env,Value=test")
    n.aws("elb", "remove-tags", "--load-balancer-names", name, "--tags", "team")
    [t] = n.aws("elb", "describe-tags", "--load-balancer-names", name)["TagDescriptions"]
    assert t == {"LoadBalancerName": name, "Tags": [{"Key": "env", "Value": "test"}]}

    # Availability zones instead of subnets mean their default subnets.
    az = n.aws("elb", "create-load-balancer", "--load-balancer-name", "classic-az", "--listeners",
               "Protocol=TCP,LoadBalancerPort=80,InstancePort=80", "--availability-zones",
               subnets[0]["AvailabilityZone"], "--scheme", "internal")
    assert az["DNSName"].startswith("internal-classic-az-")
    [d] = n.aws("elb", "describe-load-balancers", "--load-balancer-names", "classic-az")["LoadBalancerDescriptions"]
    assert d["Subnets"] == [subnets[0]["SubnetId"]] and d["Scheme"] == "internal"

    # Deleting is idempotent and takes the node interfaces.
    n.aws("elb", "delete-load-balancer", "--load-balancer-name", name)
    n.aws("elb", "delete-load-balancer", "--load-balancer-name", name)
    assert [x["LoadBalancerName"] for x in
            n.aws("elb", "describe-load-balancers")["LoadBalancerDescriptions"]] == ["classic-az"]
    assert n.aws("ec2", "describe-network-interfaces", "--filters",
                 f"Name=description,Values=ELB {name}")["NetworkInterfaces"] == []


def amzn2(n):
    return n.aws("ssm", "get-parameter", "--name",
                 "/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-gp2")["Parameter"]["Value"]


def skip_unless_supported(n):
    p = n.aws_raw("ec2", "run-instances", "--image-id", amzn2(n), "--instance-type", "t2.micro",
                  "--count", "1", "--dry-run")
    if "(Unsupported)" in p.stderr:
        pytest.skip("this host cannot run instance sandboxes: " + p.stderr.strip())


def health(n, name):
    return {s["InstanceId"]: s for s in
            n.aws("elb", "describe-instance-health", "--load-balancer-name", name)["InstanceStates"]}


def wait_health(n, name, want, timeout=120):
    """Polls describe-instance-health until every instance reads `want`."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = health(n, name)
        if last and all(s["State"] == want for s in last.values()):
            return last
        time.sleep(0.5)
    raise AssertionError(f"instances never all {want}: {last}")


def test_a_classic_balancer_carries_traffic_to_instances(lab):
    n, net = lab
    skip_unless_supported(n)
    vpc, subnets = network(n)
    sg = n.aws("ec2", "create-security-group", "--group-name", unique("web"), "--description", "web",
               "--vpc-id", vpc)["GroupId"]
    n.aws("ec2", "authorize-security-group-ingress", "--group-id", sg, "--protocol", "tcp",
          "--port", "80", "--cidr", "0.0.0.0/0")
    # The CLI base64-encodes --user-data itself.
    user_data = SEED_USER_DATA
    ids = []
    for s in subnets[:2]:
        r = n.aws("ec2", "run-instances", "--image-id", amzn2(n), "--instance-type", "t2.micro",
                  "--subnet-id", s["SubnetId"], "--security-group-ids", sg, "--user-data", user_data)
        ids.append(r["Instances"][0]["InstanceId"])
    name = "classic-web"
    n.aws("elb", "create-load-balancer", "--load-balancer-name", name, "--listeners",
          "Protocol=HTTP,LoadBalancerPort=80,InstanceProtocol=HTTP,InstancePort=80",
          "--subnets", subnets[0]["SubnetId"], subnets[1]["SubnetId"], "--security-groups", sg)
    n.aws("elb", "configure-health-check", "--load-balancer-name", name, "--health-check",
          "Target=HTTP:80/index.html,Interval=10,Timeout=9,UnhealthyThreshold=2,HealthyThreshold=2")

    def running():
        r = n.aws("ec2", "describe-instances", "--instance-ids", *ids)["Reservations"]
        return all(i["State"]["Name"] == "running" for x in r for i in x["Instances"])
    wait_for(running, what="both instances to run")
    out = n.aws("elb", "register-instances-with-load-balancer", "--load-balancer-name", name,
                "--instances", *ids)
    assert sorted(i["InstanceId"] for i in out["Instances"]) == sorted(ids)

    wait_health(n, name, "InService")
    assert all(s["ReasonCode"] == "N/A" and s["Description"] == "N/A" for s in health(n, name).values())

    # Cross-zone off (the default): each node routes to the instance in its own zone only.
    node_a, node_b = f"http://{net}.1/", f"http://{net}.2/"
    first_a = wait_for(lambda: page(node_a), what="node a to serve")
    first_b = wait_for(lambda: page(node_b), what="node b to serve")
    assert first_a != first_b, "the two zones' instances name different hosts"
    for _ in range(6):
        assert page(node_a) == first_a and page(node_b) == first_b

    # Cross-zone on: one node round-robins over both instances.
    n.aws("elb", "modify-load-balancer-attributes", "--load-balancer-name", name,
          "--load-balancer-attributes", json.dumps({"CrossZoneLoadBalancing": {"Enabled": True}}))
    seen = wait_for(lambda: {page(node_a) for _ in range(4)} >= {first_a, first_b} or None,
                    what="node a to reach both zones")
    assert seen

    # AWSELB stickiness: the cookie keeps a client on one instance.
    n.aws("elb", "create-lb-cookie-stickiness-policy", "--load-balancer-name", name,
          "--policy-name", "sticky")
    n.aws("elb", "set-load-balancer-policies-of-listener", "--load-balancer-name", name,
          "--load-balancer-port", "80", "--policy-names", "sticky")

    def cookie():
        code, out = curl(node_a)
        for line in out.splitlines():
            if line.lower().startswith("set-cookie: awselb="):
                return line.split(":", 1)[1].strip().split(";")[0]
        return None
    awselb = wait_for(cookie, what="the AWSELB cookie")
    stuck = page(node_a, "-H", f"Cookie: {awselb}")
    assert stuck
    for _ in range(6):
        assert page(node_a, "-H", f"Cookie: {awselb}") == stuck

    # A health check that fails (no such page: 404) takes both out of service.
    n.aws("elb", "configure-health-check", "--load-balancer-name", name, "--health-check",
          "Target=HTTP:80/missing.html,Interval=10,Timeout=9,UnhealthyThreshold=2,HealthyThreshold=2")
    wait_health(n, name, "OutOfService")
    for s in health(n, name).values():
        assert s["ReasonCode"] == "Instance"
        assert s["Description"] == ("Instance has failed at least the UnhealthyThreshold number "
                                    "of health checks consecutively.")
    n.aws("elb", "configure-health-check", "--load-balancer-name", name, "--health-check",
          "Target=HTTP:80/index.html,Interval=10,Timeout=9,UnhealthyThreshold=2,HealthyThreshold=2")
    wait_health(n, name, "InService")

    # Connection draining: a deregistered instance drains (reported in service, in
    # deregistration) and gets no new requests; the other takes them all.
    n.aws("elb", "set-load-balancer-policies-of-listener", "--load-balancer-name", name,
          "--load-balancer-port", "80", "--policy-names")
    n.aws("elb", "modify-load-balancer-attributes", "--load-balancer-name", name,
          "--load-balancer-attributes", json.dumps({"ConnectionDraining": {"Enabled": True, "Timeout": 300}}))
    gone, kept = ids
    left = n.aws("elb", "deregister-instances-from-load-balancer", "--load-balancer-name", name,
                 "--instances", gone)["Instances"]
    assert left == [{"InstanceId": kept}]
    h = health(n, name)
    assert h[gone]["Description"] == "Instance deregistration currently in progress."
    kept_page = wait_for(lambda: page(node_b), what="node b to serve")
    for _ in range(6):
        assert page(node_a) == kept_page and page(node_b) == kept_page
    [d] = n.aws("elb", "describe-load-balancers", "--load-balancer-names", name)["LoadBalancerDescriptions"]
    assert d["Instances"] == [{"InstanceId": kept}]

    # The balancer's requests reach CloudWatch as AWS/ELB metrics each minute.
    wait_for(lambda: stats(n, "AWS/ELB", "RequestCount", [("LoadBalancerName", name)]) > 0,
             timeout=120, what="AWS/ELB RequestCount")
    assert stats(n, "AWS/ELB", "HTTPCode_Backend_2XX", [("LoadBalancerName", name)]) > 0

    n.aws("elb", "delete-load-balancer", "--load-balancer-name", name)
    n.aws("ec2", "terminate-instances", "--instance-ids", *ids)


def test_an_auto_scaling_group_registers_with_its_classic_balancer(lab):
    n, net = lab
    vpc, subnets = network(n)
    name = "classic-asg"
    # The VPC's default group lets in only its own members: the balancer gets a web group.
    sg = n.aws("ec2", "create-security-group", "--group-name", unique("web"), "--description", "web",
               "--vpc-id", vpc)["GroupId"]
    n.aws("ec2", "authorize-security-group-ingress", "--group-id", sg, "--protocol", "tcp",
          "--port", "80", "--cidr", "0.0.0.0/0")
    n.aws("elb", "create-load-balancer", "--load-balancer-name", name, "--listeners",
          "Protocol=HTTP,LoadBalancerPort=80,InstanceProtocol=HTTP,InstancePort=80",
          "--subnets", subnets[0]["SubnetId"], "--security-groups", sg)
    lc = unique("lc")
    n.aws("autoscaling", "create-launch-configuration", "--launch-configuration-name", lc,
          "--image-id", amzn2(n), "--instance-type", "t2.micro")
    err = cli_error(n, "autoscaling", "create-auto-scaling-group", "--auto-scaling-group-name", "bad",
                    "--launch-configuration-name", lc, "--min-size", "0", "--max-size", "1",
                    "--vpc-zone-identifier", subnets[0]["SubnetId"], "--load-balancer-names", "nope")
    assert "ValidationError" in err and "Provided Load Balancers may not be valid" in err

    # Attach/Detach/DescribeLoadBalancers on a group without instances.
    g0 = unique("asg0")
    n.aws("autoscaling", "create-auto-scaling-group", "--auto-scaling-group-name", g0,
          "--launch-configuration-name", lc, "--min-size", "0", "--max-size", "1",
          "--vpc-zone-identifier", subnets[0]["SubnetId"])
    n.aws("autoscaling", "attach-load-balancers", "--auto-scaling-group-name", g0,
          "--load-balancer-names", name)
    lbs = n.aws("autoscaling", "describe-load-balancers", "--auto-scaling-group-name", g0)["LoadBalancers"]
    assert lbs == [{"LoadBalancerName": name, "State": "Added"}]
    [grp] = n.aws("autoscaling", "describe-auto-scaling-groups", "--auto-scaling-group-names",
                  g0)["AutoScalingGroups"]
    assert grp["LoadBalancerNames"] == [name]
    n.aws("autoscaling", "detach-load-balancers", "--auto-scaling-group-name", g0,
          "--load-balancer-names", name)
    assert n.aws("autoscaling", "describe-load-balancers", "--auto-scaling-group-name", g0)["LoadBalancers"] == []
    n.aws("autoscaling", "delete-auto-scaling-group", "--auto-scaling-group-name", g0, "--force-delete")

    # A group launching a real instance registers it with the balancer once InService, and
    # the balancer's health checks take it into service.
    skip_unless_supported(n)
    data = {"ImageId": amzn2(n), "InstanceType": "t2.micro", "SecurityGroupIds": [sg],
            "UserData": __import__("base64").b64encode(SEED_USER_DATA.encode()).decode()}
    lt = n.aws("ec2", "create-launch-template", "--launch-template-name", unique("lt"),
               "--launch-template-data", json.dumps(data))["LaunchTemplate"]["LaunchTemplateId"]
    n.aws("elb", "configure-health-check", "--load-balancer-name", name, "--health-check",
          "Target=HTTP:80/index.html,Interval=10,Timeout=9,UnhealthyThreshold=2,HealthyThreshold=2")
    g = unique("asg")
    n.aws("autoscaling", "create-auto-scaling-group", "--auto-scaling-group-name", g,
          "--launch-template", f"LaunchTemplateId={lt},Version=$Latest", "--min-size", "1",
          "--max-size", "1", "--desired-capacity", "1", "--vpc-zone-identifier", subnets[0]["SubnetId"],
          "--load-balancer-names", name, "--health-check-type", "ELB", "--health-check-grace-period", "300")
    states = wait_health(n, name, "InService", timeout=180)
    [iid] = states
    [grp] = n.aws("autoscaling", "describe-auto-scaling-groups", "--auto-scaling-group-names", g)["AutoScalingGroups"]
    assert [i["InstanceId"] for i in grp["Instances"]] == [iid]
    wait_for(lambda: n.aws("autoscaling", "describe-load-balancers", "--auto-scaling-group-name", g)
             ["LoadBalancers"] == [{"LoadBalancerName": name, "State": "InService"}],
             what="the balancer InService for the group")
    body = wait_for(lambda: page(f"http://{net}.1/"), what="the balancer to serve the group's instance")
    assert "Hello World from ip-" in body
    n.aws("autoscaling", "delete-auto-scaling-group", "--auto-scaling-group-name", g, "--force-delete")


class Backend:
    """A local HTTP server answering 200 `hello`."""

    def __init__(self):
        import http.server
        import socketserver
        import threading

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Length", "5")
                self.end_headers()
                self.wfile.write(b"hello")

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


def stats(n, namespace, metric, dims, statistic="Sum"):
    now = time.time()
    out = n.aws("cloudwatch", "get-metric-statistics", "--namespace", namespace, "--metric-name", metric,
                "--dimensions", *[f"Name={k},Value={v}" for k, v in dims],
                "--start-time", str(int(now - 7200)), "--end-time", str(int(now + 7200)),
                "--period", "3600", "--statistics", statistic)["Datapoints"]
    return sum(d[statistic] for d in out)


def test_load_balancer_metrics_reach_cloudwatch(make_nimbus):
    third = random.randint(1, 254)
    n = make_nimbus("--time-scale", "60", "--lb-network", f"127.80.{third}.0/24")
    backend = Backend()
    try:
        vpc, subnets = network(n)
        sg = n.aws("ec2", "create-security-group", "--group-name", "m", "--description", "m",
                   "--vpc-id", vpc)["GroupId"]
        n.aws("ec2", "authorize-security-group-ingress", "--group-id", sg, "--protocol", "tcp",
              "--port", "80", "--cidr", "0.0.0.0/0")
        lb = n.aws("elbv2", "create-load-balancer", "--name", "metrics-alb", "--security-groups", sg,
                   "--subnets", subnets[0]["SubnetId"], subnets[1]["SubnetId"])["LoadBalancers"][0]
        tg = n.aws("elbv2", "create-target-group", "--name", "metrics-tg", "--protocol", "HTTP",
                   "--port", "80", "--vpc-id", vpc, "--target-type", "ip")["TargetGroups"][0]
        n.aws("elbv2", "create-listener", "--load-balancer-arn", lb["LoadBalancerArn"], "--protocol", "HTTP",
              "--port", "80", "--default-actions", f"Type=forward,TargetGroupArn={tg['TargetGroupArn']}")
        n.aws("elbv2", "register-targets", "--target-group-arn", tg["TargetGroupArn"], "--targets",
              f"Id=127.0.0.1,Port={backend.port}")
        url = f"http://127.80.{third}.1/"
        answered = 0
        ok = 0
        deadline = time.time() + 60
        while ok < 5 and time.time() < deadline:
            code, out = curl(url)
            if out.startswith("HTTP/"):
                answered += 1
            if out.startswith("HTTP/1.1 200"):
                ok += 1
            else:
                time.sleep(0.2)
        assert ok == 5
        lb_dim = ("LoadBalancer", lb["LoadBalancerArn"].split(":loadbalancer/")[1])
        tg_dim = ("TargetGroup", tg["TargetGroupArn"].split(":")[-1])
        assert lb_dim[1].startswith("app/metrics-alb/") and tg_dim[1].startswith("targetgroup/metrics-tg/")
        # A minute of Nimbus time is a second here: the counts arrive within a few.
        wait_for(lambda: stats(n, "AWS/ApplicationELB", "RequestCount", [lb_dim]) == answered,
                 what="RequestCount by load balancer")
        assert stats(n, "AWS/ApplicationELB", "HTTPCode_Target_2XX_Count", [lb_dim]) == 5
        assert stats(n, "AWS/ApplicationELB", "RequestCount", [tg_dim, lb_dim]) == 5
        assert stats(n, "AWS/ApplicationELB", "RequestCountPerTarget", [tg_dim]) == 5
        assert stats(n, "AWS/ApplicationELB", "TargetResponseTime", [lb_dim], "Average") > 0
        wait_for(lambda: stats(n, "AWS/ApplicationELB", "HealthyHostCount", [tg_dim, lb_dim], "Maximum") == 1,
                 what="HealthyHostCount")
        names = {m["MetricName"] for m in n.aws("cloudwatch", "list-metrics", "--namespace",
                                                 "AWS/ApplicationELB")["Metrics"]}
        assert {"RequestCount", "HTTPCode_Target_2XX_Count", "TargetResponseTime", "RequestCountPerTarget",
                "HealthyHostCount", "UnHealthyHostCount"} <= names
    finally:
        backend.stop()
