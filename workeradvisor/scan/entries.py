"""Served-code roots: which functions the framework runs per request (middleware, exception
handlers, background tasks, route tables, ASGI ``__call__``), at startup (lifespan, ``on_event``)
or never while serving (click/typer/argparse commands, pytest fixtures). The linker walks the
call graph from these roots to give every finding a context and an entry point."""

from __future__ import annotations

import ast

from workeradvisor.scan import known
from workeradvisor.scan.facts import FuncFacts
from workeradvisor.scan.resolve import QName
from workeradvisor.scan.state import VisitorState


class EntryMixin(VisitorState):
    """Mixed into the visitor; relies on its ``resolve``, ``func``, ``cls`` and ``facts``."""

    def detect_entry(self, node: ast.FunctionDef | ast.AsyncFunctionDef, f: FuncFacts) -> None:
        if f.entry:
            return
        for dec in node.decorator_list:
            target = dec.func if type(dec) is ast.Call else dec
            b = self.resolve(target)
            q = b.qualname if type(b) is QName else ""
            attr = target.attr if type(target) is ast.Attribute else q.rpartition(".")[2]
            if attr in known.REQUEST_DECORATOR_ATTRS:
                f.entry = known.REQUEST_DECORATOR_ATTRS[attr]
            elif attr == "on_event":
                f.entry = "startup"
            elif q.partition(".")[0] in known.CLI_MODULES or (attr in known.CLI_DECORATOR_ATTRS and self.facts.cli):
                f.entry = "cli"
            elif q in ("pytest.fixture", "pytest_asyncio.fixture"):
                f.entry = "test"
            elif attr in known.JOB_DECORATOR_ATTRS and q.partition(".")[0] not in known.FRAMEWORK_MODULES:
                f.entry = "job"
            if f.entry:
                return
        params = [a.arg for a in node.args.args]
        if node.name == "__call__" and params[1:4] == ["scope", "receive", "send"]:
            f.entry = "middleware"  # a pure ASGI app or middleware
        elif node.name in known.STARTUP_NAMES and f.is_async:
            f.entry = "startup"
        elif f.is_async and self.cls is None and params[:1] == ["request"] and self.facts.framework:
            f.entry = "view"  # a Django/Starlette/aiohttp view registered in a table elsewhere

    def note_entry_call(self, symbol: str | None, node: ast.Call) -> None:
        """``app.add_middleware(Timing)``, ``tasks.add_task(fn)``, ``FastAPI(lifespan=fn)``, ..."""
        func = node.func
        kind_arg = known.REQUEST_CALLS.get(symbol) if symbol else None
        if kind_arg is None and type(func) is ast.Attribute:
            kind_arg = known.REQUEST_REGISTRATIONS.get(func.attr)
        if kind_arg is not None:
            kind, i = kind_arg
            arg = node.args[i] if len(node.args) > i else None
            if arg is not None:
                self.note_ref(kind, arg)
        for k in node.keywords:
            if k.arg in known.STARTUP_KEYWORDS:
                values = k.value.elts if type(k.value) in (ast.List, ast.Tuple) else [k.value]  # type: ignore[attr-defined]
                for v in values:
                    self.note_ref("startup", v)
            elif k.arg in ("endpoint", "dispatch", "middleware_class"):
                self.note_ref("route" if k.arg == "endpoint" else "middleware", k.value)
        if (type(func) is ast.Attribute and func.attr == "add_event_handler" and len(node.args) > 1):
            self.note_ref("startup", node.args[1])

    def note_ref(self, kind: str, expr: ast.expr) -> None:
        b = self.resolve(expr)
        if type(b) is QName and self.is_project(b.qualname):
            self.func.refs.append((kind, b.qualname))
