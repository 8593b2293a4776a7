"""k6: ``--summary-export`` JSON, the ``handleSummary`` data JSON, and the ``--out json`` line stream.

The two summaries hold the same metrics; ``handleSummary`` nests each metric's figures under
``values`` (``metrics.http_reqs.values.count``), ``--summary-export`` does not. k6 summarises the
trend stats it was told to (default avg, min, med, max, p(90), p(95)): p99 and p99.9 are unknown
(``None``) unless it ran with ``--summary-trend-stats "avg,min,med,max,p(90),p(95),p(99),p(99.9)"``.
The RPS is k6's own ``http_reqs`` rate. ``http_req_failed`` counts failed requests without saying
why, so a summary counts them as read errors; the line stream carries each request's status, so
there 4xx/5xx and transport failures (status 0) are told apart and every percentile is computed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from workeradvisor.load.importers.common import count, imported_stage, latency, number, optional
from workeradvisor.models.load import ErrorCounts, LoadResult

_TRENDS = {"p(90)": "p90", "p(95)": "p95", "p(99)": "p99", "p(99.9)": "p99.9"}


def is_stream(text: str) -> bool:
    """True for ``--out json`` output: one JSON object a line with ``type`` Metric or Point."""
    first = text.lstrip().split("\n", 1)[0]
    try:
        obj = json.loads(first)
    except ValueError:
        return False
    return isinstance(obj, dict) and obj.get("type") in ("Metric", "Point") and "metric" in obj


def _values(metrics: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    m = metrics.get(name) or {}
    return m.get("values", m) if isinstance(m, Mapping) else {}


def parse(text: str, ccu: int | None = None) -> LoadResult:
    if is_stream(text):
        return parse_stream(text, ccu)
    data = json.loads(text)
    metrics = data["metrics"]
    d = _values(metrics, "http_req_duration")
    reqs = _values(metrics, "http_reqs")
    if "count" not in reqs:
        raise ValueError("no http_reqs count: not a k6 summary of an HTTP test")
    n, rate = count("http_reqs.count", reqs["count"]), number("http_reqs.rate", reqs["rate"])
    failed = count("http_req_failed.passes", _values(metrics, "http_req_failed").get("passes", 0))
    vus_max = _values(metrics, "vus_max")
    vus = optional("vus_max.max", vus_max.get("max", vus_max.get("value")))
    pct = {k: optional(f"http_req_duration.{k}", d.get(k)) for k in _TRENDS}
    lat = latency(n, number("http_req_duration.avg", d["avg"]), optional("http_req_duration.med", d.get("med")),
                  pct["p(90)"], pct["p(95)"], pct["p(99)"], pct["p(99.9)"], number("http_req_duration.max", d["max"]))
    state = data.get("state") or {}
    run_ms = optional("state.testRunDurationMs", state.get("testRunDurationMs"))
    stage = imported_stage(ccu=ccu or (int(vus) if vus else None),
                           duration_s=run_ms / 1000 if run_ms else (n / rate if rate else 0.0),
                           requests=n - failed, rps=rate, lat=lat, errors=ErrorCounts(read=failed),
                           bytes_received=count("data_received.count", _values(metrics, "data_received").get("count",
                                                                                                           0)))
    notes = []
    missing = [k for k, v in pct.items() if v is None]
    if missing:
        notes.append(f"k6 summary lacks {', '.join(missing)} (shown as -): run k6 with --summary-trend-stats")
    if failed:
        notes.append("k6's summary does not say why requests failed: counted as read errors")
    return LoadResult(target="", stages=(stage,), source="k6", notes=tuple(notes))


def _percentile(sorted_values: list[float], q: float) -> float:
    """k6's own rule: linear interpolation between the closest ranks."""
    if len(sorted_values) == 1:
        return sorted_values[0]
    pos = q / 100 * (len(sorted_values) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def _stamp(point: Mapping[str, Any]) -> float:
    return datetime.fromisoformat(str(point["time"]).replace("Z", "+00:00")).timestamp()


def parse_stream(text: str, ccu: int | None = None) -> LoadResult:
    durations: list[float] = []
    statuses: list[str] = []
    times: list[float] = []
    received = 0
    vus = 0
    for i, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        obj = json.loads(line)
        if obj.get("type") != "Point":
            continue
        point, metric = obj["data"], obj.get("metric")
        if metric == "http_req_duration":
            durations.append(number(f"line {i} http_req_duration", point["value"]))
            statuses.append(str((point.get("tags") or {}).get("status", "")))
            times.append(_stamp(point))
        elif metric == "data_received":
            received += count(f"line {i} data_received", point["value"])
        elif metric in ("vus", "vus_max"):
            vus = max(vus, count(f"line {i} {metric}", point["value"]))
    if not durations:
        raise ValueError("no http_req_duration points in the k6 stream")
    codes = [int(s) if s.isdigit() else 0 for s in statuses]
    transport = sum(1 for c in codes if c == 0)
    errors = ErrorCounts(read=transport, http_4xx=sum(1 for c in codes if 400 <= c < 500),
                         http_5xx=sum(1 for c in codes if c >= 500))
    span = max(times) - min(times)
    ordered = sorted(durations)
    pct = {q: _percentile(ordered, q) for q in (50.0, 90.0, 95.0, 99.0, 99.9)}
    lat = latency(len(durations), sum(durations) / len(durations), pct[50.0], pct[90.0], pct[95.0], pct[99.0],
                  pct[99.9], ordered[-1])
    stage = imported_stage(ccu=ccu or vus or None, duration_s=span, requests=len(durations) - transport,
                           rps=len(durations) / span if span > 0 else 0.0, lat=lat, errors=errors,
                           bytes_received=received)
    notes = ("k6's line stream has no run duration: RPS is requests over first-to-last request time",)
    return LoadResult(target="", stages=(stage,), source="k6", notes=notes)
