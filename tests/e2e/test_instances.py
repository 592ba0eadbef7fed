"""EC2 instances that really run, driven with the real `aws` CLI: the seed lab's launch
template and user data → run-instances → the instance-running waiter → the page httpd serves
on the instance's public (loopback) address; security groups decide which ports answer;
stop/start keeps the root volume; terminate (and Nimbus's shutdown) leave no process, mount,
cgroup or namespace behind; Auto Scaling launches real instances. Each test runs its own
Nimbus over a data directory of its own so what it leaves can be counted. Needs root (the
sandbox's namespaces, mounts and cgroups); elsewhere RunInstances answers `Unsupported` and
these tests skip, saying why."""

import base64
import json
import os
import socket
import time
import urllib.request

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
def inst(make_nimbus, tmp_path):
    n = make_nimbus(data_dir=tmp_path / "data")
    n.data = str(tmp_path / "data")
    yield n


def error(n, *args):
    with pytest.raises(AwsCliError) as e:
        n.aws(*args)
    return e.value.stderr


def skip_unless_supported(n):
    """RunInstances' own answer says whether this host gives sandboxes."""
    p = n.aws_raw("ec2", "run-instances", "--image-id", amzn2(n), "--instance-type", "t2.micro",
                  "--count", "1", "--dry-run")
    if "(Unsupported)" in p.stderr:
        pytest.skip("this host cannot run instance sandboxes: " + p.stderr.strip())
    assert "(DryRunOperation)" in p.stderr, p.stderr


def amzn2(n):
    out = n.aws("ssm", "get-parameter", "--name",
                "/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-gp2")
    return out["Parameter"]["Value"]


def web_group(n, name, port=80):
    vpc = n.aws("ec2", "describe-vpcs", "--filters", "Name=isDefault,Values=true")["Vpcs"][0]["VpcId"]
    sg = n.aws("ec2", "create-security-group", "--group-name", name, "--description", "web",
               "--vpc-id", vpc)["GroupId"]
    if port is not None:
        n.aws("ec2", "authorize-security-group-ingress", "--group-id", sg, "--protocol", "tcp",
              "--port", str(port), "--cidr", "0.0.0.0/0")
    return sg


def seed_template(n, sg, name=None, extra=""):
    name = name or unique("lab")
    data = {"ImageId": amzn2(n), "InstanceType": "t2.micro", "SecurityGroupIds": [sg],
            "UserData": base64.b64encode((SEED_USER_DATA + extra).encode()).decode()}
    lt = n.aws("ec2", "create-launch-template", "--launch-template-name", name,
               "--launch-template-data", json.dumps(data))
    return lt["LaunchTemplate"]["LaunchTemplateId"]


def describe(n, iid):
    [r] = n.aws("ec2", "describe-instances", "--instance-ids", iid)["Reservations"]
    [i] = r["Instances"]
    return i


def wait_state(n, iid, want, timeout=30):
    """Polls the instance's state through boto3 (the CLI waiters sleep 15 s between polls;
    the seed test uses them, the others poll quickly)."""
    ec2 = n.client("ec2")
    deadline = time.time() + timeout
    while time.time() < deadline:
        r = ec2.describe_instances(InstanceIds=[iid])["Reservations"]
        if r and r[0]["Instances"][0]["State"]["Name"] == want:
            return
        time.sleep(0.05)
    raise AssertionError(f"{iid} never became {want}")


def http_get(ip, port=80, timeout=10, path=""):
    """Polls until the page answers (user data installs and starts httpd after boot)."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://{ip}:{port}/{path}", timeout=2) as r:
                page = r.read().decode()
            # httpd starts before user data's last line writes index.html: an empty page
            # is the file the shell's redirect has just created.
            if page:
                return page
            last = "an empty page"
            time.sleep(0.05)
            continue
        except Exception as e:  # noqa: BLE001 - connection refused/reset while booting
            last = e
            time.sleep(0.05)
    raise AssertionError(f"http://{ip}:{port}/ never answered: {last}")


def footprint(n, iid):
    """What of instance `iid` exists on this host: processes in its cgroup, mounts naming it
    under the data directory, its cgroups."""
    procs = 0
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open(f"/proc/{p}/cgroup") as f:
                if f"-{iid}" in f.read():
                    procs += 1
        except OSError:
            pass
    with open("/proc/self/mountinfo") as f:
        mounts = [line.split(" ")[4] for line in f]
    mine = [m for m in mounts if m.startswith(n.data) and iid in m]
    cgroups = []
    for root, dirs, _ in os.walk("/sys/fs/cgroup"):
        cgroups += [os.path.join(root, d) for d in dirs if d.endswith(f"-{iid}") and d.startswith("nimbus-")]
        if root.count("/") > 7:
            dirs[:] = []
    return {"processes": procs, "mounts": len(mine), "cgroups": len(cgroups)}


def instance_pids(iid):
    """Host pids of the instance's processes."""
    out = set()
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open(f"/proc/{p}/cgroup") as f:
                    if f"-{iid}" in f.read():
                        out.add(int(p))
            except OSError:
                pass
    return out


def namespaces(iid):
    """The namespaces the instance's processes are in (not this test's own)."""
    mine = {os.readlink(f"/proc/self/ns/{k}") for k in ("net", "pid", "mnt", "uts", "ipc")}
    out = set()
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open(f"/proc/{p}/cgroup") as f:
                if f"-{iid}" not in f.read():
                    continue
            for k in ("net", "pid", "mnt", "uts", "ipc"):
                out.add(os.readlink(f"/proc/{p}/ns/{k}"))
        except OSError:
            pass
    return out - mine


def held(nss):
    """Which of `nss` some process or nsfs mount still holds."""
    left = set()
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        for k in ("net", "pid", "mnt", "uts", "ipc"):
            try:
                link = os.readlink(f"/proc/{p}/ns/{k}")
            except OSError:
                continue
            if link in nss:
                left.add(link)
    return left


def test_the_seed_lab_instance_serves_its_page_and_cleans_up(inst):
    n = inst
    skip_unless_supported(n)
    n.aws("ec2", "create-key-pair", "--key-name", "lab-key")
    sg = web_group(n, unique("web"))
    lt = seed_template(n, sg)
    out = n.aws("ec2", "run-instances", "--launch-template", f"LaunchTemplateId={lt},Version=$Latest",
                "--key-name", "lab-key", "--tag-specifications",
                "ResourceType=instance,Tags=[{Key=Name,Value=lab}]")
    [i] = out["Instances"]
    iid = i["InstanceId"]
    assert out["ReservationId"].startswith("r-") and out["OwnerId"] == "000000000000"
    assert len(iid) == 19 and iid.startswith("i-")
    assert i["State"] == {"Code": 0, "Name": "pending"}
    assert i["SecurityGroups"][0]["GroupId"] == sg
    n.aws("ec2", "wait", "instance-running", "--instance-ids", iid)
    i = describe(n, iid)
    assert i["State"] == {"Code": 16, "Name": "running"}
    assert i["KeyName"] == "lab-key" and i["InstanceType"] == "t2.micro"
    assert {"Key": "Name", "Value": "lab"} in i["Tags"]
    ip, private = i["PublicIpAddress"], i["PrivateIpAddress"]
    assert ip.startswith("127.88.")
    dns = "ip-" + private.replace(".", "-") + ".ec2.internal"
    assert i["PrivateDnsName"] == dns
    assert i["PublicDnsName"] == "ec2-" + ip.replace(".", "-") + ".compute-1.amazonaws.com"
    [eni] = i["NetworkInterfaces"]
    ec2 = n.client("ec2")  # read-backs through boto3 (quicker than a CLI process each)
    enis = ec2.describe_network_interfaces(NetworkInterfaceIds=[eni["NetworkInterfaceId"]])["NetworkInterfaces"]
    assert enis[0]["PrivateIpAddress"] == private and enis[0]["Attachment"]["InstanceId"] == iid

    # The seed's user data ran as root at first boot: httpd serves the page on port 80.
    assert http_get(ip).strip() == f"<h1>Hello World from {dns}</h1>"
    # Nothing listens on a port the group does not open.
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((ip, 22), timeout=2)

    # Read-back calls infrastructure tools make.
    by_filter = ec2.describe_instances(Filters=[{"Name": "tag:Name", "Values": ["lab"]},
                                                {"Name": "instance-state-name", "Values": ["running"]}])["Reservations"]
    assert [r["Instances"][0]["InstanceId"] for r in by_filter] == [iid]
    vols = ec2.describe_volumes(Filters=[{"Name": "attachment.instance-id", "Values": [iid]}])["Volumes"]
    assert len(vols) == 1 and vols[0]["Attachments"][0]["Device"] == i["RootDeviceName"]
    attr = ec2.describe_instance_attribute(InstanceId=iid, Attribute="disableApiStop")
    assert attr["DisableApiStop"] == {"Value": False}
    attr = ec2.describe_instance_attribute(InstanceId=iid, Attribute="userData")
    assert base64.b64decode(attr["UserData"]["Value"]).decode() == SEED_USER_DATA
    credits = ec2.describe_instance_credit_specifications(InstanceIds=[iid])
    assert credits["InstanceCreditSpecifications"] == [{"InstanceId": iid, "CpuCredits": "standard"}]
    n.aws("ec2", "wait", "instance-status-ok", "--instance-ids", iid)
    console = n.aws("ec2", "get-console-output", "--instance-id", iid)
    text = console["Output"]  # the CLI decodes the base64 the API sends
    assert "Installed:" in text or "httpd" in text, text

    # Stop keeps the root volume: after a start the page (written once by the user data,
    # which does not run again) is served again by the enabled httpd.
    n.aws("ec2", "stop-instances", "--instance-ids", iid)
    n.aws("ec2", "wait", "instance-stopped", "--instance-ids", iid)
    i = describe(n, iid)
    assert i["StateReason"]["Code"] == "Client.UserInitiatedShutdown"
    assert i["StateTransitionReason"].startswith("User initiated (")
    assert "PublicIpAddress" not in i
    assert footprint(n, iid)["processes"] == 0
    with pytest.raises(ec2.exceptions.ClientError) as e:
        ec2.get_console_output(InstanceId="i-00000000000000000")
    assert e.value.response["Error"]["Code"] == "InvalidInstanceID.NotFound"
    # An image of the stopped instance boots with the captured files: its httpd (enabled) serves
    # the page the first instance's user data wrote.
    ami = n.aws("ec2", "create-image", "--instance-id", iid, "--name", unique("lab-image"))["ImageId"]
    n.aws("ec2", "wait", "image-available", "--image-ids", ami)
    [c] = n.aws("ec2", "run-instances", "--image-id", ami, "--instance-type", "t2.micro",
                "--security-group-ids", sg)["Instances"]
    wait_state(n, c["InstanceId"], "running")
    copy = describe(n, c["InstanceId"])
    assert http_get(copy["PublicIpAddress"]).strip() == f"<h1>Hello World from {dns}</h1>"
    n.aws("ec2", "terminate-instances", "--instance-ids", c["InstanceId"])
    n.aws("ec2", "modify-instance-attribute", "--instance-id", iid, "--instance-type", "Value=t3.micro")
    n.aws("ec2", "start-instances", "--instance-ids", iid)
    n.aws("ec2", "wait", "instance-running", "--instance-ids", iid)
    i = describe(n, iid)
    assert i["InstanceType"] == "t3.micro"
    assert http_get(i["PublicIpAddress"]).strip() == f"<h1>Hello World from {dns}</h1>"

    # Terminate leaves nothing of the sandbox.
    nss = namespaces(iid)
    assert len(nss) >= 5, nss
    n.aws("ec2", "terminate-instances", "--instance-ids", iid)
    n.aws("ec2", "wait", "instance-terminated", "--instance-ids", iid)
    assert footprint(n, iid) == {"processes": 0, "mounts": 0, "cgroups": 0}
    assert held(nss) == set()
    i = describe(n, iid)
    assert i["State"]["Name"] == "terminated" and "PrivateIpAddress" not in i
    assert ec2.describe_volumes(Filters=[{"Name": "attachment.instance-id", "Values": [iid]}])["Volumes"] == []


def test_security_groups_decide_what_answers_on_the_public_address(inst):
    n = inst
    skip_unless_supported(n)
    sg = web_group(n, unique("ssh-only"), port=22)
    # The instance also publishes what its metadata service says about it.
    imds = "http://169.254.169.254/latest/meta-data"
    lt = seed_template(n, sg, extra=(
        f"curl -s {imds}/instance-id > /var/www/html/id.txt\n"
        f"curl -s {imds}/placement/availability-zone > /var/www/html/az.txt\n"
        f"curl -s {imds}/security-groups > /var/www/html/groups.txt\n"))
    [i] = n.aws("ec2", "run-instances", "--launch-template", f"LaunchTemplateId={lt}",
                "--count", "1")["Instances"]
    iid = i["InstanceId"]
    wait_state(n, iid, "running")
    ip = describe(n, iid)["PublicIpAddress"]
    # httpd runs inside, but the group does not open port 80: refused.
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((ip, 80), timeout=2)
    # Opening it takes effect on the running instance.
    n.aws("ec2", "authorize-security-group-ingress", "--group-id", sg, "--protocol", "tcp",
          "--port", "80", "--cidr", "127.0.0.0/8")
    assert "Hello World from ip-" in http_get(ip)
    got = lambda path: urllib.request.urlopen(f"http://{ip}/{path}", timeout=5).read().decode()  # noqa: E731
    i = describe(n, iid)
    assert got("id.txt") == iid
    assert got("az.txt") == i["Placement"]["AvailabilityZone"]
    assert got("groups.txt") == i["SecurityGroups"][0]["GroupName"]
    # A reboot boots the same volume again: the enabled httpd serves the page again.
    before = instance_pids(iid)
    assert before
    n.aws("ec2", "reboot-instances", "--instance-ids", iid)
    deadline = time.time() + 15
    while time.time() < deadline and (instance_pids(iid) & before or not instance_pids(iid)):
        time.sleep(0.05)
    assert instance_pids(iid) and not instance_pids(iid) & before, "every process was started again"
    assert http_get(ip, path="id.txt") == iid
    assert describe(n, iid)["State"]["Name"] == "running"
    # A reset removes the instance with everything else: nothing of its sandbox remains.
    n.admin("POST", "/_nimbus/reset")
    assert footprint(n, iid) == {"processes": 0, "mounts": 0, "cgroups": 0}
    assert n.client("ec2").describe_instances()["Reservations"] == []
    with pytest.raises(OSError):
        socket.create_connection((ip, 80), timeout=2)


def test_instance_api_errors_are_aws_shaped(inst):
    n = inst
    skip_unless_supported(n)
    err = error(n, "ec2", "describe-instances", "--instance-ids", "i-0123456789abcdef0")
    assert "(InvalidInstanceID.NotFound)" in err and "i-0123456789abcdef0" in err
    err = error(n, "ec2", "describe-instances", "--instance-ids", "i-123")
    assert "(InvalidInstanceID.Malformed)" in err
    err = error(n, "ec2", "run-instances", "--image-id", "ami-0123456789abcdef0", "--instance-type",
                "t2.micro")
    assert "(InvalidAMIID.NotFound)" in err
    err = error(n, "ec2", "run-instances", "--image-id", amzn2(n), "--instance-type", "t9.huge")
    assert "(InvalidInstanceType)" in err or "(InvalidParameterValue)" in err
    err = error(n, "ec2", "run-instances", "--image-id", amzn2(n), "--instance-type", "t2.micro",
                "--key-name", "nope")
    assert "(InvalidKeyPair.NotFound)" in err
    err = error(n, "ec2", "run-instances", "--image-id", amzn2(n), "--instance-type", "t2.micro",
                "--iam-instance-profile", "Name=nope")
    assert "(InvalidParameterValue)" in err and "Invalid IAM Instance Profile name" in err
    n.aws("iam", "create-instance-profile", "--instance-profile-name", "web-profile")
    [i] = n.aws("ec2", "run-instances", "--image-id", amzn2(n), "--instance-type", "t2.micro",
                "--disable-api-termination", "--iam-instance-profile", "Name=web-profile")["Instances"]
    iid = i["InstanceId"]
    wait_state(n, iid, "running")
    ec2 = n.client("ec2")
    arn = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["IamInstanceProfile"]["Arn"]
    assert arn == "arn:aws:iam::000000000000:instance-profile/web-profile"
    [assoc] = ec2.describe_iam_instance_profile_associations()["IamInstanceProfileAssociations"]
    assert assoc["InstanceId"] == iid and assoc["State"] == "associated"
    assert assoc["IamInstanceProfile"]["Arn"] == arn
    # One association per instance; replace and disassociate go by association id.
    n.aws("iam", "create-instance-profile", "--instance-profile-name", "other-profile")
    err = error(n, "ec2", "associate-iam-instance-profile", "--instance-id", iid,
                "--iam-instance-profile", "Name=other-profile")
    assert "(IncorrectState)" in err
    out = n.aws("ec2", "replace-iam-instance-profile-association", "--association-id",
                assoc["AssociationId"], "--iam-instance-profile", "Name=other-profile")
    new = out["IamInstanceProfileAssociation"]
    assert new["State"] == "associating" and new["AssociationId"] != assoc["AssociationId"]
    assert new["IamInstanceProfile"]["Arn"].endswith("instance-profile/other-profile")
    out = ec2.disassociate_iam_instance_profile(AssociationId=new["AssociationId"])
    assert out["IamInstanceProfileAssociation"]["State"] == "disassociating"
    assert ec2.describe_iam_instance_profile_associations()["IamInstanceProfileAssociations"] == []
    assert "IamInstanceProfile" not in describe(n, iid)
    err = error(n, "ec2", "terminate-instances", "--instance-ids", iid)
    assert "(OperationNotPermitted)" in err and "disableApiTermination" in err
    err = error(n, "ec2", "modify-instance-attribute", "--instance-id", iid, "--instance-type", "Value=t3.small")
    assert "(IncorrectInstanceState)" in err
    err = error(n, "ec2", "stop-instances", "--instance-ids", iid, "--dry-run")
    assert "(DryRunOperation)" in err
    assert describe(n, iid)["State"]["Name"] == "running"
    n.aws("ec2", "modify-instance-attribute", "--instance-id", iid, "--no-disable-api-termination")
    out = n.aws("ec2", "terminate-instances", "--instance-ids", iid)["TerminatingInstances"]
    assert out == [{"InstanceId": iid, "CurrentState": {"Code": 32, "Name": "shutting-down"},
                    "PreviousState": {"Code": 16, "Name": "running"}}]
    wait_state(n, iid, "terminated")
    err = error(n, "ec2", "start-instances", "--instance-ids", iid)
    assert "(IncorrectInstanceState)" in err


def test_an_auto_scaling_group_launches_a_real_instance(inst):
    n = inst
    skip_unless_supported(n)
    sg = web_group(n, unique("asg-web"))
    lt = seed_template(n, sg)
    subnet = n.aws("ec2", "describe-subnets", "--filters", "Name=default-for-az,Values=true")["Subnets"][0]
    name = unique("asg")
    n.aws("autoscaling", "create-auto-scaling-group", "--auto-scaling-group-name", name,
          "--launch-template", f"LaunchTemplateId={lt},Version=$Latest", "--min-size", "1",
          "--max-size", "2", "--desired-capacity", "1", "--vpc-zone-identifier", subnet["SubnetId"])
    deadline = time.time() + 30
    while time.time() < deadline:
        g = n.aws("autoscaling", "describe-auto-scaling-groups", "--auto-scaling-group-names",
                  name)["AutoScalingGroups"][0]
        if [x for x in g["Instances"] if x["LifecycleState"] == "InService"]:
            break
        time.sleep(0.2)
    [member] = g["Instances"]
    assert member["LifecycleState"] == "InService", g
    i = describe(n, member["InstanceId"])
    assert i["State"]["Name"] == "running" and i["SubnetId"] == subnet["SubnetId"]
    assert {"Key": "aws:autoscaling:groupName", "Value": name} in i["Tags"]
    assert "Hello World from ip-" in http_get(i["PublicIpAddress"])
    n.aws("autoscaling", "delete-auto-scaling-group", "--auto-scaling-group-name", name, "--force-delete")
    wait_state(n, member["InstanceId"], "terminated")
    assert footprint(n, member["InstanceId"]) == {"processes": 0, "mounts": 0, "cgroups": 0}


def test_running_instances_boot_again_when_nimbus_restarts(make_nimbus, tmp_path):
    data = tmp_path / "data"
    n = make_nimbus(data_dir=data)
    n.data = str(data)
    skip_unless_supported(n)
    sg = web_group(n, unique("web"))
    lt = seed_template(n, sg)
    [i] = n.aws("ec2", "run-instances", "--launch-template", f"LaunchTemplateId={lt}")["Instances"]
    iid = i["InstanceId"]
    wait_state(n, iid, "running")
    ip = describe(n, iid)["PublicIpAddress"]
    page = http_get(ip)
    n.stop()
    assert footprint(n, iid) == {"processes": 0, "mounts": 0, "cgroups": 0}
    with pytest.raises(OSError):
        socket.create_connection((ip, 80), timeout=2)
    again = make_nimbus(data_dir=data)
    again.data = str(data)
    i = describe(again, iid)
    assert i["State"]["Name"] == "running" and i["PublicIpAddress"] == ip
    # Booted again from its root volume (user data does not run twice; httpd is enabled).
    assert http_get(ip) == page
    again.aws("ec2", "terminate-instances", "--instance-ids", iid)
    wait_state(again, iid, "terminated")
    assert footprint(again, iid) == {"processes": 0, "mounts": 0, "cgroups": 0}
