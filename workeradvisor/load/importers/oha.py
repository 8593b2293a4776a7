"""oha ``--output-format json`` (older versions: ``-j``); times are seconds. Schema: oha's schema.json.

oha does not write its concurrency into the JSON: pass it as ``--ccu``. The RPS is oha's own
``summary.requestsPerSec``; a percentile oha writes as null (no sample) stays unknown.
"""

from __future__ import annotations

import json

from workeradvisor.load.importers.common import count, imported_stage, latency, number, optional, transport_error_kind
from workeradvisor.models.load import ErrorCounts, LoadResult


def parse(text: str, ccu: int | None = None) -> LoadResult:
    data = json.loads(text)
    s = data["summary"]
    p = data["latencyPercentiles"]
    codes = {int(k): count(f"statusCodeDistribution.{k}", v) for k, v in data.get("statusCodeDistribution", {}).items()}
    answered = sum(codes.values())
    errors = {"connect": 0, "timeout": 0, "read": 0}
    for message, n in data.get("errorDistribution", {}).items():
        errors[transport_error_kind(message)] += count("errorDistribution", n)
    errs = ErrorCounts(connect=errors["connect"], timeout=errors["timeout"], read=errors["read"],
                       http_4xx=sum(n for c, n in codes.items() if 400 <= c < 500),
                       http_5xx=sum(n for c, n in codes.items() if c >= 500))

    def ms(key: str) -> float | None:  # oha writes null for a percentile it has no sample for
        value = optional(f"latencyPercentiles.{key}", p.get(key))
        return value * 1000 if value is not None else None

    lat = latency(answered, (optional("summary.average", s.get("average")) or 0.0) * 1000, ms("p50"), ms("p90"),
                  ms("p95"), ms("p99"), ms("p99.9"), (optional("summary.slowest", s.get("slowest")) or 0.0) * 1000)
    total = number("summary.total", s["total"])
    own_rps = optional("summary.requestsPerSec", s.get("requestsPerSec"))
    stage = imported_stage(ccu=ccu, duration_s=total, requests=answered,
                           rps=own_rps if own_rps is not None else answered / max(total, 1e-9), lat=lat,
                           errors=errs, bytes_received=count("summary.totalData", s.get("totalData") or 0))
    notes = () if ccu else ("oha's JSON does not record the concurrency; pass --ccu to label the stage",)
    return LoadResult(target="", stages=(stage,), source="oha", notes=notes)
