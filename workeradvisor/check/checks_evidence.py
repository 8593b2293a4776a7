"""Checks against evidence: the scan's sync endpoints and executor misuse, and a saved analysis."""

from __future__ import annotations

import math
import re

from workeradvisor.check.analysis import SavedAction, SavedAnalysis
from workeradvisor.check.emit import emit
from workeradvisor.check.model import Unit
from workeradvisor.check.resolve import effective_workers
from workeradvisor.models.scan import Finding, ScanResult
from workeradvisor.rulebook import Rule

ANYIO_DEFAULT_THREADS = 40
_TELEMETRY_THREAD = re.compile(r"posthog|telemetry|analytics|segment|mixpanel|sentry|datadog|statsd", re.I)
_TELEMETRY_VAR = re.compile(r"TELEMETRY|DO_NOT_TRACK|POSTHOG_DISABLED|ANALYTICS", re.I)
_OFF = {"false", "0", "no", "off", "disabled"}
_ON_MEANS_OFF = ("DO_NOT_TRACK", "POSTHOG_DISABLED", "DISABLE")  # variables where "1/true" disables


def served_workers(units: list[Unit]) -> int:
    """Worker count of the production server the checks judge (largest configured, default 1)."""
    counts = [effective_workers(u.process) for u in units
              if u.process and u.production and u.process.server != "python"]
    return max([c for c in counts if c is not None] or [1])


def _sync_endpoints(scan: ScanResult) -> list[Finding]:
    return [f for f in scan.findings if f.category == "sync-endpoint"]


def check_thread_limiter(scan: ScanResult | None, units: list[Unit], rules: dict[str, Rule],
                         target_ccu: int | None) -> list[Finding]:
    if scan is None or not target_ccu:
        return []
    sync = _sync_endpoints(scan)
    workers = served_workers(units)
    per_worker = math.ceil(target_ccu / workers)
    if not sync or per_worker <= ANYIO_DEFAULT_THREADS:
        return []
    first = sync[0]
    return [emit(rules["WA508"], first.path, first.line, symbol=first.symbol, count=len(sync),
                 limit=ANYIO_DEFAULT_THREADS, ccu=target_ccu, workers=workers, per_worker=per_worker)]


def check_default_executor(scan: ScanResult | None, rules: dict[str, Rule]) -> list[Finding]:
    """Reuse the scanner's executor-misuse findings: report set_default_executor when sync endpoints exist."""
    if scan is None:
        return []
    sync = _sync_endpoints(scan)
    misuse = [f for f in scan.findings if f.category == "executor-misuse"
              and ("set_default_executor" in f.symbol or f.name == "set-default-executor")]
    if not sync:
        return []
    return [emit(rules["WA509"], f.path, f.line, symbol=f.symbol or "loop.set_default_executor",
                 limit=ANYIO_DEFAULT_THREADS, count=len(sync)) for f in misuse]


def _telemetry_disabled(units: list[Unit]) -> str:
    for u in units:
        for key, value in u.env.items():
            if not _TELEMETRY_VAR.search(key):
                continue
            v = value.strip().lower()
            disabling = any(k in key.upper() for k in _ON_MEANS_OFF)
            if (disabling and v in ("1", "true", "yes", "on")) or (not disabling and v in _OFF):
                return f"{key}={value} in {u.path}"
    return ""


def _blocking_open(action: SavedAction, scan: ScanResult | None) -> bool:
    if scan is None or not action.path:
        return True
    return any(f.path == action.path and f.category.startswith("blocking") for f in scan.findings)


def _config_anchor(units: list[Unit]) -> tuple[str, int]:
    for u in units:
        if u.process and u.production and u.process.server != "python":
            return u.process.workers_path or u.process.path, u.process.workers_line or u.process.line
    return (units[0].path, units[0].line) if units else ("", 1)


def check_analysis(analysis: SavedAnalysis | None, scan: ScanResult | None, units: list[Unit],
                   rules: dict[str, Rule]) -> list[Finding]:
    if analysis is None:
        return []
    findings: list[Finding] = []
    lo, hi = analysis.workers_range
    for u in units:
        proc = u.process
        workers = effective_workers(proc) if proc and u.production and proc.server != "python" else None
        if workers is not None and not lo <= workers <= hi:
            assert proc is not None
            findings.append(emit(rules["WA511"], proc.workers_path or proc.path, proc.workers_line or proc.line,
                                 symbol=str(workers), unit=f"{u.kind} {u.name}", workers=workers,
                                 source=analysis.source, recommended=analysis.workers, lo=lo, hi=hi))
    anchor = _config_anchor(units)
    disabled = _telemetry_disabled(units)
    for action in analysis.actions:
        if action.kind in ("keep", "scale-workers"):
            continue  # the worker count itself is WA511's job
        site = f"{action.path}:{action.line}" if action.path else "an unlocated site on the event loop"
        if action.kind == "fix-blocking":
            if _blocking_open(action, scan):
                findings.append(emit(rules["WA512"], action.path or anchor[0], action.line or anchor[1],
                                     symbol=action.detail or action.function, site=site, title=action.title,
                                     why="the scan still finds it" if scan else "no scan ran to show it fixed"))
        elif action.kind == "fix-idle-cpu":
            culprit = action.thread or ", ".join(analysis.culprit_threads) or "?"
            if not (disabled and _TELEMETRY_THREAD.search(culprit)):
                findings.append(emit(rules["WA513"], action.path or anchor[0], action.line or anchor[1],
                                     symbol=culprit, thread=culprit, title=action.title))
        else:
            findings.append(emit(rules["WA514"], action.path or anchor[0], action.line or anchor[1],
                                 symbol=action.kind, title=action.title,
                                 fix=action.fix or f"follow the analysis' {action.kind} action"))
    return findings
