"""Find deployment files under a path and parse each by kind; one bad file never stops the others.

Files are read through ``safeio.read_bounded`` (regular files only, ``MAX_DEPLOYMENT_FILE`` bytes) and
the tree is walked with an explicit stack, so neither a FIFO nor 1,000 nested directories can hang
or crash the gate."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

from workeradvisor.check.compose import parse_compose
from workeradvisor.check.dockerfile import parse_dockerfile
from workeradvisor.check.kubernetes import is_kubernetes, kubernetes_units
from workeradvisor.check.model import ParseProblem, Unit
from workeradvisor.check.pyconfigs import parse_gunicorn_conf, parse_uvicorn_calls
from workeradvisor.check.rayserve import is_ray_serve, ray_serve_units
from workeradvisor.check.textconfigs import parse_procfile, parse_systemd
from workeradvisor.check.yamlio import load_documents
from workeradvisor.safeio import MAX_DEPLOYMENT_FILE, InputError, read_bounded

SKIP_DIRS = {".git", ".hg", "node_modules", ".venv", "venv", "env", "__pycache__", ".tox", ".nox", "site-packages",
             "dist", "build", ".mypy_cache", ".pytest_cache", ".ruff_cache"}
_NON_PROD = re.compile(r"(^|[._-])(dev|develop|development|local|test|tests|override|debug)([._-]|$)", re.I)
_COMPOSE = re.compile(r"^(docker-)?compose([._-].*)?\.ya?ml$", re.I)
Parser = Callable[[str, str], tuple[list[Unit], list[ParseProblem]]]


def kind_of(name: str) -> str | None:
    low = name.lower()
    if low == "dockerfile" or low.startswith("dockerfile.") or low.endswith(".dockerfile"):
        return "dockerfile"
    if _COMPOSE.match(name):
        return "compose"
    if name == "Procfile" or low.startswith("procfile."):
        return "procfile"
    if low.endswith(".service"):
        return "systemd"
    if low.startswith("gunicorn") and low.endswith(".py"):
        return "gunicorn-conf"
    if low.endswith((".yaml", ".yml")):
        return "yaml"
    if low.endswith(".py"):
        return "python"
    return None


def is_production_file(path: str) -> bool:
    """Files named ``*.dev.*``, ``*-local.*``, ``*override*``... are development configs."""
    return not any(_NON_PROD.search(part) for part in Path(path).parts[-1:])


def _parse_yaml(path: str, text: str) -> tuple[list[Unit], list[ParseProblem]]:
    """Kubernetes manifests or Ray Serve configs; other YAML (CI files, Helm templates) is ignored."""
    if "{{" in text:  # a template, not YAML yet
        return [], []
    docs, problem = load_documents(path, text)
    if any(is_kubernetes(d) for d, _ in docs) or (problem and "apiVersion" in text and "kind" in text):
        return kubernetes_units(path, docs, problem)  # the documents parsed above: never a second parse
    units = [u for d, lines in docs if is_ray_serve(d) for u in ray_serve_units(path, d, lines)]
    return units, [problem] if problem else []


_PARSERS: dict[str, Parser] = {
    "dockerfile": parse_dockerfile, "compose": parse_compose, "procfile": parse_procfile,
    "systemd": parse_systemd, "gunicorn-conf": parse_gunicorn_conf, "yaml": _parse_yaml,
    "python": parse_uvicorn_calls,
}


def iter_files(root: Path) -> list[Path]:
    """Every file under ``root`` in sorted order, walked with an explicit stack (no recursion limit).

    A root that is not a directory is returned as is, so a FIFO given by name is refused by the read."""
    if not root.is_dir():
        return [root]
    found: list[Path] = []
    stack = [root]
    while stack:
        directory = stack.pop()
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError:
            continue  # unreadable directory: nothing to check there
        subdirs = []
        for entry in entries:
            try:
                is_dir, is_link = entry.is_dir(), entry.is_symlink()
            except OSError:
                continue
            if is_dir:  # a symlinked directory is not followed (like os.walk), so no loops
                if not is_link and entry.name not in SKIP_DIRS and not entry.name.endswith(".egg-info"):
                    subdirs.append(Path(entry.path))
            else:
                found.append(Path(entry.path))
        stack.extend(reversed(subdirs))  # depth-first, in name order like os.walk
    return found


def display_path(path: Path) -> str:
    """Relative to the current directory when possible, "/" separators (like scan findings)."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def discover(root: Path) -> tuple[list[Unit], list[ParseProblem], list[str]]:
    """(units, problems, files that configure something or failed to parse)."""
    units: list[Unit] = []
    problems: list[ParseProblem] = []
    files: list[str] = []
    for path in iter_files(root):
        kind = kind_of(path.name)
        if kind is None:
            continue
        try:
            text = read_bounded(path, "deployment file", MAX_DEPLOYMENT_FILE)
        except InputError as exc:
            problems.append(ParseProblem(display_path(path), 0, f"cannot read: {exc.reason}"))
            files.append(display_path(path))
            continue
        if kind == "python" and "uvicorn" not in text:
            continue
        shown = display_path(path)
        try:
            found, bad = _PARSERS[kind](shown, text)
        except (TypeError, AttributeError, ValueError, KeyError, IndexError, RecursionError) as exc:
            # a shape no parser expected: one line for this file, the others are still checked
            problems.append(ParseProblem(shown, 0, f"unexpected {kind} structure ({type(exc).__name__}: {exc})"))
            files.append(shown)
            continue
        production = is_production_file(shown)
        for unit in found:
            unit.production = unit.production and production
        units.extend(found)
        problems.extend(bad)
        if found or bad:
            files.append(shown)
    return units, problems, files
