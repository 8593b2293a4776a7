"""Compile the rules' ``match`` data into lookup tables the one visitor consults per call.

Every table is keyed by a qualified name so a call costs a few dict lookups, whatever the
number of rules. Scanner semantics that are not rules (offload functions, route decorators,
``Depends``) live in ``workeradvisor/scan/known.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from workeradvisor.errors import ConfigError
from workeradvisor.rulebook import Rule

CONTEXTS = ("async", "module", "anywhere")
# Pseudo rule recorded at GIL-holding calls (the offload-cpu rule's ``holds_gil``): never reported
# itself (its context matches no function), it lets WA331 see json/re/... inside offloaded code.
GIL_HOLDING = "~gil"
KINDS = ("sync-endpoint", "sync-dependency", "offload-cpu")
_LIST_KEYS = ("calls", "types", "methods", "method_names", "cheap_methods", "holds_gil")


@dataclass(frozen=True)
class RuleIndex:
    """Lookup tables built from the selected rules (plain dicts: cheap to inherit in workers)."""

    calls: dict[str, tuple[str, ...]]  # qualified call -> rule ids
    type_methods: dict[str, tuple[tuple[str, frozenset[str] | None], ...]]  # type -> (rule, methods|None)
    method_names: dict[str, tuple[str, ...]]  # bare method name on any receiver -> rule ids
    factories: dict[str, str]  # callable (or "Type.method" / "Type.__call__") -> returned type
    known_types: frozenset[str]
    context: dict[str, str]  # rule id -> async | module | anywhere
    kinds: dict[str, str]  # structural kind -> rule id
    skip_lifespan: frozenset[str]
    cpu_rules: frozenset[str]  # rule ids of category cpu-heavy (for executor misuse)
    category: dict[str, str]  # rule id -> category
    releases_gil: frozenset[str] = frozenset()  # cpu-heavy rule ids whose calls release the GIL
    gil_holding_calls: frozenset[str] = frozenset()  # offload-cpu rule's ``holds_gil``: json, re, ...
    cheap_methods: dict[str, frozenset[str]] | None = None  # type -> methods that never block

    def match_call(self, symbol: str) -> tuple[str, ...]:
        return self.calls.get(symbol, ())

    def match_method(self, type_name: str, method: str) -> list[str]:
        out = []
        for rule_id, methods in self.type_methods.get(type_name, ()):
            if methods is None:
                if not method.startswith("_") and method not in (self.cheap_methods or {}).get(type_name, ()):
                    out.append(rule_id)
            elif method in methods:
                out.append(rule_id)
        return out


def _strings(rule: Rule, key: str) -> list[str]:
    value = rule.match.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{rule.source}: rule {rule.id}: match.{key} must be a list of strings")
    return value


def build_index(rules: Iterable[Rule], all_rules: Mapping[str, Rule] | None = None) -> RuleIndex:
    """Index the selected ``rules``; factories come from ``all_rules`` so object tracking
    still works when the rule that declares a factory is deselected."""
    calls: dict[str, list[str]] = {}
    type_methods: dict[str, list[tuple[str, frozenset[str] | None]]] = {}
    method_names: dict[str, list[str]] = {}
    factories: dict[str, str] = {}
    context: dict[str, str] = {}
    kinds: dict[str, str] = {}
    skip_lifespan: set[str] = set()
    cpu: set[str] = set()
    releases: set[str] = set()
    holding: set[str] = set()
    cheap: dict[str, frozenset[str]] = {}
    selected = list(rules)
    for rule in list((all_rules or {}).values()) + selected:
        fac = rule.match.get("factories", {}) or {}
        if not isinstance(fac, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in fac.items()):
            raise ConfigError(f"{rule.source}: rule {rule.id}: match.factories must map names to type names")
        factories.update(fac)
    for rule in selected:
        unknown = set(rule.match) - {*_LIST_KEYS, "factories", "context", "kind", "skip_lifespan", "releases_gil",
                                     "type_methods"}
        if unknown:
            raise ConfigError(f"{rule.source}: rule {rule.id}: unknown match key(s) {', '.join(sorted(unknown))}")
        ctx = rule.match.get("context", "async")
        if ctx not in CONTEXTS:
            raise ConfigError(f"{rule.source}: rule {rule.id}: match.context must be one of {', '.join(CONTEXTS)}")
        context[rule.id] = ctx
        kind = rule.match.get("kind")
        if kind is not None:
            if kind not in KINDS:
                raise ConfigError(f"{rule.source}: rule {rule.id}: match.kind must be one of {', '.join(KINDS)}")
            kinds[kind] = rule.id
        if rule.match.get("skip_lifespan"):
            skip_lifespan.add(rule.id)
        if rule.category == "cpu-heavy":
            cpu.add(rule.id)
            gil = rule.match.get("releases_gil")
            if not isinstance(gil, bool):
                raise ConfigError(f"{rule.source}: rule {rule.id}: a cpu-heavy rule needs match.releases_gil: "
                                  "true or false")
            if gil:
                releases.add(rule.id)
        holding.update(_strings(rule, "holds_gil"))
        for name in _strings(rule, "calls"):
            calls.setdefault(name, []).append(rule.id)
        methods = _strings(rule, "methods")
        exempt = frozenset(_strings(rule, "cheap_methods"))
        per_type = rule.match.get("type_methods", {}) or {}
        if not isinstance(per_type, dict) or not all(
                isinstance(v, list) and all(isinstance(m, str) for m in v) for v in per_type.values()):
            raise ConfigError(f"{rule.source}: rule {rule.id}: match.type_methods must map types to method lists")
        for type_name, names in per_type.items():
            type_methods.setdefault(type_name, []).append((rule.id, frozenset(names)))
        types = _strings(rule, "types")
        for type_name in types:
            type_methods.setdefault(type_name, []).append((rule.id, frozenset(methods) if methods else None))
            # a bare name is cheap on every type of the rule; "Type.method" only on that type
            own = {m.rpartition(".")[2] for m in exempt if m.rpartition(".")[0] == type_name}
            names = {m for m in exempt if "." not in m} | own
            if names:
                cheap[type_name] = cheap.get(type_name, frozenset()) | names
        for name in _strings(rule, "method_names"):
            method_names.setdefault(name, []).append(rule.id)
    if holding and kinds.get("offload-cpu"):
        context[GIL_HOLDING] = "offloaded"
        for name in holding:
            calls.setdefault(name, []).append(GIL_HOLDING)
    known = set(type_methods) | set(factories.values())
    return RuleIndex(
        calls={k: tuple(v) for k, v in calls.items()},
        type_methods={k: tuple(v) for k, v in type_methods.items()},
        method_names={k: tuple(v) for k, v in method_names.items()},
        factories=factories,
        known_types=frozenset(known),
        context=context,
        kinds=kinds,
        skip_lifespan=frozenset(skip_lifespan),
        cpu_rules=frozenset(cpu),
        category={r.id: r.category for r in selected},
        releases_gil=frozenset(releases),
        gil_holding_calls=frozenset(holding),
        cheap_methods=cheap,
    )
