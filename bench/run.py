#!/usr/bin/env python3
"""Nimbus vs. moto, in one run: the orchestrator behind `scripts/bench`.

For each server it measures, with the compiled load generator `nimbus-bench` (SigV4-signed
requests on keep-alive connections; boto3 would be the bottleneck):
  * time from exec to the first *answered* signed GetCallerIdentity (median of N starts),
  * idle RSS one second after start, and RSS after creating N security groups,
  * the durable CreateSecurityGroup rate while creating those groups,
  * requests/s and p50/p99 latency of GetCallerIdentity, DescribeSecurityGroups and
    PutMetricData (closed loop, fixed concurrency, fixed duration),
  * the same GetCallerIdentity load against `nimbus-bench serve-noop`, a do-nothing hyper
    server: this machine's ceiling for the measurement, printed beside the table,
then prints a markdown table with ratios and the targets, writes the raw results to
target/bench/latest.json and a README-ready block to target/bench/README-snippet.md.

Everything it starts is stopped by PID when it is done with it, and also on Ctrl-C or an error.
It does not install or build anything unless asked (scripts/bench does both).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "target" / "bench"
BENCH_BIN = ROOT / "target" / "release" / "nimbus-bench"
NIMBUS_BIN = ROOT / "target" / "release" / "nimbus"
MOTO_BIN = ROOT / ".venv" / "bin" / "moto_server"

THROUGHPUT_OPS = [
    ("sts", "GetCallerIdentity", 60_000),
    ("describe-sg", "DescribeSecurityGroups", 30_000),
    ("describe-subnets", "DescribeSubnets", 20_000),
    ("describe-images", "DescribeImages (owner amazon, name filter)", 20_000),
    ("describe-lt-versions", "DescribeLaunchTemplateVersions", 20_000),
    ("put-metric", "PutMetricData", None),
]
# The launch template describe-lt-versions reads (nimbus-bench's ops.rs names it too).
LAUNCH_TEMPLATE = "nimbus-bench"
# AWS managed policies attached to the benchmark user's group (issue 7: ten, one of them
# as large as ReadOnlyAccess). Every one exists in Nimbus's catalogue and in moto's.
GROUP_POLICIES = [
    "ReadOnlyAccess", "AmazonEC2ReadOnlyAccess", "AmazonS3ReadOnlyAccess", "IAMReadOnlyAccess",
    "AmazonSNSReadOnlyAccess", "AmazonSSMReadOnlyAccess", "CloudWatchReadOnlyAccess",
    "AutoScalingReadOnlyAccess", "ElasticLoadBalancingReadOnly", "AWSCertificateManagerReadOnly",
]
TARGETS = {"first_answer_ms": 20.0, "idle_rss_mb": 15.0, "groups_rss_mb": 30.0, "create_sg_rps": 2_000}

# Every process this script started and has not stopped yet.
_started: list[subprocess.Popen] = []


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(p: subprocess.Popen) -> None:
    """SIGTERM by PID, SIGKILL if it has not gone within 3 s."""
    if p.poll() is None:
        p.terminate()
        try:
            p.wait(timeout=3)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    if p in _started:
        _started.remove(p)


def stop_all() -> None:
    for p in list(_started):
        stop(p)


def rss_kb(pid: int) -> dict:
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "RssShmem"):
                fields[k] = int(v.split()[0])
    out = {"rss_kb": fields.get("VmRSS"), "hwm_kb": fields.get("VmHWM"),
           "anon_kb": fields.get("RssAnon"), "file_kb": fields.get("RssFile")}
    # Where the resident pages are: smaps_rollup's totals, and per mapping kind from smaps.
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            out["smaps_rollup"] = {k.strip(): int(v.split()[0]) for k, _, v in
                                   (line.partition(":") for line in f) if v.strip().endswith("kB")}
    except OSError:
        pass
    return out


def client(service: str, endpoint: str, key: str = "test", secret: str = "test"):
    """A boto3 client (set-up calls only; the load itself is nimbus-bench's)."""
    import boto3  # the .venv scripts/bench installs has it (tests/requirements.txt)
    from botocore.config import Config

    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id=key, aws_secret_access_key=secret,
                        config=Config(retries={"max_attempts": 1}))


def touch_catalogues(endpoint: str) -> None:
    """What a first script does: find Amazon Linux 2 and read its SSM public parameter."""
    client("ec2", endpoint).describe_images(
        Owners=["amazon"], Filters=[{"Name": "name", "Values": ["amzn2-ami-hvm-2.0.*-x86_64-gp2"]}])
    try:
        client("ssm", endpoint).get_parameter(Name="/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-gp2")
    except Exception as e:  # noqa: BLE001 — moto has no public parameters in its default set
        log(f"  (ssm get-parameter: {e})")


def create_launch_template(endpoint: str) -> None:
    """The launch template describe-lt-versions reads, with an image the server lists."""
    ec2 = client("ec2", endpoint)
    images = ec2.describe_images(Owners=["amazon"])["Images"]
    image = images[0]["ImageId"] if images else "ami-12c6146b"
    ec2.create_launch_template(LaunchTemplateName=LAUNCH_TEMPLATE,
                               LaunchTemplateData={"ImageId": image, "InstanceType": "t3.micro"})


def create_group_user(endpoint: str) -> dict:
    """An IAM user whose group holds the ten managed policies; returns its access key."""
    iam = client("iam", endpoint)
    iam.create_group(GroupName="bench-readers")
    for name in GROUP_POLICIES:
        iam.attach_group_policy(GroupName="bench-readers", PolicyArn=f"arn:aws:iam::aws:policy/{name}")
    iam.create_user(UserName="bench-user")
    iam.add_user_to_group(GroupName="bench-readers", UserName="bench-user")
    k = iam.create_access_key(UserName="bench-user")["AccessKey"]
    return {"key": k["AccessKeyId"], "secret": k["SecretAccessKey"]}


def bench(*args: str, timeout: float = 900) -> dict:
    """Runs nimbus-bench and returns its JSON line."""
    cmd = [str(BENCH_BIN), *args]
    # Popen + wait (not run) so an interrupted run is killed by PID here, too.
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _started.append(p)
    try:
        out, err = p.communicate(timeout=timeout)
    finally:
        stop(p)
    if p.returncode != 0:
        raise RuntimeError(f"nimbus-bench {' '.join(args)} failed ({p.returncode}): {err.strip()}")
    return json.loads(out.strip().splitlines()[-1])


class Server:
    """One started server: its process, endpoint and log."""

    def __init__(self, name: str, argv: list[str], port: int, logfile: Path):
        self.name = name
        self.endpoint = f"http://127.0.0.1:{port}"
        self.log = logfile
        with open(logfile, "wb") as f:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=f, stderr=subprocess.STDOUT)
        _started.append(self.proc)
        try:
            bench("--op", "wait", "--endpoint", self.endpoint, "--duration", "120")
        except RuntimeError as e:
            stop(self.proc)
            raise RuntimeError(f"{name} did not become ready: {e}; log tail: {self.log_tail()}") from None

    def log_tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-600:]
        except OSError:
            return ""

    def rss(self) -> dict:
        if self.proc.poll() is not None:
            raise RuntimeError(f"{self.name} exited ({self.proc.returncode}); log tail: {self.log_tail()}")
        return rss_kb(self.proc.pid)

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *exc) -> None:
        stop(self.proc)


def server_argv(name: str, port: str, data_dir: str) -> list[str]:
    if name == "nimbus":
        return [str(NIMBUS_BIN), "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", data_dir]
    return [str(MOTO_BIN), "-H", "127.0.0.1", "-p", port]


def measure_ceiling(cfg: argparse.Namespace) -> dict:
    """GetCallerIdentity load against a server that does nothing (no parsing, no SigV4)."""
    port = free_port()
    common = ["--concurrency", str(cfg.concurrency), "--threads", str(cfg.client_threads)]
    argv = [str(BENCH_BIN), "--op", "serve-noop", "--listen", f"127.0.0.1:{port}"]
    with Server("noop", argv, port, OUT / "logs" / "noop.log") as s:
        bench("--op", "sts", "--endpoint", s.endpoint, "--count", "200", *common)
        r = bench("--op", "sts", "--endpoint", s.endpoint, "--duration", str(cfg.duration), *common)
    log(f"  do-nothing server: {r['rps']:,.0f} req/s, p50 {r['p50_us']} us, p99 {r['p99_us']} us")
    return r


def wrk_rps(endpoint: str, body: str, headers: dict, cfg: argparse.Namespace) -> dict:
    """`wrk -t2 -cN` replaying one signed request (the issue's own example generator)."""
    script = OUT / "logs" / "wrk-request.lua"
    lua_headers = "".join(f'wrk.headers["{k}"] = "{v}"\n' for k, v in headers.items())
    script.write_text(f'wrk.method = "POST"\nwrk.body = "{body}"\n{lua_headers}')
    cmd = ["wrk", "-t2", f"-c{cfg.concurrency}", f"-d{max(1, int(cfg.ratio_slice))}s", "-s", str(script), endpoint + "/"]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _started.append(p)
    try:
        out, err = p.communicate(timeout=cfg.ratio_slice + 60)
    finally:
        stop(p)
    if p.returncode != 0:
        raise RuntimeError(f"wrk failed: {err.strip()}")
    rps = next((float(line.split()[1]) for line in out.splitlines() if line.startswith("Requests/sec:")), None)
    bad = next((int(line.split()[-1]) for line in out.splitlines() if "Non-2xx" in line), 0)
    return {"rps": rps, "non_2xx": bad}


def signed_sts(endpoint: str) -> tuple[str, dict]:
    """A GetCallerIdentity signed by botocore exactly as the CLI signs it (root keys)."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    body = "Action=GetCallerIdentity&Version=2011-06-15"
    req = AWSRequest(method="POST", url=endpoint + "/", data=body,
                     headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(Credentials("test", "test"), "sts", "us-east-1").add_auth(req)
    return body, {k: v for k, v in req.headers.items() if k.lower() != "host"}


def measure_ratios(cfg: argparse.Namespace, work: Path) -> dict:
    """Issue 7's ratios, each measured interleaved in the same minute so that the machine's
    load (other builds) falls on both sides alike: GetCallerIdentity against the do-nothing
    server, Nimbus as the root (info logging, the default), as an IAM user whose group holds
    ten managed policies, and as the root with logging at `warn` (no per-request line).
    Rounds of `ratio_slice` seconds per variant; the figure is total requests / total time."""
    common = ["--concurrency", str(cfg.concurrency), "--threads", str(cfg.client_threads)]
    out: dict = {"rounds": cfg.ratio_rounds, "slice_s": cfg.ratio_slice}
    servers = []
    try:
        p1, p2, p3 = free_port(), free_port(), free_port()
        noop = Server("noop", [str(BENCH_BIN), "--op", "serve-noop", "--listen", f"127.0.0.1:{p1}"], p1, OUT / "logs" / "ratio-noop.log")
        servers.append(noop)
        info = Server("nimbus", server_argv("nimbus", str(p2), str(work / "ratio-info")) + ["--log-level", "info"], p2,
                      OUT / "logs" / "ratio-nimbus-info.log")
        servers.append(info)
        quiet = Server("nimbus", server_argv("nimbus", str(p3), str(work / "ratio-warn")) + ["--log-level", "warn"], p3,
                       OUT / "logs" / "ratio-nimbus-warn.log")
        servers.append(quiet)
        user = create_group_user(info.endpoint)
        ukey = ["--access-key", user["key"], "--secret-key", user["secret"]]
        bench("--op", "wait", "--endpoint", info.endpoint, "--duration", "60", *ukey)
        variants = {
            "noop": (noop.endpoint, []),
            "root": (info.endpoint, []),
            "user": (info.endpoint, ukey),
            "root_warn": (quiet.endpoint, []),
        }
        for v, (ep, extra) in variants.items():
            bench("--op", "sts", "--endpoint", ep, "--count", "500", *common, *extra)
        sums = {v: {"requests": 0, "errors": 0, "seconds": 0.0, "runs": []} for v in variants}
        for r in range(cfg.ratio_rounds):
            # Rotate the order each round so no variant always runs first.
            order = list(variants)[r % len(variants):] + list(variants)[:r % len(variants)]
            for v in order:
                ep, extra = variants[v]
                res = bench("--op", "sts", "--endpoint", ep, "--duration", str(cfg.ratio_slice), *common, *extra)
                sums[v]["requests"] += res["requests"]
                sums[v]["errors"] += res["errors"]
                sums[v]["seconds"] += res["seconds"]
                sums[v]["runs"].append(res["rps"])
        for v, t in sums.items():
            t["rps"] = t["requests"] / t["seconds"] if t["seconds"] else 0.0
        out["variants"] = sums
        rps = {v: t["rps"] for v, t in sums.items()}
        out["root_vs_noop"] = rps["root"] / rps["noop"]
        out["user_vs_root"] = rps["user"] / rps["root"]
        out["logging_cost"] = 1 - rps["root"] / rps["root_warn"]
        log(f"  interleaved: noop {rps['noop']:,.0f}, root {rps['root']:,.0f}, user {rps['user']:,.0f}, "
            f"root at warn {rps['root_warn']:,.0f} req/s")
        if shutil.which("wrk"):
            body, headers = signed_sts(info.endpoint)
            w = {"noop": [], "root": []}
            for _ in range(2):
                w["noop"].append(wrk_rps(noop.endpoint, body, headers, cfg))
                w["root"].append(wrk_rps(info.endpoint, body, headers, cfg))
            wn = sum(x["rps"] for x in w["noop"]) / 2
            wr = sum(x["rps"] for x in w["root"]) / 2
            out["wrk"] = {"noop_rps": wn, "root_rps": wr, "root_vs_noop": wr / wn,
                          "non_2xx": sum(x["non_2xx"] for x in w["root"])}
            log(f"  wrk -t2 -c{cfg.concurrency}: noop {wn:,.0f}, nimbus {wr:,.0f} req/s")
        else:
            out["wrk"] = {"error": "wrk is not installed"}
    finally:
        for srv in servers:
            stop(srv.proc)
    return out


def ceiling_line(results: dict) -> str:
    c = results.get("ceiling")
    if not isinstance(c, dict) or "rps" not in c:
        return ""
    return (f"For scale: the same load generator against a do-nothing HTTP server (`nimbus-bench serve-noop`: "
            f"hyper answering a fixed 200, no parsing, no signature) reaches {c['rps']:,.0f} req/s on this machine; "
            f"no server can answer one-request-at-a-time loopback HTTP here faster than that.")


def step(results: dict, key: str, fn) -> None:
    """Runs one measurement; a failure is recorded and the run goes on."""
    try:
        results[key] = fn()
    except Exception as e:  # noqa: BLE001 — any failure of one step is reported, not fatal
        log(f"  ! {key}: {e}")
        results[key] = {"error": str(e)}


def measure(name: str, cfg: argparse.Namespace, work: Path) -> dict:
    res: dict = {}
    common = ["--concurrency", str(cfg.concurrency), "--threads", str(cfg.client_threads)]

    log(f"[{name}] time to first answer ({cfg.starts} starts)")
    fa_dir = work / f"{name}-first-answer"
    fa_dir.mkdir()
    exec_line = shlex.join(server_argv(name, "{port}", str(fa_dir / "run-{run}")))
    step(res, "first_answer", lambda: bench("--op", "first-answer", "--exec", exec_line, "--count", str(cfg.starts), "--duration", "120"))
    if name == "nimbus":
        # The same without a store on disk: separates process start from store creation.
        mem_line = shlex.join(server_argv(name, "{port}", ":memory:"))
        step(res, "first_answer_memory",
             lambda: bench("--op", "first-answer", "--exec", mem_line, "--count", str(cfg.starts), "--duration", "120"))

    # A fresh server for memory and durable writes: idle RSS, then N groups.
    log(f"[{name}] idle RSS, then {cfg.groups} x CreateSecurityGroup")
    try:
        port = free_port()
        with Server(name, server_argv(name, str(port), str(work / f"{name}-groups")), port, OUT / "logs" / f"{name}-groups.log") as s:
            time.sleep(1.0)
            step(res, "idle", s.rss)
            # Idle again after one describe-images and one SSM get-parameter: the image
            # catalogue and the public parameters are in use (issue 9's idle figure).
            step(res, "touch", lambda: touch_catalogues(s.endpoint))
            time.sleep(1.0)
            step(res, "idle_touched", s.rss)
            # Warm the EC2 code path without creating anything (moto builds its EC2 backend lazily).
            step(res, "create_sg_warmup", lambda: bench("--op", "describe-sg", "--endpoint", s.endpoint, "--count", "5", "--concurrency", "1"))
            step(res, "create_sg", lambda: bench("--op", "create-sg", "--endpoint", s.endpoint, "--count", str(cfg.groups), *common))
            step(res, "after_groups", s.rss)
    except RuntimeError as e:
        log(f"  ! {e}")
        res.setdefault("create_sg", {"error": str(e)})

    # Another fresh server for read/write throughput (so DescribeSecurityGroups does not
    # describe the thousands of groups created above).
    log(f"[{name}] throughput, {cfg.duration:g} s per operation, concurrency {cfg.concurrency}")
    res["ops"] = {}
    try:
        port = free_port()
        with Server(name, server_argv(name, str(port), str(work / f"{name}-ops")), port, OUT / "logs" / f"{name}-ops.log") as s:
            step(res, "launch_template", lambda: create_launch_template(s.endpoint))
            for op, api, _ in THROUGHPUT_OPS:
                step(res["ops"], f"{op}_warmup", lambda: bench("--op", op, "--endpoint", s.endpoint, "--count", "200", *common))
                step(res["ops"], op, lambda: bench("--op", op, "--endpoint", s.endpoint, "--duration", str(cfg.duration), *common))
                r = res["ops"][op]
                if "error" not in r:
                    log(f"  {api}: {r['rps']:,.0f} req/s, p50 {r['p50_us']} us, p99 {r['p99_us']} us, errors {r['errors']}")
            step(res, "after_load", s.rss)
    except RuntimeError as e:
        log(f"  ! {e}")
    return res


# ---------------------------------------------------------------- report


NOT_RUN = float("nan")  # identity-compared marker: the server was not benchmarked


def get(d: dict | None, *path):
    if d is None:
        return NOT_RUN
    for k in path:
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    if isinstance(d, dict) and "error" in d:
        return None
    return d


def mb(kb) -> float | None:
    return kb if kb is None or kb is NOT_RUN else kb * 1024 / 1e6


def fmt_num(x, unit: str = "", digits: int = 0) -> str:
    if x is None:
        return "failed"
    if x is NOT_RUN:
        return "not run"
    return f"{x:,.{digits}f}{unit}"


def ratio(nimbus, moto, higher_is_better: bool) -> str:
    if not nimbus or not moto or nimbus is NOT_RUN or moto is NOT_RUN:
        return "–"
    r = nimbus / moto if higher_is_better else moto / nimbus
    return f"{r:,.1f}×" if r < 100 else f"{r:,.0f}×"


def check(value, limit, higher_is_better: bool) -> str:
    if value is None:
        return "❌"
    ok = value >= limit if higher_is_better else value <= limit
    return "✅" if ok else "❌"


def errors_note(r) -> str:
    if isinstance(r, dict) and r.get("errors"):
        return f" ({r['errors']:,} errors)"
    return ""


def table(results: dict, cfg: argparse.Namespace) -> str:
    n, m = results.get("nimbus"), results.get("moto")
    rows = []

    def row(metric, nv, mv, nfmt, mfmt, r, target=""):
        rows.append(f"| {metric} | {nfmt} | {mfmt} | {r} | {target} |")

    fa_n, fa_m = get(n, "first_answer", "median_ms"), get(m, "first_answer", "median_ms")
    t = TARGETS["first_answer_ms"]
    row(f"First answer after exec (median of {cfg.starts}; Nimbus: new data dir on disk)", fa_n, fa_m, fmt_num(fa_n, " ms", 1), fmt_num(fa_m, " ms", 1),
        ratio(fa_n, fa_m, False), f"≤ {t:g} ms {check(fa_n, t, False)}" if "nimbus" in results else f"≤ {t:g} ms")
    if n is not None:
        fa_mem = get(n, "first_answer_memory", "median_ms")
        row("… Nimbus with `--data-dir :memory:`", fa_mem, None, fmt_num(fa_mem, " ms", 1), "(always in memory)",
            ratio(fa_mem, fa_m, False), "")

    for key, label, target in [("idle", "Idle RSS", TARGETS["idle_rss_mb"]),
                               ("idle_touched", "… after one describe-images and one ssm get-parameter", TARGETS["idle_rss_mb"]),
                               ("after_groups", f"RSS after {cfg.groups:,} security groups", TARGETS["groups_rss_mb"])]:
        vn, vm = mb(get(n, key, "rss_kb")), mb(get(m, key, "rss_kb"))
        tgt = ""
        if key in ("idle", "idle_touched") or cfg.groups == 10_000:
            tgt = f"≤ {target:g} MB" + (f" {check(vn, target, False)}" if "nimbus" in results else "")
        row(label, vn, vm, fmt_num(vn, " MB", 1), fmt_num(vm, " MB", 1), ratio(vn, vm, False), tgt)
    vn, vm = mb(get(n, "after_load", "rss_kb")), mb(get(m, "after_load", "rss_kb"))
    row("RSS after the throughput runs below (another fresh server)", vn, vm, fmt_num(vn, " MB", 1), fmt_num(vm, " MB", 1),
        ratio(vn, vm, False), "")

    for op, api, target in THROUGHPUT_OPS:
        rn, rm = get(n, "ops", op), get(m, "ops", op)
        vn, vm = get(n, "ops", op, "rps"), get(m, "ops", op, "rps")
        tgt = f"≥ {target:,} req/s" + (f" {check(vn, target, True)}" if "nimbus" in results else "") if target else ""
        row(f"{api} req/s", vn, vm, fmt_num(vn) + errors_note(rn), fmt_num(vm) + errors_note(rm), ratio(vn, vm, True), tgt)
        pn = [get(n, "ops", op, k) for k in ("p50_us", "p99_us")]
        pm = [get(m, "ops", op, k) for k in ("p50_us", "p99_us")]

        def lat(p):
            if NOT_RUN in p:
                return "not run"
            return "failed" if None in p else f"{p[0] / 1000:,.2f} / {p[1] / 1000:,.2f} ms"

        rat = "–" if None in pn + pm or NOT_RUN in pn + pm else f"{ratio(pn[0], pm[0], False)} / {ratio(pn[1], pm[1], False)}"
        row(f"{api} p50 / p99", None, None, lat(pn), lat(pm), rat)

    ratios = results.get("ratios")
    if isinstance(ratios, dict) and "variants" in ratios:
        v = ratios["variants"]
        pct = lambda x: f"{100 * x:.1f} %"  # noqa: E731
        rounds = f"{ratios['rounds']} × {ratios['slice_s']:g} s each, interleaved"
        row(f"GetCallerIdentity ÷ do-nothing server, `nimbus-bench` ({v['root']['rps']:,.0f} ÷ {v['noop']['rps']:,.0f} req/s; {rounds})",
            None, None, pct(ratios["root_vs_noop"]), "", "", f"≥ 70 % {check(ratios['root_vs_noop'], 0.70, True)}")
        w = ratios.get("wrk", {})
        if "root_vs_noop" in w:
            row(f"GetCallerIdentity ÷ do-nothing server, `wrk -t2 -c{cfg.concurrency}` ({w['root_rps']:,.0f} ÷ {w['noop_rps']:,.0f} req/s)",
                None, None, pct(w["root_vs_noop"]), "", "", "reported")
        row(f"GetCallerIdentity as an IAM user (group with 10 managed policies incl. ReadOnlyAccess) ÷ as the root "
            f"({v['user']['rps']:,.0f} ÷ {v['root']['rps']:,.0f} req/s)",
            None, None, pct(ratios["user_vs_root"]), "", "", f"≥ 90 % {check(ratios['user_vs_root'], 0.90, True)}")
        row(f"Cost of info logging (one line per request) vs `--log-level warn` ({v['root']['rps']:,.0f} vs {v['root_warn']['rps']:,.0f} req/s)",
            None, None, pct(ratios["logging_cost"]), "", "", f"≤ 5 % {check(ratios['logging_cost'], 0.05, False)}")

    cn, cm = get(n, "create_sg", "rps"), get(m, "create_sg", "rps")
    t = TARGETS["create_sg_rps"]
    row(f"Durable CreateSecurityGroup/s ({cfg.groups:,} groups)", cn, cm,
        fmt_num(cn) + errors_note(get(n, "create_sg")), fmt_num(cm) + errors_note(get(m, "create_sg")), ratio(cn, cm, True),
        f"≥ {t:,}/s" + (f" {check(cn, t, True)}" if "nimbus" in results else ""))

    head = "| metric | Nimbus | moto | ratio | target (Nimbus) |\n|---|---:|---:|---:|---|"
    return head + "\n" + "\n".join(rows)


def notes(results: dict, cfg: argparse.Namespace) -> list[str]:
    """Errors and oddities worth reading next to the table."""
    out = []
    for name, r in results.items():
        if not isinstance(r, dict) or name == "env":
            continue
        items = [("first_answer", r.get("first_answer")), ("first_answer_memory", r.get("first_answer_memory")),
                 ("create_sg", r.get("create_sg")),
                 ("idle", r.get("idle")), ("after_groups", r.get("after_groups"))]
        items += [(k, v) for k, v in r.get("ops", {}).items()]
        for k, v in items:
            if isinstance(v, dict) and "error" in v:
                out.append(f"{name} {k}: {v['error']}")
            elif isinstance(v, dict) and v.get("errors"):
                sample = " ".join(str(v.get("sample_error")).split())[:240]
                out.append(f"{name} {k}: {v['errors']:,} errors, statuses {v.get('status')}, e.g. {sample}")
    return out


def environment() -> dict:
    def cmd(*a):
        try:
            return subprocess.run(a, capture_output=True, text=True, cwd=ROOT, timeout=30).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    cpu = ""
    try:
        cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "")
    except OSError:
        pass
    try:
        from importlib.metadata import version

        moto_version = version("moto")
    except Exception:  # noqa: BLE001 — moto missing only matters if it is benchmarked
        moto_version = "?"
    commit = cmd("git", "rev-parse", "--short", "HEAD")
    if cmd("git", "status", "--porcelain"):
        commit += "+dirty"
    fs = cmd("findmnt", "-n", "-o", "FSTYPE", "-T", str(OUT)) or cmd("stat", "-f", "-c", "%T", str(OUT))
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        "nimbus": cmd(str(NIMBUS_BIN), "--version") if NIMBUS_BIN.exists() else "",
        "commit": commit,
        "moto": moto_version,
        "python": platform.python_version(),
        "data_fs": fs,
        "loadavg_start": list(os.getloadavg()),
    }


def readme_block(results: dict, cfg: argparse.Namespace, tbl: str) -> str:
    e = results["env"]
    return f"""## Benchmarks

Measured by `scripts/bench` on {e['date']}: {e['cpu']}, {e['cores']} cores, Linux {e['kernel']};
{e['nimbus'] or 'nimbus'} ({e['commit']}) against moto {e['moto']} (`moto_server`, Python {e['python']}).
Every request is SigV4-signed, and Nimbus verifies every signature. The load generator is
`nimbus-bench` (compiled, {cfg.concurrency} keep-alive connections, {cfg.duration:g} s per operation) and it
shares the {e['cores']} cores with the server, so the server figures are lower bounds. Nimbus
stores its state on disk ({e['data_fs']}); a CreateSecurityGroup is answered only once durable.
Load average (1 min) at the start and end of the run: {e['loadavg_start'][0]:.1f} and
{e.get('loadavg_end', [float('nan')])[0]:.1f} (anything else running on the machine shares its cores: compare
figures within one run, not across runs).

{tbl}

Ratio: how many times Nimbus is better (faster, smaller or more requests per second).
{ceiling_line(results)}
Rerun it with `scripts/bench` (`scripts/bench --quick` for a short run).
"""


def main() -> int:
    global NIMBUS_BIN, BENCH_BIN
    ap = argparse.ArgumentParser(description="Benchmark Nimbus against moto and print ratios.")
    ap.add_argument("--servers", default="nimbus,moto", help="comma-separated subset of nimbus,moto")
    ap.add_argument("--duration", type=float, default=10.0, help="seconds per throughput operation (default 10)")
    ap.add_argument("--concurrency", type=int, default=32, help="connections of the load generator (default 32)")
    ap.add_argument("--client-threads", type=int, default=1, help="threads of the load generator (default 1)")
    ap.add_argument("--groups", type=int, default=10_000, help="security groups to create (default 10000)")
    ap.add_argument("--starts", type=int, default=5, help="starts to take the first-answer median of (default 5)")
    ap.add_argument("--nimbus-bin", type=Path, default=None, help=f"the server to measure (default {NIMBUS_BIN.relative_to(ROOT)})")
    ap.add_argument("--bench-bin", type=Path, default=None, help=f"the load generator (default {BENCH_BIN.relative_to(ROOT)})")
    ap.add_argument("--ratio-rounds", type=int, default=3, help="rounds of the interleaved ratio runs (default 3)")
    ap.add_argument("--ratio-slice", type=float, default=4.0, help="seconds per variant per round (default 4)")
    ap.add_argument("--quick", action="store_true", help="short run: 2 s per op, 3 starts, 1000 groups")
    ap.add_argument("--build", action="store_true", help="cargo build --release -p nimbus -p nimbus-bench first")
    ap.add_argument("--markdown", action="store_true", help="also print the block for README.md's Benchmarks section")
    cfg = ap.parse_args()
    NIMBUS_BIN = (cfg.nimbus_bin or NIMBUS_BIN).resolve()
    BENCH_BIN = (cfg.bench_bin or BENCH_BIN).resolve()
    if cfg.quick:
        cfg.duration, cfg.starts, cfg.groups, cfg.ratio_rounds, cfg.ratio_slice = 2.0, 3, 1_000, 2, 2.0
    servers = [s.strip() for s in cfg.servers.split(",") if s.strip()]
    for s in servers:
        if s not in ("nimbus", "moto"):
            ap.error(f"unknown server {s!r}")

    if cfg.build:
        pkgs = ["-p", "nimbus-bench"] + (["-p", "nimbus"] if "nimbus" in servers else [])
        log(f"$ cargo build --release {' '.join(pkgs)}")
        subprocess.run(["cargo", "build", "--release", *pkgs], cwd=ROOT, check=True)
    for s, binary in [("nimbus", NIMBUS_BIN), ("moto", MOTO_BIN)]:
        if s in servers and not binary.exists():
            ap.error(f"{binary} is missing (scripts/bench builds and installs everything)")
    if not BENCH_BIN.exists():
        ap.error(f"{BENCH_BIN} is missing (cargo build --release -p nimbus-bench)")

    # SIGTERM (and SIGHUP) unwind like Ctrl-C, so the finally below stops what was started.
    def on_signal(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)

    (OUT / "logs").mkdir(parents=True, exist_ok=True)
    results: dict = {"env": environment(), "config": {k: str(v) if isinstance(v, Path) else v for k, v in vars(cfg).items()}}
    sign = bench("--op", "sign", "--duration", "1")
    results["signer"] = sign
    log(f"signer: {sign['rps']:,.0f} signed create-sg requests/s on one thread ({sign['us_per_request']} us each)")
    try:
        with tempfile.TemporaryDirectory(prefix="nimbus-bench-", dir=OUT) as work:
            for s in servers:
                results[s] = measure(s, cfg, Path(work))
            log("[ceiling] the same GetCallerIdentity load against a do-nothing server")
            step(results, "ceiling", lambda: measure_ceiling(cfg))
            if "nimbus" in servers:
                log(f"[ratios] interleaved GetCallerIdentity: noop, root, IAM user, root at warn ({cfg.ratio_rounds} rounds)")
                step(results, "ratios", lambda: measure_ratios(cfg, Path(work)))
    except KeyboardInterrupt:
        log("interrupted: stopping everything this run started")
        return 130
    finally:
        stop_all()

    results["env"]["loadavg_end"] = list(os.getloadavg())
    out_json = OUT / "latest.json"
    out_json.write_text(json.dumps(results, indent=2) + "\n")
    tbl = table(results, cfg)
    print()
    print(tbl)
    print()
    print(f"Ratio: how many times Nimbus is better (faster, smaller, more req/s); MB = 10^6 bytes of VmRSS.")
    print(f"Note: the load generator (nimbus-bench, {cfg.client_threads} thread(s), {cfg.concurrency} connections) "
          f"runs on the same {os.cpu_count()} cores as the server it measures; server numbers are lower bounds.")
    if ceiling_line(results):
        print(ceiling_line(results))
    for line in notes(results, cfg):
        print(f"! {line}")
    block = readme_block(results, cfg, tbl)
    (OUT / "README-snippet.md").write_text(block)
    print(f"\nraw results: {out_json.relative_to(ROOT)}; README block: {(OUT / 'README-snippet.md').relative_to(ROOT)}")
    if cfg.markdown:
        print("\n---- paste into README.md ----\n")
        print(block)
    return 0


if __name__ == "__main__":
    sys.exit(main())
