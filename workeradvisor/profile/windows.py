"""Run the two kinds of window: the headline (schedstat only) and the py-spy attribution passes.

Traffic, when there is a plan, comes from the load engine (``workeradvisor.load.run_stage``).
The headline window opens when the generators start measuring (after their warm-up) and closes
when the measured period ends, so loop CPU is divided by the requests of that same period.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from workeradvisor import procs
from workeradvisor.errors import TargetError
from workeradvisor.models.load import StageResult
from workeradvisor.profile import pyspy
from workeradvisor.profile.pyspy import SpyRun
from workeradvisor.profile.window import HeadlineWindow, WorkerWindow

WARMUP_S = 0.5
END_MARGIN_S = 0.25  # our headline window ends this much before the generators' measured period
WindowHook = Callable[[str], None]  # called with "start" / "stop" at the headline window's edges


def headline(
    pids: list[int],
    *,
    duration_s: float,
    plan: Any = None,
    ccu: int = 1,
    rate: float | None = None,
    server_pid: int | None = None,
    on_window: WindowHook | None = None,
    timeout_s: float = 10.0,
) -> tuple[dict[int, WorkerWindow], StageResult | None]:
    """Schedstat of every thread of ``pids`` over ``duration_s``, under the plan's traffic or none."""
    window = HeadlineWindow(list(pids))
    hook = on_window or (lambda _edge: None)
    if plan is None:
        window.start()
        hook("start")
        deadline = time.monotonic() + duration_s
        while time.monotonic() < deadline and not window.any_died:
            time.sleep(min(0.1, max(0.0, deadline - time.monotonic())))
        window.stop()
        hook("stop")
        window.read_memory()
        return window.workers, None

    from workeradvisor.load import run_stage

    state: dict[str, Any] = {"open": False, "closed": False, "until": 0.0}

    def progress(p: Any) -> None:
        # The generators measure for ``duration_s`` from their "measure" mark, which we see up to a
        # poll (0.1 s) or more late: close our window a margin early so it lies inside theirs, in
        # steady traffic. Overrunning their end would add idle time to the CPU side only.
        if p.measuring and not state["open"]:
            state["open"] = True
            window.start()
            hook("start")
            state["until"] = time.monotonic() + max(duration_s - END_MARGIN_S, min(duration_s, 0.5))
        elif state["open"] and not state["closed"] and time.monotonic() >= state["until"]:
            state["closed"] = True
            window.stop()
            hook("stop")

    try:
        stage = run_stage(plan, ccu=ccu, rate=rate, duration_s=duration_s, warmup_s=WARMUP_S, server_pid=server_pid,
                          progress=progress, timeout_s=timeout_s)
    finally:
        if state["open"] and not state["closed"]:  # the stage ended (or failed) before our margin
            window.stop()
            hook("stop")
    if not state["open"]:  # the generators never reported measuring: an empty window, not a crash
        window.start()
        window.stop()
    window.read_memory()
    return window.workers, stage


def attribution_passes(
    pids: list[int],
    *,
    duration_s: float,
    plan: Any = None,
    ccu: int = 1,
    rate_hz: int = pyspy.DEFAULT_RATE_HZ,
    timeout_s: float = 10.0,
    on_cpu_only: bool = False,
) -> dict[int, tuple[SpyRun, SpyRun]]:
    """Per worker: (pass with ``--idle``, pass without), each under the same traffic as the headline.
    ``on_cpu_only`` (the idle profile): one pass without ``--idle``, returned twice."""
    runs: dict[int, list[SpyRun]] = {pid: [] for pid in pids}
    for include_idle in (False,) if on_cpu_only else (True, False):
        live = [pid for pid in pids if procs.pid_alive(pid)]
        pending = []
        try:
            for pid in live:
                pending.append(pyspy.start(pid, duration_s=duration_s, include_idle=include_idle, rate_hz=rate_hz))
            _drive(plan, ccu, duration_s, timeout_s)
            for p in pending:
                try:
                    runs[p.pid].append(p.finish())
                except TargetError:
                    if procs.pid_alive(p.pid):
                        raise
                    # the worker died mid-window: the caller reports it as partial, headline kept
        finally:
            for p in pending:
                p.discard()  # a no-op after finish(); on Ctrl-C or an error it stops py-spy by PID
    if on_cpu_only:
        return {pid: (r[0], r[0]) for pid, r in runs.items() if len(r) == 1}
    return {pid: (r[0], r[1]) for pid, r in runs.items() if len(r) == 2}


def _drive(plan: Any, ccu: int, duration_s: float, timeout_s: float) -> None:
    """Traffic for one py-spy pass (py-spy records for ``duration_s`` from its own start); requests still
    unanswered ``timeout_s`` after the pass are abandoned (a 30 s endpoint must not hold the run 30 s)."""
    if plan is None:
        time.sleep(duration_s)
        return
    from workeradvisor.load import run_stage

    run_stage(plan, ccu=ccu, duration_s=duration_s + 0.3, warmup_s=0.0, timeout_s=timeout_s)
