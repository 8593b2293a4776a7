"""Load ``rules/decision.yaml`` (validated, thresholds overridable) and walk it over metrics.

The tree is data: users can override thresholds (``--threshold io_bound_ratio=0.6``), overlay a
file holding only ``thresholds``/``definitions``, or replace the whole tree with their own
``nodes``. Every problem is a one-line ``ConfigError`` naming the file and the node.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from workeradvisor.decide.conditions import ConditionError, Node, parse_condition
from workeradvisor.decide.metrics import METRICS
from workeradvisor.decide.treecheck import DONE, check_acyclic, interpolate, require_names, workers_range
from workeradvisor.errors import ConfigError
from workeradvisor.models.actions import action_kinds
from workeradvisor.models.decision import PathStep
from workeradvisor.rulebook import builtin_rules_dir
from workeradvisor.safeio import MAX_CONFIG_FILE, load_yaml, read_bounded


@dataclass(frozen=True)
class Branch:
    condition: Node | None  # None: the fallback
    text: str
    label: str
    goto: str
    workers: tuple[float | str, float | str] | None = None  # ints or metric names
    actions: tuple[str, ...] = ()


@dataclass(frozen=True)
class DecisionNode:
    id: str
    question: str
    branches: tuple[Branch, ...]


@dataclass(frozen=True)
class DecisionTree:
    source: str
    thresholds: dict[str, float]
    definitions: tuple[tuple[str, Node, str], ...]  # (name, parsed, text)
    start: str
    nodes: dict[str, DecisionNode]


@dataclass(frozen=True)
class Walk:
    path: tuple[PathStep, ...]
    workers_range: tuple[float, float] | None
    actions: tuple[str, ...]  # kinds in the order the path emitted them
    env: Mapping[str, float | None]  # metrics + thresholds + definitions the walk read (one build)


def default_decision_file() -> Path:
    return builtin_rules_dir() / "decision.yaml"


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = load_yaml(read_bounded(path, "decision file", MAX_CONFIG_FILE), str(path))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path}:{where}: malformed YAML: {getattr(exc, 'problem', None) or exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping with 'thresholds' and 'nodes'")
    return data


def _thresholds(raw: Any, src: str) -> dict[str, float]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{src}: 'thresholds' must be a mapping of name -> number")
    out: dict[str, float] = {}
    for name, value in raw.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ConfigError(f"{src}: threshold {name!r} must be a finite number, got {value!r}")
        if name in METRICS:
            raise ConfigError(f"{src}: threshold {name!r} has the name of a metric")
        out[str(name)] = float(value)
    return out


def _parse(text: Any, known: set[str], src: str, where: str) -> Node:
    try:
        return parse_condition(str(text) if text is not None else "", known)
    except ConditionError as exc:
        raise ConfigError(f"{src}: {where}: {exc}: {text!r}") from None


def _branch(raw: Any, known: set[str], src: str, where: str, last: bool,
            thresholds: Mapping[str, float]) -> Branch:
    if not isinstance(raw, dict) or not isinstance(raw.get("goto"), str) or not raw.get("label"):
        raise ConfigError(f"{src}: {where}: a branch needs 'label' and 'goto'")
    cond = None
    if "when" in raw:
        cond = _parse(raw["when"], known, src, where)
    elif not last:
        raise ConfigError(f"{src}: {where}: only the last branch may omit 'when'")
    if last and cond is not None:
        raise ConfigError(f"{src}: {where}: the last branch is the fallback; omit its 'when'")
    workers = workers_range(raw.get("workers"), src, where)
    actions = raw.get("actions", []) or []
    known_kinds = action_kinds()
    bad = [a for a in actions if a not in known_kinds] if isinstance(actions, list) else [actions]
    if bad:
        raise ConfigError(f"{src}: {where}: unknown action {bad[0]!r} (known: {', '.join(known_kinds)})")
    text = str(raw["when"]).strip() if cond is not None else "otherwise"
    label = interpolate(str(raw["label"]), thresholds, src, where)
    return Branch(cond, text, label, raw["goto"], workers, tuple(actions))


def _build(data: dict[str, Any], thresholds: dict[str, float], src: str) -> DecisionTree:
    known = set(METRICS) | set(thresholds)
    defs: list[tuple[str, Node, str]] = []
    raw_defs = data.get("definitions") or {}
    if not isinstance(raw_defs, dict):
        raise ConfigError(f"{src}: 'definitions' must be a mapping of name -> condition")
    for name, text in raw_defs.items():
        if name in known:
            raise ConfigError(f"{src}: definition {name!r} reuses a metric or threshold name")
        defs.append((name, _parse(text, known, src, f"definition {name!r}"), str(text).strip()))
        known.add(name)
    raw_nodes = data.get("nodes")
    if not isinstance(raw_nodes, list) or not raw_nodes:
        raise ConfigError(f"{src}: 'nodes' must be a non-empty list")
    nodes: dict[str, DecisionNode] = {}
    for i, raw in enumerate(raw_nodes):
        nid = raw.get("id") if isinstance(raw, dict) else None
        where = f"node {nid!r}" if nid else f"node #{i + 1}"
        if not isinstance(nid, str) or not isinstance(raw.get("branches"), list) or not raw["branches"]:
            raise ConfigError(f"{src}: {where}: a node needs 'id' and a non-empty 'branches' list")
        if nid in nodes or nid == DONE:
            raise ConfigError(f"{src}: {where}: duplicate or reserved id")
        n = len(raw["branches"])
        branches = tuple(
            _branch(b, known, src, f"{where} branch {j + 1}", j == n - 1, thresholds)
            for j, b in enumerate(raw["branches"])
        )
        question = interpolate(str(raw.get("question", nid)), thresholds, src, where)
        nodes[nid] = DecisionNode(nid, question, branches)
    for node in nodes.values():
        for b in node.branches:
            if b.goto != DONE and b.goto not in nodes:
                raise ConfigError(f"{src}: node {node.id!r}: goto {b.goto!r} is not a node id or 'done'")
    start = data.get("start", next(iter(nodes)))
    if start not in nodes:
        raise ConfigError(f"{src}: start {start!r} is not a node id")
    require_names(src, {name for name, _, _ in defs}, thresholds)
    check_acyclic(src, nodes)
    return DecisionTree(src, thresholds, tuple(defs), start, nodes)


def load_decision_tree(
    path: Path | None = None, overrides: Mapping[str, float] | None = None
) -> DecisionTree:
    """The built-in tree, overlaid or replaced by ``path``, with ``overrides`` applied last."""
    builtin_path = default_decision_file()
    data = _read_yaml(builtin_path)
    src = str(builtin_path)
    thresholds = _thresholds(data.get("thresholds"), src)
    if path is not None:
        user = _read_yaml(Path(path))
        src = str(path)
        thresholds.update(_thresholds(user.get("thresholds"), src))
        if "nodes" in user:
            data = user
        elif "definitions" in user:
            data = {**data, "definitions": {**(data.get("definitions") or {}), **user["definitions"]}}
    for name, value in (overrides or {}).items():
        if name not in thresholds:
            raise ConfigError(f"--threshold {name}: unknown threshold (known: {', '.join(sorted(thresholds))})")
        thresholds[name] = float(value)
    return _build(data, thresholds, src)


def parse_threshold_args(items: list[str] | tuple[str, ...]) -> dict[str, float]:
    """``["io_bound_ratio=0.6"]`` -> ``{"io_bound_ratio": 0.6}``; malformed items are ConfigErrors."""
    out: dict[str, float] = {}
    for item in items:
        name, sep, value = item.partition("=")
        try:
            if not sep or not name.strip():
                raise ValueError
            out[name.strip()] = float(value)
            if not math.isfinite(out[name.strip()]):
                raise ValueError
        except ValueError:
            raise ConfigError(f"--threshold {item!r}: expected NAME=NUMBER (a finite number)") from None
    return out


def environment(tree: DecisionTree, metrics: Mapping[str, float | None]) -> dict[str, float | None]:
    """Metrics + thresholds + evaluated definitions: everything a condition may read."""
    env: dict[str, float | None] = {**dict.fromkeys(METRICS), **metrics, **tree.thresholds}
    for name, node, _ in tree.definitions:
        env[name] = 1.0 if node.eval(env) else 0.0
    return env


def _resolve(spec: float | str, env: Mapping[str, float | None]) -> float | None:
    return env.get(spec) if isinstance(spec, str) else float(spec)


def _expand(tree: DecisionTree, names: tuple[str, ...]) -> list[str]:
    """Names a condition read, with each definition followed by the names it reads."""
    defs = {name: node for name, node, _ in tree.definitions}
    out: list[str] = []
    todo = list(names)
    while todo:
        name = todo.pop(0)
        if name in out:
            continue
        out.append(name)
        if name in defs:
            todo[:0] = list(defs[name].names)
    return out


def walk(tree: DecisionTree, metrics: Mapping[str, float | None]) -> Walk:
    """Follow the first true branch of each node from ``start`` to ``done``."""
    env = environment(tree, metrics)
    path: list[PathStep] = []
    actions: list[str] = []
    workers: tuple[float, float] | None = None
    node_id = tree.start
    while node_id != DONE:  # the tree was checked acyclic when loaded
        node = tree.nodes[node_id]
        branch = next(b for b in node.branches if b.condition is None or b.condition.eval(env))
        read = branch.condition.names if branch.condition else tuple(
            n for b in node.branches if b.condition is not None for n in b.condition.names
        )
        names = _expand(tree, read)
        chosen: tuple[int, int] | None = None
        if branch.workers is not None:
            lo, hi = (_resolve(w, env) for w in branch.workers)
            if lo is not None and hi is not None:
                workers = (lo, hi)
                chosen = (int(lo), int(hi))
        values = tuple((n, env.get(n)) for n in names)
        path.append(PathStep(node.id, node.question, branch.text, branch.label, values, chosen))
        actions.extend(a for a in branch.actions if a not in actions)
        node_id = branch.goto
    return Walk(tuple(path), workers, tuple(actions), env)


def all_branches(tree: DecisionTree) -> list[tuple[str, str]]:
    """(node id, branch condition text) for every branch, for coverage checks."""
    return [(n.id, b.text) for n in tree.nodes.values() for b in n.branches]
