"""Function and class definitions: scopes, ``self`` typing, class attribute types, lifespans."""

from __future__ import annotations

import ast

from workeradvisor.scan import known
from workeradvisor.scan.facts import FuncFacts
from workeradvisor.scan.resolve import Binding, Deferred, LocalVar, Obj, QName, SelfRef
from workeradvisor.scan.state import VisitorState


class DefsMixin(VisitorState):
    """Mixed into the visitor; relies on its ``visit``, ``resolve`` and binding helpers."""


    def visit_def(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for d in node.decorator_list:
            self.visit(d)
        args = node.args
        for d in args.defaults:
            self.visit(d)
        for kd in args.kw_defaults:
            if kd is not None:
                self.visit(kd)
        local = self.local_prefix + node.name
        is_async = type(node) is ast.AsyncFunctionDef
        f = FuncFacts(f"{self.module}.{local}", local, self.module, is_async, node.lineno)
        self.facts.functions.append(f)
        self.defined[f.qualname] = f
        self.scopes[-1][node.name] = QName(f.qualname)
        f.lifespan = is_async and self.is_lifespan(node)
        self.detect_route(node, f)
        self.collect_depends(node, f)
        self.detect_entry(node, f)
        ret = self.annotation_type(node.returns) if node.returns is not None else None
        match ret:
            case Obj(type_name, _):
                f.returns = type_name
            case Deferred(base, ()):
                f.returns = base
        scope = self.param_scope(node)
        f.params = tuple(scope)
        saved = (self.func, self.local_prefix, self.cls, self.scopes, self.in_cached, self.globals_declared)
        saved_memo = (self.memo_guards, self.memo_stores, self.memo_alias)
        self.func, self.local_prefix, self.cls = f, local + ".", None
        self.in_cached, self.globals_declared = self.is_cached(node), set()
        self.memo_guards, self.memo_stores, self.memo_alias = [], set(), {}
        f.once = self.in_cached and not [p for p in f.params if type(scope[p]) is not SelfRef]
        self.scopes = [s for s in self.scopes if id(s) not in self.class_scopes] + [scope]
        for stmt in node.body:
            self.visit(stmt)
        if self.memo_guards:
            f.miss_from = self.memo_miss_from()
        self.func, self.local_prefix, self.cls, self.scopes, self.in_cached, self.globals_declared = saved
        self.memo_guards, self.memo_stores, self.memo_alias = saved_memo

    def note_default(self, qual: str, name: str, value: ast.expr | None) -> None:
        """A class field's bool default (``flag: bool = False`` / ``Field(default=True)``)."""
        if isinstance(value, ast.Call):
            value = next((k.value for k in value.keywords if k.arg == "default"), value.args[0] if value.args else None)
        if isinstance(value, ast.Constant) and isinstance(value.value, bool):
            self.facts.class_defaults[f"{qual}.{name}"] = value.value

    def is_cached(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
        for d in node.decorator_list:
            b = self.resolve(d.func if type(d) is ast.Call else d)
            if type(b) is QName and b.qualname in known.CACHE_DECORATORS:
                return True
        return False

    def param_scope(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[str, Binding]:
        """Every parameter is a local binding (shadowing module-level objects); annotated ones typed."""
        args = node.args
        params = [*args.posonlyargs, *args.args, *args.kwonlyargs]
        scope: dict[str, Binding] = {}
        is_static = any(type(d) is ast.Name and d.id == "staticmethod" for d in node.decorator_list)
        if self.cls is not None and params and not is_static:
            scope[params[0].arg] = SelfRef(self.cls)
            params = params[1:]
        for p in (*params, args.vararg, args.kwarg):
            if p is not None:
                b = self.annotation_type(p.annotation) if p.annotation is not None else None
                scope[p.arg] = b if b is not None else LocalVar(p.arg)
        return scope

    def is_lifespan(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
        for d in node.decorator_list:
            target = d.func if type(d) is ast.Call else d
            b = self.resolve(target)
            if type(b) is QName and (b.qualname in known.LIFESPAN_DECORATORS or b.qualname.endswith(".on_event")
                                     or (type(target) is ast.Attribute and target.attr == "on_event")):
                return True
        words = set(node.name.lower().strip("_").split("_"))  # "init_db", "on_startup", "__aenter__"
        return not words.isdisjoint(known.LIFESPAN_WORDS)

    def visit_class(self, node: ast.ClassDef) -> None:
        for expr in (*node.decorator_list, *node.bases, *(k.value for k in node.keywords)):
            self.visit(expr)
        local = self.local_prefix + node.name
        qual = f"{self.module}.{local}"
        self.scopes[-1][node.name] = QName(qual)
        self.local_classes.add(qual)
        bases = []
        for base in node.bases:
            b = self.resolve(base)
            if type(b) is QName:
                bases.append(b.qualname)
                inherited = b.qualname if b.qualname in self.index.known_types else self.class_types.get(b.qualname)
                if inherited:
                    self.class_types[qual] = inherited
        self.facts.class_bases[qual] = tuple(bases)
        saved = (self.local_prefix, self.cls)
        self.local_prefix, self.cls = local + ".", qual
        self.attribute_prepass(node, qual)
        scope: dict = {}
        self.class_scopes.add(id(scope))
        self.scopes.append(scope)
        for stmt in node.body:
            self.visit(stmt)
        self.scopes.pop()
        self.local_prefix, self.cls = saved

    def attribute_prepass(self, node: ast.ClassDef, qual: str) -> None:
        """Type ``self.x`` from class annotations and ``self.x = ...`` in methods before any body runs."""
        saved_func = self.func
        self.func = FuncFacts(qual, "", self.module, False, node.lineno)  # scratch: never recorded
        for stmt in node.body:
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                self.note_default(qual, stmt.target.id, stmt.value)
                b = self.annotation_type(stmt.annotation) or (self.resolve(stmt.value) if stmt.value else None)
                if b is not None and type(b) is not LocalVar:
                    self.class_attrs[(qual, stmt.target.id)] = b
            elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                assigns = [s for s in stmt.body if isinstance(s, ast.Assign | ast.AnnAssign)]
                if not assigns:
                    continue
                self.scopes.append(self.param_scope(stmt))
                for s in assigns:
                    self.bind_assign(s)
                self.scopes.pop()
        self.func = saved_func
