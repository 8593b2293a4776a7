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
    THREAD_VARIABLES,
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


def _closure(root: FileFacts, modules: dict[str, list[FileFacts]]) -> list[FileFacts]:
    """``root`` and every project module it imports, transitively (``import pkg.mod`` runs
    ``pkg/__init__.py`` too). Tests and scripts are never entered."""
    queue, seen, out = deque([root]), {id(root)}, [root]
    while queue:
        ff = queue.popleft()
        for name in ff.imports:
            parts = name.split(".")
            for target in (t for i in range(1, len(parts) + 1) for t in modules.get(".".join(parts[:i]), ())):
                if id(target) not in seen:
                    seen.add(id(target))
                    queue.append(target)
                    out.append(target)
    return out


def apps(facts: list[FileFacts]) -> list[list[FileFacts]]:
    """The served files of each app: the closure of an app file no other app file imports (a router
    module imported by ``main.py`` is part of ``main``'s app, not an app of its own)."""
    modules: dict[str, list[FileFacts]] = {}
    for ff in facts:
        if not ff.unserved:
            modules.setdefault(ff.module, []).append(ff)
    roots = [ff for ff in facts if not ff.unserved and _is_app(ff)]
    closures = [_closure(root, modules) for root in roots]
    members = [{id(ff) for ff in files} for files in closures]
    kept = []
    for i, root in enumerate(roots):
        # imported by another app file: part of that app; two that import each other: the first one's
        if not any(j != i and id(root) in members[j] and (id(roots[j]) not in members[i] or j < i)
                   for j in range(len(roots))):
            kept.append(closures[i])
    return kept


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


def _defaults(apps: list[list[FileFacts]], served: Served, mentions: frozenset[str], rule: Rule,
              cores: int) -> list[Finding]:
    """WA341: one finding per pool and app, at the first served import in that app of a library using
    the pool (numpy, scipy and scikit-learn share the BLAS pool; sentence-transformers is torch's)."""
    found: dict[tuple[str, str, int], Finding] = {}
    for files in apps:
        first: dict[tuple[str, ...], tuple[str, FileFacts, int, tuple[FuncFacts, str, str]]] = {}
        for ff in sorted(files, key=lambda ff: ff.path):
            for lib, line, func in sorted(ff.native, key=lambda n: n[1]):
                pool = READS[lib]
                if pool not in first and not limited(lib, mentions) and (where := _where(ff, func, served)):
                    first[pool] = (lib, ff, line, where)
        for lib, ff, line, where in first.values():
            knob = _KNOB.get(lib, "OMP_NUM_THREADS=cores/workers")
            found.setdefault((lib, ff.path, line), _finding(rule, ff, line, where, lib, {
                "library": NATIVE_LIBRARIES[lib], "cores": str(cores), "setting": knob}))
    return list(found.values())


def _too_high(facts: list[FileFacts], served_files: list[FileFacts], served: Served, libraries: set[str],
              mentions: frozenset[str], rule: Rule, cores: int) -> list[Finding]:
    """WA342: every literal value of the setting is above the cores, none is computed, and it is the
    one some imported library reads first among those the code mentions."""
    every = [s for ff in facts for s, _ in ff.thread_settings]
    unknown = frozenset().union(*(ff.thread_unknown for ff in facts))
    out = []
    for ff in served_files:
        for s, func in ff.thread_settings:
            count = as_count(s.name, s.value, cores)
            where = _where(ff, func, served)
            if not s.overrides_env or count is None or count <= cores or s.name in unknown or where is None:
                continue
            if any((as_count(o.name, o.value, cores) or 0) <= cores for o in every if o.name == s.name):
                continue  # another value of it somewhere: which one runs last is not for a static claim
            if s.name in THREAD_VARIABLES and not _before_loading(ff, s, where[0]):
                continue  # a library reads the variable when it loads: set after an import, it may be too late
            readers = sorted(NATIVE_LIBRARIES[lib] for lib in libraries if _in_force(lib, mentions) == s.name)
            if readers:
                out.append(_finding(rule, ff, s.line, where, _label(s), {
                    "threads": str(count), "cores": str(cores), "libraries": ", ".join(readers)}))
    return out


def _before_loading(ff: FileFacts, s: Setting, func: FuncFacts) -> bool:
    """An environment variable set at import time of its file before that file imports any native
    library or project module: set before a library it loads reads it."""
    return func.is_module and (not ff.loads_from or s.line < ff.loads_from)


def _label(s: Setting) -> str:
    return f"{s.name}({s.value})" if s.name.endswith("set_num_threads") else f"{s.name}={s.value}"


def thread_findings(facts: list[FileFacts], served: Served, rules: dict[str, Rule], cores: int) -> list[Finding]:
    """WA341 and WA342 for the scanned project (only the selected ones; ``# noqa`` honoured)."""
    if not (DEFAULT_RULE in rules or TOO_HIGH_RULE in rules) or not any(ff.native for ff in facts):
        return []
    groups = apps(facts)
    mentions = frozenset().union(*(ff.thread_mentions for ff in facts))
    out = []
    if DEFAULT_RULE in rules:
        out += _defaults(groups, served, mentions, rules[DEFAULT_RULE], cores)
    if TOO_HIGH_RULE in rules:
        files = list({id(ff): ff for files in groups for ff in files}.values())
        libraries = {lib for ff in files for lib, _, func in ff.native if _where(ff, func, served)}
        out += _too_high(facts, files, served, libraries, mentions, rules[TOO_HIGH_RULE], cores)
    by_path = {ff.path: ff for ff in facts}
    return [f for f in out if not is_suppressed(by_path[f.path], f.rule, f.line)]
