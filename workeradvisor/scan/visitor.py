"""The one visitor: a single pass over a module that records, per function, the rule hits,
the calls into project code (edges), offloaded callables, Depends targets and routes.

Whether a hit becomes a finding (reached from ``async def``, at import, ...) is decided by the
linker once every file is known, so this pass never needs other files.
"""

from __future__ import annotations

import ast

from workeradvisor.scan.calls import CallsMixin
from workeradvisor.scan.defs import DefsMixin
from workeradvisor.scan.facts import FileFacts, FuncFacts
from workeradvisor.scan.resolve import _NO_SILENCE, Binding, Resolver
from workeradvisor.scan.routes import RouteMixin
from workeradvisor.scan.ruleindex import RuleIndex

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


class Visitor(CallsMixin, DefsMixin, RouteMixin, Resolver):
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
        self.handlers = {
            ast.Call: self.visit_call,
            ast.FunctionDef: self.visit_def,
            ast.AsyncFunctionDef: self.visit_def,
            ast.ClassDef: self.visit_class,
            ast.Assign: self.visit_assign,
            ast.AnnAssign: self.visit_annassign,
            ast.With: self.visit_with,
            ast.AsyncWith: self.visit_with,
            ast.Lambda: self.visit_lambda,
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
                self.scopes[-1][stmt.name] = ("q", f"{self.module}.{stmt.name}")  # type: ignore[attr-defined]
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
                self.visit(value)

    def visit_if(self, node: ast.If) -> None:
        test = node.test
        if (self.func.is_module and type(test) is ast.Compare and type(test.left) is ast.Name
                and test.left.id == "__name__"):
            return  # ``if __name__ == "__main__":`` does not run at import
        self.visit_children(node)

    def visit_await(self, node: ast.Await) -> None:
        if type(node.value) is ast.Call:
            self.awaited.add(id(node.value))
        self.visit(node.value)

    def visit_lambda(self, node: ast.Lambda) -> None:
        if id(node) not in self.skip:  # a lambda not sent to a thread runs where it is called: inline
            self.visit(node.body)

    # --- imports and bindings ---------------------------------------------------
    def record_import(self, node: ast.Import | ast.ImportFrom) -> None:
        pairs = self.bind_import(node)
        if self.func.is_module and self.cls is None:
            for local, q in pairs:
                if self.is_project(q):
                    self.facts.aliases[f"{self.module}.{local}"] = q

    def bind_assign(self, node: ast.Assign | ast.AnnAssign) -> None:
        value = node.value
        targets = node.targets if type(node) is ast.Assign else [node.target]
        b: Binding | None = None
        if type(node) is ast.AnnAssign:
            b = self.annotation_type(node.annotation)
        if b is None and value is not None:
            b = self.resolve(value)
            if b is not None and b[0] == "t" and type(value) is ast.Call and not self.func.is_module:
                b = ("t", b[1], self.silencing_hits(value))
        for target in targets:
            self.bind_target(target, b)
            if type(value) is ast.Call and type(target) is ast.Name:
                self.note_router(target.id, value)

    def bind_target(self, target: ast.expr, b: Binding | None) -> None:
        t = type(target)
        if t is ast.Name:
            scope = self.scopes[-1]
            if b is None or b[0] == "s":
                scope.pop(target.id, None)
                return
            scope[target.id] = b
            if self.func.is_module and self.cls is None:
                key = f"{self.module}.{target.id}"
                if b[0] == "t":
                    self.facts.global_types[key] = b[1]
                elif b[0] == "q" and self.is_project(b[1]):
                    self.facts.aliases[key] = b[1]
            if self.cls is not None:
                self.class_attrs[(self.cls, target.id)] = b
        elif t is ast.Attribute and type(target.value) is ast.Name and b is not None:
            owner = self.lookup(target.value.id)
            if owner[0] == "s":
                self.class_attrs[(owner[1], target.attr)] = b

    def silencing_hits(self, call: ast.Call) -> frozenset[str]:
        """Categories already reported at a local creating call (``open``), not repeated on ``f.read()``:
        one finding per local object and category."""
        callee = self.resolve(call.func)
        if callee is None or callee[0] != "q":
            return _NO_SILENCE
        return frozenset(self.index.category[r] for r in self.index.match_call(callee[1]))

    def visit_assign(self, node: ast.Assign) -> None:
        self.visit(node.value)
        for target in node.targets:
            if type(target) is not ast.Name:
                self.visit(target)
        self.bind_assign(node)

    def visit_annassign(self, node: ast.AnnAssign) -> None:
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
                expr = item.context_expr
                if b is not None and b[0] == "t" and type(expr) is ast.Call and not self.func.is_module:
                    b = ("t", b[1], self.silencing_hits(expr))
                self.bind_target(item.optional_vars, b)
        for stmt in node.body:
            self.visit(stmt)
