"""Does ``analyze`` give the same advice run after run, on a quiet host and on a busy one?

One command: ``python benchmarks/advice_stability/run.py [--runs 5] [--apps cpu_bound,io_gateway]``.
Every example app is included: ``examples/*.py`` and ``examples/*/app.py`` that assign a module-level
``app`` (found by parsing, never importing). ``--log FILE`` appends one JSON line per run, and
``--table-from FILE`` prints the table from such a log (a run cut short still gives its table).

For each example app, ``workeradvisor analyze APP --format json`` runs ``--runs`` times with no
background load and ``--runs`` times while a background process burns half a core (5 ms busy,
5 ms asleep, started before and stopped by PID after each such run), the two conditions
alternating. Each run's advice is reduced to a signature: the worker count and the action kinds
(``2w offload-process-pool``), ``no verdict`` when the engine gave none, or ``exit N`` when the
command failed. The table shows each app's advice distribution per
condition, the share of the most common advice, and whether that advice matches what the
examples' README says the measurements call for. Goal (issue 11): >= 95% the same, and right.
"""

from __future__ import annotations

import argparse
import ast
import collections
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
# Extra analyze arguments per app (the rest run with analyze's defaults).
EXTRA_ARGS: dict[str, tuple[str, ...]] = {"mem0_like": ("--ccu", "10,30")}
# What examples/README.md says each app's measurements call for: (action kinds that must be present,
# worker count or None when the README leaves it to the load test). An app the README gives no
# advice for (orders_api: only "the per-operation breakdown names POST /quotes") has no entry and
# its "right" column says n/a.
EXPECTED: dict[str, tuple[frozenset[str], int | None]] = {
    "io_gateway": (frozenset(), 1),
    "cpu_bound": (frozenset({"offload-process-pool"}), None),
    "blocking": (frozenset({"fix-blocking"}), None),
    "mixed": (frozenset(), None),
    "sync_endpoints": (frozenset(), None),
    "telemetry": (frozenset({"fix-idle-cpu"}), None),
    "mem0_like": (frozenset({"fix-idle-cpu"}), 1),
}


def _assigns_app(path: Path) -> bool:
    """A module-level ``app = ...`` (an ASGI app object), read from the source without importing it."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    except (OSError, SyntaxError, UnicodeDecodeError):
        return False
    return any(isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "app" for t in node.targets)
               for node in tree.body)


def discover_apps(examples: Path = EXAMPLES) -> dict[str, tuple[str, tuple[str, ...]]]:
    """app name -> (analyze target, extra args) for every example app."""
    found: dict[str, tuple[str, tuple[str, ...]]] = {}
    for path in sorted([*examples.glob("*.py"), *examples.glob("*/app.py")]):
        if _assigns_app(path):
            name = path.stem if path.name != "app.py" else path.parent.name
            found[name] = (f"{path.relative_to(examples.parent)}:app", EXTRA_ARGS.get(name, ()))
    return found


APPS = discover_apps()
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


def is_right(app: str, advice: str) -> bool | None:
    """Does ``advice`` match the README's; None when the README states no advice for the app."""
    if app not in EXPECTED:
        return None
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


def _burner() -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", BURN])


def _stop(burner: subprocess.Popen[bytes]) -> None:
    """Stop the burner we started, by its PID."""
    burner.terminate()
    try:
        burner.wait(timeout=5)
    except subprocess.TimeoutExpired:
        burner.kill()
        burner.wait()


def run_all(apps: list[str], runs: int, log: Path | None = None
            ) -> tuple[dict[str, collections.Counter[str]], dict[str, collections.Counter[str]]]:
    """Per app, ``runs`` rounds of (quiet run, busy run): alternating conditions so a host's drift
    over the benchmark's hour falls on both, and an interrupted benchmark still has both for the
    apps it finished."""
    quiet: dict[str, collections.Counter[str]] = {}
    busy: dict[str, collections.Counter[str]] = {}
    for app in apps:
        for i in range(runs):
            for is_busy, dist in ((False, quiet), (True, busy)):
                burner = _burner() if is_busy else None
                t0 = time.monotonic()
                try:
                    advice = analyze_once(app)
                finally:
                    if burner is not None:
                        _stop(burner)
                dist.setdefault(app, collections.Counter())[advice] += 1
                label = "busy" if is_busy else "quiet"
                took = time.monotonic() - t0
                print(f"  {label:5} {app:15} run {i + 1}/{runs}: {advice} ({took:.0f} s)", file=sys.stderr, flush=True)
                if log is not None:
                    with log.open("a", encoding="utf-8") as fh:
                        fh.write(json.dumps({"app": app, "busy": is_busy, "run": i + 1, "advice": advice,
                                             "seconds": round(took, 1)}) + "\n")
    return quiet, busy


def table(apps: list[str], quiet: dict[str, collections.Counter[str]],
          busy: dict[str, collections.Counter[str]]) -> str:
    rows = [("app", "background", "advice (count)", "same", "right")]
    for app in apps:
        for label, dist in (("none", quiet), ("half a core", busy)):
            counts = dist.get(app, collections.Counter())
            if not counts:
                continue
            total = sum(counts.values())
            top, n = counts.most_common(1)[0]
            advice = ", ".join(f"{a} ({c})" for a, c in counts.most_common())
            right = is_right(app, top)
            rows.append((app, label, advice, f"{n / total:.0%} of {total}",
                         "n/a" if right is None else "yes" if right else "no"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def from_log(path: Path) -> tuple[list[str], dict[str, collections.Counter[str]], dict[str, collections.Counter[str]]]:
    """(apps in order of appearance, quiet and busy distributions) from a ``--log`` file."""
    apps: list[str] = []
    dists: dict[bool, dict[str, collections.Counter[str]]] = {False: {}, True: {}}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        rec = json.loads(line)
        if rec["app"] not in apps:
            apps.append(rec["app"])
        dists[bool(rec["busy"])].setdefault(rec["app"], collections.Counter())[rec["advice"]] += 1
    return apps, dists[False], dists[True]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5, help="analyze runs per app and condition (default 5)")
    ap.add_argument("--apps", default=",".join(APPS), help=f"comma-separated subset of {', '.join(APPS)}")
    ap.add_argument("--log", type=Path, help="append one JSON line per run to this file")
    ap.add_argument("--table-from", type=Path, help="print the table from a --log file and exit")
    args = ap.parse_args(argv)
    if args.table_from is not None:
        apps, quiet, busy = from_log(args.table_from)
        print(table(apps, quiet, busy))
        return 0
    apps = [a.strip() for a in args.apps.split(",") if a.strip()]
    unknown = [a for a in apps if a not in APPS]
    if unknown or args.runs < 1:
        ap.error(f"unknown app(s): {', '.join(unknown)}" if unknown else "--runs must be >= 1")
    quiet, busy = run_all(apps, args.runs, log=args.log)
    print(table(apps, quiet, busy))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
