"""The request CPU ratio per sub-window (batch means) that gives the ratio its interval."""

from __future__ import annotations

from workeradvisor.decide.stats import mean_interval
from workeradvisor.procstat import SchedStat
from workeradvisor.profile.assemble import RATIO_BLOCKS, _ratio_blocks
from workeradvisor.profile.window import Snapshot, WorkerWindow


def _window(busy_per_tick: list[float], tick_s: float = 0.25, tid: int = 7) -> WorkerWindow:
    snaps, run = [], 0
    for i in range(len(busy_per_tick) + 1):
        snaps.append(Snapshot(i * tick_s, {tid: SchedStat(run, 0, i)}, {tid: "python"}))
        if i < len(busy_per_tick):
            run += int(busy_per_tick[i] * tick_s * 1e9)
    return WorkerWindow(tid, snaps[0], snaps[-1], history=snaps)


def test_busy_blocks_are_the_busy_fraction_per_sub_window() -> None:
    w = _window([0.5, 0.5, 0.9, 0.9, 0.1, 0.1])
    assert [round(b, 3) for b in w.busy_blocks(7, 3)] == [0.5, 0.9, 0.1]
    assert w.busy_blocks(7, 10) == []  # fewer snapshots than blocks


def test_ratio_blocks_divide_by_the_in_flight_share_and_give_an_interval() -> None:
    w = _window([0.60, 0.64, 0.70, 0.66, 0.62, 0.68, 0.65, 0.67, 0.63, 0.69, 0.61, 0.66])
    blocks = _ratio_blocks({7: w}, {7: 7}, [7], in_flight=0.95)
    assert len(blocks) == RATIO_BLOCKS
    assert all(0.6 < b < 0.75 for b in blocks)
    interval = mean_interval(blocks)
    assert interval is not None and interval.low < 0.69 < interval.high and interval.high - interval.low < 0.1
    assert _ratio_blocks({7: _window([0.5] * 3)}, {7: 7}, [7], 0.9) == ()
