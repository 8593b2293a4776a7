"""The heaviest operation drives the workload type when it dominates the loop's CPU (model-built inputs)."""

from __future__ import annotations

import dataclasses

from decide_factories import env, ladder, profile, scan

from workeradvisor.decide.engine import analyze_results, decide
from workeradvisor.decide.operations import apply_dominance, dominant_operation
from workeradvisor.decide.tree import load_decision_tree
from workeradvisor.models.profile import OperationProfile


def op(name: str, cpu_ms: float, latency_ms: float, weight: float) -> OperationProfile:
    return OperationProfile(name, 100, cpu_ms / 1000, latency_ms, weight)


# Five cheap I/O-bound GETs (0.3 ms CPU in 10 ms) and one CPU-bound POST (9 ms CPU in 10 ms) at 1/6 each:
# the POST is 9 / (9 + 5 x 0.3) = 86% of the loop's CPU; the latency-weighted mix ratio is (9 + 1.5) / 60 = 0.175.
MIX = (op("POST /quotes", 9.0, 10.0, 1 / 6), *(op(f"GET /r{i}", 0.3, 10.0, 1 / 6) for i in range(5)))


def test_dominant_operation_above_the_threshold_only() -> None:
    dom = dominant_operation(MIX, 0.6, 0.175)
    assert dom is not None and dom.name == "POST /quotes"
    assert round(dom.share, 3) == round(9 / 10.5, 3) and round(dom.ratio, 3) == 0.9
    assert "POST /quotes dominates (86% of the loop's CPU): its request CPU ratio 0.90" in dom.sentence()
    assert dominant_operation(MIX, 0.9, 0.175) is None  # 86% < 90%
    assert dominant_operation(MIX[:1], 0.1, 0.175) is None  # one operation: the mix is the operation
    even = tuple(op(f"GET /e{i}", 1.0, 10.0, 0.25) for i in range(4))
    assert dominant_operation(even, 0.6, 0.1) is None


def test_apply_keeps_the_mix_ratio_and_moves_io_with_it() -> None:
    metrics: dict[str, float | None] = {"request_cpu_ratio": 0.175, "io_ratio": 0.775}  # 0.05 blocked taken off
    apply_dominance(metrics, dominant_operation(MIX, 0.6, 0.175))
    assert metrics["mix_request_cpu_ratio"] == 0.175 and round(metrics["request_cpu_ratio"] or 0, 9) == 0.9
    assert round(metrics["io_ratio"] or 0, 6) == 0.05  # 1 - 0.9 - 0.05 blocked
    untouched: dict[str, float | None] = {"request_cpu_ratio": 0.175, "io_ratio": 0.825}
    apply_dominance(untouched, None)
    assert untouched["request_cpu_ratio"] == 0.175 and untouched["dominant_operation_loop_share"] is None
    assert untouched["mix_request_cpu_ratio"] is None


def _workload(rec) -> str:
    return next(p for p in rec.path if p.node == "workload").label


def test_decision_reads_the_dominant_operations_ratio() -> None:
    args = (scan(), profile(cpu_ratio=0.175, cpu_s=0.0018), (ladder(),), env(cores=4))
    plain = decide(*args)
    assert _workload(plain).startswith("I/O-bound")  # the mix: 82% of request time waiting
    rec = decide(*args, operations=MIX)
    assert _workload(rec).startswith("CPU-bound")
    assert rec.notes[0].startswith("POST /quotes dominates (86% of the loop's CPU): its request CPU ratio 0.90 "
                                   "drives the decision (the whole mix's: 0.17)")
    metrics = dict(rec.metrics)
    assert metrics["request_cpu_ratio"] == 0.9 and metrics["mix_request_cpu_ratio"] == 0.175


def test_threshold_comes_from_the_tree() -> None:
    tree = load_decision_tree()
    strict = dataclasses.replace(tree, thresholds={**tree.thresholds, "dominant_operation_share": 0.95})
    rec = decide(scan(), profile(cpu_ratio=0.175, cpu_s=0.0018), (ladder(),), env(cores=4), tree=strict,
                 operations=MIX)
    assert _workload(rec).startswith("I/O-bound") and not any("dominates" in n for n in rec.notes)
    analysis = analyze_results(scan(), profile(cpu_ratio=0.175, cpu_s=0.0018), (ladder(),), env(cores=4),
                               operations=MIX)
    assert analysis.recommendation is not None and "dominates" in analysis.recommendation.notes[0]


def test_the_operations_measured_ratio_wins_over_cpu_over_latency() -> None:
    # On a busy host the loop waits for a core: 14 ms of CPU in a 68 ms request, but runnable for most of the
    # rest. The profile's ratio counts that run-queue wait as CPU demand; the operation's must too.
    waiting = dataclasses.replace(MIX[0], loop_cpu_s_per_request=0.014, mean_latency_ms=68.0, request_cpu_ratio=0.97)
    dom = dominant_operation((waiting, *MIX[1:]), 0.6, 0.99)
    assert dom is not None and dom.ratio == 0.97
    legacy = dataclasses.replace(waiting, request_cpu_ratio=None)  # an analysis saved before the field
    dom = dominant_operation((legacy, *MIX[1:]), 0.6, 0.99)
    assert dom is not None and round(dom.ratio, 3) == round(14 / 68, 3)
