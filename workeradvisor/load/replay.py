"""Replay an access log open loop: each logged request at its own timestamp, ``--speed`` times as fast.

Why timestamps and not a constant rate at the log's mean: real traffic comes in bursts, and a burst
is what queues requests behind a busy event loop. The schedule keeps the log's gaps (divided by
``speed``) and its order of operations; it repeats when the stage outlasts it. Like ``--rate``, a
request's latency counts from when it was due (wrk2-style), so a server that falls behind the log
shows its queueing delay rather than slowing the replay down (no coordinated omission).
"""

from __future__ import annotations

from collections.abc import Callable

from workeradvisor.load.accesslog import TrafficMix
from workeradvisor.load.runner import StageProgress, run_stage
from workeradvisor.load.spec import RequestPlan
from workeradvisor.models.load import StageResult


def replay_stage(plan: RequestPlan, log: TrafficMix, speed: float, *, ccu: int | None, duration_s: float,
                 warmup_s: float, timeout_s: float, max_requests: int | None, processes: int | None,
                 server_pid: int | None, progress: Callable[[StageProgress], None] | None) -> StageResult:
    """One open-loop stage replaying ``log`` at ``speed`` x its logged rate (``ccu``: the connection cap)."""
    schedule, period = log.replay(speed)
    rate = round(len(schedule) / period, 2)  # the stage label and process count; the schedule sets the pace
    return run_stage(plan, rate=rate, ccu=ccu, duration_s=duration_s, warmup_s=warmup_s, timeout_s=timeout_s,
                     max_requests=max_requests, processes=processes, server_pid=server_pid, progress=progress,
                     schedule=schedule, schedule_period_s=period)


def replay_note(log: TrafficMix, speed: float, stage_s: float) -> str:
    """What the replay covered: the whole log (repeated) or, when the stage (warm-up included) is
    shorter than the log at this speed, only its first part, which the note says."""
    schedule, period = log.replay(speed)
    head = (f"replayed {len(schedule)} timestamped request(s) ({log.span_s:.1f} s of log) at {speed:g}x: "
            f"{len(schedule) / period:.1f} req/s on average, open loop")
    if stage_s < period:
        return f"{head}; only the log's first {stage_s * speed:.1f} s fit in the stage (--stage-seconds, --speed)"
    return f"{head}, repeating every {period:.1f} s"
