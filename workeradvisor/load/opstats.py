"""Per-operation counts and latencies inside the load engine: which request template did what.

Why here and not a second pass: "which endpoint is slow under load" must come from the same stage,
the same connections and the same window as the stage's totals, or the two disagree. Each generator
process keeps, per operation name (a template's ``name``; templates sharing one are one operation),
the completed responses by status, timeouts and read errors, and a latency histogram; the parent
merges them like the stage's own histograms.

Per-operation histograms keep 2 significant digits (±1%, 26 KB each, against 190 KB for the stage's
3-digit one) and at most ``MAX_OPERATIONS`` names are tracked; the rest share one ``(other)`` row,
so a 200-path access log cannot make a generator allocate 40 MB of histograms. Connect errors are
not per operation: a request is chosen when a connection is ready, so a refused connection carried
none.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from hdrh.histogram import HdrHistogram

from workeradvisor.models.load import OperationStats

MAX_OPERATIONS = 64
OTHER = "(other)"
_HIST_MAX_US = 3_600_000_000
_DIGITS = 2


def _histogram() -> HdrHistogram:
    return HdrHistogram(1, _HIST_MAX_US, _DIGITS)


class _Slot:
    __slots__ = ("hist", "ok", "statuses", "timeout", "read")

    def __init__(self) -> None:
        self.hist = _histogram()
        self.ok = 0
        self.statuses: dict[int, int] = {}
        self.timeout = 0
        self.read = 0


class OperationCounter:
    """One generator process's per-operation figures, indexed by template position."""

    def __init__(self, names: Sequence[str]) -> None:
        order = list(dict.fromkeys(names))
        kept = set(order[:MAX_OPERATIONS])
        self.names = [n if n in kept else OTHER for n in names]  # template index -> operation name
        self.slots: dict[str, _Slot] = {}

    def _slot(self, index: int) -> _Slot:
        name = self.names[index]
        slot = self.slots.get(name)
        if slot is None:
            slot = self.slots[name] = _Slot()
        return slot

    def response(self, index: int, status: int, latency_us: int) -> None:
        slot = self._slot(index)
        slot.hist.record_value(latency_us)
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
        return {name: {"hist": s.hist.encode().decode("ascii"), "ok": s.ok,
                       "statuses": {str(k): v for k, v in s.statuses.items()}, "timeout": s.timeout, "read": s.read}
                for name, s in self.slots.items()}


def merge_operations(results: Iterable[Mapping[str, Any]], window_s: float) -> tuple[OperationStats, ...]:
    """The processes' per-operation figures as one row per operation, most requests first."""
    merged: dict[str, _Slot] = {}
    for r in results:
        for name, data in (r.get("ops") or {}).items():
            slot = merged.setdefault(name, _Slot())
            slot.hist.decode_and_add(data["hist"])
            slot.ok += int(data["ok"])
            for code, n in data["statuses"].items():
                slot.statuses[int(code)] = slot.statuses.get(int(code), 0) + int(n)
            slot.timeout += int(data.get("timeout", 0))
            slot.read += int(data.get("read", 0))
    rows = [_row(name, s, window_s) for name, s in merged.items()]
    return tuple(sorted(rows, key=lambda o: (-o.requests, o.name)))


def _row(name: str, s: _Slot, window_s: float) -> OperationStats:
    def ms(pct: float) -> float | None:
        return round(s.hist.get_value_at_percentile(pct) / 1000.0, 3) if s.ok else None

    return OperationStats(
        name=name, requests=s.ok, statuses=tuple(sorted(s.statuses.items())), timeouts=s.timeout,
        read_errors=s.read, p50_ms=ms(50), p99_ms=ms(99),
        mean_ms=round(s.hist.get_mean_value() / 1000.0, 3) if s.ok else 0.0,
        rps=round(s.ok / window_s, 2) if window_s > 0 else 0.0)
