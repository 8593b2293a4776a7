"""Locust ``--csv PREFIX`` output: ``PREFIX_stats.csv`` (one stage) or ``PREFIX_stats_history.csv``
(one stage per user count, so a stepped LoadTestShape becomes a ladder).

Failures are classed from ``PREFIX_failures.csv`` when it sits next to the file (status codes,
refused connections, timeouts); history rows carry totals only, so a stage's failures are split in
the proportions of that file. History percentiles are Locust's rolling window at the stage's last
second: the first seconds of a stage may still hold samples of the previous one.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from workeradvisor.load.importers.common import imported_stage, latency, optional, transport_error_kind
from workeradvisor.models.load import ErrorCounts, LoadResult, StageResult
from workeradvisor.safeio import MAX_RESULT_FILE, read_bounded

_KINDS = ("connect", "timeout", "http_4xx", "http_5xx", "read")


def _float(row: dict[str, str], key: str) -> float:
    """A checked figure of a CSV row; Locust writes N/A (or nothing) where it has none: 0 for totals."""
    value = optional(key, row.get(key))
    return value if value is not None else 0.0


def _pct(row: dict[str, str], key: str) -> float | None:
    """A percentile column: N/A (no sample in the window) is unknown, not 0."""
    return optional(key, row.get(key))


def classify(error: str) -> str:
    m = re.search(r"code=(\d{3})|\b([45]\d\d)\b", error)
    if m:
        return "http_5xx" if (m.group(1) or m.group(2)).startswith("5") else "http_4xx"
    return transport_error_kind(error)


def failure_mix(prefix_file: Path) -> dict[str, int]:
    base = re.sub(r"_stats(_history)?\.csv$", "", str(prefix_file))
    mix = dict.fromkeys(_KINDS, 0)
    path = Path(base + "_failures.csv")
    if path.is_file():
        for row in csv.DictReader(io.StringIO(read_bounded(path, "Locust file", MAX_RESULT_FILE))):
            mix[classify(row.get("Error", ""))] += int(_float(row, "Occurrences"))
    return mix


def split_failures(total: int, mix: dict[str, int]) -> ErrorCounts:
    known = sum(mix.values())
    if not known:
        return ErrorCounts(read=total)
    parts = {k: total * v // known for k, v in mix.items()}
    parts[max(mix, key=lambda k: mix[k])] += total - sum(parts.values())
    return ErrorCounts(**parts)


def _stage(row: dict[str, str], *, count: int, failures: int, rps: float, duration_s: float, users: int | None,
           mix: dict[str, int], prefix: str = "") -> StageResult:
    errors = split_failures(failures, mix)
    transport = errors.connect + errors.timeout + errors.read
    lat = latency(count, _float(row, f"{prefix}Average Response Time"), _pct(row, "50%"), _pct(row, "90%"),
                  _pct(row, "95%"), _pct(row, "99%"), _pct(row, "99.9%"),
                  _float(row, "100%") or _float(row, f"{prefix}Max Response Time"))
    return imported_stage(ccu=users, duration_s=duration_s, requests=count - transport, rps=rps, lat=lat,
                          errors=errors, bytes_received=int(count * _float(row, f"{prefix}Average Content Size")))


def parse(path: Path, text: str) -> LoadResult:
    rows = [r for r in csv.DictReader(io.StringIO(text)) if r.get("Name") == "Aggregated"]
    if not rows:
        raise ValueError("no Aggregated row")
    mix = failure_mix(path)
    if "User Count" in rows[0]:
        return LoadResult(target="", stages=tuple(_history(rows, mix)), source="locust", notes=(
            "Locust history percentiles come from a rolling window at each stage's last second",))
    row = rows[0]
    count, rps = int(_float(row, "Request Count")), _float(row, "Requests/s")
    history = Path(re.sub(r"_stats\.csv$", "_stats_history.csv", str(path)))
    users = None
    if history.is_file() and history != path:
        hist_rows = [r for r in csv.DictReader(io.StringIO(read_bounded(history, "Locust file", MAX_RESULT_FILE)))
                     if r.get("Name") == "Aggregated"]
        users = max((int(_float(r, "User Count")) for r in hist_rows), default=None)
    stage = _stage(row, count=count, failures=int(_float(row, "Failure Count")), rps=rps,
                   duration_s=count / rps if rps else 0.0, users=users, mix=mix)
    return LoadResult(target="", stages=(stage,), source="locust")


def _history(rows: list[dict[str, str]], mix: dict[str, int]) -> list[StageResult]:
    groups: list[list[dict[str, str]]] = []
    for r in rows:
        if groups and groups[-1][-1]["User Count"] == r["User Count"]:
            groups[-1].append(r)
        else:
            groups.append([r])
    stages = []
    prev_end: dict[str, str] | None = None
    for group in groups:
        users = int(_float(group[0], "User Count"))
        end = group[-1]
        start = prev_end or group[0]
        prev_end = end
        if users == 0:
            continue
        span = _float(end, "Timestamp") - _float(start, "Timestamp")
        count = int(_float(end, "Total Request Count") - _float(start, "Total Request Count"))
        failures = int(_float(end, "Total Failure Count") - _float(start, "Total Failure Count"))
        if span <= 0 or count <= 0:
            continue
        stages.append(_stage(end, count=count, failures=failures, rps=count / span, duration_s=span, users=users,
                             mix=mix, prefix="Total "))
    if not stages:
        raise ValueError("no stage with requests in the history")
    return stages
