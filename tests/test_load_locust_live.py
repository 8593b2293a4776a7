"""``load --engine locust`` for real: a headless master and 2 local workers against uvicorn on 127.0.0.1.

One short stage (warm-up 0.5 s, 2 s measured) on ``/cpu?ms=1`` (real work per request); its JSON
must have the native engine's shape, and every Locust process it started must be gone after.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import pytest
from conftest import ROOT, still_alive

from workeradvisor.launch import RunningServer
from workeradvisor.load import build_plan, run_ladder
from workeradvisor.report import load_json

pytestmark = pytest.mark.live


def _shape(value: object) -> object:
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    return None


def _without_optional_lists(doc: dict) -> dict:
    stages = []
    for st in doc["stages"]:
        server = {k: v for k, v in (st.get("server") or {}).items() if k != "threads"}
        stages.append({**{k: v for k, v in st.items() if k != "operations"}, "server": server})
    return {**doc, "stages": stages}


def _watch(args: list[str], timeout: float) -> tuple[subprocess.CompletedProcess[str], set[int]]:
    """Run the CLI, noting every descendant (the Locust master and workers) while it runs."""
    proc = subprocess.Popen([sys.executable, "-m", "workeradvisor", *args], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(os.environ))
    seen: set[int] = set()
    end = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < end:
        try:
            seen.update(p.pid for p in psutil.Process(proc.pid).children(recursive=True)
                        if "locust" in " ".join(p.cmdline()))
        except psutil.Error:
            pass
        time.sleep(0.2)
    out, err = proc.communicate(timeout=max(1.0, end - time.monotonic()))
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err), seen


def test_locust_engine_two_workers_same_schema_and_nothing_left(server: RunningServer) -> None:
    url = server.base_url + "/cpu?ms=1"
    done, seen = _watch(["load", url, "--engine", "locust", "--locust-workers", "2", "--ccu", "4",
                         "--stage-seconds", "2", "--warmup", "0.5", "--pid", str(server.pid), "--format", "json"],
                        timeout=90)
    assert done.returncode == 0, done.stderr
    assert len(seen) >= 3  # the master and both workers were seen running
    assert still_alive(seen) == []
    ours = json.loads(done.stdout)
    stage = ours["stages"][0]
    assert stage["ccu"] == 4 and stage["requests"] > 0 and stage["errors"]["total"] == 0
    assert stage["generator"]["processes"] == 3 and stage["generator"]["cpu_percent"] > 0
    assert stage["server"]["total_cpu_percent"] > 0 and stage["latency_ms"]["p99"] > 0
    assert any("engine: Locust, 2 local worker" in n for n in ours["notes"])
    # The native engine in-process (no second CLI start-up): its JSON through the same renderer.
    native = run_ladder(build_plan(url), [4], stage_seconds=0.6, warmup_s=0.2, server_pid=server.pid)
    assert native.stages[0].requests > 0
    theirs = json.loads(load_json.render(native))
    # Lists whose items appear only when measured: the per-operation split (native engine only, for now:
    # docs/load-engines.md) and the workers' busy threads. Their presence differs, not their schema.
    assert stage["operations"] == [] and theirs["stages"][0]["operations"]
    assert _shape(_without_optional_lists({**ours, "notes": []})) == _shape(
        _without_optional_lists({**theirs, "notes": []}))


def test_ctrl_c_mid_stage_reports_partial_and_stops_every_locust_process(server: RunningServer) -> None:
    url = server.base_url + "/cpu?ms=1"
    proc = subprocess.Popen([sys.executable, "-m", "workeradvisor", "load", url, "--engine", "locust",
                             "--locust-workers", "2", "--ccu", "4,8", "--stage-seconds", "30", "--warmup", "0.2",
                             "--format", "json"], cwd=ROOT, text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    seen: set[int] = set()
    marker = os.path.join(tempfile.gettempdir(), f"workeradvisor-load-{proc.pid}-*_master.out")
    end = time.monotonic() + 45
    measuring = False
    while proc.poll() is None and time.monotonic() < end and not measuring:
        with contextlib.suppress(psutil.Error):
            seen.update(p.pid for p in psutil.Process(proc.pid).children(recursive=True)
                        if "locust" in " ".join(p.cmdline()))
        measuring = any("WORKERADVISOR measure" in Path(f).read_text() for f in glob.glob(marker))
        time.sleep(0.2)
    assert measuring, "the Locust stage never started measuring"
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    data = json.loads(out)
    assert data["interrupted"] is True and data["stages"][0]["partial"] is True
    assert len(seen) >= 3 and still_alive(seen) == []
    assert glob.glob(os.path.join(tempfile.gettempdir(), f"workeradvisor-load-{proc.pid}-*")) == []
