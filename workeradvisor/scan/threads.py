"""Native thread pools in served code (WA341, WA342): what ``scan`` can say without the worker count.

Why: numpy's BLAS, torch, onnxruntime and tokenizers each start one compute thread per core in every
worker process; ``W`` workers on ``C`` cores run ``W x C`` (docs/threads.md). ``check`` knows the
deployment's workers and settings (WA530/WA531); ``scan`` sees only code, so it claims two things:

- WA341 (info): a library is imported by the served app and nothing in the scanned code limits its
  pool (the deployment may: hence "in the code", and info);
- WA342 (warning): a literal setting in served code, in force for a library the app imports, asks
  for more threads per worker than the cores this machine has: too many with any worker count.

Served means reached through project imports from a file that declares routes, views or middleware
(not tests/, scripts/, CLI code, nor a library's modules no app imports), at import time or in a
function an entry point reaches.
"""

from __future__ import annotations

from collections import deque

from workeradvisor.models.scan import Finding
from workeradvisor.nativethreads import (
    BLAS_LIBRARIES,
    NATIVE_LIBRARIES,
    READS,
    THREADPOOL_LIMITS,
    Setting,
    as_count,
    limited,
)
from workeradvisor.rulebook import Rule
from workeradvisor.scan.facts import FileFacts, FuncFacts
from workeradvisor.scan.fileworker import is_suppressed
from workeradvisor.scan.served import STARTUP, UNSERVED, Served

DEFAULT_RULE, TOO_HIGH_RULE = "WA341", "WA342"
_NOT_REQUEST = frozenset({"", "startup", "cli", "cli __main__", "test", "job"})
_KNOB = {"torch": "OMP_NUM_THREADS=cores/workers (or torch.set_num_threads)",
         "sentence_transformers": "OMP_NUM_THREADS=cores/workers (or torch.set_num_threads)",
         "onnxruntime": "SessionOptions.intra_op_num_threads = cores/workers",
         "tokenizers": "TOKENIZERS_PARALLELISM=false"}


def _is_app(ff: FileFacts) -> bool:
    """A file that declares what the server runs per request: routes, a route table, views, middleware."""
    return bool(ff.routes or ff.route_refs) or any(
        f.endpoint or f.entry not in _NOT_REQUEST or any(kind != "startup" for kind, _ in f.refs)
        for f in ff.functions)


def app_files(facts: list[FileFacts]) -> list[FileFacts]:
    """Served files of the apps: the app files and every project module they import, transitively
    (``import pkg.mod`` runs ``pkg/__init__.py`` too). Tests and scripts are never entered."""
    modules: dict[str, list[FileFacts]] = {}
    for ff in facts:
        if not ff.unserved:
            modules.setdefault(ff.module, []).append(ff)
    queue = deque(ff for ff in facts if not ff.unserved and _is_app(ff))
    seen = {id(ff) for ff in queue}
    while queue:
        ff = queue.popleft()
        for name in ff.imports:
            parts = name.split(".")
            for target in (t for i in range(1, len(parts) + 1) for t in modules.get(".".join(parts[:i]), ())):
                if id(target) not in seen:
                    seen.add(id(target))
                    queue.append(target)
    return [ff for ff in facts if id(ff) in seen]


def _where(ff: FileFacts, qualname: str, served: Served) -> tuple[FuncFacts, str, str] | None:
    """(function, context, entry) of code in ``qualname`` when it runs served: at import, or in a
    function an entry point reaches other than a command or a test."""
    f = next((f for f in ff.functions if f.qualname == qualname), None)
    if f is None:
        return None
    if f.is_module:
        return f, STARTUP, f"import {ff.module}"
    context, entry = served.where.get(id(f), (UNSERVED, ""))
    return None if context == UNSERVED else (f, context, entry)


def _fill(template: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        template = template.replace("{" + key + "}", value)
    return template


def _finding(rule: Rule, ff: FileFacts, line: int, where: tuple[FuncFacts, str, str], symbol: str,
             values: dict[str, str]) -> Finding:
    f, context, entry = where
    values = {"symbol": symbol, **values}
    return Finding(rule.id, rule.name, rule.category, rule.severity, ff.path, line, 0, f.qualname, symbol,
                   _fill(rule.message, values), _fill(rule.fix, values), (), context, entry)


def _in_force(library: str, mentions: frozenset[str]) -> str | None:
    """The setting ``library`` reads first among those the code mentions (None: none, or a
    threadpoolctl limit, which caps BLAS pools whatever the variables say)."""
    if library in BLAS_LIBRARIES and THREADPOOL_LIMITS in mentions:
        return None
    return next((n for n in READS[library] if n in mentions), None)


def _defaults(imports: list[tuple[str, FileFacts, int, tuple[FuncFacts, str, str]]], mentions: frozenset[str],
              rule: Rule, cores: int) -> list[Finding]:
    """WA341: one finding per library, at its first served import."""
    first: dict[str, tuple[FileFacts, int, tuple[FuncFacts, str, str]]] = {}
    for lib, ff, line, where in sorted(imports, key=lambda i: (i[1].path, i[2])):
        first.setdefault(lib, (ff, line, where))
    out = []
    for lib, (ff, line, where) in sorted(first.items()):
        if limited(lib, mentions):
            continue
        knob = _KNOB.get(lib, "OMP_NUM_THREADS=cores/workers")
        out.append(_finding(rule, ff, line, where, lib, {"library": NATIVE_LIBRARIES[lib], "cores": str(cores),
                                                         "setting": knob}))
    return out


def _too_high(facts: list[FileFacts], apps: list[FileFacts], served: Served, libraries: set[str],
              mentions: frozenset[str], rule: Rule, cores: int) -> list[Finding]:
    """WA342: every literal value of the setting is above the cores, none is computed, and it is the
    one some imported library reads first among those the code mentions."""
    every = [s for ff in facts for s, _ in ff.thread_settings]
    unknown = frozenset().union(*(ff.thread_unknown for ff in facts))
    out = []
    for ff in apps:
        for s, func in ff.thread_settings:
            count = as_count(s.name, s.value, cores)
            where = _where(ff, func, served)
            if not s.overrides_env or count is None or count <= cores or s.name in unknown or where is None:
                continue
            if any((as_count(o.name, o.value, cores) or 0) <= cores for o in every if o.name == s.name):
                continue  # another value of it somewhere: which one runs last is not for a static claim
            readers = sorted(NATIVE_LIBRARIES[lib] for lib in libraries if _in_force(lib, mentions) == s.name)
            if readers:
                out.append(_finding(rule, ff, s.line, where, _label(s), {
                    "threads": str(count), "cores": str(cores), "libraries": ", ".join(readers)}))
    return out


def _label(s: Setting) -> str:
    return f"{s.name}({s.value})" if s.name.endswith("set_num_threads") else f"{s.name}={s.value}"


def thread_findings(facts: list[FileFacts], served: Served, rules: dict[str, Rule], cores: int) -> list[Finding]:
    """WA341 and WA342 for the scanned project (only the selected ones; ``# noqa`` honoured)."""
    if not (DEFAULT_RULE in rules or TOO_HIGH_RULE in rules) or not any(ff.native for ff in facts):
        return []
    apps = app_files(facts)
    imports = [(lib, ff, line, where) for ff in apps for lib, line, func in ff.native
               if (where := _where(ff, func, served)) is not None]
    mentions = frozenset().union(*(ff.thread_mentions for ff in facts))
    out = []
    if DEFAULT_RULE in rules:
        out += _defaults(imports, mentions, rules[DEFAULT_RULE], cores)
    if TOO_HIGH_RULE in rules:
        out += _too_high(facts, apps, served, {i[0] for i in imports}, mentions, rules[TOO_HIGH_RULE], cores)
    by_path = {ff.path: ff for ff in facts}
    return [f for f in out if not is_suppressed(by_path[f.path], f.rule, f.line)]
