"""Join every file's facts: resolve cross-module names, follow sync calls from async code to
``max_depth`` and turn hits into findings reported at the async call site with the chain."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

from workeradvisor.models.scan import ChainSite
from workeradvisor.scan.facts import Edge, FileFacts, FuncFacts
from workeradvisor.scan.fileworker import is_suppressed
from workeradvisor.scan.project import ProjectIndex
from workeradvisor.scan.ruleindex import GIL_HOLDING, RuleIndex


class Reached(NamedTuple):
    """A hit reached through sync calls, with the chain from the callee down to the blocking call."""

    rule: str
    symbol: str
    chain: tuple[ChainSite, ...]


@dataclass(slots=True)
class RawFinding:
    """A finding before rendering: where it is reported and what it matched."""

    file: FileFacts
    func: FuncFacts
    rule: str
    symbol: str
    line: int
    col: int
    chain: tuple[ChainSite, ...] = ()


class Linker(ProjectIndex):
    """Follows sync calls from async code to ``max_depth`` and turns hits into findings."""

    def __init__(self, files: list[FileFacts], index: RuleIndex, max_depth: int) -> None:
        super().__init__(files, index)
        self.max_depth = max_depth
        self.memo: dict[tuple[str, int, str], list[Reached]] = {}

    def is_offloader(self, helper: str) -> bool:
        target = self.function(helper)
        return target is not None and target[0].offloader

    def calls_of(self, f: FuncFacts) -> Iterator[Edge]:
        """Sync calls made here: edges, plus lambdas handed to project functions that run them inline."""
        yield from f.edges
        for v in f.via:
            if v.inline and not self.is_offloader(v.helper):
                yield Edge(v.target, v.line, v.col)

    def offloads_of(self, f: FuncFacts) -> Iterator[Edge]:
        yield from f.offloads
        for v in f.via:
            if self.is_offloader(v.helper):
                yield Edge(v.target, v.line, v.col)

    def display(self, f: FuncFacts) -> str:
        return f"{f.module.rpartition('.')[2]}.{f.local}"

    def reach(self, f: FuncFacts, ff: FileFacts, depth: int, ctx: str) -> list[Reached]:
        """One reached hit per rule inside sync function ``f`` (own hits first, then callees)."""
        key = (f.qualname, depth, ctx)
        if key in self.memo:
            return self.memo[key]
        self.memo[key] = []  # cycle guard
        self.prepare(f, ff)
        out: dict[str, Reached] = {}
        step = ChainSite(self.display(f), ff.path, f.line)
        for hit in f.hits:
            k = hit.rule
            if k not in out and self.index.context.get(hit.rule) == ctx:
                out[k] = Reached(hit.rule, hit.symbol, (step, ChainSite(hit.symbol, ff.path, hit.line)))
        if depth > 1:
            for edge in self.calls_of(f):
                target = self.function(edge.target)
                if target is None or target[0].is_async or target[0] is f or target[0].once:
                    continue
                for r in self.reach(target[0], target[1], depth - 1, ctx):
                    k = r.rule
                    if k not in out:
                        out[k] = Reached(r.rule, r.symbol, (step, *r.chain))
        result = list(out.values())
        self.memo[key] = result
        return result

    def link_route_tables(self, files: list[FileFacts]) -> list[RawFinding]:
        """Endpoints named in ``Route(...)`` tables become endpoints of the module that defines them."""
        out: list[RawFinding] = []
        rule = self.index.kinds.get("sync-endpoint")
        for ff in files:
            for method, path, name in ff.route_refs:
                target = self.function(name)
                if target is None:
                    continue
                f, owner = target
                owner.routes.append((method, path, f.qualname, f.line, f.is_async))
                if not f.endpoint and rule and not f.is_async:
                    out.append(RawFinding(owner, f, rule, f.local, f.line, 0))
                f.endpoint = True
                f.entry = f.entry or f"route {method} {path}"
        return out

    def findings(self, files: list[FileFacts]) -> list[RawFinding]:
        out: list[RawFinding] = self.link_route_tables(files)
        for ff in files:
            for f in ff.functions:
                out.extend(self.function_findings(ff, f))
        return [r for r in out if not is_suppressed(r.file, r.rule, r.line)]

    def function_findings(self, ff: FileFacts, f: FuncFacts) -> Iterator[RawFinding]:
        idx = self.index
        ctx = "async" if f.is_async else "module" if f.is_module else None
        if ctx is not None:
            self.prepare(f, ff)
        for rule, symbol, line, col in f.hits:
            want = idx.context.get(rule)
            if (want == "anywhere" or want == ctx) and not (f.lifespan and rule in idx.skip_lifespan):
                yield RawFinding(ff, f, rule, symbol, line, col)
        dep_rule = idx.kinds.get("sync-dependency")
        if dep_rule:
            for name, line, col in f.depends:
                target = self.function(name)
                if target and not target[0].is_async:
                    yield RawFinding(ff, f, dep_rule, self.display(target[0]), line, col)
        yield from self.offload_findings(ff, f)
        if ctx is None or self.max_depth < 1:
            return
        for name, line, col in self.calls_of(f):
            target = self.function(name)
            if target is None or target[0].is_async or target[0].once:
                continue
            for r in self.reach(target[0], target[1], self.max_depth, ctx):
                if not (f.lifespan and r.rule in idx.skip_lifespan):
                    start = ChainSite(f.local, ff.path, line)
                    yield RawFinding(ff, f, r.rule, r.symbol, line, col, (start, *r.chain))

    def offload_findings(self, ff: FileFacts, f: FuncFacts) -> Iterator[RawFinding]:
        """WA331: a project function sent to a thread pool that reaches GIL-holding CPU work."""
        idx = self.index
        cpu_rule = idx.kinds.get("offload-cpu")
        if not cpu_rule:
            return
        holding = (idx.cpu_rules - idx.releases_gil) | {GIL_HOLDING}
        for name, line, col in self.offloads_of(f):
            if name in idx.gil_holding_calls:
                yield RawFinding(ff, f, cpu_rule, name, line, col)
                continue
            target = self.function(name)
            if target and not target[0].is_async:
                reached = self.reach(target[0], target[1], self.max_depth, "async")
                if not any(idx.category.get(r.rule, "").startswith("blocking-") for r in reached):
                    # json/re/... count only when the offloaded work waits on nothing: with I/O in it,
                    # a thread is the right tool (the GIL is released while it waits)
                    reached = [*reached, *self.reach(target[0], target[1], self.max_depth, "offloaded")]
                for r in reached:
                    if r.rule in holding:
                        start = ChainSite(f.local, ff.path, line)
                        yield RawFinding(ff, f, cpu_rule, r.symbol, line, col, (start, *r.chain))
                        break
                else:
                    if not reached and self.pure_python(target[0]):
                        shown = f"{self.display(target[0])} (pure Python)"
                        site = ChainSite(self.display(target[0]), target[1].path, target[0].line)
                        yield RawFinding(ff, f, cpu_rule, shown, line, col, (ChainSite(f.local, ff.path, line), site))

    def pure_python(self, root: FuncFacts) -> bool:
        """A project function whose work holds the GIL throughout: it and the project code it calls
        (to ``max_depth``) call only builtins, pure stdlib functions and str/list/dict methods, and
        loop somewhere. Anything else (a library, an untyped object, a class, code past the depth)
        might release the GIL, so the answer is no."""
        seen: set[int] = set()
        stack = [(root, self.max_depth)]
        loops = False
        while stack:
            f, depth = stack.pop()
            if id(f) in seen:
                continue
            seen.add(id(f))
            if f.foreign or f.pending or f.is_async or f.offloader or any(h.rule != GIL_HOLDING for h in f.hits):
                return False
            loops = loops or f.loops
            for edge in self.calls_of(f):
                target = self.function(edge.target)
                if target is None or depth <= 1:
                    return False
                stack.append((target[0], depth - 1))
        return loops
