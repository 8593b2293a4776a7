"""Busy threads of the profiled workers over the headline window: the ``profile`` command's view of
native thread oversubscription (``analyze`` reads the same per-thread figures from its load stages).

Why a note and not a verdict: ``profile`` often runs at 1 CCU against one worker, where the pools
never meet; when it watches several busy workers, more busy threads than cores, queueing, is worth
saying with the numbers, and ``analyze`` decides.
"""

from __future__ import annotations

from collections.abc import Mapping

from workeradvisor.models.threads import BUSY_THREAD_FRACTION, ThreadSample, thread_pressure
from workeradvisor.profile.window import WorkerWindow


def window_samples(windows: Mapping[int, WorkerWindow]) -> tuple[ThreadSample, ...]:
    """Each worker thread's CPU and run-queue wait over its window (100 = one core)."""
    out = []
    for pid, w in sorted(windows.items()):
        for d in w.deltas():
            out.append(ThreadSample(pid, d.tid, d.name, round(d.run_s / w.wall_s * 100.0, 2),
                                    round(d.wait_s / w.wall_s * 100.0, 2)))
    return tuple(out)


def oversubscription_note(windows: Mapping[int, WorkerWindow], workers: list[int], cores: float) -> str | None:
    """A note when the workers ran more busy threads than cores, more than one in some worker."""
    p = thread_pressure(window_samples(windows), workers)
    if p is None or p.busy_threads <= cores or p.max_per_worker < 2:
        return None
    per_worker = ", ".join(f"worker {pid}: {n}" for pid, n in p.per_worker)
    return (f"{p.busy_threads} busy threads (runnable >= {BUSY_THREAD_FRACTION:.0%} of the window) across "
            f"{p.workers} worker(s) on {cores:g} cores ({per_worker}); they waited for a core "
            f"{p.runqueue_fraction:.0%} of their runnable time: native thread pools (BLAS, torch, onnxruntime) "
            f"likely oversubscribe the cores; OMP_NUM_THREADS = cores / workers (docs/threads.md)")
