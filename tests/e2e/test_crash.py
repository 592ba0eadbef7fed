"""The crash tier (issue 8), at small scale: several clients write to IAM, EC2, S3 (single
PUTs and multipart uploads) and CloudWatch while Nimbus is killed with SIGKILL at a random
moment; after a restart on the same data dir every acknowledged write must be there, and a
write that was in flight must be either wholly there or absent (an S3 object with all its
bytes or none, a VPC with its default security group or no VPC), with no upload left
half-written in the blob dir. A multipart upload whose creation was acknowledged is still
listed (until an acknowledged completion), with every acknowledged part and its ETag.

`scripts/bench-reliability crash ROUNDS` runs this at large scale against the release
binary: then each round checks its own writes and one earlier round's, and every round's
writes are checked once more after the last kill."""

import hashlib
import os
import random
import threading
import time

from botocore.config import Config
from conftest import unique

# Kills per run; a larger scale for a bench-style run: NIMBUS_CRASH_ROUNDS=300.
ROUNDS = int(os.environ.get("NIMBUS_CRASH_ROUNDS", "3"))
MIB = 1024 * 1024


def body_for(key):
    """The bytes written under `key`: derived from it, 64 KiB to ~2 MiB."""
    seed = hashlib.sha256(key.encode()).digest()
    size = 64 * 1024 + int.from_bytes(seed[:3], "big") % (2 * 1024 * 1024)
    return (seed * (size // len(seed) + 1))[:size]


def part_for(key, number):
    """Part `number` of the multipart upload of `key`: part 1 is 5 MiB (S3's minimum for a
    part that is not the last), part 2 a few KiB."""
    seed = hashlib.sha256(f"{key}#{number}".encode()).digest()
    size = 5 * MIB if number == 1 else 1024 + seed[0] * 16
    return (seed * (size // len(seed) + 1))[:size]


def composite_etag(parts):
    digest = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest()
    return f'"{digest}-{len(parts)}"'


class Load:
    """Client threads writing until Nimbus dies; each write is recorded as acknowledged
    (the call returned) or in flight (the call failed: it may or may not have landed)."""

    def __init__(self, endpoint, tag):
        self.endpoint, self.tag = endpoint, tag
        self.acked = {"iam": [], "vpc": [], "s3": [], "cw": [], "mpu": []}
        self.maybe = {"iam": [], "vpc": [], "s3": [], "cw": [], "mpu": []}
        # Multipart uploads whose creation was acknowledged: key -> [upload id, {part: etag}].
        self.uploads = {}
        self.threads = []

    def client(self, service):
        import boto3
        return boto3.client(service, endpoint_url=self.endpoint, region_name="us-east-1",
                            aws_access_key_id="test", aws_secret_access_key="test",
                            config=Config(retries={"max_attempts": 1}, connect_timeout=2,
                                          read_timeout=20))

    def run(self, kind, i, bucket):
        c = self.client({"iam": "iam", "vpc": "ec2", "s3": "s3", "cw": "cloudwatch", "mpu": "s3"}[kind])
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
                elif kind == "mpu":
                    uid = c.create_multipart_upload(Bucket=bucket, Key=name)["UploadId"]
                    self.uploads[name] = [uid, {}]
                    for number in (1, 2):
                        etag = c.upload_part(Bucket=bucket, Key=name, UploadId=uid, PartNumber=number,
                                             Body=part_for(name, number))["ETag"]
                        self.uploads[name][1][number] = etag
                    c.complete_multipart_upload(
                        Bucket=bucket, Key=name, UploadId=uid,
                        MultipartUpload={"Parts": [{"PartNumber": n, "ETag": e}
                                                   for n, e in sorted(self.uploads[name][1].items())]})
                    self.acked[kind].append(name)
                else:
                    c.put_metric_data(Namespace="Crash", MetricData=[
                        {"MetricName": name, "Value": float(k), "Unit": "Count"}])
                    self.acked[kind].append(name)
            except Exception:  # Nimbus is gone: this write may or may not have landed
                self.maybe[kind].append(name)
                return

    def start(self, bucket):
        kinds = ["iam", "iam", "vpc", "s3", "s3", "s3", "cw", "cw", "mpu"]
        for i, kind in enumerate(kinds):
            t = threading.Thread(target=self.run, args=(kind, i, bucket), daemon=True)
            t.start()
            self.threads.append(t)

    def join(self):
        for t in self.threads:
            t.join(timeout=30)
        assert not any(t.is_alive() for t in self.threads), "a client never saw Nimbus die"


def check(n, load, bucket, lost):
    """Every acknowledged write is there; every write in flight is whole or absent. Each
    acknowledged write found missing or damaged is appended to `lost`; whatever is there
    but not whole fails at once. Returns how many acknowledged writes were checked."""
    iam, ec2, s3, cw = n.client("iam"), n.client("ec2"), n.client("s3"), n.client("cloudwatch")
    checked = 0
    users = set()
    for page in iam.get_paginator("list_users").paginate():
        users.update(u["UserName"] for u in page["Users"])
    for name in load.acked["iam"]:
        checked += 1
        if name not in users:
            lost.append(f"user {name}")
            continue
        assert iam.get_user(UserName=name)["User"]["UserName"] == name
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
        checked += 1
        found = vpcs_tagged(name)
        if [v["VpcId"] for v in found] != [vid]:
            lost.append(f"VPC {vid} ({name}): found {found}")
            continue
        whole_vpc(vid)
    for name in load.maybe["vpc"]:
        for v in vpcs_tagged(name):
            whole_vpc(v["VpcId"])

    def get(key):
        try:
            return s3.get_object(Bucket=bucket, Key=key)
        except s3.exceptions.NoSuchKey:
            return None

    for name in load.acked["s3"]:
        checked += 1
        got = get(name)
        if got is None or got["Body"].read() != body_for(name):
            lost.append(f"object {name} " + ("missing" if got is None else "damaged"))
    for name in load.maybe["s3"]:
        got = get(name)
        if got is not None:
            assert got["Body"].read() == body_for(name), f"in-flight object {name} is there but not whole"

    # Multipart: a completed upload is the whole object with its composite ETag; an upload
    # whose creation was acknowledged and whose completion was not is either completed
    # (whole) or still listed with every acknowledged part.
    listed = {}
    for page in s3.get_paginator("list_multipart_uploads").paginate(Bucket=bucket):
        for u in page.get("Uploads", []):
            listed[u["UploadId"]] = u["Key"]
    for name in load.acked["mpu"]:
        checked += 1
        want = [part_for(name, 1), part_for(name, 2)]
        got = get(name)
        if got is None:
            lost.append(f"completed multipart object {name} missing")
            continue
        if got["Body"].read() != b"".join(want) or got["ETag"] != composite_etag(want):
            lost.append(f"completed multipart object {name} damaged (ETag {got['ETag']})")
    for name in load.maybe["mpu"]:
        if name not in load.uploads:
            continue  # the creation itself was in flight: nothing was promised
        uid, parts = load.uploads[name]
        checked += 1 + len(parts)
        got = get(name)
        if got is not None:
            want = [part_for(name, 1), part_for(name, 2)]
            assert got["Body"].read() == b"".join(want), f"multipart object {name} is there but not whole"
            continue
        if listed.get(uid) != name:
            lost.append(f"multipart upload {uid} of {name} (acknowledged) is not listed")
            continue
        have = {p["PartNumber"]: (p["ETag"], p["Size"])
                for p in s3.list_parts(Bucket=bucket, Key=name, UploadId=uid).get("Parts", [])}
        for number, (_, size) in have.items():
            assert size == len(part_for(name, number)), f"part {number} of {uid} is listed but not whole"
        for number, etag in parts.items():
            if have.get(number) != (etag, len(part_for(name, number))):
                lost.append(f"part {number} of upload {uid} ({name}): acknowledged {etag}, listed {have.get(number)}")
    leftovers = [p.name for p in (n.data_dir / "s3").iterdir() if not p.name.endswith(".blob")]
    assert not leftovers, f"half-written uploads left in the blob dir: {leftovers}"

    for name in load.acked["cw"]:
        checked += 1
        if not cw.list_metrics(Namespace="Crash", MetricName=name)["Metrics"]:
            lost.append(f"metric data {name}")
    return checked


def test_kill_9_under_mixed_writes_loses_no_acknowledged_write(fresh_nimbus):
    n = fresh_nimbus
    s3 = n.client("s3")
    bucket = unique("crash").lower()
    s3.create_bucket(Bucket=bucket)
    rng = random.Random()
    loads = []
    checks = 0
    lost = []
    t0 = time.time()
    for r in range(ROUNDS):
        load = Load(n.endpoint, unique(f"c{r}"))
        load.start(bucket)
        # Let some writes land (a multipart upload created among them), then kill at a
        # random moment.
        deadline = time.time() + 30
        while ((sum(len(v) for v in load.acked.values()) < 20 or not load.uploads)
               and time.time() < deadline):
            time.sleep(0.02)
        time.sleep(rng.uniform(0.0, 1.5))
        n.kill9()
        load.join()
        loads.append(load)
        n.start()
        # This round's writes, and the earlier rounds' (at large scale: one of them).
        earlier = loads[:-1] if ROUNDS <= 10 else rng.sample(loads[:-1], min(1, len(loads) - 1))
        for l in [load, *earlier]:
            checks += check(n, l, bucket, lost)
        assert not lost, f"round {r}: acknowledged writes lost: {lost[:20]}"
        if ROUNDS > 10 and (r + 1) % 10 == 0:
            print(f"crash tier: {r + 1}/{ROUNDS} kills, {checks} checks, {len(lost)} lost, "
                  f"{time.time() - t0:.0f} s", flush=True)
    # After the last kill, every round's writes once more.
    writes = 0
    for l in loads:
        writes += check(n, l, bucket, lost)
    checks += writes
    acked = sum(len(v) for l in loads for v in l.acked.values())
    in_flight = sum(len(v) for l in loads for v in l.maybe.values())
    per_kind = {k: sum(len(l.acked[k]) for l in loads) for k in loads[0].acked}
    per_kind["uploads open at a kill"] = sum(1 for l in loads for k in l.maybe["mpu"] if k in l.uploads)
    print(f"crash tier: {ROUNDS} kills, {acked} acknowledged writes {per_kind}, {in_flight} in flight, "
          f"{writes} writes checked after the last kill, {checks} checks in all, {len(lost)} lost, "
          f"{time.time() - t0:.0f} s")
    assert not lost, f"acknowledged writes lost: {lost[:20]}"
    assert acked >= 20 * ROUNDS
