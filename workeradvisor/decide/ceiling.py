"""Which bound limited a closed-loop stage's RPS: the users (Little's law) or the CPU.

In a closed loop each of CCU users sends its next request only when the last one answered, so
RPS = CCU / mean latency (Little's law) always holds. What it tells apart is *why* the latency is
what it is. If the latency under load is about the latency of the lowest stage (no queueing), the
users simply could not ask faster: 10 users x 157 ms = 64 RPS, whatever the server could do, and
more users (not more workers) would raise RPS. If the latency grew and the server's CPU reached
its utilization-law bound (cores / CPU per request), the CPU limited it. If the latency grew with
CPU to spare, something else queued the requests (a downstream, a lock, host contention, the
generator).
"""

from __future__ import annotations

from workeradvisor.models.verdict import CeilingBound

CPU_LIMITED = 0.8  # measured RPS at or above this share of the CPU bound: the CPU limited it
LOOP_CONSISTENT = 0.8  # measured RPS below this share of CCU / latency: users sat idle (think time, a client limit)
NO_QUEUE_GROWTH = 1.25  # mean latency within this factor of the unloaded latency: nothing queued


def closed_loop_ceiling(
    ccu: int,
    mean_latency_ms: float,
    measured_rps: float,
    *,
    unloaded_latency_ms: float | None = None,
    cpu_rps: float | None = None,
) -> CeilingBound | None:
    """The bounds on one closed-loop stage and the one that limited it; None without latency."""
    if ccu <= 0 or mean_latency_ms <= 0:
        return None
    little = ccu / (mean_latency_ms / 1000.0)
    unloaded = ccu / (unloaded_latency_ms / 1000.0) if unloaded_latency_ms and unloaded_latency_ms > 0 else None
    growth = mean_latency_ms / unloaded_latency_ms if unloaded_latency_ms and unloaded_latency_ms > 0 else None
    users = f"{ccu} users x {mean_latency_ms:,.0f} ms = {little:,.0f} RPS (Little's law)"
    cpu_text = (f"the {cpu_rps:,.0f} RPS the utilization law predicts from CPU per request" if cpu_rps
                else "no CPU bound (CPU per request unknown)")
    if cpu_rps and measured_rps >= CPU_LIMITED * cpu_rps:
        limiter = "cpu"
        sentence = (f"the CPU limited it: {measured_rps:,.0f} RPS is {measured_rps / cpu_rps:.0%} of the CPU bound "
                    f"{cpu_rps:,.0f} RPS (cores / CPU per request); {users}")
    elif measured_rps < LOOP_CONSISTENT * little:
        limiter = "other"
        sentence = (f"neither bound: {measured_rps:,.0f} RPS is {measured_rps / little:.0%} of {users} and "
                    f"below {cpu_text}; the users were not all waiting on the server (the load generator, "
                    "connection errors or CPU contention on the host)")
    elif growth is not None and growth <= NO_QUEUE_GROWTH:
        limiter = "closed-loop"
        below = f", below {cpu_text}" if cpu_rps else ""
        sentence = (f"the closed loop limited it: {users}{below}; latency stayed near the lowest stage's "
                    f"{unloaded_latency_ms:,.0f} ms, so requests did not queue: more users, not more workers, "
                    "would raise RPS")
    elif growth is not None:
        limiter = "other"
        spare = f" while RPS stayed at {measured_rps / cpu_rps:.0%} of {cpu_text}" if cpu_rps else ""
        sentence = (f"requests queued on something besides this app's CPU: latency grew {growth:.1f}x from "
                    f"{unloaded_latency_ms:,.0f} ms{spare} (a downstream, a lock, host contention or the load "
                    f"generator); {users}")
    else:
        limiter = "unknown"
        sentence = f"{users}; {cpu_text}; one stage cannot tell queueing from the request's own latency"
    return CeilingBound(ccu, mean_latency_ms, measured_rps, little, unloaded, cpu_rps, limiter, sentence)
