"""Which classifications sat on a threshold: a measurement whose interval straddles a threshold the
decision path compared it with did not really choose that branch, and the verdict must say so.

Why only thresholds on the path: a request CPU ratio of 0.29 [0.25, 0.33] straddles the 0.30
"mixed, low CPU" line, but that matters only if the walk reached the workload node and compared it
there; an interval near a threshold the tree never read changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from workeradvisor.decide.stats import borderline_sentence, mean_interval, side_of, wilson_interval
from workeradvisor.models.decision import PathStep
from workeradvisor.models.profile import ProfileResult
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


TICKS_PER_INDEPENDENT_SAMPLE = 10  # py-spy at 100 Hz; a blocking call or CPU burst spans ~100 ms of ticks


def classification_intervals(profile: ProfileResult | None) -> dict[str, Interval]:
    """Intervals for the profile figures the tree classifies by.

    * request CPU ratio: a t-interval over the ratio's sub-window batch means (``PerRequest.ratio_blocks``);
    * blocked share: a Wilson interval over the attribution's loop samples, counting every
      ``TICKS_PER_INDEPENDENT_SAMPLE`` ticks as one independent sample (ticks of one blocking call are not
      independent; the assumption widens the interval rather than narrowing it)."""
    out: dict[str, Interval] = {}
    if profile is None:
        return out
    pr = profile.per_request
    if pr is not None and len(pr.ratio_blocks) >= 2:
        ratio = mean_interval(pr.ratio_blocks)
        if ratio is not None:
            half_low, half_high = ratio.estimate - ratio.low, ratio.high - ratio.estimate
            point = pr.request_cpu_ratio  # centre on the whole-window figure the tree reads
            out["request_cpu_ratio"] = Interval(point, max(0.0, point - half_low), min(1.0, point + half_high),
                                                ratio.n, ratio.level)
    worst = max((w for w in profile.workers if w.blocked_share is not None and w.attribution_ticks),
                key=lambda w: w.blocked_share or 0.0, default=None)
    if worst is not None and worst.blocked_share is not None:
        n = max(1.0, worst.attribution_ticks / TICKS_PER_INDEPENDENT_SAMPLE)
        blocked = wilson_interval(worst.blocked_share * n, n)
        if blocked is not None:
            out["blocked_share"] = blocked
    return out
