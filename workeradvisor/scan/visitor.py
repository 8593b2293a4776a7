"""The one visitor: a single pass over a module that records, per function, the rule hits,
the calls into project code (edges), offloaded callables, Depends targets and routes.

Whether a hit becomes a finding (reached from ``async def``, at import, ...) is decided by the
linker once every file is known, so this pass never needs other files.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Any

from workeradvisor.nativethreads import NATIVE_LIBRARIES
from workeradvisor.scan import known
from workeradvisor.scan.calls import CallsMixin
from workeradvisor.scan.defs import DefsMixin
from workeradvisor.scan.entries import EntryMixin
from workeradvisor.scan.facts import FileFacts, FuncFacts
from workeradvisor.scan.memo import MemoMixin
from workeradvisor.scan.resolve import Binding, LocalVar, Obj, QName, Resolver, SelfRef
from workeradvisor.scan.routes import RouteMixin
from workeradvisor.scan.ruleindex import RuleIndex
from workeradvisor.scan.scoping import ScopingMixin

_LEAVES = frozenset(
    {ast.Name, ast.Constant, ast.Load, ast.Store, ast.Del, ast.Pass, ast.Break, ast.Continue, ast.Global,
     ast.Nonlocal, ast.alias, str, int, bool, type(None), bytes, float, complex}
)
# Fields that never hold a node worth visiting: names, flags, operators, contexts.
_NON_NODE = frozenset({"ctx", "op", "id", "attr", "arg", "name", "module", "type_comment", "kind", "level", "asname",
                       "conversion", "is_async", "tag", "names"})
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def _child_fields(t: type) -> tuple[str, ...]:
    """Per node type, the fields that can hold child nodes (cached: faster than ast.iter_child_nodes)."""
    fields = _CHILD_FIELDS.get(t)
    if fields is None:
        fields = _CHILD_FIELDS[t] = tuple(f for f in getattr(t, "_fields", ()) if f not in _NON_NODE)
    return fields


class Visitor(CallsMixin, DefsMixin, EntryMixin, MemoMixin, RouteMixin, ScopingMixin, Resolver):
    def __init__(self, facts: FileFacts, is_package: bool, index: RuleIndex, tokens: frozenset[str]) -> None:
        super().__init__(facts.module, is_package, index, tokens)
        self.router_prefix: dict[str, str] = {}
        self.class_scopes: set[int] = set()
        self.facts = facts
        self.func = FuncFacts(f"{facts.module}.<module>", "<module>", facts.module, False, 1, is_module=True)
        facts.functions.append(self.func)
        self.local_prefix = ""  # "Class." / "outer." for qualnames
        self.cls: str | None = None  # enclosing class qualname while in a class body
        self.skip: set[int] = set()  # ids of lambdas sent to a thread pool
        self.awaited: set[int] = set()  # ids of calls under ``await`` / ``async with``: async APIs by usage
        self.defined: dict[str, FuncFacts] = {}
        self.cached_calls: set[int] = set()
        self.awaited_direct: set[int] = set()
        self.in_cached = False
        self.globals_declared: set[str] = set()
        self.memo_guards: list[tuple[str, int]] = []
        self.memo_stores: set[str] = set()
        self.memo_alias: dict[str, str] = {}
        self.handlers: dict[type, Callable[[Any], None]] = {
            ast.Call: self.visit_call,
            ast.FunctionDef: self.visit_def,
            ast.AsyncFunctionDef: self.visit_def,
            ast.ClassDef: self.visit_class,
            ast.Assign: self.visit_assign,
            ast.AnnAssign: self.visit_annassign,
            ast.With: self.visit_with,
            ast.AsyncWith: self.visit_with,
            ast.Lambda: self.visit_lambda,
            ast.For: self.visit_for,
            ast.AsyncFor: self.visit_for,
            ast.While: self.visit_while,
            ast.ListComp: self.visit_comp,
            ast.SetComp: self.visit_comp,
            ast.GeneratorExp: self.visit_comp,
            ast.DictComp: self.visit_comp,
            ast.NamedExpr: self.visit_namedexpr,
            ast.ExceptHandler: self.visit_except,
            ast.Global: self.visit_global,
            ast.If: self.visit_if,
            ast.Await: self.visit_await,
            ast.Import: self.record_import,
            ast.ImportFrom: self.record_import,
        }

    # --- traversal --------------------------------------------------------------
    def run(self, tree: ast.Module) -> None:
        self.prepass(tree.body)
        for stmt in tree.body:
            self.visit(stmt)

    def prepass(self, body: list[ast.stmt]) -> None:
        """Bind module-level imports, defs and globals first: functions may use later names."""
        for stmt in body:
            t = type(stmt)
            if t in (ast.Import, ast.ImportFrom):
                self.record_import(stmt)  # type: ignore[arg-type]
            elif t in (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef):
                self.scopes[-1][stmt.name] = QName(f"{self.module}.{stmt.name}")  # type: ignore[attr-defined]
                if t is ast.ClassDef:
                    self.local_classes.add(f"{self.module}.{stmt.name}")  # type: ignore[attr-defined]
            elif t is ast.Assign or t is ast.AnnAssign:
                self.bind_assign(stmt)  # type: ignore[arg-type]
            elif t is ast.If or t is ast.Try:
                self.prepass([s for part in ("body", "orelse", "handlers", "finalbody")
                              for s in getattr(stmt, part, ()) if isinstance(s, ast.stmt)]
                             + [s for h in getattr(stmt, "handlers", ()) for s in h.body])

    def visit(self, node: ast.AST) -> None:
        t = type(node)
        handler = self.handlers.get(t)
        if handler is not None:
            handler(node)
            return
        self.visit_children(node)

    def visit_children(self, node: ast.AST) -> None:
        for name in _child_fields(type(node)):
            value = getattr(node, name, None)
            if type(value) is list:
                for item in value:
                    if type(item) not in _LEAVES:
                        self.visit(item)
            elif type(value) not in _LEAVES:
                self.visit(value)  # type: ignore[arg-type]


    # --- imports and bindings ---------------------------------------------------
    def record_import(self, node: ast.Import | ast.ImportFrom) -> None:
        pairs = self.bind_import(node)
        tops = [a.name.partition(".")[0] for a in node.names] if type(node) is ast.Import else [
            (node.module or "").partition(".")[0]] if not node.level else []  # type: ignore[union-attr]
        for top in tops:
            if top in known.FRAMEWORK_MODULES:
                self.facts.framework = True
            elif top in known.CLI_MODULES:
                self.facts.cli = True
            elif top in NATIVE_LIBRARIES and (top, node.lineno, self.func.qualname) not in self.facts.native:
                self.facts.native.append((top, node.lineno, self.func.qualname))  # prepass and visit both see it
        names = [a.name for a in node.names] if type(node) is ast.Import else [
            self.import_base(node), *(q for _, q in pairs)]  # type: ignore[arg-type]
        loads = [q for q in names if q and self.is_project(q)]
        self.facts.imports.update(loads)
        if self.func.is_module and (loads or any(t in NATIVE_LIBRARIES for t in tops)):
            first = self.facts.loads_from
            self.facts.loads_from = min(first, node.lineno) if first else node.lineno
        if self.func.is_module and self.cls is None:
            for local, q in pairs:
                if self.is_project(q):
                    self.facts.aliases[f"{self.module}.{local}"] = q

    def bind_assign(self, node: ast.Assign | ast.AnnAssign) -> None:
        value = node.value
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        b: Binding | None = None
        if type(node) is ast.AnnAssign:
            b = self.annotation_type(node.annotation)  # an annotated local type wins over the value
            if b is None and not self.func.is_module:
                b = LocalVar("")
            if type(node.target) is ast.Name and not self.func.is_module and self.cls is None:
                # the declared type: later untyped assignments keep it; a new annotation replaces it
                if type(b) is Obj:
                    self.scopes[-1][node.target.id + ":"] = b
                else:
                    self.scopes[-1].pop(node.target.id + ":", None)
        if b is None and value is not None:
            b = self.resolve(value)
            if type(b) is Obj and type(value) is ast.Call:
                b = self.made_here(b, value)
            elif b is None and type(value) in (ast.Subscript, ast.BinOp):
                b = self.annotation_type(value)  # a type alias: SessionDep = Annotated[Session, Depends()]
        for target in targets:
            self.bind_target(target, b)
            if type(value) is ast.Call and type(target) is ast.Name:
                self.note_router(target.id, value)

    def bind_target(self, target: ast.expr, b: Binding | None) -> None:
        t = type(target)
        if t is ast.Name:
            name = target.id  # type: ignore[attr-defined]
            scope = self.scopes[-1]
            declared = scope.get(name + ":")  # ``f: TextIOWrapper = ...`` earlier: the declared type wins
            if declared is not None and type(b) is not Obj:
                scope[name] = declared
                return
            if b is None or type(b) is SelfRef or type(b) is LocalVar:
                scope[name] = LocalVar(name)  # a local binding shadows module-level objects
                return
            scope[name] = b
            if self.func.is_module and self.cls is None:
                key = f"{self.module}.{name}"
                if type(b) is Obj:
                    self.facts.global_types[key] = b.type_name
                elif type(b) is QName and self.is_project(b.qualname):
                    self.facts.aliases[key] = b.qualname
            if self.cls is not None:
                self.class_attrs[(self.cls, name)] = b
        elif t is ast.Attribute and type(target.value) is ast.Name:  # type: ignore[attr-defined]
            if b is not None and type(b) is not LocalVar:
                owner = self.lookup(target.value.id)  # type: ignore[attr-defined]
                if type(owner) is SelfRef:
                    self.class_attrs[(owner.cls, target.attr)] = b  # type: ignore[attr-defined]
        elif t is ast.Tuple or t is ast.List:
            for elt in target.elts:  # type: ignore[attr-defined]
                self.bind_target(elt, None)
        elif t is ast.Starred:
            self.bind_target(target.value, None)  # type: ignore[attr-defined]

    def visit_global(self, node: ast.Global) -> None:
        self.globals_declared.update(node.names)

    def note_cached(self, value: ast.expr | None, targets: list[ast.expr]) -> None:
        """``self._client = httpx.AsyncClient()`` / ``global CLIENT; CLIENT = ...``: built once, reused."""
        if value is None or self.func.is_module:
            return
        if type(value) is ast.BoolOp:  # self._c = self._c or httpx.AsyncClient()
            for v in value.values:
                self.note_cached(v, targets)
            return
        if type(value) is not ast.Call:
            return
        for t in targets:
            if type(t) is ast.Attribute or (type(t) is ast.Name and t.id in self.globals_declared):
                self.cached_calls.add(id(value))

    def made_here(self, b: Obj, call: ast.Call) -> Obj:
        """In a sync helper, an object made by a reported call (``open``) is one claim: its reads and
        writes are not reported again (the chain already names the helper). In async code every
        call is its own claim, as in flake8-async."""
        if self.func.is_async or self.func.is_module:
            return b
        callee = self.resolve(call.func)
        if type(callee) is not QName:
            return b
        return Obj(b.type_name, frozenset(self.index.category[r] for r in self.index.match_call(callee.qualname)
                                          if r in self.index.category))  # not the ~gil pseudo-rule

    def visit_assign(self, node: ast.Assign) -> None:
        self.note_cached(node.value, node.targets)
        self.note_memo_store(node.targets, node.value)
        self.visit(node.value)
        for target in node.targets:
            if type(target) is not ast.Name:
                self.visit(target)
        self.bind_assign(node)

    def visit_annassign(self, node: ast.AnnAssign) -> None:
        self.note_cached(node.value, [node.target])
        self.note_memo_store([node.target], node.value)
        if node.value is not None:
            self.visit(node.value)
        self.bind_assign(node)

    def visit_with(self, node: ast.With | ast.AsyncWith) -> None:
        for item in node.items:
            if type(node) is ast.AsyncWith and type(item.context_expr) is ast.Call:
                self.awaited.add(id(item.context_expr))
            self.visit(item.context_expr)
            if item.optional_vars is not None:
                b = self.resolve(item.context_expr)
                if type(b) is Obj and type(item.context_expr) is ast.Call:
                    b = self.made_here(b, item.context_expr)
                self.bind_target(item.optional_vars, b)
        for stmt in node.body:
            self.visit(stmt)
