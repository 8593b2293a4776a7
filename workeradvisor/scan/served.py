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


def _caching(helper: str) -> bool:
    """``cache.save_result`` / ``memoize``: a helper whose name says it caches what it is given."""
    low = helper.lower()
    return any(w in low for w in known.CACHE_WORDS)


def unserved_reason(rel_parts: tuple[str, ...]) -> str:
    """Why a file (path parts relative to the scan root) is never served, or ""."""
    name = rel_parts[-1] if rel_parts else ""
    for part in rel_parts[:-1]:
        if part in known.UNSERVED_DIRS:
            return f"{part}/"
    if name in known.UNSERVED_FILES or (len(rel_parts) == 1 and name in known.UNSERVED_ROOT_FILES):
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
        self.hot = self.per_request([f for f, kind in roots[REQUEST] if kind != "job"])
        self.files = files
        self._warm_callers: dict[int, bool] | None = None  # id(func) -> called anywhere not on a cache miss

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

    def per_request(self, roots: list[FuncFacts]) -> set[int]:
        """Functions every request may run: reached from request roots (not worker jobs) without
        passing a cache-miss call (after a memo guard, or a callable handed to a caching helper)."""
        seen: set[int] = set()
        queue = deque(roots)
        while queue:
            f = queue.popleft()
            if id(f) in seen:
                continue
            seen.add(id(f))
            for target in self.warm_callees(f):
                if id(target) not in seen:
                    queue.append(target)
        return seen

    def warm_callees(self, f: FuncFacts) -> list[FuncFacts]:
        """Project functions ``f`` calls other than on a cache miss."""
        cold = {(v.line, v.col) for v in f.via if _caching(v.helper)}
        out = []
        for edge in (*self.linker.calls_of(f), *f.depends):
            if (f.miss_from and edge.line > f.miss_from) or (edge.line, edge.col) in cold:
                continue
            target = self.linker.function(edge.target)
            if target is not None:
                out.append(target[0])
        return out

    def only_on_cache_miss(self, f: FuncFacts) -> bool:
        """Code no entry point reaches, whose every served project caller (tests do not count)
        calls it on a cache miss."""
        if self._warm_callers is None:
            self._warm_callers = {}
            for ff in self.files:
                for caller in ff.functions:
                    if ff.unserved or self.where.get(id(caller), (REQUEST, ""))[0] == UNSERVED:
                        continue
                    for target in self.warm_callees(caller):
                        self._warm_callers[id(target)] = True
                    for edge in self.linker.calls_of(caller):
                        target_ = self.linker.function(edge.target)
                        if target_ is not None:
                            self._warm_callers.setdefault(id(target_[0]), False)
        return self._warm_callers.get(id(f)) is False

    def built_per_request(self, f: FuncFacts, line: int) -> bool:
        """WA311: is a client built at ``line`` of ``f`` built per request? Not after a memo guard,
        nor in code that requests reach only through cache misses or that only worker jobs run."""
        if f.miss_from and line > f.miss_from:
            return False
        if not self.framework or id(f) not in self.where:
            # a plain asyncio program, or code no entry point reaches: counts as served
            return not self.only_on_cache_miss(f)
        return id(f) in self.hot

    def context(self, f: FuncFacts, ff: FileFacts) -> tuple[str, str]:
        """(context, entry point) of a finding reported in ``f``."""
        if ff.unserved:
            return UNSERVED, ff.unserved
        if f.is_module:
            return STARTUP, f"import {f.module}"
        if not self.framework:
            return REQUEST, ""  # a plain asyncio program: all its async code counts
        return self.where.get(id(f), (REQUEST, ""))
