"""Benchmark app that records its own ground truth, for ``benchmarks/profile_accuracy``.

A raw ASGI app (no framework noise) served by uvicorn with ``--loop asyncio``. At startup it
wraps the running loop's ``selector.select``: the time spent inside it is the loop's own
"waiting for I/O", so busy = 1 - time in select / wall. It also adds up the run-queue wait that
falls inside ``select`` (woken, waiting for a core): on a contended host that time is "in
select" for the app yet "runnable" for the scheduler. ``/work?us=N`` spins on the loop thread
until its thread CPU clock advanced N µs: a calibrated busy loop.

The counters go to a small shared file (``WA_TRUTH_FILE``, mmap) so the benchmark reads them at
the profile window's exact edges without sending a request through the loop it measures.
"""

from __future__ import annotations

import asyncio
import mmap
import os
import struct
import time
from typing import Any

# in_select_s, in_select_runqueue_s, select_entered_at (0: not in select), loop_cpu_s, requests
LAYOUT = struct.Struct("5d")
_state = [0.0, 0.0, 0.0, 0.0, 0.0]
_shared: mmap.mmap | None = None


def _publish() -> None:
    if _shared is not None:
        LAYOUT.pack_into(_shared, 0, *_state)


def _runqueue_s() -> float:
    """This thread's total run-queue wait so far (schedstat's 2nd field)."""
    with open("/proc/thread-self/schedstat") as fh:
        return int(fh.read().split()[1]) / 1e9


def _instrument_selector() -> None:
    global _shared
    path = os.environ.get("WA_TRUTH_FILE")
    if path:
        fd = os.open(path, os.O_RDWR)
        _shared = mmap.mmap(fd, LAYOUT.size)
        os.close(fd)
    selector = asyncio.get_running_loop()._selector  # type: ignore[attr-defined]
    original = selector.select

    def timed_select(timeout: float | None = None) -> Any:
        w0 = _runqueue_s()
        _state[3] = time.thread_time()
        _state[2] = t0 = time.perf_counter()
        _publish()
        try:
            return original(timeout)
        finally:
            _state[0] += time.perf_counter() - t0
            _state[1] += _runqueue_s() - w0
            _state[2] = 0.0
            _publish()

    selector.select = timed_select


def read_truth(path: str) -> dict[str, float]:
    """The counters as of now (an unfinished ``select`` counts up to now; perf_counter is CLOCK_MONOTONIC)."""
    with open(path, "rb") as fh:
        in_select, in_select_rq, entered, loop_cpu, requests = LAYOUT.unpack(fh.read(LAYOUT.size))
    now = time.perf_counter()
    if entered:
        in_select += now - entered
    return {"wall_s": now, "in_select_s": in_select, "in_select_runqueue_s": in_select_rq,
            "loop_thread_cpu_s": loop_cpu, "requests": requests}


def _spin(cpu_s: float) -> None:
    start = time.thread_time()
    while time.thread_time() - start < cpu_s:
        pass


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                _instrument_selector()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["path"] == "/work":
        query = dict(p.split("=", 1) for p in scope.get("query_string", b"").decode().split("&") if "=" in p)
        _spin(int(query.get("us", "1000")) / 1e6)
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": b'{"ok": true}'})
    _state[4] += 1
    _publish()
