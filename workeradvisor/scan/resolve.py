"""Name and type resolution through a file's imports and bindings (the flake8-async
``_canonical`` idea, extended with object types).

A binding is a small tuple:
  ("q", qualname)                 a name for something importable: module, function, class
  ("t", type, silent_categories)  an object of a known type (a client, a file, a project class)
  ("p", base, steps)              an object derived from a global of another module, typed at link time
  ("s", class_qualname)           ``self`` / ``cls`` inside a method
"""

from __future__ import annotations

import ast
from typing import Any

from workeradvisor.scan import known
from workeradvisor.scan.ruleindex import RuleIndex

Binding = tuple[Any, ...]
_NO_SILENCE: frozenset[str] = frozenset()
_POOLS = known.THREAD_POOL_TYPES | known.PROCESS_POOL_TYPES


def module_name_for(parts: tuple[str, ...]) -> str:
    """Dotted module name from path parts relative to the scan root (``pkg/__init__.py`` -> ``pkg``)."""
    names = list(parts)
    names[-1] = names[-1].removesuffix(".py")
    if names[-1] == "__init__" and len(names) > 1:
        names.pop()
    return ".".join(names)


class Resolver:
    """Scopes plus pure resolution helpers; the visitor subclass records what it finds."""

    def __init__(self, module: str, is_package: bool, index: RuleIndex, project_tokens: frozenset[str]) -> None:
        self.module = module
        self.package = module if is_package else module.rpartition(".")[0]
        self.index = index
        self.tokens = project_tokens
        self.scopes: list[dict[str, Binding]] = [{}]
        self.class_attrs: dict[tuple[str, str], Binding] = {}
        self.class_types: dict[str, str] = {}  # project class -> known base type (class T(threading.Thread))
        self.local_classes: set[str] = set()

    # --- bindings -------------------------------------------------------------
    def lookup(self, name: str) -> Binding:
        for scope in reversed(self.scopes):
            b = scope.get(name)
            if b is not None:
                return b
        return ("q", name)  # builtin or unknown global: its own name

    def bind_import(self, node: ast.Import | ast.ImportFrom) -> list[tuple[str, str]]:
        scope = self.scopes[-1]
        out = []
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.asname:
                    scope[a.asname] = ("q", a.name)
                    out.append((a.asname, a.name))
                else:
                    top = a.name.partition(".")[0]
                    scope[top] = ("q", top)
            return out
        base = node.module or ""
        if node.level:
            pkg = self.package.split(".") if self.package else []
            up = node.level - 1
            pkg = pkg[: len(pkg) - up] if up <= len(pkg) else []
            base = ".".join(p for p in (*pkg, node.module or "") if p)
        for a in node.names:
            if a.name == "*":
                continue
            q = f"{base}.{a.name}" if base else a.name
            local = a.asname or a.name
            scope[local] = ("q", q)
            out.append((local, q))
        return out

    def is_project(self, qualname: str) -> bool:
        return qualname.partition(".")[0] in self.tokens

    # --- resolution -----------------------------------------------------------
    def resolve(self, node: ast.AST) -> Binding | None:
        """What an expression denotes, without recording anything."""
        t = type(node)
        if t is ast.Name:
            return self.lookup(node.id)  # type: ignore[attr-defined]
        if t is ast.Attribute:
            base = self.resolve(node.value)  # type: ignore[attr-defined]
            if base is None:
                return None
            kind = base[0]
            attr = node.attr  # type: ignore[attr-defined]
            if kind == "q":
                return ("q", f"{base[1]}.{attr}")
            if kind == "s":
                return self.class_attrs.get((base[1], attr)) or ("q", f"{base[1]}.{attr}")
            return base[:2] + (_NO_SILENCE,) if kind == "t" else base  # deep attribute keeps the type
        if t is ast.Call:
            return self.call_result(node)  # type: ignore[arg-type]
        if t is ast.Await:
            return self.resolve(node.value)  # type: ignore[attr-defined]
        if t is ast.BinOp and type(node.op) is ast.Div:  # type: ignore[attr-defined]
            left = self.resolve(node.left)  # type: ignore[attr-defined]
            return left if left is not None and left[0] == "t" else None
        return None

    def type_of_name(self, qualname: str) -> Binding | None:
        """The object a call of ``qualname`` returns, when known."""
        idx = self.index
        fac = idx.factories.get(qualname)
        if fac is not None:
            return ("t", fac, _NO_SILENCE)
        if qualname in idx.known_types or qualname in _POOLS:
            return ("t", qualname, _NO_SILENCE)
        base = self.class_types.get(qualname)
        if base is not None:
            return ("t", base, _NO_SILENCE)
        if qualname in self.local_classes:
            return ("t", qualname, _NO_SILENCE)  # instance of a project class: methods become edges
        return None

    def call_result(self, node: ast.Call) -> Binding | None:
        func = node.func
        if type(func) is ast.Attribute:
            recv = self.resolve(func.value)
            if recv is None:
                return None
            if recv[0] == "t":
                fac = self.index.factories.get(f"{recv[1]}.{func.attr}")
                return ("t", fac, _NO_SILENCE) if fac else None
            if recv[0] == "p":
                return ("p", recv[1], recv[2] + (func.attr, "__call__"))
            if recv[0] == "s":
                return None
            return self._call_qualname(f"{recv[1]}.{func.attr}")
        callee = self.resolve(func)
        if callee is None:
            return None
        if callee[0] == "q":
            return self._call_qualname(callee[1])
        if callee[0] == "t":
            fac = self.index.factories.get(f"{callee[1]}.__call__")
            return ("t", fac, _NO_SILENCE) if fac else None
        if callee[0] == "p":
            return ("p", callee[1], callee[2] + ("__call__",))
        return None

    def _call_qualname(self, qualname: str) -> Binding | None:
        typed = self.type_of_name(qualname)
        if typed is not None:
            return typed
        if self.is_project(qualname):
            return ("p", qualname, ("__call__",))  # e.g. SessionLocal() imported from app.db
        return None

    def annotation_type(self, ann: ast.expr | None) -> Binding | None:
        """``x: httpx.Client`` / ``Annotated[Session, Depends(...)]`` / ``"Client"`` -> typed binding."""
        if ann is None:
            return None
        if type(ann) is ast.Subscript:
            outer = self.resolve(ann.value)
            if outer and outer[0] == "q" and outer[1] in ("typing.Annotated", "typing_extensions.Annotated"):
                sl = ann.slice
                first = sl.elts[0] if type(sl) is ast.Tuple and sl.elts else sl
                return self.annotation_type(first)
            return None
        if type(ann) in (ast.Name, ast.Attribute):
            b = self.resolve(ann)
            if b and b[0] == "q":
                q = b[1]
                if q in self.index.known_types:
                    return ("t", q, _NO_SILENCE)
                if q in self.class_types:
                    return ("t", self.class_types[q], _NO_SILENCE)
                if self.is_project(q) and q.rpartition(".")[2][:1].isupper():
                    return ("t", q, _NO_SILENCE)
        return None
