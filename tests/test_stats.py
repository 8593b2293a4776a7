"""Interleaved-trial statistics: t-intervals on log ratios, the 30% rule on an interval, threshold sides."""

from __future__ import annotations

import math

import pytest

from workeradvisor.decide.stats import (
    gain_test,
    ladder_decision,
    log_ratio_interval,
    mean_interval,
    paired_ratios,
    pairs_needed,
    side_of,
    t_quantile,
    wilson_interval,
)
from workeradvisor.models.verdict import Interval


def test_t_quantile_table_and_normal_tail() -> None:
    assert t_quantile(0.90, 2) == pytest.approx(2.920)
    assert t_quantile(0.95, 4) == pytest.approx(2.776)
    assert t_quantile(0.90, 35) == pytest.approx(1.697)  # between rows: the lower df (wider)
    assert t_quantile(0.90, 1000) == pytest.approx(1.6449, abs=1e-3)
    with pytest.raises(ValueError):
        t_quantile(0.80, 3)


def test_log_ratio_interval_matches_hand_computation() -> None:
    ratios = [1.5, 1.6, 1.7]
    logs = [math.log(r) for r in ratios]
    mean = sum(logs) / 3
    sd = math.sqrt(sum((x - mean) ** 2 for x in logs) / 2)
    half = 2.920 * sd / math.sqrt(3)
    i = log_ratio_interval(ratios)
    assert i is not None and i.n == 3
    assert i.estimate == pytest.approx(math.exp(mean) - 1)
    assert i.low == pytest.approx(math.exp(mean - half) - 1)
    assert i.high == pytest.approx(math.exp(mean + half) - 1)
    assert i.low < i.estimate < i.high


def test_no_interval_from_one_pair_or_a_zero() -> None:
    assert log_ratio_interval([1.4]) is None
    assert log_ratio_interval([1.4, 0.0]) is None
    assert log_ratio_interval([1.4, float("nan")]) is None


def test_paired_ratios_drop_zero_baselines() -> None:
    assert paired_ratios([100, 0, 200], [150, 50, 300]) == [1.5, 1.5]


def _trials(base: float, gains: list[float]) -> tuple[list[float], list[float]]:
    a = [base * (1 + 0.01 * i) for i in range(len(gains))]  # drift the pairs share
    return a, [x * (1 + g) for x, g in zip(a, gains, strict=True)]


def test_clear_gain_scales() -> None:
    a, b = _trials(100, [0.95, 1.0, 1.02, 0.97])
    t = gain_test(a, b, baseline_workers=1, workers=2)
    assert t.outcome == "scale" and t.rps_gain is not None and t.rps_gain.low > 0.30
    assert "scale" in t.reason and t.more_pairs_needed is None


def test_small_gain_keeps() -> None:
    a, b = _trials(100, [0.04, -0.02, 0.08, 0.01])
    t = gain_test(a, b, baseline_workers=1, workers=2)
    assert t.outcome == "keep" and t.rps_gain is not None and t.rps_gain.high < 0.30


def test_straddling_gain_is_inconclusive_and_says_how_many_pairs() -> None:
    a, b = _trials(100, [0.25, 0.75, 0.40, 0.70])
    t = gain_test(a, b, baseline_workers=1, workers=2)
    assert t.outcome == "inconclusive"
    assert t.rps_gain is not None and t.rps_gain.low < 0.30 < t.rps_gain.high
    assert t.more_pairs_needed is not None and t.more_pairs_needed >= 1
    assert "inconclusive" in t.reason and "more pair" in t.reason


def test_gain_on_the_threshold_gives_no_pair_estimate() -> None:
    ratios = [1.2, 1.4, 1.3 * 1.3 / 1.2 / 1.4 * 1.3]  # geometric mean exactly 1.3
    assert pairs_needed(ratios, 0.30) is None


def test_pairs_needed_shrinks_interval_past_threshold() -> None:
    ratios = [1.25, 1.75, 1.40, 1.70]
    n = pairs_needed(ratios, 0.30)
    assert n is not None and n > len(ratios)
    logs = [math.log(r) for r in ratios]
    mean = sum(logs) / len(logs)
    sd = math.sqrt(sum((x - mean) ** 2 for x in logs) / (len(logs) - 1))
    assert t_quantile(0.90, n - 1) * sd / math.sqrt(n) < abs(mean - math.log(1.3))
    assert t_quantile(0.90, n - 2) * sd / math.sqrt(n - 1) >= abs(mean - math.log(1.3))


def test_one_pair_is_inconclusive() -> None:
    t = gain_test([100], [180], baseline_workers=1, workers=2)
    assert t.outcome == "inconclusive" and t.rps_gain is None and "at least 2" in t.reason


def test_p99_change_interval_rides_along() -> None:
    a, b = _trials(100, [0.9, 1.0, 0.95])
    t = gain_test(a, b, baseline_workers=1, workers=2, baseline_p99=[100, 110, 105], other_p99=[50, 56, 52])
    assert t.p99_change is not None and t.p99_change.high < 0


def test_ladder_moves_up_while_scale_and_stops_at_keep() -> None:
    rps = {1: [100, 102, 98], 2: [190, 196, 188], 4: [200, 205, 195]}
    workers, outcome, tests = ladder_decision(rps)
    assert workers == 2 and outcome == "keep"
    assert [(t.baseline_workers, t.workers, t.outcome) for t in tests] == [(1, 2, "scale"), (2, 4, "keep")]


def test_ladder_stops_at_inconclusive() -> None:
    workers, outcome, tests = ladder_decision({1: [100, 100, 100, 100], 2: [110, 150, 125, 145]})
    assert workers == 1 and outcome == "inconclusive" and len(tests) == 1


def test_mean_and_wilson_intervals() -> None:
    m = mean_interval([0.68, 0.72, 0.70, 0.74])
    assert m is not None and m.low < 0.71 < m.high
    w = wilson_interval(8, 100)
    assert w is not None and 0.0 < w.low < 0.08 < w.high < 0.2
    assert wilson_interval(0, 0) is None


def test_side_of_threshold() -> None:
    assert side_of(Interval(0.8, 0.75, 0.85, 4), 0.70) == "above"
    assert side_of(Interval(0.6, 0.55, 0.65, 4), 0.70) == "below"
    assert side_of(Interval(0.7, 0.65, 0.75, 4), 0.70) == "borderline"
    assert side_of(None, 0.70) == "borderline"
