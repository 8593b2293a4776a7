"""Mermaid charts: a fixed palette visible on light and dark backgrounds, a legend naming each series
with its colour, the decision-matrix chart, and (live) the pixels of a real render in headless Chromium."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_decide_reports import check_xychart, compare_analysis

from workeradvisor.load.importers import import_file
from workeradvisor.report import analysis_markdown, load_markdown
from workeradvisor.report.mermaid import (
    BACKGROUNDS,
    MIN_CONTRAST,
    PALETTE,
    contrast,
    decision_matrix_chart,
    init_directive,
    legend,
    xychart,
)

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data" / "load"


def _blocks(markdown: str) -> list[list[str]]:
    return [b.strip().splitlines() for b in re.findall(r"```mermaid\n(.*?)```", markdown, flags=re.S)]


def _palette_of(directive: str) -> list[str]:
    m = re.fullmatch(r"%%\{init: (.*)\}%%", directive)
    assert m, directive
    return [c.strip() for c in json.loads(m.group(1))["themeVariables"]["xyChart"]["plotColorPalette"].split(",")]


def test_every_palette_colour_is_visible_on_light_and_dark_backgrounds() -> None:
    for name, hex_, _ in PALETTE:
        for bg in BACKGROUNDS:
            assert contrast(hex_, bg) >= MIN_CONTRAST, (name, hex_, bg, contrast(hex_, bg))
    assert len({h for _, h, _ in PALETTE}) == len(PALETTE)
    assert contrast("#ECECFF", "#ffffff") < 1.2  # mermaid's own first series, the one the issue could not see


def test_contrast_is_wcag_arithmetic() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # the textbook 4.5:1 borderline grey


def test_each_block_fixes_its_palette_and_the_legend_names_colours_in_drawing_order() -> None:
    names = ["1 worker", "2 workers", "4 workers"]
    md = xychart("p99 vs CCU", "CCU", [10, 20, 40], "ms", [(n, [1 + i, 2 + i, 3 + i]) for i, n in enumerate(names)])
    block = _blocks(md)[0]
    assert _palette_of(block[0]) == [h for _, h, _ in PALETTE[:3]]
    check_xychart(block[1:])
    legend_line = md.strip().splitlines()[-1]
    assert legend_line == legend(names)
    for n, (colour, hex_, _) in zip(names, PALETTE, strict=False):
        assert f"{n} ({colour} {hex_})" in legend_line
    assert legend_line.index("1 worker") < legend_line.index("2 workers") < legend_line.index("4 workers")


def test_a_series_without_values_is_left_out_of_chart_and_legend() -> None:
    md = xychart("t", "x", [1, 2], "y", [("known", [1, 2]), ("unknown", [None, None])])
    assert md.count("    line [") == 1 and "unknown" not in md
    assert _palette_of(_blocks(md)[0][0]) == [PALETTE[0][1]]
    with pytest.raises(ValueError, match="no series"):
        xychart("t", "x", [1, 2], "y", [("unknown", [None, None])])


def test_palette_offset_and_cycling() -> None:
    assert _palette_of(init_directive(2, offset=1)) == [PALETTE[1][1], PALETTE[2][1]]
    assert _palette_of(init_directive(len(PALETTE) + 1))[-1] == PALETTE[0][1]


def test_decision_matrix_chart_draws_rps_and_p99_by_worker_count() -> None:
    md = decision_matrix_chart([1, 2, 4], [1000.0, 1800.0, 2100.5], [30.0, 20.0, 25.0], ccu=40)
    blocks = _blocks(md)
    assert len(blocks) == 2
    rps, p99 = (b[1:] for b in blocks)
    for b in (rps, p99):
        check_xychart(b)
        assert b[2] == '    x-axis "workers" ["1 worker", "2 workers", "4 workers"]'
    assert rps[4] == "    bar [1000, 1800, 2100.5]" and p99[4] == "    bar [30, 20, 25]"
    assert "at CCU 40" in rps[1]
    assert _palette_of(blocks[0][0]) != _palette_of(blocks[1][0])  # throughput and latency in different colours
    assert "RPS (blue" in md and "p99 ms (orange" in md


def test_decision_matrix_chart_needs_two_worker_counts_and_known_p99() -> None:
    assert decision_matrix_chart([1], [1000.0], [30.0]) == ""
    md = decision_matrix_chart([1, 2], [1000.0, 1900.0], [30.0, None])
    assert len(_blocks(md)) == 1 and "p99 chart left out" in md


def test_analysis_markdown_carries_the_decision_matrix_chart() -> None:
    md = analysis_markdown.render(compare_analysis())
    titles = [b[2] for b in _blocks(md)]
    assert any("Decision matrix: RPS by worker count" in t for t in titles)
    assert any("Decision matrix: p99 by worker count" in t for t in titles)
    assert md.index("## Decision matrix") < md.index("Decision matrix: RPS by worker count")


def test_load_markdown_without_p99_draws_no_latency_chart() -> None:
    one = import_file(str(DATA / "wrk_no_latency.txt"))
    two = dataclasses.replace(one, stages=(one.stages[0], dataclasses.replace(one.stages[0], ccu=20)))
    md = load_markdown.render(two)
    titles = [b[2] for b in _blocks(md)]
    assert titles == ['    title "Throughput vs CCU"']


def _mermaid_js() -> Path | None:
    given = os.environ.get("WORKERADVISOR_MERMAID_JS")
    default = ROOT / "benchmarks" / ".cache" / "chart_render" / "npm" / "node_modules" / "mermaid" / "dist"
    path = Path(given) if given else default / "mermaid.min.js"
    return path if path.is_file() else None


@pytest.mark.live
def test_render_in_headless_chromium_shows_every_series(tmp_path: Path) -> None:
    js = _mermaid_js()
    if not shutil.which("chromium") or js is None:
        pytest.skip("needs Debian's chromium and mermaid.min.js (WORKERADVISOR_MERMAID_JS, or run "
                    "benchmarks/chart_render/run.py once to npm-install it)")
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "chart_render" / "run.py"), "--out",
                           str(tmp_path), "--mermaid", str(js), "--series", str(len(PALETTE))],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "all series visible" in done.stdout
    for theme in ("default", "dark"):
        for _, hex_, _ in PALETTE:
            m = re.search(rf"{theme} / Throughput vs CCU: {hex_} (\d+) px", done.stdout)
            assert m and int(m.group(1)) >= 40, (theme, hex_)


def test_analysis_markdown_with_an_import_lacking_p99_keeps_the_throughput_charts() -> None:
    from decide_factories import env

    from workeradvisor.decide.engine import analyze_results

    one = dataclasses.replace(import_file(str(DATA / "wrk_no_latency.txt")), workers=1)
    two = dataclasses.replace(import_file(str(DATA / "wrk_latency.txt")), workers=2)
    analysis = analyze_results(None, None, (one, two), env(cores=2))
    assert analysis.recommendation.compare[0].p99_ms is None
    md = analysis_markdown.render(analysis)
    titles = [b[2].strip() for b in _blocks(md)]
    assert titles == ['title "Decision matrix: RPS by worker count at CCU 10"', 'title "Throughput vs CCU"']
    assert "p99 chart left out" in md and "| 1 | 16,119.4 | - |" in md
    assert analysis.recommendation.metrics and dict(analysis.recommendation.metrics)["latency_ok"] is None
