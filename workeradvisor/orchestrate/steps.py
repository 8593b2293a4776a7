"""Steps of ``analyze`` that stand apart from the server's life cycle: the static scan (and where the
traffic comes from), the per-operation breakdown of a request mix, and the one-line summaries the
progress display prints. Kept out of ``pipeline`` so that module stays the run's order and clean-up.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from workeradvisor.load import build_plan
from workeradvisor.models.profile import OperationProfile, ProfileResult
from workeradvisor.orchestrate.events import Events
from workeradvisor.orchestrate.sources import choose_paths, source_paths
from workeradvisor.orchestrate.traffic import Traffic, access_log_traffic
from workeradvisor.profile import profile_server
from workeradvisor.scan import scan_paths

if TYPE_CHECKING:
    from workeradvisor.orchestrate.pipeline import PipelineSettings, PipelineState

OPERATION_S = 1.5  # each operation of a mix, measured alone at 1 CCU for the per-operation breakdown
MAX_OPERATIONS = 12  # the most weighted; the rest are named in a note
PROFILE_CCU = 1  # the request CPU ratio is meant at low concurrency: 2 CCU already halves a CPU-bound ratio


def scan_step(source: Path | None, settings: PipelineSettings, state: PipelineState, events: Events) -> None:
    if source is None:
        what = ("the --requests file" if settings.spec_file else "the access log" if settings.access_log
                else "GET " + ", ".join(settings.paths) if settings.paths else "GET / (no --path given)")
        why = f"no TARGET given: no static scan; loading {what}"
        state.notes.append(why)
        events.note(why)
        state.paths = settings.paths or ("/",)
        if settings.spec_file:
            state.notes.append(f"requests from {settings.spec_file}")
        elif settings.access_log:
            use_traffic(access_log_traffic(settings.access_log, headers=dict(settings.headers)), state, events)
        return
    events.step("scan", f"{source}")
    state.scan = scan_paths([str(p) for p in source_paths(source)])
    if settings.spec_file:
        state.notes.append(f"requests from {settings.spec_file}")
    elif settings.paths:
        state.paths = settings.paths
    elif settings.access_log:
        use_traffic(access_log_traffic(settings.access_log, headers=dict(settings.headers)), state, events)
    else:
        state.paths, state.routes_why = choose_paths(state.scan.routes)  # said if no OpenAPI document replaces them
    state.finished.append("scan")
    events.done("scan", f"{state.scan.files_scanned} file(s), {len(state.scan.findings)} finding(s)")


def per_operation(pid: int, base_url: str, settings: PipelineSettings, state: PipelineState,
                   events: Events) -> None:
    """Each operation alone at 1 CCU: which endpoint burns the loop, from the same schedstat figures."""
    weights: dict[str, float] = {}
    for t in state.traffic:
        weights[t.name] = weights.get(t.name, 0.0) + t.weight
    if len(weights) < 2:
        return
    total = sum(weights.values())
    names = sorted(weights, key=lambda n: -weights[n])
    if len(names) > MAX_OPERATIONS:
        state.notes.append(f"per-operation breakdown: the {MAX_OPERATIONS} most weighted operations; not measured "
                           f"alone: {', '.join(names[MAX_OPERATIONS:])}")
    for name in names[:MAX_OPERATIONS]:
        plan = build_plan(base_url, requests=[t for t in state.traffic if t.name == name],
                          allow_remote=settings.launch.allow_remote)
        result = profile_server(pid, duration_s=OPERATION_S, plan=plan, attribution=False, ccu=PROFILE_CCU,
                                timeout_s=settings.timeout_s)
        pr = result.per_request
        if pr is None or pr.requests == 0:
            state.notes.append(f"per-operation breakdown: {name} completed no request alone")
            continue
        state.operations.append(OperationProfile(name, pr.requests, pr.loop_cpu_s_per_request, pr.mean_latency_ms,
                                                 weights[name] / total, pr.request_cpu_ratio))
        events.note(f"{name}: {pr.loop_cpu_s_per_request * 1000:.1f} ms loop CPU per "
                    f"{pr.mean_latency_ms:.1f} ms request")


def use_traffic(traffic: Traffic, state: PipelineState, events: Events) -> None:
    state.traffic = traffic.requests
    for note in traffic.notes:
        state.notes.append(note)
        events.note(note)


def idle_summary(p: ProfileResult) -> str:
    if p.idle is None:
        return "no idle figures"
    total = sum(c for _, c in p.idle.process_cpu_percent)
    hot = max(p.idle.culprits, key=lambda t: t.cpu_percent, default=None)
    return f"{total:.0f}% CPU" + (f"; hottest thread {hot.name!r} {hot.cpu_percent:.0f}%" if hot else "")


def run_summary(p: ProfileResult) -> str:
    pr = p.per_request
    if pr is None:
        return "no per-request figures"
    return (f"{pr.requests} requests, {pr.loop_cpu_s_per_request * 1000:.1f} ms loop CPU per "
            f"{pr.mean_latency_ms:.1f} ms request, request CPU ratio {pr.request_cpu_ratio:.2f}")
