"""Finite numbers in, finite numbers out.

Python's ``json`` module reads and writes the non-standard ``NaN`` / ``Infinity`` tokens by
default. Out: a report with a bare ``NaN`` is not JSON to any other parser, so every JSON the tool
writes goes through ``dumps``: non-finite floats become ``null`` and, where a caller asks, the
paths that held them are returned so the report can say why. In: a saved result with ``"rps":
NaN`` or ``"p99": -5`` would steer a verdict (or crash a renderer halfway), so ``check_numbers``
rejects it with one line naming the field (a ``ConfigError``, exit 2).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from workeradvisor.errors import ConfigError, UsageError

# (key predicate, low, high): the range a field of that name can hold in any of our JSON documents.
_DAY_MS = 86_400_000.0
_SHARE_KEYS = frozenset({"share", "cpu_share", "blocked_share", "selector_share", "app_cpu_share",
                         "request_cpu_ratio", "io_ratio", "busy_fraction", "on_cpu_fraction", "runqueue_fraction",
                         "error_fraction", "error_rate"})
_COUNT_KEYS = frozenset({"requests", "count", "connect", "timeout", "http_4xx", "http_5xx", "read", "workers",
                         "ccu", "pid", "tid", "line", "col", "processes", "concurrency", "requests_sent",
                         "files_scanned"})
_LATENCY_KEYS = frozenset({"mean", "p50", "p90", "p95", "p99", "p999", "max", "mean_latency_ms", "p99_ms"})


def _range_for(key: str, parent: str) -> tuple[float, float] | None:
    if key in _SHARE_KEYS:
        return 0.0, 1.0 + 1e-6
    if key in _COUNT_KEYS:
        return 0.0, 1e12
    if key in _LATENCY_KEYS and (parent == "latency_ms" or key.endswith("_ms")):
        return 0.0, _DAY_MS
    if key in ("rps", "rate", "target_rps"):
        return 0.0, 1e8
    if key == "host_cpu_idle_percent":
        return 0.0, 100.0 + 1e-6
    if key.endswith("_percent"):
        return 0.0, 100.0 * 4096
    if key.endswith("_bytes"):
        return 0.0, 1e15
    if key.endswith("_s") or key.endswith("_seconds") or key.endswith("_per_request"):
        return 0.0, 1e7
    return None


def _show(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return f"{value:g}"


def check_numbers(data: Any, source: str, path: str = "", parent: str = "") -> None:
    """Raise ``ConfigError`` naming the first field that is not a finite number in its plausible range."""
    if isinstance(data, Mapping):
        for k, v in data.items():
            check_numbers(v, source, f"{path}.{k}" if path else str(k), str(k))
        return
    if isinstance(data, list):
        for i, v in enumerate(data):
            check_numbers(v, source, f"{path}[{i}]", parent)
        return
    if isinstance(data, bool) or not isinstance(data, int | float):
        return
    if isinstance(data, float) and not math.isfinite(data):
        raise ConfigError(f"{source}: {path} is {_show(data)}: not a finite number")
    bounds = _range_for(parent, _parent_of(path))
    if bounds is not None and not bounds[0] <= data <= bounds[1]:
        raise ConfigError(f"{source}: {path} is {_show(float(data))}: expected a number from {bounds[0]:g} "
                          f"to {bounds[1]:g}")


def _parent_of(path: str) -> str:
    """``stages[0].latency_ms.p99`` -> "latency_ms" (the mapping that holds the field)."""
    head = path.rsplit(".", 1)[0] if "." in path else ""
    return head.rsplit(".", 1)[-1].split("[")[0]


def loads_checked(text: str, source: str) -> Any:
    """``json.loads`` that refuses NaN/Infinity tokens and implausible numbers, one line each."""
    def reject(token: str) -> Any:
        raise ConfigError(f"{source}: {token} is not a finite number (JSON has no {token})")

    data = json.loads(text, parse_constant=reject)
    check_numbers(data, source)
    return data


def finite(data: Any, holes: list[str] | None = None, path: str = "") -> Any:
    """A copy of ``data`` with every NaN/Infinity replaced by None; their paths go into ``holes``."""
    if isinstance(data, Mapping):
        return {k: finite(v, holes, f"{path}.{k}" if path else str(k)) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [finite(v, holes, f"{path}[{i}]") for i, v in enumerate(data)]
    if isinstance(data, float) and not math.isfinite(data):
        if holes is not None:
            holes.append(path)
        return None
    return data


def dumps(data: Any, **kwargs: Any) -> str:
    """``json.dumps`` that never writes NaN/Infinity (they become null) and fails loudly if one slips."""
    return json.dumps(finite(data), allow_nan=False, **kwargs)


def finite_option(name: str, value: float | None) -> float | None:
    """A numeric CLI option must be a finite number (``--cores nan`` parses as a float)."""
    if value is not None and not math.isfinite(value):
        raise UsageError(f"{name} must be a finite number, not {_show(value)}")
    return value
