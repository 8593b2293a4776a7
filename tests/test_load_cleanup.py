"""Every generator process is gone after success, failure, Ctrl-C and SIGTERM (checked by PID)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import psutil
import pytest
from conftest import still_alive

from workeradvisor.launch import RunningServer
from workeradvisor.load import StageProgress, build_plan, run_stage

pytestmark = [pytest.mark.live, pytest.mark.parallel]  # every test here starts processes


def _generators(parent: int) -> list[int]:
    try:
        kids = psutil.Process(parent).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    out = []
    for k in kids:
        try:
            if "workeradvisor.load.child" in " ".join(k.cmdline()):
                out.append(k.pid)
        except psutil.Error:
            continue
    return out


def test_generators_gone_after_success(server: RunningServer) -> None:
    seen: list[int] = []

    def watch(_: StageProgress) -> None:
        seen.extend(p for p in _generators(psutil.Process().pid) if p not in seen)

    stage = run_stage(build_plan(server.base_url), ccu=4, duration_s=0.6, processes=2, progress=watch)
    assert stage.requests > 0
    assert len(seen) == 2
    assert still_alive(seen) == []


def test_generators_gone_after_failure(server: RunningServer) -> None:
    seen: list[int] = []

    def explode(p: StageProgress) -> None:
        seen.extend(x for x in _generators(psutil.Process().pid) if x not in seen)
        if len(seen) == 2:
            raise RuntimeError("renderer broke")

    with pytest.raises(RuntimeError):
        run_stage(build_plan(server.base_url), ccu=4, duration_s=30, processes=2, progress=explode)
    assert len(seen) == 2
    assert still_alive(seen) == []


def _start_cli(server: RunningServer) -> tuple[subprocess.Popen[str], list[int]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "workeradvisor", "load", server.base_url + "/", "--ccu", "4", "--stage-seconds", "60",
         "--warmup", "0", "--processes", "2", "--format", "json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 20
    gens: list[int] = []
    while time.monotonic() < deadline and len(gens) < 2:
        gens = _generators(proc.pid)
        time.sleep(0.1)
    assert len(gens) == 2, "generators did not start"
    time.sleep(1.5)  # let them measure something
    return proc, gens


def test_ctrl_c_reports_partial_stage_and_exits_130(server: RunningServer) -> None:
    proc, gens = _start_cli(server)
    try:
        proc.send_signal(signal.SIGINT)  # the parent only: it must stop its own children
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    data = json.loads(out)
    assert data["interrupted"] is True
    assert len(data["stages"]) == 1 and data["stages"][0]["partial"] is True
    assert data["stages"][0]["requests"] > 0
    assert "interrupted" in err
    assert still_alive(gens) == []


def test_sigterm_leaves_no_generator(server: RunningServer) -> None:
    proc, gens = _start_cli(server)
    try:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode != 0
    assert still_alive(gens) == []


def test_a_crashing_generator_is_a_clear_error_and_leaves_nothing(server: RunningServer) -> None:
    import dataclasses

    from workeradvisor.errors import WorkerAdvisorError

    plan = build_plan(server.base_url)
    bad = dataclasses.replace(plan, requests=(dataclasses.replace(plan.requests[0], headers=(("X", "\u20ac"),)),))
    seen: list[int] = []

    def watch(_: StageProgress) -> None:
        seen.extend(p for p in _generators(psutil.Process().pid) if p not in seen)

    with pytest.raises(WorkerAdvisorError, match="UnicodeEncodeError"):
        run_stage(bad, ccu=2, duration_s=5, processes=2, progress=watch)
    assert still_alive(seen) == []
    assert _generators(psutil.Process().pid) == []
