"""SIGTERM drains (issue 8): under a steady load of durable writes, SIGTERM ends Nimbus
within 10 s, requests in flight are answered, and every write that was acknowledged is
there after a restart."""

import os
import signal
import threading
import time

from botocore.config import Config
from conftest import unique


def test_sigterm_under_load_loses_no_acknowledged_write(fresh_nimbus):
    n = fresh_nimbus
    acknowledged, errors = [], []
    stop = threading.Event()

    def writer(i):
        import boto3
        ec2 = boto3.client("ec2", endpoint_url=n.endpoint, region_name="us-east-1",
                           aws_access_key_id="test", aws_secret_access_key="test",
                           config=Config(retries={"max_attempts": 1}, connect_timeout=2, read_timeout=10))
        k = 0
        while not stop.is_set():
            name = f"{unique('term')}-{i}-{k}"
            k += 1
            try:
                ec2.create_security_group(GroupName=name, Description="under load")
                acknowledged.append(name)
            except Exception as e:  # refused connections once Nimbus is gone
                errors.append(repr(e))
                return

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    deadline = time.time() + 60
    while len(acknowledged) < 50 and time.time() < deadline and not errors:
        time.sleep(0.05)
    assert len(acknowledged) >= 50, ("the load is running", errors[:3])
    t0 = time.time()
    os.kill(n.proc.pid, signal.SIGTERM)
    code = n.proc.wait(timeout=15)
    took = time.time() - t0
    stop.set()
    for t in threads:
        t.join(timeout=20)
    assert code == 0, code
    assert took < 10, f"SIGTERM took {took:.1f} s"
    n.proc = None
    n.start()
    ec2 = n.client("ec2")
    have = set()
    for page in ec2.get_paginator("describe_security_groups").paginate():
        have.update(g["GroupName"] for g in page["SecurityGroups"])
    missing = [a for a in acknowledged if a not in have]
    assert not missing, f"{len(missing)} of {len(acknowledged)} acknowledged writes lost: {missing[:5]}"
