"""Static findings from the scan, matched to runtime call sites by file and line.

The scan result arrives as the ``ScanResult`` model (from ``analyze``) or as a saved scan JSON read
by the one scan reader (``models/readers.py``); the scan package itself is not imported (profile
and scan are separate producers), and no chain text is parsed: ``Finding.chain`` is data.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workeradvisor.errors import ConfigError
from workeradvisor.models.readers import scan_from_dict
from workeradvisor.models.scan import ScanResult
from workeradvisor.safeio import MAX_RESULT_FILE, load_json, read_bounded


@dataclass(frozen=True)
class StaticFinding:
    rule: str
    path: str  # as the scan wrote it: relative to where scan ran, "/" separators
    line: int
    # Where the blocking call really is when the finding is reported at a caller: the scan's
    # structured chain ends at e.g. time.sleep in app/db.py:17; the runtime site is that inner line.
    chain_sites: tuple[tuple[str, int], ...] = ()


ScanInput = ScanResult | str | Path | Mapping[str, Any] | Sequence[Mapping[str, Any]]


def _read(source: str | Path) -> Any:
    try:
        return load_json(read_bounded(source, "scan file", MAX_RESULT_FILE), f"scan file {source}")
    except OSError as exc:
        raise ConfigError(f"cannot read scan file {source}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"scan file {source} is not JSON: line {exc.lineno}: {exc.msg}") from None


def load_findings(source: ScanInput) -> list[StaticFinding]:
    """Findings from a ScanResult, a scan JSON path, a parsed scan document, or a list of finding dicts."""
    if isinstance(source, ScanResult):
        result = source
    else:
        data = _read(source) if isinstance(source, (str, Path)) else source
        if isinstance(data, list):
            data = {"findings": data}
        if not isinstance(data, Mapping) or not isinstance(data.get("findings"), list):
            raise ConfigError("scan JSON has no 'findings' list (expected `workeradvisor scan --format json` output)")
        result = scan_from_dict(data, str(source) if isinstance(source, (str, Path)) else "scan")
    out = []
    for i, f in enumerate(result.findings):
        if not f.rule or not f.path or f.line <= 0:
            raise ConfigError(f"scan finding #{i + 1} lacks rule/path/line")
        sites = tuple((c.path.replace("\\", "/"), c.line) for c in f.chain if c.path)
        out.append(StaticFinding(f.rule, f.path.replace("\\", "/"), f.line, sites))
    return out


def confirmed(path: str, line: int, findings: Sequence[StaticFinding]) -> tuple[str, ...]:
    """Rule ids of findings at this runtime site: same line, and the runtime path ends with theirs
    (at the finding itself or at the inner end of its call chain)."""
    rules = [f.rule for f in findings
             if any(_same(path, line, p, n) for p, n in ((f.path, f.line), *f.chain_sites))]
    return tuple(dict.fromkeys(rules))


def _same(path: str, line: int, fpath: str, fline: int) -> bool:
    if fline != line:
        return False
    fpath = fpath.replace("\\", "/").removeprefix("./")
    return path == fpath or path.endswith("/" + fpath)
