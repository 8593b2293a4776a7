"""Interleaved repeated trials for worker-count comparisons: A B, B A, A B ... at one CCU.

Why interleave: one ladder per worker count, run one after the other, compares two moments of a
host as much as two worker counts (a busy box showed a second worker "gaining" -4% to +13%). Short
trials in rounds, each round measuring every count, give paired ratios whose spread is the noise
of one trial; ``decide.stats`` turns them into an interval and the 30% rule's outcome.

Why counterbalance (A B, then B A): a host that warms up, or a queue that grows, over the run
would otherwise always favour the count measured second; alternating the order cancels a linear
drift across rounds.

Why keep every server up and pause the idle ones (SIGSTOP, then SIGCONT, by PID): restarting a
server per trial costs seconds each, and a resident server's idle threads (a telemetry loop) would
otherwise burn CPU during the other count's trial. Paused processes use no CPU; they are always
resumed, even on Ctrl-C, before ``serve`` stops them.
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from workeradvisor import procstat
from workeradvisor.hostnoise import HostNoiseSampler
from workeradvisor.launch import RunningServer, serve
from workeradvisor.launchmodes import LaunchSpec
from workeradvisor.load import RequestPlan, run_stage
from workeradvisor.models.load import LoadResult, StageResult
from workeradvisor.models.verdict import HostNoise, TrialSeries

DEFAULT_PAIRS = 3
TRIAL_ERROR_MAX = 0.01  # a trial with more failures than this does not measure throughput


@dataclass(frozen=True)
class Trial:
    round: int
    workers: int
    stage: StageResult
    noise: HostNoise | None = None

    @property
    def usable(self) -> bool:
        """A trial measures the server when requests completed, few failed and the client kept up."""
        s = self.stage
        return s.requests > 0 and s.rps > 0 and not s.generator_bound and s.error_fraction <= TRIAL_ERROR_MAX


def trial_order(counts: Sequence[int], pairs: int) -> list[tuple[int, int]]:
    """(round, workers) in measuring order: ascending in even rounds, descending in odd ones."""
    ordered = sorted(set(counts))
    return [(r, w) for r in range(pairs) for w in (ordered if r % 2 == 0 else ordered[::-1])]


def run_trials(counts: Sequence[int], pairs: int, measure: Callable[[int], tuple[StageResult, HostNoise | None]],
               on_trial: Callable[[Trial], None] | None = None) -> list[Trial]:
    """Measure every count once per round, in ``trial_order``; ``measure(workers)`` runs one trial."""
    trials = []
    for r, w in trial_order(counts, pairs):
        stage, noise = measure(w)
        trial = Trial(r, w, stage, noise)
        trials.append(trial)
        if on_trial is not None:
            on_trial(trial)
    return trials


def series(trials: Sequence[Trial]) -> tuple[dict[int, list[float]], dict[int, list[float]]]:
    """RPS and p99 per worker count, indexed by round (NaN for an unusable trial, so pairs stay aligned
    and ``decide.stats`` drops the pair)."""
    rounds = 1 + max((t.round for t in trials), default=-1)
    rps: dict[int, list[float]] = {}
    p99: dict[int, list[float]] = {}
    for t in trials:
        tail = t.stage.latency_ms.p99
        rps.setdefault(t.workers, [math.nan] * rounds)[t.round] = t.stage.rps if t.usable else math.nan
        p99.setdefault(t.workers, [math.nan] * rounds)[t.round] = tail if t.usable and tail is not None else math.nan
    return rps, p99


def worst_noise(trials: Sequence[Trial]) -> HostNoise | None:
    """The noisiest trial window (most CPU used by other processes), what confidence should reflect."""
    seen = [t.noise for t in trials if t.noise is not None]
    return max(seen, key=lambda n: (n.other_cpu_percent, n.steal_percent), default=None)


@contextlib.contextmanager
def paused(root_pids: Sequence[int]) -> Iterator[None]:
    """SIGSTOP each server (supervisor and workers, by PID) for the block; always SIGCONT after."""
    pids = [pid for root in root_pids for pid, _ in procstat.server_pids(root)]
    stopped = []
    try:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGSTOP)
                stopped.append(pid)
        yield
    finally:
        # Workers first, then the supervisor: uvicorn's supervisor pings its workers with a 5 s timeout,
        # so it must find them running (and its ping answered) when it wakes.
        for pid in reversed(stopped):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)


def measured(run: Callable[[], StageResult]) -> tuple[StageResult, HostNoise | None]:
    """Run one trial inside a host-noise window."""
    sampler = HostNoiseSampler().start()
    try:
        stage = run()
    finally:
        noise = sampler.stop()
    return stage, noise


@dataclass(frozen=True)
class TrialSettings:
    ccu: int
    pairs: int = DEFAULT_PAIRS
    stage_s: float = 2.0
    warmup_s: float = 0.5
    timeout_s: float = 10.0
    ready_timeout_s: float = 30.0


def run_worker_trials(
    target: str | None,
    app_dir: str | None,
    counts: Sequence[int],
    plan_for: Callable[[str], RequestPlan],
    settings: TrialSettings,
    *,
    running: Mapping[int, RunningServer] | None = None,
    on_trial: Callable[[Trial], None] | None = None,
    launch: LaunchSpec | None = None,
) -> list[Trial]:
    """Start a server per worker count (reusing ``running`` ones), then measure them in counterbalanced
    rounds, the others paused. Every server started here is stopped by ``serve`` on the way out."""
    with contextlib.ExitStack() as stack:
        servers = dict(running or {})
        for w in sorted(set(counts)):
            if w not in servers:
                servers[w] = stack.enter_context(serve(target, app_dir=app_dir, workers=w, launch=launch,
                                                       ready_timeout_s=settings.ready_timeout_s))

        def measure(workers: int) -> tuple[StageResult, HostNoise | None]:
            server = servers[workers]
            with paused([s.pid for w, s in servers.items() if w != workers and w in counts]):
                return measured(lambda: run_stage(plan_for(server.base_url), ccu=settings.ccu,
                                                  duration_s=settings.stage_s, warmup_s=settings.warmup_s,
                                                  timeout_s=settings.timeout_s, server_pid=server.pid))

        return run_trials(counts, settings.pairs, measure, on_trial)


def trial_series(trials: Sequence[Trial], ccu: int) -> TrialSeries:
    rps, p99 = series(trials)
    return TrialSeries(ccu, tuple((w, tuple(v)) for w, v in sorted(rps.items())),
                       tuple((w, tuple(v)) for w, v in sorted(p99.items())))


def trial_loads(trials: Sequence[Trial], target: str) -> tuple[LoadResult, ...]:
    """One ``LoadResult`` per worker count (source "trials") holding its median-RPS usable trial, so the
    decision matrix and capacity rows show a typical trial rather than the first or the best."""
    out = []
    for w in sorted({t.workers for t in trials}):
        mine = sorted((t for t in trials if t.workers == w), key=lambda t: (not t.usable, t.stage.rps))
        usable = [t for t in mine if t.usable] or mine
        median = usable[(len(usable) - 1) // 2]
        note = f"median of {len(usable)} usable interleaved trial(s) of {len(mine)}"
        out.append(LoadResult(target, (median.stage,), source="trials", workers=w, notes=(note,)))
    return tuple(out)


def trial_point(base: LoadResult | None, ccus: Sequence[int], stage_s: float, trial_s: float) -> tuple[int, float]:
    """(CCU, seconds) for the trials: the lowest trusted CCU within 90% of the base ladder's peak RPS (the
    knee: saturated, but with the least queueing), and a window of at least 3 mean latencies there, so a
    short trial still sees many requests finish (capped at the ladder's stage length)."""
    trusted = [s for s in (base.stages if base else ()) if s.ccu and not s.generator_bound and not s.partial
               and s.requests > 0 and s.error_fraction <= TRIAL_ERROR_MAX]
    if not trusted:
        return max(ccus), trial_s
    peak = max(s.rps for s in trusted)
    knee = min((s for s in trusted if s.rps >= 0.9 * peak), key=lambda s: s.ccu or 0)
    seconds = max(trial_s, 3.0 * knee.latency_ms.mean / 1000.0)
    return knee.ccu or max(ccus), round(min(max(stage_s, trial_s), seconds), 1)
