"""Memoisation in a function body: ``if cached is not None: return cached`` ... ``_cache = value``.

Why: a client built (or a project function called) after such a guard runs on a cache miss only,
not per request (polar's ``fetch_policy_content``: a module-global TTL cache in front of the
download). The visitor records guards that read a memo store and end in ``return``, and the stores
written in the same function; when a guarded key is also stored, every call after the first guard
is a cache-miss call (``FuncFacts.miss_from``). Stores are module globals declared ``global``,
``self``/``cls`` attributes, and subscripts of module-level names or ``self`` attributes.
"""

from __future__ import annotations

import ast

from workeradvisor.scan.resolve import SelfRef
from workeradvisor.scan.state import VisitorState


class MemoMixin(VisitorState):
    """Mixed into the visitor; per-function state is saved and restored by ``visit_def``."""

    memo_guards: list[tuple[str, int]]  # (store key, line of the guarding ``if``)
    memo_stores: set[str]
    memo_alias: dict[str, str]  # local name -> store key it was read from (``cached = _cache``)

    def memo_key(self, expr: ast.expr) -> str | None:
        """The memo store an expression reads: ``_cache``, ``self._client``, ``CACHE[key]``, an alias."""
        t = type(expr)
        if t is ast.Name:
            name = expr.id  # type: ignore[attr-defined]
            if name in self.globals_declared:
                return name
            if name in self.memo_alias:
                return self.memo_alias[name]
            if len(self.scopes) > 1 and name not in self.scopes[-1] and name in self.scopes[0]:
                return name  # a module-level container (``if key in _CACHE:``)
            return None
        if t is ast.Attribute and type(expr.value) is ast.Name:  # type: ignore[attr-defined]
            if type(self.lookup(expr.value.id)) is SelfRef:  # type: ignore[attr-defined]
                return f"self.{expr.attr}"  # type: ignore[attr-defined]
            return None
        if t is ast.Subscript:
            return self.memo_key(expr.value)  # type: ignore[attr-defined]
        return None

    def note_memo_guard(self, node: ast.If) -> None:
        """``if <reads a store>: ... return``: a candidate guard (confirmed by a later store)."""
        if self.func.is_module or not node.body or type(node.body[-1]) is not ast.Return:
            return
        for sub in ast.walk(node.test):
            key = self.memo_key(sub) if isinstance(sub, ast.Name | ast.Attribute) else None
            if key is not None:
                self.memo_guards.append((key, node.lineno))
                return

    def note_memo_store(self, targets: list[ast.expr], value: ast.expr | None) -> None:
        """Assignments to stores (``_cache = ...``, ``self._x = ...``, ``CACHE[k] = ...``) and aliases
        of them (``cached = _cache``)."""
        if self.func.is_module:
            return
        for t in targets:
            if type(t) is ast.Name:
                if t.id in self.globals_declared:
                    self.memo_stores.add(t.id)
                elif value is not None:
                    key = self.memo_key(value)
                    if key is not None:
                        self.memo_alias[t.id] = key
            elif type(t) is ast.Attribute or type(t) is ast.Subscript:
                key = self.memo_key(t)
                if key is not None:
                    self.memo_stores.add(key)

    def memo_miss_from(self) -> int:
        """First line of a confirmed guard (calls after it run on a cache miss only), else 0."""
        lines = [line for key, line in self.memo_guards if key in self.memo_stores]
        return min(lines) if lines else 0
