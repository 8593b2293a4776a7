"""What the visitor's mixins share: its state and the hooks one mixin calls in another, declared
once so each mixin type-checks on its own (the visitor in visitor.py provides them all)."""

from __future__ import annotations

import ast

from workeradvisor.scan.facts import FileFacts, FuncFacts
from workeradvisor.scan.resolve import Binding, Resolver


class VisitorState(Resolver):
    facts: FileFacts
    func: FuncFacts  # the function whose body is being visited (``<module>`` at import level)
    cls: str | None  # enclosing class qualname while in a class body
    local_prefix: str  # "Class." / "outer." for qualnames
    router_prefix: dict[str, str]
    class_scopes: set[int]
    skip: set[int]  # ids of lambdas sent to a thread pool or made functions of their own
    awaited: set[int]  # ids of calls under ``await`` / ``async with``
    awaited_direct: set[int]  # ids of calls under ``await`` itself
    defined: dict[str, FuncFacts]  # qualname -> facts of functions defined so far in this file
    cached_calls: set[int]  # ids of calls whose result is stored on self/cls/a module global
    in_cached: bool  # inside a function decorated with functools.cache & co.
    globals_declared: set[str]
    memo_guards: list[tuple[str, int]]  # memo.py: per-function memoisation guards and stores
    memo_stores: set[str]
    memo_alias: dict[str, str]

    def visit(self, node: ast.AST) -> None:
        raise NotImplementedError

    def bind_assign(self, node: ast.Assign | ast.AnnAssign) -> None:
        raise NotImplementedError

    def note_memo_guard(self, node: ast.If) -> None:
        raise NotImplementedError

    def note_memo_store(self, targets: list[ast.expr], value: ast.expr | None) -> None:
        raise NotImplementedError

    def memo_miss_from(self) -> int:
        raise NotImplementedError

    def lambda_function(self, node: ast.Lambda) -> str:
        raise NotImplementedError

    def detect_route(self, node: ast.FunctionDef | ast.AsyncFunctionDef, f: FuncFacts) -> None:
        raise NotImplementedError

    def collect_depends(self, node: ast.FunctionDef | ast.AsyncFunctionDef, f: FuncFacts) -> None:
        raise NotImplementedError

    def depends_in(self, exprs: list[ast.expr], f: FuncFacts) -> None:
        raise NotImplementedError

    def detect_entry(self, node: ast.FunctionDef | ast.AsyncFunctionDef, f: FuncFacts) -> None:
        raise NotImplementedError

    def note_entry_call(self, symbol: str | None, node: ast.Call) -> None:
        raise NotImplementedError

    def note_route_table(self, call: ast.Call) -> None:
        raise NotImplementedError

    def param_scope(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[str, Binding]:
        raise NotImplementedError
