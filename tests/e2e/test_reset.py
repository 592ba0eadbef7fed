"""`POST /_nimbus/reset` racing writes: every write lands wholly before the reset (and is
wiped) or wholly after it, so what Nimbus shows equals what its data directory holds (a
restart shows the same), and no write fails because a reset came in between."""

import threading

from conftest import Nimbus


def _groups(n):
    """Non-default security group ids (describing creates the default group on demand, with
    a fresh id after every reset, so it is left out)."""
    ec2 = n.client("ec2")
    return sorted(g["GroupId"] for g in ec2.describe_security_groups()["SecurityGroups"]
                  if g["GroupName"] != "default")


def _metrics(n):
    cw = n.client("cloudwatch")
    names = []
    for page in cw.get_paginator("list_metrics").paginate(Namespace="Race"):
        names.extend(m["MetricName"] for m in page["Metrics"])
    return sorted(names)


def _race(n, rounds_of_resets, writers=6):
    """Writers create security groups and put metrics while resets run; returns the writes
    that failed."""
    stop = threading.Event()
    failures = []

    def write(t):
        ec2, cw = n.client("ec2"), n.client("cloudwatch")
        i = 0
        while not stop.is_set():
            try:
                ec2.create_security_group(GroupName=f"race-{t}-{i}", Description="d")
                cw.put_metric_data(Namespace="Race",
                                   MetricData=[{"MetricName": f"m-{t}-{i}", "Value": 1.0}])
            except Exception as e:  # noqa: BLE001 - any failure is the finding
                failures.append(repr(e))
            i += 1

    threads = [threading.Thread(target=write, args=(t,)) for t in range(writers)]
    for w in threads:
        w.start()
    try:
        for _ in range(rounds_of_resets):
            assert n.admin("POST", "/_nimbus/reset") == {"status": "reset"}
    finally:
        stop.set()
        for w in threads:
            w.join()
    return failures


def test_writes_racing_resets_leave_memory_and_disk_agreeing(tmp_path):
    data = tmp_path / "data"
    n = Nimbus(data_dir=data).start()
    try:
        for _ in range(3):
            assert _race(n, 20) == []
            groups, metrics = _groups(n), _metrics(n)
            n.stop()
            n = Nimbus(data_dir=data).start()
            assert (_groups(n), _metrics(n)) == (groups, metrics), "a restart shows otherwise"
    finally:
        n.stop()
