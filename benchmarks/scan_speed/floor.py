"""The floor: ``ast.parse`` + ``ast.walk`` over the same files, with the same process pool as the scanner.

Usage: python benchmarks/scan_speed/floor.py DIR  (cores = this process's CPU affinity)."""

from __future__ import annotations

import ast
import multiprocessing
import os
import sys
import warnings
from concurrent.futures import ProcessPoolExecutor

from workeradvisor.scan.discover import discover
from workeradvisor.scan.engine import cpu_count


def parse_walk(path: str) -> int:
    try:
        with open(path, "rb") as fh:
            data = fh.read()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(data)
    except (SyntaxError, ValueError, OSError):
        return 0
    n = 0
    for _ in ast.walk(tree):
        n += 1
    return n


def main() -> None:
    files, _ = discover(sys.argv[1:], os.getcwd())
    paths = [f.path for f in files]
    jobs = cpu_count()
    if jobs <= 1:
        total = sum(map(parse_walk, paths))
    else:
        ctx = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(jobs, mp_context=ctx) as pool:
            total = sum(pool.map(parse_walk, paths, chunksize=max(1, len(paths) // (jobs * 8))))
    print(f"{len(paths)} files, {total} nodes")


if __name__ == "__main__":
    main()
