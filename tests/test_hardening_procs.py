"""No orphans, ever (issue 12): SIGKILL of workeradvisor takes every child with it, and its temp files.

Processes are found and checked by PID (psutil), never by name; whatever a test starts it kills.
"""

from __future__ import annotations

import glob
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import pytest

from workeradvisor import deathwatch

pytestmark = pytest.mark.live

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "tests" / "apps" / "load_target.py") + ":app"
CLI = str(Path(sys.executable).parent / "workeradvisor")


def _descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _cmd(p: psutil.Process) -> str:
    try:
        return " ".join(p.cmdline())
    except psutil.Error:
        return ""


def _alive(procs: list[psutil.Process]) -> list[str]:
    out = []
    for p in procs:
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                out.append(f"{p.pid} {_cmd(p)[:120]}")
        except psutil.NoSuchProcess:
            continue
    return out


def _wait_for(pred, timeout: float) -> bool:  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.1)
    return False


def _gone_within(procs: list[psutil.Process], timeout: float) -> list[str]:
    _wait_for(lambda: not _alive(procs), timeout)
    return _alive(procs)


def _temp_files(pid: int) -> list[str]:
    return glob.glob(os.path.join(tempfile.gettempdir(), f"workeradvisor-*-{pid}-*"))


def _kill_all(proc: subprocess.Popen[bytes], procs: list[psutil.Process]) -> None:
    for p in [*procs]:
        try:
            p.kill()
        except psutil.Error:
            pass
    if proc.poll() is None:
        proc.kill()
    proc.wait()


@pytest.mark.parallel
def test_sigkill_of_analyze_during_the_ladder_leaves_no_process_and_no_temp_file(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [CLI, "analyze", APP, "--workers", "1,2", "--ccu", "4,8", "--stage-seconds", "3", "--warmup", "0",
         "--idle-seconds", "0.5", "--profile-seconds", "1", "--format", "json"],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    seen: dict[int, psutil.Process] = {}

    def in_ladder() -> bool:  # the 2-worker ladder: a generator and uvicorn's worker processes (grandchildren)
        now = _descendants(proc.pid)
        for p in now:
            seen.setdefault(p.pid, p)
        cmds = [_cmd(p) for p in now]
        return proc.poll() is not None or (any("workeradvisor.load.child" in c for c in cmds)
                                           and any("multiprocessing" in c for c in cmds))

    try:
        assert _wait_for(in_ladder, 150), "the 2-worker ladder never started"
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        time.sleep(1.0)
        in_ladder()  # everything alive at the moment of the kill
        kinds = {"server": any("uvicorn" in _cmd(p) for p in seen.values()),
                 "generator": any("workeradvisor.load.child" in _cmd(p) for p in seen.values())}
        assert all(kinds.values()), kinds
        workers = [p for p in seen.values() if "multiprocessing" in _cmd(p)]
        assert workers, [_cmd(p)[:150] for p in seen.values()]
        assert _temp_files(proc.pid), "expected the run's temp files to exist before the kill"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)
        left = _gone_within(list(seen.values()), 5.0)
        assert left == [], f"alive 5 s after SIGKILL: {left}"
        assert _wait_for(lambda: not _temp_files(proc.pid), 2.0), _temp_files(proc.pid)
    finally:
        _kill_all(proc, list(seen.values()))


@pytest.mark.parallel
def test_sigkill_of_a_parallel_scan_leaves_no_worker(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    body = "import time\n\n" + "".join(f"async def f{i}():\n    time.sleep(1)\n\n" for i in range(400))
    for i in range(400):
        (src / f"m{i}.py").write_text(body)
    proc = subprocess.Popen([CLI, "scan", str(src), "--format", "json"], cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seen: dict[int, psutil.Process] = {}
    try:
        def workers() -> bool:
            for p in _descendants(proc.pid):
                seen.setdefault(p.pid, p)
            return len(seen) >= 2 or proc.poll() is not None

        assert _wait_for(workers, 30) and proc.poll() is None, "the scan finished before its workers were seen"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)
        left = _gone_within(list(seen.values()), 5.0)
        assert left == [], f"scan workers alive 5 s after SIGKILL: {left}"
    finally:
        _kill_all(proc, list(seen.values()))


def test_stale_temp_files_of_dead_runs_are_removed_and_live_ones_kept(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    tmp = tempfile.gettempdir()
    stale = Path(tmp, f"workeradvisor-load-{dead.pid}-abc.json")
    mine = Path(tmp, f"workeradvisor-load-{os.getpid()}-abc.json")
    other = Path(tmp, "workeradvisor-notes-1-x.txt")  # not one of our kinds: never touched
    for p in (stale, mine, other):
        p.write_text("{}")
    try:
        removed = deathwatch.clean_stale()
        assert str(stale) in removed and not stale.exists()
        assert mine.exists() and other.exists()
    finally:
        for p in (stale, mine, other):
            p.unlink(missing_ok=True)


@pytest.mark.parallel
def test_a_forked_worker_whose_parent_died_before_its_prctl_exits() -> None:
    """The fork race: a worker reparented before it asked for the parent-death signal gets no
    signal, so it must notice the changed parent itself (what a SIGKILL right after fork causes)."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        deathwatch.set_pdeathsig_here(parent_pid=os.getppid() + 1_000_000)  # "our parent is gone"
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 137


@pytest.mark.parallel
def test_a_child_dies_with_its_parent_even_on_sigkill() -> None:
    """The mechanism itself: a parent that spawned a sleeper through ``procs.spawn`` is SIGKILLed."""
    code = ("import sys, time; from workeradvisor import procs; "
            "p = procs.spawn(['/bin/sleep', '60']); print(p.pid, flush=True); time.sleep(60)")
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    child_pid = 0
    try:
        assert parent.stdout is not None
        child_pid = int(parent.stdout.readline())
        child = psutil.Process(child_pid)
        # exec'd in place (after the parent-death trampoline): the PID we track is the program's
        assert _wait_for(lambda: child.name() == "sleep", 5.0), child.name()
        parent.kill()
        parent.wait()
        assert _gone_within([child], 5.0) == []
    finally:
        if parent.poll() is None:
            parent.kill()
        if child_pid and psutil.pid_exists(child_pid):
            with __import__("contextlib").suppress(psutil.Error):
                psutil.Process(child_pid).kill()


@pytest.mark.parallel
def test_sigterm_of_analyze_during_the_ladder_reports_what_finished_and_exits_143(tmp_path: Path) -> None:
    """SIGTERM is handled like Ctrl-C: the finished steps are reported, nothing is left, exit 143."""
    import json

    proc = subprocess.Popen(
        [CLI, "analyze", APP, "--ccu", "4,8,16", "--stage-seconds", "20", "--warmup", "0",
         "--idle-seconds", "0.5", "--profile-seconds", "1", "--format", "json"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    seen: dict[int, psutil.Process] = {}

    def in_ladder() -> bool:
        for p in _descendants(proc.pid):
            seen.setdefault(p.pid, p)
        return proc.poll() is not None or any("workeradvisor.load.child" in _cmd(p) for p in seen.values())

    try:
        assert _wait_for(in_ladder, 150), "the ladder never started"
        time.sleep(1.5)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 143, err.decode()
        doc = json.loads(out)
        assert doc, "nothing was reported"
        assert "Traceback" not in err.decode()
        assert _gone_within(list(seen.values()), 5.0) == []
        assert not _temp_files(proc.pid)
    finally:
        _kill_all(proc, list(seen.values()))
