"""The one table of action kinds: kind -> order, do-first rule, summary and builder.

Everything that lists action kinds derives from it: the decision tree's validation, the engine's
ordering and do-first marking, ``check``'s reading of a saved analysis, and the docs table
(``docs_table``). A new kind is one ``register_action_kind`` call (with its builder) plus a YAML
branch that emits it; the reports render any kind.

The builders live in ``decide/actions.py`` (they read scan/profile models); the table stays here,
in ``models``, so ``check`` and ``report`` can read it without importing ``decide``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

Builder = Callable[[Any], Any]  # decide.actions.ActionContext -> models.decision.Action


@dataclass(frozen=True)
class ActionKind:
    kind: str
    order: int  # reports list actions by (not first, order)
    summary: str  # one line, for the docs table
    # True: always done before any scaling; a definition name (e.g. "idle_overhead"): first when the
    # tree's definition holds; False: never.
    first: bool | str = False
    builder: Builder | None = None  # None until decide/actions.py registers it
    from_tree: bool = True  # emitted by a tree branch's `actions`; False: the engine adds it itself

    def is_first(self, flags: Mapping[str, float | None]) -> bool:
        if isinstance(self.first, str):
            return bool(flags.get(self.first))
        return self.first


_REGISTRY: dict[str, ActionKind] = {}


def register_action_kind(spec: ActionKind) -> ActionKind:
    """Add or replace a kind. Re-registering an existing kind keeps its builder unless a new one is given."""
    old = _REGISTRY.get(spec.kind)
    if old is not None and spec.builder is None:
        spec = replace(spec, builder=old.builder)
    _REGISTRY[spec.kind] = spec
    return spec


def unregister_action_kind(kind: str) -> None:
    """For tests that register a temporary kind."""
    _REGISTRY.pop(kind, None)


def action_kind(kind: str) -> ActionKind | None:
    return _REGISTRY.get(kind)


def action_kinds() -> tuple[str, ...]:
    """Every registered kind, in report order."""
    return tuple(k.kind for k in sorted(_REGISTRY.values(), key=lambda k: (k.order, k.kind)))


def docs_table() -> str:
    """The Markdown table of action kinds for docs/analysis.md (a test keeps the docs in step)."""
    rows = ["| kind | done first | emitted by | what it says |", "|---|---|---|---|"]
    for name in action_kinds():
        k = _REGISTRY[name]
        first = "always" if k.first is True else f"when `{k.first}`" if k.first else "no"
        rows.append(f"| `{k.kind}` | {first} | {'tree' if k.from_tree else 'engine'} | {k.summary} |")
    return "\n".join(rows)


for _spec in (
    ActionKind("fix-idle-cpu", 10, "remove CPU the server burns with no traffic", first="fix_first"),
    ActionKind("fix-blocking", 20, "replace or offload blocking calls on the event loop", first=True),
    ActionKind("offload-process-pool", 30, "move CPU-heavy work to a ProcessPoolExecutor"),
    ActionKind("limit-native-threads", 25, "give each worker cores / workers native compute threads (OMP_NUM_THREADS)",
               first="threads_oversubscribed"),
    ActionKind("raise-thread-limit", 40, "raise anyio's thread limiter for sync endpoints"),
    ActionKind("downstream-bound", 50, "a downstream service limits throughput; scale it, not workers"),
    ActionKind("keep", 60, "run 1 uvicorn worker", from_tree=False),
    ActionKind("scale-workers", 70, "run N uvicorn workers", from_tree=False),
    ActionKind("scale-out", 80, "more replicas instead of more workers than cores", from_tree=False),
):
    register_action_kind(_spec)
