"""How code runs when the service serves: per request, at startup, or never (tests, scripts,
CLI commands). Roots come from the visitor (routes, middleware, dependencies, lifespans, commands);
reachability follows project calls, sync and async. Code no root reaches counts as served: a
missed entry point must not hide a real blocker."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from workeradvisor.scan import known
from workeradvisor.scan.facts import FileFacts, FuncFacts
from workeradvisor.scan.linker import Linker

REQUEST, STARTUP, UNSERVED = "request", "startup", "unserved"
_STARTUP_ENTRIES = frozenset({"startup"})
_UNSERVED_ENTRIES = frozenset({"cli", "cli __main__", "test"})


def unserved_reason(rel_parts: tuple[str, ...]) -> str:
    """Why a file (path parts relative to the scan root) is never served, or ""."""
    name = rel_parts[-1] if rel_parts else ""
    for part in rel_parts[:-1]:
        if part in known.UNSERVED_DIRS:
            return f"{part}/"
    if name in known.UNSERVED_FILES:
        return name
    if name.startswith("test_") or name.endswith("_test.py"):
        return "test file"
    return ""


class Served:
    """Context (request|startup|unserved) and entry point of every function."""

    def __init__(self, linker: Linker, files: list[FileFacts]) -> None:
        self.linker = linker
        self.where: dict[int, tuple[str, str]] = {}  # id(func) -> (context, entry)
        roots: dict[str, list[tuple[FuncFacts, str]]] = {REQUEST: [], STARTUP: [], UNSERVED: []}
        for ff in files:
            for f in ff.functions:
                kind = self.root_kind(f, ff)
                if kind:
                    roots[kind].append((f, f.entry or "route"))
                self.add_refs(f, roots)
            for cls, bases in ff.class_bases.items():
                if not known.MIDDLEWARE_BASES.isdisjoint(bases):
                    self.add_class(cls, "middleware", roots[REQUEST])
        self.framework = bool(roots[REQUEST])
        for kind in (REQUEST, STARTUP, UNSERVED):  # first reach wins: request before startup before unserved
            self.walk(kind, roots[kind])

    def root_kind(self, f: FuncFacts, ff: FileFacts) -> str:
        if ff.unserved:
            return ""
        if f.endpoint or (f.entry and f.entry not in _STARTUP_ENTRIES and f.entry not in _UNSERVED_ENTRIES):
            return REQUEST
        if f.entry in _STARTUP_ENTRIES or f.is_module:
            return STARTUP
        return UNSERVED if f.entry in _UNSERVED_ENTRIES else ""

    def add_refs(self, f: FuncFacts, roots: dict[str, list[tuple[FuncFacts, str]]]) -> None:
        for name, _line, _col in f.depends:
            self.add_name(name, "dependency", roots[REQUEST])
        for kind, name in f.refs:
            target = roots[STARTUP] if kind == "startup" else roots[REQUEST]
            if kind == "middleware":
                self.add_class(self.linker.canonical(name), kind, target)
            self.add_name(name, kind, target)

    def add_name(self, name: str, kind: str, into: list[tuple[FuncFacts, str]]) -> None:
        found = self.linker.function(name)
        if found is not None:
            into.append((found[0], kind))

    def add_class(self, cls: str, kind: str, into: list[tuple[FuncFacts, str]]) -> None:
        for method in known.MIDDLEWARE_METHODS:
            self.add_name(f"{cls}.{method}", kind, into)

    def walk(self, context: str, roots: Iterable[tuple[FuncFacts, str]]) -> None:
        queue = deque((f, f"{kind} {f.qualname}") for f, kind in roots)
        while queue:
            f, entry = queue.popleft()
            if id(f) in self.where:
                continue
            self.where[id(f)] = (context, entry)
            for edge in (*self.linker.calls_of(f), *f.depends):
                target = self.linker.function(edge.target)
                if target is not None and id(target[0]) not in self.where:
                    queue.append((target[0], entry))

    def context(self, f: FuncFacts, ff: FileFacts) -> tuple[str, str]:
        """(context, entry point) of a finding reported in ``f``."""
        if ff.unserved:
            return UNSERVED, ff.unserved
        if f.is_module:
            return STARTUP, f"import {f.module}"
        if not self.framework:
            return REQUEST, ""  # a plain asyncio program: all its async code counts
        return self.where.get(id(f), (REQUEST, ""))
