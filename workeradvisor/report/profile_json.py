"""JSON for a live profile: the stable schema documented in docs/profile.md (``schema: workeradvisor.profile/1``).

Keys are only ever added, never renamed or removed, within schema version 1. Fractions are 0..1,
CPU percentages are of one core (100 = one core), times are seconds unless the key says ``_ms``.
"""

from __future__ import annotations

from typing import Any

from workeradvisor.jsonsafe import dumps  # never NaN/Infinity in the JSON we write
from workeradvisor.models.profile import (
    CallSite,
    IdleReport,
    PerRequest,
    ProfileResult,
    ThreadStat,
    WorkerProfile,
    stack_text,
)

SCHEMA = "workeradvisor.profile/1"


def _thread(t: ThreadStat) -> dict[str, Any]:
    return {"tid": t.tid, "name": t.name, "cpu_seconds": t.cpu_seconds, "cpu_percent": t.cpu_percent,
            "is_loop": t.is_loop}


def _worker(w: WorkerProfile) -> dict[str, Any]:
    loop = None
    if w.loop is not None:
        loop = {"window_s": w.loop.window_s, "busy_fraction": w.loop.busy_fraction,
                "on_cpu_fraction": w.loop.on_cpu_fraction, "runqueue_fraction": w.loop.runqueue_fraction}
    attribution = None
    if w.app_cpu_share is not None:
        attribution = {"cpu_share": w.app_cpu_share, "blocked_share": w.blocked_share,
                       "selector_share": w.selector_share, "ticks": w.attribution_ticks}
    return {"pid": w.pid, "rss_bytes": w.rss_bytes, "uss_bytes": w.uss_bytes, "pss_bytes": w.pss_bytes, "loop": loop,
            "attribution": attribution, "threads": [_thread(t) for t in w.threads]}


def _per_request(p: PerRequest | None) -> dict[str, Any] | None:
    if p is None:
        return None
    return {"requests": p.requests, "concurrency": p.concurrency, "rps": p.rps,
            "loop_cpu_s_per_request": p.loop_cpu_s_per_request,
            "loop_runqueue_s_per_request": p.loop_runqueue_s_per_request,
            "mean_latency_ms": p.mean_latency_ms, "request_cpu_ratio": p.request_cpu_ratio, "io_ratio": p.io_ratio,
            "ratio_blocks": list(p.ratio_blocks)}


def _idle(i: IdleReport | None) -> dict[str, Any] | None:
    if i is None:
        return None
    return {
        "window_s": i.window_s,
        "processes": [{"pid": pid, "cpu_percent": pct} for pid, pct in i.process_cpu_percent],
        # "hottest_stack" is the human form; "hottest_stack_frames" the data (innermost first)
        "culprits": [{**_thread(t), "hottest_stack": stack_text(i.stack(n)),
                      "hottest_stack_frames": [{"function": f.function, "path": f.path, "line": f.line}
                                               for f in i.stack(n)]}
                     for n, t in enumerate(i.culprits)],
        "reload_detected": i.reload_detected,
        "cpu_blocks": list(i.cpu_blocks),
    }


def _site(c: CallSite) -> dict[str, Any]:
    return {"path": c.path, "line": c.line, "function": c.function, "share": c.share, "kind": c.kind,
            "confirmed_findings": list(c.confirmed_findings)}


def to_dict(result: ProfileResult) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "version": 1,  # docs/json.md: every document carries "version"
        "target": result.target,
        "partial": result.partial,
        "request_cpu_ratio": result.request_cpu_ratio,
        "per_request": _per_request(result.per_request),
        "workers": [_worker(w) for w in result.workers],
        "idle": _idle(result.idle),
        "top_blocking": [_site(c) for c in result.top_blocking],
        "top_cpu": [_site(c) for c in result.top_cpu],
        "attribution_error": result.attribution_error or None,
        "notes": list(result.notes),
    }


def render(result: ProfileResult) -> str:
    return dumps(to_dict(result), indent=2) + "\n"
