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
    ("put-metric", "PutMetricData", None),
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
            if k in ("VmRSS", "VmHWM"):
                fields[k] = int(v.split()[0])
    return {"rss_kb": fields.get("VmRSS"), "hwm_kb": fields.get("VmHWM")}


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
                               ("after_groups", f"RSS after {cfg.groups:,} security groups", TARGETS["groups_rss_mb"])]:
        vn, vm = mb(get(n, key, "rss_kb")), mb(get(m, key, "rss_kb"))
        tgt = ""
        if key == "idle" or cfg.groups == 10_000:
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

{tbl}

Ratio: how many times Nimbus is better (faster, smaller or more requests per second).
{ceiling_line(results)}
Rerun it with `scripts/bench` (`scripts/bench --quick` for a short run).
"""


def main() -> int:
    ap = argparse.ArgumentParser(description="Benchmark Nimbus against moto and print ratios.")
    ap.add_argument("--servers", default="nimbus,moto", help="comma-separated subset of nimbus,moto")
    ap.add_argument("--duration", type=float, default=10.0, help="seconds per throughput operation (default 10)")
    ap.add_argument("--concurrency", type=int, default=32, help="connections of the load generator (default 32)")
    ap.add_argument("--client-threads", type=int, default=1, help="threads of the load generator (default 1)")
    ap.add_argument("--groups", type=int, default=10_000, help="security groups to create (default 10000)")
    ap.add_argument("--starts", type=int, default=5, help="starts to take the first-answer median of (default 5)")
    ap.add_argument("--quick", action="store_true", help="short run: 2 s per op, 3 starts, 1000 groups")
    ap.add_argument("--build", action="store_true", help="cargo build --release -p nimbus -p nimbus-bench first")
    ap.add_argument("--markdown", action="store_true", help="also print the block for README.md's Benchmarks section")
    cfg = ap.parse_args()
    if cfg.quick:
        cfg.duration, cfg.starts, cfg.groups = 2.0, 3, 1_000
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
    results: dict = {"env": environment(), "config": vars(cfg).copy()}
    sign = bench("--op", "sign", "--duration", "1")
    results["signer"] = sign
    log(f"signer: {sign['rps']:,.0f} signed create-sg requests/s on one thread ({sign['us_per_request']} us each)")
    try:
        with tempfile.TemporaryDirectory(prefix="nimbus-bench-", dir=OUT) as work:
            for s in servers:
                results[s] = measure(s, cfg, Path(work))
            log("[ceiling] the same GetCallerIdentity load against a do-nothing server")
            step(results, "ceiling", lambda: measure_ceiling(cfg))
    except KeyboardInterrupt:
        log("interrupted: stopping everything this run started")
        return 130
    finally:
        stop_all()

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
