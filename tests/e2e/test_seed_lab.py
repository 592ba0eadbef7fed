"""The seed's lab, end to end (MISSION.md §3, "The lab, end to end"), with the real aws CLI,
curl-like HTTP and the real ssh client, against one Nimbus running at --time-scale 60 (a
minute of Nimbus time is a second of real time, so the 300 s grace period, 60 s health
checks and the target tracking alarms' minutes pass in seconds):

1. an internet-facing ALB over default subnets in two zones, a security group open on 80,
   an HTTP:80 listener forwarding to a new instance target group (HTTP, 80, HTTP1, a health
   check path);
2. a launch template (Amazon Linux 2 through its public SSM parameter, t2.micro, a key pair,
   a security group, 8 GiB gp2) whose user data is the seed's script exactly as written,
   `#!bin/bash` included;
3. an ASG from the template across two zones, attached to the target group, ELB health
   checks with a 300 s grace period, 1/1/1, then a target tracking policy on average CPU 40;
4. the ALB answers `Hello World from ip-…`; resized to two, both instances serve; back to one;
5. max 3, `stress` over SSH on the one instance, the alarm fires, the group scales out, the
   new instances pass health checks and take traffic; the load stops and it scales back in;
   httpd stopped on the remaining instance: ELB health fails and the group replaces it;
6. a launch template whose AMI does not exist: the activity history says why.

Needs root (the sandbox); CI runs as root."""

import os
import random
import socket
import subprocess
import time
import urllib.request

import pytest
from conftest import unique

SCALE = "60"

SEED_USER_DATA = """#!bin/bash
# for user-data to install and launch httpd (Linux 2 version)
yum update -y
yum install -y httpd
systemctl start httpd
systemctl enable httpd
echo "<h1>Hello World from $(hostname -f)</h1>" > /var/www/html/index.html
"""

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="instances need root (namespaces, cgroups)")


def wait_for(pred, timeout, what):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = pred()
        if last:
            return last
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}; last: {last!r}")


def get(url, timeout=5):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode()
    except Exception as e:  # noqa: BLE001 - any failure is "not yet"
        return None, str(e)


@pytest.fixture
def lab(make_nimbus):
    third = random.randint(1, 250)
    n = make_nimbus("--time-scale", SCALE, "--lb-network", f"127.80.{third}.0/24")
    # The first balancer's nodes are the lowest free addresses of the node network
    # (decision 0010): .1 and .2.
    return n, f"127.80.{third}.1"


def ssh(key, ip, *command, timeout=60):
    return subprocess.run(
        ["ssh", "-i", str(key), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
         "-o", "BatchMode=yes", "-o", "ConnectTimeout=5", f"ec2-user@{ip}", *command],
        capture_output=True, text=True, timeout=timeout)


def instances_of(n, asg):
    g = n.aws("autoscaling", "describe-auto-scaling-groups", "--auto-scaling-group-names", asg)
    return g["AutoScalingGroups"][0]["Instances"]


def healthy_targets(n, tg):
    out = n.aws("elbv2", "describe-target-health", "--target-group-arn", tg)
    return [d["Target"]["Id"] for d in out["TargetHealthDescriptions"]
            if d["TargetHealth"]["State"] == "healthy"]


def test_the_seed_lab(lab, tmp_path):
    n, node_ip = lab
    # --- 1. the load balancer -----------------------------------------------------------
    vpc = n.aws("ec2", "describe-vpcs", "--filters", "Name=is-default,Values=true")["Vpcs"][0]["VpcId"]
    subnets = n.aws("ec2", "describe-subnets", "--filters", f"Name=vpc-id,Values={vpc}",
                    "Name=default-for-az,Values=true")["Subnets"]
    subnets = sorted(subnets, key=lambda s: s["AvailabilityZone"])[:2]
    subnet_ids = [s["SubnetId"] for s in subnets]
    assert len({s["AvailabilityZone"] for s in subnets}) == 2

    alb_sg = n.aws("ec2", "create-security-group", "--group-name", unique("alb-sg"),
                   "--description", "ALB: HTTP from anywhere", "--vpc-id", vpc)["GroupId"]
    n.aws("ec2", "authorize-security-group-ingress", "--group-id", alb_sg,
          "--protocol", "tcp", "--port", "80", "--cidr", "0.0.0.0/0")
    alb = n.aws("elbv2", "create-load-balancer", "--name", "lab-alb", "--type", "application",
                "--scheme", "internet-facing", "--ip-address-type", "ipv4",
                "--subnets", *subnet_ids, "--security-groups", alb_sg)["LoadBalancers"][0]
    tg = n.aws("elbv2", "create-target-group", "--name", "lab-tg", "--target-type", "instance",
               "--protocol", "HTTP", "--port", "80", "--protocol-version", "HTTP1", "--vpc-id", vpc,
               "--health-check-path", "/", "--health-check-interval-seconds", "60",
               "--health-check-timeout-seconds", "30", "--healthy-threshold-count", "2")["TargetGroups"][0]["TargetGroupArn"]
    n.aws("elbv2", "create-listener", "--load-balancer-arn", alb["LoadBalancerArn"],
          "--protocol", "HTTP", "--port", "80",
          "--default-actions", f"Type=forward,TargetGroupArn={tg}")
    node = n.aws("ec2", "describe-network-interfaces", "--filters",
                 f"Name=description,Values=ELB app/lab-alb/*")["NetworkInterfaces"]
    assert len(node) == 2

    # --- 2. the launch template ---------------------------------------------------------
    ami = n.aws("ssm", "get-parameter", "--name",
                "/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-gp2")["Parameter"]["Value"]
    key = n.aws("ec2", "create-key-pair", "--key-name", unique("lab-key"))
    pem = tmp_path / "lab.pem"
    pem.write_text(key["KeyMaterial"])
    pem.chmod(0o600)
    web_sg = n.aws("ec2", "create-security-group", "--group-name", unique("web-sg"),
                   "--description", "web: HTTP from the ALB, SSH", "--vpc-id", vpc)["GroupId"]
    n.aws("ec2", "authorize-security-group-ingress", "--group-id", web_sg,
          "--protocol", "tcp", "--port", "80", "--source-group", alb_sg)
    n.aws("ec2", "authorize-security-group-ingress", "--group-id", web_sg,
          "--protocol", "tcp", "--port", "22", "--cidr", "0.0.0.0/0")
    import base64
    import json
    data = {
        "ImageId": ami, "InstanceType": "t2.micro", "KeyName": key["KeyName"],
        "SecurityGroupIds": [web_sg],
        "BlockDeviceMappings": [{"DeviceName": "/dev/xvda",
                                 "Ebs": {"VolumeSize": 8, "VolumeType": "gp2"}}],
        "UserData": base64.b64encode(SEED_USER_DATA.encode()).decode(),
        # No "Monitoring": basic (5-minute) monitoring, as the seed's template has it. The
        # target tracking alarms (1-minute period) still decide on one datapoint every 5
        # minutes: their evaluation range is wider than their evaluation periods, and with
        # fewer datapoints than periods the ones there are decide (AWS's missing-data rules).
    }
    lt = n.aws("ec2", "create-launch-template", "--launch-template-name", "lab-lt",
               "--version-description", "seed lab", "--launch-template-data", json.dumps(data))
    lt_id = lt["LaunchTemplate"]["LaunchTemplateId"]

    # --- 3. the Auto Scaling group --------------------------------------------------------
    n.aws("autoscaling", "create-auto-scaling-group", "--auto-scaling-group-name", "lab-asg",
          "--launch-template", f"LaunchTemplateId={lt_id},Version=$Latest",
          "--vpc-zone-identifier", ",".join(subnet_ids), "--target-group-arns", tg,
          "--health-check-type", "ELB", "--health-check-grace-period", "300",
          "--min-size", "1", "--max-size", "1", "--desired-capacity", "1")
    n.aws("autoscaling", "put-scaling-policy", "--auto-scaling-group-name", "lab-asg",
          "--policy-name", "cpu40", "--policy-type", "TargetTrackingScaling",
          "--target-tracking-configuration",
          json.dumps({"PredefinedMetricSpecification": {"PredefinedMetricType": "ASGAverageCPUUtilization"},
                      "TargetValue": 40.0}))

    # --- 4. Hello World through the ALB ---------------------------------------------------
    first = wait_for(lambda: [i for i in instances_of(n, "lab-asg") if i["LifecycleState"] == "InService"],
                     60, "the first instance in service")[0]["InstanceId"]
    wait_for(lambda: healthy_targets(n, tg) == [first], 60, "the instance healthy in the target group")
    status, body = wait_for(lambda: (lambda r: r if r[0] == 200 and "</h1>" in r[1] else None)(get(f"http://{node_ip}/")),
                            30, "the ALB serving")
    inst = n.aws("ec2", "describe-instances", "--instance-ids", first)["Reservations"][0]["Instances"][0]
    assert body.strip() == f"<h1>Hello World from {inst['PrivateDnsName']}</h1>"
    assert inst["PrivateDnsName"].startswith("ip-")

    # Resize: every instance launches, registers, passes its checks and serves. The idle
    # group's AlarmLow is in ALARM (on AWS too, a few minutes after the first datapoint), and
    # target tracking scales a hand-made resize back in once the new instance has warmed up
    # (the default cooldown, 300 s: 5 s of real time here). So, as on AWS when resizing by
    # hand under a scaling policy, alarm notifications are suspended while we look.
    n.aws("autoscaling", "suspend-processes", "--auto-scaling-group-name", "lab-asg",
          "--scaling-processes", "AlarmNotification")
    n.aws("autoscaling", "update-auto-scaling-group", "--auto-scaling-group-name", "lab-asg",
          "--max-size", "2", "--desired-capacity", "2")
    wait_for(lambda: len(healthy_targets(n, tg)) == 2, 60, "two healthy instances")
    pages = set()
    # Only whole pages count: a new instance's httpd runs a moment before its index.html
    # is written, as on AWS.
    wait_for(lambda: (pages.update(p for p in [get(f"http://{node_ip}/")[1]] if "</h1>" in p),
                      len(pages) >= 2)[1], 30, "both instances serving")
    assert all(p.startswith("<h1>Hello World from ip-") for p in pages), pages
    n.aws("autoscaling", "update-auto-scaling-group", "--auto-scaling-group-name", "lab-asg",
          "--desired-capacity", "1")
    wait_for(lambda: len(instances_of(n, "lab-asg")) == 1, 60, "back to one instance")
    wait_for(lambda: len(healthy_targets(n, tg)) == 1, 60, "one healthy target")
    n.aws("autoscaling", "resume-processes", "--auto-scaling-group-name", "lab-asg",
          "--scaling-processes", "AlarmNotification")

    # --- 5. load, scale out, scale in -----------------------------------------------------
    n.aws("autoscaling", "update-auto-scaling-group", "--auto-scaling-group-name", "lab-asg",
          "--max-size", "3")
    one = instances_of(n, "lab-asg")[0]["InstanceId"]
    public_ip = n.aws("ec2", "describe-instances", "--instance-ids", one)[
        "Reservations"][0]["Instances"][0]["PublicIpAddress"]
    r = ssh(pem, public_ip, "sudo amazon-linux-extras install epel -y && sudo yum install stress -y")
    assert r.returncode == 0, r.stderr
    stress = subprocess.Popen(
        ["ssh", "-i", str(pem), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
         "-o", "BatchMode=yes", f"ec2-user@{public_ip}", "stress -c 4"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        try:
            wait_for(lambda: len([i for i in instances_of(n, "lab-asg")
                                  if i["LifecycleState"] == "InService"]) >= 2, 60, "scale-out")
        except AssertionError as e:
            alarms = n.aws("cloudwatch", "describe-alarms")["MetricAlarms"]
            cpu = n.aws("cloudwatch", "list-metrics", "--namespace", "AWS/EC2",
                        "--metric-name", "CPUUtilization")["Metrics"]
            acts = n.aws("autoscaling", "describe-scaling-activities", "--auto-scaling-group-name", "lab-asg")
            clock = n.admin("GET", "/_nimbus/clock")["epoch_millis"] // 1000
            stats = n.aws("cloudwatch", "get-metric-statistics", "--namespace", "AWS/EC2",
                          "--metric-name", "CPUUtilization", "--dimensions", "Name=AutoScalingGroupName,Value=lab-asg",
                          "--statistics", "Average", "--period", "60",
                          "--start-time", str(clock - 3600), "--end-time", str(clock))
            points = sorted((d["Timestamp"], d["Average"]) for d in stats["Datapoints"])[-12:]
            raise AssertionError(f"{e}\nclock: {clock}\ncpu: {points}\nalarms: {[(a['AlarmName'], a['StateValue'], a['StateReason']) for a in alarms]}"
                                 f"\nmetrics: {cpu}\nactivities: {[(a['Description'], a.get('Cause')) for a in acts['Activities']]}"
                                 f"\nlog: {list(n.log)[-30:]}") from None
        wait_for(lambda: len(healthy_targets(n, tg)) >= 2, 60, "new instances healthy")
        seen = set()
        wait_for(lambda: (seen.add(get(f"http://{node_ip}/")[1]), len(seen) >= 2)[1], 30,
                 "traffic on two instances")
    finally:
        stress.kill()
        stress.wait()
    ssh(pem, public_ip, "pkill stress || true")
    wait_for(lambda: len(instances_of(n, "lab-asg")) == 1, 180, "scale-in back to one")
    acts = n.aws("autoscaling", "describe-scaling-activities", "--auto-scaling-group-name", "lab-asg")
    descs = [a["Description"] for a in acts["Activities"]]
    assert any(d.startswith("Launching a new EC2 instance") for d in descs), descs
    assert any(d.startswith("Terminating EC2 instance") for d in descs), descs

    # Stop httpd on the one instance: the ELB health check fails and the group replaces it.
    last = wait_for(lambda: [i for i in instances_of(n, "lab-asg") if i["LifecycleState"] == "InService"],
                    60, "one instance in service")[0]["InstanceId"]
    ip = n.aws("ec2", "describe-instances", "--instance-ids", last)[
        "Reservations"][0]["Instances"][0]["PublicIpAddress"]
    r = ssh(pem, ip, "sudo systemctl stop httpd")
    assert r.returncode == 0, r.stderr
    replaced = wait_for(lambda: [i for i in instances_of(n, "lab-asg")
                                 if i["InstanceId"] != last and i["LifecycleState"] == "InService"],
                        120, "a replacement instance")[0]["InstanceId"]
    wait_for(lambda: healthy_targets(n, tg) == [replaced], 60, "the replacement healthy")
    wait_for(lambda: (lambda r: r if r[0] == 200 else None)(get(f"http://{node_ip}/")), 30,
             "the ALB serving from the replacement")
    acts = n.aws("autoscaling", "describe-scaling-activities", "--auto-scaling-group-name", "lab-asg")
    assert any(last in a["Description"] and "health check" in (a.get("Cause") or "")
               for a in acts["Activities"]), [(a["Description"], a.get("Cause")) for a in acts["Activities"]]

    # --- 6. an instance that will not start ------------------------------------------------
    bad = dict(data, ImageId="ami-0000000000000dead")
    n.aws("ec2", "create-launch-template", "--launch-template-name", "bad-lt",
          "--launch-template-data", json.dumps(bad))
    n.aws("autoscaling", "create-auto-scaling-group", "--auto-scaling-group-name", "bad-asg",
          "--launch-template", "LaunchTemplateName=bad-lt", "--vpc-zone-identifier", subnet_ids[0],
          "--min-size", "1", "--max-size", "1")
    act = wait_for(lambda: [a for a in n.aws("autoscaling", "describe-scaling-activities",
                                             "--auto-scaling-group-name", "bad-asg")["Activities"]
                            if a["StatusCode"] == "Failed"], 30, "a failed launch")[0]
    assert "ami-0000000000000dead" in act["StatusMessage"], act
