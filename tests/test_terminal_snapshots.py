"""Snapshot tests of the ``analyze``, ``load`` and ``profile`` text reports at 80 and 120 columns.

Rendered in-process from a recorded real run (tests/snapshots/recorded) and from real wrk / k6
outputs (tests/data/load), compared with tests/snapshots/*.txt. Beyond the snapshot: no line is
wider than the terminal, and every word of the report's content appears whole on some line
(a wrap never splits a word). Regenerate after a deliberate change with
``WORKERADVISOR_SNAPSHOT_UPDATE=1 .venv/bin/python -m pytest tests/test_terminal_snapshots.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from terminal_helpers import (
    ENV,
    check_snapshot,
    recorded_analysis,
    recorded_loads,
    recorded_profile,
    render_text,
    split_words,
    too_wide,
)

from workeradvisor.decide.engine import analyze_results
from workeradvisor.decide.metrics import DecideOptions
from workeradvisor.load.importers import import_file
from workeradvisor.models.decision import Analysis
from workeradvisor.models.load import LoadResult
from workeradvisor.report import analysis_text, load_text, profile_text
from workeradvisor.report.analysis_common import compare_cells, evidence_rows, values_text
from workeradvisor.report.text_fit import fit_widths
from workeradvisor.scan import scan_paths

DATA = Path(__file__).parent / "data" / "load"
WIDTHS = (80, 120)


def _strip(text: str) -> str:
    """Trailing blanks are invisible and editors drop them: the snapshots do not keep them."""
    return "\n".join(line.rstrip() for line in text.splitlines()) + "\n"


def _analysis_words(a: Analysis) -> list[str]:
    rec = a.recommendation
    out = [rec.verdict, *rec.notes, *a.notes, *rec.confidence_reasons]
    for act in rec.actions:
        out += [act.title, values_text(act.evidence), *(f"{s.path}:{s.line} {s.detail}" for s in act.sites)]
    for p in rec.path:
        out += [p.node, p.label, p.condition, values_text(p.values)]
    out += [" ".join(row) for row in evidence_rows(a)]
    out += [" ".join(compare_cells(row, rec.threshold("scale_gain_min"))) for row in rec.compare]
    return out


def _load_words(result: LoadResult, width: int) -> list[str]:
    """The content of the columns kept at ``width``, plus the lines under the table."""
    cols = list(load_text.COLUMNS)
    rows = [load_text.row_cells(result, s) for s in result.stages]
    kept, _ = fit_widths(cols, rows, width)
    cells = [" ".join(str(row[i]) for i in kept) for row in rows]
    return [*cells, *(cols[i].header for i in kept), *load_text.summary_lines(result)]


def _loads() -> dict[str, LoadResult]:
    recorded = {f"load_{r.workers}w": r for r in recorded_loads()}
    recorded["load_wrk"] = import_file(str(DATA / "wrk_ladder.txt"))
    recorded["load_k6"] = import_file(str(DATA / "k6_handle_summary.json"))
    return recorded


@pytest.mark.parametrize("width", WIDTHS)
def test_analyze_snapshot(width: int) -> None:
    analysis = recorded_analysis()
    text = render_text(analysis_text.render, analysis, width)
    assert too_wide(text, width) == []
    assert split_words(_analysis_words(analysis), text, width) == []
    check_snapshot(f"analyze_{width}.txt", _strip(text))


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", ["load_1w", "load_2w", "load_wrk", "load_k6"])
def test_load_snapshot(name: str, width: int) -> None:
    result = _loads()[name]
    text = render_text(load_text.render, result, width)
    assert too_wide(text, width) == []
    assert split_words(_load_words(result, width), text, width) == []
    check_snapshot(f"{name}_{width}.txt", _strip(text))


def test_load_at_80_keeps_the_headline_columns_whole() -> None:
    """The issue's symptom: ``RPS 4,…``, ``p99 45…``, ``st…``. Numbers and headers are never cut;
    the columns that do not fit are named instead of silently missing."""
    result = _loads()["load_1w"]
    text = render_text(load_text.render, result, 80)
    assert "…" not in text
    header_words = {w for line in text.splitlines()[1:4] for w in line.replace("┃", " ").split()}
    assert {"stage", "RPS", "p50", "p99", "errors", "trust"} <= header_words
    for s in result.stages:
        row = next(line for line in text.splitlines() if f"│ {load_text.stage_label(s)} " in line)
        assert f" {s.rps:,.0f} " in row and f" {load_text.ms_cell(s.latency_ms.p99)} " in row
    assert "not shown at 80 columns: p90 ms" in text.replace("\n", " ")


def test_wide_terminal_shows_every_load_column() -> None:
    result = _loads()["load_2w"]
    text = render_text(load_text.render, result, 200)
    cells = [load_text.row_cells(result, s) for s in result.stages]
    for i, col in enumerate(load_text.COLUMNS):
        if col.omit_empty and all(row[i] == "-" for row in cells):  # recorded before PSS was measured
            continue
        for word in col.header.split():
            assert word in text
    assert "not shown" not in text


def test_capacity_title_uses_the_terminal_width() -> None:
    """The capacity heading was a table title, so it wrapped at the table's ~50 columns even at 120."""
    text = render_text(analysis_text.render, recorded_analysis(), 120)
    line = next(line for line in text.splitlines() if line.startswith("Capacity model"))
    assert line.rstrip().endswith("RPS") and len(line) > 60


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", ["profile_idle", "profile_run"])
def test_profile_snapshot(name: str, width: int) -> None:
    result = recorded_profile(f"{name}.json")
    text = render_text(profile_text.render, result, width)
    assert too_wide(text, width) == []
    assert split_words(profile_text.lines(result), text, width) == []
    check_snapshot(f"{name}_{width}.txt", _strip(text))


def test_a_very_narrow_terminal_folds_prose_but_keeps_numbers_whole() -> None:
    result = _loads()["load_1w"]
    text = render_text(load_text.render, result, 40)
    assert too_wide(text, 40) == []
    for s in result.stages:
        row = next(line for line in text.splitlines() if f"│ {load_text.stage_label(s)} " in line)
        assert f" {s.rps:,.0f} " in row and f" {load_text.ms_cell(s.latency_ms.p99)} " in row


@pytest.mark.parametrize("width", WIDTHS)
def test_analyze_from_a_scan_alone_snapshot(width: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """``advise --scan`` of examples/blocking.py (a real in-process scan): the fix-blocking action
    with its call sites and fix text, the report a team without load tests gets."""
    monkeypatch.chdir(Path(__file__).parent.parent)  # relative paths in the report, as from the repo root
    analysis = analyze_results(scan_paths(["examples/blocking.py"]), None, (), ENV, DecideOptions(), None, None)
    assert analysis.recommendation.actions[0].sites
    text = render_text(analysis_text.render, analysis, width)
    assert too_wide(text, width) == []
    assert split_words(_analysis_words(analysis), text, width) == []
    check_snapshot(f"analyze_scan_{width}.txt", _strip(text))
