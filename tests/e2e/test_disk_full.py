"""A full disk heals (issue 8 §4): with Nimbus's data dir on a small tmpfs (root only), a
write that cannot be stored is refused and never acknowledged, health reports "degraded",
and once space is freed writes and resets work again without a restart."""

import json
import os
import subprocess
import urllib.request

import pytest
from conftest import AwsCliError, Nimbus, unique

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root")


@pytest.fixture
def small_disk(tmp_path):
    mnt = tmp_path / "small"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "nimbus-e2e", str(mnt)]).returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)])


def health(n):
    with urllib.request.urlopen(n.endpoint + "/_nimbus/health", timeout=5) as r:
        return json.loads(r.read())


def test_writes_fail_cleanly_on_a_full_disk_and_resume_when_space_is_freed(small_disk):
    n = Nimbus(data_dir=small_disk / "data").start()
    try:
        kept = unique("kept")
        n.aws("ec2", "create-security-group", "--group-name", kept, "--description", "before")
        filler = small_disk / "filler"
        with open(filler, "wb") as f:
            try:
                while True:
                    f.write(b"\1" * (1 << 20))
            except OSError:
                pass
        lost = []
        failed = False
        for i in range(200):
            name = unique(f"lost{i}")
            try:
                n.aws("ec2", "create-security-group", "--group-name", name, "--description", "x" * 200)
            except AwsCliError as e:
                assert "InternalError" in e.stderr or "500" in e.stderr or "Internal" in e.stderr, e.stderr
                lost.append(name)
                failed = True
                break
        assert failed, "the disk filled up"
        h = health(n)
        assert h["status"] == "degraded" and h["store_error"], h
        with pytest.raises(AwsCliError):
            n.aws("ec2", "describe-security-groups", "--group-names", lost[0])
        os.remove(filler)
        n.aws("ec2", "create-security-group", "--group-name", unique("after"), "--description", "healed")
        assert health(n)["status"] == "running"
        n.admin("POST", "/_nimbus/reset")
        n.aws("ec2", "create-security-group", "--group-name", unique("post-reset"), "--description", "ok")
    finally:
        n.stop()
