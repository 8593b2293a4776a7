"""Fleet plan arithmetic: how many workers per pod, how many pods, and the HPA's CPU target.

Why one worker per pod by default: uvicorn's and FastAPI's container docs advise a single process
per container and letting the orchestrator replicate; a second worker in a pod only helps when the
work is CPU-bound and the pod has a second core for it. A worker's ceiling is the lower of the
utilization law (one loop at 100%: 1 / CPU per request, scaled down under a fractional CPU limit)
and what a load test measured per worker while p99 met the target; the plan keeps ``headroom`` of
that ceiling free. The HPA target is the pod's CPU at the planned rate as a percentage of its CPU
request, so the autoscaler adds a pod exactly when pods reach the planned rate.
Every threshold comes from rules/decision.yaml (``fleet_*``); nothing here is a tuned constant.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass

from workeradvisor.decide.stages import load_workers, trusted_stages
from workeradvisor.models.decision import Analysis
from workeradvisor.models.fleet import POSTGRES_DEFAULT_MAX_CONNECTIONS, CapacityInputs, DbPool, FleetPlan, PodLimits

MIB = 1 << 20


class FleetInputError(ValueError):
    """The analysis lacks a figure the plan needs (message names it and how to get it)."""


@dataclass(frozen=True)
class FleetThresholds:
    headroom: float  # share of each worker's ceiling kept free
    min_replicas: int  # never fewer pods than this (a rollout or node drain takes one away)
    hpa_max_factor: float  # HPA maxReplicas = replicas x this, for bursts past the target
    hpa_cpu_min: float  # below this HPA target (%), CPU is a weak scaling signal
    memory_headroom: float  # workers x memory x (1 + this) must fit the pod
    multi_worker_cpu_ratio: float  # request CPU share above which a pod runs one worker per core
    idle_material: float  # idle CPU per worker (100 = one core) worth a note: every replica pays it
    db_headroom: float = 0.8  # share of the database's connection limit the pools may use

    @classmethod
    def from_thresholds(cls, t: Mapping[str, float]) -> FleetThresholds:
        return cls(headroom=t["fleet_headroom"], min_replicas=int(t["fleet_min_replicas"]),
                   hpa_max_factor=t["fleet_hpa_max_factor"], hpa_cpu_min=t["fleet_hpa_cpu_min"],
                   memory_headroom=t["memory_headroom"],
                   multi_worker_cpu_ratio=t["fleet_multi_worker_cpu_ratio"],
                   idle_material=t["idle_thread_material"], db_headroom=t["fleet_db_connection_headroom"])


def measured_rps_per_worker(analysis: Analysis, p99_slo_ms: float) -> tuple[float | None, str]:
    """Best RPS per worker over trusted stages whose p99 met the target, and where it was measured."""
    best: tuple[float, str] | None = None
    for load in analysis.load:
        workers = max(1, load_workers(load))
        for stage in trusted_stages(load):
            p99 = stage.latency_ms.p99
            if stage.generator_bound or stage.partial or p99 is None or p99 > p99_slo_ms or stage.rps <= 0:
                continue
            per = stage.rps / workers
            if best is None or per > best[0]:
                best = (per, f"load test: {stage.rps:.1f} RPS / {workers} worker(s) at {stage.ccu} CCU, "
                             f"p99 {p99:.0f} ms <= {p99_slo_ms:.0f} ms")
    return (best[0], best[1]) if best else (None, "")


def capacity_inputs(analysis: Analysis, p99_slo_ms: float) -> CapacityInputs:
    """The measured figures of a saved or fresh analysis; FleetInputError when CPU per request is missing."""
    rec = analysis.recommendation
    cap = rec.capacity if rec else None
    if cap is None or not cap.cpu_s_per_request:
        raise FleetInputError("the analysis has no CPU per request (capacity.cpu_s_per_request): "
                              "re-run analyze with the profile and a load test")
    metrics = dict(rec.metrics) if rec else {}
    measured, measured_source = measured_rps_per_worker(analysis, p99_slo_ms)
    # PSS (a worker's own pages plus its share of shared ones) when the analysis measured it: RSS counts
    # the shared pages in full in every worker and overstates what each extra worker costs
    pss = getattr(cap, "per_worker_pss_bytes", None)
    memory, memory_source = ((pss, "largest worker PSS measured") if isinstance(pss, int) and pss > 0 else
                             (cap.per_worker_rss_bytes, "largest worker RSS measured" if cap.per_worker_rss_bytes
                              else ""))
    idle = metrics.get("idle_cpu_percent")
    profiled = len(analysis.profile.workers) if analysis.profile and analysis.profile.workers else 1
    return CapacityInputs(
        cpu_s_per_request=cap.cpu_s_per_request, cpu_source=cap.cpu_source,
        measured_rps_per_worker=measured, measured_source=measured_source,
        per_worker_memory_bytes=memory,
        memory_source=memory_source,
        idle_cores_per_worker=(idle / 100.0 / profiled) if idle else 0.0,
        request_cpu_ratio=metrics.get("request_cpu_ratio"), p99_slo_ms=p99_slo_ms,
        measured_caveat=_caveat(analysis) if measured is not None else "",
    )


def _caveat(analysis: Analysis) -> str:
    """The ceiling analysis' sentence when it could not show the server (not the users) limited the rate."""
    ceiling = analysis.recommendation.ceiling if analysis.recommendation else None
    if ceiling is None or ceiling.limiter not in ("closed-loop", "unknown"):
        return ""
    return ceiling.sentence


def law_rps_per_worker(cpu_s: float, cores: float, workers: int) -> float:
    """Utilization law at 100%: a loop serves 1 / cpu_s, less when the pod has under a core per worker."""
    return min(1.0, cores / max(1, workers)) / cpu_s


def workers_for_pod(inputs: CapacityInputs, pod: PodLimits, th: FleetThresholds) -> tuple[int, str, int | None]:
    """(workers, why, memory fit): 1 unless CPU-bound with cores to spare; capped by memory; 0 = no fit."""
    cpu_bound = inputs.request_cpu_ratio is not None and inputs.request_cpu_ratio > th.multi_worker_cpu_ratio
    cores = max(1, math.floor(pod.cores + 1e-9))
    workers = cores if cpu_bound else 1
    workload = "CPU-bound" if cpu_bound else "I/O-bound"
    fit = None
    mem = inputs.per_worker_memory_bytes
    if mem and pod.memory_bytes:
        fit = int(pod.memory_bytes // (mem * (1.0 + th.memory_headroom)))
        workers = min(workers, fit)
    return max(0, workers), workload, fit


def plan_fleet(target_rps: float, pod: PodLimits, inputs: CapacityInputs, th: FleetThresholds) -> FleetPlan:
    """The whole plan; every figure is also written out in ``steps`` with its numbers."""
    workers, workload, fit = workers_for_pod(inputs, pod, th)
    steps: list[tuple[str, str]] = []
    notes: list[str] = []
    ratio = inputs.request_cpu_ratio
    ratio_text = f"{ratio:.0%}" if ratio is not None else "unmeasured"
    steps.append(("workload", f"request CPU ratio {ratio_text} vs fleet_multi_worker_cpu_ratio "
                              f"{th.multi_worker_cpu_ratio:.0%} -> {workload}"))
    per_worker_mem = inputs.per_worker_memory_bytes
    if fit is not None and per_worker_mem and pod.memory_bytes:
        steps.append(("memory fit", f"floor({pod.memory_bytes / MIB:.0f} MiB / ({per_worker_mem / MIB:.1f} MiB x "
                                    f"{1 + th.memory_headroom:g})) = {fit} worker(s)"))
    elif per_worker_mem is None:
        notes.append("no per-worker memory measured: the plan does not check that workers fit the pod's memory")
    if workers == 0:
        notes.append("one worker does not fit the pod's memory with headroom: raise the pod's memory limit")
        return _plan(target_rps, pod, inputs, th, workload, 0, 0.0, "", 0.0, tuple(steps), tuple(notes), fits=False)
    steps.append(("workers per pod", _workers_reason(workload, workers, pod.cores, fit)))
    law = law_rps_per_worker(inputs.cpu_s_per_request, pod.cores, workers)
    law_text = (f"min(1, {pod.cores:g} cores / {workers}) / {inputs.cpu_s_per_request * 1000:.2f} ms CPU "
                f"per request = {law:.1f} RPS")
    ceiling, source = law, "utilization law (CPU per request)"
    measured = inputs.measured_rps_per_worker
    if measured is not None and measured < law:
        ceiling, source = measured, "measured at the p99 target"
        notes.append(f"the load test measured {measured:.1f} RPS per worker within the p99 target, below the "
                     f"{law:.1f} the CPU law allows: something besides the loop's CPU limits a worker (a downstream, "
                     "the host); replicas multiply the load on shared downstreams, so check they scale too")
        if inputs.measured_caveat:
            notes.append(f"the measured rate may be the load test's users' limit, not the server's "
                         f"({inputs.measured_caveat}): a ladder with more CCU within the p99 target may show "
                         "more per worker and need fewer replicas")
    steps.append(("ceiling per worker", f"{law_text}" + (f"; measured {measured:.1f} RPS" if measured else "")
                  + f" -> {ceiling:.1f} RPS ({source})"))
    pod_rps = ceiling * workers * (1.0 - th.headroom)
    steps.append(("planned RPS per pod", f"{ceiling:.1f} x {workers} worker(s) x (1 - {th.headroom:g} headroom) "
                                         f"= {pod_rps:.1f} RPS"))
    return _plan(target_rps, pod, inputs, th, workload, workers, ceiling, source, pod_rps, tuple(steps),
                 tuple(notes), fits=True)


def _workers_reason(workload: str, workers: int, cores: float, fit: int | None) -> str:
    if workload == "I/O-bound":
        why = "I/O-bound: one worker per pod, the orchestrator replicates (uvicorn/FastAPI container docs)"
    else:
        why = f"CPU-bound: one worker per whole core of the pod's {cores:g}"
    if fit is not None and workers == fit and fit < max(1, math.floor(cores + 1e-9)) and workload != "I/O-bound":
        why += f", capped by memory at {fit}"
    return f"{why} -> {workers}"


def _plan(target: float, pod: PodLimits, inputs: CapacityInputs, th: FleetThresholds, workload: str, workers: int,
          ceiling: float, source: str, pod_rps: float, steps: tuple[tuple[str, str], ...],
          notes: tuple[str, ...], *, fits: bool) -> FleetPlan:
    """Replicas, HPA and the per-pod CPU from the per-pod rate (zeros when nothing fits)."""
    out_steps, out_notes = list(steps), list(notes)
    replicas = hpa_min = hpa_max = hpa = 0
    pod_cpu = 0.0
    if fits and pod_rps > 0:
        needed = math.ceil(target / pod_rps - 1e-9)
        replicas = max(th.min_replicas, needed)
        out_steps.append(("replicas", f"max(fleet_min_replicas {th.min_replicas}, ceil({target:g} / {pod_rps:.1f})"
                                      f" = {needed}) = {replicas}"))
        idle = inputs.idle_cores_per_worker
        pod_cpu = workers * idle + pod_rps * inputs.cpu_s_per_request
        out_steps.append(("pod CPU at the planned rate", f"{workers} x {idle:.3f} idle + {pod_rps:.1f} RPS x "
                                                         f"{inputs.cpu_s_per_request * 1000:.2f} ms = "
                                                         f"{pod_cpu:.3f} cores"))
        base = pod.hpa_base_cores
        hpa = max(1, round(100.0 * pod_cpu / base))
        out_steps.append(("HPA CPU target", f"{pod_cpu:.3f} / {base:g} CPU request = {hpa}%"))
        hpa_min, hpa_max = th.min_replicas, max(replicas, math.ceil(replicas * th.hpa_max_factor - 1e-9))
        out_steps.append(("HPA replicas", f"min {hpa_min} (fleet_min_replicas), max ceil({replicas} x "
                                          f"{th.hpa_max_factor:g}) = {hpa_max}"))
        out_notes.extend(_advice(pod, inputs, th, workers, hpa, pod_rps, pod_cpu))
    return FleetPlan(target_rps=target, pod=pod, inputs=inputs, workload=workload, workers_per_pod=workers,
                     rps_per_worker=ceiling, rps_per_worker_source=source, pod_rps=pod_rps, replicas=replicas,
                     hpa_min=hpa_min, hpa_max=hpa_max, hpa_cpu_target=hpa, pod_cpu_cores=pod_cpu,
                     headroom=th.headroom, fits=fits, steps=tuple(out_steps), notes=tuple(out_notes))


def _advice(pod: PodLimits, inputs: CapacityInputs, th: FleetThresholds, workers: int, hpa: int, pod_rps: float,
            pod_cpu: float) -> list[str]:
    """What a capacity planner would flag about this plan, each with its numbers."""
    notes = []
    if pod.cores >= workers + 1:
        want = max(0.1, math.ceil(pod_cpu * 1.25 * 10) / 10)
        notes.append(f"{workers} worker(s) use at most {workers} of the pod's {pod.cores:g} CPUs "
                     f"(at most {round(100 * workers / pod.hpa_base_cores)}% of its request): a pod of ~{want:g} CPU "
                     f"({pod_cpu:.2f} at the planned rate + 25%) serves the same {pod_rps:.0f} RPS for less")
    if hpa < th.hpa_cpu_min:
        notes.append(f"CPU is a weak scaling signal here ({hpa}% of the request at the planned rate, under "
                     f"fleet_hpa_cpu_min {th.hpa_cpu_min:g}%): scale on requests per second per pod "
                     f"(a custom/external metric at {pod_rps:.0f} RPS per pod) instead")
    idle_pct = inputs.idle_cores_per_worker * 100
    if idle_pct > th.idle_material:
        notes.append(f"each worker burns {idle_pct:.0f}% CPU with no traffic and every replica pays it: "
                     f"fix that first (it is {workers * inputs.idle_cores_per_worker / max(pod_cpu, 1e-9):.0%} "
                     "of the pod's CPU at the planned rate and inflates the HPA's view)")
    return notes


def pod_from_environment(analysis: Analysis) -> PodLimits:
    """The analysis' own machine (``--cores``/``--memory`` or detected) as one pod."""
    env = analysis.environment
    source = f"cores: {env.cores_source}; memory: {env.memory_source}"
    return PodLimits(env.cores, env.memory_limit_bytes, source)


def with_fleet(analysis: Analysis, defaults: Mapping[str, float]) -> Analysis:
    """The analysis with its fleet plan when ``--target-rps`` was given and CPU per request is known.

    ``defaults`` are the built-in thresholds; the recommendation's thresholds (the tree in force,
    ``--threshold`` included) override them."""
    rec = analysis.recommendation
    cap = rec.capacity if rec else None
    if rec is None or cap is None or not cap.target_rps or not cap.cpu_s_per_request:
        return analysis
    th = FleetThresholds.from_thresholds({**defaults, **dict(rec.thresholds)})
    slo = dict(rec.metrics).get("p99_slo_ms") or 1000.0
    plan = plan_fleet(cap.target_rps, pod_from_environment(analysis), capacity_inputs(analysis, slo), th)
    return dataclasses.replace(analysis, fleet=with_pool_note(plan, analysis.pools, th))


def sql_per_worker(pools: tuple[DbPool, ...]) -> int | None:
    """Most PostgreSQL connections one worker can hold: the sum over its SQL pools (None: none known)."""
    sized = [p.per_worker for p in pools if p.database == "sql" and p.per_worker is not None]
    return sum(sized) if sized else None


def db_connections(per_worker: int, workers: int, replicas: int, limit: int, headroom: float) -> tuple[int, int]:
    """(connections at that scale, the largest per-worker pool that fits: floor(limit x headroom / processes))."""
    processes = max(1, workers * replicas)
    return per_worker * processes, math.floor(limit * headroom / processes)


def with_pool_note(plan: FleetPlan, pools: tuple[DbPool, ...], th: FleetThresholds,
                   limit: int = POSTGRES_DEFAULT_MAX_CONNECTIONS) -> FleetPlan:
    """At the HPA's maximum, do the code's pools fit the database? A step and, when not, a note."""
    per_worker = sql_per_worker(pools)
    if per_worker is None or not plan.fits:
        return plan
    total, fit = db_connections(per_worker, plan.workers_per_pod, plan.hpa_max, limit, th.db_headroom)
    step = ("DB connections at HPA max", f"{per_worker} per worker x {plan.workers_per_pod} x {plan.hpa_max} "
                                         f"replicas = {total} of {limit}")
    notes = plan.notes
    if total > limit:
        notes += (f"at the HPA's {plan.hpa_max} replicas the pools open {total} PostgreSQL connections, over "
                  f"{limit}: size them to at most {fit} per worker (floor({limit} x {th.db_headroom:g} / "
                  f"{plan.workers_per_pod * plan.hpa_max})) or put PgBouncer in front"
                  + (" (no pool size fits: a pooler is required)" if fit < 1 else ""),)
    return dataclasses.replace(plan, steps=(*plan.steps, step), notes=notes)
