"""psutil and /proc readers shared by ``load`` (server CPU/memory while a stage runs) and ``profile``.

Why /proc schedstat: ``/proc/<pid>/task/<tid>/schedstat`` gives a thread's on-CPU time and its
time waiting on the run queue in nanoseconds, with no ptrace and no overhead in the target.

Why USS/PSS are sampled apart from CPU/RSS: they come from ``/proc/<pid>/smaps_rollup``
(psutil's ``memory_full_info``), which walks the process's page tables (a few ms for a 100 MiB
worker, against microseconds for ``statm``), so they are read about once a second and at the end
of a window, not at every CPU tick.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from dataclasses import dataclass

import psutil

from workeradvisor.models.load import ProcessSample, ServerMetrics

FULL_MEMORY_INTERVAL_S = 1.0  # smaps_rollup is slow next to statm: USS/PSS at most this often per process


@dataclass(frozen=True)
class MemoryReading:
    """One process's memory at one instant; ``uss``/``pss`` are None when smaps is not readable."""

    rss: int
    uss: int | None = None
    pss: int | None = None

    @property
    def shared(self) -> int | None:
        """Pages this process shares with others (libraries, copy-on-write after fork): RSS - USS."""
        return max(0, self.rss - self.uss) if self.uss is not None else None


def read_memory(pid: int) -> MemoryReading | None:
    """RSS, USS and PSS of ``pid``; RSS only when smaps is denied (another user's process without
    CAP_SYS_PTRACE); None once the process is gone. Never raises."""
    try:
        proc = psutil.Process(pid)
        try:
            full = proc.memory_full_info()
            return MemoryReading(int(full.rss), int(full.uss), int(full.pss))
        except psutil.AccessDenied:
            return MemoryReading(int(proc.memory_info().rss))
    except psutil.Error:  # NoSuchProcess, ZombieProcess, or AccessDenied on statm too
        return None
    except (OSError, ValueError, AttributeError):  # a malformed or vanishing smaps on an odd kernel
        return None


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
    """Samples CPU and memory of a server (its root PID and worker children) in a background thread.

    CPU% is (cpu seconds delta) / (wall delta) * 100 per process, so 100 = one core. RSS is the
    peak seen; USS/PSS are read every ``full_interval_s`` and at ``stop`` (the reading with the
    highest PSS is kept). Workers that appear after ``start`` are picked up at the next sample.
    """

    def __init__(self, root_pid: int, interval_s: float = 0.25,
                 full_interval_s: float = FULL_MEMORY_INTERVAL_S) -> None:
        self.root_pid = root_pid
        self.interval_s = interval_s
        self.full_interval_s = full_interval_s
        self._first_cpu: dict[int, float] = {}
        self._last_cpu: dict[int, float] = {}
        self._peak_rss: dict[int, int] = {}
        self._full: dict[int, MemoryReading] = {}  # the reading with the highest PSS, per pid
        self._full_at = float("-inf")
        self._denied: set[int] = set()  # smaps not readable: RSS only
        self._roles: dict[int, str] = {}
        self._t0 = 0.0
        self._t1 = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        from workeradvisor.threadstat import ThreadTracker  # here: threadstat reads schedstat through this module

        self._threads = ThreadTracker()  # per-thread CPU and run-queue wait of the workers

    def _sample(self, final: bool = False) -> None:
        now = time.monotonic()
        full = final or now - self._full_at >= self.full_interval_s
        if full:
            self._full_at = now
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
            if full:
                self._read_full(pid)
        self._t1 = time.monotonic()

    def _read_full(self, pid: int) -> None:
        reading = read_memory(pid)
        if reading is None:
            return
        if reading.pss is None:
            self._denied.add(pid)
            return
        best = self._full.get(pid)
        if best is None or (best.pss or 0) < reading.pss:
            self._full[pid] = reading

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
        self._sample(final=True)
        wall = max(self._t1 - self._t0, 1e-9)
        samples = tuple(self._process(pid, wall) for pid in sorted(self._roles))
        pss = [s.pss_bytes for s in samples]
        return ServerMetrics(
            processes=samples,
            total_cpu_percent=round(sum(s.cpu_percent for s in samples), 2),
            total_rss_bytes=sum(s.rss_bytes for s in samples),
            total_pss_bytes=sum(p for p in pss if p is not None) if samples and None not in pss else None,
            memory_note=self._memory_note(samples),
            threads=self._threads.samples(),
            native_runtimes=self._threads.runtimes(),
        )

    def _process(self, pid: int, wall: float) -> ProcessSample:
        full = self._full.get(pid)
        return ProcessSample(
            pid=pid,
            role=self._roles[pid],
            cpu_percent=round((self._last_cpu[pid] - self._first_cpu[pid]) / wall * 100.0, 2),
            rss_bytes=self._peak_rss[pid],
            uss_bytes=full.uss if full else None,
            pss_bytes=full.pss if full else None,
            shared_bytes=full.shared if full else None,
        )

    def _memory_note(self, samples: tuple[ProcessSample, ...]) -> str:
        missing = [s.pid for s in samples if s.pss_bytes is None]
        if not missing:
            return ""
        why = ("smaps not readable (another user's process: run as that user or with CAP_SYS_PTRACE)"
               if self._denied & set(missing) else "the process was gone before its smaps could be read")
        return f"USS/PSS unknown for pid {', '.join(map(str, missing))}: {why}; RSS only"


def host_cpu_times() -> tuple[float, float]:
    """(idle seconds, total seconds) across all cores, for host idle % over a window."""
    t = psutil.cpu_times()
    idle = t.idle + getattr(t, "iowait", 0.0)
    return idle, sum(t)
