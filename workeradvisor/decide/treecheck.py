"""Checks a decision tree must pass when it loads, beyond parsing: numbers in labels come from the
thresholds, worker ranges are sane, the engine's own names exist, and the nodes form no cycle.

Every failure is a one-line ``ConfigError`` naming the file (exit 2).
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any, Protocol

from workeradvisor.decide.metrics import METRICS
from workeradvisor.errors import ConfigError

DONE = "done"
MAX_WORKERS = 64  # a literal workers range must satisfy 1 <= lo <= hi <= this
# Names the engine reads from the tree itself (decide/engine.py), so every tree must define them:
# a user tree without them would silently change the result.
REQUIRED_DEFINITIONS = ("fix_first", "idle_overhead")
REQUIRED_THRESHOLDS = ("anyio_thread_tokens", "scale_gain_min", "host_idle_min", "memory_headroom",
                       "fleet_headroom", "fleet_min_replicas", "fleet_hpa_max_factor", "fleet_hpa_cpu_min",
                       "fleet_multi_worker_cpu_ratio", "fleet_db_connection_headroom", "idle_thread_material")


class _Node(Protocol):
    @property
    def branches(self) -> tuple[Any, ...]: ...  # each with a ``goto``


def interpolate(text: str, thresholds: Mapping[str, float], src: str, where: str) -> str:
    """``"CPU > {load_cpu_hot:g}%"`` with the tree's thresholds (after overrides), so a label never
    states a number the decision did not use. Only plain threshold names may be interpolated."""
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]
        bad = [f for f in fields if f not in thresholds]
        if bad:
            raise ConfigError(f"{src}: {where}: {{{bad[0]}}} in {text!r} is not a threshold")
        return text.format_map(thresholds)
    except (ValueError, IndexError) as exc:
        raise ConfigError(f"{src}: {where}: cannot format {text!r}: {exc}") from None


def workers_range(raw: Any, src: str, where: str) -> tuple[float | str, float | str] | None:
    if raw is None:
        return None
    ok = isinstance(raw, list) and len(raw) == 2
    for w in raw if ok else []:
        if isinstance(w, str):
            ok = ok and w in METRICS
        else:
            ok = ok and isinstance(w, int) and not isinstance(w, bool) and 1 <= w <= MAX_WORKERS
    if ok and all(isinstance(w, int) for w in raw):
        ok = raw[0] <= raw[1]
    if not ok:
        raise ConfigError(f"{src}: {where}: 'workers' must be [lo, hi] with 1 <= lo <= hi <= {MAX_WORKERS}, "
                          "or metric names")
    return (raw[0], raw[1])


def require_names(src: str, defined: set[str], thresholds: Mapping[str, float]) -> None:
    missing = [d for d in REQUIRED_DEFINITIONS if d not in defined]
    if missing:
        raise ConfigError(f"{src}: the tree must define {', '.join(missing)} (the engine reads "
                          f"{' and '.join(REQUIRED_DEFINITIONS)} to order actions and hold scaling)")
    missing = [t for t in REQUIRED_THRESHOLDS if t not in thresholds]
    if missing:
        raise ConfigError(f"{src}: missing threshold(s) {', '.join(missing)}")


def check_acyclic(src: str, nodes: Mapping[str, _Node]) -> None:
    """Depth-first search over every ``goto``: any cycle is a load error naming it, so a walk
    always ends and any acyclic tree (however long) is accepted."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = finished
    for root in nodes:
        if state.get(root):
            continue
        stack: list[tuple[str, list[str]]] = [(root, [b.goto for b in nodes[root].branches])]
        state[root] = 1
        while stack:
            nid, todo = stack[-1]
            if not todo:
                state[nid] = 2
                stack.pop()
                continue
            nxt = todo.pop()
            if nxt == DONE or state.get(nxt) == 2:
                continue
            if state.get(nxt) == 1:
                cycle = [n for n, _ in stack][[n for n, _ in stack].index(nxt):] + [nxt]
                raise ConfigError(f"{src}: the nodes form a cycle: {' -> '.join(cycle)}")
            state[nxt] = 1
            stack.append((nxt, [b.goto for b in nodes[nxt].branches]))
