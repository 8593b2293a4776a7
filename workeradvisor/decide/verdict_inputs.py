"""The engine's bridge to issue 11's evidence: trial intervals as tree metrics, and the closed-loop ceiling.

Kept apart from ``engine`` so the tree reads interval bounds like any other metric
(``scale_gain_low > scale_gain_min``) and the ceiling is computed from the same stages the
capacity model reads.
"""

from __future__ import annotations

from workeradvisor.decide.capacity import predicted_max_rps
from workeradvisor.decide.ceiling import closed_loop_ceiling
from workeradvisor.decide.metrics import primary_load
from workeradvisor.decide.stages import load_workers, trusted_stages
from workeradvisor.decide.stats import ladder_decision
from workeradvisor.models.decision import Capacity, Environment
from workeradvisor.models.load import LoadResult
from workeradvisor.models.verdict import CeilingBound, GainTest, Interval, TrialSeries


def gain_tests_of(trials: TrialSeries | None, threshold: float) -> tuple[GainTest, ...]:
    if trials is None or len(trials.rps) < 2:
        return ()
    _, _, tests = ladder_decision(dict(trials.rps), dict(trials.p99_ms), threshold)
    return tests


def gain_metrics(trials: TrialSeries | None, tests: tuple[GainTest, ...]) -> dict[str, float | None]:
    """The first comparison's interval (fewest workers vs the next) and where the walk up stopped."""
    if trials is None or not tests:
        return {"trial_pairs": 0.0}
    first = tests[0]
    best, _, _ = ladder_decision(dict(trials.rps), dict(trials.p99_ms), first.threshold)
    return {
        "has_compare": 1.0,  # the trials compared worker counts, whether or not their loads are attached
        "min_measured_workers": float(min(w for w, _ in trials.rps)),
        "trial_pairs": float(first.pairs),
        "scale_gain_low": first.rps_gain.low if first.rps_gain else None,
        "scale_gain_high": first.rps_gain.high if first.rps_gain else None,
        "trial_best_workers": float(best),
    }


def ceiling_of(loads: tuple[LoadResult, ...], cap: Capacity, env: Environment) -> CeilingBound | None:
    """Little's law at the primary load's peak trusted closed-loop stage, next to the CPU bound."""
    load = primary_load(tuple(x for x in loads if x.source != "trials") or loads)
    if load is None or not load.stages:
        return None
    stages = [s for s in trusted_stages(load) if s.ccu and s.requests > 0]
    if not stages:
        return None
    peak, lowest = stages[-1], stages[0]
    unloaded = lowest.latency_ms.mean if lowest is not peak else None
    cpu_rps = predicted_max_rps(load_workers(load), cap.cpu_s_per_request, env.cores) if cap.cpu_s_per_request else None
    return closed_loop_ceiling(peak.ccu or 0, peak.latency_ms.mean, peak.rps, unloaded_latency_ms=unloaded,
                               cpu_rps=cpu_rps)


def interval_metrics(metrics: dict[str, float | None], intervals: dict[str, Interval]) -> dict[str, float | None]:
    """``blocked_share_low`` / ``idle_cpu_low``: lower bounds, so the tree calls the loop blocked (idle CPU
    overhead) only when the whole interval is above the threshold; the point value when there is no interval
    (saved results)."""
    blocked, idle = intervals.get("blocked_share"), intervals.get("idle_cpu_percent")
    return {"blocked_share_low": blocked.low if blocked is not None else metrics.get("blocked_share"),
            "idle_cpu_low": idle.low if idle is not None else metrics.get("idle_cpu_percent")}
