"""One-way data flow: producers (scan, profile, load) -> decide -> report; cli only wires."""

from __future__ import annotations

import ast
from pathlib import Path

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


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "workeradvisor" and len(parts) > 1:
                found.add(parts[1])
    return found


def _layer_files(layer: str) -> list[Path]:
    d = PKG / layer
    if d.is_dir():
        return sorted(d.rglob("*.py"))
    f = PKG / f"{layer}.py"
    return [f] if f.exists() else []


def test_layers_only_import_downstream() -> None:
    violations = []
    for layer, banned in FORBIDDEN.items():
        for f in _layer_files(layer):
            bad = _imports(f) & banned
            if bad:
                violations.append(f"{f.relative_to(PKG)} imports {sorted(bad)}")
    assert violations == []


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
