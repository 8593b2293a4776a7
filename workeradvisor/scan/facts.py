"""Per-file facts a worker process extracts; the linker joins them across the project.

Plain slotted classes of strings and tuples: cheap to pickle back from worker processes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# A hit: (rule id, matched symbol, line, col)
Hit = tuple[str, str, int, int]
# A call on an object whose type lives in another module: (base qualname, steps, method, line, col)
Pending = tuple[str, tuple[str, ...], str, int, int]
# A call or reference to a function that may be defined in the project: (qualname, line, col)
Edge = tuple[str, int, int]


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
    hits: list[Hit] = field(default_factory=list)
    pending: list[Pending] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    offloads: list[Edge] = field(default_factory=list)  # project callables sent to a thread pool
    depends: list[Edge] = field(default_factory=list)  # Depends(target) declared by this function


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
