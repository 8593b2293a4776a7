"""Native compute libraries and thread settings in the application's Python code, read with ``ast``.

The per-node reading (which imports, which settings) is ``workeradvisor.nativethreads``, shared with
``scan``; this module walks a checked tree and scopes what it finds to one app.

Why: each uvicorn/gunicorn worker that imports numpy, torch or onnxruntime starts its own pool of
compute threads, one per core by default. The code is data here: parsed, never imported or run.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from workeradvisor.check.discover import SKIP_DIRS, display_path, iter_files
from workeradvisor.nativethreads import (
    CODE_MARKERS,
    NATIVE_LIBRARIES,
    Setting,
    imported_modules,
    mention_of,
    setting_of,
)
from workeradvisor.safeio import MAX_DEPLOYMENT_FILE, InputError, read_bounded


@dataclass
class CodeThreads:
    imports: list[tuple[str, str, int]] = field(default_factory=list)  # (native module, path, line)
    settings: list[Setting] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # every .py file read, for scoping to one app
    # (name, path) of every sign the code sets a pool size, literal or computed (nativethreads.mention_of)
    mentions: list[tuple[str, str]] = field(default_factory=list)

    @property
    def libraries(self) -> dict[str, tuple[str, int]]:
        """Native module -> where it is first imported (path, line)."""
        first: dict[str, tuple[str, int]] = {}
        for module, path, line in sorted(self.imports, key=lambda i: (i[1], i[2])):
            first.setdefault(module, (path, line))
        return first

    def within(self, keep: Callable[[str], bool]) -> CodeThreads:
        """Only what files that ``keep`` accepts say (the code of one app)."""
        return CodeThreads([i for i in self.imports if keep(i[1])], [s for s in self.settings if keep(s.path)],
                           [f for f in self.files if keep(f)], [m for m in self.mentions if keep(m[1])])


def read_file(path: str, text: str, found: CodeThreads) -> None:
    """Add one file's imports and settings; a file that does not parse is skipped (the scan reports it)."""
    try:
        tree = ast.parse(text, filename=path)
    except (SyntaxError, ValueError):
        return
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        found.imports.extend((m, path, line) for m in imported_modules(node) if m in NATIVE_LIBRARIES)
        setting = setting_of(node, path)
        if setting is not None:
            found.settings.append(setting)
        mention = mention_of(node)
        if mention is not None:
            found.mentions.append((mention, path))
    found.settings.sort(key=lambda s: (s.path, s.line))  # ast.walk is breadth-first; "first" means first line


def read_code(root: Path) -> CodeThreads:
    """Every ``.py`` file under ``root`` (the skipped directories of ``discover`` aside) that mentions a
    native library or a thread setting. All of them count for every unit: one repository, one app."""
    found = CodeThreads()
    for path in iter_files(root):
        if path.suffix != ".py" or any(part in SKIP_DIRS for part in path.parts):
            continue
        try:
            text = read_bounded(path, "python file", MAX_DEPLOYMENT_FILE)
        except InputError:
            continue
        shown = display_path(path)
        found.files.append(shown)
        if any(marker in text for marker in CODE_MARKERS):
            read_file(shown, text, found)
    return found
