"""What ``analyze`` scans and which requests it sends when the user gives no ``--path``.

Scanning a file's whole directory would pull in unrelated neighbours (``examples/`` holds seven
apps), so a file target is scanned together with the sibling modules it imports, read as data
from its ``import`` statements (never imported). A package target is scanned whole.
"""

from __future__ import annotations

import ast
from pathlib import Path

from workeradvisor.models.scan import Route

HEALTH_PATHS = frozenset({"/", "/health", "/healthz", "/ready", "/readyz", "/live", "/livez", "/ping", "/metrics"})
MAX_ROUTES = 4


def _imported_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.level == 1:
            names.update(a.name for a in node.names)
            if node.module:
                names.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            # importlib.import_module("downstream") and f-string-free variants
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr == "import_module" and isinstance(node.args[0].value, str):
                names.add(node.args[0].value.split(".")[-1])
    return names


def source_paths(source: Path) -> list[Path]:
    """The files (or package directory) to scan for ``source``, the target's file or package."""
    if source.is_dir() or not source.is_file():
        return [source]
    try:
        tree = ast.parse(source.read_text(encoding="utf-8", errors="replace"))
    except (SyntaxError, ValueError):
        return [source]  # the scan reports the syntax error itself
    found = [source]
    for name in sorted(_imported_names(tree)):
        module = source.parent / f"{name}.py"
        package = source.parent / name
        if module.is_file() and module != source:
            found.append(module)
        elif (package / "__init__.py").is_file():
            found.append(package)
    return found


def simple_get_routes(routes: tuple[Route, ...]) -> list[Route]:
    """GET routes without path parameters, in source order, without duplicates."""
    seen: set[str] = set()
    out: list[Route] = []
    for r in sorted(routes, key=lambda r: (r.file, r.line)):
        if r.method == "GET" and not r.has_path_params and r.path not in seen:
            seen.add(r.path)
            out.append(r)
    return out


def choose_paths(routes: tuple[Route, ...]) -> tuple[tuple[str, ...], str]:
    """Paths to load when none were given, and a sentence saying which and why.

    Health and probe routes are skipped when the app has real ones: they say nothing about the
    work a request does. At most ``MAX_ROUTES`` paths, spread evenly by the load generator."""
    simple = simple_get_routes(routes)
    work = [r for r in simple if r.path not in HEALTH_PATHS]
    chosen = (work or simple)[:MAX_ROUTES]
    if not chosen:
        return ("/",), "no simple GET route found in the source; loading GET / (give --path or --requests)"
    skipped = [r.path for r in simple if r not in chosen]
    text = "discovered GET routes without path parameters: " + ", ".join(
        f"{r.path} ({r.file}:{r.line})" for r in chosen)
    if skipped:
        text += f"; not loaded: {', '.join(skipped)}"
    with_params = sorted({r.path for r in routes if r.method == "GET" and r.has_path_params})
    if with_params:
        text += f"; routes with path parameters need --requests: {', '.join(with_params)}"
    return tuple(r.path for r in chosen), text
