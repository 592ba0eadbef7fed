#!/usr/bin/env python3
"""Connection figures (issue 8 §3): how fast Nimbus takes a burst of connects, and whether a
normal call still answers quickly while tens of thousands of idle connections are held.

Against a fresh Nimbus it starts (release binary by default, its own defaults except a longer
--idle-timeout so the held connections outlive the measurement):
  1. burst: --burst connects (default 3,000) issued at once, non-blocking; each sends
     `GET /_nimbus/health` once connected. Reported: seconds until every connect completed
     (a full listen backlog shows up here as SYN retries of 1 s, 3 s, ...) and until every
     one was answered, i.e. accepted and served. The same burst against a bare accept loop
     (a separate Python process, backlog 4096, accepting only) is measured for scale.
  2. idle: --idle connections (default 24,000) opened in batches, each answered once and
     then held idle (keep-alive). Reported: connects/s, Nimbus's open descriptors, then the
     latency of signed GetCallerIdentity calls (nimbus-bench: --calls calls on one keep-alive
     connection, and --fresh calls each on a new connection) while they are held, and how
     many held connections Nimbus closed meanwhile (goal 0).
Raises its own RLIMIT_NOFILE (as root, the hard limit too) and spreads the client side over
several 127.0.0.x source addresses so ephemeral ports do not run out; all traffic stays on
loopback. Exits non-zero if a call took >= 100 ms (p99 of the keep-alive calls, or any fresh
call), a held connection was closed, or a connect/answer failed.

Usage: bench/connections.py [--bin target/release/nimbus] [--idle 24000] [--burst 3000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import selectors
import socket
import subprocess
import sys
import tempfile
import shutil
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IP_BIND_ADDRESS_NO_PORT = 24  # linux/in.h: pick the port at connect(), per 4-tuple
REQUEST = b"GET /_nimbus/health HTTP/1.1\r\nHost: bench\r\n\r\n"
SOURCES = [f"127.0.0.{i}" for i in range(2, 10)]

BARE_ACCEPT = r"""
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(4096)
print(s.getsockname()[1], flush=True)
held = []
while True:
    c, _ = s.accept()
    held.append(c)
"""


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def raise_nofile(want: int) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(want, soft), max(want, hard)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def complete(buf: bytes) -> bool:
    """Whether `buf` holds a whole HTTP answer (head plus Content-Length body)."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return False
    length = 0
    for line in buf[:end].split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v.strip())
    return len(buf) >= end + 4 + length


def burst(port: int, n: int, first_source: int, answer: bool, timeout: float = 120) -> tuple[dict, list]:
    """Issues `n` non-blocking connects at once; with `answer`, each sends REQUEST once
    connected and waits for the whole answer. Returns timings and the open sockets."""
    sel = selectors.EpollSelector()
    socks, state = [], {}
    t0 = time.perf_counter()
    for i in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_IP, IP_BIND_ADDRESS_NO_PORT, 1)
        s.bind((SOURCES[(first_source + i) % len(SOURCES)], 0))
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", port))
        socks.append(s)
        state[s.fileno()] = [s, b""]
        sel.register(s, selectors.EVENT_WRITE)
    issued = time.perf_counter() - t0
    connected = answered = 0
    t_connected = t_answered = None
    failures = 0
    statuses: dict = {}
    deadline = time.monotonic() + timeout
    pending = n
    while pending and time.monotonic() < deadline:
        for key, ev in sel.select(timeout=1):
            s, buf = state[key.fd]
            if ev & selectors.EVENT_WRITE and key.events == selectors.EVENT_WRITE:
                err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    failures += 1
                    pending -= 1
                    sel.unregister(s)
                    continue
                connected += 1
                if connected == n:
                    t_connected = time.perf_counter() - t0
                if not answer:
                    pending -= 1
                    sel.unregister(s)
                    continue
                s.send(REQUEST)
                sel.modify(s, selectors.EVENT_READ)
            elif ev & selectors.EVENT_READ:
                try:
                    data = s.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    failures += 1
                    pending -= 1
                    sel.unregister(s)
                    continue
                buf += data
                state[key.fd][1] = buf
                if complete(buf):
                    code = buf[9:12].decode(errors="replace")
                    statuses[code] = statuses.get(code, 0) + 1
                    answered += 1
                    if answered == n:
                        t_answered = time.perf_counter() - t0
                    pending -= 1
                    sel.unregister(s)
    sel.close()
    out = {"connects": n, "issue_s": round(issued, 3), "connected": connected, "failures": failures + pending,
           "all_connected_s": None if t_connected is None else round(t_connected, 3)}
    if answer:
        out["answered"] = answered
        out["statuses"] = statuses
        out["status_503"] = statuses.get("503", 0)
        failures += answered - statuses.get("200", 0) - statuses.get("503", 0)
        out["failures"] = failures + pending
        out["all_answered_s"] = None if t_answered is None else round(t_answered, 3)
    return out, socks


def closed_count(socks: list) -> int:
    """How many of `socks` the peer has closed (readable with EOF or reset)."""
    sel = selectors.EpollSelector()
    for s in socks:
        sel.register(s, selectors.EVENT_READ)
    closed = 0
    for key, _ in sel.select(timeout=0):
        try:
            if key.fileobj.recv(1, socket.MSG_PEEK) == b"":
                closed += 1
        except OSError:
            closed += 1
    sel.close()
    return closed


def bench(bench_bin: str, *args: str) -> dict:
    r = subprocess.run([bench_bin, *args], capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        raise RuntimeError(f"nimbus-bench {' '.join(args)}: {r.stderr.strip()}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def fd_count(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=str(ROOT / "target" / "release" / "nimbus"))
    ap.add_argument("--bench-bin", default=str(ROOT / "target" / "release" / "nimbus-bench"))
    ap.add_argument("--idle", type=int, default=24_000)
    ap.add_argument("--burst", type=int, default=3_000)
    ap.add_argument("--batch", type=int, default=2_000)
    ap.add_argument("--calls", type=int, default=1_000)
    ap.add_argument("--fresh", type=int, default=50)
    ap.add_argument("--nimbus-nofile", type=int, help="start Nimbus with this open-file limit (a smaller cap)")
    ap.add_argument("--over", type=int, default=400, help="connects beyond Nimbus's cap (each must get a 503)")
    ap.add_argument("--out", default=str(ROOT / "target" / "bench" / "connections.json"))
    cfg = ap.parse_args()

    nofile = raise_nofile(cfg.idle + cfg.burst + 10_000)
    # Nimbus's connection cap is its open-file limit less 1,024; it inherits this process's
    # hard limit. Where that is below what --idle needs (a container without
    # CAP_SYS_RESOURCE cannot raise it), hold what fits and say so.
    nimbus_nofile = cfg.nimbus_nofile or resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    cap = min(max(nimbus_nofile - 1024, 64), 65_536)
    if cfg.idle > min(cap, nofile) - 3_000:
        log(f"! open-file hard limit {nimbus_nofile}: Nimbus's cap is {cap} "
            f"connections; holding {min(cap, nofile) - 3_000} idle instead of {cfg.idle}")
        cfg.idle = min(cap, nofile) - 3_000
    work = Path(tempfile.mkdtemp(prefix="nimbus-conns-"))
    procs: list[subprocess.Popen] = []
    held: list[socket.socket] = []
    result: dict = {"client_nofile": nofile, "nimbus_cap": cap, "idle_requested": cfg.idle, "somaxconn": int(Path("/proc/sys/net/core/somaxconn").read_text()),
                    "load1_start": os.getloadavg()[0]}
    ok = True
    try:
        # The reference: a bare accept loop in its own process.
        ref = subprocess.Popen([sys.executable, "-c", BARE_ACCEPT], stdout=subprocess.PIPE, text=True,
                               preexec_fn=lambda: raise_nofile(cfg.burst + 1_000))
        procs.append(ref)
        ref_port = int(ref.stdout.readline())
        r, socks = burst(ref_port, cfg.burst, 0, answer=False)
        for s in socks:
            s.close()
        result["burst_bare_accept"] = r
        log(f"bare accept loop: {cfg.burst} connects all completed in {r['all_connected_s']} s")
        ref.kill()
        ref.wait()
        procs.remove(ref)

        port = int(subprocess.run([sys.executable, "-c", "import socket;s=socket.socket();s.bind(('127.0.0.1',0));"
                                   "print(s.getsockname()[1])"], capture_output=True, text=True).stdout)
        endpoint = f"http://127.0.0.1:{port}"
        server = subprocess.Popen([cfg.bin, "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", str(work / "data"),
                                   "--idle-timeout", "1800", "--log-level", "warn"],
                                  stdin=subprocess.DEVNULL, stdout=open(work / "server.log", "wb"),
                                  stderr=subprocess.STDOUT,
                                  preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE,
                                                                        (nimbus_nofile, nimbus_nofile)))
        procs.append(server)
        bench(cfg.bench_bin, "--op", "wait", "--endpoint", endpoint, "--duration", "120")
        result["nimbus_fds_idle"] = fd_count(server.pid)

        # The same calls before any connection is held, for comparison.
        ka0 = bench(cfg.bench_bin, "--op", "sts", "--endpoint", endpoint, "--count", str(cfg.calls), "--concurrency", "1")
        fresh0 = sorted(bench(cfg.bench_bin, "--op", "wait", "--endpoint", endpoint, "--duration", "30")["ms"]
                        for _ in range(cfg.fresh))
        result["baseline_calls_keepalive"] = {k: ka0[k] for k in ("requests", "errors", "p50_us", "p99_us", "max_us")}
        result["baseline_calls_fresh_ms"] = {"n": len(fresh0), "median": fresh0[len(fresh0) // 2], "max": fresh0[-1]}
        log(f"baseline (nothing held): keep-alive p50 {ka0['p50_us']} us, p99 {ka0['p99_us']} us; "
            f"fresh connection median {fresh0[len(fresh0) // 2]} ms, max {fresh0[-1]} ms")

        r, socks = burst(port, cfg.burst, 0, answer=True)
        for s in socks:
            s.close()
        result["burst_nimbus"] = r
        ok &= r["failures"] == 0 and r["status_503"] == 0
        log(f"nimbus: {cfg.burst} connects all completed in {r['all_connected_s']} s, "
            f"all answered in {r['all_answered_s']} s, failures {r['failures']}")

        time.sleep(2)  # let Nimbus see the burst's connections close
        t0 = time.perf_counter()
        batches = []
        source = 1
        while len(held) < cfg.idle:
            n = min(cfg.batch, cfg.idle - len(held))
            r, socks = burst(port, n, source, answer=True)
            source += 1
            held.extend(socks)
            batches.append(r)
            if r["failures"] or r["status_503"]:
                ok = False
                log(f"  batch failures: {r}")
                break
        opened_s = time.perf_counter() - t0
        result["idle_open"] = {"connections": len(held), "seconds": round(opened_s, 2),
                               "connects_per_s": round(len(held) / opened_s, 1),
                               "failures": sum(b["failures"] for b in batches)}
        result["nimbus_fds_held"] = fd_count(server.pid)
        result["nimbus_rss_kb_held"] = int(next(l for l in open(f"/proc/{server.pid}/status")
                                                if l.startswith("VmRSS")).split()[1])
        log(f"held {len(held)} idle connections (opened at {result['idle_open']['connects_per_s']:,.0f}/s); "
            f"nimbus has {result['nimbus_fds_held']} descriptors open")

        ka = bench(cfg.bench_bin, "--op", "sts", "--endpoint", endpoint, "--count", str(cfg.calls), "--concurrency", "1")
        fresh = [bench(cfg.bench_bin, "--op", "wait", "--endpoint", endpoint, "--duration", "30")["ms"]
                 for _ in range(cfg.fresh)]
        fresh.sort()
        result["calls_keepalive"] = {k: ka[k] for k in ("requests", "errors", "p50_us", "p99_us", "max_us")}
        result["calls_fresh_ms"] = {"n": len(fresh), "median": fresh[len(fresh) // 2], "max": fresh[-1]}
        closed = closed_count(held)
        result["held_closed_by_server"] = closed
        result["nimbus_fds_after_calls"] = fd_count(server.pid)
        log(f"while held: GetCallerIdentity on one keep-alive connection p50 {ka['p50_us']} us, "
            f"p99 {ka['p99_us']} us, max {ka['max_us']} us, errors {ka['errors']}; on a fresh connection each: "
            f"median {fresh[len(fresh) // 2]} ms, max {fresh[-1]} ms; held connections closed by Nimbus: {closed}")
        ok &= ka["errors"] == 0 and (ka["p99_us"] or 1e9) < 100_000 and fresh[-1] < 100 and closed == 0
        ok &= len(held) == cfg.idle

        # Over the cap: fill Nimbus up and go --over beyond; the ones over get a clean 503,
        # and a call on a connection opened before still answers.
        keep = socket.create_connection(("127.0.0.1", port), timeout=10)
        keep.sendall(REQUEST)
        buf = b""
        while not complete(buf):
            buf += keep.recv(65536)
        n = cap - len(held) - 1 + cfg.over
        r, socks = burst(port, n, source, answer=True)
        codes: dict = {}
        result["over_cap_burst"] = r
        over_latency = []
        for _ in range(200):
            t = time.perf_counter()
            keep.sendall(REQUEST)
            buf = b""
            while not complete(buf):
                buf += keep.recv(65536)
            over_latency.append((time.perf_counter() - t) * 1000)
            if not buf.startswith(b"HTTP/1.1 200"):
                ok = False
        over_latency.sort()
        result["over_cap_calls_ms"] = {"n": 200, "median": round(over_latency[100], 3),
                                       "p99": round(over_latency[197], 3), "max": round(over_latency[-1], 3)}
        result["nimbus_fds_at_cap"] = fd_count(server.pid)
        log(f"over the cap: {n} more connects, {r['answered']} answered ({r['failures']} not), "
            f"503s {r.get('status_503', '?')}; meanwhile a keep-alive call: median {over_latency[100]:.2f} ms, "
            f"max {over_latency[-1]:.2f} ms; nimbus descriptors {result['nimbus_fds_at_cap']}")
        ok &= r.get("status_503", 0) >= cfg.over and over_latency[197] < 100
        for s in socks:
            s.close()
        keep.close()
        result["load1_end"] = os.getloadavg()[0]
        result["ok"] = ok
        print(json.dumps(result, indent=1))
        return 0 if ok else 1
    finally:
        for s in held:
            s.close()
        for p in procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        Path(cfg.out).parent.mkdir(parents=True, exist_ok=True)
        Path(cfg.out).write_text(json.dumps(result, indent=1))
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
