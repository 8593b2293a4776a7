"""Analysis reports: JSON schema and round trip, markdown mermaid syntax, text order."""

from __future__ import annotations

import json
import re
from pathlib import Path

from decide_factories import env, finding, ladder, profile, scan
from rich.console import Console

from workeradvisor.decide.engine import analyze_results
from workeradvisor.models import CallSite, StackFrame
from workeradvisor.models.decision import ACTION_KINDS
from workeradvisor.report import analysis_json, analysis_markdown, analysis_text


def compare_analysis():
    loads = (ladder(1, rps=(40, 48, 50), cpu=(80, 97, 99), p99=(40, 80, 160)),
             ladder(2, rps=(40, 80, 95), cpu=(80, 160, 196)))
    hot = CallSite("app/cpu.py", 12, "app.cpu.fib", 0.9, "cpu")
    return analyze_results(scan((finding("cpu-heavy", "app/cpu.py", 9, "hashlib.pbkdf2_hmac"),)),
                           profile(cpu_ratio=0.95, cpu_s=0.02, top_cpu=(hot,)), loads, env(cores=2))


def idle_analysis():
    p = profile(idle_cpu=62.0, culprits=(("telemetry-push", 58.0),),
                stacks=((StackFrame("push_loop", "app/t.py", 14),),))
    return analyze_results(scan(), p, (ladder(),), env())


def test_json_schema_top_level_and_recommendation() -> None:
    data = json.loads(analysis_json.render(compare_analysis()))
    assert {"scan", "profile", "load", "environment", "recommendation"} <= set(data)
    rec = data["recommendation"]
    assert isinstance(rec["workers"], int) and rec["workers"] == 2
    assert isinstance(rec["workers_range"], list) and len(rec["workers_range"]) == 2
    assert all(a["kind"] in ACTION_KINDS and isinstance(a["evidence"], dict) for a in rec["actions"])
    assert [p["node"] for p in rec["path"]][0] == "idle" and all("values" in p for p in rec["path"])
    assert 0 <= rec["confidence"] <= 1
    assert data["profile"]["request_cpu_ratio"] == 0.95
    assert isinstance(data["load"], list) and len(data["load"]) == 2
    assert [c["passes"] for c in rec["compare"]] == [None, True]


def test_json_profile_idle_names_culprits() -> None:
    data = json.loads(analysis_json.render(idle_analysis()))
    assert data["profile"]["idle"]["culprits"][0]["name"] == "telemetry-push"
    idle = data["recommendation"]["actions"][0]
    assert idle["kind"] == "fix-idle-cpu" and idle["evidence"]["thread"] == "telemetry-push"


def test_json_round_trip_back_into_models() -> None:
    for analysis in (compare_analysis(), idle_analysis()):
        assert analysis_json.from_dict(json.loads(analysis_json.render(analysis))) == analysis


def test_json_is_readable_by_the_deployment_check(tmp_path: Path) -> None:
    from workeradvisor.check.analysis import load_analysis

    f = tmp_path / "analysis.json"
    f.write_text(analysis_json.render(idle_analysis()))
    saved = load_analysis(f)
    assert saved.workers == 1 and saved.culprit_threads == ("telemetry-push",)
    assert saved.actions[0].kind == "fix-idle-cpu" and saved.actions[0].path == "app/t.py"


def _mermaid_blocks(markdown: str) -> list[list[str]]:
    """Each block's lines after its ``%%{init}%%`` palette directive (checked in tests/test_mermaid.py)."""
    blocks = [b.strip().splitlines() for b in re.findall(r"```mermaid\n(.*?)```", markdown, flags=re.S)]
    return [b[1:] if b and b[0].startswith("%%{init") else b for b in blocks]


def check_xychart(lines: list[str]) -> None:
    """xychart-beta grammar as mermaid documents it: header, title, x-axis categories, y-axis range, series."""
    assert lines[0].strip() == "xychart-beta"
    assert re.fullmatch(r'\s*title "[^"]*"', lines[1])
    x = re.fullmatch(r'\s*x-axis "[^"]*" \[(.*)\]', lines[2])
    assert x, lines[2]
    categories = re.findall(r'"[^"]*"', x.group(1))
    assert categories and len(categories) == len(x.group(1).split(","))
    y = re.fullmatch(r'\s*y-axis "[^"]*" (-?[\d.e+]+) --> (-?[\d.e+]+)', lines[3])
    assert y and float(y.group(1)) < float(y.group(2)), lines[3]
    series = lines[4:]
    assert series
    for line in series:
        s = re.fullmatch(r"\s*(line|bar) \[(.*)\]", line)
        assert s, line
        points = [float(v) for v in s.group(2).split(",")]
        assert len(points) == len(categories)
        assert max(points) <= float(y.group(2))


def test_markdown_mermaid_charts_are_valid_xychart() -> None:
    md = analysis_markdown.render(compare_analysis())
    blocks = _mermaid_blocks(md)
    assert len(blocks) == 4  # p99 vs CCU and RPS vs CCU, then the decision matrix's RPS and p99 bars
    for block in blocks:
        check_xychart(block)
    ladder = [b for b in blocks if "vs CCU" in b[1]]
    assert len(ladder) == 2
    for block in ladder:
        assert sum(1 for line in block if line.strip().startswith("line")) == 2  # one line per worker count
    assert "Legend: 🟦 1 worker (blue #3b82f6); 🟧 2 workers (orange #ea580c)" in md


def test_xychart_checker_rejects_broken_blocks() -> None:
    import pytest

    good = next(b for b in _mermaid_blocks(analysis_markdown.render(compare_analysis())) if "vs CCU" in b[1])
    for broken in (good[:4], [*good[:4], "    line [1, 2]"], ["xychart", *good[1:]],
                   [good[0], good[1], '    x-axis "CCU" [10, 20, 40]', *good[3:]]):
        with pytest.raises(AssertionError):
            check_xychart(broken)


def test_markdown_has_verdict_path_evidence_sites_and_fixes() -> None:
    md = analysis_markdown.render(compare_analysis())
    order = [md.index(s) for s in ("> **Run 2 uvicorn workers", "## Decision path", "## Actions", "## Evidence",
                                   "## Decision matrix", "### Load ladder")]
    assert order == sorted(order)
    assert "`app/cpu.py:12`" in md and "ProcessPoolExecutor(max_workers=2)" in md
    assert "+90% (passes the 30% rule)" in md


def test_text_report_puts_the_verdict_first() -> None:
    out = analysis_text.render(idle_analysis(), Console(width=140))
    assert out.index("Run 1 uvicorn worker, after: fix-idle-cpu") < out.index("Evidence") < out.index("Decision path")
    assert "telemetry-push" in out and "app/t.py:14" in out


def test_docs_example_report_charts_are_valid() -> None:
    doc = Path(__file__).parent.parent / "docs" / "example-analysis-mem0.md"
    blocks = _mermaid_blocks(doc.read_text())
    assert len(blocks) == 2
    for block in blocks:
        check_xychart(block)
