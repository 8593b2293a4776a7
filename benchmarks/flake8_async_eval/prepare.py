"""Prepare flake8-async eval files for asyncio the way its tests/test_flake8_async.py does (test_eval with
library="asyncio"), and read the expected errors without eval.

Replicated from flake8-async's test harness:
- magic markers ``# NOASYNCIO``, ``# ASYNCIO_NO_ERROR``, ``# BASE_LIBRARY x`` (default trio);
- ``replace_library(content, BASE_LIBRARY, "asyncio")`` when the base library is not asyncio: word-boundary
  substitution of the library name (also after ``_``, never after ``-``);
- expectations: on non-comment lines containing ``#``, every ``(error|ASYNCxxx)(_suffix)?: args`` match, with
  ``error`` meaning the file's own code (file stem up to the first ``_``), and ``\\n`` in comments as newlines.
NOASYNCIO files (async240, async250) are kept: their expectations are library-independent blocking calls
(flake8-async only skips them for asyncio because its message text differs), and the issue's 198 count
includes them.
"""

from __future__ import annotations

import re
from pathlib import Path

MARKERS = ("NOANYIO", "NOTRIO", "NOASYNCIO", "ANYIO_NO_ERROR", "TRIO_NO_ERROR", "ASYNCIO_NO_ERROR", "AUTOFIX",
           "NOAUTOFIX", "ASYNCIO_NO_AUTOFIX", "BASE_LIBRARY", "NOCOMPILE")
EXPECT = re.compile(r"(error|ASYNC...)(_.*)?:([^#]*)(?=#|$)")


def markers(content: str) -> dict[str, str | bool]:
    """flake8-async's find_magic_markers."""
    found: dict[str, str | bool] = {"BASE_LIBRARY": "trio"}
    for name in re.findall(rf"# ({'|'.join(MARKERS)})", content):
        if name == "BASE_LIBRARY":
            m = re.search(r"# BASE_LIBRARY (\w*)", content)
            found["BASE_LIBRARY"] = m.group(1) if m else "trio"
        else:
            found[name] = True
    return found


def replace_library(content: str, original: str, new: str) -> str:
    """flake8-async's replace_library for original/new in trio/anyio/asyncio (no nursery rewrite: that is
    only done between trio and anyio)."""
    return re.sub(rf"(?<!-)(?:\b|(?<=_)){original}\b", new, content)


def expected_errors(test: str, content: str) -> list[tuple[int, str]]:
    """(line, ASYNCxxx) per expected error; the ``_asyncio`` style suffix is dropped from the code."""
    own = test.split("_", maxsplit=1)[0].upper()
    out: list[tuple[int, str]] = []
    for lineno, line in enumerate(content.split("\n"), start=1):
        line = line.replace("\\n", "\n").strip()
        if not line or line[0] == "#" or "#" not in line:
            continue
        for code, _alt, _args in EXPECT.findall(line):
            out.append((lineno, own if code == "error" else code))
    return out


def prepare(eval_dir: Path, names: tuple[str, ...], dest: Path) -> dict[str, list[tuple[int, str]]]:
    """Write each prepared file to dest/<name>.py and return its expectations."""
    dest.mkdir(parents=True, exist_ok=True)
    result: dict[str, list[tuple[int, str]]] = {}
    for name in names:
        content = (eval_dir / f"{name}.py").read_text()
        found = markers(content)
        base = str(found["BASE_LIBRARY"])
        if base != "asyncio":
            content = replace_library(content, base, "asyncio")
        (dest / f"{name}.py").write_text(content)
        result[name] = [] if found.get("ASYNCIO_NO_ERROR") else expected_errors(name, content)
    return result


def should_error_lines(path: Path) -> set[int]:
    """Lines the eval file itself marks ``# should error``: true errors flake8-async knows it misses, so a
    finding there is not a wrong extra."""
    return {n for n, line in enumerate(path.read_text().split("\n"), start=1) if "# should error" in line}
