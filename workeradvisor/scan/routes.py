"""FastAPI/Starlette/aiohttp route decorators and ``Depends(...)`` targets."""

from __future__ import annotations

import ast

from workeradvisor.scan import known
from workeradvisor.scan.facts import Edge, FuncFacts, Hit
from workeradvisor.scan.resolve import QName
from workeradvisor.scan.state import VisitorState


class RouteMixin(VisitorState):
    """Mixed into the visitor; relies on its ``resolve`` and ``facts``."""


    def note_router(self, name: str, call: ast.Call) -> None:
        b = self.resolve(call.func)
        if type(b) is QName and b.qualname in known.ROUTER_TYPES:
            prefix = next((k.value.value for k in call.keywords if k.arg == "prefix"
                           and type(k.value) is ast.Constant and isinstance(k.value.value, str)), "")
            self.router_prefix[name] = prefix

    def detect_route(self, node: ast.FunctionDef | ast.AsyncFunctionDef, f: FuncFacts) -> None:
        for dec in node.decorator_list:
            if type(dec) is not ast.Call or type(dec.func) is not ast.Attribute:
                continue
            verb = dec.func.attr
            if verb not in known.ROUTE_METHODS or not dec.args:
                continue
            first = dec.args[0]
            if type(first) is not ast.Constant or not isinstance(first.value, str):
                continue
            if first.value and not first.value.startswith("/"):
                continue
            method = verb.upper()
            if verb in ("api_route", "route", "view"):
                method = "GET"
                for k in dec.keywords:
                    if k.arg == "methods" and isinstance(k.value, ast.List | ast.Tuple) and k.value.elts:
                        e = k.value.elts[0]
                        method = str(e.value).upper() if type(e) is ast.Constant else "GET"
            owner = dec.func.value
            prefix = self.router_prefix.get(owner.id, "") if type(owner) is ast.Name else ""
            f.endpoint = True
            f.entry = f"route {method} {prefix + first.value}"
            self.facts.routes.append((method, prefix + first.value, f.qualname, node.lineno, f.is_async))
            rule = self.index.kinds.get("sync-endpoint")
            if rule and not f.is_async and verb != "websocket":
                f.hits.append(Hit(rule, f.local, node.lineno, node.col_offset))
            for k in dec.keywords:
                if k.arg == "dependencies" and isinstance(k.value, ast.List | ast.Tuple):
                    self.depends_in(k.value.elts, f)

    def note_route_table(self, call: ast.Call) -> None:
        """``Route("/items", list_items, methods=["GET"])``: the endpoint is linked across modules later."""
        path = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "path"), None)
        target = call.args[1] if len(call.args) > 1 else next((k.value for k in call.keywords if k.arg == "endpoint"),
                                                               None)
        if type(path) is not ast.Constant or not isinstance(path.value, str) or target is None:
            return
        b = self.resolve(target)
        if type(b) is not QName:
            return
        method = "GET"
        for k in call.keywords:
            if k.arg == "methods" and isinstance(k.value, ast.List | ast.Tuple) and k.value.elts:
                e = k.value.elts[0]
                method = str(e.value).upper() if type(e) is ast.Constant else "GET"
        self.facts.route_refs.append((method, path.value, b.qualname))

    def collect_depends(self, node: ast.FunctionDef | ast.AsyncFunctionDef, f: FuncFacts) -> None:
        """``x = Depends(dep)`` defaults and ``x: Annotated[T, Depends(dep)]`` annotations."""
        args = node.args
        for d in (*args.defaults, *args.kw_defaults):
            if d is not None and type(d) is ast.Call:
                self.depends_in([d], f)
        for a in (*args.posonlyargs, *args.args, *args.kwonlyargs):
            ann = a.annotation
            if ann is not None and type(ann) is ast.Subscript and type(ann.slice) is ast.Tuple:
                b = self.resolve(ann.value)
                if type(b) is QName and b.qualname in known.ANNOTATED:
                    self.depends_in(ann.slice.elts[1:], f)

    def depends_in(self, exprs: list[ast.expr], f: FuncFacts) -> None:
        for n in exprs:
            if type(n) is not ast.Call:
                continue
            b = self.resolve(n.func)
            if type(b) is not QName or b.qualname not in known.DEPENDS:
                continue
            target = n.args[0] if n.args else next((k.value for k in n.keywords if k.arg == "dependency"), None)
            if target is None:
                continue
            t = self.resolve(target)
            if type(t) is QName:
                f.depends.append(Edge(t.qualname, n.lineno, n.col_offset))
