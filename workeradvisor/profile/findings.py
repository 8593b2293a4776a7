"""Static findings from a ``scan --format json`` file, matched to runtime call sites by file and line.

The scan JSON is read as data (``{"findings": [{"rule", "path", "line", ...}]}``); the scan
package itself is not imported (profile and scan are separate producers).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workeradvisor.errors import ConfigError


@dataclass(frozen=True)
class StaticFinding:
    rule: str
    path: str  # as the scan wrote it: relative to where scan ran, "/" separators
    line: int
    # Where the blocking call really is when the finding is reported at a caller: the scan's
    # structured chain ends at e.g. time.sleep in app/db.py:17; the runtime site is that inner line.
    chain_sites: tuple[tuple[str, int], ...] = ()


def load_findings(source: str | Path | Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> list[StaticFinding]:
    """Findings from a scan JSON path, a parsed scan document, or a list of finding dicts."""
    if isinstance(source, (str, Path)):
        try:
            data: Any = json.loads(Path(source).read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"cannot read scan file {source}: {exc.strerror}") from None
        except json.JSONDecodeError as exc:
            raise ConfigError(f"scan file {source} is not JSON: line {exc.lineno}: {exc.msg}") from None
    else:
        data = source
    items = data.get("findings") if isinstance(data, Mapping) else data
    if not isinstance(items, list):
        raise ConfigError("scan JSON has no 'findings' list (expected `workeradvisor scan --format json` output)")
    out = []
    for i, item in enumerate(items):
        try:
            sites = tuple((str(c["path"]).replace("\\", "/"), int(c["line"]))
                          for c in item.get("chain_sites") or () if isinstance(c, Mapping) and c.get("path"))
            out.append(StaticFinding(str(item["rule"]), str(item["path"]).replace("\\", "/"), int(item["line"]),
                                     sites))
        except (KeyError, TypeError, ValueError, AttributeError):
            raise ConfigError(f"scan finding #{i + 1} lacks rule/path/line") from None
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
