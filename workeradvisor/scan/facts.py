"""Per-file facts a worker process extracts; the linker joins them across the project.

Plain slotted classes of strings and tuples: cheap to pickle back from worker processes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from workeradvisor.nativethreads import Setting


class Hit(NamedTuple):
    """A rule matched at a call site."""

    rule: str
    symbol: str
    line: int
    col: int


class PendingCall(NamedTuple):
    """A call on an object whose type is only known once every file is (``Deferred`` receiver)."""

    base: str
    steps: tuple[str, ...]
    method: str
    line: int
    col: int


class Edge(NamedTuple):
    """A call or reference to a function that may be defined in the project."""

    target: str
    line: int
    col: int


class ViaHelper(NamedTuple):
    """A callable (a lambda's synthetic function or a function reference) handed to a project
    function: offloaded when that function is an offloader, else called inline (lambdas only)."""

    helper: str
    target: str
    inline: bool  # a lambda: its body runs here unless the helper offloads it
    line: int
    col: int


@dataclass(slots=True)
class FuncFacts:
    qualname: str  # module + "." + local
    local: str  # e.g. "Service.charge" or "<module>"
    module: str
    is_async: bool
    line: int
    is_module: bool = False  # the pseudo-function holding import-time code
    lifespan: bool = False
    endpoint: bool = False
    entry: str = ""  # how the framework runs it: "route GET /x", "middleware", "lifespan", "cli", ...
    once: bool = False  # functools.cache'd without arguments: its body runs once per process
    foreign: bool = False  # calls something that may release the GIL (a library, an untyped object)
    loops: bool = False  # has a loop or comprehension: Python work worth offloading
    miss_from: int = 0  # calls from this line on run on a cache miss only (memo.py), 0: no memo guard
    offloader: bool = False  # hands a callable parameter to a thread pool (datasette's execute_fn)
    returns: str = ""  # return annotation: a library type or a project name, resolved at link time
    params: tuple[str, ...] = ()
    param_calls: tuple[str, ...] = ()  # enclosing functions' parameters this (nested) function calls
    hits: list[Hit] = field(default_factory=list)
    pending: list[PendingCall] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    offloads: list[Edge] = field(default_factory=list)  # project callables sent to a thread pool
    depends: list[Edge] = field(default_factory=list)  # Depends(target) declared by this function
    via: list[ViaHelper] = field(default_factory=list)
    # ``if settings.flag:`` branches: (flag qualname, branch runs when flag is true, first line, last line)
    guards: list[tuple[str, bool, int, int]] = field(default_factory=list)
    refs: list[tuple[str, str]] = field(default_factory=list)  # (entry kind, qualname) registered here


@dataclass(slots=True)
class FileFacts:
    path: str  # display path (relative to cwd)
    module: str
    functions: list[FuncFacts] = field(default_factory=list)
    global_types: dict[str, str] = field(default_factory=dict)  # "mod.name" -> type of a module global
    aliases: dict[str, str] = field(default_factory=dict)  # "mod.name" -> qualname it was imported from
    class_bases: dict[str, tuple[str, ...]] = field(default_factory=dict)  # class qualname -> base qualnames
    routes: list[tuple[str, str, str, int, bool]] = field(default_factory=list)  # method, path, func, line, async
    route_refs: list[tuple[str, str, str]] = field(default_factory=list)  # Route(path, endpoint): method, path, ref
    noqa: dict[int, frozenset[str] | None] = field(default_factory=dict)  # line -> codes (None: all)
    ignore_file: frozenset[str] | None = frozenset()  # None: whole file ignored; else these codes
    unserved: str = ""  # why the whole file never serves requests ("tests/", "conftest.py", ...)
    framework: bool = False  # imports a web framework (FastAPI, Starlette, aiohttp, Django, ...)
    cli: bool = False  # imports click / typer / argparse
    class_defaults: dict[str, bool] = field(default_factory=dict)  # "mod.Class.field" -> bool default
    # native compute threads (scan/threads.py): which project modules this file imports (the app's
    # import graph), native libraries imported (library, line, enclosing function qualname), literal
    # thread settings, settings whose value is not a literal, and any mention of a thread limit
    imports: set[str] = field(default_factory=set)
    native: list[tuple[str, int, str]] = field(default_factory=list)
    thread_settings: list[tuple[Setting, str]] = field(default_factory=list)  # (setting, function qualname)
    thread_unknown: frozenset[str] = frozenset()
    loads_from: int = 0  # first module-level import of a native library or a project module (0: none)
    thread_mentions: frozenset[str] = frozenset()
