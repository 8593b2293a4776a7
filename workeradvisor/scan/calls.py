"""Calls: match against the rule index, record project edges, recognise offloading."""

from __future__ import annotations

import ast
from sys import intern

from workeradvisor.scan import known


class CallsMixin:
    """Mixed into the visitor; relies on its ``visit``, ``resolve`` and ``index``."""

    def visit_call(self, node: ast.Call) -> None:
        func = node.func
        f = self.func
        line, col = node.lineno, node.col_offset
        symbol = None
        if type(func) is ast.Attribute:
            m = func.attr
            recv = self.resolve(func.value)
            if recv is not None:
                kind = recv[0]
                if kind == "q" or kind == "s":
                    symbol = f"{recv[1]}.{m}"
                elif kind == "t":
                    if id(node) not in self.awaited:  # awaited: an async API despite the sync-looking type
                        self.typed_call(recv, m, line, col)
                elif id(node) not in self.awaited:
                    f.pending.append((intern(recv[1]), recv[2], m, line, col))
            named = self.index.method_names.get(m)
            if named:
                shown = f"{func.value.id}.{m}" if type(func.value) is ast.Name else m
                f.hits.extend((r, shown, line, col) for r in named)
            if m == known.EXECUTOR_METHOD:
                self.visit(func.value)
                self.offload(node, executor=True)
                return
            self.visit(func.value)
        else:
            b = self.resolve(func)
            if b is not None:
                if b[0] == "q":
                    symbol = b[1]
                elif b[0] == "t":
                    self.typed_call(b, "__call__", line, col)
                elif b[0] == "p":
                    f.pending.append((b[1], b[2], "__call__", line, col))
            if type(func) is not ast.Name:
                self.visit(func)
        if symbol is not None:
            if symbol in known.THREAD_OFFLOADERS:
                self.offload(node, executor=False)
                return
            if symbol in known.ROUTE_CLASSES:
                self.note_route_table(node)
            rules = self.index.calls.get(symbol)
            if rules:
                f.hits.extend((r, symbol, line, col) for r in rules)
            elif self.is_project(symbol):
                f.edges.append((intern(symbol), line, col))  # interned: pickled once per chunk
        for a in node.args:
            self.visit(a)
        for k in node.keywords:
            self.visit(k.value)

    def typed_call(self, recv: tuple, method: str, line: int, col: int) -> None:
        type_name = recv[1]
        symbol = f"{type_name}.{method}"
        rules = self.index.match_method(type_name, method) + list(self.index.calls.get(symbol, ()))
        silent = recv[2] if len(recv) > 2 else ()
        hits = [(r, symbol, line, col) for r in rules if self.index.category.get(r) not in silent]
        if hits:
            self.func.hits.extend(hits)
        elif not rules and self.is_project(type_name):
            self.func.edges.append((symbol, line, col))

    # --- offloading -------------------------------------------------------------
    def offload(self, node: ast.Call, executor: bool) -> None:
        """``to_thread(fn, ...)`` / ``loop.run_in_executor(pool, fn, ...)``: ``fn`` is not called here."""
        args = node.args
        if executor:
            if len(args) < 2:
                for a in args:
                    self.visit(a)
                return
            pool = self.pool_kind(args[0])
            self.visit(args[0])
            target, rest = args[1], args[2:]
        else:
            if not args:
                for k in node.keywords:
                    self.visit(k.value)
                return
            pool, target, rest = "thread", args[0], args[1:]
        ref = self.callable_ref(target)
        if pool == "thread" and ref:
            cpu_rule = self.index.kinds.get("offload-cpu")
            if cpu_rule and self.is_cpu(ref):
                self.func.hits.append((cpu_rule, ref, node.lineno, node.col_offset))
            elif self.is_project(ref):
                self.func.offloads.append((ref, node.lineno, node.col_offset))
        for a in rest:
            self.visit(a)
        for k in node.keywords:
            self.visit(k.value)

    def callable_ref(self, target: ast.expr) -> str | None:
        """The qualified name of the callable handed to a pool (through partial or a lambda)."""
        t = type(target)
        if t is ast.Call:
            callee = self.resolve(target.func)
            if callee and callee[0] == "q" and callee[1] in known.PARTIAL and target.args:
                for a in target.args[1:]:
                    self.visit(a)
                for k in target.keywords:
                    self.visit(k.value)
                return self.callable_ref(target.args[0])
            self.visit(target)
            return None
        if t is ast.Lambda:
            self.skip.add(id(target))
            body = target.body
            if type(body) is ast.Await:
                body = body.value
            return self.callable_ref(body.func) if type(body) is ast.Call else None
        if t is ast.Attribute:
            self.visit(target.value)
            recv = self.resolve(target.value)
            if recv is None or recv[0] == "p":
                return None
            return f"{recv[1]}.{target.attr}"
        if t is ast.Name:
            b = self.resolve(target)
            return b[1] if b and b[0] in ("q", "t") else None
        self.visit(target)
        return None

    def is_cpu(self, ref: str) -> bool:
        cpu = self.index.cpu_rules
        if any(r in cpu for r in self.index.calls.get(ref, ())):
            return True
        type_name, _, method = ref.rpartition(".")
        return any(r in cpu for r in self.index.match_method(type_name, method))

    def pool_kind(self, expr: ast.expr) -> str | None:
        if type(expr) is ast.Constant and expr.value is None:
            return "thread"
        b = self.resolve(expr)
        if b and b[0] == "t":
            if b[1] in known.THREAD_POOL_TYPES:
                return "thread"
            if b[1] in known.PROCESS_POOL_TYPES:
                return "process"
        return None
