"""The one end-to-end harness: starts the real `nimbus` binary on a free port and drives
it with the real `aws` CLI and boto3. Readiness is polled (the ready line on stdout, then
/_nimbus/health), never slept for. Every process it starts is ended by PID at teardown."""

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("NIMBUS_BIN", ROOT / "target" / "debug" / "nimbus"))
ACCOUNT = "000000000000"


class Nimbus:
    """A running Nimbus process."""

    def __init__(self, data_dir=None, extra_args=()):
        self.data_dir = data_dir
        self.extra_args = list(extra_args)
        self.proc = None
        self.endpoint = None

    def start(self):
        args = [str(BIN), "serve", "--listen", "127.0.0.1:0",
                "--data-dir", str(self.data_dir) if self.data_dir else ":memory:", *self.extra_args]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 30
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("nimbus exited early: " + self.proc.stderr.read())
            if " ready on " in line:
                self.endpoint = line.strip().rsplit(" ", 1)[-1]
                break
        else:
            raise RuntimeError("nimbus did not become ready")
        # Keep draining stdout and stderr (one log line per request) so the child never
        # blocks on a full pipe; the last stderr lines are kept for failure messages.
        import collections
        import threading
        self.log = collections.deque(maxlen=2000)
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()
        threading.Thread(target=lambda: self.log.extend(iter(self.proc.stderr.readline, "")),
                         daemon=True).start()
        self.wait_healthy()
        return self

    def wait_healthy(self, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(self.endpoint + "/_nimbus/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.02)
        raise RuntimeError("nimbus never answered /_nimbus/health")

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, sig)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None

    def kill9(self):
        self.stop(signal.SIGKILL)

    def admin(self, method, path, body=None, access_key="test", secret_key="test", signed=True):
        """Calls a Nimbus admin endpoint. State-changing ones need a root's SigV4 signature in
        strict mode, so requests are signed with the root keys unless `signed=False`."""
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if data is not None else {}
        if signed:
            from botocore.auth import SigV4Auth
            from botocore.awsrequest import AWSRequest
            from botocore.credentials import Credentials
            req = AWSRequest(method=method, url=self.endpoint + path, data=data, headers=headers)
            SigV4Auth(Credentials(access_key, secret_key), "nimbus", "us-east-1").add_auth(req)
            headers = dict(req.headers.items())
        req = urllib.request.Request(self.endpoint + path, data=data, method=method, headers=headers)
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    # --- clients -------------------------------------------------------------------------
    def env(self, access_key="test", secret_key="test", region="us-east-1"):
        env = dict(os.environ)
        for k in list(env):
            if k.startswith("AWS_"):
                del env[k]
        env.update({
            "AWS_ACCESS_KEY_ID": access_key,
            "AWS_SECRET_ACCESS_KEY": secret_key,
            "AWS_DEFAULT_REGION": region,
            "AWS_CONFIG_FILE": "/nonexistent",
            "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
            "AWS_PAGER": "",
        })
        return env

    def aws_raw(self, *args, access_key="test", secret_key="test", region="us-east-1", input=None):
        """Runs the real aws CLI; returns the CompletedProcess."""
        cmd = [sys.executable, "-m", "awscli", "--endpoint-url", self.endpoint, "--output", "json", *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120, input=input,
                              env=self.env(access_key, secret_key, region))

    def aws(self, *args, **kw):
        """Runs the real aws CLI and returns its parsed JSON output (None for empty output)."""
        p = self.aws_raw(*args, **kw)
        if p.returncode != 0:
            raise AwsCliError(p.returncode, p.stderr)
        return json.loads(p.stdout) if p.stdout.strip() else None

    def client(self, service, access_key="test", secret_key="test", region="us-east-1", **config):
        import boto3
        from botocore.config import Config
        return boto3.client(service, endpoint_url=self.endpoint, region_name=region,
                            aws_access_key_id=access_key, aws_secret_access_key=secret_key,
                            config=Config(retries={"max_attempts": 1}, **config))


class AwsCliError(Exception):
    def __init__(self, code, stderr):
        super().__init__(f"aws exited {code}: {stderr}")
        self.code = code
        self.stderr = stderr


@pytest.fixture(scope="session")
def nimbus():
    """One shared in-memory Nimbus for the whole session (tests use unique names)."""
    n = Nimbus().start()
    yield n
    n.stop()


@pytest.fixture
def fresh_nimbus(tmp_path):
    """A Nimbus of its own with a durable data dir, for restart/crash tests."""
    n = Nimbus(data_dir=tmp_path / "data").start()
    yield n
    n.stop()


@pytest.fixture
def make_nimbus(tmp_path):
    """Factory for Nimbus processes with custom flags; all are stopped at teardown."""
    started = []

    def make(*extra, data_dir=None):
        n = Nimbus(data_dir=data_dir, extra_args=extra).start()
        started.append(n)
        return n

    yield make
    for n in started:
        n.stop()


def unique(prefix):
    return f"{prefix}-{os.getpid()}-{time.time_ns() % 10**9}"
