"""The "memory per worker" section of the analysis reports (text and markdown): RSS, USS, PSS and shared.

Why a section of its own: the worker count a box can hold is a memory question as much as a CPU one,
and RSS answers it wrongly. Every worker's RSS counts the pages it shares (libraries; with gunicorn
``--preload`` the app's import-time memory, shared copy-on-write with the master) in full, so adding
RSS up overstates N workers. USS is what one more worker adds; PSS splits shared pages among the
processes that map them and adds up to the true total. Rendered only from measured figures: a run
without PSS (an import, an old JSON, smaps not readable) shows no section.
"""

from __future__ import annotations

from workeradvisor.models.decision import MIB, Analysis, Capacity, Environment
from workeradvisor.models.load import LoadResult, ProcessSample, StageResult

MEMORY_HEADERS = ("workers", "process", "pid", "RSS MiB", "USS MiB", "PSS MiB", "shared MiB")


def _mib(n: int | None) -> str:
    return "-" if n is None else f"{n / MIB:,.0f}"


def memory_stage(load: LoadResult) -> StageResult | None:
    """The run's highest trusted stage (highest CCU, not generator-bound or partial) that has PSS."""
    stages = [s for s in load.stages if s.server is not None and any(p.pss_bytes for p in s.server.processes)]
    good = [s for s in stages if not s.generator_bound and not s.partial] or stages
    return max(good, key=lambda s: (s.ccu or 0, s.rate or 0.0), default=None)


def _runs(analysis: Analysis) -> list[tuple[int, StageResult]]:
    """(workers, stage) per worker count measured, ladders before interleaved trials (one per count)."""
    out: dict[int, StageResult] = {}
    for load in sorted(analysis.load, key=lambda x: x.source == "trials"):
        stage = memory_stage(load)
        if stage is not None:
            out.setdefault(load.server_workers, stage)
    return sorted(out.items())


def _row(workers: int, p: ProcessSample) -> list[str]:
    return [str(workers), p.role, str(p.pid), _mib(p.rss_bytes), _mib(p.uss_bytes), _mib(p.pss_bytes),
            _mib(p.shared_bytes)]


def memory_rows(analysis: Analysis) -> list[list[str]]:
    """One row per server process of each worker count's memory stage (supervisor first)."""
    rows = []
    for workers, stage in _runs(analysis):
        assert stage.server is not None
        procs = sorted(stage.server.processes, key=lambda p: (p.role != "supervisor", p.pid))
        rows += [_row(workers, p) for p in procs]
    return rows


def _fit_line(cap: Capacity, env: Environment, headroom: float | None) -> str | None:
    if cap.memory_basis != "pss" or cap.memory_fit_workers is None or not cap.per_worker_pss_bytes:
        return None
    sup = f"{_mib(cap.supervisor_pss_bytes)} MiB supervisor + " if cap.supervisor_pss_bytes else ""
    room = f" x {1 + headroom:g}" if headroom is not None else " with headroom"
    return (f"memory fit (PSS): ({sup}N x {_mib(cap.per_worker_pss_bytes)} MiB){room} <= "
            f"{env.memory_bytes / MIB:,.0f} MiB ({env.memory_source}): up to {cap.memory_fit_workers} worker(s)")


def _sharing_line(analysis: Analysis, cap: Capacity) -> str | None:
    deploy = analysis.deploy
    shared = cap.per_worker_shared_bytes
    if deploy is None or deploy.mode != "gunicorn" or shared is None:
        return None
    if deploy.preload:
        return (f"gunicorn --preload: the app was imported once in the master and the workers forked from it; "
                f"each worker shares {_mib(shared)} MiB with the others (RSS - USS, copy-on-write). Pages "
                "Python writes after the fork (reference counts, the GC's object headers) are copied back into "
                "each worker's USS; gc.freeze() after the imports keeps more of them shared")
    return (f"without --preload each gunicorn worker imports the app itself, so its import-time memory is in each "
            f"worker's USS ({_mib(cap.per_worker_uss_bytes)} MiB here); --preload would share the part Python does "
            "not write to afterwards: measure it with --preload")


def memory_lines(analysis: Analysis) -> list[str]:
    """The sentences under the table: what each extra worker costs, the fit, copy-on-write sharing."""
    rec = analysis.recommendation
    cap = rec.capacity if rec is not None else None
    if cap is None or cap.memory_basis != "pss" or not cap.per_worker_pss_bytes:
        return []
    out = []
    if cap.per_worker_uss_bytes is not None:
        out.append(f"each extra worker costs about {_mib(cap.per_worker_uss_bytes)} MiB of its own (USS); its PSS "
                   f"{_mib(cap.per_worker_pss_bytes)} MiB adds its share of {_mib(cap.per_worker_shared_bytes)} "
                   f"MiB it shares with other processes, which its RSS ({_mib(cap.per_worker_rss_bytes)} MiB, the "
                   "largest seen) counts in full")
    fit = _fit_line(cap, analysis.environment, rec.threshold("memory_headroom") if rec else None)
    out += [line for line in (fit, _sharing_line(analysis, cap)) if line]
    notes = {s.server.memory_note for x in analysis.load for s in x.stages if s.server and s.server.memory_note}
    return out + sorted(notes)
