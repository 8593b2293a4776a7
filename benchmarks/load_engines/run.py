"""The native load engine vs ``--engine locust``, side by side: same app, same CCU, same window.

One command (from the repository root, with ``pip install -e ".[test]"``, which brings Locust)::

    .venv/bin/python benchmarks/load_engines/run.py [--runs 3] [--ccu 20] [--seconds 5] [--path /cpu?ms=1]

The app is tests/apps/load_target.py under one uvicorn worker on 127.0.0.1; ``/cpu?ms=1`` burns
1 ms of the loop per request, so the server (not the generator) sets the pace and the two engines'
RPS should agree. Runs alternate native and Locust (drift hits both); the table gives medians of
``--runs`` runs: RPS, p50/p99 and client CPU (100 = one core), each engine's client CPU measured the
same way (psutil/rusage CPU of its own processes over the measured window, the same figure
``load --format json`` reports as ``generator.cpu_percent``), plus client CPU per request.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import psutil

from workeradvisor.launch import serve
from workeradvisor.load import build_plan, run_stage
from workeradvisor.load.locust_engine import LocustOptions, run_locust_stage
from workeradvisor.models.load import StageResult

APP = str(Path(__file__).resolve().parents[2] / "tests" / "apps" / "load_target.py") + ":app"
METRICS = (("rps", "RPS", "{:.0f}"), ("p50", "p50 ms", "{:.1f}"), ("p99", "p99 ms", "{:.1f}"),
           ("cpu", "client CPU %", "{:.0f}"), ("cpu_ms_per_req", "client CPU ms/request", "{:.3f}"),
           ("server_cpu", "server CPU %", "{:.0f}"), ("errors", "errors", "{:.0f}"))


def figures(stage: StageResult) -> dict[str, float]:
    lat = stage.latency_ms
    return {"rps": stage.rps, "p50": lat.p50 or 0.0, "p99": lat.p99 or 0.0, "cpu": stage.generator_cpu_percent,
            "cpu_ms_per_req": 10.0 * stage.generator_cpu_percent / stage.rps if stage.rps else 0.0,
            "server_cpu": stage.server.total_cpu_percent if stage.server else 0.0,
            "errors": float(stage.errors.total), "bound": float(stage.generator_bound),
            "host_idle": stage.host_cpu_idle_percent}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--ccu", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--warmup", type=float, default=1.0)
    ap.add_argument("--path", default="/cpu?ms=1")
    ap.add_argument("--locust-workers", type=int, default=2)
    args = ap.parse_args()
    results: dict[str, list[dict[str, float]]] = {"native": [], "locust": []}
    with serve(APP) as srv:
        plan = build_plan(srv.base_url + args.path)
        for i in range(args.runs):
            for engine in ("native", "locust"):
                if engine == "native":
                    stage = run_stage(plan, ccu=args.ccu, duration_s=args.seconds, warmup_s=args.warmup,
                                      server_pid=srv.pid)
                else:
                    stage = run_locust_stage(plan, ccu=args.ccu, duration_s=args.seconds, warmup_s=args.warmup,
                                             options=LocustOptions(workers=args.locust_workers), server_pid=srv.pid)
                r = figures(stage)
                results[engine].append(r)
                print(f"run {i + 1} {engine:7}: {r['rps']:7.0f} req/s  p50 {r['p50']:6.1f} ms  p99 {r['p99']:6.1f} "
                      f"ms  client CPU {r['cpu']:5.0f}%  ({stage.generator_processes} processes, host idle "
                      f"{r['host_idle']:.0f}%{', GENERATOR-BOUND' if r['bound'] else ''})", flush=True)
    print(f"\nmedian of {args.runs} runs, ccu {args.ccu}, {args.seconds:g} s measured after {args.warmup:g} s warm-up, "
          f"GET {args.path}, one uvicorn worker, Locust with {args.locust_workers} local workers + master")
    print(f"{'metric':24} {'native':>10} {'locust':>10} {'locust/native':>14}")
    for key, name, fmt in METRICS:
        nv = statistics.median(r[key] for r in results["native"])
        lv = statistics.median(r[key] for r in results["locust"])
        ratio = f"{lv / nv:.2f}x" if nv else "-"
        print(f"{name:24} {fmt.format(nv):>10} {fmt.format(lv):>10} {ratio:>14}")
    print(f"\n{psutil.cpu_count()} logical CPUs; load average {', '.join(f'{x:.1f}' for x in psutil.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
