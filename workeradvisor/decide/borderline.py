"""Which classifications sat on a threshold: a measurement whose interval straddles a threshold the
decision path compared it with did not really choose that branch, and the verdict must say so.

Why only thresholds on the path: a request CPU ratio of 0.29 [0.25, 0.33] straddles the 0.30
"mixed, low CPU" line, but that matters only if the walk reached the workload node and compared it
there; an interval near a threshold the tree never read changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from workeradvisor.decide.stats import borderline_sentence, side_of
from workeradvisor.models.decision import PathStep
from workeradvisor.models.verdict import Interval

# metric -> the thresholds the decision file compares it with
CLASSIFIERS: dict[str, tuple[str, ...]] = {
    "request_cpu_ratio": ("cpu_bound_ratio", "mixed_low_cpu", "mixed_high_cpu"),
    "io_ratio": ("io_bound_ratio",),
    "blocked_share": ("blocked_share_max",),
    "idle_cpu_percent": ("idle_cpu_overhead",),
    "idle_culprit_cpu_percent": ("idle_thread_material",),
}
BORDERLINE_COST = 0.15  # confidence lost per borderline classification on the path


def borderline_measurements(
    intervals: Mapping[str, Interval], path: Sequence[PathStep], thresholds: Mapping[str, float]
) -> tuple[str, ...]:
    """One sentence per (metric, threshold) the path compared whose interval straddles it."""
    compared = {(name, t) for step in path for name, _ in step.values for t, _ in step.values}
    out = []
    for metric, names in CLASSIFIERS.items():
        interval = intervals.get(metric)
        if interval is None:
            continue
        for threshold in names:
            if (metric, threshold) in compared and threshold in thresholds:
                if side_of(interval, thresholds[threshold]) == "borderline":
                    out.append(borderline_sentence(metric, interval, thresholds[threshold]))
    return tuple(dict.fromkeys(out))
