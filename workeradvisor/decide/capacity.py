"""Capacity model (utilization law), worker choice within the tree's range, memory and thread pool fit.

One worker's event loop saturates near 1 / (CPU seconds per request). To serve a target rate at
a target utilization U (default 0.8), workers needed = ceil(target RPS x CPU per request / U).
Workers never exceed the cores the process really has; past that, the answer is more replicas.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from workeradvisor.decide.metrics import DecideOptions, primary_load
from workeradvisor.decide.stages import by_workers, load_workers, stage_worker_cpu, stage_worker_rss, trusted_stages
from workeradvisor.models.decision import Capacity, CapacityRow, Environment
from workeradvisor.models.load import LoadResult
from workeradvisor.models.profile import ProfileResult

THREAD_HEADROOM = 1.25  # total_tokens = ceil(threads needed at the target CCU x this)


def cpu_per_request(profile: ProfileResult | None, loads: tuple[LoadResult, ...]) -> tuple[float | None, str]:
    """Loop CPU per request from the profile; else worker CPU / RPS at the primary load peak."""
    if profile is not None and profile.per_request and profile.per_request.loop_cpu_s_per_request > 0:
        return profile.per_request.loop_cpu_s_per_request, "profile (loop thread)"
    load = primary_load(loads)
    if load is None or not load.stages:
        return None, ""
    peak = trusted_stages(load)[-1]
    workers = load_workers(load)
    cpu = stage_worker_cpu(peak, workers)
    if cpu is None or peak.rps <= 0:
        return None, ""
    return cpu * workers / 100.0 / peak.rps, "load (server CPU / RPS)"


def per_worker_rss(profile: ProfileResult | None, loads: tuple[LoadResult, ...]) -> int | None:
    """The largest worker RSS seen: under load if measured (it grows), else from the profile."""
    seen = [r for x in loads for s in x.stages if (r := stage_worker_rss(s))]
    if profile is not None:
        seen += [w.rss_bytes for w in profile.workers if w.rss_bytes]
    return max(seen) if seen else None


@dataclass(frozen=True)
class WorkerMemory:
    """The worker reading with the highest PSS (under load or profiled) and the largest supervisor PSS."""

    pss: int
    uss: int | None
    shared: int | None
    supervisor_pss: int | None


def per_worker_memory(profile: ProfileResult | None, loads: tuple[LoadResult, ...]) -> WorkerMemory | None:
    """PSS rather than RSS: RSS counts every shared page (libraries, the app's import-time memory
    shared copy-on-write under gunicorn ``--preload``) in full in every worker, so N x RSS
    overstates N workers; PSS splits each shared page among the processes mapping it. The largest
    reading is kept (measured with the fewest workers it holds the largest share: conservative)."""
    readings: list[tuple[int, int | None, int | None]] = []
    supervisors: list[int] = []
    for p in (p for x in loads for s in x.stages if s.server is not None for p in s.server.processes):
        if p.pss_bytes and p.role == "worker":
            readings.append((p.pss_bytes, p.uss_bytes, p.shared_bytes))
        elif p.pss_bytes:
            supervisors.append(p.pss_bytes)
    if profile is not None:
        readings += [(w.pss_bytes, w.uss_bytes or None, max(0, w.rss_bytes - w.uss_bytes) if w.uss_bytes else None)
                     for w in profile.workers if w.pss_bytes]
    if not readings:
        return None
    pss, uss, shared = max(readings, key=lambda r: r[0])
    return WorkerMemory(pss, uss, shared, max(supervisors) if supervisors else None)


def memory_fit(memory_bytes: int, headroom: float, rss: int | None, mem: WorkerMemory | None) -> int | None:
    """Workers that fit ``memory_bytes`` with ``headroom``: (supervisor PSS + N x worker PSS) x
    (1 + headroom) <= memory (PSS adds up to the true total); N x RSS x (1 + headroom) without PSS."""
    if mem is not None:
        budget = memory_bytes / (1.0 + headroom) - (mem.supervisor_pss or 0)
        return max(0, int(budget // mem.pss))
    if rss:
        return int(memory_bytes // (rss * (1.0 + headroom)))
    return None


def predicted_max_rps(workers: int, cpu_s: float, cores: float) -> float:
    """Utilization law at 100% busy: each worker's loop serves 1/cpu_s; CPUs cap the parallelism."""
    return min(float(workers), cores) / cpu_s


def build_capacity(
    profile: ProfileResult | None, loads: tuple[LoadResult, ...], env: Environment, options: DecideOptions,
    memory_headroom: float,
) -> Capacity:
    """The capacity model; ``memory_headroom`` is rules/decision.yaml's threshold (its one home)."""
    cpu_s, source = cpu_per_request(profile, loads)
    saturation = 1.0 / cpu_s if cpu_s else None
    needed = None
    if options.target_rps and cpu_s:
        needed = max(1, math.ceil(options.target_rps * cpu_s / options.target_utilization - 1e-9))
    rss = per_worker_rss(profile, loads)
    mem = per_worker_memory(profile, loads)
    fit = memory_fit(env.memory_bytes, memory_headroom, rss, mem) if env.memory_bytes else None
    rows = []
    for w, load in by_workers(loads).items():
        measured = max((s.rps for s in trusted_stages(load)), default=None)
        rows.append(CapacityRow(w, predicted_max_rps(w, cpu_s, env.cores) if cpu_s else None, measured))
    basis = "pss" if mem is not None else "rss" if rss else ""
    return Capacity(cpu_s, source, saturation, needed, rss, fit, tuple(rows), options.target_rps,
                    mem.pss if mem else None, mem.uss if mem else None, mem.shared if mem else None,
                    mem.supervisor_pss if mem else None, basis)


@dataclass(frozen=True)
class WorkerChoice:
    workers: int
    workers_range: tuple[int, int]
    notes: tuple[str, ...]
    replicas_needed: int | None  # > 1: scale out, the cores cannot hold the workers needed


def choose_workers(
    tree_range: tuple[float, float] | None, capacity: Capacity, env: Environment, fix_first: bool
) -> WorkerChoice:
    """Pick a count inside the tree's range: the capacity model when a target rate is given,
    else the low end for ranges starting at 1 (the seed: start with 1, scale when a load test
    proves it) and the high end otherwise; then cap by cores and memory."""
    lo, hi = (int(tree_range[0]), int(tree_range[1])) if tree_range else (1, 1)
    lo, hi = max(1, min(lo, hi)), max(1, hi, lo)
    notes: list[str] = []
    if capacity.workers_needed is not None:
        want = min(max(capacity.workers_needed, lo), hi)
    else:
        want = lo if lo <= 1 else hi
    usable = env.usable_workers
    replicas = None
    demand = max(lo, capacity.workers_needed or 0)
    if demand > usable:
        replicas = math.ceil(demand / usable)
        notes.append(
            f"{demand} workers needed but the process has {env.cores:g} cores ({env.cores_source}): "
            f"scale out to {replicas} replicas behind a load balancer instead of piling up workers"
        )
    if want > usable:
        notes.append(f"capped at {usable} worker(s): the cores this process really has ({env.cores_source})")
        want = usable
    lo, hi = min(lo, usable), min(hi, usable)
    if capacity.memory_fit_workers is not None and capacity.memory_basis and want > max(1, capacity.memory_fit_workers):
        fit = max(1, capacity.memory_fit_workers)
        notes.append(
            f"capped at {fit} worker(s): {want} x {memory_per_worker_text(capacity)} "
            f"with headroom does not fit {env.memory_bytes / (1 << 20):.0f} MiB ({env.memory_source})"
        )
        want, hi = fit, min(hi, fit)
        lo = min(lo, hi)
    if fix_first and want > 1:
        notes.append("fix the items marked first, then load test again before scaling (seed: never scale first)")
    return WorkerChoice(want, (lo, max(lo, hi)), tuple(notes), replicas)


def memory_per_worker_text(capacity: Capacity) -> str:
    """``"140 MiB PSS (RSS 210 MiB) + a 30 MiB PSS supervisor"``, or ``"210 MiB RSS"`` without PSS."""
    mib = 1 << 20
    pss, rss, sup = capacity.per_worker_pss_bytes, capacity.per_worker_rss_bytes, capacity.supervisor_pss_bytes
    if capacity.memory_basis != "pss" or not pss:
        return f"{(rss or 0) / mib:.0f} MiB RSS"
    text = f"{pss / mib:.0f} MiB PSS" + (f" (RSS {rss / mib:.0f} MiB)" if rss else "")
    return text + (f" + a {sup / mib:.0f} MiB PSS supervisor" if sup else "")


def thread_tokens(thread_demand: float | None, current: float) -> int | None:
    """``total_tokens`` for anyio's limiter when the target CCU needs more threads than ``current``."""
    if thread_demand is None or thread_demand <= current:
        return None
    return int(math.ceil(thread_demand * THREAD_HEADROOM))
