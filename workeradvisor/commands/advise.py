"""``workeradvisor advise``: the analyze decision from saved results, for teams that measure elsewhere.

Inputs are the JSON that ``scan``, ``profile`` and ``load`` write, or another tool's load results
(wrk, oha, Locust, k6) read through the load importers. ``--load`` repeats, one per worker count
(``FILE@N`` says the server ran N workers when the file does not).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from workeradvisor.commands.analyze import emit  # one renderer path for analyze and advise
from workeradvisor.commands.options import (
    CoresOpt,
    DecisionFlags,
    DecisionOpt,
    DownstreamOpt,
    FormatOpt,
    MemoryOpt,
    NoRefactorOpt,
    OutputOpt,
    P99SloOpt,
    TargetCcuOpt,
    TargetRpsOpt,
    ThresholdOpt,
)
from workeradvisor.decide.engine import analyze_results
from workeradvisor.decide.merge import merge_profiles
from workeradvisor.errors import ConfigError, TargetError, UsageError
from workeradvisor.jsonsafe import check_numbers
from workeradvisor.load.importers import import_file
from workeradvisor.models.load import LoadResult
from workeradvisor.models.readers import load_from_dict, profile_from_dict, scan_from_dict
from workeradvisor.safeio import MAX_RESULT_FILE, load_json, read_bounded


def _read_json(path: str, what: str) -> Any:
    data = load_json(read_bounded(path, f"--{what} file", MAX_RESULT_FILE), f"--{what} {path}")
    check_numbers(data, f"--{what} {path}")  # finite already (safeio); implausible values are refused here
    return data


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
        if text.lstrip().startswith(("{", "[")) and not _json_lines(text):  # unusable JSON (NaN, too deep)
            raise
        data = None
    if isinstance(data, dict) and "stages" in data:
        check_numbers(data, f"--load {path}")  # finite already (safeio); implausible values are refused here
        result = load_from_dict(data, path)
    else:
        result = import_file(path)
        check_numbers(dataclasses.asdict(result), f"--load {path}")  # what the importer read, by model field
    return dataclasses.replace(result, workers=workers) if workers else result


def _json_lines(text: str) -> bool:
    """One JSON object per line (k6 ``--out json``): a stream for the importers, not one document."""
    lines = [ln for ln in text.splitlines()[:2] if ln.strip()]
    try:
        return len(lines) == 2 and all(isinstance(json.loads(ln), dict) for ln in lines)
    except ValueError:
        return False


def advise(
    scan: Annotated[str | None, typer.Option("--scan", help="scan JSON (workeradvisor scan --format json).")] = None,
    profile: Annotated[list[str] | None, typer.Option(
        "--profile", help="profile JSON (workeradvisor profile --format json); repeat to add an --idle profile.",
    )] = None,
    load: Annotated[list[str] | None, typer.Option(
        "--load", help="load JSON or wrk/oha/Locust/k6 output; FILE@N = N server workers. Repeat per worker count.",
    )] = None,
    cores: CoresOpt = None,
    memory: MemoryOpt = None,
    target_rps: TargetRpsOpt = None,
    target_ccu: TargetCcuOpt = None,
    p99_slo: P99SloOpt = 1000.0,
    threshold: ThresholdOpt = None,
    decision: DecisionOpt = None,
    no_refactor: NoRefactorOpt = False,
    downstream: DownstreamOpt = None,
    fmt: FormatOpt = "text",
    output: OutputOpt = None,
) -> None:
    """Decide the worker count from saved scan / profile / load results."""
    flags = DecisionFlags(target_rps, target_ccu, p99_slo, tuple(threshold or ()), decision, downstream, cores,
                          memory, no_refactor, fmt, output)
    flags.validate()
    if not (scan or profile or load):
        raise UsageError("give at least one of --scan, --profile, --load")
    tree = flags.tree()
    scan_result = scan_from_dict(_read_json(scan, "scan"), scan) if scan else None
    profile_result = merge_profiles([profile_from_dict(_read_json(p, "profile"), p) for p in profile or []])
    loads = tuple(read_load(spec) for spec in load or [])
    analysis = analyze_results(scan_result, profile_result, loads, flags.environment(), flags.options(), tree,
                               downstream)
    inputs = [f"--scan {scan}"] * bool(scan) + [f"--profile {p}" for p in profile or []]
    inputs += [f"--load {x}" for x in load or []]
    analysis = dataclasses.replace(analysis, notes=(f"advise from saved results: {' '.join(inputs)}",))
    emit(analysis, fmt, output)
    if analysis.no_verdict is not None:
        raise TargetError(f"no verdict: {analysis.no_verdict.reason}")
