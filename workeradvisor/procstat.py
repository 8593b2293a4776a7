"""psutil and /proc readers shared by ``load`` (server CPU/RSS while a stage runs) and ``profile``.

Why /proc schedstat: ``/proc/<pid>/task/<tid>/schedstat`` gives a thread's on-CPU time and its
time waiting on the run queue in nanoseconds, with no ptrace and no overhead in the target.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from dataclasses import dataclass

import psutil

from workeradvisor.models.load import ProcessSample, ServerMetrics


@dataclass(frozen=True)
class SchedStat:
    run_ns: int  # time spent on the CPU
    wait_ns: int  # time spent runnable, waiting on a run queue
    slices: int  # timeslices run


def read_schedstat(pid: int, tid: int | None = None) -> SchedStat | None:
    """The thread's (or process's main thread's) schedstat; None when gone or unavailable."""
    path = f"/proc/{pid}/task/{tid or pid}/schedstat"
    try:
        with open(path) as fh:
            run, wait, slices = fh.read().split()[:3]
    except (OSError, ValueError):
        return None
    return SchedStat(int(run), int(wait), int(slices))


def thread_names(pid: int) -> dict[int, str]:
    """tid -> thread name (``/proc/<pid>/task/<tid>/comm``, what ``threading.Thread(name=...)`` sets
    on Linux when Python names the OS thread; otherwise the process name)."""
    names: dict[int, str] = {}
    with contextlib.suppress(OSError):
        for entry in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError), open(f"/proc/{pid}/task/{entry}/comm") as fh:
                names[int(entry)] = fh.read().strip()
    return names


def worker_pids(root_pid: int) -> list[int]:
    """uvicorn/gunicorn workers are the supervisor's Python children (multiprocessing spawn children,
    so their command line does not say "uvicorn"), less multiprocessing's resource tracker. A
    single-process server is its own worker."""
    try:
        kids = psutil.Process(root_pid).children(recursive=False)
    except psutil.Error:
        return []
    workers = []
    for k in kids:
        with contextlib.suppress(psutil.Error):
            is_python = "python" in os.path.basename(k.exe()).lower() or "python" in k.name().lower()
            if is_python and not any("resource_tracker" in part for part in k.cmdline()):
                workers.append(k.pid)
    return sorted(workers) or [root_pid]


def server_pids(root_pid: int) -> list[tuple[int, str]]:
    """(pid, role) for a server: the root and, when it has Python children, those as workers."""
    if not psutil.pid_exists(root_pid):
        return []
    workers = worker_pids(root_pid)
    if workers == [root_pid]:
        return [(root_pid, "worker")]
    return [(root_pid, "supervisor")] + [(w, "worker") for w in workers]


class ProcessSampler:
    """Samples CPU and RSS of a server (its root PID and worker children) in a background thread.

    CPU% is (cpu seconds delta) / (wall delta) * 100 per process, so 100 = one core. RSS is the
    peak seen. Workers that appear after ``start`` are picked up at the next sample.
    """

    def __init__(self, root_pid: int, interval_s: float = 0.25) -> None:
        self.root_pid = root_pid
        self.interval_s = interval_s
        self._first_cpu: dict[int, float] = {}
        self._last_cpu: dict[int, float] = {}
        self._peak_rss: dict[int, int] = {}
        self._roles: dict[int, str] = {}
        self._t0 = 0.0
        self._t1 = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        from workeradvisor.threadstat import ThreadTracker  # here: threadstat reads schedstat through this module

        self._threads = ThreadTracker()  # per-thread CPU and run-queue wait of the workers

    def _sample(self) -> None:
        for pid, role in server_pids(self.root_pid):
            try:
                p = psutil.Process(pid)
                with p.oneshot():
                    ct = p.cpu_times()
                    rss = p.memory_info().rss
            except psutil.Error:
                continue
            cpu = ct.user + ct.system
            self._roles[pid] = role
            self._first_cpu.setdefault(pid, cpu)
            self._last_cpu[pid] = cpu
            self._peak_rss[pid] = max(rss, self._peak_rss.get(pid, 0))
            if role == "worker":
                self._threads.observe(pid)
        self._t1 = time.monotonic()

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self._sample()

    def start(self) -> ProcessSampler:
        self._t0 = time.monotonic()
        self._sample()
        self._thread = threading.Thread(target=self._run, name="workeradvisor-sampler", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> ServerMetrics:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
        self._sample()
        wall = max(self._t1 - self._t0, 1e-9)
        samples = tuple(
            ProcessSample(
                pid=pid,
                role=self._roles[pid],
                cpu_percent=round((self._last_cpu[pid] - self._first_cpu[pid]) / wall * 100.0, 2),
                rss_bytes=self._peak_rss[pid],
            )
            for pid in sorted(self._roles)
        )
        return ServerMetrics(
            processes=samples,
            total_cpu_percent=round(sum(s.cpu_percent for s in samples), 2),
            total_rss_bytes=sum(s.rss_bytes for s in samples),
            threads=self._threads.samples(),
        )


def host_cpu_times() -> tuple[float, float]:
    """(idle seconds, total seconds) across all cores, for host idle % over a window."""
    t = psutil.cpu_times()
    idle = t.idle + getattr(t, "iowait", 0.0)
    return idle, sum(t)
