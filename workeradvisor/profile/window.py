"""The headline window: per-thread on-CPU and run-queue time from /proc schedstat (no ptrace).

Reading ``/proc/<pid>/task/<tid>/schedstat`` costs the target nothing. Snapshots are taken
periodically so that when a worker dies mid-window, the data up to its last snapshot survives.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field

from workeradvisor.procstat import SchedStat, read_memory, read_schedstat, thread_names


@dataclass(frozen=True)
class Snapshot:
    t: float  # time.monotonic()
    threads: dict[int, SchedStat]  # tid -> schedstat
    names: dict[int, str]


@dataclass(frozen=True)
class ThreadDelta:
    tid: int
    name: str
    run_s: float
    wait_s: float


@dataclass
class WorkerWindow:
    pid: int
    first: Snapshot
    last: Snapshot
    died: bool = False
    rss_bytes: int = 0
    uss_bytes: int = 0
    pss_bytes: int = 0
    history: list[Snapshot] = field(default_factory=list)  # every snapshot, for sub-window figures

    @property
    def wall_s(self) -> float:
        return max(self.last.t - self.first.t, 1e-9)

    def deltas(self) -> list[ThreadDelta]:
        """Per-thread CPU over the window; a thread born inside the window counts from zero."""
        out = []
        for tid, now in self.last.threads.items():
            before = self.first.threads.get(tid, SchedStat(0, 0, 0))
            name = self.last.names.get(tid) or self.first.names.get(tid) or str(tid)
            out.append(ThreadDelta(tid, name, (now.run_ns - before.run_ns) / 1e9, (now.wait_ns - before.wait_ns) / 1e9))
        return sorted(out, key=lambda d: d.tid)

    def thread(self, tid: int) -> ThreadDelta | None:
        return next((d for d in self.deltas() if d.tid == tid), None)

    def busy_blocks(self, tid: int, blocks: int) -> list[float]:
        """The thread's busy fraction (on-CPU + run-queue wait over wall time) in ``blocks`` consecutive
        sub-windows of about equal length, from the periodic snapshots; [] when there are too few."""
        edges = _edges([s for s in self.history if tid in s.threads], blocks)
        out = []
        for a, b in zip(edges, edges[1:], strict=False):
            wall = b.t - a.t
            if wall <= 0:
                return []
            busy = (b.threads[tid].run_ns + b.threads[tid].wait_ns - a.threads[tid].run_ns - a.threads[tid].wait_ns)
            out.append(busy / 1e9 / wall)
        return out


    def cpu_blocks(self, blocks: int) -> list[float]:
        """All threads' on-CPU time over wall time in ``blocks`` consecutive sub-windows (1.0 = one core);
        a thread born inside a block counts from zero. [] when there are too few snapshots."""
        edges = _edges(self.history, blocks)
        out = []
        for a, b in zip(edges, edges[1:], strict=False):
            wall = b.t - a.t
            if wall <= 0:
                return []
            zero = SchedStat(0, 0, 0)
            run = sum(s.run_ns - a.threads.get(tid, zero).run_ns for tid, s in b.threads.items())
            out.append(max(0.0, run / 1e9 / wall))
        return out


def snapshot(pid: int) -> Snapshot | None:
    """Schedstat of every thread of ``pid``; None once the process is gone."""
    t = time.monotonic()
    try:
        tids = [int(x) for x in os.listdir(f"/proc/{pid}/task")]
    except OSError:
        return None
    threads = {tid: s for tid in tids if (s := read_schedstat(pid, tid)) is not None}
    if not threads:
        return None
    return Snapshot(t, threads, thread_names(pid))


def memory(pid: int) -> tuple[int, int, int]:
    """(RSS, USS, PSS) bytes; USS and PSS are 0 when the kernel will not tell us (another user's
    process), all three 0 once it is gone (``procstat.read_memory``)."""
    reading = read_memory(pid)
    if reading is None:
        return 0, 0, 0
    return reading.rss, reading.uss or 0, reading.pss or 0


@dataclass
class HeadlineWindow:
    """``start()`` ... ``stop()`` around whatever traffic (or none) the caller produces."""

    pids: list[int]
    interval_s: float = 0.25
    workers: dict[int, WorkerWindow] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> HeadlineWindow:
        for pid in self.pids:
            snap = snapshot(pid)
            if snap is not None:
                self.workers[pid] = WorkerWindow(pid, snap, snap, history=[snap])
        self._thread = threading.Thread(target=self._run, name="workeradvisor-schedstat", daemon=True)
        self._thread.start()
        return self

    def _tick(self) -> None:
        for w in self.workers.values():
            if w.died:
                continue
            snap = snapshot(w.pid)
            if snap is None:
                w.died = True
            elif snap.t > w.last.t:  # the closing snapshot may race the sampler thread's: keep the newer
                w.last = snap
                w.history.append(snap)

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self._tick()

    @property
    def any_died(self) -> bool:
        return any(w.died for w in self.workers.values())

    def stop(self) -> dict[int, WorkerWindow]:
        """Close the window: one last snapshot now (memory is read later, by ``read_memory``)."""
        self._stop.set()
        self._tick()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
        return self.workers

    def read_memory(self) -> None:
        """RSS/USS/PSS after the window (reading smaps is slow; keep it outside the window's edges)."""
        for w in self.workers.values():
            if not w.died:
                w.rss_bytes, w.uss_bytes, w.pss_bytes = memory(w.pid)


def _edges(snaps: list[Snapshot], blocks: int) -> list[Snapshot]:
    """``blocks + 1`` snapshots splitting ``snaps`` into about equal sub-windows; [] when there are too few."""
    if len(snaps) < blocks + 1:
        return []
    step = (len(snaps) - 1) / blocks
    return [snaps[round(i * step)] for i in range(blocks + 1)]
