"""The crash tier (issue 8), at small scale: several clients write to IAM, EC2, S3 and
CloudWatch while Nimbus is killed with SIGKILL at a random moment; after a restart on the
same data dir every acknowledged write must be there, and a write that was in flight must
be either wholly there or absent (an S3 object with all its bytes or none, a VPC with its
default security group or no VPC), with no upload left half-written in the blob dir."""

import hashlib
import os
import random
import threading
import time

from botocore.config import Config
from conftest import unique

# Kills per run; a larger scale for a bench-style run: NIMBUS_CRASH_ROUNDS=50.
ROUNDS = int(os.environ.get("NIMBUS_CRASH_ROUNDS", "3"))


def body_for(key):
    """The bytes written under `key`: derived from it, 64 KiB to ~2 MiB."""
    seed = hashlib.sha256(key.encode()).digest()
    size = 64 * 1024 + int.from_bytes(seed[:3], "big") % (2 * 1024 * 1024)
    return (seed * (size // len(seed) + 1))[:size]


class Load:
    """Client threads writing until Nimbus dies; each write is recorded as acknowledged
    (the call returned) or in flight (the call failed: it may or may not have landed)."""

    def __init__(self, endpoint, tag):
        self.endpoint, self.tag = endpoint, tag
        self.acked = {"iam": [], "vpc": [], "s3": [], "cw": []}
        self.maybe = {"iam": [], "vpc": [], "s3": [], "cw": []}
        self.threads = []

    def client(self, service):
        import boto3
        return boto3.client(service, endpoint_url=self.endpoint, region_name="us-east-1",
                            aws_access_key_id="test", aws_secret_access_key="test",
                            config=Config(retries={"max_attempts": 1}, connect_timeout=2,
                                          read_timeout=20))

    def run(self, kind, i, bucket):
        c = self.client({"iam": "iam", "vpc": "ec2", "s3": "s3", "cw": "cloudwatch"}[kind])
        k = 0
        while True:
            name = f"{self.tag}-{kind}-{i}-{k}"
            k += 1
            try:
                if kind == "iam":
                    c.create_user(UserName=name)
                    self.acked[kind].append(name)
                elif kind == "vpc":
                    spec = [{"ResourceType": "vpc", "Tags": [{"Key": "crash", "Value": name}]}]
                    vid = c.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=spec)["Vpc"]["VpcId"]
                    self.acked[kind].append((name, vid))
                elif kind == "s3":
                    c.put_object(Bucket=bucket, Key=name, Body=body_for(name))
                    self.acked[kind].append(name)
                else:
                    c.put_metric_data(Namespace="Crash", MetricData=[
                        {"MetricName": name, "Value": float(k), "Unit": "Count"}])
                    self.acked[kind].append(name)
            except Exception:  # Nimbus is gone: this write may or may not have landed
                self.maybe[kind].append(name)
                return

    def start(self, bucket):
        kinds = ["iam", "iam", "vpc", "s3", "s3", "s3", "cw", "cw"]
        for i, kind in enumerate(kinds):
            t = threading.Thread(target=self.run, args=(kind, i, bucket), daemon=True)
            t.start()
            self.threads.append(t)

    def join(self):
        for t in self.threads:
            t.join(timeout=30)
        assert not any(t.is_alive() for t in self.threads), "a client never saw Nimbus die"


def check(n, load, bucket):
    """Every acknowledged write is there; every write in flight is whole or absent."""
    iam, ec2, s3, cw = n.client("iam"), n.client("ec2"), n.client("s3"), n.client("cloudwatch")
    checked = 0
    users = set()
    for page in iam.get_paginator("list_users").paginate():
        users.update(u["UserName"] for u in page["Users"])
    for name in load.acked["iam"]:
        assert name in users, f"acknowledged user {name} lost"
        assert iam.get_user(UserName=name)["User"]["UserName"] == name
        checked += 1
    for name in load.maybe["iam"]:
        if name in users:
            assert iam.get_user(UserName=name)["User"]["UserName"] == name

    def vpcs_tagged(name):
        return ec2.describe_vpcs(Filters=[{"Name": "tag:crash", "Values": [name]}])["Vpcs"]

    def whole_vpc(vid):
        sgs = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vid]},
                                                    {"Name": "group-name", "Values": ["default"]}])
        assert len(sgs["SecurityGroups"]) == 1, f"{vid} is there without its default security group"

    for name, vid in load.acked["vpc"]:
        found = vpcs_tagged(name)
        assert [v["VpcId"] for v in found] == [vid], f"acknowledged VPC {vid} ({name}) lost"
        whole_vpc(vid)
        checked += 1
    for name in load.maybe["vpc"]:
        for v in vpcs_tagged(name):
            whole_vpc(v["VpcId"])

    for name in load.acked["s3"]:
        got = s3.get_object(Bucket=bucket, Key=name)["Body"].read()
        assert got == body_for(name), f"acknowledged object {name} lost or damaged"
        checked += 1
    for name in load.maybe["s3"]:
        try:
            got = s3.get_object(Bucket=bucket, Key=name)["Body"].read()
        except s3.exceptions.NoSuchKey:
            continue
        assert got == body_for(name), f"in-flight object {name} is there but not whole"
    leftovers = [p.name for p in (n.data_dir / "s3").iterdir() if not p.name.endswith(".blob")]
    assert not leftovers, f"half-written uploads left in the blob dir: {leftovers}"

    for name in load.acked["cw"]:
        m = cw.list_metrics(Namespace="Crash", MetricName=name)["Metrics"]
        assert m, f"acknowledged metric data {name} lost"
        checked += 1
    return checked


def test_kill_9_under_mixed_writes_loses_no_acknowledged_write(fresh_nimbus):
    n = fresh_nimbus
    s3 = n.client("s3")
    bucket = unique("crash").lower()
    s3.create_bucket(Bucket=bucket)
    rng = random.Random()
    loads = []
    total = 0
    for r in range(ROUNDS):
        load = Load(n.endpoint, unique(f"c{r}"))
        load.start(bucket)
        # Let some writes land, then kill at a random moment.
        deadline = time.time() + 30
        while sum(len(v) for v in load.acked.values()) < 20 and time.time() < deadline:
            time.sleep(0.02)
        time.sleep(rng.uniform(0.0, 1.5))
        n.kill9()
        load.join()
        loads.append(load)
        n.start()
        # Every earlier round's writes must still hold too.
        for earlier in loads:
            total += check(n, earlier, bucket)
    acked = sum(len(v) for l in loads for v in l.acked.values())
    in_flight = sum(len(v) for l in loads for v in l.maybe.values())
    print(f"crash tier: {ROUNDS} kills, {acked} acknowledged writes, {in_flight} in flight, "
          f"{total} checks, 0 lost")
    assert acked >= 20 * ROUNDS
