"""Keep-alive stickiness: does opening closed-loop connections apart spread them over workers?

Starts ``uvicorn --workers 2`` on tests/apps/load_target.py (``/cpu?ms=N`` burns the loop), runs
short ccu-2 stages with the connections opened at once (stagger 0) and apart (the generator's
default), and prints, per stage, each worker's share of the workers' CPU. A stage is "sticky" when
one worker did >= 85% of it. Loopback only; the server is stopped by PID at the end.

    python benchmarks/keepalive/run.py [--rounds 6] [--ccu 2] [--ms 5]

Measured on the 2-core development box (Dec 2026, shared with other jobs; three runs of 6, 6 and 8
rounds): connections opened at once were sticky in 11 of 20 stages (one worker 97-100% of the CPU,
RPS about half), opened apart in 2 of 20. A third variant, reconnecting every 20 answers, was
sticky in 1 of 14 but left 13/87 to 30/70 splits and pays a handshake inside the window; it was
dropped. gunicorn -k uvicorn.workers.UvicornWorker -w 2 (same endpoint, run by hand): at once 2 of
4 stages sticky, apart 0 of 4. The generator therefore opens closed-loop connections apart by
default (warm-up only).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from workeradvisor.launch import free_port
from workeradvisor.load import build_plan, run_stage

ROOT = Path(__file__).resolve().parents[2]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--ccu", type=int, default=2)
    ap.add_argument("--ms", type=int, default=5)
    args = ap.parse_args()
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "--app-dir", str(ROOT / "tests" / "apps"),
                               "load_target:app", "--port", str(port), "--workers", "2", "--log-level", "warning"])
    try:
        time.sleep(3)
        plan = build_plan(f"http://127.0.0.1:{port}/cpu?ms={args.ms}")
        tally = {"at once": 0, "apart": 0}
        for r in range(args.rounds):
            for label, stagger in (("at once", 0.0), ("apart", None)):
                s = run_stage(plan, ccu=args.ccu, duration_s=1.5, warmup_s=0.5, server_pid=server.pid,
                              connect_stagger_s=stagger)
                workers = [p.cpu_percent for p in (s.server.processes if s.server else ()) if p.role == "worker"]
                total = sum(workers) or 1.0
                sticky = s.sticky_worker() is not None
                tally[label] += sticky
                shares = ", ".join(f"{w / total:.0%}" for w in workers)
                print(f"round {r + 1} {label:8s} rps {s.rps:7.1f}  worker shares {shares:10s} sticky={sticky}")
        print(f"sticky stages over {args.rounds} rounds: {tally}")
    finally:
        os.kill(server.pid, signal.SIGTERM)
        server.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
