"""Idle CPU with an interval: from the idle window's sub-windows, and the idle branch taken only when
the whole interval is above the threshold (a straddling one is marked borderline, not "overhead")."""

from __future__ import annotations

from dataclasses import replace

from decide_factories import env, ladder, profile

from workeradvisor.decide.borderline import classification_intervals, idle_cpu_interval, mark_borderline_steps
from workeradvisor.decide.engine import decide
from workeradvisor.models.decision import PathStep
from workeradvisor.models.profile import ProfileResult
from workeradvisor.models.readers.results import profile_from_dict
from workeradvisor.models.verdict import Interval
from workeradvisor.procstat import SchedStat
from workeradvisor.profile.assemble import RATIO_BLOCKS, _idle_blocks
from workeradvisor.profile.window import Snapshot, WorkerWindow
from workeradvisor.report.profile_json import to_dict

STEADY = (59.0, 61.0, 60.5, 59.5, 60.0, 60.0)  # a thread burning 60% of a core, all the time
BURSTY = (20.0, 85.0, 30.0, 80.0, 25.0, 72.0)  # a thread that wakes every other sub-window: mean 52


def _idle_profile(point: float, blocks: tuple[float, ...]) -> ProfileResult:
    p = profile(idle_cpu=point, culprits=(("telemetry", point),))
    assert p.idle is not None
    return replace(p, idle=replace(p.idle, cpu_blocks=blocks))


def _idle_step(p: ProfileResult) -> PathStep:
    rec = decide(None, p, (ladder(),), env())
    return next(s for s in rec.path if s.node == "idle")


def test_interval_from_fed_sub_windows_is_centred_on_the_whole_window_figure() -> None:
    steady = idle_cpu_interval(_idle_profile(60.0, STEADY))
    assert steady is not None and steady.estimate == 60.0 and steady.n == 6
    assert 58.5 < steady.low < 60.0 < steady.high < 61.5  # narrow: clearly above 50
    bursty = idle_cpu_interval(_idle_profile(52.0, BURSTY))
    assert bursty is not None and bursty.low < 50.0 < bursty.high  # straddles 50
    low = idle_cpu_interval(_idle_profile(3.0, (0.0, 9.0, 0.0, 9.0, 0.0, 0.0)))
    assert low is not None and low.low == 0.0  # never below zero


def test_no_sub_windows_means_no_interval() -> None:
    assert idle_cpu_interval(_idle_profile(60.0, ())) is None  # saved results from before cpu_blocks
    assert idle_cpu_interval(_idle_profile(60.0, (60.0,))) is None  # one figure has no spread
    assert "idle_cpu_percent" not in classification_intervals(_idle_profile(60.0, ()))


def test_a_steady_idle_burn_is_overhead_with_confidence() -> None:
    step = _idle_step(_idle_profile(60.0, STEADY))
    assert step.condition == "idle_overhead" and "borderline" not in step.label
    rec = decide(None, _idle_profile(60.0, STEADY), (ladder(),), env())
    assert not any(n.startswith("borderline: idle_cpu_percent") for n in rec.notes)
    assert any(a.kind == "fix-idle-cpu" and a.first for a in rec.actions)


def test_a_straddling_idle_figure_is_borderline_not_overhead() -> None:
    steady = decide(None, _idle_profile(52.0, (51.5, 52.5, 52.0, 51.8, 52.2, 52.0)), (ladder(),), env())
    bursty = decide(None, _idle_profile(52.0, BURSTY), (ladder(),), env())
    step = next(s for s in bursty.path if s.node == "idle")
    assert step.condition != "idle_overhead"  # the point value is above 50, the interval is not
    assert "borderline: idle_cpu_percent 52 [" in step.label and "idle_cpu_overhead 50" in step.label
    assert any(n.startswith("borderline: idle_cpu_percent 52 [") for n in bursty.notes)
    assert any("borderline" in r and "idle_cpu_percent" in r for r in bursty.confidence_reasons)
    assert bursty.confidence < steady.confidence
    # the thread is still named and fixed first: a thread over idle_thread_material is, overhead or not
    assert step.condition == "idle_thread"
    assert any(a.kind == "fix-idle-cpu" and a.first for a in bursty.actions)
    # the same 52% measured steadily is confidently above 50
    assert next(s for s in steady.path if s.node == "idle").condition == "idle_overhead"


def test_low_idle_cpu_with_an_interval_below_the_threshold_is_not_marked() -> None:
    step = _idle_step(_idle_profile(4.0, (3.0, 5.0, 4.0, 4.5, 3.5, 4.0)))
    assert step.condition != "idle_overhead" and "borderline" not in step.label


def test_mark_borderline_steps_only_touches_steps_that_compared_the_metric() -> None:
    idle = PathStep("idle", "q", "idle_overhead", "overhead", (("idle_cpu_percent", 52.0), ("idle_cpu_overhead", 50.0)))
    other = PathStep("workload", "q", "x", "I/O-bound", (("request_cpu_ratio", 0.1), ("io_bound_ratio", 0.7)))
    marked = mark_borderline_steps((idle, other), {"idle_cpu_percent": Interval(52.0, 45.0, 59.0, 6)},
                                   {"idle_cpu_overhead": 50.0, "io_bound_ratio": 0.7})
    assert marked[0].label.startswith("overhead (borderline: idle_cpu_percent 52 [45, 59] vs idle_cpu_overhead 50")
    assert marked[1] == other


def _window(cpu_per_tick: list[dict[int, float]], tick_s: float = 0.25) -> WorkerWindow:
    """Snapshots every ``tick_s`` with each thread's cumulative on-CPU time; a thread absent from the
    first ticks is born later."""
    snaps, run = [], {}
    for i in range(len(cpu_per_tick) + 1):
        snaps.append(Snapshot(i * tick_s, {tid: SchedStat(ns, 0, i) for tid, ns in run.items()}, {}))
        if i < len(cpu_per_tick):
            for tid, frac in cpu_per_tick[i].items():
                run[tid] = run.get(tid, 0) + int(frac * tick_s * 1e9)
    return WorkerWindow(1, snaps[0], snaps[-1], history=snaps)


def test_cpu_blocks_sum_every_thread_and_count_a_new_thread_from_zero() -> None:
    ticks = [{1: 0.1}, {1: 0.1}, {1: 0.1, 2: 0.6}, {1: 0.1, 2: 0.6}, {1: 0.1}, {1: 0.1}]
    w = _window(ticks)
    assert [round(b, 3) for b in w.cpu_blocks(3)] == [0.1, 0.7, 0.1]
    assert w.cpu_blocks(10) == []


def test_idle_blocks_add_the_processes_per_sub_window_in_percent() -> None:
    a = _window([{1: 0.5}] * 12)
    b = _window([{1: 0.1}] * 6 + [{1: 0.3}] * 6)
    blocks = _idle_blocks({1: a, 2: b})
    assert len(blocks) == RATIO_BLOCKS
    assert blocks[:3] == (60.0, 60.0, 60.0) and blocks[3:] == (80.0, 80.0, 80.0)
    assert _idle_blocks({1: _window([{1: 0.5}] * 3)}) == ()  # too few snapshots for 6 sub-windows


def test_cpu_blocks_survive_the_profile_json_round_trip() -> None:
    p = _idle_profile(52.0, BURSTY)
    back = profile_from_dict(to_dict(p))
    assert back.idle is not None and back.idle.cpu_blocks == BURSTY
