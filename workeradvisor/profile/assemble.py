"""Build the frozen ``ProfileResult`` from the windows' raw measurements."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from workeradvisor.models.load import StageResult
from workeradvisor.models.profile import (
    CallSite,
    IdleReport,
    LoopBreakdown,
    PerRequest,
    ProfileResult,
    StackFrame,
    ThreadStat,
    WorkerProfile,
)
from workeradvisor.procs import this_process_cpu_count
from workeradvisor.profile.attribution import LoopAttribution, SiteShare, hottest_frames
from workeradvisor.profile.findings import StaticFinding, confirmed
from workeradvisor.profile.pyspy import SpyRun
from workeradvisor.profile.stacks import Frame, display_path
from workeradvisor.profile.threads import oversubscription_note
from workeradvisor.profile.window import WorkerWindow

IDLE_MATERIAL_PERCENT = 2.0  # a thread using at least this much of a core with no traffic is a culprit
TOP_SITES = 5
BLOCKED_NOTE_SHARE = 0.05
BACKGROUND_NOTE_PERCENT = 5.0


def _threads(w: WorkerWindow, loop_tid: int, names: dict[int, str]) -> tuple[ThreadStat, ...]:
    stats = [
        ThreadStat(
            tid=d.tid,
            name=names.get(d.tid) or d.name,
            cpu_seconds=round(d.run_s, 4),
            cpu_percent=round(d.run_s / w.wall_s * 100.0, 2),
            is_loop=d.tid == loop_tid,
        )
        for d in w.deltas()
    ]
    return tuple(sorted(stats, key=lambda t: (not t.is_loop, -t.cpu_seconds, t.tid)))


def _loop(w: WorkerWindow, loop_tid: int) -> LoopBreakdown | None:
    d = w.thread(loop_tid)
    if d is None:
        return None
    wall = w.wall_s
    return LoopBreakdown(
        window_s=round(wall, 3),
        busy_fraction=round(min(1.0, (d.run_s + d.wait_s) / wall), 4),
        on_cpu_fraction=round(min(1.0, d.run_s / wall), 4),
        runqueue_fraction=round(min(1.0, d.wait_s / wall), 4),
    )


def _sites(attrs: Sequence[LoopAttribution], kind: str, findings: Sequence[StaticFinding]) -> tuple[CallSite, ...]:
    """Merge per-worker sites, weighting each worker by its loop ticks."""
    total = sum(a.ticks for a in attrs) or 1
    merged: dict[Frame, float] = defaultdict(float)
    for a in attrs:
        sites: tuple[SiteShare, ...] = a.blocking_sites if kind == "blocking" else a.cpu_sites
        for s in sites:
            merged[s.frame] += s.share * a.ticks / total
    ranked = sorted(merged.items(), key=lambda kv: -kv[1])[:TOP_SITES]
    return tuple(
        CallSite(display_path(f.path), f.line, f.function, round(share, 4), kind, confirmed(f.path, f.line, findings))
        for f, share in ranked
    )


RATIO_BLOCKS = 6  # sub-windows for the ratio's interval: batch means, so each block holds many requests


def _ratio_blocks(windows: dict[int, WorkerWindow], loop_tids: dict[int, int], workers: Sequence[int],
                  in_flight: float) -> tuple[float, ...]:
    """The request CPU ratio per sub-window: the loops' busy fraction in each block over the share of time a
    request was in flight (RPS x mean latency, the same denominator as the whole-window ratio).

    Why batch means: successive samples of a busy fraction are correlated; means of a few long blocks are
    close to independent, so a t-interval over them is honest where one over raw ticks would be narrow."""
    if in_flight <= 0:
        return ()
    per_worker = [w.busy_blocks(loop_tids[pid], RATIO_BLOCKS) for pid in workers if (w := windows.get(pid))]
    if not per_worker or any(len(b) != RATIO_BLOCKS for b in per_worker):
        return ()
    return tuple(round(min(1.0, sum(col) / in_flight), 4) for col in zip(*per_worker, strict=True))


def _per_request(windows: dict[int, WorkerWindow], loop_tids: dict[int, int], workers: Sequence[int],
                 stage: StageResult | None, requests: int | None, ccu: int, notes: list[str]) -> PerRequest | None:
    """Loop-thread CPU per request (per-thread, so busy background threads do not count as request cost).

    With traffic from the load engine: (loop CPU seconds per second) / requests per second, both over the
    measured period. The ratio also counts run-queue wait: CPU the request needed but had to queue for.
    """
    cpu_rate = wait_rate = cpu_s = 0.0
    for pid in workers:
        w = windows.get(pid)
        d = w.thread(loop_tids[pid]) if w else None
        if w is not None and d is not None:
            cpu_rate += d.run_s / w.wall_s
            wait_rate += d.wait_s / w.wall_s
            cpu_s += d.run_s
    if stage is not None:
        if stage.requests == 0 or stage.rps <= 0:
            notes.append("no request completed during the headline window: no per-request figures")
            return None
        per_req, wait_per_req = cpu_rate / stage.rps, wait_rate / stage.rps
        mean_s = stage.latency_ms.mean / 1000.0
        ratio = min(1.0, (per_req + wait_per_req) / mean_s) if mean_s > 0 else 0.0
        blocks = _ratio_blocks(windows, loop_tids, workers, stage.rps * mean_s)
        return PerRequest(stage.requests, round(per_req, 6), round(stage.latency_ms.mean, 3), round(ratio, 4),
                          round(1.0 - ratio, 4), round(wait_per_req, 6), ccu, round(stage.rps, 2), blocks)
    if requests:
        notes.append(f"loop CPU per request: {cpu_s / requests * 1000:.3f} ms over {requests} requests "
                     "(no latency known: the request CPU ratio needs --app with --path)")
    return None


def _idle(windows: dict[int, WorkerWindow], spy_runs: dict[int, tuple[SpyRun, SpyRun]], names: dict[int, str],
          reload: bool) -> IdleReport:
    wall = max((w.wall_s for w in windows.values()), default=0.0)
    per_process = tuple((pid, round(sum(d.run_s for d in w.deltas()) / w.wall_s * 100.0, 2))
                        for pid, w in sorted(windows.items()))
    culprits: list[tuple[ThreadStat, tuple[StackFrame, ...]]] = []
    for pid, w in sorted(windows.items()):
        for d in w.deltas():
            pct = d.run_s / w.wall_s * 100.0
            if pct < IDLE_MATERIAL_PERCENT:
                continue
            stat = ThreadStat(d.tid, names.get(d.tid) or d.name, round(d.run_s, 4), round(pct, 2), d.tid == pid)
            frames = hottest_frames(spy_runs[pid][1], d.tid) if pid in spy_runs else ()
            stack = tuple(StackFrame(f.function, display_path(f.path), f.line) for f in frames)
            culprits.append((stat, stack))
    culprits.sort(key=lambda c: -c[0].cpu_percent)
    return IdleReport(
        window_s=round(wall, 3),
        process_cpu_percent=per_process,
        culprits=tuple(c[0] for c in culprits),
        culprit_stacks=tuple(c[1] for c in culprits),
        reload_detected=reload,
        cpu_blocks=_idle_blocks(windows),
    )


def _idle_blocks(windows: dict[int, WorkerWindow]) -> tuple[float, ...]:
    """Idle CPU (% of a core, every watched process) per sub-window, for decide's interval on idle CPU:
    a background thread that wakes now and then makes these vary, and the interval says so."""
    per_process = [w.cpu_blocks(RATIO_BLOCKS) for w in windows.values()]
    if not per_process or any(len(b) != RATIO_BLOCKS for b in per_process):
        return ()
    return tuple(round(sum(col) * 100.0, 2) for col in zip(*per_process, strict=True))


def _background_notes(profiles: Sequence[WorkerProfile]) -> list[str]:
    """Busy threads that are not the loop (telemetry, AnyIO workers of sync endpoints, executors):
    their CPU competes with the loop for the GIL and the cores, but is not request CPU on the loop."""
    notes = []
    for w in profiles:
        groups: dict[str, list[ThreadStat]] = defaultdict(list)
        for t in w.threads:
            if not t.is_loop:
                groups[t.name].append(t)
        for name, threads in sorted(groups.items()):
            pct = sum(t.cpu_percent for t in threads)
            if pct >= BACKGROUND_NOTE_PERCENT:
                count = f"{len(threads)} threads " if len(threads) > 1 else "thread "
                notes.append(f"worker {w.pid}: {count}`{name}` used {pct:.0f}% of a core besides the event loop")
    return notes


def build(*, target: str, server_pid: int, workers: Sequence[int], windows: dict[int, WorkerWindow],
          attributions: dict[int, LoopAttribution], spy_runs: dict[int, tuple[SpyRun, SpyRun]],
          stage: StageResult | None, requests: int | None, ccu: int, idle: bool, reload: bool,
          findings: Sequence[StaticFinding], notes: list[str], partial: bool) -> ProfileResult:
    names: dict[int, str] = {}
    for attribution in attributions.values():
        names.update({tid: n for tid, n in attribution.thread_names.items() if n})
    loop_tids: dict[int, int] = {}
    for pid in workers:
        tid = attributions[pid].loop_tid if pid in attributions else None
        loop_tids[pid] = tid if tid else pid
    profiles = []
    for pid in workers:
        w = windows.get(pid)
        a = attributions.get(pid)
        if w is None:
            notes.append(f"worker {pid} could not be read")
            continue
        profiles.append(WorkerProfile(
            pid=pid, rss_bytes=w.rss_bytes, uss_bytes=w.uss_bytes, pss_bytes=w.pss_bytes, loop=_loop(w, loop_tids[pid]),
            threads=_threads(w, loop_tids[pid], names),
            app_cpu_share=a.cpu_share if a and a.ticks else None,
            blocked_share=a.blocked_share if a and a.ticks else None,
            selector_share=a.selector_share if a and a.ticks else None,
            attribution_ticks=a.ticks if a else 0,
        ))
        if a and a.ticks and a.blocked_share >= BLOCKED_NOTE_SHARE:
            notes.append(f"worker {pid}: the loop sat blocked off-CPU {a.blocked_share:.0%} of the attribution "
                         "window; schedstat's busy fraction does not count that time")
    if not idle:
        notes.extend(_background_notes(profiles))
        threads_note = oversubscription_note(windows, list(workers), float(this_process_cpu_count()))
        notes.extend([threads_note] if threads_note else [])
    per_request = _per_request(windows, loop_tids, workers, stage, requests, ccu, notes)
    attrs = [a for a in attributions.values() if a.ticks]
    if reload:
        notes.append("uvicorn --reload is on: its file watcher polls and costs CPU; never run it in production")
    return ProfileResult(
        target=target,
        workers=tuple(profiles),
        per_request=per_request,
        idle=_idle(windows, spy_runs, names, reload) if idle else None,
        top_blocking=_sites(attrs, "blocking", findings),
        top_cpu=_sites(attrs, "cpu", findings),
        partial=partial,
        notes=tuple(notes),
    )
