"""Name and type resolution through a file's imports and bindings (the flake8-async
``_canonical`` idea, extended with object types and local scopes).

A binding says what a name or expression denotes; each kind is a small named tuple read with ``match``:
  ``QName(qualname)``            something importable: module, function, class
  ``Obj(type_name, silent)``     an object of a known type (a client, a file, a project class)
  ``Deferred(base, steps)``      derived from a name of another module (or a project function's
                                 result), typed at link time
  ``SelfRef(cls)``               ``self`` / ``cls`` inside a method
  ``LocalVar(name)``             an untyped local binding: it shadows module-level names, denotes nothing
"""

from __future__ import annotations

import ast
from typing import NamedTuple

from workeradvisor.scan import known
from workeradvisor.scan.ruleindex import RuleIndex

_POOLS = known.THREAD_POOL_TYPES | known.PROCESS_POOL_TYPES


class QName(NamedTuple):
    qualname: str


class Obj(NamedTuple):
    type_name: str
    silent: frozenset[str] = frozenset()  # categories already reported where a sync helper made it


class Deferred(NamedTuple):
    base: str
    steps: tuple[str, ...]


class SelfRef(NamedTuple):
    cls: str


class LocalVar(NamedTuple):
    name: str


Binding = QName | Obj | Deferred | SelfRef | LocalVar
# Unions read as "X or None" (bare names too: flake8-async's files use them unimported)
_OPTIONAL = frozenset({"typing.Optional", "typing.Union", "typing_extensions.Optional", "Optional", "Union"})


def module_name_for(parts: tuple[str, ...]) -> str:
    """Dotted module name from path parts relative to the import root (``pkg/__init__.py`` -> ``pkg``)."""
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
        return QName(name)  # builtin or unknown global: its own name

    def bind_import(self, node: ast.Import | ast.ImportFrom) -> list[tuple[str, str]]:
        scope = self.scopes[-1]
        out = []
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.asname:
                    scope[a.asname] = QName(a.name)
                    out.append((a.asname, a.name))
                else:
                    top = a.name.partition(".")[0]
                    scope[top] = QName(top)
            return out
        base = self.import_base(node)
        for a in node.names:
            if a.name == "*":
                continue
            q = f"{base}.{a.name}" if base else a.name
            local = a.asname or a.name
            scope[local] = QName(q)
            out.append((local, q))
        return out

    def import_base(self, node: ast.ImportFrom) -> str:
        """The absolute module a ``from ... import`` reads (relative levels resolved)."""
        if not node.level:
            return node.module or ""
        pkg = self.package.split(".") if self.package else []
        up = node.level - 1
        pkg = pkg[: len(pkg) - up] if up <= len(pkg) else []
        return ".".join(p for p in (*pkg, node.module or "") if p)

    def is_project(self, qualname: str) -> bool:
        return qualname.partition(".")[0] in self.tokens

    # --- resolution -----------------------------------------------------------
    def resolve(self, node: ast.AST) -> Binding | None:
        """What an expression denotes, without recording anything."""
        t = type(node)
        if t is ast.Name:
            return self.lookup(node.id)  # type: ignore[attr-defined]
        if t is ast.Attribute:
            return self.attribute(self.resolve(node.value), node.attr)  # type: ignore[attr-defined]
        if t is ast.Call:
            return self.call_result(node)  # type: ignore[arg-type]
        if t is ast.Await:
            return self.resolve(node.value)  # type: ignore[attr-defined]
        if t is ast.BinOp and type(node.op) is ast.Div:  # type: ignore[attr-defined]
            left = self.resolve(node.left)  # type: ignore[attr-defined]
            return left if type(left) is Obj else None
        return None

    def attribute(self, base: Binding | None, attr: str) -> Binding | None:
        match base:
            case QName(q):
                return QName(f"{q}.{attr}")
            case SelfRef(cls):
                return self.class_attrs.get((cls, attr)) or QName(f"{cls}.{attr}")
            case Obj(type_name, _):  # a deep attribute keeps a library type (mongo client.db.collection)
                return Obj(type_name) if type_name in self.index.known_types else None
            case Deferred():
                return base
        return None

    def type_of_name(self, qualname: str) -> Obj | None:
        """The object a call of ``qualname`` returns, when known without other files."""
        idx = self.index
        fac = idx.factories.get(qualname)
        if fac is not None:
            return Obj(fac)
        if qualname in idx.known_types or qualname in _POOLS:
            return Obj(qualname)
        base = self.class_types.get(qualname)
        if base is not None:
            return Obj(base)
        if qualname in self.local_classes:
            return Obj(qualname)  # instance of a project class: methods become edges
        return None

    def call_result(self, node: ast.Call) -> Binding | None:
        func = node.func
        if type(func) is ast.Attribute:
            match self.resolve(func.value):
                case Obj(type_name, _):
                    fac = self.index.factories.get(f"{type_name}.{func.attr}")
                    if fac:
                        return Obj(fac)
                    if self.is_project(type_name):  # a project method: its return annotation, at link time
                        return Deferred(f"{type_name}.{func.attr}", ("__call__",))
                    return None
                case Deferred(base, steps):
                    return Deferred(base, (*steps, func.attr, "__call__"))
                case QName(q):
                    return self._call_qualname(f"{q}.{func.attr}")
                case SelfRef(cls):
                    return Deferred(f"{cls}.{func.attr}", ("__call__",))
            return None
        match self.resolve(func):
            case QName(q):
                return self._call_qualname(q)
            case Obj(type_name, _):
                fac = self.index.factories.get(f"{type_name}.__call__")
                return Obj(fac) if fac else None
            case Deferred(base, steps):
                return Deferred(base, (*steps, "__call__"))
        return None

    def _call_qualname(self, qualname: str) -> Binding | None:
        typed = self.type_of_name(qualname)
        if typed is not None:
            return typed
        if self.is_project(qualname):
            return Deferred(qualname, ("__call__",))  # SessionLocal() from app.db, get_user() -> User
        return None

    def annotation_type(self, ann: ast.expr | None) -> Binding | None:
        """``x: httpx.Client`` / ``Account | None`` / ``Optional[X]`` / ``Annotated[Session, Depends(...)]``
        / ``"Client"`` -> a typed binding (``Deferred(name, ())``: an instance of a project name)."""
        t = type(ann)
        if t is ast.Name or t is ast.Attribute:
            return self._annotation_name(self.resolve(ann))  # type: ignore[arg-type]
        if t is ast.BinOp and type(ann.op) is ast.BitOr:  # type: ignore[union-attr]
            return self._first_type((ann.left, ann.right))  # type: ignore[union-attr]
        if t is ast.Subscript:
            outer = self.resolve(ann.value)  # type: ignore[union-attr]
            if type(outer) is QName and (outer.qualname in known.ANNOTATED or outer.qualname in _OPTIONAL):
                sl = ann.slice  # type: ignore[union-attr]
                elts = sl.elts if type(sl) is ast.Tuple else [sl]
                return self._first_type(elts[:1] if outer.qualname in known.ANNOTATED else elts)
            return None
        if t is ast.Constant and isinstance(ann.value, str):  # type: ignore[union-attr]
            try:
                parsed = ast.parse(ann.value, mode="eval").body  # type: ignore[union-attr,attr-defined]
            except SyntaxError:
                return None
            return self.annotation_type(parsed)
        return None

    def _first_type(self, options: tuple[ast.expr, ...] | list[ast.expr]) -> Binding | None:
        """The one non-None member of a union; a union of two real types is ambiguous (None)."""
        real = [o for o in options if not (type(o) is ast.Constant and o.value is None)]
        return self.annotation_type(real[0]) if len(real) == 1 else None

    def _annotation_name(self, b: Binding | None) -> Binding | None:
        match b:
            case QName(q):
                if q in self.index.known_types:
                    return Obj(q)
                if q in self.class_types:
                    return Obj(self.class_types[q])
                if q in self.local_classes:
                    return Obj(q)
                if self.is_project(q):
                    return Deferred(q, ())  # a class or a type alias of another module
            case Obj():
                return b  # a local alias: SessionDep = Annotated[Session, Depends(get_db)]
        return None
