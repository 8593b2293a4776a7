"""oha ``--output-format json`` (older versions: ``-j``); times are seconds. Schema: oha's schema.json.

oha does not write its concurrency into the JSON: pass it as ``--ccu``.
"""

from __future__ import annotations

import json

from workeradvisor.load.importers.common import imported_stage, latency, transport_error_kind
from workeradvisor.models.load import ErrorCounts, LoadResult


def parse(text: str, ccu: int | None = None) -> LoadResult:
    data = json.loads(text)
    s = data["summary"]
    p = data["latencyPercentiles"]
    codes = {int(k): int(v) for k, v in data.get("statusCodeDistribution", {}).items()}
    answered = sum(codes.values())
    errors = {"connect": 0, "timeout": 0, "read": 0}
    for message, n in data.get("errorDistribution", {}).items():
        errors[transport_error_kind(message)] += int(n)
    errs = ErrorCounts(connect=errors["connect"], timeout=errors["timeout"], read=errors["read"],
                       http_4xx=sum(n for c, n in codes.items() if 400 <= c < 500),
                       http_5xx=sum(n for c, n in codes.items() if c >= 500))

    def ms(key: str) -> float:
        value = p.get(key)
        return float(value) * 1000 if value is not None else 0.0

    lat = latency(answered, float(s["average"] or 0) * 1000, ms("p50"), ms("p90"), ms("p95"), ms("p99"),
                  ms("p99.9"), float(s["slowest"] or 0) * 1000)
    total = float(s["total"])
    stage = imported_stage(ccu=ccu, duration_s=total, requests=answered, rps=answered / max(total, 1e-9), lat=lat,
                           errors=errs, bytes_received=int(s.get("totalData") or 0))
    notes = () if ccu else ("oha's JSON does not record the concurrency; pass --ccu to label the stage",)
    return LoadResult(target="", stages=(stage,), source="oha", notes=notes)
