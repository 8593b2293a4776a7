"""Interleaved trials: counterbalanced order, series aligned by round, unusable trials dropped as pairs."""

from __future__ import annotations

import math
from dataclasses import replace

from decide_factories import stage

from workeradvisor.decide.stats import ladder_decision
from workeradvisor.models import ErrorCounts
from workeradvisor.models.verdict import HostNoise
from workeradvisor.orchestrate.trials import Trial, run_trials, series, trial_order, worst_noise


def test_order_alternates_each_round() -> None:
    assert trial_order([2, 1], 3) == [(0, 1), (0, 2), (1, 2), (1, 1), (2, 1), (2, 2)]
    assert trial_order([1, 2, 4], 2) == [(0, 1), (0, 2), (0, 4), (1, 4), (1, 2), (1, 1)]


def test_drift_cancels_with_counterbalancing() -> None:
    """The host slows 10% per trial; 2 workers are truly 1.5x. Ratios stay near 1.5 either way round."""
    clock = {"t": 0}

    def measure(workers: int):
        clock["t"] += 1
        rps = 100.0 * (1.5 if workers == 2 else 1.0) * (0.9 ** clock["t"])
        return stage(60, rps, 10, 20, 50), None

    trials = run_trials([1, 2], 4, measure)
    rps, _ = series(trials)
    ratios = [b / a for a, b in zip(rps[1], rps[2], strict=True)]
    assert min(ratios) < 1.5 < max(ratios)  # each pair is biased one way or the other...
    geo = math.exp(sum(math.log(r) for r in ratios) / len(ratios))
    assert abs(geo - 1.5) < 0.01  # ...and the biases cancel


def test_unusable_trials_become_nan_and_drop_their_pair() -> None:
    good = stage(60, 100.0, 10, 20, 50)
    failing = replace(good, errors=ErrorCounts(http_5xx=500))
    bound = replace(good, generator_bound=True)
    trials = [Trial(0, 1, good), Trial(0, 2, replace(good, rps=150.0)),
              Trial(1, 2, failing), Trial(1, 1, good),
              Trial(2, 1, bound), Trial(2, 2, replace(good, rps=155.0))]
    rps, p99 = series(trials)
    assert rps[1][0] == 100.0 and math.isnan(rps[2][1]) and math.isnan(rps[1][2])
    workers, outcome, tests = ladder_decision(rps, p99)
    assert tests[0].pairs == 1 and outcome == "inconclusive"  # only round 0 is a complete pair


def test_worst_noise_is_the_busiest_window() -> None:
    quiet, busy = HostNoise(2, 2, 100, 99, 1, 0), HostNoise(2, 2, 160, 100, 60, 0)
    trials = [Trial(0, 1, stage(60, 100, 10, 20, 50), quiet), Trial(0, 2, stage(60, 100, 10, 20, 50), busy)]
    assert worst_noise(trials) is busy
    assert worst_noise([]) is None


def test_trial_point_is_the_knee_with_a_window_of_three_latencies() -> None:
    from decide_factories import load

    from workeradvisor.orchestrate.trials import trial_point

    ladder = load((stage(10, 310.0, 30, 60, 90), stage(30, 330.0, 90, 200, 99), stage(60, 335.0, 180, 400, 99)))
    ccu, seconds = trial_point(ladder, (10, 30, 60), 5.0, 2.0)
    assert ccu == 10 and seconds == 2.0  # 310 >= 0.9 x 335; 3 x 30 ms is under the 2 s floor
    slow = load((stage(10, 5.0, 1800, 2400, 99), stage(30, 5.5, 4000, 5000, 99)))
    ccu, seconds = trial_point(slow, (10, 30, 60), 5.0, 2.0)
    assert ccu == 10 and seconds == 5.0  # 3 x 1.8 s, capped at the ladder's 5 s stage
    assert trial_point(None, (4, 8), 5.0, 2.0) == (8, 2.0)
