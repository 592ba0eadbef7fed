"""Elastic Load Balancing v2 end to end: the control plane through the real aws CLI (the
seed's lab step 1: an internet-facing ALB over two subnets in two zones, a security group
open on port 80, an HTTP:80 listener forwarding to an HTTP/80 target group with a health
check path), then real traffic through the balancer's node addresses to IP targets that
are local Python HTTP servers: round robin, rules by path, fixed responses and redirects,
health states and reasons as targets fail and recover, fail-open, draining, AWSALB
stickiness, 503 with no targets, NLB TCP pass-through, and durability across a restart.

Each test runs its own Nimbus with --time-scale 10 (health checks every 5 s of Nimbus time
are 0.5 s of real time) and its own node network inside 127.80.0.0/16, so the first load
balancer's nodes are .1 and .2 of that /24 (lowest free addresses, decision 0010). Every
backend server is stopped at teardown."""

import http.server
import json
import random
import socket
import socketserver
import subprocess
import threading
import time
import urllib.error
import urllib.request

import pytest
from conftest import ACCOUNT, AwsCliError

SCALE = "10"


# --- helpers ---------------------------------------------------------------------------

class Backend:
    """A local HTTP server standing in for a target: answers `<name> <path>` plus the
    forwarding headers it saw; `/health` answers `health_code`; `/slow` waits `delay`."""

    def __init__(self, name):
        self.name = name
        self.health_code = 200
        self.delay = 0.0
        self.set_cookie = None
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                if self.path == "/ws" and self.headers.get("Upgrade", "").lower() == "websocket":
                    # A bare upgrade: 101, then echo bytes upper-cased until the peer closes.
                    self.send_response(101)
                    self.send_header("Upgrade", "websocket")
                    self.send_header("Connection", "Upgrade")
                    self.end_headers()
                    self.wfile.flush()
                    while True:
                        data = self.connection.recv(4096)
                        if not data:
                            break
                        self.connection.sendall(outer.name.encode() + b":" + data.upper())
                    self.close_connection = True
                    return
                if self.path.startswith("/health"):
                    code, body = outer.health_code, b"ok"
                else:
                    if self.path.startswith("/slow"):
                        time.sleep(outer.delay)
                    code = 200
                    body = json.dumps({
                        "name": outer.name, "path": self.path,
                        "xff": self.headers.get("X-Forwarded-For"),
                        "proto": self.headers.get("X-Forwarded-Proto"),
                        "port": self.headers.get("X-Forwarded-Port"),
                        "trace": self.headers.get("X-Amzn-Trace-Id"),
                        "host": self.headers.get("Host"),
                    }).encode()
                self.send_response(code)
                self.send_header("Content-Length", str(len(body)))
                if outer.set_cookie:
                    self.send_header("Set-Cookie", outer.set_cookie)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), H)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


@pytest.fixture
def backends():
    made = []

    def make(name):
        b = Backend(name)
        made.append(b)
        return b

    yield make
    for b in made:
        b.stop()


@pytest.fixture
def lab(make_nimbus):
    """A Nimbus of its own with a random /24 node network; returns (nimbus, net prefix)."""
    third = random.randint(1, 254)
    n = make_nimbus("--time-scale", SCALE, "--lb-network", f"127.80.{third}.0/24")
    return n, f"127.80.{third}"


NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def get(url, headers=None, timeout=10):
    """(status, headers, body) of a GET, errors included."""
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with NO_PROXY.open(req, timeout=timeout) as r:
            return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


def wait_for(pred, timeout=20, what="condition"):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = pred()
        if last:
            return last
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}; last: {last!r}")


def wait_listening(addr, port=80, timeout=15):
    def ok():
        try:
            with socket.create_connection((addr, port), timeout=1):
                return True
        except OSError:
            return False
    wait_for(ok, timeout, f"{addr}:{port} to accept connections")


def cli_error(nimbus, *args):
    with pytest.raises(AwsCliError) as e:
        nimbus.aws(*args)
    return e.value.stderr


def network(n):
    vpc = n.aws("ec2", "describe-vpcs", "--filters", "Name=is-default,Values=true")["Vpcs"][0]["VpcId"]
    subnets = n.aws("ec2", "describe-subnets", "--filters", f"Name=vpc-id,Values={vpc}")["Subnets"]
    subnets.sort(key=lambda s: s["AvailabilityZone"])
    return vpc, subnets


def make_alb(n, name="lab-alb"):
    """The seed's lab step 1: security group on 80, ALB over two zones, target group,
    HTTP:80 listener. Returns (lb, tg, listener) descriptions."""
    vpc, subnets = network(n)
    sg = n.aws("ec2", "create-security-group", "--group-name", f"{name}-sg",
               "--description", "web", "--vpc-id", vpc)["GroupId"]
    n.aws("ec2", "authorize-security-group-ingress", "--group-id", sg,
          "--protocol", "tcp", "--port", "80", "--cidr", "0.0.0.0/0")
    lb = n.aws("elbv2", "create-load-balancer", "--name", name, "--type", "application",
               "--scheme", "internet-facing", "--subnets", subnets[0]["SubnetId"], subnets[1]["SubnetId"],
               "--security-groups", sg, "--tags", "Key=project,Value=lab")["LoadBalancers"][0]
    tg = n.aws("elbv2", "create-target-group", "--name", f"{name}-tg", "--protocol", "HTTP",
               "--protocol-version", "HTTP1", "--port", "80", "--vpc-id", vpc, "--target-type", "ip",
               "--health-check-path", "/health", "--health-check-interval-seconds", "5",
               "--health-check-timeout-seconds", "2", "--healthy-threshold-count", "2",
               "--unhealthy-threshold-count", "2")["TargetGroups"][0]
    listener = n.aws("elbv2", "create-listener", "--load-balancer-arn", lb["LoadBalancerArn"],
                     "--protocol", "HTTP", "--port", "80", "--default-actions",
                     f"Type=forward,TargetGroupArn={tg['TargetGroupArn']}")["Listeners"][0]
    return lb, tg, listener


def register(n, tg, *backs):
    n.aws("elbv2", "register-targets", "--target-group-arn", tg["TargetGroupArn"], "--targets",
          *[f"Id=127.0.0.1,Port={b.port}" for b in backs])


def health(n, tg):
    d = n.aws("elbv2", "describe-target-health", "--target-group-arn", tg["TargetGroupArn"])
    return {t["Target"]["Port"]: t["TargetHealth"] for t in d["TargetHealthDescriptions"]}


def wait_states(n, tg, want, timeout=20):
    """Waits until each backend's port reads state want[backend]."""
    def ok():
        h = health(n, tg)
        return h if all(h.get(b.port, {}).get("State") == s for b, s in want.items()) else None
    return wait_for(ok, timeout, f"target states {[(b.name, s) for b, s in want.items()]}")


def resolve(dns_port, name, qtype=1):
    """(rcode, [IPv4 addresses]) for `name` from Nimbus's DNS server (a minimal client)."""
    q = bytearray(b"\xab\xcd\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00")
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\x00" + qtype.to_bytes(2, "big") + b"\x00\x01"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(5)
        s.sendto(bytes(q), ("127.0.0.1", dns_port))
        r, _ = s.recvfrom(1500)
    assert r[:2] == b"\xab\xcd" and r[2] & 0x80
    rcode, ancount = r[3] & 0x0F, int.from_bytes(r[6:8], "big")
    i, addrs = len(q), []
    for _ in range(ancount):
        rtype, rdlen = int.from_bytes(r[i + 2:i + 4], "big"), int.from_bytes(r[i + 10:i + 12], "big")
        if rtype == 1:
            addrs.append(".".join(str(b) for b in r[i + 12:i + 16]))
        i += 12 + rdlen
    return rcode, addrs


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def names(url, count, headers=None):
    return [json.loads(get(url, headers)[2])["name"] for _ in range(count)]


# --- control plane ----------------------------------------------------------------------

def test_lab_step_one_with_the_cli(lab):
    n, net = lab
    lb, tg, listener = make_alb(n)
    arn = lb["LoadBalancerArn"]
    assert arn.startswith(f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:loadbalancer/app/lab-alb/")
    assert len(arn.rsplit("/", 1)[1]) == 16
    prefix, rest = lb["DNSName"].split("-", 2)[:2], lb["DNSName"]
    assert rest.startswith("lab-alb-") and rest.endswith(".us-east-1.elb.amazonaws.com")
    assert rest.split(".")[0].rsplit("-", 1)[1].isdigit()
    assert lb["CanonicalHostedZoneId"] == "Z35SXDOTRQ7X7K"
    assert lb["State"]["Code"] == "provisioning"
    assert lb["Scheme"] == "internet-facing" and lb["Type"] == "application" and lb["IpAddressType"] == "ipv4"
    assert len(lb["AvailabilityZones"]) == 2 and len(lb["SecurityGroups"]) == 1
    # Each node holds a requester-managed interface in its subnet, as on AWS.
    lb_id = arn.split("/", 1)[1]  # app/lab-alb/<id>
    enis = n.aws("ec2", "describe-network-interfaces", "--filters", f"Name=description,Values=ELB {lb_id}")["NetworkInterfaces"]
    assert sorted(e["SubnetId"] for e in enis) == sorted(z["SubnetId"] for z in lb["AvailabilityZones"])
    for e in enis:
        assert e["RequesterId"] == "amazon-elb" and e["RequesterManaged"] is True
        assert e["InterfaceType"] == "interface" and e["Groups"][0]["GroupId"] == lb["SecurityGroups"][0]
    n.admin("POST", "/_nimbus/clock/advance", {"seconds": 5})
    d = n.aws("elbv2", "describe-load-balancers", "--names", "lab-alb")["LoadBalancers"][0]
    assert d["State"]["Code"] == "active" and d["LoadBalancerArn"] == arn

    assert tg["HealthCheckPath"] == "/health" and tg["Matcher"] == {"HttpCode": "200"}
    assert tg["HealthCheckPort"] == "traffic-port" and tg["TargetType"] == "ip"
    assert listener["Port"] == 80 and listener["Protocol"] == "HTTP"
    assert listener["ListenerArn"].startswith(arn.replace(":loadbalancer/", ":listener/") + "/")
    tgs = n.aws("elbv2", "describe-target-groups", "--load-balancer-arn", arn)["TargetGroups"]
    assert [t["TargetGroupArn"] for t in tgs] == [tg["TargetGroupArn"]]
    assert tgs[0]["LoadBalancerArns"] == [arn]

    attrs = {a["Key"]: a["Value"] for a in n.aws(
        "elbv2", "describe-load-balancer-attributes", "--load-balancer-arn", arn)["Attributes"]}
    assert attrs["idle_timeout.timeout_seconds"] == "60"
    assert attrs["deletion_protection.enabled"] == "false"
    assert attrs["routing.http2.enabled"] == "true"
    tattrs = {a["Key"]: a["Value"] for a in n.aws(
        "elbv2", "describe-target-group-attributes", "--target-group-arn", tg["TargetGroupArn"])["Attributes"]}
    assert tattrs["deregistration_delay.timeout_seconds"] == "300"
    assert tattrs["stickiness.enabled"] == "false" and tattrs["stickiness.type"] == "lb_cookie"
    assert tattrs["stickiness.lb_cookie.duration_seconds"] == "86400"
    assert tattrs["load_balancing.algorithm.type"] == "round_robin"
    lattrs = n.aws("elbv2", "describe-listener-attributes", "--listener-arn", listener["ListenerArn"])["Attributes"]
    assert {"Key": "routing.http.response.server.enabled", "Value": "true"} in lattrs

    rules = n.aws("elbv2", "describe-rules", "--listener-arn", listener["ListenerArn"])["Rules"]
    assert len(rules) == 1 and rules[0]["IsDefault"] is True and rules[0]["Priority"] == "default"
    tags = n.aws("elbv2", "describe-tags", "--resource-arns", arn)["TagDescriptions"][0]["Tags"]
    assert tags == [{"Key": "project", "Value": "lab"}]

    # AWS's errors.
    assert "DuplicateListener" in cli_error(n, "elbv2", "create-listener", "--load-balancer-arn", arn,
                                            "--protocol", "HTTP", "--port", "80", "--default-actions",
                                            "Type=fixed-response,FixedResponseConfig={StatusCode=200}")
    assert "ResourceInUse" in cli_error(n, "elbv2", "delete-target-group", "--target-group-arn", tg["TargetGroupArn"])
    vpc, subnets = network(n)
    err = cli_error(n, "elbv2", "create-load-balancer", "--name", "one-zone", "--subnets", subnets[0]["SubnetId"])
    assert "ValidationError" in err and "At least two subnets in two different Availability Zones must be specified" in err
    assert "SubnetNotFound" in cli_error(n, "elbv2", "create-load-balancer", "--name", "x",
                                         "--subnets", "subnet-0123456789abcdef0", subnets[1]["SubnetId"])
    assert "LoadBalancerNotFound" in cli_error(n, "elbv2", "describe-load-balancers", "--names", "nope")
    err = cli_error(n, "elbv2", "modify-target-group-attributes", "--target-group-arn", tg["TargetGroupArn"],
                    "--attributes", "Key=deregistration_delay.timeout_seconds,Value=3601")
    assert "InvalidConfigurationRequest" in err
    err = cli_error(n, "elbv2", "modify-target-group-attributes", "--target-group-arn", tg["TargetGroupArn"],
                    "--attributes", "Key=stickiness.enabled,Value=true", "Key=stickiness.type,Value=app_cookie",
                    "Key=stickiness.app_cookie.cookie_name,Value=AWSALBAPP-x")
    assert "InvalidConfigurationRequest" in err and "reserved" in err
    # Idempotent create with the same settings; a different setting is a duplicate.
    again = n.aws("elbv2", "create-load-balancer", "--name", "lab-alb", "--subnets",
                  subnets[0]["SubnetId"], subnets[1]["SubnetId"], "--security-groups", lb["SecurityGroups"][0])
    assert again["LoadBalancers"][0]["LoadBalancerArn"] == arn
    assert "DuplicateLoadBalancerName" in cli_error(n, "elbv2", "create-load-balancer", "--name", "lab-alb",
                                                    "--scheme", "internal", "--subnets",
                                                    subnets[0]["SubnetId"], subnets[1]["SubnetId"])
    # A target group no listener uses reads unused / Target.NotInUse.
    spare = n.aws("elbv2", "create-target-group", "--name", "spare", "--protocol", "HTTP", "--port", "80",
                  "--vpc-id", vpc, "--target-type", "ip")["TargetGroups"][0]
    n.aws("elbv2", "register-targets", "--target-group-arn", spare["TargetGroupArn"], "--targets", "Id=127.0.0.1,Port=9")
    h = health(n, spare)[9]
    assert h == {"State": "unused", "Reason": "Target.NotInUse",
                 "Description": "Target group is not configured to receive traffic from the load balancer"}
    # What Nimbus cannot do yet is refused, not pretended.
    err = cli_error(n, "elbv2", "modify-load-balancer-attributes", "--load-balancer-arn", arn,
                    "--attributes", "Key=access_logs.s3.enabled,Value=true", "Key=access_logs.s3.bucket,Value=logs")
    assert "InvalidConfigurationRequest" in err and "not supported by Nimbus yet" in err
    err = cli_error(n, "elbv2", "create-target-group", "--name", "tls-tg", "--protocol", "HTTPS", "--port", "443",
                    "--vpc-id", vpc, "--target-type", "ip")
    assert "ValidationError" in err and "not supported by Nimbus yet" in err
    # The lab's own target group is an instance group (HTTP, 80, HTTP1, health check path);
    # it is created as on AWS, but Nimbus runs no instances yet, so no instance id registers.
    inst = n.aws("elbv2", "create-target-group", "--name", "lab-instances", "--protocol", "HTTP",
                 "--protocol-version", "HTTP1", "--port", "80", "--vpc-id", vpc,
                 "--health-check-path", "/index.html")["TargetGroups"][0]
    assert inst["TargetType"] == "instance" and inst["ProtocolVersion"] == "HTTP1"
    err = cli_error(n, "elbv2", "register-targets", "--target-group-arn", inst["TargetGroupArn"],
                    "--targets", "Id=i-0123456789abcdef0")
    assert "InvalidTarget" in err and "i-0123456789abcdef0" in err
    limits = {l["Name"]: l["Max"] for l in n.aws("elbv2", "describe-account-limits")["Limits"]}
    assert limits["application-load-balancers"] == "50" and limits["target-groups"] == "3000"
    pol = n.aws("elbv2", "describe-ssl-policies", "--names", "ELBSecurityPolicy-2016-08")["SslPolicies"][0]
    assert "TLSv1.2" in pol["SslProtocols"]
    # Delete everything in AWS's order.
    n.aws("elbv2", "delete-listener", "--listener-arn", listener["ListenerArn"])
    n.aws("elbv2", "delete-target-group", "--target-group-arn", tg["TargetGroupArn"])
    n.aws("elbv2", "delete-load-balancer", "--load-balancer-arn", arn)
    assert n.aws("elbv2", "describe-load-balancers")["LoadBalancers"] == []
    assert n.aws("ec2", "describe-network-interfaces", "--filters",
                 f"Name=description,Values=ELB {lb_id}")["NetworkInterfaces"] == []


def test_rules_priorities_and_pagination(lab):
    n, net = lab
    lb, tg, listener = make_alb(n)
    la = listener["ListenerArn"]
    r1 = n.aws("elbv2", "create-rule", "--listener-arn", la, "--priority", "10",
               "--conditions", "Field=path-pattern,Values=/api/*",
               "--actions", f"Type=forward,TargetGroupArn={tg['TargetGroupArn']}")["Rules"][0]
    assert r1["Priority"] == "10" and r1["Conditions"][0]["PathPatternConfig"]["Values"] == ["/api/*"]
    assert "PriorityInUse" in cli_error(n, "elbv2", "create-rule", "--listener-arn", la, "--priority", "10",
                                        "--conditions", "Field=host-header,Values=a.example.com",
                                        "--actions", "Type=fixed-response,FixedResponseConfig={StatusCode=200}")
    r2 = n.aws("elbv2", "create-rule", "--listener-arn", la, "--priority", "5",
               "--conditions", "Field=http-request-method,HttpRequestMethodConfig={Values=[POST]}",
               "--actions", "Type=fixed-response,FixedResponseConfig={StatusCode=201,ContentType=text/plain,MessageBody=made}")["Rules"][0]
    got = n.aws("elbv2", "describe-rules", "--listener-arn", la)["Rules"]
    assert [r["Priority"] for r in got] == ["5", "10", "default"]
    n.aws("elbv2", "set-rule-priorities", "--rule-priorities",
          f"RuleArn={r1['RuleArn']},Priority=1", f"RuleArn={r2['RuleArn']},Priority=2")
    got = n.aws("elbv2", "describe-rules", "--listener-arn", la)["Rules"]
    assert [(r["RuleArn"], r["Priority"]) for r in got[:2]] == [(r1["RuleArn"], "1"), (r2["RuleArn"], "2")]
    assert "PriorityInUse" in cli_error(n, "elbv2", "set-rule-priorities", "--rule-priorities",
                                        f"RuleArn={r1['RuleArn']},Priority=2")
    default_arn = got[-1]["RuleArn"]
    assert "OperationNotPermitted" in cli_error(n, "elbv2", "delete-rule", "--rule-arn", default_arn)
    n.aws("elbv2", "delete-rule", "--rule-arn", r2["RuleArn"])
    assert "RuleNotFound" in cli_error(n, "elbv2", "delete-rule", "--rule-arn", r2["RuleArn"])
    # Pagination: PageSize and Marker by hand with the CLI (its --page-size is the
    # operation's own parameter here), and boto3's paginator.
    for i in range(3):
        n.aws("elbv2", "create-target-group", "--name", f"page-{i}", "--protocol", "HTTP", "--port", "80",
              "--vpc-id", tg["VpcId"], "--target-type", "ip")
    names_, marker = [], None
    while True:
        page = n.aws("elbv2", "describe-target-groups", "--page-size", "1", *(["--marker", marker] if marker else []))
        assert len(page["TargetGroups"]) == 1
        names_ += [t["TargetGroupName"] for t in page["TargetGroups"]]
        marker = page.get("NextMarker")
        if not marker:
            break
    assert names_ == ["lab-alb-tg", "page-0", "page-1", "page-2"]
    pages = n.client("elbv2").get_paginator("describe_target_groups").paginate(PaginationConfig={"PageSize": 3})
    assert [len(p["TargetGroups"]) for p in pages] == [3, 1]


# --- data plane -------------------------------------------------------------------------

def test_round_robin_rules_fixed_and_redirect(lab, backends):
    n, net = lab
    a, b, c = backends("A"), backends("B"), backends("C")
    lb, tg, listener = make_alb(n)
    register(n, tg, a, b)
    vpc = tg["VpcId"]
    api = n.aws("elbv2", "create-target-group", "--name", "api", "--protocol", "HTTP", "--port", "80",
                "--vpc-id", vpc, "--target-type", "ip", "--health-check-path", "/health",
                "--health-check-interval-seconds", "5", "--health-check-timeout-seconds", "2",
                "--healthy-threshold-count", "2")["TargetGroups"][0]
    register(n, api, c)
    la = listener["ListenerArn"]
    n.aws("elbv2", "create-rule", "--listener-arn", la, "--priority", "10",
          "--conditions", "Field=path-pattern,Values=/api/*",
          "--actions", f"Type=forward,TargetGroupArn={api['TargetGroupArn']}")
    n.aws("elbv2", "create-rule", "--listener-arn", la, "--priority", "20",
          "--conditions", "Field=path-pattern,Values=/teapot",
          "--actions", "Type=fixed-response,FixedResponseConfig={StatusCode=418,ContentType=text/plain,MessageBody=short and stout}")
    n.aws("elbv2", "create-rule", "--listener-arn", la, "--priority", "30",
          "--conditions", "Field=path-pattern,Values=/old/*",
          "--actions", json.dumps([{"Type": "redirect", "RedirectConfig": {
              "Protocol": "HTTPS", "Port": "443", "Path": "/new/#{path}", "StatusCode": "HTTP_301"}}]))
    wait_states(n, tg, {a: "healthy", b: "healthy"})
    wait_states(n, api, {c: "healthy"})
    node = f"{net}.1"
    wait_listening(node)
    seen = names(f"http://{node}/hello", 6)
    assert seen == ["A", "B"] * 3 or seen == ["B", "A"] * 3, seen
    # Both nodes (one per zone) serve the same balancer.
    assert set(names(f"http://{net}.2/x", 2)) == {"A", "B"}
    status, _, body = get(f"http://{node}/hello?q=1", headers={"X-Forwarded-For": "203.0.113.9"})
    j = json.loads(body)
    assert j["xff"] == "203.0.113.9, 127.0.0.1" and j["proto"] == "http" and j["port"] == "80"
    assert j["trace"].startswith("Root=1-") and len(j["trace"]) == len("Root=1-") + 8 + 1 + 24
    assert j["path"] == "/hello?q=1"
    assert names(f"http://{node}/api/v1", 3) == ["C"] * 3
    status, headers, body = get(f"http://{node}/teapot")
    assert (status, body, headers["Server"]) == (418, "short and stout", "awselb/2.0")
    # Listener attributes that shape every answer.
    n.aws("elbv2", "modify-listener-attributes", "--listener-arn", la, "--attributes",
          "Key=routing.http.response.server.enabled,Value=false",
          "Key=routing.http.response.strict_transport_security.header_value,Value=max-age=31536000")
    status, headers, body = get(f"http://{node}/teapot")
    assert status == 418 and headers["Server"] is None
    assert headers["Strict-Transport-Security"] == "max-age=31536000"
    status, headers, body = get(f"http://{node}/hello")
    assert status == 200 and headers["Strict-Transport-Security"] == "max-age=31536000"
    req = urllib.request.Request(f"http://{node}/old/page?x=1")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), NoRedirect)
    try:
        opener.open(req, timeout=5)
        raise AssertionError("expected a redirect")
    except urllib.error.HTTPError as e:
        assert e.code == 301
        assert e.headers["Location"] == f"https://{node}/new/old/page?x=1"
    # curl too, as the seed browses it, over HTTP/1.1 and HTTP/2 (prior knowledge).
    out = subprocess.run(["curl", "-s", "--noproxy", "*", f"http://{node}/"], capture_output=True, text=True, timeout=10)
    assert json.loads(out.stdout)["name"] in ("A", "B")
    out = subprocess.run(["curl", "-s", "--noproxy", "*", "--http2-prior-knowledge", "-w", "\n%{http_version}",
                          f"http://{node}/h2"], capture_output=True, text=True, timeout=10)
    body, version = out.stdout.rsplit("\n", 1)
    assert version == "2" and json.loads(body)["path"] == "/h2" and json.loads(body)["host"] == node
    n.aws("elbv2", "modify-load-balancer-attributes", "--load-balancer-arn", lb["LoadBalancerArn"],
          "--attributes", "Key=routing.http2.enabled,Value=false")
    out = subprocess.run(["curl", "-s", "--noproxy", "*", "--http2-prior-knowledge", "-w", "\n%{http_version}",
                          f"http://{node}/h2"], capture_output=True, text=True, timeout=10)
    assert not out.stdout.endswith("\n2"), "HTTP/2 is off"
    assert json.loads(get(f"http://{node}/h1")[2])["path"] == "/h1"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k):
        return None


def test_health_states_fail_open_and_503(lab, backends):
    n, net = lab
    a, b = backends("A"), backends("B")
    lb, tg, listener = make_alb(n)
    node = f"{net}.1"
    wait_listening(node)
    # No targets at all: 503 with the balancer's page.
    status, headers, body = get(f"http://{node}/")
    assert status == 503 and "503 Service Temporarily Unavailable" in body and headers["Server"] == "awselb/2.0"
    # Malformed HTTP gets a 400 and disturbs no other connection.
    with socket.create_connection((node, 80), timeout=5) as bad, socket.create_connection((node, 80), timeout=5) as good:
        bad.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        assert bad.recv(4096).startswith(b"HTTP/1.1 400")
        good.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert good.recv(4096).startswith(b"HTTP/1.1 503")
    # With a long interval (60 s = 6 s real) a new target stays in its initial checks.
    n.aws("elbv2", "modify-target-group", "--target-group-arn", tg["TargetGroupArn"],
          "--health-check-interval-seconds", "60")
    register(n, tg, a, b)
    first = health(n, tg)[a.port]
    assert first["State"] == "initial" and first["Reason"] in ("Elb.RegistrationInProgress", "Elb.InitialHealthChecking")
    assert first["Description"] in ("Target registration is in progress", "Initial health checks in progress")
    n.aws("elbv2", "modify-target-group", "--target-group-arn", tg["TargetGroupArn"],
          "--health-check-interval-seconds", "5")
    wait_states(n, tg, {a: "healthy", b: "healthy"})
    # B's health check starts failing with a 500: unhealthy with AWS's reason; traffic only to A.
    b.health_code = 500
    h = wait_states(n, tg, {a: "healthy", b: "unhealthy"})
    assert h[b.port] == {"State": "unhealthy", "Reason": "Target.ResponseCodeMismatch",
                         "Description": "Health checks failed with these codes: [500]"}
    assert names(f"http://{node}/", 4) == ["A"] * 4
    # Both unhealthy: the balancer fails open and routes to all of them.
    a.health_code = 503
    wait_states(n, tg, {a: "unhealthy", b: "unhealthy"})
    assert set(names(f"http://{node}/", 4)) == {"A", "B"}
    # Recovery.
    a.health_code = b.health_code = 200
    wait_states(n, tg, {a: "healthy", b: "healthy"})
    # A target that is gone: connection refused reads Target.FailedHealthChecks, and
    # requests go to the live one.
    b.stop()
    h = wait_states(n, tg, {a: "healthy", b: "unhealthy"})
    assert h[b.port]["Reason"] == "Target.FailedHealthChecks"
    assert names(f"http://{node}/", 3) == ["A"] * 3
    # Asking about a target that is not registered.
    d = n.aws("elbv2", "describe-target-health", "--target-group-arn", tg["TargetGroupArn"],
              "--targets", "Id=127.0.0.1,Port=1")["TargetHealthDescriptions"][0]["TargetHealth"]
    assert d == {"State": "unused", "Reason": "Target.NotRegistered",
                 "Description": "Target is not registered to the target group"}


def test_timeouts_read_target_timeout(lab, backends):
    n, net = lab
    a = backends("A")
    lb, tg, listener = make_alb(n)
    register(n, tg, a)
    wait_states(n, tg, {a: "healthy"})
    # A target that accepts but never answers within the 2 s timeout (0.2 s real).
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    try:
        port = silent.getsockname()[1]
        n.aws("elbv2", "register-targets", "--target-group-arn", tg["TargetGroupArn"], "--targets", f"Id=127.0.0.1,Port={port}")
        def timed_out():
            h = health(n, tg).get(port, {})
            return h if h.get("State") == "unhealthy" else None
        h = wait_for(timed_out, 20, "Target.Timeout")
        assert h == {"State": "unhealthy", "Reason": "Target.Timeout", "Description": "Request timed out"}
    finally:
        silent.close()


def test_draining_keeps_in_flight_and_sends_none_new(lab, backends):
    n, net = lab
    a, b = backends("A"), backends("B")
    a.delay = 1.5
    lb, tg, listener = make_alb(n)
    n.aws("elbv2", "modify-target-group-attributes", "--target-group-arn", tg["TargetGroupArn"],
          "--attributes", "Key=deregistration_delay.timeout_seconds,Value=60")
    register(n, tg, a, b)
    wait_states(n, tg, {a: "healthy", b: "healthy"})
    node = f"{net}.1"
    wait_listening(node)
    # Find a request that lands on A and keep it in flight.
    result = {}

    def slow():
        result["r"] = get(f"http://{node}/slow", timeout=20)

    while True:
        t = threading.Thread(target=slow)
        t.start()
        time.sleep(0.3)
        if not t.is_alive():
            t.join()
            continue  # it went to B (no delay): try again
        break
    n.aws("elbv2", "deregister-targets", "--target-group-arn", tg["TargetGroupArn"],
          "--targets", f"Id=127.0.0.1,Port={a.port}")
    h = health(n, tg)
    assert h[a.port] == {"State": "draining", "Reason": "Target.DeregistrationInProgress",
                         "Description": "Target deregistration is in progress"}
    assert names(f"http://{node}/", 4) == ["B"] * 4
    t.join()
    status, _, body = result["r"]
    assert status == 200 and json.loads(body)["name"] == "A"
    # After the delay (60 s of Nimbus time) the target is gone.
    n.admin("POST", "/_nimbus/clock/advance", {"seconds": 61})
    assert list(health(n, tg)) == [b.port]


def test_awsalb_stickiness(lab, backends):
    n, net = lab
    a, b = backends("A"), backends("B")
    lb, tg, listener = make_alb(n)
    n.aws("elbv2", "modify-target-group-attributes", "--target-group-arn", tg["TargetGroupArn"],
          "--attributes", "Key=stickiness.enabled,Value=true", "Key=stickiness.type,Value=lb_cookie",
          "Key=stickiness.lb_cookie.duration_seconds,Value=120")
    register(n, tg, a, b)
    wait_states(n, tg, {a: "healthy", b: "healthy"})
    node = f"{net}.1"
    wait_listening(node)
    status, headers, body = get(f"http://{node}/")
    first = json.loads(body)["name"]
    cookies = headers.get_all("Set-Cookie")
    alb = next(c for c in cookies if c.startswith("AWSALB="))
    cors = next(c for c in cookies if c.startswith("AWSALBCORS="))
    assert "Path=/" in alb and "Expires=" in alb
    assert "SameSite=None" in cors and "Secure" in cors
    value = alb.split(";")[0].split("=", 1)[1]
    assert names(f"http://{node}/", 6, headers={"Cookie": f"AWSALB={value}"}) == [first] * 6
    # Without the cookie, round robin again.
    assert set(names(f"http://{node}/", 4)) == {"A", "B"}


def test_nlb_tcp_pass_through(lab, backends):
    n, net = lab
    a = backends("A")
    vpc, subnets = network(n)
    lb = n.aws("elbv2", "create-load-balancer", "--name", "lab-nlb", "--type", "network",
               "--subnets", subnets[0]["SubnetId"])["LoadBalancers"][0]
    assert lb["DNSName"].startswith("lab-nlb-") and lb["DNSName"].endswith(".elb.us-east-1.amazonaws.com")
    assert lb["CanonicalHostedZoneId"] == "Z26RNL4JYFTOTI"
    addr = lb["AvailabilityZones"][0]["LoadBalancerAddresses"][0]["PrivateIPv4Address"]
    assert addr == f"{net}.1"
    tg = n.aws("elbv2", "create-target-group", "--name", "tcp-tg", "--protocol", "TCP", "--port", "80",
               "--vpc-id", vpc, "--target-type", "ip")["TargetGroups"][0]
    assert tg["HealthCheckProtocol"] == "TCP" and tg["HealthCheckTimeoutSeconds"] == 10
    assert tg["HealthCheckIntervalSeconds"] == 30 and "HealthCheckPath" not in tg
    n.aws("elbv2", "modify-target-group", "--target-group-arn", tg["TargetGroupArn"],
          "--health-check-interval-seconds", "5", "--health-check-timeout-seconds", "2")
    assert "IncompatibleProtocols" in cli_error(n, "elbv2", "create-listener", "--load-balancer-arn", lb["LoadBalancerArn"],
                                                "--protocol", "UDP", "--port", "8080", "--default-actions",
                                                f"Type=forward,TargetGroupArn={tg['TargetGroupArn']}")
    n.aws("elbv2", "create-listener", "--load-balancer-arn", lb["LoadBalancerArn"], "--protocol", "TCP",
          "--port", "8080", "--default-actions", f"Type=forward,TargetGroupArn={tg['TargetGroupArn']}")
    register(n, tg, a)
    wait_listening(addr, 8080)
    status, _, body = get(f"http://{addr}:8080/tcp")
    assert status == 200 and json.loads(body)["name"] == "A"
    assert json.loads(body)["xff"] is None  # bytes passed through untouched
    attrs = {x["Key"]: x["Value"] for x in n.aws("elbv2", "describe-load-balancer-attributes",
                                               "--load-balancer-arn", lb["LoadBalancerArn"])["Attributes"]}
    assert attrs["load_balancing.cross_zone.enabled"] == "false"
    # Connection termination at the end of draining: an open connection survives the
    # deregistration and is closed once the delay (10 s of Nimbus time) has passed.
    n.aws("elbv2", "modify-target-group-attributes", "--target-group-arn", tg["TargetGroupArn"], "--attributes",
          "Key=deregistration_delay.timeout_seconds,Value=10",
          "Key=deregistration_delay.connection_termination.enabled,Value=true")
    def recv_until(conn, needle):
        # A response may arrive in several segments (headers, then body).
        got = b""
        while needle not in got:
            chunk = conn.recv(4096)
            if not chunk:
                break
            got += chunk
        return got

    with socket.create_connection((addr, 8080), timeout=10) as conn:
        conn.sendall(b"GET /one HTTP/1.1\r\nHost: x\r\n\r\n")
        assert b"200 OK" in recv_until(conn, b'"/one"')
        n.aws("elbv2", "deregister-targets", "--target-group-arn", tg["TargetGroupArn"], "--targets", f"Id=127.0.0.1,Port={a.port}")
        conn.sendall(b"GET /two HTTP/1.1\r\nHost: x\r\n\r\n")
        assert b"/two" in recv_until(conn, b'"/two"'), "a draining target keeps its connections"
        n.admin("POST", "/_nimbus/clock/advance", {"seconds": 11})
        conn.settimeout(5)
        assert conn.recv(4096) == b"", "closed when the delay ended"


def test_durable_across_restart(make_nimbus, tmp_path, backends):
    third = random.randint(1, 254)
    net = f"127.80.{third}"
    args = ("--time-scale", SCALE, "--lb-network", f"{net}.0/24")
    n = make_nimbus(*args, data_dir=tmp_path / "data")
    a = backends("A")
    lb, tg, listener = make_alb(n)
    register(n, tg, a)
    n.aws("elbv2", "create-rule", "--listener-arn", listener["ListenerArn"], "--priority", "7",
          "--conditions", "Field=host-header,Values=*.example.com",
          "--actions", "Type=fixed-response,FixedResponseConfig={StatusCode=200,MessageBody=hosted}")
    n.aws("elbv2", "modify-load-balancer-attributes", "--load-balancer-arn", lb["LoadBalancerArn"],
          "--attributes", "Key=idle_timeout.timeout_seconds,Value=30")
    n.stop()
    m = make_nimbus(*args, data_dir=tmp_path / "data")
    d = m.aws("elbv2", "describe-load-balancers")["LoadBalancers"]
    assert [x["LoadBalancerArn"] for x in d] == [lb["LoadBalancerArn"]] and d[0]["DNSName"] == lb["DNSName"]
    attrs = {x["Key"]: x["Value"] for x in m.aws("elbv2", "describe-load-balancer-attributes",
                                               "--load-balancer-arn", lb["LoadBalancerArn"])["Attributes"]}
    assert attrs["idle_timeout.timeout_seconds"] == "30"
    rules = m.aws("elbv2", "describe-rules", "--listener-arn", listener["ListenerArn"])["Rules"]
    assert [r["Priority"] for r in rules] == ["7", "default"]
    wait_states(m, tg, {a: "healthy"})
    node = f"{net}.1"
    wait_listening(node)
    assert json.loads(get(f"http://{node}/")[2])["name"] == "A"
    assert get(f"http://{node}/", headers={"Host": "www.example.com"})[2] == "hosted"
    # A reset empties ELB and closes the listeners.
    m.admin("POST", "/_nimbus/reset")
    assert m.aws("elbv2", "describe-load-balancers")["LoadBalancers"] == []


def test_dns_answers_for_balancer_names(make_nimbus, backends):
    third = random.randint(1, 254)
    net = f"127.80.{third}"
    port = free_udp_port()
    n = make_nimbus("--time-scale", SCALE, "--lb-network", f"{net}.0/24", "--dns-listen", f"127.0.0.1:{port}")
    a = backends("A")
    lb, tg, listener = make_alb(n)
    register(n, tg, a)
    rcode, addrs = resolve(port, lb["DNSName"])
    assert rcode == 0 and sorted(addrs) == [f"{net}.1", f"{net}.2"]
    assert resolve(port, lb["DNSName"].upper()) == (0, addrs)
    assert resolve(port, lb["DNSName"], qtype=28) == (0, [])  # no AAAA: ipv4 balancers
    assert resolve(port, "nope-1.us-east-1.elb.amazonaws.com")[0] == 3  # NXDOMAIN
    assert resolve(port, "example.com")[0] == 5  # REFUSED: not a recursive resolver
    # Browse the balancer by the address its name resolves to.
    wait_states(n, tg, {a: "healthy"})
    wait_listening(addrs[0])
    status, _, body = get(f"http://{addrs[0]}/", headers={"Host": lb["DNSName"]})
    assert status == 200 and json.loads(body)["host"] == lb["DNSName"]
    n.aws("elbv2", "delete-load-balancer", "--load-balancer-arn", lb["LoadBalancerArn"])
    assert resolve(port, lb["DNSName"])[0] == 3


def test_502_504_and_app_cookie_stickiness(lab, backends):
    n, net = lab
    a, b = backends("A"), backends("B")
    lb, tg, listener = make_alb(n)
    node = f"{net}.1"
    n.aws("elbv2", "modify-load-balancer-attributes", "--load-balancer-arn", lb["LoadBalancerArn"],
          "--attributes", "Key=idle_timeout.timeout_seconds,Value=1")
    # A target whose port refuses connections: it fails its checks, the balancer fails
    # open to it, and the refused connection is a 502.
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    dead_port = closed.getsockname()[1]
    closed.close()
    n.aws("elbv2", "register-targets", "--target-group-arn", tg["TargetGroupArn"], "--targets", f"Id=127.0.0.1,Port={dead_port}")
    wait_listening(node)
    status, headers, body = get(f"http://{node}/")
    assert status == 502 and "502 Bad Gateway" in body and headers["Server"] == "awselb/2.0"
    n.aws("elbv2", "deregister-targets", "--target-group-arn", tg["TargetGroupArn"], "--targets", f"Id=127.0.0.1,Port={dead_port}")
    # A target that does not answer within the idle timeout (1 s): 504.
    a.delay = 3
    register(n, tg, a)
    status, _, body = get(f"http://{node}/slow", timeout=10)
    assert status == 504 and "504 Gateway Time-out" in body
    a.delay = 0
    # Application-based stickiness follows the application's own cookie.
    assert "ValidationError" in cli_error(n, "elbv2", "modify-target-group", "--target-group-arn", tg["TargetGroupArn"],
                                          "--no-health-check-enabled")
    n.aws("elbv2", "modify-target-group-attributes", "--target-group-arn", tg["TargetGroupArn"], "--attributes",
          "Key=stickiness.enabled,Value=true", "Key=stickiness.type,Value=app_cookie",
          "Key=stickiness.app_cookie.cookie_name,Value=SESSION", "Key=stickiness.app_cookie.duration_seconds,Value=60")
    register(n, tg, b)
    wait_states(n, tg, {a: "healthy", b: "healthy"})
    a.set_cookie = b.set_cookie = "SESSION=s1; Path=/"
    status, headers, body = get(f"http://{node}/")
    first = json.loads(body)["name"]
    app = [c for c in headers.get_all("Set-Cookie") if c.startswith("AWSALBAPP-0=")]
    assert len(app) == 1 and "Expires=" in app[0]
    value = app[0].split(";")[0].split("=", 1)[1]
    assert names(f"http://{node}/", 5, headers={"Cookie": f"SESSION=s1; AWSALBAPP-0={value}"}) == [first] * 5


def test_weighted_groups_group_stickiness_xff_modes_and_least_outstanding(lab, backends):
    n, net = lab
    a, b, c = backends("A"), backends("B"), backends("C")
    lb, tg, listener = make_alb(n)
    other = n.aws("elbv2", "create-target-group", "--name", "other", "--protocol", "HTTP", "--port", "80",
                  "--vpc-id", tg["VpcId"], "--target-type", "ip", "--health-check-path", "/health",
                  "--health-check-interval-seconds", "5", "--health-check-timeout-seconds", "2",
                  "--healthy-threshold-count", "2")["TargetGroups"][0]
    register(n, tg, a)
    register(n, other, b)
    n.aws("elbv2", "modify-listener", "--listener-arn", listener["ListenerArn"], "--default-actions", json.dumps([{
        "Type": "forward", "ForwardConfig": {
            "TargetGroups": [{"TargetGroupArn": tg["TargetGroupArn"], "Weight": 1},
                             {"TargetGroupArn": other["TargetGroupArn"], "Weight": 1}],
            "TargetGroupStickinessConfig": {"Enabled": True, "DurationSeconds": 300}}}]))
    wait_states(n, tg, {a: "healthy"})
    wait_states(n, other, {b: "healthy"})
    node = f"{net}.1"
    wait_listening(node)
    assert sorted(names(f"http://{node}/", 4)) == ["A", "A", "B", "B"]
    status, headers, body = get(f"http://{node}/")
    first = json.loads(body)["name"]
    tgc = next(c for c in headers.get_all("Set-Cookie") if c.startswith("AWSALBTG="))
    assert any(c.startswith("AWSALBTGCORS=") for c in headers.get_all("Set-Cookie"))
    value = tgc.split(";")[0].split("=", 1)[1]
    assert names(f"http://{node}/", 5, headers={"Cookie": f"AWSALBTG={value}"}) == [first] * 5

    # X-Forwarded-For processing modes.
    def xff(mode, client_port="false"):
        n.aws("elbv2", "modify-load-balancer-attributes", "--load-balancer-arn", lb["LoadBalancerArn"], "--attributes",
              f"Key=routing.http.xff_header_processing.mode,Value={mode}",
              f"Key=routing.http.xff_client_port.enabled,Value={client_port}")
        return json.loads(get(f"http://{node}/", headers={"X-Forwarded-For": "198.51.100.7"})[2])["xff"]
    assert xff("preserve") == "198.51.100.7"
    assert xff("remove") is None
    appended = xff("append", "true")
    assert appended.startswith("198.51.100.7, 127.0.0.1:") and appended.rsplit(":", 1)[1].isdigit()

    # Least outstanding requests: while A holds a slow request, new ones go to C.
    n.aws("elbv2", "modify-listener", "--listener-arn", listener["ListenerArn"], "--default-actions",
          f"Type=forward,TargetGroupArn={tg['TargetGroupArn']}")
    n.aws("elbv2", "modify-target-group-attributes", "--target-group-arn", tg["TargetGroupArn"],
          "--attributes", "Key=load_balancing.algorithm.type,Value=least_outstanding_requests")
    register(n, tg, c)
    wait_states(n, tg, {a: "healthy", c: "healthy"})
    a.delay = 2
    c.delay = 0
    result = {}
    while True:
        t = threading.Thread(target=lambda: result.update(r=get(f"http://{node}/slow", timeout=20)))
        t.start()
        time.sleep(0.3)
        if t.is_alive():
            break
        t.join()
    assert names(f"http://{node}/", 4) == ["C"] * 4
    t.join()
    assert json.loads(result["r"][2])["name"] == "A"


def test_websocket_upgrade_through_the_alb(lab, backends):
    n, net = lab
    a = backends("A")
    lb, tg, listener = make_alb(n)
    register(n, tg, a)
    wait_states(n, tg, {a: "healthy"})
    node = f"{net}.1"
    wait_listening(node)
    with socket.create_connection((node, 80), timeout=10) as conn:
        conn.sendall(b"GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                     b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
        head = b""
        while b"\r\n\r\n" not in head:
            head += conn.recv(4096)
        assert head.startswith(b"HTTP/1.1 101"), head
        assert b"upgrade: websocket" in head.lower()
        for word in (b"hello", b"again"):
            conn.sendall(word)
            assert conn.recv(4096) == b"A:" + word.upper()


def test_nlb_udp_relay(lab, backends):
    n, net = lab
    health_port = backends("H")  # a TCP listener for the UDP group's TCP health checks
    echo = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    echo.bind(("127.0.0.1", 0))
    echo.settimeout(0.2)
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                data, peer = echo.recvfrom(4096)
            except OSError:
                continue
            echo.sendto(b"echo:" + data, peer)

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        vpc, subnets = network(n)
        lb = n.aws("elbv2", "create-load-balancer", "--name", "udp-nlb", "--type", "network",
                   "--subnets", subnets[0]["SubnetId"])["LoadBalancers"][0]
        addr = lb["AvailabilityZones"][0]["LoadBalancerAddresses"][0]["PrivateIPv4Address"]
        tg = n.aws("elbv2", "create-target-group", "--name", "udp-tg", "--protocol", "UDP", "--port", "53",
                   "--vpc-id", vpc, "--target-type", "ip", "--health-check-protocol", "TCP",
                   "--health-check-port", str(health_port.port), "--health-check-interval-seconds", "5",
                   "--health-check-timeout-seconds", "2")["TargetGroups"][0]
        assert tg["HealthCheckPort"] == str(health_port.port)
        n.aws("elbv2", "create-listener", "--load-balancer-arn", lb["LoadBalancerArn"], "--protocol", "UDP",
              "--port", "5300", "--default-actions", f"Type=forward,TargetGroupArn={tg['TargetGroupArn']}")
        n.aws("elbv2", "register-targets", "--target-group-arn", tg["TargetGroupArn"], "--targets",
              f"Id=127.0.0.1,Port={echo.getsockname()[1]}")
        wait_for(lambda: health(n, tg).get(echo.getsockname()[1], {}).get("State") == "healthy", 20, "UDP target healthy")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as c:
            c.settimeout(1)

            def ask(payload):
                for _ in range(20):  # the listener binds asynchronously: retry until it answers
                    c.sendto(payload, (addr, 5300))
                    try:
                        return c.recvfrom(4096)[0]
                    except socket.timeout:
                        continue
                return None
            assert ask(b"one") == b"echo:one"
            assert ask(b"two") == b"echo:two"
    finally:
        stop.set()
        t.join()
        echo.close()


def test_localhost_front_reaches_a_balancer_by_name(make_nimbus, backends):
    third = random.randint(1, 254)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        front = s.getsockname()[1]
    n = make_nimbus("--time-scale", SCALE, "--lb-network", f"127.80.{third}.0/24",
                    "--lb-localhost", f"127.0.0.1:{front}")
    a = backends("A")
    vpc, subnets = network(n)
    lb = n.aws("elbv2", "create-load-balancer", "--name", "front-alb", "--subnets",
               subnets[0]["SubnetId"], subnets[1]["SubnetId"])["LoadBalancers"][0]
    tg = n.aws("elbv2", "create-target-group", "--name", "front-tg", "--protocol", "HTTP", "--port", "80",
               "--vpc-id", vpc, "--target-type", "ip")["TargetGroups"][0]
    # The front serves the balancer's listener on the front's own port.
    n.aws("elbv2", "create-listener", "--load-balancer-arn", lb["LoadBalancerArn"], "--protocol", "HTTP",
          "--port", str(front), "--default-actions", f"Type=forward,TargetGroupArn={tg['TargetGroupArn']}")
    register(n, tg, a)
    url = f"http://{lb['DNSName']}.localhost:{front}/by-name"

    def fetch():
        return subprocess.run(["curl", "-s", "--noproxy", "*", url], capture_output=True, text=True, timeout=10)
    # The balancer has the VPC's default group (none was given), which admits only its own
    # members: the front closes the request without an answer, as the listener would.
    out = fetch()
    assert out.returncode != 0 and out.stdout == ""
    n.aws("ec2", "authorize-security-group-ingress", "--group-id", lb["SecurityGroups"][0],
          "--protocol", "tcp", "--port", str(front), "--cidr", "127.0.0.1/32")
    out = wait_for(lambda: (lambda o: o if o.stdout else None)(fetch()), 10, "the rule to reach the front")
    body = json.loads(out.stdout)
    assert body["name"] == "A" and body["path"] == "/by-name"
    assert body["host"] == f"{lb['DNSName']}.localhost:{front}"
    out = subprocess.run(["curl", "-s", "--noproxy", "*", "-w", "%{http_code}",
                          f"http://nope.localhost:{front}/"], capture_output=True, text=True, timeout=10)
    assert out.stdout.endswith("404") and "no load balancer is named 'nope'" in out.stdout
