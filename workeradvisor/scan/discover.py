"""Find the Python files under the given paths: honour .gitignore (pathspec's gitwildmatch), skip
virtualenvs, site-packages and VCS directories, and report what cannot be walked as errors."""

from __future__ import annotations

import errno
import functools
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pathspec

from workeradvisor.errors import ConfigError
from workeradvisor.models.scan import ScanError
from workeradvisor.safeio import MAX_CONFIG_FILE, read_bounded
from workeradvisor.scan import known
from workeradvisor.scan.resolve import module_name_for

_Spec = tuple[str, pathspec.PathSpec]  # (base directory, patterns relative to it)


@dataclass(frozen=True)
class SourceFile:
    path: str  # as opened
    display: str  # relative to cwd, "/" separators
    module: str  # dotted module name, from its import root (see ``_module``)
    rel: tuple[str, ...] = ()  # path parts relative to the scanned directory (served-code model)


def display_path(path: str, cwd: str) -> str:
    rel = os.path.relpath(path, cwd)
    return rel.replace(os.sep, "/")


@functools.lru_cache(maxsize=4096)
def _package_root(directory: str) -> str | None:
    """The directory holding the top package above ``directory`` (walking up through ``__init__.py``);
    cached per directory: every file of a package asks the same question."""
    if not os.path.isfile(os.path.join(directory, "__init__.py")):
        return None
    while os.path.isfile(os.path.join(directory, "__init__.py")):
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    return directory


def _module(path: str, root: str, cwd: str, src_roots: tuple[str, ...] = ()) -> str:
    """Module names come from the import root, so the same chains are found wherever the scan
    starts: a configured ``src`` root, else the top of the package (``__init__.py`` chain), else
    below a ``src/`` directory, else relative to cwd (or the scan root's parent)."""
    absolute = os.path.abspath(path)
    base = next((r for r in src_roots if absolute.startswith(r + os.sep)), None)
    if base is None:
        base = _package_root(os.path.dirname(absolute))
    if base is None:
        base = cwd if absolute.startswith(cwd + os.sep) else os.path.dirname(os.path.abspath(root))
        parts = Path(os.path.relpath(absolute, base)).parts
        if "src" in parts[:-1]:  # a src/ layout: modules are named below it
            last = max(i for i, p in enumerate(parts[:-1]) if p == "src")
            base = os.path.join(base, *parts[: last + 1])
    parts = tuple(Path(os.path.relpath(absolute, base)).parts)
    return module_name_for(parts)


def _load_gitignore(directory: str) -> _Spec | None:
    path = os.path.join(directory, ".gitignore")
    try:  # bounded and regular files only: a FIFO named .gitignore must not hang the scan
        lines = read_bounded(path, ".gitignore", MAX_CONFIG_FILE, errors="replace").splitlines()
    except (ConfigError, OSError):
        return None
    return (directory, pathspec.GitIgnoreSpec.from_lines(lines))


def _ancestor_specs(root: str) -> list[_Spec]:
    """.gitignore files from the enclosing repository's top down to ``root``'s parent."""
    specs: list[_Spec] = []
    d = os.path.dirname(os.path.abspath(root))
    while True:
        spec = _load_gitignore(d)
        if spec:
            specs.append(spec)
        if os.path.isdir(os.path.join(d, ".git")) or os.path.dirname(d) == d:
            break
        d = os.path.dirname(d)
    return specs[::-1]


def _ignored(path: str, is_dir: bool, specs: list[_Spec]) -> bool:
    for base, spec in specs:
        rel = os.path.relpath(path, base).replace(os.sep, "/")
        if rel.startswith(".."):
            continue
        if spec.match_file(rel + "/" if is_dir else rel):
            return True
    return False


class _Walker:
    def __init__(self, cwd: str, exclude: _Spec | None, src_roots: tuple[str, ...] = ()) -> None:
        self.cwd = cwd
        self.src_roots = src_roots
        self.files: list[SourceFile] = []
        self.errors: list[ScanError] = []
        self.seen_files: set[str] = set()
        self.empty: set[str] = set()  # empty directories: not an error
        self.exclude: list[_Spec] = [exclude] if exclude else []

    def error(self, path: str, message: str) -> None:
        self.errors.append(ScanError(display_path(path, self.cwd), message))

    def add_file(self, path: str, root: str) -> None:
        real = os.path.realpath(path)
        if real in self.seen_files:
            return
        self.seen_files.add(real)
        rel = tuple(Path(os.path.relpath(os.path.abspath(path), root)).parts)
        self.files.append(SourceFile(path, display_path(path, self.cwd), _module(path, root, self.cwd, self.src_roots),
                                     rel))

    def _open(self, directory: str, specs: list[_Spec]) -> tuple[Iterator[os.DirEntry[str]], list[_Spec]] | None:
        """The directory's entries in name order, and the ignore specs that apply below it."""
        try:
            with os.scandir(directory) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            self.error(directory, f"cannot read directory: {exc.strerror or exc}")
            return None
        if not entries:
            self.empty.add(directory)  # skipped silently, as ruff and flake8 do
            return None
        own = _load_gitignore(directory)
        return iter(entries), ([*specs, own] if own else specs)

    def walk(self, top: str, root: str, specs: list[_Spec], active: set[str]) -> int:
        """Walk a tree depth-first in name order with an explicit stack (no recursion limit: a
        1,000-deep tree is fine); returns the number of Python files found below it."""
        opened = self._open(top, specs)
        if opened is None:
            return 0
        stack = [(opened[0], opened[1], active)]
        found = 0
        while stack:
            entries, specs, active = stack[-1]
            entry = next(entries, None)
            if entry is None:
                stack.pop()
                continue
            path = entry.path
            try:
                is_dir = entry.is_dir()  # follows symlinks
            except OSError:
                is_dir = False
            if entry.is_symlink():
                try:
                    os.stat(path)
                except OSError as exc:
                    if exc.errno == errno.ELOOP:
                        self.error(path, "symlink loop; skipped")
                    elif entry.name.endswith(".py") or exc.errno != errno.ENOENT:
                        self.error(path, f"broken symlink ({exc.strerror}); skipped")
                    continue
            if is_dir:
                if entry.name in known.SKIP_DIRS or os.path.exists(os.path.join(path, "pyvenv.cfg")):
                    continue
                if _ignored(path, True, specs + self.exclude):
                    continue
                real = os.path.realpath(path)
                if real in active:
                    self.error(path, "symlink loop (points back to a parent directory); skipped")
                    continue
                below = self._open(path, specs)
                if below is not None:
                    stack.append((below[0], below[1], active | {real}))
            elif entry.name.endswith(".py") and not _ignored(path, False, specs + self.exclude):
                self.add_file(path, root)
                found += 1
        return found


def discover(paths: Iterable[str | os.PathLike[str]], cwd: str, exclude: _Spec | None = None,
             src_roots: tuple[str, ...] = ()) -> tuple[list[SourceFile], list[ScanError]]:
    """``exclude`` is (base directory, patterns) from the configuration; ``src_roots`` absolute import roots."""
    _package_root.cache_clear()  # per scan: files may have changed since the last one in this process
    walker = _Walker(cwd, exclude, src_roots)
    for raw in paths:
        path = os.fspath(raw)
        if not os.path.lexists(path):
            walker.error(path, "no such file or directory")
            continue
        try:
            st = os.stat(path)
        except OSError as exc:
            reason = "symlink loop" if exc.errno == errno.ELOOP else f"cannot stat ({exc.strerror})"
            walker.error(path, f"{reason}; skipped")
            continue
        if os.path.isdir(path):
            root = os.path.abspath(path)
            specs = _ancestor_specs(root)
            if _ignored(root, True, specs):
                specs = []  # an explicitly named path is scanned even when its parent repo ignores it
            found = walker.walk(path, root, specs, {os.path.realpath(path)})
            if found == 0 and path not in walker.empty and not any(
                    e.path == display_path(path, cwd) for e in walker.errors):
                walker.error(path, "no Python files found")
        else:
            del st
            walker.add_file(path, os.path.dirname(os.path.abspath(path)) or ".")
    return walker.files, walker.errors
