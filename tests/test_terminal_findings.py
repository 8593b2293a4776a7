"""``scan``/``check`` text at a terminal's width: the ruff-style finding line stays whole (editors
and CI parse it); its chain and fix wrap at spaces under themselves; into a pipe nothing wraps."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from workeradvisor.report import findings_text
from workeradvisor.rulebook import load_rules
from workeradvisor.scan import scan_paths

EXAMPLE = Path(__file__).parent.parent / "examples" / "blocking.py"


def _render() -> str:
    result = scan_paths([str(EXAMPLE)])
    assert any(f.chain for f in result.findings), "the example has a call chain to wrap"
    return findings_text.render(result.findings, load_rules(), summary=result.summary,
                                files_scanned=result.files_scanned)


def test_chain_and_fix_wrap_at_the_terminal_width(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    text = _render()
    lines = text.splitlines()
    result = scan_paths([str(EXAMPLE)])
    for f in result.findings:  # whole, however long
        assert f"{f.path}:{f.line}:{f.col + 1}: {f.rule} [{f.severity}] {f.message}" in lines
    body = [line for line in lines if line.startswith("    ")]
    assert any(line.startswith("           ") for line in body)  # a chain continuation, hanging
    for line in body:
        assert len(line) <= 60 or " " not in line.strip().split(": ", 1)[-1]
    flat = " ".join(line.strip() for line in body)
    for f in result.findings:
        assert f.fix in flat and (not f.chain or f.chain_text in flat)  # no word lost or split


def test_into_a_pipe_nothing_wraps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.setattr("sys.stdout", io.StringIO())
    text = _render()
    result = scan_paths([str(EXAMPLE)])
    chained = next(f for f in result.findings if f.chain)
    assert f"    chain: {chained.chain_text}" in text.splitlines()
