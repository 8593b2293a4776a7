"""Native compute libraries and thread settings in the application's Python code, read with ``ast``.

Why: each uvicorn/gunicorn worker that imports numpy, torch or onnxruntime starts its own pool of
compute threads, one per core by default. The code is data here: parsed, never imported or run.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from workeradvisor.check.discover import SKIP_DIRS, display_path, iter_files
from workeradvisor.safeio import MAX_DEPLOYMENT_FILE, InputError, read_bounded

# top-level module -> what spins the threads (for the message)
NATIVE_LIBRARIES = {
    "numpy": "numpy (OpenBLAS/MKL)", "scipy": "scipy (OpenBLAS/MKL)", "torch": "torch",
    "onnxruntime": "onnxruntime", "sentence_transformers": "sentence-transformers (torch)",
    "tokenizers": "tokenizers", "sklearn": "scikit-learn (BLAS, joblib)", "joblib": "joblib",
}
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "TOKENIZERS_PARALLELISM")
_CODE_MARKERS = tuple(NATIVE_LIBRARIES) + ("set_num_threads", "intra_op_num_threads") + THREAD_VARIABLES


@dataclass(frozen=True)
class Setting:
    """One thread setting: a variable (or ``torch.set_num_threads``/``intra_op_num_threads``) and where."""

    name: str  # OMP_NUM_THREADS ... | torch.set_num_threads | intra_op_num_threads
    value: str
    path: str
    line: int
    overrides_env: bool = True  # False for os.environ.setdefault: the deployment's value wins


@dataclass
class CodeThreads:
    imports: list[tuple[str, str, int]] = field(default_factory=list)  # (native module, path, line)
    settings: list[Setting] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # every .py file read, for scoping to one app

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
                           [f for f in self.files if keep(f)])


def _literal(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str | int) and not isinstance(node.value, bool):
        return str(node.value)
    return None


def _is_environ(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "environ" or isinstance(node, ast.Name) and \
        node.id == "environ"


def _setting_of(node: ast.AST, path: str) -> Setting | None:
    """``os.environ["X"] = "1"``, ``os.environ.setdefault("X", "1")``, ``os.putenv``, ``torch.set_num_threads(n)``,
    ``opts.intra_op_num_threads = n``; values that are not literals are not guessed."""
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target, value = node.targets[0], _literal(node.value)
        if isinstance(target, ast.Subscript) and _is_environ(target.value):
            key = _literal(target.slice)
            if key in THREAD_VARIABLES and value is not None:
                return Setting(key, value, path, node.lineno)
        if isinstance(target, ast.Attribute) and target.attr == "intra_op_num_threads" and value is not None:
            return Setting("intra_op_num_threads", value, path, node.lineno)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and len(node.args) >= 1:
        func, args = node.func, node.args
        if func.attr == "set_num_threads" and (value := _literal(args[0])) is not None:
            return Setting("torch.set_num_threads", value, path, node.lineno)
        if len(args) >= 2 and (func.attr == "setdefault" and _is_environ(func.value) or func.attr == "putenv"):
            key, value = _literal(args[0]), _literal(args[1])
            if key in THREAD_VARIABLES and value is not None:
                return Setting(key, value, path, node.lineno, overrides_env=func.attr != "setdefault")
    return None


def _imports(node: ast.AST) -> list[str]:
    """Top-level modules an import statement loads (relative imports are the project's own)."""
    if isinstance(node, ast.Import):
        return [a.name.split(".")[0] for a in node.names]
    if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
        return [node.module.split(".")[0]]
    return []


def read_file(path: str, text: str, found: CodeThreads) -> None:
    """Add one file's imports and settings; a file that does not parse is skipped (the scan reports it)."""
    try:
        tree = ast.parse(text, filename=path)
    except (SyntaxError, ValueError):
        return
    for node in ast.walk(tree):
        found.imports.extend((m, path, getattr(node, "lineno", 0)) for m in _imports(node) if m in NATIVE_LIBRARIES)
        setting = _setting_of(node, path)
        if setting is not None:
            found.settings.append(setting)
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
        if any(marker in text for marker in _CODE_MARKERS):
            read_file(shown, text, found)
    return found
