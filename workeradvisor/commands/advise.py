"""``workeradvisor advise``: the analyze decision from saved results, for teams that measure elsewhere.

Inputs are the JSON that ``scan``, ``profile`` and ``load`` write, or another tool's load results
(wrk, oha, Locust, k6) read through the load importers. ``--load`` repeats, one per worker count
(``FILE@N`` says the server ran N workers when the file does not).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated, Any

import typer

from workeradvisor.commands.analyze import emit  # one renderer path for analyze and advise
from workeradvisor.decide.engine import analyze_results
from workeradvisor.decide.merge import merge_profiles
from workeradvisor.decide.metrics import DecideOptions
from workeradvisor.decide.tree import load_decision_tree, parse_threshold_args
from workeradvisor.environment import detect_environment, parse_memory
from workeradvisor.errors import ConfigError, UsageError
from workeradvisor.load.importers import import_file
from workeradvisor.models.load import LoadResult
from workeradvisor.report.result_readers import load_from_dict, profile_from_dict, scan_from_dict
from workeradvisor.safeio import MAX_RESULT_FILE, load_json, read_bounded

FORMATS = ("text", "json", "markdown")


def _read_json(path: str, what: str) -> Any:
    return load_json(read_bounded(path, f"--{what} file", MAX_RESULT_FILE), f"--{what} {path}")


def read_load(spec: str) -> LoadResult:
    """``FILE`` or ``FILE@N``: workeradvisor load JSON, else an import (wrk/oha/Locust/k6)."""
    path, workers = spec, None
    head, sep, tail = spec.rpartition("@")
    if sep and tail.isdigit() and head:
        path, workers = head, int(tail)
        if workers < 1:
            raise UsageError(f"--load {spec}: worker count must be >= 1")
    if not Path(path).is_file():
        raise UsageError(f"--load {path}: no such file")
    data: Any = None
    text = read_bounded(path, "--load file", MAX_RESULT_FILE, errors="replace")
    try:
        data = load_json(text, f"--load {path}")
    except ConfigError:
        if text.lstrip().startswith(("{", "[")):  # JSON but unusable (NaN, too deep): no importer can do better
            raise
        data = None
    if isinstance(data, dict) and "stages" in data:
        result = load_from_dict(data, path)
    else:
        result = import_file(path)
    return dataclasses.replace(result, workers=workers) if workers else result


def advise(
    scan: str = typer.Option(None, "--scan", help="scan JSON (workeradvisor scan --format json)."),
    profile: Annotated[list[str] | None, typer.Option(
        "--profile", help="profile JSON (workeradvisor profile --format json); repeat to add an --idle profile.",
    )] = None,
    load: Annotated[list[str] | None, typer.Option(
        "--load", help="load JSON or wrk/oha/Locust/k6 output; FILE@N = N server workers. Repeat per worker count.",
    )] = None,
    cores: float = typer.Option(None, "--cores", help="CPU cores of the target machine (default: this machine's "
                                "cgroup quota / affinity)."),
    memory: str = typer.Option(None, "--memory", help="Memory limit of the target, e.g. 2G (default: detected)."),
    target_rps: float = typer.Option(None, "--target-rps", help="Traffic to plan for (requests/s)."),
    target_ccu: int = typer.Option(None, "--target-ccu", help="Concurrent users to plan for (thread pool sizing)."),
    p99_slo: float = typer.Option(1000.0, "--p99-slo", help="p99 latency target in ms (seed: 1 s)."),
    threshold: Annotated[list[str] | None, typer.Option(
        "--threshold", help="Override a decision threshold, NAME=NUMBER (see rules/decision.yaml). Repeatable.",
    )] = None,
    decision: str = typer.Option(None, "--decision", help="A decision YAML: thresholds to overlay, or a whole tree."),
    no_refactor: bool = typer.Option(False, "--no-refactor", help="The blocking code cannot be changed (seed: "
                                     "then 2-4 workers)."),
    downstream: str = typer.Option(None, "--downstream", help="Name of the service the handlers await, for the "
                                   "downstream-bound diagnosis."),
    fmt: str = typer.Option("text", "--format", help="text | json | markdown"),
    output: str = typer.Option(None, "--output", help="Write the report to this file."),
) -> None:
    """Decide the worker count from saved scan / profile / load results."""
    if fmt not in FORMATS:
        raise UsageError(f"--format must be one of {', '.join(FORMATS)}")
    if not (scan or profile or load):
        raise UsageError("give at least one of --scan, --profile, --load")
    if cores is not None and cores <= 0:
        raise UsageError("--cores must be > 0")
    if target_rps is not None and target_rps <= 0:
        raise UsageError("--target-rps must be > 0")
    if target_ccu is not None and target_ccu < 1:
        raise UsageError("--target-ccu must be >= 1")
    mem = None
    if memory is not None:
        try:
            mem = parse_memory(memory)
        except ValueError:
            raise UsageError(f"--memory {memory!r}: expected a size like 2G, 512Mi or bytes") from None
    tree = load_decision_tree(Path(decision) if decision else None, parse_threshold_args(threshold or []))
    scan_result = scan_from_dict(_read_json(scan, "scan"), scan) if scan else None
    profile_result = merge_profiles([profile_from_dict(_read_json(p, "profile"), p) for p in profile or []])
    loads = tuple(read_load(spec) for spec in load or [])
    env = detect_environment(cores=cores, memory=mem)
    options = DecideOptions(target_rps=target_rps, target_ccu=target_ccu, p99_slo_ms=p99_slo,
                            refactor_possible=not no_refactor)
    analysis = analyze_results(scan_result, profile_result, loads, env, options, tree, downstream)
    inputs = [f"--scan {scan}"] * bool(scan) + [f"--profile {p}" for p in profile or []]
    inputs += [f"--load {x}" for x in load or []]
    analysis = dataclasses.replace(analysis, notes=(f"advise from saved results: {' '.join(inputs)}",))
    emit(analysis, fmt, output)
