"""Native thread oversubscription in the tree: busy worker threads vs cores, the action and its numbers."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests import decide_factories as f
from workeradvisor.decide.engine import decide
from workeradvisor.decide.threads import thread_metrics
from workeradvisor.models.load import LoadResult, ServerMetrics
from workeradvisor.models.readers import load_from_dict
from workeradvisor.models.threads import ThreadSample, thread_pressure
from workeradvisor.report import load_json
from workeradvisor.threadstat import ThreadTracker


def _with_threads(load: LoadResult, per_worker: list[list[tuple[float, float]]],
                  runtimes: tuple[str, ...] = ("openblas",)) -> LoadResult:
    """Give every stage's workers threads with (cpu%, wait%) each, and the runtimes mapped in them."""
    stages = []
    for st in load.stages:
        assert st.server is not None
        pids = [p.pid for p in st.server.processes]
        threads = tuple(ThreadSample(pid, pid + k, "python", cpu, wait)
                        for pid, spec in zip(pids, per_worker, strict=True) for k, (cpu, wait) in enumerate(spec))
        stages.append(replace(st, server=replace(st.server, threads=threads, native_runtimes=runtimes)))
    return replace(load, stages=tuple(stages))


def _two_workers(per_worker: list[list[tuple[float, float]]]) -> LoadResult:
    return _with_threads(f.ladder(workers=2, cpu=(120, 180, 190)), per_worker)


OVER = [[(45.0, 40.0), (30.0, 45.0)], [(45.0, 40.0), (28.0, 44.0)]]  # OPENBLAS_NUM_THREADS=2 x 2 workers
FIT = [[(80.0, 10.0), (0.5, 0.2)], [(82.0, 9.0)]]  # one busy thread per worker


def test_pressure_counts_threads_runnable_a_quarter_of_the_window() -> None:
    samples = [ThreadSample(1, 1, "python", 10.0, 20.0), ThreadSample(1, 2, "python", 5.0, 5.0),
               ThreadSample(2, 3, "python", 20.0, 60.0), ThreadSample(9, 9, "other", 90.0, 0.0)]
    p = thread_pressure(samples, [1, 2])
    assert p is not None
    assert (p.workers, p.busy_threads, p.per_worker) == (2, 2, ((1, 1), (2, 1)))
    assert round(p.runqueue_fraction, 3) == round(80 / 110, 3)


def test_oversubscribed_workers_get_the_action_with_the_numbers() -> None:
    rec = decide(f.scan(), f.profile(cpu_ratio=0.6), (_two_workers(OVER),), f.env(cores=2))
    act = next(a for a in rec.actions if a.kind == "limit-native-threads")
    ev = dict(act.evidence)
    assert (ev["busy_threads"], ev["thread_workers"], ev["cores"], ev["native_threads_to_set"]) == (4, 2, 2.0, 1)
    assert act.title.startswith("Limit native threads: 4 busy threads across 2 workers on 2 cores")
    assert "OMP_NUM_THREADS=1" in act.fix and "worker 2000: 2, worker 2001: 2" in act.fix
    assert act.first  # the ladder's numbers are distorted until the pools fit: fix before scaling
    assert any(s.node == "native_threads" and "more busy threads than cores" in s.label for s in rec.path)


def test_threads_that_fit_the_cores_or_more_cores_give_no_action() -> None:
    for loads, cores in (((_two_workers(FIT),), 2.0), ((_two_workers(OVER),), 4.0), ((f.ladder(workers=2),), 2.0)):
        rec = decide(f.scan(), f.profile(cpu_ratio=0.6), loads, f.env(cores=cores))
        assert "limit-native-threads" not in [a.kind for a in rec.actions]


def test_many_single_threaded_workers_are_not_native_threads() -> None:
    """4 workers x 1 busy loop on 2 cores is too many workers (WA501/the tree), not a thread pool to limit."""
    load = _with_threads(f.ladder(workers=4), [[(45.0, 45.0)]] * 4)
    m = thread_metrics((load,), 2.0)
    assert m["busy_threads"] == 4 and m["busy_threads_per_worker"] == 1
    rec = decide(f.scan(), f.profile(cpu_ratio=0.6), (load,), f.env(cores=2))
    assert "limit-native-threads" not in [a.kind for a in rec.actions]


def test_thread_samples_round_trip_through_the_load_json() -> None:
    load = _two_workers(OVER)
    back = load_from_dict(load_json.to_dict(load))
    assert back.stages[0].server is not None and back.stages[0].server.threads == load.stages[0].server.threads
    assert ServerMetrics((), 0.0, 0).threads == ()


def test_tracker_reads_this_process_threads() -> None:
    import os
    import time

    tracker = ThreadTracker()
    tracker.observe(os.getpid())
    end = time.monotonic() + 0.3
    while time.monotonic() < end:  # this thread is on a CPU the whole window
        pass
    tracker.observe(os.getpid())
    mine = [s for s in tracker.samples() if s.tid == os.getpid()]
    assert mine and mine[0].busy_fraction > 0.5


def test_a_background_thread_busy_with_no_traffic_is_not_a_compute_pool() -> None:
    """mem0's telemetry thread: busy at idle and under load, beside the loop, in each of 2 workers on 2 cores.
    Same schedstat figures as a BLAS pool, but the idle profile already saw it: the idle branch owns it."""
    telemetry = f.profile(cpu_ratio=0.6, idle_cpu=56.0, culprits=(("mem0-telemetry", 56.0),))
    m = thread_metrics((_two_workers(OVER),), 2.0, background=1)
    assert (m["busy_threads"], m["busy_threads_per_worker"], m["background_threads_per_worker"]) == (2, 1, 1)
    rec = decide(f.scan(), telemetry, (_two_workers(OVER),), f.env(cores=2))
    assert "limit-native-threads" not in [a.kind for a in rec.actions]
    quiet = f.profile(cpu_ratio=0.6, culprits=(("python", 5.0),))  # a culprit under the busy line: still a pool
    assert "limit-native-threads" in [a.kind for a in decide(f.scan(), quiet, (_two_workers(OVER),),
                                                                   f.env(cores=2)).actions]


def test_busy_threads_without_a_compute_runtime_loaded_are_python_threads() -> None:
    """The same schedstat figures in workers that map no OpenBLAS/MKL/OpenMP/torch/onnxruntime: anyio's pool or
    a telemetry loop, which OMP_NUM_THREADS cannot limit. No action, the node says not measured."""
    load = _with_threads(f.ladder(workers=2, cpu=(120, 180, 190)), OVER, runtimes=())
    assert thread_metrics((load,), 2.0) == {}
    rec = decide(f.scan(), f.profile(cpu_ratio=0.6), (load,), f.env(cores=2))
    assert "limit-native-threads" not in [a.kind for a in rec.actions]


def test_native_runtimes_are_read_from_the_memory_map() -> None:
    import os

    from workeradvisor.threadstat import native_runtimes

    np = pytest.importorskip("numpy")  # in the test extras: its wheel bundles OpenBLAS
    np.dot(np.ones((64, 64)), np.ones((64, 64)))
    assert "openblas" in native_runtimes(os.getpid())
    assert native_runtimes(2**22 + 12345) == set()  # gone: nothing, no error
