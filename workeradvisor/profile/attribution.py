"""Turn two py-spy passes (with and without ``--idle``) into loop-time shares and call sites.

The ``--idle`` pass sees every tick of the loop thread; the default pass keeps only ticks where
the OS says the thread was running. Ticks whose innermost frame is the loop waiting for I/O are
the selector share (classified from frames, whatever py-spy's heuristic said); the other on-CPU
ticks are the CPU share; the rest is blocked. Per application call site, share(with idle) -
share(without idle) is time the loop sat *off* the CPU there: a blocking call.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from workeradvisor.profile.pyspy import SpyRun
from workeradvisor.profile.stacks import (
    Frame,
    Sample,
    has_event_loop,
    is_app_path,
    is_waiting_in_loop,
    outermost_app_frame,
    site_frame,
)

MIN_BLOCKED_SHARE = 0.02  # a blocking site must hold the loop off-CPU at least this long
MIN_SITE_SHARE = 0.01
MIN_BLOCKED_TICKS = 3


@dataclass(frozen=True)
class SiteShare:
    frame: Frame
    share: float  # of loop-thread ticks


@dataclass(frozen=True)
class LoopAttribution:
    pid: int
    loop_tid: int | None
    ticks: int  # loop-thread ticks in the --idle pass
    cpu_share: float
    blocked_share: float
    selector_share: float
    blocking_sites: tuple[SiteShare, ...]
    cpu_sites: tuple[SiteShare, ...]
    thread_names: dict[int, str]


def loop_thread_id(pid: int, samples: tuple[Sample, ...]) -> int | None:
    """The main thread runs uvicorn's loop; fall back to the thread whose stacks show a loop."""
    tids = {s.thread_id for s in samples}
    if pid in tids:
        return pid
    for s in samples:
        if s.thread_id is not None and has_event_loop(s.frames):
            return s.thread_id
    return None


def _loop_samples(samples: tuple[Sample, ...], tid: int | None) -> list[Sample]:
    if tid is not None:
        return [s for s in samples if s.thread_id == tid]
    return [s for s in samples if s.thread_name == "MainThread" or has_event_loop(s.frames)]


def _site_counts(samples: list[Sample], *, waiting: bool | None = None) -> Counter[Frame]:
    counts: Counter[Frame] = Counter()
    for s in samples:
        if waiting is not None and is_waiting_in_loop(s.frames) != waiting:
            continue
        frame = site_frame(s.frames)
        if frame is not None:
            counts[frame] += s.count
    return counts


def names_only(on_cpu: SpyRun) -> LoopAttribution:
    """The idle profile's attribution: thread names for the culprits, no loop shares (with no traffic there is
    no request work to split, so the ``--idle`` pass is not run)."""
    names = {s.thread_id: s.thread_name for s in on_cpu.samples if s.thread_id is not None}
    return LoopAttribution(on_cpu.pid, None, 0, 0.0, 0.0, 0.0, (), (), names)


def attribute(all_ticks: SpyRun, on_cpu: SpyRun) -> LoopAttribution:
    """Combine the ``--idle`` pass and the on-CPU pass of one worker."""
    tid = loop_thread_id(all_ticks.pid, all_ticks.samples)
    every = _loop_samples(all_ticks.samples, tid)
    running = _loop_samples(on_cpu.samples, tid)
    total = sum(s.count for s in every)
    names = {s.thread_id: s.thread_name for s in (*all_ticks.samples, *on_cpu.samples) if s.thread_id is not None}
    if total == 0:
        return LoopAttribution(all_ticks.pid, tid, 0, 0.0, 0.0, 0.0, (), (), names)
    # Ticks the on-CPU pass would have seen had every tick been kept, scaled to its own length.
    ticks_on_cpu_pass = total * (on_cpu.duration_s / max(all_ticks.duration_s, 1e-9))
    # Ticks whose innermost frame is the loop waiting count as selector whatever the OS said: py-spy's
    # own pause can leave an idle loop thread runnable, and uvloop's C loop work between callbacks is tiny.
    selector = sum(s.count for s in every if is_waiting_in_loop(s.frames)) / total
    cpu = min(1.0, sum(s.count for s in running if not is_waiting_in_loop(s.frames)) / ticks_on_cpu_pass)
    blocked = max(0.0, 1.0 - selector - cpu)
    scale = cpu + selector + blocked  # the two passes are separate windows: renormalise to 1
    cpu, selector, blocked = cpu / scale, selector / scale, blocked / scale

    share_all = {f: c / total for f, c in _site_counts(every, waiting=False).items()}
    share_cpu = {f: c / ticks_on_cpu_pass for f, c in _site_counts(running, waiting=False).items()}
    blocking = []
    for frame, share in share_all.items():
        off_cpu = share - share_cpu.get(frame, 0.0)
        if not is_app_path(frame.path) or off_cpu * total < MIN_BLOCKED_TICKS:
            continue  # only application code is actionable; fewer ticks than this is sampling noise
        if off_cpu >= MIN_BLOCKED_SHARE and off_cpu >= 0.5 * share:
            blocking.append(SiteShare(frame, round(off_cpu, 4)))
    cpu_sites = [SiteShare(f, round(s, 4)) for f, s in _by_function(share_cpu).items() if s >= MIN_SITE_SHARE]
    return LoopAttribution(
        pid=all_ticks.pid,
        loop_tid=tid,
        ticks=total,
        cpu_share=round(cpu, 4),
        blocked_share=round(blocked, 4),
        selector_share=round(selector, 4),
        blocking_sites=tuple(sorted(blocking, key=lambda s: -s.share)),
        cpu_sites=tuple(sorted(cpu_sites, key=lambda s: -s.share)),
        thread_names=names,
    )


def _by_function(shares: dict[Frame, float]) -> dict[Frame, float]:
    """CPU sites per function (a hot loop spans several lines), labelled with its hottest line."""
    total: dict[tuple[str, str], float] = {}
    best: dict[tuple[str, str], tuple[float, Frame]] = {}
    for frame, share in shares.items():
        key = (frame.path, frame.function)
        total[key] = total.get(key, 0.0) + share
        if share > best.get(key, (-1.0, frame))[0]:
            best[key] = (share, frame)
    return {best[key][1]: share for key, share in total.items()}


def hottest_frames(run: SpyRun, tid: int) -> tuple[Frame, ...]:
    """The busy thread's most frequent (innermost app frame, outermost app frame), as data."""
    counts: Counter[tuple[Frame | None, Frame | None]] = Counter()
    for s in run.samples:
        if s.thread_id == tid and s.frames:
            counts[(site_frame(s.frames), outermost_app_frame(s.frames))] += s.count
    if not counts:
        return ()
    (inner, outer), _ = counts.most_common(1)[0]
    if inner is None:
        return ()
    return (inner, outer) if outer is not None and outer != inner else (inner,)


def hottest_stack(run: SpyRun, tid: int) -> str:
    """``_encode() (app/metrics.py:21) <- push_loop() (app/metrics.py:29)`` for a busy thread."""
    return " <- ".join(f.label() for f in hottest_frames(run, tid))
