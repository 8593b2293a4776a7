"""wrk vs workeradvisor's load engine, side by side against one uvicorn worker on 127.0.0.1.

One command: ``/work/venv/bin/python benchmarks/load_engine/run.py [--runs 5] [--seconds 5] [--processes default,2]``.
Installs wrk from Debian when missing. Alternates wrk and our engine run by run (so drift hits
both), reports medians and ratios. Client CPU is measured the same way for both: rusage of the
reaped client processes (wrk; our generator processes) plus, for ours, the orchestrating
parent's own CPU during the run. Goals (issue 3): >= 75% of wrk's RPS at c=50, <= 3x wrk's client
CPU per request, 0 errors at c=100.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psutil

from workeradvisor.launch import serve
from workeradvisor.load import build_plan, run_stage
from workeradvisor.load.importers import wrk as wrk_import

APP = str(Path(__file__).with_name("hello_app.py")) + ":app"


def ensure_wrk() -> str:
    path = shutil.which("wrk")
    if path:
        return path
    print("wrk not found: apt-get update && apt-get install -y wrk", flush=True)
    subprocess.run(["apt-get", "update"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["apt-get", "install", "-y", "wrk"], check=True, stdout=subprocess.DEVNULL)
    path = shutil.which("wrk")
    if not path:
        sys.exit("wrk could not be installed")
    return path


def _cpu(who: int) -> float:
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime


def _host_busy() -> float:
    t = psutil.cpu_times()
    return sum(t) - t.idle - getattr(t, "iowait", 0.0)


def _proc_cpu(pid: int) -> float:
    ct = psutil.Process(pid).cpu_times()
    return ct.user + ct.system


def measured(fn, server_pid: int, *args: object) -> dict[str, float]:
    """Run one client and note how many cores *other* processes used meanwhile (contamination)."""
    t0, busy0, srv0, self0 = time.monotonic(), _host_busy(), _proc_cpu(server_pid), _cpu(resource.RUSAGE_SELF)
    kids0 = _cpu(resource.RUSAGE_CHILDREN)
    r = fn(*args)
    wall = time.monotonic() - t0
    ours = _proc_cpu(server_pid) - srv0 + _cpu(resource.RUSAGE_CHILDREN) - kids0 + _cpu(resource.RUSAGE_SELF) - self0
    r["other_cores"] = max(0.0, (_host_busy() - busy0 - ours) / wall)
    r["load1"] = os.getloadavg()[0]
    return r


def run_wrk(wrk: str, url: str, conns: int, seconds: float) -> dict[str, float]:
    before = _cpu(resource.RUSAGE_CHILDREN)
    out = subprocess.run([wrk, "-t2", f"-c{conns}", f"-d{seconds:g}s", "--latency", url],
                         capture_output=True, text=True, check=True).stdout
    cpu = _cpu(resource.RUSAGE_CHILDREN) - before
    stage = wrk_import.parse(out).stages[0]
    return {"rps": stage.rps, "p99": stage.latency_ms.p99, "errors": stage.errors.total,
            "cpu_us_per_req": cpu / max(stage.requests, 1) * 1e6}


def run_ours(url: str, conns: int, seconds: float, processes: int | None) -> dict[str, float]:
    before_kids, before_self = _cpu(resource.RUSAGE_CHILDREN), _cpu(resource.RUSAGE_SELF)
    stage = run_stage(build_plan(url), ccu=conns, duration_s=seconds, warmup_s=0.0, processes=processes)
    cpu = _cpu(resource.RUSAGE_CHILDREN) - before_kids + _cpu(resource.RUSAGE_SELF) - before_self
    return {"rps": stage.rps, "p99": stage.latency_ms.p99, "errors": stage.errors.total,
            "cpu_us_per_req": cpu / max(stage.requests, 1) * 1e6, "processes": stage.generator_processes,
            "bound": float(stage.generator_bound)}


def median(runs: list[dict[str, float]], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def _table(results: dict[tuple[str, int], list[dict[str, float]]], tool: str) -> tuple[list[tuple], bool]:
    rows, ok_all = [], True
    for conns in (50, 100):
        w, o = results[("wrk", conns)], results[(tool, conns)]
        rps_ratio = median(o, "rps") / median(w, "rps")
        cpu_ratio = median(o, "cpu_us_per_req") / median(w, "cpu_us_per_req")
        errors = sum(r["errors"] for r in o)
        checks = [("RPS (median)", median(w, "rps"), median(o, "rps"), rps_ratio,
                   ">= 0.75" if conns == 50 else "", rps_ratio >= 0.75 if conns == 50 else None),
                  ("client CPU µs/request", median(w, "cpu_us_per_req"), median(o, "cpu_us_per_req"), cpu_ratio,
                   "<= 3.0" if conns == 50 else "", cpu_ratio <= 3.0 if conns == 50 else None),
                  ("p99 ms (median)", median(w, "p99"), median(o, "p99"),
                   median(o, "p99") / max(median(w, "p99"), 1e-9), "", None),
                  ("errors (sum of runs)", sum(r["errors"] for r in w), errors, float("nan"),
                   "ours == 0" if conns == 100 else "", errors == 0 if conns == 100 else None)]
        for name, wv, ov, ratio, goal, passed in checks:
            rows.append((f"c={conns}", name, wv, ov, ratio, goal, passed))
            ok_all = ok_all and passed is not False
    return rows, ok_all


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--processes", default="default",
                    help="our generator process counts to compare, e.g. 'default,2' (default: the engine's choice)")
    args = ap.parse_args()
    variants = [None if p.strip() == "default" else int(p) for p in args.processes.split(",")]
    names = {v: "ours" if v is None else f"ours-p{v}" for v in variants}
    tools = ["wrk", *names.values()]
    wrk = ensure_wrk()
    results: dict[tuple[str, int], list[dict[str, float]]] = {}
    with serve(APP) as srv:
        url = srv.base_url + "/"
        for conns in (50, 100):
            for i in range(args.runs):
                order = tools[i % len(tools):] + tools[:i % len(tools)]  # rotate so drift hits every tool
                for tool in order:
                    if tool == "wrk":
                        r = measured(run_wrk, srv.pid, wrk, url, conns, args.seconds)
                    else:
                        v = next(k for k, n in names.items() if n == tool)
                        r = measured(run_ours, srv.pid, url, conns, args.seconds, v)
                    results.setdefault((tool, conns), []).append(r)
                    print(f"c={conns} run {i + 1} {tool:8}: {r['rps']:8.0f} req/s  p99 {r['p99']:6.1f} ms  "
                          f"{r['cpu_us_per_req']:5.1f} µs CPU/req  errors {r['errors']:.0f}  "
                          f"other processes {r['other_cores']:.2f} cores", flush=True)
    ok_default = True
    for v, tool in names.items():
        rows, ok = _table(results, tool)
        if v is None:
            ok_default = ok
        procs_used = sorted({int(r["processes"]) for (t, _), rs in results.items() if t == tool for r in rs})
        print(f"\n{tool}: {procs_used} generator process(es) vs wrk -t2, one uvicorn worker (FastAPI hello), "
              f"{args.runs} rotated runs of {args.seconds:g}s, medians")
        print(f"{'conc':6} {'metric':24} {'wrk':>10} {tool:>10} {'ratio':>9}  {'goal':10} result")
        for conc, name, wv, ov, ratio, goal, passed in rows:
            verdict = "" if passed is None else ("PASS" if passed else "MISS")
            ratio_text = "" if ratio != ratio else f"{ratio:.2f}"
            print(f"{conc:6} {name:24} {wv:10.1f} {ov:10.1f} {ratio_text:>9}  {goal:10} {verdict}")
    other = statistics.median(r["other_cores"] for rs in results.values() for r in rs)
    print(f"\nOther processes used a median {other:.2f} cores during the runs.")
    if other > 0.25:
        print("WARNING: the box was busy with other work; both tools lose CPU, a single-process Python engine "
              "more than 2-thread wrk. Rerun on a quiet machine before judging the goals.")
    return 0 if ok_default else 1


if __name__ == "__main__":
    sys.exit(main())
