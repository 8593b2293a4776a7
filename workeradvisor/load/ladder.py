"""A closed-loop CCU ladder: stages run back to back, stop at the knee, flag untrustworthy stages.

The knee is the last healthy CCU and the first saturated one. With ``stop_on_p99_ms`` or
``stop_on_errors`` a stage breaking either is saturated and the ladder stops there. Without them
the knee is inferred (no early stop): the first stage whose RPS grew < 10% over the previous one
while its p99 grew > 50%. A stage is ``generator_bound`` when a generator process used > 70% of a
core, or the host had < 5% idle CPU while p99 rose: then its numbers say nothing about the server.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence

from workeradvisor import procs
from workeradvisor.errors import UsageError
from workeradvisor.load.runner import LoadInterrupted, StageProgress, default_processes, run_stage
from workeradvisor.load.spec import RequestPlan
from workeradvisor.models.load import LoadResult, StageResult

HOST_IDLE_FLOOR = 5.0  # % of all cores
P99_RISE = 1.5
RPS_FLAT = 1.10
TARGET_CPU_PER_GENERATOR = 50.0  # % of a core we aim each generator process at


def assess_host(stage: StageResult, prev: StageResult | None) -> StageResult:
    """Flag a stage where the host had no idle CPU while latency rose (the generator shares it)."""
    if stage.generator_bound or prev is None or stage.requests == 0:
        return stage
    before, now = prev.latency_ms.p99, stage.latency_ms.p99
    rose = before is not None and now is not None and before > 0 and now > P99_RISE * before
    if stage.host_cpu_idle_percent < HOST_IDLE_FLOOR and rose:
        reason = (f"host had {stage.host_cpu_idle_percent:.0f}% idle CPU while p99 rose from "
                  f"{prev.latency_ms.p99:.1f} to {stage.latency_ms.p99:.1f} ms")
        return dataclasses.replace(stage, generator_bound=True, generator_bound_reason=reason)
    return stage


def stop_reason(stage: StageResult, stop_on_p99_ms: float | None, stop_on_errors: float | None) -> str:
    p99 = stage.latency_ms.p99
    if stop_on_p99_ms is not None and p99 is not None and p99 > stop_on_p99_ms:
        return f"p99 {p99:.0f} ms > {stop_on_p99_ms:g} ms"
    if stop_on_errors is not None and stage.error_fraction > stop_on_errors:
        return f"errors {stage.error_fraction:.1%} > {stop_on_errors:.1%}"
    if stop_on_errors is not None and stage.requests == 0 and stage.errors.total == 0:
        return "no request completed"
    return ""


def inferred_knee(stages: Sequence[StageResult]) -> tuple[int | None, int | None]:
    for prev, cur in zip(stages, stages[1:], strict=False):
        before, now = prev.latency_ms.p99, cur.latency_ms.p99
        if before is None or now is None:
            continue  # an imported stage without p99: no knee can be read from it
        if prev.rps > 0 and cur.rps < RPS_FLAT * prev.rps and now > P99_RISE * before:
            return prev.ccu, cur.ccu
    return None, None


def _processes_for(ccu: int, prev: StageResult | None) -> int:
    """Enough generator processes that each stays near half a core, judged from the last stage."""
    n = default_processes(ccu, None)
    if prev is not None and prev.generator_cpu_percent > 0:
        n = max(n, math.ceil(prev.generator_cpu_percent / TARGET_CPU_PER_GENERATOR))
    return max(1, min(n, procs.this_process_cpu_count(), ccu))


def run_ladder(
    plan: RequestPlan,
    ccus: Sequence[int],
    *,
    stage_seconds: float,
    warmup_s: float = 0.0,
    timeout_s: float = 10.0,
    max_requests: int | None = None,
    processes: int | None = None,
    stop_on_p99_ms: float | None = None,
    stop_on_errors: float | None = None,
    server_pid: int | None = None,
    progress: Callable[[StageProgress], None] | None = None,
    workers: int | None = None,
) -> LoadResult:
    """Run each CCU level as a stage. ``max_requests`` caps the whole ladder.

    Raises ``LoadInterrupted`` on Ctrl-C with ``.result``: the finished stages plus the partial one.
    """
    if not ccus or any(c < 1 for c in ccus):
        raise UsageError("--ccu needs one or more positive integers")
    stages: list[StageResult] = []
    notes: list[str] = []
    knee: tuple[int | None, int | None] = (None, None)
    sent_budget = max_requests
    last_healthy: int | None = None
    for ccu in ccus:
        prev = stages[-1] if stages else None
        if sent_budget is not None and sent_budget <= 0:
            notes.append(f"stopped before ccu {ccu}: --max-requests reached")
            break
        try:
            stage = run_stage(plan, ccu=ccu, duration_s=stage_seconds, warmup_s=warmup_s, timeout_s=timeout_s,
                              max_requests=sent_budget, processes=processes or _processes_for(ccu, prev),
                              server_pid=server_pid, progress=progress)
        except LoadInterrupted as exc:
            if exc.stage is not None:
                stages.append(assess_host(exc.stage, prev))
            result = _result(plan, stages, knee, notes, workers, interrupted=True)
            raise LoadInterrupted(exc.stage, result) from None
        stage = assess_host(stage, prev)
        if sent_budget is not None:
            sent_budget -= stage.requests_sent
        reason = stop_reason(stage, stop_on_p99_ms, stop_on_errors)
        if reason:
            stages.append(dataclasses.replace(stage, stopped_reason=reason))
            knee = (last_healthy, ccu)
            if stage.generator_bound:
                notes.append(f"the saturated stage (ccu {ccu}) was generator-bound: the knee is not the server's")
            break
        stages.append(stage)
        if stage.requests == 0 and stage.errors.total > 0:  # every request failed or timed out
            notes.append(f"stopped after ccu {ccu}: no request completed; more users cannot tell more")
            break
        last_healthy = ccu
    if knee == (None, None) and stop_on_p99_ms is None and stop_on_errors is None:
        knee = inferred_knee(stages)
    return _result(plan, stages, knee, notes, workers, interrupted=False)


def _result(plan: RequestPlan, stages: list[StageResult], knee: tuple[int | None, int | None], notes: list[str],
            workers: int | None, *, interrupted: bool) -> LoadResult:
    bound = [s.ccu for s in stages if s.generator_bound]
    if bound:
        notes = [*notes, f"generator-bound (untrustworthy) stages at ccu {', '.join(map(str, bound))}"]
    return LoadResult(target=plan.base_url, stages=tuple(stages), knee_last_healthy_ccu=knee[0],
                      knee_first_saturated_ccu=knee[1], workers=workers, interrupted=interrupted, notes=tuple(notes))


def every_stage_failed(result: LoadResult) -> str | None:
    """Why the run measured no server at all, or None. A stage failed when it made attempts and
    got no good answer: every one refused, timed out, malformed (read) or a 5xx. Every stage
    failed: the stages are still reported, but the command exits 3 (target error), as all-timeouts
    always did. 4xx answers count as answers: the server worked, the requests were wrong."""
    stages = result.stages
    if not stages:
        return None
    for s in stages:
        attempts = s.requests + s.errors.connect + s.errors.timeout + s.errors.read
        if attempts == 0 or s.requests - s.errors.http_5xx > 0:
            return None
    e = [s.errors for s in stages]
    connect, timeouts = sum(x.connect for x in e), sum(x.timeout for x in e)
    read, http_5xx = sum(x.read for x in e), sum(x.http_5xx for x in e)
    if not read and not http_5xx:
        what = f"{connect} connect error(s)" if connect else f"{timeouts} timeout(s)"
        return f"{result.target} never answered ({what}, 0 responses); is the server running?"
    parts = [f"{n} {label}" for n, label in ((http_5xx, "5xx answer(s)"), (read, "read error(s)"),
                                             (connect, "connect error(s)"), (timeouts, "timeout(s)")) if n]
    return (f"{result.target}: every stage failed, 0 good responses ({', '.join(parts)}); "
            "the stages are reported above")
