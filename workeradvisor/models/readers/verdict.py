"""Readers for issue 11's parts of the analysis document: no_verdict, gain_tests, host_noise, ceiling."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workeradvisor.models.decision import NoVerdict
from workeradvisor.models.verdict import CeilingBound, GainTest, HostNoise, Interval


def interval_from_dict(d: Any) -> Interval | None:
    if not isinstance(d, Mapping):
        return None
    return Interval(float(d["estimate"]), float(d["low"]), float(d["high"]), int(d["n"]), float(d.get("level", 0.9)))


def gain_from_dict(d: Mapping[str, Any]) -> GainTest:
    more = d.get("more_pairs_needed")
    return GainTest(int(d["baseline_workers"]), int(d["workers"]), float(d["threshold"]), str(d["outcome"]),
                    interval_from_dict(d.get("rps_gain")), interval_from_dict(d.get("p99_change")),
                    int(d.get("pairs", 0)), int(more) if more is not None else None, str(d.get("reason", "")))


def noise_from_dict(d: Any) -> HostNoise | None:
    if not isinstance(d, Mapping):
        return None
    return HostNoise(float(d["window_s"]), int(d["host_cores"]), float(d["busy_percent"]),
                     float(d["own_cpu_percent"]), float(d["other_cpu_percent"]), float(d["steal_percent"]))


def ceiling_from_dict(d: Any) -> CeilingBound | None:
    if not isinstance(d, Mapping):
        return None
    def opt(k: str) -> float | None:
        return float(d[k]) if d.get(k) is not None else None
    return CeilingBound(int(d["ccu"]), float(d["mean_latency_ms"]), float(d["measured_rps"]), float(d["little_rps"]),
                        opt("unloaded_rps"), opt("cpu_rps"), str(d["limiter"]), str(d["sentence"]))


def no_verdict_from_dict(d: Any) -> NoVerdict | None:
    if not isinstance(d, Mapping):
        return None
    return NoVerdict(str(d.get("reason", "")), tuple(str(x) for x in d.get("evidence_missing") or []))
