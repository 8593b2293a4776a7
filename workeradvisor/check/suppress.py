"""Inline suppression in deployment files, hadolint style.

``# workeradvisor: ignore[WA506]`` (several ids or prefixes, comma separated) or a bare
``# workeradvisor: ignore`` silences findings on its own line and on the line below, so it works
both as a trailing YAML/Procfile comment and as a comment line above a Dockerfile instruction
(where trailing comments are not comments). ``# workeradvisor: ignore-file`` (optionally with ids)
anywhere in the file silences the whole file, as in ``scan``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from workeradvisor.models.scan import Finding

_MARK = re.compile(r"#\s*workeradvisor:\s*ignore(-file)?(?:\[([A-Za-z0-9_,\s]*)\])?", re.I)
WHOLE_FILE = 0  # the key a file-level ignore is kept under
ALL: frozenset[str] = frozenset()  # a bare ignore: every rule
Suppressions = dict[int, frozenset[str]]


def suppressions(text: str) -> Suppressions:
    """Line number -> rule ids/prefixes silenced there (``ALL`` for a bare ignore)."""
    out: dict[int, set[str] | None] = {}
    for no, line in enumerate(text.splitlines(), 1):
        m = _MARK.search(line)
        if not m:
            continue
        codes = {c.strip().upper() for c in (m.group(2) or "").split(",") if c.strip()}
        for target in (WHOLE_FILE,) if m.group(1) else (no, no + 1):
            if not codes or out.get(target, set()) is None:
                out[target] = None
            else:
                current = out.setdefault(target, set())
                assert current is not None
                current.update(codes)
    return {k: ALL if v is None else frozenset(v) for k, v in out.items()}


def silenced(finding: Finding, marks: Suppressions) -> bool:
    for key in (finding.line, WHOLE_FILE):
        codes = marks.get(key)
        if codes is not None and (codes == ALL or any(finding.rule.startswith(c) for c in codes)):
            return True
    return False


def drop_suppressed(findings: Sequence[Finding], read: Callable[[str], str | None]) -> tuple[Finding, ...]:
    """Findings not silenced by a comment in their own file; ``read(path)`` gives a file's text (None
    when unreadable: nothing is silenced then)."""
    cache: dict[str, Suppressions] = {}
    kept = []
    for f in findings:
        if f.path not in cache:
            text = read(f.path)
            cache[f.path] = suppressions(text) if text else {}
        if not silenced(f, cache[f.path]):
            kept.append(f)
    return tuple(kept)
