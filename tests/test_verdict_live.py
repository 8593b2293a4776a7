"""Acceptance 1 against real servers: what hangs, fails or never starts gives no verdict."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from workeradvisor.decide.evidence import no_verdict
from workeradvisor.launch import RunningServer, serve
from workeradvisor.load import build_plan, run_stage
from workeradvisor.models import LoadResult

APPS = Path(__file__).parent / "apps"
pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    with serve(str(APPS / "load_target.py") + ":app") as srv:
        yield srv


def test_warmup_requests_hanging_through_the_window_are_timeouts(server: RunningServer) -> None:
    """/slow answers after 3 s: the two warm-up requests are still in flight when the window ends."""
    stage = run_stage(build_plan(server.base_url + "/slow"), ccu=2, warmup_s=0.5, duration_s=0.5, timeout_s=1.0)
    assert stage.requests == 0
    assert stage.errors.timeout == 2 and stage.errors.total == 2
    nv = no_verdict((LoadResult(server.base_url, (stage,)),))
    assert nv is not None and "no request completed at 2 CCU" in nv.reason
