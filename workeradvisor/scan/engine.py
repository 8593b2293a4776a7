"""``scan_paths``: discover, parse and visit files on all cores, link, filter, summarise."""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import sys
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from workeradvisor import environment
from workeradvisor.errors import ConfigError
from workeradvisor.models.scan import Finding, Route, ScanError, ScanResult, ScanSummary
from workeradvisor.rulebook import SEVERITIES, Rule, load_rules
from workeradvisor.scan.config import ScanConfig, load_config
from workeradvisor.scan.discover import SourceFile, discover
from workeradvisor.scan.facts import FileFacts
from workeradvisor.scan.fileworker import scan_file
from workeradvisor.scan.linker import Linker
from workeradvisor.scan.ruleindex import RuleIndex, build_index

SCAN_RULE_LIMIT = 500  # scan owns WA100-WA499; the deployment gate (check) owns WA500+
PARALLEL_MIN_FILES = 48  # below this, starting processes costs more than it saves

_INDEX: RuleIndex | None = None
_TOKENS: frozenset[str] = frozenset()


def scan_rules(extra_dirs: Iterable[Path] = ()) -> dict[str, Rule]:
    """Every scanner rule (built-in plus ``extra_dirs``), by id."""
    return {k: r for k, r in load_rules(extra_dirs).items() if int(k[2:]) < SCAN_RULE_LIMIT}


def select_rules(rules: dict[str, Rule], select: Sequence[str], ignore: Sequence[str]) -> dict[str, Rule]:
    """Ruff-style prefixes: ``WA1`` selects WA100-WA199. An entry matching no rule is a config error."""
    for code in (*select, *ignore):
        if not any(r.startswith(code.upper()) for r in rules):
            raise ConfigError(f"unknown rule or prefix {code!r} (see `workeradvisor rules`)")
    chosen = {k: r for k, r in rules.items() if not select or any(k.startswith(s.upper()) for s in select)}
    return {k: r for k, r in chosen.items() if not any(k.startswith(i.upper()) for i in ignore)}


def _init(index: RuleIndex, tokens: frozenset[str], in_worker: bool = False) -> None:
    global _INDEX, _TOKENS
    _INDEX, _TOKENS = index, tokens
    if in_worker:
        gc.disable()  # per-file garbage has no cycles; a worker only lives for one scan


def _work(src: SourceFile) -> FileFacts | ScanError:
    assert _INDEX is not None
    return scan_file(src.path, src.display, src.module, _INDEX, _TOKENS)


def cpu_count() -> int:
    """Cores this process may really use: the one cgroup-aware count (``environment.cpu_count``)."""
    return environment.cpu_count()


def run_files(files: list[SourceFile], index: RuleIndex, tokens: frozenset[str], jobs: int
              ) -> list[FileFacts | ScanError]:
    """Visit files in input order, in worker processes when it pays off (order stays deterministic)."""
    with no_gc():
        if jobs <= 1 or len(files) < PARALLEL_MIN_FILES:
            _init(index, tokens)
            return [_work(f) for f in files]
        ctx = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
        chunk = max(1, len(files) // (jobs * 8))
        with ProcessPoolExecutor(jobs, mp_context=ctx, initializer=_init, initargs=(index, tokens, True)) as pool:
            return list(pool.map(_work, files, chunksize=chunk))


@contextlib.contextmanager
def no_gc() -> Iterator[None]:
    """The facts hold millions of small tuples and no cycles: with the collector on, every full
    collection re-walks them all (measured: a third of a serial scan of sqlalchemy)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _tokens(files: list[SourceFile]) -> frozenset[str]:
    return frozenset(part for f in files for part in f.module.split("."))


def _per_file_ignored(finding: Finding, config: ScanConfig, cwd: str) -> bool:
    if not config.per_file_ignores or config.root is None:
        return False
    rel = os.path.relpath(os.path.join(cwd, finding.path), config.root).replace(os.sep, "/")
    return any(spec.match_file(rel) and any(finding.rule.startswith(i) for i in ids)
               for spec, ids in config.per_file_specs())


def chosen_rules(config: ScanConfig, rules_dirs: Sequence[Path] = (), select: Sequence[str] = (),
                 ignore: Sequence[str] = ()) -> tuple[dict[str, Rule], dict[str, Rule]]:
    """(every rule, the selected ones): the one rule selection, used by ``scan_paths`` and the scan
    command's reports. Explicit ``select`` replaces the config's; ``ignore`` adds to it."""
    all_rules = scan_rules([*config.rules_dirs, *rules_dirs])
    return all_rules, select_rules(all_rules, tuple(select) or config.select, (*config.ignore, *ignore))


def scan_paths(paths: Sequence[str | os.PathLike[str]], *, rules_dirs: Sequence[Path] = (), select: Sequence[str] = (),
               ignore: Sequence[str] = (), max_depth: int = 4, config: ScanConfig | None = None,
               jobs: int | None = None) -> ScanResult:
    """Scan ``paths`` statically (never importing them). ``config`` defaults to the nearest
    pyproject.toml's ``[tool.workeradvisor]``; explicit arguments add to / override it."""
    cwd = os.getcwd()
    config = load_config(Path(cwd)) if config is None else config
    all_rules, rules = chosen_rules(config, rules_dirs, select, ignore)
    index = build_index(rules.values(), all_rules)
    exclude = (str(config.root or cwd), config.exclude_spec()) if config.exclude else None
    files, errors = discover(paths, cwd, exclude)
    results = run_files(files, index, _tokens(files), jobs or cpu_count())
    facts = [r for r in results if isinstance(r, FileFacts)]
    errors += [r for r in results if isinstance(r, ScanError)]
    with no_gc():
        raw = Linker(facts, index, max_depth).findings(facts)
    findings: dict[tuple, Finding] = {}
    for ff, f, rule_id, symbol, line, col, chain in raw:
        rule = rules[rule_id]
        finding = Finding(rule_id, rule.name, rule.category, rule.severity, ff.path, line, col, f.qualname, symbol,
                          rule.message.replace("{symbol}", symbol), rule.fix, chain)
        findings.setdefault((ff.path, line, col, rule_id, symbol), finding)
    kept = [f for f in findings.values() if not _per_file_ignored(f, config, cwd)]
    kept.sort(key=lambda f: (f.path, f.line, f.col, f.rule, f.symbol))
    return ScanResult(len(facts), tuple(kept), tuple(sorted(errors, key=lambda e: (e.path, e.message))),
                      _summary(facts, kept), routes=_routes(facts))


def _summary(facts: list[FileFacts], findings: list[Finding]) -> ScanSummary:
    funcs = [f for ff in facts for f in ff.functions if not f.is_module]
    eps = [f for f in funcs if f.endpoint]
    cats = Counter(f.category for f in findings)
    sev = Counter(f.severity for f in findings)
    return ScanSummary(
        files_scanned=len(facts),
        async_functions=sum(f.is_async for f in funcs),
        sync_functions=sum(not f.is_async for f in funcs),
        async_endpoints=sum(f.is_async for f in eps),
        sync_endpoints=sum(not f.is_async for f in eps),
        findings_by_category=tuple(sorted(cats.items())),
        findings_by_severity=tuple((s, sev[s]) for s in SEVERITIES if sev[s]),
    )


def _routes(facts: list[FileFacts]) -> tuple[Route, ...]:
    return tuple(Route(m, p, fn, ff.path, line, is_async, "{" in p)
                 for ff in facts for m, p, fn, line, is_async in ff.routes)
