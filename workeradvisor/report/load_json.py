"""JSON for a load run: the stable schema documented in docs/load.md (``schema: workeradvisor.load/1``)."""

from __future__ import annotations

from typing import Any

from workeradvisor.jsonsafe import dumps  # never NaN/Infinity in the JSON we write
from workeradvisor.models.load import LoadResult, StageResult

SCHEMA = "workeradvisor.load/1"


def stage_dict(s: StageResult) -> dict[str, Any]:
    lat = s.latency_ms
    server: dict[str, Any] | None = None
    if s.server is not None:
        server = {
            "total_cpu_percent": s.server.total_cpu_percent,
            "total_rss_bytes": s.server.total_rss_bytes,
            "total_pss_bytes": s.server.total_pss_bytes,
            "memory_note": s.server.memory_note,
            "processes": [{"pid": p.pid, "role": p.role, "cpu_percent": p.cpu_percent, "rss_bytes": p.rss_bytes,
                           "uss_bytes": p.uss_bytes, "pss_bytes": p.pss_bytes, "shared_bytes": p.shared_bytes}
                          for p in s.server.processes],
        }
        if s.server.native_runtimes:  # compute-pool runtimes mapped in the workers (docs/threads.md)
            server["native_runtimes"] = list(s.server.native_runtimes)
        if s.server.threads:  # the workers' threads over the stage (docs/threads.md)
            server["threads"] = [{"pid": t.pid, "tid": t.tid, "name": t.name, "cpu_percent": t.cpu_percent,
                                  "wait_percent": t.wait_percent} for t in s.server.threads]
    return {
        "kind": s.kind,
        "ccu": s.ccu,
        "rate": s.rate,
        "duration_s": s.duration_s,
        "requests": s.requests,
        "requests_sent": s.requests_sent,
        "rps": s.rps,
        "latency_ms": {"count": lat.count, "mean": lat.mean, "p50": lat.p50, "p90": lat.p90, "p95": lat.p95,
                       "p99": lat.p99, "p999": lat.p999, "max": lat.max},
        "errors": {"connect": s.errors.connect, "timeout": s.errors.timeout, "http_4xx": s.errors.http_4xx,
                   "http_5xx": s.errors.http_5xx, "read": s.errors.read, "total": s.errors.total},
        "error_fraction": round(s.error_fraction, 6),
        "bytes_received": s.bytes_received,
        "server": server,
        "generator": {"cpu_percent": s.generator_cpu_percent, "processes": s.generator_processes,
                      "host_cpu_idle_percent": s.host_cpu_idle_percent},
        "generator_bound": s.generator_bound,
        "generator_bound_reason": s.generator_bound_reason,
        "partial": s.partial,
        "stopped_reason": s.stopped_reason,
        "operations": [{"name": o.name, "requests": o.requests, "rps": o.rps,
                        "statuses": {str(code): n for code, n in o.statuses}, "timeouts": o.timeouts,
                        "read_errors": o.read_errors, "ok": o.ok, "error_fraction": round(o.error_fraction, 6),
                        "p50_ms": o.p50_ms, "p99_ms": o.p99_ms, "mean_ms": o.mean_ms} for o in s.operations],
    }


def to_dict(result: LoadResult) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "version": 1,  # docs/json.md: every document carries "version"
        "target": result.target,
        "source": result.source,
        "workers": result.workers,
        "interrupted": result.interrupted,
        "knee": {"last_healthy_ccu": result.knee_last_healthy_ccu,
                 "first_saturated_ccu": result.knee_first_saturated_ccu},
        "notes": list(result.notes),
        "stages": [stage_dict(s) for s in result.stages],
    }


def render(result: LoadResult) -> str:
    return dumps(to_dict(result), indent=2) + "\n"
