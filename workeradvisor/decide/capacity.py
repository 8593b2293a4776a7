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


def predicted_max_rps(workers: int, cpu_s: float, cores: float) -> float:
    """Utilization law at 100% busy: each worker's loop serves 1/cpu_s; CPUs cap the parallelism."""
    return min(float(workers), cores) / cpu_s


def build_capacity(
    profile: ProfileResult | None, loads: tuple[LoadResult, ...], env: Environment, options: DecideOptions
) -> Capacity:
    cpu_s, source = cpu_per_request(profile, loads)
    saturation = 1.0 / cpu_s if cpu_s else None
    needed = None
    if options.target_rps and cpu_s:
        needed = max(1, math.ceil(options.target_rps * cpu_s / options.target_utilization - 1e-9))
    rss = per_worker_rss(profile, loads)
    fit = None
    if rss and env.memory_bytes:
        fit = int(env.memory_bytes // (rss * (1.0 + options.memory_headroom)))
    rows = []
    for w, load in by_workers(loads).items():
        measured = max((s.rps for s in trusted_stages(load)), default=None)
        rows.append(CapacityRow(w, predicted_max_rps(w, cpu_s, env.cores) if cpu_s else None, measured))
    return Capacity(cpu_s, source, saturation, needed, rss, fit, tuple(rows), options.target_rps)


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
    rss = capacity.per_worker_rss_bytes
    if capacity.memory_fit_workers is not None and rss and want > max(1, capacity.memory_fit_workers):
        fit = max(1, capacity.memory_fit_workers)
        notes.append(
            f"capped at {fit} worker(s): {want} x {rss / (1 << 20):.0f} MiB RSS "
            f"with headroom does not fit {env.memory_bytes / (1 << 20):.0f} MiB ({env.memory_source})"
        )
        want, hi = fit, min(hi, fit)
        lo = min(lo, hi)
    if fix_first and want > 1:
        notes.append("fix the items marked first, then load test again before scaling (seed: never scale first)")
    return WorkerChoice(want, (lo, max(lo, hi)), tuple(notes), replicas)


def thread_tokens(thread_demand: float | None, current: float) -> int | None:
    """``total_tokens`` for anyio's limiter when the target CCU needs more threads than ``current``."""
    if thread_demand is None or thread_demand <= current:
        return None
    return int(math.ceil(thread_demand * THREAD_HEADROOM))
