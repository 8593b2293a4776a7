"""``profile``'s note on native thread oversubscription, from the headline window's per-thread schedstat."""

from __future__ import annotations

from workeradvisor.procstat import SchedStat
from workeradvisor.profile.threads import oversubscription_note, window_samples
from workeradvisor.profile.window import Snapshot, WorkerWindow

S = 1_000_000_000  # ns


def _window(pid: int, threads: dict[int, tuple[float, float]]) -> WorkerWindow:
    """A 2 s window where each thread ran/waited the given seconds."""
    first = Snapshot(0.0, {tid: SchedStat(0, 0, 0) for tid in threads}, {tid: "python" for tid in threads})
    last = Snapshot(2.0, {tid: SchedStat(int(r * S), int(w * S), 10) for tid, (r, w) in threads.items()},
                    first.names)
    return WorkerWindow(pid, first, last)


def test_two_workers_with_two_busy_threads_each_on_two_cores_get_the_note() -> None:
    windows = {10: _window(10, {10: (0.8, 0.9), 11: (0.6, 0.8)}), 20: _window(20, {20: (0.8, 0.9), 21: (0.7, 0.6)})}
    assert [round(s.cpu_percent) for s in window_samples(windows)] == [40, 30, 40, 35]
    note = oversubscription_note(windows, [10, 20], 2.0)
    assert note is not None and note.startswith("4 busy threads") and "worker 10: 2, worker 20: 2" in note
    assert oversubscription_note(windows, [10, 20], 4.0) is None  # the same threads fit 4 cores


def test_one_busy_thread_per_worker_is_no_native_pool() -> None:
    windows = {pid: _window(pid, {pid: (1.0, 0.9), pid + 1: (0.01, 0.0)}) for pid in (10, 20, 30)}
    assert oversubscription_note(windows, [10, 20, 30], 2.0) is None
