"""The project as a whole, once every file is visited: cross-module names (aliases, re-exports,
scan roots), inherited methods, and type flow (globals of other modules, return annotations,
factories, settings-flag defaults) applied to the calls each function left pending."""

from __future__ import annotations

from workeradvisor.scan.facts import Edge, FileFacts, FuncFacts, Hit
from workeradvisor.scan.fileworker import is_suppressed
from workeradvisor.scan.ruleindex import RuleIndex


class ProjectIndex:
    """Every file's names, classes, globals and return types, and the project-wide type flow."""

    def __init__(self, files: list[FileFacts], index: RuleIndex) -> None:
        self.index = index
        self.funcs: dict[str, tuple[FuncFacts, FileFacts]] = {}
        self.aliases: dict[str, str] = {}
        self.bases: dict[str, tuple[str, ...]] = {}
        self.global_types: dict[str, str] = {}
        self.defaults: dict[str, bool] = {}
        self.by_func: dict[int, FileFacts] = {}
        self.by_tail: dict[str, list[str]] = {}  # name inside its module -> full keys (scan roots vary)
        for ff in files:
            cut = len(ff.module) + 1
            for f in ff.functions:
                self.by_func[id(f)] = ff
                if not f.is_module:
                    self.funcs[f.qualname] = (f, ff)
                    self.by_tail.setdefault(f.local, []).append(f.qualname)
            self.aliases.update(ff.aliases)
            self.bases.update(ff.class_bases)
            self.global_types.update(ff.global_types)
            self.defaults.update(ff.class_defaults)
            for key in (*ff.aliases, *ff.class_bases, *ff.global_types):
                self.by_tail.setdefault(key[cut:], []).append(key)
        self.lookups: dict[str, tuple[FuncFacts, FileFacts] | None] = {}
        self.canon: dict[str, str] = {}
        self.prepared: set[int] = set()

    def _known(self, name: str) -> bool:
        return name in self.funcs or name in self.global_types or name in self.bases or name in self.aliases

    def _by_suffix(self, name: str) -> str | None:
        """``mod.func`` names ``a.b.mod.func`` when exactly one project key ends that way."""
        parts = name.split(".")
        for k in range(1, len(parts)):
            keys = self.by_tail.get(".".join(parts[k:]))
            if keys:
                hits = {key for key in keys if key.endswith("." + name)}
                if len(hits) == 1:
                    return hits.pop()
        return None

    def canonical(self, name: str) -> str:
        cached = self.canon.get(name)
        if cached is not None:
            return cached
        q = name
        for _ in range(5):
            if not self._known(q):
                alt = self._by_suffix(q)
                if alt is None:
                    break
                q = alt
            if q in self.aliases and q not in self.funcs and q not in self.global_types:
                q = self.aliases[q]
                continue
            break
        self.canon[name] = q
        return q

    def function(self, name: str) -> tuple[FuncFacts, FileFacts] | None:
        if name in self.lookups:
            return self.lookups[name]
        self.lookups[name] = None  # recursion guard for cyclic bases
        q = self.canonical(name)
        found = self.funcs.get(q)
        if found is None and q in self.bases:  # constructing a project class runs its __init__
            found = self.function(f"{q}.__init__")
        if found is None and "." in q:  # a method inherited from a project base class
            owner, _, method = q.rpartition(".")
            owner = self.canonical(owner)
            for base in self.bases.get(owner, ()):
                found = self.function(f"{base}.{method}") if base != owner else None
                if found:
                    break
        self.lookups[name] = found
        return found

    def typed_prefix(self, name: str) -> tuple[str, list[str]] | None:
        """``app.db.engine.connect`` -> (type of the global ``app.db.engine``, ["connect"])."""
        parts = name.split(".")
        for k in range(len(parts) - 1, 0, -1):
            t = self.global_types.get(self.canonical(".".join(parts[:k])))
            if t is not None:
                return t, parts[k:]
        return None

    def instance_type(self, name: str) -> str | None:
        """The type of an object annotated ``name``: a project class, a type alias global, a known type."""
        q = self.canonical(name)
        if q in self.bases:
            return q
        if q in self.global_types:
            return self.global_types[q]
        return q if q in self.index.known_types else None

    def return_type(self, name: str) -> str | None:
        """What calling project callable ``name`` returns: a class's instance or the annotated type."""
        q = self.canonical(name)
        if q in self.bases:
            return q
        target = self.function(q)
        if target is None or not target[0].returns:
            return None
        return self.instance_type(target[0].returns)

    def eval_ops(self, type_name: str | None, ops: list[str]) -> str | None:
        """Apply attribute/call steps through the factories: ``[connect, __call__]`` -> Connection."""
        attr = None
        for op in ops:
            if type_name is None:
                return None
            if op == "__call__":
                method = attr or "__call__"
                fac = self.index.factories.get(f"{type_name}.{method}")
                type_name = fac if fac or type_name not in self.bases else self.return_type(f"{type_name}.{method}")
                attr = None
            else:
                attr = op  # a deep attribute keeps the type (mongo client.db.collection)
        return type_name

    def deferred_type(self, base: str, steps: tuple[str, ...]) -> str | None:
        ops = list(steps)
        if ops[:1] == ["__call__"]:
            t = self.return_type(base)
            if t is not None:
                ops = ops[1:]
            else:
                t = self.global_types.get(self.canonical(base))
        else:
            t = self.instance_type(base)
        if t is None and (found := self.typed_prefix(base)):
            t, rest = found
            ops = rest + list(steps)
        return self.eval_ops(t, ops) if t else None

    def _typed_hits(self, ff: FileFacts, f: FuncFacts, type_name: str, method: str, line: int, col: int) -> None:
        symbol = f"{type_name}.{method}"
        rules = self.index.match_method(type_name, method) + list(self.index.calls.get(symbol, ()))
        f.hits.extend(Hit(r, symbol, line, col) for r in rules if not is_suppressed(ff, r, line))

    def prepare(self, f: FuncFacts, ff: FileFacts) -> None:
        """Once per reached function: type calls on objects that come from other modules
        (``from app.db import engine``) or from project functions' return annotations."""
        if id(f) in self.prepared:
            return
        self.prepared.add(id(f))
        for p in f.pending:
            t = self.deferred_type(p.base, p.steps)
            if t is None:
                continue
            if t in self.bases:  # a project class: its method is a call edge
                f.edges.append(Edge(f"{t}.{p.method}", p.line, p.col))
            else:
                self._typed_hits(ff, f, t, p.method, p.line, p.col)
        for name, line, col in f.edges:
            if self.function(name) is None and (found := self.typed_prefix(name)):
                t, rest = found
                t = self.eval_ops(t, rest[:-1])
                if t is not None:
                    self._typed_hits(ff, f, t, rest[-1], line, col)
        if f.pending or f.edges:
            f.hits.sort(key=lambda h: (h.line, h.col))
        if f.guards:
            self.drop_dead_branches(f)

    def flag_default(self, name: str) -> bool | None:
        """The default of ``settings.flag``: the bool default of the field on the global's class or a base."""
        found = self.typed_prefix(name)
        if found is None or len(found[1]) != 1:
            return None
        todo, seen = [found[0]], set()
        while todo:
            cls = self.canonical(todo.pop(0))
            if cls in seen:
                continue
            seen.add(cls)
            value = self.defaults.get(f"{cls}.{found[1][0]}")
            if value is not None:
                return value
            todo.extend(self.bases.get(cls, ()))
        return None

    def drop_dead_branches(self, f: FuncFacts) -> None:
        """Hits and calls in a branch the flag's default never runs are not loop claims."""
        dead = [(first, last) for flag, runs_when, first, last in f.guards
                if (value := self.flag_default(flag)) is not None and value is not runs_when]
        if not dead:
            return

        def live(line: int) -> bool:
            return not any(first <= line <= last for first, last in dead)

        f.hits = [h for h in f.hits if live(h.line)]
        f.edges = [e for e in f.edges if live(e.line)]
        f.via = [v for v in f.via if live(v.line)]
