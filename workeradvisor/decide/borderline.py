"""Which classifications sat on a threshold: a measurement whose interval straddles a threshold the
decision path compared it with did not really choose that branch, and the verdict must say so.

Why only thresholds on the path: a request CPU ratio of 0.29 [0.25, 0.33] straddles the 0.30
"mixed, low CPU" line, but that matters only if the walk reached the workload node and compared it
there; an interval near a threshold the tree never read changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from workeradvisor.decide.metrics import TICKS_PER_INDEPENDENT_SAMPLE
from workeradvisor.decide.stats import (
    borderline_sentence,
    mean_interval,
    residual_share_interval,
    side_of,
    wilson_interval,
)
from workeradvisor.decide.tree import DecisionTree
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


def compared_names(step: PathStep, tree: DecisionTree | None = None) -> set[str]:
    """Every metric and threshold the walk compared at ``step``'s node: the taken branch's and those of
    the branches before it, which were evaluated (false) first. Why not only the taken branch: an idle
    figure whose interval straddles ``idle_cpu_overhead`` makes the first branch false and the culprit
    branch true; the straddle decided the step as much as a true comparison would have."""
    names = {name for name, _ in step.values}
    node = tree.nodes.get(step.node) if tree is not None else None
    if node is None or tree is None:
        return names
    defs = {name: cond for name, cond, _ in tree.definitions}
    todo: list[str] = []
    for branch in node.branches:
        if branch.condition is not None:
            todo.extend(branch.condition.names)
        if branch.text == step.condition:
            break
    seen: set[str] = set()
    while todo:  # definitions expand to the names they read
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(defs[name].names if name in defs else ())
    return names | seen


def _straddles(intervals: Mapping[str, Interval], names: set[str], thresholds: Mapping[str, float]
               ) -> list[tuple[str, Interval, str]]:
    return [(metric, interval, threshold) for metric, of in CLASSIFIERS.items()
            if metric in names and (interval := intervals.get(metric)) is not None
            for threshold in of if threshold in names and threshold in thresholds
            and side_of(interval, thresholds[threshold]) == "borderline"]


def borderline_measurements(
    intervals: Mapping[str, Interval], path: Sequence[PathStep], thresholds: Mapping[str, float],
    tree: DecisionTree | None = None,
) -> tuple[str, ...]:
    """One sentence per (metric, threshold) the path compared whose interval straddles it."""
    out = [borderline_sentence(metric, interval, thresholds[threshold])
           for step in path for metric, interval, threshold in _straddles(intervals, compared_names(step, tree),
                                                                          thresholds)]
    return tuple(dict.fromkeys(out))


def classification_intervals(profile: ProfileResult | None) -> dict[str, Interval]:
    """Intervals for the profile figures the tree classifies by.

    * request CPU ratio: a t-interval over the ratio's sub-window batch means (``PerRequest.ratio_blocks``);
    * idle CPU: a t-interval over the idle window's sub-window figures (``IdleReport.cpu_blocks``);
    * blocked share: the interval of a difference of two shares from two windows (``residual_share_interval``:
      the all-ticks pass's non-selector share less the on-CPU pass's CPU share), counting every
      ``TICKS_PER_INDEPENDENT_SAMPLE`` ticks as one independent sample (ticks of one blocking call are not
      independent; the assumption widens the interval rather than narrowing it); a Wilson interval when the
      CPU share is unknown (saved results)."""
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
    idle = idle_cpu_interval(profile)
    if idle is not None:
        out["idle_cpu_percent"] = idle
    worst = max((w for w in profile.workers if w.blocked_share is not None and w.attribution_ticks),
                key=lambda w: w.blocked_share or 0.0, default=None)
    if worst is not None and worst.blocked_share is not None:
        n = max(1.0, worst.attribution_ticks / TICKS_PER_INDEPENDENT_SAMPLE)
        cpu = worst.app_cpu_share
        blocked = (wilson_interval(worst.blocked_share * n, n) if cpu is None else
                   residual_share_interval(worst.blocked_share, cpu + worst.blocked_share, cpu, n))
        if blocked is not None:
            out["blocked_share"] = blocked
    return out


def idle_cpu_interval(profile: ProfileResult) -> Interval | None:
    """Idle CPU (% of a core, all processes) with a t-interval from the idle window's sub-windows.

    Why batch means again: a telemetry thread that wakes every few hundred milliseconds makes the
    per-sub-window figures swing; their spread is the honest uncertainty of a 2 s idle window. The
    interval is centred on the whole-window figure the tree reads (``idle_cpu_percent``) and never
    goes below 0."""
    idle = profile.idle
    if idle is None or len(idle.cpu_blocks) < 2 or not idle.process_cpu_percent:
        return None
    spread = mean_interval(idle.cpu_blocks)
    if spread is None:
        return None
    point = sum(pct for _, pct in idle.process_cpu_percent)
    return Interval(point, max(0.0, point - (spread.estimate - spread.low)), point + (spread.high - spread.estimate),
                    spread.n, spread.level)


def mark_borderline_steps(
    path: Sequence[PathStep], intervals: Mapping[str, Interval], thresholds: Mapping[str, float],
    tree: DecisionTree | None = None,
) -> tuple[PathStep, ...]:
    """The path with each step whose comparisons included a straddling measurement labelled so: the
    report's path table then says "borderline" where the branch was chosen, not only in the notes."""
    out = []
    for step in path:
        marks = [f"{metric} {i.estimate:.3g} [{i.low:.3g}, {i.high:.3g}] vs {threshold} {thresholds[threshold]:g}"
                 for metric, i, threshold in _straddles(intervals, compared_names(step, tree), thresholds)]
        if marks:
            step = replace(step, label=f"{step.label} (borderline: {'; '.join(marks)})")
        out.append(step)
    return tuple(out)
