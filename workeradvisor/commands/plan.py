"""``workeradvisor plan``: the fleet plan from a saved analysis, without measuring again.

Per-replica limits come from ``--cores``/``--memory``, else from the deployment files under
``--deploy`` (Kubernetes ``resources``, compose ``deploy.resources``: the same parsers ``check``
uses), else from the machine the analysis ran on. The arithmetic is ``decide/fleet.py``.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Annotated

import typer

from workeradvisor.check.discover import discover
from workeradvisor.check.model import Unit
from workeradvisor.check.resolve import effective_workers, resolve
from workeradvisor.commands.options import DecisionOpt, OutputOpt, P99SloOpt, ThresholdOpt
from workeradvisor.decide.fleet import (
    FleetInputError,
    FleetThresholds,
    capacity_inputs,
    plan_fleet,
    pod_from_environment,
    with_pool_note,
)
from workeradvisor.decide.tree import load_decision_tree, parse_threshold_args
from workeradvisor.environment import parse_memory
from workeradvisor.errors import ConfigError, UsageError
from workeradvisor.jsonsafe import finite_option
from workeradvisor.models.decision import Analysis
from workeradvisor.models.fleet import PodLimits
from workeradvisor.models.readers import analysis_from_dict
from workeradvisor.report.fleet_report import FLEET_FORMATS
from workeradvisor.report.output import choose, validate_output, write_report
from workeradvisor.safeio import MAX_RESULT_FILE, load_json, read_bounded


def read_analysis(path: str) -> Analysis:
    if not Path(path).is_file():
        raise UsageError(f"{path}: no such file")
    try:
        return analysis_from_dict(load_json(read_bounded(path, "analysis", MAX_RESULT_FILE), path), path)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: not an analyze JSON: {exc}") from None
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    except (AttributeError, TypeError, ValueError, KeyError) as exc:  # a shape the reader did not expect
        raise UsageError(f"{path}: not an analyze JSON ({type(exc).__name__}: {exc})") from None


def _sized(units: list[Unit]) -> list[Unit]:
    return [u for u in units if u.production and u.kind in ("kubernetes", "compose")
            and (u.cpu_limit is not None or u.cpu_request is not None)]


def pod_from_deploy(root: str, service: str | None) -> PodLimits:
    """One workload's per-replica CPU and memory from the deployment files under ``root``."""
    if not Path(root).exists():
        raise UsageError(f"--deploy {root}: no such file or directory")
    units, _, _ = discover(Path(root))
    sized = _sized(resolve(units))
    if service:
        sized = [u for u in sized if u.name == service or u.name.endswith(f"/{service}")]
    if not sized:
        what = f"a workload named {service!r}" if service else "a Kubernetes or compose workload"
        raise UsageError(f"--deploy {root}: no {what} with CPU limits or requests")
    if len(sized) > 1:
        names = ", ".join(sorted(u.name for u in sized))
        raise UsageError(f"--deploy {root}: several workloads ({names}): pick one with --service")
    u = sized[0]
    cores = u.cpu_limit if u.cpu_limit is not None else u.cpu_request
    assert cores is not None
    return PodLimits(cores, u.mem_limit, f"{u.kind} {u.name} ({u.path})", u.cpu_request)


def configured_workers(root: str, service: str | None) -> int | None:
    """Workers the chosen workload runs today (None when unknown), to compare with the plan."""
    units = [u for u in _sized(resolve(discover(Path(root))[0]))
             if not service or u.name == service or u.name.endswith(f"/{service}")]
    return effective_workers(units[0].process) if len(units) == 1 and units[0].process else None


def _pod(cores: float | None, memory: str | None, deploy: str | None, service: str | None,
         analysis: Analysis) -> PodLimits:
    if cores is not None or memory is not None:
        if deploy:
            raise UsageError("give --cores/--memory or --deploy, not both")
        try:
            mem = parse_memory(memory) if memory else None
        except ValueError:
            raise UsageError(f"--memory {memory!r}: expected a size like 2G, 512Mi or bytes") from None
        base = pod_from_environment(analysis)
        return PodLimits(cores if cores is not None else base.cores, mem if memory else base.memory_bytes,
                         "--cores/--memory")
    if deploy:
        return pod_from_deploy(deploy, service)
    return pod_from_environment(analysis)


def plan(
    analysis_file: Annotated[str, typer.Argument(help="A saved analysis: workeradvisor analyze --format json.")],
    target_rps: Annotated[float | None, typer.Option(
        "--target-rps", help="Traffic to plan for (requests/s; default: the analysis' --target-rps).")] = None,
    cores: Annotated[float | None, typer.Option("--cores", help="CPUs per replica (pod), e.g. 2.")] = None,
    memory: Annotated[str | None, typer.Option("--memory", help="Memory per replica, e.g. 2Gi.")] = None,
    deploy: Annotated[str | None, typer.Option(
        "--deploy", help="Read per-replica limits from Kubernetes/compose files under this path.")] = None,
    service: Annotated[str | None, typer.Option("--service", help="With --deploy: the workload to plan.")] = None,
    p99_slo: P99SloOpt = 1000.0,
    threshold: ThresholdOpt = None,
    decision: DecisionOpt = None,
    fmt: Annotated[str, typer.Option("--format", help="text | json | markdown")] = "text",
    output: OutputOpt = None,
) -> None:
    """Plan workers per pod, replicas and the HPA target from a saved analysis (no new measurement)."""
    render = choose(FLEET_FORMATS, fmt)
    validate_output(output)
    for flag, value in (("--target-rps", target_rps), ("--cores", cores), ("--p99-slo", p99_slo)):
        finite_option(flag, value)
    if cores is not None and cores <= 0:
        raise UsageError("--cores must be > 0")
    if service and not deploy:
        raise UsageError("--service goes with --deploy")
    tree = load_decision_tree(Path(decision) if decision else None, parse_threshold_args(list(threshold or [])))
    analysis = read_analysis(analysis_file)
    cap = analysis.recommendation.capacity if analysis.recommendation else None
    rps = target_rps if target_rps is not None else (cap.target_rps if cap else None)
    if rps is None or rps <= 0:
        raise UsageError("--target-rps must be given (> 0): the analysis was not run with one")
    pod = _pod(cores, memory, deploy, service, analysis)
    try:
        inputs = capacity_inputs(analysis, p99_slo)
    except FleetInputError as exc:
        raise UsageError(f"{analysis_file}: {exc}") from None
    thresholds = {**load_decision_tree(None).thresholds, **tree.thresholds}  # a whole-tree file may omit fleet_*
    th = FleetThresholds.from_thresholds(thresholds)
    result = with_pool_note(plan_fleet(rps, pod, inputs, th), analysis.pools, th)
    now = configured_workers(deploy, service) if deploy and not (cores or memory) else None
    if now is not None and result.fits and now != result.workers_per_pod:
        result = dataclasses.replace(result, notes=(*result.notes, f"{pod.source} runs {now} worker(s) per pod "
                                                    f"today; this plan runs {result.workers_per_pod}"))
    write_report(render(result), output)
