"""Reading load stages: which to trust, CPU per worker, error rates, and the worker comparison."""

from __future__ import annotations

from workeradvisor.models.decision import CompareRow
from workeradvisor.models.load import LoadResult, StageResult


def load_workers(load: LoadResult) -> int:
    """Server workers for a load run (``LoadResult.server_workers``, the one definition)."""
    return load.server_workers


def trusted_stages(load: LoadResult) -> list[StageResult]:
    """Stages whose numbers describe the server: not generator-bound, not cut short.

    Falls back to every stage when none qualifies (the confidence says so)."""
    good = [s for s in load.stages if not s.generator_bound and not s.partial]
    chosen = good or list(load.stages)
    return sorted(chosen, key=lambda s: (s.ccu if s.ccu is not None else 0, s.rate or 0.0))


def stage_worker_cpu(stage: StageResult, workers: int) -> float | None:
    """Mean server CPU per worker over the stage (100 = one core); None without server metrics."""
    if stage.server is None:
        return None
    worker_cpu = [p.cpu_percent for p in stage.server.processes if p.role == "worker"]
    total = sum(worker_cpu) if worker_cpu else stage.server.total_cpu_percent
    return total / max(1, workers)


def stage_loop_wait(stage: StageResult, workers: int) -> float:
    """Mean run-queue wait of the workers' event-loop threads over the stage (100 = one core); 0 unknown.

    The loop runs on each worker's main thread (tid == pid). Its wait is CPU the requests asked for
    and did not get: on a busy host a saturated loop reads 75% CPU and 22% waiting."""
    if stage.server is None:
        return 0.0
    worker_pids = {p.pid for p in stage.server.processes if p.role == "worker"}
    waits = [t.wait_percent for t in stage.server.threads if t.tid == t.pid and t.pid in worker_pids]
    return sum(waits) / max(1, workers) if waits else 0.0


def stage_worker_rss(stage: StageResult) -> int | None:
    if stage.server is None:
        return None
    rss = [p.rss_bytes for p in stage.server.processes if p.role == "worker"]
    return max(rss) if rss else None


def by_workers(loads: tuple[LoadResult, ...]) -> dict[int, LoadResult]:
    """One load result per worker count (the last one wins on duplicates), ascending."""
    out: dict[int, LoadResult] = {}
    for load in loads:
        out[load_workers(load)] = load
    return dict(sorted(out.items()))


def _rps_at(load: LoadResult, ccu: int | None) -> float | None:
    for s in trusted_stages(load):
        if s.ccu == ccu:
            return s.rps
    return None


def common_ccu(loads: tuple[LoadResult, ...]) -> int | None:
    """The highest CCU every run measured in a trusted stage."""
    sets = [{s.ccu for s in trusted_stages(x) if s.ccu is not None} for x in loads]
    common = set.intersection(*sets) if sets else set()
    return max(common) if common else None


def compare_gain(loads: tuple[LoadResult, ...]) -> tuple[float | None, int | None]:
    """(RPS gain of the best worker count over the fewest, that worker count).

    Compared at the highest CCU all runs share; without one, at each run's peak trusted RPS."""
    runs = by_workers(loads)
    if len(runs) < 2:
        return None, None
    ccu = common_ccu(tuple(runs.values()))
    rps: dict[int, float] = {}
    for w, load in runs.items():
        value = _rps_at(load, ccu) if ccu is not None else max((s.rps for s in trusted_stages(load)), default=None)
        if value is not None:
            rps[w] = value
    base_w = min(runs)
    if base_w not in rps or rps[base_w] <= 0 or len(rps) < 2:
        return None, None
    best_w = max(rps, key=lambda w: (rps[w], -w))
    return rps[best_w] / rps[base_w] - 1.0, best_w


def _stage_at(load: LoadResult, ccu: int | None) -> StageResult | None:
    stages = trusted_stages(load)
    if ccu is None:
        return max(stages, key=lambda s: s.rps, default=None)
    return next((s for s in stages if s.ccu == ccu), None)


def compare_rows(loads: tuple[LoadResult, ...], gain_min: float) -> tuple[CompareRow, ...]:
    """The seed's decision matrix (workers, RPS, p99, CPU%, memory) with the > gain_min rule applied."""
    runs = by_workers(loads)
    if len(runs) < 2:
        return ()
    ccu = common_ccu(tuple(runs.values()))
    rows: list[CompareRow] = []
    base: float | None = None
    for w, load in runs.items():
        s = _stage_at(load, ccu)
        if s is None:
            continue
        gain = None if base is None or base <= 0 else s.rps / base - 1.0
        base = s.rps if base is None else base
        cpu = s.server.total_cpu_percent if s.server else None
        mem = s.server.total_rss_bytes if s.server else None
        pss = s.server.total_pss_bytes if s.server else None
        passes = None if gain is None else gain > gain_min
        rows.append(CompareRow(w, ccu, s.rps, s.latency_ms.p99, cpu, mem, gain, passes, pss))
    return tuple(rows)
