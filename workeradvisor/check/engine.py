"""``check`` end to end: discover files, join them, run every rule, and describe what was found."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from workeradvisor.check.analysis import SavedAnalysis
from workeradvisor.check.checks_config import UNIT_CHECKS, Context, check_node_capacity
from workeradvisor.check.checks_evidence import check_analysis, check_default_executor, check_thread_limiter
from workeradvisor.check.discover import discover
from workeradvisor.check.fleetfit import check_compose_host, check_quota, check_ray_routers
from workeradvisor.check.model import ParseProblem, Unit
from workeradvisor.check.pools import PoolLimits, default_limits, find_pools, judge_pools
from workeradvisor.check.resolve import effective_workers, resolve
from workeradvisor.check.selection import chosen
from workeradvisor.check.suppress import drop_suppressed
from workeradvisor.check.threads import check_native_threads
from workeradvisor.check.threads_code import read_code
from workeradvisor.check.units import format_bytes, format_cpus
from workeradvisor.models.scan import Finding, ScanResult
from workeradvisor.rulebook import Rule

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
NO_FILES = ("no deployment files found (looked for Dockerfile, compose, Kubernetes YAML, Procfile, systemd units, "
            "gunicorn.conf.py and uvicorn.run calls): nothing was checked")
_SUPPRESS_READ_LIMIT = 2 * 1024 * 1024  # deployment files are small; never read a huge file twice


def _read_for_suppressions(path: str) -> str | None:
    try:
        with open(path, "rb") as fh:
            return fh.read(_SUPPRESS_READ_LIMIT).decode("utf-8", "replace")
    except OSError:
        return None


@dataclass(frozen=True)
class InventoryRow:
    """What one file configures. Values are JSON-typed: numbers are numbers (CPUs as float, memory in
    bytes), unknown is None; ``workers_source`` says where the worker count came from."""

    path: str
    kind: str
    name: str
    line: int
    server: str | None
    workers: int | None
    workers_source: str | None  # command | default | env:NAME | file:PATH | formula | unresolved
    workers_expression: str | None  # the text when it is a formula or cannot be resolved
    reload: bool
    worker_class: str | None
    cpu_limit: float | None
    cpu_request: float | None
    memory_limit: int | None  # bytes
    replicas: int | None
    production: bool
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["notes"] = list(self.notes)
        return d

    def workers_text(self) -> str:
        """``4``, ``1 (default)``, ``4 (from WEB_CONCURRENCY)``, ``formula $(nproc)``: for people."""
        src = self.workers_source
        if src in ("formula", "unresolved"):
            return f"{src} {self.workers_expression}"
        if self.workers is None:
            return ""
        if src == "default":
            return f"{self.workers} (default)"
        if src and src.startswith("env:"):
            return f"{self.workers} (from {src[4:]})"
        return str(self.workers)

    def display(self, attr: str) -> str:
        """One inventory value as text ("" when unknown), units formatted."""
        if attr == "workers":
            return self.workers_text()
        value = getattr(self, attr)
        if value is None:
            return ""
        if attr in ("cpu_limit", "cpu_request"):
            return format_cpus(value)
        if attr == "memory_limit":
            return format_bytes(value)
        return str(value)


@dataclass(frozen=True)
class CheckReport:
    root: str
    files: tuple[str, ...]
    inventory: tuple[InventoryRow, ...]
    findings: tuple[Finding, ...]
    problems: tuple[ParseProblem, ...]
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "root": self.root,
            "files": list(self.files),
            "inventory": [r.to_dict() for r in self.inventory],
            "errors": [{"path": p.path, "line": p.line, "message": p.message} for p in self.problems],
            "findings": [f.to_dict() for f in self.findings],
            "notes": list(self.notes),
        }


def _workers(unit: Unit) -> tuple[int | None, str | None, str | None]:
    """(count, where it came from, expression) for the inventory."""
    proc = unit.process
    if proc is None or proc.server == "python":
        return None, None, None
    if proc.formula:
        return None, "formula", proc.formula
    workers = effective_workers(proc)
    if workers is None:
        return None, "unresolved", proc.workers_expr or None
    if proc.workers is None:
        return workers, "default", None
    if proc.workers_env:
        return workers, f"env:{proc.workers_env}", None
    elsewhere = proc.workers_path and proc.workers_path not in (proc.path, unit.path)
    return workers, f"file:{proc.workers_path}" if elsewhere else "command", None


def inventory_row(unit: Unit) -> InventoryRow:
    proc = unit.process
    notes = list(unit.notes)
    if unit.hpa:
        notes.append(f"HPA {unit.hpa}")
    telemetry = [f"{k}={v}" for k, v in unit.env.items() if "TELEMETRY" in k.upper() or k == "DO_NOT_TRACK"]
    notes.extend(f"telemetry switch {t}" for t in telemetry)
    workers, source, expression = _workers(unit)
    return InventoryRow(
        path=unit.path, kind=unit.kind, name=unit.name, line=unit.line,
        server=(proc.server or None) if proc else None, workers=workers, workers_source=source,
        workers_expression=expression, reload=bool(proc and proc.reload),
        worker_class=(proc.worker_class or None) if proc else None,
        cpu_limit=unit.cpu_limit, cpu_request=unit.cpu_request, memory_limit=unit.mem_limit,
        replicas=unit.replicas, production=unit.production, notes=tuple(notes),
    )


def _dedupe(findings: list[Finding]) -> tuple[Finding, ...]:
    seen: set[tuple[str, str, int, str]] = set()
    out = []
    for f in findings:
        key = (f.rule, f.path, f.line, f.symbol)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return tuple(sorted(out, key=lambda f: (SEVERITY_ORDER.get(f.severity, 3), f.path, f.line, f.rule)))


def run_check(root: Path, rules: dict[str, Rule], host_cpus: Callable[[], float], *,
              analysis: SavedAnalysis | None = None, scan: ScanResult | None = None,
              target_ccu: int | None = None, node_cpus: float | None = None,
              select: Sequence[str] = (), ignore: Sequence[str] = (),
              pool_limits: PoolLimits | None = None) -> CheckReport:
    """``select``/``ignore``: ids or prefixes (ruff semantics); inline ``# workeradvisor: ignore[...]``
    comments are honoured after that."""
    units, problems, files = discover(root)
    judged = resolve(units)
    ctx = Context(rules=rules, host_cpus=host_cpus, node_cpus=node_cpus,
                  worker_rss=analysis.worker_rss_bytes if analysis else None,
                  rss_source=analysis.rss_source if analysis else "")
    findings: list[Finding] = []
    for unit in judged:
        for check in UNIT_CHECKS:
            findings.extend(check(unit, ctx))
    findings.extend(check_node_capacity(judged, ctx))
    findings.extend(check_native_threads(judged, units, read_code(root), ctx))
    findings.extend(check_thread_limiter(scan, judged, rules, target_ccu))
    findings.extend(check_default_executor(scan, rules))
    findings.extend(check_analysis(analysis, scan, judged, rules))
    pool_findings, pool_notes = judge_pools(find_pools(root), judged, rules, pool_limits or default_limits())
    findings.extend(pool_findings)
    node = node_cpus if node_cpus is not None else float(host_cpus())
    node_source = "--node-cpus" if node_cpus is not None else "this machine, cgroup-aware; set --node-cpus"
    findings.extend(check_compose_host(judged, rules, node, node_source))
    findings.extend(check_quota(root, judged, rules))
    findings.extend(check_ray_routers(judged, rules, node, node_source))
    findings = list(drop_suppressed(chosen(findings, select, ignore), _read_for_suppressions))
    notes = ([] if units else [NO_FILES]) + pool_notes
    if analysis and analysis.worker_rss_bytes is None:
        notes.append(f"{analysis.source}: no worker RSS measured; memory checks use an estimate")
    if target_ccu and scan is None:
        notes.append("--target-ccu given but no scan result: thread-limiter check skipped")
    return CheckReport(root=str(root), files=tuple(files), inventory=tuple(inventory_row(u) for u in units),
                       findings=_dedupe(findings), problems=tuple(problems), notes=tuple(notes))
