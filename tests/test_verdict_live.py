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
pytestmark = [pytest.mark.live, pytest.mark.parallel]


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


# --- analyze end to end: each misbehaving app gets no verdict, in every format, exit 3 -------------------

QUICK = ("--idle-seconds", "1", "--profile-seconds", "1", "--stage-seconds", "2", "--warmup", "1", "--ccu", "2,4",
         "--timeout", "2")  # /slow sleeps 30 s: what outlives 2 s is a timeout, and the run does not wait 30 s
VERDICT_WORDS = ("uvicorn worker", "Offload", "offload-process-pool", "Run 1", "Run 2")


def _no_verdict_everywhere(target: str, *extra: str, env: dict[str, str] | None = None) -> dict:
    import json

    from analyze_helpers import run_cli

    from workeradvisor.report import analysis_json, analysis_markdown, analysis_text

    proc = run_cli("analyze", target, *QUICK, *extra, "--format", "json", env=env, timeout=200)
    assert proc.returncode == 3, proc.stderr[-1500:]
    err = [line for line in proc.stderr.splitlines() if line.startswith("workeradvisor: error:")]
    assert len(err) == 1 and "Traceback" not in proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["recommendation"] is None and doc["no_verdict"]["reason"]
    analysis = analysis_json.from_dict(doc)
    for text in (analysis_text.render(analysis), analysis_markdown.render(analysis)):
        assert "no verdict" in text.lower() and not any(w in text for w in VERDICT_WORDS)
    return doc


def test_endpoint_sleeping_past_the_window_gives_no_verdict() -> None:
    doc = _no_verdict_everywhere(str(APPS / "slow_app.py") + ":app", "--path", "/slow")
    reason = doc["no_verdict"]["reason"]
    assert "no request completed at 2 CCU" in reason and "still waiting past the timeout" in reason
    assert "--timeout" in reason  # names the fix
    [load] = doc["load"]  # the ladder stopped at the stage that completed nothing: 4 CCU could tell no more
    assert [st["ccu"] for st in load["stages"]] == [2]
    assert any("stopped after ccu 2: no request completed" in n for n in load["notes"])


def test_app_answering_500_gives_no_verdict_naming_the_error_class() -> None:
    doc = _no_verdict_everywhere(str(APPS / "error_app.py") + ":app", "--path", "/items")
    reason = doc["no_verdict"]["reason"]
    assert reason.startswith("the app fails under load:") and "5xx" in reason and "at 2 CCU" in reason
    assert "fix that before sizing" in reason


def test_app_failing_at_import_gives_no_verdict_with_the_exception() -> None:
    doc = _no_verdict_everywhere(str(APPS / "import_error_app.py") + ":app")
    assert doc["no_verdict"]["reason"] == ("the app never started: app exited with code 1 before answering: "
                                           "RuntimeError: DATABASE_URL is not set; fix that, then run again")


def test_environment_without_uvicorn_gives_no_verdict_naming_the_install() -> None:
    env = {"PYTHONPATH": str(APPS / "no_uvicorn")}  # shadows uvicorn with a package that fails to import
    doc = _no_verdict_everywhere("examples/io_gateway.py:app", env=env)
    assert "No module named 'uvicorn'" in doc["no_verdict"]["reason"]
    assert "pip install 'uvicorn[standard]'" in doc["no_verdict"]["reason"]


def test_load_against_a_server_that_never_answers_is_exit_3_with_timeouts(tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    from analyze_helpers import run_cli

    from workeradvisor import procs

    proc = procs.spawn([sys.executable, str(APPS / "silent_server.py")], stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        out = run_cli("load", f"http://127.0.0.1:{port}/", "--ccu", "2", "--stage-seconds", "1", "--warmup", "1",
                      "--timeout", "1", "--format", "json", timeout=60)
    finally:
        procs.release(proc)
    assert out.returncode == 3, out.stderr
    stage = json.loads(out.stdout)["stages"][0]
    assert stage["requests"] == 0 and stage["errors"]["timeout"] >= 2  # the warm-up requests included
