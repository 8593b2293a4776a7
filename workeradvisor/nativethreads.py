"""Native compute libraries and their thread settings as written in Python code, read with ``ast``.

Why one module: ``check`` (WA530/WA531, with the deployment's worker count) and ``scan`` (WA341/WA342,
code only) read the same facts; the layering forbids ``scan`` importing ``check``, so the pure-AST
part lives here, below both. Numbers in code are data: parsed, never imported or run.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

# top-level module -> what spins the threads (for the message)
NATIVE_LIBRARIES = {
    "numpy": "numpy (OpenBLAS/MKL)", "scipy": "scipy (OpenBLAS/MKL)", "torch": "torch",
    "onnxruntime": "onnxruntime", "sentence_transformers": "sentence-transformers (torch)",
    "tokenizers": "tokenizers", "sklearn": "scikit-learn (BLAS, joblib)", "joblib": "joblib",
}
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "TOKENIZERS_PARALLELISM")
SET_NUM_THREADS, INTRA_OP = "torch.set_num_threads", "intra_op_num_threads"
THREADPOOL_LIMITS = "threadpool_limits"  # threadpoolctl: caps the BLAS/OpenMP pools at run time
CODE_MARKERS = tuple(NATIVE_LIBRARIES) + ("set_num_threads", INTRA_OP, THREADPOOL_LIMITS) + THREAD_VARIABLES

# Which settings a library reads, first match wins; none set: one thread per core.
_BLAS = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS")
_TORCH = (SET_NUM_THREADS, "OMP_NUM_THREADS", "MKL_NUM_THREADS")
READS: dict[str, tuple[str, ...]] = {
    "numpy": _BLAS, "scipy": _BLAS, "sklearn": _BLAS, "joblib": _BLAS,
    "torch": _TORCH, "sentence_transformers": _TORCH,
    "onnxruntime": (INTRA_OP,),
    "tokenizers": ("TOKENIZERS_PARALLELISM",),
}
BLAS_LIBRARIES = frozenset(lib for lib, names in READS.items() if names is _BLAS)


@dataclass(frozen=True)
class Setting:
    """One thread setting: a variable (or ``torch.set_num_threads``/``intra_op_num_threads``) and where."""

    name: str  # OMP_NUM_THREADS ... | torch.set_num_threads | intra_op_num_threads
    value: str
    path: str
    line: int
    overrides_env: bool = True  # False for os.environ.setdefault: the deployment's value wins


def as_count(name: str, value: str, cores: int) -> int | None:
    """Threads per process a setting's value means; None when it is not a number we can read."""
    text = value.strip().strip("'\"")
    if name == "TOKENIZERS_PARALLELISM":
        return 1 if text.lower() in ("false", "0", "no", "off") else cores
    return int(text) if text.isdigit() and int(text) > 0 else None


def literal(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str | int) and not isinstance(node.value, bool):
        return str(node.value)
    return None


def _is_environ(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "environ" or isinstance(node, ast.Name) and \
        node.id == "environ"


def assignment_of(node: ast.AST) -> tuple[str, ast.expr, bool] | None:
    """(setting, value expression, overrides the deployment) of ``os.environ["X"] = v``,
    ``os.environ.setdefault("X", v)`` (does not override), ``os.putenv("X", v)``, ``torch.set_num_threads(v)``
    or ``opts.intra_op_num_threads = v``, whatever ``v`` is."""
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target = node.targets[0]
        if isinstance(target, ast.Subscript) and _is_environ(target.value):
            key = literal(target.slice)
            if key in THREAD_VARIABLES:
                return key, node.value, True
        if isinstance(target, ast.Attribute) and target.attr == INTRA_OP:
            return INTRA_OP, node.value, True
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and len(node.args) >= 1:
        func, args = node.func, node.args
        if func.attr == "set_num_threads":
            return SET_NUM_THREADS, args[0], True
        if len(args) >= 2 and (func.attr == "setdefault" and _is_environ(func.value) or func.attr == "putenv"):
            key = literal(args[0])
            if key in THREAD_VARIABLES:
                return key, args[1], func.attr != "setdefault"
    return None


def setting_of(node: ast.AST, path: str) -> Setting | None:
    """A thread setting whose value is a literal; values that are not literals are not guessed."""
    found = assignment_of(node)
    value = literal(found[1]) if found is not None else None
    if found is None or value is None:
        return None
    return Setting(found[0], value, path, getattr(node, "lineno", 0), overrides_env=found[2])


def imported_modules(node: ast.AST) -> list[str]:
    """Top-level modules an import statement loads (relative imports are the project's own)."""
    if isinstance(node, ast.Import):
        return [a.name.split(".")[0] for a in node.names]
    if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
        return [node.module.split(".")[0]]
    return []


def mention_of(node: ast.AST) -> str | None:
    """Any sign that the code limits a pool, whatever the value: a thread variable's name as a string
    (``os.environ[...] = str(n)``, an env dict handed on, even a read), ``set_num_threads(...)``,
    ``intra_op_num_threads``, ``threadpool_limits``. Why so broad: it only silences a claim, and a
    limit computed at run time (``cores // workers``) is exactly the fix."""
    if isinstance(node, ast.Constant) and node.value in THREAD_VARIABLES:
        return str(node.value)
    if isinstance(node, ast.Attribute):
        name = node.attr
    elif isinstance(node, ast.Name):
        name = node.id
    elif isinstance(node, ast.keyword):
        name = node.arg or ""
    else:
        return None
    if name == "set_num_threads":
        return SET_NUM_THREADS
    return name if name in (INTRA_OP, THREADPOOL_LIMITS) else None


def limited(library: str, mentions: set[str] | frozenset[str]) -> bool:
    """Does any mention in the code set (or may set) the pool size ``library`` reads?"""
    names = set(READS[library]) | ({THREADPOOL_LIMITS} if library in BLAS_LIBRARIES else set())
    return not names.isdisjoint(mentions)
