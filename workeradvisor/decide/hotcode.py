"""Which code an action may name: a function of the scanned project, or a library called from it.

Why: the profile's top CPU site is the innermost *application* frame of each stack, but a stack
with no application frame at all (a 500 handler formatting a traceback, uvicorn's ``send``, h11
parsing on a hello-world) falls back to its innermost frame, a library or interpreter internal.
Telling a user to offload ``_get_code_position`` or uvicorn's ``send`` is wrong twice: it is not
their code, and it is the server's own overhead, not offloadable work. So an action names
  * a project function (in the scan's files, not site-packages or the stdlib), or
  * "the hot code is in LIBRARY, called from FILE:LINE" when the scan found the project call, or
  * nothing.
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from workeradvisor.decide.metrics import PROFILE_SITE_MIN_SHARE
from workeradvisor.models.profile import CallSite
from workeradvisor.models.scan import ScanResult

MIN_SHARE = PROFILE_SITE_MIN_SHARE  # a site under this share of loop samples is noise, not a target
_PACKAGE_ROOT = re.compile(r"/(?:site|dist)-packages/(?P<name>[^/]+)")
_STDLIB_ROOT = re.compile(r"/lib(?:64)?/python3[^/]*/(?P<name>[^/]+)")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# The server, framework and interpreter machinery: their CPU is the cost of serving, never a target.
INTERNALS = frozenset({
    "uvicorn", "starlette", "fastapi", "anyio", "asyncio", "uvloop", "h11", "httptools", "websockets", "wsproto",
    "gunicorn", "sniffio", "traceback", "linecache", "logging", "selectors", "socket", "ssl", "threading",
    "concurrent", "importlib", "contextlib", "inspect", "typing", "warnings", "encodings", "abc", "functools",
    "pydantic", "pydantic_core", "email", "http", "urllib", "weakref", "enum", "dataclasses",
})
PLACEHOLDERS = frozenset({"cpu_heavy_function", "your_function", "unknown"})  # never real code to name


@dataclass(frozen=True)
class HotCode:
    """What the hot CPU code is, for an action to name."""

    kind: str  # "project" | "library"
    function: str  # project: the function's plain name; library: the project function that calls it ("" if unknown)
    path: str  # project: where the hot function is; library: the project call site
    line: int
    share: float  # of loop samples
    library: str = ""
    call: str = ""  # what to hand to the pool: the project function, or the library call the scan found

    @property
    def callable_name(self) -> str:
        return self.call or self.function

    def phrase(self) -> str:
        if self.kind == "project":
            return f"`{self.function}` ({self.path}:{self.line})"
        return f"the hot code is in {self.library}, called from {self.path}:{self.line}"


def library_of(path: str) -> str | None:
    """``.../site-packages/numpy/core/x.py`` -> "numpy"; stdlib ``.../python3.12/json/x.py`` -> "json";
    None for a project path. ``<frozen ...>`` and ``<string>`` are the interpreter's own."""
    if not path or path.startswith("<"):
        return "python"
    m = _PACKAGE_ROOT.search(path) or _STDLIB_ROOT.search(path)
    if not m:
        return None
    return m.group("name").removesuffix(".py").split("-")[0] or None


def plain_function(name: str) -> str | None:
    """The innermost real identifier of a (possibly qualified) function name, or None.

    ``Scorer.score`` -> "score"; ``score_document.<locals>.<genexpr>`` -> "score_document";
    ``<module>`` -> None; placeholders -> None."""
    parts = [p for p in re.split(r"[.\s]", name) if _IDENT.match(p)]
    ident = parts[-1] if parts else None
    return ident if ident and ident not in PLACEHOLDERS else None


def _norm(path: str) -> str:
    return os.path.normpath(path).replace(os.sep, "/")


def in_project(path: str, project_files: Collection[str] | None) -> bool:
    """Not a library, not a source checkout of the server stack, and (when the scan named files) in
    the directory tree of one of them."""
    if library_of(path) is not None or INTERNALS & set(_norm(path).split("/")[:-1]):
        return False
    if project_files is None:
        return True
    here = os.path.abspath(path)
    dirs = {os.path.dirname(os.path.abspath(f)) for f in project_files}
    return any(here == d or here.startswith(d.rstrip(os.sep) + os.sep) for d in dirs)


def _caller(library: str, scan: ScanResult | None) -> tuple[str, str, int, str] | None:
    """The project call into ``library`` the scan found (cpu-heavy findings first):
    (enclosing function, path, line, the called symbol)."""
    if scan is None:
        return None
    found = sorted((f for f in scan.findings if f.symbol.split(".")[0] == library),
                   key=lambda f: (f.category != "cpu-heavy", f.path, f.line))
    if not found:
        return None
    f = found[0]
    return plain_function(f.function) or "", f.path, f.line, f.symbol


def hot_code(
    sites: Sequence[CallSite],
    scan: ScanResult | None,
    project_files: Collection[str] | None = None,
    min_share: float = MIN_SHARE,
) -> HotCode | None:
    """The hottest site an action may name (sites in descending share), or None.

    Server/framework/interpreter internals are skipped; a project site is named by its function; a
    third-party library is named only with the project call the scan found into it."""
    for site in sorted(sites, key=lambda s: -s.share):
        if site.share < min_share:
            break
        lib = library_of(site.path)
        if lib is None:
            func = plain_function(site.function)
            if func and in_project(site.path, project_files):
                return HotCode("project", func, site.path, site.line, site.share)
            continue
        if lib in INTERNALS or lib == "python":
            continue
        caller = _caller(lib, scan)
        if caller is not None:
            func, path, line, symbol = caller
            return HotCode("library", func, path, line, site.share, lib, symbol)
    return None


def project_files_of(scan: ScanResult | None) -> frozenset[str] | None:
    """The project files the scan knows by name (findings, routes); None when it names none, so the
    library-path test alone decides."""
    if scan is None:
        return None
    files = {f.path for f in scan.findings} | {r.file for r in scan.routes}
    return frozenset(files) or None
