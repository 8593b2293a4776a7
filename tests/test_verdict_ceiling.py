"""Little's law next to the CPU bound: which one limited the measured RPS."""

from __future__ import annotations

import pytest

from workeradvisor.decide.ceiling import closed_loop_ceiling


def test_the_issue_case_is_the_closed_loop() -> None:
    # 10 users x 157 ms = 64 RPS; the CPU could do 176; latency did not grow: the users limited it.
    c = closed_loop_ceiling(10, 157.0, 63.5, unloaded_latency_ms=150.0, cpu_rps=176.0)
    assert c is not None and c.limiter == "closed-loop"
    assert c.little_rps == pytest.approx(63.69, abs=0.01)
    assert "10 users x 157 ms = 64 RPS (Little's law)" in c.sentence
    assert "more users, not more workers" in c.sentence and "176" in c.sentence


def test_cpu_limited_when_measured_reaches_the_cpu_bound() -> None:
    c = closed_loop_ceiling(40, 240.0, 165.0, unloaded_latency_ms=31.0, cpu_rps=180.0)
    assert c is not None and c.limiter == "cpu" and "92% of the CPU bound 180 RPS" in c.sentence


def test_queueing_with_cpu_to_spare_is_something_else() -> None:
    c = closed_loop_ceiling(60, 2400.0, 25.0, unloaded_latency_ms=240.0, cpu_rps=130.0)
    assert c is not None and c.limiter == "other"
    assert "latency grew 10.0x" in c.sentence and "a downstream" in c.sentence


def test_single_stage_without_reference_latency_does_not_guess() -> None:
    c = closed_loop_ceiling(10, 100.0, 99.0)
    assert c is not None and c.limiter == "unknown" and c.unloaded_rps is None


def test_no_latency_no_bound() -> None:
    assert closed_loop_ceiling(10, 0.0, 0.0) is None
    assert closed_loop_ceiling(0, 10.0, 0.0) is None
