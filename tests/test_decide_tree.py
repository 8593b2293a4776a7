"""Table tests: a metrics fixture must take a given path through rules/decision.yaml.

One row per row of the seed's table (000, section 3) and per load-test override, plus the
threshold overrides users can apply. A second test proves every branch of every node is
reachable by generating metrics around the thresholds.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from workeradvisor.decide.metrics import METRICS
from workeradvisor.decide.tree import all_branches, load_decision_tree, parse_threshold_args, walk
from workeradvisor.errors import ConfigError

BASE = {
    "has_scan": 1.0, "has_profile": 1.0, "request_cpu_ratio": 0.05, "io_ratio": 0.95, "blocking_sites": 0.0,
    "blocked_share": 0.0, "idle_cpu_percent": 2.0, "idle_culprit_cpu_percent": 0.0, "refactor_possible": 1.0,
    "has_load": 0.0, "has_compare": 0.0, "sync_endpoints": 0.0,
}
LOAD = {"has_load": 1.0, "load_cpu_per_worker": 60.0, "latency_ok": 1.0, "error_rate": 0.0,
        "latency_growth": 1.1, "rps_scaling": 0.95, "host_idle_percent": 40.0}


def metrics(**kw: float | None) -> dict[str, float | None]:
    """No run-queue wait in these rows: the CPU demand is the load CPU."""
    out = {**BASE, **kw}
    out.setdefault("load_cpu_demand_per_worker", out.get("load_cpu_per_worker"))
    return out


def taken(walk_result) -> dict[str, str]:
    return {p.node: p.label for p in walk_result.path}


# (id, metrics, {node: label prefix}, final range, actions)
ROWS = [
    ("not-async-refactor", metrics(blocking_sites=2.0),
     {"async_code": "no; refactor", "workload": "I/O-bound", "traffic": "low"}, (1, 1), ("fix-blocking",)),
    ("not-async-no-refactor", metrics(blocked_share=0.4, refactor_possible=0.0),
     {"async_code": "no, and no refactor"}, (2, 4), ("fix-blocking",)),
    ("io-bound-low-traffic", metrics(target_rps=800.0), {"workload": "I/O-bound", "traffic": "low"}, (1, 1), ()),
    ("io-bound-medium-traffic", metrics(target_rps=7000.0), {"traffic": "medium"}, (1, 2), ()),
    ("io-bound-high-traffic", metrics(target_rps=20000.0), {"traffic": "high"}, (2, 4), ()),
    ("cpu-bound", metrics(request_cpu_ratio=0.9, io_ratio=0.1), {"workload": "CPU-bound"}, (2, 4),
     ("offload-process-pool",)),
    ("mixed-low", metrics(request_cpu_ratio=0.25, io_ratio=0.6), {"workload": "mixed, CPU < 30%"}, (1, 1), ()),
    ("mixed-mid", metrics(request_cpu_ratio=0.4, io_ratio=0.6), {"workload": "mixed, CPU 30%-50%"}, (1, 2), ()),
    ("mixed-high", metrics(request_cpu_ratio=0.6, io_ratio=0.4), {"workload": "mixed, CPU > 50%"}, (2, 4), ()),
    ("not-profiled", metrics(has_profile=0.0, request_cpu_ratio=None, io_ratio=None),
     {"workload": "not profiled"}, (1, 1), ()),
    # load-test overrides (seed [6])
    ("load-keep-1", metrics(request_cpu_ratio=0.6, io_ratio=0.4, **LOAD), {"load_test": "CPU < 80%"}, (1, 1), ()),
    ("load-hot-2", metrics(**{**LOAD, "load_cpu_per_worker": 93.0}), {"load_test": "CPU > 90%"}, (2, 2), ()),
    ("load-maxed-errors-4", metrics(**{**LOAD, "load_cpu_per_worker": 99.0, "error_rate": 0.05}),
     {"load_test": "CPU maxed with errors"}, (4, 4), ()),
    ("load-between", metrics(request_cpu_ratio=0.4, io_ratio=0.6, **{**LOAD, "load_cpu_per_worker": 85.0}),
     {"load_test": "between"}, (1, 2), ()),
    ("load-latency-bad", metrics(**{**LOAD, "latency_ok": 0.0}), {"load_test": "between"}, (1, 1), ()),
    ("load-host-starved", metrics(request_cpu_ratio=0.9, io_ratio=0.1, **{**LOAD, "host_idle_percent": 0.0}),
     {"load_test": "the host had no idle CPU"}, (2, 4), ("offload-process-pool",)),
    ("no-load", metrics(), {"load_test": "no load test"}, (1, 1), ()),
    # scale only on > 30% measured gain
    ("compare-gain", metrics(**{**LOAD, "load_cpu_per_worker": 99.0}, has_compare=1.0, scale_rps_gain=0.8,
                             best_measured_workers=2.0, min_measured_workers=1.0),
     {"load_test": "CPU > 90%", "compare": "more workers gained > 30%"}, (2, 2), ()),
    ("compare-no-gain", metrics(**{**LOAD, "load_cpu_per_worker": 99.0}, has_compare=1.0, scale_rps_gain=0.1,
                                best_measured_workers=2.0, min_measured_workers=1.0),
     {"compare": "more workers gained <= 30%"}, (1, 1), ()),
    # never scale before fixing blocking calls / idle overhead
    ("blocking-before-scaling", metrics(blocking_sites=1.0, **{**LOAD, "load_cpu_per_worker": 99.0}),
     {"async_code": "no; refactor", "load_test": "fix first"}, (1, 1), ("fix-blocking",)),
    ("idle-overhead-first", metrics(idle_cpu_percent=65.0, idle_culprit_cpu_percent=60.0,
                                    **{**LOAD, "load_cpu_per_worker": 99.0}),
     {"idle": "idle CPU is overhead", "load_test": "fix first"}, (1, 1), ("fix-idle-cpu",)),
    ("idle-thread", metrics(idle_cpu_percent=20.0, idle_culprit_cpu_percent=18.0),
     {"idle": "a background thread"}, (1, 1), ("fix-idle-cpu",)),
    # beyond the seed
    ("downstream-bound", metrics(**{**LOAD, "latency_growth": 4.0, "rps_scaling": 0.2, "load_cpu_per_worker": 20.0,
                                    "latency_ok": 0.0}),
     {"load_test": "downstream-bound"}, (1, 1), ("downstream-bound",)),
    ("downstream-needs-idle-host", metrics(**{**LOAD, "latency_growth": 4.0, "rps_scaling": 0.2, "latency_ok": 0.0,
                                              "load_cpu_per_worker": 20.0, "host_idle_percent": 2.0}),
     {"load_test": "the host had no idle CPU"}, (1, 1), ()),
    ("thread-pool-saturates", metrics(sync_endpoints=3.0, thread_demand=100.0),
     {"thread_pool": "the thread limiter saturates"}, (1, 1), ("raise-thread-limit",)),
    ("thread-pool-fits", metrics(sync_endpoints=3.0, thread_demand=30.0),
     {"thread_pool": "the thread limiter is enough"}, (1, 1), ()),
]


@pytest.mark.parametrize(("row", "m", "path", "final", "acts"), ROWS, ids=[r[0] for r in ROWS])
def test_seed_table_paths(row: str, m: dict, path: dict[str, str], final: tuple[int, int], acts: tuple) -> None:
    result = walk(load_decision_tree(), m)
    got = taken(result)
    for node, label in path.items():
        assert got.get(node, "").startswith(label), f"{row}: {node} took {got.get(node)!r}"
    assert tuple(int(x) for x in result.workers_range) == final
    assert result.actions == acts


def test_path_steps_carry_the_numbers_that_chose_them() -> None:
    result = walk(load_decision_tree(), metrics(request_cpu_ratio=0.9, io_ratio=0.1))
    step = next(p for p in result.path if p.node == "workload")
    assert dict(step.values) == {"request_cpu_ratio": 0.9, "cpu_bound_ratio": 0.7}
    fallback = next(p for p in result.path if p.node == "idle")
    assert fallback.condition == "otherwise" and dict(fallback.values)["idle_cpu_percent"] == 2.0


def test_threshold_override_changes_the_path() -> None:
    m = metrics(request_cpu_ratio=0.35, io_ratio=0.65)
    assert taken(walk(load_decision_tree(), m))["workload"].startswith("mixed, CPU 30%-50%")
    tree = load_decision_tree(overrides=parse_threshold_args(["io_bound_ratio=0.6"]))
    assert taken(walk(tree, m))["workload"] == "I/O-bound (> 60% of request time waiting)"


def test_user_file_overlays_thresholds(tmp_path: Path) -> None:
    f = tmp_path / "mine.yaml"
    f.write_text("thresholds:\n  load_cpu_hot: 70\n")
    m = metrics(**{**LOAD, "load_cpu_per_worker": 75.0})
    assert taken(walk(load_decision_tree(), m))["load_test"].startswith("CPU < 80%")
    assert taken(walk(load_decision_tree(f), m))["load_test"].startswith("CPU > 70%")  # the label states 70


def test_unknown_threshold_override_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown threshold"):
        load_decision_tree(overrides={"no_such": 1.0})
    with pytest.raises(ConfigError, match="NAME=NUMBER"):
        parse_threshold_args(["io_bound_ratio"])


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("nodes:\n- id: a\n  branches:\n  - label: x\n    goto: done\n    when: bogus_metric > 1\n", "node 'a'"),
        ("nodes:\n- id: a\n  branches:\n  - when: \"__import__('os')\"\n    label: x\n    goto: done\n"
         "  - label: y\n    goto: done\n", "node 'a' branch 1"),
        ("nodes:\n- id: a\n  branches:\n  - label: x\n    goto: nowhere\n", "goto 'nowhere'"),
        ("nodes:\n- id: a\n  branches:\n  - label: x\n    goto: done\n    actions: [reboot]\n", "unknown action"),
        ("nodes:\n- id: a\n  branches:\n  - when: cores > 1\n    label: x\n    goto: done\n", "fallback"),
        ("nodes: [\n", "malformed YAML"),
    ],
)
def test_bad_decision_file_is_one_line_config_error(tmp_path: Path, body: str, message: str) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text(body)
    with pytest.raises(ConfigError) as err:
        load_decision_tree(f)
    text = str(err.value)
    assert message in text and str(f) in text and "\n" not in text


def _candidates(tree) -> dict[str, list[float | None]]:
    """Values just around every threshold, plus 0/1/None, for every metric."""
    cuts = sorted(set(tree.thresholds.values()))
    base = [None, 0.0, 1.0, 2.0, 4.0]
    around = [v for c in cuts for v in (c * 0.9, c * 1.1 + 0.01)]
    return {name: base + around for name in METRICS}


def uncovered(tree, rows=ROWS, samples: int = 4000) -> list[tuple[str, str]]:
    rng = random.Random(5)
    cands = _candidates(tree)
    seen: set[tuple[str, str]] = set()
    for row in rows:
        seen.update((p.node, p.condition) for p in walk(tree, row[1]).path)
    for _ in range(samples):
        m = {name: rng.choice(values) for name, values in cands.items()}
        seen.update((p.node, p.condition) for p in walk(tree, m).path)
    return [b for b in all_branches(tree) if b not in seen]


def test_every_branch_of_every_node_is_reachable() -> None:
    assert uncovered(load_decision_tree()) == []


def test_reachability_check_finds_a_dead_branch(tmp_path: Path) -> None:
    f = tmp_path / "dead.yaml"
    f.write_text(
        "definitions:\n  idle_overhead: 'cores > 99'\n  fix_first: idle_overhead\n"
        "start: a\nnodes:\n- id: a\n  branches:\n  - when: cores > 5 and cores < 1\n    label: impossible\n"
        "    goto: b\n  - label: always\n    goto: done\n- id: b\n  branches:\n  - label: never\n    goto: done\n"
    )
    assert uncovered(load_decision_tree(f), rows=[], samples=300) == [("a", "cores > 5 and cores < 1"),
                                                                      ("b", "otherwise")]
