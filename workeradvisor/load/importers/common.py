"""Shared helpers for importers: checked numbers, unit parsing and building a stage from a tool's summary.

Every number read from another tool's file goes through ``number``/``count`` so that NaN, Infinity,
``1e400`` (which JSON reads as infinity), negative counts and absurd magnitudes stop the import with
the field's name instead of flowing into the decision as if measured.
"""

from __future__ import annotations

import math
import re

from workeradvisor.models.load import ErrorCounts, LatencySummary, StageResult

_UNITS = {"us": 0.001, "µs": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_SIZE = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4}
LIMIT = 1e15  # no count, rate, byte total (1 PB) or millisecond figure of a load run comes near this


class BadNumber(ValueError):
    """A field of an imported file holds no plausible number; ``import_file`` names file and field."""

    def __init__(self, field: str, value: object, why: str) -> None:
        super().__init__(f"field {field} = {value!r}: {why}")
        self.field = field


def number(field: str, value: object) -> float:
    """``value`` as a finite, non-negative float no larger than ``LIMIT``, else ``BadNumber``."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise BadNumber(field, value, "not a number")
    try:
        x = float(value)
    except ValueError:
        raise BadNumber(field, value, "not a number") from None
    if not math.isfinite(x):
        raise BadNumber(field, value, "not a finite number")
    if x < 0:
        raise BadNumber(field, value, "negative")
    if x > LIMIT:
        raise BadNumber(field, value, f"implausibly large (over {LIMIT:g})")
    return x


def count(field: str, value: object) -> int:
    """A checked non-negative count (a float such as ``12.0`` is accepted, ``12.5`` is truncated)."""
    return int(number(field, value))


def optional(field: str, value: object) -> float | None:
    """A checked number, or ``None`` when the tool left the field out (``None``, ``""``, ``N/A``)."""
    if value is None or (isinstance(value, str) and value.strip() in ("", "N/A")):
        return None
    return number(field, value)


def duration_ms(text: str, field: str = "duration") -> float:
    m = re.fullmatch(r"([\d.]+)\s*(us|µs|ms|s|m|h)", text.strip())
    if not m:
        raise ValueError(f"not a duration: {text!r}")
    return number(field, float(m.group(1)) * _UNITS[m.group(2)])


def size_bytes(text: str, field: str = "size") -> int:
    m = re.fullmatch(r"([\d.]+)\s*([KMGT]?B)", text.strip())
    if not m:
        raise ValueError(f"not a size: {text!r}")
    return count(field, float(m.group(1)) * _SIZE[m.group(2)])


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def latency(count_: int, mean: float, p50: float | None, p90: float | None, p95: float | None, p99: float | None,
            p999: float | None, max_: float) -> LatencySummary:
    """Milliseconds; a percentile the tool did not report stays ``None`` (printed ``-``, JSON null)."""
    return LatencySummary(count_, round(mean, 3), _ms(p50), _ms(p90), _ms(p95), _ms(p99), _ms(p999), round(max_, 3))


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
                  "tcp connect", "dial tcp", "name or service", "no route to host", "dns")


def transport_error_kind(message: str) -> str:
    """connect / timeout / read from a tool's error text ("connection closed" is a read error)."""
    low = message.lower()
    if any(k in low for k in _CONNECT_WORDS):
        return "connect"
    if "timeout" in low or "timed out" in low or "deadline" in low:
        return "timeout"
    return "read"
