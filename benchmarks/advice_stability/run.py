"""Does ``analyze`` give the same advice run after run, on a quiet host and on a busy one?

One command: ``python benchmarks/advice_stability/run.py [--runs 5] [--apps cpu_bound,io_gateway]``.

For each example app, ``workeradvisor analyze APP --format json`` runs ``--runs`` times with no
background load, then ``--runs`` times while a background process burns half a core (5 ms busy,
5 ms asleep, stopped by PID afterwards). Each run's advice is reduced to a signature: the worker
count and the action kinds (``2w offload-process-pool``), ``no verdict`` when the engine gave none,
or ``exit N`` when the command failed. The table shows each app's advice distribution per
condition, the share of the most common advice, and whether that advice matches what the
examples' README says the measurements call for. Goal (issue 11): >= 95% the same, and right.
"""

from __future__ import annotations

import argparse
import collections
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
# app -> (target, extra analyze args)
APPS: dict[str, tuple[str, tuple[str, ...]]] = {
    "io_gateway": ("examples/io_gateway.py:app", ()),
    "cpu_bound": ("examples/cpu_bound.py:app", ()),
    "blocking": ("examples/blocking.py:app", ()),
    "mixed": ("examples/mixed.py:app", ()),
    "sync_endpoints": ("examples/sync_endpoints.py:app", ()),
    "telemetry": ("examples/telemetry.py:app", ()),
    "mem0_like": ("examples/mem0_like/app.py:app", ("--ccu", "10,30")),
}
# What examples/README.md says each app's measurements call for: (action kinds that must be present,
# worker count or None when the README leaves it to the load test).
EXPECTED: dict[str, tuple[frozenset[str], int | None]] = {
    "io_gateway": (frozenset(), 1),
    "cpu_bound": (frozenset({"offload-process-pool"}), None),
    "blocking": (frozenset({"fix-blocking"}), None),
    "mixed": (frozenset(), None),
    "sync_endpoints": (frozenset(), None),
    "telemetry": (frozenset({"fix-idle-cpu"}), None),
    "mem0_like": (frozenset({"fix-idle-cpu"}), 1),
}
BURN = ("import time\n"
        "while True:\n"
        "    t = time.perf_counter()\n"
        "    while time.perf_counter() - t < 0.005:\n"
        "        pass\n"
        "    time.sleep(0.005)\n")
RUN_TIMEOUT_S = 300


def signature(proc: subprocess.CompletedProcess[str]) -> str:
    """The advice of one run, as a short comparable string."""
    try:
        doc = json.loads(proc.stdout)
    except ValueError:
        return f"exit {proc.returncode}"
    rec = doc.get("recommendation") if isinstance(doc, dict) else None
    if rec is None:
        return "no verdict" if isinstance(doc, dict) and doc.get("no_verdict") else f"exit {proc.returncode}"
    kinds = sorted({a.get("kind", "?") for a in rec.get("actions", []) if a.get("kind") not in ("keep",
                                                                                                  "scale-workers")})
    return " ".join([f"{rec.get('workers')}w", *kinds])


def is_right(app: str, advice: str) -> bool:
    kinds, workers = EXPECTED[app]
    parts = advice.split()
    if not parts or not parts[0].endswith("w"):
        return False
    return kinds <= set(parts[1:]) and (workers is None or parts[0] == f"{workers}w")


def analyze_once(app: str) -> str:
    target, extra = APPS[app]
    cmd = [sys.executable, "-m", "workeradvisor", "analyze", target, "--format", "json", *extra]
    try:
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=RUN_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        return "timeout"
    return signature(proc)


def run_condition(apps: list[str], runs: int, busy: bool) -> dict[str, collections.Counter[str]]:
    burner = subprocess.Popen([sys.executable, "-c", BURN]) if busy else None
    try:
        out: dict[str, collections.Counter[str]] = {}
        for app in apps:
            counts: collections.Counter[str] = collections.Counter()
            for i in range(runs):
                t0 = time.monotonic()
                advice = analyze_once(app)
                counts[advice] += 1
                label = "busy" if busy else "quiet"
                print(f"  {label:5} {app:15} run {i + 1}/{runs}: {advice} ({time.monotonic() - t0:.0f} s)",
                      file=sys.stderr, flush=True)
            out[app] = counts
        return out
    finally:
        if burner is not None:
            burner.terminate()
            try:
                burner.wait(timeout=5)
            except subprocess.TimeoutExpired:
                burner.kill()
                burner.wait()


def table(apps: list[str], quiet: dict[str, collections.Counter[str]],
          busy: dict[str, collections.Counter[str]]) -> str:
    rows = [("app", "background", "advice (count)", "same", "right")]
    for app in apps:
        for label, dist in (("none", quiet), ("half a core", busy)):
            counts = dist[app]
            total = sum(counts.values())
            top, n = counts.most_common(1)[0]
            advice = ", ".join(f"{a} ({c})" for a, c in counts.most_common())
            rows.append((app, label, advice, f"{n / total:.0%}", "yes" if is_right(app, top) else "no"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5, help="analyze runs per app and condition (default 5)")
    ap.add_argument("--apps", default=",".join(APPS), help=f"comma-separated subset of {', '.join(APPS)}")
    args = ap.parse_args(argv)
    apps = [a.strip() for a in args.apps.split(",") if a.strip()]
    unknown = [a for a in apps if a not in APPS]
    if unknown or args.runs < 1:
        ap.error(f"unknown app(s): {', '.join(unknown)}" if unknown else "--runs must be >= 1")
    quiet = run_condition(apps, args.runs, busy=False)
    busy = run_condition(apps, args.runs, busy=True)
    print(table(apps, quiet, busy))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
