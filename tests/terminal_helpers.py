"""Reports rendered at a fixed width from a recorded real run, for the terminal snapshot tests.

The inputs under tests/snapshots/recorded/ are one measured ``analyze`` run of
examples/mem0_like (see tests/snapshots/record.py); the decision is made in-process from them
with a fixed environment, so rendering is fast, repeatable and free of this machine's cores.
Set ``WORKERADVISOR_SNAPSHOT_UPDATE=1`` to rewrite the stored snapshots after a deliberate change.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from pathlib import Path
from typing import Any

from rich.console import Console

from workeradvisor.decide.engine import analyze_results
from workeradvisor.decide.merge import merge_profiles
from workeradvisor.decide.metrics import DecideOptions
from workeradvisor.models.decision import Analysis, Environment
from workeradvisor.models.load import LoadResult
from workeradvisor.models.profile import ProfileResult
from workeradvisor.report.result_readers import load_from_dict, profile_from_dict, scan_from_dict

SNAPSHOTS = Path(__file__).parent / "snapshots"
RECORDED = SNAPSHOTS / "recorded"
UPDATE_ENV = "WORKERADVISOR_SNAPSHOT_UPDATE"
ENV = Environment(cores=2.0, cores_source="test", host_cores=2, host_memory_bytes=8 << 30, memory_source="host")


def _read(name: str) -> Any:
    return json.loads((RECORDED / name).read_text(encoding="utf-8"))


def recorded_loads() -> tuple[LoadResult, ...]:
    return tuple(load_from_dict(_read(p.name), p.name) for p in sorted(RECORDED.glob("load_*w.json")))


def recorded_profile(name: str) -> ProfileResult:
    return profile_from_dict(_read(name), name)


def recorded_analysis() -> Analysis:
    scan = scan_from_dict(_read("scan.json"))
    profile = merge_profiles([profile_from_dict(_read(n)) for n in ("profile_idle.json", "profile_run.json")])
    return analyze_results(scan, profile, recorded_loads(), ENV, DecideOptions(), None, "embedding service")


def render_text(render: Any, result: Any, width: int) -> str:
    """What a terminal ``width`` columns wide shows (no colour): ``render(result, console)``."""
    text: str = render(result, Console(width=width, force_terminal=False, color_system=None))
    return text


def check_snapshot(name: str, text: str) -> None:
    """Compare with tests/snapshots/NAME (written when missing or when UPDATE_ENV is set)."""
    path = SNAPSHOTS / name
    if os.environ.get(UPDATE_ENV) or not path.exists():
        path.write_text(text, encoding="utf-8")
        return
    expected = path.read_text(encoding="utf-8")
    diff = "".join(difflib.unified_diff(expected.splitlines(True), text.splitlines(True), name, "rendered", n=1))
    assert text == expected, f"{name} changed; if deliberate, rerun with {UPDATE_ENV}=1 and review:\n{diff}"


def too_wide(text: str, width: int) -> list[str]:
    return [line for line in text.splitlines() if len(line) > width]


_BOX = re.compile("[\u2500-\u257f]")  # box drawing: table borders
_EDGE = re.compile(r"^[^\w(\[{'\"`/.~+-]+|[^\w)\]}'\"`/.%:]+$")


def words(text: str) -> set[str]:
    """Whitespace-separated words, box-drawing characters and punctuation at the edges removed."""
    out = set()
    for raw in text.split():
        word = _EDGE.sub("", _BOX.sub("", raw))
        if word:
            out.add(word)
    return out


def split_words(source: list[str], rendered: str, width: int) -> list[str]:
    """Words of ``source`` that fit in ``width`` yet are not whole on any rendered line (split by a wrap)."""
    lines = rendered.splitlines()
    missing = []
    for word in sorted({w for s in source for w in words(s)}):
        if len(word) < width - 4 and not any(word in line for line in lines):
            missing.append(word)
    return missing
