"""Per-thread CPU of a server's workers under load: the evidence for native thread oversubscription.

Why per thread and not per process: a worker at 200% CPU may be one loop plus one BLAS thread or
eight BLAS threads each queueing for a core. ``/proc/<pid>/task/<tid>/schedstat`` gives each thread's
on-CPU time and its time runnable but waiting on a run queue; their sum over the window is how much
of a core the thread wanted. Threads that wanted a core most of the time, summed over the workers
and compared with the cores, say whether the workers' compute threads fit the machine.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

# A thread is "busy" when it was on a CPU or runnable for at least this share of the window. Demand,
# not CPU obtained: on a contended host a BLAS thread gets little CPU but is runnable all the time.
BUSY_THREAD_FRACTION = 0.25


@dataclass(frozen=True)
class ThreadSample:
    """One worker thread over a measured window (100 = one core, like the process figures)."""

    pid: int
    tid: int
    name: str
    cpu_percent: float  # on a CPU
    wait_percent: float  # runnable, waiting on a run queue

    @property
    def busy_fraction(self) -> float:
        return (self.cpu_percent + self.wait_percent) / 100.0

    @property
    def busy(self) -> bool:
        return self.busy_fraction >= BUSY_THREAD_FRACTION


@dataclass(frozen=True)
class ThreadPressure:
    """The busy threads of a server's workers over one window, and how long they queued."""

    workers: int  # worker processes seen
    busy_threads: int  # across all workers
    per_worker: tuple[tuple[int, int], ...]  # (pid, busy threads), by pid
    cpu_percent: float  # the busy threads' CPU, summed
    wait_percent: float  # their run-queue wait, summed
    busy_names: tuple[str, ...] = ()  # distinct names of the busy threads (OpenBLAS's are the process's)

    @property
    def max_per_worker(self) -> int:
        return max((n for _, n in self.per_worker), default=0)

    @property
    def runqueue_fraction(self) -> float:
        """Share of the busy threads' runnable time spent waiting for a core (0..1)."""
        total = self.cpu_percent + self.wait_percent
        return self.wait_percent / total if total > 0 else 0.0


def thread_pressure(samples: Iterable[ThreadSample], worker_pids: Iterable[int]) -> ThreadPressure | None:
    """Summarise ``samples`` for the given workers; None when no thread of theirs was sampled."""
    pids = sorted(set(worker_pids))
    mine = [s for s in samples if s.pid in pids]
    if not mine:
        return None
    busy = [s for s in mine if s.busy]
    counts: dict[int, int] = defaultdict(int)
    for s in busy:
        counts[s.pid] += 1
    return ThreadPressure(
        workers=len({s.pid for s in mine}),
        busy_threads=len(busy),
        per_worker=tuple((pid, counts.get(pid, 0)) for pid in pids if any(s.pid == pid for s in mine)),
        cpu_percent=round(sum(s.cpu_percent for s in busy), 2),
        wait_percent=round(sum(s.wait_percent for s in busy), 2),
        busy_names=tuple(sorted({s.name for s in busy})),
    )
