"""Checks that need only the deployment files: worker counts, formulas, memory, reload, class, CPU requests."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from workeradvisor.check.emit import emit
from workeradvisor.check.model import Unit
from workeradvisor.check.resolve import effective_workers
from workeradvisor.check.units import format_bytes, format_cpus
from workeradvisor.models.scan import Finding
from workeradvisor.rulebook import Rule

ESTIMATED_WORKER_RSS = 100 * 1024**2  # small FastAPI app: interpreter + FastAPI + pydantic + uvicorn
DEPRECATED_CLASSES = ("uvicorn.workers.UvicornWorker", "uvicorn.workers.UvicornH11Worker")


@dataclass(frozen=True)
class Context:
    rules: dict[str, Rule]
    host_cpus: Callable[[], float]  # cgroup-aware cores (1.5 under a 1.5-CPU quota), only when a config has no limit
    node_cpus: float | None = None  # --node-cpus
    worker_rss: int | None = None  # measured, from --analysis
    rss_source: str = ""


def _where(unit: Unit) -> str:
    return f"{unit.kind} {unit.name}" if unit.kind in ("compose", "kubernetes", "procfile", "ray-serve") else unit.path


def check_workers(unit: Unit, ctx: Context) -> list[Finding]:
    proc = unit.process
    if proc is None or proc.server == "python" or not unit.production:
        return []
    workers = effective_workers(proc)
    if workers is None:
        return []
    at = (proc.workers_path or proc.path, proc.workers_line or proc.line)
    facts: dict[str, Any] = {"server": proc.server, "workers": workers, "unit": _where(unit)}
    if unit.cpu_limit is not None:
        allowed = max(1, math.ceil(unit.cpu_limit - 1e-9))
        if workers > allowed:
            return [emit(ctx.rules["WA501"], *at, symbol=str(workers), cpu_limit=format_cpus(unit.cpu_limit),
                         allowed=allowed, limit_at=f"{unit.path}:{unit.limit_line}", **facts)]
        return []
    cores = ctx.host_cpus()
    if workers > max(1, math.floor(cores + 1e-9)):  # as analyze: workers never above the whole cores available
        return [emit(ctx.rules["WA502"], *at, symbol=str(workers), cores=format_cpus(cores), **facts)]
    return []


def check_formula(unit: Unit, ctx: Context) -> list[Finding]:
    proc = unit.process
    if proc is None or not proc.formula:
        return []
    at = (proc.workers_path or proc.path, proc.workers_line or proc.line)
    return [emit(ctx.rules["WA503"], *at, symbol=proc.formula, formula=f"`{proc.formula}`")]


def check_memory(unit: Unit, ctx: Context) -> list[Finding]:
    proc = unit.process
    if proc is None or unit.mem_limit is None or not unit.production:
        return []
    workers = effective_workers(proc)
    if workers is None:
        return []
    measured = ctx.worker_rss is not None
    rss = ctx.worker_rss if ctx.worker_rss is not None else ESTIMATED_WORKER_RSS
    total = workers * rss
    if total <= unit.mem_limit:
        return []
    at = (proc.workers_path or proc.path, proc.workers_line or proc.line)
    rule = ctx.rules["WA504" if measured else "WA505"]
    return [emit(rule, *at, symbol=str(workers), workers=workers, rss=format_bytes(rss), total=format_bytes(total),
                 mem_limit=format_bytes(unit.mem_limit), unit=_where(unit), fits=max(1, unit.mem_limit // rss))]


def check_reload(unit: Unit, ctx: Context) -> list[Finding]:
    proc = unit.process
    if proc is None or not proc.reload or not unit.production:
        return []
    in_python = unit.kind in ("python", "gunicorn-conf") or proc.reload_path.endswith(".py")
    what = "reload=True" if in_python else "--reload"
    if proc.server == "fastapi" and "dev" in proc.argv[:3]:
        what = "fastapi dev (auto-reload)"
    return [emit(ctx.rules["WA506"], proc.reload_path or proc.path, proc.reload_line or proc.line,
                 symbol=what, what=what, unit=_where(unit))]


def check_worker_class(unit: Unit, ctx: Context) -> list[Finding]:
    proc = unit.process
    if proc is None or proc.worker_class not in DEPRECATED_CLASSES:
        return []
    at = (proc.class_path or proc.path, proc.class_line or proc.line)
    return [emit(ctx.rules["WA507"], *at, symbol=proc.worker_class, worker_class=proc.worker_class)]


def _requests(units: list[Unit]) -> list[tuple[Unit, float]]:
    out = []
    for u in units:
        if u.cpu_request is not None and u.production:  # limits are not reserved; requests are
            out.append((u, u.cpu_request * (u.replicas or 1)))
    return out


def check_node_capacity(units: list[Unit], ctx: Context) -> list[Finding]:
    """Per file: the apps and replicas in one compose/Ray file share a node; k8s only with --node-cpus."""
    source = "--node-cpus" if ctx.node_cpus is not None else "this machine, cgroup-aware; set --node-cpus"
    findings = []
    by_file: dict[str, list[Unit]] = {}
    for u in units:
        if u.kind in ("compose", "ray-serve", "kubernetes") and u.cpu_request is not None:
            by_file.setdefault(u.path, []).append(u)
    if not by_file:
        return []
    node = ctx.node_cpus if ctx.node_cpus is not None else float(ctx.host_cpus())
    for path, group in by_file.items():
        if group[0].kind == "kubernetes" and ctx.node_cpus is None:
            continue  # a cluster has several nodes of unknown size: only with --node-cpus
        reqs = _requests(group)
        for u, _ in reqs:  # one pod/replica alone larger than the node never schedules
            if u.cpu_request is not None and u.cpu_request > node:
                findings.append(emit(ctx.rules["WA510"], path, u.request_line or u.line, symbol=u.name,
                                     what=f"one replica of {u.name} would", requested=format_cpus(u.cpu_request),
                                     node=format_cpus(node), node_source=source))
        total = sum(t for _, t in reqs)
        if len(reqs) and total > node + 1e-9:
            parts = " + ".join(f"{u.name} {format_cpus(u.cpu_request or 0)} CPU x {u.replicas or 1}"
                               for u, _ in reqs)
            findings.append(emit(ctx.rules["WA510"], path, reqs[0][0].request_line or reqs[0][0].line,
                                 symbol=path, what=f"the deployments in this file ({parts})",
                                 requested=format_cpus(total), node=format_cpus(node), node_source=source))
    return findings


UNIT_CHECKS = (check_workers, check_formula, check_memory, check_reload, check_worker_class)
