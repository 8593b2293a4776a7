"""Issue 9: one home per fact. Thresholds reach every label, action kinds come from one table,
and a tree is validated when it loads (required definitions, finite numbers, ranges, cycles)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from decide_factories import env, ladder, profile, scan

from workeradvisor import cli
from workeradvisor.decide.actions import ActionContext
from workeradvisor.decide.engine import analyze_results
from workeradvisor.decide.tree import load_decision_tree, parse_threshold_args
from workeradvisor.errors import ConfigError
from workeradvisor.models.actions import (
    ActionKind,
    action_kinds,
    docs_table,
    register_action_kind,
    unregister_action_kind,
)
from workeradvisor.models.decision import Action, CodeSite
from workeradvisor.report import analysis_json, analysis_markdown, analysis_text

BUILTIN = Path(__file__).resolve().parent.parent / "rules" / "decision.yaml"
DOCS = Path(__file__).resolve().parent.parent / "docs" / "analysis.md"
IO_BOUND = dict(cpu_ratio=0.35, io_ratio=0.65)  # I/O-bound only when io_bound_ratio < 0.65


def _reports(analysis) -> dict[str, str]:
    return {"text": analysis_text.render(analysis), "markdown": analysis_markdown.render(analysis),
            "json": analysis_json.render(analysis)}


def _labels(analysis) -> list[str]:
    return [step["label"] for step in json.loads(analysis_json.render(analysis))["recommendation"]["path"]]


def test_threshold_override_changes_labels_in_text_markdown_and_json() -> None:
    """Acceptance 2: --threshold io_bound_ratio=0.6 changes the decision-path labels everywhere."""
    default = analyze_results(scan(), profile(**IO_BOUND), (), env())
    tree = load_decision_tree(overrides=parse_threshold_args(["io_bound_ratio=0.6"]))
    changed = analyze_results(scan(), profile(**IO_BOUND), (), env(), tree=tree)
    label = "I/O-bound (> 60% of request time waiting)"
    assert label in _labels(changed) and label not in _labels(default)
    for fmt, text in _reports(changed).items():
        assert label in text, fmt
    assert "io_bound_ratio=60%" in analysis_text.render(changed)  # the value the condition read
    assert json.loads(analysis_json.render(changed))["recommendation"]["thresholds"]["io_bound_ratio"] == 0.6


def test_every_number_in_a_label_follows_its_threshold() -> None:
    tree = load_decision_tree(overrides={"load_cpu_hot": 70, "scale_gain_min": 0.25, "mixed_low_cpu": 0.2})
    labels = [b.label for n in tree.nodes.values() for b in n.branches] + [n.question for n in tree.nodes.values()]
    assert "CPU > 70% under load; 2 workers" in labels
    assert "more workers gained > 25%; scale" in labels and "mixed, CPU < 20%; 1 worker" in labels
    assert not [t for t in labels if "90%" in t or "30%" in t]


def test_compare_gain_rule_states_the_threshold_in_force() -> None:
    loads = (ladder(1, rps=(40, 48, 50), cpu=(80, 97, 99)), ladder(2, rps=(40, 80, 95), cpu=(80, 160, 196)))
    tree = load_decision_tree(overrides={"scale_gain_min": 0.5})
    analysis = analyze_results(scan(), profile(cpu_ratio=0.95, cpu_s=0.02), loads, env(cores=2), tree=tree)
    for fmt in ("text", "markdown"):
        assert "the 50% rule" in _reports(analysis)[fmt] and "30%" not in _reports(analysis)[fmt], fmt


def _shed_load(ctx: ActionContext) -> Action:
    return Action("shed-load", f"Shed load above {ctx.metrics['peak_rps']:.0f} RPS", (("peak_rps", 1000.0),),
                  (CodeSite("app/limits.py", 3, "limit", "the rate limiter", "test"),), "Return 503 early.")


@pytest.fixture()
def shed_load_kind():
    register_action_kind(ActionKind("shed-load", 45, "return 503 above the capacity", first=True,
                                    builder=_shed_load))
    yield
    unregister_action_kind("shed-load")


def test_new_action_kind_via_registry_and_yaml_renders_everywhere(shed_load_kind: None, tmp_path: Path) -> None:
    """Acceptance 3: the table and a YAML branch are all a new kind needs."""
    tree_text = BUILTIN.read_text().replace(
        "        label: no load test; the range above stands\n        goto: done\n",
        "        label: no load test; the range above stands\n        goto: done\n"
        "      - when: peak_rps > 500\n        label: shed the excess\n        actions: [shed-load]\n"
        "        goto: done\n", 1)
    f = tmp_path / "tree.yaml"
    f.write_text(tree_text)
    analysis = analyze_results(scan(), profile(), (ladder(),), env(), tree=load_decision_tree(f))
    kinds = [a.kind for a in analysis.recommendation.actions]
    assert kinds[0] == "shed-load"  # first=True in the table puts it before the worker action
    assert analysis.recommendation.actions[0].first
    reports = _reports(analysis)
    for fmt, text in reports.items():
        assert "shed-load" in text and "Shed load above 1000 RPS" in text and "app/limits.py" in text, fmt
    assert "shed-load" in action_kinds() and "`shed-load`" in docs_table()


def test_unknown_kind_in_yaml_is_rejected_until_registered(tmp_path: Path) -> None:
    f = tmp_path / "tree.yaml"
    f.write_text(BUILTIN.read_text().replace("actions: [downstream-bound]", "actions: [shed-load]"))
    with pytest.raises(ConfigError, match="unknown action 'shed-load'"):
        load_decision_tree(f)


def test_docs_list_every_action_kind() -> None:
    assert docs_table() in DOCS.read_text()


def _exit(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    monkeypatch.setattr(sys, "argv", ["workeradvisor", *args])
    with pytest.raises(SystemExit) as exc:
        cli.main()
    return int(exc.value.code or 0), capsys.readouterr().err


def test_tree_without_engine_definitions_is_one_line_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "mine.yaml"
    f.write_text("nodes:\n- id: a\n  branches:\n  - label: always one\n    workers: [1, 1]\n    goto: done\n")
    load = tmp_path / "load.json"
    from workeradvisor.report import load_json
    load.write_text(json.dumps(load_json.to_dict(ladder())))
    code, err = _exit(monkeypatch, capsys, "advise", "--load", str(load), "--decision", str(f))
    assert code == 2
    assert err.startswith("workeradvisor: error: ") and "fix_first" in err and "idle_overhead" in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(("body", "message"), [
    ("thresholds:\n  io_bound_ratio: .nan\n", "finite"),
    ("thresholds:\n  io_bound_ratio: .inf\n", "finite"),
    ("nodes:\n- id: a\n  branches:\n  - label: x\n    workers: [3, 2]\n    goto: done\n", "1 <= lo <= hi <= 64"),
    ("nodes:\n- id: a\n  branches:\n  - label: x\n    workers: [1, 65]\n    goto: done\n", "1 <= lo <= hi <= 64"),
    ("nodes:\n- id: a\n  branches:\n  - label: x\n    workers: [0, 1]\n    goto: done\n", "1 <= lo <= hi <= 64"),
    ("nodes:\n- id: a\n  branches:\n  - label: 'CPU > {nope}'\n    goto: done\n", "{nope}"),
])
def test_bad_values_are_config_errors(tmp_path: Path, body: str, message: str) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text(body)
    with pytest.raises(ConfigError, match=message.replace("{", r"\{").replace("}", r"\}")):
        load_decision_tree(f)


def test_non_finite_override_is_rejected() -> None:
    for value in ("nan", "inf", "-inf"):
        with pytest.raises(ConfigError, match="finite"):
            parse_threshold_args([f"io_bound_ratio={value}"])


DEFS = "definitions:\n  idle_overhead: 'cores > 99'\n  fix_first: idle_overhead\n"


def test_cycle_is_found_by_graph_search(tmp_path: Path) -> None:
    f = tmp_path / "cycle.yaml"
    f.write_text(DEFS + "start: a\nnodes:\n"
                 "- id: a\n  branches:\n  - when: cores > 100\n    label: x\n    goto: done\n"
                 "  - label: y\n    goto: b\n"
                 "- id: b\n  branches:\n  - label: z\n    goto: a\n")
    with pytest.raises(ConfigError, match="cycle: a -> b -> a"):
        load_decision_tree(f)


def test_a_long_acyclic_chain_is_accepted(tmp_path: Path) -> None:
    nodes = "".join(f"- id: n{i}\n  branches:\n  - label: step {i}\n    goto: {f'n{i + 1}' if i < 99 else 'done'}\n"
                    for i in range(100))
    f = tmp_path / "chain.yaml"
    f.write_text(DEFS + "start: n0\nnodes:\n" + nodes)
    tree = load_decision_tree(f)
    analysis = analyze_results(scan(), profile(), (), env(), tree=tree)
    assert len(analysis.recommendation.path) == 100
