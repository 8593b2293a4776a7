"""Per-operation counts and latencies inside the load engine: which request template did what.

Why here and not a second pass: "which endpoint is slow under load" must come from the same stage,
the same connections and the same window as the stage's totals, or the two disagree. Each generator
process keeps, per operation name (a template's ``name``; templates sharing one are one operation),
the completed responses by status, timeouts and read errors, and a latency histogram; the parent
merges them like the stage's own histograms.

Per-operation latencies go into log buckets 1% wide (a dict of bucket -> count): about 4.5 µs per
response against some 10 µs for an HDR histogram's ``record_value`` (measured in-process on the
busy 2-core development box), which would have doubled the histogram cost of every request the
generator sends. Percentiles come from the bucket midpoints (within 0.5%); the mean is exact. At most
``MAX_OPERATIONS`` names are tracked; the rest share one ``(other)`` row, so a 200-path access log
cannot grow the per-response work or the result. Connect errors are not per operation: a request is
chosen when a connection is ready, so a refused connection carried none.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from workeradvisor.models.load import OperationStats

MAX_OPERATIONS = 64
OTHER = "(other)"
_SCALE = 1.0 / math.log1p(0.01)  # bucket k holds latencies in [1.01^k, 1.01^(k+1)) µs


class _Slot:
    __slots__ = ("buckets", "ok", "statuses", "timeout", "read", "total_us")

    def __init__(self) -> None:
        self.buckets: dict[int, int] = {}
        self.ok = 0
        self.statuses: dict[int, int] = {}
        self.timeout = 0
        self.read = 0
        self.total_us = 0

    def percentile_ms(self, pct: float) -> float | None:
        """The bucket midpoint where the cumulative count reaches ``pct``% of the answers."""
        count = sum(self.buckets.values())
        if not count:
            return None
        rank, seen = max(1.0, pct / 100.0 * count), 0
        for k in sorted(self.buckets):
            seen += self.buckets[k]
            if seen >= rank:
                return round(math.exp((k + 0.5) / _SCALE) / 1000.0, 3)
        return None  # unreachable: the loop reaches count >= rank


class OperationCounter:
    """One generator process's per-operation figures, indexed by template position."""

    def __init__(self, names: Sequence[str]) -> None:
        order = list(dict.fromkeys(names))
        kept = set(order[:MAX_OPERATIONS])
        self.names = [n if n in kept else OTHER for n in names]  # template index -> operation name
        self.slots: dict[str, _Slot] = {}  # those that saw a request, for the result
        self._by_index: list[_Slot | None] = [None] * len(names)

    def _slot(self, index: int) -> _Slot:
        slot = self._by_index[index]
        if slot is None:
            name = self.names[index]
            slot = self.slots.get(name) or self.slots.setdefault(name, _Slot())
            self._by_index[index] = slot
        return slot

    def response(self, index: int, status: int, latency_us: int) -> None:
        slot = self._by_index[index] or self._slot(index)  # the hot path: one list index, no dict
        k = int(math.log(latency_us) * _SCALE)
        slot.buckets[k] = slot.buckets.get(k, 0) + 1
        slot.total_us += latency_us
        slot.ok += 1
        slot.statuses[status] = slot.statuses.get(status, 0) + 1

    def failure(self, index: int, kind: str) -> None:
        """A timeout or read error of a request of template ``index`` (other kinds are not per operation)."""
        slot = self._slot(index)
        if kind == "timeout":
            slot.timeout += 1
        elif kind == "read":
            slot.read += 1

    def to_json(self) -> dict[str, Any]:
        return {name: {"buckets": {str(k): v for k, v in s.buckets.items()}, "total_us": s.total_us, "ok": s.ok,
                       "statuses": {str(k): v for k, v in s.statuses.items()}, "timeout": s.timeout, "read": s.read}
                for name, s in self.slots.items()}


def merge_operations(results: Iterable[Mapping[str, Any]], window_s: float) -> tuple[OperationStats, ...]:
    """The processes' per-operation figures as one row per operation, most requests first."""
    merged: dict[str, _Slot] = {}
    for r in results:
        for name, data in (r.get("ops") or {}).items():
            slot = merged.setdefault(name, _Slot())
            for k, n in data["buckets"].items():
                slot.buckets[int(k)] = slot.buckets.get(int(k), 0) + int(n)
            slot.total_us += int(data["total_us"])
            slot.ok += int(data["ok"])
            for code, n in data["statuses"].items():
                slot.statuses[int(code)] = slot.statuses.get(int(code), 0) + int(n)
            slot.timeout += int(data.get("timeout", 0))
            slot.read += int(data.get("read", 0))
    rows = [_row(name, s, window_s) for name, s in merged.items()]
    return tuple(sorted(rows, key=lambda o: (-o.requests, o.name)))


def _row(name: str, s: _Slot, window_s: float) -> OperationStats:
    return OperationStats(
        name=name, requests=s.ok, statuses=tuple(sorted(s.statuses.items())), timeouts=s.timeout,
        read_errors=s.read, p50_ms=s.percentile_ms(50), p99_ms=s.percentile_ms(99),
        mean_ms=round(s.total_us / s.ok / 1000.0, 3) if s.ok else 0.0,
        rps=round(s.ok / window_s, 2) if window_s > 0 else 0.0)
