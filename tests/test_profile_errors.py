"""``profile`` error cases (issue 4): one line on stderr, a documented exit code, partial data kept,
and no process left behind after failure, timeout or Ctrl-C."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest
from conftest import ROOT, run_cli, still_alive

from workeradvisor import cli, procs
from workeradvisor.errors import EXIT_INTERRUPTED, EXIT_PERMISSION, EXIT_TARGET, EXIT_TOOL_MISSING, EXIT_USAGE
from workeradvisor.launch import serve

pytestmark = pytest.mark.parallel  # may run beside other tests (README: the first pytest step)


def _cli(*args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    return run_cli("profile", *args, timeout=timeout)


def _one_line_error(stderr: str) -> str:
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("workeradvisor: error: ") and "Traceback" not in stderr
    return lines[0]


def _free_pid() -> int:
    pid = 4_000_000
    while psutil.pid_exists(pid):
        pid -= 1
    return pid


@pytest.mark.live
def test_missing_pid_exits_3() -> None:
    run = _cli("--pid", str(_free_pid()), "--duration", "1")
    assert run.returncode == EXIT_TARGET
    assert "no process with PID" in _one_line_error(run.stderr)


@pytest.mark.live
def test_non_python_pid_exits_3() -> None:
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        run = _cli("--pid", str(sleeper.pid), "--duration", "1")
    finally:
        sleeper.kill()
        sleeper.wait()
    assert run.returncode == EXIT_TARGET
    assert "is not a Python process" in _one_line_error(run.stderr)


@pytest.mark.live
def test_usage_errors_exit_2(tmp_path: Path) -> None:
    both = _cli("--pid", "1", "--app", "x.py:app")
    assert both.returncode == EXIT_USAGE and "exactly one of" in _one_line_error(both.stderr)
    bad_scan = tmp_path / "scan.json"
    bad_scan.write_text("{not json")
    run = _cli("--pid", str(os.getpid()), "--scan", str(bad_scan), "--no-attribution", "--duration", "1")
    assert run.returncode == EXIT_USAGE and "not JSON" in _one_line_error(run.stderr)


def test_py_spy_missing_exits_5(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))  # nothing beside it
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(sys, "argv", ["workeradvisor", "profile", "--pid", str(os.getpid()), "--duration", "1"])
    with pytest.raises(SystemExit) as exc:
        cli.main()
    assert exc.value.code == EXIT_TOOL_MISSING
    assert "py-spy not found" in _one_line_error(capsys.readouterr().err)


@pytest.mark.live
@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root to drop to nobody")
def test_ptrace_denied_exits_4_with_the_fix_and_keeps_the_headline() -> None:
    target = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        time.sleep(0.3)
        run = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-m",
                              "workeradvisor", "profile", "--pid", str(target.pid), "--duration", "1",
                              "--format", "json"], capture_output=True, text=True, timeout=60, cwd="/")
    finally:
        target.kill()
        target.wait()
    assert run.returncode == EXIT_PERMISSION, run.stderr
    line = _one_line_error(run.stderr)
    assert "ptrace" in line and "CAP_SYS_PTRACE" in line and "ptrace_scope" in line
    doc = json.loads(run.stdout)  # the zero-overhead headline numbers were still reported
    assert doc["workers"][0]["loop"] is not None and doc["attribution_error"]


@pytest.mark.live
def test_app_that_fails_to_start_exits_3_with_its_stderr_tail(tmp_path: Path) -> None:
    app = tmp_path / "broken.py"
    app.write_text("raise RuntimeError('boom-at-import')\n")
    run = _cli("--app", f"{app}:app", "--duration", "1")
    assert run.returncode == EXIT_TARGET
    assert "boom-at-import" in _one_line_error(run.stderr)


@pytest.mark.live
def test_target_dying_mid_window_keeps_partial_data() -> None:
    with serve("examples/telemetry.py:app", app_dir=str(ROOT)) as server:
        killer = threading.Timer(4.0, procs.stop_tree, args=(server.pid,))  # the CLI starts well before that
        killer.start()
        run = _cli("--pid", str(server.pid), "--duration", "8", "--format", "json")
        killer.join()
    assert run.returncode == EXIT_TARGET
    assert "partial" in _one_line_error(run.stderr)
    doc = json.loads(run.stdout)
    assert doc["partial"] is True
    worker = doc["workers"][0]
    assert worker["loop"] is not None and 0.2 < worker["loop"]["window_s"] < 4.5  # cut short by the death
    assert len(worker["threads"]) >= 2  # per-thread data up to the last snapshot before the death


@pytest.mark.live
def test_worker_dying_mid_window_via_api_keeps_what_was_measured() -> None:
    from workeradvisor.profile import profile_server

    with serve("examples/telemetry.py:app", app_dir=str(ROOT)) as server:
        timers: list[threading.Timer] = []

        def kill_soon(edge: str) -> None:
            if edge == "start":
                timers.append(threading.Timer(0.6, procs.stop_tree, args=(server.pid,)))
                timers[0].start()

        result = profile_server(server.pid, duration_s=5.0, on_window=kill_soon)
        timers[0].join()
    assert result.partial
    loop = result.workers[0].loop
    assert loop is not None and 0.3 < loop.window_s < 2.0
    assert any("exited during the headline window" in n for n in result.notes)


@pytest.mark.live
def test_ctrl_c_stops_every_process_it_started() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "workeradvisor", "profile", "--app", "examples/blocking.py:app",
                             "--path", "/report", "--duration", "10"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen: set[int] = set()
    deadline = time.monotonic() + 30
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            seen.update(c.pid for c in psutil.Process(proc.pid).children(recursive=True))
            if len(seen) >= 2:  # uvicorn and a load generator are up: the window is running
                time.sleep(1.0)
                break
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            procs.stop_tree(proc.pid)
    assert len(seen) >= 2
    assert proc.returncode == EXIT_INTERRUPTED, err
    assert "Traceback" not in err
    time.sleep(0.2)
    assert still_alive(seen) == []


@pytest.mark.live
def test_ctrl_c_in_the_attribution_window_reports_the_headline_and_stops_py_spy() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "workeradvisor", "profile", "--app", "examples/blocking.py:app",
                             "--path", "/report", "--duration", "2", "--format", "json"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen: set[int] = set()
    spies: set[int] = set()
    deadline = time.monotonic() + 40
    try:
        while time.monotonic() < deadline and proc.poll() is None and not spies:
            for child in psutil.Process(proc.pid).children(recursive=True):
                seen.add(child.pid)
                with contextlib.suppress(psutil.Error):
                    if child.name() == "py-spy":
                        spies.add(child.pid)
            time.sleep(0.05)
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            procs.stop_tree(proc.pid)
    assert spies, "py-spy never started"
    assert proc.returncode == EXIT_INTERRUPTED, err
    assert "interrupted during the attribution window" in _one_line_error(err)
    assert json.loads(out)["workers"][0]["loop"] is not None  # the headline window was reported
    time.sleep(0.2)
    assert still_alive(seen) == []
