"""Keep-alive stickiness: a multi-worker stage where one worker did the work and the others idled.

Why it matters to the verdict: with gunicorn or ``uvicorn --workers``, a keep-alive connection stays
on the worker that accepted it, and at low CCU every connection can land on one worker. Such a
stage measures one worker, so comparing it with the 1-worker run understates what more workers
give. The verdict keeps the measurement but says so and loses confidence
(``StageResult.sticky_worker`` decides, from per-worker CPU).
"""

from __future__ import annotations

from workeradvisor.decide.stages import load_workers, trusted_stages
from workeradvisor.models.load import LoadResult

STICKY_COST = 0.1


def sticky_stages(loads: tuple[LoadResult, ...]) -> list[str]:
    """One sentence per multi-worker run with a sticky trusted stage."""
    out = []
    for load in loads:
        workers = load_workers(load)
        if workers < 2:
            continue
        hits = [(s, found) for s in trusted_stages(load) if (found := s.sticky_worker()) is not None]
        if hits:
            where = ", ".join(f"ccu {s.ccu}" if s.ccu is not None else f"rate {s.rate:g}/s" for s, _ in hits)
            worst = max(share for _, (_, share) in hits)
            out.append(f"the {workers}-worker run: one worker did up to {worst:.0%} of the workers' CPU at {where} "
                       "(keep-alive stickiness: a connection stays on the worker that accepted it), so those stages "
                       "measured one worker; load with more connections than workers to compare them")
    return out


def sticky_deductions(loads: tuple[LoadResult, ...]) -> list[tuple[float, str]]:
    return [(STICKY_COST, sentence) for sentence in sticky_stages(loads)]
