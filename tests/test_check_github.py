"""GitHub workflow-command escaping and the step summary file."""

from __future__ import annotations

from pathlib import Path

from workeradvisor.models.scan import Finding
from workeradvisor.report import github


def _finding(message: str, path: str = "deploy/a,b:c.yml") -> Finding:
    return Finding("WA506", "reload-in-production", "reload", "error", path, 7, 0, "", "--reload", message, "fix it")


def test_annotation_escapes_data_and_properties() -> None:
    out = github.render_annotations([_finding("50% idle\nsecond line")])
    assert out == ("::error file=deploy/a%2Cb%3Ac.yml,line=7,title=WA506 reload-in-production::"
                   "50%25 idle%0Asecond line. Fix: fix it\n")


def test_info_becomes_notice_and_parse_errors_are_errors() -> None:
    info = Finding("WA514", "open-analysis-action", "analysis", "info", "x.yml", 1, 0, "", "", "m", "f")
    out = github.render_annotations([info], [{"path": "Dockerfile", "line": 3, "message": "bad"}])
    assert out.splitlines() == ["::error file=Dockerfile,line=3,title=cannot parse::bad",
                                "::notice file=x.yml,line=1,title=WA514 open-analysis-action::m. Fix: f"]


def test_step_summary_appends_only_when_set(tmp_path: Path) -> None:
    target = tmp_path / "s.md"
    assert github.append_step_summary("x", {}) is None
    assert github.append_step_summary("one", {"GITHUB_STEP_SUMMARY": str(target)}) == target
    github.append_step_summary("two\n", {"GITHUB_STEP_SUMMARY": str(target)})
    assert target.read_text(encoding="utf-8") == "one\ntwo\n"


def test_summary_markdown_escapes_pipes() -> None:
    md = github.summary_markdown("t", [_finding("a | b")], [{"path": "p", "kind": "compose"}], [], failed=True)
    assert "## t: failed" in md and "a \\| b" in md and "| p | compose |" in md
