"""Scanner speed, side by side: flake8 + flake8-async, ruff --select ASYNC, workeradvisor scan, and the
bare ast.parse + ast.walk floor, on one core and on all cores, over a real source tree.

    python benchmarks/scan_speed/run.py [--package sqlalchemy] [--runs 5] [--flake8-runs 1] [--skip-flake8]

The tree is a source distribution from PyPI (``pip download --no-binary :all: --no-deps``), cached in
benchmarks/.cache/scan_speed (gitignored). One core = ``taskset -c 0``; all cores = this process's affinity.
Prints medians of the runs and the ratios the issue's goals are stated in.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tarfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
CACHE = REPO / "benchmarks" / ".cache" / "scan_speed"


def fetch(package: str) -> Path:
    CACHE.mkdir(parents=True, exist_ok=True)
    sdists = sorted(CACHE.glob(f"{package}-*.tar.gz"))
    if not sdists:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-binary", ":all:", "--no-deps", "-q",
                        "-d", str(CACHE), package], check=True)
        sdists = sorted(CACHE.glob(f"{package}-*.tar.gz"))
    sdist = sdists[-1]
    tree = CACHE / sdist.name.removesuffix(".tar.gz")
    if not tree.is_dir():
        with tarfile.open(sdist) as tar:
            tar.extractall(CACHE, filter="data")
    return tree


def timed(cmd: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{cmd[0]} failed ({proc.returncode}): {proc.stderr.strip()[:300]}")
    return elapsed


def tools(tree: Path, cores: int) -> dict[str, list[str]]:
    py = sys.executable
    out = {
        "floor: ast.parse + ast.walk": [py, str(HERE / "floor.py"), str(tree)],
        "workeradvisor scan": [py, "-m", "workeradvisor", "scan", str(tree), "--format", "json", "--output",
                               "/dev/null", "--fail-on", "never"],
    }
    ruff = shutil.which("ruff") or str(Path(py).with_name("ruff"))
    if Path(ruff).exists():
        out["ruff check --select ASYNC"] = [ruff, "check", "--select", "ASYNC", "--no-cache", "--exit-zero",
                                            "--isolated", str(tree)]
    out["flake8 + flake8-async"] = [py, "-m", "flake8", "--isolated", "--select", "ASYNC", "-j", str(cores),
                                    str(tree)]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--package", default="sqlalchemy")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--flake8-runs", type=int, default=1, help="flake8-async is slow (minutes per run)")
    ap.add_argument("--skip-flake8", action="store_true")
    args = ap.parse_args()
    sys.path.insert(0, str(REPO))
    from workeradvisor.scan.engine import cpu_count

    tree = fetch(args.package)
    n_files = sum(1 for _ in tree.rglob("*.py"))
    n_lines = sum(p.read_bytes().count(b"\n") for p in tree.rglob("*.py"))
    all_cores = cpu_count()
    print(f"{tree.name}: {n_files} .py files, {n_lines} lines; all cores = {all_cores}", flush=True)
    results: dict[tuple[str, int], list[float]] = {}
    for cores in sorted({1, all_cores}):
        for name, cmd in tools(tree, cores).items():
            if name.startswith("flake8") and args.skip_flake8:
                continue
            runs = args.flake8_runs if name.startswith("flake8") else args.runs
            if name.startswith("flake8") and cores == 1 and all_cores > 1:
                continue  # minutes per run; timed on all cores only
            prefix = ["taskset", "-c", "0"] if cores == 1 else []
            times = [timed(prefix + cmd, REPO) for _ in range(runs)]
            results[(name, cores)] = times
            print(f"  {name:<30} cores={cores} runs={runs} median={statistics.median(times):.2f}s", flush=True)
    ours = statistics.median(results[("workeradvisor scan", all_cores)])
    print()
    print(f"| tool | cores | runs | median wall (s) | vs workeradvisor ({all_cores} cores) | vs floor (same cores) |")
    print("|---|---:|---:|---:|---:|---:|")
    for (name, cores), times in results.items():
        med = statistics.median(times)
        floor = statistics.median(results[("floor: ast.parse + ast.walk", cores)])
        print(f"| {name} | {cores} | {len(times)} | {med:.2f} | {med / ours:.2f}x | {med / floor:.2f}x |")
    floor_all = statistics.median(results[("floor: ast.parse + ast.walk", all_cores)])
    print(f"\ngoal: within 1.5x of the floor on all cores -> {ours / floor_all:.2f}x "
          f"({'met' if ours / floor_all <= 1.5 else 'NOT met'})")
    if ("flake8 + flake8-async", all_cores) in results:
        f8 = statistics.median(results[("flake8 + flake8-async", all_cores)])
        print(f"goal: >= 50x faster than flake8-async -> {f8 / ours:.1f}x ({'met' if f8 / ours >= 50 else 'NOT met'})")


if __name__ == "__main__":
    main()
