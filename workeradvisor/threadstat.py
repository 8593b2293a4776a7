"""Per-thread schedstat deltas of a server's workers over a window, for ``load`` stages and ``profile``.

Reading ``/proc/<pid>/task/<tid>/schedstat`` costs the target nothing (no ptrace). A thread born
inside the window counts from zero; one that ended keeps its last reading.
"""

from __future__ import annotations

import contextlib
import os
import time

from workeradvisor.models.threads import ThreadSample
from workeradvisor.procstat import SchedStat, read_schedstat, thread_names

MIN_REPORTED_PERCENT = 1.0  # threads runnable less than this share of a core are left out of the results
# Shared objects that run a pool of compute threads (file name fragments, lower case): numpy/scipy's
# OpenBLAS (libopenblas*, libscipy_openblas*), MKL, the OpenMP runtimes, torch, onnxruntime, tokenizers.
NATIVE_RUNTIMES = ("openblas", "libmkl_", "libgomp", "libiomp", "libomp", "libtorch_cpu", "onnxruntime",
                   "tokenizers")
MAX_MAPS_BYTES = 8 << 20  # a process's memory map is read at most this far


def native_runtimes(pid: int) -> set[str]:
    """The thread-pool runtimes mapped into ``pid`` (from ``/proc/<pid>/maps``; nothing when unreadable).

    Why: a busy extra thread is a native compute pool only if such a runtime is loaded. A Python thread
    (a telemetry loop, anyio's pool) has the same schedstat figures, and OMP_NUM_THREADS does nothing to it."""
    try:
        with open(f"/proc/{pid}/maps", "rb") as fh:
            text = fh.read(MAX_MAPS_BYTES).decode("utf-8", "replace").lower()
    except OSError:
        return set()
    found: set[str] = set()
    for line in text.splitlines():
        name = line.rsplit("/", 1)[-1] if "/" in line else ""
        found.update(rt for rt in NATIVE_RUNTIMES if rt in name)
    return found


class ThreadTracker:
    """``observe(pid)`` at every sample; ``samples()`` gives each thread's CPU and run-queue wait
    over the time between its process's first and last observation."""

    def __init__(self) -> None:
        self._first: dict[tuple[int, int], SchedStat] = {}
        self._last: dict[tuple[int, int], SchedStat] = {}
        self._names: dict[tuple[int, int], str] = {}
        self._span: dict[int, tuple[float, float]] = {}
        self._runtimes: dict[int, set[str]] = {}

    def observe(self, pid: int) -> None:
        now = time.monotonic()
        try:
            tids = [int(t) for t in os.listdir(f"/proc/{pid}/task")]
        except OSError:
            return
        fresh = False
        for tid in tids:
            stat = read_schedstat(pid, tid)
            if stat is None:
                continue
            if (pid, tid) not in self._first:
                fresh = True
                self._first[(pid, tid)] = SchedStat(0, 0, 0) if pid in self._span else stat
            self._last[(pid, tid)] = stat
        if fresh:  # new threads: a library may have just been loaded (numpy at the first request)
            with contextlib.suppress(OSError):
                self._names.update({(pid, tid): name for tid, name in thread_names(pid).items()})
            self._runtimes[pid] = self._runtimes.get(pid, set()) | native_runtimes(pid)
        first = self._span.get(pid, (now, now))[0]
        self._span[pid] = (first, now)

    def runtimes(self) -> tuple[str, ...]:
        """Native thread-pool runtimes seen in any observed process (see ``native_runtimes``)."""
        return tuple(sorted(set().union(*self._runtimes.values()))) if self._runtimes else ()

    def samples(self) -> tuple[ThreadSample, ...]:
        out = []
        for (pid, tid), last in sorted(self._last.items()):
            start, end = self._span[pid]
            wall = end - start
            if wall <= 0:
                continue
            first = self._first[(pid, tid)]
            cpu = (last.run_ns - first.run_ns) / 1e9 / wall * 100.0
            wait = (last.wait_ns - first.wait_ns) / 1e9 / wall * 100.0
            if cpu + wait >= MIN_REPORTED_PERCENT:
                out.append(ThreadSample(pid, tid, self._names.get((pid, tid), str(tid)), round(cpu, 2),
                                        round(wait, 2)))
        return tuple(out)
