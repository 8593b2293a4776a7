"""Statistical evidence attached to a verdict: intervals, the gain rule's outcome, host noise and
the closed-loop ceiling. Produced by ``decide`` (and the host-noise sampler), rendered by ``report``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Interval:
    """A point estimate with a two-sided confidence interval at ``level`` from ``n`` observations."""

    estimate: float
    low: float
    high: float
    n: int
    level: float = 0.90

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high


@dataclass(frozen=True)
class GainTest:
    """The seed's "> 30% gain" rule applied to an interval of paired trials.

    ``outcome``: "scale" (the interval's lower bound is above the threshold), "keep" (its upper
    bound is below) or "inconclusive" (it straddles the threshold, or there is no interval).
    """

    baseline_workers: int
    workers: int
    threshold: float  # e.g. 0.30
    outcome: str  # "scale" | "keep" | "inconclusive"
    rps_gain: Interval | None  # RPS(workers) / RPS(baseline) - 1
    p99_change: Interval | None  # p99(workers) / p99(baseline) - 1
    pairs: int
    more_pairs_needed: int | None = None  # inconclusive: pairs to add for the interval to clear the threshold
    reason: str = ""  # one line, e.g. "gain +12% [-4%, +28%] is below 30%: keep"


@dataclass(frozen=True)
class HostNoise:
    """What the rest of the host did during a measurement window (from /proc/stat and psutil).

    ``other_cpu_percent`` is CPU used by processes this tool did not start (100 = one core);
    ``steal_percent`` is CPU the hypervisor gave to other guests, as a share of all cores.
    """

    window_s: float
    host_cores: int
    busy_percent: float  # all processes, 100 = one core
    own_cpu_percent: float  # this tool and everything it started (server, generators, py-spy)
    other_cpu_percent: float
    steal_percent: float  # 0..100 of all cores

    @property
    def other_share(self) -> float:
        """Other processes' CPU as a share of the host's cores (0..1)."""
        return self.other_cpu_percent / (100.0 * max(1, self.host_cores))


@dataclass(frozen=True)
class CeilingBound:
    """The two bounds on a closed-loop stage's RPS and which one limited the measurement.

    ``little_rps`` is Little's law for the closed loop: CCU / mean latency. ``unloaded_rps`` is the
    same with the latency of the lowest stage (no queueing): what the users could drive if the server
    never queued. ``cpu_rps`` is the utilization-law bound from CPU per request and the cores.
    """

    ccu: int
    mean_latency_ms: float
    measured_rps: float
    little_rps: float
    unloaded_rps: float | None
    cpu_rps: float | None
    limiter: str  # "closed-loop" | "cpu" | "other" | "unknown"
    sentence: str


@dataclass(frozen=True)
class TrialSeries:
    """Per worker count, the RPS and p99 of each interleaved round at one CCU (NaN: unusable trial)."""

    ccu: int
    rps: tuple[tuple[int, tuple[float, ...]], ...]  # (workers, RPS per round)
    p99_ms: tuple[tuple[int, tuple[float, ...]], ...]
