"""Calls: match against the rule index, record project edges, recognise offloading."""

from __future__ import annotations

import ast
from sys import intern

from workeradvisor.scan import known
from workeradvisor.scan.facts import Edge, Hit, PendingCall, ViaHelper
from workeradvisor.scan.resolve import Deferred, LocalVar, Obj, QName, SelfRef
from workeradvisor.scan.state import VisitorState


class CallsMixin(VisitorState):
    """Mixed into the visitor; relies on its ``visit``, ``resolve`` and ``index``."""


    def visit_call(self, node: ast.Call) -> None:
        func = node.func
        f = self.func
        line, col = node.lineno, node.col_offset
        symbol = helper = None
        if type(func) is ast.Attribute:
            m = func.attr
            awaited = id(node) in self.awaited  # awaited: an async API despite the sync-looking type
            match self.resolve(func.value):
                case QName(q) | SelfRef(q):
                    symbol = f"{q}.{m}"
                case LocalVar() | None if m not in known.PURE_METHODS:
                    f.foreign = True  # a method of an untyped object: maybe a client that releases the GIL
                case Obj() as recv:
                    if not awaited:
                        self.typed_call(recv, m, line, col)
                    helper = f"{recv.type_name}.{m}" if self.is_project(recv.type_name) else None
                    f.foreign = f.foreign or helper is None
                case Deferred(base, steps):
                    f.foreign = True
                    if not awaited:
                        f.pending.append(PendingCall(intern(base), steps, m, line, col))
                    helper = ".".join((base, *steps, m)) if self.is_project(base) else None
            named = self.index.method_names.get(m)
            if named:
                shown = f"{func.value.id}.{m}" if type(func.value) is ast.Name else m
                f.hits.extend(Hit(r, shown, line, col) for r in named)
            if m == known.EXECUTOR_METHOD:
                self.visit(func.value)
                self.offload(node, executor=True)
                return
            self.visit(func.value)
        else:
            match self.resolve(func):
                case QName(q):
                    symbol = q
                case Obj() as recv:
                    self.typed_call(recv, "__call__", line, col)
                case Deferred(base, steps):
                    f.pending.append(PendingCall(base, steps, "__call__", line, col))
                case LocalVar(name):
                    f.foreign = True
                    if name not in f.params:
                        f.param_calls = (*f.param_calls, name)  # maybe an enclosing function's callable parameter
                case _:
                    f.foreign = True
            if type(func) is not ast.Name:
                self.visit(func)
        self.note_entry_call(symbol, node)
        if symbol is not None and not f.foreign and not self.pure_call(symbol):
            f.foreign = True
        if symbol is not None:
            if symbol in known.THREAD_OFFLOADERS:
                self.offload(node, executor=False)
                return
            if symbol in known.ROUTE_CLASSES:
                self.note_route_table(node)
            rules = self.index.calls.get(symbol)
            if rules and id(node) in self.awaited_direct and symbol in self.index.factories:
                rules = ()  # an awaited constructor is an async API of the same name (``await open()``)
            elif rules:
                if self.reused_client(node):
                    rules = tuple(r for r in rules if self.index.category.get(r) != "client-per-request")
                f.hits.extend(Hit(r, symbol, line, col) for r in rules)
            elif self.is_project(symbol):
                f.edges.append(Edge(intern(symbol), line, col))  # interned: pickled once per chunk
                self.note_helper_offload(symbol, node)
        elif helper is not None:  # a method of a project object (``cache.save_result(lambda: ...)``)
            self.note_helper_offload(helper, node)
        for a in node.args:
            self.visit(a)
        for k in node.keywords:
            self.visit(k.value)

    def pure_call(self, symbol: str) -> bool:
        """A call that keeps the GIL: a builtin, a pure stdlib function, json/re & co., or project code
        (the linker looks inside it)."""
        if "." not in symbol:
            return symbol in known.PURE_BUILTINS
        return (self.is_project(symbol) or symbol.startswith(known.PURE_MODULES)
                or symbol in self.index.gil_holding_calls)

    def reused_client(self, node: ast.Call) -> bool:
        """A client that is not rebuilt per request: in-process transport (``ASGITransport``), stored on
        ``self``/``cls``/a module global, or built in a cached function (``functools.cache``)."""
        if id(node) in self.cached_calls or self.in_cached:
            return True
        for k in node.keywords:
            if k.arg in known.IN_PROCESS_KEYWORDS:
                return True
            if k.arg == "transport" and type(k.value) is ast.Call:
                t = self.resolve(k.value.func)
                if type(t) is QName and t.qualname in known.IN_PROCESS_TRANSPORTS:
                    return True
        return False

    def typed_call(self, recv: Obj, method: str, line: int, col: int) -> None:
        type_name = recv.type_name
        symbol = f"{type_name}.{method}"
        rules = self.index.match_method(type_name, method) + list(self.index.calls.get(symbol, ()))
        silent = recv.silent if not self.func.is_async else frozenset()  # only in the sync helper that made it
        hits = [Hit(r, symbol, line, col) for r in rules if self.index.category.get(r) not in silent]
        if hits:
            self.func.hits.extend(hits)
        elif not rules and self.is_project(type_name):
            self.func.edges.append(Edge(symbol, line, col))

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
        self.note_offloader(target)
        ref = self.callable_ref(target)
        if pool == "thread" and ref:
            self.offloaded(ref, node.lineno, node.col_offset)
        for a in rest:
            self.visit(a)
        for k in node.keywords:
            self.visit(k.value)

    def offloaded(self, ref: str, line: int, col: int) -> None:
        cpu_rule = self.index.kinds.get("offload-cpu")
        if cpu_rule and self.holds_gil(ref):
            self.func.hits.append(Hit(cpu_rule, ref, line, col))
        elif self.is_project(ref):
            self.func.offloads.append(Edge(ref, line, col))

    def note_offloader(self, target: ast.expr) -> None:
        """The current function offloads one of its callable parameters, directly, through
        ``partial`` or through a nested function that calls it: calls into it are offloaded."""
        while type(target) is ast.Call and target.args:
            callee = self.resolve(target.func)
            if type(callee) is not QName or callee.qualname not in known.PARTIAL:
                return
            target = target.args[0]
        if type(target) is not ast.Name:
            return
        f = self.func
        if target.id in f.params:
            f.offloader = True
            return
        nested = self.defined.get(f"{self.module}.{self.local_prefix}{target.id}")
        if nested is not None and not set(nested.param_calls).isdisjoint(f.params):
            f.offloader = True

    def note_helper_offload(self, helper: str, node: ast.Call) -> None:
        """Lambdas, partials and functions handed to a project function: the linker decides
        whether that function offloads them (an offloader) or calls them inline."""
        for a in (*node.args, *(k.value for k in node.keywords)):
            if isinstance(a, ast.Lambda):
                synthetic = self.lambda_function(a)
                self.func.via.append(ViaHelper(helper, synthetic, True, a.lineno, a.col_offset))
            elif isinstance(a, ast.Name | ast.Attribute | ast.Call):
                ref = self.plain_callable(a)
                if ref is not None:
                    self.func.via.append(ViaHelper(helper, ref, False, a.lineno, a.col_offset))

    def plain_callable(self, expr: ast.expr) -> str | None:
        """``fn`` / ``mod.fn`` / ``partial(fn, ...)`` as a qualified name, without visiting anything."""
        if type(expr) is ast.Call:
            callee = self.resolve(expr.func)
            if type(callee) is QName and callee.qualname in known.PARTIAL and expr.args:
                return self.plain_callable(expr.args[0])
            return None
        b = self.resolve(expr)
        return b.qualname if type(b) is QName and (self.is_project(b.qualname) or b.qualname in self.index.calls) \
            else None

    def callable_ref(self, target: ast.expr) -> str | None:
        """The qualified name of the callable handed to a pool (through partial or a lambda)."""
        if isinstance(target, ast.Call):
            callee = self.resolve(target.func)
            if type(callee) is QName and callee.qualname in known.PARTIAL and target.args:
                for a in target.args[1:]:
                    self.visit(a)
                for k in target.keywords:
                    self.visit(k.value)
                return self.callable_ref(target.args[0])
            self.visit(target)
            return None
        if isinstance(target, ast.Lambda):
            self.skip.add(id(target))
            body = target.body
            if type(body) is ast.Await:
                body = body.value
            return self.callable_ref(body.func) if type(body) is ast.Call else None
        if isinstance(target, ast.Attribute):
            self.visit(target.value)
            match self.resolve(target.value):
                case QName(q) | SelfRef(q):
                    return f"{q}.{target.attr}"
                case Obj(type_name, _):
                    return f"{type_name}.{target.attr}"
            return None
        if isinstance(target, ast.Name):
            match self.resolve(target):
                case QName(q):
                    return q
                case Obj(type_name, _):
                    return type_name
            return None
        self.visit(target)
        return None

    def holds_gil(self, ref: str) -> bool:
        """CPU work that keeps the GIL while it runs (rules' ``releases_gil: false``, plus the
        ``holds_gil`` calls of the offload-cpu rule): a thread pool does not free the loop from it."""
        idx = self.index
        if ref in idx.gil_holding_calls:
            return True
        rules = [*idx.calls.get(ref, ())]
        type_name, _, method = ref.rpartition(".")
        rules += idx.match_method(type_name, method)
        return any(r in idx.cpu_rules and r not in idx.releases_gil for r in rules)

    def pool_kind(self, expr: ast.expr) -> str | None:
        if type(expr) is ast.Constant and expr.value is None:
            return "thread"
        b = self.resolve(expr)
        if type(b) is Obj:
            if b.type_name in known.THREAD_POOL_TYPES:
                return "thread"
            if b.type_name in known.PROCESS_POOL_TYPES:
                return "process"
        return None
