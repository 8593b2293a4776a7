"""Borderline classifications: an interval straddling a threshold the path compared is named."""

from __future__ import annotations

from workeradvisor.decide.borderline import borderline_measurements
from workeradvisor.models.decision import PathStep
from workeradvisor.models.verdict import Interval

THRESHOLDS = {"cpu_bound_ratio": 0.70, "mixed_low_cpu": 0.30, "mixed_high_cpu": 0.50, "blocked_share_max": 0.05}
WORKLOAD = PathStep("workload", "q", "request_cpu_ratio > cpu_bound_ratio", "CPU-bound",
                    (("request_cpu_ratio", 0.72), ("cpu_bound_ratio", 0.70)))


def test_straddling_interval_on_the_path_is_borderline() -> None:
    got = borderline_measurements({"request_cpu_ratio": Interval(0.72, 0.66, 0.78, 6)}, (WORKLOAD,), THRESHOLDS)
    assert len(got) == 1 and got[0].startswith("request_cpu_ratio 0.72 [0.66, 0.78]") and "0.7" in got[0]


def test_interval_clear_of_the_threshold_is_not() -> None:
    assert borderline_measurements({"request_cpu_ratio": Interval(0.9, 0.85, 0.95, 6)}, (WORKLOAD,), THRESHOLDS) == ()


def test_threshold_not_compared_on_the_path_does_not_count() -> None:
    # straddles mixed_low_cpu (0.30), but the path only compared cpu_bound_ratio
    near_low = {"request_cpu_ratio": Interval(0.3, 0.25, 0.35, 6)}
    assert borderline_measurements(near_low, (WORKLOAD,), THRESHOLDS) == ()
    blocked = {"blocked_share": Interval(0.06, 0.03, 0.09, 40)}
    assert borderline_measurements(blocked, (WORKLOAD,), THRESHOLDS) == ()


def test_classification_intervals_from_the_profile() -> None:
    from dataclasses import replace

    from decide_factories import profile

    from workeradvisor.decide.borderline import classification_intervals

    p = profile(cpu_ratio=0.72, blocked=0.06)
    assert classification_intervals(p) == {}  # no sub-windows, no tick count: no interval
    p = replace(p, per_request=replace(p.per_request, ratio_blocks=(0.66, 0.70, 0.78, 0.74, 0.69, 0.75)),
                workers=(replace(p.workers[0], attribution_ticks=300),))
    got = classification_intervals(p)
    ratio, blocked = got["request_cpu_ratio"], got["blocked_share"]
    assert ratio.estimate == 0.72 and ratio.low < 0.70 < ratio.high  # straddles cpu_bound_ratio: borderline
    assert blocked.n == 30 and blocked.low < 0.05 < blocked.high  # 6% of 300 ticks is not clearly above 5%


def test_blocked_share_interval_carries_both_passes_error() -> None:
    """examples/mixed.py, a quiet run: 47% selector in the all-ticks pass, 42% CPU in the on-CPU pass, so
    10.7% "blocked" with no blocking call (two 1.5 s windows of different requests). Its interval reaches
    0; a handler that really blocks (60% off-CPU in app code) stays clear of 5%."""
    from dataclasses import replace

    from decide_factories import profile

    from workeradvisor.decide.borderline import classification_intervals

    def blocked_interval(cpu: float, blocked: float) -> Interval:
        p = profile(cpu_ratio=0.3, blocked=blocked)
        w = replace(p.workers[0], attribution_ticks=149, app_cpu_share=cpu, selector_share=1 - cpu - blocked)
        return classification_intervals(replace(p, workers=(w,)))["blocked_share"]

    noise, real = blocked_interval(0.42, 0.107), blocked_interval(0.10, 0.60)
    assert noise.low == 0.0 and noise.high > 0.3
    assert real.low > 0.3
