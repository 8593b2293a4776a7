"""Native thread oversubscription from the load test: metrics for the tree and the ``limit-native-threads``
action (registered in ``models/actions.py``; its builder is attached in ``decide/actions.py``).

Why from the load stages and not the 1-CCU profile: oversubscription needs every worker busy at once,
which only the ladder (or the interleaved trials) at several workers does. Of all the stages measured,
the one with the most busy threads is the evidence: it is where the workers' pools met.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from workeradvisor.decide.stages import load_workers, trusted_stages
from workeradvisor.models.decision import Action
from workeradvisor.models.load import LoadResult, StageResult
from workeradvisor.models.threads import BUSY_THREAD_FRACTION, ThreadPressure, thread_pressure

THREAD_METRICS: dict[str, str] = {
    "busy_threads": f"worker threads runnable >= {BUSY_THREAD_FRACTION:.0%} of the stage, summed over the workers, "
                    "at the load stage with the most of them (docs/threads.md)",
    "busy_threads_per_worker": "most busy threads in one worker at that stage",
    "busy_threads_per_core": "busy_threads / cores (above 1: the workers' threads queue for cores)",
    "thread_workers": "worker processes at that stage",
    "thread_runqueue_fraction": "share of the busy threads' runnable time spent waiting for a core (0..1)",
    "native_threads_to_set": "threads per worker that fit: floor(cores / thread_workers), at least 1",
    "background_threads_per_worker": "non-loop threads busy with no traffic (idle profile); taken out of the busy "
                                     "thread counts above: a background thread is idle CPU, not a compute pool",
}


def busiest_stage(loads: tuple[LoadResult, ...]) -> tuple[StageResult, ThreadPressure] | None:
    """The trusted stage (any load, any worker count) with the most busy worker threads."""
    best: tuple[StageResult, ThreadPressure] | None = None
    for load in loads:
        for stage in trusted_stages(load):
            if stage.server is None or not stage.server.threads or not stage.server.native_runtimes:
                continue  # no compute-pool runtime loaded: busy extra threads are Python threads
            workers = [p.pid for p in stage.server.processes if p.role == "worker"]
            pressure = thread_pressure(stage.server.threads, workers)
            if pressure is None or pressure.workers < min(load_workers(load), len(workers)):
                continue
            key = (pressure.busy_threads, pressure.runqueue_fraction)
            if best is None or key > (best[1].busy_threads, best[1].runqueue_fraction):
                best = (stage, pressure)
    return best


def thread_metrics(loads: tuple[LoadResult, ...], cores: float, background: int = 0) -> dict[str, float | None]:
    """``background``: threads per worker busy with no traffic at all (mem0's telemetry thread). They burn a
    core whatever the load, so the idle branch owns them; counting them here would call a Python telemetry
    loop a BLAS pool and advise OMP_NUM_THREADS for it."""
    found = busiest_stage(loads)
    if found is None:
        return {}
    p = found[1]
    busy = max(0, p.busy_threads - background * p.workers)
    return {
        "busy_threads": float(busy),
        "busy_threads_per_worker": float(max(0, p.max_per_worker - background)),
        "busy_threads_per_core": busy / cores if cores > 0 else None,
        "background_threads_per_worker": float(background),
        "thread_workers": float(p.workers),
        "thread_runqueue_fraction": round(p.runqueue_fraction, 4),
        "native_threads_to_set": float(max(1, math.floor(cores / p.workers + 1e-9))),
    }


def limit_native_threads(metrics: Mapping[str, float | None], loads: tuple[LoadResult, ...]) -> Action | None:
    """The setting that fits the workers' compute threads to the cores, with the measured numbers."""
    found = busiest_stage(loads)
    n, cores = metrics.get("native_threads_to_set"), metrics.get("cores")
    if found is None or n is None or cores is None:
        return None
    stage, p = found
    k = int(n)
    where = f"{stage.ccu} CCU" if stage.ccu is not None else f"{stage.rate:g} req/s"
    per_worker = ", ".join(f"worker {pid}: {busy}" for pid, busy in p.per_worker)
    title = (f"Limit native threads: {p.busy_threads} busy threads across {p.workers} workers on {cores:g} cores; "
             f"set OMP_NUM_THREADS={k}")
    fix = (
        f"Set `OMP_NUM_THREADS={k}` in the environment that starts the server (cores / workers = {cores:g} / "
        f"{p.workers}), and the library's own knob where it has one: `OPENBLAS_NUM_THREADS={k}` / "
        f"`MKL_NUM_THREADS={k}` (numpy, scipy), `torch.set_num_threads({k})`, onnxruntime "
        f"`SessionOptions.intra_op_num_threads = {k}`, `TOKENIZERS_PARALLELISM=false`. Each worker's "
        f"BLAS/torch pool starts one thread per core by default; under load at {where} the workers ran "
        f"{p.busy_threads} busy threads ({per_worker}) on {cores:g} cores, and those threads spent "
        f"{p.runqueue_fraction:.0%} of their runnable time waiting for a core. `workeradvisor check` finds the "
        "setting in Dockerfile, compose, Kubernetes, Procfile and code (WA530/WA531)."
    )
    evidence: tuple[tuple[str, float | int | str | None], ...] = (
        ("busy_threads", p.busy_threads), ("thread_workers", p.workers), ("cores", cores),
        ("busy_threads_per_worker", p.max_per_worker),
        ("thread_runqueue_fraction", round(p.runqueue_fraction, 3)),
        ("busy_threads_cpu_percent", p.cpu_percent), ("busy_threads_wait_percent", p.wait_percent),
        ("stage", where), ("native_threads_to_set", k),
    )
    return Action("limit-native-threads", title, evidence, (), fix)
