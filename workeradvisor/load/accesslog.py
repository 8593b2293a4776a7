"""A request mix from real traffic: uvicorn access lines, nginx/Apache combined logs, JSON lines.

The seed's advice is to test with the production traffic pattern. An access log gives the paths,
methods and their weights, and the rate they came at; ``--speed X`` replays that rate X times
over (open loop). Bodies are not in access logs: POST/PUT/PATCH lines are replayed with the body
given by ``--json`` or with none, and the report says so.

Lines that match no format are counted and skipped (a log rotated mid-line, a stack trace); a
file where no line matches is an error naming the formats tried.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from workeradvisor.errors import ConfigError
from workeradvisor.load.spec import RequestTemplate

MAX_OPERATIONS = 200  # distinct (method, path) kept, by count; the tail is folded into the nearest

# 127.0.0.1:51234 - "GET /items?id=3 HTTP/1.1" 200 OK   (uvicorn; no timestamp of its own)
_UVICORN = re.compile(r'"(?P<method>[A-Z]+) (?P<path>\S+) HTTP/[\d.]+" (?P<status>\d{3})')
# 1.2.3.4 - - [02/Dec/2026:10:00:01 +0000] "POST /x HTTP/1.1" 201 512 "-" "curl/8"   (combined/common)
_COMBINED = re.compile(r'\[(?P<time>[^\]]+)\] "(?P<method>[A-Z]+) (?P<path>\S+)(?: HTTP/[\d.]+)?" (?P<status>\d{3})')
_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


@dataclass(frozen=True)
class LogEntry:
    method: str
    path: str
    status: int
    time: float | None  # epoch seconds, when the line has a timestamp


@dataclass(frozen=True)
class TrafficMix:
    """What the log says: templates weighted by count, and the rate the requests came at."""

    requests: tuple[RequestTemplate, ...]
    lines: int
    skipped: int
    rate_per_s: float | None  # None without timestamps (uvicorn's own access lines)
    without_body: tuple[str, ...] = ()  # write operations replayed without their (unlogged) body
    # (seconds after the first timestamped line, index into ``requests``), in time order: what
    # ``load --speed`` replays. Empty without timestamps.
    schedule: tuple[tuple[float, int], ...] = ()

    @property
    def span_s(self) -> float:
        """Logged seconds from the first to the last timestamped request."""
        return self.schedule[-1][0] if self.schedule else 0.0

    def replay(self, speed: float) -> tuple[tuple[tuple[float, int], ...], float]:
        """The schedule at ``speed`` times the logged rate, and the period after which it repeats
        (the span plus one mean gap, so the loop keeps the logged rate across its seam)."""
        n = len(self.schedule)
        if n < 2 or self.span_s <= 0:
            raise ConfigError("access log: --speed needs at least two requests with distinct timestamps")
        period = self.span_s * n / (n - 1)
        return tuple((t / speed, i) for t, i in self.schedule), period / speed


def parse_line(line: str) -> LogEntry | None:
    line = line.strip()
    if line.startswith("{"):
        return _json_line(line)
    if m := _COMBINED.search(line):
        return LogEntry(m["method"], m["path"], int(m["status"]), _clf_time(m["time"]))
    if m := _UVICORN.search(line):
        return LogEntry(m["method"], m["path"], int(m["status"]), None)
    return None


def _json_line(line: str) -> LogEntry | None:
    try:
        data = json.loads(line)
    except ValueError:
        return None
    if not isinstance(data, Mapping):
        return None
    method = data.get("method") or data.get("request_method") or data.get("http_method")
    path = data.get("path") or data.get("uri") or data.get("request_uri") or data.get("url")
    if not isinstance(method, str) or not isinstance(path, str):
        return None
    status = data.get("status") or data.get("status_code") or 0
    when = data.get("time") or data.get("timestamp") or data.get("ts")
    return LogEntry(method.upper(), path, int(status) if str(status).isdigit() else 0, _any_time(when))


def _clf_time(text: str) -> float | None:
    try:
        return datetime.strptime(text, "%d/%b/%Y:%H:%M:%S %z").timestamp()
    except ValueError:
        return None


def _any_time(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) / (1000 if value > 1e11 else 1)  # epoch milliseconds or seconds
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return _clf_time(value)
    return None


def _path_only(path: str) -> str:
    """Absolute-form targets (``http://host/x``) become origin-form; no control characters."""
    if "://" in path:
        path = "/" + path.split("://", 1)[1].partition("/")[2]
    return path if path.startswith("/") and path.isascii() and " " not in path else ""


def build_mix(lines: Iterable[str], *, body: str | None = None, headers: Mapping[str, str] | None = None,
              base_path: str = "") -> TrafficMix:
    """Templates weighted by how often each (method, path) was logged. 4xx lines are kept (real
    traffic includes them); 5xx lines are skipped, since replaying an outage measures nothing."""
    counts: Counter[tuple[str, str]] = Counter()
    timed: list[tuple[float, tuple[str, str]]] = []
    total = skipped = 0
    for line in lines:
        if not line.strip():
            continue
        total += 1
        entry = parse_line(line)
        path = _path_only(entry.path) if entry else ""
        if entry is None or not path or entry.method not in _METHODS or entry.status >= 500:
            skipped += 1
            continue
        counts[(entry.method, path)] += 1
        if entry.time is not None:
            timed.append((entry.time, (entry.method, path)))
    if not counts:
        raise ConfigError(f"access log: none of {total} line(s) is a uvicorn, combined (nginx/Apache) or "
                          "JSON access line")
    hdrs = dict(headers or {})
    if body is not None:
        hdrs.setdefault("Content-Type", "application/json")
    writes = ("POST", "PUT", "PATCH")
    out = tuple(
        RequestTemplate(f"{method} {path}", method, base_path + path, tuple(hdrs.items()),
                        body if method in writes else None, float(n))
        for (method, path), n in counts.most_common(MAX_OPERATIONS)
    )
    timed.sort(key=lambda e: e[0])
    span = (timed[-1][0] - timed[0][0]) if len(timed) > 1 else 0.0
    rate = len(timed) / span if span > 0 else None
    bodiless = tuple(sorted({t.name for t in out if t.method in writes})) if body is None else ()
    index = {key: i for i, (key, _) in enumerate(counts.most_common(MAX_OPERATIONS))}
    schedule = tuple((t - timed[0][0], index[key]) for t, key in timed if key in index)
    return TrafficMix(out, total, skipped, rate, bodiless, schedule)
