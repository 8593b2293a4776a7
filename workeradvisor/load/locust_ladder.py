"""The CCU ladder on Locust: ``load.ladder``'s knee, stop and host rules over ``run_locust_stage``.

Kept apart from ``load.ladder.run_ladder`` (the native engine's, which also splits a request
budget and sizes generator processes per stage) so neither engine's options leak into the other.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from workeradvisor.errors import UsageError
from workeradvisor.load.ladder import assess_host, inferred_knee, stop_reason
from workeradvisor.load.locust_engine import LocustOptions, run_locust_stage
from workeradvisor.load.runner import LoadInterrupted, StageProgress
from workeradvisor.load.spec import RequestPlan
from workeradvisor.models.load import LoadResult, StageResult


def run_locust_ladder(plan: RequestPlan, ccus: list[int], *, stage_seconds: float, warmup_s: float = 0.0,
                      timeout_s: float = 10.0, options: LocustOptions | None = None,
                      stop_on_p99_ms: float | None = None, stop_on_errors: float | None = None,
                      server_pid: int | None = None, progress: Callable[[StageProgress], None] | None = None,
                      workers: int | None = None) -> LoadResult:
    """The CCU ladder of ``load.ladder.run_ladder`` (same knee, stop and host rules) on Locust."""
    opts = options or LocustOptions()
    if not ccus or any(c < 1 for c in ccus):
        raise UsageError("--ccu needs one or more positive integers")
    remote = opts.expected - opts.workers
    notes = [f"engine: Locust, {opts.workers} local worker process(es)" + (f" + {remote} remote" if remote else "")
             + "; client CPU counts the master and local workers only" * bool(remote),
             "Locust rounds response times above 100 ms to 2 significant digits"]
    stages: list[StageResult] = []
    knee: tuple[int | None, int | None] = (None, None)
    last_healthy: int | None = None
    for ccu in ccus:
        prev = stages[-1] if stages else None
        try:
            stage = run_locust_stage(plan, ccu=ccu, duration_s=stage_seconds, warmup_s=warmup_s, timeout_s=timeout_s,
                                     options=opts, server_pid=server_pid, progress=progress)
        except LoadInterrupted as exc:
            if exc.stage is not None:
                stages.append(assess_host(exc.stage, prev))
            raise LoadInterrupted(exc.stage, _result(plan, stages, knee, notes, workers, True)) from None
        stage = assess_host(stage, prev)
        reason = stop_reason(stage, stop_on_p99_ms, stop_on_errors)
        if reason:
            stages.append(dataclasses.replace(stage, stopped_reason=reason))
            knee = (last_healthy, ccu)
            break
        stages.append(stage)
        last_healthy = ccu
    if knee == (None, None) and stop_on_p99_ms is None and stop_on_errors is None:
        knee = inferred_knee(stages)
    return _result(plan, stages, knee, notes, workers, False)


def _result(plan: RequestPlan, stages: list[StageResult], knee: tuple[int | None, int | None], notes: list[str],
            workers: int | None, interrupted: bool) -> LoadResult:
    bound = [s.ccu for s in stages if s.generator_bound]
    if bound:
        notes = [*notes, f"generator-bound (untrustworthy) stages at ccu {', '.join(map(str, bound))}"]
    return LoadResult(target=plan.base_url, stages=tuple(stages), knee_last_healthy_ccu=knee[0],
                      knee_first_saturated_ccu=knee[1], workers=workers, interrupted=interrupted, notes=tuple(notes))
