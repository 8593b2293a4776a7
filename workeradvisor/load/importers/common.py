"""Shared helpers for importers: unit parsing and building a stage from a tool's summary."""

from __future__ import annotations

import re

from workeradvisor.models.load import ErrorCounts, LatencySummary, StageResult

_UNITS = {"us": 0.001, "µs": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_SIZE = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4}


def duration_ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)\s*(us|µs|ms|s|m|h)", text.strip())
    if not m:
        raise ValueError(f"not a duration: {text!r}")
    return float(m.group(1)) * _UNITS[m.group(2)]


def size_bytes(text: str) -> int:
    m = re.fullmatch(r"([\d.]+)\s*([KMGT]?B)", text.strip())
    if not m:
        raise ValueError(f"not a size: {text!r}")
    return int(float(m.group(1)) * _SIZE[m.group(2)])


def latency(count: int, mean: float, p50: float, p90: float, p95: float, p99: float, p999: float,
            max_: float) -> LatencySummary:
    return LatencySummary(count, round(mean, 3), round(p50, 3), round(p90, 3), round(p95, 3), round(p99, 3),
                          round(p999, 3), round(max_, 3))


def imported_stage(*, ccu: int | None, duration_s: float, requests: int, rps: float, lat: LatencySummary,
                   errors: ErrorCounts, bytes_received: int, rate: float | None = None) -> StageResult:
    """A stage from another tool: no server, generator or host figures (they were not measured)."""
    return StageResult(
        kind="rate" if rate else "ccu", ccu=ccu, rate=rate, duration_s=round(duration_s, 3), requests=requests,
        rps=round(rps, 2), latency_ms=lat, errors=errors, bytes_received=bytes_received, server=None,
        generator_cpu_percent=0.0, host_cpu_idle_percent=0.0, generator_bound=False,
        generator_bound_reason="not measured by the importing tool",
    )


_CONNECT_WORDS = ("refused", "failed to establish", "connecttimeout", "newconnectionerror", "error trying to connect",
                  "tcp connect", "name or service", "no route to host", "dns")


def transport_error_kind(message: str) -> str:
    """connect / timeout / read from a tool's error text ("connection closed" is a read error)."""
    low = message.lower()
    if any(k in low for k in _CONNECT_WORDS):
        return "connect"
    if "timeout" in low or "timed out" in low or "deadline" in low:
        return "timeout"
    return "read"
