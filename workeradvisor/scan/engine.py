"""``scan_paths``: discover, parse and visit files on all cores, link, filter, summarise."""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import signal
import sys
import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, InvalidStateError, ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

from workeradvisor import deathwatch, environment
from workeradvisor.errors import ConfigError
from workeradvisor.models.scan import Finding, Route, ScanError, ScanResult, ScanSummary
from workeradvisor.rulebook import SEVERITIES, Rule, load_rules
from workeradvisor.scan import known
from workeradvisor.scan.config import ScanConfig, load_config
from workeradvisor.scan.discover import SourceFile, discover
from workeradvisor.scan.facts import FileFacts
from workeradvisor.scan.fileworker import collapse_newer_syntax, scan_file
from workeradvisor.scan.linker import Linker, RawFinding
from workeradvisor.scan.ruleindex import RuleIndex, build_index
from workeradvisor.scan.served import STARTUP, UNSERVED, Served, unserved_reason
from workeradvisor.scan.threads import thread_findings

SCAN_RULE_LIMIT = 500  # scan owns WA100-WA499; the deployment gate (check) owns WA500+
STARTUP_RULE = "WA390"  # loop claims in startup-only code, folded into one info finding
PARALLEL_MIN_FILES = 48  # below this, starting processes costs more than it saves

_INDEX: RuleIndex | None = None
_TOKENS: frozenset[str] = frozenset()


def scan_rules(extra_dirs: Iterable[Path] = ()) -> dict[str, Rule]:
    """Every scanner rule (built-in plus ``extra_dirs``), by id."""
    return {k: r for k, r in load_rules(extra_dirs).items() if int(k[2:]) < SCAN_RULE_LIMIT}


def select_rules(rules: dict[str, Rule], select: Sequence[str], ignore: Sequence[str]) -> dict[str, Rule]:
    """Ruff-style prefixes: ``WA1`` selects WA100-WA199. An entry matching no rule is a config error."""
    for code in (*select, *ignore):  # WA5xx codes belong to `check`, which shares the pyproject section
        if not any(r.startswith(code.upper()) for r in rules) and not code.upper().startswith("WA5"):
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


def _init_worker(index: RuleIndex, tokens: frozenset[str], parent_pid: int) -> None:
    """A pool worker dies with the scan (even SIGKILLed) and leaves Ctrl-C to the parent, which
    stops the pool itself: a worker that caught SIGINT mid-``put`` could block the parent's join."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the parent's "raise KeyboardInterrupt" handler
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)  # blocked by the parent across the fork
    deathwatch.set_pdeathsig_here(parent_pid)
    # Results and per-file errors come back as data; a worker stopped mid-send (Ctrl-C) must not
    # print multiprocessing's BrokenPipe traceback into the user's terminal.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    _init(index, tokens, True)


_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}
ABANDON_JOIN_S = 2.0  # the pool's manager thread normally ends in milliseconds once the workers are dead


def run_files(files: list[SourceFile], index: RuleIndex, tokens: frozenset[str], jobs: int
              ) -> list[FileFacts | ScanError]:
    """Visit files in input order, in worker processes when it pays off (order stays deterministic).

    On Ctrl-C, SIGTERM or any error the workers are SIGKILLed (by PID) and the pool abandoned,
    never joined while a worker may be blocked writing a result nobody will read.
    """
    with no_gc():
        if jobs <= 1 or len(files) < PARALLEL_MIN_FILES:
            _init(index, tokens)
            return [_work(f) for f in files]
        ctx = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
        chunk = max(1, len(files) // (jobs * 8))
        pool = ProcessPoolExecutor(jobs, mp_context=ctx, initializer=_init_worker,
                                   initargs=(index, tokens, os.getpid()))
        try:  # the shutdown too: a Ctrl-C while joining must also abandon, not hang at exit
            with _stop_signals_held():  # a worker forked now must not take Ctrl-C before ignoring it
                results_iter = pool.map(_work, files, chunksize=chunk)
            results = list(results_iter)
            pool.shutdown(wait=True)
        except BaseException:
            _abandon(pool)
            raise
        return results


@contextlib.contextmanager
def _stop_signals_held() -> Iterator[None]:
    """Hold SIGINT/SIGTERM while the pool forks its workers (they start inside ``map``'s first submit).

    Why: a terminal's Ctrl-C reaches the whole process group; a worker forked with the parent's
    handlers would raise KeyboardInterrupt in multiprocessing's bootstrap, before ``_init_worker``
    ignores SIGINT, and print a traceback to the terminal. Held signals stay pending (the parent
    gets its Ctrl-C a few milliseconds late); the worker unblocks them once it ignores SIGINT."""
    if not hasattr(signal, "pthread_sigmask") or threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _abandon(pool: ProcessPoolExecutor) -> None:
    """Stop a pool we will not read from again, without any wait that depends on the workers.

    Why each step: the executor's manager thread may be in the middle of receiving a large result
    (a chunk's facts are hundreds of KB, more than a pipe holds) when the workers are SIGKILLed;
    the rest of that message never comes, and because this process holds the result pipe's write
    end too, the read would never see EOF either. Interpreter exit joins that thread
    (``concurrent.futures``' exit hook), so the scan hung after "interrupted" (issue 12: ~1 Ctrl-C
    in 30). Closing our write end after the kill gives the manager EOF: it marks the pool broken,
    closes the call queue's reader (the feeder's pending write fails instead of blocking) and ends."""
    call_queue = getattr(pool, "_call_queue", None)
    result_queue = getattr(pool, "_result_queue", None)
    manager = getattr(pool, "_executor_manager_thread", None)
    # The executor's feeder thread may still be writing work to the killed workers' pipe; its
    # EPIPE/EBADF is expected now and must not print a traceback after our one-line message.
    if call_queue is not None and hasattr(call_queue, "_on_queue_feeder_error"):
        call_queue._on_queue_feeder_error = lambda _exc, _obj: None
    for item in list((getattr(pool, "_pending_work_items", None) or {}).values()):
        _quiet_set_exception(item.future)
    procs = list((getattr(pool, "_processes", None) or {}).values())
    for p in procs:
        with contextlib.suppress(OSError, ValueError, AttributeError):
            os.kill(p.pid, signal.SIGKILL)
    for p in procs:  # dead workers' pipe ends are closed only once they are gone
        with contextlib.suppress(Exception):
            p.join(timeout=1.0)
    writer = getattr(result_queue, "_writer", None)
    if writer is not None:
        with contextlib.suppress(OSError):
            writer.close()  # the manager's pending read now ends with EOF instead of waiting forever
    with contextlib.suppress(Exception):
        pool.shutdown(wait=False, cancel_futures=True)
    if manager is not None and manager.is_alive():
        manager.join(timeout=ABANDON_JOIN_S)


def _quiet_set_exception(future: Future[object]) -> None:
    """The broken-pool path sets BrokenProcessPool on every future it still lists, including ones
    already cancelled (by ``map``'s clean-up on Ctrl-C) or finished; CPython 3.11 raises
    InvalidStateError there, in the manager thread, and prints its traceback after our message."""
    original = future.set_exception

    def set_exception(exc: BaseException | None) -> None:
        with contextlib.suppress(InvalidStateError):
            original(exc)

    future.set_exception = set_exception  # type: ignore[method-assign,assignment]


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
               jobs: int | None = None, include_unserved: bool | None = None) -> ScanResult:
    """Scan ``paths`` statically (never importing them). ``config`` defaults to the nearest
    pyproject.toml's ``[tool.workeradvisor]``; explicit arguments add to / override it.
    Code that is never served (tests, scripts, CLI commands) is left out unless ``include_unserved``."""
    cwd = os.getcwd()
    config = load_config(Path(cwd)) if config is None else config
    all_rules, rules = chosen_rules(config, rules_dirs, select, ignore)
    index = build_index(rules.values(), all_rules)
    spec = config.exclude_spec()
    exclude = (str(config.root or cwd), spec) if spec is not None else None
    src_roots = tuple(str(p.resolve()) for p in config.src)
    files, errors = discover(paths, cwd, exclude, src_roots)
    results = run_files(files, index, _tokens(files), jobs or cpu_count())
    facts = []
    for src, r in zip(files, results, strict=True):
        if isinstance(r, FileFacts):
            r.unserved = unserved_reason(src.rel)
            facts.append(r)
        else:
            errors.append(r)
    errors = collapse_newer_syntax(errors)
    with no_gc():
        linker = Linker(facts, index, max_depth)
        raw = linker.findings(facts)
        served = Served(linker, facts)
    unserved = config.include_unserved if include_unserved is None else include_unserved
    findings = _render(raw, rules, served, unserved) + thread_findings(facts, served, rules, cpu_count())
    kept = [f for f in findings if not _per_file_ignored(f, config, cwd)]
    kept.sort(key=lambda f: (f.path, f.line, f.col, f.rule, f.symbol))
    return ScanResult(len(facts), tuple(kept), tuple(sorted(errors, key=lambda e: (e.path, e.message))),
                      _summary(facts, kept), routes=_routes(facts))


def _render(raw: list[RawFinding], rules: dict[str, Rule], served: Served, include_unserved: bool) -> list[Finding]:
    """Findings with their context and entry point; unserved ones dropped unless asked for, loop
    claims in startup-only code folded into one info finding (WA390)."""
    findings: dict[tuple, Finding] = {}
    startup: list[Finding] = []
    for r in raw:
        rule = rules[r.rule]
        context, entry = served.context(r.func, r.file)
        if context == UNSERVED and not include_unserved:
            continue
        if rule.category == "client-per-request" and not served.built_per_request(r.func, r.line):
            continue  # built on a cache miss or per worker job, not per request
        finding = Finding(r.rule, rule.name, rule.category, rule.severity, r.file.path, r.line, r.col, r.func.qualname,
                          r.symbol, rule.message.replace("{symbol}", r.symbol), rule.fix, r.chain, context, entry)
        if context == STARTUP and r.rule.startswith(known.LOOP_CLAIM_PREFIXES):
            startup.append(finding)
            continue
        findings.setdefault((r.file.path, r.line, r.col, r.rule, r.symbol), finding)
    out = list(findings.values())
    if startup and STARTUP_RULE in rules:
        out.append(_startup_finding(sorted(startup, key=lambda f: (f.path, f.line)), rules[STARTUP_RULE]))
    return out


def _startup_finding(claims: list[Finding], rule: Rule) -> Finding:
    first = claims[0]
    more = f" and {len(claims) - 1} more" if len(claims) > 1 else ""
    symbol = f"{first.symbol}{more}"
    return replace(first, rule=rule.id, name=rule.name, category=rule.category, severity=rule.severity,
                   symbol=symbol, message=rule.message.replace("{symbol}", symbol), fix=rule.fix)


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
