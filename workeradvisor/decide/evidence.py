"""No verdict without evidence: when the measurements cannot carry a recommendation, say so.

A wrong worker count said with confidence is worse than none. ``no_verdict`` is the gate the
engine runs before the tree: it returns a ``NoVerdict`` (reason naming the fix, evidence missing)
when the app never started, a stage completed no request, the lowest stage mostly failed, or every
stage measured the load generator instead of the server. ``partial_evidence`` lists the gaps that
still allow a verdict but lower its confidence, each with the amount and the sentence.
"""

from __future__ import annotations

from collections.abc import Sequence

from workeradvisor.models.decision import NoVerdict
from workeradvisor.models.load import LoadResult, StageResult
from workeradvisor.models.profile import ProfileResult

FAILING_SHARE = 0.5  # at least this share of the lowest stage's attempts failed: the app fails under load
NOTABLE_ERROR_RATE = 0.01  # below FAILING_SHARE but above this: a verdict, with less confidence

# (ErrorCounts field, how the reason names it)
_ERROR_CLASSES = (("http_5xx", "5xx"), ("http_4xx", "4xx"), ("timeout", "timeouts"),
                  ("connect", "connection errors"), ("read", "read errors"))


def _stage_name(s: StageResult) -> str:
    if s.ccu is not None:
        return f"{s.ccu} CCU"
    return f"{s.rate:g} req/s" if s.rate is not None else "the stage"


def _attempts(s: StageResult) -> int:
    e = s.errors
    return s.requests + e.connect + e.timeout + e.read


def error_classes(s: StageResult) -> str:
    """'100% 5xx' or '60% timeouts, 40% connection errors': each failing class as a share of attempts."""
    attempts = _attempts(s)
    if not attempts:
        return "no attempts"
    parts = [(getattr(s.errors, f) / attempts, label) for f, label in _ERROR_CLASSES if getattr(s.errors, f)]
    return ", ".join(f"{share:.0%} {label}" for share, label in sorted(parts, key=lambda p: -p[0]))


def _lowest(load: LoadResult) -> StageResult | None:
    return min(load.stages, key=lambda s: (s.ccu if s.ccu is not None else 0, s.rate or 0.0), default=None)


def _who(load: LoadResult, many: bool) -> str:
    return f" with {load.workers} worker(s)" if many and load.workers else ""


def _no_completed(load: LoadResult, many: bool) -> NoVerdict | None:
    for s in load.stages:
        if s.requests > 0:
            continue
        timeouts = s.errors.timeout
        what = (f"{timeouts} request(s) still waiting past the timeout" if timeouts
                else error_classes(s) if _attempts(s) else "no request answered")
        return NoVerdict(
            f"no request completed at {_stage_name(s)}{_who(load, many)} in {s.duration_s:.0f} s ({what}): "
            "the endpoint does not answer in time; check that the path answers quickly (curl it), "
            "or raise --timeout and --stage-seconds above its response time",
            ("a load stage with completed requests", "RPS and latency under load"),
        )
    return None


def _failing(load: LoadResult, many: bool) -> NoVerdict | None:
    low = _lowest(load)
    if low is None or not _attempts(low) or low.error_fraction < FAILING_SHARE:
        return None
    return NoVerdict(
        f"the app fails under load: {error_classes(low)} at {_stage_name(low)}{_who(load, many)}; "
        "fix that before sizing (workers cannot fix failing requests)",
        ("successful requests at the lowest load stage",),
    )


def _all_generator_bound(load: LoadResult, many: bool) -> NoVerdict | None:
    if not load.stages or not all(s.generator_bound for s in load.stages):
        return None
    why = next((s.generator_bound_reason for s in load.stages if s.generator_bound_reason), "")
    detail = f" ({why})" if why else ""
    return NoVerdict(
        f"every load stage{_who(load, many)} measured the load generator, not the server{detail}: "
        "free CPU for the client (a quieter host, fewer CCU) or run an external generator and import it",
        ("a load stage limited by the server",),
    )


def _essence(error: str) -> str:
    """The launcher's error with only the last line of a traceback it quotes (``A | B | Exc: msg``):
    ``app exited with code 1 before answering: RuntimeError: DATABASE_URL is not set``."""
    head, sep, tail = error.partition(": ")
    parts = [p.strip() for p in tail.split(" | ") if p.strip()]
    if not sep or len(parts) < 2:
        return error.strip()
    return f"{head}: {parts[-1]}"


def no_verdict(
    loads: Sequence[LoadResult],
    *,
    start_error: str | None = None,
) -> NoVerdict | None:
    """The reason there can be no recommendation, or None when the evidence can carry one.

    ``start_error`` is the launcher's one-line error when the app never started (import error,
    no uvicorn in the environment, a port that never opened)."""
    if start_error:
        fix = ("install uvicorn where the app runs (pip install 'uvicorn[standard]')" if "No module named 'uvicorn'"
               in start_error else "fix that, then run again")
        return NoVerdict(f"the app never started: {_essence(start_error).rstrip('.')}; {fix}",
                         ("a running app", "profile", "load test"))
    ladders = [x for x in loads if x.source != "trials"]  # a failed trial only drops its pair (decide.stats)
    many = len(ladders) > 1
    for load in ladders:  # imported results (wrk, k6...) carry no generator-bound flag: the rules still apply
        for rule in (_no_completed, _failing, _all_generator_bound):
            found = rule(load, many)
            if found is not None:
                return found
    return None


def partial_evidence(
    profile: ProfileResult | None,
    loads: Sequence[LoadResult],
) -> tuple[tuple[float, str], ...]:
    """Gaps that leave a verdict standing but less certain: (confidence to subtract, why).

    Complements the engine's own checks (missing scan/profile/load, generator-bound stages):
    these are the failures and timeouts short of a no-verdict, and stages cut short by timeouts."""
    out: list[tuple[float, str]] = []
    for load in loads:
        worst = max(load.stages, key=lambda s: s.error_fraction, default=None)
        if worst is not None and NOTABLE_ERROR_RATE < worst.error_fraction:
            out.append((0.1, f"{error_classes(worst)} at {_stage_name(worst)}{_who(load, len(loads) > 1)}: "
                             "the RPS counts failures, so capacity is overstated"))
        stuck = sum(s.errors.timeout for s in load.stages)
        if stuck and worst is not None and worst.errors.timeout == 0:
            out.append((0.05, f"{stuck} request(s) timed out during the {load.source} run"))
    if profile is not None and profile.per_request is not None and profile.per_request.requests < 20:
        out.append((0.1, f"the profiled run completed only {profile.per_request.requests} request(s): "
                         "the request CPU ratio rests on few samples"))
    return tuple(out)
