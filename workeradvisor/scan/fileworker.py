"""Read, parse and visit one file; every failure becomes a one-line ``ScanError``, never a traceback."""

from __future__ import annotations

import ast
import os
import re
import stat
import sys
import warnings

from workeradvisor.models.scan import ScanError
from workeradvisor.scan.facts import FileFacts
from workeradvisor.scan.ruleindex import RuleIndex
from workeradvisor.scan.threadfacts import read_threads
from workeradvisor.scan.visitor import Visitor

MAX_FILE_BYTES = 5 * 1024 * 1024  # larger .py files are almost always generated data
_NOQA = re.compile(rb"#\s*noqa(?::[ \t]*(?P<codes>[A-Z]+[0-9]+(?:[ \t]*,[ \t]*[A-Z]+[0-9]+)*))?", re.I)
_IGNORE = re.compile(rb"#\s*workeradvisor:\s*ignore(?P<file>-file)?(?:\[(?P<codes>[A-Z0-9 ,]+)\])?", re.I)


def _codes(raw: bytes | None) -> frozenset[str] | None:
    if not raw:
        return None
    return frozenset(c.strip().upper() for c in raw.decode("ascii").split(",") if c.strip())


def parse_suppressions(data: bytes, facts: FileFacts) -> None:
    """``# noqa: WA101`` / ``# workeradvisor: ignore[WA101]`` per line; ``ignore-file`` for the file."""
    if b"noqa" not in data and b"workeradvisor" not in data:
        return
    matches = sorted((*_NOQA.finditer(data), *_IGNORE.finditer(data)), key=lambda m: m.start())
    line, pos = 1, 0
    for m in matches:  # line numbers counted incrementally: files can hold thousands of noqa comments
        line += data.count(b"\n", pos, m.start())
        pos = m.start()
        codes = _codes(m.group("codes"))
        if m.re is _IGNORE and m.group("file"):
            facts.ignore_file = None if codes is None or facts.ignore_file is None else facts.ignore_file | codes
            continue
        old = facts.noqa.get(line, frozenset())
        facts.noqa[line] = None if codes is None or old is None else old | codes


# Grammar newer than the running interpreter: (minimum version, what it is, pattern on the failing line)
_NEWER = (
    ((3, 14), "except A, B: without parentheses (PEP 758)", re.compile(rb"^\s*except\s+[^():]+,[^:]*:")),
    ((3, 14), "template strings t\"...\" (PEP 750)", re.compile(rb"(?<![\w.'\"])(?:[tT][rR]?|[rR][tT])[\"']")),
    ((3, 12), "type parameter syntax (PEP 695)", re.compile(rb"^\s*(?:(?:async\s+)?def|class)\s+\w+\s*\[")),
    ((3, 12), "type alias statement (PEP 695)", re.compile(rb"^\s*type\s+\w+\s*(?:\[[^=]*\])?\s*=")),
    ((3, 12), "f-string nesting (PEP 701)", re.compile(rb"f[\"'].*\{[^}]*[\"']")),
)
NEWER_SYNTAX = "needs Python >= "


def newer_syntax(exc: SyntaxError, data: bytes) -> str:
    """"needs Python >= 3.12 (type parameter syntax (PEP 695))" when the failing line uses a grammar
    newer than this interpreter's, else ""."""
    if not exc.lineno:
        return ""
    lines = data.splitlines()
    line = lines[exc.lineno - 1] if exc.lineno <= len(lines) else b""
    for version, what, pattern in _NEWER:
        if sys.version_info < version and pattern.search(line):
            if what.startswith("f-string") and "f-string" not in (exc.msg or ""):
                continue
            return f"{NEWER_SYNTAX}{version[0]}.{version[1]} ({what})"
    return ""


def collapse_newer_syntax(errors: list[ScanError]) -> list[ScanError]:
    """One error per run for files this interpreter cannot parse, naming the syntax and the fix."""
    newer = [e for e in errors if e.message.startswith(NEWER_SYNTAX)]
    if not newer:
        return errors
    need = max(newer, key=lambda e: tuple(int(x) for x in e.message[len(NEWER_SYNTAX):].split(" ")[0].split(".")))
    version = need.message[len(NEWER_SYNTAX):].split(" ")[0]
    kinds = sorted({e.message[len(NEWER_SYNTAX):].partition(" ")[2].removeprefix("(").removesuffix(")")
                    for e in newer})
    others = f" and {len(newer) - 1} more file(s)" if len(newer) > 1 else ""
    message = (f"uses syntax newer than Python {sys.version_info[0]}.{sys.version_info[1]} ({'; '.join(kinds)})"
               f"{others}: not scanned; run workeradvisor under Python >= {version}")
    return [e for e in errors if e not in newer] + [ScanError(sorted(e.path for e in newer)[0], message)]


def _syntax_reason(exc: SyntaxError, data: bytes) -> str:
    newer = newer_syntax(exc, data)
    if newer:
        return newer
    msg = (exc.msg or "invalid syntax").splitlines()[0]
    if "unicode error" in msg or "utf-8" in msg.lower() or "codec" in msg:
        return f"not valid UTF-8 (or its declared encoding): {msg}"
    where = f" at line {exc.lineno}" if exc.lineno else ""
    py2 = "Missing parentheses in call to" in msg or re.search(rb"^\s*print\s+[\"'\w]", data, re.M) is not None
    hint = " (looks like Python 2 source)" if py2 else ""
    return f"syntax error{where}: {msg}{hint}"


def read_source(path: str) -> bytes | str:
    """The file's bytes, or a one-line reason it cannot be scanned."""
    try:
        st = os.stat(path)
    except OSError as exc:
        return f"cannot stat: {exc.strerror or exc}"
    if not stat.S_ISREG(st.st_mode):
        kind = "FIFO" if stat.S_ISFIFO(st.st_mode) else "socket" if stat.S_ISSOCK(st.st_mode) else "special file"
        return f"not a regular file ({kind}); skipped"
    if st.st_size > MAX_FILE_BYTES:
        return f"file too large ({st.st_size / 1e6:.1f} MB > {MAX_FILE_BYTES / 1e6:.0f} MB); skipped"
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError as exc:
        return f"cannot read: {exc.strerror or exc}"


def scan_file(path: str, display: str, module: str, index: RuleIndex, tokens: frozenset[str]) -> FileFacts | ScanError:
    data = read_source(path)
    if isinstance(data, str):
        return ScanError(display, data)
    if b"\0" in data:
        return ScanError(display, "contains a NUL byte; not Python source")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarning for invalid escapes in scanned code is not ours
            tree = ast.parse(data, filename=display)
    except SyntaxError as exc:
        return ScanError(display, _syntax_reason(exc, data))
    except (ValueError, UnicodeError) as exc:
        return ScanError(display, f"cannot decode: {str(exc).splitlines()[0]}")
    except (RecursionError, MemoryError):
        return ScanError(display, "too deeply nested or too large to parse")
    facts = FileFacts(display, module)
    parse_suppressions(data, facts)
    if facts.ignore_file is None:
        return facts  # counted as scanned, reports nothing
    visitor = Visitor(facts, os.path.basename(path) == "__init__.py", index, tokens)
    try:
        visitor.run(tree)
    except RecursionError:
        return ScanError(display, "too deeply nested to analyse")
    finally:
        visitor.handlers.clear()  # break the visitor <-> bound-method cycle: freed without the GC
    read_threads(tree, data, facts)
    _drop_suppressed(facts)
    return facts


def _drop_suppressed(facts: FileFacts) -> None:
    if not facts.noqa and not facts.ignore_file:
        return
    for f in facts.functions:
        f.hits = [h for h in f.hits if not is_suppressed(facts, h[0], h[2])]


def is_suppressed(facts: FileFacts, rule: str, line: int) -> bool:
    if facts.ignore_file is None or rule in facts.ignore_file:
        return True
    if line in facts.noqa:
        codes = facts.noqa[line]
        return codes is None or rule in codes
    return False
