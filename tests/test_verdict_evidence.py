"""No verdict without evidence: the gate's four rules, and the partial gaps that lower confidence."""

from __future__ import annotations

from dataclasses import replace

from decide_factories import ladder, load, profile, stage

from workeradvisor.decide.evidence import error_classes, no_verdict, partial_evidence
from workeradvisor.models import ErrorCounts, LatencySummary


def _zero_latency() -> LatencySummary:
    return LatencySummary(0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)


def test_healthy_ladder_gets_a_verdict() -> None:
    assert no_verdict((ladder(),)) is None
    assert partial_evidence(profile(), (ladder(),)) == ()


def test_app_that_never_started() -> None:
    nv = no_verdict((), start_error="the app failed at import: ModuleNotFoundError: No module named 'nope'.")
    assert nv is not None
    assert nv.reason.startswith("the app never started: the app failed at import")
    assert "fix that" in nv.reason and "load test" in nv.evidence_missing


def test_stage_with_no_completed_request_names_the_timeouts() -> None:
    hung = replace(stage(2, 0.0, 0.0, 0.0, 0.5), requests=0, latency_ms=_zero_latency(),
                   errors=ErrorCounts(timeout=4))
    nv = no_verdict((load((hung,)),))
    assert nv is not None
    assert "no request completed at 2 CCU" in nv.reason and "4 request(s) still waiting past the timeout" in nv.reason
    assert "--timeout" in nv.reason
    assert nv.evidence_missing == ("a load stage with completed requests", "RPS and latency under load")


def test_app_failing_under_load_names_error_classes() -> None:
    s1 = replace(stage(2, 400.0, 5, 9, 30), errors=ErrorCounts(http_5xx=4000))  # requests = 4000, all 5xx
    s2 = replace(stage(4, 500.0, 5, 9, 40), errors=ErrorCounts(http_5xx=5000))
    nv = no_verdict((load((s1, s2)),))
    assert nv is not None
    assert nv.reason.startswith("the app fails under load: 100% 5xx at 2 CCU; fix that before sizing")


def test_mixed_error_classes_are_each_named() -> None:
    s = replace(stage(2, 10.0, 5, 9, 30), requests=60, errors=ErrorCounts(http_5xx=30, timeout=40))
    assert error_classes(s) == "40% timeouts, 30% 5xx"
    nv = no_verdict((load((s,)),))
    assert nv is not None and "40% timeouts, 30% 5xx at 2 CCU" in nv.reason


def test_just_under_half_failing_is_a_verdict_with_less_confidence() -> None:
    s1 = replace(stage(2, 100.0, 5, 9, 30), errors=ErrorCounts(http_5xx=490))  # 490 of 1000
    s2 = stage(4, 200.0, 5, 9, 40)
    loads = (load((s1, s2)),)
    assert no_verdict(loads) is None
    gaps = partial_evidence(None, loads)
    assert len(gaps) == 1 and gaps[0][0] > 0 and "49% 5xx at 2 CCU" in gaps[0][1]


def test_failures_only_at_a_higher_stage_do_not_block_the_verdict() -> None:
    s1 = stage(2, 100.0, 5, 9, 30)
    s2 = replace(stage(40, 200.0, 5, 9, 40), errors=ErrorCounts(http_5xx=1500))
    assert no_verdict((load((s1, s2)),)) is None


def test_every_stage_generator_bound() -> None:
    stages = tuple(replace(stage(c, 100.0 * c, 5, 9, 30, generator_bound=True),
                           generator_bound_reason="generator at 98% CPU") for c in (10, 20))
    nv = no_verdict((load(stages),))
    assert nv is not None and "measured the load generator, not the server (generator at 98% CPU)" in nv.reason
    one_bound = (stages[0], stage(20, 2000.0, 5, 9, 30))
    assert no_verdict((load(one_bound),)) is None


def test_worker_count_named_when_several_runs() -> None:
    bad = replace(stage(2, 0.0, 0, 0, 1, workers=2), requests=0, latency_ms=_zero_latency(),
                  errors=ErrorCounts(connect=5))
    nv = no_verdict((ladder(), load((bad,), workers=2)))
    assert nv is not None and "at 2 CCU with 2 worker(s)" in nv.reason and "100% connection errors" in nv.reason


def test_thin_profile_lowers_confidence() -> None:
    p = profile()
    thin = replace(p, per_request=replace(p.per_request, requests=5))
    gaps = partial_evidence(thin, ())
    assert gaps and "only 5 request(s)" in gaps[0][1]


def test_start_error_keeps_the_last_traceback_line_and_names_the_fix() -> None:
    err = ('app exited with code 1 before answering:   File "<frozen importlib._bootstrap>", line 1176, in '
           '_find_and_load |   File "/app/main.py", line 3, in <module> |     raise RuntimeError("DATABASE_URL is '
           'not set") | RuntimeError: DATABASE_URL is not set')
    nv = no_verdict((), start_error=err)
    assert nv is not None
    assert nv.reason == ("the app never started: app exited with code 1 before answering: RuntimeError: "
                         "DATABASE_URL is not set; fix that, then run again")
    no_uvicorn = no_verdict((), start_error="app exited with code 1 before answering: python3: Error while finding "
                            "module specification for 'uvicorn.__main__' (ModuleNotFoundError: No module named "
                            "'uvicorn')")
    assert no_uvicorn is not None and "pip install 'uvicorn[standard]'" in no_uvicorn.reason
