"""wrk: its text report (with or without ``--latency``) and the JSON line of ``wrk_report.lua``.

A file holding several runs (``for c in 30 60 100; do wrk -c$c ...; done > ladder.txt``) becomes
a ladder, one stage per run. wrk counts 4xx and 5xx together ("Non-2xx or 3xx responses"); they
are reported as 5xx, with a note. The RPS is wrk's own printed ``Requests/sec``, not recomputed.
Without ``--latency`` wrk prints no percentiles: p50/p90/p99 are unknown (``None``), never 0; the
text report never has p95 or p99.9 (the Lua script's JSON line does).
"""

from __future__ import annotations

import json
import re

from workeradvisor.load.importers.common import count, duration_ms, imported_stage, latency, number, size_bytes
from workeradvisor.models.load import ErrorCounts, LoadResult, StageResult

MARK = "WORKERADVISOR_WRK_JSON "
NOTE = "wrk does not split 4xx from 5xx: its non-2xx/3xx responses are counted as 5xx"
NO_LATENCY = "wrk ran without --latency: p50, p90 and p99 are unknown (shown as -)"
NO_P95 = "wrk's text report has no p95 or p99.9 (shown as -): run it with -s wrk_report.lua"


def parse(text: str, ccu: int | None = None) -> LoadResult:
    blocks = [b for b in re.split(r"(?m)^(?=Running )", text) if b.strip()]
    stages: list[StageResult] = []
    target = ""
    for block in blocks:
        stage, url = _parse_block(block, ccu)
        if stage is not None:
            stages.append(stage)
            target = target or url
    if not stages:
        raise ValueError("no wrk run found")
    notes = [NOTE] if any(s.errors.http_5xx for s in stages) else []
    if any(s.latency_ms.p99 is None and s.latency_ms.count for s in stages):
        notes.append(NO_LATENCY)
    if any(s.latency_ms.p95 is None and s.latency_ms.count for s in stages):
        notes.append(NO_P95)
    return LoadResult(target=target, stages=tuple(stages), source="wrk", notes=tuple(notes))


def _printed_rps(block: str) -> float | None:
    m = re.search(r"^Requests/sec:\s+(\S+)", block, re.M)
    return number("Requests/sec", m.group(1)) if m else None


def _parse_block(block: str, ccu: int | None) -> tuple[StageResult | None, str]:
    m = re.search(r"Running .* test @ (\S+)", block)
    url = m.group(1) if m else ""
    m = re.search(r"(\d+) threads? and (\d+) connections?", block)
    conns = count("connections", m.group(2)) if m else ccu
    for line in block.splitlines():
        if line.startswith(MARK):
            data = json.loads(line[len(MARK):])
            return _from_json(data, conns, _printed_rps(block)), url or str(data.get("url", ""))
    m = re.search(r"(\d+) requests in ([\d.]+\w+), ([\d.]+\w+) read", block)
    if not m:
        return None, url
    requests = count("requests", m.group(1))
    dur_ms, nbytes = duration_ms(m.group(2), "duration"), size_bytes(m.group(3), "read")
    lat_line = re.search(r"Latency\s+([\d.]+\w+)\s+([\d.]+\w+)\s+([\d.]+\w+)", block)
    mean = duration_ms(lat_line.group(1), "Latency Avg") if lat_line else 0.0
    max_ = duration_ms(lat_line.group(3), "Latency Max") if lat_line else 0.0
    pct = {float(p): duration_ms(v, f"Latency Distribution {p}%")
           for p, v in re.findall(r"^\s+([\d.]+)%\s+([\d.]+\w+)\s*$", block, re.M)}
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", block)
    connect, read, write, timeout = (count("Socket errors", x) for x in sock.groups()) if sock else (0, 0, 0, 0)
    status = re.search(r"Non-2xx or 3xx responses: (\d+)", block)
    requests = max(0, requests - timeout)  # wrk counts late answers as requests too
    errors = ErrorCounts(connect=connect, timeout=timeout, http_5xx=count("Non-2xx", status.group(1)) if status else 0,
                         read=read + write)
    if not requests:  # wrk prints 0.00us for an empty histogram: nothing was measured
        pct = {}
    lat = latency(requests, mean, pct.get(50.0), pct.get(90.0), None, pct.get(99.0), None, max_)
    rps = _printed_rps(block)
    return imported_stage(ccu=conns, duration_s=dur_ms / 1000, requests=requests,
                          rps=rps if rps is not None else requests / max(dur_ms / 1000, 1e-9), lat=lat, errors=errors,
                          bytes_received=nbytes), url


def _from_json(data: dict, ccu: int | None, printed_rps: float | None) -> StageResult:
    dur = number("duration_us", data["duration_us"]) / 1e6
    lat_us = data["latency_us"]
    pct = {float(k): number(f"latency_us.percentiles.{k}", v) / 1000 for k, v in lat_us["percentiles"].items()}
    e = {k: count(f"errors.{k}", data["errors"][k]) for k in ("connect", "timeout", "status", "read", "write")}
    errors = ErrorCounts(connect=e["connect"], timeout=e["timeout"], http_5xx=e["status"], read=e["read"] + e["write"])
    requests = count("requests", data["requests"])
    if not requests:
        pct = {}
    lat = latency(requests, number("latency_us.mean", lat_us["mean"]) / 1000, pct.get(50.0), pct.get(90.0),
                  pct.get(95.0), pct.get(99.0), pct.get(99.9), number("latency_us.max", lat_us["max"]) / 1000)
    rps = printed_rps if printed_rps is not None else requests / max(dur, 1e-9)
    return imported_stage(ccu=ccu, duration_s=dur, requests=requests, rps=rps, lat=lat, errors=errors,
                          bytes_received=count("bytes", data["bytes"]))
