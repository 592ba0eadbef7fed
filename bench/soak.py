#!/usr/bin/env python3
"""The soak bench (issue 8): Nimbus under a steady mixed load for an hour, its memory sampled.

One run, against a fresh on-disk Nimbus it starts (release binary by default):
  1. capacity: the closed-loop throughput of the mixed cycle (`nimbus-bench --op mixed`:
     STS GetCallerIdentity; IAM CreateUser/GetUser/DeleteUser; EC2 CreateSecurityGroup/
     DescribeSecurityGroups/DeleteSecurityGroup; S3 PutObject/GetObject/DeleteObject of 4 KiB;
     CloudWatch PutMetricData/ListMetrics) with --concurrency connections;
  2. the soak: the same cycle at half that rate (--load 0.5) for --duration seconds, in
     back-to-back runs of --chunk seconds (each reports rate, errors and latency),
  3. meanwhile RSS (VmRSS), threads, open descriptors and the data dir's size are sampled
     every --sample seconds.
It reports the RSS at the end of the warm-up (--warmup seconds into the soak), at the end,
the peak, and the least-squares growth rate after warm-up, with every chunk's figures. The
cycle deletes what it creates, except CloudWatch data points, which are kept (as AWS keeps
them); their count is reported so growth can be set against them.

Output: a summary on stdout, raw samples and chunks in target/bench/soak.json. Everything it
starts is stopped by PID, and its temp dir removed, also on Ctrl-C or an error.

Usage: bench/soak.py [--duration 3600] [--warmup 600] [--concurrency 16] [--load 0.5]
Run it under `nice -n 10` (children inherit it) on a machine others share.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "target" / "bench"


def log(msg: str) -> None:
    print(f"[{datetime.datetime.now(datetime.timezone.utc):%H:%M:%S}] {msg}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def status_fields(pid: int) -> dict:
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "Threads"):
                out[k] = int(v.split()[0])
    return out


def dir_bytes(path: Path) -> int:
    total = 0
    for dirpath, _, files in os.walk(path):
        for f in files:
            try:
                total += os.stat(os.path.join(dirpath, f)).st_blocks * 512
            except OSError:
                pass
    return total


class Sampler(threading.Thread):
    """Samples the server every `every` seconds until stopped."""

    def __init__(self, pid: int, data_dir: Path, every: float, t0: float):
        super().__init__(daemon=True)
        self.pid, self.data_dir, self.every, self.t0 = pid, data_dir, every, t0
        self.samples: list[dict] = []
        self.stop_event = threading.Event()

    def sample(self) -> None:
        try:
            s = status_fields(self.pid)
            s["fds"] = len(os.listdir(f"/proc/{self.pid}/fd"))
        except OSError:
            return
        s["t"] = round(time.time() - self.t0, 1)
        s["data_dir_bytes"] = dir_bytes(self.data_dir)
        s["load1"] = os.getloadavg()[0]
        self.samples.append(s)

    def run(self) -> None:
        while not self.stop_event.wait(self.every):
            self.sample()


def slope_per_hour(points: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of (seconds, value) points, per hour."""
    if len(points) < 3:
        return None
    n = len(points)
    mx = sum(p[0] for p in points) / n
    my = sum(p[1] for p in points) / n
    sxx = sum((p[0] - mx) ** 2 for p in points)
    if sxx == 0:
        return None
    sxy = sum((p[0] - mx) * (p[1] - my) for p in points)
    return sxy / sxx * 3600


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=str(ROOT / "target" / "release" / "nimbus"))
    ap.add_argument("--bench-bin", default=str(ROOT / "target" / "release" / "nimbus-bench"))
    ap.add_argument("--duration", type=float, default=3600, help="soak seconds (default 3600)")
    ap.add_argument("--warmup", type=float, default=600, help="seconds of the soak counted as warm-up")
    ap.add_argument("--capacity-seconds", type=float, default=30)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--load", type=float, default=0.5, help="fraction of capacity to soak at")
    ap.add_argument("--chunk", type=float, default=60)
    ap.add_argument("--sample", type=float, default=5)
    ap.add_argument("--out", default=str(OUT / "soak.json"))
    cfg = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="nimbus-soak-"))
    data_dir = work / "data"
    procs: list[subprocess.Popen] = []

    def stop(p: subprocess.Popen) -> None:
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def on_signal(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)

    def bench(*args: str, timeout: float) -> dict:
        p = subprocess.Popen([cfg.bench_bin, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        procs.append(p)
        try:
            out, err = p.communicate(timeout=timeout)
        finally:
            stop(p)
            procs.remove(p)
        if p.returncode != 0:
            raise RuntimeError(f"nimbus-bench {' '.join(args)} failed ({p.returncode}): {err.strip()}")
        return json.loads(out.strip().splitlines()[-1])

    result: dict = {
        "started": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "config": vars(cfg),
        "nproc": os.cpu_count(),
        "nice": os.nice(0),
    }
    try:
        commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True).stdout.strip()
        result["commit"] = commit
        port = free_port()
        endpoint = f"http://127.0.0.1:{port}"
        server_log = open(work / "server.log", "wb")
        server = subprocess.Popen([cfg.bin, "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", str(data_dir),
                                   "--log-level", "warn"],
                                  stdin=subprocess.DEVNULL, stdout=server_log, stderr=subprocess.STDOUT)
        procs.append(server)
        bench("--op", "wait", "--endpoint", endpoint, "--duration", "120", timeout=130)
        time.sleep(1)
        result["idle"] = status_fields(server.pid)
        log(f"nimbus {server.pid} on {endpoint}; idle RSS {result['idle']['VmRSS'] / 1024:.1f} MiB")

        common = ["--endpoint", endpoint, "--concurrency", str(cfg.concurrency)]
        bench("--op", "mixed", *common, "--duration", "5", timeout=120)  # warm the code paths
        cap = bench("--op", "mixed", *common, "--duration", str(cfg.capacity_seconds), timeout=cfg.capacity_seconds + 120)
        result["capacity"] = cap
        if cap["errors"]:
            raise RuntimeError(f"capacity run had errors: {cap['sample_error']}")
        rate = cap["rps"] * cfg.load
        result["rate"] = rate
        log(f"capacity {cap['rps']:,.0f} req/s (p50 {cap['p50_us']} us, p99 {cap['p99_us']} us); "
            f"soaking at {rate:,.0f} req/s for {cfg.duration:g} s")

        t0 = time.time()
        sampler = Sampler(server.pid, data_dir, cfg.sample, t0)
        sampler.sample()
        sampler.start()
        chunks = []
        try:
            while (left := cfg.duration - (time.time() - t0)) > 1:
                secs = min(cfg.chunk, left)
                r = bench("--op", "mixed", *common, "--rate", f"{rate:.1f}", "--duration", f"{secs:.1f}",
                          timeout=secs + 120)
                r["t_end"] = round(time.time() - t0, 1)
                chunks.append(r)
                rss = sampler.samples[-1]["VmRSS"] / 1024 if sampler.samples else 0
                log(f"t={r['t_end']:6.0f}s {r['rps']:7,.0f} req/s errors {r['errors']} p50 {r['p50_us']} us "
                    f"p99 {r['p99_us']} us behind {r['behind']}; RSS {rss:.1f} MiB")
                if server.poll() is not None:
                    raise RuntimeError(f"nimbus exited ({server.returncode})")
        finally:
            sampler.stop_event.set()
            sampler.join()
        sampler.sample()
        samples = sampler.samples
        result["chunks"] = chunks
        result["samples"] = samples

        after = [s for s in samples if s["t"] >= cfg.warmup]
        at_warm = after[0] if after else samples[-1]
        end = samples[-1]
        peak = max(samples, key=lambda s: s["VmRSS"])
        slope = slope_per_hour([(s["t"], s["VmRSS"] / 1024) for s in after])
        requests = sum(c["requests"] for c in chunks)
        errors = sum(c["errors"] for c in chunks)
        metric_points = sum(c["per_service"].get("monitoring", {}).get("ok", 0) for c in chunks) // 2
        summary = {
            "soak_seconds": round(end["t"], 1),
            "capacity_rps": cap["rps"],
            "target_rps": round(rate, 1),
            "achieved_rps": round(requests / max(end["t"], 1), 1),
            "requests": requests,
            "errors": errors,
            "chunks_behind": sum(1 for c in chunks if c["behind"]),
            "p99_us_worst_chunk": max((c["p99_us"] or 0) for c in chunks) if chunks else None,
            "idle_rss_mib": round(result["idle"]["VmRSS"] / 1024, 1),
            "rss_start_mib": round(samples[0]["VmRSS"] / 1024, 1),
            "rss_after_warmup_mib": round(at_warm["VmRSS"] / 1024, 1),
            "rss_end_mib": round(end["VmRSS"] / 1024, 1),
            "rss_peak_mib": round(peak["VmRSS"] / 1024, 1),
            "growth_after_warmup_mib": round((end["VmRSS"] - at_warm["VmRSS"]) / 1024, 1),
            "slope_after_warmup_mib_per_hour": None if slope is None else round(slope, 2),
            "rss_anon_after_warmup_mib": round(at_warm.get("RssAnon", 0) / 1024, 1),
            "rss_anon_end_mib": round(end.get("RssAnon", 0) / 1024, 1),
            "fds_after_warmup": at_warm["fds"],
            "fds_end": end["fds"],
            "threads_end": end.get("Threads"),
            "data_dir_mib_end": round(end["data_dir_bytes"] / 2**20, 1),
            "cloudwatch_points_kept": metric_points,
            "load1_mean": round(sum(s["load1"] for s in samples) / len(samples), 1),
            "samples": len(samples),
        }
        result["summary"] = summary
        server_log.flush()
        tail = (work / "server.log").read_text(errors="replace")[-2000:]
        result["server_log_tail"] = tail
        print(json.dumps(summary, indent=1))
        return 0 if errors == 0 else 1
    except KeyboardInterrupt as e:
        log(f"interrupted: {e}")
        return 130
    finally:
        for p in list(procs):
            stop(p)
        if "summary" in result or "capacity" in result:
            Path(cfg.out).parent.mkdir(parents=True, exist_ok=True)
            Path(cfg.out).write_text(json.dumps(result, indent=1))
            log(f"raw results: {cfg.out}")
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
