"""Exit codes that mean what they say (issue 12).

Before: 100% read errors or 100% 5xx in ``load`` exited 0 (all-timeouts exited 3); usage errors
printed click's multi-line block; SIGTERM exited 143 silently; Ctrl-C in ``check`` said nothing.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest
from decide_factories import load as load_result
from decide_factories import stage

from workeradvisor.launch import RunningServer, serve
from workeradvisor.load.ladder import every_stage_failed
from workeradvisor.models.load import ErrorCounts

pytestmark = pytest.mark.parallel  # may run beside other tests (README: the first pytest step)

APP = str(Path(__file__).parent / "apps" / "load_target.py") + ":app"
CLI = str(Path(sys.executable).parent / "workeradvisor")


def _with(errors: ErrorCounts, requests: int) -> object:
    import dataclasses

    return dataclasses.replace(stage(4, 0.0, 1, 1, None), errors=errors, requests=requests)


@pytest.mark.parametrize("stages, failed", [
    ([(ErrorCounts(http_5xx=50), 50)], True),  # every answer a 5xx
    ([(ErrorCounts(read=30), 0)], True),  # every answer malformed
    ([(ErrorCounts(timeout=9), 0)], True),
    ([(ErrorCounts(connect=9), 0), (ErrorCounts(http_5xx=3, read=2), 3)], True),
    ([(ErrorCounts(http_5xx=50), 50), (ErrorCounts(http_5xx=10), 11)], False),  # one good answer somewhere
    ([(ErrorCounts(http_4xx=50), 50)], False),  # the server answered; the requests were wrong
    ([(ErrorCounts(), 0)], False),  # nothing attempted (interrupted at once): not a verdict on the server
])
def test_every_stage_failed(stages: list[tuple[ErrorCounts, int]], failed: bool) -> None:
    result = load_result(tuple(_with(e, n) for e, n in stages))  # type: ignore[misc]
    assert (every_stage_failed(result) is not None) == failed


def _cli(*args: str, cwd: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=timeout, cwd=cwd)


@pytest.mark.live
@pytest.mark.parametrize("args", [["load", "--bogus"], ["nope"], ["load", "--ccu"], ["scan", "--format", "bad", "."],
                                  ["analyze"]])
def test_usage_errors_are_one_line(args: list[str]) -> None:
    done = _cli(*args)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("workeradvisor: error: ") and lines[0].endswith("(see --help)")
    assert "Usage:" not in done.stderr


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    with serve(APP) as srv:
        yield srv


@pytest.mark.live
def test_load_of_only_5xx_reports_the_stages_and_exits_3(server: RunningServer) -> None:
    done = _cli("load", server.base_url + "/error500", "--ccu", "2,4", "--stage-seconds", "0.5", "--warmup", "0",
                "--format", "json")
    assert done.returncode == 3, done.stderr
    assert "every stage failed" in done.stderr and "5xx" in done.stderr and "Traceback" not in done.stderr
    stages = json.loads(done.stdout)["stages"]
    assert len(stages) == 2 and all(s["errors"]["http_5xx"] == s["requests"] > 0 for s in stages)


@pytest.fixture()
def garbage_server() -> Iterator[int]:
    """Answers every connection with bytes that are not HTTP: every request is a read error."""
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(128)
    srv.settimeout(0.2)
    stop = threading.Event()

    def serve_forever() -> None:
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                continue
            try:
                conn.settimeout(1)
                conn.recv(4096)
                conn.sendall(b"SSH-2.0-OpenSSH_9.0\r\n\r\n")
            except OSError:
                pass
            finally:
                conn.close()

    t = threading.Thread(target=serve_forever, daemon=True)
    t.start()
    yield srv.getsockname()[1]
    stop.set()
    t.join(2)
    srv.close()


@pytest.mark.live
def test_load_of_only_read_errors_exits_3(garbage_server: int) -> None:
    done = _cli("load", f"http://127.0.0.1:{garbage_server}/", "--ccu", "2", "--stage-seconds", "0.5",
                "--warmup", "0", "--format", "json")
    assert done.returncode == 3, done.stderr
    assert "read error" in done.stderr
    stage0 = json.loads(done.stdout)["stages"][0]
    assert stage0["errors"]["read"] > 0 and stage0["rps"] == 0


def _interrupt(args: list[str], sig: int, ready: Callable[[psutil.Process], bool], cwd: str | None = None
               ) -> subprocess.CompletedProcess[str]:
    """Start the CLI, wait until ``ready`` (past the imports, which take seconds on a busy box), signal it."""
    proc = subprocess.Popen([CLI, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd)
    try:
        me = psutil.Process(proc.pid)
        end = time.monotonic() + 60
        while time.monotonic() < end and proc.poll() is None:
            with contextlib.suppress(psutil.Error):
                if ready(me):
                    break
            time.sleep(0.05)
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def _measuring(p: psutil.Process) -> bool:
    kids = [k for k in p.children() if "workeradvisor.load.child" in " ".join(k.cmdline())]
    if kids and not hasattr(p, "_seen_at"):
        p._seen_at = time.monotonic()  # type: ignore[attr-defined]
    return bool(kids) and time.monotonic() - p._seen_at > 1.5  # type: ignore[attr-defined]


@pytest.mark.live
def test_sigterm_during_load_reports_the_partial_stage_and_exits_143(server: RunningServer) -> None:
    done = _interrupt(["load", server.base_url + "/", "--ccu", "2,4", "--stage-seconds", "30", "--warmup", "0",
                       "--format", "json"], signal.SIGTERM, _measuring)
    assert done.returncode == 143, done.stderr
    data = json.loads(done.stdout)
    assert data["interrupted"] is True and data["stages"][0]["partial"] is True
    assert data["stages"][0]["requests"] > 0
    assert "Traceback" not in done.stderr


@pytest.mark.live
@pytest.mark.parametrize("sig, code, word", [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")])
def test_check_says_it_was_interrupted(tmp_path: Path, sig: int, code: int, word: str) -> None:
    for i in range(3000):  # enough files that check is still busy after the import phase
        (tmp_path / f"m{i}.py").write_text("import time\n\nasync def f():\n    time.sleep(1)\n")
    (tmp_path / "Dockerfile").write_text('FROM python:3.12\nCMD ["uvicorn", "m0:app", "--workers", "4"]\n')
    def working(p: psutil.Process) -> bool:  # about where the imports end (~0.9 s of CPU), or past them
        t = p.cpu_times()
        return t.user + t.system > 1.0

    done = _interrupt(["check", str(tmp_path)], sig, working, cwd=str(tmp_path))
    if done.returncode in (0, 1):
        pytest.skip("check finished before the signal")
    assert done.returncode == code, done.stderr
    assert word in done.stderr and "Traceback" not in done.stderr
    assert not [p for p in os.listdir(tmp_path) if p.startswith("workeradvisor-")]


@pytest.mark.live
def test_a_file_name_with_byte_0xff_does_not_crash_sarif(tmp_path: Path) -> None:
    src = os.fsencode(tmp_path / "src")
    os.mkdir(src)
    with open(src + b"/bad\xffname.py", "wb") as fh:
        fh.write(b"import time\n\nasync def f():\n    time.sleep(1)\n")
    with open(src + b"/broken\xff.py", "wb") as fh:
        fh.write(b"def (:\n")
    done = _cli("scan", "src", "--format", "sarif", cwd=str(tmp_path))
    assert done.returncode in (0, 1), done.stderr
    doc = json.loads(done.stdout)
    uris = [loc["physicalLocation"]["artifactLocation"]["uri"] for r in doc["runs"][0]["results"]
            for loc in r["locations"]]
    notes = doc["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert "src/bad%FFname.py" in uris
    assert notes and notes[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "src/broken%FF.py"
    assert "\\xff" in notes[0]["message"]["text"]
