"""``check`` end to end: discover files, join them, run every rule, and describe what was found."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from workeradvisor.check.analysis import SavedAnalysis
from workeradvisor.check.checks_config import UNIT_CHECKS, Context, check_node_capacity
from workeradvisor.check.checks_evidence import check_analysis, check_default_executor, check_thread_limiter
from workeradvisor.check.discover import discover
from workeradvisor.check.model import ParseProblem, Unit
from workeradvisor.check.resolve import effective_workers, resolve
from workeradvisor.check.units import format_bytes, format_cpus
from workeradvisor.models.scan import Finding, ScanResult
from workeradvisor.rulebook import Rule

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


@dataclass(frozen=True)
class InventoryRow:
    """What one file configures, for the report: server, workers, reload, limits, replicas."""

    path: str
    kind: str
    name: str
    line: int
    server: str
    workers: str
    reload: bool
    worker_class: str
    cpu_limit: str
    cpu_request: str
    memory_limit: str
    replicas: str
    production: bool
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["notes"] = list(self.notes)
        return d


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


def _workers_text(unit: Unit) -> str:
    proc = unit.process
    if proc is None or proc.server == "python":
        return ""
    if proc.formula:
        return f"formula {proc.formula}"
    workers = effective_workers(proc)
    if workers is None:
        return f"unresolved {proc.workers_expr}"
    if proc.workers is None:
        return f"{workers} (default)"
    return f"{workers} (from {proc.workers_env})" if proc.workers_env else str(workers)


def inventory_row(unit: Unit) -> InventoryRow:
    proc = unit.process
    notes = list(unit.notes)
    if unit.hpa:
        notes.append(f"HPA {unit.hpa}")
    telemetry = [f"{k}={v}" for k, v in unit.env.items() if "TELEMETRY" in k.upper() or k == "DO_NOT_TRACK"]
    notes.extend(f"telemetry switch {t}" for t in telemetry)
    return InventoryRow(
        path=unit.path, kind=unit.kind, name=unit.name, line=unit.line,
        server=proc.server if proc else "", workers=_workers_text(unit), reload=bool(proc and proc.reload),
        worker_class=proc.worker_class if proc else "",
        cpu_limit=format_cpus(unit.cpu_limit) if unit.cpu_limit is not None else "",
        cpu_request=format_cpus(unit.cpu_request) if unit.cpu_request is not None else "",
        memory_limit=format_bytes(unit.mem_limit) if unit.mem_limit is not None else "",
        replicas=str(unit.replicas) if unit.replicas is not None else "",
        production=unit.production, notes=tuple(notes),
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


def run_check(root: Path, rules: dict[str, Rule], host_cpus: Callable[[], int], *,
              analysis: SavedAnalysis | None = None, scan: ScanResult | None = None,
              target_ccu: int | None = None, node_cpus: float | None = None) -> CheckReport:
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
    findings.extend(check_thread_limiter(scan, judged, rules, target_ccu))
    findings.extend(check_default_executor(scan, rules))
    findings.extend(check_analysis(analysis, scan, judged, rules))
    notes = []
    if analysis and analysis.worker_rss_bytes is None:
        notes.append(f"{analysis.source}: no worker RSS measured; memory checks use an estimate")
    if target_ccu and scan is None:
        notes.append("--target-ccu given but no scan result: thread-limiter check skipped")
    return CheckReport(root=str(root), files=tuple(files), inventory=tuple(inventory_row(u) for u in units),
                       findings=_dedupe(findings), problems=tuple(problems), notes=tuple(notes))
