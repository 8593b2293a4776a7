"""wrk: its text report (``--latency`` for percentiles) and the JSON line of ``wrk_report.lua``.

A file holding several runs (``for c in 30 60 100; do wrk -c$c ...; done > ladder.txt``) becomes
a ladder, one stage per run. wrk counts 4xx and 5xx together ("Non-2xx or 3xx responses"); they
are reported as 5xx, with a note.
"""

from __future__ import annotations

import json
import re

from workeradvisor.load.importers.common import duration_ms, imported_stage, latency, size_bytes
from workeradvisor.models.load import ErrorCounts, LoadResult, StageResult

MARK = "WORKERADVISOR_WRK_JSON "
NOTE = "wrk does not split 4xx from 5xx: its non-2xx/3xx responses are counted as 5xx"


def parse(text: str, ccu: int | None = None) -> LoadResult:
    blocks = re.split(r"(?m)^(?=Running )", text)
    blocks = [b for b in blocks if b.strip()]
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
    if "WORKERADVISOR_WRK_JSON" not in text:
        notes.append("wrk's text report has no p95 or p99.9 (shown as 0): run it with -s wrk_report.lua")
    return LoadResult(target=target, stages=tuple(stages), source="wrk", notes=tuple(notes))


def _parse_block(block: str, ccu: int | None) -> tuple[StageResult | None, str]:
    m = re.search(r"Running .* test @ (\S+)", block)
    url = m.group(1) if m else ""
    m = re.search(r"(\d+) threads? and (\d+) connections?", block)
    conns = int(m.group(2)) if m else ccu
    for line in block.splitlines():
        if line.startswith(MARK):
            return _from_json(json.loads(line[len(MARK):]), conns), url or json.loads(line[len(MARK):])["url"]
    m = re.search(r"(\d+) requests in ([\d.]+\w+), ([\d.]+\w+) read", block)
    if not m:
        return None, url
    requests, dur_ms, nbytes = int(m.group(1)), duration_ms(m.group(2)), size_bytes(m.group(3))
    lat_line = re.search(r"Latency\s+([\d.]+\w+)\s+([\d.]+\w+)\s+([\d.]+\w+)", block)
    mean = duration_ms(lat_line.group(1)) if lat_line else 0.0
    max_ = duration_ms(lat_line.group(3)) if lat_line else 0.0
    pct = {float(p): duration_ms(v) for p, v in re.findall(r"^\s+([\d.]+)%\s+([\d.]+\w+)\s*$", block, re.M)}
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", block)
    connect, read, write, timeout = (int(x) for x in sock.groups()) if sock else (0, 0, 0, 0)
    status = re.search(r"Non-2xx or 3xx responses: (\d+)", block)
    requests = max(0, requests - timeout)  # wrk counts late answers as requests too
    errors = ErrorCounts(connect=connect, timeout=timeout, http_5xx=int(status.group(1)) if status else 0,
                         read=read + write)
    lat = latency(requests, mean, pct.get(50.0, 0.0), pct.get(90.0, 0.0), pct.get(95.0, 0.0), pct.get(99.0, 0.0),
                  pct.get(99.9, 0.0), max_)
    return imported_stage(ccu=conns, duration_s=dur_ms / 1000, requests=requests,
                          rps=requests / max(dur_ms / 1000, 1e-9), lat=lat, errors=errors, bytes_received=nbytes), url


def _from_json(data: dict, ccu: int | None) -> StageResult:
    dur = data["duration_us"] / 1e6
    lat_us = data["latency_us"]
    pct = {float(k): v / 1000 for k, v in lat_us["percentiles"].items()}
    e = data["errors"]
    errors = ErrorCounts(connect=e["connect"], timeout=e["timeout"], http_5xx=e["status"], read=e["read"] + e["write"])
    lat = latency(data["requests"], lat_us["mean"] / 1000, pct.get(50.0, 0.0), pct.get(90.0, 0.0),
                  pct.get(95.0, 0.0), pct.get(99.0, 0.0), pct.get(99.9, 0.0), lat_us["max"] / 1000)
    return imported_stage(ccu=ccu, duration_s=dur, requests=data["requests"], rps=data["requests"] / max(dur, 1e-9),
                          lat=lat, errors=errors, bytes_received=data["bytes"])
