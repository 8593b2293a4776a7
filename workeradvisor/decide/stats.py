"""Interleaved-trial statistics: paired gain intervals, the 30% rule on an interval, threshold sides.

Why paired ratios from interleaved trials (A B A B ...): a host's background load drifts over
seconds to minutes. Measuring A then B back to back and dividing cancels what the pair shares, so
the spread left is the noise of one short trial, not the drift of the whole run.

Why a t-interval on log ratios: a throughput gain is multiplicative (2 workers give "x1.6", not
"+N RPS"), ratios are skewed (bounded below by 0, unbounded above), and their logs are close to
symmetric and add over trials. With 3-5 pairs the variance is unknown and estimated from the data,
so Student's t (not the normal) gives the honest width. Back-transformed, the estimate is the
geometric mean ratio and the interval is asymmetric around it, as gains are.

Why 90% two-sided: the 30% rule takes a one-sided decision each way (scale when the lower bound is
above, keep when the upper bound is below), so each decision is made at 95% one-sided confidence.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from statistics import NormalDist, fmean, stdev

from workeradvisor.models.verdict import GainTest, Interval

DEFAULT_LEVEL = 0.90
MAX_PAIRS_ESTIMATE = 60  # beyond this, "more pairs" is not a useful answer: the gain sits on the threshold

# One-sided upper quantiles of Student's t, t(q, df), for q = 0.95 (90% two-sided) and q = 0.975.
_DF = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
       21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 40, 60, 120)
_T = {
    0.95: (6.314, 2.920, 2.353, 2.132, 2.015, 1.943, 1.895, 1.860, 1.833, 1.812, 1.796, 1.782, 1.771, 1.761,
           1.753, 1.746, 1.740, 1.734, 1.729, 1.725, 1.721, 1.717, 1.714, 1.711, 1.708, 1.706, 1.703, 1.701,
           1.699, 1.697, 1.684, 1.671, 1.658),
    0.975: (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145,
            2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048,
            2.045, 2.042, 2.021, 2.000, 1.980),
}


def t_quantile(level: float, df: int) -> float:
    """Two-sided ``level`` critical value of Student's t with ``df`` degrees of freedom.

    Tabulated for 90% and 95%; between table rows the next lower df is used (wider, so
    conservative); past 120 df, the normal quantile."""
    if df < 1:
        raise ValueError("t needs at least one degree of freedom")
    q = round(0.5 + level / 2.0, 4)
    if q not in _T:
        raise ValueError(f"no t table for a {level:.0%} interval (use 90% or 95%)")
    if df > _DF[-1]:
        return NormalDist().inv_cdf(q)
    row = max(i for i, d in enumerate(_DF) if d <= df)
    return _T[q][row]


def _finite_positive(values: Sequence[float]) -> bool:
    return all(math.isfinite(v) and v > 0 for v in values)


def log_ratio_interval(ratios: Sequence[float], level: float = DEFAULT_LEVEL) -> Interval | None:
    """Interval for the *change* (ratio - 1) from paired ratios: t on the logs, back-transformed.

    None with fewer than two ratios (no spread to estimate) or any ratio that is not a positive,
    finite number (a trial with 0 RPS has no ratio)."""
    if len(ratios) < 2 or not _finite_positive(ratios):
        return None
    logs = [math.log(r) for r in ratios]
    mean, sd = fmean(logs), stdev(logs)
    half = t_quantile(level, len(logs) - 1) * sd / math.sqrt(len(logs))
    return Interval(math.exp(mean) - 1.0, math.exp(mean - half) - 1.0, math.exp(mean + half) - 1.0, len(logs), level)


def paired_ratios(baseline: Sequence[float], other: Sequence[float]) -> list[float]:
    """other[i] / baseline[i] for each complete pair (trial i of each arm); pairs with a zero
    or non-finite baseline are dropped."""
    return [b / a for a, b in zip(baseline, other, strict=False)
            if math.isfinite(a) and math.isfinite(b) and a > 0]


def pairs_needed(ratios: Sequence[float], threshold: float, level: float = DEFAULT_LEVEL) -> int | None:
    """Total pairs for the interval to clear ``threshold``, if the mean and spread stay as measured.

    Solves t(n-1) * sd / sqrt(n) < |mean - log(1 + threshold)| for the smallest n. None when the
    estimate sits on the threshold (no n resolves it) or needs more than ``MAX_PAIRS_ESTIMATE``."""
    if len(ratios) < 2 or not _finite_positive(ratios):
        return None
    logs = [math.log(r) for r in ratios]
    distance = abs(fmean(logs) - math.log1p(threshold))
    sd = stdev(logs)
    if distance <= 0:
        return None
    for n in range(max(2, len(logs)), MAX_PAIRS_ESTIMATE + 1):
        if t_quantile(level, n - 1) * sd / math.sqrt(n) < distance:
            return n
    return None


def _pct(x: float) -> str:
    return f"{x:+.0%}"


def _interval_text(i: Interval) -> str:
    return f"{_pct(i.estimate)} [{_pct(i.low)}, {_pct(i.high)}]"


def gain_test(
    baseline_rps: Sequence[float],
    other_rps: Sequence[float],
    *,
    baseline_workers: int,
    workers: int,
    threshold: float = 0.30,
    baseline_p99: Sequence[float] = (),
    other_p99: Sequence[float] = (),
    level: float = DEFAULT_LEVEL,
) -> GainTest:
    """The 30% rule on the paired RPS gain of ``workers`` over ``baseline_workers``."""
    ratios = paired_ratios(baseline_rps, other_rps)
    gain = log_ratio_interval(ratios, level)
    p99 = log_ratio_interval(paired_ratios(baseline_p99, other_p99), level)
    who = f"{workers} vs {baseline_workers} worker(s)"
    if gain is None:
        reason = (f"{who}: {len(ratios)} usable pair(s) of trials; at least 2 with nonzero RPS are needed "
                  "for an interval")
        return GainTest(baseline_workers, workers, threshold, "inconclusive", None, p99, len(ratios), None, reason)
    text = f"{who}: RPS gain {_interval_text(gain)} ({level:.0%} CI, {gain.n} pairs)"
    if gain.low > threshold:
        return GainTest(baseline_workers, workers, threshold, "scale", gain, p99, gain.n, None,
                        f"{text}: the lower bound clears {threshold:.0%}: scale")
    if gain.high < threshold:
        return GainTest(baseline_workers, workers, threshold, "keep", gain, p99, gain.n, None,
                        f"{text}: the upper bound is under {threshold:.0%}: keep")
    total = pairs_needed(ratios, threshold, level)
    more = None if total is None else max(1, total - gain.n)
    longer = (f"about {more} more pair(s) would decide it if the spread holds" if more is not None
              else f"the gain is too close to {threshold:.0%} for more pairs to decide it "
                   f"(over {MAX_PAIRS_ESTIMATE} needed): treat the gain as not worth a worker")
    return GainTest(baseline_workers, workers, threshold, "inconclusive", gain, p99, gain.n, more,
                    f"{text} straddles {threshold:.0%}: inconclusive; {longer}")


def ladder_decision(
    rps: Mapping[int, Sequence[float]],
    p99: Mapping[int, Sequence[float]] | None = None,
    threshold: float = 0.30,
    level: float = DEFAULT_LEVEL,
) -> tuple[int, str, tuple[GainTest, ...]]:
    """Walk worker counts upward from the fewest: move up while the next count's paired gain over
    the current one says "scale"; stop at "keep" or "inconclusive".

    Returns (workers, outcome of the last test, every test made). Trials of every count come
    from the same interleaved rounds (A B C A B C ...), so any two counts pair up by round."""
    counts = sorted(rps)
    if not counts:
        raise ValueError("no worker counts measured")
    p99 = p99 or {}
    current, outcome, tests = counts[0], "keep", []
    for w in counts[1:]:
        test = gain_test(rps[current], rps[w], baseline_workers=current, workers=w, threshold=threshold,
                         baseline_p99=p99.get(current, ()), other_p99=p99.get(w, ()), level=level)
        tests.append(test)
        outcome = test.outcome
        if outcome != "scale":
            break
        current = w
    return current, outcome, tuple(tests)


def mean_interval(values: Sequence[float], level: float = DEFAULT_LEVEL) -> Interval | None:
    """t-interval for the mean of repeated measurements (e.g. request CPU ratio per sub-window)."""
    vals = [v for v in values if math.isfinite(v)]
    if len(vals) < 2:
        return None
    mean = fmean(vals)
    half = t_quantile(level, len(vals) - 1) * stdev(vals) / math.sqrt(len(vals))
    return Interval(mean, mean - half, mean + half, len(vals), level)


def wilson_interval(hits: float, trials: float, level: float = DEFAULT_LEVEL) -> Interval | None:
    """Wilson score interval for a share of samples (e.g. blocked share of py-spy ticks).

    Stack samples are autocorrelated (one 50 ms block spans several ticks), so pass the effective
    number of independent samples, not the raw tick count; the interval is then honest, not narrow."""
    if trials <= 0 or not (0 <= hits <= trials):
        return None
    z = NormalDist().inv_cdf(0.5 + level / 2.0)
    p = hits / trials
    denom = 1.0 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denom
    return Interval(p, max(0.0, centre - half), min(1.0, centre + half), int(round(trials)), level)


def residual_share_interval(residual: float, minuend: float, subtrahend: float, samples: float,
                            level: float = DEFAULT_LEVEL) -> Interval | None:
    """Interval for a share computed as the difference of two shares from two separate windows.

    The loop's blocked share is one: (1 - selector share) of py-spy's all-ticks pass less the on-CPU
    share of its on-CPU pass, which samples another 1.5 s. Request arrivals differ between the two
    windows, so the residual carries both shares' sampling error (the normal approximation for a
    difference of independent proportions, ``samples`` effective samples each); a Wilson interval
    on the residual alone was a third as wide, and a CPU-heavy handler read 10-20% "blocked" on
    some runs (a false fix-blocking on examples/mixed.py)."""
    if samples <= 0:
        return None
    z = NormalDist().inv_cdf(0.5 + level / 2.0)
    a, b = (min(1.0, max(0.0, x)) for x in (minuend, subtrahend))
    half = z * math.sqrt((a * (1 - a) + b * (1 - b)) / samples)
    return Interval(residual, max(0.0, residual - half), min(1.0, residual + half), int(round(samples)), level)


def side_of(interval: Interval | None, threshold: float) -> str:
    """"above" / "below" when the whole interval lies on one side of ``threshold``, else "borderline".

    No interval (a single measurement) is "borderline" only if the caller cannot do better; callers
    with a point value and no spread should compare the point themselves and lower confidence."""
    if interval is None:
        return "borderline"
    if interval.low > threshold:
        return "above"
    if interval.high < threshold:
        return "below"
    return "borderline"


def borderline_sentence(name: str, interval: Interval, threshold: float) -> str:
    """One line for a verdict: which measurement was too close to its threshold to branch on."""
    return (f"{name} {interval.estimate:.3g} [{interval.low:.3g}, {interval.high:.3g}] ({interval.level:.0%} CI, "
            f"n={interval.n}) straddles the threshold {threshold:g}: borderline, the branch is not certain")
