"""The rest of the instance API through the real `aws` CLI, boto3 and OpenSSH: EC2 Instance
Connect's send-ssh-public-key (a key pair-less instance reached by `ssh` with a fresh key,
refused again once 60 s of Nimbus time have passed; AWS's errors; the ec2:osuser condition
key); Elastic IPs on instances (the page served on the Elastic IP, kept across stop/start,
a new public address after disassociation and after a stop/start without one); the
running On-Demand vCPU quota (`--vcpu-limit`, VcpuLimitExceeded); a deregistered captured
image's root tree leaving the disk once no instance launched from it remains. Each test runs its own Nimbus over a data directory of its own. Needs root (the
sandbox); elsewhere RunInstances answers `Unsupported` and these tests skip, saying why.
Nothing here sleeps and then asserts: every wait polls for the final condition."""

import json
import os
import socket
import subprocess
import time

import pytest

from conftest import AwsCliError, unique
from test_instances import (amzn2, describe, http_get, seed_template, skip_unless_supported,
                            wait_state, web_group)


@pytest.fixture
def inst(make_nimbus, tmp_path):
    n = make_nimbus(data_dir=tmp_path / "data")
    n.data = str(tmp_path / "data")
    yield n


def error(n, *args, **kw):
    with pytest.raises(AwsCliError) as e:
        n.aws(*args, **kw)
    return e.value.stderr


def keygen(tmp_path, name):
    path = tmp_path / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(path)],
                   check=True)
    return path


def ssh(key, ip, user="ec2-user", command="whoami"):
    return subprocess.run(
        ["ssh", "-i", str(key), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
         "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none",
         "-o", "ConnectTimeout=10", "-o", "LogLevel=ERROR", f"{user}@{ip}", command],
        capture_output=True, text=True, timeout=60)


def refused_login(key, ip, user="ec2-user", timeout=60):
    """sshd's own refusal (retrying a connection that timed out under load); a login fails."""
    deadline = time.time() + timeout
    while True:
        r = ssh(key, ip, user=user)
        assert r.returncode != 0, f"{user} logged in with the key"
        if "Permission denied" in r.stderr:
            return True
        assert time.time() < deadline, r.stderr
        time.sleep(0.5)


def logs_in(n, iid, key, ip, timeout=90):
    """Pushes the key and logs in with it, again until sshd answers (it may still be
    starting, or slow under load); each push starts a new minute."""
    deadline = time.time() + timeout
    while True:
        out = push(n, iid, key)
        assert out["Success"] is True and out["RequestId"]
        r = ssh(key, ip)
        if r.returncode == 0:
            return r.stdout.strip()
        assert time.time() < deadline, f"ssh with the pushed key never worked: {r.stderr}"
        time.sleep(0.5)


def push(n, iid, key, *extra, user="ec2-user", **kw):
    return n.aws("ec2-instance-connect", "send-ssh-public-key", "--instance-id", iid,
                 "--instance-os-user", user, "--ssh-public-key", f"file://{key}.pub", *extra, **kw)


def keyless_instance(n):
    """A running instance launched without a key pair, port 22 open to this host."""
    sg = web_group(n, unique("ssh"), port=22)
    [i] = n.aws("ec2", "run-instances", "--image-id", amzn2(n), "--instance-type", "t2.micro",
                "--security-group-ids", sg, "--count", "1")["Instances"]
    assert "KeyName" not in i
    iid = i["InstanceId"]
    wait_state(n, iid, "running", timeout=60)
    return iid, describe(n, iid)


def test_send_ssh_public_key_lets_a_fresh_key_in_for_60_seconds(inst, tmp_path):
    n = inst
    skip_unless_supported(n)
    iid, i = keyless_instance(n)
    ip = i["PublicIpAddress"]
    key = keygen(tmp_path, "eic")
    # Without a push, the fresh key is not let in (once sshd answers at all).
    other = keygen(tmp_path, "eic2")
    out = push(n, iid, key, "--availability-zone", i["Placement"]["AvailabilityZone"])
    assert out["Success"] is True
    assert logs_in(n, iid, key, ip) == "ec2-user"
    assert refused_login(other, ip)
    # The key is for ec2-user only.
    assert refused_login(key, ip, user="root")
    # A minute of Nimbus time later the key is gone: the same login is refused.
    n.admin("POST", "/_nimbus/clock/advance", {"seconds": 61})
    assert refused_login(key, ip)
    # The other key, pushed now, works (and the old one still does not).
    assert logs_in(n, iid, other, ip) == "ec2-user"
    assert refused_login(key, ip)


def test_send_ssh_public_key_errors(inst, tmp_path):
    n = inst
    skip_unless_supported(n)
    key = keygen(tmp_path, "k")
    # No such instance (well-formed id).
    err = error(n, "ec2-instance-connect", "send-ssh-public-key", "--instance-id",
                "i-0123456789abcdef0", "--instance-os-user", "ec2-user",
                "--ssh-public-key", f"file://{key}.pub")
    assert "(EC2InstanceNotFoundException)" in err, err
    iid, i = keyless_instance(n)
    # The wrong zone: not found there.
    zone = i["Placement"]["AvailabilityZone"]
    other_zone = zone[:-1] + ("b" if zone[-1] != "b" else "c")
    err = error(n, "ec2-instance-connect", "send-ssh-public-key", "--instance-id", iid,
                "--instance-os-user", "ec2-user", "--ssh-public-key", f"file://{key}.pub",
                "--availability-zone", other_zone)
    assert "(EC2InstanceNotFoundException)" in err, err
    # Key material that is not a public key.
    bad = tmp_path / "bad.pub"
    bad.write_text("ssh-rsa " + "A" * 120 + " not-a-key\n")
    err = error(n, "ec2-instance-connect", "send-ssh-public-key", "--instance-id", iid,
                "--instance-os-user", "ec2-user", "--ssh-public-key", f"file://{bad}")
    assert "(InvalidArgsException)" in err and "RSA - SSH Public key is invalid" in err, err
    # A stopped instance cannot be connected to.
    n.aws("ec2", "stop-instances", "--instance-ids", iid)
    wait_state(n, iid, "stopped", timeout=60)
    err = error(n, "ec2-instance-connect", "send-ssh-public-key", "--instance-id", iid,
                "--instance-os-user", "ec2-user", "--ssh-public-key", f"file://{key}.pub")
    assert "(EC2InstanceStateInvalidException)" in err, err


def test_the_osuser_condition_key_limits_whom_keys_are_pushed_for(inst, tmp_path):
    n = inst
    skip_unless_supported(n)
    iid, _ = keyless_instance(n)
    key = keygen(tmp_path, "k")
    name = unique("eic-user")
    n.aws("iam", "create-user", "--user-name", name)
    n.aws("iam", "put-user-policy", "--user-name", name, "--policy-name", "eic",
          "--policy-document", json.dumps({"Version": "2012-10-17", "Statement": [{
              "Effect": "Allow", "Action": "ec2-instance-connect:SendSSHPublicKey",
              "Resource": f"arn:aws:ec2:us-east-1:000000000000:instance/{iid}",
              "Condition": {"StringEquals": {"ec2:osuser": "ec2-user"}}}]}))
    ak = n.aws("iam", "create-access-key", "--user-name", name)["AccessKey"]
    creds = {"access_key": ak["AccessKeyId"], "secret_key": ak["SecretAccessKey"]}
    assert push(n, iid, key, **creds)["Success"] is True
    err = error(n, "ec2-instance-connect", "send-ssh-public-key", "--instance-id", iid,
                "--instance-os-user", "root", "--ssh-public-key", f"file://{key}.pub", **creds)
    assert "AccessDenied" in err, err


def refused(ip, port=80, timeout=30):
    """Polls until nothing listens on ip:port any more."""
    deadline = time.time() + timeout
    while True:
        try:
            socket.create_connection((ip, port), timeout=2).close()
        except ConnectionRefusedError:
            return True
        except OSError:
            pass
        assert time.time() < deadline, f"{ip}:{port} still answers"
        time.sleep(0.1)


def restart(n, iid):
    n.aws("ec2", "stop-instances", "--instance-ids", iid)
    wait_state(n, iid, "stopped", timeout=60)
    assert "PublicIpAddress" not in describe(n, iid)
    n.aws("ec2", "start-instances", "--instance-ids", iid)
    wait_state(n, iid, "running", timeout=60)
    return describe(n, iid)


def test_an_elastic_ip_becomes_the_instances_public_address(inst):
    n = inst
    skip_unless_supported(n)
    sg = web_group(n, unique("web"))
    lt = seed_template(n, sg)
    [i] = n.aws("ec2", "run-instances", "--launch-template", f"LaunchTemplateId={lt}",
                "--count", "1")["Instances"]
    iid = i["InstanceId"]
    wait_state(n, iid, "running", timeout=60)
    i = describe(n, iid)
    auto_ip, eni = i["PublicIpAddress"], i["NetworkInterfaces"][0]["NetworkInterfaceId"]
    assert "Hello World from ip-" in http_get(auto_ip, timeout=60)
    a = n.aws("ec2", "allocate-address", "--domain", "vpc")
    eip, alloc = a["PublicIp"], a["AllocationId"]
    assert eip.startswith("127.89.")
    assoc = n.aws("ec2", "associate-address", "--instance-id", iid,
                  "--allocation-id", alloc)["AssociationId"]
    assert assoc.startswith("eipassoc-")
    i = describe(n, iid)
    assert i["PublicIpAddress"] == eip
    assert i["NetworkInterfaces"][0]["Association"]["PublicIp"] == eip
    [d] = n.aws("ec2", "describe-addresses", "--allocation-ids", alloc)["Addresses"]
    assert (d["InstanceId"], d["AssociationId"], d["NetworkInterfaceId"], d["PrivateIpAddress"]) == \
        (iid, assoc, eni, i["PrivateIpAddress"])
    [d] = n.aws("ec2", "describe-addresses", "--filters", f"Name=instance-id,Values={iid}")["Addresses"]
    assert d["AllocationId"] == alloc
    # The page answers on the Elastic IP; the old address is given up.
    assert "Hello World from ip-" in http_get(eip, timeout=60)
    assert refused(auto_ip)
    # Released only once disassociated.
    err = error(n, "ec2", "release-address", "--allocation-id", alloc)
    assert "(InvalidIPAddress.InUse)" in err, err
    # Stop and start: the Elastic IP stays.
    i = restart(n, iid)
    assert i["PublicIpAddress"] == eip
    assert "Hello World from ip-" in http_get(eip, timeout=60)
    # Disassociated: the instance gets a new public address of its own, the EIP goes quiet.
    n.aws("ec2", "disassociate-address", "--association-id", assoc)
    i = describe(n, iid)
    fresh = i["PublicIpAddress"]
    assert fresh.startswith("127.88.") and fresh != eip
    assert "Hello World from ip-" in http_get(fresh, timeout=60)
    assert refused(eip)
    [d] = n.aws("ec2", "describe-addresses", "--allocation-ids", alloc)["Addresses"]
    assert "AssociationId" not in d and "InstanceId" not in d
    # Without an Elastic IP, a stop/start brings a new public address, as on AWS.
    i = restart(n, iid)
    assert i["PublicIpAddress"] not in (fresh, eip)
    assert "Hello World from ip-" in http_get(i["PublicIpAddress"], timeout=60)
    n.aws("ec2", "release-address", "--allocation-id", alloc)
    assert n.aws("ec2", "describe-addresses")["Addresses"] == []


def test_associate_address_errors(inst):
    n = inst
    skip_unless_supported(n)
    alloc = n.aws("ec2", "allocate-address")["AllocationId"]
    err = error(n, "ec2", "associate-address", "--instance-id", "i-0123456789abcdef0",
                "--allocation-id", alloc)
    assert "(InvalidInstanceID.NotFound)" in err, err
    err = error(n, "ec2", "associate-address", "--instance-id", "nope", "--allocation-id", alloc)
    assert "(InvalidInstanceID.Malformed)" in err, err


def test_the_vcpu_quota_refuses_launches_beyond_it(make_nimbus, tmp_path):
    n = make_nimbus("--vcpu-limit", "3", data_dir=tmp_path / "data")
    skip_unless_supported(n)
    ami = amzn2(n)
    run = lambda *a: n.aws("ec2", "run-instances", "--image-id", ami, *a)["Instances"]  # noqa: E731
    two = run("--instance-type", "t2.micro", "--count", "2")
    assert len(two) == 2
    # t3.micro has 2 vCPUs: 2 + 2 > 3.
    err = error(n, "ec2", "run-instances", "--image-id", ami, "--instance-type", "t3.micro")
    assert "(VcpuLimitExceeded)" in err, err
    assert ("You have requested more vCPU capacity than your current vCPU limit of 3 allows for the "
            "instance bucket that the specified instance type belongs to.") in err, err
    # MinCount 1, MaxCount 4: as many as fit (one more t2.micro).
    assert len(run("--instance-type", "t2.micro", "--count", "1:4")) == 1
    err = error(n, "ec2", "run-instances", "--image-id", ami, "--instance-type", "t2.micro")
    assert "(VcpuLimitExceeded)" in err, err
    # Terminated instances give their vCPUs back.
    n.aws("ec2", "terminate-instances", "--instance-ids", two[0]["InstanceId"])
    assert len(run("--instance-type", "t2.micro")) == 1


def captured_trees(n, ami):
    import glob
    return [p for p in glob.glob(f"{n.data}/**/images/{ami}", recursive=True) if os.path.isdir(p)]


def test_deregistering_a_captured_image_removes_its_tree_once_unused(inst):
    n = inst
    skip_unless_supported(n)
    iid, _ = keyless_instance(n)
    ami = n.aws("ec2", "create-image", "--instance-id", iid, "--name", unique("captured"))["ImageId"]
    ec2 = n.client("ec2")
    deadline = time.time() + 60
    while ec2.describe_images(ImageIds=[ami])["Images"][0]["State"] != "available":
        assert time.time() < deadline, "the image never became available"
        time.sleep(0.1)
    assert len(captured_trees(n, ami)) == 1
    # An instance launched from it is still pending or running: the tree stays.
    [c] = n.aws("ec2", "run-instances", "--image-id", ami, "--instance-type", "t2.micro")["Instances"]
    n.aws("ec2", "deregister-image", "--image-id", ami)
    assert len(captured_trees(n, ami)) == 1
    # Its last user gone, so is the tree.
    n.aws("ec2", "terminate-instances", "--instance-ids", c["InstanceId"], iid)
    wait_state(n, c["InstanceId"], "terminated", timeout=60)
    deadline = time.time() + 30
    while captured_trees(n, ami):
        assert time.time() < deadline, "the captured tree stayed"
        time.sleep(0.1)


def find_files(n, pattern):
    import glob
    return glob.glob(f"{n.data}/**/{pattern}", recursive=True)


def test_volumes_kept_on_termination_are_available_until_deleted(inst):
    n = inst
    skip_unless_supported(n)
    token = unique("kept")
    user_data = f"#!/bin/bash\necho {token} > /root/kept-marker.txt\n"
    bdm = [{"DeviceName": "/dev/xvda", "Ebs": {"DeleteOnTermination": False}},
           {"DeviceName": "/dev/sdf", "Ebs": {"VolumeSize": 1, "DeleteOnTermination": False}}]
    [i] = n.aws("ec2", "run-instances", "--image-id", amzn2(n), "--instance-type", "t2.micro",
                "--user-data", user_data, "--block-device-mappings", json.dumps(bdm))["Instances"]
    iid = i["InstanceId"]
    wait_state(n, iid, "running", timeout=60)
    deadline = time.time() + 60
    while not find_files(n, f"instances/{iid}/volume/**/kept-marker.txt"):
        assert time.time() < deadline, "the user data never wrote its marker"
        time.sleep(0.1)
    vols = n.aws("ec2", "describe-volumes", "--filters",
                 f"Name=attachment.instance-id,Values={iid}")["Volumes"]
    by_dev = {v["Attachments"][0]["Device"]: v for v in vols}
    root, data = by_dev["/dev/xvda"]["VolumeId"], by_dev["/dev/sdf"]["VolumeId"]
    assert by_dev["/dev/xvda"]["State"] == "in-use"
    assert by_dev["/dev/xvda"]["Attachments"][0]["DeleteOnTermination"] is False
    err = error(n, "ec2", "delete-volume", "--volume-id", root)
    assert "(VolumeInUse)" in err and f"Volume {root} is currently attached to {iid}" in err, err
    n.aws("ec2", "terminate-instances", "--instance-ids", iid)
    wait_state(n, iid, "terminated", timeout=60)
    vols = n.aws("ec2", "describe-volumes", "--volume-ids", root, data)["Volumes"]
    assert {v["VolumeId"]: (v["State"], v["Attachments"]) for v in vols} == \
        {root: ("available", []), data: ("available", [])}
    assert [v["VolumeId"] for v in n.aws("ec2", "describe-volumes", "--filters",
                                         "Name=status,Values=available")["Volumes"]] == sorted([root, data])
    # The root volume's files were kept, the instance's directory is gone.
    [marker] = find_files(n, f"volumes/{root}/**/kept-marker.txt")
    assert open(marker).read().strip() == token
    assert not find_files(n, f"instances/{iid}")
    n.aws("ec2", "delete-volume", "--volume-id", root)
    assert not find_files(n, f"volumes/{root}")
    err = error(n, "ec2", "describe-volumes", "--volume-ids", root)
    assert "(InvalidVolume.NotFound)" in err, err
    n.aws("ec2", "delete-volume", "--volume-id", data)
    err = error(n, "ec2", "delete-volume", "--volume-id", data)
    assert "(InvalidVolume.NotFound)" in err, err
    assert n.aws("ec2", "describe-volumes")["Volumes"] == []
