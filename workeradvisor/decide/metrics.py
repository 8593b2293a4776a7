"""Flatten scan, profile, load and environment results into the named metrics the tree reads.

Every name the decision file may use is listed in ``METRICS`` (documented in docs/analysis.md);
a decision file naming anything else fails to load. ``None`` means "not measured".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from workeradvisor.decide.stages import compare_gain, load_workers, stage_loop_wait, stage_worker_cpu, trusted_stages
from workeradvisor.decide.stats import wilson_interval
from workeradvisor.decide.threads import THREAD_METRICS, thread_metrics
from workeradvisor.models.decision import Environment
from workeradvisor.models.load import LoadResult, StageResult
from workeradvisor.models.profile import CallSite, ProfileResult, WorkerProfile
from workeradvisor.models.scan import ScanResult
from workeradvisor.models.threads import BUSY_THREAD_FRACTION

BLOCKING_PREFIX = "blocking-"
BLOCKING_SEVERITIES = ("error", "warning")
PROFILE_SITE_MIN_SHARE = 0.05  # a profile site under this share of loop samples is noise (actions uses it too)
TICKS_PER_INDEPENDENT_SAMPLE = 10  # py-spy at 100 Hz; a blocking call or CPU burst spans ~100 ms of ticks

METRICS: dict[str, str] = {
    "has_scan": "1 when a scan result is present",
    "async_ratio": "share of endpoints that are async def (0..1)",
    "async_endpoints": "async def endpoints found by the scan",
    "sync_endpoints": "plain def endpoints and sync dependencies (run on anyio's thread pool)",
    "sync_endpoint_share": "sync endpoints / all endpoints (0..1)",
    "blocking_findings": "scan findings in blocking-* categories at error or warning severity",
    "blocking_sites": "distinct code sites blocking the loop (scan findings + profile blocking sites)",
    "cpu_heavy_findings": "scan findings in the cpu-heavy category",
    "has_profile": "1 when a profile result is present",
    "request_cpu_ratio": "loop CPU per request / mean latency at low concurrency (0..1)",
    "io_ratio": "share of request time awaiting I/O: profile's I/O ratio minus the loop's blocked share",
    "cpu_s_per_request": "event-loop CPU seconds per request",
    "loop_busy_fraction": "event-loop thread busy fraction over the profile window (max over workers)",
    "blocked_share": "share of loop samples blocked off-CPU in app code, less the loop's run-queue wait (max over "
                     "workers)",
    "idle_cpu_percent": "server CPU with no traffic, all processes (100 = one core)",
    "idle_culprit_cpu_percent": "hottest non-loop thread's CPU with no traffic (100 = one core)",
    "worker_rss_mb": "largest worker RSS in MiB",
    "has_load": "1 when a load result is present",
    "load_workers": "server workers in the primary (fewest-workers) load test",
    "peak_ccu": "highest trusted CCU stage of the primary load test",
    "peak_rps": "RPS at that stage",
    "p99_ms": "p99 latency at that stage (ms)",
    "p99_slo_ms": "the p99 target (--p99-slo, default 1000 ms)",
    "latency_ok": "1 when p99_ms <= p99_slo_ms",
    "error_rate": "errors / attempts at the peak stage (0..1)",
    "load_cpu_per_worker": "server CPU per worker at the peak stage (100 = one core)",
    "load_cpu_demand_per_worker": "load_cpu_per_worker plus the event loop's run-queue wait there: what the requests "
                                  "asked of a core (the load-test CPU rules read it)",
    "host_idle_percent": "host CPU idle at the peak stage (0..100 of all cores; None for imported results)",
    "latency_growth": "p50 at the peak stage / p50 at the lowest trusted stage",
    "rps_scaling": "(RPS growth) / (CCU growth) between those stages; 1 = linear, low = plateau",
    "generator_bound_stages": "stages flagged generator_bound (untrustworthy)",
    "has_compare": "1 when load tests at two or more worker counts are present",
    "scale_rps_gain": "best RPS gain of more workers over the fewest, at the highest common CCU",
    "best_measured_workers": "worker count with the best RPS in the comparison",
    "min_measured_workers": "fewest workers measured",
    "cores": "CPU cores the process really has (cgroup quota, affinity, host)",
    "usable_workers": "floor(cores), at least 1",
    "memory_mb": "memory limit (or host memory) in MiB",
    "target_rps": "--target-rps (None when not given)",
    "target_ccu": "--target-ccu, else the peak CCU measured",
    "thread_demand": "threads the sync endpoints need at target_ccu (target_ccu x sync_endpoint_share)",
    "refactor_possible": "1 unless --no-refactor says the blocking code cannot change",
    "trial_pairs": "complete pairs of interleaved trials behind the worker comparison (0: none)",
    "scale_gain_low": "lower bound of the RPS gain's 90% interval (the next worker count over the fewest)",
    "scale_gain_high": "upper bound of that interval",
    "trial_best_workers": "worker count the paired trials settle on (move up only while the next count scales)",
    "blocked_share_low": "lower bound of the blocked share's 90% interval (the point value when none)",
    "idle_cpu_low": "lower bound of idle CPU's 90% interval (the point value when none)",
    "mix_request_cpu_ratio": "the whole mix's request CPU ratio when one operation dominates (None: it is "
                             "request_cpu_ratio)",
    "dominant_operation_loop_share": "loop-CPU share of the operation that drives request_cpu_ratio (None: none "
                                "reaches dominant_operation_share)",
    **THREAD_METRICS,
}


@dataclass(frozen=True)
class DecideOptions:
    target_rps: float | None = None
    target_ccu: int | None = None
    p99_slo_ms: float = 1000.0
    refactor_possible: bool = True
    target_utilization: float = 0.8  # capacity model: keep each loop at most this busy


def _scan_metrics(scan: ScanResult | None) -> dict[str, float | None]:
    if scan is None:
        return {"has_scan": 0.0}
    s = scan.summary
    endpoints = s.async_endpoints + s.sync_endpoints
    blocking = [
        f for f in scan.findings if f.category.startswith(BLOCKING_PREFIX) and f.severity in BLOCKING_SEVERITIES
    ]
    return {
        "has_scan": 1.0,
        "async_ratio": s.async_ratio if endpoints else None,
        "async_endpoints": float(s.async_endpoints),
        "sync_endpoints": float(s.sync_endpoints),
        "sync_endpoint_share": s.sync_endpoints / endpoints if endpoints else None,
        "blocking_findings": float(len(blocking)),
        "cpu_heavy_findings": float(sum(1 for f in scan.findings if f.category == "cpu-heavy")),
    }


def _max(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return max(known) if known else None


def contention(profile: ProfileResult | None) -> float:
    """Share of the profiled window the event loop was runnable but waiting for a core (schedstat run queue).

    py-spy's all-ticks pass sees that time off-CPU at whatever frame the loop was in, so on a busy host a
    CPU-heavy function looks "blocked"; it is contention for the cores, not a blocking call, and is taken
    off the blocked share and off each profiled blocking site before either can call the loop blocked."""
    if profile is None:
        return 0.0
    return _max([w.loop.runqueue_fraction if w.loop else None for w in profile.workers]) or 0.0


def material_blocking_sites(profile: ProfileResult | None) -> tuple[CallSite, ...]:
    """Profiled blocking sites that are evidence, not noise: the lower bound of the site's share of
    loop samples (Wilson, one independent sample per ``TICKS_PER_INDEPENDENT_SAMPLE`` ticks), less the
    loop's run-queue wait, is at least ``PROFILE_SITE_MIN_SHARE``.

    Why the bound and not the point share: a site seen off-CPU in 6 of 100 ticks is one or two
    stalls (a page fault, a GC pause, a descheduled vCPU on a host with steal), not a call to fix;
    a single such site used to turn an ``await client.post`` into "fix the blocking call first"."""
    if profile is None:
        return ()
    queued = contention(profile)
    ticks = max((w.attribution_ticks or 0 for w in profile.workers), default=0)
    n = ticks / TICKS_PER_INDEPENDENT_SAMPLE
    out = []
    for c in profile.top_blocking:
        bound = wilson_interval(c.share * n, n) if n >= 1 else None
        low = bound.low if bound is not None else c.share
        if low - queued >= PROFILE_SITE_MIN_SHARE:
            out.append(c)
    return tuple(out)


def _net_blocked(w: WorkerProfile) -> float | None:
    if w.blocked_share is None:
        return None
    return max(0.0, w.blocked_share - (w.loop.runqueue_fraction if w.loop else 0.0))


def _profile_metrics(profile: ProfileResult | None) -> dict[str, float | None]:
    if profile is None:
        return {"has_profile": 0.0}
    pr = profile.per_request
    blocked = _max([_net_blocked(w) for w in profile.workers])
    io = None
    if pr is not None:
        io = max(0.0, pr.io_ratio - (blocked or 0.0))
    idle = profile.idle
    idle_cpu = sum(c for _, c in idle.process_cpu_percent) if idle and idle.process_cpu_percent else None
    culprit = _max([t.cpu_percent for t in idle.culprits if not t.is_loop]) if idle else None
    rss = _max([float(w.rss_bytes) for w in profile.workers if w.rss_bytes])
    return {
        "has_profile": 1.0,
        "request_cpu_ratio": pr.request_cpu_ratio if pr else None,
        "io_ratio": io,
        "cpu_s_per_request": pr.loop_cpu_s_per_request if pr else None,
        "loop_busy_fraction": _max([w.loop.busy_fraction if w.loop else None for w in profile.workers]),
        "blocked_share": blocked,
        "idle_cpu_percent": idle_cpu,
        "idle_culprit_cpu_percent": culprit if culprit is not None else (0.0 if idle else None),
        "worker_rss_mb": rss / (1 << 20) if rss else None,
    }


def primary_load(loads: tuple[LoadResult, ...]) -> LoadResult | None:
    """The load test with the fewest workers: the seed's load-test rules read a 1-worker run. A ladder
    is preferred over interleaved-trial results (source "trials": one CCU, a worker comparison)."""
    ladders = tuple(x for x in loads if x.source != "trials") or loads
    return min(ladders, key=load_workers) if ladders else None


def background_threads(profile: ProfileResult | None) -> int:
    """Non-loop threads of one worker that stayed busy with no traffic (idle profile culprits at or above the
    busy-thread line). analyze profiles idle with one worker, so this is per worker."""
    if profile is None or profile.idle is None:
        return 0
    return sum(1 for t in profile.idle.culprits if not t.is_loop and t.cpu_percent >= BUSY_THREAD_FRACTION * 100)


def _load_metrics(loads: tuple[LoadResult, ...], slo: float) -> dict[str, float | None]:
    load = primary_load(loads)
    if load is None or not load.stages:
        return {"has_load": 0.0}
    stages = trusted_stages(load)
    peak: StageResult = stages[-1]
    first: StageResult = stages[0]
    workers = load_workers(load)
    growth = scaling = None
    p50_first, p50_peak = first.latency_ms.p50, peak.latency_ms.p50
    if peak is not first and p50_first and p50_peak is not None:
        growth = p50_peak / p50_first
    if peak is not first and first.rps > 0 and first.ccu and peak.ccu and peak.ccu > first.ccu:
        scaling = (peak.rps / first.rps) / (peak.ccu / first.ccu)
    cpu = stage_worker_cpu(peak, workers)
    return {
        "has_load": 1.0,
        "load_workers": float(workers),
        "peak_ccu": float(peak.ccu) if peak.ccu is not None else None,
        "peak_rps": peak.rps,
        "p99_ms": peak.latency_ms.p99,
        # an unknown p99 (an import without it) is unknown, never "latency ok"
        "latency_ok": None if peak.latency_ms.p99 is None else float(peak.latency_ms.p99 <= slo),
        "error_rate": peak.error_fraction,
        "load_cpu_per_worker": cpu,
        "load_cpu_demand_per_worker": None if cpu is None else cpu + stage_loop_wait(peak, workers),
        "host_idle_percent": peak.host_cpu_idle_percent if peak.server is not None else None,
        "latency_growth": growth,
        "rps_scaling": scaling,
        "generator_bound_stages": float(sum(1 for s in load.stages if s.generator_bound)),
    }


def _compare_metrics(loads: tuple[LoadResult, ...]) -> dict[str, float | None]:
    counts = sorted({load_workers(x) for x in loads})
    if len(counts) < 2:
        return {"has_compare": 0.0, "min_measured_workers": float(counts[0]) if counts else None}
    gain, best = compare_gain(loads)
    return {
        "has_compare": 1.0,
        "scale_rps_gain": gain,
        "best_measured_workers": float(best) if best is not None else None,
        "min_measured_workers": float(counts[0]),
    }


def extract_metrics(
    scan: ScanResult | None,
    profile: ProfileResult | None,
    loads: tuple[LoadResult, ...],
    env: Environment,
    options: DecideOptions,
) -> dict[str, float | None]:
    """Every name in ``METRICS``, each a float or None."""
    m: dict[str, float | None] = dict.fromkeys(METRICS)
    m.update(_scan_metrics(scan))
    m.update(_profile_metrics(profile))
    m.update(_load_metrics(loads, options.p99_slo_ms))
    m.update(_compare_metrics(loads))
    sites = int(m["blocking_findings"] or 0)
    if profile is not None:
        scan_sites = {(f.path, f.line) for f in scan.findings} if scan else set()
        sites += sum(1 for c in material_blocking_sites(profile) if (c.path, c.line) not in scan_sites)
    m["blocking_sites"] = float(sites)
    m["p99_slo_ms"] = options.p99_slo_ms
    m["cores"] = env.cores
    m["usable_workers"] = float(env.usable_workers)
    m["memory_mb"] = env.memory_bytes / (1 << 20) if env.memory_bytes else None
    m["target_rps"] = options.target_rps
    m["target_ccu"] = float(options.target_ccu) if options.target_ccu else m["peak_ccu"]
    share, ccu = m["sync_endpoint_share"], m["target_ccu"]
    m["thread_demand"] = float(math.ceil(ccu * share)) if share is not None and ccu is not None else None
    m["refactor_possible"] = 1.0 if options.refactor_possible else 0.0
    m.update(thread_metrics(loads, env.cores, background_threads(profile)))
    for flag in ("has_scan", "has_profile", "has_load", "has_compare"):
        m[flag] = m[flag] or 0.0
    return m
