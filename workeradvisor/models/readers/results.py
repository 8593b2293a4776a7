"""Readers for the producers' documents: scan, profile and load JSON back into models.

Older documents without the structured fields (``chain_sites``, ``hottest_stack_frames``) are read
from their human forms here, and only here.

Tolerant by design: optional sections may be missing (``null`` or absent) and unknown keys are
ignored, so files from older or newer writers still load. A file that is not the expected kind
at all is a one-line ``ConfigError`` naming it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from workeradvisor.errors import ConfigError
from workeradvisor.models.load import (
    ErrorCounts,
    LatencySummary,
    LoadResult,
    OperationStats,
    ProcessSample,
    ServerMetrics,
    StageResult,
)
from workeradvisor.models.profile import (
    CallSite,
    IdleReport,
    LoopBreakdown,
    PerRequest,
    ProfileResult,
    StackFrame,
    ThreadStat,
    WorkerProfile,
)
from workeradvisor.models.scan import ChainSite, Finding, ScanError, ScanResult, ScanSummary
from workeradvisor.models.threads import ThreadSample

Obj = Mapping[str, Any]


def _f(d: Obj, key: str, default: float = 0.0) -> float:
    v = d.get(key)
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else default


def _i(d: Obj, key: str, default: int = 0) -> int:
    v = d.get(key)
    return int(v) if isinstance(v, int | float) and not isinstance(v, bool) else default


def _opt_f(d: Obj, key: str) -> float | None:
    v = d.get(key)
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None


def _opt_i(d: Obj, key: str) -> int | None:
    v = d.get(key)
    return int(v) if isinstance(v, int | float) and not isinstance(v, bool) else None


def _map(v: Any) -> Obj:
    return v if isinstance(v, Mapping) else {}


def _list(v: Any) -> list[Any]:
    return v if isinstance(v, list) else []


def _require(data: Any, keys: tuple[str, ...], what: str, source: str) -> Obj:
    if not isinstance(data, Mapping) or not any(k in data for k in keys):
        raise ConfigError(f"{source}: not a {what} JSON (expected one of the keys {', '.join(keys)})")
    return data


# --- scan (docs/json.md, version 1) ---


def _chain(f: Obj) -> tuple[ChainSite, ...]:
    """The structured ``chain_sites``; a document without them (older writers) keeps the step names."""
    sites = [c for c in _list(f.get("chain_sites")) if isinstance(c, Mapping)]
    if sites:
        return tuple(ChainSite(str(c.get("symbol", "")), str(c.get("path", "")), _i(c, "line")) for c in sites)
    return tuple(ChainSite(str(c)) for c in _list(f.get("chain")))


def scan_from_dict(data: Any, source: str = "scan") -> ScanResult:
    d = _require(data, ("findings", "summary"), "workeradvisor scan", source)
    s = _map(d.get("summary"))
    summary = ScanSummary(
        files_scanned=_i(s, "files_scanned", _i(d, "files_scanned")),
        async_functions=_i(s, "async_functions"),
        sync_functions=_i(s, "sync_functions"),
        async_endpoints=_i(s, "async_endpoints"),
        sync_endpoints=_i(s, "sync_endpoints"),
        findings_by_category=tuple(sorted(_map(s.get("findings_by_category")).items())),
        findings_by_severity=tuple(sorted(_map(s.get("findings_by_severity")).items())),
    )
    findings = tuple(
        Finding(
            rule=str(f.get("rule", "")),
            name=str(f.get("name", "")),
            category=str(f.get("category", "")),
            severity=str(f.get("severity", "warning")),
            path=str(f.get("path", "")),
            line=_i(f, "line"),
            col=_i(f, "col"),
            function=str(f.get("function", "")),
            symbol=str(f.get("symbol", "")),
            message=str(f.get("message", "")),
            fix=str(f.get("fix", "")),
            chain=_chain(f),
            context=str(f.get("context", "request")),
            entry=str(f.get("entry", "")),
        )
        for f in _list(d.get("findings"))
        if isinstance(f, Mapping)
    )
    raw_errors = [e for e in _list(d.get("errors")) if isinstance(e, Mapping)]
    errors = tuple(ScanError(str(e.get("path", "")), str(e.get("message", ""))) for e in raw_errors)
    return ScanResult(_i(d, "files_scanned", summary.files_scanned), findings, errors, summary, _i(d, "version", 1))


# --- profile (docs/profile.md, workeradvisor.profile/1) ---


def _thread(t: Obj) -> ThreadStat:
    return ThreadStat(_i(t, "tid"), str(t.get("name", "")), _f(t, "cpu_seconds"), _f(t, "cpu_percent"),
                      bool(t.get("is_loop", False)))


def _site(c: Obj, kind: str) -> CallSite:
    return CallSite(str(c.get("path", "")), _i(c, "line"), str(c.get("function", "")), _f(c, "share"),
                    str(c.get("kind", kind)), tuple(str(x) for x in _list(c.get("confirmed_findings"))))


# Documents written before ``hottest_stack_frames``: "func() (path:line) <- outer() (path:line)".
_OLD_FRAME = re.compile(r"^\s*(?P<func>[^()\s]+)\(\)\s*\((?P<path>[^()]+):(?P<line>\d+)\)\s*$")


def _stack(c: Obj) -> tuple[StackFrame, ...]:
    frames = [f for f in _list(c.get("hottest_stack_frames")) if isinstance(f, Mapping)]
    if frames:
        return tuple(StackFrame(str(f.get("function", "")), str(f.get("path", "")), _i(f, "line")) for f in frames)
    parts = [_OLD_FRAME.match(p) for p in str(c.get("hottest_stack") or "").split(" <- ")]
    return tuple(StackFrame(m["func"], m["path"], int(m["line"])) for m in parts if m)


def _worker(w: Obj) -> WorkerProfile:
    loop = _map(w.get("loop"))
    attribution = _map(w.get("attribution"))
    return WorkerProfile(
        pid=_i(w, "pid"),
        rss_bytes=_i(w, "rss_bytes"),
        uss_bytes=_i(w, "uss_bytes"),
        loop=LoopBreakdown(_f(loop, "window_s"), _f(loop, "busy_fraction"), _f(loop, "on_cpu_fraction"),
                           _f(loop, "runqueue_fraction")) if loop else None,
        threads=tuple(_thread(t) for t in _list(w.get("threads")) if isinstance(t, Mapping)),
        app_cpu_share=_opt_f(attribution, "cpu_share") if attribution else _opt_f(w, "app_cpu_share"),
        blocked_share=_opt_f(attribution, "blocked_share") if attribution else _opt_f(w, "blocked_share"),
        selector_share=_opt_f(attribution, "selector_share") if attribution else _opt_f(w, "selector_share"),
        attribution_ticks=_i(attribution, "ticks") if attribution else 0,
        pss_bytes=_i(w, "pss_bytes"),
    )


def profile_from_dict(data: Any, source: str = "profile") -> ProfileResult:
    d = _require(data, ("workers", "per_request", "idle"), "workeradvisor profile", source)
    pr = _map(d.get("per_request"))
    per_request = None
    if pr:
        ratio = _f(pr, "request_cpu_ratio")
        per_request = PerRequest(_i(pr, "requests"), _f(pr, "loop_cpu_s_per_request"), _f(pr, "mean_latency_ms"),
                                 ratio, _f(pr, "io_ratio", 1.0 - ratio),
                                 _f(pr, "loop_runqueue_s_per_request"), _i(pr, "concurrency", 1), _f(pr, "rps"),
                                 tuple(float(x) for x in _list(pr.get("ratio_blocks"))
                                       if isinstance(x, int | float) and not isinstance(x, bool)))
    idle_d = _map(d.get("idle"))
    idle = None
    if idle_d:
        culprits = [c for c in _list(idle_d.get("culprits")) if isinstance(c, Mapping)]
        procs = [p for p in _list(idle_d.get("processes")) if isinstance(p, Mapping)]
        idle = IdleReport(
            window_s=_f(idle_d, "window_s"),
            process_cpu_percent=tuple((_i(p, "pid"), _f(p, "cpu_percent")) for p in procs),
            culprits=tuple(_thread(c) for c in culprits),
            culprit_stacks=tuple(_stack(c) for c in culprits),
            reload_detected=bool(idle_d.get("reload_detected", False)),
            cpu_blocks=tuple(float(x) for x in _list(idle_d.get("cpu_blocks"))
                             if isinstance(x, int | float) and not isinstance(x, bool)),
        )
    return ProfileResult(
        target=str(d.get("target", "")),
        workers=tuple(_worker(w) for w in _list(d.get("workers")) if isinstance(w, Mapping)),
        per_request=per_request,
        idle=idle,
        top_blocking=tuple(_site(c, "blocking") for c in _list(d.get("top_blocking")) if isinstance(c, Mapping)),
        top_cpu=tuple(_site(c, "cpu") for c in _list(d.get("top_cpu")) if isinstance(c, Mapping)),
        partial=bool(d.get("partial", False)),
        notes=tuple(str(n) for n in _list(d.get("notes"))),
    )


# --- load (docs/load.md, workeradvisor.load/1) ---


def _status_pairs(v: Any) -> tuple[tuple[int, int], ...]:
    pairs = _map(v)
    return tuple(sorted((int(k), int(n)) for k, n in pairs.items()
                        if str(k).isdigit() and isinstance(n, int) and not isinstance(n, bool)))


def _operation(o: Obj) -> OperationStats:
    return OperationStats(str(o.get("name", "")), _i(o, "requests"), _status_pairs(o.get("statuses")),
                          _i(o, "timeouts"), _i(o, "read_errors"), _opt_f(o, "p50_ms"), _opt_f(o, "p99_ms"),
                          _f(o, "mean_ms"), _f(o, "rps"))


def _stage(s: Obj) -> StageResult:
    lat = _map(s.get("latency_ms"))
    err = _map(s.get("errors"))
    gen = _map(s.get("generator"))
    server = None
    srv = _map(s.get("server"))
    if srv:
        raw = [p for p in _list(srv.get("processes")) if isinstance(p, Mapping)]
        procs = tuple(
            ProcessSample(_i(p, "pid"), str(p.get("role", "worker")), _f(p, "cpu_percent"), _i(p, "rss_bytes"),
                          _opt_i(p, "uss_bytes"), _opt_i(p, "pss_bytes"), _opt_i(p, "shared_bytes"))
            for p in raw
        )
        threads = tuple(ThreadSample(_i(t, "pid"), _i(t, "tid"), str(t.get("name", "")), _f(t, "cpu_percent"),
                                     _f(t, "wait_percent"))
                        for t in _list(srv.get("threads")) if isinstance(t, Mapping))
        server = ServerMetrics(procs, _f(srv, "total_cpu_percent", sum(p.cpu_percent for p in procs)),
                               _i(srv, "total_rss_bytes", sum(p.rss_bytes for p in procs)),
                               _opt_i(srv, "total_pss_bytes"), str(srv.get("memory_note") or ""), threads,
                               tuple(str(r) for r in _list(srv.get("native_runtimes"))))
    ccu = s.get("ccu")
    return StageResult(
        kind=str(s.get("kind", "ccu" if ccu is not None else "rate")),
        ccu=int(ccu) if isinstance(ccu, int | float) else None,
        rate=_opt_f(s, "rate"),
        duration_s=_f(s, "duration_s"),
        requests=_i(s, "requests"),
        rps=_f(s, "rps"),
        latency_ms=LatencySummary(_i(lat, "count"), _f(lat, "mean"), _opt_f(lat, "p50"), _opt_f(lat, "p90"),
                                  _opt_f(lat, "p95"), _opt_f(lat, "p99"), _opt_f(lat, "p999"), _f(lat, "max")),
        errors=ErrorCounts(_i(err, "connect"), _i(err, "timeout"), _i(err, "http_4xx"), _i(err, "http_5xx"),
                           _i(err, "read")),
        bytes_received=_i(s, "bytes_received"),
        server=server,
        generator_cpu_percent=_f(gen, "cpu_percent", _f(s, "generator_cpu_percent")),
        host_cpu_idle_percent=_f(gen, "host_cpu_idle_percent", _f(s, "host_cpu_idle_percent")),
        generator_bound=bool(s.get("generator_bound", False)),
        generator_bound_reason=str(s.get("generator_bound_reason", "")),
        partial=bool(s.get("partial", False)),
        stopped_reason=str(s.get("stopped_reason", "")),
        generator_processes=_i(gen, "processes", 1),
        requests_sent=_i(s, "requests_sent"),
        operations=tuple(_operation(o) for o in _list(s.get("operations")) if isinstance(o, Mapping)),
    )


def load_from_dict(data: Any, source: str = "load") -> LoadResult:
    d = _require(data, ("stages",), "workeradvisor load", source)
    knee = _map(d.get("knee"))
    workers = d.get("workers")
    return LoadResult(
        target=str(d.get("target", "")),
        stages=tuple(_stage(s) for s in _list(d.get("stages")) if isinstance(s, Mapping)),
        knee_last_healthy_ccu=_opt_i(knee, "last_healthy_ccu"),
        knee_first_saturated_ccu=_opt_i(knee, "first_saturated_ccu"),
        source=str(d.get("source", "workeradvisor")),
        workers=int(workers) if isinstance(workers, int) and workers > 0 else None,
        interrupted=bool(d.get("interrupted", False)),
        notes=tuple(str(n) for n in _list(d.get("notes"))),
    )


