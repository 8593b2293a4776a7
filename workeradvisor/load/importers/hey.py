"""hey's default summary text (``hey -z 10s -c 50 URL > hey.txt``); times are seconds.

hey does not print its concurrency: pass it as ``--ccu``. It prints p10..p99 (no p99.9) and its
own ``Requests/sec``, which is kept; that figure counts failed requests too. Errors come from the
"Status code distribution" (4xx/5xx) and "Error distribution" (transport errors, by message).
When every request failed hey prints ``Average: NaN secs`` and no percentiles: latency is unknown.
"""

from __future__ import annotations

import re

from workeradvisor.load.importers.common import count, imported_stage, latency, number, transport_error_kind
from workeradvisor.models.load import ErrorCounts, LoadResult


def is_hey(text: str) -> bool:
    return bool(re.search(r"^Summary:\s*$", text, re.M)) and "Requests/sec:" in text and "Total:" in text


def _seconds(text: str, field: str) -> float:
    m = re.search(rf"^\s+{re.escape(field)}:\s+(\S+) secs", text, re.M)
    if not m:
        raise ValueError(f"no {field} line")
    return number(field, m.group(1))


def _section(text: str, title: str) -> list[str]:
    m = re.search(rf"^{re.escape(title)}:\s*\n((?:[ \t]+\S.*\n?)*)", text, re.M)
    return [line.strip() for line in m.group(1).splitlines()] if m else []


def parse(text: str, ccu: int | None = None) -> LoadResult:
    if not is_hey(text):
        raise ValueError("no hey Summary block")
    total = _seconds(text, "Total")
    m = re.search(r"^\s+Requests/sec:\s+(\S+)", text, re.M)
    rps = number("Requests/sec", m.group(1)) if m else 0.0
    codes: dict[int, int] = {}
    for line in _section(text, "Status code distribution"):
        m = re.fullmatch(r"\[(\d{3})\]\s+(\d+) responses", line)
        if m:
            codes[int(m.group(1))] = count(f"status {m.group(1)}", m.group(2))
    transport = {"connect": 0, "timeout": 0, "read": 0}
    for line in _section(text, "Error distribution"):
        m = re.fullmatch(r"\[(\d+)\]\s+(.*)", line)
        if m:
            transport[transport_error_kind(m.group(2))] += count("Error distribution", m.group(1))
    answered = sum(codes.values())
    pct = {float(p): number(f"Latency distribution {p}%", v) * 1000
           for p, v in re.findall(r"^\s+([\d.]+)% in (\S+) secs", text, re.M)} if answered else {}
    mean = _seconds(text, "Average") * 1000 if answered else 0.0
    slowest = _seconds(text, "Slowest") * 1000 if answered else 0.0
    lat = latency(answered, mean, pct.get(50.0), pct.get(90.0), pct.get(95.0), pct.get(99.0), None, slowest)
    errors = ErrorCounts(http_4xx=sum(n for c, n in codes.items() if 400 <= c < 500),
                         http_5xx=sum(n for c, n in codes.items() if c >= 500), **transport)
    m = re.search(r"^\s+Total data:\s+(\d+) bytes", text, re.M)
    stage = imported_stage(ccu=ccu, duration_s=total, requests=answered, rps=rps, lat=lat, errors=errors,
                           bytes_received=count("Total data", m.group(1)) if m else 0)
    notes = ["hey prints no p99.9 (shown as -)"]
    if not ccu:
        notes.append("hey's summary does not record the concurrency; pass --ccu to label the stage")
    if errors.total:
        notes.append("hey's Requests/sec counts failed requests too")
    return LoadResult(target="", stages=(stage,), source="hey", notes=tuple(notes))
