"""Run ``workeradvisor analyze``/``compare`` end to end (a real CLI process, real uvicorn on 127.0.0.1).

Settings are shorter than the defaults so the acceptance tests stay within a few minutes; the
decisions they assert rest on differences far larger than what the shorter windows change.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

from conftest import ROOT, run_cli

EXAMPLES = ROOT / "examples"
FAST = ("--idle-seconds", "2", "--profile-seconds", "2", "--stage-seconds", "3", "--warmup", "0.5")


def analyze_json(target: str, *extra: str, env: dict[str, str] | None = None,
                 command: str = "analyze") -> dict[str, Any]:
    proc = run_cli(command, target, *FAST, *extra, "--format", "json", env=env, timeout=150)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)


def actions(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return doc["recommendation"]["actions"]


def action(doc: dict[str, Any], kind: str) -> dict[str, Any]:
    found = [a for a in actions(doc) if a["kind"] == kind]
    assert found, f"no {kind} action in {[a['kind'] for a in actions(doc)]}: {doc['recommendation']['verdict']}"
    return found[0]


def lines_calling(path: Path, dotted: str) -> set[int]:
    """Lines of ``path`` that call ``dotted`` (e.g. "time.sleep"), found by reading the source as data."""
    mod, _, attr = dotted.rpartition(".")
    hits = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == attr
                and isinstance(node.func.value, ast.Name) and node.func.value.id == mod):
            hits.add(node.lineno)
    return hits


def enclosing_functions(path: Path) -> dict[str, tuple[int, int]]:
    """Function name -> (first line, last line) in ``path``."""
    out = {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            out[node.name] = (node.lineno, node.end_lineno or node.lineno)
    return out


def same_file(reported: str, expected: Path) -> bool:
    return (ROOT / reported).resolve() == expected.resolve() or Path(reported).resolve() == expected.resolve()
