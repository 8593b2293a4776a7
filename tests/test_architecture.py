"""One-way data flow: producers (scan, profile, load) -> decide -> report; cli only wires."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "workeradvisor"

# layer -> packages it must never import
FORBIDDEN = {
    "models": {"scan", "profile", "load", "decide", "report", "commands", "cli", "check", "orchestrate"},
    "scan": {"profile", "load", "decide", "report", "commands", "cli", "check", "orchestrate"},
    "profile": {"scan", "decide", "report", "commands", "cli", "check", "orchestrate"},
    "load": {"scan", "profile", "decide", "report", "commands", "cli", "check", "orchestrate"},
    "decide": {"scan", "profile", "load", "report", "commands", "cli", "check", "orchestrate"},
    "report": {"scan", "profile", "load", "decide", "commands", "cli", "check", "orchestrate"},
    "check": {"profile", "load", "report", "commands", "cli", "orchestrate"},
    "orchestrate": {"report", "commands", "cli", "check"},
}


_DOTTED = re.compile(r"workeradvisor(?:\.\w+)+")


def _module_of(path: Path, root: Path) -> list[str]:
    """``root/decide/merge.py`` -> ["workeradvisor", "decide", "merge"] (``__init__`` is the package)."""
    parts = [root.name, *path.relative_to(root).with_suffix("").parts]
    return parts[:-1] if parts[-1] == "__init__" else parts


def _absolute(node: ast.ImportFrom, path: Path, root: Path) -> str:
    """The absolute module an ``ImportFrom`` names, relative imports resolved against ``path``'s package."""
    if node.level == 0:
        return node.module or ""
    package = _module_of(path, root)
    if path.name != "__init__.py":
        package = package[:-1]
    base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
    return ".".join([*base, *([node.module] if node.module else [])])


def _imports(path: Path, root: Path = PKG) -> set[str]:
    """Top-level workeradvisor packages ``path`` depends on, whatever the import form: ``import a.b``,
    ``from workeradvisor import report``, ``from workeradvisor.report import x``, relative imports, and
    module names written as strings (``importlib.import_module("workeradvisor.report")``, ``-m`` argv)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    modules: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = _absolute(node, path, root)
            modules += [module] + [f"{module}.{a.name}" for a in node.names]  # `from pkg import sub` loads pkg.sub
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and _DOTTED.fullmatch(node.value):
            modules.append(node.value)
    found: set[str] = set()
    for name in modules:
        parts = name.split(".")
        if parts[0] == "workeradvisor" and len(parts) > 1:
            found.add(parts[1])
    return found


def _layer_files(layer: str, root: Path = PKG) -> list[Path]:
    d = root / layer
    if d.is_dir():
        return sorted(d.rglob("*.py"))
    f = root / f"{layer}.py"
    return [f] if f.exists() else []


def _violations(root: Path = PKG) -> list[str]:
    violations = []
    for layer, banned in FORBIDDEN.items():
        for f in _layer_files(layer, root):
            bad = _imports(f, root) & banned
            if bad:
                violations.append(f"{f.relative_to(root)} imports {sorted(bad)}")
    return violations


def test_layers_only_import_downstream() -> None:
    assert _violations() == []


@pytest.mark.parametrize("source", [
    "from workeradvisor import report\n",
    "from workeradvisor import errors, report as r\n",
    "import workeradvisor.report.markdown\n",
    "import workeradvisor.report.markdown as md\n",
    "from workeradvisor.report.markdown import render\n",
    "from .. import report\n",
    "from ..report import markdown\n",
    "from ..report.markdown import render\n",
    "def f():\n    from workeradvisor import report\n",
    "import importlib\nmod = importlib.import_module('workeradvisor.report.markdown')\n",
    "mod = __import__('workeradvisor.report')\n",
    "WHERE = {'render': 'workeradvisor.report.markdown'}\n",
])
def test_the_layering_check_sees_every_import_form(tmp_path: Path, source: str) -> None:
    """A decide/ module reaching report/ in any of these ways is a violation (and a clean one is not)."""
    root = tmp_path / "workeradvisor"
    (root / "decide").mkdir(parents=True)
    (root / "decide" / "__init__.py").write_text("", encoding="utf-8")
    merge = root / "decide" / "merge.py"
    merge.write_text("from workeradvisor import errors\nfrom . import tree\nfrom ..models import decision\n",
                     encoding="utf-8")
    assert _violations(root) == []
    merge.write_text(source, encoding="utf-8")
    assert _violations(root) == ["decide/merge.py imports ['report']"]


def test_relative_imports_resolve_from_a_package_init(tmp_path: Path) -> None:
    root = tmp_path / "workeradvisor"
    (root / "decide").mkdir(parents=True)
    (root / "decide" / "__init__.py").write_text("from ..report import markdown\nfrom . import merge\n",
                                                 encoding="utf-8")
    assert _imports(root / "decide" / "__init__.py", root) == {"report", "decide"}


def test_no_relative_imports_hide_layering() -> None:
    rel = []
    for f in PKG.rglob("*.py"):
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level > 0:
                rel.append(f"{f.relative_to(PKG)}:{node.lineno}")
    assert rel == [], "use absolute workeradvisor.* imports so the layering test sees them"


def test_models_are_frozen_dataclasses() -> None:
    import dataclasses

    import workeradvisor.models as models

    for name in models.__all__:
        obj = getattr(models, name)
        assert dataclasses.is_dataclass(obj), name
        assert obj.__dataclass_params__.frozen, f"{name} must be frozen"


def test_cli_only_wires() -> None:
    """cli.py defines no logic beyond registration: it imports no producer or decide module."""
    assert not (_imports(PKG / "cli.py") & {"scan", "profile", "load", "decide", "report", "check"})


def test_one_reader_per_document_lives_next_to_the_models() -> None:
    """Issue 9: scan/profile/load/analysis JSON is read only by models/readers.py; nothing outside
    models/ defines a ``*_from_dict`` reader or a regex over chain (`` -> ``) or stack (`` <- ``) text."""
    readers, regexes = [], []
    for f in PKG.rglob("*.py"):
        if "models" in f.relative_to(PKG).parts:
            continue
        tree = ast.parse(f.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name.endswith("_from_dict"):
                readers.append(f"{f.relative_to(PKG)}:{node.name}")
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") in {"compile", "match", "search"}:
                first = node.args[0] if node.args else None
                text = first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else ""
                if "<-" in text or "->" in text:
                    regexes.append(f"{f.relative_to(PKG)}:{node.lineno}")
    assert readers == [] and regexes == []
