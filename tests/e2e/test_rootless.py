"""Nimbus run by an ordinary user (uid 65534, through util-linux's `setpriv`; the host's user
database is not touched): `nimbus serve` enters a user namespace at startup, says in its
banner and in `GET /_nimbus/health` which sandbox tier it gives and what is weaker, and the
real `aws` CLI's run-instances boots an instance whose user data installs and starts httpd,
served on its public (loopback) address at a port an ordinary user may forward (≥ 1024);
terminate and Nimbus's shutdown leave no process behind. This host keeps /dev/null 0600,
which no ordinary user can open: the test gives the child a 0666 null node of its own in a
private mount namespace (the host's stays as it is). Skips, saying why, where it is not root
or the kernel refuses unprivileged user namespaces."""

import base64
import json
import os
import shutil
import stat
import subprocess
import tempfile
import threading
import time
import collections
import urllib.request

import pytest

from conftest import BIN, Nimbus, unique

NOBODY = 65534
SCRIPT = r"""
if [ "$FIX_DEVNULL" = 1 ]; then
  mkdir "$NIMBUS_E2E_DIR/dev"
  mount -t tmpfs -o size=4k,mode=755 tmpfs "$NIMBUS_E2E_DIR/dev"
  mknod -m 666 "$NIMBUS_E2E_DIR/dev/null" c 1 3
  mount --bind "$NIMBUS_E2E_DIR/dev/null" /dev/null
fi
exec setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"
"""

USER_DATA = """#!/bin/bash
yum install -y httpd
sed -i 's/^Listen 80$/Listen 8080/' /etc/httpd/conf/httpd.conf
systemctl start httpd
echo "<h1>Hello World from $(hostname -f) as $(id -u)</h1>" > /var/www/html/index.html
"""


class RootlessNimbus(Nimbus):
    """A Nimbus started as uid 65534 over `self.data_dir`."""

    def start(self):
        devnull = stat.S_IMODE(os.stat("/dev/null").st_mode) & 0o666 != 0o666
        env = {
            "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "NIMBUS_E2E_DIR": str(self.top),
            "FIX_DEVNULL": "1" if devnull else "0",
        }
        args = ["unshare", "--mount", "--propagation", "private", "--", "sh", "-ec", SCRIPT,
                "sh", str(BIN), "serve", "--listen", "127.0.0.1:0", "--data-dir",
                str(self.data_dir)]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, env=env, cwd="/")
        self.banner = []
        deadline = time.time() + 120
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("nimbus exited early: " + self.proc.stderr.read())
            self.banner.append(line)
            if " ready on " in line:
                self.endpoint = line.strip().rsplit(" ", 1)[-1]
            if "instance sandbox:" in line:
                break
        else:
            raise RuntimeError("nimbus did not print its sandbox tier")
        self.log = collections.deque(maxlen=2000)
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()
        threading.Thread(target=lambda: self.log.extend(iter(self.proc.stderr.readline, "")),
                         daemon=True).start()
        self.wait_healthy(timeout=30)
        return self


@pytest.fixture
def rootless():
    if os.geteuid() != 0:
        pytest.skip("the test becomes an ordinary user with setpriv, which needs root")
    for tool in ("setpriv", "unshare"):
        if shutil.which(tool) is None:
            pytest.skip(f"util-linux's {tool} is not installed")
    for knob, bad in (("/proc/sys/user/max_user_namespaces", "0"),
                      ("/proc/sys/kernel/unprivileged_userns_clone", "0")):
        try:
            with open(knob) as f:
                if f.read().strip() == bad:
                    pytest.skip(f"unprivileged user namespaces are disabled ({knob} = {bad})")
        except OSError:
            pass
    path = BIN.resolve()
    if not os.stat(path).st_mode & 0o005 == 0o005 or any(
            not os.stat(d).st_mode & 0o001 for d in path.parents):
        pytest.skip(f"{path} is not reachable by other users (a directory above it is not o+x)")
    top = tempfile.mkdtemp(prefix="nimbus-rootless-e2e", dir="/tmp")
    os.chmod(top, 0o755)
    data = os.path.join(top, "data")
    os.mkdir(data)
    os.chown(data, NOBODY, NOBODY)
    n = RootlessNimbus(data_dir=data)
    n.top = top
    try:
        n.start()
        yield n
    finally:
        n.stop()
        subprocess.run(["rm", "-rf", top], check=False)


def processes_naming(path):
    out = []
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open(f"/proc/{p}/cmdline", "rb") as f:
                    cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if path in cmd:
                out.append(f"{p}: {cmd}")
    return out


def test_an_ordinary_user_runs_an_instance_in_a_user_namespace(rootless):
    n = rootless
    banner = "".join(n.banner)
    assert "instance sandbox: user-namespace" in banner, banner
    assert "weaker:" in banner and "one uid is mapped" in banner, banner
    # The process really is the ordinary user's.
    with open(f"/proc/{n.proc.pid}/status") as f:
        uids = next(l for l in f if l.startswith("Uid:")).split()[1:]
    assert uids == [str(NOBODY)] * 4, uids
    with urllib.request.urlopen(n.endpoint + "/_nimbus/health", timeout=10) as r:
        health = json.loads(r.read())
    sandbox = health["instance_sandbox"]
    assert sandbox["tier"] == "user-namespace", sandbox
    assert any("one uid is mapped" in w for w in sandbox["weaker"]), sandbox
    if not sandbox["cgroups"]:
        assert any("CPU and memory limits are not enforced" in w for w in sandbox["weaker"])

    image = n.aws("ssm", "get-parameter", "--name",
                  "/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-gp2")["Parameter"]["Value"]
    vpc = n.aws("ec2", "describe-vpcs", "--filters", "Name=isDefault,Values=true")["Vpcs"][0]["VpcId"]
    sg = n.aws("ec2", "create-security-group", "--group-name", unique("web"), "--description", "web",
               "--vpc-id", vpc)["GroupId"]
    n.aws("ec2", "authorize-security-group-ingress", "--group-id", sg, "--protocol", "tcp",
          "--port", "8080", "--cidr", "0.0.0.0/0")
    out = n.aws("ec2", "run-instances", "--image-id", image, "--instance-type", "t2.micro",
                "--security-group-ids", sg, "--user-data", USER_DATA)
    [inst] = out["Instances"]
    iid = inst["InstanceId"]
    ec2 = n.client("ec2")
    deadline = time.time() + 120
    desc = None
    while time.time() < deadline:
        desc = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
        if desc["State"]["Name"] == "running":
            break
        time.sleep(0.05)
    assert desc["State"]["Name"] == "running", desc["State"]
    ip = desc["PublicIpAddress"]
    want = f"<h1>Hello World from {desc['PrivateDnsName']} as 0</h1>"
    deadline = time.time() + 120
    page, last = None, None
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://{ip}:8080/", timeout=3) as r:
                page = r.read().decode()
            if page.strip() == want:
                break
            last = repr(page)
        except Exception as e:  # noqa: BLE001 - refused while booting
            last = e
        time.sleep(0.05)
    console = n.aws("ec2", "get-console-output", "--instance-id", iid).get("Output", "")
    assert page is not None and page.strip() == want, f"{last}\n{console}"
    # What the instance wrote lies on the host as the ordinary user's files.
    vol = os.path.join(n.data_dir, "runtime", "instances", iid, "volume", "rootfs",
                       "var", "www", "html", "index.html")
    assert os.stat(vol).st_uid == NOBODY

    n.aws("ec2", "terminate-instances", "--instance-ids", iid)
    deadline = time.time() + 120
    while time.time() < deadline:
        state = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["State"]["Name"]
        if state == "terminated" and not processes_naming(os.path.join(n.data_dir, "runtime")):
            break
        time.sleep(0.05)
    assert state == "terminated"
    assert processes_naming(os.path.join(n.data_dir, "runtime")) == []
    n.stop()
    assert processes_naming(n.data_dir) == []


def test_health_says_which_sandbox_tier_runs(nimbus):
    sandbox = nimbus.admin("GET", "/_nimbus/health")["instance_sandbox"]
    if os.geteuid() == 0:
        assert sandbox == {"tier": "full", "cgroups": True, "weaker": []}, sandbox
    else:
        assert sandbox["tier"] in ("user-namespace", "unavailable") and sandbox["weaker"], sandbox
