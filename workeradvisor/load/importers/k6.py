"""k6 ``--summary-export`` JSON: metrics ``http_req_duration`` (ms), ``http_reqs``, ``http_req_failed``.

k6 exports the trend stats it was told to (default avg, min, med, max, p(90), p(95)); run it with
``--summary-trend-stats "avg,min,med,max,p(90),p(95),p(99),p(99.9)"`` to get p99 and p99.9.
``http_req_failed`` is a rate whose "passes" are the failed requests; k6 does not say why they
failed, so they are counted as read errors.
"""

from __future__ import annotations

import json

from workeradvisor.load.importers.common import imported_stage, latency
from workeradvisor.models.load import ErrorCounts, LoadResult


def parse(text: str, ccu: int | None = None) -> LoadResult:
    metrics = json.loads(text)["metrics"]
    d = metrics["http_req_duration"]
    reqs = metrics["http_reqs"]
    count, rate = int(reqs["count"]), float(reqs["rate"])
    failed = int(metrics.get("http_req_failed", {}).get("passes", 0))
    vus = metrics.get("vus_max", {}).get("max") or metrics.get("vus_max", {}).get("value")
    missing = [k for k in ("p(99)", "p(99.9)") if k not in d]
    lat = latency(count, d["avg"], d["med"], d.get("p(90)", 0.0), d.get("p(95)", 0.0), d.get("p(99)", 0.0),
                  d.get("p(99.9)", 0.0), d["max"])
    stage = imported_stage(ccu=ccu or (int(vus) if vus else None), duration_s=count / rate if rate else 0.0,
                           requests=count - failed, rps=rate, lat=lat, errors=ErrorCounts(read=failed),
                           bytes_received=int(metrics.get("data_received", {}).get("count", 0)))
    notes = []
    if missing:
        notes.append(f"k6 export lacks {', '.join(missing)} (shown as 0): use --summary-trend-stats")
    if failed:
        notes.append("k6 does not say why requests failed: counted as read errors")
    return LoadResult(target="", stages=(stage,), source="k6", notes=tuple(notes))
