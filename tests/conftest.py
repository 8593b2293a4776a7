"""Shared test helpers and the fast/live split.

Tests that start a process (a server, a CLI child, py-spy, load generators, a process pool) are
marked ``@pytest.mark.live``; ``pytest -m "not live"`` is the fast, in-process suite. To keep that
split honest, starting a process from a test that is not marked live fails the test, whichever
way the process is started (``subprocess``, ``multiprocessing`` and ``concurrent.futures`` pools,
``os.fork``/``os.system``/``os.posix_spawn``): a forgotten marker is caught on the first run.

The helpers below (process liveness by PID, running the real console entry point) have one home
here; test modules import them with ``from conftest import ...``.
"""

from __future__ import annotations

import multiprocessing.process
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psutil
import pytest

if TYPE_CHECKING:
    from workeradvisor.launch import RunningServer

ROOT = Path(__file__).resolve().parent.parent
LOAD_TARGET = f"{Path(__file__).parent / 'apps' / 'load_target.py'}:app"


# --- process helpers ------------------------------------------------------------------------------

def alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie (a reaped-later child counts as gone)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def gone(pid: int) -> bool:
    return not alive(pid)


def still_alive(pids: Iterator[int] | list[int] | set[int]) -> list[int]:
    """The PIDs of ``pids`` that are still running, for ``assert still_alive(seen) == []``."""
    return [p for p in pids if alive(p)]


def descendants(pid: int) -> list[int]:
    """Every descendant PID of ``pid`` (empty once it is gone)."""
    try:
        return [p.pid for p in psutil.Process(pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def run_cli(*args: str, cwd: Path | str = ROOT, env: dict[str, str] | None = None, drop_env: tuple[str, ...] = (),
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``python -m workeradvisor ARGS`` in a child process (a clean interpreter, real exit codes and
    signals). ``env`` is added to the current environment, ``drop_env`` names variables to remove."""
    full_env = {k: v for k, v in os.environ.items() if k not in drop_env} | (env or {})
    return subprocess.run([sys.executable, "-m", "workeradvisor", *args], cwd=cwd, env=full_env, text=True,
                          capture_output=True, timeout=timeout, check=False)


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    """``tests/apps/load_target.py`` under real uvicorn on 127.0.0.1, shared by a module's (live) tests."""
    from workeradvisor.launch import serve

    with serve(LOAD_TARGET) as srv:
        yield srv


def pytest_configure(config: pytest.Config) -> None:
    """Text reports lay out at ``COLUMNS`` when it is set; pytest-xdist's workers set it to 80, a plain
    run leaves it unset. Removed, so every test sees the same width whichever way the suite runs (a
    test that wants a width sets it)."""
    os.environ.pop("COLUMNS", None)


# --- the guard: no process from a test that is not marked live -------------------------------------

class ProcessStartInFastTest(BaseException):
    """Raised where a non-live test would start a process. A BaseException so that code under test
    that catches ``Exception`` (or ``OSError``) does not mistake it for an ordinary failure."""


_GUARDED: list[tuple[Any, str]] = [
    (subprocess.Popen, "_execute_child"),  # subprocess.run/check_output/Popen, asyncio subprocesses
    (multiprocessing.process.BaseProcess, "start"),  # multiprocessing, ProcessPoolExecutor
    (os, "fork"),
    (os, "system"),
    (os, "posix_spawn"),
    (os, "posix_spawnp"),
]


def _blocker(what: str, started: list[str]) -> Callable[..., Any]:
    def blocked(*args: object, **kwargs: object) -> Any:
        started.append(what)
        raise ProcessStartInFastTest(f"{what}: a test that starts a process must be marked @pytest.mark.live")

    return blocked


def _guarded_phase(item: pytest.Item) -> Iterator[None]:
    """Run one phase (setup, call, teardown) of a non-live test with process starts blocked."""
    if item.get_closest_marker("live") is not None:
        yield
        return
    started: list[str] = []
    mp = pytest.MonkeyPatch()
    for owner, name in _GUARDED:
        if hasattr(owner, name):
            mp.setattr(owner, name, _blocker(f"{getattr(owner, '__name__', owner)}.{name}", started))
    try:
        yield
    finally:
        mp.undo()
    if started:
        pytest.fail(f"{item.nodeid} started a process ({', '.join(sorted(set(started)))}) but is not marked "
                    "@pytest.mark.live", pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    yield from _guarded_phase(item)
    return None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    yield from _guarded_phase(item)
    return None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    yield from _guarded_phase(item)
    return None
